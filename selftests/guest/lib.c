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
