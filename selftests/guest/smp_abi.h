/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the SMP, timer and batch guests (guest/smp.c, guest/timer.c) and
 * their tests (smp_test.c, timer_test.c, batch_test.c) share: a block of
 * counters and flags in the data page, at SMP_SHARED.  Plain C only.
 *
 * Per-hart arrays are indexed by hart id (vCPU id), below SMP_MAX_HARTS.
 * A hart started through guest_smp_entry (HSM hart_start with
 * start_addr = GUEST_FN(guest_smp_entry), opaque = the GPA of a struct
 * smp_start) runs on its own stack, with tp = its hart id, the payload's
 * trap vector and smp_irq_handler() installed, and calls start->fn(hartid,
 * opaque); when that returns the hart stops itself (HSM hart_stop).
 */
#ifndef GUEST_SMP_ABI_H
#define GUEST_SMP_ABI_H

#include "ucall_abi.h"

#define SMP_MAX_HARTS		8
#define SMP_SHARED		(GUEST_DATA + 0x8000UL)
#define SMP_STACK_SIZE		0x8000UL	/* per secondary hart */

/* Where batch_test keeps its arrays (inside slot 0, after the data page
 * users of the other tests). */
#define BATCH_ARRAY		(GUEST_DATA + 0x1000UL)

/* Timer programming modes (smp_shared.tmode[]). */
#define TMODE_SSTC		0	/* csrw stimecmp */
#define TMODE_SBI		1	/* SBI TIME set_timer */
#define TMODE_LEGACY		2	/* legacy v0.1 set_timer */

#define SBI_EXT_0_1_SET_TIMER		0x0
#define SBI_EXT_0_1_CLEAR_IPI		0x3
#define SBI_EXT_0_1_SEND_IPI		0x4
#define SBI_EXT_0_1_REMOTE_FENCE_I	0x5
#define SBI_EXT_0_1_REMOTE_SFENCE_VMA	0x6
#define SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID 0x7
#define SBI_EXT_0_1_SHUTDOWN		0x8

#define SBI_HSM_HART_START		0
#define SBI_HSM_HART_STOP		1
#define SBI_HSM_HART_STATUS		2
#define SBI_HSM_HART_SUSPEND		3
#define SBI_HSM_STATE_STARTED		0
#define SBI_HSM_STATE_STOPPED		1
#define SBI_HSM_STATE_SUSPENDED		4

#define SBI_RFENCE_FENCE_I		0
#define SBI_RFENCE_SFENCE_VMA		1
#define SBI_RFENCE_SFENCE_VMA_ASID	2
#define SBI_RFENCE_HFENCE_GVMA_VMID	3
#define SBI_RFENCE_HFENCE_GVMA		4
#define SBI_RFENCE_HFENCE_VVMA_ASID	5
#define SBI_RFENCE_HFENCE_VVMA		6

#define SBI_ERR_DENIED			(-4)
#define SBI_ERR_INVALID_ADDRESS		(-5)
#define SBI_ERR_ALREADY_AVAILABLE	(-6)

/* scause values of the interrupts a guest sees (S-level in VS-mode). */
#define SCAUSE_IRQ		(1UL << 63)
#define IRQ_S_SOFT		1
#define IRQ_S_TIMER		5
#define IRQ_S_EXT		9

#ifndef __ASSEMBLER__
struct smp_start {
	unsigned long fn;	/* long fn(unsigned long hartid, unsigned long opaque) */
	unsigned long arg;	/* for fn, free use */
};

struct smp_shared {
	/* Set by the host before the guest runs. */
	unsigned long freq;		/* timebase, ticks per second */
	unsigned long nr_harts;
	unsigned long arg[8];		/* test parameters */
	/* Host <-> guest handshakes. */
	volatile unsigned long host_flag[8];
	volatile unsigned long guest_flag[8];
	/* Written by guest_smp_entry on each start: the raw a0/a1. */
	volatile unsigned long starts[SMP_MAX_HARTS];
	volatile unsigned long start_a0[SMP_MAX_HARTS];
	volatile unsigned long start_a1[SMP_MAX_HARTS];
	/* Interrupts taken, counted by smp_irq_handler(). */
	volatile unsigned long ssi[SMP_MAX_HARTS];
	volatile unsigned long sti[SMP_MAX_HARTS];
	volatile unsigned long sei[SMP_MAX_HARTS];
	/* Timer: how to program it, the deadline, the worst lateness seen. */
	volatile unsigned long tmode[SMP_MAX_HARTS];
	volatile unsigned long period[SMP_MAX_HARTS];	/* 0: one shot */
	/* Stop re-arming a periodic timer after this many (0: never). */
	volatile unsigned long sti_stop[SMP_MAX_HARTS];
	volatile unsigned long deadline[SMP_MAX_HARTS];
	volatile unsigned long sti_early[SMP_MAX_HARTS];	/* before deadline */
	/* the headline on kvm.ko: deadlines armed again, none taken in 1 s */
	volatile unsigned long sti_lost[SMP_MAX_HARTS];
	volatile unsigned long sti_late_max[SMP_MAX_HARTS];	/* ticks */
	volatile unsigned long sti_time[SMP_MAX_HARTS];	/* rdtime at the last */
	/* Exceptions taken while trap_expected[] was set. */
	volatile unsigned long trap_expected[SMP_MAX_HARTS];
	volatile unsigned long trap_cause[SMP_MAX_HARTS];
	volatile unsigned long trap_epc[SMP_MAX_HARTS];
	/* Free counters for the tests (amoadd). */
	volatile unsigned long counter[16];
	volatile unsigned long result[SMP_MAX_HARTS][8];
	struct smp_start start[SMP_MAX_HARTS];
	unsigned long legacy_mask;	/* v0.1 hart masks are read from memory */
};
#endif

#endif /* GUEST_SMP_ABI_H */
