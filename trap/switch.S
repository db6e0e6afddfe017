/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch: from the KVM_RUN thread (HS-mode, interrupts off) into
 * the guest (VS/VU-mode) and back.
 *
 * The C caller already preserves its caller-saved registers, so the switch
 * saves only what the calling convention makes callee-saved (ra, sp,
 * s0-s11) plus gp and tp, and the CSRs it changes: sstatus, hstatus,
 * stvec and sscratch always, scounteren and senvcfg (where the hart has
 * it: privileged spec 1.12, not the P550's 1.11) only when the guest's
 * value differs from the host's (the guest can write both; they rarely
 * differ).  The host's sscratch is 0, as the kernel keeps it in kernel
 * mode (its trap entry tells kernel from user by it), so it is set, not
 * swapped, and put back as 0.  All guest GPRs are loaded before sret and
 * saved on the way back.  Of the trap CSRs, scause and sepc are read on
 * every exit, stval for every cause but an ecall and an interrupt, htval
 * and htinst for guest-page faults only (the others record 0).  VS-level
 * CSRs are not touched here: they stay live in the hart from vcpu_load
 * to vcpu_put.  Documentation/rvhv.rst, "Performance", counts the CSR
 * accesses of each round trip.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>

#include "offsets.h"

#define G(n)	RVHV_CTX_GPR(n)
#define H(n)	RVHV_CTX_HOST_GPR(n)

	.text
	.option norelax

/* void rvhv_switch_to(struct rvhv_guest_ctx *ctx) */
SYM_FUNC_START(rvhv_switch_to)
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

	/* Guest GPRs; a0 last, it holds ctx. */
	ld	ra, G(1)(a0)
	ld	sp, G(2)(a0)
	ld	gp, G(3)(a0)
	ld	tp, G(4)(a0)
	ld	t0, G(5)(a0)
	ld	t1, G(6)(a0)
	ld	t2, G(7)(a0)
	ld	s0, G(8)(a0)
	ld	s1, G(9)(a0)
	ld	a1, G(11)(a0)
	ld	a2, G(12)(a0)
	ld	a3, G(13)(a0)
	ld	a4, G(14)(a0)
	ld	a5, G(15)(a0)
	ld	a6, G(16)(a0)
	ld	a7, G(17)(a0)
	ld	s2, G(18)(a0)
	ld	s3, G(19)(a0)
	ld	s4, G(20)(a0)
	ld	s5, G(21)(a0)
	ld	s6, G(22)(a0)
	ld	s7, G(23)(a0)
	ld	s8, G(24)(a0)
	ld	s9, G(25)(a0)
	ld	s10, G(26)(a0)
	ld	s11, G(27)(a0)
	ld	t3, G(28)(a0)
	ld	t4, G(29)(a0)
	ld	t5, G(30)(a0)
	ld	t6, G(31)(a0)
	ld	a0, G(10)(a0)
	sret

	/* Every trap taken while the guest runs lands here, in HS-mode. */
	.balign 4
rvhv_trap_entry:
	csrrw	a0, CSR_SSCRATCH, a0		/* a0 = ctx, sscratch = guest a0 */
	sd	ra, G(1)(a0)
	sd	sp, G(2)(a0)
	sd	gp, G(3)(a0)
	sd	tp, G(4)(a0)
	sd	t0, G(5)(a0)
	sd	t1, G(6)(a0)
	sd	t2, G(7)(a0)
	sd	s0, G(8)(a0)
	sd	s1, G(9)(a0)
	sd	a1, G(11)(a0)
	sd	a2, G(12)(a0)
	sd	a3, G(13)(a0)
	sd	a4, G(14)(a0)
	sd	a5, G(15)(a0)
	sd	a6, G(16)(a0)
	sd	a7, G(17)(a0)
	sd	s2, G(18)(a0)
	sd	s3, G(19)(a0)
	sd	s4, G(20)(a0)
	sd	s5, G(21)(a0)
	sd	s6, G(22)(a0)
	sd	s7, G(23)(a0)
	sd	s8, G(24)(a0)
	sd	s9, G(25)(a0)
	sd	s10, G(26)(a0)
	sd	s11, G(27)(a0)
	sd	t3, G(28)(a0)
	sd	t4, G(29)(a0)
	sd	t5, G(30)(a0)
	sd	t6, G(31)(a0)

	/* Swap the host's CSRs back in; record the guest's and the trap. */
	ld	t0, RVHV_CTX_HOST_SSTATUS(a0)
	ld	t1, RVHV_CTX_HOST_HSTATUS(a0)
	ld	t4, RVHV_CTX_HOST_STVEC(a0)
	csrrw	t0, CSR_SSTATUS, t0
	csrrw	t1, CSR_HSTATUS, t1
	csrw	CSR_STVEC, t4
	csrrw	t5, CSR_SSCRATCH, zero		/* t5 = guest a0 */
	csrr	t4, CSR_SEPC
	csrr	t2, CSR_SCOUNTEREN
	sd	t0, RVHV_CTX_SSTATUS(a0)
	sd	t1, RVHV_CTX_HSTATUS(a0)
	sd	t2, RVHV_CTX_SCOUNTEREN(a0)
	sd	t5, G(10)(a0)
	sd	t4, G(0)(a0)
	ld	t3, RVHV_CTX_HOST_SCOUNTEREN(a0)
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
	/*
	 * The cause; stval unless an ecall or an interrupt (0 there);
	 * htval and htinst for guest-page faults (20, 21, 23) only.
	 */
	csrr	t0, CSR_SCAUSE
	li	t1, 0
	li	t2, 0
	li	t3, 0
	bltz	t0, 3f
	li	t4, EXC_SUPERVISOR_SYSCALL
	beq	t0, t4, 3f
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

	ld	ra, H(0)(a0)
	ld	sp, H(1)(a0)
	ld	gp, H(2)(a0)
	ld	tp, H(3)(a0)
	ld	s0, H(4)(a0)
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
