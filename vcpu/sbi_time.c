// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI TIME extension (0x54494D45), and the guest timer that the
 * legacy v0.1 set_timer programs too.
 *
 * rvhv keeps the guest's timer in vstimecmp (Sstc): the hardware raises
 * VSTIP when guest time reaches it, with no hrtimer and no exit.  TIME is
 * therefore available only on an Sstc host; on others it does not exist
 * (probe_extension says 0, ONE_REG SBI_EXT TIME gives ENOENT).
 *
 * As kvm.ko 6.12 (kvm_sbi_ext_time_handler() in arch/riscv/kvm/
 * vcpu_sbi_replace.c, kvm_riscv_vcpu_update_vstimecmp() in
 * vcpu_timer.c):
 *   set_timer (0)      vstimecmp = a0 (guest time); any pending VSTIP
 *                      injected through hvip is cleared; a0 = 0, a1 = 0
 *   other functions    SBI_ERR_NOT_SUPPORTED
 * set_timer needs vstimecmp to be live for the guest (henvcfg.STCE set,
 * which the vCPU gets when it has Sstc); without it the call returns
 * SBI_ERR_NOT_SUPPORTED rather than arm a timer that never fires.
 */
#include <asm/csr.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

/*
 * The vCPU is loaded on this hart: vstimecmp, henvcfg and hvip are the
 * guest's live CSRs.  Preemption is enabled, but each access is a single
 * CSR instruction, and vcpu_put/vcpu_load save and restore the values
 * around a preemption, so no access can land on another hart's state.
 */
unsigned long rvhv_sbi_set_timer(struct rvhv_vcpu *vcpu, u64 next)
{
	if (!(rvhv_host.feat.flags & RVHV_HOST_SSTC) ||
	    !(csr_read(CSR_HENVCFG) & ENVCFG_STCE))
		return SBI_ERR_NOT_SUPPORTED;

	csr_write(CSR_VSTIMECMP, next);
	csr_clear(CSR_HVIP, BIT(IRQ_VS_TIMER));
	return SBI_SUCCESS;
}

static int rvhv_sbi_time(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;

	if (gpr[RVHV_REG_A6] != SBI_EXT_TIME_SET_TIMER)
		ret->error = SBI_ERR_NOT_SUPPORTED;
	else
		ret->error = rvhv_sbi_set_timer(vcpu, gpr[RVHV_REG_A0]);
	return 0;
}

static bool rvhv_sbi_time_available(void)
{
	return rvhv_host.feat.flags & RVHV_HOST_SSTC;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_time = {
	.kvm_ext = KVM_RISCV_SBI_EXT_TIME,
	.available = rvhv_sbi_time_available,
	.handler = rvhv_sbi_time,
};
