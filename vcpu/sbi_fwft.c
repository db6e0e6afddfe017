// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI FWFT extension (0x46574654, SBI 3.0), firmware features.
 *
 * Owns a vCPU's firmware features (struct rvhv_fwft in vcpu->fwft,
 * vcpu/sbi_fwft.h): the set/get calls and their ONE_REG state.  ONE_REG
 * SBI_EXT id RVHV_RISCV_SBI_EXT_FWFT (kvm.ko's KVM_RISCV_SBI_EXT_FWFT,
 * Linux 6.16 on; uapi/linux/rvhv.h), enabled by default, as there.
 * Linux 6.12's kvm.ko has no FWFT.
 *
 *   set (0)   a0 feature (as u32), a1 value, a2 flags
 *   get (1)   a0 feature (as u32): a1 = its value
 *     MISALIGNED_EXC_DELEG (0)   implemented: value 1 delegates the
 *         guest's misaligned load and store exceptions to it (hedeleg
 *         bits 4 and 6 while it runs), 0 sends them through rvhv, which
 *         hands them to the guest all the same (as kvm.ko) and counts
 *         them as SBI PMU firmware events; other values
 *         SBI_ERR_INVALID_PARAM.  On a host whose firmware emulates
 *         misaligned accesses itself (OpenSBI's for plain loads and
 *         stores; QEMU does not trap them at all) the guest sees only
 *         those the firmware does not emulate (LR/SC/AMO), either way.
 *     LANDING_PAD (1), SHADOW_STACK (2), DOUBLE_TRAP (3),
 *     PTE_AD_HW_UPDATING (4), POINTER_MASKING_PMLEN (5)
 *                                SBI_ERR_NOT_SUPPORTED (pointer masking
 *                                needs Ssnpm, which no test host has)
 *     any other feature (reserved, global or platform-specific)
 *                                SBI_ERR_DENIED
 *     set: flags other than LOCK (bit 0)     SBI_ERR_INVALID_PARAM
 *          a locked feature                  SBI_ERR_DENIED_LOCKED
 *          with LOCK: the value is set and stays until the vCPU is
 *          reset (HSM start, SUSP resume, KVM_SET_MP_STATE), which also
 *          clears the value
 *     A feature the VMM turned off (ONE_REG enable 0) is
 *     SBI_ERR_NOT_SUPPORTED for both calls.
 *   other functions   SBI_ERR_NOT_SUPPORTED
 *
 * ONE_REG KVM_REG_RISCV_SBI_STATE | RVHV_REG_RISCV_SBI_FWFT, unsigned
 * long, numbered as struct rvhv_riscv_sbi_fwft (kvm.ko's layout):
 * misaligned_deleg.enable (0: 0 or 1, else -EINVAL), .flags (1: only the
 * LOCK bit is kept), .value (2: 0 or 1, else -EINVAL); a locked feature
 * takes a new value from ONE_REG all the same (restoring a saved vCPU).
 * pointer_masking's (3..5) and higher numbers: -ENOENT.  Listed by
 * KVM_GET_REG_LIST after STA's while FWFT is enabled; they exist whether
 * or not it is, as STA's.
 */
#include <linux/kvm.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

/* SBI 3.0's FWFT numbers, which <asm/sbi.h> of Linux 6.12 lacks. */
#define RVHV_SBI_EXT_FWFT_SET		0
#define RVHV_SBI_EXT_FWFT_GET		1
#define RVHV_FWFT_MISALIGNED_EXC_DELEG	0
#define RVHV_FWFT_POINTER_MASKING_PMLEN	5	/* the last one defined */
#define RVHV_FWFT_SET_FLAG_LOCK		BIT(0)
#define RVHV_SBI_ERR_DENIED_LOCKED	(-11)

void rvhv_fwft_init(struct rvhv_vcpu *vcpu)
{
	vcpu->fwft.mis_enable = true;
}

void rvhv_fwft_reset(struct rvhv_vcpu *vcpu)
{
	vcpu->fwft.mis_flags = 0;
	vcpu->fwft.mis_deleg = false;
}

/* SBI_SUCCESS if the guest may use @feature, else the SBI error. */
static long rvhv_fwft_feature(struct rvhv_vcpu *vcpu, u32 feature)
{
	if (feature == RVHV_FWFT_MISALIGNED_EXC_DELEG)
		return vcpu->fwft.mis_enable ? SBI_SUCCESS :
					       SBI_ERR_NOT_SUPPORTED;
	if (feature <= RVHV_FWFT_POINTER_MASKING_PMLEN)
		return SBI_ERR_NOT_SUPPORTED;
	return SBI_ERR_DENIED;
}

static void rvhv_fwft_set_deleg(struct rvhv_vcpu *vcpu, bool on)
{
	vcpu->fwft.mis_deleg = on;
	/*
	 * The vCPU is loaded here: the next guest entry sets the bits
	 * (rvhv_debug_enter()), clearing them is for now.
	 */
	if (!on) {
		preempt_disable();
		csr_clear(CSR_HEDELEG, RVHV_FWFT_MISALIGNED);
		preempt_enable();
	}
}

static long rvhv_fwft_set(struct rvhv_vcpu *vcpu)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long value = gpr[RVHV_REG_A1];
	unsigned long flags = gpr[RVHV_REG_A0 + 2];
	long err;

	err = rvhv_fwft_feature(vcpu, gpr[RVHV_REG_A0]);
	if (err)
		return err;
	if (flags & ~RVHV_FWFT_SET_FLAG_LOCK)
		return SBI_ERR_INVALID_PARAM;
	if (vcpu->fwft.mis_flags & RVHV_FWFT_SET_FLAG_LOCK)
		return RVHV_SBI_ERR_DENIED_LOCKED;
	if (value > 1)
		return SBI_ERR_INVALID_PARAM;
	rvhv_fwft_set_deleg(vcpu, value);
	vcpu->fwft.mis_flags = flags;
	return SBI_SUCCESS;
}

static int rvhv_sbi_fwft(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;

	switch (gpr[RVHV_REG_A6]) {
	case RVHV_SBI_EXT_FWFT_SET:
		ret->error = rvhv_fwft_set(vcpu);
		break;
	case RVHV_SBI_EXT_FWFT_GET:
		ret->error = rvhv_fwft_feature(vcpu, gpr[RVHV_REG_A0]);
		if (!ret->error)
			ret->value = vcpu->fwft.mis_deleg;
		break;
	default:
		ret->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return 0;
}

#define RVHV_FWFT_REG(field)	RVHV_REG_RISCV_SBI_FWFT_REG(misaligned_deleg.field)

int rvhv_fwft_get_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		      unsigned long *val)
{
	switch (num) {
	case RVHV_FWFT_REG(enable):
		*val = vcpu->fwft.mis_enable;
		return 0;
	case RVHV_FWFT_REG(flags):
		*val = vcpu->fwft.mis_flags;
		return 0;
	case RVHV_FWFT_REG(value):
		*val = vcpu->fwft.mis_deleg;
		return 0;
	}
	return -ENOENT;
}

int rvhv_fwft_set_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		      unsigned long val)
{
	switch (num) {
	case RVHV_FWFT_REG(enable):
		if (val > 1)
			return -EINVAL;
		vcpu->fwft.mis_enable = val;
		return 0;
	case RVHV_FWFT_REG(flags):
		vcpu->fwft.mis_flags = val & RVHV_FWFT_SET_FLAG_LOCK;
		return 0;
	case RVHV_FWFT_REG(value):
		if (val > 1)
			return -EINVAL;
		/* Not loaded (ONE_REG): the next entry sets hedeleg. */
		vcpu->fwft.mis_deleg = val;
		return 0;
	}
	return -ENOENT;
}

static_assert(RVHV_FWFT_REG(value) + 1 == RVHV_FWFT_NR_REGS);

/*
 * In a batch: both calls complete in the kernel (a set that turns the
 * delegation on takes effect at the next guest entry, after the batch).
 */
const struct rvhv_sbi_ext rvhv_sbi_ext_fwft = {
	.kvm_ext = RVHV_RISCV_SBI_EXT_FWFT,
	.batchable = rvhv_sbi_batchable_always,
	.handler = rvhv_sbi_fwft,
};
