// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI BASE extension (0x10), always present.
 *
 * As kvm.ko 6.12 (arch/riscv/kvm/vcpu_sbi_base.c) except for the spec
 * version (kvm.ko's from Linux 6.16 on), the implementation id and
 * version, which are rvhv's (vcpu/sbi.h):
 *   get_spec_version   3.0 (major << 24 | minor; vcpu/sbi.h)
 *   get_impl_id        RVHV_SBI_IMPL_ID
 *   get_impl_version   RVHV_SBI_IMPL_VERSION
 *   probe_extension    an id in the experimental or vendor range: forwarded
 *                      to userspace (KVM_EXIT_RISCV_SBI with extension 0x10,
 *                      function 3), which answers; any other id: 1 when
 *                      this vCPU implements and has enabled it, else 0
 *                      (TIME, IPI, RFENCE, HSM, SRST, STA, PMU, FWFT,
 *                      v0.1 by their ONE_REG SBI_EXT bits; DBCN and SUSP
 *                      likewise, off by default; rvhv's RVHV_SBI_EXT
 *                      when the VMM enabled RVHV_CAP_SBI_BATCH)
 *   get_mvendorid...   ONE_REG CONFIG mvendorid, marchid, mimpid
 *   other functions    SBI_ERR_NOT_SUPPORTED
 */
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

/* Userspace answers probe_extension for these ranges (as kvm.ko). */
static bool rvhv_sbi_probe_forwarded(unsigned long eid)
{
	return (eid >= SBI_EXT_EXPERIMENTAL_START &&
		eid <= SBI_EXT_EXPERIMENTAL_END) ||
	       (eid >= SBI_EXT_VENDOR_START && eid <= SBI_EXT_VENDOR_END);
}

static int rvhv_sbi_base(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long a0 = gpr[RVHV_REG_A0];

	switch (gpr[RVHV_REG_A6]) {
	case SBI_EXT_BASE_GET_SPEC_VERSION:
		ret->value = (RVHV_SBI_SPEC_MAJOR << SBI_SPEC_VERSION_MAJOR_SHIFT) |
			     RVHV_SBI_SPEC_MINOR;
		break;
	case SBI_EXT_BASE_GET_IMP_ID:
		ret->value = RVHV_SBI_IMPL_ID;
		break;
	case SBI_EXT_BASE_GET_IMP_VERSION:
		ret->value = RVHV_SBI_IMPL_VERSION;
		break;
	case SBI_EXT_BASE_PROBE_EXT:
		/*
		 * Userspace implements those ranges, so it answers for them,
		 * whether or not the range is enabled (as kvm.ko).
		 */
		if (rvhv_sbi_probe_forwarded(a0))
			rvhv_sbi_forward(vcpu, ret);
		else
			ret->value = !!rvhv_sbi_find_enabled(vcpu, a0);
		break;
	case SBI_EXT_BASE_GET_MVENDORID:
		ret->value = vcpu->mvendorid;
		break;
	case SBI_EXT_BASE_GET_MARCHID:
		ret->value = vcpu->marchid;
		break;
	case SBI_EXT_BASE_GET_MIMPID:
		ret->value = vcpu->mimpid;
		break;
	default:
		ret->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return 0;
}

/* In a batch: all but a forwarded probe_extension. */
static bool rvhv_sbi_base_batchable(struct rvhv_vcpu *vcpu)
{
	unsigned long *gpr = vcpu->ctx.gpr;

	return gpr[RVHV_REG_A6] != SBI_EXT_BASE_PROBE_EXT ||
	       !rvhv_sbi_probe_forwarded(gpr[RVHV_REG_A0]);
}

const struct rvhv_sbi_ext rvhv_sbi_ext_base = {
	.kvm_ext = RVHV_SBI_EXT_ALWAYS,
	.stat = RVHV_STAT_SBI_BASE,
	.batchable = rvhv_sbi_base_batchable,
	.irqs_off = rvhv_sbi_irqs_off_always,
	.handler = rvhv_sbi_base,
};
