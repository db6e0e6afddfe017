// SPDX-License-Identifier: GPL-2.0
/*
 * Predictive G-stage preloading (fault-around): owns the per-vCPU window
 * (struct rvhv_preload, mmu/preload.h) and the choice of the pages a
 * guest-page fault maps besides its own.
 *
 * What is preloaded.  After the fault path (mmu/fault.c) installed a
 * 4 KiB leaf for frame G of slot S, still under rvhv_mmu.lock, with the
 * invalidation sequence unchanged since before it looked the page up and
 * no MMU-notifier invalidation in progress, frames G+d, G+2d, ... (d the
 * vCPU's stride, signed by its direction), up to the window, are mapped
 * when all of this holds:
 *
 *  - they are in S, and in the same 2 MiB-aligned guest region as G (the
 *    last-level table G's leaf is in: nothing is allocated, and the walk
 *    cache makes it one table pointer);
 *  - the G-stage has no leaf there yet (nothing changes, so no fence);
 *  - the VMM's page tables hold a present, readable user PTE (or PMD
 *    leaf) for the page, not special (no PFN maps, no zero page), not
 *    device memory, of an anonymous or shmem folio (what GUP would give
 *    the fault path; file pages, secretmem and the like are left to it).
 *    The host tables are read locklessly with interrupts off, as GUP-fast
 *    reads them, and nothing is faulted in, allocated, swapped in or
 *    asked of userfaultfd: a page the VMM never populated, or has taken
 *    away, is not mapped, and the guest's access faults to the host as
 *    before.
 *
 * Why that is safe.  Any change to those host PTEs that removes or
 * replaces a page (munmap, mremap, MADV_DONTNEED, migration, reclaim,
 * COW, write-protection for writeback or KSM) is preceded by an
 * MMU-notifier invalidate_range_start, which takes rvhv_mmu.lock, so it
 * either finished before (the sequence check failed and we are not
 * here) or waits until we drop the lock and then unmaps what we mapped,
 * and fences, before the host page can be freed.  A PTE appearing
 * meanwhile (none to present) needs no notifier and is simply a page the
 * VMM now has.
 *
 * Rights.  Writable only if the host PTE is writable and already dirty
 * (the page is known dirty to the host, as the fault path's
 * set_page_dirty_lock() would make it), and the slot neither is
 * read-only nor logs dirty pages: in a logging slot every preloaded page
 * is read-only, so that the guest's first write to it still faults and
 * is logged (mmu/dirty.c).  A read-only preloaded page costs one more
 * fault on the first write, which upgrades it.
 *
 * TLBs.  Preloaded entries were invalid, so no hart can hold a stale
 * translation for them; a hart that cached the invalid entry faults
 * once more, and the fault path's "already mapped" check fences that
 * page locally and re-enters.
 *
 * The window.  Without Svadu (QEMU 7.2 has none) rvhv cannot see which
 * preloaded pages the guest used, so it counts later faults instead, per
 * vCPU, with a sentinel: the last page of each window is left unmapped.
 * A guest that goes through the window the way it was predicted faults
 * exactly there, which confirms the pattern: the window doubles, up to
 * RVHV_PRELOAD_MAX.  A fault inside the window (a page the host did not
 * have) keeps it.  A fault anywhere else means the guest did not reach the
 * sentinel, so the pages before it may well have gone untouched (random
 * access, or one page per 2 MiB): the window halves, down to 0, where a
 * fault costs a few comparisons more than without preloading, and the
 * stride and direction become the last jump's (a stride up to
 * RVHV_PRELOAD_MAX_STRIDE pages, else 1), so that a strided pattern
 * finds its sentinel from the next fault on and grows a window of pages
 * one stride apart.
 *
 * rvhv.preload=0 (module parameter, writable at run time) turns it off.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>

#include "mmu_int.h"

static bool rvhv_preload_on = true;
module_param_named(preload, rvhv_preload_on, bool, 0644);
MODULE_PARM_DESC(preload,
		 "Map the neighbouring pages the VMM already has on a G-stage fault (fault-around)");

/* Update @p with a fault at @gfn; the window to use for it. */
static unsigned int rvhv_preload_learn(struct rvhv_preload *p, u64 gfn)
{
	s64 jump;

	if (!p->valid) {
		p->valid = true;
		p->dir = 1;
		p->stride = 1;
		p->window = RVHV_PRELOAD_INIT;
		return p->window;
	}
	if (gfn == p->next_gfn) {
		/* The sentinel: the pattern holds. */
		p->window = min(max(2 * p->window, 1U), RVHV_PRELOAD_MAX);
	} else if (p->dir > 0 ? gfn > p->last_gfn && gfn < p->next_gfn :
				gfn < p->last_gfn && gfn > p->next_gfn) {
		/* A page of the last window the host did not have. */
	} else {
		p->window /= 2;
		jump = gfn - p->last_gfn;
		p->dir = jump >= 0 ? 1 : -1;
		jump = abs(jump);
		p->stride = jump && jump <= RVHV_PRELOAD_MAX_STRIDE ? jump : 1;
	}
	return p->window;
}

/*
 * May the guest have the page behind host PTE @pte (or a PMD leaf seen as
 * a PTE)?  Its frame in *@pfn, and whether it may be mapped writable.
 */
bool rvhv_preload_pte(pte_t pte, unsigned long *pfn, bool *writable)
{
	const unsigned long need = _PAGE_PRESENT | _PAGE_READ | _PAGE_USER;
	struct folio *folio;

	if ((pte_val(pte) & need) != need || pte_special(pte) ||
	    pte_devmap(pte))
		return false;
	*pfn = pte_pfn(pte);
	if (!pfn_valid(*pfn))
		return false;
	/*
	 * No reference is taken: the host PTE keeps the page, and no
	 * invalidation can get past rvhv_mmu.lock to take it away.
	 */
	folio = page_folio(pfn_to_page(*pfn));
	if (!folio_test_anon(folio) && !folio_test_swapbacked(folio))
		return false;
	*writable = pte_write(pte) && pte_dirty(pte);
	return true;
}

/*
 * Map what the host has of the @n - 1 pages one @step apart after @gfn
 * (the sentinel, the n-th, stays unmapped).  Kept out of rvhv_preload(),
 * which a random fault leaves at once, so that it pays nothing for this.
 */
static noinline unsigned int rvhv_preload_window(struct rvhv_vcpu *vcpu,
						 const struct rvhv_memslot *s,
						 u64 gfn, s64 step,
						 unsigned int n)
{
	struct rvhv_mmu *mmu = &vcpu->vm->mmu;
	struct mm_struct *mm = vcpu->vm->mm;
	bool ro = s->flags & (KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES);
	unsigned long flags, hva, hbase = 1, pfn;
	unsigned int k, mapped = 0;
	unsigned long *table;
	pte_t *ptes = NULL;
	int kind = 0;
	bool w;
	pud_t pud;
	pmd_t pmd;
	pte_t pte;
	u64 g;

	table = rvhv_gstage_leaf_table(mmu, gfn << PAGE_SHIFT);
	if (WARN_ON_ONCE(!table))
		return 0;

	local_irq_save(flags);
	for (k = 1; k < n; k++) {
		g = gfn + step * k;
		if (!rvhv_gstage_none(table, g << PAGE_SHIFT))
			continue;
		hva = s->userspace_addr + ((g - s->base_gfn) << PAGE_SHIFT);
		if ((hva & PMD_MASK) != hbase) {
			hbase = hva & PMD_MASK;
			kind = rvhv_host_walk(mm, hva, &pud, &pmd);
			ptes = NULL;
			if (kind == RVHV_HOST_PMD && !pmd_leaf(pmd))
				ptes = (pte_t *)pmd_page_vaddr(pmd);
		}
		/* Nothing there, or a PUD leaf: left to the fault path. */
		if (ptes)
			pte = ptep_get(ptes + pte_index(hva));
		else if (kind == RVHV_HOST_PMD)
			pte = pmd_pte(pmd);
		else
			continue;
		if (!rvhv_preload_pte(pte, &pfn, &w))
			continue;
		if (!ptes)
			pfn += (hva & ~PMD_MASK) >> PAGE_SHIFT;
		rvhv_gstage_set(table, g << PAGE_SHIFT, pfn, w && !ro);
		mapped++;
	}
	local_irq_restore(flags);
	return mapped;
}

unsigned int rvhv_preload(struct rvhv_vcpu *vcpu,
			  const struct rvhv_memslot *s, u64 gfn)
{
	struct rvhv_preload *p = &vcpu->preload;
	unsigned int window, n;
	u64 edge;
	s64 step;

	lockdep_assert_held(&vcpu->vm->mmu.lock);

	if (!READ_ONCE(rvhv_preload_on))
		return 0;
	window = rvhv_preload_learn(p, gfn);
	step = (s64)p->dir * p->stride;
	p->last_gfn = gfn;
	if (window < 2) {
		/* Nothing to preload: the sentinel is the next page. */
		p->next_gfn = gfn + step;
		return 0;
	}
	/* Pages one stride apart up to the region's or slot's edge. */
	if (p->dir > 0)
		edge = min(s->base_gfn + s->npages - 1, gfn | 511ULL) - gfn;
	else
		edge = gfn - max(s->base_gfn, gfn & ~511ULL);
	n = min_t(u64, window, edge / p->stride);
	/* The sentinel, unmapped: the n-th page, or just past the edge. */
	p->next_gfn = gfn + step * max(n, 1U);
	if (n < 2)
		return 0;
	return rvhv_preload_window(vcpu, s, gfn, step, n);
}
