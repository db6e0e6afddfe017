/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv guest memory: memslots, G-stage page tables, G-stage faults, MMU
 * notifiers and G-stage TLB fences.
 */
#ifndef _RVHV_MMU_H
#define _RVHV_MMU_H

#include <linux/kvm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>

#include "dirty.h"
#include "preload.h"

struct rvhv_vm;
struct rvhv_vcpu;
struct page;

/*
 * Memslot ids are 0 .. RVHV_NR_MEMSLOTS - 1 (KVM_CAP_NR_MEMSLOTS), in
 * address space 0 only (KVM_CAP_MULTI_ADDRESS_SPACE: 1).
 */
#define RVHV_NR_MEMSLOTS	512
/* Largest memslot, in pages (KVM's KVM_MEM_MAX_NR_PAGES). */
#define RVHV_MEM_MAX_NR_PAGES	((1UL << 31) - 1)
/* Spare page-table pages a VM keeps for the fault path (Sv57x4 needs 4). */
#define RVHV_PT_CACHE		4

/**
 * struct rvhv_memslot - one memslot (KVM_SET_USER_MEMORY_REGION)
 * @base_gfn: first guest frame
 * @npages: size in pages (never 0: a deleted slot is freed)
 * @userspace_addr: VMM address of @base_gfn, page aligned
 * @flags: KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES
 * @id: slot id
 * @dirty_bitmap: while the slot logs into a bitmap (KVM_MEM_LOG_DIRTY_PAGES
 *	on a VM without dirty rings): one bit per page, then as many again
 *	for KVM_GET_DIRTY_LOG's scratch (mmu/dirty.c); else NULL.  The
 *	pointer changes, and the bitmap is freed, with rvhv_mmu.slots_lock
 *	and rvhv_mmu.lock held; bits are set and cleared atomically under
 *	rvhv_mmu.lock.
 *
 * Written under both rvhv_mmu.slots_lock and rvhv_mmu.lock; read under
 * either.  A slot's @flags change only with rvhv_mmu.invalidate_seq
 * bumped, so a fault that looked it up before does not install a PTE.
 */
struct rvhv_memslot {
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
	u32 flags;
	u16 id;
	unsigned long *dirty_bitmap;
};

/**
 * struct rvhv_mmu - a VM's guest physical memory (embedded in rvhv_vm)
 * @slots_lock: serialises memslot updates (KVM_SET_USER_MEMORY_REGION*).
 *	A sleeping lock: taken outside @lock and outside the mmap lock.
 * @lock: spinlock protecting everything below it except @mn: the memslot
 *	arrays, the G-stage page tables, the invalidation counters, the page
 *	cache and @dead.  Never taken with interrupts disabled (but by
 *	the exit fast path, rvhv_gstage_fault_fast(), and only with
 *	spin_trylock(): it never waits for it there), never held
 *	across anything that sleeps or allocates, nor across the TLB-fence
 *	IPIs.  Order: slots_lock -> mmap lock -> lock.
 * @slots: memslots by id (RVHV_NR_MEMSLOTS entries, NULL when unused)
 * @sorted: the @nr_slots memslots in use, by ascending base_gfn
 * @nr_slots: how many memslots are in use
 * @pgd: G-stage root page table (16 KiB, 16 KiB aligned)
 * @pgd_phys: its physical address, for hgatp (fixed after init)
 * @levels: G-stage levels: 3 (Sv39x4), 4 (Sv48x4) or 5 (Sv57x4); the
 *	host's widest at init, changed only by KVM_ENABLE_CAP(
 *	KVM_CAP_VM_GPA_BITS) (rvhv_vm.c) while the VM has no vCPU and no
 *	memslot (nothing mapped), with the VM's lock, @slots_lock and @lock
 *	held; fixed from its first vCPU or memslot on
 * @invalidate_seq: bumped at the end of every MMU-notifier invalidation
 *	and on every memslot delete/move; a fault that sampled it before
 *	looking up the host page installs its PTE only if it is unchanged
 * @invalidate_in_progress: MMU-notifier invalidations started and not yet
 *	ended; no PTE is installed while it is non-zero
 * @cache: spare zeroed page-table pages, filled outside @lock by the fault
 *	path and consumed under it
 * @cache_nr: how many of @cache are filled (also read without @lock, as
 *	a hint, by rvhv_gstage_cache_topup())
 * @nr_pt_pages: page-table pages below the root (for debugging)
 * @wc_table: the walk cache (mmu/gstage.c): the last-level (4 KiB leaf)
 *	table that maps the 2 MiB-aligned guest region @wc_tag, or NULL.
 *	Lifetime rule: set and used only under @lock, and cleared under
 *	@lock in the same critical section that unlinks that table, so
 *	whenever @lock is free it names a table linked into the tree at
 *	@wc_tag (checked against a full walk with rvhv.debug_checks=1).
 * @wc_tag: the guest physical address of @wc_table's region >> 21
 * @wc_hits: walks the cache saved (for debugfs)
 * @dead: the VMM's address space has gone (notifier .release): nothing is
 *	mapped and faults fail with -EFAULT
 * @mn: MMU notifier on the VM's mm
 * @mn_registered: @mn is registered (set at init, cleared at destroy;
 *	only accessed by init and destroy)
 * @srcu: the lifetime of VMM addresses found through a memslot.  Whoever
 *	turns a guest physical address into a VMM address and then touches
 *	that address (rvhv_read_guest(), rvhv_write_guest(),
 *	rvhv_probe_guest_writable()) holds srcu_read_lock() from the lookup
 *	until the last access, which may sleep (page faults, swap-in,
 *	userfaultfd).  Deleting or moving a slot unpublishes it and then
 *	waits for those readers (synchronize_srcu()) before it returns and
 *	before the slot is freed: once KVM_SET_USER_MEMORY_REGION returns,
 *	no copy made for the guest lands in memory the VMM took back.
 *	(The fault path does not use it: it maps pages through
 *	@invalidate_seq and @invalidate_in_progress under @lock.)
 * @dirty: dirty logging mode: manual protection, ring size (its own
 *	locking: mmu/dirty.h)
 */
struct rvhv_mmu {
	struct mutex slots_lock;
	spinlock_t lock;
	struct rvhv_memslot **slots;
	struct rvhv_memslot **sorted;
	unsigned int nr_slots;
	unsigned long *pgd;
	unsigned long pgd_phys;
	unsigned int levels;
	unsigned long invalidate_seq;
	unsigned long invalidate_in_progress;
	struct page *cache[RVHV_PT_CACHE];
	unsigned int cache_nr;
	unsigned long nr_pt_pages;
	unsigned long *wc_table;
	u64 wc_tag;
	unsigned long wc_hits;
	bool dead;
	struct mmu_notifier mn;
	bool mn_registered;
	struct srcu_struct srcu;
	struct rvhv_dirty dirty;
};

/*
 * At VM creation, in the creating process (vm->mm == current->mm), after
 * vm->mm is set.  On failure everything is undone, and
 * rvhv_mmu_destroy() must not be called.
 */
int rvhv_mmu_init(struct rvhv_vm *vm);
/*
 * When the VM is freed (its mm may already have exited), before the VM's
 * mmdrop(vm->mm).  Process context; sleeps.
 */
void rvhv_mmu_destroy(struct rvhv_vm *vm);

/*
 * KVM_SET_USER_MEMORY_REGION and KVM_SET_USER_MEMORY_REGION2.  For the
 * former, copy struct kvm_userspace_memory_region into a zeroed
 * struct kvm_userspace_memory_region2.  Called from the VM ioctl, with
 * current->mm == vm->mm.  Returns 0 or the errno KVM gives.
 */
long rvhv_set_user_memory_region(struct rvhv_vm *vm,
				 const struct kvm_userspace_memory_region2 *mem);

/*
 * Map the 4 KiB host physical page @pa (a device page: an IMSIC guest
 * interrupt file, irqchip/hwfile.c) at @gpa, writable, and fence every
 * hart; unmap the page at @gpa and fence.  Process context; may sleep.
 * 0, -ENOMEM, or -EINVAL for a @gpa beyond the VM's GPA width (which the
 * guest cannot reach: its accesses there fault).
 */
int rvhv_gstage_map_mmio(struct rvhv_vm *vm, u64 gpa, phys_addr_t pa);
void rvhv_gstage_unmap_page(struct rvhv_vm *vm, u64 gpa);

/* Physical page number of the G-stage root, for hgatp.PPN. */
unsigned long rvhv_mmu_root_ppn(struct rvhv_vm *vm);

/*
 * The exit fast path's (trap/fastpath.c) guest-page fault at @gpa, with
 * interrupts off, in the vCPU's thread, vCPU loaded: handled as
 * rvhv_gstage_fault() would handle it, with the same counters (
 * gstage_faults included) and tracepoint, when that needs neither
 * sleeping nor spinning nor another hart: the G-stage maps @gpa already
 * (it fences the page on this hart), or the VMM's page tables hold the
 * page as the access needs it (mmu/fault.c says exactly when).  Returns
 * 0 (done: re-enter the guest), RVHV_FAULT_MMIO with nothing counted
 * (@gpa is outside every memslot, or a write to a read-only one), or
 * RVHV_FAST_DECLINED with nothing done: call rvhv_gstage_fault().
 */
int rvhv_gstage_fault_fast(struct rvhv_vcpu *vcpu, unsigned long gpa,
			   bool write, bool exec);

/* rvhv_gstage_fault(): the GPA is not in a memslot: emulate it as MMIO. */
#define RVHV_FAULT_MMIO		1

/*
 * A guest-page fault at @gpa.  Called from KVM_RUN in process context,
 * preemptible, vCPU loaded; may sleep.  Returns 0 when the page is now
 * mapped (re-enter the guest; it may also be 0 when an invalidation raced
 * with the fault, and the guest simply faults again), RVHV_FAULT_MMIO
 * when @gpa is outside every memslot or is a write to a read-only one, or
 * a negative errno for KVM_RUN (-EFAULT when the VMM's mapping is gone or
 * forbids the access, -EINTR when a signal interrupted waiting for the
 * page, e.g. on userfaultfd, -ENOMEM).
 */
int rvhv_gstage_fault(struct rvhv_vcpu *vcpu, unsigned long gpa, bool write,
		      bool exec);

/*
 * Copy to/from guest physical memory through the VMM's mapping.  Process
 * context in the VMM (current->mm == vm->mm); may sleep.  -EFAULT when
 * the range is not inside one memslot (or, for writes, the slot is
 * read-only) or the VMM's memory faults; -EINTR when a signal came while
 * waiting for a page of the VMM's (e.g. behind userfaultfd).
 */
int rvhv_read_guest(struct rvhv_vm *vm, unsigned long gpa, void *data,
		    unsigned long len);
int rvhv_write_guest(struct rvhv_vm *vm, unsigned long gpa, const void *data,
		     unsigned long len);
/*
 * Is [gpa, gpa + len) inside one memslot (a writable one, for @write)?
 * The memslots as they are now; nothing of the VMM's memory is touched.
 * Process context in the VMM, as the above.
 */
bool rvhv_gpa_in_memslot(struct rvhv_vm *vm, unsigned long gpa,
			 unsigned long len, bool write);

/*
 * rvhv_write_guest() for a vCPU, in its KVM_RUN thread: the pages written
 * are also logged for dirty tracking (into the vCPU's dirty ring when the
 * VM has rings).  rvhv_write_guest() logs only into dirty bitmaps: with
 * rings, writes for a guest must go through this one.
 */
int rvhv_vcpu_write_guest(struct rvhv_vcpu *vcpu, unsigned long gpa,
			  const void *data, unsigned long len);
/*
 * Could [gpa, gpa + len) be written (one writable memslot, mapped
 * writable by the VMM)?  Faults the pages in for writing (breaking COW)
 * without changing a byte.  0, -EFAULT or -EINTR, as the above.
 */
int rvhv_probe_guest_writable(struct rvhv_vm *vm, unsigned long gpa,
			      unsigned long len);

#endif /* _RVHV_MMU_H */
