// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI TIME extension (0x54494D45), always available.
 *
 * The timer itself is vcpu/timer.c's (rvhv_timer_set()): vstimecmp on a
 * host whose guests get Sstc, an hrtimer that raises VSTIP through hvip
 * on the others; either way the guest sees the same thing.  The legacy
 * v0.1 set_timer (sbi_legacy.c) uses it too.
 *
 * As kvm.ko 6.12 (kvm_sbi_ext_time_handler() in arch/riscv/kvm/
 * vcpu_sbi_replace.c, kvm_riscv_vcpu_timer_next_event() in
 * vcpu_timer.c):
 *   set_timer (0)      deadline = a0 (guest time); any pending VSTIP is
 *                      lowered until the new deadline; a0 = the timer's
 *                      SBI error (SBI_SUCCESS), a1 = 0
 *   other functions    SBI_ERR_NOT_SUPPORTED
 */
#include <linux/hrtimer.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

static int rvhv_sbi_time(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;

	if (gpr[RVHV_REG_A6] != SBI_EXT_TIME_SET_TIMER)
		ret->error = SBI_ERR_NOT_SUPPORTED;
	else
		ret->error = rvhv_timer_set(vcpu, gpr[RVHV_REG_A0]);
	return 0;
}

/*
 * The exit fast path: with Sstc, set_timer is one vstimecmp write.
 * Without it set_timer re-arms the vCPU's hrtimer, and
 * rvhv_timer_restore()'s hrtimer_cancel() would wait for a callback
 * running on another CPU (the timer stays on the CPU that started it).
 * So the timer is cancelled here without waiting: once that has
 * succeeded the timer is inactive, nothing but this vCPU's thread arms
 * it, and the handler (which the fast path always runs after a yes)
 * finds nothing to wait for; a callback running elsewhere (-1) sends
 * the call the full way with nothing changed.  Other functions only
 * write an error.
 */
static bool rvhv_sbi_time_irqs_off(struct rvhv_vcpu *vcpu)
{
	if (rvhv_use_sstc ||
	    vcpu->ctx.gpr[RVHV_REG_A6] != SBI_EXT_TIME_SET_TIMER)
		return true;
	return hrtimer_try_to_cancel(&vcpu->timer) >= 0;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_time = {
	.kvm_ext = KVM_RISCV_SBI_EXT_TIME,
	.stat = RVHV_STAT_SBI_TIME,
	.batchable = rvhv_sbi_batchable_always,
	.irqs_off = rvhv_sbi_time_irqs_off,
	.handler = rvhv_sbi_time,
};
