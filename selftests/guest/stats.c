// SPDX-License-Identifier: GPL-2.0
/* Guest programs of stats_test (see stats_abi.h). */
#include "smp.h"
#include "stats_abi.h"

#define ARGS	((volatile struct stats_args *)STATS_ARGS)

long guest_stats_work(unsigned long unused0, unsigned long unused1);
long guest_stats_spin(unsigned long unused0, unsigned long unused1);

static void base_call(void)
{
	sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0, 0);
}

static void read_then_write(unsigned long base, unsigned long n)
{
	volatile unsigned long *p;
	unsigned long i;

	for (i = 0; i < n; i++) {
		p = (volatile unsigned long *)(base + i * 4096);
		GUEST_ASSERT_EQ(0, *p);
		*p = i + 1;
	}
}

long guest_stats_work(unsigned long unused0, unsigned long unused1)
{
	volatile struct stats_args *a = ARGS;
	unsigned long i;

	GUEST_SYNC(0);
	for (i = 0; i < a->n_sbi; i++)
		base_call();
	for (i = 0; i < a->n_mmio; i++)
		mmio_sd(GUEST_MMIO_BASE + 8 * (i & 15), i);
	for (i = 0; i < a->n_ioevt; i++)
		mmio_sw(a->ioevt_addr, i);
	for (i = 0; i < a->n_touch; i++)
		*(volatile unsigned long *)(a->touch_base + i * 4096) = i;
	read_then_write(a->rw_base, a->n_rw);
	read_then_write(a->rw2_base, a->n_rw2);
	if (a->huge_base)
		*(volatile unsigned long *)a->huge_base = 1;
	if (a->wfi_ticks) {
		csr_write(sie, SIE_STIE);
		sbi_set_timer(rdtime() + a->wfi_ticks);
		wfi();
		sbi_set_timer(-1UL);
		csr_write(sie, 0);
	}
	GUEST_SYNC(1);
	return 0;
}

long guest_stats_spin(unsigned long unused0, unsigned long unused1)
{
	volatile struct stats_args *a = ARGS;

	while (!a->stop) {
		base_call();
		a->count++;
	}
	return 0;
}
