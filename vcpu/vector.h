/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's vector (V) state: vcpu/vector.c.
 */
#ifndef _RVHV_VECTOR_H
#define _RVHV_VECTOR_H

#include <linux/compiler.h>
#include <linux/kvm.h>
#include <asm/csr.h>

#include "rvhv_int.h"

/* Can this VMM's guests be given V (the host hart, kernel and prctl)? */
bool rvhv_vector_available(void);
/* vCPU creation and free: the register file's buffer (or none). */
int rvhv_vector_init(struct rvhv_vcpu *vcpu);
void rvhv_vector_free(struct rvhv_vcpu *vcpu);
/* A vCPU reset: registers zero, sstatus.VS Initial if it has V. */
void rvhv_vector_reset(struct rvhv_vcpu *vcpu);
/* After ISA_EXT V changed: sstatus.VS follows it. */
void rvhv_vector_sstatus(struct rvhv_vcpu *vcpu);
/* The vsstatus bits a VMM may write for this vCPU (VS with V). */
unsigned long rvhv_vector_vsstatus_bits(struct rvhv_vcpu *vcpu);

/* ONE_REG KVM_REG_RISCV_VECTOR (vcpu->mutex held, not in the guest). */
int rvhv_vector_get_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg);
int rvhv_vector_set_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg);
/* Its KVM_GET_REG_LIST ids into @ids; returns how many. */
unsigned int rvhv_vector_reg_ids(struct rvhv_vcpu *vcpu, u64 *ids);
/* vstart, vl, vtype, vcsr, vlenb and v0..v31 */
#define RVHV_NR_VECTOR_REGS	(5 + 32)

void __rvhv_vector_enter(struct rvhv_vcpu *vcpu);
void __rvhv_vector_exit(struct rvhv_vcpu *vcpu);

/*
 * Around the world switch, with interrupts off: the guest's vector
 * registers go into the hart before it runs, when its sstatus.VS is not
 * Off, and come back out after, when the guest made them Dirty.
 */
static inline void rvhv_vector_enter(struct rvhv_vcpu *vcpu)
{
	if (IS_ENABLED(CONFIG_RISCV_ISA_V) &&
	    (vcpu->ctx.sstatus & SR_VS) != SR_VS_OFF)
		__rvhv_vector_enter(vcpu);
}

static inline void rvhv_vector_exit(struct rvhv_vcpu *vcpu)
{
	if (IS_ENABLED(CONFIG_RISCV_ISA_V) &&
	    (vcpu->ctx.sstatus & SR_VS) == SR_VS_DIRTY)
		__rvhv_vector_exit(vcpu);
}

#endif /* _RVHV_VECTOR_H */
