/* SPDX-License-Identifier: GPL-2.0 */
/* Embeds the flat guest payload (GUEST_BIN) in a test program. */
	.section .rodata
	.balign	16
	.globl	guest_blob
guest_blob:
	.incbin	GUEST_BIN
	.globl	guest_blob_end
guest_blob_end:

	.section .note.GNU-stack, "", @progbits
