// SPDX-License-Identifier: GPL-2.0
/*
 * The guest timer.
 *
 * With Sstc (the default where the host has it) the guest owns vstimecmp:
 * it programs it directly (henvcfg.STCE) or through SBI set_timer, and the
 * hart raises VSTIP with no exit.  The vCPU's hrtimer is then only armed
 * while the vCPU blocks in WFI, to wake it at its deadline.
 *
 * Without Sstc (a host without it, or the module parameter sstc=0) SBI
 * set_timer arms the hrtimer for the deadline, and its expiry raises VSTIP
 * through hvip, waking or kicking the vCPU.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <asm/csr.h>
#include <asm/delay.h>
#include <asm/sbi.h>
#include <asm/timex.h>

#include "../rvhv_int.h"

static bool sstc = true;
module_param(sstc, bool, 0444);
MODULE_PARM_DESC(sstc, "Give guests Sstc where the host has it (default: yes)");

/* Sstc for guests: decided once at module load (rvhv_timer_setup()). */
bool rvhv_use_sstc __ro_after_init;

void rvhv_timer_setup(void)
{
	/* The guest's Sstc is henvcfg.STCE: none on a hart without henvcfg. */
	rvhv_use_sstc = sstc && (rvhv_host.feat.flags & RVHV_HOST_SSTC) &&
			rvhv_host.envcfg;
}

/* Nanoseconds from now until guest time @deadline (0 if past). */
static u64 rvhv_timer_delta_ns(struct rvhv_vcpu *vcpu, u64 deadline)
{
	u64 now = rvhv_guest_time(vcpu->vm);

	if (deadline <= now)
		return 0;
	return mul_u64_u64_div_u64(deadline - now, NSEC_PER_SEC,
				   riscv_timebase);
}

static enum hrtimer_restart rvhv_timer_expired(struct hrtimer *t)
{
	struct rvhv_vcpu *vcpu = container_of(t, struct rvhv_vcpu, timer);

	if (rvhv_use_sstc) {
		rvhv_vcpu_kick(vcpu);	/* a halted vCPU re-checks VSTIP */
	} else {
		WRITE_ONCE(vcpu->timer_state, KVM_RISCV_TIMER_STATE_OFF);
		rvhv_vcpu_set_irq(vcpu, IRQ_VS_TIMER, true, RVHV_IRQ_SRC_TIMER);
	}
	return HRTIMER_NORESTART;
}

void rvhv_timer_init(struct rvhv_vcpu *vcpu)
{
	hrtimer_init(&vcpu->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	vcpu->timer.function = rvhv_timer_expired;
}

/**
 * rvhv_timer_set() - SBI set_timer (TIME, and legacy v0.1)
 * @vcpu: the calling vCPU, loaded
 * @next: deadline in guest time; -1 (or any past value then cleared) as
 *	the guest chooses
 *
 * Return: an SBI error code (SBI_SUCCESS).
 */
long rvhv_timer_set(struct rvhv_vcpu *vcpu, u64 next)
{
	rvhv_pmu_fw_event(&vcpu->pmu, SBI_PMU_FW_SET_TIMER);
	if (rvhv_use_sstc) {
		/* The vCPU is loaded: vstimecmp is live (one CSR write). */
		csr_write(CSR_VSTIMECMP, next);
		rvhv_vcpu_set_irq(vcpu, IRQ_VS_TIMER, false, RVHV_IRQ_SRC_SBI);
		return SBI_SUCCESS;
	}
	rvhv_vcpu_set_irq(vcpu, IRQ_VS_TIMER, false, RVHV_IRQ_SRC_SBI);
	vcpu->csr.vstimecmp = next;
	rvhv_timer_restore(vcpu, next != U64_MAX);
	return SBI_SUCCESS;
}

/**
 * rvhv_timer_restore() - arm or cancel the software timer (no Sstc)
 * @vcpu: the vCPU
 * @on: arm it at vcpu->csr.vstimecmp, or cancel it
 *
 * For SBI set_timer and for ONE_REG TIMER state, whose ON/OFF it sets.
 */
void rvhv_timer_restore(struct rvhv_vcpu *vcpu, bool on)
{
	hrtimer_cancel(&vcpu->timer);
	WRITE_ONCE(vcpu->timer_state, on ? KVM_RISCV_TIMER_STATE_ON :
					   KVM_RISCV_TIMER_STATE_OFF);
	if (on)
		hrtimer_start(&vcpu->timer,
			      ns_to_ktime(rvhv_timer_delta_ns(vcpu,
							      vcpu->csr.vstimecmp)),
			      HRTIMER_MODE_REL_HARD);
}

/**
 * rvhv_timer_passed() - has guest time reached the loaded vstimecmp?
 * @vcpu: the vCPU, loaded on this hart (preemption off), with Sstc
 *
 * What hip.VSTIP will show, and may not yet (see rvhv_vcpu_irq_ready()).
 * vstimecmp -1 never fires (nor does the hart raise VSTIP for it).
 *
 * Return: true if the timer interrupt is due.
 */
bool rvhv_timer_passed(struct rvhv_vcpu *vcpu)
{
	u64 cmp = csr_read(CSR_VSTIMECMP);

	return cmp != U64_MAX && rvhv_guest_time(vcpu->vm) >= cmp;
}

/*
 * A vCPU is about to block in WFI with Sstc: wake it when guest time
 * reaches vstimecmp, if the guest enabled its timer interrupt.
 */
void rvhv_timer_arm_wakeup(struct rvhv_vcpu *vcpu)
{
	u64 cmp;

	if (!rvhv_use_sstc || !(csr_read(CSR_VSIE) & IE_TIE))
		return;
	cmp = csr_read(CSR_VSTIMECMP);
	if (cmp == U64_MAX)
		return;
	hrtimer_start(&vcpu->timer, ns_to_ktime(rvhv_timer_delta_ns(vcpu, cmp)),
		      HRTIMER_MODE_REL_HARD);
}

void rvhv_timer_cancel_wakeup(struct rvhv_vcpu *vcpu)
{
	if (rvhv_use_sstc)
		hrtimer_cancel(&vcpu->timer);
}
