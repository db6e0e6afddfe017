// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of bench: each program times n operations with rdtime and
 * reports (1, ticks for the operations, ticks for the same loop without
 * them), so the host can subtract the loop.
 */
#include "guest.h"

long guest_bench_sbi(unsigned long n, unsigned long unused);
long guest_bench_mmio(unsigned long n, unsigned long addr);
long guest_bench_touch(unsigned long n, unsigned long base);

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
 */
long guest_bench_touch(unsigned long n, unsigned long base)
{
	unsigned long i, t0, t1, t2;

	t0 = rdtime();
	for (i = 0; i < n; i++)
		*(volatile unsigned long *)(base + i * 4096) = i;
	t1 = rdtime();
	for (i = 0; i < n; i++)
		*(volatile unsigned long *)(base + i * 4096) = i;
	t2 = rdtime();
	GUEST_REPORT2(1, t1 - t0, t2 - t1);
	return 0;
}
