/* SPDX-License-Identifier: GPL-2.0 */
/*
 * World switch, exit handling and instruction emulation.
 */
#ifndef _RVHV_TRAP_H
#define _RVHV_TRAP_H

#include <asm/csr.h>

#include "../rvhv_int.h"

/* Where an unprivileged guest access trapped (rvhv_unpriv_read_*). */
struct rvhv_utrap {
	unsigned long sepc;
	unsigned long scause;
	unsigned long stval;
	unsigned long htval;
	unsigned long htinst;
};

/*
 * trap/switch.S: enter the guest; RVHV_SWITCH_FULL (trap/offsets.h) when
 * the exit is still to be looked at, else rvhv_switch_fast()'s result for
 * an exit the register-light path took.
 */
int rvhv_switch_to(struct rvhv_guest_ctx *ctx);
unsigned long rvhv_unpriv_read_insn(unsigned long addr,
				    struct rvhv_utrap *utrap);
unsigned long rvhv_unpriv_read_ulong(unsigned long addr,
				     struct rvhv_utrap *utrap);

/* vcpu/fp.S */
void rvhv_fp_save(union __riscv_fp_state *fp);
void rvhv_fp_restore(const union __riscv_fp_state *fp);

/* The guest physical address of the guest-page fault that just trapped. */
static inline unsigned long rvhv_exit_gpa(const struct rvhv_guest_ctx *ctx)
{
	return (ctx->htval << 2) | (ctx->stval & 3);
}

/* trap/exit.c */
int rvhv_handle_exit(struct rvhv_vcpu *vcpu);
void rvhv_redirect_trap(struct rvhv_vcpu *vcpu, unsigned long scause,
			unsigned long stval);

/*
 * trap/fastpath.c: handle the exit that just happened with interrupts
 * still off, or RVHV_FAST_DECLINED (rvhv_int.h) for rvhv_handle_exit().
 * rvhv_fastpath_wants() is the causes it looks at, inline so that every
 * other exit pays one mask test for the fast path.
 */
int rvhv_fastpath_exit(struct rvhv_vcpu *vcpu);

#define RVHV_FASTPATH_CAUSES	(BIT(EXC_SUPERVISOR_SYSCALL) |		\
				 BIT(EXC_INST_GUEST_PAGE_FAULT) |	\
				 BIT(EXC_LOAD_GUEST_PAGE_FAULT) |	\
				 BIT(EXC_STORE_GUEST_PAGE_FAULT))

static inline bool rvhv_fastpath_wants(unsigned long scause)
{
	/* Interrupts (the top bit) and causes from 64 on: not in the set. */
	return scause < BITS_PER_LONG &&
	       (BIT(scause) & RVHV_FASTPATH_CAUSES);
}

/*
 * The register-light path's handler (trap/switch.S, rvhv_switch_fast()
 * in vcpu/vcpu.c): an ecall, results as rvhv_fastpath_exit()'s, with
 * only the guest's RVHV_GPRS_LIGHT registers (trap/offsets.h) and the pc
 * in vcpu->ctx.gpr; s1-s11 are live in the hart and their slots stale.
 * So what it calls reads only a0-a7 and the pc and writes only a0, a1 and
 * the pc: the SBI handlers that run with interrupts off do
 * (fastpath_test poisons every register to check it).  Exits that need
 * any other register (an MMIO store's source) belong in
 * rvhv_fastpath_exit(), which the full path calls.
 */
static inline int rvhv_fastpath_light(struct rvhv_vcpu *vcpu)
{
	return rvhv_sbi_ecall_fast(vcpu);
}

/* vcpu/vcpu.c, called by trap/switch.S's light path only. */
int rvhv_switch_fast(struct rvhv_guest_ctx *ctx);

/* trap/mmio.c */
int rvhv_mmio_exit(struct rvhv_vcpu *vcpu, unsigned long gpa, bool write);
void rvhv_mmio_complete(struct rvhv_vcpu *vcpu);
int rvhv_read_guest_insn(struct rvhv_vcpu *vcpu, unsigned long *insn);
/* The exit fast path's ioeventfd store (trap/fastpath.c's rules). */
int rvhv_mmio_store_fast(struct rvhv_vcpu *vcpu, unsigned long gpa);

#endif /* _RVHV_TRAP_H */
