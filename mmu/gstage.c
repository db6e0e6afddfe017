// SPDX-License-Identifier: GPL-2.0
/*
 * G-stage page tables and G-stage TLB fences.
 *
 * The tables use the VM's mode (rvhv_mmu.levels: the widest hgatp
 * accepts unless the VMM chose another): Sv39x4, Sv48x4 or Sv57x4, i.e.
 * 3, 4 or 5 levels.  The root has 2048
 * entries (two extra GPA bits), so it is 16 KiB and 16 KiB aligned; every
 * other table is one 4 KiB page of 512 entries.  Leaves are 4 KiB or, where
 * the host maps the memory with a PMD or PUD leaf, 2 MiB or 1 GiB.  Every leaf has
 * U set (the G-stage treats every access as a U-mode one) and A set, and D
 * set when it is writable, so that the hardware never has to update them.
 *
 * All changes are made under rvhv_mmu.lock.  Tables freed by an unmap are
 * collected on a list and freed only after the G-stage TLBs have been
 * fenced (rvhv_gstage_finish(), rvhv_gstage_flush_vm()), so no hart can
 * still be walking them.
 *
 * Dirty logging (mmu/dirty.c) write-protects leaves (rvhv_gstage_wp():
 * clears W and D, the caller fences once), and a 4 KiB mapping inside a
 * 2 MiB leaf splits the leaf: its table gets the 512 translations the leaf
 * had, the one being mapped then changes.  A split changes no
 * translation, so it needs no fence: a stale 2 MiB TLB entry means the
 * same pages with the same rights, and the fault path fences the one page
 * it upgrades locally when it meets one.
 *
 * Walk cache: rvhv_mmu.wc_table remembers the last last-level table a
 * walk reached (the one holding the 4 KiB leaves of a 2 MiB region), so
 * that consecutive lookups, maps, write-protections and unmaps in that
 * region index it directly instead of walking the upper levels (2 to 4 of
 * them, whatever rvhv_mmu.levels is).  Its lifetime rule: the cache is
 * read and written only under rvhv_mmu.lock, and the one place a table
 * leaves the tree, gs_free_table() (called by an unmap under the lock),
 * clears the cache if it names that table.  A table is unlinked and
 * queued for freeing in one critical section, so the cache never names a
 * table that is not linked at its region, let alone a freed one.  Nothing
 * else replaces a last-level table: a 2 MiB leaf is installed only where
 * no table is (-EEXIST).  With rvhv.debug_checks=1 every cache hit is
 * checked against a full walk.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/pgtable.h>

#include "mmu_int.h"

#define GS_PTRS			512	/* entries of a non-root table */
#define GS_ROOT_PTRS		2048	/* entries of the root table */
#define GS_ROOT_ORDER		2	/* the root is 16 KiB */
#define GS_PTE_PPN		GENMASK_ULL(53, _PAGE_PFN_SHIFT)

static inline unsigned int gs_shift(unsigned int level)
{
	return PAGE_SHIFT + 9 * level;
}

static inline unsigned long gs_index(const struct rvhv_mmu *mmu, u64 gpa,
				     unsigned int level)
{
	unsigned long n = level == mmu->levels - 1 ? GS_ROOT_PTRS : GS_PTRS;

	return (gpa >> gs_shift(level)) & (n - 1);
}

/* End of the guest physical address space the tables cover. */
static inline u64 gs_gpa_end(const struct rvhv_mmu *mmu)
{
	return 1ULL << (gs_shift(mmu->levels - 1) + 11);
}

static inline bool gs_present(unsigned long pte)
{
	return pte & _PAGE_PRESENT;
}

static inline bool gs_leaf(unsigned long pte)
{
	return pte & _PAGE_LEAF;
}

static inline unsigned long gs_pfn(unsigned long pte)
{
	return (pte & GS_PTE_PPN) >> _PAGE_PFN_SHIFT;
}

static inline unsigned long *gs_table(unsigned long pte)
{
	return pfn_to_virt(gs_pfn(pte));
}

/* A leaf for @pfn: U and A always, W and D when writable (see above). */
static inline unsigned long gs_leaf_pte(unsigned long pfn, bool writable)
{
	unsigned long pte = (pfn << _PAGE_PFN_SHIFT) | _PAGE_PRESENT |
			    _PAGE_READ | _PAGE_EXEC | _PAGE_USER |
			    _PAGE_ACCESSED;

	return writable ? pte | _PAGE_WRITE | _PAGE_DIRTY : pte;
}

/* The walk cache's tag for @gpa: its 2 MiB region. */
static inline u64 gs_wc_tag(u64 gpa)
{
	return gpa >> gs_shift(1);
}

/* A full walk to the last-level table of @gpa, or NULL. */
static unsigned long *gs_walk_table(struct rvhv_mmu *mmu, u64 gpa)
{
	unsigned long *table = mmu->pgd;
	unsigned long pte;
	unsigned int l;

	for (l = mmu->levels - 1; l > 0; l--) {
		pte = READ_ONCE(table[gs_index(mmu, gpa, l)]);
		if (!gs_present(pte) || gs_leaf(pte))
			return NULL;
		table = gs_table(pte);
	}
	return table;
}

/*
 * The walk cache's last-level table for @gpa if it holds that region,
 * else NULL.  Context: rvhv_mmu.lock held.
 */
static unsigned long *gs_wc_get(struct rvhv_mmu *mmu, u64 gpa)
{
	unsigned long *table = mmu->wc_table;

	if (!table || mmu->wc_tag != gs_wc_tag(gpa))
		return NULL;
	if (READ_ONCE(rvhv_debug_checks))
		WARN_ONCE(gs_walk_table(mmu, gpa) != table,
			  "rvhv: G-stage walk cache names an unlinked table (gpa 0x%llx)\n",
			  gpa);
	mmu->wc_hits++;
	return table;
}

static void gs_wc_set(struct rvhv_mmu *mmu, u64 gpa, unsigned long *table)
{
	mmu->wc_table = table;
	mmu->wc_tag = gs_wc_tag(gpa);
}

/**
 * rvhv_gstage_leaf_table() - the last-level table covering @gpa
 * @mmu: the VM's MMU
 * @gpa: guest physical address
 *
 * From the walk cache, else by a walk (which fills the cache).  For
 * preloading (mmu/preload.c), with rvhv_gstage_none() and
 * rvhv_gstage_set().
 *
 * Context: rvhv_mmu.lock held; the pointer is good until it is dropped.
 * Return: the table, or NULL when there is none (nothing mapped near
 * @gpa, or a 2 MiB leaf maps it).
 */
unsigned long *rvhv_gstage_leaf_table(struct rvhv_mmu *mmu, u64 gpa)
{
	unsigned long *table;

	lockdep_assert_held(&mmu->lock);

	if (gpa >= gs_gpa_end(mmu))
		return NULL;
	table = gs_wc_get(mmu, gpa);
	if (!table) {
		table = gs_walk_table(mmu, gpa);
		if (table)
			gs_wc_set(mmu, gpa, table);
	}
	return table;
}

/*
 * For preloading, in a rvhv_gstage_leaf_table() @table under the same
 * lock hold: is there no leaf for @gpa?  Then install a 4 KiB one.  The
 * entry was invalid, so no TLB holds a translation it changes and no
 * fence is needed.  Context: rvhv_mmu.lock held.
 */
bool rvhv_gstage_none(const unsigned long *table, u64 gpa)
{
	return !gs_present(READ_ONCE(table[(gpa >> PAGE_SHIFT) &
					    (GS_PTRS - 1)]));
}

void rvhv_gstage_set(unsigned long *table, u64 gpa, unsigned long pfn,
		     bool writable)
{
	WRITE_ONCE(table[(gpa >> PAGE_SHIFT) & (GS_PTRS - 1)],
		   gs_leaf_pte(pfn, writable));
}

int rvhv_gstage_init(struct rvhv_mmu *mmu)
{
	struct page *root;

	switch (rvhv_host.hgatp_mode) {
	case HGATP_MODE_SV39X4:
		mmu->levels = 3;
		break;
	case HGATP_MODE_SV48X4:
		mmu->levels = 4;
		break;
	case HGATP_MODE_SV57X4:
		mmu->levels = 5;
		break;
	default:
		return -ENODEV;
	}

	/* Buddy allocations are naturally aligned: 16 KiB aligned. */
	root = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, GS_ROOT_ORDER);
	if (!root)
		return -ENOMEM;
	mmu->pgd = page_address(root);
	mmu->pgd_phys = page_to_phys(root);
	return 0;
}

unsigned long rvhv_mmu_root_ppn(struct rvhv_vm *vm)
{
	return vm->mmu.pgd_phys >> PAGE_SHIFT;
}

/*
 * Make sure the fault path will find enough spare table pages for one
 * 4 KiB mapping.  Allocates outside rvhv_mmu.lock; may sleep.
 */
int rvhv_gstage_cache_topup(struct rvhv_mmu *mmu)
{
	unsigned int need = mmu->levels - 1;
	struct page *page;

	/*
	 * Usually there are enough.  A racing fault may still take them
	 * before the caller maps: rvhv_gstage_map() says -ENOMEM, and the
	 * caller retries.
	 */
	if (READ_ONCE(mmu->cache_nr) >= need)
		return 0;
	for (;;) {
		spin_lock(&mmu->lock);
		if (mmu->cache_nr >= need) {
			spin_unlock(&mmu->lock);
			return 0;
		}
		spin_unlock(&mmu->lock);

		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			return -ENOMEM;

		spin_lock(&mmu->lock);
		if (mmu->cache_nr < RVHV_PT_CACHE) {
			mmu->cache[mmu->cache_nr++] = page;
			page = NULL;
		}
		spin_unlock(&mmu->lock);
		if (page)
			__free_page(page);
	}
}

/*
 * Fill the zeroed @table (at @level) with the translations of @leaf, the
 * leaf one level up that it replaces: same rights, consecutive frames.
 */
static void gs_split(unsigned long *table, unsigned long leaf,
		     unsigned int level)
{
	unsigned long pfn = gs_pfn(leaf), step = 1UL << (9 * level);
	unsigned long bits = leaf & ~GS_PTE_PPN;
	unsigned int i;

	for (i = 0; i < GS_PTRS; i++)
		table[i] = ((pfn + i * step) << _PAGE_PFN_SHIFT) | bits;
}

/**
 * rvhv_gstage_map() - install a leaf
 * @mmu: the VM's MMU
 * @gpa: guest physical address (aligned to the leaf size)
 * @pfn: host frame (aligned to the leaf size)
 * @level: RVHV_GSTAGE_LEVEL_4K, _2M or _1G
 * @writable: map it writable
 * @flush: set when a valid translation was changed so that other harts'
 *	TLBs must be fenced (rvhv_gstage_finish())
 *
 * Intermediate tables come from the page cache (rvhv_gstage_cache_topup()).
 * A larger leaf on the way is replaced by a table holding its translations
 * (split), in which the new leaf is then installed.
 *
 * Context: rvhv_mmu.lock held.
 * Return: 0; -ENOMEM when the page cache ran dry (refill and retry);
 * -EEXIST when a table already exists where a 2 MiB leaf was asked for
 * (map 4 KiB instead).
 */
int rvhv_gstage_map(struct rvhv_mmu *mmu, u64 gpa, unsigned long pfn,
		    unsigned int level, bool writable, bool *flush)
{
	unsigned long *table = mmu->pgd;
	unsigned long *ptep, pte, new;
	unsigned int l;

	lockdep_assert_held(&mmu->lock);

	if (level == RVHV_GSTAGE_LEVEL_4K) {
		table = gs_wc_get(mmu, gpa);
		if (table)
			goto leaf;
		table = mmu->pgd;
	}
	for (l = mmu->levels - 1; l > level; l--) {
		ptep = &table[gs_index(mmu, gpa, l)];
		pte = READ_ONCE(*ptep);
		if (!gs_present(pte) || gs_leaf(pte)) {
			struct page *page;

			if (!mmu->cache_nr)
				return -ENOMEM;
			page = mmu->cache[--mmu->cache_nr];
			mmu->cache[mmu->cache_nr] = NULL;
			mmu->nr_pt_pages++;
			if (gs_present(pte))
				gs_split(page_address(page), pte, l - 1);
			pte = (page_to_pfn(page) << _PAGE_PFN_SHIFT) | _PAGE_TABLE;
			/* The table's contents before the pointer to it. */
			smp_wmb();
			WRITE_ONCE(*ptep, pte);
		}
		table = gs_table(pte);
	}
	if (level == RVHV_GSTAGE_LEVEL_4K)
		gs_wc_set(mmu, gpa, table);
leaf:
	ptep = &table[gs_index(mmu, gpa, level)];
	pte = READ_ONCE(*ptep);
	if (gs_present(pte) && !gs_leaf(pte))
		return -EEXIST;

	new = gs_leaf_pte(pfn, writable);
	if (gs_present(pte) &&
	    (gs_pfn(pte) != pfn || ((pte & _PAGE_WRITE) && !writable)))
		*flush = true;
	WRITE_ONCE(*ptep, new);
	return 0;
}

/*
 * Look up the leaf mapping @gpa.
 * Context: rvhv_mmu.lock held.
 */
bool rvhv_gstage_lookup(struct rvhv_mmu *mmu, u64 gpa, unsigned long *leaf)
{
	unsigned long *table = mmu->pgd, *cached;
	unsigned long pte;
	int l;

	lockdep_assert_held(&mmu->lock);

	if (gpa >= gs_gpa_end(mmu))
		return false;
	l = mmu->levels - 1;
	cached = gs_wc_get(mmu, gpa);
	if (cached) {
		table = cached;
		l = 0;
	}
	for (; l >= 0; l--) {
		pte = READ_ONCE(table[gs_index(mmu, gpa, l)]);
		if (!gs_present(pte))
			return false;
		if (gs_leaf(pte) || !l) {
			*leaf = pte;
			return true;
		}
		table = gs_table(pte);
		if (l == 1)
			gs_wc_set(mmu, gpa, table);
	}
	return false;
}

/* Queue a table (at @level) and every table below it for freeing. */
static void gs_free_table(struct rvhv_mmu *mmu, unsigned long *table,
			  unsigned int level, struct list_head *freed)
{
	struct page *page = virt_to_page(table);
	unsigned long pte;
	unsigned int i;

	if (level) {
		for (i = 0; i < GS_PTRS; i++) {
			pte = READ_ONCE(table[i]);
			if (gs_present(pte) && !gs_leaf(pte))
				gs_free_table(mmu, gs_table(pte), level - 1,
					      freed);
		}
	}
	/* The walk cache's lifetime rule: it never outlives the table. */
	if (table == mmu->wc_table)
		mmu->wc_table = NULL;
	list_add(&page->lru, freed);
	mmu->nr_pt_pages--;
}

static bool gs_unmap(struct rvhv_mmu *mmu, unsigned long *table,
		     unsigned int level, u64 start, u64 end,
		     struct list_head *freed)
{
	u64 span = 1ULL << gs_shift(level);
	bool flush = false;
	u64 addr, base, next;
	unsigned long *ptep, pte;

	for (addr = start; addr < end; addr = next) {
		base = addr & ~(span - 1);
		next = min(base + span, end);
		ptep = &table[gs_index(mmu, addr, level)];
		pte = READ_ONCE(*ptep);
		if (!gs_present(pte))
			continue;
		flush = true;
		if (gs_leaf(pte) || !level) {
			/* A larger leaf goes whole, even if partly covered. */
			WRITE_ONCE(*ptep, 0);
		} else if (addr == base && next == base + span) {
			WRITE_ONCE(*ptep, 0);
			gs_free_table(mmu, gs_table(pte), level - 1, freed);
		} else {
			gs_unmap(mmu, gs_table(pte), level - 1, addr, next,
				 freed);
		}
	}
	return flush;
}

/**
 * rvhv_gstage_unmap() - remove every translation of [@start, @end)
 * @mmu: the VM's MMU
 * @start: first guest physical address
 * @end: end of the range (exclusive)
 * @freed: tables no longer used are added here (page->lru)
 *
 * Tables entirely inside the range are unlinked and queued on @freed.  The
 * caller must call rvhv_gstage_finish() after dropping the lock.
 *
 * Context: rvhv_mmu.lock held.
 * Return: true if anything was unmapped (the TLBs must be fenced).
 */
bool rvhv_gstage_unmap(struct rvhv_mmu *mmu, u64 start, u64 end,
		       struct list_head *freed)
{
	lockdep_assert_held(&mmu->lock);

	end = min(end, gs_gpa_end(mmu));
	if (start >= end)
		return false;
	/*
	 * Part of the cached region: no upper levels, and no table to free
	 * (the whole region goes the long way, which frees its table, so
	 * that a 2 MiB leaf can be mapped there again).
	 */
	if (gs_wc_tag(start) == gs_wc_tag(end - 1) &&
	    end - start < (1ULL << gs_shift(1)) && gs_wc_get(mmu, start))
		return gs_unmap(mmu, mmu->wc_table, 0, start, end, freed);
	return gs_unmap(mmu, mmu->pgd, mmu->levels - 1, start, end, freed);
}

static bool gs_wp(struct rvhv_mmu *mmu, unsigned long *table,
		  unsigned int level, u64 start, u64 end)
{
	u64 span = 1ULL << gs_shift(level);
	bool changed = false;
	u64 addr, next;
	unsigned long *ptep, pte;

	for (addr = start; addr < end; addr = next) {
		next = min((addr & ~(span - 1)) + span, end);
		ptep = &table[gs_index(mmu, addr, level)];
		pte = READ_ONCE(*ptep);
		if (!gs_present(pte))
			continue;
		if (gs_leaf(pte) || !level) {
			/* A larger leaf loses W whole, even if partly covered. */
			if (pte & _PAGE_WRITE) {
				WRITE_ONCE(*ptep,
					   pte & ~(_PAGE_WRITE | _PAGE_DIRTY));
				changed = true;
			}
		} else {
			changed |= gs_wp(mmu, gs_table(pte), level - 1, addr,
					 next);
		}
	}
	return changed;
}

/**
 * rvhv_gstage_wp() - write-protect every translation of [@start, @end)
 * @mmu: the VM's MMU
 * @start: first guest physical address
 * @end: end of the range (exclusive)
 *
 * Clears W (and D) in every leaf mapping part of the range; nothing is
 * unmapped or freed.  The caller fences (rvhv_gstage_flush_vm()) after
 * dropping the lock if this returned true, once for any number of calls.
 *
 * Context: rvhv_mmu.lock held.
 * Return: true if a leaf changed.
 */
bool rvhv_gstage_wp(struct rvhv_mmu *mmu, u64 start, u64 end)
{
	lockdep_assert_held(&mmu->lock);

	end = min(end, gs_gpa_end(mmu));
	if (start >= end)
		return false;
	if (gs_wc_tag(start) == gs_wc_tag(end - 1) && gs_wc_get(mmu, start))
		return gs_wp(mmu, mmu->wc_table, 0, start, end);
	return gs_wp(mmu, mmu->pgd, mmu->levels - 1, start, end);
}

static void gs_count(const struct rvhv_mmu *mmu, unsigned long *table,
		     unsigned int level, unsigned long *leaves)
{
	unsigned long n = level == mmu->levels - 1 ? GS_ROOT_PTRS : GS_PTRS;
	unsigned long i, pte;

	for (i = 0; i < n; i++) {
		pte = READ_ONCE(table[i]);
		if (!gs_present(pte))
			continue;
		if (gs_leaf(pte) || !level)
			leaves[min(level, 2U)]++;
		else
			gs_count(mmu, gs_table(pte), level - 1, leaves);
	}
}

/*
 * Count the VM's leaves: @leaves[0] 4 KiB, [1] 2 MiB, [2] 1 GiB (rvhv
 * maps no larger ones).  Walks every table under rvhv_mmu.lock: for
 * debugfs.
 */
void rvhv_gstage_count(struct rvhv_mmu *mmu, unsigned long leaves[3])
{
	leaves[0] = leaves[1] = leaves[2] = 0;
	spin_lock(&mmu->lock);
	if (mmu->pgd)
		gs_count(mmu, mmu->pgd, mmu->levels - 1, leaves);
	spin_unlock(&mmu->lock);
}

/*
 * Fence the VM's G-stage translations wherever they may be cached: at once
 * on every CPU where one of its vCPUs is loaded (an IPI, which also pushes
 * a running vCPU out of the guest), and before the VM next runs on any
 * other (mmu/tlb.c, rule 3).  Tables an unmap freed are never walked
 * again: only a CPU whose hgatp points at the VM's root walks them, and
 * such a CPU has either been fenced or flushes first.
 *
 * Context: process context, interrupts enabled, no spinlock held.
 */
void rvhv_gstage_flush_vm(struct rvhv_vm *vm)
{
	static const struct rvhv_fence f = { .ops = RVHV_FENCE_GVMA };

	atomic64_inc(&vm->stat.fence_reqs);
	atomic64_inc(&vm->stat.remote_tlb_flush_requests);
	rvhv_tlb_fence_vm(vm, &f);
	atomic64_inc(&vm->stat.remote_tlb_flush);
}

/*
 * Fence one guest page on this hart after installing its translation (the
 * hardware may have cached the invalid entry).  Preemption disabled.
 */
void rvhv_gstage_flush_local(struct rvhv_vm *vm, u64 gpa)
{
	rvhv_tlb_gvma_local(vm, gpa);
}

/*
 * After rvhv_gstage_unmap() (lock dropped): fence every hart if anything
 * was unmapped, then free the tables that were unlinked.
 */
void rvhv_gstage_finish(struct rvhv_vm *vm, bool flush,
			struct list_head *freed)
{
	struct page *page, *tmp;

	if (flush || !list_empty(freed))
		rvhv_gstage_flush_vm(vm);
	list_for_each_entry_safe(page, tmp, freed, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

int rvhv_gstage_map_mmio(struct rvhv_vm *vm, u64 gpa, phys_addr_t pa)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	bool flush = false;
	int ret;

	/* Beyond the VM's GPA width the tables would alias a lower GPA. */
	if (gpa >= gs_gpa_end(mmu))
		return -EINVAL;
	do {
		ret = rvhv_gstage_cache_topup(mmu);
		if (ret)
			return ret;
		spin_lock(&mmu->lock);
		ret = rvhv_gstage_map(mmu, gpa & PAGE_MASK, PHYS_PFN(pa),
				      RVHV_GSTAGE_LEVEL_4K, true, &flush);
		spin_unlock(&mmu->lock);
	} while (ret == -ENOMEM);
	/* Harts may hold what was there before, RAM or an old file. */
	rvhv_gstage_flush_vm(vm);
	return ret;
}

void rvhv_gstage_unmap_page(struct rvhv_vm *vm, u64 gpa)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	LIST_HEAD(freed);
	bool flush;

	spin_lock(&mmu->lock);
	flush = rvhv_gstage_unmap(mmu, gpa & PAGE_MASK,
				  (gpa & PAGE_MASK) + PAGE_SIZE, &freed);
	spin_unlock(&mmu->lock);
	rvhv_gstage_finish(vm, flush, &freed);
}

/* Free every table, the root and the page cache (VM destruction). */
void rvhv_gstage_free(struct rvhv_vm *vm)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	LIST_HEAD(freed);
	bool flush;
	unsigned int i;

	if (!mmu->pgd)
		return;

	spin_lock(&mmu->lock);
	flush = rvhv_gstage_unmap(mmu, 0, gs_gpa_end(mmu), &freed);
	spin_unlock(&mmu->lock);
	rvhv_gstage_finish(vm, flush, &freed);
	WARN_ON_ONCE(mmu->nr_pt_pages);

	WARN_ON_ONCE(mmu->wc_table);
	free_pages((unsigned long)mmu->pgd, GS_ROOT_ORDER);
	mmu->pgd = NULL;
	mmu->pgd_phys = 0;

	for (i = 0; i < mmu->cache_nr; i++)
		__free_page(mmu->cache[i]);
	mmu->cache_nr = 0;
}
