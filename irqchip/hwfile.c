// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware IMSIC guest interrupt files: the "hwaccel" and "auto" modes of
 * the AIA device.  This room owns rvhv's use of the host's guest
 * interrupt files (GEILEN of them per hart, hstatus.VGEIN, hgeie/hgeip)
 * and of the per-CPU SGEI (supervisor guest external) interrupt, and
 * the rule by which rvhv shares them with kvm.ko.
 *
 * A vCPU of a device in hwaccel or auto mode gets a guest file on the
 * CPU it runs on (rvhv_hwfile_update(), from KVM_RUN before entering the
 * guest): the file's page is mapped into the G-stage at the vCPU's IMSIC
 * address (other vCPUs' MSIs reach it without an exit), the vCPU enters
 * with hstatus.VGEIN = the file (its IMSIC CSRs are the hardware's, its
 * VS external interrupt is the file's), MSIs from the kernel (APLIC,
 * KVM_SIGNAL_MSI, irqfd routes) write the file's seteipnum, and a vCPU
 * in WFI is woken by the SGEI interrupt of its file (hgeie).  The file
 * stays on its CPU while the vCPU is scheduled out; when the vCPU runs
 * on another CPU, KVM_RUN moves it: unmap the old page from the G-stage
 * (fenced on every CPU, so no guest store reaches the old file any
 * more), read and clear the old file on its CPU (an IPI) into the
 * software registers, take a file here and write them into it, map it.
 * Between the two, MSIs go to the software registers (the vCPU's IMSIC
 * lock orders them with the copies), so none is lost.  In auto mode a
 * CPU without a free file leaves the vCPU on its software file (the
 * emulated IMSIC, irqchip/imsic.c); in hwaccel mode KVM_RUN fails with
 * KVM_EXIT_FAIL_ENTRY, as kvm.ko.
 *
 * Coexistence with kvm.ko.  kvm.ko takes every guest file of every CPU
 * for itself (its allocator hands out files 1..nr_hgei, nr_hgei =
 * min(GEILEN, IMSIC guest files), no parameter narrows it) and requests
 * the SGEI interrupt at its module init, failing its whole load if that
 * request fails.  No partition of the files exists that kvm.ko would
 * respect, so the rule is exclusive and follows the SGEI interrupt:
 * rvhv uses guest files only while it holds the SGEI interrupt, which it
 * requests when the first device goes to hwaccel or auto mode and frees
 * when the last is freed (-EBUSY from the request: kvm.ko has it; such a
 * device gets -EINVAL, kvm.ko's errno without guest files).  When kvm.ko
 * starts loading (the module notifier's MODULE_STATE_COMING, before its
 * init runs) rvhv gives everything back: it stops handing out files,
 * unmaps every vCPU's file from its G-stage, moves every file's
 * registers to software (an IPI on each CPU) and frees the SGEI
 * interrupt; its VMs run on with emulated files (hwaccel ones too) and
 * kvm.ko loads as if rvhv were not there.  When kvm.ko is gone
 * (MODULE_STATE_GOING, after its exit freed the interrupt, or after its
 * init failed) rvhv may take the interrupt again, and its vCPUs their
 * files.  So at no time do both hand out files, and a file changes hands
 * only cleared.
 *
 * Locks.  rvhv_hgei.lock (a mutex) serialises the SGEI interrupt's
 * ownership, every move of a file (allocation, G-stage mapping, freeing),
 * kvm.ko's arrival and CPU hotplug (its callbacks take it, inside the
 * hotplug lock; it never takes that lock); under it: rvhv_mmu.lock, a
 * vCPU's IMSIC lock.  Per CPU, rvhv_hgei_cpu.lock (a raw spinlock)
 * protects that CPU's free files and their owners; it nests inside a
 * vCPU's IMSIC lock.  A file's registers are read and
 * written only on its CPU with interrupts off and the IMSIC lock held.
 *
 * Lifetimes: a file belongs to its struct rvhv_imsic from allocation to
 * rvhv_hwfile_release_vm(), called before the VM's vCPUs are freed, so
 * the SGEI handler never kicks a freed vCPU.
 */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqchip/riscv-imsic.h>
#include <linux/irqdomain.h>
#include <linux/kvm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <asm/irq.h>

#include "../rvhv_int.h"
#include "aia.h"

/* A file's eip/eie registers are 64 bits wide (RV64: even numbers). */
static_assert(BITS_PER_LONG == 64);

/**
 * struct rvhv_hgei_cpu - one CPU's guest interrupt files
 * @lock: protects the rest for readers on other CPUs (a raw spinlock,
 *	taken with interrupts off); they change only on their own CPU with
 *	interrupts off, where the SGEI handler reads them without it
 * @free: bit n: file n is free (bits 1..nr_files; none while rvhv does
 *	not hold the SGEI interrupt)
 * @owner: file n's IMSIC, or NULL
 */
struct rvhv_hgei_cpu {
	raw_spinlock_t lock;
	unsigned long free;
	struct rvhv_imsic *owner[BITS_PER_LONG];
};

static DEFINE_PER_CPU(struct rvhv_hgei_cpu, rvhv_hgei_cpu);

/**
 * struct rvhv_hgei - rvhv's hold on the host's guest interrupt files
 * @lock: see the top of the file
 * @gc: the host IMSIC driver's configuration, or NULL (fixed)
 * @nr_files: usable files per CPU: min(GEILEN, 2^guest index bits - 1)
 *	(fixed; 0: none, hwaccel and auto are refused)
 * @nr_eix: 64-bit eip/eie registers of a file (fixed)
 * @irq: the SGEI interrupt's Linux number, 0 until mapped (under @lock)
 * @held: rvhv holds it and hands out files (written under @lock, read
 *	with READ_ONCE() as a hint)
 * @kvm: kvm.ko is loading or loaded: rvhv does not take it (under @lock)
 * @users: devices in hwaccel or auto mode (under @lock)
 * @gen: bumped whenever a file is freed or @held changes (atomic)
 * @nb: the module notifier (kvm.ko's arrival and departure)
 * @moves: files taken for a vCPU (its first and every move), for debugfs
 * @sgei: SGEI interrupts that woke a vCPU, for debugfs
 */
static struct rvhv_hgei {
	struct mutex lock;
	const struct imsic_global_config *gc;
	unsigned int nr_files;
	unsigned int nr_eix;
	int irq;
	bool held;
	bool kvm;
	unsigned int users;
	atomic_t gen;
	struct notifier_block nb;
	atomic_long_t moves;
	atomic_long_t sgei;
} rvhv_hgei = {
	.lock = __MUTEX_INITIALIZER(rvhv_hgei.lock),
};

unsigned int rvhv_hwfile_nr_files(void)
{
	return rvhv_hgei.nr_files;
}

unsigned int rvhv_hwfile_nr_ids(void)
{
	return rvhv_hgei.gc ? rvhv_hgei.gc->nr_guest_ids : 0;
}

/* Select file @file for vsiselect/vsireg; interrupts off. */
static unsigned long hw_select(unsigned int file, unsigned long *vsiselect)
{
	unsigned long hstatus = csr_read(CSR_HSTATUS);

	*vsiselect = csr_read(CSR_VSISELECT);
	csr_write(CSR_HSTATUS, (hstatus & ~HSTATUS_VGEIN) |
			       ((unsigned long)file << HSTATUS_VGEIN_SHIFT));
	return hstatus;
}

static void hw_deselect(unsigned long hstatus, unsigned long vsiselect)
{
	csr_write(CSR_VSISELECT, vsiselect);
	csr_write(CSR_HSTATUS, hstatus);
}

static unsigned long hw_read(unsigned long isel)
{
	csr_write(CSR_VSISELECT, isel);
	return csr_read(CSR_VSIREG);
}

static void hw_write(unsigned long isel, unsigned long val)
{
	csr_write(CSR_VSISELECT, isel);
	csr_write(CSR_VSIREG, val);
}

/* Zero the selected file: delivery off first, then the arrays. */
static void hw_clear(void)
{
	unsigned int i;

	hw_write(IMSIC_EIDELIVERY, 0);
	hw_write(IMSIC_EITHRESHOLD, 0);
	for (i = 0; i < rvhv_hgei.nr_eix; i++) {
		hw_write(IMSIC_EIE0 + 2 * i, 0);
		hw_write(IMSIC_EIP0 + 2 * i, 0);
	}
}

/* Identities 1..nr_msis-1 of eip/eie word @i (the device's IDS). */
static unsigned long hw_valid(struct rvhv_imsic *imsic, unsigned int i)
{
	unsigned long v = -1UL;

	if (!i)
		v &= ~1UL;
	if ((i + 1) * 64 > imsic->nr_msis)
		v &= i * 64 >= imsic->nr_msis ? 0 :
		     GENMASK(imsic->nr_msis - i * 64 - 1, 0);
	return v;
}

/*
 * Move @imsic's registers between its file (on this CPU) and software:
 * @to_sw reads them into software and clears the file, else software is
 * written into the file.  Interrupts off, @imsic->lock held.
 */
static void hw_copy(struct rvhv_imsic *imsic, bool to_sw)
{
	unsigned long hstatus, vsiselect;
	unsigned int i;

	hstatus = hw_select(imsic->hw_file, &vsiselect);
	if (to_sw) {
		imsic->eidelivery = hw_read(IMSIC_EIDELIVERY) & 1;
		imsic->eithreshold = hw_read(IMSIC_EITHRESHOLD) &
				     RVHV_IMSIC_MAX_ID;
		for (i = 0; i < imsic->nr_eix; i++) {
			imsic->eip[i] = hw_read(IMSIC_EIP0 + 2 * i) &
					hw_valid(imsic, i);
			imsic->eie[i] = hw_read(IMSIC_EIE0 + 2 * i) &
					hw_valid(imsic, i);
		}
		hw_clear();
	} else {
		hw_clear();
		hw_write(IMSIC_EITHRESHOLD, imsic->eithreshold);
		for (i = 0; i < imsic->nr_eix && i < rvhv_hgei.nr_eix; i++) {
			hw_write(IMSIC_EIE0 + 2 * i, imsic->eie[i]);
			hw_write(IMSIC_EIP0 + 2 * i, imsic->eip[i]);
		}
		hw_write(IMSIC_EIDELIVERY, imsic->eidelivery & 1);
	}
	hw_deselect(hstatus, vsiselect);
}

int rvhv_hwfile_rmw(struct rvhv_imsic *imsic, unsigned long isel,
		    unsigned long *old, unsigned long new, unsigned long wmask)
{
	unsigned long hstatus, vsiselect, v, valid = -1UL;
	unsigned int num;

	lockdep_assert_held(&imsic->lock);
	switch (isel) {
	case IMSIC_EIDELIVERY:
		valid = 1;
		break;
	case IMSIC_EITHRESHOLD:
		valid = RVHV_IMSIC_MAX_ID;
		break;
	case IMSIC_EIP0 ... IMSIC_EIE63:
		num = isel - (isel <= IMSIC_EIP63 ? IMSIC_EIP0 : IMSIC_EIE0);
		/* The emulated file's errnos (kvm.ko's). */
		if ((num & 1) || num / 2 >= imsic->nr_eix)
			return -EINVAL;
		valid = hw_valid(imsic, num / 2);
		break;
	default:
		return -ENOENT;
	}
	hstatus = hw_select(imsic->hw_file, &vsiselect);
	v = hw_read(isel);
	*old = v & valid;
	if (wmask & valid)
		hw_write(isel, (v & ~(wmask & valid)) | (new & wmask & valid));
	hw_deselect(hstatus, vsiselect);
	return 0;
}

void rvhv_hwfile_inject(struct rvhv_imsic *imsic, u32 eiid)
{
	lockdep_assert_held(&imsic->lock);
	/* seteipnum_le: the file's own interrupt logic does the rest. */
	writel(eiid, imsic->hw_va + IMSIC_MMIO_SETIPNUM_LE);
}

/*
 * Give @imsic's file back (on its CPU, interrupts off, @imsic->lock
 * held): its registers to software when @keep, the file cleared, free.
 */
static void hw_free_local(struct rvhv_imsic *imsic, bool keep)
{
	struct rvhv_hgei_cpu *hc = this_cpu_ptr(&rvhv_hgei_cpu);
	unsigned int file = imsic->hw_file;
	unsigned long hstatus, vsiselect;

	if (keep) {
		hw_copy(imsic, true);
	} else {
		hstatus = hw_select(file, &vsiselect);
		hw_clear();
		hw_deselect(hstatus, vsiselect);
	}
	csr_clear(CSR_HGEIE, BIT(file));
	raw_spin_lock(&hc->lock);
	hc->owner[file] = NULL;
	/* Not while rvhv gives the files back to kvm.ko. */
	if (rvhv_hgei.held)
		hc->free |= BIT(file);
	raw_spin_unlock(&hc->lock);
	WRITE_ONCE(imsic->hw_cpu, -1);
	imsic->hw_file = 0;
	atomic_inc(&rvhv_hgei.gen);
	rvhv_imsic_update(imsic);
}

struct hw_call {
	struct rvhv_imsic *imsic;
	int (*fn)(struct rvhv_imsic *imsic, void *arg);
	void *arg;
	int ret;
	bool moved;
};

static void hw_call_fn(void *p)
{
	struct hw_call *c = p;
	unsigned long flags;

	spin_lock_irqsave(&c->imsic->lock, flags);
	if (c->imsic->hw_cpu != smp_processor_id())
		c->moved = true;
	else
		c->ret = c->fn(c->imsic, c->arg);
	spin_unlock_irqrestore(&c->imsic->lock, flags);
}

int rvhv_hwfile_call(struct rvhv_imsic *imsic,
		     int (*fn)(struct rvhv_imsic *imsic, void *arg), void *arg)
{
	struct hw_call c = { .imsic = imsic, .fn = fn, .arg = arg };
	unsigned long flags;
	int cpu, ret;

	for (;;) {
		spin_lock_irqsave(&imsic->lock, flags);
		cpu = imsic->hw_cpu;
		if (cpu < 0) {
			ret = fn(imsic, arg);
			spin_unlock_irqrestore(&imsic->lock, flags);
			return ret;
		}
		spin_unlock_irqrestore(&imsic->lock, flags);
		c.moved = false;
		/* The file moved meanwhile: after it. */
		if (!smp_call_function_single(cpu, hw_call_fn, &c, 1) &&
		    !c.moved)
			return c.ret;
		cond_resched();
	}
}

/* rvhv_hwfile_call() functions for moves and releases. */
static int hw_drain_fn(struct rvhv_imsic *imsic, void *keep)
{
	if (imsic->hw_cpu >= 0)
		hw_free_local(imsic, keep != NULL);
	return 0;
}

/* Unmap @imsic's file from its VM's G-stage (under rvhv_hgei.lock). */
static void hw_unmap(struct rvhv_imsic *imsic)
{
	lockdep_assert_held(&rvhv_hgei.lock);
	if (!imsic->hw_mapped)
		return;
	rvhv_gstage_unmap_page(imsic->vcpu->vm, imsic->addr);
	imsic->hw_mapped = false;
}

/* Move @imsic's registers to software, its file given back. */
static void hw_evict(struct rvhv_imsic *imsic, bool keep)
{
	lockdep_assert_held(&rvhv_hgei.lock);
	/* First no guest store reaches the old page, then read it. */
	hw_unmap(imsic);
	rvhv_hwfile_call(imsic, hw_drain_fn, keep ? imsic : NULL);
}

/* A file on this CPU for @imsic, its registers written in: its number. */
static unsigned int hw_take_local(struct rvhv_imsic *imsic)
{
	struct rvhv_hgei_cpu *hc = this_cpu_ptr(&rvhv_hgei_cpu);
	const struct imsic_local_config *lc;
	unsigned int file = 0;
	unsigned long flags;

	spin_lock_irqsave(&imsic->lock, flags);
	raw_spin_lock(&hc->lock);
	if (rvhv_hgei.held && hc->free) {
		file = __ffs(hc->free);
		hc->free &= ~BIT(file);
		hc->owner[file] = imsic;
	}
	raw_spin_unlock(&hc->lock);
	if (file) {
		lc = per_cpu_ptr(rvhv_hgei.gc->local, smp_processor_id());
		imsic->hw_file = file;
		imsic->hw_va = lc->msi_va + file * IMSIC_MMIO_PAGE_SZ;
		imsic->hw_pa = lc->msi_pa + file * IMSIC_MMIO_PAGE_SZ;
		hw_copy(imsic, false);
		WRITE_ONCE(imsic->hw_cpu, smp_processor_id());
		atomic_long_inc(&rvhv_hgei.moves);
		/* The file drives the VS external interrupt now. */
		rvhv_imsic_update(imsic);
	} else {
		imsic->hw_fail_cpu = smp_processor_id();
		imsic->hw_fail_gen = atomic_read(&rvhv_hgei.gen);
	}
	spin_unlock_irqrestore(&imsic->lock, flags);
	return file;
}

int rvhv_hwfile_update(struct rvhv_vcpu *vcpu)
{
	struct rvhv_imsic *imsic = rvhv_vcpu_imsic(vcpu);
	int cpu = raw_smp_processor_id(), ret = 1;
	unsigned int file;

	if (!imsic || !imsic->hw_mode)
		return 1;
	/* Hints, checked again below and at the guest's entry. */
	if (READ_ONCE(imsic->hw_cpu) == cpu)
		return 1;
	if (READ_ONCE(imsic->hw_cpu) < 0) {
		if (!READ_ONCE(rvhv_hgei.held))
			return 1;
		if (!imsic->hw_strict && imsic->hw_fail_cpu == cpu &&
		    imsic->hw_fail_gen == atomic_read(&rvhv_hgei.gen))
			return 1;
	}

	mutex_lock(&rvhv_hgei.lock);
	if (imsic->hw_cpu >= 0)
		hw_evict(imsic, true);
	if (!rvhv_hgei.held)
		goto out;
	preempt_disable();
	file = hw_take_local(imsic);
	cpu = smp_processor_id();
	preempt_enable();
	if (!file) {
		if (imsic->hw_strict) {
			/* kvm.ko's answer in hwaccel mode. */
			vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
			vcpu->run->fail_entry.hardware_entry_failure_reason =
				CSR_HSTATUS;
			vcpu->run->fail_entry.cpu = cpu;
			ret = 0;
		}
		goto out;
	}
	/*
	 * Other vCPUs' stores reach the file without an exit from now on;
	 * until then they trap and are injected into it.
	 */
	if (!rvhv_gstage_map_mmio(vcpu->vm, imsic->addr, imsic->hw_pa))
		imsic->hw_mapped = true;
out:
	mutex_unlock(&rvhv_hgei.lock);
	return ret;
}

int rvhv_hwfile_vgein(struct rvhv_vcpu *vcpu)
{
	struct rvhv_imsic *imsic = rvhv_vcpu_imsic(vcpu);
	int cpu;

	if (!imsic || !imsic->hw_mode)
		return 0;
	/* With interrupts off the file cannot leave this CPU (an IPI). */
	cpu = READ_ONCE(imsic->hw_cpu);
	if (cpu < 0)
		return 0;
	if (cpu != smp_processor_id())
		return -1;
	return imsic->hw_file;
}

bool rvhv_hwfile_pending(struct rvhv_vcpu *vcpu)
{
	struct rvhv_imsic *imsic = rvhv_vcpu_imsic(vcpu);
	unsigned long flags;
	bool ret = false;
	int vgein;

	if (!imsic || !imsic->hw_mode)
		return false;
	local_irq_save(flags);
	vgein = rvhv_hwfile_vgein(vcpu);
	if (vgein < 0)
		ret = true;
	else if (vgein)
		ret = csr_read(CSR_HGEIP) & BIT(vgein);
	local_irq_restore(flags);
	return ret;
}

void rvhv_hwfile_wake(struct rvhv_vcpu *vcpu, bool on)
{
	unsigned long flags;
	int vgein;

	local_irq_save(flags);
	vgein = rvhv_hwfile_vgein(vcpu);
	/*
	 * A file on another CPU: rvhv_hwfile_pending() says true and the
	 * vCPU does not sleep; a bit left set there fires at most once.
	 */
	if (vgein > 0) {
		if (on)
			csr_set(CSR_HGEIE, BIT(vgein));
		else
			csr_clear(CSR_HGEIE, BIT(vgein));
	}
	local_irq_restore(flags);
}

/* The SGEI interrupt: wake the vCPUs whose files have an interrupt. */
static irqreturn_t rvhv_sgei_handler(int irq, void *dev)
{
	struct rvhv_hgei_cpu *hc = this_cpu_ptr(&rvhv_hgei_cpu);
	unsigned long mask;
	unsigned int i;

	mask = csr_read(CSR_HGEIP) & csr_read(CSR_HGEIE);
	csr_clear(CSR_HGEIE, mask);
	/*
	 * Owners change only on their own CPU with interrupts off, so here
	 * they are stable without the lock (and the kick's wake-up takes a
	 * sleeping-lock-class spinlock, not to be nested in a raw one).
	 */
	for_each_set_bit(i, &mask, BITS_PER_LONG) {
		if (hc->owner[i]) {
			rvhv_vcpu_kick(hc->owner[i]->vcpu);
			atomic_long_inc(&rvhv_hgei.sgei);
		}
	}
	return IRQ_HANDLED;
}

static void rvhv_sgei_enable(void *unused)
{
	struct rvhv_hgei_cpu *hc = this_cpu_ptr(&rvhv_hgei_cpu);

	raw_spin_lock(&hc->lock);
	hc->free = GENMASK(rvhv_hgei.nr_files, 1);
	raw_spin_unlock(&hc->lock);
	enable_percpu_irq(rvhv_hgei.irq, irq_get_trigger_type(rvhv_hgei.irq));
	csr_set(CSR_HIE, BIT(IRQ_S_GEXT));
}

/* After every file was given back: none to hand out, SGEI off here. */
static void rvhv_sgei_disable(void *unused)
{
	struct rvhv_hgei_cpu *hc = this_cpu_ptr(&rvhv_hgei_cpu);

	raw_spin_lock(&hc->lock);
	hc->free = 0;
	raw_spin_unlock(&hc->lock);
	csr_clear(CSR_HIE, BIT(IRQ_S_GEXT));
	disable_percpu_irq(rvhv_hgei.irq);
}

void rvhv_hwfile_cpu_online(void)
{
	mutex_lock(&rvhv_hgei.lock);
	if (rvhv_hgei.held) {
		local_irq_disable();
		rvhv_sgei_enable(NULL);
		local_irq_enable();
	}
	mutex_unlock(&rvhv_hgei.lock);
}

static void rvhv_hgei_evict_cpu(unsigned int cpu);

void rvhv_hwfile_cpu_offline(void)
{
	mutex_lock(&rvhv_hgei.lock);
	if (rvhv_hgei.held) {
		rvhv_hgei_evict_cpu(smp_processor_id());
		local_irq_disable();
		rvhv_sgei_disable(NULL);
		local_irq_enable();
	}
	mutex_unlock(&rvhv_hgei.lock);
}

/* Take the SGEI interrupt and the files, if nobody else has them. */
static void rvhv_hgei_take(void)
{
	struct irq_domain *domain;
	int ret;

	lockdep_assert_held(&rvhv_hgei.lock);
	if (rvhv_hgei.held || rvhv_hgei.kvm || !rvhv_hgei.users)
		return;
	if (!rvhv_hgei.irq) {
		domain = irq_find_matching_fwnode(riscv_get_intc_hwnode(),
						  DOMAIN_BUS_ANY);
		if (!domain)
			return;
		rvhv_hgei.irq = irq_create_mapping(domain, IRQ_S_GEXT);
		if (!rvhv_hgei.irq)
			return;
	}
	/* -EBUSY: kvm.ko (or another hypervisor) has it, and the files. */
	ret = request_percpu_irq(rvhv_hgei.irq, rvhv_sgei_handler,
				 "rvhv-sgei", &rvhv_hgei_cpu);
	if (ret)
		return;
	WRITE_ONCE(rvhv_hgei.held, true);
	atomic_inc(&rvhv_hgei.gen);
	on_each_cpu(rvhv_sgei_enable, NULL, 1);
}

/*
 * Move every file of @cpu to software (under rvhv_hgei.lock: nothing
 * takes or frees a file meanwhile, and no IMSIC is freed).
 */
static void rvhv_hgei_evict_cpu(unsigned int cpu)
{
	struct rvhv_hgei_cpu *hc = per_cpu_ptr(&rvhv_hgei_cpu, cpu);
	struct rvhv_imsic *imsic;
	unsigned long flags;
	unsigned int i;

	lockdep_assert_held(&rvhv_hgei.lock);
	for (i = 1; i < BITS_PER_LONG; i++) {
		raw_spin_lock_irqsave(&hc->lock, flags);
		imsic = hc->owner[i];
		raw_spin_unlock_irqrestore(&hc->lock, flags);
		if (imsic)
			hw_evict(imsic, true);
	}
}

/*
 * Give every file back, each vCPU's registers to software, and free the
 * SGEI interrupt.  Files of VMs being freed are cleared the same way.
 */
static void rvhv_hgei_give_back(void)
{
	unsigned int cpu;

	lockdep_assert_held(&rvhv_hgei.lock);
	if (!rvhv_hgei.held)
		return;
	/* No file is handed out or freed into use from here on. */
	WRITE_ONCE(rvhv_hgei.held, false);
	atomic_inc(&rvhv_hgei.gen);
	/*
	 * No hotplug lock (its callbacks take rvhv_hgei.lock): an offline
	 * CPU has no file (rvhv_hwfile_cpu_offline()), one coming online
	 * waits for rvhv_hgei.lock and finds nothing held.
	 */
	for_each_possible_cpu(cpu)
		rvhv_hgei_evict_cpu(cpu);
	on_each_cpu(rvhv_sgei_disable, NULL, 1);
	free_percpu_irq(rvhv_hgei.irq, &rvhv_hgei_cpu);
}

int rvhv_hwfile_get(void)
{
	int ret = 0;

	if (!rvhv_hgei.nr_files)
		return -EINVAL;
	mutex_lock(&rvhv_hgei.lock);
	rvhv_hgei.users++;
	rvhv_hgei_take();
	if (!rvhv_hgei.held) {
		rvhv_hgei.users--;
		ret = -EINVAL;
	}
	mutex_unlock(&rvhv_hgei.lock);
	return ret;
}

void rvhv_hwfile_put(void)
{
	mutex_lock(&rvhv_hgei.lock);
	if (!--rvhv_hgei.users)
		rvhv_hgei_give_back();
	mutex_unlock(&rvhv_hgei.lock);
}

void rvhv_hwfile_release_vm(struct rvhv_vm *vm)
{
	struct rvhv_aia *aia = vm->aia;
	struct rvhv_imsic *imsic;
	unsigned int i;

	if (!aia || !aia->hw_ref)
		return;
	mutex_lock(&rvhv_hgei.lock);
	for (i = 0; i < RVHV_MAX_VCPUS; i++) {
		imsic = aia->imsic[i];
		if (imsic && imsic->hw_cpu >= 0)
			hw_evict(imsic, false);
	}
	mutex_unlock(&rvhv_hgei.lock);
}

/* kvm.ko arrives: give it the files; it leaves: they may come back. */
static int rvhv_hgei_module_event(struct notifier_block *nb,
				  unsigned long state, void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm"))
		return NOTIFY_DONE;
	mutex_lock(&rvhv_hgei.lock);
	if (state == MODULE_STATE_COMING) {
		rvhv_hgei.kvm = true;
		rvhv_hgei_give_back();
	} else if (state == MODULE_STATE_GOING) {
		rvhv_hgei.kvm = false;
		rvhv_hgei_take();
	}
	mutex_unlock(&rvhv_hgei.lock);
	return NOTIFY_OK;
}

/* debugfs rvhv/hgei: what rvhv holds, files in use per CPU, counters. */
void rvhv_hwfile_show(struct seq_file *m)
{
	struct rvhv_hgei_cpu *hc;
	unsigned long flags;
	unsigned int cpu, used, i;

	seq_printf(m, "files: %u\nheld: %d\nkvm: %d\nusers: %u\nmoves: %ld\nsgei: %ld\n",
		   rvhv_hgei.nr_files, READ_ONCE(rvhv_hgei.held),
		   READ_ONCE(rvhv_hgei.kvm), READ_ONCE(rvhv_hgei.users),
		   atomic_long_read(&rvhv_hgei.moves),
		   atomic_long_read(&rvhv_hgei.sgei));
	for_each_online_cpu(cpu) {
		hc = per_cpu_ptr(&rvhv_hgei_cpu, cpu);
		used = 0;
		raw_spin_lock_irqsave(&hc->lock, flags);
		for (i = 1; i < BITS_PER_LONG; i++)
			used += !!hc->owner[i];
		raw_spin_unlock_irqrestore(&hc->lock, flags);
		seq_printf(m, "cpu%u: %u\n", cpu, used);
	}
}

int rvhv_hwfile_module_init(void)
{
	const struct imsic_global_config *gc;
	unsigned long flags, old, geilen;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		raw_spin_lock_init(&per_cpu_ptr(&rvhv_hgei_cpu, cpu)->lock);
	if (!rvhv_host.ssaia)
		return 0;
	gc = imsic_get_global_config();
	if (!gc)
		return 0;
	/* GEILEN: the writable bits of hgeie (kvm.ko's may be set). */
	local_irq_save(flags);
	old = csr_read(CSR_HGEIE);
	csr_write(CSR_HGEIE, -1UL);
	geilen = fls_long(csr_read(CSR_HGEIE));
	csr_write(CSR_HGEIE, old);
	local_irq_restore(flags);
	if (geilen)
		geilen--;
	rvhv_hgei.nr_files = min(geilen, BIT(gc->guest_index_bits) - 1);
	if (!rvhv_hgei.nr_files)
		return 0;
	rvhv_hgei.gc = gc;
	rvhv_hgei.nr_eix = DIV_ROUND_UP(gc->nr_guest_ids + 1, 64);
	rvhv_hgei.nb.notifier_call = rvhv_hgei_module_event;
	return register_module_notifier(&rvhv_hgei.nb);
}

void rvhv_hwfile_module_exit(void)
{
	if (!rvhv_hgei.nr_files)
		return;
	unregister_module_notifier(&rvhv_hgei.nb);
	/* Every VM is gone (they hold the module): nothing is held. */
	WARN_ON(rvhv_hgei.users || rvhv_hgei.held);
}
