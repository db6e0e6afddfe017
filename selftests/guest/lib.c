// SPDX-License-Identifier: GPL-2.0
/* Support code of the selftest guest payload. */
#include "guest.h"

guest_trap_hook_t guest_trap_hook;

void guest_trap_dispatch(struct guest_regs *regs);

void guest_trap_dispatch(struct guest_regs *regs)
{
	if (guest_trap_hook) {
		guest_trap_hook(regs);
		return;
	}
	for (;;)
		ucall(UCALL_TRAP, regs->scause, regs->sepc, regs->stval, 0, 0);
}

volatile unsigned long guest_skipped_traps, guest_skipped_cause;

void guest_skip_trap(struct guest_regs *regs)
{
	guest_skipped_cause = regs->scause;
	guest_skipped_traps++;
	regs->sepc += insn_len(regs->sepc);
}

void *memset(void *s, int c, unsigned long n)
{
	volatile u8 *p = s;

	while (n--)
		*p++ = c;
	return s;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	volatile u8 *dp = d;
	const u8 *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}
