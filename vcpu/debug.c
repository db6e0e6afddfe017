// SPDX-License-Identifier: GPL-2.0
/*
 * Guest debugging: KVM_SET_GUEST_DEBUG with KVM's RISC-V semantics.  This
 * file owns a vCPU's debug control word (struct rvhv_vcpu.guest_debug),
 * the hedeleg the vCPU runs with, and the KVM_EXIT_DEBUG exit.
 *
 * With KVM_GUESTDBG_ENABLE a VMM's debugger plants ebreak / c.ebreak in
 * guest memory: rvhv stops delegating breakpoint exceptions to the guest
 * while this vCPU runs (hedeleg bit 3 cleared at every guest entry, as
 * kvm.ko may rewrite the delegation by IPI when it loads or unloads, and
 * set again at vcpu_put, so the hart is as every other vCPU and CPU
 * offline expect it), and a guest ebreak ends KVM_RUN with
 * KVM_EXIT_DEBUG, the pc left at the ebreak (kvm_run.debug.arch is empty
 * on riscv).  The VMM moves the pc on or restores the instruction;
 * re-entering unchanged executes the ebreak again.  Turning it off gives
 * the guest its own breakpoints back at the next entry.
 *
 * Nothing else: there is no single-step and there are no hardware
 * breakpoints or watchpoints.  Both need the Sdtrig triggers (an icount
 * trigger for VS-mode, address/data matches), which only M-mode and the
 * debugger's D-mode program; HS-mode reaches them only through the SBI
 * DBTR extension, which the test beds' firmware lacks or offers without
 * an icount trigger (Documentation/rvhv.rst, "Guest debugging").
 * kvm.ko accepts every control bit and ignores all but ENABLE; rvhv
 * refuses the bits it does not implement (-EINVAL, as KVM's other ports
 * do for theirs) and reports the ones it does in
 * KVM_CAP_SET_GUEST_DEBUG2.
 */
#include <linux/uaccess.h>
#include <asm/csr.h>

#include "../rvhv_int.h"

/* KVM_SET_GUEST_DEBUG; vcpu->mutex is held, so the vCPU is not loaded. */
long rvhv_vcpu_set_guest_debug(struct rvhv_vcpu *vcpu,
			       const void __user *argp)
{
	struct kvm_guest_debug dbg;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	/* pad and the (empty) arch part are ignored, as by kvm.ko. */
	if (dbg.control & ~RVHV_GUESTDBG_VALID)
		return -EINVAL;
	vcpu->guest_debug = dbg.control;
	return 0;
}

/*
 * Entering the guest (interrupts off): while debugging, breakpoints to
 * rvhv; with SBI FWFT MISALIGNED_EXC_DELEG (vcpu/sbi_fwft.c), misaligned
 * loads and stores to the guest.
 */
void rvhv_debug_enter(const struct rvhv_vcpu *vcpu)
{
	if (unlikely(vcpu->guest_debug))
		csr_clear(CSR_HEDELEG, BIT(EXC_BREAKPOINT));
	if (unlikely(vcpu->fwft.mis_deleg))
		csr_set(CSR_HEDELEG, RVHV_FWFT_MISALIGNED);
}

/* vcpu_put: RVHV_HEDELEG again, what the next vCPU and CPU offline expect. */
void rvhv_debug_put(const struct rvhv_vcpu *vcpu)
{
	if (unlikely(vcpu->guest_debug))
		csr_set(CSR_HEDELEG, BIT(EXC_BREAKPOINT));
	if (unlikely(vcpu->fwft.mis_deleg))
		csr_clear(CSR_HEDELEG, RVHV_FWFT_MISALIGNED);
}

/*
 * A breakpoint exception while debugging is on: to the VMM, pc unchanged
 * (at the ebreak), nothing to complete on the next KVM_RUN.
 */
int rvhv_debug_exit(struct rvhv_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_DEBUG;
	return 0;
}
