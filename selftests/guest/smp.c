// SPDX-License-Identifier: GPL-2.0
/*
 * SMP support of the guest payload (smp.h) and the guest programs of
 * smp_test: HSM, IPIs, remote fences, KVM_INTERRUPT, WFI, parallel vCPUs.
 */
#include "smp.h"

/* Secondary harts: a0 = hartid, a1 = opaque = struct smp_start *. */
asm(".pushsection .text\n"
    ".option push\n"
    ".option norelax\n"
    ".globl guest_smp_entry\n"
    "guest_smp_entry:\n"
    "	li	t0, " __stringify(SMP_SHARED) "\n"
    "	andi	t1, a0, " __stringify(SMP_MAX_HARTS - 1) "\n"
    "	slli	t1, t1, 3\n"
    "	add	t0, t0, t1\n"
    /* offsets of starts[], start_a0[], start_a1[] in struct smp_shared */
    "	li	t2, 1\n"
    "	addi	t3, t0, 26 * 8\n"
    "	amoadd.d zero, t2, (t3)\n"
    "	sd	a0, 34 * 8(t0)\n"
    "	sd	a1, 42 * 8(t0)\n"
    "	li	sp, " __stringify(GUEST_STACK_TOP) "\n"
    "	li	t1, " __stringify(SMP_STACK_SIZE) "\n"
    "	mul	t1, t1, a0\n"
    "	sub	sp, sp, t1\n"
    "	mv	tp, a0\n"
    "	la	t0, guest_trap_entry\n"
    "	csrw	stvec, t0\n"
    "	li	t0, 0x2000\n"
    "	csrs	sstatus, t0\n"
    "	la	t0, guest_trap_hook\n"
    "	la	t1, smp_irq_handler\n"
    "	sd	t1, 0(t0)\n"
    "	ld	t0, 0(a1)\n"
    "	jalr	t0\n"
    "	mv	tp, zero\n"
    "1:	li	a7, " __stringify(SBI_EXT_HSM) "\n"
    "	li	a6, 1\n"
    "	ecall\n"
    "	j	1b\n"
    ".option pop\n"
    ".popsection\n");

/* The offsets the assembly above uses. */
_Static_assert(__builtin_offsetof(struct smp_shared, starts) == 26 * 8, "starts");
_Static_assert(__builtin_offsetof(struct smp_shared, start_a0) == 34 * 8, "a0");
_Static_assert(__builtin_offsetof(struct smp_shared, start_a1) == 42 * 8, "a1");

void smp_irq_handler(struct guest_regs *regs);

void smp_timer_arm(unsigned long deadline)
{
	unsigned long h = smp_hartid();

	SMP->deadline[h] = deadline;
	switch (SMP->tmode[h]) {
	case TMODE_SSTC:
		stimecmp_write(deadline);
		break;
	case TMODE_SBI:
		GUEST_ASSERT_EQ(sbi_set_timer(deadline).error, 0);
		break;
	case TMODE_LEGACY:
		GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_SET_TIMER, deadline,
					   0, 0, 0), 0);
		break;
	}
}

void smp_irq_handler(struct guest_regs *regs)
{
	unsigned long h = smp_hartid(), cause = regs->scause, now, late;

	if (!(cause & SCAUSE_IRQ)) {
		if (SMP->trap_expected[h]) {
			SMP->trap_expected[h] = 0;
			SMP->trap_cause[h] = cause;
			SMP->trap_epc[h] = regs->sepc;
			regs->sepc += insn_len(regs->sepc);
			return;
		}
		for (;;)
			ucall(UCALL_TRAP, cause, regs->sepc, regs->stval, 0, 0);
	}
	switch (cause & ~SCAUSE_IRQ) {
	case IRQ_S_SOFT:
		csr_clear(sip, SIE_SSIE);
		atomic_add(&SMP->ssi[h], 1);
		break;
	case IRQ_S_TIMER:
		now = rdtime();
		SMP->sti_time[h] = now;
		/*
		 * Before its deadline: counted apart, not as a tick, and the
		 * same deadline armed again (which clears it), as Linux
		 * takes a spurious timer interrupt.
		 */
		if (now < SMP->deadline[h]) {
			SMP->sti_early[h]++;
			smp_timer_arm(SMP->deadline[h]);
			break;
		}
		late = now - SMP->deadline[h];
		if (late > SMP->sti_late_max[h])
			SMP->sti_late_max[h] = late;
		atomic_add(&SMP->sti[h], 1);
		if (SMP->sti_stop[h] && SMP->sti[h] >= SMP->sti_stop[h])
			smp_timer_arm(-1UL);
		else
			smp_timer_arm(SMP->period[h] ? now + SMP->period[h] : -1UL);
		break;
	case IRQ_S_EXT:
		/* The line is the VMM's: mask it until it says otherwise. */
		csr_clear(sie, SIE_SEIE);
		atomic_add(&SMP->sei[h], 1);
		break;
	default:
		for (;;)
			ucall(UCALL_TRAP, cause, regs->sepc, regs->stval, 0, 0);
	}
}

void smp_init(void)
{
	asm volatile("mv tp, zero");
	guest_trap_hook = smp_irq_handler;
}

long smp_start_hart(unsigned long h, long (*fn)(unsigned long, unsigned long),
		    unsigned long arg)
{
	/* h may name no hart (error tests): any slot will do then */
	struct smp_start *st = &SMP->start[h & (SMP_MAX_HARTS - 1)];

	st->fn = (unsigned long)fn;
	st->arg = arg;
	return sbi_hsm(SBI_HSM_HART_START, h, (unsigned long)guest_smp_entry,
		       (unsigned long)st).error;
}

long smp_hart_status(unsigned long h)
{
	struct sbiret r = sbi_hsm(SBI_HSM_HART_STATUS, h, 0, 0);

	return r.error ? r.error : r.value;
}

static unsigned long start_arg(unsigned long opaque)
{
	return ((struct smp_start *)opaque)->arg;
}

/* ---- HSM ---- */

static long hsm_park(unsigned long h, unsigned long opaque)
{
	SMP->result[h][0] = start_arg(opaque);
	WAIT_FOR(SMP->guest_flag[0] == 1, 20);
	return 0;
}

/* Second life of hart 1: retentive suspend, woken by an IPI. */
static long hsm_suspend(unsigned long h, unsigned long opaque)
{
	SMP->result[h][0] = start_arg(opaque);
	SMP->result[h][1] = sbi_hsm(SBI_HSM_HART_SUSPEND, 0x80000000UL, 0, 0).error;
	SMP->result[h][2] = sbi_hsm(SBI_HSM_HART_SUSPEND, 1, 0, 0).error;
	SMP->result[h][3] = sbi_hsm(SBI_HSM_HART_SUSPEND, 0x10000000UL, 0, 0).error;
	csr_set(sie, SIE_SSIE);		/* SIE stays off: no trap */
	SMP->guest_flag[1] = 1;
	SMP->result[h][4] = sbi_hsm(SBI_HSM_HART_SUSPEND, 0, 0, 0).error;
	SMP->result[h][5] = csr_read(sip) & SIE_SSIE;
	csr_clear(sip, SIE_SSIE);
	return 0;
}

/*
 * Hart 0 of a VM of vCPUs 0 and 1: hart_start/stop/get_status/suspend and
 * their errors (arg0: kvm.ko, see below).  GUEST_SYNC(1) once hart 1 stopped itself (the host looks
 * at its MP state), REPORT(2, ...) with the suspend results.
 */
long guest_hsm_main(unsigned long is_kvm, unsigned long unused1);
long guest_hsm_main(unsigned long is_kvm, unsigned long unused1)
{
	smp_init();
	GUEST_ASSERT_EQ(smp_hart_status(1), SBI_HSM_STATE_STOPPED);
	GUEST_ASSERT_EQ(smp_hart_status(0), SBI_HSM_STATE_STARTED);
	GUEST_ASSERT_EQ(smp_hart_status(2), SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(smp_hart_status(-1UL), SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(smp_start_hart(2, hsm_park, 0), SBI_ERR_INVALID_PARAM);
	/*
	 * Hart id 2^32 + 1 names no hart; kvm.ko 6.12 looks it up as an int
	 * (kvm_get_vcpu_by_id()) and starts hart 1 instead: not asked there.
	 */
	if (!is_kvm)
		GUEST_ASSERT_EQ(smp_start_hart(1UL << 32 | 1, hsm_park, 0),
				SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(smp_start_hart(0, hsm_park, 0),
			SBI_ERR_ALREADY_AVAILABLE);
	GUEST_ASSERT_EQ(SMP->starts[1], 0);

	GUEST_ASSERT_EQ(smp_start_hart(1, hsm_park, 0x1234), 0);
	WAIT_FOR(SMP->starts[1] == 1, 20);
	GUEST_ASSERT_EQ(SMP->start_a0[1], 1);
	GUEST_ASSERT_EQ(SMP->start_a1[1], (unsigned long)&SMP->start[1]);
	WAIT_FOR(SMP->result[1][0] == 0x1234, 20);
	GUEST_ASSERT_EQ(smp_start_hart(1, hsm_park, 0), SBI_ERR_ALREADY_AVAILABLE);
	GUEST_ASSERT_EQ(smp_hart_status(1), SBI_HSM_STATE_STARTED);

	SMP->guest_flag[0] = 1;		/* hart 1 returns: hart_stop */
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 20);
	GUEST_SYNC(1);

	GUEST_ASSERT_EQ(smp_start_hart(1, hsm_suspend, 0x5678), 0);
	WAIT_FOR(SMP->starts[1] == 2, 20);
	GUEST_ASSERT_EQ(SMP->start_a0[1], 1);
	GUEST_ASSERT_EQ(SMP->start_a1[1], (unsigned long)&SMP->start[1]);
	WAIT_FOR(SMP->guest_flag[1] == 1, 20);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_SUSPENDED, 20);
	GUEST_SYNC(3);		/* the host measures hart 1's CPU time */
	GUEST_ASSERT_EQ(smp_hart_status(1), SBI_HSM_STATE_SUSPENDED);
	GUEST_ASSERT_EQ(sbi_send_ipi(2, 0).error, 0);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 20);
	GUEST_REPORT4(2, SMP->result[1][0], SMP->result[1][1],
		      SMP->result[1][2], SMP->result[1][3]);
	GUEST_REPORT2(3, SMP->result[1][4], SMP->result[1][5]);
	return 0;
}

/* ---- IPI ---- */

/* arg 0: sleep in WFI between interrupts; 1: spin. */
static long ipi_waiter(unsigned long h, unsigned long opaque)
{
	unsigned long spin = start_arg(opaque);

	csr_set(sie, SIE_SSIE);
	irq_enable();
	while (!SMP->guest_flag[0]) {
		if (!spin)
			wfi();
	}
	irq_disable();
	return 0;
}

#define SSI_WAIT(h, n)	WAIT_FOR(SMP->ssi[h] == (n), 20)

/*
 * Hart 0 of a VM of vCPUs 0, 1, 2: hart 1 waits for IPIs in WFI, hart 2
 * spinning in the guest.  GUEST_SYNC(1) when hart 1 sits in WFI.
 */
long guest_ipi_main(unsigned long unused0, unsigned long unused1);
long guest_ipi_main(unsigned long unused0, unsigned long unused1)
{
	smp_init();
	GUEST_ASSERT_EQ(smp_start_hart(1, ipi_waiter, 0), 0);
	GUEST_ASSERT_EQ(smp_start_hart(2, ipi_waiter, 1), 0);
	WAIT_FOR(SMP->starts[1] && SMP->starts[2], 20);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_SUSPENDED, 20);
	GUEST_SYNC(1);

	GUEST_ASSERT_EQ(sbi_send_ipi(1UL << 1, 0).error, 0);
	SSI_WAIT(1, 1);
	GUEST_ASSERT_EQ(sbi_send_ipi(1, 2).error, 0);	/* base 2: hart 2 */
	SSI_WAIT(2, 1);
	GUEST_ASSERT_EQ(sbi_send_ipi(3, 1).error, 0);	/* harts 1 and 2 */
	SSI_WAIT(1, 2);
	SSI_WAIT(2, 2);
	/* base -1: everyone, the caller too (mask ignored) */
	GUEST_ASSERT_EQ(csr_read(sip) & SIE_SSIE, 0);
	GUEST_ASSERT_EQ(sbi_send_ipi(0, -1UL).error, 0);
	SSI_WAIT(1, 3);
	SSI_WAIT(2, 3);
	GUEST_ASSERT_EQ(csr_read(sip) & SIE_SSIE, SIE_SSIE);
	csr_clear(sip, SIE_SSIE);
	GUEST_ASSERT_EQ(csr_read(sip) & SIE_SSIE, 0);

	/* Bad masks: SBI_ERR_INVALID_PARAM; harts that exist still get it. */
	GUEST_ASSERT_EQ(sbi_send_ipi(1UL << 5, 0).error, SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(sbi_send_ipi(1, 100).error, SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(sbi_send_ipi(1UL << 1 | 1UL << 9, 0).error,
			SBI_ERR_INVALID_PARAM);
	SSI_WAIT(1, 4);
	GUEST_ASSERT_EQ(SMP->ssi[2], 3);
	GUEST_ASSERT_EQ(csr_read(sip) & SIE_SSIE, 0);
	/* IPI has only send_ipi */
	GUEST_ASSERT_EQ(sbi_ecall(SBI_EXT_IPI, 1, 1, 0, 0, 0, 0, 0).error,
			SBI_ERR_NOT_SUPPORTED);

	SMP->guest_flag[0] = 1;
	GUEST_ASSERT_EQ(sbi_send_ipi(3, 1).error, 0);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 20);
	WAIT_FOR(smp_hart_status(2) == SBI_HSM_STATE_STOPPED, 20);
	return SMP->ssi[1] * 100 + SMP->ssi[2];
}

/* ---- RFENCE ---- */

/* li a0, 1; ret -- patched to li a0, 2 by hart 0 */
static volatile u32 patch_code[2] __attribute__((aligned(8))) = {
	0x00100513, 0x00008067,
};

static long rfence_runner(unsigned long h, unsigned long opaque)
{
	long (*fn)(void) = (void *)patch_code;

	while (!SMP->guest_flag[0])
		SMP->result[h][0] = fn();
	return 0;
}

static long rfence(unsigned long fid, unsigned long mask, unsigned long base,
		   unsigned long start, unsigned long size, unsigned long asid)
{
	return sbi_ecall(SBI_EXT_RFENCE, fid, mask, base, start, size, asid,
			 0).error;
}

/*
 * Hart 0 of a VM of vCPUs 0 and 1.  arg0: what a hart mask naming no
 * vCPU gets (SBI_SUCCESS from kvm.ko, SBI_ERR_INVALID_PARAM from rvhv).
 */
long guest_rfence_main(unsigned long bad_mask_err, unsigned long unused1);
long guest_rfence_main(unsigned long bad_mask_err, unsigned long unused1)
{
	unsigned long fid;

	smp_init();
	GUEST_ASSERT_EQ(smp_start_hart(1, rfence_runner, 0), 0);
	WAIT_FOR(SMP->result[1][0] == 1, 20);
	patch_code[0] = 0x00200513;	/* li a0, 2 */
	asm volatile("fence.i" : : : "memory");
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_FENCE_I, 2, 0, 0, 0, 0), 0);
	/*
	 * Whether hart 1 now runs the new code says nothing about the
	 * remote fence.i: QEMU's TCG keeps instruction fetch coherent with
	 * stores whatever the harts do, and with several host threads it
	 * sometimes takes arbitrarily long to notice a patched block that
	 * another hart keeps running (seen on kvm.ko and rvhv alike).  So
	 * only the call's result is checked here.
	 */

	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_FENCE_I, 0, -1UL, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA, 3, 0, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA, 3, 0, 0, -1UL, 0), 0);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA, 1, 1, GUEST_BASE,
			       0x3000, 0), 0);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA, 0, -1UL, GUEST_BASE,
			       1UL << 30, 0), 0);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA_ASID, 3, 0, 0, 0, 7), 0);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA_ASID, 2, 0, GUEST_BASE,
			       0x1000, 7), 0);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA_ASID, 0, -1UL, 0, -1UL,
			       0xffff), 0);
	/* No nested virtualization: the hfences are not supported. */
	for (fid = SBI_RFENCE_HFENCE_GVMA_VMID; fid <= SBI_RFENCE_HFENCE_VVMA;
	     fid++)
		GUEST_ASSERT_EQ(rfence(fid, 3, 0, 0, 0, 0),
				SBI_ERR_NOT_SUPPORTED);
	GUEST_ASSERT_EQ(rfence(7, 3, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_FENCE_I, 1UL << 7, 0, 0, 0, 0),
			bad_mask_err);
	GUEST_ASSERT_EQ(rfence(SBI_RFENCE_SFENCE_VMA, 1, 40, 0, 0, 0),
			bad_mask_err);

	SMP->guest_flag[0] = 1;
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 20);
	return 0;
}

/* ---- legacy v0.1 IPI and fences (mask in guest memory) ---- */

/*
 * Hart 0 of a VM of vCPUs 0 and 1.  arg0 1: the SBI has no v0.1 (kvm.ko
 * without CONFIG_RISCV_SBI_V01): every call is SBI_ERR_NOT_SUPPORTED.
 */
long guest_legacy_main(unsigned long no_v01, unsigned long unused1);
long guest_legacy_main(unsigned long no_v01, unsigned long unused1)
{
	unsigned long eid, mask_va = (unsigned long)&SMP->legacy_mask;

	smp_init();
	if (no_v01) {
		for (eid = SBI_EXT_0_1_SET_TIMER; eid <= SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID; eid++)
			if (eid != SBI_EXT_0_1_CONSOLE_PUTCHAR &&
			    eid != SBI_EXT_0_1_CONSOLE_GETCHAR)
				GUEST_ASSERT_EQ(sbi_legacy(eid, 0, 0, 0, 0),
						SBI_ERR_NOT_SUPPORTED);
		return 0;
	}
	GUEST_ASSERT_EQ(smp_start_hart(1, ipi_waiter, 0), 0);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_SUSPENDED, 20);

	SMP->legacy_mask = 1UL << 1;
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_SEND_IPI, mask_va, 0, 0, 0), 0);
	SSI_WAIT(1, 1);
	GUEST_ASSERT_EQ(csr_read(sip) & SIE_SSIE, 0);
	/* mask address 0: every hart */
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_SEND_IPI, 0, 0, 0, 0), 0);
	SSI_WAIT(1, 2);
	GUEST_ASSERT_EQ(csr_read(sip) & SIE_SSIE, SIE_SSIE);
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_CLEAR_IPI, 0, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(csr_read(sip) & SIE_SSIE, 0);
	/* v0.1 has no error for bits naming no hart */
	SMP->legacy_mask = 1UL << 1 | 1UL << 5 | 1UL << 63;
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_SEND_IPI, mask_va, 0, 0, 0), 0);
	SSI_WAIT(1, 3);
	SMP->legacy_mask = 3;
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_REMOTE_FENCE_I, mask_va, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_REMOTE_SFENCE_VMA, mask_va,
				   0, -1UL, 0), 0);
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_REMOTE_SFENCE_VMA, mask_va,
				   GUEST_BASE, 0x2000, 0), 0);
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID,
				   mask_va, 0, -1UL, 3), 0);
	GUEST_ASSERT_EQ(SMP->ssi[1], 3);	/* fences are not IPIs */

	/* A mask in no memslot: the guest takes a load access fault. */
	SMP->trap_expected[0] = 1;
	sbi_legacy(SBI_EXT_0_1_SEND_IPI, GUEST_MMIO_BASE, 0, 0, 0);
	GUEST_ASSERT_EQ(SMP->trap_expected[0], 0);
	GUEST_ASSERT_EQ(SMP->trap_cause[0], 5);
	GUEST_ASSERT_EQ(SMP->ssi[1], 3);

	SMP->guest_flag[0] = 1;
	SMP->legacy_mask = 2;
	GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_SEND_IPI, mask_va, 0, 0, 0), 0);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 20);
	return 0;
}

/* ---- KVM_INTERRUPT, WFI ---- */

/*
 * One vCPU, run in its own thread; the host raises and lowers VSEIP with
 * KVM_INTERRUPT from another thread.  guest_flag[0] tells where it is:
 * 1 spinning with SEIE on, 2 took it, 3 in WFI, 4 took the second one.
 * arg0 1 (kvm.ko): its UNSET does not kick the vCPU, it applies at the
 * next guest entry; the guest exits once (a ucall) before looking.
 */
long guest_ext_irq(unsigned long unset_lazy, unsigned long unused1);
long guest_ext_irq(unsigned long unset_lazy, unsigned long unused1)
{
	unsigned long t;

	smp_init();
	csr_set(sie, SIE_SEIE);
	irq_enable();
	SMP->guest_flag[0] = 1;
	WAIT_FOR(SMP->sei[0] >= 1, 30);
	SMP->guest_flag[0] = 2;
	WAIT_FOR(SMP->host_flag[0] == 1, 30);	/* the host lowered it */
	if (unset_lazy)
		GUEST_SYNC(0);
	csr_set(sie, SIE_SEIE);
	t = rdtime();
	while (rdtime() - t < ms_ticks(20))
		;
	GUEST_ASSERT_EQ(SMP->sei[0], 1);	/* not taken again */
	SMP->guest_flag[0] = 3;
	while (SMP->sei[0] < 2)
		wfi();
	SMP->guest_flag[0] = 4;
	WAIT_FOR(SMP->host_flag[0] == 2, 30);
	if (unset_lazy)
		GUEST_SYNC(0);
	csr_set(sie, SIE_SEIE);
	t = rdtime();
	while (rdtime() - t < ms_ticks(20))
		;
	irq_disable();
	return SMP->sei[0];
}

/*
 * WFI with only SEIE enabled: nothing but KVM_INTERRUPT ends it.
 * counter[0] counts WFIs that returned; guest_flag[0] = 1 before the
 * first.  Returns once the external interrupt was taken.
 */
long guest_wfi_loop(unsigned long unused0, unsigned long unused1);
long guest_wfi_loop(unsigned long unused0, unsigned long unused1)
{
	smp_init();
	csr_write(sie, SIE_SEIE);
	irq_enable();
	SMP->guest_flag[0] = 1;
	while (!SMP->sei[0]) {
		wfi();
		atomic_add(&SMP->counter[0], 1);
	}
	irq_disable();
	return SMP->counter[0];
}

/* ---- vCPUs in parallel ---- */

static void barrier_wait(unsigned long round)
{
	atomic_add(&SMP->counter[0], 1);
	WAIT_FOR(SMP->counter[0] >= SMP->nr_harts * round, 60);
}

static long parallel_worker(unsigned long h, unsigned long rounds)
{
	unsigned long r;

	for (r = 1; r <= rounds; r++) {
		barrier_wait(r);
		atomic_add(&SMP->result[h][0], 1);
	}
	return 0;
}

static long parallel_secondary(unsigned long h, unsigned long opaque)
{
	return parallel_worker(h, start_arg(opaque));
}

/*
 * nr_harts vCPUs meet at a spinning barrier, rounds times: each must run
 * while the others spin, so none may wait for another to leave the guest.
 */
long guest_parallel_main(unsigned long rounds, unsigned long unused1);
long guest_parallel_main(unsigned long rounds, unsigned long unused1)
{
	unsigned long h;

	smp_init();
	for (h = 1; h < SMP->nr_harts; h++)
		GUEST_ASSERT_EQ(smp_start_hart(h, parallel_secondary, rounds), 0);
	parallel_worker(0, rounds);
	for (h = 1; h < SMP->nr_harts; h++)
		WAIT_FOR(smp_hart_status(h) == SBI_HSM_STATE_STOPPED, 60);
	return SMP->counter[0];
}

/* ---- the headline: 4 harts, HSM, IPIs, fences, timers ---- */

/*
 * arg[0]: timer ticks per hart; arg[1]: period (ms); arg[2]: IPIs per
 * hart; arg[3]: kvm.ko, whose SBI timer now and then never raises a
 * deadline's interrupt (a hart waited out the 60 s with none, through
 * the test's kicks): a deadline 1 s past with none taken is armed again
 * and counted in sti_lost[] there, which rvhv never does.
 */
static void hl_ticks(unsigned long h, unsigned long n)
{
	unsigned long t0 = rdtime(), base = SMP->sti[h];
	unsigned long end = t0 + 60 * SMP->freq;

	SMP->period[h] = ms_ticks(SMP->arg[1]);
	smp_timer_arm(rdtime() + SMP->period[h]);
	while (SMP->sti[h] < base + n) {
		if (rdtime() > end) {
			GUEST_ASSERT(SMP->sti[h] >= base + n);
			break;
		}
		if (!SMP->arg[3] || rdtime() < SMP->deadline[h] + SMP->freq)
			continue;
		/* interrupts off: the handler cannot arm the next meanwhile */
		irq_disable();
		if (rdtime() >= SMP->deadline[h] + SMP->freq) {
			SMP->sti_lost[h]++;
			smp_timer_arm(SMP->deadline[h]);
		}
		irq_enable();
	}
	SMP->period[h] = 0;
	irq_disable();
	smp_timer_arm(-1UL);
	irq_enable();
	SMP->result[h][0] = rdtime() - t0;
}

static long hl_worker(unsigned long h, unsigned long opaque)
{
	unsigned long n = SMP->nr_harts, next = (h + 1) % n, k, base;

	csr_set(sie, SIE_SSIE | SIE_STIE);
	irq_enable();
	hl_ticks(h, SMP->arg[0]);
	/* IPIs around the ring, each waiting for the last one's delivery */
	base = SMP->ssi[next];
	for (k = 1; k <= SMP->arg[2]; k++) {
		GUEST_ASSERT_EQ(sbi_send_ipi(1UL << next, 0).error, 0);
		WAIT_FOR(SMP->ssi[next] >= base + k, 30);
	}
	GUEST_ASSERT_EQ(sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 0, -1UL,
				  0, 0, 0, 0).error, 0);
	GUEST_ASSERT_EQ(sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA,
				  1UL << next, 0, 0, -1UL, 0, 0).error, 0);
	GUEST_ASSERT_EQ(sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID,
				  0xf, 0, 0, 0, 1, 0).error, 0);
	atomic_add(&SMP->counter[0], 1);
	/* Nobody sends IPIs any more once everyone is here. */
	WAIT_FOR(SMP->counter[0] >= n, 60);
	if (h == 3)
		return 0;	/* stops itself */
	if (h) {
		WAIT_FOR(SMP->guest_flag[0], 60);
		irq_disable();
	}
	return 0;
}

/* Hart 3 after its restart: two more ticks and one IPI to hart 0. */
static long hl_restarted(unsigned long h, unsigned long opaque)
{
	unsigned long base = SMP->ssi[0];

	GUEST_ASSERT_EQ(start_arg(opaque), 0xfeed);
	csr_set(sie, SIE_SSIE | SIE_STIE);
	irq_enable();
	hl_ticks(h, 2);
	GUEST_ASSERT_EQ(sbi_send_ipi(1, 0).error, 0);
	WAIT_FOR(SMP->ssi[0] > base, 30);
	atomic_add(&SMP->counter[1], 1);
	irq_disable();
	return 0;
}

long guest_headline_main(unsigned long unused0, unsigned long unused1);
long guest_headline_main(unsigned long unused0, unsigned long unused1)
{
	unsigned long h;

	smp_init();
	GUEST_ASSERT_EQ(SMP->nr_harts, 4);
	for (h = 1; h < 4; h++)
		GUEST_ASSERT_EQ(smp_hart_status(h), SBI_HSM_STATE_STOPPED);
	for (h = 1; h < 4; h++)
		GUEST_ASSERT_EQ(smp_start_hart(h, hl_worker, h), 0);
	hl_worker(0, 0);
	WAIT_FOR(SMP->counter[0] == 4, 60);
	WAIT_FOR(smp_hart_status(3) == SBI_HSM_STATE_STOPPED, 30);
	GUEST_ASSERT_EQ(SMP->starts[3], 1);
	GUEST_ASSERT_EQ(smp_start_hart(3, hl_restarted, 0xfeed), 0);
	WAIT_FOR(SMP->counter[1] == 1, 60);
	WAIT_FOR(smp_hart_status(3) == SBI_HSM_STATE_STOPPED, 30);
	GUEST_ASSERT_EQ(SMP->starts[3], 2);
	SMP->guest_flag[0] = 1;
	for (h = 1; h < 3; h++)
		WAIT_FOR(smp_hart_status(h) == SBI_HSM_STATE_STOPPED, 30);
	irq_disable();
	return 0;
}
