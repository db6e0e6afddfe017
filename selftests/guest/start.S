/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry and trap vector of the selftest guest payload.
 *
 * _start (at GUEST_BASE): a0, a1 are the guest function's arguments and a2
 * its address.  It sets up the stack, stvec and sstatus.FS, calls the
 * function and reports its return value with UCALL_DONE.
 */
#include "ucall_abi.h"

#define REGBYTES	8
#define FRAME_SIZE	(36 * REGBYTES)
#define SR_FS_INITIAL	0x2000

	.option norelax

	.section .text.entry, "ax"
	.globl	_start
_start:
	li	sp, GUEST_STACK_TOP
	la	t0, guest_trap_entry
	csrw	stvec, t0
	li	t0, SR_FS_INITIAL
	csrs	sstatus, t0
	jalr	a2
	tail	guest_done

	.text
	.globl	guest_done
guest_done:
	/* a0: the value */
	li	a7, UCALL_EXT
	li	a6, UCALL_DONE
1:	ecall
	j	1b		/* a done guest stays done */

	.balign	4
	.globl	guest_trap_entry
guest_trap_entry:
	addi	sp, sp, -FRAME_SIZE
	sd	x1, 1 * REGBYTES(sp)
	sd	x3, 3 * REGBYTES(sp)
	sd	x4, 4 * REGBYTES(sp)
	sd	x5, 5 * REGBYTES(sp)
	sd	x6, 6 * REGBYTES(sp)
	sd	x7, 7 * REGBYTES(sp)
	sd	x8, 8 * REGBYTES(sp)
	sd	x9, 9 * REGBYTES(sp)
	sd	x10, 10 * REGBYTES(sp)
	sd	x11, 11 * REGBYTES(sp)
	sd	x12, 12 * REGBYTES(sp)
	sd	x13, 13 * REGBYTES(sp)
	sd	x14, 14 * REGBYTES(sp)
	sd	x15, 15 * REGBYTES(sp)
	sd	x16, 16 * REGBYTES(sp)
	sd	x17, 17 * REGBYTES(sp)
	sd	x18, 18 * REGBYTES(sp)
	sd	x19, 19 * REGBYTES(sp)
	sd	x20, 20 * REGBYTES(sp)
	sd	x21, 21 * REGBYTES(sp)
	sd	x22, 22 * REGBYTES(sp)
	sd	x23, 23 * REGBYTES(sp)
	sd	x24, 24 * REGBYTES(sp)
	sd	x25, 25 * REGBYTES(sp)
	sd	x26, 26 * REGBYTES(sp)
	sd	x27, 27 * REGBYTES(sp)
	sd	x28, 28 * REGBYTES(sp)
	sd	x29, 29 * REGBYTES(sp)
	sd	x30, 30 * REGBYTES(sp)
	sd	x31, 31 * REGBYTES(sp)
	addi	t0, sp, FRAME_SIZE
	sd	t0, 2 * REGBYTES(sp)
	sd	zero, 0(sp)
	csrr	t0, sepc
	sd	t0, 32 * REGBYTES(sp)
	csrr	t0, scause
	sd	t0, 33 * REGBYTES(sp)
	csrr	t0, stval
	sd	t0, 34 * REGBYTES(sp)
	csrr	t0, sstatus
	sd	t0, 35 * REGBYTES(sp)

	mv	a0, sp
	call	guest_trap_dispatch

	ld	t0, 32 * REGBYTES(sp)
	csrw	sepc, t0
	ld	x1, 1 * REGBYTES(sp)
	ld	x3, 3 * REGBYTES(sp)
	ld	x4, 4 * REGBYTES(sp)
	ld	x5, 5 * REGBYTES(sp)
	ld	x6, 6 * REGBYTES(sp)
	ld	x7, 7 * REGBYTES(sp)
	ld	x8, 8 * REGBYTES(sp)
	ld	x9, 9 * REGBYTES(sp)
	ld	x10, 10 * REGBYTES(sp)
	ld	x11, 11 * REGBYTES(sp)
	ld	x12, 12 * REGBYTES(sp)
	ld	x13, 13 * REGBYTES(sp)
	ld	x14, 14 * REGBYTES(sp)
	ld	x15, 15 * REGBYTES(sp)
	ld	x16, 16 * REGBYTES(sp)
	ld	x17, 17 * REGBYTES(sp)
	ld	x18, 18 * REGBYTES(sp)
	ld	x19, 19 * REGBYTES(sp)
	ld	x20, 20 * REGBYTES(sp)
	ld	x21, 21 * REGBYTES(sp)
	ld	x22, 22 * REGBYTES(sp)
	ld	x23, 23 * REGBYTES(sp)
	ld	x24, 24 * REGBYTES(sp)
	ld	x25, 25 * REGBYTES(sp)
	ld	x26, 26 * REGBYTES(sp)
	ld	x27, 27 * REGBYTES(sp)
	ld	x28, 28 * REGBYTES(sp)
	ld	x29, 29 * REGBYTES(sp)
	ld	x30, 30 * REGBYTES(sp)
	ld	x31, 31 * REGBYTES(sp)
	addi	sp, sp, FRAME_SIZE
	sret

	.section .note.GNU-stack, "", @progbits
