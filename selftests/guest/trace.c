// SPDX-License-Identifier: GPL-2.0
/* Guest program of trace_test: one of each thing the tracepoints show. */
#include "smp.h"
#include "trace_abi.h"

long guest_trace_tour(unsigned long ticks, unsigned long unused);

static volatile unsigned long trace_sti, trace_sei;

/* Count the timer and external interrupts; disarm or mask each. */
static void trace_irq(struct guest_regs *regs)
{
	if (regs->scause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
		sbi_set_timer(-1UL);
		trace_sti++;
		return;
	}
	if (regs->scause == (SCAUSE_IRQ | IRQ_S_EXT)) {
		/* The VMM's line: masked until it lowers it. */
		csr_clear(sie, SIE_SEIE);
		trace_sei++;
		return;
	}
	GUEST_ASSERT_EQ(regs->scause, 0);
}

/*
 * Wait for *count to move past @was: WFI with interrupts off (it ends
 * when one is pending and enabled in sie), then let it be taken.  At
 * least one WFI, even when the interrupt is pending already.  (Polling
 * sip instead does not see these lines on QEMU 7.2; see bench.c.)
 */
static void trace_wait(volatile unsigned long *count, unsigned long was)
{
	do {
		wfi();
		irq_enable();
		irq_disable();
	} while (*count == was);
}

/*
 * In order (the test checks the trace for each):
 *  SYNC(1); SBI RFENCE remote_sfence_vma; a 4-byte MMIO store and an
 *  8-byte MMIO load (REPORT(1, the value)); first touches of two pages
 *  of the test's slot (a store, a load); TRACE_WFI_ROUNDS WFIs woken by
 *  the timer, @ticks ahead; SYNC(2), after which the host has raised
 *  the external interrupt line (KVM_INTERRUPT), and a WFI for it;
 *  SYNC(3), the host lowers it.
 */
long guest_trace_tour(unsigned long ticks, unsigned long unused)
{
	struct sbiret r;
	unsigned long v, i;

	irq_disable();
	guest_trap_hook = trace_irq;
	trace_sti = 0;
	trace_sei = 0;
	GUEST_SYNC(1);

	r = sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1, 0,
		      TRACE_FENCE_START, TRACE_FENCE_SIZE, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);

	mmio_sw(TRACE_MMIO, TRACE_STORE_VAL);
	v = mmio_ld(TRACE_MMIO + 8);
	GUEST_REPORT(1, v);

	*(volatile unsigned long *)TRACE_TOUCH_WRITE = 0x77;
	v = *(volatile unsigned long *)TRACE_TOUCH_READ;
	GUEST_ASSERT_EQ(v, 0);

	csr_write(sie, SIE_STIE);
	for (i = 0; i < TRACE_WFI_ROUNDS; i++) {
		GUEST_ASSERT_EQ(sbi_set_timer(rdtime() + ticks).error, 0);
		trace_wait(&trace_sti, i);
	}

	GUEST_SYNC(2);
	csr_write(sie, SIE_SEIE);
	trace_wait(&trace_sei, 0);
	csr_write(sie, 0);
	GUEST_SYNC(3);
	guest_trap_hook = 0;
	return 0;
}
