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
	default:
		return 0;
	}
	return 1;
}
