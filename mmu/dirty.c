// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page tracking: what a VMM migrating a guest needs to know about
 * the guest's writes to its memory.  This file owns the per-slot dirty
 * bitmaps (KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 and its KVM_DIRTY_LOG_INITIALLY_SET),
 * the per-vCPU dirty rings (KVM_CAP_DIRTY_LOG_RING_ACQ_REL, the ring pages
 * in the vCPU mmap, KVM_RESET_DIRTY_RINGS, KVM_EXIT_DIRTY_RING_FULL) and
 * debugfs "memory".  All of it is KVM's ABI, errnos included.
 *
 * How writes are seen.  A page of a logged slot is mapped writable in the
 * G-stage only by a write fault, which logs it first, under rvhv_mmu.lock,
 * in the same critical section that installs the PTE (mmu/fault.c); read
 * faults map it read-only, and only in 4 KiB pages.  Re-arming is a
 * write-protect: clear W on the leaves of what was harvested
 * (rvhv_gstage_wp(), under rvhv_mmu.lock, in the same critical section
 * that takes the bits), then one G-stage fence for the VM
 * (rvhv_gstage_flush_vm()) before the ioctl returns, so every write after
 * the return faults and is logged again.  A 2 MiB leaf is write-protected
 * whole, and the first write fault inside it splits it (mmu/gstage.c);
 * when logging stops the slot is unmapped, and faults map 2 MiB leaves
 * again where the VMM's memory allows.  Writes rvhv itself makes into
 * guest memory for a vCPU (rvhv_vcpu_write_guest()) are logged after the
 * copy, as KVM's are.
 *
 * Bitmaps.  One bit per page of the slot, in the slot (struct
 * rvhv_memslot.dirty_bitmap), with a second bitmap of the same size behind
 * it as GET's and CLEAR's scratch.  Allocated and freed by slot changes
 * (mmu/memslot.c) under rvhv_mmu.slots_lock; bits are set under
 * rvhv_mmu.lock and taken (xchg, fetch_andnot) under rvhv_mmu.lock too;
 * GET and CLEAR hold rvhv_mmu.slots_lock throughout, so neither the slot
 * nor its bitmap can go away under them (a slot deleted "while a harvest
 * runs" is deleted before or after it), and the scratch half is theirs.
 *
 * Rings.  Per vCPU (struct rvhv_dirty_ring): only the vCPU's own thread
 * pushes, under rvhv_mmu.lock (its fault path), and only
 * KVM_RESET_DIRTY_RINGS, under rvhv_mmu.slots_lock, resets.  Entries are
 * shared with userspace, which may write anything into them: the reset
 * never goes past what was pushed, and the slot and offset of an entry
 * userspace handed back are checked against the memslots before anything
 * is write-protected.  The soft limit leaves RVHV_DIRTY_RING_RSVD_ENTRIES
 * entries for the pushes of one exit; KVM_RUN checks it before every guest
 * entry.  With rings there are no bitmaps (GET/CLEAR: -ENXIO), as in KVM
 * without KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP (which rvhv does not offer:
 * everything it logs is logged by a vCPU).  rvhv offers the ring with
 * KVM's weakly ordered contract (KVM_CAP_DIRTY_LOG_RING_ACQ_REL: userspace
 * reads an entry's flags with acquire, writes them with release), not
 * KVM_CAP_DIRTY_LOG_RING, as kvm.ko on riscv.
 */
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "mmu_int.h"

/* Bitmap words a GET or CLEAR handles per hold of rvhv_mmu.lock. */
#define RVHV_DIRTY_WORDS_PER_LOCK	64
/* Bytes of a slot write-protected per hold of rvhv_mmu.lock. */
#define RVHV_DIRTY_WP_CHUNK		(64UL << 20)

static bool rvhv_dirty_init_set(struct rvhv_mmu *mmu)
{
	return mmu->dirty.manual_protect & KVM_DIRTY_LOG_INITIALLY_SET;
}

/* Bytes of one bitmap of a slot (KVM's kvm_dirty_bitmap_bytes()). */
static unsigned long rvhv_dirty_bitmap_bytes(u64 npages)
{
	return ALIGN(npages, BITS_PER_LONG) / 8;
}

int rvhv_dirty_bitmap_alloc(struct rvhv_vm *vm, u64 npages,
			    unsigned long **bitmap)
{
	unsigned long bytes = rvhv_dirty_bitmap_bytes(npages);
	unsigned long *b;

	lockdep_assert_held(&vm->mmu.slots_lock);
	*bitmap = NULL;
	if (READ_ONCE(vm->mmu.dirty.ring_size))
		return 0;
	/* The log, then GET's and CLEAR's scratch. */
	b = kvzalloc(2 * bytes, GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	if (rvhv_dirty_init_set(&vm->mmu))
		bitmap_set(b, 0, npages);
	*bitmap = b;
	return 0;
}

void rvhv_dirty_bitmap_free(unsigned long *bitmap)
{
	kvfree(bitmap);
}

void rvhv_dirty_slot_protect(struct rvhv_vm *vm, struct rvhv_memslot *s)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	u64 start = s->base_gfn << PAGE_SHIFT;
	u64 end = start + (s->npages << PAGE_SHIFT), gpa, next;
	bool flush = false;

	lockdep_assert_held(&mmu->slots_lock);
	if (s->dirty_bitmap && rvhv_dirty_init_set(mmu))
		return;
	/*
	 * In chunks: faults already see the slot logged, so what a chunk
	 * not yet protected lets through was written before this returns,
	 * which a VMM copying the slot afterwards sees.
	 */
	for (gpa = start; gpa < end; gpa = next) {
		next = min(ALIGN(gpa + 1, RVHV_DIRTY_WP_CHUNK), end);
		spin_lock(&mmu->lock);
		flush |= rvhv_gstage_wp(mmu, gpa, next);
		spin_unlock(&mmu->lock);
		cond_resched();
	}
	if (flush)
		rvhv_gstage_flush_vm(vm);
}

/*
 * Write-protect the pages of @s at @offset + bit n for each bit n of
 * @mask, a run of set bits at a time.  rvhv_mmu.lock held; the caller
 * fences.
 */
static void rvhv_dirty_wp_mask(struct rvhv_mmu *mmu,
			       const struct rvhv_memslot *s, u64 offset,
			       unsigned long mask)
{
	unsigned long run;
	unsigned int first, len;
	u64 gfn;

	while (mask) {
		first = __ffs(mask);
		run = ~(mask >> first);
		len = run ? __ffs(run) : BITS_PER_LONG;
		gfn = s->base_gfn + offset + first;
		rvhv_gstage_wp(mmu, gfn << PAGE_SHIFT,
			       (gfn + len) << PAGE_SHIFT);
		if (first + len >= BITS_PER_LONG)
			break;
		mask &= ~GENMASK(first + len - 1, first);
	}
}

bool rvhv_dirty_mark_locked(struct rvhv_vm *vm, struct rvhv_vcpu *vcpu,
			    struct rvhv_memslot *s, u64 gfn)
{
	struct rvhv_dirty_ring *ring;
	struct kvm_dirty_gfn *e;
	u64 offset = gfn - s->base_gfn;
	u32 idx;

	lockdep_assert_held(&vm->mmu.lock);
	if (!(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return true;
	if (!vcpu || !vcpu->dirty_ring.gfns) {
		if (s->dirty_bitmap)
			set_bit_le(offset, s->dirty_bitmap);
		return true;
	}

	ring = &vcpu->dirty_ring;
	idx = ring->dirty_index;
	/* Pairs with the release in rvhv_dirty_ring_reset(). */
	if (idx - smp_load_acquire(&ring->reset_index) >= ring->size) {
		ring->full++;
		return false;
	}
	e = &ring->gfns[idx & (ring->size - 1)];
	WRITE_ONCE(e->slot, s->id);
	WRITE_ONCE(e->offset, offset);
	/* The entry before its flag (userspace reads it with acquire). */
	smp_store_release(&e->flags, KVM_DIRTY_GFN_F_DIRTY);
	/* Pairs with the acquire in rvhv_dirty_ring_reset(). */
	smp_store_release(&ring->dirty_index, idx + 1);
	return true;
}

/* The slot a GET or CLEAR names, in @slot; -EINVAL for a bad id. */
static int rvhv_dirty_lookup(struct rvhv_mmu *mmu, u32 slot,
			     struct rvhv_memslot **s)
{
	if (slot >> 16 || (u16)slot >= RVHV_NR_MEMSLOTS)
		return -EINVAL;
	*s = mmu->slots[(u16)slot];
	return 0;
}

/*
 * The slot a GET or CLEAR names, with KVM's errnos in KVM's order: -ENXIO
 * on a VM with rings (the ring and the bitmaps are exclusive), -EINVAL for
 * the id, -EINVAL for a CLEAR's @first_page that is not a multiple of 64
 * (0 for a GET), -ENOENT for a slot that does not log into a bitmap.
 */
static int rvhv_dirty_log_slot(struct rvhv_mmu *mmu, u32 slot, u64 first_page,
			       struct rvhv_memslot **s)
{
	int ret;

	if (READ_ONCE(mmu->dirty.ring_size))
		return -ENXIO;
	ret = rvhv_dirty_lookup(mmu, slot, s);
	if (ret)
		return ret;
	if (first_page & 63)
		return -EINVAL;
	if (!*s || !(*s)->dirty_bitmap)
		return -ENOENT;
	return 0;
}

/*
 * KVM_GET_DIRTY_LOG without manual protection: take every set bit into
 * the scratch bitmap and write-protect those pages.  Returns whether
 * anything was taken (the caller fences).
 */
static bool rvhv_dirty_take(struct rvhv_mmu *mmu, struct rvhv_memslot *s,
			    unsigned long *buf, unsigned long words)
{
	unsigned long *bm = s->dirty_bitmap, i, end, mask;
	bool taken = false;

	for (i = 0; i < words; i = end) {
		end = min(words, i + RVHV_DIRTY_WORDS_PER_LOCK);
		spin_lock(&mmu->lock);
		for (; i < end; i++) {
			mask = READ_ONCE(bm[i]) ? xchg(&bm[i], 0) : 0;
			buf[i] = mask;
			if (mask) {
				rvhv_dirty_wp_mask(mmu, s, i * BITS_PER_LONG,
						   mask);
				taken = true;
			}
		}
		spin_unlock(&mmu->lock);
		cond_resched();
	}
	return taken;
}

static long rvhv_get_dirty_log_locked(struct rvhv_vm *vm,
				      const struct kvm_dirty_log *log)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	unsigned long bytes, *buf;
	struct rvhv_memslot *s;
	int ret;

	ret = rvhv_dirty_log_slot(mmu, log->slot, 0, &s);
	if (ret)
		return ret;
	bytes = rvhv_dirty_bitmap_bytes(s->npages);
	if (mmu->dirty.manual_protect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
		/* A snapshot; KVM_CLEAR_DIRTY_LOG re-arms. */
		buf = s->dirty_bitmap;
	} else {
		buf = s->dirty_bitmap + bytes / sizeof(long);
		if (rvhv_dirty_take(mmu, s, buf, bytes / sizeof(long)))
			rvhv_gstage_flush_vm(vm);
	}
	if (copy_to_user(log->dirty_bitmap, buf, bytes))
		return -EFAULT;
	return 0;
}

static long rvhv_clear_dirty_log_locked(struct rvhv_vm *vm,
					const struct kvm_clear_dirty_log *log)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	unsigned long *bm, *buf, words, first, k, end, mask;
	struct rvhv_memslot *s;
	bool cleared = false;
	int ret;

	ret = rvhv_dirty_log_slot(mmu, log->slot, log->first_page, &s);
	if (ret)
		return ret;
	/* Whole words, or up to the end of the slot. */
	if (log->first_page > s->npages ||
	    log->num_pages > s->npages - log->first_page ||
	    (log->num_pages < s->npages - log->first_page &&
	     (log->num_pages & 63)))
		return -EINVAL;

	bm = s->dirty_bitmap;
	buf = bm + rvhv_dirty_bitmap_bytes(s->npages) / sizeof(long);
	words = DIV_ROUND_UP(log->num_pages, BITS_PER_LONG);
	if (copy_from_user(buf, log->dirty_bitmap, words * sizeof(long)))
		return -EFAULT;

	first = log->first_page / BITS_PER_LONG;
	for (k = 0; k < words; k = end) {
		end = min(words, k + RVHV_DIRTY_WORDS_PER_LOCK);
		spin_lock(&mmu->lock);
		for (; k < end; k++) {
			mask = buf[k];
			if (!mask)
				continue;
			/* Only what was set (no bit past the slot's end). */
			mask &= atomic_long_fetch_andnot(mask,
					(atomic_long_t *)&bm[first + k]);
			if (mask) {
				rvhv_dirty_wp_mask(mmu, s,
						   (first + k) * BITS_PER_LONG,
						   mask);
				cleared = true;
			}
		}
		spin_unlock(&mmu->lock);
		cond_resched();
	}
	if (cleared)
		rvhv_gstage_flush_vm(vm);
	return 0;
}

long rvhv_vm_dirty_log(struct rvhv_vm *vm, unsigned int ioctl,
		       void __user *argp)
{
	union {
		struct kvm_dirty_log get;
		struct kvm_clear_dirty_log clear;
	} log;
	bool get = ioctl == KVM_GET_DIRTY_LOG;
	long ret;

	if (copy_from_user(&log, argp, get ? sizeof(log.get) :
					     sizeof(log.clear)))
		return -EFAULT;
	mutex_lock(&vm->mmu.slots_lock);
	if (get)
		ret = rvhv_get_dirty_log_locked(vm, &log.get);
	else
		ret = rvhv_clear_dirty_log_locked(vm, &log.clear);
	mutex_unlock(&vm->mmu.slots_lock);
	return ret;
}

/* KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING_ACQ_REL), KVM's checks in order. */
static long rvhv_dirty_enable_ring(struct rvhv_vm *vm, u32 size)
{
	struct rvhv_dirty *d = &vm->mmu.dirty;
	long ret = 0;

	if (!size || (size & (size - 1)))
		return -EINVAL;
	if (size < RVHV_DIRTY_RING_RSVD_ENTRIES * sizeof(struct kvm_dirty_gfn) ||
	    size < PAGE_SIZE)
		return -EINVAL;
	if (size > RVHV_DIRTY_RING_MAX_BYTES)
		return -E2BIG;

	mutex_lock(&vm->lock);
	/* Once only, and before the first vCPU (which gets its ring now). */
	if (d->ring_size || vm->nr_vcpus)
		ret = -EINVAL;
	else
		WRITE_ONCE(d->ring_size, size);
	mutex_unlock(&vm->lock);
	return ret;
}

long rvhv_dirty_enable_cap(struct rvhv_vm *vm, const struct kvm_enable_cap *cap)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	switch (cap->cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		/* INITIALLY_SET only with ENABLE; args[1..3] are ignored. */
		if (cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
			allowed = RVHV_DIRTY_LOG_MANUAL_CAPS;
		if (cap->flags || (cap->args[0] & ~allowed))
			return -EINVAL;
		mutex_lock(&vm->mmu.slots_lock);
		vm->mmu.dirty.manual_protect = cap->args[0];
		mutex_unlock(&vm->mmu.slots_lock);
		return 0;
	case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
		/* KVM takes the size as a u32. */
		return rvhv_dirty_enable_ring(vm, (u32)cap->args[0]);
	}
	return -EINVAL;
}

int rvhv_dirty_ring_alloc(struct rvhv_vm *vm, struct rvhv_dirty_ring *ring)
{
	u32 size = vm->mmu.dirty.ring_size;

	lockdep_assert_held(&vm->lock);
	if (!size)
		return 0;
	ring->gfns = __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ring->gfns)
		return -ENOMEM;
	ring->size = size / sizeof(struct kvm_dirty_gfn);
	ring->soft_limit = ring->size - RVHV_DIRTY_RING_RSVD_ENTRIES;
	ring->dirty_index = 0;
	ring->reset_index = 0;
	return 0;
}

void rvhv_dirty_ring_free(struct rvhv_dirty_ring *ring)
{
	vfree(ring->gfns);
	ring->gfns = NULL;
}

/* The ring's pages in the vCPU mmap: [first, end). */
static unsigned long rvhv_dirty_ring_pages(const struct rvhv_dirty_ring *ring)
{
	return ring->gfns ? (unsigned long)ring->size *
			    sizeof(struct kvm_dirty_gfn) / PAGE_SIZE : 0;
}

bool rvhv_dirty_ring_mmap_ok(const struct rvhv_dirty_ring *ring,
			     struct vm_area_struct *vma)
{
	unsigned long first = RVHV_DIRTY_LOG_PAGE_OFFSET;
	unsigned long end = first + rvhv_dirty_ring_pages(ring);

	/* Shared and not executable where it covers the ring, as KVM. */
	if (vma->vm_pgoff >= end || vma->vm_pgoff + vma_pages(vma) <= first)
		return true;
	return (vma->vm_flags & VM_SHARED) && !(vma->vm_flags & VM_EXEC);
}

struct page *rvhv_dirty_ring_page(const struct rvhv_dirty_ring *ring,
				  unsigned long pgoff)
{
	if (pgoff < RVHV_DIRTY_LOG_PAGE_OFFSET ||
	    pgoff - RVHV_DIRTY_LOG_PAGE_OFFSET >= rvhv_dirty_ring_pages(ring))
		return NULL;
	return vmalloc_to_page((void *)ring->gfns +
			       (pgoff - RVHV_DIRTY_LOG_PAGE_OFFSET) * PAGE_SIZE);
}

bool rvhv_dirty_ring_soft_full(const struct rvhv_dirty_ring *ring)
{
	if (likely(!ring->gfns))
		return false;
	/* Pairs with the release in rvhv_dirty_ring_reset(). */
	return ring->dirty_index - smp_load_acquire(&ring->reset_index) >=
	       ring->soft_limit;
}

/*
 * Re-arm logging for what one run of harvested entries named: @offset and
 * @mask in the slot userspace wrote (@slot), if that is a logged slot and
 * the pages are in it.  rvhv_mmu.slots_lock held.
 */
static void rvhv_dirty_ring_rearm(struct rvhv_mmu *mmu, u32 slot, u64 offset,
				  unsigned long mask)
{
	struct rvhv_memslot *s;

	if (!mask || rvhv_dirty_lookup(mmu, slot, &s) || !s)
		return;
	spin_lock(&mmu->lock);
	if ((s->flags & KVM_MEM_LOG_DIRTY_PAGES) && offset < s->npages &&
	    __fls(mask) < s->npages - offset)
		rvhv_dirty_wp_mask(mmu, s, offset, mask);
	spin_unlock(&mmu->lock);
}

/*
 * Reset the harvested entries of one ring, from its reset index on and
 * no further than what was pushed, coalescing entries of one slot within
 * BITS_PER_LONG pages of the first into one mask.  Returns how many.
 */
static int rvhv_dirty_ring_reset(struct rvhv_mmu *mmu,
				 struct rvhv_dirty_ring *ring)
{
	/* Pairs with the release in rvhv_dirty_mark_locked(). */
	u32 end = smp_load_acquire(&ring->dirty_index);
	u32 idx = ring->reset_index, cur_slot = 0, slot;
	u64 cur_offset = 0, offset, delta;
	unsigned long mask = 0;
	struct kvm_dirty_gfn *e;
	int count = 0;

	for (; idx != end; idx++, count++) {
		e = &ring->gfns[idx & (ring->size - 1)];
		/* Userspace's release of the flag after reading the entry. */
		if (!(smp_load_acquire(&e->flags) & KVM_DIRTY_GFN_F_RESET))
			break;
		slot = READ_ONCE(e->slot);
		offset = READ_ONCE(e->offset);
		WRITE_ONCE(e->flags, 0);
		delta = offset - cur_offset;
		if (mask && slot == cur_slot && delta < BITS_PER_LONG) {
			mask |= BIT(delta);
			continue;
		}
		rvhv_dirty_ring_rearm(mmu, cur_slot, cur_offset, mask);
		cur_slot = slot;
		cur_offset = offset;
		mask = 1;
		/* Up to 64 Ki entries a ring: let others in now and then. */
		if (!(count % 4096))
			cond_resched();
	}
	rvhv_dirty_ring_rearm(mmu, cur_slot, cur_offset, mask);
	/* The cleared flags before the entries are free again. */
	smp_store_release(&ring->reset_index, idx);
	return count;
}

long rvhv_vm_reset_dirty_rings(struct rvhv_vm *vm)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	struct rvhv_vcpu *vcpu;
	unsigned int i;
	long count = 0;

	if (!READ_ONCE(mmu->dirty.ring_size))
		return -EINVAL;
	mutex_lock(&mmu->slots_lock);
	for (i = 0; i < RVHV_MAX_VCPUS; i++) {
		vcpu = rvhv_vm_vcpu(vm, i);
		if (vcpu && vcpu->dirty_ring.gfns)
			count += rvhv_dirty_ring_reset(mmu, &vcpu->dirty_ring);
	}
	mutex_unlock(&mmu->slots_lock);
	if (count)
		rvhv_gstage_flush_vm(vm);
	return count;
}

/*
 * debugfs "memory": per VM, its slots (and how many log), page-table
 * pages, and the G-stage leaves by size: how dirty logging splits 2 MiB
 * mappings and how they come back.
 */
void rvhv_mmu_show(struct seq_file *m)
{
	unsigned long leaves[3];
	unsigned int i, logged;
	struct rvhv_mmu *mmu;
	struct rvhv_vm *vm;

	mutex_lock(&rvhv_vms_lock);
	list_for_each_entry(vm, &rvhv_vms, list) {
		mmu = &vm->mmu;
		rvhv_gstage_count(mmu, leaves);
		logged = 0;
		spin_lock(&mmu->lock);
		for (i = 0; i < mmu->nr_slots; i++)
			logged += !!(mmu->sorted[i]->flags &
				     KVM_MEM_LOG_DIRTY_PAGES);
		seq_printf(m, "vm pid=%d slots=%u logged_slots=%u pt_pages=%lu leaves_4k=%lu leaves_2m=%lu leaves_1g=%lu ring_size=%u\n",
			   vm->pid, mmu->nr_slots, logged, mmu->nr_pt_pages,
			   leaves[0], leaves[1], leaves[2],
			   READ_ONCE(mmu->dirty.ring_size));
		spin_unlock(&mmu->lock);
	}
	mutex_unlock(&rvhv_vms_lock);
}
