/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The irqchip room: a VM's in-kernel interrupt controller, KVM's
 * KVM_DEV_TYPE_RISCV_AIA device.  It owns the device (KVM_CREATE_DEVICE
 * on the VM fd, its fd and KVM_{SET,GET,HAS}_DEVICE_ATTR with KVM's
 * attribute ABI and errnos, irqchip/aia.c), the emulated APLIC behind it
 * (its registers, the guest's loads and stores to its window, handled in
 * the kernel without an exit, and its sources, which GSIs drive:
 * irqchip/aplic.c), the emulated IMSICs (irqchip/imsic.c) and the VS
 * external interrupt lines each vCPU gets from them.
 *
 * What exists, two modes, chosen at KVM_CREATE_DEVICE:
 * - direct delivery mode (domaincfg.DM = 0), an rvhv addition behind
 *   RVHV_CAP_AIA_DIRECT, on any host: an interrupt delivery control
 *   (IDC) per vCPU, hart index = vCPU id, the interrupt reaches the
 *   vCPU's hvip.VSEIP, OR'ed with KVM_INTERRUPT's level; no IMSIC (its
 *   attributes do not exist: -ENXIO);
 * - MSI delivery mode (domaincfg.DM = 1), kvm.ko's, on hosts with Ssaia
 *   for a VM without RVHV_CAP_AIA_DIRECT: an emulated IMSIC interrupt
 *   file per vCPU ("emul" mode), which the APLIC forwards to,
 *   irqchip/imsic.c; in "hwaccel" and "auto" modes, where the host has
 *   IMSIC guest interrupt files and kvm.ko does not hold them, a vCPU's
 *   file lives in a hardware guest file of the CPU it runs on,
 *   irqchip/hwfile.c.
 * On a host without Ssaia and without the capability, KVM_CREATE_DEVICE
 * gets -ENODEV, what kvm.ko answers on a host without AIA.  See
 * Documentation/rvhv.rst, "In-kernel AIA".
 *
 * Lifetimes.  struct rvhv_aia is allocated by KVM_CREATE_DEVICE and lives
 * as long as the VM: the device fd holds a reference on the VM (struct
 * rvhv_vm.users, like a vCPU fd), and the VM's last reference frees the
 * device (rvhv_aia_destroy()), so the device fd and the VM fd may be
 * closed in either order.  Closing the device fd does not remove the
 * device (kvm.ko's AIA has no release either).  struct rvhv_aplic is
 * allocated by the INIT attribute (when the VM has sources) and freed
 * with the device.
 *
 * Locks.  rvhv_vm.lock (a mutex) serialises the device's creation, its
 * attributes (configuration, INIT, register get/set) and vCPU creation.
 * rvhv_vm.aia and rvhv_vm.aplic are written once, under it, with release
 * semantics, and read anywhere with acquire (rvhv_vm_aia(),
 * rvhv_vm_aplic()): once seen, they stay until the VM is freed.
 * rvhv_aplic.lock (a spinlock, irqs off: irqfd wake-ups take it in
 * atomic context) protects all the APLIC's register state; under it the
 * APLIC raises and lowers vCPU lines (atomic bit operations and a kick,
 * rvhv_vcpu_set_irq()) and, in MSI mode, takes IMSIC locks (struct
 * rvhv_imsic.lock; never the other way round).  Nothing else is taken
 * under it: resample eventfds are signalled after it is dropped.
 */
#ifndef _RVHV_IRQCHIP_AIA_H
#define _RVHV_IRQCHIP_AIA_H

#include <linux/errno.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct rvhv_vm;
struct rvhv_vcpu;
struct seq_file;

/* IDCs of a direct-mode APLIC: one per possible vCPU id (hart index). */
#define RVHV_APLIC_NR_IDCS	64
#define RVHV_APLIC_IDC_BASE	0x4000
#define RVHV_APLIC_IDC_SIZE	32
/*
 * The guest-physical window the APLIC claims from its base: KVM's
 * KVM_DEV_RISCV_APLIC_SIZE (0x4000) of domain registers, then the IDCs
 * (direct mode needs them; kvm.ko's MSI-mode APLIC has none).
 */
#define RVHV_APLIC_WINDOW	(RVHV_APLIC_IDC_BASE + \
				 RVHV_APLIC_NR_IDCS * RVHV_APLIC_IDC_SIZE)

/**
 * struct rvhv_aplic_idc - one interrupt delivery control (direct mode)
 * @idelivery: bit 0: delivery enabled
 * @iforce: bit 0: a forced (spurious, identity 0) interrupt
 * @ithreshold: priorities at or above it are masked (0: none is)
 * @topi: identity << 16 | priority of the best pending-and-enabled
 *	source targeting this IDC below the threshold (0: none),
 *	recomputed after every change
 * @line: what the APLIC last drove the vCPU's line to
 */
struct rvhv_aplic_idc {
	u32 idelivery;
	u32 iforce;
	u32 ithreshold;
	u32 topi;
	bool line;
};

/**
 * struct rvhv_aplic - the emulated APLIC (one interrupt domain, direct
 * delivery mode); everything but the fixed fields under @lock
 * @lock: see the top of the file
 * @vm: its VM (fixed)
 * @base: guest physical base of its window (fixed at INIT)
 * @nr_irqs: sources + 1: source 0 does not exist (fixed)
 * @domaincfg: the writable bit of domaincfg (IE)
 * @sourcecfg: per source (index 1..nr_irqs-1): source mode, or 0
 * @target: per source: hart index << 18 | priority (1..255)
 * @pending: per source: pending bit
 * @enabled: per source: enable bit
 * @msi: MSI delivery mode (fixed): pending sources go to IMSICs
 * @genmsi: genmsi (MSI mode)
 * @input: per source: the raw input level the VMM last drove (GSIs)
 * @resample: per source: last raised by a resampling irqfd; its claim
 *	(direct mode) or its MSI (MSI mode) lowers the input and signals
 *	the resample eventfds
 * @resample_due: MSI mode: sources whose resample eventfds are to be
 *	signalled by @resample_work (the MSI may be sent from inside an
 *	eventfd's wake-up, where no eventfd may be signalled)
 * @resample_work: signals them (system workqueue; cancelled before the
 *	APLIC is freed)
 * @idc: the IDCs, by hart index (vCPU id)
 */
struct rvhv_aplic {
	spinlock_t lock;
	struct rvhv_vm *vm;
	u64 base;
	u32 nr_irqs;
	bool msi;
	u32 genmsi;
	u32 domaincfg;
	u32 *sourcecfg;
	u32 *target;
	unsigned long *pending;
	unsigned long *enabled;
	unsigned long *input;
	unsigned long *resample;
	unsigned long *resample_due;
	struct work_struct resample_work;
	struct rvhv_aplic_idc idc[RVHV_APLIC_NR_IDCS];
};

/* KVM_SET_GSI_ROUTING's limits (kvm.ko's KVM_MAX_IRQ_ROUTES, pins). */
#define RVHV_MAX_IRQ_ROUTES	4096
#define RVHV_IRQCHIP_NUM_PINS	1024

/**
 * struct rvhv_gsi_route - where one GSI leads
 * @type: 0 (nowhere), KVM_IRQ_ROUTING_IRQCHIP or KVM_IRQ_ROUTING_MSI
 * @pin: IRQCHIP: the APLIC source
 * @data: MSI: the data (an identity)
 * @addr: MSI: the address (an IMSIC page, and its offset)
 */
struct rvhv_gsi_route {
	u32 type;
	u32 pin;
	u32 data;
	u64 addr;
};

/**
 * struct rvhv_gsi_routing - where each GSI leads (irqfds; KVM_IRQ_LINE
 * names the APLIC source directly, as in kvm.ko)
 * @rcu: freed after a grace period once replaced
 * @nr: GSIs 0..@nr-1 have an entry
 * @route: each one's
 */
struct rvhv_gsi_routing {
	struct rcu_head rcu;
	u32 nr;
	struct rvhv_gsi_route route[] __counted_by(nr);
};

/* IMSIC identities: at most this many (the AIA's limit, kvm.ko's). */
#define RVHV_IMSIC_MAX_ID	2047

/**
 * struct rvhv_imsic - a vCPU's emulated IMSIC interrupt file
 * (irqchip/imsic.c); the fixed fields are set at INIT
 * @lock: protects the registers and @line
 * @vcpu: its vCPU (fixed)
 * @addr: guest physical address of its page (fixed)
 * @hart_index: the APLIC's hart index of it (fixed, kvm.ko's formula)
 * @nr_msis: identities + 1 (fixed)
 * @nr_eix: 64-bit words of @eip and @eie (fixed)
 * @eidelivery: bit 0: delivery on
 * @eithreshold: identities from it up are masked (0: none)
 * @eip: pending bits by identity
 * @eie: enable bits by identity
 * @line: what it last drove the vCPU's RVHV_IRQ_IMSIC line to
 * @hw_mode: the device is in hwaccel or auto mode (fixed at INIT): the
 *	file may live in a hardware guest interrupt file (irqchip/hwfile.c)
 * @hw_strict: hwaccel mode: no free hardware file on the vCPU's CPU
 *	fails KVM_RUN (KVM_EXIT_FAIL_ENTRY), as kvm.ko (fixed)
 * @hw_cpu: host CPU whose guest interrupt file @hw_file holds the
 *	file's registers, or -1: the software registers above hold them.
 *	Written under @lock and rvhv_hgei.lock (a mutex) both, read under
 *	either (READ_ONCE() elsewhere, for hints that are checked again)
 * @hw_file: that guest interrupt file's number (hstatus.VGEIN), 0: none
 * @hw_va: its page, through the host IMSIC driver's mapping
 * @hw_pa: its page's physical address (what the G-stage maps at @addr)
 * @hw_mapped: the G-stage maps @addr to @hw_pa (under rvhv_hgei.lock)
 * @hw_fail_cpu: auto mode: the CPU where a file was last not free ...
 * @hw_fail_gen: ... and rvhv_hgei's generation then: no retry there
 *	until a file is freed (vCPU thread only)
 */
struct rvhv_imsic {
	spinlock_t lock;
	struct rvhv_vcpu *vcpu;
	u64 addr;
	u32 hart_index;
	u32 nr_msis;
	u32 nr_eix;
	unsigned long eidelivery;
	unsigned long eithreshold;
	unsigned long *eip;
	unsigned long *eie;
	bool line;
	bool hw_mode;
	bool hw_strict;
	int hw_cpu;
	unsigned int hw_file;
	void __iomem *hw_va;
	phys_addr_t hw_pa;
	bool hw_mapped;
	int hw_fail_cpu;
	int hw_fail_gen;
};

/**
 * struct rvhv_aia - the KVM_DEV_TYPE_RISCV_AIA device of a VM; under
 * rvhv_vm.lock
 * @vm: its VM
 * @msi: MSI mode (emulated IMSICs, APLIC domaincfg.DM = 1), chosen at
 *	creation: on a host with Ssaia without RVHV_CAP_AIA_DIRECT
 * @nr_ids: CONFIG_IDS (MSI identities; unused in direct mode)
 * @nr_sources: CONFIG_SRCS
 * @group_bits: CONFIG_GROUP_BITS
 * @group_shift: CONFIG_GROUP_SHIFT
 * @hart_bits: CONFIG_HART_BITS
 * @guest_bits: CONFIG_GUEST_BITS
 * @aplic_addr: ADDR_APLIC (RVHV_AIA_UNDEF_ADDR until set)
 * @initialized: CTRL_INIT succeeded: configuration is frozen
 * @routing: GSI routing, or NULL (none: GSIs of irqfds lead nowhere);
 *	replaced whole under rvhv_vm.lock (KVM_SET_GSI_ROUTING, and INIT's
 *	default: GSI n = source n), read under rcu_read_lock()
 * @imsic_addr: ADDR_IMSIC(n) of vCPU id n (MSI mode)
 * @imsic: the IMSIC of vCPU id n once INIT made it (MSI mode); set once
 *	(release), read with acquire (rvhv_vcpu_imsic())
 * @mode: CONFIG_MODE, KVM_DEV_RISCV_AIA_MODE_EMUL/HWACCEL/AUTO
 * @hw_ref: the device holds a reference on rvhv's hardware guest files
 *	(rvhv_hwfile_get(): hwaccel or auto mode), dropped when it is freed
 */
struct rvhv_aia {
	struct rvhv_vm *vm;
	u32 nr_ids;
	u32 nr_sources;
	u32 group_bits;
	u32 group_shift;
	u32 hart_bits;
	u32 guest_bits;
	u64 aplic_addr;
	bool initialized;
	bool msi;
	struct rvhv_gsi_routing __rcu *routing;
	u64 imsic_addr[RVHV_APLIC_NR_IDCS];
	struct rvhv_imsic *imsic[RVHV_APLIC_NR_IDCS];
	u32 mode;
	bool hw_ref;
};

#define RVHV_AIA_UNDEF_ADDR	(~0ULL)

/* irqchip/aia.c */
/* KVM_CREATE_DEVICE on the VM fd. */
long rvhv_vm_create_device(struct rvhv_vm *vm, void __user *argp);
/* KVM_SET_GSI_ROUTING on the VM fd (-EINVAL without the device). */
long rvhv_vm_set_gsi_routing(struct rvhv_vm *vm, void __user *argp);
/*
 * The APLIC source GSI @gsi of an AIA VM leads to, or -1.  Any context
 * but NMI.
 */
int rvhv_aia_gsi_pin(struct rvhv_vm *vm, u32 gsi);
/*
 * If GSI @gsi of an AIA VM is an MSI route, send its MSI and return
 * true.  Any context but NMI.
 */
bool rvhv_aia_gsi_msi(struct rvhv_vm *vm, u32 gsi);
/* The VM's last reference is gone: free the device and its APLIC. */
void rvhv_aia_destroy(struct rvhv_vm *vm);
/* A vCPU was created (under rvhv_vm.lock): give it its IDC's line. */
void rvhv_aia_vcpu_created(struct rvhv_vm *vm);

/*
 * GSI @gsi = APLIC source @gsi of an AIA VM goes to @level; @resample:
 * raised by a resampling irqfd (its claim lowers it again).  Any context
 * but NMI.  0, -EBUSY before INIT, -ENODEV for a source the APLIC does
 * not have (kvm.ko's errnos).
 */
int rvhv_aia_set_irq(struct rvhv_vm *vm, u32 gsi, bool level, bool resample);

/* irqchip/aplic.c */
int rvhv_aplic_init(struct rvhv_aia *aia);
void rvhv_aplic_free(struct rvhv_aplic *aplic);
void rvhv_aplic_set_input(struct rvhv_aplic *aplic, u32 irq, bool level,
			  bool resample);
/* GRP_APLIC: register at @off; 0, -EOPNOTSUPP (unaligned), -ENODEV. */
int rvhv_aplic_attr_read(struct rvhv_aplic *aplic, u64 off, u32 *val);
int rvhv_aplic_attr_write(struct rvhv_aplic *aplic, u64 off, u32 val);
/* Recompute every IDC's line (a vCPU appeared). */
void rvhv_aplic_refresh(struct rvhv_aplic *aplic);
/*
 * A guest load or store of @len bytes at @gpa (a store's value in *@val):
 * true if it falls in the APLIC's window (handled: a load's value is in
 * *@val), false otherwise.  Process context (a vCPU's exit handler).
 */
bool rvhv_aia_mmio(struct rvhv_vcpu *vcpu, u64 gpa, unsigned int len,
		   bool write, u64 *val);

/* The IMSIC of vCPU id @id of an MSI-mode device, or NULL. */
static inline struct rvhv_imsic *rvhv_aia_imsic(struct rvhv_aia *aia,
						unsigned int id)
{
	/* Pairs with the release in rvhv_aia_init(). */
	return smp_load_acquire(&aia->imsic[id]);
}

/* irqchip/imsic.c */
/*
 * MSI delivery to a vCPU's IMSIC interrupt file @guest_index (only 0
 * exists), identity @eiid: 0, -ENODEV (no such file), -EINVAL (no such
 * identity).  Any context but NMI.
 */
int rvhv_imsic_inject(struct rvhv_vcpu *vcpu, u32 guest_index, u32 eiid);
/* An MSI write of @data at offset @off of the vCPU's IMSIC page. */
int rvhv_imsic_msi(struct rvhv_vcpu *vcpu, u32 guest_index, u32 off,
		   u32 data);
int rvhv_imsic_attr(struct rvhv_imsic *imsic, unsigned long isel, bool write,
		    unsigned long *val);
bool rvhv_imsic_csr_insn(struct rvhv_vcpu *vcpu, unsigned long insn);
struct rvhv_vcpu *rvhv_imsic_find(struct rvhv_vm *vm, u64 gpa, u32 *off);
bool rvhv_imsic_mmio(struct rvhv_vcpu *vcpu, u64 gpa, unsigned int len,
		     bool write, u64 *val);
struct rvhv_imsic *rvhv_imsic_alloc(struct rvhv_vcpu *vcpu, u64 addr,
				    u32 hart_index, u32 nr_ids);
void rvhv_imsic_free(struct rvhv_imsic *imsic);
/* KVM_SIGNAL_MSI on the VM fd. */
long rvhv_vm_signal_msi(struct rvhv_vm *vm, void __user *argp);
/* Drive the vCPU's line from the software file.  Under @imsic->lock. */
void rvhv_imsic_update(struct rvhv_imsic *imsic);

/* irqchip/hwfile.c: hardware guest interrupt files (hwaccel, auto) */
int rvhv_hwfile_module_init(void);
void rvhv_hwfile_module_exit(void);
/*
 * CPU hotplug, on the CPU: it came online (the SGEI interrupt and files
 * here too if rvhv has them); it goes offline (its files to software).
 */
void rvhv_hwfile_cpu_online(void);
void rvhv_hwfile_cpu_offline(void);
/* Guest interrupt files per CPU rvhv could use (0: none), their ids. */
unsigned int rvhv_hwfile_nr_files(void);
unsigned int rvhv_hwfile_nr_ids(void);
/*
 * A device goes to hwaccel or auto mode: 0, or -EINVAL when rvhv cannot
 * use guest files now (none, or kvm.ko has them: kvm.ko's errno without
 * guest files).  Process context.
 */
int rvhv_hwfile_get(void);
void rvhv_hwfile_put(void);
/*
 * KVM_RUN, before entering the guest (process context, the vCPU loaded):
 * give the vCPU a guest file on this CPU, moving its registers from
 * where they are.  1: go on; 0: exit to the VMM (KVM_EXIT_FAIL_ENTRY,
 * hwaccel mode with no free file here, as kvm.ko); a negative errno.
 */
int rvhv_hwfile_update(struct rvhv_vcpu *vcpu);
/*
 * hstatus.VGEIN for the vCPU entering the guest on this CPU (interrupts
 * off): its file's number, 0 when its registers are in software, -1
 * when they are in a file of another CPU (go round again).
 */
int rvhv_hwfile_vgein(struct rvhv_vcpu *vcpu);
/*
 * May the vCPU's hardware file interrupt it (hgeip)?  false when it has
 * none; true, to be safe, when it is on another CPU.  Preemption off.
 */
bool rvhv_hwfile_pending(struct rvhv_vcpu *vcpu);
/* WFI: the SGEI interrupt of the vCPU's file wakes it (@on) or not. */
void rvhv_hwfile_wake(struct rvhv_vcpu *vcpu, bool on);
/* MSI @eiid to a file in hardware (@imsic->lock held, hw_cpu >= 0). */
void rvhv_hwfile_inject(struct rvhv_imsic *imsic, u32 eiid);
/*
 * Run @fn(@imsic, @arg) with @imsic->lock held (interrupts off) where
 * the registers are: here when in software, on the file's CPU (an IPI)
 * when in hardware.  Process context, interrupts on.  Its return value.
 */
int rvhv_hwfile_call(struct rvhv_imsic *imsic,
		     int (*fn)(struct rvhv_imsic *imsic, void *arg), void *arg);
/* Read-modify-write of a hardware file's register (inside @fn above). */
int rvhv_hwfile_rmw(struct rvhv_imsic *imsic, unsigned long isel,
		    unsigned long *old, unsigned long new, unsigned long wmask);
/* debugfs rvhv/hgei */
void rvhv_hwfile_show(struct seq_file *m);
/* The VM is being freed, before its vCPUs: give back its files. */
void rvhv_hwfile_release_vm(struct rvhv_vm *vm);

#endif /* _RVHV_IRQCHIP_AIA_H */
