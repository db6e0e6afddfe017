/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv: a vCPU's SBI FWFT state (vcpu/sbi_fwft.c owns it).
 */
#ifndef _RVHV_VCPU_SBI_FWFT_H
#define _RVHV_VCPU_SBI_FWFT_H

#include <linux/bits.h>
#include <linux/types.h>
#include <asm/csr.h>

struct rvhv_vcpu;

/* The hedeleg bits FWFT MISALIGNED_EXC_DELEG gives the guest. */
#define RVHV_FWFT_MISALIGNED	(BIT(EXC_LOAD_MISALIGNED) | \
				 BIT(EXC_STORE_MISALIGNED))

/**
 * struct rvhv_fwft - a vCPU's SBI FWFT features (struct rvhv_vcpu.fwft)
 * @mis_enable: MISALIGNED_EXC_DELEG is offered to the guest (ONE_REG
 *	misaligned_deleg.enable; on for a new vCPU, kept across resets)
 * @mis_flags: its flags (SBI_FWFT_SET_FLAG_LOCK), 0 after a reset
 * @mis_deleg: its value: misaligned load/store exceptions of the guest
 *	are delegated to it (hedeleg RVHV_FWFT_MISALIGNED while it runs,
 *	vcpu/debug.c), 0 after a reset
 *
 * Protected by vcpu->mutex: the vCPU's own SBI calls (KVM_RUN), ONE_REG
 * and resets.  The world switch's entry reads @mis_deleg on the same
 * thread.
 */
struct rvhv_fwft {
	bool mis_enable;
	unsigned long mis_flags;
	bool mis_deleg;
};

/* Creation: the features offered; rvhv_fwft_reset() does the rest. */
void rvhv_fwft_init(struct rvhv_vcpu *vcpu);
/* A vCPU reset (HSM start, SUSP, MP_STATE): values and locks cleared. */
void rvhv_fwft_reset(struct rvhv_vcpu *vcpu);
/*
 * ONE_REG SBI_STATE registers of subtype RVHV_REG_RISCV_SBI_FWFT: @num is
 * the number within it; 0, -ENOENT or -EINVAL (kvm.ko's errnos).
 */
int rvhv_fwft_get_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		      unsigned long *val);
int rvhv_fwft_set_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		      unsigned long val);
/*
 * KVM_GET_REG_LIST lists registers 0..RVHV_FWFT_NR_REGS-1 (those of
 * misaligned_deleg) while the vCPU has FWFT enabled.
 */
#define RVHV_FWFT_NR_REGS	3

#endif /* _RVHV_VCPU_SBI_FWFT_H */
