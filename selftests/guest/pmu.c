// SPDX-License-Identifier: GPL-2.0
/* Guest program of pmu_test: misaligned traps, FWFT delegation, PMU. */
#include "guest.h"
#include "pmu_abi.h"

long guest_misaligned(unsigned long flags, unsigned long unused);
long guest_pmu_hw(unsigned long eidx, unsigned long loops);
long guest_pmu_churn(unsigned long eidx, unsigned long loops);
long guest_pmu_read(unsigned long ctr, unsigned long unused);

static volatile unsigned long mis_cause[2], mis_tval, mis_n;

/* The guest's own handler: note the trap, skip the (4-byte) instruction. */
static void mis_trap(struct guest_regs *regs)
{
	if (mis_n < 2)
		mis_cause[mis_n] = regs->scause;
	if (!mis_n)
		mis_tval = regs->stval;
	mis_n++;
	regs->sepc += 4;
}

static unsigned long all_counters(void)
{
	struct sbiret r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_NUM_COUNTERS,
				    0, 0, 0, 0, 0, 0);

	GUEST_ASSERT_EQ(r.error, 0);
	return r.value >= 64 ? ~0UL : (1UL << r.value) - 1;
}

/* Counter for firmware event @code, cleared and started; its index. */
static unsigned long pmu_count(unsigned long code)
{
	struct sbiret r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_CFG_MATCH, 0,
				    all_counters(),
				    PMU_CFG_CLEAR_VALUE | PMU_CFG_AUTO_START,
				    PMU_FW(code), 0, 0);

	GUEST_ASSERT_EQ(r.error, 0);
	return r.value;
}

static unsigned long pmu_read(unsigned long ctr)
{
	struct sbiret r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_FW_READ, ctr,
				    0, 0, 0, 0, 0);

	GUEST_ASSERT_EQ(r.error, 0);
	return r.value;
}

long guest_misaligned(unsigned long flags, unsigned long unused)
{
	unsigned long addr = PMU_SCRATCH + 1, one = 1, out;
	unsigned long cl = 0, cs = 0, nl = 0, ns = 0;
	struct sbiret r;

	mis_n = 0;
	guest_trap_hook = mis_trap;
	if (flags & MIS_FWFT) {
		r = sbi_ecall(SBI_EXT_FWFT, SBI_FWFT_SET, FWFT_MISALIGNED,
			      !!(flags & MIS_DELEG), 0, 0, 0, 0);
		GUEST_ASSERT_EQ(r.error, 0);
	}
	if (flags & MIS_PMU) {
		cl = pmu_count(FW_MISALIGNED_LOAD);
		cs = pmu_count(FW_MISALIGNED_STORE);
	}
	asm volatile("lr.w %0, (%1)" : "=r"(out) : "r"(addr) : "memory");
	asm volatile("amoadd.w %0, %2, (%1)"
		     : "=r"(out) : "r"(addr), "r"(one) : "memory");
	if (flags & MIS_PMU) {
		nl = pmu_read(cl);
		ns = pmu_read(cs);
	}
	guest_trap_hook = 0;
	GUEST_REPORT4(MIS_TRAPS, mis_cause[0], mis_cause[1], mis_tval, mis_n);
	GUEST_REPORT2(MIS_COUNTS, nl, ns);
	return 0;
}

/* Read counter CSR cycle + @i (0..31) as the guest's rdcycle would. */
#define HPM_CASE(n)							\
	case n:								\
		asm volatile("csrr %0, %1" : "=r"(v) : "i"(0xc00 + (n))	\
			     : "memory");				\
		break

static unsigned long read_counter(unsigned long i)
{
	unsigned long v = 0;

	switch (i) {
	HPM_CASE(0);
	HPM_CASE(1);
	HPM_CASE(2);
	HPM_CASE(3);
	HPM_CASE(4);
	HPM_CASE(5);
	HPM_CASE(6);
	HPM_CASE(7);
	HPM_CASE(8);
	HPM_CASE(9);
	HPM_CASE(10);
	HPM_CASE(11);
	HPM_CASE(12);
	HPM_CASE(13);
	HPM_CASE(14);
	HPM_CASE(15);
	HPM_CASE(16);
	HPM_CASE(17);
	HPM_CASE(18);
	HPM_CASE(19);
	HPM_CASE(20);
	HPM_CASE(21);
	HPM_CASE(22);
	HPM_CASE(23);
	HPM_CASE(24);
	HPM_CASE(25);
	HPM_CASE(26);
	HPM_CASE(27);
	HPM_CASE(28);
	HPM_CASE(29);
	HPM_CASE(30);
	HPM_CASE(31);
	}
	return v;
}

long guest_pmu_hw(unsigned long eidx, unsigned long loops)
{
	unsigned long no_traps = eidx & HW_NO_TRAPS;
	unsigned long n = loops, t0, t1, v, v2, ctr, traps;
	struct sbiret r;

	eidx &= ~HW_NO_TRAPS;
	t0 = rdtime();
	/*
	 * Configured, then started, as Linux's driver does (kvm.ko 6.12's
	 * AUTO_START enables the perf event but leaves the counter marked
	 * stopped: its stop would then say ALREADY_STOPPED).
	 */
	r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_CFG_MATCH, 0, all_counters(),
		      PMU_CFG_CLEAR_VALUE, eidx, 0, 0);
	if (r.error) {
		GUEST_REPORT(HW_ERROR, r.error);
		return 0;
	}
	ctr = r.value;
	r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_START, ctr, 1,
		      PMU_START_INIT_VALUE, 0, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	/* two instructions an iteration */
	asm volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
	r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_STOP, ctr, 1, 0, 0, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	t1 = rdtime();
	v = read_counter(ctr);
	v2 = read_counter(ctr);
	GUEST_REPORT4(HW_COUNT, ctr, v, v2, t1 - t0);

	/*
	 * Released: cycle and instret read 0 (Zicntr's), hpmcounter31 (never
	 * set up) is an illegal instruction.
	 */
	r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_STOP, ctr, 1, PMU_STOP_RESET,
		      0, 0, 0);
	GUEST_ASSERT_EQ(r.error, SBI_ERR_ALREADY_STOPPED);
	if (no_traps)
		return 0;
	guest_skipped_traps = 0;
	guest_skipped_cause = 0;
	guest_trap_hook = guest_skip_trap;
	v = read_counter(ctr);
	read_counter(31);
	traps = guest_skipped_traps;
	guest_trap_hook = 0;
	GUEST_REPORT3(HW_TRAPS, traps, guest_skipped_cause, v);
	return 0;
}

long guest_pmu_churn(unsigned long eidx, unsigned long loops)
{
	unsigned long all = all_counters(), i, ctr, bad = 0;
	struct sbiret r;

	for (i = 0; i < loops; i++) {
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_CFG_MATCH, 0, all,
			      PMU_CFG_CLEAR_VALUE, eidx, 0, 0);
		if (r.error) {
			bad++;
			continue;
		}
		ctr = r.value;
		/* the same counter again, and again running */
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_CFG_MATCH, ctr, 1,
			      PMU_CFG_SKIP_MATCH | PMU_CFG_AUTO_START, eidx,
			      0, 0);
		bad += r.error != 0;
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_CFG_MATCH, ctr, 1,
			      PMU_CFG_SKIP_MATCH, eidx, 0, 0);
		bad += r.error != 0;
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_START, ctr, 1,
			      PMU_START_INIT_VALUE, i, 0, 0);
		bad += r.error != 0;
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_STOP, ctr, 1, 0, 0, 0, 0);
		bad += r.error != 0;
		/* a huge mask, a start of a counter not in use */
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_STOP, ctr, ~0UL, 0, 0, 0, 0);
		bad += r.error != SBI_ERR_INVALID_PARAM;
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_STOP, ctr, 1,
			      PMU_STOP_RESET, 0, 0, 0);
		bad += r.error != SBI_ERR_ALREADY_STOPPED;
		r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_START, ctr, 1, 0, 0, 0, 0);
		bad += r.error != 0;
	}
	/* the last one left configured and running, for the vCPU's freeing */
	r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_CFG_MATCH, 0, all,
		      PMU_CFG_AUTO_START, eidx, 0, 0);
	bad += r.error != 0;
	GUEST_REPORT(HW_CHURN, bad);
	return 0;
}

long guest_pmu_read(unsigned long ctr, unsigned long unused)
{
	GUEST_REPORT(HW_READ, read_counter(ctr));
	return 0;
}
