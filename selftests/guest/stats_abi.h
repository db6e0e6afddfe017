/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What stats_test and its guest programs (guest/stats.c) agree on: the
 * work guest_stats_work does between its two UCALL_SYNCs, and the loop
 * guest_stats_spin runs while the test reads statistics.
 */
#ifndef GUEST_STATS_ABI_H
#define GUEST_STATS_ABI_H

#define STATS_ARGS		(GUEST_DATA + 0xd000UL)

#ifndef __ASSEMBLER__
/*
 * guest_stats_work, between UCALL_SYNC(0) and UCALL_SYNC(1), in order:
 * n_sbi BASE get_spec_version calls, n_mmio 8-byte stores to
 * GUEST_MMIO_BASE (exits to the test), n_ioevt 4-byte stores to
 * ioevt_addr, a store to the first u64 of each of n_touch pages from
 * touch_base, a load (of 0) then a store to each of n_rw pages from
 * rw_base and of n_rw2 pages from rw2_base, a store to huge_base (if
 * not 0), and, if wfi_ticks, one WFI woken by the
 * timer wfi_ticks ahead (armed and disarmed with SBI set_timer, STIE on
 * and SIE off).  guest_stats_spin: BASE calls, count += 1 each, until
 * stop.
 */
struct stats_args {
	unsigned long n_sbi;
	unsigned long n_mmio;
	unsigned long ioevt_addr;
	unsigned long n_ioevt;
	unsigned long touch_base;
	unsigned long n_touch;
	unsigned long rw_base;
	unsigned long n_rw;
	unsigned long rw2_base;
	unsigned long n_rw2;
	unsigned long huge_base;
	unsigned long wfi_ticks;
	unsigned long stop;
	unsigned long count;
};
#endif

#endif /* GUEST_STATS_ABI_H */
