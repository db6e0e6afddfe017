// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: where a RISC-V instruction goes next, for the GDB stub's
 * single-step (gdb.c).  Neither rvhv nor kvm.ko can single-step a guest
 * (that needs the Sdtrig triggers, Documentation/rvhv.rst "Guest
 * debugging"), so the stub steps by planting a breakpoint where the
 * instruction leads and letting that vCPU alone run to it.
 *
 * With the vCPU's registers the next pc is exact: jal, jalr, the six
 * branches and their compressed forms (c.j, c.jr, c.jalr, c.beqz,
 * c.bnez) are evaluated, sret goes to sepc, everything else falls
 * through.  An instruction that traps (ecall from U-mode, a page fault,
 * an interrupt taken first) goes through the guest's trap handler and
 * reaches the fall-through pc when the handler returns; the stub does not
 * follow it into the handler.  LR/SC sequences are not stepped over as a
 * whole (gdb's own software single-step does that; it plants its
 * breakpoints with Z0 and continues, it never sends the stub an s).
 */
#include "rvhv-run.h"

#define INSN_SRET	0x10200073U

static int64_t sext(uint64_t v, unsigned int bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static uint64_t bits(uint32_t insn, unsigned int hi, unsigned int lo)
{
	return (insn >> lo) & ((1U << (hi - lo + 1)) - 1);
}

static bool branch_taken(unsigned int funct3, uint64_t a, uint64_t b)
{
	switch (funct3) {
	case 0: return a == b;				/* beq */
	case 1: return a != b;				/* bne */
	case 4: return (int64_t)a < (int64_t)b;		/* blt */
	case 5: return (int64_t)a >= (int64_t)b;	/* bge */
	case 6: return a < b;				/* bltu */
	case 7: return a >= b;				/* bgeu */
	}
	return false;		/* funct3 2 and 3 are illegal: it traps */
}

static uint64_t next_pc32(uint32_t insn, uint64_t pc, const uint64_t x[32],
			  uint64_t sepc)
{
	uint64_t imm;

	switch (insn & 0x7f) {
	case 0x6f:	/* jal */
		imm = bits(insn, 31, 31) << 20 | bits(insn, 19, 12) << 12 |
		      bits(insn, 20, 20) << 11 | bits(insn, 30, 21) << 1;
		return pc + sext(imm, 21);
	case 0x67:	/* jalr */
		if (bits(insn, 14, 12))
			break;
		return (x[bits(insn, 19, 15)] + sext(insn >> 20, 12)) & ~1ULL;
	case 0x63:	/* beq, bne, blt, bge, bltu, bgeu */
		imm = bits(insn, 31, 31) << 12 | bits(insn, 7, 7) << 11 |
		      bits(insn, 30, 25) << 5 | bits(insn, 11, 8) << 1;
		if (branch_taken(bits(insn, 14, 12), x[bits(insn, 19, 15)],
				 x[bits(insn, 24, 20)]))
			return pc + sext(imm, 13);
		break;
	case 0x73:
		if (insn == INSN_SRET)
			return sepc;
		break;
	}
	return pc + 4;
}

static uint64_t next_pc16(uint16_t insn, uint64_t pc, const uint64_t x[32])
{
	unsigned int funct3 = bits(insn, 15, 13), rs1 = bits(insn, 11, 7);
	uint64_t imm;

	switch (insn & 3) {
	case 1:
		if (funct3 == 5) {		/* c.j */
			imm = bits(insn, 12, 12) << 11 | bits(insn, 8, 8) << 10 |
			      bits(insn, 10, 9) << 8 | bits(insn, 6, 6) << 7 |
			      bits(insn, 7, 7) << 6 | bits(insn, 2, 2) << 5 |
			      bits(insn, 11, 11) << 4 | bits(insn, 5, 3) << 1;
			return pc + sext(imm, 12);
		}
		if (funct3 == 6 || funct3 == 7) {	/* c.beqz, c.bnez */
			uint64_t v = x[8 + bits(insn, 9, 7)];

			imm = bits(insn, 12, 12) << 8 | bits(insn, 6, 5) << 6 |
			      bits(insn, 2, 2) << 5 | bits(insn, 11, 10) << 3 |
			      bits(insn, 4, 3) << 1;
			if ((funct3 == 6) == (v == 0))
				return pc + sext(imm, 9);
		}
		break;
	case 2:
		/* c.jr, c.jalr: rs2 0, rs1 not 0 (else c.ebreak, reserved) */
		if (funct3 == 4 && !bits(insn, 6, 2) && rs1)
			return x[rs1] & ~1ULL;
		break;
	}
	return pc + 2;
}

uint64_t insn_next_pc(uint32_t insn, uint64_t pc, const uint64_t x[32],
		      uint64_t sepc)
{
	if ((insn & 3) == 3)
		return next_pc32(insn, pc, x, sepc);
	return next_pc16(insn & 0xffff, pc, x);
}
