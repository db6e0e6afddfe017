// SPDX-License-Identifier: GPL-2.0
/* Guest programs of timer_test and of batch_test's console tests. */
#include "smp.h"

/*
 * n timer interrupts, SMP->arg[0] ms apart (or SMP->arg[2] ticks plus a
 * pseudo-random 0 to SMP->arg[3] - 1 more, chosen anew after each, if
 * arg[2] is not 0), programmed per mode (TMODE_*), sleeping in WFI
 * between them (SMP->arg[1] = 1) or spinning.  Counts and lateness are
 * in SMP; returns the guest time it took.
 */
long guest_timer_ticks(unsigned long mode, unsigned long n);
long guest_timer_ticks(unsigned long mode, unsigned long n)
{
	unsigned long t0, use_wfi = SMP->arg[1], seed = 1;

	smp_init();
	SMP->tmode[0] = mode;
	csr_write(sie, SIE_STIE);
	irq_enable();
	t0 = rdtime();
	SMP->period[0] = SMP->arg[2] ? SMP->arg[2] : ms_ticks(SMP->arg[0]);
	SMP->sti_stop[0] = n;	/* the n-th tick arms no (n+1)-th */
	smp_timer_arm(t0 + SMP->period[0]);
	while (SMP->sti[0] < n) {
		if (use_wfi)
			wfi();
		GUEST_ASSERT(rdtime() - t0 < 60 * SMP->freq);
		if (SMP->arg[2] && SMP->arg[3]) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			SMP->period[0] = SMP->arg[2] + (seed >> 33) % SMP->arg[3];
		}
	}
	irq_disable();
	SMP->period[0] = 0;
	SMP->sti_stop[0] = 0;
	smp_timer_arm(-1UL);
	return rdtime() - t0;
}

/*
 * The timer fires while the vCPU is out of KVM_RUN: arm it SMP->arg[0] ms
 * ahead with STIE on and SIE off, GUEST_SYNC(1) (the host waits past the
 * deadline), then the interrupt must be taken the moment SIE goes on.
 * REPORT(1, interrupts taken then, time of it - deadline).
 */
long guest_timer_outside(unsigned long mode, unsigned long unused);
long guest_timer_outside(unsigned long mode, unsigned long unused)
{
	unsigned long n;

	smp_init();
	SMP->tmode[0] = mode;
	csr_write(sie, SIE_STIE);
	smp_timer_arm(rdtime() + ms_ticks(SMP->arg[0]));
	GUEST_SYNC(1);
	irq_enable();
	n = SMP->sti[0];
	irq_disable();
	GUEST_REPORT2(1, n, SMP->sti_time[0] - SMP->deadline[0]);
	return 0;
}

/*
 * Save/restore, first half: arm the timer (mode) at now + arg ticks,
 * REPORT(1, deadline), and stay in the guest until the host takes the
 * vCPU's state (SYNC(2) is never answered usefully).
 */
long guest_timer_save(unsigned long mode, unsigned long ticks);
long guest_timer_save(unsigned long mode, unsigned long ticks)
{
	unsigned long deadline;

	smp_init();
	SMP->tmode[0] = mode;
	deadline = rdtime() + ticks;
	smp_timer_arm(deadline);
	GUEST_REPORT(1, deadline);
	for (;;)
		GUEST_SYNC(2);
}

/*
 * Second half, in the VM the state went to: the timer was not touched by
 * the guest here; wait in WFI for its interrupt.  REPORT(1, first rdtime,
 * time of the interrupt).
 */
long guest_timer_restored(unsigned long mode, unsigned long deadline);
long guest_timer_restored(unsigned long mode, unsigned long deadline)
{
	unsigned long t0 = rdtime();

	smp_init();
	SMP->tmode[0] = mode;
	SMP->deadline[0] = deadline;
	csr_write(sie, SIE_STIE);
	irq_enable();
	while (!SMP->sti[0])
		wfi();
	irq_disable();
	GUEST_REPORT2(1, t0, SMP->sti_time[0]);
	return SMP->sti_early[0];
}

/* Sstc: stimecmp reads back what was written (no trap, no exit). */
long guest_stimecmp_rw(unsigned long val, unsigned long unused);
long guest_stimecmp_rw(unsigned long val, unsigned long unused)
{
	unsigned long v;

	stimecmp_write(val);
	v = stimecmp_read();
	stimecmp_write(-1UL);
	return v;
}

/* ---- console coalescing (batch_test) ---- */

static void putc_legacy(char c)
{
	sbi_legacy(SBI_EXT_0_1_CONSOLE_PUTCHAR, c, 0, 0, 0);
}

static void puts_legacy(const char *s)
{
	while (*s)
		putc_legacy(*s++);
}

/*
 * mode 0: "hello\n", then return 7.
 * mode 1: n times 'x' (no newline), then GUEST_SYNC(5).
 * mode 2: "ab", then WFI until a timer interrupt 50 ms ahead (SIE off).
 * mode 3: "bye", then SRST shutdown.
 */
long guest_console(unsigned long mode, unsigned long n);
long guest_console(unsigned long mode, unsigned long n)
{
	unsigned long i;

	smp_init();
	switch (mode) {
	case 0:
		puts_legacy("hello\n");
		return 7;
	case 1:
		for (i = 0; i < n; i++)
			putc_legacy('a' + i % 26);
		GUEST_SYNC(5);
		return 0;
	case 2:
		puts_legacy("ab");
		SMP->tmode[0] = TMODE_SBI;
		csr_write(sie, SIE_STIE);
		smp_timer_arm(rdtime() + ms_ticks(50));
		irq_enable();
		while (!SMP->sti[0])
			wfi();
		irq_disable();
		return 2;
	case 3:
		puts_legacy("bye");
		sbi_ecall(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN,
			  SBI_SRST_REASON_NONE, 0, 0, 0, 0);
		return 3;
	}
	return -1;
}
