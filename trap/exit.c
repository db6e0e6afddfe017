// SPDX-License-Identifier: GPL-2.0
/*
 * What to do after the guest traps to HS-mode: the exit dispatch, traps
 * handed back to the guest, virtual-instruction traps, G-stage faults.
 */
#include <linux/kvm.h>
#include <linux/sched.h>
#include <asm/csr.h>

#include "offsets.h"
#include "trap.h"
#include "../observe/trace.h"
#include "../vcpu/isa.h"

/* The world switch's offsets must match the C layout (trap/offsets.h). */
#define CTX_OFF(f)	offsetof(struct rvhv_guest_ctx, f)
static_assert(CTX_OFF(gpr[31]) == RVHV_CTX_GPR(31));
static_assert(CTX_OFF(sstatus) == RVHV_CTX_SSTATUS);
static_assert(CTX_OFF(hstatus) == RVHV_CTX_HSTATUS);
static_assert(CTX_OFF(scounteren) == RVHV_CTX_SCOUNTEREN);
static_assert(CTX_OFF(senvcfg) == RVHV_CTX_SENVCFG);
static_assert(CTX_OFF(host_gpr[0]) == RVHV_CTX_HOST_GPR(0));
static_assert(CTX_OFF(host_gpr[15]) == RVHV_CTX_HOST_GPR(15));
static_assert(CTX_OFF(host_sstatus) == RVHV_CTX_HOST_SSTATUS);
static_assert(CTX_OFF(host_hstatus) == RVHV_CTX_HOST_HSTATUS);
static_assert(CTX_OFF(host_stvec) == RVHV_CTX_HOST_STVEC);
static_assert(CTX_OFF(host_scounteren) == RVHV_CTX_HOST_SCOUNTEREN);
static_assert(CTX_OFF(host_senvcfg) == RVHV_CTX_HOST_SENVCFG);
static_assert(CTX_OFF(scause) == RVHV_CTX_SCAUSE);
static_assert(CTX_OFF(stval) == RVHV_CTX_STVAL);
static_assert(CTX_OFF(htval) == RVHV_CTX_HTVAL);
static_assert(CTX_OFF(htinst) == RVHV_CTX_HTINST);
static_assert(CTX_OFF(no_senvcfg) == RVHV_CTX_NO_SENVCFG);
static_assert(sizeof(struct rvhv_guest_ctx) == RVHV_CTX_SIZE);
/* Every guest GPR in exactly one of the switch's two sets (offsets.h). */
static_assert((RVHV_GPRS_LIGHT & RVHV_GPRS_HEAVY) == 0);
static_assert((RVHV_GPRS_LIGHT | RVHV_GPRS_HEAVY) == 0xfffffffeUL);
/* rvhv_switch_to()'s own results: above every exit result (1, 0, <0, 2). */
static_assert(RVHV_SWITCH_FULL - RVHV_FAST_DECLINED > 0);
static_assert(RVHV_SWITCH_GUEST - RVHV_SWITCH_FULL > 0);
static_assert(offsetof(struct rvhv_utrap, scause) == RVHV_UTRAP_SCAUSE);
static_assert(offsetof(struct rvhv_utrap, stval) == RVHV_UTRAP_STVAL);
static_assert(offsetof(struct rvhv_utrap, htval) == RVHV_UTRAP_HTVAL);
static_assert(offsetof(struct rvhv_utrap, htinst) == RVHV_UTRAP_HTINST);

#define INSN_WFI		0x10500073UL

/*
 * Make the guest take a trap as if the hart had delivered it to VS-mode:
 * vsepc/vscause/vstval set, vsstatus.SPP/SPIE/SIE updated, pc at vstvec.
 * The vCPU is loaded, so the VS CSRs are live in the hart.
 */
void rvhv_redirect_trap(struct rvhv_vcpu *vcpu, unsigned long scause,
			unsigned long stval)
{
	struct rvhv_guest_ctx *ctx = &vcpu->ctx;
	unsigned long vsstatus;

	preempt_disable();
	vsstatus = csr_read(CSR_VSSTATUS);
	vsstatus &= ~(SR_SPP | SR_SPIE);
	if (ctx->sstatus & SR_SPP)
		vsstatus |= SR_SPP;
	if (vsstatus & SR_SIE)
		vsstatus |= SR_SPIE;
	vsstatus &= ~SR_SIE;
	csr_write(CSR_VSSTATUS, vsstatus);
	csr_write(CSR_VSCAUSE, scause);
	csr_write(CSR_VSTVAL, stval);
	csr_write(CSR_VSEPC, ctx->gpr[RVHV_REG_PC]);
	ctx->gpr[RVHV_REG_PC] = csr_read(CSR_VSTVEC) & ~3UL;
	preempt_enable();
	/* The guest handles its traps in (virtual) supervisor mode. */
	ctx->sstatus |= SR_SPP;
	vcpu->stat.redirected_traps++;
	rvhv_pmu_trap(vcpu, scause);
}

static int rvhv_virtual_insn(struct rvhv_vcpu *vcpu)
{
	unsigned long insn = vcpu->ctx.stval;
	int ret;

	vcpu->stat.virtual_insn_exits++;
	if (!insn) {
		ret = rvhv_read_guest_insn(vcpu, &insn);
		if (ret)
			return ret < 0 ? ret : 1;
	}
	if ((insn & 3) != 3) {
		/* No compressed instruction raises this trap. */
		rvhv_redirect_trap(vcpu, EXC_INST_ILLEGAL, insn);
		return 1;
	}
	if (insn == INSN_WFI) {
		vcpu->ctx.gpr[RVHV_REG_PC] += 4;
		vcpu->stat.wfi_exit_stat++;
		rvhv_vcpu_halt(vcpu);
		return 1;
	}
	/* The emulated IMSIC's CSRs (sireg in its range, stopei). */
	if (rvhv_imsic_csr_insn(vcpu, insn)) {
		vcpu->stat.csr_exit_kernel++;
		vcpu->stat.irqchip_accesses++;
		return 1;
	}
	/* Zawrs's WRS (vcpu/isa.c). */
	if (rvhv_isa_virtual_insn(vcpu, insn))
		return 1;
	/* Counter CSRs: cycle, instret, SBI PMU ones (vcpu/sbi_pmu.c). */
	if (rvhv_pmu_csr_insn(vcpu, insn)) {
		vcpu->stat.csr_exit_kernel++;
		return 1;
	}
	/*
	 * Anything else (CSRs rvhv does not emulate: hypervisor CSRs,
	 * counters the guest may not read, ...) is an illegal instruction
	 * for the guest, as with kvm.ko: guests probe CSRs that way.
	 */
	rvhv_redirect_trap(vcpu, EXC_INST_ILLEGAL, insn);
	return 1;
}

static int rvhv_gstage_exit(struct rvhv_vcpu *vcpu)
{
	struct rvhv_guest_ctx *ctx = &vcpu->ctx;
	unsigned long gpa = rvhv_exit_gpa(ctx);
	bool write = ctx->scause == EXC_STORE_GUEST_PAGE_FAULT;
	bool exec = ctx->scause == EXC_INST_GUEST_PAGE_FAULT;
	int ret;

	vcpu->stat.gstage_faults++;
	/*
	 * The exit fast path found no memslot for it (interrupts off, just
	 * now) and declined it: MMIO, as a memslot change racing the access
	 * may make it either way.
	 */
	if (vcpu->fast_mmio_exit == vcpu->stat.exits) {
		ret = RVHV_FAULT_MMIO;
		trace_rvhv_gstage_fault(vcpu, gpa, write, exec, ret, 0);
	} else {
		ret = rvhv_gstage_fault(vcpu, gpa, write, exec);
	}
	if (ret != RVHV_FAULT_MMIO)
		return ret ? ret : 1;
	vcpu->stat.gstage_fault_mmio++;
	rvhv_stat_exit_as(&vcpu->stat, RVHV_EXIT_MMIO);
	/* Code cannot run from MMIO; kvm.ko fails KVM_RUN the same way. */
	if (exec)
		return -EOPNOTSUPP;
	return rvhv_mmio_exit(vcpu, gpa, write);
}

static int rvhv_dispatch_exit(struct rvhv_vcpu *vcpu)
{
	struct rvhv_guest_ctx *ctx = &vcpu->ctx;

	/* A host interrupt: it was taken when interrupts came back on. */
	if (ctx->scause & CAUSE_IRQ_FLAG)
		return 1;

	switch (ctx->scause) {
	case EXC_INST_GUEST_PAGE_FAULT:
	case EXC_LOAD_GUEST_PAGE_FAULT:
	case EXC_STORE_GUEST_PAGE_FAULT:
		return rvhv_gstage_exit(vcpu);
	case EXC_SUPERVISOR_SYSCALL:
		return rvhv_sbi_ecall(vcpu);
	case EXC_VIRTUAL_INST_FAULT:
		return rvhv_virtual_insn(vcpu);
	case EXC_BREAKPOINT:
		/* KVM_SET_GUEST_DEBUG: the VMM's breakpoint (vcpu/debug.c). */
		if (vcpu->guest_debug)
			return rvhv_debug_exit(vcpu);
		fallthrough;
	case EXC_INST_MISALIGNED:
	case EXC_INST_ACCESS:
	case EXC_INST_ILLEGAL:
	case EXC_LOAD_MISALIGNED:
	case EXC_LOAD_ACCESS:
	case EXC_STORE_MISALIGNED:
	case EXC_STORE_ACCESS:
	case EXC_SYSCALL:
	case EXC_INST_PAGE_FAULT:
	case EXC_LOAD_PAGE_FAULT:
	case EXC_STORE_PAGE_FAULT:
		/* The guest's own: let its kernel handle it. */
		rvhv_redirect_trap(vcpu, ctx->scause, ctx->stval);
		return 1;
	}
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	vcpu->run->internal.ndata = 2;
	vcpu->run->internal.data[0] = ctx->scause;
	vcpu->run->internal.data[1] = ctx->stval;
	return 0;
}

/**
 * rvhv_handle_exit() - deal with the trap that ended the last guest entry
 * @vcpu: the vCPU, loaded, preemptible
 *
 * The exits the fast path (trap/fastpath.c) declined; the rvhv_exit
 * tracepoint has fired (rvhv_enter_guest()).
 *
 * Return: 1 to re-enter the guest, 0 to return to userspace with
 * vcpu->run filled in, or a negative errno for KVM_RUN.  -EINTR (a signal
 * while a handler waited, e.g. for a page behind userfaultfd, in a G-stage
 * fault or in reading a legacy SBI hart mask) comes with KVM_EXIT_INTR,
 * as every KVM_RUN that a signal ends does.
 */
int rvhv_handle_exit(struct rvhv_vcpu *vcpu)
{
	int ret;

	ret = rvhv_dispatch_exit(vcpu);

	if (ret == -EINTR)
		vcpu->run->exit_reason = KVM_EXIT_INTR;
	return ret;
}
