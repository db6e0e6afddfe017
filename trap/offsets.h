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

/*
 * Which guest GPRs each exit path saves: the one definition, used by
 * trap/switch.S (its GUEST_GPRS macro walks the mask) and checked in C
 * (trap/exit.c).  Bit n is register xn; x0 has no slot (gpr[0] is the
 * pc) and x10 (a0), which holds the context pointer while the others are
 * saved, is saved apart on every exit.
 *
 * RVHV_GPRS_LIGHT: saved and loaded by every exit, before any C runs,
 * and all the register-light round trip (an ecall answered by
 * rvhv_switch_fast()) touches: what the calling convention lets C
 * clobber (ra, t0-t6, a0-a7), what the switch replaces with the host's
 * for C (sp, gp, tp) and s0 (so that the handler's frame pointer is the
 * host's, for unwinding).  The handler reads a0-a7 and the pc and writes
 * a0, a1 and the pc only.
 *
 * RVHV_GPRS_HEAVY: s1-s11, callee-saved, left live in the hart while C
 * runs on the light path (C preserves them); saved only when the exit
 * goes the full way back to rvhv_enter_guest().  Loaded by the full
 * entry only.
 */
#define RVHV_GPRS_LIGHT		0xf003fdfe	/* x1-x8, x10-x17, x28-x31 */
#define RVHV_GPRS_HEAVY		0x0ffc0200	/* x9, x18-x27 */

/*
 * rvhv_switch_to()'s results (int): the exit went the full way and was
 * not looked at, and, from rvhv_switch_fast() to the trap entry only,
 * re-enter the guest now.  Anything else is rvhv_switch_fast()'s result
 * for an exit it took (counted, traced, handled or declined).
 */
#define RVHV_SWITCH_FULL	3
#define RVHV_SWITCH_GUEST	4

/* rvhv_switch_to()'s stack frame: a frame record and the context. */
#define RVHV_SWITCH_FRAME	32
#define RVHV_SWITCH_FRAME_CTX	8

/* struct rvhv_utrap, filled by rvhv_unpriv_read_insn() when it traps. */
#define RVHV_UTRAP_SEPC		0
#define RVHV_UTRAP_SCAUSE	8
#define RVHV_UTRAP_STVAL	16
#define RVHV_UTRAP_HTVAL	24
#define RVHV_UTRAP_HTINST	32

#endif /* _RVHV_TRAP_OFFSETS_H */
