// SPDX-License-Identifier: GPL-2.0
/*
 * A bare guest for rvhv-run's GDB stub (--gdb): selftests/debug_test.c
 * is its debugger.  Not part of rvhv-run.  Run as:
 *
 *	rvhv-run --kernel gdb-guest.elf --mem 16 --cpus 2 --gdb 0
 *
 * Hart 0 builds Sv39 page tables (gdb-guest.h: RAM 1:1 with a 1 GiB page,
 * the image again at GDB_GUEST_VBASE with 4 KiB pages and at
 * GDB_GUEST_VMEGA with a 2 MiB page, two magic pages swapped at
 * GDB_GUEST_VREMAP), turns them on, calls gdb_ready (still at its
 * physical address), starts hart 1 (which counts gdb_counter1 until the
 * first pass below is over, then stops itself) and waits for its count,
 * then continues at the VBASE alias:
 * GDB_GUEST_ROUNDS passes over gdb_bp4 (4-byte instructions), gdb_bp2
 * (compressed) and gdb_br (a c.bnez), counting gdb_hits; then an ebreak
 * of its own (gdb_own_bp), which its trap handler counts and skips; then
 * it prints "rvhv-guest: gdb waiting", waits for the debugger to set
 * gdb_release, prints
 *
 *	rvhv-guest: gdb done value V poke P own N cause C hits H
 *
 * through the SBI debug console and shuts down (SRST).
 */
#include <stdint.h>

#include "bare-guest.h"
#include "gdb-guest.h"

#define SATP_SV39	(8UL << 60)
#define PTE_V		0x01UL
#define PTE_RWX		0x0eUL
#define PTE_AD		0xc0UL
#define PTE(pa, bits)	((((uint64_t)(pa)) >> 12) << 10 | (bits))
#define LEAF(pa)	PTE(pa, PTE_V | PTE_RWX | PTE_AD)
#define TABLE(pa)	PTE(pa, PTE_V)
#define VPN(va, level)	(((va) >> (12 + 9 * (level))) & 0x1ff)
#define DELTA		(GDB_GUEST_VBASE - GDB_GUEST_IMAGE)

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0_image[512] __attribute__((aligned(4096)));
static uint64_t l0_remap[512] __attribute__((aligned(4096)));
uint64_t gdb_magic[2][512] __attribute__((aligned(4096)));
uint8_t gdb_stack0[8192] __attribute__((aligned(16)));
uint8_t gdb_stack1[8192] __attribute__((aligned(16)));

/* What the debugger reads and writes (by name, from the ELF file). */
volatile uint64_t gdb_counter1, gdb_hits, gdb_poke, gdb_release, gdb_value;
volatile uint64_t gdb_own_count, gdb_own_cause, gdb_own_epc;

void main0(void);
void main1(void);
void gdb_ready(void);
void gdb_secondary(void);
void gdb_trap(void);
uint64_t gdb_bp4(uint64_t v);
uint64_t gdb_bp2(uint64_t v);
uint64_t gdb_br(uint64_t v, uint64_t odd);

asm(".section .text.start, \"ax\"\n"
    ".globl _start\n"
    "_start:\n"
    "	lla	sp, gdb_stack0 + 8192\n"
    "	call	main0\n"
    "1:	wfi\n"
    "	j	1b\n"
    /* hart 1, started by hart 0 through SBI HSM */
    ".globl gdb_secondary\n"
    "gdb_secondary:\n"
    "	lla	sp, gdb_stack1 + 8192\n"
    "	call	main1\n"
    "	j	1b\n"
    ".text\n"
    ".option push\n"
    ".option norvc\n"
    ".balign 4\n"
    ".globl gdb_ready\n"
    "gdb_ready:\n"
    "	nop\n"
    "	ret\n"
    ".balign 4\n"
    ".globl gdb_bp4\n"
    "gdb_bp4:\n"
    "	addi	a0, a0, 1\n"
    "	addi	a0, a0, 2\n"
    "	ret\n"
    ".option rvc\n"
    ".balign 4\n"
    ".globl gdb_bp2\n"
    "gdb_bp2:\n"
    "	c.addi	a0, 1\n"
    "	c.jr	ra\n"
    ".balign 4\n"
    ".globl gdb_br\n"
    "gdb_br:\n"
    "	c.bnez	a1, 1f\n"
    "	c.addi	a0, 4\n"
    "1:	c.addi	a0, 8\n"
    "	c.jr	ra\n"
    ".option norvc\n"
    /* Its own breakpoints: counted, cause and pc kept, skipped (4 bytes). */
    ".balign 4\n"
    ".globl gdb_trap\n"
    "gdb_trap:\n"
    "	addi	sp, sp, -16\n"
    "	sd	t0, 0(sp)\n"
    "	sd	t1, 8(sp)\n"
    "	csrr	t0, scause\n"
    "	lla	t1, gdb_own_cause\n"
    "	sd	t0, 0(t1)\n"
    "	csrr	t0, sepc\n"
    "	lla	t1, gdb_own_epc\n"
    "	sd	t0, 0(t1)\n"
    "	addi	t0, t0, 4\n"
    "	csrw	sepc, t0\n"
    "	lla	t1, gdb_own_count\n"
    "	ld	t0, 0(t1)\n"
    "	addi	t0, t0, 1\n"
    "	sd	t0, 0(t1)\n"
    "	ld	t0, 0(sp)\n"
    "	ld	t1, 8(sp)\n"
    "	addi	sp, sp, 16\n"
    "	sret\n"
    ".option pop\n");

/* DBCN console_write takes a physical address: the string's. */
static void put(const char *s)
{
	uintptr_t p = (uintptr_t)s;
	unsigned long n = 0;

	while (s[n])
		n++;
	if (p >= GDB_GUEST_VBASE)
		p -= DELTA;
	sbi(SBI_EXT_DBCN, 0, n, p, 0);
}

static void put_num(const char *label, unsigned long v)
{
	char b[24];
	int i = sizeof(b) - 1;

	put(label);
	b[i] = 0;
	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	b[--i] = 'x';
	b[--i] = '0';
	put(b + i);
}

static void satp_on(void)
{
	asm volatile("csrw satp, %0\n"
		     "sfence.vma" : : "r"(SATP_SV39 | (uintptr_t)root >> 12)
		     : "memory");
}

/* Jump to fn at its VBASE alias; it does not return. */
static void __attribute__((noreturn)) go_virtual(void (*fn)(void))
{
	((void (*)(void))((uintptr_t)fn + DELTA))();
	__builtin_unreachable();
}

static void __attribute__((noreturn)) main_hi(void)
{
	uint64_t v = 0, i;

	for (i = 0; i < GDB_GUEST_ROUNDS; i++) {
		v = gdb_bp4(v);
		v = gdb_bp2(v);
		v = gdb_br(v, i & 1);
		gdb_hits = i + 1;
	}
	gdb_value = v;
	/* gdb_trap at its alias: the code runs there, lla says so. */
	asm volatile("lla	t0, gdb_trap\n"
		     "csrw	stvec, t0\n"
		     ".option push\n"
		     ".option norvc\n"
		     ".globl gdb_own_bp\n"
		     "gdb_own_bp:\n"
		     "	ebreak\n"
		     ".option pop\n" : : : "t0", "memory");
	put("rvhv-guest: gdb waiting\n");
	while (!gdb_release)
		;
	put("rvhv-guest: gdb done");
	put_num(" value ", gdb_value);
	put_num(" poke ", gdb_poke);
	put_num(" own ", gdb_own_count);
	put_num(" cause ", gdb_own_cause);
	put_num(" hits ", gdb_hits);
	put("\n");
	sbi(SBI_EXT_SRST, 0, 0, 0, 0);		/* shutdown */
	for (;;)
		;
}

/* Hart 1 counts through hart 0's first pass, then stops (no CPU). */
static void __attribute__((noreturn)) spin1(void)
{
	while (!gdb_hits)
		gdb_counter1++;
	for (;;)
		sbi(SBI_EXT_HSM, 1, 0, 0, 0);	/* hart_stop */
}

void main0(void)
{
	uint64_t i, k;

	root[VPN(0x80000000UL, 2)] = LEAF(0x80000000UL);
	root[VPN(GDB_GUEST_VBASE, 2)] = TABLE(l1);
	l1[VPN(GDB_GUEST_VBASE, 1)] = TABLE(l0_image);
	l1[VPN(GDB_GUEST_VMEGA, 1)] = LEAF(GDB_GUEST_IMAGE);
	l1[VPN(GDB_GUEST_VREMAP, 1)] = TABLE(l0_remap);
	for (i = 0; i < 512; i++)
		l0_image[i] = LEAF(GDB_GUEST_IMAGE + i * 4096);
	l0_remap[0] = LEAF(gdb_magic[1]);
	l0_remap[1] = LEAF(gdb_magic[0]);
	for (i = 0; i < 2; i++)
		for (k = 0; k < 512; k++)
			gdb_magic[i][k] = GDB_GUEST_MAGIC(i, k);
	satp_on();
	gdb_ready();
	sbi(SBI_EXT_HSM, 0, 1, (uintptr_t)gdb_secondary, 0);	/* hart_start */
	while (gdb_counter1 < GDB_GUEST_COUNT_MIN)
		;
	go_virtual(main_hi);
}

void main1(void)
{
	satp_on();
	go_virtual(spin1);
}
