/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vmid_test and its guests (guest/vmid.c) share, besides struct
 * smp_shared (smp_abi.h).  Plain C constants only.
 *
 * The test adds a memslot of VMID_SLOT_SIZE at GUEST_EXTRA:
 *   VMID_PAT_BASE   pattern pages, VMID_PAT_PAGES per hart
 *   VMID_PT_BASE    Sv39 page tables, 3 pages per hart (root, L1, L0)
 *   VMID_VS_DATA    one page per hart, mapped at VMID_VS_VA
 * and GUEST_EXTRA (a 1 GiB gigapage in Sv39) is mapped 1:1, as is the
 * payload's GUEST_BASE.
 *
 * smp_shared use: arg[0] the VM's tag, arg[1] pattern pages per hart,
 * arg[2] VMID_F_* flags; host_flag[0] set: stop; counter[h] rounds done
 * by hart h; legacy_mask the v0.1 hart mask (read with HLV.D by rvhv).
 */
#ifndef GUEST_VMID_ABI_H
#define GUEST_VMID_ABI_H

#include "ucall_abi.h"

#define VMID_SLOT_SIZE		0x00200000UL
#define VMID_PAT_BASE		GUEST_EXTRA
#define VMID_PAT_PAGES		32
#define VMID_PT_BASE		(GUEST_EXTRA + 0x100000UL)
#define VMID_VS_DATA		(GUEST_EXTRA + 0x180000UL)
#define VMID_VS_VA		0x40000000UL

/* smp_shared.arg[2] */
#define VMID_F_LEGACY		1UL	/* legacy remote fences (HLV.D) */
#define VMID_F_RFENCE		2UL	/* SBI RFENCE sfence.vma, all harts */

/* The value of word i (of 8-byte words) of hart h's pattern, round r. */
#define VMID_PAT(tag, h, i, r)	((tag) << 40 ^ (unsigned long)(h) << 32 ^ \
				 (unsigned long)(i) << 12 ^ (r))
/* Word i of hart h's VS page (VMID_VS_DATA + h * 4096). */
#define VMID_VS_PAT(h, i)	(0x5653000000000000UL ^ \
				 (unsigned long)(h) << 32 ^ (i))

/* guest_vmid_storm: the batch array (BATCH_ARRAY) holds this many. */
#define VMID_STORM_BATCH	64

#endif /* GUEST_VMID_ABI_H */
