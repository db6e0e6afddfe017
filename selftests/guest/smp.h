/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side helpers for SMP, interrupts and timers (guest/smp.c): hart
 * ids, atomics, SBI wrappers, and an interrupt handler that counts what
 * each hart takes in struct smp_shared (smp_abi.h).
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "guest.h"
#include "smp_abi.h"

#define SMP	((struct smp_shared *)SMP_SHARED)

#define SIE_SSIE	(1UL << IRQ_S_SOFT)
#define SIE_STIE	(1UL << IRQ_S_TIMER)
#define SIE_SEIE	(1UL << IRQ_S_EXT)
#define SSTATUS_SIE	2UL

/* Harts started by guest_smp_entry (and hart 0 after smp_init()) keep
 * their hart id in tp, which the compiled code never touches. */
static inline unsigned long smp_hartid(void)
{
	unsigned long t;

	asm volatile("mv %0, tp" : "=r"(t));
	return t;
}

static inline void atomic_add(volatile unsigned long *p, long v)
{
	asm volatile("amoadd.d zero, %1, %0" : "+A"(*p) : "r"(v) : "memory");
}

static inline void wfi(void)
{
	asm volatile("wfi" : : : "memory");
}

static inline void irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

static inline void irq_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

/* stimecmp (Sstc), by number: the assembler may not know its name. */
static inline void stimecmp_write(unsigned long v)
{
	asm volatile("csrw 0x14d, %0" : : "r"(v) : "memory");
}

static inline unsigned long stimecmp_read(void)
{
	unsigned long v;

	asm volatile("csrr %0, 0x14d" : "=r"(v) : : "memory");
	return v;
}

static inline struct sbiret sbi_hsm(unsigned long fid, unsigned long a0,
				    unsigned long a1, unsigned long a2)
{
	return sbi_ecall(SBI_EXT_HSM, fid, a0, a1, a2, 0, 0, 0);
}

static inline struct sbiret sbi_send_ipi(unsigned long mask,
					 unsigned long base)
{
	return sbi_ecall(SBI_EXT_IPI, 0, mask, base, 0, 0, 0, 0);
}

static inline struct sbiret sbi_set_timer(unsigned long t)
{
	return sbi_ecall(SBI_EXT_TIME, 0, t, 0, 0, 0, 0, 0);
}

/* A legacy v0.1 call: returns a0 only. */
static inline long sbi_legacy(unsigned long eid, unsigned long a0,
			      unsigned long a1, unsigned long a2,
			      unsigned long a3)
{
	return sbi_ecall(eid, 0, a0, a1, a2, a3, 0, 0).error;
}

/* Ticks of the timebase for ms milliseconds. */
static inline unsigned long ms_ticks(unsigned long ms)
{
	return SMP->freq * ms / 1000;
}

/*
 * Spin until cond holds; after secs seconds of guest time, a guest
 * assertion (the test fails with the line) instead of a hang.
 */
#define WAIT_FOR(cond, secs) do {					\
	unsigned long __end = rdtime() + (secs) * SMP->freq;		\
	while (!(cond)) {						\
		if (rdtime() > __end) {					\
			GUEST_ASSERT(cond);				\
			break;						\
		}							\
	}								\
} while (0)

/* Hart 0 (entered by _start): tp = 0 and the interrupt handler. */
void smp_init(void);
/* Program this hart's timer for deadline (-1UL: off), per SMP->tmode[]. */
void smp_timer_arm(unsigned long deadline);
/* Start hart h at guest_smp_entry with fn; returns the SBI error. */
long smp_start_hart(unsigned long h, long (*fn)(unsigned long, unsigned long),
		    unsigned long arg);
/* hart_get_status of h: the state, or the (negative) SBI error. */
long smp_hart_status(unsigned long h);

long guest_smp_entry(unsigned long hartid, unsigned long opaque);

#endif /* GUEST_SMP_H */
