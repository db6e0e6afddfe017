/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastpath_test and its guest (guest/fastpath.c): the register block.
 *
 * The guest routines run with every GPR the test's choice, so they
 * address memory only through x0: FP_PAGE, a 4 KiB memslot at guest
 * physical (and virtual: vsatp = 0) address 0, holds the test's values,
 * the guest's results and the guest's saved registers, all within the
 * 12-bit offset of "sd reg, off(zero)".
 */
#ifndef GUEST_FASTPATH_ABI_H
#define GUEST_FASTPATH_ABI_H

#define FP_PAGE		0x0UL		/* GPA of the block's slot */
#define FP_IN		0x000		/* x1..x31 at FP_IN + 8 * n */
#define FP_OUT		0x100		/* x1..x31 after the trap */
#define FP_CSR_IN	0x200		/* sscratch sepc stval scause */
#define FP_CSR_OUT	0x220		/* the same after the trap */
#define FP_SSTATUS	0x240		/* sstatus before, after */
#define FP_FLAGS	0x250		/* FP_USE_F: the F/D registers too */
#define FP_FCSR_IN	0x260		/* fcsr before the trap */
#define FP_FCSR_OUT	0x268		/* fcsr after it */
#define FP_SPIN_START	0x270		/* guest_fp_spin: the time it began */
#define FP_SAVE		0x400		/* the guest's own x1..x31 */
#define FP_FSAVE	0x500		/* the guest's own f0..f31 */
#define FP_FIN		0x600		/* f0..f31 at FP_FIN + 8 * n */
#define FP_FOUT		0x700		/* f0..f31 after the trap */

#define FP_USE_F	1UL

#define FP_NR_CSRS	4

#endif /* GUEST_FASTPATH_ABI_H */
