// SPDX-License-Identifier: GPL-2.0
/*
 * The exit fast path: which guest exits rvhv handles right where the
 * world switch returned, interrupts still off, and re-enters the guest
 * from, without the KVM_RUN loop's generic work (interrupts on and off,
 * cond_resched(), the hardware guest file and VMID updates, the full
 * dispatch).  arm64 KVM's early exit handlers (fixup_guest_exit()) are
 * the model.  This file owns the choice of those exits; the loop that
 * re-enters is rvhv_enter_guest()'s (vcpu/vcpu.c), which checks, before
 * every re-entry, what the KVM_RUN loop would: a signal or task work,
 * need_resched(), a vCPU request, a halt or stop, the VMID generation,
 * and raised interrupts (hvip).
 *
 * Handled here now: SBI calls whose extension says they may run with
 * interrupts off (rvhv_sbi_ext.irqs_off): BASE, IPI, TIME set_timer
 * (with Sstc or without), HSM hart_get_status, and unknown or disabled
 * extensions.  Those need only a0-a7 and the pc, so they are reached
 * from the world switch's register-light path (rvhv_fastpath_light(),
 * trap/trap.h) before the guest's s1-s11 are saved; exits reached from
 * rvhv_fastpath_exit() have every guest register in vcpu->ctx.  Also
 * handled, from rvhv_fastpath_exit(): guest-page faults in a memslot that the G-stage
 * already resolves or whose page the VMM's page tables hold
 * (rvhv_gstage_fault_fast(), mmu/fault.c), and stores outside the
 * memslots that hit an ioeventfd (rvhv_mmio_store_fast(), trap/mmio.c).
 * Those two count in the gstage_fault_fast statistic.
 *
 * Invariants, for every handler reached from rvhv_fastpath_exit():
 *  - interrupts and preemption are off, the vCPU is loaded, vcpu->mode
 *    is RVHV_IN_GUEST (kicks send an IPI, which ends the loop: a host
 *    interrupt is never handled here);
 *  - it never sleeps, never waits for another CPU, and does a bounded
 *    amount of work: a guest looping on fast exits still takes host
 *    interrupts (each re-entry with one pending traps straight back out
 *    and leaves the loop) and so stays preemptible and signalable;
 *  - it handles the exit completely, with the same counters and
 *    tracepoints as the full path (the result is that of
 *    rvhv_handle_exit(): 1 re-enter, 0 exit to userspace, -errno), or
 *    does nothing and returns RVHV_FAST_DECLINED, and the full path
 *    handles the exit with interrupts on.
 */
#include "trap.h"

/*
 * A guest-page fault: the page mapped or already there, or an ioeventfd
 * store (rvhv_gstage_exit()'s work, trap/exit.c).  Out of line, so that
 * an SBI call's way through rvhv_fastpath_exit() stays a tail call.
 */
static noinline int rvhv_fast_gstage(struct rvhv_vcpu *vcpu)
{
	struct rvhv_guest_ctx *ctx = &vcpu->ctx;
	unsigned long gpa = rvhv_exit_gpa(ctx);
	bool write = ctx->scause == EXC_STORE_GUEST_PAGE_FAULT;
	bool exec = ctx->scause == EXC_INST_GUEST_PAGE_FAULT;
	int ret;

	ret = rvhv_gstage_fault_fast(vcpu, gpa, write, exec);
	if (ret == RVHV_FAULT_MMIO) {
		/* If declined, the full path need not look it up again. */
		vcpu->fast_mmio_exit = vcpu->stat.exits;
		ret = write ? rvhv_mmio_store_fast(vcpu, gpa) :
		      RVHV_FAST_DECLINED;
	} else if (!ret) {
		ret = 1;
	}
	if (ret == 1)
		vcpu->stat.gstage_fault_fast++;
	return ret;
}

/* Only for the causes rvhv_fastpath_wants() (trap/trap.h) names. */
int rvhv_fastpath_exit(struct rvhv_vcpu *vcpu)
{
	if (likely(vcpu->ctx.scause == EXC_SUPERVISOR_SYSCALL))
		return rvhv_sbi_ecall_fast(vcpu);
	/* The guest-page faults. */
	return rvhv_fast_gstage(vcpu);
}
