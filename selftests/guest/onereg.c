// SPDX-License-Identifier: GPL-2.0
/* Guest programs of onereg_test: the guest's view of its registers. */
#include "guest.h"

long guest_csrs(unsigned long new_sscratch, unsigned long unused);
long guest_time(unsigned long unused0, unsigned long unused1);
long guest_fp_regs(unsigned long unused0, unsigned long unused1);
long guest_fp_trap(unsigned long unused0, unsigned long unused1);
long guest_gprs(unsigned long unused0, unsigned long unused1);
long guest_status(unsigned long spins, unsigned long unused);
long guest_iprio(unsigned long val, unsigned long unused);

/* Report sscratch, sie, scounteren; then write sscratch and SYNC. */
long guest_csrs(unsigned long new_sscratch, unsigned long unused)
{
	GUEST_REPORT3(1, csr_read(sscratch), csr_read(sie),
		      csr_read(scounteren));
	csr_write(sscratch, new_sscratch);
	GUEST_SYNC(1);
	return 0;
}

/* Report rdtime twice, across a SYNC. */
long guest_time(unsigned long unused0, unsigned long unused1)
{
	unsigned long t = rdtime();

	GUEST_REPORT(1, t);
	GUEST_REPORT(2, rdtime());
	return 0;
}

/* Report f0, f5, f31 and fcsr as the VMM set them; then set f7, SYNC. */
long guest_fp_regs(unsigned long unused0, unsigned long unused1)
{
	unsigned long f0, f5, f31;

	asm volatile("fmv.x.d %0, f0\n fmv.x.d %1, f5\n fmv.x.d %2, f31\n"
		     : "=r"(f0), "=r"(f5), "=r"(f31));
	GUEST_REPORT4(1, f0, f5, f31, csr_read(fcsr));
	asm volatile("fmv.d.x f7, %0" : : "r"(0x4242424242424242UL) : "f7");
	GUEST_SYNC(1);
	return 0;
}

/* One FP instruction; reports (1, traps, scause). */
long guest_fp_trap(unsigned long unused0, unsigned long unused1)
{
	guest_trap_hook = guest_skip_trap;
	asm volatile("fmv.d.x f1, zero" : : : "f1", "memory");
	guest_trap_hook = 0;
	GUEST_REPORT2(1, guest_skipped_traps, guest_skipped_cause);
	return 0;
}

/*
 * Report s2, s3, t3, t6 as the VMM set them (_start does not touch
 * them), then set s4 = 0x5a5a and SYNC.  In assembly so that the compiler
 * does not use them first.
 */
asm(".text\n"
    ".globl guest_gprs\n"
    "guest_gprs:\n"
    "	addi	sp, sp, -16\n"
    "	sd	ra, 0(sp)\n"
    "	li	a0, 1\n"
    "	mv	a1, s2\n"
    "	mv	a2, s3\n"
    "	mv	a3, t3\n"
    "	mv	a4, t6\n"
    "	li	a6, " __stringify(UCALL_REPORT) "\n"
    "	li	a7, " __stringify(UCALL_EXT) "\n"
    "	ecall\n"
    "	li	s4, 0x5a5a\n"
    "	li	a0, 2\n"
    "	li	a6, " __stringify(UCALL_SYNC) "\n"
    "	li	a7, " __stringify(UCALL_EXT) "\n"
    "	ecall\n"
    "	ld	ra, 0(sp)\n"
    "	addi	sp, sp, 16\n"
    "	li	a0, 0\n"
    "	ret\n");

/* Report sstatus and satp, spin a while (timer and fences may come), done. */
long guest_status(unsigned long spins, unsigned long unused)
{
	volatile unsigned long n;

	GUEST_REPORT2(1, csr_read(sstatus), csr_read(satp));
	for (n = 0; n < spins; n++)
		;
	return 0;
}

static volatile unsigned long ip_traps, ip_cause;

static void ip_trap(struct guest_regs *regs)
{
	ip_cause = regs->scause;
	ip_traps++;
	regs->sepc += insn_len(regs->sepc);
}

/*
 * The iprio array through siselect (0x150) and sireg (0x151); an access
 * that traps is skipped and counted.  Reports (tag, traps, scause, value):
 *   1: iprio 0x30 as found;  2: after writing @val into it;
 *   3: iprio 0x31 (odd: does not exist on RV64);  then SYNC.
 */
long guest_iprio(unsigned long val, unsigned long unused)
{
	unsigned long v;

	guest_trap_hook = ip_trap;
	ip_traps = 0;
	ip_cause = 0;
	csr_write(0x150, 0x30);
	v = csr_read(0x151);
	GUEST_REPORT3(1, ip_traps, ip_cause, v);
	ip_traps = 0;
	csr_write(0x151, val);
	v = csr_read(0x151);
	GUEST_REPORT3(2, ip_traps, ip_cause, v);
	ip_traps = 0;
	v = 0;
	csr_write(0x150, 0x31);
	v = csr_read(0x151);
	GUEST_REPORT3(3, ip_traps, ip_cause, v);
	csr_write(0x150, 0x30);
	guest_trap_hook = 0;
	GUEST_SYNC(1);
	return 0;
}
