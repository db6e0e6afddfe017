// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI SRST extension (0x53525354), system reset.
 *
 * As kvm.ko 6.12 (kvm_sbi_ext_srst_handler() in arch/riscv/kvm/
 * vcpu_sbi_replace.c, kvm_riscv_vcpu_sbi_system_reset() in vcpu_sbi.c):
 *   system_reset (0), type and reason taken as u32 (a0, a1 truncated):
 *     type 0 (shutdown)                  KVM_EXIT_SYSTEM_EVENT, type
 *                                        KVM_SYSTEM_EVENT_SHUTDOWN
 *     type 1, 2 (cold, warm reboot)      KVM_EXIT_SYSTEM_EVENT, type
 *                                        KVM_SYSTEM_EVENT_RESET
 *     with ndata = 1, data[0] = reason (any value; not checked), the
 *     rest of run->system_event zero.  Before the exit every vCPU of the
 *     VM, the caller included, is stopped (KVM_MP_STATE_STOPPED) and
 *     kicked, so none runs on; a later KVM_RUN of any of them blocks
 *     until the VMM makes it runnable again (KVM_SET_MP_STATE) or an HSM
 *     hart_start starts it.  pc is not advanced and nothing is completed
 *     on the next KVM_RUN: the ecall stays the current instruction.
 *     any other type                     SBI_ERR_NOT_SUPPORTED (kvm.ko's
 *                                        answer; the SBI spec would say
 *                                        SBI_ERR_INVALID_PARAM for a
 *                                        reserved type)
 *   other functions                      SBI_ERR_NOT_SUPPORTED
 * With coalesced console output buffered (console.c), the console exit
 * comes first and the ecall is executed again on the next KVM_RUN.
 * The legacy v0.1 shutdown (sbi_legacy.c) is the same event.  None of
 * it may run inside an RVHV_SBI_BATCH (no .batchable).
 */
#include <linux/string.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

void rvhv_sbi_system_event(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret,
			   u32 type, u64 reason)
{
	struct kvm_run *run = vcpu->run;
	struct rvhv_vcpu *other;
	unsigned long id;

	/*
	 * Coalesced console output first: that exit goes out instead, and
	 * the guest re-executes the ecall (nothing stopped yet, or the
	 * event would never recur).
	 */
	if (rvhv_console_flush_exit(vcpu)) {
		ret->uexit = true;
		return;
	}

	/* As kvm.ko: all of them, the caller too. */
	for (id = 0; id < RVHV_MAX_VCPUS; id++) {
		other = rvhv_vm_vcpu(vcpu->vm, id);
		if (other)
			rvhv_vcpu_stop(other);
	}

	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = type;
	run->system_event.ndata = 1;
	run->system_event.data[0] = reason;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	ret->uexit = true;
}

static int rvhv_sbi_srst(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	u32 type = gpr[RVHV_REG_A0];
	u32 reason = gpr[RVHV_REG_A1];

	if (gpr[RVHV_REG_A6] != SBI_EXT_SRST_RESET) {
		ret->error = SBI_ERR_NOT_SUPPORTED;
		return 0;
	}

	switch (type) {
	case SBI_SRST_RESET_TYPE_SHUTDOWN:
		rvhv_sbi_system_event(vcpu, ret, KVM_SYSTEM_EVENT_SHUTDOWN,
				      reason);
		break;
	case SBI_SRST_RESET_TYPE_COLD_REBOOT:
	case SBI_SRST_RESET_TYPE_WARM_REBOOT:
		rvhv_sbi_system_event(vcpu, ret, KVM_SYSTEM_EVENT_RESET,
				      reason);
		break;
	default:
		ret->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return 0;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_srst = {
	.kvm_ext = KVM_RISCV_SBI_EXT_SRST,
	.stat = RVHV_STAT_SBI_SRST,
	.handler = rvhv_sbi_srst,
};
