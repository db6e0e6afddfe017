/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch: from the KVM_RUN thread (HS-mode, interrupts off) into
 * the guest (VS/VU-mode) and back, and the register-light round trip of
 * the hot ecall exits, which never leaves it.
 *
 * The C caller already preserves its caller-saved registers, so the switch
 * saves only what the calling convention makes callee-saved (ra, sp,
 * s0-s11) plus gp and tp, and the CSRs it changes: sstatus, hstatus,
 * stvec and sscratch always, scounteren and senvcfg (where the hart has
 * it: privileged spec 1.12, not the P550's 1.11) only when the guest's
 * value differs from the host's (the guest can write both; they rarely
 * differ).  The host's sscratch is 0, as the kernel keeps it in kernel
 * mode (its trap entry tells kernel from user by it), so it is set, not
 * swapped, and put back as 0.  All guest GPRs are loaded before the first
 * sret.  Of the trap CSRs, scause and sepc are read on every exit, stval
 * for every cause but an ecall and an interrupt, htval and htinst for
 * guest-page faults only (the others record 0).  VS-level CSRs are not
 * touched here: they stay live in the hart from vcpu_load to vcpu_put.
 * Documentation/rvhv.rst, "Exit fast path and CSR accesses", counts the
 * instructions and CSR accesses of each round trip.
 *
 * Register-save granularity (trap/offsets.h defines the two sets).  Every
 * exit first saves the guest's RVHV_GPRS_LIGHT registers, a0 and sepc.
 * An ecall then takes the light path: with the guest's s1-s11 still live
 * in the hart, the host's sp, gp, tp and frame pointer loaded, stvec the
 * host's and sscratch 0 (so that a trap in C, a WARN, is the kernel's
 * own, on a normal kernel stack), it calls rvhv_switch_fast() (C, in
 * vcpu/vcpu.c), which counts, traces and handles the exit and checks
 * what rvhv_enter_guest() would before re-entering.  Its answer
 * RVHV_SWITCH_GUEST re-enters right here: sepc written, stvec and
 * sscratch set again, sstatus and hstatus written back only if a trap in
 * C changed them (the guest's were recorded at the trap), the light
 * registers loaded, sret.  Any other answer (declined, an exit to
 * userspace, handled but something holds the guest out) saves s1-s11 too
 * and finishes the exit as the full path does, without touching the pc,
 * a0-a7 or the trap CSRs the handler may have used or changed, and is
 * rvhv_switch_to()'s result.  Every other cause takes the full path at
 * once: s1-s11 saved, the host's CSRs back, the trap recorded, the
 * result RVHV_SWITCH_FULL (the exit not looked at yet).  Guest FP and
 * vector state stays live in the hart throughout: kernel C with
 * interrupts off does not touch it.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>

#include "offsets.h"

#define G(n)	RVHV_CTX_GPR(n)
#define H(n)	RVHV_CTX_HOST_GPR(n)

/*
 * \op (sd or ld) each guest GPR of \mask (RVHV_GPRS_*) but a0 to or from
 * its slot in the context at a0.
 */
.macro GUEST_GPRS op, mask
	.irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, \
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.if ((\mask) >> \n) & 1
	\op	x\n, G(\n)(a0)
	.endif
	.endr
.endm

	.text
	.option norelax

/* int rvhv_switch_to(struct rvhv_guest_ctx *ctx) */
SYM_FUNC_START(rvhv_switch_to)
	/*
	 * A frame record (the light path's C handler unwinds through it to
	 * the caller) and the context, which the light path reloads after
	 * its call.
	 */
	addi	sp, sp, -RVHV_SWITCH_FRAME
	sd	ra, RVHV_SWITCH_FRAME - 8(sp)
	sd	s0, RVHV_SWITCH_FRAME - 16(sp)
	sd	a0, RVHV_SWITCH_FRAME_CTX(sp)
	addi	s0, sp, RVHV_SWITCH_FRAME

	sd	ra, H(0)(a0)
	sd	sp, H(1)(a0)
	sd	gp, H(2)(a0)
	sd	tp, H(3)(a0)
	sd	s0, H(4)(a0)
	sd	s1, H(5)(a0)
	sd	s2, H(6)(a0)
	sd	s3, H(7)(a0)
	sd	s4, H(8)(a0)
	sd	s5, H(9)(a0)
	sd	s6, H(10)(a0)
	sd	s7, H(11)(a0)
	sd	s8, H(12)(a0)
	sd	s9, H(13)(a0)
	sd	s10, H(14)(a0)
	sd	s11, H(15)(a0)

	/* Swap in the guest's view of the HS CSRs. */
	ld	t0, RVHV_CTX_SSTATUS(a0)
	ld	t1, RVHV_CTX_HSTATUS(a0)
	ld	t2, RVHV_CTX_SCOUNTEREN(a0)
	ld	t3, RVHV_CTX_NO_SENVCFG(a0)
	la	t4, rvhv_trap_entry
	ld	t5, G(0)(a0)
	csrrw	t0, CSR_SSTATUS, t0
	csrrw	t1, CSR_HSTATUS, t1
	csrr	t6, CSR_SCOUNTEREN
	csrrw	t4, CSR_STVEC, t4
	csrw	CSR_SSCRATCH, a0
	csrw	CSR_SEPC, t5
	sd	t0, RVHV_CTX_HOST_SSTATUS(a0)
	sd	t1, RVHV_CTX_HOST_HSTATUS(a0)
	sd	t6, RVHV_CTX_HOST_SCOUNTEREN(a0)
	sd	t4, RVHV_CTX_HOST_STVEC(a0)
	beq	t2, t6, 2f
	csrw	CSR_SCOUNTEREN, t2
2:	bnez	t3, 1f
	ld	t3, RVHV_CTX_SENVCFG(a0)
	csrr	t6, CSR_SENVCFG
	sd	t6, RVHV_CTX_HOST_SENVCFG(a0)
	beq	t3, t6, 1f
	csrw	CSR_SENVCFG, t3
1:
	/* All guest GPRs; a0 last, it holds ctx. */
	GUEST_GPRS ld, RVHV_GPRS_HEAVY
.Lenter_light:
	GUEST_GPRS ld, RVHV_GPRS_LIGHT
	ld	a0, G(10)(a0)
	sret

	/* Every trap taken while the guest runs lands here, in HS-mode. */
	.balign 4
rvhv_trap_entry:
	csrrw	a0, CSR_SSCRATCH, a0		/* a0 = ctx, sscratch = guest a0 */
	GUEST_GPRS sd, RVHV_GPRS_LIGHT
	csrrw	t5, CSR_SSCRATCH, zero		/* t5 = guest a0 */
	csrr	t4, CSR_SEPC
	csrr	t0, CSR_SCAUSE
	sd	t5, G(10)(a0)
	sd	t4, G(0)(a0)
	li	t1, EXC_SUPERVISOR_SYSCALL
	bne	t0, t1, .Lfull_exit

	/*
	 * The light path.  Record the trap and the guest's sstatus and
	 * hstatus (left in the hart: C runs fine with them, interrupts off
	 * as the trap left them); the host's stvec, so that a trap in C is
	 * the kernel's; the host's sp, gp, tp and frame pointer.
	 */
	csrr	t1, CSR_SSTATUS
	csrr	t2, CSR_HSTATUS
	ld	t3, RVHV_CTX_HOST_STVEC(a0)
	sd	t0, RVHV_CTX_SCAUSE(a0)
	sd	zero, RVHV_CTX_STVAL(a0)
	sd	zero, RVHV_CTX_HTVAL(a0)
	sd	zero, RVHV_CTX_HTINST(a0)
	sd	t1, RVHV_CTX_SSTATUS(a0)
	sd	t2, RVHV_CTX_HSTATUS(a0)
	csrw	CSR_STVEC, t3
	ld	sp, H(1)(a0)
	ld	gp, H(2)(a0)
	ld	tp, H(3)(a0)
	ld	s0, H(4)(a0)
	call	rvhv_switch_fast
	mv	a1, a0
	ld	a0, RVHV_SWITCH_FRAME_CTX(sp)
	li	t0, RVHV_SWITCH_GUEST
	bne	a1, t0, .Llight_out

	/*
	 * Back in.  A trap in C (the kernel's own: a WARN, a kprobe) changes
	 * sepc, and may change sstatus (SPP, SPIE) and hstatus (SPV, GVA):
	 * sepc is written always, the other two only if they changed.
	 */
	ld	t1, G(0)(a0)
	ld	t2, RVHV_CTX_SSTATUS(a0)
	ld	t3, RVHV_CTX_HSTATUS(a0)
	la	t4, rvhv_trap_entry
	csrw	CSR_SEPC, t1
	csrw	CSR_STVEC, t4
	csrw	CSR_SSCRATCH, a0
	csrr	t5, CSR_SSTATUS
	csrr	t6, CSR_HSTATUS
	bne	t5, t2, 3f
	beq	t6, t3, .Lenter_light
3:	csrw	CSR_SSTATUS, t2
	csrw	CSR_HSTATUS, t3
	j	.Lenter_light

	/*
	 * The light path's exit goes the full way (a1 its result): the
	 * guest's s1-s11, the host's sstatus and hstatus (the guest's and
	 * the trap were recorded above; stvec and sscratch are the host's).
	 */
.Llight_out:
	GUEST_GPRS sd, RVHV_GPRS_HEAVY
	ld	t0, RVHV_CTX_HOST_SSTATUS(a0)
	ld	t1, RVHV_CTX_HOST_HSTATUS(a0)
	csrw	CSR_SSTATUS, t0
	csrw	CSR_HSTATUS, t1
	j	.Lexit_tail

	/* Every other cause (t0), t4 the pc. */
.Lfull_exit:
	GUEST_GPRS sd, RVHV_GPRS_HEAVY
	/* Swap the host's CSRs back in; record the guest's and the trap. */
	ld	t1, RVHV_CTX_HOST_SSTATUS(a0)
	ld	t2, RVHV_CTX_HOST_HSTATUS(a0)
	ld	t3, RVHV_CTX_HOST_STVEC(a0)
	csrrw	t1, CSR_SSTATUS, t1
	csrrw	t2, CSR_HSTATUS, t2
	csrw	CSR_STVEC, t3
	sd	t1, RVHV_CTX_SSTATUS(a0)
	sd	t2, RVHV_CTX_HSTATUS(a0)
	/*
	 * The cause; stval unless an interrupt (0 there; an ecall took the
	 * light path); htval and htinst for guest-page faults (20, 21, 23)
	 * only.
	 */
	li	t1, 0
	li	t2, 0
	li	t3, 0
	bltz	t0, 3f
	csrr	t1, CSR_STVAL
	addi	t4, t0, -EXC_INST_GUEST_PAGE_FAULT
	li	t5, EXC_STORE_GUEST_PAGE_FAULT - EXC_INST_GUEST_PAGE_FAULT
	bgtu	t4, t5, 3f
	li	t5, EXC_VIRTUAL_INST_FAULT - EXC_INST_GUEST_PAGE_FAULT
	beq	t4, t5, 3f
	csrr	t2, CSR_HTVAL
	csrr	t3, CSR_HTINST
3:	sd	t0, RVHV_CTX_SCAUSE(a0)
	sd	t1, RVHV_CTX_STVAL(a0)
	sd	t2, RVHV_CTX_HTVAL(a0)
	sd	t3, RVHV_CTX_HTINST(a0)
	li	a1, RVHV_SWITCH_FULL

	/* Both: scounteren, senvcfg, the host's registers; a1 the result. */
.Lexit_tail:
	csrr	t2, CSR_SCOUNTEREN
	ld	t3, RVHV_CTX_HOST_SCOUNTEREN(a0)
	sd	t2, RVHV_CTX_SCOUNTEREN(a0)
	beq	t2, t3, 2f
	csrw	CSR_SCOUNTEREN, t3
2:	ld	t3, RVHV_CTX_NO_SENVCFG(a0)
	bnez	t3, 1f
	csrr	t3, CSR_SENVCFG
	ld	t2, RVHV_CTX_HOST_SENVCFG(a0)
	sd	t3, RVHV_CTX_SENVCFG(a0)
	beq	t3, t2, 1f
	csrw	CSR_SENVCFG, t2
1:
	ld	ra, H(0)(a0)
	ld	sp, H(1)(a0)
	ld	gp, H(2)(a0)
	ld	tp, H(3)(a0)
	ld	s1, H(5)(a0)
	ld	s2, H(6)(a0)
	ld	s3, H(7)(a0)
	ld	s4, H(8)(a0)
	ld	s5, H(9)(a0)
	ld	s6, H(10)(a0)
	ld	s7, H(11)(a0)
	ld	s8, H(12)(a0)
	ld	s9, H(13)(a0)
	ld	s10, H(14)(a0)
	ld	s11, H(15)(a0)
	mv	a0, a1
	/* s0 is the caller's in the frame record (H(4) is the record's). */
	ld	s0, RVHV_SWITCH_FRAME - 16(sp)
	addi	sp, sp, RVHV_SWITCH_FRAME
	ret
SYM_FUNC_END(rvhv_switch_to)

/*
 * unsigned long rvhv_unpriv_read_insn(unsigned long addr,
 *				       struct rvhv_utrap *utrap)
 *
 * Read the guest instruction at guest virtual address @addr with HLVX.HU
 * (as the guest would fetch it: VS-stage and G-stage translation), both
 * halves when it is 32 bits long.  Interrupts must be off.  If the access
 * traps, the trap is recorded in @utrap (scause != 0) and 0 returned.
 */
SYM_FUNC_START(rvhv_unpriv_read_insn)
	la	t0, .Lutrap
	csrrw	t0, CSR_STVEC, t0
	mv	t3, a0
	mv	a0, zero
	sd	zero, RVHV_UTRAP_SCAUSE(a1)
	/* hlvx.hu a0, (t3) */
	.insn r 0x73, 0x4, 0x32, a0, t3, x3
	ld	t1, RVHV_UTRAP_SCAUSE(a1)
	bnez	t1, 1f
	andi	t2, a0, 3
	li	t1, 3
	bne	t2, t1, 1f
	addi	t3, t3, 2
	/* hlvx.hu t2, (t3) */
	.insn r 0x73, 0x4, 0x32, t2, t3, x3
	ld	t1, RVHV_UTRAP_SCAUSE(a1)
	bnez	t1, 1f
	slli	t2, t2, 16
	or	a0, a0, t2
1:	csrw	CSR_STVEC, t0
	ret

	/* A fault on the hlvx above: record it and skip the instruction. */
	.balign 4
.Lutrap:
	csrr	t1, CSR_SEPC
	sd	t1, RVHV_UTRAP_SEPC(a1)
	addi	t1, t1, 4
	csrw	CSR_SEPC, t1
	csrr	t1, CSR_SCAUSE
	sd	t1, RVHV_UTRAP_SCAUSE(a1)
	csrr	t1, CSR_STVAL
	sd	t1, RVHV_UTRAP_STVAL(a1)
	csrr	t1, CSR_HTVAL
	sd	t1, RVHV_UTRAP_HTVAL(a1)
	csrr	t1, CSR_HTINST
	sd	t1, RVHV_UTRAP_HTINST(a1)
	mv	a0, zero
	sret
SYM_FUNC_END(rvhv_unpriv_read_insn)

/*
 * unsigned long rvhv_unpriv_read_ulong(unsigned long addr,
 *					struct rvhv_utrap *utrap)
 *
 * Read the 64-bit value at guest virtual address @addr with HLV.D (as a
 * guest load at hstatus.SPVP's privilege: VS-stage and G-stage
 * translation).  Interrupts must be off, hstatus the guest's.  If the
 * access traps, the trap is recorded in @utrap (scause != 0) and 0
 * returned.
 */
SYM_FUNC_START(rvhv_unpriv_read_ulong)
	la	t0, .Lutrap
	csrrw	t0, CSR_STVEC, t0
	mv	t3, a0
	mv	a0, zero
	sd	zero, RVHV_UTRAP_SCAUSE(a1)
	/* hlv.d a0, (t3): 0110110 00000 rs1 100 rd 1110011 */
	.insn r 0x73, 0x4, 0x36, a0, t3, x0
	csrw	CSR_STVEC, t0
	ret
SYM_FUNC_END(rvhv_unpriv_read_ulong)
