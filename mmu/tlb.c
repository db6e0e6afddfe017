// SPDX-License-Identifier: GPL-2.0
/*
 * Who may hold a VM's translations in which host CPU's TLB, and the
 * flushes that keep every TLB honest.
 *
 * TLB entries are tagged with hgatp.VMID: G-stage entries (guest physical
 * to host physical) and VS-stage entries (guest virtual to guest physical,
 * also per guest ASID).  HFENCE.GVMA flushes only the former; HFENCE.VVMA
 * only the latter, and only for the VMID hgatp holds when it runs.  The
 * rules, for a vCPU of VM V on host CPU C:
 *
 * 1. Other hypervisors.  rvhv records per CPU the hgatp it last left
 *    there (0 after vcpu_put).  If hgatp holds anything else when rvhv
 *    next loads a vCPU there, someone else (kvm.ko) may have run a guest
 *    on C, tagging entries with VMIDs rvhv also hands out: rvhv flushes
 *    every G-stage entry (HFENCE.GVMA all) and advances C's epoch, so that
 *    each VM flushes its VMID's VS-stage entries on C before it runs there
 *    again (rule 2).  The other way round, kvm.ko flushes nothing when
 *    it switches from rvhv's guests to its own on a CPU, so while kvm.ko
 *    is loaded rvhv flushes the VM's VMID (both stages) at every
 *    vcpu_put, and when kvm.ko is loaded, before its init runs, every CPU
 *    flushes every VMID rvhv may have used.  One VM each is enough for
 *    both to use VMID 1 at once.
 *
 * 2. A VMID's previous owners.  Before V uses VMID word W (VMID and
 *    generation) on C for the first time, or after C's epoch advanced,
 *    V flushes W's VMID on C, both stages.  A rollover flushed every
 *    G-stage entry, but VS-stage entries of the VMID's old owner survive.
 *    Without VMID bits (all VMs use VMID 0) every vcpu_load flushes all.
 *
 * 3. Remote fences (SBI RFENCE, G-stage unmaps).  The CPUs where a vCPU of
 *    V is loaded (V->tlb_loaded) get an IPI and fence V's live VMID at
 *    once; every other CPU is marked stale in V->tlb_stale and flushes V's
 *    VMID (both stages, and its instruction cache) before it next runs V.
 *    Nobody else is disturbed.  Ordering: vcpu_load sets its bit in
 *    tlb_loaded, then a full barrier, then reads tlb_stale; a fence
 *    snapshots tlb_loaded, sets the other CPUs' stale bits, a full
 *    barrier, then takes tlb_loaded again and IPIs the union.  A CPU that
 *    loads concurrently is seen by one side or the other.  The IPI
 *    handler fences the VMID hgatp holds if V is live there, and marks its
 *    CPU stale if V went away meanwhile.
 *
 * 4. vCPUs of one VM share the VMID.  C's TLB may hold VS-stage entries
 *    of the last vCPU of V that ran on C only: when another vCPU of V, or
 *    a vCPU that ran elsewhere since (whose guest may have fenced there),
 *    is loaded on C, C flushes V's VS-stage entries first.
 *
 * 5. Exit handlers.  vcpu_load writes V's VMID only if it is of the
 *    current generation (else 0); the guest entry and every HLV/HLVX take
 *    a current VMID first and apply rules 2 and 4, with interrupts off.
 *
 * With the module parameter debug_checks, every guest entry and every
 * HLV/HLVX checks that hgatp holds V's current VMID and that rules 1, 2
 * and 4 held here (a WARN_ONCE if not).
 */
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <asm/cacheflush.h>
#include <asm/csr.h>
#include <asm/insn-def.h>

#include "mmu_int.h"
#include "../observe/trace.h"

bool rvhv_debug_checks;
module_param_named(debug_checks, rvhv_debug_checks, bool, 0644);
MODULE_PARM_DESC(debug_checks,
		 "Check the VMID and TLB ownership rules on every guest entry and HLV (WARN_ONCE)");


/**
 * struct rvhv_tlb_cpu - what rvhv knows of one host CPU's hgatp and TLB
 * @hgatp: the value rvhv last left in hgatp here; -1UL (which hgatp cannot
 *	hold) until rvhv first writes it, so that the first vcpu_load treats
 *	the CPU as used by someone else
 * @epoch: advanced each time rvhv found hgatp changed behind its back
 *	and flushed every G-stage entry here (rule 1)
 * @stat: counters for debugfs
 * @stat.foreign: rule 1 finds (hgatp changed behind rvhv's back)
 * @stat.vmid_flushes: rule 2 flushes (and every load without VMID bits)
 * @stat.stale_flushes: rule 3 flushes at load
 * @stat.vcpu_flushes: rule 4 flushes
 * @stat.put_flushes: flushes at vcpu_put while kvm.ko is loaded
 * @stat.sweeps: full sweeps when kvm.ko was loaded
 *
 * Only touched on its own CPU with interrupts disabled (debugfs reads it
 * racily).
 */
struct rvhv_tlb_cpu {
	unsigned long hgatp;
	u64 epoch;
	struct {
		u64 foreign;
		u64 vmid_flushes;
		u64 stale_flushes;
		u64 vcpu_flushes;
		u64 put_flushes;
		u64 sweeps;
	} stat;
};

static DEFINE_PER_CPU(struct rvhv_tlb_cpu, rvhv_tlb_cpu) = {
	.hgatp = -1UL,
};

/*
 * Another hypervisor (kvm.ko) may run guests on this machine's CPUs: set
 * from rvhv's load, or when kvm.ko is loaded and before its init runs,
 * cleared when it is unloaded (module notifier).  READ_ONCE/WRITE_ONCE.
 */
static bool rvhv_tlb_foreign;

/* The fences themselves, on this CPU; hgatp holds the VMID to fence. */
static inline void rvhv_hfence_gvma_all(void)
{
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
}

/* HFENCE's operands are pinned to a0/a1 to name them in the macros. */
static inline void rvhv_hfence_gvma_vmid(unsigned long id)
{
	register unsigned long vmid asm("a1") = id;

	asm volatile(HFENCE_GVMA(zero, a1) : : "r" (vmid) : "memory");
}

static inline void rvhv_hfence_gvma_gpa(u64 gpa, unsigned long id)
{
	register unsigned long vmid asm("a1") = id;
	register unsigned long addr asm("a0") = gpa >> 2;

	asm volatile(HFENCE_GVMA(a0, a1) : : "r" (addr), "r" (vmid)
		     : "memory");
}

static inline void rvhv_hfence_vvma_all(void)
{
	asm volatile(HFENCE_VVMA(zero, zero) : : : "memory");
}

static inline unsigned long rvhv_hgatp_vmid(unsigned long hgatp)
{
	return (hgatp & HGATP_VMID) >> HGATP_VMID_SHIFT;
}

/* Is @vm the guest hgatp holds on this CPU (its root page table)? */
static inline bool rvhv_tlb_live(struct rvhv_vm *vm, unsigned long hgatp)
{
	return hgatp && (hgatp & HGATP_PPN) == rvhv_mmu_root_ppn(vm);
}

/* Both stages of the VMID hgatp holds (every VMID without VMID bits). */
static void rvhv_flush_live_vmid(unsigned long hgatp)
{
	if (rvhv_host.feat.vmid_bits_used)
		rvhv_hfence_gvma_vmid(rvhv_hgatp_vmid(hgatp));
	else
		rvhv_hfence_gvma_all();
	rvhv_hfence_vvma_all();
}

/* Mark this CPU stale for @vm: it flushes before it next runs @vm. */
static void rvhv_tlb_mark_stale_here(struct rvhv_vm *vm)
{
	int cpu = smp_processor_id();

	if (!cpumask_test_cpu(cpu, &vm->tlb_stale))
		cpumask_set_cpu(cpu, &vm->tlb_stale);
}

void rvhv_tlb_sync(struct rvhv_vcpu *vcpu, u64 word)
{
	struct rvhv_tlb_cpu *pc = this_cpu_ptr(&rvhv_tlb_cpu);
	struct rvhv_vm *vm = vcpu->vm;
	struct rvhv_vm_tlb *vt = this_cpu_ptr(vm->tlb);
	int cpu = smp_processor_id();
	unsigned long hgatp = 0, cur;
	bool full, moved;

	lockdep_assert_irqs_disabled();
	/*
	 * Not rvhv_vmid_current() again: a rollover may have advanced the
	 * generation since the caller looked, but cannot finish (and hand
	 * this VMID to another VM) before interrupts are back on here.
	 */
	if (word)
		hgatp = rvhv_vm_hgatp(vm, word);

	/* Rule 1: hgatp changed behind our back. */
	cur = csr_read(CSR_HGATP);
	if (unlikely(cur != pc->hgatp)) {
		rvhv_hfence_gvma_all();
		pc->epoch++;
		pc->stat.foreign++;
	}
	if (cur != hgatp)
		csr_write(CSR_HGATP, hgatp);
	pc->hgatp = hgatp;
	vcpu->hgatp = hgatp;
	vcpu->vmid_word = word;
	/* Rule 5: a VMID of an old generation is never live. */
	if (!hgatp)
		return;

	/* Rules 2 and 3: both stages of the VMID, and the icache. */
	full = !rvhv_host.feat.vmid_bits_used || vt->word != word ||
	       vt->epoch != pc->epoch;
	if (full)
		pc->stat.vmid_flushes++;
	/* Ordered after the set in rvhv_tlb_load() by its barrier. */
	if (cpumask_test_cpu(cpu, &vm->tlb_stale) &&
	    cpumask_test_and_clear_cpu(cpu, &vm->tlb_stale)) {
		full = true;
		pc->stat.stale_flushes++;
	}
	moved = vcpu->last_cpu != cpu;
	if (full) {
		trace_rvhv_fence_local(vm, RVHV_TRACE_FENCE_VMID, -1ULL, false);
		rvhv_flush_live_vmid(hgatp);
		local_flush_icache_all();
		vt->word = word;
		vt->epoch = pc->epoch;
	} else if (moved || vt->last_vcpu != vcpu->id) {
		/* Rule 4. */
		trace_rvhv_fence_local(vm, RVHV_FENCE_VVMA |
				       (moved ? RVHV_FENCE_I : 0), -1ULL, false);
		rvhv_hfence_vvma_all();
		/* Code the guest wrote and fenced on another hart. */
		if (moved)
			local_flush_icache_all();
		pc->stat.vcpu_flushes++;
	}
	vt->last_vcpu = vcpu->id;
	vcpu->last_cpu = cpu;
}

void rvhv_tlb_load(struct rvhv_vcpu *vcpu, int cpu)
{
	struct rvhv_vm *vm = vcpu->vm;
	unsigned long flags;
	u64 word;

	cpumask_set_cpu(cpu, &vm->tlb_loaded);
	/* Pairs with the barrier in rvhv_tlb_fence_vm() (rule 3). */
	smp_mb__after_atomic();
	local_irq_save(flags);
	/* Rule 5: only a VMID of the current generation is loaded. */
	word = READ_ONCE(vm->vmid.word);
	rvhv_tlb_sync(vcpu, rvhv_vmid_current(word) ? word : 0);
	local_irq_restore(flags);
}

void rvhv_tlb_put(struct rvhv_vcpu *vcpu)
{
	struct rvhv_tlb_cpu *pc = this_cpu_ptr(&rvhv_tlb_cpu);
	struct rvhv_vm *vm = vcpu->vm;
	unsigned long flags;

	local_irq_save(flags);
	/*
	 * Rule 1: kvm.ko's guests would use what this VMID left here
	 * (kvm.ko flushes only when its own vCPUs change CPU).
	 */
	if (vcpu->hgatp && READ_ONCE(rvhv_tlb_foreign)) {
		rvhv_flush_live_vmid(vcpu->hgatp);
		pc->stat.put_flushes++;
	}
	csr_write(CSR_HGATP, 0);
	pc->hgatp = 0;
	vcpu->hgatp = 0;
	vcpu->vmid_word = 0;
	cpumask_clear_cpu(smp_processor_id(), &vm->tlb_loaded);
	local_irq_restore(flags);
}

void rvhv_tlb_hlv_begin(struct rvhv_vcpu *vcpu, unsigned long *flags)
{
	struct rvhv_vm *vm = vcpu->vm;
	u64 word;

	for (;;) {
		rvhv_vmid_update(&vm->vmid);
		local_irq_save(*flags);
		word = READ_ONCE(vm->vmid.word);
		if (rvhv_vmid_current(word))
			break;
		/* A rollover got in between: take a new VMID again. */
		local_irq_restore(*flags);
	}
	if (unlikely(vcpu->vmid_word != word))
		rvhv_tlb_sync(vcpu, word);
	rvhv_tlb_check(vcpu, "HLV");
}

void rvhv_tlb_check(struct rvhv_vcpu *vcpu, const char *where)
{
	struct rvhv_tlb_cpu *pc;
	struct rvhv_vm *vm = vcpu->vm;
	struct rvhv_vm_tlb *vt;
	unsigned long hgatp, want;
	int cpu;
	u64 word;

	if (!READ_ONCE(rvhv_debug_checks))
		return;
	lockdep_assert_irqs_disabled();
	pc = this_cpu_ptr(&rvhv_tlb_cpu);
	vt = this_cpu_ptr(vm->tlb);
	cpu = smp_processor_id();
	word = READ_ONCE(vm->vmid.word);
	hgatp = csr_read(CSR_HGATP);
	want = rvhv_vm_hgatp(vm, word);

	WARN_ONCE(!rvhv_vmid_usable(word),
		  "rvhv: %s: VMID %lu is of generation %llu, the current one is %llu\n",
		  where, rvhv_vmid_of(word), rvhv_vmid_gen_of(word),
		  rvhv_vmid_generation());
	WARN_ONCE(hgatp != want || vcpu->vmid_word != word,
		  "rvhv: %s: hgatp %#lx (word %#llx), the VM's is %#lx (word %#llx)\n",
		  where, hgatp, vcpu->vmid_word, want, word);
	WARN_ONCE(hgatp != pc->hgatp || vcpu->hgatp != hgatp,
		  "rvhv: %s: hgatp %#lx, rvhv left %#lx here, the vCPU %#lx\n",
		  where, hgatp, pc->hgatp, vcpu->hgatp);
	WARN_ONCE(rvhv_host.feat.vmid_bits_used &&
		  (vt->word != word || vt->epoch != pc->epoch),
		  "rvhv: %s: cpu%d: VMID word %#llx epoch %llu not flushed here (flushed %#llx epoch %llu)\n",
		  where, cpu, word, pc->epoch, vt->word, vt->epoch);
	WARN_ONCE(vt->last_vcpu != vcpu->id || vcpu->last_cpu != cpu,
		  "rvhv: %s: cpu%d: vCPU %u runs where the TLB is vCPU %d's (its last CPU %d)\n",
		  where, cpu, vcpu->id, vt->last_vcpu, vcpu->last_cpu);
	WARN_ONCE(!cpumask_test_cpu(cpu, &vm->tlb_loaded),
		  "rvhv: %s: cpu%d not in the VM's loaded mask\n", where, cpu);
}

/* Fence @f here if @vm is live, else leave it to the next load (rule 3). */
static void rvhv_tlb_fence_local(struct rvhv_vm *vm,
				 const struct rvhv_fence *f)
{
	/* Fixed registers: checkpatch cannot parse "%0" in the macros. */
	register unsigned long va asm("a0");
	register unsigned long asid asm("a1") = f->asid;
	unsigned long hgatp = csr_read(CSR_HGATP), pages;

	if (!rvhv_tlb_live(vm, hgatp)) {
		rvhv_tlb_mark_stale_here(vm);
		return;
	}
	if (f->ops & RVHV_FENCE_I)
		local_flush_icache_all();
	if (f->ops & RVHV_FENCE_GVMA) {
		if (rvhv_host.feat.vmid_bits_used)
			rvhv_hfence_gvma_vmid(rvhv_hgatp_vmid(hgatp));
		else
			rvhv_hfence_gvma_all();
	}
	if (!(f->ops & RVHV_FENCE_VVMA))
		return;
	/* hgatp holds the VM's VMID: HFENCE.VVMA applies to it. */
	if (f->size == -1UL || f->size > RVHV_FENCE_MAX_PAGES * PAGE_SIZE) {
		if (f->use_asid)
			asm volatile(HFENCE_VVMA(zero, a1)
				     : : "r" (asid) : "memory");
		else
			asm volatile(HFENCE_VVMA(zero, zero) : : : "memory");
		return;
	}
	/*
	 * Count the pages: the range may end in the last page of the
	 * address space, where "va < end" would hold again after va wraps
	 * to 0 (2^52 fences with interrupts off).  rvhv_fence_range() left
	 * no range that wraps itself.
	 */
	if (!f->size)
		return;
	pages = ((f->start + f->size - 1) >> PAGE_SHIFT) -
		(f->start >> PAGE_SHIFT) + 1;
	for (va = f->start & PAGE_MASK; pages; pages--, va += PAGE_SIZE) {
		if (f->use_asid)
			asm volatile(HFENCE_VVMA(a0, a1)
				     : : "r" (va), "r" (asid) : "memory");
		else
			asm volatile(HFENCE_VVMA(a0, zero)
				     : : "r" (va) : "memory");
	}
}

struct rvhv_tlb_fence_arg {
	struct rvhv_vm *vm;
	const struct rvhv_fence *f;
};

static void rvhv_tlb_fence_ipi(void *data)
{
	struct rvhv_tlb_fence_arg *a = data;

	rvhv_tlb_fence_local(a->vm, a->f);
}

void rvhv_tlb_fence_vm(struct rvhv_vm *vm, const struct rvhv_fence *f)
{
	struct rvhv_tlb_fence_arg a = { .vm = vm, .f = f };
	cpumask_var_t ipi;
	unsigned int cpu, n;
	int me;

	if (!f->ops)
		return;
	if ((f->ops & RVHV_FENCE_VVMA) &&
	    (f->size == -1UL || f->size > RVHV_FENCE_MAX_PAGES * PAGE_SIZE))
		atomic64_inc(&vm->stat.fence_full);
	if (!zalloc_cpumask_var(&ipi, GFP_ATOMIC)) {
		/* No memory for a mask: fence everywhere. */
		trace_rvhv_fence(vm, f, cpu_online_mask);
		on_each_cpu(rvhv_tlb_fence_ipi, &a, 1);
		atomic64_inc(&vm->stat.fences);
		atomic64_add(num_online_cpus() - 1, &vm->stat.fence_ipis);
		return;
	}
	/* What the caller changed (PTEs, guest memory) before the masks. */
	smp_mb();
	cpumask_copy(ipi, &vm->tlb_loaded);
	for_each_possible_cpu(cpu) {
		if (!cpumask_test_cpu(cpu, ipi) &&
		    !cpumask_test_cpu(cpu, &vm->tlb_stale))
			cpumask_set_cpu(cpu, &vm->tlb_stale);
	}
	/* Pairs with the barrier in rvhv_tlb_load() (rule 3). */
	smp_mb();
	cpumask_or(ipi, ipi, &vm->tlb_loaded);

	me = get_cpu();
	n = cpumask_weight(ipi) - cpumask_test_cpu(me, ipi);
	trace_rvhv_fence(vm, f, ipi);
	on_each_cpu_mask(ipi, rvhv_tlb_fence_ipi, &a, 1);
	put_cpu();
	atomic64_inc(&vm->stat.fences);
	atomic64_add(n, &vm->stat.fence_ipis);
	free_cpumask_var(ipi);
}

void rvhv_tlb_gvma_local(struct rvhv_vm *vm, u64 gpa)
{
	unsigned long hgatp = csr_read(CSR_HGATP);

	if (!rvhv_tlb_live(vm, hgatp)) {
		trace_rvhv_fence_local(vm, RVHV_FENCE_GVMA, gpa, true);
		rvhv_tlb_mark_stale_here(vm);
		return;
	}
	trace_rvhv_fence_local(vm, RVHV_FENCE_GVMA, gpa, false);
	rvhv_hfence_gvma_gpa(gpa, rvhv_hgatp_vmid(hgatp));
}

/*
 * Rule 1, kvm.ko arriving: nothing rvhv left in any TLB may survive into
 * kvm.ko's guests.  Every G-stage entry, and the VS-stage entries of every
 * VMID rvhv has handed out.  hgatp is put back as it was.
 */
static void rvhv_tlb_sweep(void *unused)
{
	unsigned long old = csr_read(CSR_HGATP), hwm = rvhv_vmid_hwm(), vmid;
	unsigned long mode = rvhv_host.hgatp_mode << HGATP_MODE_SHIFT;

	for (vmid = 0; vmid <= hwm; vmid++) {
		csr_write(CSR_HGATP,
			  mode | ((vmid << HGATP_VMID_SHIFT) & HGATP_VMID));
		rvhv_hfence_vvma_all();
	}
	csr_write(CSR_HGATP, old);
	rvhv_hfence_gvma_all();
	this_cpu_inc(rvhv_tlb_cpu.stat.sweeps);
}

static int rvhv_tlb_module_notify(struct notifier_block *nb,
				  unsigned long action, void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm"))
		return NOTIFY_DONE;
	if (action == MODULE_STATE_COMING) {
		/* Before kvm.ko's init: no guest of its has run yet. */
		WRITE_ONCE(rvhv_tlb_foreign, true);
		on_each_cpu(rvhv_tlb_sweep, NULL, 1);
	} else if (action == MODULE_STATE_GOING) {
		/* What it left is caught by hgatp at the next load. */
		WRITE_ONCE(rvhv_tlb_foreign, false);
	}
	return NOTIFY_DONE;
}

static struct notifier_block rvhv_tlb_module_nb = {
	.notifier_call = rvhv_tlb_module_notify,
};

/* Is kvm.ko (or a built-in KVM) there? */
static bool rvhv_kvm_present(void)
{
	void *sym = __symbol_get("kvm_rebooting");

	if (!sym)
		return false;
	__symbol_put("kvm_rebooting");
	return true;
}

int rvhv_tlb_init(void)
{
	int ret = register_module_notifier(&rvhv_tlb_module_nb);

	if (ret)
		return ret;
	/*
	 * After registering: a kvm.ko arriving now is seen by one or both.
	 * Its guests may have run already: rvhv has left nothing yet, and
	 * the first vcpu_load on each CPU finds hgatp foreign (-1UL).
	 */
	if (rvhv_kvm_present())
		WRITE_ONCE(rvhv_tlb_foreign, true);
	return 0;
}

void rvhv_tlb_exit(void)
{
	unregister_module_notifier(&rvhv_tlb_module_nb);
}

void rvhv_tlb_cpu_online(void)
{
	/* Whatever ran here while offline: treat it as foreign. */
	this_cpu_write(rvhv_tlb_cpu.hgatp, -1UL);
}

int rvhv_tlb_vm_init(struct rvhv_vm *vm)
{
	int cpu;

	vm->tlb = alloc_percpu(struct rvhv_vm_tlb);
	if (!vm->tlb)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		per_cpu_ptr(vm->tlb, cpu)->last_vcpu = -1;
	return 0;
}

void rvhv_tlb_vm_free(struct rvhv_vm *vm)
{
	free_percpu(vm->tlb);
	vm->tlb = NULL;
}

/* debugfs "tlb": the rules' counters, per CPU. */
void rvhv_tlb_show(struct seq_file *m)
{
	struct rvhv_tlb_cpu *pc;
	int cpu;

	seq_printf(m, "foreign_hypervisor: %d\ndebug_checks: %d\n",
		   READ_ONCE(rvhv_tlb_foreign), READ_ONCE(rvhv_debug_checks));
	for_each_possible_cpu(cpu) {
		pc = per_cpu_ptr(&rvhv_tlb_cpu, cpu);
		seq_printf(m, "cpu%d epoch=%llu foreign=%llu vmid_flushes=%llu stale_flushes=%llu vcpu_flushes=%llu put_flushes=%llu sweeps=%llu\n",
			   cpu, READ_ONCE(pc->epoch),
			   READ_ONCE(pc->stat.foreign),
			   READ_ONCE(pc->stat.vmid_flushes),
			   READ_ONCE(pc->stat.stale_flushes),
			   READ_ONCE(pc->stat.vcpu_flushes),
			   READ_ONCE(pc->stat.put_flushes),
			   READ_ONCE(pc->stat.sweeps));
	}
}
