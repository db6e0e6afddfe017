/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bare guest for rvhv-run's ELF and flat-binary loaders: linked at
 * 0x80200000 (where a flat binary is loaded), prints a line through the
 * SBI debug console (DBCN console_write_byte) and shuts down (SRST).
 * Position-independent, so the ELF and the flat copy run alike.
 */
	.section .text
	.globl _start
_start:
	lla	s0, msg
1:	lbu	a0, 0(s0)
	beqz	a0, 2f
	li	a7, 0x4442434E		/* DBCN */
	li	a6, 2			/* console_write_byte */
	ecall
	addi	s0, s0, 1
	j	1b
2:	li	a7, 0x53525354		/* SRST */
	li	a6, 0			/* system_reset */
	li	a0, 0			/* shutdown */
	li	a1, 0			/* no reason */
	ecall
3:	wfi
	j	3b

	.section .rodata
msg:	.asciz	"rvhv-guest: hello from a bare guest\n"
