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
 * interrupts off (rvhv_sbi_ext.irqs_off): BASE, IPI, TIME set_timer with
 * Sstc, HSM hart_get_status, and unknown or disabled extensions.  Those
 * need only a0-a7 and the pc, so they are reached from the world switch's
 * register-light path (rvhv_fastpath_light(), trap/trap.h) before the
 * guest's s1-s11 are saved; exits reached from rvhv_fastpath_exit() have
 * every guest register in vcpu->ctx.
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

/* Only for the causes rvhv_fastpath_wants() (trap/trap.h) names. */
int rvhv_fastpath_exit(struct rvhv_vcpu *vcpu)
{
	switch (vcpu->ctx.scause) {
	case EXC_SUPERVISOR_SYSCALL:
		return rvhv_sbi_ecall_fast(vcpu);
	}
	return RVHV_FAST_DECLINED;
}
