/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest programs of fastpath_test.  Each guest_fp_* routine traps once
 * with every GPR and four S-level CSRs set to the test's values
 * (guest/fastpath_abi.h), and with FP_USE_F every F/D register and fcsr
 * too, then records them all, so that the test sees exactly what the
 * hypervisor changed.  They differ in the trapping instruction: an ecall
 * (the test chooses a7, a6, a0...), a store of s5 or a load into s4
 * through s6 (MMIO, or a page not mapped yet), or a loop reading the time
 * into t1 for t0 ticks, long enough for host interrupts to end the
 * guest's run.
 */
#include "fastpath_abi.h"

	.option norelax

/* The CSRs at FP_CSR_IN and FP_CSR_OUT, in this order. */
#define FP_CSRS	sscratch, sepc, stval, scause

/* for each GPR n: \op x<n>, \base + 8 * n(zero) */
	.macro FP_ALL op, base
	.irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, \
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	\op	x\n, (\base + 8 * \n)(zero)
	.endr
	.endm

/* for each FP register n: \op f<n>, \base + 8 * n(zero) */
	.macro FP_ALLF op, base
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, \
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	\op	f\n, (\base + 8 * \n)(zero)
	.endr
	.endm

/*
 * Save the guest's own registers, set the CSRs and every GPR, run the
 * instruction, record every GPR and the CSRs (and sstatus before and
 * after), clear sip.SSIP (a self-IPI's) and return, registers restored.
 */
	.macro FP_ROUTINE name, insn:vararg
	.text
	.balign	4
	.globl	\name
\name:
	.option	push
	.option	norvc
	FP_ALL	sd, FP_SAVE
	ld	t0, FP_FLAGS(zero)
	andi	t0, t0, FP_USE_F
	beqz	t0, 1f
	li	t0, 0x6000		/* sstatus.FS: Dirty */
	csrs	sstatus, t0
	FP_ALLF	fsd, FP_FSAVE
	FP_ALLF	fld, FP_FIN
	ld	t0, FP_FCSR_IN(zero)
	fscsr	t0
1:	csrr	t0, sstatus
	sd	t0, FP_SSTATUS(zero)
	.set	i, 0
	.irp	csr, FP_CSRS
	ld	t0, (FP_CSR_IN + 8 * i)(zero)
	csrw	\csr, t0
	.set	i, i + 1
	.endr
	FP_ALL	ld, FP_IN
	\insn
	FP_ALL	sd, FP_OUT
	.set	i, 0
	.irp	csr, FP_CSRS
	csrr	t0, \csr
	sd	t0, (FP_CSR_OUT + 8 * i)(zero)
	.set	i, i + 1
	.endr
	csrr	t0, sstatus
	sd	t0, (FP_SSTATUS + 8)(zero)
	ld	t0, FP_FLAGS(zero)
	andi	t0, t0, FP_USE_F
	beqz	t0, 2f
	FP_ALLF	fsd, FP_FOUT
	frcsr	t0
	sd	t0, FP_FCSR_OUT(zero)
	FP_ALLF	fld, FP_FSAVE
2:	li	t0, 2
	csrc	sip, t0
	FP_ALL	ld, FP_SAVE
	ret
	.option	pop
	.endm

/*
 * guest_fp_spin's trapping "instruction": wait t0 ticks from now, which
 * the guest measures itself (a deadline the test set could pass while a
 * busy host is still entering the guest).  t0 becomes the deadline; the
 * start is stored at FP_SPIN_START, so the test knows what t0 must be.
 */
	.macro FP_SPIN_LOOP
	rdtime	t1
	sd	t1, FP_SPIN_START(zero)
	add	t0, t0, t1
3:	rdtime	t1
	bltu	t1, t0, 3b
	.endm

	FP_ROUTINE guest_fp_ecall, ecall
	FP_ROUTINE guest_fp_store, sd s5, 0(s6)
	FP_ROUTINE guest_fp_load, ld s4, 0(s6)
	FP_ROUTINE guest_fp_spin, FP_SPIN_LOOP

/*
 * long guest_fp_sbi_spin(flag_gpa): null SBI calls (BASE
 * get_spec_version) until the host sets the flag (the u64 at flag_gpa);
 * the count so far in the u64 after it; returns the count.
 */
	.text
	.balign	4
	.globl	guest_fp_sbi_spin
guest_fp_sbi_spin:
	mv	t1, a0
	li	t2, 0
1:	li	a7, 0x10
	li	a6, 0
	ecall
	addi	t2, t2, 1
	sd	t2, 8(t1)
	ld	t0, 0(t1)
	beqz	t0, 1b
	mv	a0, t2
	ret
