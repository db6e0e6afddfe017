// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI SUSP extension (0x53555350), system suspend.
 *
 * Owns the guest's system_suspend call.  Linux 6.12's kvm.ko has no SUSP;
 * this is kvm.ko's from Linux 6.13 on (arch/riscv/kvm/vcpu_sbi_system.c),
 * ONE_REG SBI_EXT id RVHV_RISCV_SBI_EXT_SUSP (uapi/linux/rvhv.h, kvm.ko's
 * KVM_RISCV_SBI_EXT_SUSP), disabled by default: a VMM that implements
 * suspend enables it.
 *
 *   system_suspend (0)  a0 sleep_type (as u32), a1 resume_addr, a2 opaque:
 *     sleep_type != 0 (SUSPEND_TO_RAM)     SBI_ERR_INVALID_PARAM
 *     the caller not in S-mode             SBI_ERR_FAILURE
 *     resume_addr in no memslot            SBI_ERR_INVALID_ADDRESS
 *     another vCPU of the VM not stopped   SBI_ERR_DENIED (HSM state,
 *                                          as kvm.ko: a snapshot)
 *     else: the call is forwarded to the VMM, which implements the
 *     suspend: KVM_EXIT_RISCV_SBI with extension_id 0x53555350,
 *     function_id 0, args[] = a0..a5.  The next KVM_RUN completes the
 *     call as any forwarded one (ret[] into a0/a1, pc past the ecall)
 *     and then resets the vCPU as an HSM start does: it resumes at
 *     resume_addr in S-mode with a0 = its hartid, a1 = opaque, satp 0,
 *     interrupts off, the rest in its reset state (STA unregistered).
 *     The VMM calls KVM_RUN when the system is to wake up; it cannot make
 *     the call fail any more (as kvm.ko before Linux 6.16's
 *     KVM_CAP_RISCV_MP_STATE_RESET, which rvhv does not have).
 *   other functions    SBI_ERR_NOT_SUPPORTED
 * Coalesced console output the caller left buffered (console.c) goes out
 * first, as the exit of this call, which the guest makes again on the
 * next KVM_RUN; nothing is reset then.  Not in an RVHV_SBI_BATCH.
 */
#include <linux/kvm.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

/* Are all the other vCPUs of the VM stopped (HSM STOPPED)? */
static bool rvhv_susp_others_stopped(struct rvhv_vcpu *vcpu)
{
	struct rvhv_vcpu *other;
	unsigned long id;

	for (id = 0; id < RVHV_MAX_VCPUS; id++) {
		other = rvhv_vm_vcpu(vcpu->vm, id);
		if (other && other != vcpu && !rvhv_vcpu_stopped(other))
			return false;
	}
	return true;
}

static int rvhv_sbi_susp(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long resume = gpr[RVHV_REG_A1];

	if (gpr[RVHV_REG_A6] != SBI_EXT_SUSP_SYSTEM_SUSPEND) {
		ret->error = SBI_ERR_NOT_SUPPORTED;
		return 0;
	}
	if ((u32)gpr[RVHV_REG_A0] != SBI_SUSP_SLEEP_TYPE_SUSPEND_TO_RAM) {
		ret->error = SBI_ERR_INVALID_PARAM;
		return 0;
	}
	/* An ecall from VU-mode is the guest's own: never here. */
	if (!(vcpu->ctx.sstatus & SR_SPP)) {
		ret->error = SBI_ERR_FAILURE;
		return 0;
	}
	if (!rvhv_gpa_in_memslot(vcpu->vm, resume, 1, false)) {
		ret->error = SBI_ERR_INVALID_ADDRESS;
		return 0;
	}
	if (!rvhv_susp_others_stopped(vcpu)) {
		ret->error = SBI_ERR_DENIED;
		return 0;
	}

	if (rvhv_console_flush_exit(vcpu)) {
		ret->uexit = true;
		return 0;
	}
	rvhv_vcpu_request_reset(vcpu, resume, gpr[RVHV_REG_A0 + 2]);
	rvhv_sbi_forward(vcpu, ret);
	return 0;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_susp = {
	.kvm_ext = RVHV_RISCV_SBI_EXT_SUSP,
	.stat = RVHV_STAT_SBI_SUSP,
	.default_off = true,
	.handler = rvhv_sbi_susp,
};
