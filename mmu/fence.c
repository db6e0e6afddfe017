// SPDX-License-Identifier: GPL-2.0
/*
 * Remote fences for SBI RFENCE: done on every host CPU any vCPU of the VM
 * has run on (vm->ran_on), synchronously, before the SBI call returns.
 * VS-stage TLB entries are tagged with the VM's VMID, so each CPU points
 * hgatp.VMID at the VM for the HFENCE.VVMA and puts hgatp back after.
 */
#include <linux/smp.h>
#include <asm/cacheflush.h>
#include <asm/csr.h>
#include <asm/insn-def.h>

#include "../rvhv_int.h"

/* Above this many pages a range fence becomes a full one. */
#define RVHV_FENCE_MAX_PAGES	64

struct rvhv_fence {
	unsigned long vmid;
	unsigned long start;
	unsigned long size;
	unsigned long asid;
	bool use_asid;
};

static void rvhv_local_fence_i(void *unused)
{
	local_flush_icache_all();
}

static void rvhv_local_fence_vvma(void *arg)
{
	const struct rvhv_fence *f = arg;
	/* Fixed registers: checkpatch cannot parse "%0" in the macros. */
	register unsigned long va asm("a0");
	register unsigned long asid asm("a1") = f->asid;
	unsigned long hgatp, end;

	hgatp = csr_swap(CSR_HGATP, (f->vmid << HGATP_VMID_SHIFT) & HGATP_VMID);
	if (f->size == -1UL || f->size > RVHV_FENCE_MAX_PAGES * PAGE_SIZE ||
	    (!f->start && !f->size)) {
		if (f->use_asid)
			asm volatile(HFENCE_VVMA(zero, a1)
				     : : "r" (asid) : "memory");
		else
			asm volatile(HFENCE_VVMA(zero, zero) : : : "memory");
	} else {
		end = f->start + f->size;
		for (va = f->start & PAGE_MASK; va < end; va += PAGE_SIZE) {
			if (f->use_asid)
				asm volatile(HFENCE_VVMA(a0, a1)
					     : : "r" (va), "r" (asid)
					     : "memory");
			else
				asm volatile(HFENCE_VVMA(a0, zero)
					     : : "r" (va) : "memory");
		}
	}
	csr_write(CSR_HGATP, hgatp);
}

void rvhv_fence_i(struct rvhv_vm *vm)
{
	on_each_cpu_mask(&vm->ran_on, rvhv_local_fence_i, NULL, 1);
}

static void rvhv_fence(struct rvhv_vm *vm, struct rvhv_fence *f)
{
	/*
	 * A VMID of a stale generation has no TLB entries left anywhere
	 * (the rollover flushed every hart); fencing it is harmless.
	 */
	f->vmid = rvhv_vmid_of(READ_ONCE(vm->vmid.word));
	on_each_cpu_mask(&vm->ran_on, rvhv_local_fence_vvma, f, 1);
}

void rvhv_fence_vvma(struct rvhv_vm *vm, unsigned long start,
		     unsigned long size)
{
	struct rvhv_fence f = { .start = start, .size = size };

	rvhv_fence(vm, &f);
}

void rvhv_fence_vvma_asid(struct rvhv_vm *vm, unsigned long start,
			  unsigned long size, unsigned long asid)
{
	struct rvhv_fence f = {
		.start = start, .size = size, .asid = asid, .use_asid = true,
	};

	rvhv_fence(vm, &f);
}
