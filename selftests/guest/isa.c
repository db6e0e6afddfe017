// SPDX-License-Identifier: GPL-2.0
/*
 * Guest program of isa_test: execute instructions of one ISA extension
 * and check what they did.  Instructions the toolchain (binutils 2.40)
 * does not know are written with .insn.  An unexpected trap (an illegal
 * instruction: the extension is not usable after all) is a UCALL_TRAP,
 * which fails the test.
 */
#include "guest.h"
#include "isa_abi.h"

long guest_isa(unsigned long which, unsigned long block);

#define OP2(insn, ext, rs1, rs2) ({					\
	unsigned long __rd;						\
	asm volatile(".option push\n.option arch, +" ext "\n"		\
		     insn " %0, %1, %2\n.option pop"			\
		     : "=r"(__rd) : "r"(rs1), "r"(rs2));		\
	__rd;								\
})

static u8 cbo_buf[2 * 4096] __attribute__((aligned(4096)));
static volatile u32 wrs_word, cas_word;

static void isa_cbo(unsigned long which, unsigned long block)
{
	volatile u64 *p = (volatile u64 *)cbo_buf;
	unsigned long i;

	GUEST_ASSERT(block && block <= 4096);
	for (i = 0; i < 2 * block / 8; i++)
		p[i] = 0x0123456789abcdefUL + i;
	if (which == ISA_T_ZICBOZ) {
		asm volatile(".option push\n.option arch, +zicboz\n"
			     "cbo.zero (%0)\n.option pop"
			     : : "r"(cbo_buf) : "memory");
		for (i = 0; i < block / 8; i++)
			GUEST_ASSERT_EQ(p[i], 0);
	} else {
		asm volatile(".option push\n.option arch, +zicbom\n"
			     "cbo.clean (%0)\ncbo.flush (%0)\n.option pop"
			     : : "r"(cbo_buf) : "memory");
		for (i = 0; i < block / 8; i++)
			GUEST_ASSERT_EQ(p[i], 0x0123456789abcdefUL + i);
	}
	/* The next block is untouched. */
	for (i = block / 8; i < 2 * block / 8; i++)
		GUEST_ASSERT_EQ(p[i], 0x0123456789abcdefUL + i);
}

/* amocas.w rd, rs2, (rs1) on cas_word: rd = old; @new stored if old == rd */
static unsigned long amocas_w(unsigned long expect, unsigned long new)
{
	unsigned long v = expect;

	asm volatile(".insn r 0x2f, 2, 0x14, %0, %1, %2"
		     : "+r"(v) : "r"(&cas_word), "r"(new) : "memory");
	return v;
}

/*
 * Zabha: byte and halfword AMOs, .insn r 0x2f, funct3 (0: .b, 1: .h),
 * funct5 << 2 (amoadd 0x00, amoswap 0x04, amocas 0x14), rd, rs1, rs2.
 * The old value comes back sign-extended.
 */
#define AMO_BH(f3, f7, p, val) ({					\
	unsigned long __rd;						\
	asm volatile(".insn r 0x2f, " #f3 ", " #f7 ", %0, %1, %2"	\
		     : "=r"(__rd) : "r"(p), "r"(val) : "memory");	\
	__rd;								\
})

static volatile u8 abha_b[8] __attribute__((aligned(8)));
static volatile u16 abha_h[4] __attribute__((aligned(8)));

/* amocas.h: rd = old; @new stored if old == @expect */
static unsigned long amocas_h(volatile u16 *p, unsigned long expect,
			      unsigned long new)
{
	unsigned long v = expect;

	asm volatile(".insn r 0x2f, 1, 0x14, %0, %1, %2"
		     : "+r"(v) : "r"(p), "r"(new) : "memory");
	return v;
}

static void isa_zabha(unsigned long zacas)
{
	unsigned long i;

	for (i = 0; i < 8; i++)
		abha_b[i] = 0x10 * (i + 1);
	abha_h[0] = 0x1111;
	abha_h[1] = 0xffff;
	abha_h[2] = 0x1234;
	abha_h[3] = 0x5678;
	/* amoadd.b wraps within its byte and touches nothing else */
	GUEST_ASSERT_EQ(AMO_BH(0, 0x00, &abha_b[1], 0xf5UL), 0x20);
	GUEST_ASSERT_EQ(abha_b[1], 0x15);
	GUEST_ASSERT_EQ(abha_b[0], 0x10);
	GUEST_ASSERT_EQ(abha_b[2], 0x30);
	/* amoswap.b: the old 0x80 comes back sign-extended */
	abha_b[3] = 0x80;
	GUEST_ASSERT_EQ(AMO_BH(0, 0x04, &abha_b[3], 0x7fUL), -0x80L);
	GUEST_ASSERT_EQ(abha_b[3], 0x7f);
	GUEST_ASSERT_EQ(abha_b[4], 0x50);
	/* amoadd.h: 0xffff + 1 is 0, -1 returned, the next halfword kept */
	GUEST_ASSERT_EQ(AMO_BH(1, 0x00, &abha_h[1], 1UL), -1L);
	GUEST_ASSERT_EQ(abha_h[1], 0);
	GUEST_ASSERT_EQ(abha_h[0], 0x1111);
	GUEST_ASSERT_EQ(abha_h[2], 0x1234);
	if (!zacas)
		return;
	/* amocas.h (Zabha with Zacas): equal: stored; different: not */
	GUEST_ASSERT_EQ(amocas_h(&abha_h[2], 0x1234, 0x4321), 0x1234);
	GUEST_ASSERT_EQ(abha_h[2], 0x4321);
	GUEST_ASSERT_EQ(amocas_h(&abha_h[2], 0x1234, 0x1111), 0x4321);
	GUEST_ASSERT_EQ(abha_h[2], 0x4321);
	GUEST_ASSERT_EQ(abha_h[3], 0x5678);
}

static volatile u64 amo_word;

/* Zaamo: the AMOs of A, on their own. */
static void isa_zaamo(void)
{
	unsigned long v;

	amo_word = 40;
	asm volatile("amoadd.w %0, %2, (%1)" : "=r"(v)
		     : "r"(&amo_word), "r"(2UL) : "memory");
	GUEST_ASSERT_EQ(v, 40);
	GUEST_ASSERT_EQ(amo_word, 42);
	asm volatile("amoor.d %0, %2, (%1)" : "=r"(v)
		     : "r"(&amo_word), "r"(0x100000000UL) : "memory");
	GUEST_ASSERT_EQ(v, 42);
	GUEST_ASSERT_EQ(amo_word, 0x10000002aUL);
	asm volatile("amomaxu.d %0, %2, (%1)" : "=r"(v)
		     : "r"(&amo_word), "r"(7UL) : "memory");
	GUEST_ASSERT_EQ(amo_word, 0x10000002aUL);
}

/* lr.d/sc.d: *@p += @n, retried until the sc succeeds; the old value */
static unsigned long lrsc_add(volatile u64 *p, unsigned long n)
{
	unsigned long old, tmp;

	asm volatile("1:	lr.d %0, (%2)\n"
		     "	add %1, %0, %3\n"
		     "	sc.d %1, %1, (%2)\n"
		     "	bnez %1, 1b"
		     : "=&r"(old), "=&r"(tmp) : "r"(p), "r"(n) : "memory");
	return old;
}

/*
 * Zalrsc (and Ziccrse, which promises such loops eventual success): a
 * hundred lr/sc increments all land, and an sc.d without a reservation
 * (the last sc.d ended it) fails and stores nothing.
 */
static void isa_zalrsc(void)
{
	unsigned long i, fail;

	amo_word = 0;
	for (i = 0; i < 100; i++)
		GUEST_ASSERT_EQ(lrsc_add(&amo_word, 3), 3 * i);
	GUEST_ASSERT_EQ(amo_word, 300);
	asm volatile("sc.d %0, %2, (%1)" : "=r"(fail)
		     : "r"(&amo_word), "r"(7UL) : "memory");
	GUEST_ASSERT(fail != 0);
	GUEST_ASSERT_EQ(amo_word, 300);
}

/*
 * Zicbop: prefetch.i/r/w (ori x0, rs1, offset | 0/1/3) are hints: no
 * trap and no access, not even at a guest-physical address no memory
 * slot backs (0x40000000) or at 0.
 */
static void isa_zicbop(void)
{
	static const unsigned long addrs[] = {
		(unsigned long)cbo_buf, 0x40000000UL, 0,
	};
	unsigned long i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		asm volatile(".insn i 0x13, 6, x0, %0, 0\n"	/* prefetch.i */
			     ".insn i 0x13, 6, x0, %0, 1\n"	/* prefetch.r */
			     ".insn i 0x13, 6, x0, %0, 3\n"	/* prefetch.w */
			     ".insn i 0x13, 6, x0, %0, 35"	/* .w 32(rs1) */
			     : : "r"(addrs[i]) : "memory");
}

/*
 * A VS-stage page table (Sv39): the payload's gigapage 1:1, and ISA_VA
 * mapped by one 4 KiB leaf (@leaf: its flags) to vs_data.
 */
#define ISA_VA		0x2000000000UL
static u64 vs_root[512] __attribute__((aligned(4096)));
static u64 vs_l1[512] __attribute__((aligned(4096)));
static volatile u64 vs_l0[512] __attribute__((aligned(4096)));
static volatile u64 vs_data[512] __attribute__((aligned(4096)));

static volatile u64 *vs_map(unsigned long leaf)
{
	unsigned long i;

	for (i = 0; i < 512; i++) {
		vs_root[i] = 0;
		vs_l1[i] = 0;
		vs_l0[i] = 0;
		vs_data[i] = 0xabc0000 + i;
	}
	vs_root[GUEST_BASE >> 30] = PTE(GUEST_BASE, PTE_V | PTE_R | PTE_W |
					PTE_X | PTE_A | PTE_D);
	vs_root[ISA_VA >> 30] = PTE(vs_l1, PTE_V);
	vs_l1[0] = PTE(vs_l0, PTE_V);
	vs_l0[0] = PTE(vs_data, leaf);
	asm volatile("sfence.vma" : : : "memory");
	csr_write(satp, SATP_SV39 | (unsigned long)vs_root >> 12);
	asm volatile("sfence.vma" : : : "memory");
	guest_skipped_traps = 0;
	guest_skipped_cause = 0;
	guest_trap_hook = guest_skip_trap;
	return (volatile u64 *)ISA_VA;
}

static void vs_unmap(void)
{
	guest_trap_hook = 0;
	csr_write(satp, 0);
	asm volatile("sfence.vma" : : : "memory");
}

static unsigned long vs_load(volatile u64 *p)
{
	unsigned long v = 0;

	asm volatile("ld %0, 0(%1)" : "+r"(v) : "r"(p) : "memory");
	return v;
}

static void vs_store(volatile u64 *p, unsigned long v)
{
	asm volatile("sd %0, 0(%1)" : : "r"(v), "r"(p) : "memory");
}

/*
 * A leaf without A and D: with Svadu (henvcfg.ADUE) the hart sets A on
 * the load and D on the store; with Svade each is a page fault (13 load,
 * 15 store) and the leaf stays as it was.
 */
static void isa_ad(unsigned long which)
{
	volatile u64 *va = vs_map(PTE_V | PTE_R | PTE_W);
	unsigned long v = vs_load(va + 5);

	if (which == ISA_T_SVADU) {
		GUEST_ASSERT_EQ(guest_skipped_traps, 0);
		GUEST_ASSERT_EQ(v, 0xabc0005);
		GUEST_ASSERT(vs_l0[0] & PTE_A);
		GUEST_ASSERT(!(vs_l0[0] & PTE_D));
	} else {
		GUEST_ASSERT_EQ(guest_skipped_traps, 1);
		GUEST_ASSERT_EQ(guest_skipped_cause, 13);
		GUEST_ASSERT_EQ(vs_l0[0] & (PTE_A | PTE_D), 0);
	}
	vs_store(va + 6, 0x77);
	if (which == ISA_T_SVADU) {
		GUEST_ASSERT_EQ(guest_skipped_traps, 0);
		GUEST_ASSERT(vs_l0[0] & PTE_D);
		GUEST_ASSERT_EQ(vs_data[6], 0x77);
	} else {
		GUEST_ASSERT_EQ(guest_skipped_traps, 2);
		GUEST_ASSERT_EQ(guest_skipped_cause, 15);
		GUEST_ASSERT_EQ(vs_l0[0] & (PTE_A | PTE_D), 0);
		GUEST_ASSERT_EQ(vs_data[6], 0xabc0006);
	}
	vs_unmap();
}

/*
 * Svvptc: a leaf made valid without an sfence.vma becomes visible in
 * bounded time.  The first load faults on the invalid leaf; after the
 * leaf is written (no fence) the load is retried until it goes through.
 */
static void isa_svvptc(void)
{
	volatile u64 *va = vs_map(0);
	unsigned long v = 0, tries;

	vs_load(va + 7);
	GUEST_ASSERT_EQ(guest_skipped_traps, 1);
	GUEST_ASSERT_EQ(guest_skipped_cause, 13);
	vs_l0[0] = PTE(vs_data, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	for (tries = 0; tries < 100000; tries++) {
		v = vs_load(va + 7);
		if (guest_skipped_traps == 1 + tries)
			break;
	}
	GUEST_ASSERT(tries < 100000);
	GUEST_ASSERT_EQ(v, 0xabc0007);
	vs_unmap();
}

/*
 * Zfbfmin: fcvt.bf16.s (funct7 0x22, rs2 8) rounds to nearest even and
 * NaN-boxes its 16 bits; fcvt.s.bf16 (funct7 0x20, rs2 6) widens back.
 */
static unsigned long bf16_of(u32 f)
{
	unsigned long v;

	asm volatile("fmv.w.x fa1, %1\n"
		     ".insn r 0x53, 0, 0x22, fa0, fa1, x8\n"
		     "fmv.x.d %0, fa0" : "=r"(v) : "r"((unsigned long)f)
		     : "fa0", "fa1");
	return v;
}

static void isa_zfbfmin(void)
{
	unsigned long v;

	GUEST_ASSERT_EQ(bf16_of(0x3f800000), 0xffffffffffff3f80UL);
	GUEST_ASSERT_EQ(bf16_of(0x3f808000) & 0xffff, 0x3f80);	/* tie: even */
	GUEST_ASSERT_EQ(bf16_of(0x3f818000) & 0xffff, 0x3f82);	/* tie: even */
	GUEST_ASSERT_EQ(bf16_of(0x3f808001) & 0xffff, 0x3f81);
	asm volatile("fmv.w.x fa1, %1\n"
		     ".insn r 0x53, 0, 0x22, fa0, fa1, x8\n"
		     ".insn r 0x53, 0, 0x20, fa2, fa0, x6\n"
		     "fmv.x.w %0, fa2" : "=r"(v) : "r"(0xc0490000UL)
		     : "fa0", "fa1", "fa2");
	GUEST_ASSERT_EQ(v & 0xffffffff, 0xc0490000);		/* -3.140625 */
}

#define SR_VS_INITIAL	0x200UL
#define V_ASM(insns)	".option push\n.option arch, +v\n" insns "\n.option pop\n"

/*
 * Zvfbfmin and Zvfbfwma, four elements: 1.0f narrowed to bf16
 * (vfncvtbf16.f.f.w: OPFVV funct6 0x12, vs1 29), widened back
 * (vfwcvtbf16.f.f.v: vs1 13); with Zvfbfwma, vfwmaccbf16.vv (funct6
 * 0x3b) adds 1.0 * 1.0 to 1.0f.
 */
static void isa_zvfbf(unsigned long which)
{
	unsigned long narrow, wide, vl;

	csr_set(sstatus, SR_VS_INITIAL);
	asm volatile(V_ASM("vsetivli %0, 4, e32, m1, ta, ma\n"
			   "vmv.v.x v2, %3\n"
			   "vsetivli zero, 4, e16, mf2, ta, ma\n"
			   ".insn r 0x57, 1, 0x25, x1, x29, x2\n"
			   ".insn r 0x57, 1, 0x25, x4, x13, x1\n"
			   "vmv.x.s %1, v1\n"
			   "vsetivli zero, 4, e32, m1, ta, ma\n"
			   "vmv.x.s %2, v4")
		     : "=&r"(vl), "=&r"(narrow), "=&r"(wide)
		     : "r"(0x3f800000UL) : "memory");
	GUEST_ASSERT_EQ(vl, 4);
	GUEST_ASSERT_EQ(narrow, 0x3f80);
	GUEST_ASSERT_EQ(wide, 0x3f800000);
	if (which != ISA_T_ZVFBFWMA)
		return;
	asm volatile(V_ASM("vsetivli zero, 4, e16, mf2, ta, ma\n"
			   ".insn r 0x57, 1, 0x77, x4, x1, x1\n"
			   "vsetivli zero, 4, e32, m1, ta, ma\n"
			   "vslidedown.vi v5, v4, 3\n"
			   "vmv.x.s %0, v5")
		     : "=&r"(wide) : : "memory");
	GUEST_ASSERT_EQ(wide, 0x40000000);			/* 2.0f */
}

/* Returns 1 when the extension's instructions did what they should. */
long guest_isa(unsigned long which, unsigned long block)
{
	unsigned long v, t0;

	switch (which) {
	case ISA_T_ZBA:
		GUEST_ASSERT_EQ(OP2("sh1add", "zba", 5UL, 7UL), 17);
		GUEST_ASSERT_EQ(OP2("sh3add", "zba", 2UL, 1UL), 17);
		break;
	case ISA_T_ZBB:
		GUEST_ASSERT_EQ(OP2("andn", "zbb", 0xffUL, 0x0fUL), 0xf0);
		GUEST_ASSERT_EQ(OP2("max", "zbb", -3L, 2UL), 2);
		asm volatile(".option push\n.option arch, +zbb\n"
			     "cpop %0, %1\n.option pop" : "=r"(v)
			     : "r"(0xff00ffUL));
		GUEST_ASSERT_EQ(v, 16);
		break;
	case ISA_T_ZBS:
		GUEST_ASSERT_EQ(OP2("bset", "zbs", 0UL, 5UL), 32);
		GUEST_ASSERT_EQ(OP2("bext", "zbs", 0x40UL, 6UL), 1);
		break;
	case ISA_T_ZBC:
		/* (x + 1)^2 = x^2 + 1 carry-less */
		GUEST_ASSERT_EQ(OP2("clmul", "zbc", 3UL, 3UL), 5);
		break;
	case ISA_T_ZICOND:
		/* czero.eqz rd, rs1, rs2: rd = rs2 ? rs1 : 0 (.insn r) */
		asm volatile(".insn r 0x33, 5, 7, %0, %1, %2" : "=r"(v)
			     : "r"(42UL), "r"(0UL));
		GUEST_ASSERT_EQ(v, 0);
		asm volatile(".insn r 0x33, 5, 7, %0, %1, %2" : "=r"(v)
			     : "r"(42UL), "r"(1UL));
		GUEST_ASSERT_EQ(v, 42);
		break;
	case ISA_T_ZFA:
		/* fli.d fa0, 1.0 (index 16); then its bits. */
		asm volatile(".insn r 0x53, 0, 0x79, fa0, x16, x1\n"
			     "fmv.x.d %0, fa0" : "=r"(v) : : "fa0");
		GUEST_ASSERT_EQ(v, 0x3ff0000000000000UL);
		break;
	case ISA_T_ZIHINTNTL:
		/* ntl.all (add x0, x0, x5), then a store it applies to */
		asm volatile(".insn r 0x33, 0, 0, x0, x0, x5\n"
			     "sw zero, 0(%0)" : : "r"(&wrs_word) : "memory");
		break;
	case ISA_T_ZIHINTPAUSE:
		asm volatile(".4byte 0x0100000f");	/* pause */
		break;
	case ISA_T_ZICBOM:
	case ISA_T_ZICBOZ:
		isa_cbo(which, block);
		break;
	case ISA_T_ZAWRS:
		/*
		 * A reservation nobody will break, then WRS.NTO: it must
		 * end (under hstatus.VTW the hypervisor completes it), and
		 * WRS.STO must end on its own.
		 */
		asm volatile("lr.w %0, (%1)\n"
			     ".option push\n.option arch, +zawrs\n"
			     "wrs.nto\nwrs.sto\n.option pop"
			     : "=&r"(v) : "r"(&wrs_word) : "memory");
		break;
	case ISA_T_ZACAS:
		/* Equal: stored; different: not.  Either way the old value. */
		cas_word = 5;
		GUEST_ASSERT_EQ(amocas_w(5, 9), 5);
		GUEST_ASSERT_EQ(cas_word, 9);
		GUEST_ASSERT_EQ(amocas_w(5, 7), 9);
		GUEST_ASSERT_EQ(cas_word, 9);
		break;
	case ISA_T_ZICNTR:
		t0 = rdtime();
		while (rdtime() == t0)
			;
		break;
	case ISA_T_SVINVAL:
		/* sfence.w.inval; sinval.vma zero, zero; sfence.inval.ir */
		asm volatile(".4byte 0x18000073\n"
			     ".insn r 0x73, 0, 0x0b, x0, x0, x0\n"
			     ".4byte 0x18100073" : : : "memory");
		break;
	case ISA_T_ZABHA:
		isa_zabha(block);
		break;
	case ISA_T_ZAAMO:
		isa_zaamo();
		break;
	case ISA_T_ZALRSC:
	case ISA_T_ZICCRSE:
		isa_zalrsc();
		break;
	case ISA_T_ZICBOP:
		isa_zicbop();
		break;
	case ISA_T_SVADU:
	case ISA_T_SVADE:
		isa_ad(which);
		break;
	case ISA_T_SVVPTC:
		isa_svvptc();
		break;
	case ISA_T_ZFBFMIN:
		isa_zfbfmin();
		break;
	case ISA_T_ZVFBFMIN:
	case ISA_T_ZVFBFWMA:
		isa_zvfbf(which);
		break;
	default:
		return 0;
	}
	return 1;
}
