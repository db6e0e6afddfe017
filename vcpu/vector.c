// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's vector (V) state: what it owns is vcpu->vector (struct
 * __riscv_v_ext_state: vstart, vl, vtype, vcsr, vlenb, and datap, the 32
 * registers of vlenb bytes each, allocated with the vCPU), its switch
 * around the world switch, and ONE_REG KVM_REG_RISCV_VECTOR with kvm.ko's
 * ids, sizes and errnos.
 *
 * The switch is driven by the guest's HS-level sstatus.VS (ctx.sstatus,
 * which the hardware ANDs with the guest's own vsstatus.VS): Off, nothing
 * is done and vector instructions are illegal in the guest; otherwise the
 * registers are loaded into the hart just before each entry (interrupts
 * off) and saved right after the exit only when the guest made them
 * Dirty (then VS goes back to Clean).  Outside that window vcpu->vector is
 * the state, so ONE_REG, preemption and migration to another CPU need
 * nothing more.  They are not kept live in the hart from vcpu_load to
 * vcpu_put as the F/D registers are: between two entries the host kernel
 * may itself use the vector unit (kernel-mode vector: the user copies of
 * 768 bytes and more, for instance rvhv reading an SBI batch from guest
 * memory; crypto or RAID code in a softirq), and it saves only the
 * current task's user state first, not a guest's.  The cost of the reload
 * is one vector load of each register group per entry for a vCPU with V
 * on (four whole-group loads with LMUL=8).
 *
 * The KVM_RUN thread's own vector state is the kernel's: at the first
 * entry the user state still live in the hart, if Dirty, is saved into
 * the task's thread struct, and the task is marked so that the kernel
 * restores it on the way back to user mode (riscv_v_vstate_save() and
 * riscv_v_vstate_set_restore(), what kernel-mode vector does).
 */
#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/hwcap.h>
#include <asm/vector.h>

#include "vector.h"

/* Size field of a register id holding an unsigned long. */
#define RVHV_V_SIZE_ULONG	(IS_ENABLED(CONFIG_32BIT) ? KVM_REG_SIZE_U32 : \
						      KVM_REG_SIZE_U64)

#ifdef CONFIG_RISCV_ISA_V

/*
 * As kvm.ko: also only for a VMM that may use V itself (the prctl
 * PR_RISCV_V_SET_CONTROL state its process runs with).
 */
bool rvhv_vector_available(void)
{
	return has_vector() && riscv_v_vsize &&
	       riscv_isa_extension_available(NULL, v) &&
	       riscv_v_vstate_ctrl_user_allowed();
}

static unsigned long rvhv_vlenb(void)
{
	return riscv_v_vsize / 32;
}

void __rvhv_vector_enter(struct rvhv_vcpu *vcpu)
{
	struct pt_regs *regs = task_pt_regs(current);

	/* The thread's user state: saved if live, restored at return. */
	riscv_v_vstate_save(&current->thread.vstate, regs);
	riscv_v_vstate_set_restore(current, regs);
	__riscv_v_vstate_restore(&vcpu->vector, vcpu->vector.datap);
}

void __rvhv_vector_exit(struct rvhv_vcpu *vcpu)
{
	__riscv_v_vstate_save(&vcpu->vector, vcpu->vector.datap);
	vcpu->ctx.sstatus = (vcpu->ctx.sstatus & ~SR_VS) | SR_VS_CLEAN;
}

#else /* !CONFIG_RISCV_ISA_V */

bool rvhv_vector_available(void)
{
	return false;
}

static unsigned long rvhv_vlenb(void)
{
	return 0;
}

void __rvhv_vector_enter(struct rvhv_vcpu *vcpu)
{
}

void __rvhv_vector_exit(struct rvhv_vcpu *vcpu)
{
}

#endif /* CONFIG_RISCV_ISA_V */

static bool rvhv_vcpu_has_v(struct rvhv_vcpu *vcpu)
{
	return vcpu->vector.datap && test_bit(KVM_RISCV_ISA_EXT_V,
					      vcpu->isa_ext);
}

int rvhv_vector_init(struct rvhv_vcpu *vcpu)
{
	if (!rvhv_vector_available())
		return 0;
	vcpu->vector.datap = kzalloc(32 * rvhv_vlenb(), GFP_KERNEL_ACCOUNT);
	return vcpu->vector.datap ? 0 : -ENOMEM;
}

void rvhv_vector_free(struct rvhv_vcpu *vcpu)
{
	kfree(vcpu->vector.datap);
	vcpu->vector.datap = NULL;
}

void rvhv_vector_sstatus(struct rvhv_vcpu *vcpu)
{
	vcpu->ctx.sstatus &= ~SR_VS;
	if (rvhv_vcpu_has_v(vcpu))
		vcpu->ctx.sstatus |= SR_VS_INITIAL;
}

/* As kvm.ko: every register and CSR zero (vtype e8, m1), vlenb the hart's. */
void rvhv_vector_reset(struct rvhv_vcpu *vcpu)
{
	void *datap = vcpu->vector.datap;

	memset(&vcpu->vector, 0, sizeof(vcpu->vector));
	vcpu->vector.datap = datap;
	if (datap) {
		memset(datap, 0, 32 * rvhv_vlenb());
		vcpu->vector.vlenb = rvhv_vlenb();
	}
	rvhv_vector_sstatus(vcpu);
}

unsigned long rvhv_vector_vsstatus_bits(struct rvhv_vcpu *vcpu)
{
	return rvhv_vcpu_has_v(vcpu) ? SR_VS : 0;
}

/*
 * The register @reg names, for an access of its size: a CSR (vstart, vl,
 * vtype, vcsr, vlenb: unsigned long) or v0..v31 (vlenb bytes).
 */
static int rvhv_vector_reg(struct rvhv_vcpu *vcpu,
			   const struct kvm_one_reg *reg, void **p)
{
	unsigned long num = reg->id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
					KVM_REG_RISCV_TYPE_MASK);
	size_t size = KVM_REG_SIZE(reg->id);
	struct __riscv_v_ext_state *v = &vcpu->vector;

	if (!rvhv_vcpu_has_v(vcpu))
		return -ENOENT;
	if (num < KVM_REG_RISCV_VECTOR_REG(0)) {
		if (size != sizeof(unsigned long))
			return -EINVAL;
		switch (num) {
		case KVM_REG_RISCV_VECTOR_CSR_REG(vstart):
			*p = &v->vstart;
			return 0;
		case KVM_REG_RISCV_VECTOR_CSR_REG(vl):
			*p = &v->vl;
			return 0;
		case KVM_REG_RISCV_VECTOR_CSR_REG(vtype):
			*p = &v->vtype;
			return 0;
		case KVM_REG_RISCV_VECTOR_CSR_REG(vcsr):
			*p = &v->vcsr;
			return 0;
		case KVM_REG_RISCV_VECTOR_CSR_REG(vlenb):
			*p = &v->vlenb;
			return 0;
		}
		return -ENOENT;		/* datap is not a register */
	}
	if (num > KVM_REG_RISCV_VECTOR_REG(31))
		return -ENOENT;
	if (size != v->vlenb)
		return -EINVAL;
	*p = v->datap + (num - KVM_REG_RISCV_VECTOR_REG(0)) * v->vlenb;
	return 0;
}

int rvhv_vector_get_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	void *p;
	int ret;

	ret = rvhv_vector_reg(vcpu, reg, &p);
	if (ret)
		return ret;
	if (copy_to_user((void __user *)(unsigned long)reg->addr, p,
			 KVM_REG_SIZE(reg->id)))
		return -EFAULT;
	return 0;
}

/*
 * vstart, vl, vtype and vcsr are stored as written: loading them into the
 * hart (vsetvl, then CSR writes) keeps the hardware's legal values, as the
 * guest's own writes would.  vlenb is read-only: writing its own value is
 * a no-op, anything else -EINVAL (as kvm.ko).
 */
int rvhv_vector_set_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	unsigned long num = reg->id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
					KVM_REG_RISCV_TYPE_MASK);
	unsigned long val;
	void *p;
	int ret;

	ret = rvhv_vector_reg(vcpu, reg, &p);
	if (ret)
		return ret;
	if (num == KVM_REG_RISCV_VECTOR_CSR_REG(vlenb)) {
		if (copy_from_user(&val, (void __user *)(unsigned long)reg->addr,
				   sizeof(val)))
			return -EFAULT;
		return val == vcpu->vector.vlenb ? 0 : -EINVAL;
	}
	if (copy_from_user(p, (void __user *)(unsigned long)reg->addr,
			   KVM_REG_SIZE(reg->id)))
		return -EFAULT;
	return 0;
}

unsigned int rvhv_vector_reg_ids(struct rvhv_vcpu *vcpu, u64 *ids)
{
	const u64 base = KVM_REG_RISCV | KVM_REG_RISCV_VECTOR;
	unsigned int i, n = 0;
	u64 size;

	if (!rvhv_vcpu_has_v(vcpu))
		return 0;
	for (i = 0; i <= KVM_REG_RISCV_VECTOR_CSR_REG(vlenb); i++)
		ids[n++] = base | RVHV_V_SIZE_ULONG | i;
	/* KVM_REG_SIZE is log2 of the size: vlenb is a power of two. */
	size = (u64)__builtin_ctzl(vcpu->vector.vlenb) << KVM_REG_SIZE_SHIFT;
	for (i = 0; i < 32; i++)
		ids[n++] = base | size | KVM_REG_RISCV_VECTOR_REG(i);
	return n;
}
