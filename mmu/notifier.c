// SPDX-License-Identifier: GPL-2.0
/*
 * MMU notifier: keep the G-stage a subset of the VMM's mapping.
 *
 * When the VMM's page tables change over a range (munmap, madvise
 * DONTNEED, mprotect, migration, COW, reclaim, ...), invalidate_range_start
 * unmaps every guest page whose memslot maps into the range and fences all
 * harts' G-stage TLBs before it returns, i.e. before the host page can be
 * freed or reused; invalidate_range_end then lets faults install
 * translations again.  The fault path (mmu/fault.c) samples
 * invalidate_seq before looking up the host page and installs a PTE only if,
 * under rvhv_mmu.lock, no invalidation is in progress and invalidate_seq is
 * unchanged, so a host page looked up before or during an invalidation is
 * never mapped after it.
 *
 * .release (the mm's exit) unmaps everything for good.
 *
 * No page references are kept: the notifier is what guarantees that a
 * mapped host page is still the VMM's.  Accessed-bit aging is not
 * forwarded (no clear_young/test_young): reclaim may pick pages the guest
 * uses, which costs performance only.
 */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include "mmu_int.h"

static struct rvhv_mmu *rvhv_mn_mmu(struct mmu_notifier *mn)
{
	return container_of(mn, struct rvhv_mmu, mn);
}

/*
 * Unmap every guest page mapped through VMM addresses [start, end).
 * Context: rvhv_mmu.lock held.
 */
static bool rvhv_unmap_hva_range(struct rvhv_mmu *mmu, unsigned long start,
				 unsigned long end, struct list_head *freed)
{
	unsigned long ua, uend, hs, he;
	struct rvhv_memslot *s;
	bool flush = false;
	unsigned int i;
	u64 gpa;

	for (i = 0; i < mmu->nr_slots; i++) {
		s = mmu->sorted[i];
		ua = s->userspace_addr;
		uend = ua + (s->npages << PAGE_SHIFT);
		if (start >= uend || end <= ua)
			continue;
		hs = max(start, ua);
		he = min(end, uend);
		gpa = s->base_gfn << PAGE_SHIFT;
		flush |= rvhv_gstage_unmap(mmu, gpa + ((hs - ua) & PAGE_MASK),
					   gpa + PAGE_ALIGN(he - ua), freed);
	}
	return flush;
}

static int rvhv_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct rvhv_mmu *mmu = rvhv_mn_mmu(mn);
	LIST_HEAD(freed);
	bool flush;

	/* Neither sleeps: fine for non-blockable ranges too. */
	spin_lock(&mmu->lock);
	mmu->invalidate_in_progress++;
	flush = rvhv_unmap_hva_range(mmu, range->start, range->end, &freed);
	spin_unlock(&mmu->lock);
	rvhv_gstage_finish(rvhv_mmu_vm(mmu), flush, &freed);
	return 0;
}

static void rvhv_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct rvhv_mmu *mmu = rvhv_mn_mmu(mn);

	spin_lock(&mmu->lock);
	mmu->invalidate_seq++;
	/* Paired with start (registration excludes half-done pairs). */
	if (mmu->invalidate_in_progress)
		mmu->invalidate_in_progress--;
	spin_unlock(&mmu->lock);
}

static void rvhv_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rvhv_mmu *mmu = rvhv_mn_mmu(mn);
	LIST_HEAD(freed);
	bool flush;

	spin_lock(&mmu->lock);
	mmu->dead = true;
	mmu->invalidate_seq++;
	flush = rvhv_gstage_unmap(mmu, 0, U64_MAX, &freed);
	spin_unlock(&mmu->lock);
	rvhv_gstage_finish(rvhv_mmu_vm(mmu), flush, &freed);
}

static const struct mmu_notifier_ops rvhv_mn_ops = {
	.release		= rvhv_mn_release,
	.invalidate_range_start	= rvhv_mn_invalidate_range_start,
	.invalidate_range_end	= rvhv_mn_invalidate_range_end,
};

/* At VM creation: vm->mm is current->mm, so it has users. */
int rvhv_mmu_notifier_register(struct rvhv_vm *vm)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	int ret;

	mmu->mn.ops = &rvhv_mn_ops;
	ret = mmu_notifier_register(&mmu->mn, vm->mm);
	if (!ret)
		mmu->mn_registered = true;
	return ret;
}

/*
 * At VM destruction.  Works whether or not the mm has exited: vm->mm is
 * still mmgrab'ed by the VM, and the notifier holds its own mm_count
 * reference until here.  Calls .release if exit_mmap() has not, and waits
 * for callbacks in flight.
 */
void rvhv_mmu_notifier_unregister(struct rvhv_vm *vm)
{
	struct rvhv_mmu *mmu = &vm->mmu;

	if (!mmu->mn_registered)
		return;
	mmu_notifier_unregister(&mmu->mn, vm->mm);
	mmu->mn_registered = false;
}
