/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What aia_test and its guest (guest/aia.c) share: the APLIC's place and
 * registers, and struct aia_shared, where the guest's interrupt handler
 * counts what it claims.
 */
#ifndef AIA_ABI_H
#define AIA_ABI_H

#include "ucall_abi.h"

/* Where the tests put the APLIC (QEMU virt's S-level APLIC address). */
#define AIA_APLIC_BASE		0x0d000000UL

/* APLIC registers (AIA specification, chapter 4) */
#define APLIC_DOMAINCFG		0x0000
#define APLIC_DOMAINCFG_IE	(1U << 8)
#define APLIC_DOMAINCFG_DM	(1U << 2)
#define APLIC_SOURCECFG(i)	(0x0004 + 4 * ((i) - 1))
#define APLIC_SM_INACTIVE	0
#define APLIC_SM_DETACHED	1
#define APLIC_SM_EDGE_RISE	4
#define APLIC_SM_EDGE_FALL	5
#define APLIC_SM_LEVEL_HIGH	6
#define APLIC_SM_LEVEL_LOW	7
#define APLIC_SOURCECFG_D	(1U << 10)
#define APLIC_SETIP(w)		(0x1c00 + 4 * (w))
#define APLIC_SETIPNUM		0x1cdc
#define APLIC_IN_CLRIP(w)	(0x1d00 + 4 * (w))
#define APLIC_CLRIPNUM		0x1ddc
#define APLIC_SETIE(w)		(0x1e00 + 4 * (w))
#define APLIC_SETIENUM		0x1edc
#define APLIC_CLRIE(w)		(0x1f00 + 4 * (w))
#define APLIC_CLRIENUM		0x1fdc
#define APLIC_SETIPNUM_LE	0x2000
#define APLIC_SETIPNUM_BE	0x2004
#define APLIC_GENMSI		0x3000
#define APLIC_TARGET(i)		(0x3004 + 4 * ((i) - 1))
#define APLIC_IDC(h)		(0x4000 + 32 * (h))
#define APLIC_IDELIVERY		0x00
#define APLIC_IFORCE		0x04
#define APLIC_ITHRESHOLD	0x08
#define APLIC_TOPI		0x18
#define APLIC_CLAIMI		0x1c

/* guest_aia_loop's commands (struct guest_cmd.op) */
#define AIA_W32		1	/* 32-bit store of val at addr */
#define AIA_R32		2	/* REPORT(op, 32-bit load at addr) */
#define AIA_WAIT	3	/* interrupts on, spin until n claims or val ms */
#define AIA_WFI		4	/* interrupts on, WFI until n claims */
#define AIA_LOAD	5	/* REPORT(op, load of n bytes at addr) */
#define AIA_STORE	6	/* store of n bytes of val at addr */
#define AIA_EXIT	7	/* return val */
#define AIA_ISEL_W	8	/* siselect = addr, sireg = val */
#define AIA_ISEL_R	9	/* siselect = addr, REPORT(op, sireg) */
#define AIA_W32N	10	/* n 32-bit stores of val at addr */

/* Where the MSI-mode tests put vCPU 0's IMSIC page. */
#define AIA_IMSIC_BASE		0x28000000UL
#define IMSIC_EIDELIVERY	0x70
#define IMSIC_EITHRESHOLD	0x72
#define IMSIC_EIP0		0x80
#define IMSIC_EIE0		0xc0

#define AIA_SHARED		(GUEST_DATA + 0x4000UL)
#define AIA_RING		16

/*
 * @base: the APLIC's guest physical address (the test sets it)
 * @freq: timebase frequency (the test sets it), for timeouts
 * @mask_on_claim: the handler disables (clrienum) what it claims
 * @msi: MSI mode: the handler claims through stopei (the IMSIC), not
 *	claimi, and records stopei's value
 * @claims: interrupts claimed (claimi non-zero)
 * @spurious: external interrupts whose claimi read 0
 * @wfis: WFIs that returned in AIA_WFI
 * @last: claimi values, @claims % AIA_RING the next slot
 * @seen: bit n: identity (or source) n was claimed
 */
struct aia_shared {
	unsigned long base;
	unsigned long freq;
	unsigned long mask_on_claim;
	unsigned long msi;
	unsigned long claims;
	unsigned long spurious;
	unsigned long wfis;
	unsigned long last[AIA_RING];
	unsigned long seen[2048 / 64];
};

#endif /* AIA_ABI_H */
