/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv dirty-page tracking (mmu/dirty.c): KVM_MEM_LOG_DIRTY_PAGES with its
 * per-slot bitmaps (KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) and the per-vCPU dirty rings
 * (KVM_CAP_DIRTY_LOG_RING_ACQ_REL, KVM_RESET_DIRTY_RINGS,
 * KVM_EXIT_DIRTY_RING_FULL).
 */
#ifndef _RVHV_MMU_DIRTY_H
#define _RVHV_MMU_DIRTY_H

#include <linux/kvm.h>
#include <linux/rvhv.h>
#include <linux/types.h>

struct rvhv_vm;
struct rvhv_vcpu;
struct rvhv_memslot;
struct vm_area_struct;
struct page;
struct seq_file;

/*
 * KVM's riscv uapi headers before Linux 6.17 leave KVM_DIRTY_LOG_PAGE_OFFSET
 * 0 (no ring); 6.17's say 64, as every other architecture: rvhv's.
 */
#if KVM_DIRTY_LOG_PAGE_OFFSET
static_assert(KVM_DIRTY_LOG_PAGE_OFFSET == RVHV_DIRTY_LOG_PAGE_OFFSET);
#endif

/* KVM's limits: entries kept back for the soft limit, and the most. */
#define RVHV_DIRTY_RING_RSVD_ENTRIES	64
#define RVHV_DIRTY_RING_MAX_ENTRIES	65536
#define RVHV_DIRTY_RING_MAX_BYTES	(RVHV_DIRTY_RING_MAX_ENTRIES * \
					 sizeof(struct kvm_dirty_gfn))
/* KVM_CHECK_EXTENSION(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) */
#define RVHV_DIRTY_LOG_MANUAL_CAPS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
					 KVM_DIRTY_LOG_INITIALLY_SET)

/**
 * struct rvhv_dirty - a VM's dirty-tracking mode (in struct rvhv_mmu)
 * @manual_protect: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2's args[0]
 *	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, KVM_DIRTY_LOG_INITIALLY_SET).
 *	Written under rvhv_mmu.slots_lock, which its readers hold too.
 * @ring_size: dirty ring size in bytes, 0 without rings.  Set once, under
 *	rvhv_vm.lock while the VM has no vCPU; vCPUs are created under the
 *	same lock, so a vCPU has a ring exactly when this is non-zero.
 *	Read with READ_ONCE() elsewhere.
 */
struct rvhv_dirty {
	u64 manual_protect;
	u32 ring_size;
};

/**
 * struct rvhv_dirty_ring - one vCPU's dirty ring (in struct rvhv_vcpu)
 * @gfns: @size entries, vmalloc'ed, shared with userspace through the
 *	vCPU mmap at RVHV_DIRTY_LOG_PAGE_OFFSET; NULL without rings.  Freed
 *	with the vCPU, which outlives every mapping of its fd.
 * @size: entries, a power of two
 * @soft_limit: with this many entries in use, KVM_RUN exits with
 *	KVM_EXIT_DIRTY_RING_FULL before it enters the guest again
 * @dirty_index: free-running index of the next entry to fill.  Written
 *	only by the vCPU's thread (under rvhv_mmu.lock), with release; read
 *	by KVM_RESET_DIRTY_RINGS with acquire.
 * @reset_index: free-running index of the next entry to reset.  Written
 *	only by KVM_RESET_DIRTY_RINGS (rvhv_mmu.slots_lock held), with
 *	release after the entries' flags are cleared; read by the vCPU's
 *	thread with acquire.  Never passes @dirty_index, whatever
 *	userspace writes into the entries.
 * @full: pushes refused because every entry was in use (which the soft
 *	limit makes impossible: at most a few pushes happen per exit)
 */
struct rvhv_dirty_ring {
	struct kvm_dirty_gfn *gfns;
	u32 size;
	u32 soft_limit;
	u32 dirty_index;
	u32 reset_index;
	u64 full;
};

/* KVM_ENABLE_CAP of KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, _DIRTY_LOG_RING_ACQ_REL. */
long rvhv_dirty_enable_cap(struct rvhv_vm *vm, const struct kvm_enable_cap *cap);
/* VM ioctls: KVM_GET_DIRTY_LOG or KVM_CLEAR_DIRTY_LOG (@ioctl), ... */
long rvhv_vm_dirty_log(struct rvhv_vm *vm, unsigned int ioctl,
		       void __user *argp);
/* ... and KVM_RESET_DIRTY_RINGS. */
long rvhv_vm_reset_dirty_rings(struct rvhv_vm *vm);

/*
 * The vCPU's ring, at vCPU creation under rvhv_vm.lock (none if the VM has
 * no rings); freed with the vCPU.
 */
int rvhv_dirty_ring_alloc(struct rvhv_vm *vm, struct rvhv_dirty_ring *ring);
void rvhv_dirty_ring_free(struct rvhv_dirty_ring *ring);
/* vCPU mmap: may @vma map the ring pages it covers?  The page at @pgoff. */
bool rvhv_dirty_ring_mmap_ok(const struct rvhv_dirty_ring *ring,
			     struct vm_area_struct *vma);
struct page *rvhv_dirty_ring_page(const struct rvhv_dirty_ring *ring,
				  unsigned long pgoff);
/*
 * KVM_RUN, before each guest entry: must it exit with
 * KVM_EXIT_DIRTY_RING_FULL (the ring reached its soft limit)?
 */
bool rvhv_dirty_ring_soft_full(const struct rvhv_dirty_ring *ring);

/*
 * Log a write to guest frame @gfn of slot @s of @vm, if @s logs: in
 * @vcpu's ring when the VM has rings (@vcpu NULL: nowhere then), else in
 * the slot's bitmap.  False only when the ring has no free entry: the
 * caller must not let the write happen (the fault path leaves the page
 * unmapped; the vCPU exits with KVM_EXIT_DIRTY_RING_FULL first).
 * Context: rvhv_mmu.lock held; @vcpu's own thread.
 */
bool rvhv_dirty_mark_locked(struct rvhv_vm *vm, struct rvhv_vcpu *vcpu,
			    struct rvhv_memslot *s, u64 gfn);

/*
 * Memslot changes (mmu/memslot.c), with rvhv_mmu.slots_lock held.
 * rvhv_dirty_bitmap_alloc(): the bitmap for a slot of @npages that starts
 * logging (NULL without error when the VM logs into rings); all bits set
 * with KVM_DIRTY_LOG_INITIALLY_SET.  rvhv_dirty_slot_protect(): after a
 * slot started logging, write-protect what is mapped of it (not with
 * KVM_DIRTY_LOG_INITIALLY_SET bitmaps: every page counts as dirty until
 * KVM_CLEAR_DIRTY_LOG protects it) and fence.
 */
int rvhv_dirty_bitmap_alloc(struct rvhv_vm *vm, u64 npages,
			    unsigned long **bitmap);
void rvhv_dirty_bitmap_free(unsigned long *bitmap);
void rvhv_dirty_slot_protect(struct rvhv_vm *vm, struct rvhv_memslot *s);

/* debugfs "memory": one line per VM (slots, page tables, leaf sizes). */
void rvhv_mmu_show(struct seq_file *m);

#endif /* _RVHV_MMU_DIRTY_H */
