// SPDX-License-Identifier: GPL-2.0
/* Guest programs of mmio_test: one access of each kind to MMIO. */
#include "guest.h"

long guest_mmio_stores(unsigned long base, unsigned long unused);
long guest_mmio_loads(unsigned long base, unsigned long unused);
long guest_mmio_load_t5(unsigned long addr, unsigned long unused);
long guest_mmio_compressed(unsigned long base, unsigned long unused);
long guest_mmio_sp_relative(unsigned long base, unsigned long unused);
long guest_mmio_misaligned(unsigned long addr, unsigned long unused);
long guest_mmio_fp(unsigned long addr, unsigned long unused);

/* sb, sh, sw, sd at base + 1, 2, 4, 8; then sd of x0 at base + 16. */
long guest_mmio_stores(unsigned long base, unsigned long unused)
{
	mmio_sb(base + 1, 0x81);
	mmio_sh(base + 2, 0x8182);
	mmio_sw(base + 4, 0x81828384);
	mmio_sd(base + 8, 0x8182838485868788UL);
	asm volatile("sd zero, 16(%0)" : : "r"(base) : "memory");
	return 0;
}

/*
 * lb, lbu, lh, lhu, lw, lwu, ld at base + 8 * i (i = 0..6); each value is
 * reported as (i, value).  The host supplies the data.
 */
long guest_mmio_loads(unsigned long base, unsigned long unused)
{
	GUEST_REPORT(0, mmio_lb(base));
	GUEST_REPORT(1, mmio_lbu(base + 8));
	GUEST_REPORT(2, mmio_lh(base + 16));
	GUEST_REPORT(3, mmio_lhu(base + 24));
	GUEST_REPORT(4, mmio_lw(base + 32));
	GUEST_REPORT(5, mmio_lwu(base + 40));
	GUEST_REPORT(6, mmio_ld(base + 48));
	return 0;
}

/* ld into t5 (x30), which held 0x5a; reports t5 afterwards. */
long guest_mmio_load_t5(unsigned long addr, unsigned long unused)
{
	unsigned long v;

	asm volatile(".option push\n"
		     ".option norvc\n"
		     "li	t5, 0x5a\n"
		     "ld	t5, 0(%1)\n"
		     "mv	%0, t5\n"
		     ".option pop\n"
		     : "=r"(v) : "r"(addr) : "t5", "memory");
	GUEST_REPORT(1, v);
	return 0;
}

/*
 * Compressed loads and stores (registers x8..x15).  Each is followed by
 * two c.addi of a counter: had the hypervisor advanced pc by 4 instead of
 * 2, one would be skipped.  Reports (1, c.lw value, c.ld value, count).
 */
long guest_mmio_compressed(unsigned long base, unsigned long unused)
{
	register unsigned long b asm("a1") = base;
	register unsigned long v asm("a2") = 0x13572468;
	register unsigned long w asm("a4") = 0x0123456789abcdefUL;
	register unsigned long lw asm("a0");
	register unsigned long ld asm("a5");
	register unsigned long cnt asm("a3");

	asm volatile(".option push\n"
		     ".option rvc\n"
		     "li	a3, 0\n"
		     "c.sw	a2, 4(a1)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     "c.sd	a4, 8(a1)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     "c.lw	a0, 16(a1)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     "c.ld	a5, 24(a1)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     ".option pop\n"
		     : "=&r"(lw), "=&r"(ld), "=&r"(cnt)
		     : "r"(b), "r"(v), "r"(w)
		     : "memory");
	GUEST_REPORT3(1, lw, ld, cnt);
	return 0;
}

/*
 * The sp-relative compressed forms, with sp pointing at MMIO:
 * c.swsp, c.sdsp, c.lwsp, c.ldsp at base + 4, 8, 16, 24.
 * Reports (2, c.lwsp value, c.ldsp value, count).
 */
long guest_mmio_sp_relative(unsigned long base, unsigned long unused)
{
	register unsigned long b asm("t1") = base;
	register unsigned long v asm("a2") = 0x2468ace0;
	register unsigned long w asm("a4") = 0xfedcba9876543210UL;
	register unsigned long lw asm("a0");
	register unsigned long ld asm("a5");
	register unsigned long cnt asm("a3");

	asm volatile(".option push\n"
		     ".option rvc\n"
		     "mv	t0, sp\n"
		     "mv	sp, t1\n"
		     "li	a3, 0\n"
		     "c.swsp	a2, 4(sp)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     "c.sdsp	a4, 8(sp)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     "c.lwsp	a0, 16(sp)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     "c.ldsp	a5, 24(sp)\n"
		     "c.addi	a3, 1\n"
		     "c.addi	a3, 1\n"
		     "mv	sp, t0\n"
		     ".option pop\n"
		     : "=&r"(lw), "=&r"(ld), "=&r"(cnt)
		     : "r"(b), "r"(v), "r"(w)
		     : "t0", "memory");
	GUEST_REPORT3(2, lw, ld, cnt);
	return 0;
}

static volatile unsigned long mis_cause, mis_tval, mis_count;

static void record_misaligned(struct guest_regs *regs)
{
	mis_cause = regs->scause;
	mis_tval = regs->stval;
	mis_count++;
	regs->sepc += insn_len(regs->sepc);
}

/* lw at a misaligned MMIO address; reports (3, traps, scause, stval). */
long guest_mmio_misaligned(unsigned long addr, unsigned long unused)
{
	unsigned long v;

	guest_trap_hook = record_misaligned;
	v = mmio_lw(addr);
	guest_trap_hook = 0;
	GUEST_REPORT4(3, mis_count, mis_cause, mis_tval, v);
	return 0;
}

/* fld from MMIO; reports (4, the value's bits). */
long guest_mmio_fp(unsigned long addr, unsigned long unused)
{
	unsigned long v;

	asm volatile("fld ft0, 0(%1)\n"
		     "fmv.x.d %0, ft0\n"
		     : "=r"(v) : "r"(addr) : "ft0", "memory");
	GUEST_REPORT(4, v);
	return 0;
}

/*
 * coalesced_test: @n 32-bit stores of i + 1 into the zone at @base, a
 * store outside it (base + 0x2000: an ordinary exit), @n 16-bit stores of
 * 0x100 + i into the zone, then a load in the zone (loads always exit):
 * returns what the load read.
 */
long guest_mmio_coalesced(unsigned long base, unsigned long n);
long guest_mmio_coalesced(unsigned long base, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		mmio_sw(base + 4 * (i % 1024), i + 1);
	mmio_sd(base + 0x2000, 0xfeed);
	for (i = 0; i < n; i++)
		mmio_sh(base + 2 * (i % 2048), 0x100 + i);
	return mmio_lwu(base);
}
