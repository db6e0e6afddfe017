/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv: a vCPU's SBI PMU state (vcpu/sbi_pmu.c owns it) and the firmware
 * events the rest of rvhv reports to it.
 *
 * Firmware counters: RVHV_PMU_NR_CTRS of them, each counting one SBI
 * firmware event (enum sbi_pmu_fw_generic_events_t) of this vCPU.  Where
 * an event happens, rvhv_pmu_fw_event() adds one to the vCPU's running
 * count of that event (struct rvhv_pmu.fw, atomic: another vCPU's thread
 * reports the "received" events); a started counter reads its value at
 * start plus how much the running count grew since.
 *
 * Hardware counters, on a host kernel with the SBI PMU perf driver that
 * reports hardware counters (riscv_pmu_get_hpm_info()): counter indices
 * 0..rvhv_pmu_nr_hw()-1 as kvm.ko lays them out (0 cycle, 1 the time
 * CSR's place, no counter, 2 instret, 3.. hpmcounter3..), each backed by
 * a host perf event of the vCPU thread while configured; the firmware
 * counters follow them.  Without, the firmware counters are indices 0...
 */
#ifndef _RVHV_VCPU_SBI_PMU_H
#define _RVHV_VCPU_SBI_PMU_H

#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/rvhv.h>
#include <asm/sbi.h>

struct perf_event;
struct rvhv_vcpu;

/* Firmware counters a vCPU has. */
#define RVHV_PMU_NR_CTRS	RVHV_SBI_PMU_CTRS
/* Hardware counter indices at most: cycle, time, instret, hpmcounter3-31 */
#define RVHV_PMU_MAX_HW		32
#define RVHV_PMU_MAX_CTRS	(RVHV_PMU_MAX_HW + RVHV_PMU_NR_CTRS)
/* ONE_REG registers (uapi/linux/rvhv.h) at most; rvhv_pmu_nr_regs() */
#define RVHV_PMU_MAX_REGS	(3 * RVHV_PMU_MAX_CTRS)

/**
 * struct rvhv_pmu_ctr - one counter
 * @value: its value when last stopped (or configured, or started with an
 *	initial value)
 * @base: while started, the event's running count (firmware) or its perf
 *	event's count (hardware) when it started
 * @event: the SBI event_idx it was configured for
 * @filter: a hardware counter's SBI_PMU_CFG_FLAG_SET_SINH/UINH
 * @perf: a hardware counter's host perf event, or NULL: created (disabled)
 *	by counter_config_matching or, for the vCPU thread of the next
 *	KVM_RUN, by rvhv_pmu_run(); enabled while started; owned by this
 *	counter and released (perf_event_release_kernel()) when the counter
 *	is released (counter_stop with RESET), reconfigured, written through
 *	ONE_REG, rehomed to another thread, reset, or the vCPU freed.
 *	Firmware counters never have one.
 */
struct rvhv_pmu_ctr {
	u64 value;
	u64 base;
	unsigned long event;
	unsigned long filter;
	struct perf_event *perf;
};

/**
 * struct rvhv_pmu - a vCPU's SBI PMU (struct rvhv_vcpu.pmu)
 * @fw: running count of each firmware event of this vCPU since it was
 *	created or reset.  Any thread adds to it (atomic64_inc); only
 *	differences are ever reported, so a reset that races with another
 *	vCPU's report loses at most that one event.
 * @ctr: the counters
 * @ctr: the counters, by counter index
 * @in_use: counters configured (counter_config_matching) and not yet
 *	released (counter_stop with RESET)
 * @started: counters counting now (a subset of @in_use)
 * @task: the thread the hardware counters' perf events count (a
 *	reference held), or NULL: rvhv_pmu_run() (re)creates them for the
 *	KVM_RUN thread when it is not that one
 *
 * @ctr, @in_use, @started and @task are protected by vcpu->mutex: only
 * the vCPU's own SBI calls and CSR reads (KVM_RUN), ONE_REG
 * (RVHV_REG_RISCV_SBI_PMU), a reset (HSM start, SUSP resume,
 * KVM_SET_MP_STATE) and the vCPU's freeing touch them.  Creating,
 * enabling, reading and releasing perf events may sleep: all of it runs
 * in process context with interrupts and preemption on (never in the
 * exit fast path: the PMU has no irqs_off calls).
 */
struct rvhv_pmu {
	atomic64_t fw[SBI_PMU_FW_MAX];
	struct rvhv_pmu_ctr ctr[RVHV_PMU_MAX_CTRS];
	unsigned long in_use;
	unsigned long started;
	struct task_struct *task;
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

/* Module load: find the host's hardware counters. */
void rvhv_pmu_host_init(void);
/* Hardware counter indices (0: none, firmware counters only). */
unsigned int rvhv_pmu_nr_hw(void);
/* ONE_REG registers of subtype RVHV_REG_RISCV_SBI_PMU on this host. */
unsigned int rvhv_pmu_nr_regs(void);

/*
 * A vCPU reset (creation, HSM start, SUSP, MP_STATE): no counter set up.
 * Does not sleep; rvhv_pmu_release() must have run first (no perf event
 * left).
 */
void rvhv_pmu_reset(struct rvhv_vcpu *vcpu);
/* Release every perf event and the thread reference; may sleep. */
void rvhv_pmu_release(struct rvhv_vcpu *vcpu);
/*
 * KVM_RUN, before the guest is entered (may sleep): the hardware
 * counters' perf events count this thread.
 */
void rvhv_pmu_run(struct rvhv_vcpu *vcpu);
/*
 * A virtual-instruction exit for @insn: a read of a hardware counter CSR
 * the guest configured is emulated (true); anything else is not (false).
 */
bool rvhv_pmu_csr_insn(struct rvhv_vcpu *vcpu, unsigned long insn);
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
