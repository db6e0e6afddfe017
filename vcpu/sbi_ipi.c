// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI IPI (0x735049) and RFENCE (0x52464E43) extensions.
 *
 * Both name their target harts (vCPU ids) by hart_mask (a0) and
 * hart_mask_base (a1); hart_mask_base == -1UL names every vCPU and
 * hart_mask is ignored.  A mask bit that names no vCPU (including one
 * whose hart id would be RVHV_MAX_VCPUS or more, or wrap around) makes
 * the call return SBI_ERR_INVALID_PARAM, as SBI 2.0 says; the vCPUs that
 * exist are served all the same.
 *
 * IPI, as kvm.ko 6.12 (kvm_sbi_ext_ipi_handler() in
 * arch/riscv/kvm/vcpu_sbi_replace.c):
 *   send_ipi (0)        VSSIP raised on each target; SBI_ERR_INVALID_PARAM
 *                       for bits naming no vCPU, the others still get it
 *   other functions     SBI_ERR_NOT_SUPPORTED
 *
 * RFENCE, as kvm.ko 6.12 (kvm_sbi_ext_rfence_handler()) except for the
 * hart mask check, which kvm.ko does not do (it ignores bits naming no
 * vCPU and returns SBI_SUCCESS):
 *   remote_fence_i (0)               rvhv_fence_i()
 *   remote_sfence_vma (1)            a2 start, a3 size: rvhv_fence_vvma()
 *   remote_sfence_vma_asid (2)       a4 asid: rvhv_fence_vvma_asid()
 *   remote_hfence_gvma_vmid (3), remote_hfence_gvma (4),
 *   remote_hfence_vvma_asid (5), remote_hfence_vvma (6)
 *                                    SBI_ERR_NOT_SUPPORTED (no nested
 *                                    virtualization; kvm.ko the same)
 *   other functions                  SBI_ERR_NOT_SUPPORTED
 * The fences are done for the whole VM, before the call returns, on every
 * host CPU that may hold its translations (mmu/fence.c): more than the
 * mask asks for, never less.
 */
#include <linux/kvm.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

void rvhv_sbi_send_ipis(struct rvhv_vcpu *vcpu, unsigned long targets)
{
	struct rvhv_vcpu *target;
	unsigned long id;

	rvhv_pmu_fw_event(&vcpu->pmu, SBI_PMU_FW_IPI_SENT);
	for_each_set_bit(id, &targets, RVHV_MAX_VCPUS) {
		target = rvhv_vm_vcpu(vcpu->vm, id);
		if (!target)
			continue;
		rvhv_pmu_fw_event(&target->pmu, SBI_PMU_FW_IPI_RCVD);
		rvhv_vcpu_set_irq(target, IRQ_VS_SOFT, true, RVHV_IRQ_SRC_SBI);
	}
}

static int rvhv_sbi_ipi(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long targets;

	if (gpr[RVHV_REG_A6] != SBI_EXT_IPI_SEND_IPI) {
		ret->error = SBI_ERR_NOT_SUPPORTED;
		return 0;
	}
	ret->error = rvhv_sbi_hart_mask(vcpu, gpr[RVHV_REG_A0],
					gpr[RVHV_REG_A1], &targets);
	rvhv_sbi_send_ipis(vcpu, targets);
	return 0;
}

static int rvhv_sbi_rfence(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long fid = gpr[RVHV_REG_A6];
	unsigned long start = gpr[RVHV_REG_A0 + 2];
	unsigned long size = gpr[RVHV_REG_A0 + 3];
	unsigned long targets;

	switch (fid) {
	case SBI_EXT_RFENCE_REMOTE_FENCE_I:
	case SBI_EXT_RFENCE_REMOTE_SFENCE_VMA:
	case SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID:
		break;
	default:	/* the hfence functions too */
		ret->error = SBI_ERR_NOT_SUPPORTED;
		return 0;
	}

	ret->error = rvhv_sbi_hart_mask(vcpu, gpr[RVHV_REG_A0],
					gpr[RVHV_REG_A1], &targets);
	rvhv_pmu_rfence(vcpu, fid, targets);
	if (fid == SBI_EXT_RFENCE_REMOTE_FENCE_I)
		rvhv_fence_i(vcpu);
	else if (fid == SBI_EXT_RFENCE_REMOTE_SFENCE_VMA)
		rvhv_fence_vvma(vcpu, start, size);
	else
		rvhv_fence_vvma_asid(vcpu, start, size, gpr[RVHV_REG_A0 + 4]);
	return 0;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_ipi = {
	.kvm_ext = KVM_RISCV_SBI_EXT_IPI,
	.stat = RVHV_STAT_SBI_IPI,
	.batchable = rvhv_sbi_batchable_always,
	.irqs_off = rvhv_sbi_irqs_off_always,
	.handler = rvhv_sbi_ipi,
};

const struct rvhv_sbi_ext rvhv_sbi_ext_rfence = {
	.kvm_ext = KVM_RISCV_SBI_EXT_RFENCE,
	.stat = RVHV_STAT_SBI_RFENCE,
	.batchable = rvhv_sbi_batchable_always,
	.handler = rvhv_sbi_rfence,
};
