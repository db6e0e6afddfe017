// SPDX-License-Identifier: GPL-2.0
/* Guest programs of debug_test (KVM_SET_GUEST_DEBUG). */
#include "guest.h"

long guest_dbg_bps(unsigned long rounds, unsigned long spin);
long guest_dbg_site(long v);

/*
 * The breakpoint site: an ebreak (4 bytes) at guest_dbg_e4, then a
 * c.ebreak (2 bytes) at guest_dbg_e2, each followed by an increment.
 * Whoever handles a breakpoint (the guest's own trap handler, or the VMM
 * after a KVM_EXIT_DEBUG) moves the pc past it: then a0 comes back + 2.
 */
asm(".text\n"
    ".balign 4\n"
    ".globl guest_dbg_site\n"
    "guest_dbg_site:\n"
    ".option push\n"
    ".option norvc\n"
    ".globl guest_dbg_e4\n"
    "guest_dbg_e4:\n"
    "	ebreak\n"
    "	addi	a0, a0, 1\n"
    ".option rvc\n"
    ".globl guest_dbg_e2\n"
    "guest_dbg_e2:\n"
    "	c.ebreak\n"
    "	c.addi	a0, 1\n"
    ".option pop\n"
    "	ret\n");

/*
 * A second entry, for a second vCPU of the same VM while the first is
 * stopped inside guest_dbg_bps: as _start (a0, a1 the arguments, a2 the
 * function) but on its own stack, 16 KiB below _start's, with tp = 1.
 */
asm(".text\n"
    ".balign 4\n"
    ".globl guest_dbg_entry1\n"
    "guest_dbg_entry1:\n"
    "	li	sp, " __stringify(GUEST_STACK_TOP - 0x4000) "\n"
    "	li	tp, 1\n"
    "	la	t0, guest_trap_entry\n"
    "	csrw	stvec, t0\n"
    "	jalr	a2\n"
    "	tail	guest_done\n");

/*
 * The guest's own breakpoints, per vCPU (tp: 0 from _start, 1 from
 * guest_dbg_entry1): counted, (cause, pc) of the last one kept.
 */
static volatile unsigned long own_traps[2], own_cause[2], own_epc[2];

static void dbg_trap(struct guest_regs *regs)
{
	unsigned long me = regs->x[4] & 1;

	own_traps[me]++;
	own_cause[me] = regs->scause;
	own_epc[me] = regs->sepc;
	regs->sepc += insn_len(regs->sepc);
}

/*
 * rounds passes over the site (0: without end), each reported as
 * UCALL_REPORT(round, value, own traps so far, scause, sepc of the last
 * own trap) unless spin is set: then only the number of passes is kept,
 * in GUEST_DATA's word [tp], for a VMM thread to watch.  Returns the
 * value (2 per pass).
 */
long guest_dbg_bps(unsigned long rounds, unsigned long spin)
{
	unsigned long me, i;
	long v = 0;

	asm volatile("andi %0, tp, 1" : "=r"(me));
	guest_trap_hook = dbg_trap;
	for (i = 0; !rounds || i < rounds; i++) {
		v = guest_dbg_site(v);
		*GUEST_DATA_PTR(unsigned long, me * 8) = i + 1;
		if (!spin)
			GUEST_REPORT4(i, v, own_traps[me], own_cause[me],
				      own_epc[me]);
	}
	return v;
}
