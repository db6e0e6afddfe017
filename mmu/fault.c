// SPDX-License-Identifier: GPL-2.0
/*
 * G-stage faults: map the VMM's page behind a guest physical address.
 *
 * The fault is served in the KVM_RUN thread, whose mm is the VM's:
 *
 * 1. Under rvhv_mmu.lock: find the memslot (none: MMIO; a write to a
 *    read-only slot: MMIO), return at once if the translation is already
 *    there (another vCPU, or a stale TLB entry), and sample invalidate_seq.
 * 2. Without locks: get the host page with GUP, which faults it in with
 *    the VMA's permissions, breaks COW on a write, and waits for
 *    userfaultfd.  A write fault (or, in a slot that does not log dirty
 *    pages, a read fault whose page the host already maps writable) maps
 *    it writable; anything else read-only, and a later write fault
 *    upgrades it.
 * 3. Under rvhv_mmu.lock: if an MMU-notifier invalidation started or
 *    finished since step 1, or the slot changed (its flags change with
 *    invalidate_seq bumped), give up (the guest faults again).  Otherwise
 *    the host's page tables for this address cannot change before we drop
 *    the lock, so we may check whether the host maps the surrounding 1 GiB
 *    or 2 MiB with one leaf (THP or hugetlb) and install a 1 GiB, 2 MiB or
 *    4 KiB leaf.  A slot that logs dirty pages gets 4 KiB leaves only, and
 *    a page of it is made writable only after its write has been logged,
 *    in the same critical section (mmu/dirty.c); a full dirty ring leaves
 *    it unmapped.
 *    A new 4 KiB leaf is followed, in the same critical section, by
 *    preloading (mmu/preload.c): neighbouring pages the VMM's page tables
 *    already hold are mapped too.
 * 4. Drop the page reference: from now on the notifier keeps the mapping
 *    honest.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>

#include "mmu_int.h"
#include "../observe/trace.h"

/* Could [gpa & ~(@size - 1), + @size) be one leaf, as far as the slot goes? */
static bool rvhv_slot_allows(const struct rvhv_memslot *s, u64 gpa,
			     unsigned long hva, u64 size)
{
	u64 start = s->base_gfn << PAGE_SHIFT;
	u64 end = start + (s->npages << PAGE_SHIFT);
	u64 base = gpa & ~(size - 1);

	if ((gpa ^ hva) & (size - 1))
		return false;
	return base >= start && base + size <= end;
}

/*
 * Read the host's entries for @hva down to the PMD, locklessly as GUP-fast
 * does: the caller keeps interrupts off, which keeps the tables from being
 * freed (riscv frees them after an RCU grace period / IPI).  Returns
 * RVHV_HOST_PUD with *@pud a present PUD leaf, RVHV_HOST_PMD with *@pmd the
 * PMD entry (present: a leaf or a table), or 0 when nothing is there.
 */
int rvhv_host_walk(struct mm_struct *mm, unsigned long hva, pud_t *pudv,
		   pmd_t *pmdv)
{
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	lockdep_assert_irqs_disabled();
	pgd = pgdp_get(pgd_offset(mm, hva));
	if (pgtable_l5_enabled) {
		if (!pgd_present(pgd) || (pgd_val(pgd) & _PAGE_LEAF))
			return 0;
		p4d = p4dp_get(pgd_pgtable(pgd) + p4d_index(hva));
	} else {
		p4d = __p4d(pgd_val(pgd));
	}
	if (pgtable_l4_enabled) {
		if (!p4d_present(p4d) || (p4d_val(p4d) & _PAGE_LEAF))
			return 0;
		pud = pudp_get(p4d_pgtable(p4d) + pud_index(hva));
	} else {
		pud = __pud(p4d_val(p4d));
	}
	if (!pud_present(pud))
		return 0;
	if (pud_leaf(pud)) {
		*pudv = pud;
		return RVHV_HOST_PUD;
	}
	pmd = pmdp_get_lockless(pud_pgtable(pud) + pmd_index(hva));
	if (!pmd_present(pmd))
		return 0;
	*pmdv = pmd;
	return RVHV_HOST_PMD;
}

/*
 * Does the host map @hva with a single PUD or PMD leaf?  If so, return
 * RVHV_GSTAGE_LEVEL_1G or _2M, the leaf's first frame and whether it is
 * writable; else 0.
 */
static unsigned int rvhv_host_block(struct mm_struct *mm, unsigned long hva,
				    unsigned long *pfn, bool *writable)
{
	unsigned int ret = 0;
	unsigned long flags;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	switch (rvhv_host_walk(mm, hva, &pud, &pmd)) {
	case RVHV_HOST_PUD:
		*pfn = pud_pfn(pud);
		*writable = pud_write(pud);
		ret = RVHV_GSTAGE_LEVEL_1G;
		break;
	case RVHV_HOST_PMD:
		if (!pmd_leaf(pmd))
			break;
		*pfn = pmd_pfn(pmd);
		*writable = pmd_write(pmd);
		ret = RVHV_GSTAGE_LEVEL_2M;
		break;
	}
	local_irq_restore(flags);
	return ret;
}

/*
 * Step 3's block mapping: a 1 GiB or 2 MiB leaf for @gpa (whose host page
 * is @pfn at @hva) where the host maps a block there and the slot covers
 * it at the same alignment.  0, -EEXIST (map 4 KiB instead) or -ENOMEM.
 * Context: rvhv_mmu.lock held.
 */
static int rvhv_map_block(struct rvhv_vcpu *vcpu,
			  const struct rvhv_memslot *slot, unsigned long gpa,
			  unsigned long hva, unsigned long pfn, bool writable,
			  bool *flush, unsigned long *size)
{
	struct rvhv_mmu *mmu = &vcpu->vm->mmu;
	unsigned long bpfn;
	unsigned int level;
	bool bwritable;
	int ret = -EEXIST;

	level = rvhv_host_block(vcpu->vm->mm, hva, &bpfn, &bwritable);
	if (!level || (writable && !bwritable))
		return -EEXIST;
	if (level == RVHV_GSTAGE_LEVEL_1G) {
		if (rvhv_slot_allows(slot, gpa, hva, PUD_SIZE) &&
		    bpfn + ((hva & ~PUD_MASK) >> PAGE_SHIFT) == pfn) {
			ret = rvhv_gstage_map(mmu, gpa & PUD_MASK, bpfn, level,
					      writable, flush);
			if (!ret) {
				vcpu->stat.gstage_map_1g++;
				*size = PUD_SIZE;
				return 0;
			}
			if (ret != -EEXIST)
				return ret;
		}
		/* The 2 MiB of it around @hva. */
		bpfn += (hva & ~PUD_MASK & PMD_MASK) >> PAGE_SHIFT;
	}
	if (bpfn + ((hva & ~PMD_MASK) >> PAGE_SHIFT) != pfn)
		return -EEXIST;
	ret = rvhv_gstage_map(mmu, gpa & PMD_MASK, bpfn, RVHV_GSTAGE_LEVEL_2M,
			      writable, flush);
	if (!ret) {
		vcpu->stat.gstage_map_2m++;
		*size = PMD_SIZE;
	}
	return ret;
}

/* GUP's error to KVM_RUN's. */
static int rvhv_gup_errno(long n)
{
	switch (n) {
	case -EINTR:
	case -ERESTARTSYS:
		return -EINTR;
	case -ENOMEM:
		return -ENOMEM;
	}
	return -EFAULT;
}

/* The fault path; *@size: the leaf it installed (left 0 if none). */
static int rvhv_gstage_do_fault(struct rvhv_vcpu *vcpu, unsigned long gpa,
				bool write, unsigned long *size)
{
	struct rvhv_vm *vm = vcpu->vm;
	struct rvhv_mmu *mmu = &vm->mmu;
	u64 gfn = gpa >> PAGE_SHIFT;
	unsigned long seq, hva, pte, pfn;
	bool writable, try_huge, present, logged, flush = false;
	struct rvhv_memslot slot, *s;
	struct page *page;
	long n;
	int ret;

	/* 1: the slot, and whether there is anything to do. */
	spin_lock(&mmu->lock);
	if (mmu->dead) {
		spin_unlock(&mmu->lock);
		return -EFAULT;
	}
	s = rvhv_find_memslot(mmu, gfn);
	if (!s || (write && (s->flags & KVM_MEM_READONLY))) {
		spin_unlock(&mmu->lock);
		return RVHV_FAULT_MMIO;
	}
	slot = *s;
	logged = slot.flags & KVM_MEM_LOG_DIRTY_PAGES;
	present = rvhv_gstage_lookup(mmu, gpa, &pte);
	if (present && (!write || (pte & _PAGE_WRITE))) {
		rvhv_gstage_flush_local(vm, gpa);
		spin_unlock(&mmu->lock);
		vcpu->stat.gstage_fault_spurious++;
		return 0;
	}
	seq = mmu->invalidate_seq;
	spin_unlock(&mmu->lock);

	/* GUP works on current->mm. */
	if (current->mm != vm->mm)
		return -EFAULT;

	/* 2: the host page. */
	hva = slot.userspace_addr + ((gfn - slot.base_gfn) << PAGE_SHIFT);
	writable = write;
	if (!write && !(slot.flags & KVM_MEM_READONLY) && !logged &&
	    get_user_page_fast_only(hva, FOLL_WRITE, &page)) {
		writable = true;
	} else {
		n = get_user_pages_unlocked(hva, 1, &page,
					    (write ? FOLL_WRITE : 0) |
					    FOLL_HWPOISON | FOLL_INTERRUPTIBLE);
		if (n != 1)
			return rvhv_gup_errno(n);
	}

	ret = rvhv_gstage_cache_topup(mmu);
	if (ret)
		goto out_put;
	/*
	 * The guest may write it without the host seeing a write fault.
	 * Anonymous memory cannot be truncated, so it needs no folio lock
	 * for that (as in zap_pte_range()); page cache pages do.
	 */
	if (writable) {
		if (folio_test_anon(page_folio(page)))
			folio_mark_dirty(page_folio(page));
		else
			set_page_dirty_lock(page);
	}
	pfn = page_to_pfn(page);
	try_huge = !logged && rvhv_slot_allows(&slot, gpa, hva, PMD_SIZE);

	/* 3: install, unless an invalidation got in the way. */
	spin_lock(&mmu->lock);
	if (mmu->dead) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (mmu->invalidate_in_progress || mmu->invalidate_seq != seq) {
		vcpu->stat.gstage_fault_retry++;
		goto out_unlock;	/* ret == 0: the guest faults again */
	}
	/*
	 * The sequence is unchanged, so @s is still the slot looked up in
	 * step 1, with the same flags and bitmap.
	 */
	if (writable && logged && !rvhv_dirty_mark_locked(vm, vcpu, s, gfn))
		goto out_unlock;	/* ring full: KVM_RUN exits first */

	ret = -EEXIST;
	if (try_huge)
		ret = rvhv_map_block(vcpu, &slot, gpa, hva, pfn, writable,
				     &flush, size);
	if (ret == -EEXIST) {
		ret = rvhv_gstage_map(mmu, gpa & PAGE_MASK, pfn,
				      RVHV_GSTAGE_LEVEL_4K, writable, &flush);
		if (!ret) {
			vcpu->stat.gstage_map_4k++;
			*size = PAGE_SIZE;
			/*
			 * A new page (not a write to a read-only one, whose
			 * neighbours are most likely mapped already).
			 */
			if (!present &&
			    !rvhv_preload_idle(&vcpu->preload, gfn))
				vcpu->stat.gstage_preload +=
					rvhv_preload(vcpu, s, gfn);
		}
	}
	if (!ret) {
		rvhv_gstage_flush_local(vm, gpa);
		/* A write to a read-only leaf, or a new leaf. */
		if (present)
			vcpu->stat.gstage_fault_wp++;
		else
			vcpu->stat.gstage_fault_map++;
	} else if (ret == -ENOMEM) {
		vcpu->stat.gstage_fault_retry++;
		ret = 0;	/* a racing fault took the spare tables: retry */
	}
out_unlock:
	spin_unlock(&mmu->lock);
	if (flush)
		rvhv_gstage_flush_vm(vm);
out_put:
	/* 4 */
	put_page(page);
	return ret;
}

/*
 * The fast fault's write to a page of a logging slot: logged as the full
 * path logs it, and only while that cannot fill the vCPU's dirty ring to
 * its soft limit (which only the KVM_RUN loop acts on).
 */
static bool rvhv_fast_log_ok(struct rvhv_vcpu *vcpu)
{
	const struct rvhv_dirty_ring *ring = &vcpu->dirty_ring;
	u32 reset;

	if (!ring->gfns)
		return true;
	/* Pairs with the release in rvhv_dirty_ring_reset(). */
	reset = smp_load_acquire(&ring->reset_index);
	return ring->dirty_index + 1 - reset < ring->soft_limit;
}

/*
 * rvhv_gstage_fault_fast() (mmu/mmu.h): the fault path's steps 1 and 3 in
 * one hold of rvhv_mmu.lock, with step 2's GUP replaced by a lockless read
 * of the VMM's page tables, as preloading reads them (mmu/preload.c, whose
 * safety argument this shares): the lock is held and no invalidation is in
 * progress, so none can remove or replace the host page before the lock
 * is dropped, and every later one unmaps what is mapped here.  No page
 * reference is taken and nothing sleeps, allocates, spins or fences
 * another hart.  What the full path would do differently is declined:
 *  - the host has no present, readable user PTE or PMD leaf for the page
 *    (not faulted in, swapped out, PROT_NONE, special, device memory, a
 *    file page that GUP would dirty under its folio lock), or maps it
 *    with a PUD leaf (the full path may map a 1 GiB leaf); a PMD leaf
 *    (THP, hugetlb) is mapped as the full path maps it, with a 2 MiB
 *    leaf where the slot allows one;
 *  - a write the host PTE does not already allow with its dirty bit set
 *    (the full path's GUP breaks COW, or dirties the folio);
 *  - a write to a read-only G-stage leaf other than a 4 KiB one of this
 *    same page (a block leaf to split: the full path);
 *  - a write to a logging slot that would bring the dirty ring to its
 *    soft limit; new tables needed and too few spare ones;
 *  - the lock contended, an invalidation in progress, the mm gone or not
 *    the caller's.
 * A read maps the page writable only if the host PTE is writable and
 * dirty (the full path also for a clean writable one, dirtying the
 * folio; here the guest's first write faults once more instead).
 */
int rvhv_gstage_fault_fast(struct rvhv_vcpu *vcpu, unsigned long gpa,
			   bool write, bool exec)
{
	struct rvhv_vm *vm = vcpu->vm;
	struct rvhv_mmu *mmu = &vm->mmu;
	u64 gfn = gpa >> PAGE_SHIFT;
	unsigned long hva, leaf, pfn, size = 0;
	bool present, writable, huge, flush = false;
	struct rvhv_memslot *s;
	pud_t pud;
	pmd_t pmd;
	pte_t pte;
	int ret = RVHV_FAST_DECLINED;

	lockdep_assert_irqs_disabled();
	/* Never spin with interrupts off: the holder may be fencing us. */
	if (!spin_trylock(&mmu->lock))
		return RVHV_FAST_DECLINED;
	if (mmu->dead)
		goto out;
	s = rvhv_find_memslot(mmu, gfn);
	if (!s || (write && (s->flags & KVM_MEM_READONLY))) {
		ret = RVHV_FAULT_MMIO;
		goto out;
	}
	present = rvhv_gstage_lookup(mmu, gpa, &leaf);
	if (present && (!write || (leaf & _PAGE_WRITE))) {
		rvhv_gstage_flush_local(vm, gpa);
		vcpu->stat.gstage_fault_spurious++;
		goto done;
	}
	if (mmu->invalidate_in_progress || current->mm != vm->mm)
		goto out;

	hva = s->userspace_addr + ((gfn - s->base_gfn) << PAGE_SHIFT);
	if (rvhv_host_walk(vm->mm, hva, &pud, &pmd) != RVHV_HOST_PMD)
		goto out;
	huge = pmd_leaf(pmd);
	if (huge)
		pte = pmd_pte(pmd);
	else
		pte = ptep_get((pte_t *)pmd_page_vaddr(pmd) + pte_index(hva));
	if (!rvhv_preload_pte(pte, &pfn, &writable))
		goto out;
	if (huge)
		pfn += (hva & ~PMD_MASK) >> PAGE_SHIFT;
	if (write) {
		if (!writable)
			goto out;
	} else if (s->flags & (KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES)) {
		writable = false;
	}
	/*
	 * A write to a read-only leaf: a 4 KiB one (its table is there) of
	 * this very page.  Nothing there: enough spare tables for a walk
	 * that adds them all, unless the last-level table is there.
	 */
	if (present) {
		if (!rvhv_gstage_leaf_table(mmu, gpa) ||
		    pte_pfn(__pte(leaf)) != pfn)
			goto out;
	} else if (mmu->cache_nr < mmu->levels - 1 &&
		   (huge || !rvhv_gstage_leaf_table(mmu, gpa))) {
		goto out;
	}
	if (write && (s->flags & KVM_MEM_LOG_DIRTY_PAGES) &&
	    (!rvhv_fast_log_ok(vcpu) ||
	     !rvhv_dirty_mark_locked(vm, vcpu, s, gfn)))
		goto out;
	/*
	 * Cannot fail: the tables are there or the spares suffice, and
	 * no valid translation changes (nothing was there, or the same
	 * page gains W), so no other hart needs a fence.  A host PMD leaf
	 * becomes a 2 MiB one where the full path would map one (1 GiB
	 * needs a PUD leaf: declined above).
	 */
	ret = -EEXIST;
	if (huge && !(s->flags & KVM_MEM_LOG_DIRTY_PAGES) &&
	    rvhv_slot_allows(s, gpa, hva, PMD_SIZE))
		ret = rvhv_map_block(vcpu, s, gpa, hva, pfn, writable, &flush,
				     &size);
	if (ret == -EEXIST) {
		ret = rvhv_gstage_map(mmu, gpa & PAGE_MASK, pfn,
				      RVHV_GSTAGE_LEVEL_4K, writable, &flush);
		if (!ret) {
			vcpu->stat.gstage_map_4k++;
			size = PAGE_SIZE;
			if (!present &&
			    !rvhv_preload_idle(&vcpu->preload, gfn))
				vcpu->stat.gstage_preload +=
					rvhv_preload(vcpu, s, gfn);
		}
	}
	if (WARN_ON_ONCE(ret || flush)) {
		ret = RVHV_FAST_DECLINED;
		goto out;
	}
	rvhv_gstage_flush_local(vm, gpa);
	if (present)
		vcpu->stat.gstage_fault_wp++;
	else
		vcpu->stat.gstage_fault_map++;
done:
	spin_unlock(&mmu->lock);
	vcpu->stat.gstage_faults++;
	trace_rvhv_gstage_fault(vcpu, gpa, write, exec, 0, size);
	return 0;
out:
	spin_unlock(&mmu->lock);
	return ret;
}

int rvhv_gstage_fault(struct rvhv_vcpu *vcpu, unsigned long gpa, bool write,
		      bool exec)
{
	unsigned long size = 0;
	int ret = rvhv_gstage_do_fault(vcpu, gpa, write, &size);

	trace_rvhv_gstage_fault(vcpu, gpa, write, exec, ret, size);
	return ret;
}
