/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Offsets into struct rvhv_guest_ctx for the world switch.  The module is
 * built out of tree, so there is no asm-offsets step: these constants are
 * checked against the C layout with static_assert() in trap/exit.c, and the
 * build fails if they disagree.
 */
#ifndef _RVHV_TRAP_OFFSETS_H
#define _RVHV_TRAP_OFFSETS_H

#define RVHV_CTX_GPR(n)		((n) * 8)	/* gpr[0] is the pc */
#define RVHV_CTX_SSTATUS	256
#define RVHV_CTX_HSTATUS	264
#define RVHV_CTX_SCOUNTEREN	272
#define RVHV_CTX_SENVCFG	280
#define RVHV_CTX_HOST_GPR(n)	(288 + (n) * 8)	/* ra sp gp tp s0..s11 */
#define RVHV_CTX_HOST_SSTATUS	416
#define RVHV_CTX_HOST_HSTATUS	424
#define RVHV_CTX_HOST_STVEC	432
#define RVHV_CTX_HOST_SCOUNTEREN 440
#define RVHV_CTX_HOST_SENVCFG	448
#define RVHV_CTX_SCAUSE		456
#define RVHV_CTX_STVAL		464
#define RVHV_CTX_HTVAL		472
#define RVHV_CTX_HTINST		480
#define RVHV_CTX_NO_SENVCFG	488
#define RVHV_CTX_SIZE		496

/* struct rvhv_utrap, filled by rvhv_unpriv_read_insn() when it traps. */
#define RVHV_UTRAP_SEPC		0
#define RVHV_UTRAP_SCAUSE	8
#define RVHV_UTRAP_STVAL	16
#define RVHV_UTRAP_HTVAL	24
#define RVHV_UTRAP_HTINST	32

#endif /* _RVHV_TRAP_OFFSETS_H */
