// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI calls from the guest (ecall from VS-mode).
 *
 * The dispatch: find the extension of a7, check that this vCPU has it
 * enabled, run its handler, write a0/a1 and step over the ecall, or leave
 * for userspace.  The extensions themselves are in vcpu/sbi_*.c.
 *
 * The observable behaviour is that of kvm.ko in Linux 6.12
 * (arch/riscv/kvm/vcpu_sbi.c, kvm_riscv_vcpu_sbi_ecall()):
 *  - an unknown or disabled extension: a0 = SBI_ERR_NOT_SUPPORTED, a1 = 0,
 *    pc += 4, in the kernel (never an exit);
 *  - a call handled in the kernel: a0 = error, a1 = value (legacy v0.1
 *    calls leave a1 alone), pc += 4;
 *  - an exit to userspace leaves a0, a1 and pc alone; a forwarded call
 *    (KVM_EXIT_RISCV_SBI) is completed on the next KVM_RUN by
 *    rvhv_sbi_complete(), a system event (KVM_EXIT_SYSTEM_EVENT) is not;
 *  - a legacy call whose hart mask read trapped: the trap goes to the
 *    guest, pc at its vector, a0/a1 untouched.
 * rvhv's own extension (RVHV_SBI_EXT, sbi_batch.c) exists for the guest
 * only when the VMM enabled it (vm->caps).
 */
#include <linux/kvm.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "observe/trace.h"
#include "vcpu/sbi.h"

/* Every extension rvhv implements, by KVM_RISCV_SBI_EXT_* id. */
static const struct rvhv_sbi_ext *const rvhv_sbi_exts[RVHV_SBI_EXT_MAX] = {
	[KVM_RISCV_SBI_EXT_V01]		 = &rvhv_sbi_ext_v01,
	[KVM_RISCV_SBI_EXT_TIME]	 = &rvhv_sbi_ext_time,
	[KVM_RISCV_SBI_EXT_IPI]		 = &rvhv_sbi_ext_ipi,
	[KVM_RISCV_SBI_EXT_RFENCE]	 = &rvhv_sbi_ext_rfence,
	[KVM_RISCV_SBI_EXT_HSM]		 = &rvhv_sbi_ext_hsm,
	[KVM_RISCV_SBI_EXT_SRST]	 = &rvhv_sbi_ext_srst,
	[KVM_RISCV_SBI_EXT_EXPERIMENTAL] = &rvhv_sbi_ext_experimental,
	[KVM_RISCV_SBI_EXT_VENDOR]	 = &rvhv_sbi_ext_vendor,
	[KVM_RISCV_SBI_EXT_DBCN]	 = &rvhv_sbi_ext_dbcn,
	[KVM_RISCV_SBI_EXT_STA]		 = &rvhv_sbi_ext_sta,
	[RVHV_RISCV_SBI_EXT_SUSP]	 = &rvhv_sbi_ext_susp,
	[KVM_RISCV_SBI_EXT_PMU]		 = &rvhv_sbi_ext_pmu,
	[RVHV_RISCV_SBI_EXT_FWFT]	 = &rvhv_sbi_ext_fwft,
};

/* The extension an SBI extension id belongs to: a switch, no search. */
static const struct rvhv_sbi_ext *rvhv_sbi_lookup(unsigned long eid)
{
	switch (eid) {
	case SBI_EXT_BASE:
		return &rvhv_sbi_ext_base;
	case SBI_EXT_EXPERIMENTAL_START ... SBI_EXT_EXPERIMENTAL_END:
		return &rvhv_sbi_ext_experimental;
	case SBI_EXT_TIME:
		return &rvhv_sbi_ext_time;
	case SBI_EXT_IPI:
		return &rvhv_sbi_ext_ipi;
	case SBI_EXT_RFENCE:
		return &rvhv_sbi_ext_rfence;
	case SBI_EXT_HSM:
		return &rvhv_sbi_ext_hsm;
	case RVHV_SBI_V01_SET_TIMER ... RVHV_SBI_V01_SHUTDOWN:
		return &rvhv_sbi_ext_v01;
	case SBI_EXT_SRST:
		return &rvhv_sbi_ext_srst;
	case SBI_EXT_DBCN:
		return &rvhv_sbi_ext_dbcn;
	case SBI_EXT_STA:
		return &rvhv_sbi_ext_sta;
	case SBI_EXT_SUSP:
		return &rvhv_sbi_ext_susp;
	case SBI_EXT_PMU:
		return &rvhv_sbi_ext_pmu;
	case RVHV_SBI_EXT_FWFT_ID:
		return &rvhv_sbi_ext_fwft;
	case SBI_EXT_VENDOR_START ... SBI_EXT_VENDOR_END:
		return &rvhv_sbi_ext_vendor;
	case RVHV_SBI_EXT:
		return &rvhv_sbi_ext_rvhv;
	default:
		return NULL;
	}
}

/* Inline in the ecall paths (the fast path's round trip counts it). */
static __always_inline const struct rvhv_sbi_ext *
rvhv_sbi_enabled(struct rvhv_vcpu *vcpu, unsigned long eid)
{
	const struct rvhv_sbi_ext *ext = rvhv_sbi_lookup(eid);

	/*
	 * vcpu->sbi_ext only ever holds available extensions (ONE_REG
	 * refuses the others), so the bit is the whole test.
	 */
	if (!ext)
		return NULL;
	if (ext->kvm_ext != RVHV_SBI_EXT_ALWAYS &&
	    !test_bit(ext->kvm_ext, vcpu->sbi_ext))
		return NULL;
	if (ext->vm_cap && !(READ_ONCE(vcpu->vm->caps) & ext->vm_cap))
		return NULL;
	return ext;
}

const struct rvhv_sbi_ext *rvhv_sbi_find_enabled(struct rvhv_vcpu *vcpu,
						 unsigned long eid)
{
	return rvhv_sbi_enabled(vcpu, eid);
}

bool rvhv_sbi_batchable_always(struct rvhv_vcpu *vcpu)
{
	return true;
}

bool rvhv_sbi_irqs_off_always(struct rvhv_vcpu *vcpu)
{
	return true;
}

static_assert(RVHV_MAX_VCPUS <= BITS_PER_LONG);

long rvhv_sbi_hart_mask(struct rvhv_vcpu *vcpu, unsigned long hmask,
			unsigned long hbase, unsigned long *targets)
{
	struct rvhv_vm *vm = vcpu->vm;
	unsigned long bit, id, out = 0;
	long err = SBI_SUCCESS;

	if (hbase == -1UL) {
		for (id = 0; id < RVHV_MAX_VCPUS; id++)
			if (rvhv_vm_vcpu(vm, id))
				out |= BIT(id);
		*targets = out;
		return SBI_SUCCESS;
	}
	for_each_set_bit(bit, &hmask, BITS_PER_LONG) {
		id = hbase + bit;
		/* id < hbase: the sum wrapped around; no such hart. */
		if (id < hbase || id >= RVHV_MAX_VCPUS ||
		    !rvhv_vm_vcpu(vm, id)) {
			err = SBI_ERR_INVALID_PARAM;
			continue;
		}
		out |= BIT(id);
	}
	*targets = out;
	return err;
}

/*
 * The call in vcpu->ctx.gpr to @ext (NULL: not enabled for this vCPU).
 * Inline in both ecall paths: the fast path's round trip counts it.
 */
static __always_inline int rvhv_sbi_call(struct rvhv_vcpu *vcpu,
					 const struct rvhv_sbi_ext *ext)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	struct rvhv_sbi_ret ret = { };
	int rc;

	if (unlikely(!ext)) {
		vcpu->stat.sbi[RVHV_STAT_SBI_UNSUPPORTED]++;
		gpr[RVHV_REG_A0] = SBI_ERR_NOT_SUPPORTED;
		gpr[RVHV_REG_A1] = 0;
		goto done;
	}
	vcpu->stat.sbi[ext->stat]++;

	rc = ext->handler(vcpu, &ret);
	if (unlikely(rc < 0))
		return rc;
	if (ret.uexit) {
		trace_rvhv_sbi(vcpu, gpr[RVHV_REG_A7], gpr[RVHV_REG_A6], 0, 0,
			       RVHV_TRACE_SBI_USER);
		vcpu->stat.sbi_user++;
		return 0;
	}
	if (ret.keep_pc) {
		trace_rvhv_sbi(vcpu, gpr[RVHV_REG_A7], gpr[RVHV_REG_A6],
			       gpr[RVHV_REG_A0], gpr[RVHV_REG_A1],
			       RVHV_TRACE_SBI_RETRY);
		vcpu->stat.sbi_kernel++;
		return 1;
	}

	gpr[RVHV_REG_A0] = ret.error;
	if (!ext->legacy)
		gpr[RVHV_REG_A1] = ret.value;
done:
	trace_rvhv_sbi(vcpu, gpr[RVHV_REG_A7], gpr[RVHV_REG_A6],
		       gpr[RVHV_REG_A0], gpr[RVHV_REG_A1], RVHV_TRACE_SBI_KERNEL);
	gpr[RVHV_REG_PC] += 4;	/* ecall has no compressed form */
	vcpu->stat.sbi_kernel++;
	return 1;
}

int rvhv_sbi_ecall(struct rvhv_vcpu *vcpu)
{
	return rvhv_sbi_call(vcpu, rvhv_sbi_enabled(vcpu,
					vcpu->ctx.gpr[RVHV_REG_A7]));
}

/*
 * The exit fast path's (trap/fastpath.c): the call, if its extension
 * says it may run with interrupts off (an unknown or disabled one may:
 * it only writes an error), else RVHV_FAST_DECLINED with nothing done.
 */
int rvhv_sbi_ecall_fast(struct rvhv_vcpu *vcpu)
{
	const struct rvhv_sbi_ext *ext;

	ext = rvhv_sbi_enabled(vcpu, vcpu->ctx.gpr[RVHV_REG_A7]);
	if (ext && !(ext->irqs_off && ext->irqs_off(vcpu)))
		return RVHV_FAST_DECLINED;
	return rvhv_sbi_call(vcpu, ext);
}

/*
 * Called by KVM_RUN when vcpu->pending == RVHV_PENDING_SBI.  Like kvm.ko
 * (kvm_riscv_vcpu_sbi_return()), only if run->exit_reason still says
 * KVM_EXIT_RISCV_SBI: userspace that rewrote it gets the ecall executed
 * again instead.  The caller clears vcpu->pending, so this runs once.
 */
void rvhv_sbi_complete(struct rvhv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned long *gpr = vcpu->ctx.gpr;

	if (READ_ONCE(run->exit_reason) != KVM_EXIT_RISCV_SBI)
		return;
	gpr[RVHV_REG_A0] = READ_ONCE(run->riscv_sbi.ret[0]);
	gpr[RVHV_REG_A1] = READ_ONCE(run->riscv_sbi.ret[1]);
	trace_rvhv_sbi(vcpu, gpr[RVHV_REG_A7], gpr[RVHV_REG_A6],
		       gpr[RVHV_REG_A0], gpr[RVHV_REG_A1],
		       RVHV_TRACE_SBI_USER_DONE);
	gpr[RVHV_REG_PC] += 4;
}

bool rvhv_sbi_ext_available(unsigned int kvm_ext)
{
	const struct rvhv_sbi_ext *ext;

	if (kvm_ext >= RVHV_SBI_EXT_MAX)
		return false;
	ext = rvhv_sbi_exts[kvm_ext];
	return ext && (!ext->available || ext->available());
}

bool rvhv_sbi_ext_default_on(unsigned int kvm_ext)
{
	return rvhv_sbi_ext_available(kvm_ext) &&
	       !rvhv_sbi_exts[kvm_ext]->default_off;
}
