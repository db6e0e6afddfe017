// SPDX-License-Identifier: GPL-2.0
/*
 * Memslots: KVM_SET_USER_MEMORY_REGION(2), lookups, and guest memory copies
 * through the VMM's mapping.
 *
 * A VM has up to RVHV_NR_MEMSLOTS slots, in one address space.  They are
 * kept twice: by id, and sorted by guest frame for binary search.  Both
 * arrays are changed under rvhv_mmu.slots_lock (which serialises updates
 * and covers the checks against the VMM's VMAs) and rvhv_mmu.lock (which
 * the fault path and the MMU notifier use to read them).  Deleting or
 * moving a slot unmaps its old guest range and bumps invalidate_seq under
 * rvhv_mmu.lock, so a fault that looked up the old slot does not install
 * its translation, and then waits for every copy through the old slot to
 * finish (rvhv_mmu.srcu) before it returns.
 *
 * KVM_MEM_LOG_DIRTY_PAGES may be set at creation and toggled on an
 * existing slot (alone, or with a move).  Turning it on gives the slot its
 * bitmap and write-protects what is mapped of it; turning it off unmaps
 * the slot, so that faults map it in 2 MiB leaves again where they can,
 * and frees the bitmap (mmu/dirty.c).
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mmu_int.h"

/*
 * The memslot containing guest frame @gfn, or NULL.
 * Context: rvhv_mmu.lock or rvhv_mmu.slots_lock held.
 */
struct rvhv_memslot *rvhv_find_memslot(struct rvhv_mmu *mmu, u64 gfn)
{
	unsigned int lo = 0, hi = mmu->nr_slots, mid;
	struct rvhv_memslot *s;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		s = mmu->sorted[mid];
		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn - s->base_gfn >= s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* Insert @s into mmu->sorted.  Both locks held. */
static void rvhv_sorted_insert(struct rvhv_mmu *mmu, struct rvhv_memslot *s)
{
	unsigned int i = 0;

	while (i < mmu->nr_slots && mmu->sorted[i]->base_gfn < s->base_gfn)
		i++;
	memmove(&mmu->sorted[i + 1], &mmu->sorted[i],
		(mmu->nr_slots - i) * sizeof(*mmu->sorted));
	mmu->sorted[i] = s;
	mmu->nr_slots++;
}

/* Remove @s from mmu->sorted.  Both locks held. */
static void rvhv_sorted_remove(struct rvhv_mmu *mmu, struct rvhv_memslot *s)
{
	unsigned int i;

	for (i = 0; i < mmu->nr_slots; i++)
		if (mmu->sorted[i] == s)
			break;
	if (WARN_ON_ONCE(i == mmu->nr_slots))
		return;
	mmu->nr_slots--;
	memmove(&mmu->sorted[i], &mmu->sorted[i + 1],
		(mmu->nr_slots - i) * sizeof(*mmu->sorted));
	mmu->sorted[mmu->nr_slots] = NULL;
}

/* Does [gfn, gfn + npages) overlap a slot other than @id? */
static bool rvhv_slot_overlaps(struct rvhv_mmu *mmu, u16 id, u64 gfn,
			       u64 npages)
{
	struct rvhv_memslot *s;
	unsigned int i;

	for (i = 0; i < mmu->nr_slots; i++) {
		s = mmu->sorted[i];
		if (s->id != id && gfn < s->base_gfn + s->npages &&
		    s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

/*
 * As KVM: a writable slot may not cover a VMA without VM_WRITE (-EPERM),
 * and a logged one no VM_PFNMAP VMA (-EINVAL: "IO region dirty page
 * logging not allowed").  Holes between VMAs are allowed (faults on them
 * fail later).
 */
static int rvhv_check_vmas(struct mm_struct *mm, unsigned long hva,
			   unsigned long size, u32 flags)
{
	bool writable = !(flags & KVM_MEM_READONLY);
	bool log = flags & KVM_MEM_LOG_DIRTY_PAGES;
	unsigned long end = hva + size;
	struct vm_area_struct *vma;
	int ret = 0;

	if (!writable && !log)
		return 0;

	mmap_read_lock(mm);
	while (hva < end) {
		vma = find_vma(mm, hva);
		if (!vma || vma->vm_start >= end)
			break;
		if (writable && !(vma->vm_flags & VM_WRITE)) {
			ret = -EPERM;
			break;
		}
		if (log && (vma->vm_flags & VM_PFNMAP)) {
			ret = -EINVAL;
			break;
		}
		hva = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

static void rvhv_memslot_free(struct rvhv_memslot *s)
{
	rvhv_dirty_bitmap_free(s->dirty_bitmap);
	kfree(s);
}

/*
 * The bitmap a slot going from @old_flags to @flags needs: @cur, a new
 * one, or none (NULL).  The caller frees @cur if it is not the result.
 */
static int rvhv_slot_bitmap(struct rvhv_vm *vm, u64 npages, u32 flags,
			    unsigned long *cur, unsigned long **bitmap)
{
	*bitmap = NULL;
	if (!(flags & KVM_MEM_LOG_DIRTY_PAGES))
		return 0;
	if (cur) {
		*bitmap = cur;
		return 0;
	}
	return rvhv_dirty_bitmap_alloc(vm, npages, bitmap);
}

/*
 * Take a slot's old guest range out of the G-stage and make racing faults
 * retry.  The caller fences and frees the tables (rvhv_gstage_finish())
 * after dropping rvhv_mmu.lock.
 */
static void rvhv_slot_zap_locked(struct rvhv_vm *vm, u64 gfn, u64 npages,
				 struct list_head *freed, bool *flush)
{
	struct rvhv_mmu *mmu = &vm->mmu;

	lockdep_assert_held(&mmu->lock);
	mmu->invalidate_seq++;
	*flush |= rvhv_gstage_unmap(mmu, gfn << PAGE_SHIFT,
				    (gfn + npages) << PAGE_SHIFT, freed);
}

static int rvhv_delete_slot(struct rvhv_vm *vm, struct rvhv_memslot *old)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	LIST_HEAD(freed);
	bool flush = false;

	spin_lock(&mmu->lock);
	rvhv_sorted_remove(mmu, old);
	mmu->slots[old->id] = NULL;
	rvhv_slot_zap_locked(vm, old->base_gfn, old->npages, &freed, &flush);
	spin_unlock(&mmu->lock);
	rvhv_gstage_finish(vm, flush, &freed);
	/* No copy through the slot may outlive its deletion. */
	synchronize_srcu(&mmu->srcu);
	rvhv_memslot_free(old);
	return 0;
}

/*
 * Move @s to @base_gfn, or toggle its KVM_MEM_LOG_DIRTY_PAGES (the only
 * flag that can change), or both.  A move unmaps the old guest range (and,
 * as in KVM, a slot that goes on logging keeps its bits).  Logging on in
 * place: the bitmap, then write-protect what is mapped.  Off: unmap the
 * slot, so that it is mapped again with 2 MiB leaves where the VMM's
 * memory allows, and drop the bitmap.  invalidate_seq is bumped either
 * way: a fault that looked the slot up before maps nothing.  The old
 * bitmap is freed once rvhv_mmu.lock is dropped: only rvhv_mmu.lock
 * holders (faults logging a write) and rvhv_mmu.slots_lock holders
 * (held here) touch it.
 */
static int rvhv_slot_update(struct rvhv_vm *vm, struct rvhv_memslot *s,
			    u64 base_gfn, u32 flags)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	unsigned long *bitmap, *old_bitmap = s->dirty_bitmap;
	bool on = flags & KVM_MEM_LOG_DIRTY_PAGES;
	bool move = base_gfn != s->base_gfn;
	u64 old_gfn = s->base_gfn;
	LIST_HEAD(freed);
	bool flush = false;
	int ret;

	ret = rvhv_slot_bitmap(vm, s->npages, flags, old_bitmap, &bitmap);
	if (ret)
		return ret;
	spin_lock(&mmu->lock);
	if (move)
		rvhv_sorted_remove(mmu, s);
	s->base_gfn = base_gfn;
	s->flags = flags;
	s->dirty_bitmap = bitmap;
	if (move)
		rvhv_sorted_insert(mmu, s);
	if (move || !on)
		rvhv_slot_zap_locked(vm, old_gfn, s->npages, &freed, &flush);
	else
		mmu->invalidate_seq++;
	spin_unlock(&mmu->lock);
	rvhv_gstage_finish(vm, flush, &freed);
	if (old_bitmap != bitmap)
		rvhv_dirty_bitmap_free(old_bitmap);
	if (move)
		/* No copy through its old guest addresses outlives the move. */
		synchronize_srcu(&mmu->srcu);
	else if (on)
		rvhv_dirty_slot_protect(vm, s);
	return 0;
}

static long rvhv_set_memslot_locked(struct rvhv_vm *vm,
				    const struct kvm_userspace_memory_region2 *mem)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	u16 id = (u16)mem->slot;
	struct rvhv_memslot *old = mmu->slots[id], *new;
	u64 base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	bool move;
	int ret;

	lockdep_assert_held(&mmu->slots_lock);

	if (!mem->memory_size) {
		if (!old)
			return -EINVAL;
		return rvhv_delete_slot(vm, old);
	}

	if (old) {
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			return 0;	/* nothing changes */
	}
	move = old && base_gfn != old->base_gfn;

	/* KVM checks overlaps for a new or moved slot only. */
	if ((!old || move) && rvhv_slot_overlaps(mmu, id, base_gfn, npages))
		return -EEXIST;

	/* As KVM's riscv port: the slot must end below the VM's top GPA. */
	if (base_gfn + npages >= (1ULL << rvhv_vm_gpa_bits(vm)) >> PAGE_SHIFT)
		return -EFAULT;

	ret = rvhv_check_vmas(vm->mm, mem->userspace_addr, mem->memory_size,
			      mem->flags);
	if (ret)
		return ret;

	if (old)
		return rvhv_slot_update(vm, old, base_gfn, mem->flags);

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	ret = rvhv_slot_bitmap(vm, npages, mem->flags, NULL,
			       &new->dirty_bitmap);
	if (ret) {
		kfree(new);
		return ret;
	}
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->userspace_addr = mem->userspace_addr;
	new->flags = mem->flags;
	new->id = id;

	/* Nothing is mapped in a range no slot covered: no zap needed. */
	spin_lock(&mmu->lock);
	mmu->slots[id] = new;
	rvhv_sorted_insert(mmu, new);
	spin_unlock(&mmu->lock);
	return 0;
}

/**
 * rvhv_set_user_memory_region() - KVM_SET_USER_MEMORY_REGION(2)
 * @vm: the VM
 * @mem: the request (for the v1 ioctl: the v1 struct in a zeroed v2 one)
 *
 * Create, move, or delete (memory_size 0) a slot, or toggle its
 * KVM_MEM_LOG_DIRTY_PAGES, with KVM's checks and errnos.  The
 * userspace_addr, size and KVM_MEM_READONLY of an existing slot cannot
 * change: delete and re-create it to resize.
 *
 * Context: process context, current->mm == vm->mm.
 * Return: 0 or a negative errno.
 */
long rvhv_set_user_memory_region(struct rvhv_vm *vm,
				 const struct kvm_userspace_memory_region2 *mem)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	unsigned int as_id = mem->slot >> 16;
	u16 id = (u16)mem->slot;
	long ret;

	/* No guest_memfd. */
	if (mem->flags & ~(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	if (as_id || id >= RVHV_NR_MEMSLOTS)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > RVHV_MEM_MAX_NR_PAGES)
		return -EINVAL;
	if (current->mm != vm->mm)
		return -EIO;

	mutex_lock(&mmu->slots_lock);
	ret = rvhv_set_memslot_locked(vm, mem);
	mutex_unlock(&mmu->slots_lock);
	return ret;
}

/*
 * Resolve [gpa, gpa + len) to a VMM address: the whole range must be in
 * one slot (writable for @write).  The caller holds rvhv_mmu.srcu for as
 * long as it uses the address.
 */
static int rvhv_gpa_to_hva(struct rvhv_vm *vm, unsigned long gpa,
			   unsigned long len, bool write, unsigned long *hva)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	struct rvhv_memslot *s;
	int ret = -EFAULT;
	u64 end;

	if (current->mm != vm->mm)
		return -EFAULT;
	if (check_add_overflow((u64)gpa, (u64)len, &end))
		return -EFAULT;

	spin_lock(&mmu->lock);
	s = rvhv_find_memslot(mmu, gpa >> PAGE_SHIFT);
	if (s && end <= (s->base_gfn + s->npages) << PAGE_SHIFT &&
	    !(write && (s->flags & KVM_MEM_READONLY))) {
		*hva = s->userspace_addr + (gpa - (s->base_gfn << PAGE_SHIFT));
		ret = 0;
	}
	spin_unlock(&mmu->lock);
	return ret;
}

/*
 * Fault in the VMM's page at @addr, interruptibly: 0, -EINTR (a signal)
 * or -EFAULT.
 */
static int rvhv_fault_in_hva(unsigned long addr, bool write)
{
	struct page *page;
	long n;

	/* Already there (the batch probe's usual case): no mmap lock. */
	if (get_user_page_fast_only(addr & PAGE_MASK, write ? FOLL_WRITE : 0,
				    &page)) {
		put_page(page);
		return 0;
	}
	n = get_user_pages_unlocked(addr & PAGE_MASK, 1, &page,
				    (write ? FOLL_WRITE : 0) |
				    FOLL_INTERRUPTIBLE);
	if (n == 1) {
		put_page(page);
		return 0;
	}
	return n == -EINTR || n == -ERESTARTSYS ? -EINTR : -EFAULT;
}

/*
 * Copy between the VMM's memory at @hva and @data, in the KVM_RUN
 * thread.  copy_{from,to}_user() would take a missing page's fault itself,
 * and a kernel-mode fault waits for a userfaultfd page without regard to
 * signals: it even retries in a loop while one is pending (the fault
 * handler gives up only on fatal signals), so KVM_RUN could neither be
 * left nor stop using the CPU.  So copy with page faults disabled, and
 * fault the missing page in with GUP, which a signal does interrupt.
 * Memory GUP cannot take (VM_IO, VM_PFNMAP) is copied the plain way.
 *
 * Return: 0, -EINTR (a signal: the caller lets KVM_RUN return, and the
 * guest's instruction is done again later) or -EFAULT.
 */
static int rvhv_copy_hva(void *data, unsigned long hva, unsigned long len,
			 bool write)
{
	unsigned long done = 0, rem, left;
	unsigned int tries = 0;
	void __user *uaddr;
	int ret;

	if (!access_ok((void __user *)hva, len))
		return -EFAULT;
	for (;;) {
		rem = len - done;
		uaddr = (void __user *)(hva + done);
		pagefault_disable();
		if (write)
			left = __copy_to_user_inatomic(uaddr, data + done, rem);
		else
			left = __copy_from_user_inatomic(data + done, uaddr,
							 rem);
		pagefault_enable();
		done += rem - left;
		if (!left)
			return 0;
		/* Each round faults one page in; a VMM racing it gets -EFAULT. */
		if (++tries > 8 + 2 * DIV_ROUND_UP(len, PAGE_SIZE))
			return -EFAULT;
		ret = rvhv_fault_in_hva(hva + done, write);
		if (ret == -EINTR)
			return ret;
		if (ret)
			break;
	}
	uaddr = (void __user *)(hva + done);
	if (write)
		left = copy_to_user(uaddr, data + done, len - done);
	else
		left = copy_from_user(data + done, uaddr, len - done);
	return left ? -EFAULT : 0;
}

int rvhv_read_guest(struct rvhv_vm *vm, unsigned long gpa, void *data,
		    unsigned long len)
{
	unsigned long hva;
	int ret, idx;

	if (!len)
		return 0;
	idx = srcu_read_lock(&vm->mmu.srcu);
	ret = rvhv_gpa_to_hva(vm, gpa, len, false, &hva);
	if (!ret)
		ret = rvhv_copy_hva(data, hva, len, false);
	srcu_read_unlock(&vm->mmu.srcu, idx);
	return ret;
}

/*
 * Write, then log the pages written (KVM's order: a harvest in between
 * reports them at the next one).  @vcpu may be NULL: bitmaps only.
 */
static int rvhv_write_guest_log(struct rvhv_vm *vm, struct rvhv_vcpu *vcpu,
				unsigned long gpa, const void *data,
				unsigned long len)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	struct rvhv_memslot *s;
	unsigned long hva;
	int ret, idx;
	u64 gfn;

	if (!len)
		return 0;
	idx = srcu_read_lock(&mmu->srcu);
	ret = rvhv_gpa_to_hva(vm, gpa, len, true, &hva);
	if (!ret)
		ret = rvhv_copy_hva((void *)data, hva, len, true);
	if (!ret) {
		spin_lock(&mmu->lock);
		for (gfn = gpa >> PAGE_SHIFT;
		     gfn <= (gpa + len - 1) >> PAGE_SHIFT; gfn++) {
			s = rvhv_find_memslot(mmu, gfn);
			if (s)
				rvhv_dirty_mark_locked(vm, vcpu, s, gfn);
		}
		spin_unlock(&mmu->lock);
	}
	srcu_read_unlock(&mmu->srcu, idx);
	return ret;
}

bool rvhv_gpa_in_memslot(struct rvhv_vm *vm, unsigned long gpa,
			 unsigned long len, bool write)
{
	unsigned long hva;

	/* The address is not used: no rvhv_mmu.srcu section needed. */
	return !rvhv_gpa_to_hva(vm, gpa, len, write, &hva);
}

int rvhv_write_guest(struct rvhv_vm *vm, unsigned long gpa, const void *data,
		     unsigned long len)
{
	return rvhv_write_guest_log(vm, NULL, gpa, data, len);
}

int rvhv_vcpu_write_guest(struct rvhv_vcpu *vcpu, unsigned long gpa,
			  const void *data, unsigned long len)
{
	return rvhv_write_guest_log(vcpu->vm, vcpu, gpa, data, len);
}

int rvhv_probe_guest_writable(struct rvhv_vm *vm, unsigned long gpa,
			      unsigned long len)
{
	unsigned long hva, addr;
	int ret, idx;

	if (!len)
		return 0;
	idx = srcu_read_lock(&vm->mmu.srcu);
	ret = rvhv_gpa_to_hva(vm, gpa, len, true, &hva);
	for (addr = hva & PAGE_MASK; !ret && addr < hva + len;
	     addr += PAGE_SIZE)
		ret = rvhv_fault_in_hva(addr, true);
	srcu_read_unlock(&vm->mmu.srcu, idx);
	return ret;
}

int rvhv_mmu_init(struct rvhv_vm *vm)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	int ret;

	mutex_init(&mmu->slots_lock);
	spin_lock_init(&mmu->lock);
	ret = init_srcu_struct(&mmu->srcu);
	if (ret)
		return ret;

	ret = -ENOMEM;
	mmu->slots = kcalloc(RVHV_NR_MEMSLOTS, sizeof(*mmu->slots),
			     GFP_KERNEL_ACCOUNT);
	mmu->sorted = kcalloc(RVHV_NR_MEMSLOTS, sizeof(*mmu->sorted),
			      GFP_KERNEL_ACCOUNT);
	if (!mmu->slots || !mmu->sorted)
		goto err;

	ret = rvhv_gstage_init(mmu);
	if (ret)
		goto err;

	ret = rvhv_mmu_notifier_register(vm);
	if (ret)
		goto err;
	return 0;

err:
	rvhv_gstage_free(vm);
	kfree(mmu->slots);
	kfree(mmu->sorted);
	mmu->slots = NULL;
	mmu->sorted = NULL;
	cleanup_srcu_struct(&mmu->srcu);
	return ret;
}

void rvhv_mmu_destroy(struct rvhv_vm *vm)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	unsigned int i;

	/* After this no notifier callback runs or is running. */
	rvhv_mmu_notifier_unregister(vm);
	rvhv_gstage_free(vm);

	if (mmu->slots) {
		for (i = 0; i < RVHV_NR_MEMSLOTS; i++)
			if (mmu->slots[i])
				rvhv_memslot_free(mmu->slots[i]);
	}
	kfree(mmu->slots);
	kfree(mmu->sorted);
	mmu->slots = NULL;
	mmu->sorted = NULL;
	mmu->nr_slots = 0;
	/* No reader is left: the VM's last reference is gone. */
	cleanup_srcu_struct(&mmu->srcu);
}
