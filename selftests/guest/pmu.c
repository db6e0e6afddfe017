// SPDX-License-Identifier: GPL-2.0
/* Guest program of pmu_test: misaligned traps, FWFT delegation, PMU. */
#include "guest.h"
#include "pmu_abi.h"

long guest_misaligned(unsigned long flags, unsigned long unused);

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

/* Counter for firmware event @code, cleared and started; its index. */
static unsigned long pmu_count(unsigned long code)
{
	struct sbiret r = sbi_ecall(SBI_EXT_PMU, SBI_PMU_CFG_MATCH, 0, 0xffff,
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
