/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the bare guests next to rvhv-run (virtio-hostile.c, gdb-guest.c):
 * freestanding S-mode code that talks to rvhv-run through SBI calls.
 */
#ifndef BARE_GUEST_H
#define BARE_GUEST_H

#define SBI_EXT_DBCN	0x4442434E	/* fid 0: console_write(len, pa) */
#define SBI_EXT_HSM	0x48534D	/* fid 0: hart_start, 1: hart_stop */
#define SBI_EXT_SRST	0x53525354	/* fid 0: system_reset(0: shutdown) */

/* An SBI call with up to three arguments; returns the error (a0). */
static inline long sbi(long ext, long fid, long arg0, long arg1, long arg2)
{
	register long a0 asm("a0") = arg0;
	register long a1 asm("a1") = arg1;
	register long a2 asm("a2") = arg2;
	register long a6 asm("a6") = fid;
	register long a7 asm("a7") = ext;

	asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7)
		     : "memory");
	return a0;
}

#endif /* BARE_GUEST_H */
