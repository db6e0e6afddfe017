/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What hostile_test and its guest programs (guest/hostile.c) agree on.
 * Plain C constants: included by both sides.
 */
#ifndef GUEST_HOSTILE_ABI_H
#define GUEST_HOSTILE_ABI_H

#include "ucall_abi.h"

/* The call guest_hostile_sbi_random is making (for the host's checks). */
#define HOSTILE_CUR		(GUEST_DATA + 0x8000UL)
/* struct hostile_stat per HOSTILE_EXTS entry. */
#define HOSTILE_STATS		(GUEST_DATA + 0x8100UL)
/* Flags the host gives guest_hostile_sbi_random (HOSTILE_F_*). */
#define HOSTILE_FLAGS		(GUEST_DATA + 0x8F00UL)
/*
 * No remote-fence range starting in the top 2 MiB of the address space:
 * kvm.ko 6.12 never returns from some of them (hostile_test.c,
 * fence_ranges).
 */
#define HOSTILE_F_NO_TOP_FENCE	1UL
/* guest_hostile_srst: both vCPUs meet here before their ecall. */
#define HOSTILE_BARRIER		(GUEST_DATA + 0x9000UL)
/* guest_hostile_umode: the U-mode code's results. */
#define HOSTILE_UMODE		(GUEST_DATA + 0x9100UL)

/*
 * guest_hostile_vs_crossing: a memslot at HOSTILE_VS_PAGES holds the two
 * code pages (the stub at the end of the first) and the guest's three
 * Sv39 tables; HOSTILE_VS_VA maps the code pages.
 */
#define HOSTILE_VS_PAGES	GUEST_EXTRA
#define HOSTILE_VS_SIZE		0x5000UL
#define HOSTILE_VS_VA		0x40000000UL

/*
 * A scratch memslot the test adds for the random SBI loop: batch arrays
 * and hart masks may point there (anything written there is harmless).
 */
#define HOSTILE_SCRATCH		GUEST_EXTRA
#define HOSTILE_SCRATCH_SIZE	0x10000UL

#define RVHV_SBI_EXT_ID		0x0A525648UL	/* uapi/linux/rvhv.h */

/* Extension ids the random loop draws from; the last three are ranges. */
#define HOSTILE_EXT_EXPERIMENTAL	0xE0000001UL	/* 0x08xxxxxx */
#define HOSTILE_EXT_VENDOR		0xE0000002UL	/* 0x09xxxxxx */
#define HOSTILE_EXT_RANDOM		0xE0000003UL	/* any 64 bits */
#define HOSTILE_EXTS_INIT {						\
	SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE,	\
	SBI_EXT_HSM, SBI_EXT_SRST, 0, 1, 2, 3, 4, 5, 6, 7, 8,		\
	SBI_EXT_DBCN, RVHV_SBI_EXT_ID, SBI_EXT_PMU, SBI_EXT_STA,	\
	HOSTILE_EXT_EXPERIMENTAL, HOSTILE_EXT_VENDOR, HOSTILE_EXT_RANDOM }
#define HOSTILE_NEXTS		22

#ifndef __ASSEMBLER__
struct hostile_call {
	unsigned long ext;
	unsigned long fid;
	unsigned long args[6];
	unsigned long index;	/* which call of the run */
	unsigned long kind;	/* its HOSTILE_EXTS index */
};

struct hostile_stat {
	unsigned long calls;
	unsigned long ok;	/* a0 = SBI_SUCCESS */
	unsigned long err;	/* a0 = a defined SBI error */
	unsigned long traps;	/* the guest took a trap instead */
};
#endif

/* guest_hostile_sbi_random's REPORT tag for a call it found wrong. */
#define HOSTILE_BAD		0xBADUL

#endif /* GUEST_HOSTILE_ABI_H */
