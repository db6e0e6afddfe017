// SPDX-License-Identifier: GPL-2.0
/*
 * Guest programs of stateen_test: the guest's own senvcfg and sstateen0
 * (Smstateen), and AIA CSRs the hypervisor does not give it.  CSRs by
 * number (csr_read() pastes its argument into the instruction): the cross
 * assembler may not know their names.
 */
#include "guest.h"

/* senvcfg 0x10a, sstateen0 0x10c, siselect 0x150, stopi 0xdb0 */
#define ENVCFG_FIOM	1UL

long guest_stateen(unsigned long sstateen0, unsigned long unused);
long guest_stateen_probe(unsigned long mask, unsigned long unused);
long guest_siselect(unsigned long val, unsigned long unused);

static volatile unsigned long st_traps, st_cause;

static void st_trap(struct guest_regs *regs)
{
	st_cause = regs->scause;
	st_traps++;
	regs->sepc += insn_len(regs->sepc);
}

static void st_reset(void)
{
	st_traps = 0;
	st_cause = 0;
}

/*
 * Use senvcfg and sstateen0 as a Linux guest does; every access that traps
 * is skipped and counted.  Reports, as (tag, traps, scause, value):
 *   1: senvcfg after writing FIOM into it (then put back)
 *   2: sstateen0 as found on entry
 *   3: sstateen0 after writing @sstateen0 into it
 * then SYNC (the host runs other vCPUs, reads ONE_REG), and
 *   4: sstateen0 again: the guest's own value must still be there.
 */
long guest_stateen(unsigned long sstateen0, unsigned long unused)
{
	unsigned long old, v;

	guest_trap_hook = st_trap;
	st_reset();
	old = csr_read(0x10a);
	csr_write(0x10a, ENVCFG_FIOM);
	v = csr_read(0x10a);
	csr_write(0x10a, old);
	GUEST_REPORT3(1, st_traps, st_cause, v);

	st_reset();
	v = csr_read(0x10c);
	GUEST_REPORT3(2, st_traps, st_cause, v);
	st_reset();
	csr_write(0x10c, sstateen0);
	v = csr_read(0x10c);
	GUEST_REPORT3(3, st_traps, st_cause, v);
	GUEST_SYNC(1);
	st_reset();
	v = csr_read(0x10c);
	GUEST_REPORT3(4, st_traps, st_cause, v);
	guest_trap_hook = 0;
	return 0;
}

/*
 * Which of these CSRs trap?  For senvcfg, sstateen0, siselect and stopi,
 * in that order, as tags 1..4, reports (tag, traps, scause, value) if bit
 * tag - 1 of @mask is set, else (tag, -1, 0, 0) without touching the CSR.
 */
long guest_stateen_probe(unsigned long mask, unsigned long unused)
{
	unsigned long v = 0;

	guest_trap_hook = st_trap;
	st_reset();
	if (mask & 1)
		v = csr_read(0x10a);
	GUEST_REPORT3(1, mask & 1 ? st_traps : -1UL, st_cause, v);
	st_reset();
	if (mask & 2)
		v = csr_read(0x10c);
	GUEST_REPORT3(2, mask & 2 ? st_traps : -1UL, st_cause, v);
	st_reset();
	if (mask & 4)
		v = csr_read(0x150);
	GUEST_REPORT3(3, mask & 4 ? st_traps : -1UL, st_cause, v);
	st_reset();
	if (mask & 8)
		v = csr_read(0xdb0);
	GUEST_REPORT3(4, mask & 8 ? st_traps : -1UL, st_cause, v);
	guest_trap_hook = 0;
	return 0;
}

/*
 * siselect (the guest's vsiselect), reachable on an AIA host without
 * Smstateen.  Reports (tag, traps, scause, value):
 *   1: as found on entry;  2: after writing @val;  SYNC;  3: again.
 */
long guest_siselect(unsigned long val, unsigned long unused)
{
	unsigned long v;

	guest_trap_hook = st_trap;
	st_reset();
	v = csr_read(0x150);
	GUEST_REPORT3(1, st_traps, st_cause, v);
	st_reset();
	csr_write(0x150, val);
	v = csr_read(0x150);
	GUEST_REPORT3(2, st_traps, st_cause, v);
	GUEST_SYNC(1);
	st_reset();
	v = csr_read(0x150);
	GUEST_REPORT3(3, st_traps, st_cause, v);
	guest_trap_hook = 0;
	return 0;
}
