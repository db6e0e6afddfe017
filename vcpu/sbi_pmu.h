/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv: a vCPU's SBI PMU state (vcpu/sbi_pmu.c owns it) and the firmware
 * events the rest of rvhv reports to it.
 *
 * Only firmware counters exist (the host kernels rvhv is tested on have
 * no CONFIG_PERF_EVENTS to back hardware ones): RVHV_PMU_NR_CTRS of
 * them, counter indices 0.., each counting one SBI firmware event
 * (enum sbi_pmu_fw_generic_events_t) of this vCPU.  Where an event
 * happens, rvhv_pmu_fw_event() adds one to the vCPU's running count of
 * that event (struct rvhv_pmu.fw, atomic: another vCPU's thread reports
 * the "received" events); a started counter reads its value at start plus
 * how much the running count grew since.
 */
#ifndef _RVHV_VCPU_SBI_PMU_H
#define _RVHV_VCPU_SBI_PMU_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/rvhv.h>
#include <asm/sbi.h>

struct rvhv_vcpu;

/* Firmware counters a vCPU has (counter indices 0..RVHV_PMU_NR_CTRS-1). */
#define RVHV_PMU_NR_CTRS	RVHV_SBI_PMU_CTRS
/* Their ONE_REG registers (uapi/linux/rvhv.h), listed while PMU is on. */
#define RVHV_PMU_NR_REGS	(3 * RVHV_PMU_NR_CTRS)

/**
 * struct rvhv_pmu_ctr - one firmware counter
 * @value: its value when last stopped (or configured, or started with an
 *	initial value)
 * @base: while started, the event's running count when it started
 * @event: the SBI event_idx it was configured for
 */
struct rvhv_pmu_ctr {
	u64 value;
	u64 base;
	unsigned long event;
};

/**
 * struct rvhv_pmu - a vCPU's SBI PMU (struct rvhv_vcpu.pmu)
 * @fw: running count of each firmware event of this vCPU since it was
 *	created or reset.  Any thread adds to it (atomic64_inc); only
 *	differences are ever reported, so a reset that races with another
 *	vCPU's report loses at most that one event.
 * @ctr: the counters
 * @in_use: counters configured (counter_config_matching) and not yet
 *	released (counter_stop with RESET)
 * @started: counters counting now (a subset of @in_use)
 *
 * @ctr, @in_use and @started are protected by vcpu->mutex: only the
 * vCPU's own SBI calls (KVM_RUN), ONE_REG (RVHV_REG_RISCV_SBI_PMU) and a
 * reset (HSM start, SUSP resume, KVM_SET_MP_STATE) touch them.
 */
struct rvhv_pmu {
	atomic64_t fw[SBI_PMU_FW_MAX];
	struct rvhv_pmu_ctr ctr[RVHV_PMU_NR_CTRS];
	unsigned long in_use;
	unsigned long started;
};

/* One firmware event of @pmu's vCPU: any thread, any context. */
static inline void rvhv_pmu_fw_event(struct rvhv_pmu *pmu,
				     enum sbi_pmu_fw_generic_events_t ev)
{
	atomic64_inc(&pmu->fw[ev]);
}

/*
 * ONE_REG SBI_STATE registers of subtype RVHV_REG_RISCV_SBI_PMU: @num is
 * the number within it; 0, -ENOENT or -EINVAL.
 */
int rvhv_pmu_get_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long *val);
int rvhv_pmu_set_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long val);

/* A vCPU reset (creation, HSM start, SUSP, MP_STATE): no counter set up. */
void rvhv_pmu_reset(struct rvhv_vcpu *vcpu);
/*
 * A guest trap with @scause that rvhv handed back to the guest
 * (trap/exit.c): the misaligned, access-fault and illegal-instruction
 * firmware events.
 */
void rvhv_pmu_trap(struct rvhv_vcpu *vcpu, unsigned long scause);
/*
 * An SBI IPI or remote fence from @vcpu to the vCPUs of @targets (a
 * bitmap of vCPU ids): @sent on @vcpu, @sent + 1 (the "received" event)
 * on each target.
 */
void rvhv_pmu_remote(struct rvhv_vcpu *vcpu,
		     enum sbi_pmu_fw_generic_events_t sent,
		     unsigned long targets);
/*
 * The same for a remote fence: @fid 0 fence.i, 1 sfence.vma, 2
 * sfence.vma with ASID (RFENCE's function ids; the legacy calls' in
 * that order).
 */
static inline void rvhv_pmu_rfence(struct rvhv_vcpu *vcpu, unsigned long fid,
				   unsigned long targets)
{
	static_assert(SBI_PMU_FW_SFENCE_VMA_SENT - SBI_PMU_FW_FENCE_I_SENT == 2);
	static_assert(SBI_PMU_FW_SFENCE_VMA_ASID_SENT -
		      SBI_PMU_FW_FENCE_I_SENT == 4);
	rvhv_pmu_remote(vcpu, SBI_PMU_FW_FENCE_I_SENT + 2 * fid, targets);
}

#endif /* _RVHV_VCPU_SBI_PMU_H */
