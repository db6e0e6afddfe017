// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI HSM extension (0x48534D), hart state management.
 *
 * Hart ids are vCPU ids (KVM_CREATE_VCPU's id), as in kvm.ko.  As kvm.ko
 * 6.12 (arch/riscv/kvm/vcpu_sbi_hsm.c):
 *   hart_start (0)      a0 hartid, a1 start_addr, a2 opaque: no such vCPU
 *                       SBI_ERR_INVALID_PARAM; not stopped
 *                       SBI_ERR_ALREADY_AVAILABLE; else the target starts
 *                       at start_addr in S-mode with a0 = hartid,
 *                       a1 = opaque, satp 0, interrupts off (its reset
 *                       state; rvhv_vcpu_hart_start()).  start_addr is not
 *                       checked (kvm.ko neither; the spec would allow
 *                       SBI_ERR_INVALID_ADDRESS)
 *   hart_stop (1)       the caller stops (KVM_MP_STATE_STOPPED): its
 *                       KVM_RUN blocks until a hart_start (or the VMM's
 *                       KVM_SET_MP_STATE) resets it.  a0 = 0 and pc += 4
 *                       are written as for any call, never seen: the
 *                       start replaces all of it
 *   hart_get_status (2) a0 hartid: no such vCPU SBI_ERR_INVALID_PARAM;
 *                       else STOPPED (1), SUSPENDED (4) while it waits in
 *                       WFI or a retentive suspend (kvm.ko: while
 *                       blocking), else STARTED (0)
 *   hart_suspend (3)    type = a0 as u32: 0 (default retentive) behaves
 *                       as WFI, then returns SBI_SUCCESS; 0x80000000
 *                       (default non-retentive) SBI_ERR_NOT_SUPPORTED;
 *                       any other type, platform-specific ones included,
 *                       SBI_ERR_INVALID_PARAM
 *   other functions     SBI_ERR_NOT_SUPPORTED
 * Coalesced console output the caller left buffered (console.c) goes out
 * before it stops or suspends: that console exit is the call's, and the
 * guest executes the ecall again on the next KVM_RUN.
 */
#include <linux/kvm.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

static long rvhv_hsm_start(struct rvhv_vcpu *vcpu)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	struct rvhv_vcpu *target;

	target = rvhv_vm_vcpu(vcpu->vm, gpr[RVHV_REG_A0]);
	if (!target)
		return SBI_ERR_INVALID_PARAM;
	if (rvhv_vcpu_hart_start(target, gpr[RVHV_REG_A1],
				 gpr[RVHV_REG_A0 + 2]))
		return SBI_ERR_ALREADY_AVAILABLE;
	return SBI_SUCCESS;
}

static long rvhv_hsm_status(struct rvhv_vcpu *vcpu, unsigned long *value)
{
	struct rvhv_vcpu *target;

	target = rvhv_vm_vcpu(vcpu->vm, vcpu->ctx.gpr[RVHV_REG_A0]);
	if (!target)
		return SBI_ERR_INVALID_PARAM;
	if (rvhv_vcpu_stopped(target))
		*value = SBI_HSM_STATE_STOPPED;
	else if (target != vcpu && READ_ONCE(target->halted))
		/* A snapshot, as kvm.ko's: it may wake up right after. */
		*value = SBI_HSM_STATE_SUSPENDED;
	else
		*value = SBI_HSM_STATE_STARTED;
	return SBI_SUCCESS;
}

/*
 * Before the caller stops or sleeps: coalesced console output it left
 * buffered goes out now, as the exit of this call, which the guest
 * executes again on the next KVM_RUN.  Returns true if it did.
 */
static bool rvhv_hsm_flush_console(struct rvhv_vcpu *vcpu,
				   struct rvhv_sbi_ret *ret)
{
	if (!rvhv_console_flush_exit(vcpu))
		return false;
	ret->uexit = true;
	return true;
}

static int rvhv_sbi_hsm(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;

	switch (gpr[RVHV_REG_A6]) {
	case SBI_EXT_HSM_HART_START:
		ret->error = rvhv_hsm_start(vcpu);
		break;
	case SBI_EXT_HSM_HART_STOP:
		if (rvhv_hsm_flush_console(vcpu, ret))
			break;
		/* It is running this call, so it is not stopped yet. */
		rvhv_vcpu_stop(vcpu);
		break;
	case SBI_EXT_HSM_HART_STATUS:
		ret->error = rvhv_hsm_status(vcpu, &ret->value);
		break;
	case SBI_EXT_HSM_HART_SUSPEND:
		switch ((u32)gpr[RVHV_REG_A0]) {
		case SBI_HSM_SUSPEND_RET_DEFAULT:
			if (!rvhv_hsm_flush_console(vcpu, ret))
				rvhv_vcpu_halt(vcpu);
			break;
		case SBI_HSM_SUSPEND_NON_RET_DEFAULT:
			ret->error = SBI_ERR_NOT_SUPPORTED;
			break;
		default:
			ret->error = SBI_ERR_INVALID_PARAM;
			break;
		}
		break;
	default:
		ret->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return 0;
}

/* hart_stop and hart_suspend leave the guest: not in a batch. */
static bool rvhv_sbi_hsm_batchable(struct rvhv_vcpu *vcpu)
{
	unsigned long fid = vcpu->ctx.gpr[RVHV_REG_A6];

	return fid != SBI_EXT_HSM_HART_STOP && fid != SBI_EXT_HSM_HART_SUSPEND;
}

/* The exit fast path answers hart_get_status (a snapshot anyway). */
static bool rvhv_sbi_hsm_irqs_off(struct rvhv_vcpu *vcpu)
{
	return vcpu->ctx.gpr[RVHV_REG_A6] == SBI_EXT_HSM_HART_STATUS;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_hsm = {
	.kvm_ext = KVM_RISCV_SBI_EXT_HSM,
	.stat = RVHV_STAT_SBI_HSM,
	.batchable = rvhv_sbi_hsm_batchable,
	.irqs_off = rvhv_sbi_hsm_irqs_off,
	.handler = rvhv_sbi_hsm,
};
