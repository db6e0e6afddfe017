/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv guest memory: declarations shared by the files of mmu/ only.
 */
#ifndef _RVHV_MMU_INT_H
#define _RVHV_MMU_INT_H

#include <linux/list.h>
#include <linux/pgtable.h>
#include <linux/types.h>

#include "../rvhv_int.h"

/* G-stage leaf sizes the fault path maps. */
#define RVHV_GSTAGE_LEVEL_4K	0
#define RVHV_GSTAGE_LEVEL_2M	1
#define RVHV_GSTAGE_LEVEL_1G	2

static inline struct rvhv_vm *rvhv_mmu_vm(struct rvhv_mmu *mmu)
{
	return container_of(mmu, struct rvhv_vm, mmu);
}

/* mmu/gstage.c */
int rvhv_gstage_init(struct rvhv_mmu *mmu);
void rvhv_gstage_free(struct rvhv_vm *vm);
int rvhv_gstage_map(struct rvhv_mmu *mmu, u64 gpa, unsigned long pfn,
		    unsigned int level, bool writable, bool *flush);
bool rvhv_gstage_unmap(struct rvhv_mmu *mmu, u64 start, u64 end,
		       struct list_head *freed);
bool rvhv_gstage_lookup(struct rvhv_mmu *mmu, u64 gpa, unsigned long *pte);
bool rvhv_gstage_wp(struct rvhv_mmu *mmu, u64 start, u64 end);
void rvhv_gstage_count(struct rvhv_mmu *mmu, unsigned long leaves[3]);
void rvhv_gstage_flush_vm(struct rvhv_vm *vm);
void rvhv_gstage_flush_local(struct rvhv_vm *vm, u64 gpa);
void rvhv_gstage_finish(struct rvhv_vm *vm, bool flush,
			struct list_head *freed);
int rvhv_gstage_cache_topup(struct rvhv_mmu *mmu);
unsigned long *rvhv_gstage_leaf_table(struct rvhv_mmu *mmu, u64 gpa);
bool rvhv_gstage_none(const unsigned long *table, u64 gpa);
void rvhv_gstage_set(unsigned long *table, u64 gpa, unsigned long pfn,
		     bool writable);

/* mmu/fault.c: rvhv_host_walk() found a PUD leaf, or a PMD entry. */
#define RVHV_HOST_PUD		1
#define RVHV_HOST_PMD		2
int rvhv_host_walk(struct mm_struct *mm, unsigned long hva, pud_t *pudv,
		   pmd_t *pmdv);

/*
 * mmu/preload.c: may the guest have the page behind host PTE @pte without
 * a GUP (present, readable, user, a normal anonymous or shmem page)?  Its
 * frame, and whether the PTE is writable and dirty.
 */
bool rvhv_preload_pte(pte_t pte, unsigned long *pfn, bool *writable);

/* mmu/memslot.c */
struct rvhv_memslot *rvhv_find_memslot(struct rvhv_mmu *mmu, u64 gfn);

/* mmu/notifier.c */
int rvhv_mmu_notifier_register(struct rvhv_vm *vm);
void rvhv_mmu_notifier_unregister(struct rvhv_vm *vm);

#endif /* _RVHV_MMU_INT_H */
