// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of bench: each program times n operations with rdtime and
 * reports (1, ticks for the operations, ticks for the same loop without
 * them), so the host can subtract the loop.
 */
#include "smp.h"

long guest_bench_sbi(unsigned long n, unsigned long unused);
long guest_bench_mmio(unsigned long n, unsigned long addr);
long guest_bench_touch(unsigned long n, unsigned long base);
long guest_bench_touch_rand(unsigned long n, unsigned long base);
long guest_bench_ipi(unsigned long n, unsigned long unused);
long guest_bench_timer(unsigned long n, unsigned long mode);
long guest_bench_sbi16(unsigned long n, unsigned long batch);
long guest_bench_irqfd(unsigned long n, unsigned long addr);
long guest_bench_imsic_ipi(unsigned long n, unsigned long base);
long guest_bench_irqfd_aplic(unsigned long n, unsigned long addr);

/* A null SBI call the hypervisor answers itself: BASE get_spec_version. */
long guest_bench_sbi(unsigned long n, unsigned long unused)
{
	unsigned long i, t0, t1, t2;

	t0 = rdtime();
	for (i = 0; i < n; i++)
		sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION,
			  0, 0, 0, 0, 0, 0);
	t1 = rdtime();
	for (i = 0; i < n; i++)
		asm volatile("" : : : "memory");
	t2 = rdtime();
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}

/* A 4-byte store to addr, which no memslot covers: an exit to the VMM. */
long guest_bench_mmio(unsigned long n, unsigned long addr)
{
	unsigned long i, t0, t1, t2;

	t0 = rdtime();
	for (i = 0; i < n; i++)
		mmio_sw(addr, i);
	t1 = rdtime();
	for (i = 0; i < n; i++)
		asm volatile("" : : : "memory");
	t2 = rdtime();
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}

/*
 * The first store to each of n fresh 4 KiB pages from base (a G-stage
 * fault each), then the same stores again (mapped: the loop's own cost).
 * The low 12 bits of base, if any, are a stride in pages: every 16th
 * page from base with base | 16.
 */
long guest_bench_touch(unsigned long n, unsigned long base)
{
	unsigned long i, t0, t1, t2, step = (base & 0xfff ?: 1) * 4096;

	base &= ~0xfffUL;
	t0 = rdtime();
	for (i = 0; i < n; i++)
		*(volatile unsigned long *)(base + i * step) = i;
	t1 = rdtime();
	for (i = 0; i < n; i++)
		*(volatile unsigned long *)(base + i * step) = i;
	t2 = rdtime();
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}

/*
 * n stores to distinct pseudo-random pages of a 1 GiB region, one every
 * 16 pages: page (x * 16) for x of the full-period LCG x = 5x + 1 mod
 * 16384 (n <= 16384), timed, then the same stores again.
 */
long guest_bench_touch_rand(unsigned long n, unsigned long base)
{
	unsigned long i, x, t0, t1, t2;

	x = 1;
	t0 = rdtime();
	for (i = 0; i < n; i++) {
		x = (x * 5 + 1) & 16383;
		*(volatile unsigned long *)(base + (x << 16)) = i;
	}
	t1 = rdtime();
	x = 1;
	for (i = 0; i < n; i++) {
		x = (x * 5 + 1) & 16383;
		*(volatile unsigned long *)(base + (x << 16)) = i;
	}
	t2 = rdtime();
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}

/*
 * The interrupt handler of the programs below (both harts): count the
 * software interrupt and clear it; timestamp the timer interrupt first
 * thing, count it and disarm the timer the way it was armed.
 */
static void bench_irq(struct guest_regs *regs)
{
	unsigned long now = rdtime(), h = smp_hartid(), cause = regs->scause;

	if (cause == (SCAUSE_IRQ | IRQ_S_SOFT)) {
		csr_clear(sip, SIE_SSIE);
		SMP->ssi[h]++;
		return;
	}
	if (cause == (SCAUSE_IRQ | IRQ_S_EXT)) {
		/* The line is the VMM's: masked until it has lowered it. */
		csr_clear(sie, SIE_SEIE);
		SMP->result[h][0] = now;
		SMP->sei[h]++;
		return;
	}
	if (cause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
		SMP->sti_time[h] = now;
		SMP->sti[h]++;
		if (SMP->tmode[h] == TMODE_SSTC)
			stimecmp_write(-1UL);
		else
			sbi_set_timer(-1UL);
		return;
	}
	for (;;)
		ucall(UCALL_TRAP, cause, regs->sepc, regs->stval, 0, 0);
}

/*
 * Wait in WFI for this hart's software interrupt, then take it (the trap,
 * bench_irq).  sstatus.SIE is off around the WFI, so an IPI arriving
 * between the check and the WFI still ends the WFI (pending and enabled
 * in sie) instead of being taken before it and leaving the hart asleep.
 */
static inline void ipi_wait_take(void)
{
	while (!(csr_read(sip) & SIE_SSIE))
		wfi();
	irq_enable();		/* the trap: a CSR write ends QEMU's block */
	irq_disable();
}

/* Hart 1 of guest_bench_ipi: n times, sleep in WFI, take the IPI, answer. */
static long bench_ipi_echo(unsigned long h, unsigned long opaque)
{
	unsigned long n = ((struct smp_start *)opaque)->arg, k, err = 0;

	guest_trap_hook = bench_irq;	/* guest_smp_entry installed its own */
	csr_set(sie, SIE_SSIE);
	SMP->guest_flag[1] = 1;
	for (k = 0; k < n; k++) {
		ipi_wait_take();
		err |= sbi_send_ipi(1UL << 0, 0).error;
	}
	csr_clear(sie, SIE_SSIE);
	GUEST_ASSERT_EQ(err, 0);
	return 0;
}

/*
 * IPI round trip between hart 0 and hart 1 of a two-vCPU VM: hart 0 sends
 * an IPI to hart 1, which sleeps in WFI (the realistic case: an idle
 * guest kernel), takes the interrupt and sends one back; hart 0 waits for
 * it in WFI and takes it.  Both take the interrupt in their trap handler.
 */
long guest_bench_ipi(unsigned long n, unsigned long unused)
{
	unsigned long i, t0, t1, t2, err = 0;

	smp_init();
	irq_disable();
	guest_trap_hook = bench_irq;
	SMP->ssi[0] = SMP->ssi[1] = 0;
	SMP->guest_flag[1] = 0;
	csr_clear(sip, SIE_SSIE);
	csr_set(sie, SIE_SSIE);
	GUEST_ASSERT_EQ(smp_start_hart(1, bench_ipi_echo, n), 0);
	WAIT_FOR(SMP->guest_flag[1] == 1, 20);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_SUSPENDED, 20); /* WFI */

	t0 = rdtime();
	for (i = 0; i < n; i++) {
		err |= sbi_send_ipi(1UL << 1, 0).error;
		ipi_wait_take();
	}
	t1 = rdtime();
	for (i = 0; i < n; i++)
		asm volatile("" : : : "memory");
	t2 = rdtime();
	csr_clear(sie, SIE_SSIE);
	GUEST_ASSERT_EQ(err, 0);
	GUEST_ASSERT_EQ(SMP->ssi[0], n);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 20);
	GUEST_ASSERT_EQ(SMP->ssi[1], n);
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}

/*
 * Timer interrupt delivery: n times, arm the timer for now (mode
 * TMODE_SSTC: write stimecmp; TMODE_SBI: SBI set_timer) and time from
 * just before arming to bench_irq's first instruction.  The sum of those
 * intervals is reported with the sum of the same intervals with nothing
 * in between (two rdtimes).  rdtime ticks are coarse (10 MHz: 100
 * instructions); a varying delay before each interval spreads its phase
 * against the tick so the sums average out.
 */
long guest_bench_timer(unsigned long n, unsigned long mode)
{
	unsigned long i, j, t, sum = 0, base = 0, err = 0;

	smp_init();
	irq_disable();
	guest_trap_hook = bench_irq;
	SMP->tmode[0] = mode;
	SMP->sti[0] = 0;
	if (mode == TMODE_SSTC)
		stimecmp_write(-1UL);
	else
		err |= sbi_set_timer(-1UL).error;
	csr_set(sie, SIE_STIE);
	irq_enable();
	for (i = 0; i < n; i++) {
		unsigned long seen = SMP->sti[0];

		for (j = (i * 37) % 97; j; j--)
			asm volatile("" : : : "memory");
		t = rdtime();
		if (mode == TMODE_SSTC)
			stimecmp_write(t);
		else
			err |= sbi_set_timer(t).error;
		while (SMP->sti[0] == seen)
			;
		sum += SMP->sti_time[0] - t;
	}
	irq_disable();
	csr_clear(sie, SIE_STIE);
	for (i = 0; i < n; i++) {
		for (j = (i * 37) % 97; j; j--)
			asm volatile("" : : : "memory");
		t = rdtime();
		asm volatile("" : : : "memory");
		base += rdtime() - t;
	}
	GUEST_ASSERT_EQ(err, 0);
	/*
	 * At least n: kvm.ko once delivered one more than it was armed for
	 * (5001 of 5000, a make bench run of 2026-12-02); an extra one
	 * between the waits is not timed.
	 */
	GUEST_ASSERT(SMP->sti[0] >= n);
	GUEST_REPORT2(1, sum, base);
	return 0;
}

/* rvhv's batch call, as in uapi/linux/rvhv.h (not usable freestanding). */
#define RVHV_SBI_EXT		0x0A525648
#define RVHV_SBI_BATCH		0
struct bench_batch_entry {
	unsigned long eid, fid, args[6];
	long error;
	unsigned long value;
};
_Static_assert(sizeof(struct bench_batch_entry) == 80, "batch entry");

#define SBI16	16

/*
 * 16 null SBI calls (BASE get_spec_version), n times: batch 0, one ecall
 * each; batch 1, one RVHV_SBI_BATCH of the 16 (the VMM enabled
 * RVHV_CAP_SBI_BATCH), its array at BATCH_ARRAY.  Every call's result is
 * checked.
 */
long guest_bench_sbi16(unsigned long n, unsigned long batch)
{
	volatile struct bench_batch_entry *e = (void *)BATCH_ARRAY;
	unsigned long i, j, t0, t1, t2, bad = 0, ver;
	struct sbiret r;

	r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	ver = r.value;
	for (j = 0; j < SBI16; j++) {
		e[j].eid = SBI_EXT_BASE;
		e[j].fid = SBI_BASE_GET_SPEC_VERSION;
		for (i = 0; i < 6; i++)
			e[j].args[i] = 0;
		e[j].error = -100;
		e[j].value = ~ver;
	}
	t0 = rdtime();
	if (batch) {
		for (i = 0; i < n; i++) {
			r = sbi_ecall(RVHV_SBI_EXT, RVHV_SBI_BATCH, BATCH_ARRAY,
				      SBI16, 0, 0, 0, 0);
			bad |= r.error | (r.value ^ SBI16);
		}
	} else {
		for (i = 0; i < n; i++)
			for (j = 0; j < SBI16; j++) {
				r = sbi_ecall(SBI_EXT_BASE,
					      SBI_BASE_GET_SPEC_VERSION,
					      0, 0, 0, 0, 0, 0);
				bad |= r.error | (r.value ^ ver);
			}
	}
	t1 = rdtime();
	for (i = 0; i < n; i++)
		for (j = 0; j < SBI16; j++)
			asm volatile("" : : : "memory");
	t2 = rdtime();
	GUEST_ASSERT_EQ(bad, 0);
	if (batch)
		for (j = 0; j < SBI16; j++) {
			GUEST_ASSERT_EQ(e[j].error, 0);
			GUEST_ASSERT_EQ(e[j].value, ver);
		}
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}

/*
 * A virtio-style kick and completion interrupt: n times, a store to addr
 * (an ioeventfd: no exit), which wakes a VMM thread blocked on that
 * eventfd, which writes the irqfd of this vCPU's external interrupt line
 * (rvhv's RVHV_CAP_IRQ_LINES); time from just before the store to
 * bench_irq's first instruction.  Then a SYNC ucall, outside the timed
 * part, lets the VMM lower the line before SEIE is enabled again.
 * Reports the sum of those intervals and of the same with nothing in
 * between (two rdtimes).
 */
long guest_bench_irqfd(unsigned long n, unsigned long addr)
{
	unsigned long i, t, sum = 0, base = 0;

	smp_init();
	irq_disable();
	guest_trap_hook = bench_irq;
	SMP->sei[0] = 0;
	for (i = 0; i < n; i++) {
		csr_set(sie, SIE_SEIE);
		t = rdtime();
		mmio_sw(addr, i);
		/*
		 * Taken in WFI with interrupts on.  (Polling sip.SEIP with
		 * them off, as ipi_wait_take does for SSIP, never sees the
		 * VMM's line on QEMU 7.2: the vCPU then loops WFI-wake-WFI.)
		 */
		irq_enable();
		while (SMP->sei[0] == i)
			wfi();
		irq_disable();
		GUEST_ASSERT_EQ(SMP->sei[0], i + 1);
		sum += SMP->result[0][0] - t;
		GUEST_SYNC(i);
	}
	for (i = 0; i < n; i++) {
		t = rdtime();
		base += rdtime() - t;
	}
	GUEST_REPORT2(1, sum, base);
	return 0;
}

/*
 * IPIs through the IMSIC (an MSI-mode AIA device, the vCPUs' IMSIC pages
 * from @base, 4 KiB each): a 32-bit store of identity 1 to the other
 * hart's seteipnum_le; the receiver takes the S external interrupt and
 * claims it through stopei.  AIA CSRs by number: siselect 0x150, sireg
 * 0x151, stopei 0x15c; IMSIC registers eidelivery 0x70, eithreshold
 * 0x72, eie0 0xc0.
 */
static volatile unsigned long imsic_base;

static void imsic_reg_write(unsigned long isel, unsigned long v)
{
	asm volatile("csrw 0x150, %0\n\tcsrw 0x151, %1"
		     : : "r"(isel), "r"(v) : "memory");
}

/* This hart's interrupt file: delivery on, identity 1 enabled. */
static void imsic_on(void)
{
	imsic_reg_write(0x70, 1);
	imsic_reg_write(0x72, 0);
	imsic_reg_write(0xc0, 1UL << 1);
	csr_set(sie, SIE_SEIE);
}

static void imsic_off(void)
{
	csr_clear(sie, SIE_SEIE);
	imsic_reg_write(0xc0, 0);
	imsic_reg_write(0x70, 0);
}

static void bench_imsic_irq(struct guest_regs *regs)
{
	unsigned long id;

	if (regs->scause == (SCAUSE_IRQ | IRQ_S_EXT)) {
		asm volatile("csrrw %0, 0x15c, zero" : "=r"(id) : : "memory");
		if (id >> 16)
			SMP->sei[smp_hartid()]++;
		return;
	}
	bench_irq(regs);
}

/* As ipi_wait_take(), for the @want'th external interrupt. */
static inline void imsic_wait_take(unsigned long h, unsigned long want)
{
	while (SMP->sei[h] < want) {
		if (!(csr_read(sip) & SIE_SEIE))
			wfi();
		irq_enable();
		irq_disable();
	}
}

/* Hart 1 of guest_bench_imsic_ipi: n times, sleep, take it, answer. */
static long bench_imsic_echo(unsigned long h, unsigned long opaque)
{
	unsigned long n = ((struct smp_start *)opaque)->arg, k;

	guest_trap_hook = bench_imsic_irq;
	imsic_on();
	SMP->guest_flag[1] = 1;
	for (k = 0; k < n; k++) {
		imsic_wait_take(1, k + 1);
		mmio_write32(imsic_base, 1);
	}
	imsic_off();
	return 0;
}

/*
 * guest_bench_ipi's round trip with IMSIC MSIs instead of SBI IPIs:
 * hart 0 stores to hart 1's IMSIC page, hart 1 (in WFI) takes and claims
 * the interrupt and stores to hart 0's, which takes and claims it.
 */
long guest_bench_imsic_ipi(unsigned long n, unsigned long base)
{
	unsigned long i, t0, t1, t2;

	smp_init();
	irq_disable();
	imsic_base = base;
	guest_trap_hook = bench_imsic_irq;
	SMP->sei[0] = SMP->sei[1] = 0;
	SMP->guest_flag[1] = 0;
	imsic_on();
	GUEST_ASSERT_EQ(smp_start_hart(1, bench_imsic_echo, n), 0);
	WAIT_FOR(SMP->guest_flag[1] == 1, 20);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_SUSPENDED, 20); /* WFI */

	t0 = rdtime();
	for (i = 0; i < n; i++) {
		mmio_write32(base + 0x1000, 1);
		imsic_wait_take(0, i + 1);
	}
	t1 = rdtime();
	for (i = 0; i < n; i++)
		asm volatile("" : : : "memory");
	t2 = rdtime();
	imsic_off();
	GUEST_ASSERT_EQ(SMP->sei[0], n);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 20);
	GUEST_ASSERT_EQ(SMP->sei[1], n);
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}

/*
 * guest_bench_irqfd through the in-kernel APLIC (SMP->arg[0]: its base;
 * SMP->arg[1]: 1 for MSI mode, to this hart's IMSIC, identity 1; 0 for
 * rvhv's direct mode, to IDC 0): source 1, edge-triggered, is the irqfd's
 * GSI; the handler claims it (stopei, or the IDC's claimi) and stamps
 * the time.  No SYNC per round: the edge needs no lowering.
 */
#define B_APLIC_DOMAINCFG	0x0000
#define B_APLIC_SOURCECFG1	0x0004
#define B_APLIC_SETIENUM	0x1edc
#define B_APLIC_TARGET1		0x3004
#define B_APLIC_IDC0		0x4000	/* idelivery +0, ithreshold +8 */
#define B_APLIC_CLAIMI0		0x401c
static volatile unsigned long aplic_base, aplic_msi;

static void bench_aplic_irq(struct guest_regs *regs)
{
	unsigned long now = rdtime(), h = smp_hartid(), id;

	if (regs->scause != (SCAUSE_IRQ | IRQ_S_EXT)) {
		bench_irq(regs);
		return;
	}
	if (aplic_msi)
		asm volatile("csrrw %0, 0x15c, zero" : "=r"(id) : : "memory");
	else
		id = mmio_read32(aplic_base + B_APLIC_CLAIMI0);
	if (id >> 16) {
		SMP->result[h][0] = now;
		SMP->sei[h]++;
	}
}

long guest_bench_irqfd_aplic(unsigned long n, unsigned long addr)
{
	unsigned long i, t, sum = 0, base = 0;

	smp_init();
	irq_disable();
	aplic_base = SMP->arg[0];
	aplic_msi = SMP->arg[1];
	guest_trap_hook = bench_aplic_irq;
	SMP->sei[0] = 0;
	/* IE, and DM (MSI mode) where the device has it: read-only here. */
	mmio_write32(aplic_base + B_APLIC_DOMAINCFG,
		     (1U << 8) | (aplic_msi ? 1U << 2 : 0));
	mmio_write32(aplic_base + B_APLIC_SOURCECFG1, 4);	/* edge, rising */
	/* hart 0; MSI: identity 1, direct: priority 1 */
	mmio_write32(aplic_base + B_APLIC_TARGET1, 1);
	if (aplic_msi) {
		imsic_on();
	} else {
		mmio_write32(aplic_base + B_APLIC_IDC0 + 8, 0);
		mmio_write32(aplic_base + B_APLIC_IDC0, 1);
		csr_set(sie, SIE_SEIE);
	}
	mmio_write32(aplic_base + B_APLIC_SETIENUM, 1);
	for (i = 0; i < n; i++) {
		t = rdtime();
		mmio_sw(addr, i);
		/*
		 * WFI with interrupts off (the VMM's thread may raise it
		 * before the WFI), then take it.
		 */
		while (SMP->sei[0] == i) {
			wfi();
			irq_enable();
			irq_disable();
		}
		GUEST_ASSERT_EQ(SMP->sei[0], i + 1);
		sum += SMP->result[0][0] - t;
	}
	if (aplic_msi)
		imsic_off();
	csr_clear(sie, SIE_SEIE);
	for (i = 0; i < n; i++) {
		t = rdtime();
		base += rdtime() - t;
	}
	GUEST_REPORT2(1, sum, base);
	return 0;
}
