// SPDX-License-Identifier: GPL-2.0
/*
 * Remote fences for SBI RFENCE (and the legacy v0.1 fences).
 *
 * A fence is done for the whole VM, before the SBI call returns: at once,
 * by IPI, on every host CPU where one of the VM's vCPUs is loaded, and
 * before the VM next runs on any other CPU (mmu/tlb.c, rule 3).  CPUs
 * running other VMs, or nothing, are not disturbed.
 *
 * Inside an RVHV_SBI_BATCH the calls of a run of consecutive fences are
 * merged into one (vcpu->fence_acc) and done before the batch's next other
 * call, or before the batch returns: nothing the guest can observe happens
 * in between, since its hart does not run until the batch returns.  A
 * merged range wider than RVHV_FENCE_MAX_PAGES pages becomes a full fence,
 * and different ASIDs one for every ASID: a batch of 64 fences costs the
 * other CPUs one IPI each, not 64.
 */
#include <linux/minmax.h>

#include "../rvhv_int.h"


/*
 * An SBI range, as [start, start + size) or everything (size -1UL).
 * A range whose end wraps past the top of the address space means
 * nothing in SBI: it becomes a full fence, which covers any reading of
 * it.  Rejecting it (SBI_ERR_INVALID_ADDRESS) would answer differently
 * from kvm.ko, which returns SBI_SUCCESS for every range (and silently
 * fences nothing for a wrapping one).  A range that ends inside the last
 * page does not wrap; rvhv_tlb_fence_local() counts its pages.
 */
static void rvhv_fence_range(struct rvhv_fence *f, unsigned long start,
			     unsigned long size)
{
	if (size == -1UL || (!start && !size) ||
	    size > RVHV_FENCE_MAX_PAGES * PAGE_SIZE || start + size < start) {
		f->start = 0;
		f->size = -1UL;
	} else {
		f->start = start;
		f->size = size;
	}
}

/* Merge @f into @acc: a fence that does at least what both do. */
static void rvhv_fence_merge(struct rvhv_fence *acc,
			     const struct rvhv_fence *f)
{
	unsigned long start, end;

	if (!(acc->ops & RVHV_FENCE_VVMA)) {
		acc->start = f->start;
		acc->size = f->size;
		acc->asid = f->asid;
		acc->use_asid = f->use_asid;
	} else if (f->ops & RVHV_FENCE_VVMA) {
		if (acc->use_asid && (!f->use_asid || f->asid != acc->asid))
			acc->use_asid = false;
		if (acc->size == -1UL || f->size == -1UL) {
			acc->start = 0;
			acc->size = -1UL;
		} else {
			start = min(acc->start, f->start);
			end = max(acc->start + acc->size, f->start + f->size);
			rvhv_fence_range(acc, start, end - start);
		}
	}
	acc->ops |= f->ops;
}

static void rvhv_fence(struct rvhv_vcpu *vcpu, const struct rvhv_fence *f)
{
	struct rvhv_vm *vm = vcpu->vm;

	atomic64_inc(&vm->stat.fence_reqs);
	if (vcpu->fence_defer) {
		rvhv_fence_merge(&vcpu->fence_acc, f);
		return;
	}
	rvhv_tlb_fence_vm(vm, f);
}

void rvhv_fence_flush(struct rvhv_vcpu *vcpu)
{
	struct rvhv_fence *acc = &vcpu->fence_acc;

	if (!acc->ops)
		return;
	rvhv_tlb_fence_vm(vcpu->vm, acc);
	memset(acc, 0, sizeof(*acc));
}

void rvhv_fence_i(struct rvhv_vcpu *vcpu)
{
	struct rvhv_fence f = { .ops = RVHV_FENCE_I };

	rvhv_fence(vcpu, &f);
}

void rvhv_fence_vvma(struct rvhv_vcpu *vcpu, unsigned long start,
		     unsigned long size)
{
	struct rvhv_fence f = { .ops = RVHV_FENCE_VVMA };

	rvhv_fence_range(&f, start, size);
	rvhv_fence(vcpu, &f);
}

void rvhv_fence_vvma_asid(struct rvhv_vcpu *vcpu, unsigned long start,
			  unsigned long size, unsigned long asid)
{
	struct rvhv_fence f = {
		.ops = RVHV_FENCE_VVMA, .asid = asid, .use_asid = true,
	};

	rvhv_fence_range(&f, start, size);
	rvhv_fence(vcpu, &f);
}
