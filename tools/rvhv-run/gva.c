// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: guest virtual addresses, for the GDB stub (gdb.c).
 *
 * A guest virtual address is translated as the vCPU's MMU would at the
 * VS stage: through the page tables the vCPU's satp (ONE_REG CSR satp,
 * the guest's vsatp) points to, Sv39, Sv48 or Sv57 (4 KiB pages,
 * megapages and larger, Svnapot 64 KiB pages), or not at all when satp's
 * MODE is Bare.  The page tables are read from guest RAM, so both they
 * and the result must be in guest RAM (gpa_ptr()); MMIO is never touched.
 * Permission and A/D bits are neither checked nor changed: a debugger
 * sees whatever the guest kernel could map.  The guest may change its
 * page tables while other vCPUs run; each PTE is read once, atomically.
 */
#include "rvhv-run.h"

#define SATP_MODE_SHIFT		60
#define SATP_PPN		((1ULL << 44) - 1)
#define SATP_BARE		0
#define SATP_SV39		8
#define SATP_SV48		9
#define SATP_SV57		10

#define PTE_V			(1ULL << 0)
#define PTE_R			(1ULL << 1)
#define PTE_W			(1ULL << 2)
#define PTE_X			(1ULL << 3)
#define PTE_N			(1ULL << 63)	/* Svnapot */
#define PTE_PPN(pte)		(((pte) >> 10) & ((1ULL << 44) - 1))

#define PAGE_SHIFT		12
#define LEVEL_BITS		9
#define NAPOT_64K_PPN		0x8		/* ppn[3:0] of a 64 KiB page */

int gva_translate(uint64_t satp, uint64_t gva, uint64_t *gpa, uint64_t *left)
{
	unsigned int levels, va_bits, level;
	uint64_t table, size, ppn, pte;
	const uint64_t *p;

	switch (satp >> SATP_MODE_SHIFT) {
	case SATP_BARE:
		*gpa = gva;
		*left = SZ_4K - (gva & (SZ_4K - 1));
		return 0;
	case SATP_SV39:
		levels = 3;
		break;
	case SATP_SV48:
		levels = 4;
		break;
	case SATP_SV57:
		levels = 5;
		break;
	default:
		return -1;
	}
	/* The bits above the translated ones copy the top translated one. */
	va_bits = PAGE_SHIFT + LEVEL_BITS * levels;
	if ((uint64_t)((int64_t)(gva << (64 - va_bits)) >> (64 - va_bits)) !=
	    gva)
		return -1;

	table = (satp & SATP_PPN) << PAGE_SHIFT;
	for (level = levels; level-- > 0;) {
		unsigned int shift = PAGE_SHIFT + LEVEL_BITS * level;

		p = gpa_ptr(table + ((gva >> shift) & 0x1ff) * 8, 8);
		if (!p)
			return -1;
		pte = __atomic_load_n(p, __ATOMIC_RELAXED);
		if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)))
			return -1;
		if (!(pte & (PTE_R | PTE_X))) {
			/* A pointer to the next level. */
			table = PTE_PPN(pte) << PAGE_SHIFT;
			continue;
		}
		/* A leaf: a page of 4 KiB << 9 * level, aligned. */
		size = 1ULL << shift;
		ppn = PTE_PPN(pte);
		if (ppn & ((size >> PAGE_SHIFT) - 1))
			return -1;
		if (pte & PTE_N) {
			if (level || (ppn & 0xf) != NAPOT_64K_PPN)
				return -1;
			size = 16 * SZ_4K;
			ppn &= ~0xfULL;
		}
		*gpa = (ppn << PAGE_SHIFT) + (gva & (size - 1));
		*left = size - (gva & (size - 1));
		return 0;
	}
	/* A pointer at the last level. */
	return -1;
}
