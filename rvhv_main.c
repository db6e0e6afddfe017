// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: a KVM-class hypervisor for RISC-V hosts with the H extension.
 *
 * Module init and exit, host feature detection, /dev/rvhv and its system
 * ioctls, and the per-CPU hypervisor set-up.
 */
#define pr_fmt(fmt) "rvhv: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/asm-extable.h>
#include <asm/csr.h>
#include <asm/hwcap.h>
#include <asm/insn-def.h>

#include "rvhv_int.h"
#include "host_isa.h"

struct rvhv_host rvhv_host __ro_after_init;

static bool debug_no_envcfg;
module_param(debug_no_envcfg, bool, 0444);
MODULE_PARM_DESC(debug_no_envcfg,
		 "act as on a hart without henvcfg/senvcfg (privileged spec 1.11), for testing");

/**
 * struct rvhv_cpu - per-CPU hypervisor state of this hart
 * @enabled: rvhv's set-up is in place on this hart
 * @saved_hedeleg: hedeleg found when rvhv set the hart up
 * @saved_hideleg: hideleg found then
 * @saved_hcounteren: hcounteren found then
 * @saved_henvcfg: henvcfg found then
 * @saved_hstateen0: hstateen0 found then (Smstateen hosts)
 *
 * Only touched on its own CPU, by the hotplug callbacks (which run there
 * with preemption disabled), or read by debugfs through an IPI to that CPU.
 *
 * kvm.ko programs the same CSRs.  rvhv puts back what it found when it
 * leaves a hart, but only where the CSR still holds rvhv's value: if
 * kvm.ko was loaded later and wrote its own, that stays.
 */
struct rvhv_cpu {
	bool enabled;
	unsigned long saved_hedeleg;
	unsigned long saved_hideleg;
	unsigned long saved_hcounteren;
	unsigned long saved_henvcfg;
	unsigned long saved_hstateen0;
};

static DEFINE_PER_CPU(struct rvhv_cpu, rvhv_cpu);
static enum cpuhp_state rvhv_cpuhp_state;
static struct dentry *rvhv_debugfs;

static int rvhv_cpu_online(unsigned int cpu)
{
	struct rvhv_cpu *c = per_cpu_ptr(&rvhv_cpu, cpu);

	c->saved_hedeleg = csr_read(CSR_HEDELEG);
	c->saved_hideleg = csr_read(CSR_HIDELEG);
	c->saved_hcounteren = csr_read(CSR_HCOUNTEREN);
	if (rvhv_host.envcfg)
		c->saved_henvcfg = csr_swap(CSR_HENVCFG, 0);

	rvhv_write_delegation();
	csr_write(CSR_HVIP, 0);
	/*
	 * Smstateen: nothing granted until a vCPU loads its own hstateen0.
	 * hstateen1..3 are left alone: HS-mode may access them only where
	 * the firmware set bit 63 of mstateen1..3, which OpenSBI (1.6) does
	 * not (an access is an illegal instruction), and they control no
	 * state yet; kvm.ko does not touch them either.
	 */
	if (rvhv_host.smstateen)
		c->saved_hstateen0 = csr_swap(CSR_HSTATEEN0, 0);
	rvhv_tlb_cpu_online();
	c->enabled = true;
	rvhv_hwfile_cpu_online();
	return 0;
}

/* Put back what was found, unless someone else has written since. */
#define rvhv_restore_csr(csr, ours, saved)		\
	do {						\
		if (csr_read(csr) == (ours))		\
			csr_write(csr, saved);		\
	} while (0)

/*
 * Is kvm.ko loaded?  It is the one other user of these CSRs, and it sets
 * them up once per hart and never again.  rvhv's delegation is the same as
 * kvm.ko's, so where kvm.ko is live rvhv leaves a hart's CSRs as they are.
 */
static bool rvhv_kvm_loaded(void)
{
	void *sym = __symbol_get("kvm_rebooting");

	if (!sym)
		return false;
	__symbol_put("kvm_rebooting");
	return true;
}

static int rvhv_cpu_offline(unsigned int cpu)
{
	struct rvhv_cpu *c = per_cpu_ptr(&rvhv_cpu, cpu);

	if (!c->enabled)
		return 0;
	c->enabled = false;
	rvhv_hwfile_cpu_offline();
	if (rvhv_kvm_loaded())
		return 0;
	/*
	 * No VS interrupt may be left pending and enabled when hideleg
	 * changes, or the host would take it as a spurious interrupt.
	 */
	csr_write(CSR_VSIE, 0);
	csr_write(CSR_HVIP, 0);
	rvhv_restore_csr(CSR_HEDELEG, RVHV_HEDELEG, c->saved_hedeleg);
	rvhv_restore_csr(CSR_HIDELEG, RVHV_HIDELEG, c->saved_hideleg);
	rvhv_restore_csr(CSR_HCOUNTEREN, RVHV_HCOUNTEREN, c->saved_hcounteren);
	if (rvhv_host.envcfg)
		rvhv_restore_csr(CSR_HENVCFG, 0, c->saved_henvcfg);
	if (rvhv_host.smstateen)
		rvhv_restore_csr(CSR_HSTATEEN0, 0, c->saved_hstateen0);
	return 0;
}

/* Which G-stage modes does hgatp take?  Runs once, on one hart. */
static void rvhv_detect_gstage(void)
{
	static const struct {
		unsigned long mode;
		u32 gpa_bits;
	} modes[] = {
		{ HGATP_MODE_SV39X4, 41 },
		{ HGATP_MODE_SV48X4, 50 },
		{ HGATP_MODE_SV57X4, 59 },
	};
	unsigned long old;
	int i;

	preempt_disable();
	old = csr_read(CSR_HGATP);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		csr_write(CSR_HGATP, modes[i].mode << HGATP_MODE_SHIFT);
		if ((csr_read(CSR_HGATP) >> HGATP_MODE_SHIFT) != modes[i].mode)
			continue;
		rvhv_host.feat.gstage_modes |= BIT(modes[i].mode);
		rvhv_host.hgatp_mode = modes[i].mode;
		rvhv_host.feat.gstage_mode = modes[i].mode;
		rvhv_host.feat.gpa_bits = modes[i].gpa_bits;
	}
	csr_write(CSR_HGATP, old);
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
	preempt_enable();
}

/*
 * Does this hart have henvcfg (privileged spec 1.12, which brought senvcfg
 * with it)?  On a 1.11 hart the read is an illegal instruction, which the
 * exception table turns into a jump past the "yes".
 */
static bool rvhv_probe_henvcfg(void)
{
	unsigned long yes, tmp;

	asm volatile("	li	%0, 0\n"
		     "1:	csrr	%1, %2\n"
		     "	li	%0, 1\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : "=&r"(yes), "=&r"(tmp)
		     : "i"(CSR_HENVCFG)
		     : "memory");
	return yes;
}

static int rvhv_detect(void)
{
	if (!riscv_isa_extension_available(NULL, h)) {
		pr_err("the CPU has no hypervisor (H) extension; not loading\n");
		return -ENODEV;
	}
	rvhv_host.feat.flags |= RVHV_HOST_H;
	if (rvhv_probe_henvcfg()) {
		rvhv_host.debug_no_envcfg = debug_no_envcfg;
		rvhv_host.envcfg = !debug_no_envcfg;
	}
	if (rvhv_host.envcfg)
		rvhv_host.feat.flags |= RVHV_HOST_ENVCFG;
	if (riscv_isa_extension_available(NULL, SSTC))
		rvhv_host.feat.flags |= RVHV_HOST_SSTC;
	if (riscv_isa_extension_available(NULL, SVPBMT))
		rvhv_host.feat.flags |= RVHV_HOST_SVPBMT;
	if (riscv_isa_extension_available(NULL, SMSTATEEN)) {
		rvhv_host.feat.flags |= RVHV_HOST_SMSTATEEN;
		rvhv_host.smstateen = true;
	}
	if (riscv_isa_extension_available(NULL, SxAIA)) {
		rvhv_host.feat.flags |= RVHV_HOST_SSAIA;
		rvhv_host.ssaia = true;
	}
	/* What the kernel does not know: from the device tree (host_isa.c). */
	rvhv_host_isa_detect();

	rvhv_detect_gstage();
	if (!rvhv_host.feat.gstage_modes) {
		pr_err("hgatp accepts none of Sv39x4/Sv48x4/Sv57x4; not loading\n");
		return -ENODEV;
	}
	rvhv_vmid_detect();
	rvhv_vmid_init();
	rvhv_timer_setup();
	return 0;
}

static const char *rvhv_mode_name(u32 mode)
{
	switch (mode) {
	case HGATP_MODE_SV39X4:
		return "sv39x4";
	case HGATP_MODE_SV48X4:
		return "sv48x4";
	case HGATP_MODE_SV57X4:
		return "sv57x4";
	}
	return "?";
}

static void rvhv_show_features(struct seq_file *m)
{
	const struct rvhv_host_features *f = &rvhv_host.feat;
	u32 mode;

	seq_printf(m, "extensions: h%s%s%s%s%s\n",
		   f->flags & RVHV_HOST_ENVCFG ? " envcfg" : "",
		   f->flags & RVHV_HOST_SSTC ? " sstc" : "",
		   f->flags & RVHV_HOST_SVPBMT ? " svpbmt" : "",
		   f->flags & RVHV_HOST_SMSTATEEN ? " smstateen" : "",
		   f->flags & RVHV_HOST_SSAIA ? " ssaia" : "");
	seq_puts(m, "gstage_modes:");
	for (mode = HGATP_MODE_SV39X4; mode <= HGATP_MODE_SV57X4; mode++)
		if (f->gstage_modes & BIT(mode))
			seq_printf(m, " %s", rvhv_mode_name(mode));
	seq_printf(m, "\ngstage_mode: %s\ngpa_bits: %u\n",
		   rvhv_mode_name(f->gstage_mode), f->gpa_bits);
	seq_printf(m, "vmid_bits: %u\nvmid_bits_used: %u\n",
		   f->vmid_bits, f->vmid_bits_used);
	rvhv_host_isa_show(m);
}

static int rvhv_features_show(struct seq_file *m, void *unused)
{
	rvhv_show_features(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvhv_features);

struct rvhv_cpu_csrs {
	struct rvhv_cpu c;
	unsigned long hedeleg, hideleg, hcounteren, henvcfg, senvcfg;
};

static void rvhv_read_cpu_csrs(void *arg)
{
	struct rvhv_cpu_csrs *r = arg;

	r->c = *this_cpu_ptr(&rvhv_cpu);
	r->hedeleg = csr_read(CSR_HEDELEG);
	r->hideleg = csr_read(CSR_HIDELEG);
	r->hcounteren = csr_read(CSR_HCOUNTEREN);
	r->henvcfg = rvhv_host.envcfg ? csr_read(CSR_HENVCFG) : 0;
	/* debug_no_envcfg: the hart has it; the test checks it is the host's */
	r->senvcfg = rvhv_host.envcfg || rvhv_host.debug_no_envcfg ?
		     csr_read(CSR_SENVCFG) : 0;
}

/* One line per online hart: rvhv's state and the CSRs as they are now. */
static int rvhv_cpus_show(struct seq_file *m, void *unused)
{
	struct rvhv_cpu_csrs r;
	unsigned int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (smp_call_function_single(cpu, rvhv_read_cpu_csrs, &r, 1))
			continue;
		seq_printf(m, "cpu%u enabled=%d hedeleg=%#lx hideleg=%#lx hcounteren=%#lx henvcfg=%#lx senvcfg=%#lx saved_hedeleg=%#lx saved_hideleg=%#lx\n",
			   cpu, r.c.enabled, r.hedeleg, r.hideleg,
			   r.hcounteren, r.henvcfg, r.senvcfg,
			   r.c.saved_hedeleg, r.c.saved_hideleg);
	}
	cpus_read_unlock();
	seq_printf(m, "expected hedeleg=%#lx hideleg=%#lx hcounteren=%#lx\n",
		   (unsigned long)RVHV_HEDELEG, (unsigned long)RVHV_HIDELEG,
		   (unsigned long)RVHV_HCOUNTEREN);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvhv_cpus);

/*
 * The VMs, their VMIDs and the allocator generation, each VM's statistics
 * (its stats fd's: what its remote fences cost, stats/stats.h), and how
 * many irqfds each has.  Each vCPU's are in rvhv/vcpus (stats/stats.c).
 */
static int rvhv_vms_show(struct seq_file *m, void *unused)
{
	struct rvhv_vm *vm;
	u64 word;

	seq_printf(m, "vms: %d\ngeneration: %llu\nvmid_max: %lu\n",
		   atomic_read(&rvhv_nr_vms), rvhv_vmid_generation(),
		   rvhv_vmid_hwm());
	mutex_lock(&rvhv_vms_lock);
	list_for_each_entry(vm, &rvhv_vms, list) {
		u64 exits = 0, irqchip = 0;
		unsigned int i;

		/*
		 * Racy sums of the vCPUs' counters, for tests and people; a
		 * vCPU stays until its VM, which is on the list, is freed.
		 */
		for (i = 0; i < RVHV_MAX_VCPUS; i++) {
			struct rvhv_vcpu *v = rvhv_vm_vcpu(vm, i);

			if (!v)
				continue;
			exits += READ_ONCE(v->stat.exits);
			irqchip += READ_ONCE(v->stat.irqchip_accesses);
		}
		word = READ_ONCE(vm->vmid.word);
		seq_printf(m, "vm pid=%d vmid=%lu generation=%llu",
			   vm->pid, rvhv_vmid_of(word), rvhv_vmid_gen_of(word));
		rvhv_stats_seq_vm(m, vm);
		seq_printf(m, " irqfds=%u exits=%llu irqchip=%llu\n",
			   READ_ONCE(vm->eventfds.nr_irqfds), exits, irqchip);
	}
	mutex_unlock(&rvhv_vms_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvhv_vms);

/* Hardware guest interrupt files (irqchip/hwfile.c). */
static int rvhv_hgei_show(struct seq_file *m, void *unused)
{
	rvhv_hwfile_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvhv_hgei);

/* Per VM: slots, page tables and G-stage leaves by size (mmu/dirty.c). */
static int rvhv_memory_show(struct seq_file *m, void *unused)
{
	rvhv_mmu_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvhv_memory);

/* Per CPU: the TLB ownership rules' counters (mmu/tlb.c). */
static int rvhv_tlb_stats_show(struct seq_file *m, void *unused)
{
	rvhv_tlb_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvhv_tlb_stats);

static long rvhv_get_host_features(void __user *argp)
{
	if (copy_to_user(argp, &rvhv_host.feat, sizeof(rvhv_host.feat)))
		return -EFAULT;
	return 0;
}

static long rvhv_dev_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return RVHV_API_VERSION;
	case KVM_CREATE_VM:
		return rvhv_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return rvhv_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		/* kvm_run, then the coalesced MMIO ring (as kvm.ko) */
		return (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE;
	case RVHV_GET_HOST_FEATURES:
		return rvhv_get_host_features((void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations rvhv_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= rvhv_dev_ioctl,
	.llseek		= noop_llseek,
};

/*
 * A dynamic minor: rvhv has none of its own in the kernel's registry
 * (Documentation/admin-guide/devices.txt), so unlike kvm.ko (KVM_MINOR,
 * MODULE_ALIAS("devname:kvm")) it has no static /dev node that loads the
 * module when opened; it is loaded at boot through modules-load.d
 * instead.  Mode 0660 from the start; udev adds the group (kvm), with
 * tools/install/65-rvhv.rules.
 */
static struct miscdevice rvhv_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "rvhv",
	.fops	= &rvhv_dev_fops,
	.mode	= 0660,
};

static int __init rvhv_init(void)
{
	int ret;

	ret = rvhv_detect();
	if (ret)
		return ret;
	rvhv_pmu_host_init();

	ret = rvhv_stats_init();
	if (ret)
		return ret;
	ret = rvhv_tlb_init();
	if (ret)
		return ret;
	ret = rvhv_irqfd_module_init();
	if (ret) {
		rvhv_tlb_exit();
		return ret;
	}
	ret = rvhv_hwfile_module_init();
	if (ret) {
		rvhv_irqfd_module_exit();
		rvhv_tlb_exit();
		return ret;
	}
	preempt_notifier_inc();
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "rvhv:online",
				rvhv_cpu_online, rvhv_cpu_offline);
	if (ret < 0) {
		preempt_notifier_dec();
		rvhv_hwfile_module_exit();
		rvhv_irqfd_module_exit();
		rvhv_tlb_exit();
		return ret;
	}
	rvhv_cpuhp_state = ret;

	rvhv_debugfs = debugfs_create_dir("rvhv", NULL);
	debugfs_create_file("features", 0444, rvhv_debugfs, NULL,
			    &rvhv_features_fops);
	debugfs_create_file("cpus", 0444, rvhv_debugfs, NULL,
			    &rvhv_cpus_fops);
	debugfs_create_file("vms", 0444, rvhv_debugfs, NULL, &rvhv_vms_fops);
	debugfs_create_file("tlb", 0444, rvhv_debugfs, NULL,
			    &rvhv_tlb_stats_fops);
	debugfs_create_file("hgei", 0444, rvhv_debugfs, NULL,
			    &rvhv_hgei_fops);
	rvhv_stats_debugfs_init(rvhv_debugfs);
	debugfs_create_file("memory", 0444, rvhv_debugfs, NULL,
			    &rvhv_memory_fops);

	ret = misc_register(&rvhv_dev);
	if (ret) {
		debugfs_remove_recursive(rvhv_debugfs);
		cpuhp_remove_state(rvhv_cpuhp_state);
		preempt_notifier_dec();
		rvhv_hwfile_module_exit();
		rvhv_irqfd_module_exit();
		rvhv_tlb_exit();
		return ret;
	}

	pr_info("%s ready: h%s%s%s%s%s, G-stage %s (%u GPA bits), %u VMID bits (%u used)\n",
		RVHV_VERSION,
		rvhv_host.feat.flags & RVHV_HOST_ENVCFG ? " envcfg" :
		rvhv_host.debug_no_envcfg ? " (debug_no_envcfg)" : "",
		rvhv_host.feat.flags & RVHV_HOST_SSTC ? " sstc" : "",
		rvhv_host.feat.flags & RVHV_HOST_SVPBMT ? " svpbmt" : "",
		rvhv_host.feat.flags & RVHV_HOST_SMSTATEEN ? " smstateen" : "",
		rvhv_host.feat.flags & RVHV_HOST_SSAIA ? " ssaia" : "",
		rvhv_mode_name(rvhv_host.feat.gstage_mode),
		rvhv_host.feat.gpa_bits, rvhv_host.feat.vmid_bits,
		rvhv_host.feat.vmid_bits_used);
	return 0;
}

static void __exit rvhv_exit(void)
{
	misc_deregister(&rvhv_dev);
	debugfs_remove_recursive(rvhv_debugfs);
	cpuhp_remove_state(rvhv_cpuhp_state);
	preempt_notifier_dec();
	rvhv_hwfile_module_exit();
	rvhv_irqfd_module_exit();
	rvhv_tlb_exit();
}

module_init(rvhv_init);
module_exit(rvhv_exit);
MODULE_DESCRIPTION("rvhv: KVM-class hypervisor for RISC-V (H extension)");
MODULE_LICENSE("GPL");
MODULE_VERSION(RVHV_VERSION);
