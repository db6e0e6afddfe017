// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU: creation, its fd (ioctls, mmap of struct kvm_run and of the
 * dirty ring), vcpu_load / vcpu_put driven by preempt notifiers, and the
 * KVM_RUN loop.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/task_work.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/csr.h>
#include <asm/timex.h>

#include "../rvhv_int.h"
#include "../host_isa.h"
#include "../observe/trace.h"
#include "../trap/offsets.h"
#include "../trap/trap.h"
#include "vector.h"

/* hstatus bits a vCPU runs with (VSXL etc. come from the host's value). */
#define RVHV_HSTATUS_GUEST	(HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW)

u64 rvhv_guest_time(struct rvhv_vm *vm)
{
	return get_cycles64() + READ_ONCE(vm->time_delta);
}

static void rvhv_vcpu_reset(struct rvhv_vcpu *vcpu);
static void rvhv_vcpu_setup_config(struct rvhv_vcpu *vcpu);

static struct rvhv_vcpu *pn_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct rvhv_vcpu, pn);
}

/*
 * kvm.ko zeroes the delegation CSRs when it unloads; put rvhv's back.  A
 * read and compare on each vcpu_load, nothing on the exit path.
 */
static void rvhv_assert_delegation(void)
{
	if (unlikely(csr_read(CSR_HEDELEG) != RVHV_HEDELEG ||
		     csr_read(CSR_HIDELEG) != RVHV_HIDELEG))
		rvhv_write_delegation();
}

/*
 * hvictl on an AIA host: no injected interrupt (IID 9, supervisor
 * external), with IPRIO 1 while hvip.VSEIP is set, 0 otherwise.  With
 * hstatus.VGEIN 0 that is how the guest's stopi (vstopi) reports its
 * external interrupt (IID 9 with priority 0 is "none"): a Linux guest
 * with Ssaia reads stopi in its interrupt handler and, without it, would
 * take the interrupt forever without seeing it.  kvm.ko does the same.
 */
static void rvhv_vcpu_write_hvictl(bool vseip)
{
	csr_write(CSR_HVICTL, ((IRQ_S_EXT << HVICTL_IID_SHIFT) & HVICTL_IID) |
			      vseip);
}

/*
 * The H-level state of this hart that the guest would otherwise inherit
 * from whoever ran here last (kvm.ko, or another rvhv vCPU): hstateen0,
 * per vCPU, and the guest's own sstateen0 when it is granted; on an AIA
 * host hvictl (above; kvm.ko leaves its own value there) and the
 * guest's vsiselect and hviprio1/2 (its AIA CSRs siselect and iprio1/2,
 * which a guest reaches when its vCPU has Ssaia, or when the host has no
 * Smstateen to hide them).  The host kernel does not use sstateen0, and
 * nothing returns to user mode between vcpu_load and vcpu_put, so the
 * swap need not be in the world switch (kvm.ko does it there).  See
 * Documentation/rvhv.rst, "H-level CSRs per vCPU".
 */
static void rvhv_vcpu_load_hstate(struct rvhv_vcpu *vcpu)
{
	u64 hstateen0 = vcpu->csr.hstateen0;

	if (rvhv_host.smstateen) {
		/* A hardware guest file: the guest's IMSIC CSRs too. */
		if (vcpu->ctx.hstatus & HSTATUS_VGEIN)
			hstateen0 |= SMSTATEEN0_AIA_IMSIC;
		csr_write(CSR_HSTATEEN0, hstateen0);
		if (hstateen0 & SMSTATEEN0_SSTATEEN0)
			vcpu->host_sstateen0 = csr_swap(CSR_SSTATEEN0,
							vcpu->sstateen0);
	}
	if (rvhv_host.ssaia) {
		rvhv_vcpu_write_hvictl(vcpu->csr.hvip & BIT(IRQ_VS_EXT));
		csr_write(CSR_HVIPRIO1, vcpu->csr.aia.iprio1);
		csr_write(CSR_HVIPRIO2, vcpu->csr.aia.iprio2);
		csr_write(CSR_VSISELECT, vcpu->csr.aia.siselect);
	}
}

static void rvhv_vcpu_put_hstate(struct rvhv_vcpu *vcpu)
{
	if (rvhv_host.smstateen &&
	    (vcpu->csr.hstateen0 & SMSTATEEN0_SSTATEEN0))
		vcpu->sstateen0 = csr_swap(CSR_SSTATEEN0, vcpu->host_sstateen0);
	if (rvhv_host.ssaia) {
		vcpu->csr.aia.siselect = csr_read(CSR_VSISELECT);
		vcpu->csr.aia.iprio1 = csr_read(CSR_HVIPRIO1);
		vcpu->csr.aia.iprio2 = csr_read(CSR_HVIPRIO2);
	}
}

/* Load the vCPU's state into this hart.  Preemption is disabled. */
static void rvhv_vcpu_load(struct rvhv_vcpu *vcpu, int cpu)
{
	struct rvhv_vs_csr *csr = &vcpu->csr;
	struct rvhv_vm *vm = vcpu->vm;

	rvhv_assert_delegation();
	csr_write(CSR_VSSTATUS, csr->vsstatus);
	csr_write(CSR_VSIE, csr->vsie);
	csr_write(CSR_VSTVEC, csr->vstvec);
	csr_write(CSR_VSSCRATCH, csr->vsscratch);
	csr_write(CSR_VSEPC, csr->vsepc);
	csr_write(CSR_VSCAUSE, csr->vscause);
	csr_write(CSR_VSTVAL, csr->vstval);
	csr_write(CSR_HVIP, csr->hvip);
	csr_write(CSR_VSATP, csr->vsatp);
	if (rvhv_host.envcfg)
		csr_write(CSR_HENVCFG, csr->henvcfg);
	else if (unlikely(rvhv_host.debug_no_envcfg))
		csr_write(CSR_HENVCFG, 0);	/* nothing another left on */
	rvhv_vcpu_load_hstate(vcpu);
	csr_write(CSR_HTIMEDELTA, READ_ONCE(vm->time_delta));
	if (rvhv_use_sstc)
		csr_write(CSR_VSTIMECMP, csr->vstimecmp);

	/*
	 * hgatp, and the flushes this hart's TLB needs before the VM may
	 * use it (another hypervisor, a VMID's previous owner, fences that
	 * missed this hart, another vCPU of the VM, a migration): mmu/tlb.c.
	 * A VMID of an old generation is not loaded: the entry takes a new
	 * one first.
	 */
	rvhv_tlb_load(vcpu, cpu);

	if ((vcpu->ctx.sstatus & SR_FS) != SR_FS_OFF) {
		rvhv_fp_save(&vcpu->host_fp);
		rvhv_fp_restore(&vcpu->fp);
	}
	/* The time it waited for this CPU goes into its steal time. */
	if (vcpu->sta.shmem != RVHV_STA_OFF)
		set_bit(RVHV_REQ_STEAL, &vcpu->requests);
	vcpu->cpu = cpu;
	trace_rvhv_vcpu_load(vcpu, cpu);
}

/* Save the vCPU's state from this hart.  Preemption is disabled. */
static void rvhv_vcpu_put(struct rvhv_vcpu *vcpu)
{
	struct rvhv_vs_csr *csr = &vcpu->csr;

	trace_rvhv_vcpu_put(vcpu, vcpu->cpu);
	if ((vcpu->ctx.sstatus & SR_FS) != SR_FS_OFF) {
		if ((vcpu->ctx.sstatus & SR_FS) == SR_FS_DIRTY) {
			rvhv_fp_save(&vcpu->fp);
			vcpu->ctx.sstatus &= ~SR_FS;
			vcpu->ctx.sstatus |= SR_FS_CLEAN;
		}
		rvhv_fp_restore(&vcpu->host_fp);
	}

	csr->vsstatus = csr_read(CSR_VSSTATUS);
	csr->vsie = csr_read(CSR_VSIE);
	csr->vstvec = csr_read(CSR_VSTVEC);
	csr->vsscratch = csr_read(CSR_VSSCRATCH);
	csr->vsepc = csr_read(CSR_VSEPC);
	csr->vscause = csr_read(CSR_VSCAUSE);
	csr->vstval = csr_read(CSR_VSTVAL);
	csr->hvip = csr_read(CSR_HVIP);
	csr->vsatp = csr_read(CSR_VSATP);
	rvhv_vcpu_put_hstate(vcpu);
	if (rvhv_use_sstc) {
		csr->vstimecmp = csr_read(CSR_VSTIMECMP);
		/* Nothing of the guest's may fire on the host. */
		csr_write(CSR_VSTIMECMP, -1UL);
	}
	/* No guest interrupt may stay pending in hardware. */
	csr_write(CSR_VSIE, 0);
	csr_write(CSR_HVIP, 0);
	rvhv_debug_put(vcpu);
	rvhv_tlb_put(vcpu);
	vcpu->cpu = -1;
}

static void rvhv_sched_in(struct preempt_notifier *pn, int cpu)
{
	rvhv_vcpu_load(pn_to_vcpu(pn), cpu);
}

static void rvhv_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	rvhv_vcpu_put(pn_to_vcpu(pn));
}

static struct preempt_ops rvhv_preempt_ops = {
	.sched_in = rvhv_sched_in,
	.sched_out = rvhv_sched_out,
};

struct rvhv_vcpu *rvhv_vm_vcpu(struct rvhv_vm *vm, unsigned long hartid)
{
	if (hartid >= RVHV_MAX_VCPUS)
		return NULL;
	/* Pairs with the release in rvhv_create_vcpu(). */
	return smp_load_acquire(&vm->vcpus[hartid]);
}

void rvhv_vcpu_kick(struct rvhv_vcpu *vcpu)
{
	int cpu, me;

	wake_up_interruptible(&vcpu->wait);
	/* Pairs with the barrier in rvhv_enter_guest(). */
	smp_mb();
	me = get_cpu();
	if (READ_ONCE(vcpu->mode) == RVHV_IN_GUEST) {
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0 && cpu != me)
			arch_smp_send_reschedule(cpu);
	}
	put_cpu();
}

void rvhv_vcpu_set_irq(struct rvhv_vcpu *vcpu, unsigned int irq, bool level,
		       unsigned int source)
{
	trace_rvhv_irq(vcpu, irq, level, source);
	if (level)
		set_bit(irq, &vcpu->irq_pending);
	else
		clear_bit(irq, &vcpu->irq_pending);
	/* The level is visible before the change is (rvhv_vcpu_sync_irqs). */
	smp_mb__before_atomic();
	set_bit(irq, &vcpu->irq_pending_mask);
	rvhv_vcpu_kick(vcpu);
}

/*
 * Apply raised/lowered VS interrupts to hvip.  The vCPU is loaded.
 * hvip.VSEIP is the OR of three lines: IRQ_VS_EXT (KVM_INTERRUPT, GSIs
 * with RVHV_CAP_IRQ_LINES), RVHV_IRQ_APLIC (the in-kernel APLIC) and
 * RVHV_IRQ_IMSIC (the emulated IMSIC); a change of any recomputes it
 * from all levels as they are now.
 */
static void rvhv_vcpu_sync_irqs(struct rvhv_vcpu *vcpu)
{
	unsigned long mask, pend, val;

	if (!READ_ONCE(vcpu->irq_pending_mask))
		return;
	mask = xchg(&vcpu->irq_pending_mask, 0);
	pend = READ_ONCE(vcpu->irq_pending);
	if (mask & RVHV_IRQ_EXT_LINES)
		mask = (mask & ~RVHV_IRQ_EXT_LINES) | BIT(IRQ_VS_EXT);
	if (pend & RVHV_IRQ_EXT_LINES)
		pend = (pend & ~RVHV_IRQ_EXT_LINES) | BIT(IRQ_VS_EXT);
	val = pend & mask;
	csr_clear(CSR_HVIP, mask & ~val);
	csr_set(CSR_HVIP, val);
	if (rvhv_host.ssaia && (mask & BIT(IRQ_VS_EXT)))
		rvhv_vcpu_write_hvictl(val & BIT(IRQ_VS_EXT));
}

/*
 * A reset drops the pending interrupts but the irqchip's lines, which are
 * the irqchip's and survive it.  Another CPU may raise a line meanwhile
 * (the APLIC, another vCPU's IPI, KVM_INTERRUPT): irq_pending changes
 * atomically, and the mask only gains bits, so a raise either lands
 * before the reset and is dropped with the rest, or after it and is
 * applied at the next entry, never half of each.  hvip itself is 0 after
 * a reset (vcpu->csr); the irqchip's lines go back into it at the next
 * entry (rvhv_vcpu_sync_irqs()).
 */
static void rvhv_vcpu_reset_irqs(struct rvhv_vcpu *vcpu)
{
	unsigned long old = READ_ONCE(vcpu->irq_pending);

	while (!try_cmpxchg(&vcpu->irq_pending, &old,
			    old & RVHV_IRQ_EXT_LINES))
		;
	/* As in rvhv_vcpu_set_irq(): the level before the change. */
	smp_mb__before_atomic();
	/* The two bits are the irqchip's lines, all of them. */
	BUILD_BUG_ON(RVHV_IRQ_EXT_LINES !=
		     (BIT(RVHV_IRQ_APLIC) | BIT(RVHV_IRQ_IMSIC)));
	set_bit(RVHV_IRQ_APLIC, &vcpu->irq_pending_mask);
	set_bit(RVHV_IRQ_IMSIC, &vcpu->irq_pending_mask);
}

int rvhv_vcpu_hart_start(struct rvhv_vcpu *vcpu, unsigned long pc,
			 unsigned long a1)
{
	spin_lock(&vcpu->mp_lock);
	if (vcpu->mp_state != KVM_MP_STATE_STOPPED) {
		spin_unlock(&vcpu->mp_lock);
		return -EALREADY;
	}
	vcpu->start_pc = pc;
	vcpu->start_a1 = a1;
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	set_bit(RVHV_REQ_START, &vcpu->requests);
	spin_unlock(&vcpu->mp_lock);
	rvhv_vcpu_kick(vcpu);
	return 0;
}

void rvhv_vcpu_request_reset(struct rvhv_vcpu *vcpu, unsigned long pc,
			     unsigned long a1)
{
	spin_lock(&vcpu->mp_lock);
	vcpu->start_pc = pc;
	vcpu->start_a1 = a1;
	set_bit(RVHV_REQ_START, &vcpu->requests);
	spin_unlock(&vcpu->mp_lock);
}

void rvhv_vcpu_stop(struct rvhv_vcpu *vcpu)
{
	spin_lock(&vcpu->mp_lock);
	vcpu->mp_state = KVM_MP_STATE_STOPPED;
	clear_bit(RVHV_REQ_START, &vcpu->requests);
	set_bit(RVHV_REQ_STOP, &vcpu->requests);
	spin_unlock(&vcpu->mp_lock);
	rvhv_vcpu_kick(vcpu);
}

bool rvhv_vcpu_stopped(struct rvhv_vcpu *vcpu)
{
	return READ_ONCE(vcpu->mp_state) == KVM_MP_STATE_STOPPED;
}

void rvhv_vcpu_halt(struct rvhv_vcpu *vcpu)
{
	vcpu->halted = true;
	rvhv_stat_exit_as(&vcpu->stat, RVHV_EXIT_WFI);
}

/*
 * Is an interrupt the guest enabled (in vsie) pending?  This is what ends
 * WFI.  The vCPU is loaded.
 *
 * With Sstc the timer is pending once guest time reaches vstimecmp, and
 * that is what is asked here, not hip.VSTIP: the hart need only reflect
 * a passed vstimecmp in VSTIP "eventually" (Sstc).  Under QEMU 10 the
 * wakeup hrtimer (rvhv_timer_arm_wakeup()) fired 79 us past the deadline
 * just before the vCPU slept, VSTIP still read 0, and the vCPU slept
 * with no timer left to wake it (a guest's vCPU 0 for good, in
 * migrate_test, 2026-12-02).
 */
static bool rvhv_vcpu_irq_ready(struct rvhv_vcpu *vcpu)
{
	unsigned long pending, vsie;

	preempt_disable();
	rvhv_vcpu_sync_irqs(vcpu);
	pending = csr_read(CSR_HIP) >> VSIP_TO_HVIP_SHIFT;
	/* A hardware guest file's interrupt is its hgeip bit (SGEI). */
	if (rvhv_hwfile_pending(vcpu))
		pending |= IE_EIE;
	vsie = csr_read(CSR_VSIE);
	pending &= vsie & (IE_SIE | IE_TIE | IE_EIE);
	/* Only when nothing else wakes it (an IPI's wake-up skips this). */
	if (!pending && rvhv_use_sstc && (vsie & IE_TIE) &&
	    rvhv_timer_passed(vcpu))
		pending = IE_TIE;
	preempt_enable();
	return pending;
}

/* May the vCPU go (back) into the guest, rather than sleep? */
static bool rvhv_vcpu_runnable(struct rvhv_vcpu *vcpu)
{
	if (test_bit(RVHV_REQ_START, &vcpu->requests))
		return true;
	if (rvhv_vcpu_stopped(vcpu))
		return false;
	return !vcpu->halted || test_bit(RVHV_REQ_STOP, &vcpu->requests) ||
	       rvhv_vcpu_irq_ready(vcpu);
}

/*
 * Why rvhv_vcpu_block() returned (RVHV_TRACE_WAKE_*), for the rvhv_wake
 * tracepoint only: @halted is whether it was entered halted.
 */
static unsigned int rvhv_vcpu_wake_reason(struct rvhv_vcpu *vcpu, bool halted)
{
	if (halted && !vcpu->halted)
		return RVHV_TRACE_WAKE_IRQ;
	if (test_bit(RVHV_REQ_START, &vcpu->requests))
		return RVHV_TRACE_WAKE_START;
	if (test_bit(RVHV_REQ_STOP, &vcpu->requests))
		return RVHV_TRACE_WAKE_STOP;
	if (signal_pending(current))
		return RVHV_TRACE_WAKE_SIGNAL;
	return RVHV_TRACE_WAKE_RUNNABLE;
}

/*
 * Sleep while stopped or halted in WFI, until there is something to do or
 * a signal.  Never spins: the wait queue is woken by kicks (interrupts
 * raised, hart_start) and, for a halted vCPU, by its timer.
 */
static void rvhv_vcpu_block(struct rvhv_vcpu *vcpu)
{
	bool halted = vcpu->halted, waited = false;
	DEFINE_WAIT(wait);
	u64 t0 = 0;

	trace_rvhv_block(vcpu);
	if (halted) {
		rvhv_timer_arm_wakeup(vcpu);
		/* Its hardware guest file's interrupt wakes it too. */
		rvhv_hwfile_wake(vcpu, true);
		WRITE_ONCE(vcpu->stat.blocking, 1);
		t0 = get_cycles();
	} else {
		/* Stopped: no exit's latency. */
		rvhv_stat_exit_forget(&vcpu->stat);
	}
	for (;;) {
		prepare_to_wait(&vcpu->wait, &wait, TASK_INTERRUPTIBLE);
		if (rvhv_vcpu_runnable(vcpu) || signal_pending(current))
			break;
		schedule();
		waited = true;
	}
	finish_wait(&vcpu->wait, &wait);
	if (halted) {
		if (waited)
			rvhv_stats_halt_wait(&vcpu->stat, get_cycles() - t0);
		WRITE_ONCE(vcpu->stat.blocking, 0);
	}
	rvhv_timer_cancel_wakeup(vcpu);
	rvhv_hwfile_wake(vcpu, false);
	if (vcpu->halted && rvhv_vcpu_irq_ready(vcpu)) {
		vcpu->halted = false;
		vcpu->stat.halt_wakeup++;
	}
	if (trace_rvhv_wake_enabled())
		trace_rvhv_wake(vcpu, rvhv_vcpu_wake_reason(vcpu, halted));
}

/*
 * HSM hart_start (or SBI SUSP) reached this vCPU: reset it, start it.
 * @loaded: from KVM_RUN (the vCPU is loaded on this hart), or not (a
 * state ioctl, see rvhv_vcpu_settle()).
 */
static void rvhv_vcpu_apply_start(struct rvhv_vcpu *vcpu, bool loaded)
{
	unsigned long pc, a1;

	spin_lock(&vcpu->mp_lock);
	pc = vcpu->start_pc;
	a1 = vcpu->start_a1;
	clear_bit(RVHV_REQ_START, &vcpu->requests);
	spin_unlock(&vcpu->mp_lock);

	/* Its perf events go while this thread may still sleep. */
	rvhv_pmu_release(vcpu);
	if (loaded) {
		rvhv_stat_exit_forget(&vcpu->stat);
		preempt_disable();
		rvhv_vcpu_put(vcpu);
	}
	rvhv_vcpu_reset(vcpu);
	rvhv_vcpu_setup_config(vcpu);
	vcpu->ctx.gpr[RVHV_REG_PC] = pc;
	vcpu->ctx.gpr[RVHV_REG_A0] = vcpu->id;
	vcpu->ctx.gpr[RVHV_REG_A1] = a1;
	if (loaded) {
		rvhv_vcpu_load(vcpu, smp_processor_id());
		preempt_enable();
	}
}

/*
 * Before ONE_REG, KVM_GET_REG_LIST and MP_STATE (vcpu->mutex held, not
 * loaded): an HSM start or SUSP resume that reached the vCPU since it
 * last ran is applied now, so that the state a VMM saves is the state the
 * guest will run from (the start is no longer pending anywhere else).
 * Not while an exit awaits its completion (SUSP's own exit): KVM_RUN
 * completes it first and resets after, and so does the save rule's
 * immediate_exit KVM_RUN, after which the reset is applied here.
 */
static void rvhv_vcpu_settle(struct rvhv_vcpu *vcpu)
{
	if (test_bit(RVHV_REQ_START, &vcpu->requests) &&
	    vcpu->pending == RVHV_PENDING_NONE)
		rvhv_vcpu_apply_start(vcpu, false);
}

/* Finish what the last exit to userspace left open. */
static void rvhv_complete_pending(struct rvhv_vcpu *vcpu)
{
	switch (vcpu->pending) {
	case RVHV_PENDING_NONE:
		return;
	case RVHV_PENDING_MMIO_LOAD:
	case RVHV_PENDING_MMIO_STORE:
		rvhv_mmio_complete(vcpu);
		break;
	case RVHV_PENDING_SBI:
		rvhv_sbi_complete(vcpu);
		break;
	}
	vcpu->pending = RVHV_PENDING_NONE;
}

/*
 * Work the kernel must do before this thread next runs in user mode, and
 * that KVM_RUN must not hold off while the guest runs: a signal, and
 * task work (queued with TIF_NOTIFY_RESUME: the expiry of a CPU-time
 * timer, a deferred fput, ...).  An out-of-tree module cannot run task
 * work itself (task_work_run() is not exported), so KVM_RUN returns
 * -EINTR with KVM_EXIT_INTR and the return to user mode runs it; a VMM
 * calls KVM_RUN again, as after any signal.  TIF_NOTIFY_RESUME without
 * task work (rseq sets it at every preemption) waits for that return.
 */
static __always_inline bool rvhv_user_work_pending(void)
{
	return signal_pending(current) || task_work_pending(current);
}

/*
 * Whatever must hold the guest out (interrupts off): a signal or task
 * work, a reschedule, a request, a VMID of an old generation.
 */
static __always_inline bool rvhv_entry_blocked(struct rvhv_vcpu *vcpu,
					       u64 word)
{
	return rvhv_user_work_pending() || need_resched() ||
	       READ_ONCE(vcpu->requests) || !rvhv_vmid_current(word);
}

/*
 * Right after every exit, interrupts off: count and trace it.  @scause
 * is vcpu->ctx.scause, a constant where the caller knows it.
 */
static __always_inline void rvhv_note_exit(struct rvhv_vcpu *vcpu,
					   unsigned long scause)
{
	rvhv_stat_guest_exit(&vcpu->stat, scause);
	vcpu->stat.exits++;
	trace_rvhv_exit(vcpu);
}

/**
 * rvhv_switch_fast() - the register-light round trip's C half
 * @ctx: the vCPU's context
 *
 * Called by trap/switch.S for an ecall (only), from inside rvhv_switch_to():
 * interrupts off since rvhv_enter_guest() turned them off, host sp, gp
 * and tp, only the guest's RVHV_GPRS_LIGHT registers and pc in @ctx (its
 * s1-s11 live in the hart), the guest's sstatus and hstatus in the hart.
 * What rvhv_enter_guest()'s loop does between two switches, less the
 * vector hooks (the guest's vector registers are still in the hart, and
 * the full path's rvhv_vector_exit() sees sstatus.VS as the guest left
 * it) and the senvcfg of debug_no_envcfg (the guest's is harmless to
 * HS-mode C): count and trace the exit, handle it
 * (rvhv_fastpath_light()), and if handled and nothing holds the guest
 * out, apply raised interrupts, count and trace the entry.  The VMID
 * word rvhv_enter_guest() found current is vcpu->vmid_word (it synced
 * to it), and stays current with interrupts off.
 *
 * Return: RVHV_SWITCH_GUEST to re-enter the guest at once; else the
 * exit's result for rvhv_enter_guest() (1 handled but held out, 0, a
 * negative errno, RVHV_FAST_DECLINED), after the switch saved the rest.
 */
int rvhv_switch_fast(struct rvhv_guest_ctx *ctx)
{
	struct rvhv_vcpu *vcpu = container_of(ctx, struct rvhv_vcpu, ctx);
	int ret;

	/*
	 * debug_checks: a kernel trap here, every time (a load that faults
	 * and is fixed up through the exception table, no splat), so that
	 * the switch's repair of sepc, sstatus and hstatus after a trap in
	 * C (a WARN, a kprobe) runs in every test that enables it.
	 */
	if (unlikely(READ_ONCE(rvhv_debug_checks))) {
		unsigned long v;

		if (!get_kernel_nofault(v, (unsigned long *)NULL))
			WARN_ONCE(1, "rvhv: a load of address 0 did not fault\n");
	}
	rvhv_note_exit(vcpu, EXC_SUPERVISOR_SYSCALL);
	ret = rvhv_fastpath_light(vcpu);
	if (ret != 1 || unlikely(rvhv_entry_blocked(vcpu, vcpu->vmid_word)))
		return ret;
	rvhv_vcpu_sync_irqs(vcpu);
	rvhv_stat_guest_entry(&vcpu->stat);
	trace_rvhv_entry(vcpu);
	return RVHV_SWITCH_GUEST;
}

/*
 * Enter the guest, and again for as long as its exits are ones the fast
 * path (trap/fastpath.c) handles with interrupts off and nothing keeps
 * it out: the ecalls without leaving trap/switch.S (rvhv_switch_fast()),
 * the others (rvhv_fastpath_exit()) through the full switch.  Returns
 * false (with interrupts enabled and nothing run) when something must be
 * dealt with first; else true, with *@ret the last
 * exit's result as rvhv_handle_exit() gives it, or RVHV_FAST_DECLINED
 * when that exit is still to be handled.
 */
static bool rvhv_enter_guest(struct rvhv_vcpu *vcpu, int *ret)
{
	struct rvhv_vm *vm = vcpu->vm;
	unsigned long vgein;
	int file;
	u64 word;

	local_irq_disable();
	WRITE_ONCE(vcpu->mode, RVHV_IN_GUEST);
	/* Pairs with the barrier in rvhv_vcpu_kick(). */
	smp_mb();
	word = READ_ONCE(vm->vmid.word);
	if (unlikely(rvhv_entry_blocked(vcpu, word))) {
		WRITE_ONCE(vcpu->mode, RVHV_OUTSIDE_GUEST);
		local_irq_enable();
		return false;
	}
	/*
	 * hstatus.VGEIN: the vCPU's hardware guest file here, or none (its
	 * registers in software); a file left on another CPU is moved first.
	 * With interrupts off the file stays here (it moves by IPI), so the
	 * fast path's re-entries keep it.
	 */
	file = rvhv_hwfile_vgein(vcpu);
	if (unlikely(file < 0)) {
		WRITE_ONCE(vcpu->mode, RVHV_OUTSIDE_GUEST);
		local_irq_enable();
		return false;
	}
	vgein = (unsigned long)file << HSTATUS_VGEIN_SHIFT;
	if (unlikely(vgein != (vcpu->ctx.hstatus & HSTATUS_VGEIN))) {
		vcpu->ctx.hstatus = (vcpu->ctx.hstatus & ~HSTATUS_VGEIN) | vgein;
		if (rvhv_host.smstateen)
			csr_write(CSR_HSTATEEN0, vcpu->csr.hstateen0 |
				  (vgein ? SMSTATEEN0_AIA_IMSIC : 0));
	}
	/*
	 * The VM may have a new VMID (a new generation, taken by this vCPU
	 * or another), or none was loaded: hgatp and the flushes it needs.
	 * A word seen current with interrupts off stays current until they
	 * are on again (a rollover waits for every CPU), and nothing else
	 * changes hgatp, the TLB or hedeleg (vcpu/debug.c) without an IPI:
	 * the fast path's re-entries below need none of this again.
	 */
	if (unlikely(vcpu->vmid_word != word))
		rvhv_tlb_sync(vcpu, word);
	rvhv_tlb_check(vcpu, "entry");
	rvhv_debug_enter(vcpu);
	/*
	 * Guest time: ticks that land while PF_VCPU is set count as the
	 * thread's guest time (/proc/PID/stat, top's "gu"), as with kvm.ko.
	 * The interrupt that ended the guest, the tick among them, is taken
	 * when interrupts come back on, so the flag goes only after that.
	 */
	current->flags |= PF_VCPU;
	for (;;) {
		/* Raised or lowered since (a fast path's IPI to itself). */
		rvhv_vcpu_sync_irqs(vcpu);
		rvhv_stat_guest_entry(&vcpu->stat);
		trace_rvhv_entry(vcpu);
		rvhv_vector_enter(vcpu);
		if (unlikely(rvhv_host.debug_no_envcfg)) {
			/*
			 * The hart has the senvcfg the switch now leaves
			 * alone, and the guest can write it: put the host's
			 * back.
			 */
			unsigned long senvcfg = csr_read(CSR_SENVCFG);

			*ret = rvhv_switch_to(&vcpu->ctx);
			csr_write(CSR_SENVCFG, senvcfg);
		} else {
			*ret = rvhv_switch_to(&vcpu->ctx);
		}
		rvhv_vector_exit(vcpu);
		/*
		 * The light path (rvhv_switch_fast()) counted, traced and
		 * tried this exit already: its result stands.
		 */
		if (*ret == RVHV_SWITCH_FULL) {
			rvhv_note_exit(vcpu, vcpu->ctx.scause);
			*ret = rvhv_fastpath_wants(vcpu->ctx.scause) ?
			       rvhv_fastpath_exit(vcpu) : RVHV_FAST_DECLINED;
		}
		/*
		 * Handled: straight back in, unless anything holds it out.
		 * No fast handler halts or stops its vCPU; a stop from
		 * elsewhere is a request.
		 */
		if (*ret != 1 || unlikely(rvhv_entry_blocked(vcpu, word)))
			break;
	}
	WRITE_ONCE(vcpu->mode, RVHV_OUTSIDE_GUEST);
	local_irq_enable();
	current->flags &= ~PF_VCPU;
	return true;
}

/*
 * henvcfg and hstateen0 for the extensions the vCPU was given; ONE_REG
 * ISA_EXT is locked from the first KVM_RUN on, so this is computed once.
 * hstateen0 (Smstateen hosts only) grants the guest its senvcfg always,
 * its sstateen0 when it has Smstateen and the AIA CSRs (not the IMSIC's)
 * when it has Ssaia; see RVHV_HSTATEEN0_GRANTS.
 */
static void rvhv_vcpu_setup_config(struct rvhv_vcpu *vcpu)
{
	unsigned long henvcfg = 0;
	u64 hstateen0 = 0;

	if (test_bit(KVM_RISCV_ISA_EXT_SSTC, vcpu->isa_ext))
		henvcfg |= ENVCFG_STCE;
	if (test_bit(KVM_RISCV_ISA_EXT_SVPBMT, vcpu->isa_ext))
		henvcfg |= ENVCFG_PBMTE;
	if (test_bit(KVM_RISCV_ISA_EXT_ZICBOM, vcpu->isa_ext))
		henvcfg |= ENVCFG_CBIE | ENVCFG_CBCFE;
	if (test_bit(KVM_RISCV_ISA_EXT_ZICBOZ, vcpu->isa_ext))
		henvcfg |= ENVCFG_CBZE;
	/* Svadu: VS-stage A/D updates in hardware, unless Svade is on too. */
	if (test_bit(RVHV_RISCV_ISA_EXT_SVADU, vcpu->isa_ext) &&
	    !test_bit(RVHV_RISCV_ISA_EXT_SVADE, vcpu->isa_ext))
		henvcfg |= ENVCFG_ADUE;
	vcpu->csr.henvcfg = henvcfg;

	if (rvhv_host.smstateen) {
		hstateen0 |= SMSTATEEN0_HSENVCFG;
		if (test_bit(KVM_RISCV_ISA_EXT_SMSTATEEN, vcpu->isa_ext))
			hstateen0 |= SMSTATEEN0_SSTATEEN0;
		/* Ssaia: the AIA CSRs; the IMSIC's trap (emulated IMSIC). */
		if (test_bit(KVM_RISCV_ISA_EXT_SSAIA, vcpu->isa_ext))
			hstateen0 |= SMSTATEEN0_AIA | SMSTATEEN0_AIA_ISEL;
	}
	vcpu->csr.hstateen0 = hstateen0 & RVHV_HSTATEEN0_GRANTS;
}

static int rvhv_vcpu_run(struct rvhv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int ret;

	/* Configuration is locked from the first KVM_RUN on, as in kvm.ko. */
	if (!vcpu->ran)
		rvhv_vcpu_setup_config(vcpu);
	vcpu->ran = true;

	rvhv_complete_pending(vcpu);
	rvhv_pmu_run(vcpu);
	/*
	 * immediate_exit: the exit's completion is committed and the guest
	 * is not entered (how a VMM saves a vCPU stopped in an exit).
	 * Coalesced console bytes still buffered go out first, in their
	 * exit (0); the VMM calls again until -EINTR.
	 */
	if (READ_ONCE(run->immediate_exit__unsafe))
		return rvhv_console_flush_exit(vcpu) ? 0 : -EINTR;

	preempt_disable();
	preempt_notifier_register(&vcpu->pn);
	rvhv_vcpu_load(vcpu, smp_processor_id());
	preempt_enable();

	run->exit_reason = KVM_EXIT_UNKNOWN;
	for (;;) {
		if (rvhv_user_work_pending()) {
			run->exit_reason = KVM_EXIT_INTR;
			if (signal_pending(current))
				vcpu->stat.signal_exits++;
			else
				vcpu->stat.task_work_exits++;
			ret = -EINTR;
			break;
		}
		if (unlikely(READ_ONCE(vcpu->requests))) {
			if (test_bit(RVHV_REQ_START, &vcpu->requests))
				rvhv_vcpu_apply_start(vcpu, true);
			if (test_and_clear_bit(RVHV_REQ_STOP, &vcpu->requests))
				vcpu->halted = false;
			if (test_and_clear_bit(RVHV_REQ_STEAL, &vcpu->requests))
				rvhv_sta_update(vcpu);
		}
		if (unlikely(vcpu->halted || rvhv_vcpu_stopped(vcpu))) {
			/* An idle guest's buffered console output goes out. */
			if (rvhv_console_flush_exit(vcpu)) {
				ret = 0;
				break;
			}
			rvhv_vcpu_block(vcpu);
			continue;
		}
		/* The ring's soft limit: let the VMM harvest it first. */
		if (unlikely(rvhv_dirty_ring_soft_full(&vcpu->dirty_ring))) {
			if (!rvhv_console_flush_exit(vcpu))
				run->exit_reason = KVM_EXIT_DIRTY_RING_FULL;
			ret = 0;
			break;
		}
		/*
		 * Not cond_resched(), which a preemptible kernel compiles
		 * out: a wake-up the exit fast path did with interrupts off
		 * (an IPI to a vCPU sleeping on this CPU) set need_resched
		 * with nothing to act on it but the next tick.
		 */
		if (need_resched())
			schedule();
		/* A hardware guest file on this CPU (hwaccel, auto). */
		ret = rvhv_hwfile_update(vcpu);
		if (ret <= 0)
			break;
		rvhv_vmid_update(&vcpu->vm->vmid);
		if (!rvhv_enter_guest(vcpu, &ret))
			continue;
		if (ret == RVHV_FAST_DECLINED)
			ret = rvhv_handle_exit(vcpu);
		if (ret > 0)
			continue;
		/*
		 * Coalesced console output goes out before any other exit
		 * (which drops that exit's pending completion: it recurs).
		 */
		if (!ret)
			rvhv_console_flush_exit(vcpu);
		break;
	}

	preempt_disable();
	rvhv_vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->pn);
	preempt_enable();
	trace_rvhv_userspace_exit(vcpu, ret);
	return ret;
}

/* KVM_INTERRUPT: the guest's external interrupt line (VSEIP). */
static long rvhv_vcpu_interrupt(struct rvhv_vcpu *vcpu, void __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq == KVM_INTERRUPT_SET)
		rvhv_vcpu_set_irq(vcpu, IRQ_VS_EXT, true, RVHV_IRQ_SRC_USER);
	else if (irq.irq == KVM_INTERRUPT_UNSET)
		rvhv_vcpu_set_irq(vcpu, IRQ_VS_EXT, false,
				  RVHV_IRQ_SRC_USER);
	else
		return -EINVAL;
	return 0;
}

/*
 * KVM_SET_MP_STATE with KVM_MP_STATE_INIT_RECEIVED on a VM that enabled
 * KVM_CAP_RISCV_MP_STATE_RESET (as kvm.ko's from Linux 6.16 on): the
 * vCPU as it was created, but for its mp_state and its configuration
 * (ISA and SBI extensions, CONFIG registers, FWFT's enable, the hedeleg
 * of guest debugging): registers, CSRs (sstateen0 too) and F/D state at
 * their reset values, pending interrupts but the irqchip's lines
 * cleared, the timer cancelled, an exit's completion dropped, SBI state
 * (STA, PMU, FWFT) reset.  vcpu->mutex is held outside KVM_RUN: the vCPU
 * is not loaded.  An HSM hart_start already on its way still applies.
 */
static void rvhv_vcpu_mp_reset(struct rvhv_vcpu *vcpu)
{
	rvhv_pmu_release(vcpu);
	rvhv_vcpu_reset(vcpu);
	rvhv_vcpu_setup_config(vcpu);
	vcpu->sstateen0 = 0;
}

static long rvhv_vcpu_mp_state(struct rvhv_vcpu *vcpu, unsigned int ioctl,
			       void __user *argp)
{
	struct kvm_mp_state mp;

	if (ioctl == KVM_GET_MP_STATE) {
		mp.mp_state = READ_ONCE(vcpu->mp_state);
		return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
	}
	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		/* Runs on from its registers as they are: no reset. */
		spin_lock(&vcpu->mp_lock);
		WRITE_ONCE(vcpu->mp_state, KVM_MP_STATE_RUNNABLE);
		spin_unlock(&vcpu->mp_lock);
		rvhv_vcpu_kick(vcpu);
		return 0;
	case KVM_MP_STATE_STOPPED:
		rvhv_vcpu_stop(vcpu);
		return 0;
	case KVM_MP_STATE_INIT_RECEIVED:
		if (!(READ_ONCE(vcpu->vm->caps) & RVHV_VM_CAP_MP_STATE_RESET))
			break;
		rvhv_vcpu_mp_reset(vcpu);
		return 0;
	}
	return -EINVAL;
}

static long rvhv_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct rvhv_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct kvm_one_reg reg;
	long ret;

	if (vcpu->vm->mm != current->mm)
		return -EIO;

	/* Not serialised with KVM_RUN: I/O threads raise interrupts. */
	if (ioctl == KVM_INTERRUPT)
		return rvhv_vcpu_interrupt(vcpu, argp);

	/*
	 * Killable, as kvm.ko's: a VMM's other threads (ONE_REG, a second
	 * KVM_RUN) wait for the running vCPU through the signals it uses to
	 * kick vCPUs, instead of failing with -EINTR where kvm.ko does not.
	 * A KVM_RUN that got a signal while it waited sees it on entry.
	 */
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (ioctl) {
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
	case KVM_GET_REG_LIST:
	case KVM_GET_MP_STATE:
	case KVM_SET_MP_STATE:
		rvhv_vcpu_settle(vcpu);
		break;
	}
	switch (ioctl) {
	case KVM_GET_MP_STATE:
	case KVM_SET_MP_STATE:
		ret = rvhv_vcpu_mp_state(vcpu, ioctl, argp);
		break;
	case KVM_RUN:
		ret = arg ? -EINVAL : rvhv_vcpu_run(vcpu);
		break;
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
		ret = -EFAULT;
		if (copy_from_user(&reg, argp, sizeof(reg)))
			break;
		if (ioctl == KVM_GET_ONE_REG)
			ret = rvhv_get_one_reg(vcpu, &reg);
		else
			ret = rvhv_set_one_reg(vcpu, &reg);
		break;
	case KVM_GET_REG_LIST:
		ret = rvhv_get_reg_list(vcpu, argp);
		break;
	case KVM_GET_STATS_FD:
		ret = rvhv_vcpu_stats_fd(vcpu);
		break;
	case KVM_SET_GUEST_DEBUG:
		ret = rvhv_vcpu_set_guest_debug(vcpu, argp);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

static vm_fault_t rvhv_vcpu_fault(struct vm_fault *vmf)
{
	struct rvhv_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	switch (vmf->pgoff) {
	case 0:
		page = virt_to_page(vcpu->run);
		get_page(page);
		break;
	case KVM_COALESCED_MMIO_PAGE_OFFSET:
		/* The VM's coalesced MMIO ring (trap/coalesced.c) */
		page = rvhv_coalesced_page(vcpu->vm);
		break;
	default:
		/* The dirty ring's pages (mmu/dirty.c) */
		page = rvhv_dirty_ring_page(&vcpu->dirty_ring, vmf->pgoff);
		if (!page)
			return VM_FAULT_SIGBUS;
		get_page(page);
	}
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct rvhv_vcpu_vm_ops = {
	.fault = rvhv_vcpu_fault,
};

static int rvhv_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct rvhv_vcpu *vcpu = file->private_data;

	if (!rvhv_dirty_ring_mmap_ok(&vcpu->dirty_ring, vma))
		return -EINVAL;
	vma->vm_ops = &rvhv_vcpu_vm_ops;
	return 0;
}

static int rvhv_vcpu_release(struct inode *inode, struct file *filp)
{
	struct rvhv_vcpu *vcpu = filp->private_data;

	rvhv_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations rvhv_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= rvhv_vcpu_release,
	.unlocked_ioctl	= rvhv_vcpu_ioctl,
	.mmap		= rvhv_vcpu_mmap,
	.llseek		= noop_llseek,
};

/* Reset state: what a hart looks like before anyone sets its registers. */
static void rvhv_vcpu_reset(struct rvhv_vcpu *vcpu)
{
	unsigned long host_hstatus = csr_read(CSR_HSTATUS);

	memset(&vcpu->ctx, 0, sizeof(vcpu->ctx));
	memset(&vcpu->csr, 0, sizeof(vcpu->csr));
	memset(&vcpu->fp, 0, sizeof(vcpu->fp));
	vcpu->ctx.sstatus = SR_SPP | SR_SPIE;
	/* What ONE_REG would make of 0 (WARL: UXL is 64, vcpu/onereg.c). */
	vcpu->csr.vsstatus = SR_UXL_64;
	if (test_bit(KVM_RISCV_ISA_EXT_F, vcpu->isa_ext) ||
	    test_bit(KVM_RISCV_ISA_EXT_D, vcpu->isa_ext))
		vcpu->ctx.sstatus |= SR_FS_INITIAL;
	rvhv_vector_reset(vcpu);
	vcpu->ctx.hstatus = (host_hstatus & HSTATUS_VSXL) | RVHV_HSTATUS_GUEST;
	/* The guest's U-mode may read cycle, time and instret (as kvm.ko). */
	vcpu->ctx.scounteren = 7;
	vcpu->ctx.no_senvcfg = !rvhv_host.envcfg;
	vcpu->csr.vstimecmp = -1UL;
	vcpu->timer_state = KVM_RISCV_TIMER_STATE_OFF;
	vcpu->pending = RVHV_PENDING_NONE;
	vcpu->halted = false;
	rvhv_vcpu_reset_irqs(vcpu);
	if (!rvhv_use_sstc)
		hrtimer_cancel(&vcpu->timer);
	rvhv_sta_reset(vcpu);
	rvhv_pmu_reset(vcpu);
	rvhv_fwft_reset(vcpu);
}

/* Free a vCPU whose fd is gone (the VM is being freed). */
void rvhv_vcpu_free(struct rvhv_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->timer);
	rvhv_pmu_release(vcpu);
	rvhv_dirty_ring_free(&vcpu->dirty_ring);
	rvhv_vector_free(vcpu);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

/**
 * rvhv_create_vcpu() - KVM_CREATE_VCPU
 * @vm: the VM
 * @id: the vCPU id, below KVM_CAP_MAX_VCPU_ID
 *
 * Return: the vCPU fd, or a negative errno.
 */
int rvhv_create_vcpu(struct rvhv_vm *vm, unsigned long id)
{
	struct rvhv_vcpu *vcpu;
	char name[32];
	int fd;

	if (id >= RVHV_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || rvhv_vector_init(vcpu)) {
		rvhv_vector_free(vcpu);
		free_page((unsigned long)vcpu->run);
		kfree(vcpu);
		return -ENOMEM;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	vcpu->last_cpu = -1;
	mutex_init(&vcpu->mutex);
	preempt_notifier_init(&vcpu->pn, &rvhv_preempt_ops);
	init_waitqueue_head(&vcpu->wait);
	spin_lock_init(&vcpu->mp_lock);
	rvhv_timer_init(vcpu);
	rvhv_vcpu_config_init(vcpu);
	rvhv_fwft_init(vcpu);
	rvhv_vcpu_reset(vcpu);
	rvhv_stats_vcpu_init(vcpu);

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		fd = -EEXIST;
		goto err_unlock;
	}
	/* Its dirty ring, if the VM has rings (enabled under vm->lock). */
	fd = rvhv_dirty_ring_alloc(vm, &vcpu->dirty_ring);
	if (fd)
		goto err_unlock;
	/* As with kvm.ko: only the first vCPU starts; HSM starts the rest. */
	vcpu->mp_state = vm->nr_vcpus ? KVM_MP_STATE_STOPPED :
					KVM_MP_STATE_RUNNABLE;
	snprintf(name, sizeof(name), "rvhv-vcpu:%lu", id);
	refcount_inc(&vm->users);
	fd = anon_inode_getfd(name, &rvhv_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		refcount_dec(&vm->users);
		goto err_unlock;
	}
	/*
	 * Published fully initialised: readers without vm->lock (HSM, IPIs,
	 * irqfd wake-ups in any context) use rvhv_vm_vcpu()'s acquire.
	 */
	smp_store_release(&vm->vcpus[id], vcpu);
	vm->nr_vcpus++;
	/* Its IDC may already want its line up (irqchip/aplic.c). */
	rvhv_aia_vcpu_created(vm);
	mutex_unlock(&vm->lock);
	return fd;

err_unlock:
	mutex_unlock(&vm->lock);
	rvhv_vcpu_free(vcpu);
	return fd;
}
