/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv: internal declarations shared by the module's files.
 */
#ifndef _RVHV_INT_H
#define _RVHV_INT_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/rvhv.h>
#include <asm/csr.h>
#include <asm/ptrace.h>

#include "mmu/mmu.h"
#include "eventfd/eventfd.h"
#include "irqchip/aia.h"
#include "stats/stats.h"
#include "trap/coalesced.h"
#include "vcpu/sbi_fwft.h"
#include "vcpu/sbi_pmu.h"

struct seq_file;

/* KVM_GET_API_VERSION: the KVM ABI rvhv speaks. */
#define RVHV_API_VERSION	12

/*
 * Exceptions a guest takes itself, without a trip through HS-mode: the ones
 * its own kernel handles and rvhv never needs to see.  Everything else
 * (guest-page faults, virtual instructions, ecalls from VS) comes to rvhv.
 */
#define RVHV_HEDELEG	(BIT(EXC_INST_MISALIGNED) | BIT(EXC_BREAKPOINT) | \
			 BIT(EXC_SYSCALL) | BIT(EXC_INST_PAGE_FAULT) | \
			 BIT(EXC_LOAD_PAGE_FAULT) | BIT(EXC_STORE_PAGE_FAULT))
/* VS-level interrupts go to VS-mode. */
#define RVHV_HIDELEG	(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER) | \
			 BIT(IRQ_VS_EXT))
/* A guest reads only the time counter directly; the rest traps. */
#define RVHV_HCOUNTEREN	BIT(1)

/*
 * KVM_SET_GUEST_DEBUG control bits rvhv implements (vcpu/debug.c), as
 * KVM_CAP_SET_GUEST_DEBUG2 reports them: software breakpoints only.
 */
#define RVHV_GUESTDBG_VALID	KVM_GUESTDBG_ENABLE

/*
 * hstateen0 bits rvhv may grant a guest (Smstateen hosts): its own senvcfg
 * (rvhv switches it in the world switch), when the vCPU has Smstateen its
 * own sstateen0 (switched at vcpu_load/vcpu_put), and when the vCPU has
 * Ssaia the AIA CSRs but the IMSIC's (siselect, vsiselect being
 * switched per vCPU, stopi): with IMSIC clear (and hstatus.VGEIN 0),
 * sireg in the IMSIC's range and stopei trap as virtual instructions and
 * are emulated when the VM has an emulated IMSIC (irqchip/imsic.c), an
 * illegal instruction for the guest otherwise.  Nothing else: no
 * Sscsrind, no custom state, FCSR or JVT, which rvhv does not
 * virtualize; their accesses from VS-mode trap as virtual instructions
 * and reach the guest as illegal ones.
 */
#define RVHV_HSTATEEN0_GRANTS	(SMSTATEEN0_HSENVCFG | SMSTATEEN0_SSTATEEN0 | \
				 SMSTATEEN0_AIA | SMSTATEEN0_AIA_ISEL)

/* Program this hart's delegation for rvhv's guests (the three above). */
static inline void rvhv_write_delegation(void)
{
	csr_write(CSR_HEDELEG, RVHV_HEDELEG);
	csr_write(CSR_HIDELEG, RVHV_HIDELEG);
	csr_write(CSR_HCOUNTEREN, RVHV_HCOUNTEREN);
}

/**
 * struct rvhv_host - what rvhv found on the host, fixed after module init
 * @feat: the same, as reported to userspace by RVHV_GET_HOST_FEATURES
 * @hgatp_mode: the widest hgatp.MODE the harts take: a new VM's G-stage
 *	mode (a VMM may choose a narrower one: rvhv_vm_hgatp_mode())
 * @smstateen: the host has Smstateen: hstateen0..3 exist and are
 *	programmed for every vCPU (vcpu/vcpu.c), sstateen0 is switched
 * @envcfg: the harts have henvcfg and senvcfg (privileged spec 1.12),
 *	found by reading henvcfg with an exception fixup at load: without
 *	them (1.11, the SiFive P550) rvhv never touches either, guests get
 *	no Sstc (STCE), Svpbmt (PBMTE), Zicbom or Zicboz, and the world
 *	switch leaves senvcfg alone (struct rvhv_guest_ctx.no_senvcfg)
 * @debug_no_envcfg: the module parameter debug_no_envcfg made rvhv act
 *	as if @envcfg were false on harts that have the CSRs (testing the
 *	1.11 path, which QEMU cannot emulate with H): senvcfg is then put
 *	back after each guest exit, since the guest can write the real one
 * @ssaia: the host has Ssaia: hvictl, hviprio1/2 and vsiselect exist;
 *	rvhv offers guests Ssaia (ISA_EXT SSAIA, the ONE_REG AIA CSRs) and
 *	switches vsiselect and hviprio1/2 per vCPU (struct rvhv_vs_csr
 *	.aia); hvictl injects nothing, its IPRIO follows hvip.VSEIP
 *	(vcpu/vcpu.c: how the guest's stopi sees its external interrupt)
 */
struct rvhv_host {
	struct rvhv_host_features feat;
	unsigned long hgatp_mode;
	bool envcfg;
	bool debug_no_envcfg;
	bool smstateen;
	bool ssaia;
};

extern struct rvhv_host rvhv_host;

/*
 * A VM's VMID and the allocator generation it was handed out in, as one
 * 64-bit word: generation << RVHV_VMID_GEN_SHIFT | VMID.  One word, so a
 * reader on another CPU sees the VMID and the generation of one and the
 * same assignment, never the new generation with the old VMID.
 */
#define RVHV_VMID_GEN_SHIFT	16
#define RVHV_VMID_MASK		(BIT_ULL(RVHV_VMID_GEN_SHIFT) - 1)

/**
 * struct rvhv_vmid - a VM's VMID
 * @word: generation << RVHV_VMID_GEN_SHIFT | VMID (VMID 0 when rvhv
 *	allocates from no VMID bits).  The VMID is valid only while the
 *	generation equals the allocator's current one (rvhv_vmid_current()).
 *	Generation 0 is never current: a VM has no VMID before
 *	rvhv_vmid_update() first runs for it.
 *
 * Written, with WRITE_ONCE(), only under rvhv_vmid_lock (mmu/vmid.c); read
 * locklessly with READ_ONCE().  Once a CPU with interrupts disabled has
 * seen a word of the current generation, it stays valid until that CPU
 * enables interrupts again: a rollover waits for every CPU (IPI) before
 * anyone can take a VMID of the new generation.
 */
struct rvhv_vmid {
	u64 word;
};

static inline unsigned long rvhv_vmid_of(u64 word)
{
	return word & RVHV_VMID_MASK;
}

static inline u64 rvhv_vmid_gen_of(u64 word)
{
	return word >> RVHV_VMID_GEN_SHIFT;
}

/**
 * struct rvhv_vm_tlb - what one host CPU's TLB may hold of one VM
 * @word: the VMID word (struct rvhv_vmid) the VM last flushed its VMID's
 *	entries (both stages) for on this CPU; 0: never
 * @epoch: rvhv_tlb_cpu.epoch of this CPU at that flush (mmu/tlb.c)
 * @last_vcpu: id of the vCPU of this VM whose VS-stage entries this CPU's
 *	TLB may hold (the last one that ran here), -1: none
 *
 * Per CPU (struct rvhv_vm.tlb); only touched on its own CPU with
 * interrupts disabled, by a vCPU of the VM loaded there.
 */
struct rvhv_vm_tlb {
	u64 word;
	u64 epoch;
	int last_vcpu;
};

/* Size of a vCPU's coalesced console buffer (see rvhv_vcpu.console_buf). */
#define RVHV_CONSOLE_BUF	256

/* vCPU ids are below this (KVM_CAP_MAX_VCPU_ID and KVM_CAP_MAX_VCPUS). */
#define RVHV_MAX_VCPUS		64

/**
 * struct rvhv_vm - one virtual machine (a VM fd)
 * @mm: the address space of the process that created the VM; VM ioctls
 *	from any other address space fail with -EIO, as KVM's do.  Pinned
 *	with mmgrab() for the VM's life.
 * @vmid: see struct rvhv_vmid
 * @mmu: memslots and G-stage page tables (mmu/mmu.h)
 * @eventfds: ioeventfds (eventfd/eventfd.h)
 * @coalesced: coalesced MMIO zones and ring (trap/coalesced.h)
 * @lock: serialises vCPU creation (writes of @vcpus and @nr_vcpus)
 * @vcpus: vCPUs by id; an entry, once set, stays until the VM is freed, so
 *	readers may use READ_ONCE() without @lock
 * @nr_vcpus: how many vCPUs exist
 * @time_delta: guest time minus host time (htimedelta), the same for all
 *	vCPUs of the VM
 * @users: references: the VM fd and each vCPU fd hold one
 * @tlb_loaded: host CPUs where one of the VM's vCPUs is loaded now (set
 *	at vcpu_load, cleared at vcpu_put, atomic bit operations): where a
 *	remote fence sends an IPI
 * @tlb_stale: host CPUs whose TLB may hold entries of the VM that a fence
 *	since has made stale and that were not fenced by IPI; such a CPU
 *	flushes the VM's VMID before it next runs the VM (and clears its bit).
 *	Atomic bit operations; see mmu/tlb.c for the ordering with
 *	@tlb_loaded.
 * @tlb: per CPU, what that CPU's TLB may hold of the VM (struct
 *	rvhv_vm_tlb)
 * @stat: its statistics (stats/stats.h; atomic, any thread)
 * @stats_id: its stats fd's id string, "kvm-<pid>" (fixed at creation)
 * @caps: rvhv capabilities the VMM enabled (KVM_ENABLE_CAP), RVHV_VM_CAP_*
 *	bits; set before the first KVM_RUN, read locklessly after.  Changes
 *	that depend on the AIA device take @lock.
 * @aia: the KVM_DEV_TYPE_RISCV_AIA device, or NULL; set once under @lock
 *	(release), read with rvhv_vm_aia(); freed with the VM
 *	(irqchip/aia.h)
 * @aplic: its APLIC once initialised with sources, or NULL; set once
 *	under @lock (release), read with rvhv_vm_aplic(); freed with the VM
 * @list: entry on rvhv_vms, protected by rvhv_vms_lock
 * @pid: tgid of the creator, for debugfs
 */
struct rvhv_vm {
	struct mm_struct *mm;
	struct rvhv_vmid vmid;
	struct rvhv_mmu mmu;
	struct rvhv_eventfds eventfds;
	struct rvhv_coalesced coalesced;
	struct mutex lock;
	struct rvhv_vcpu *vcpus[RVHV_MAX_VCPUS];
	unsigned int nr_vcpus;
	u64 time_delta;
	refcount_t users;
	cpumask_t tlb_loaded;
	cpumask_t tlb_stale;
	struct rvhv_vm_tlb __percpu *tlb;
	struct rvhv_vm_stat stat;
	char stats_id[KVM_STATS_NAME_SIZE];
	unsigned long caps;
	struct rvhv_aia *aia;
	struct rvhv_aplic *aplic;
	struct list_head list;
	pid_t pid;
};

/* The VM's AIA device and its APLIC (see struct rvhv_vm), or NULL. */
static inline struct rvhv_aia *rvhv_vm_aia(struct rvhv_vm *vm)
{
	/* Pairs with the release in rvhv_aia_create(). */
	return smp_load_acquire(&vm->aia);
}

static inline struct rvhv_aplic *rvhv_vm_aplic(struct rvhv_vm *vm)
{
	/* Pairs with the release in rvhv_aplic_init(). */
	return smp_load_acquire(&vm->aplic);
}

/* struct rvhv_vm.caps */
#define RVHV_VM_CAP_SBI_BATCH		BIT(0)
#define RVHV_VM_CAP_CONSOLE_COALESCE	BIT(1)
#define RVHV_VM_CAP_IRQ_LINES		BIT(2)
#define RVHV_VM_CAP_AIA_DIRECT		BIT(3)
/* KVM_CAP_RISCV_MP_STATE_RESET (RVHV_CAP_RISCV_MP_STATE_RESET): on for good */
#define RVHV_VM_CAP_MP_STATE_RESET	BIT(4)

/*
 * rvhv_vcpu.irq_pending bit of the APLIC's line to the vCPU (its IDC,
 * irqchip/aplic.c): not an hvip bit; hvip.VSEIP is the OR of it, the
 * IMSIC's and IRQ_VS_EXT (KVM_INTERRUPT, RVHV_CAP_IRQ_LINES).
 */
#define RVHV_IRQ_APLIC			(BITS_PER_LONG - 1)
/* The same for the vCPU's emulated IMSIC (irqchip/imsic.c). */
#define RVHV_IRQ_IMSIC			(BITS_PER_LONG - 2)
#define RVHV_IRQ_EXT_LINES		(BIT(RVHV_IRQ_APLIC) | BIT(RVHV_IRQ_IMSIC))

/**
 * struct rvhv_guest_ctx - what the world switch (trap/switch.S) saves and
 * loads.  Offsets used by the assembly are in trap/offsets.h and checked
 * against this layout at build time (trap/offsets.c).
 * @gpr: guest x1..x31 in gpr[1..31]; gpr[0] holds the guest pc (sepc).
 *	Same layout as struct user_regs_struct, so ONE_REG CORE maps 1:1.
 * @sstatus: HS sstatus while the guest runs (SPP = guest mode, SPIE, FS)
 * @hstatus: hstatus while the guest runs (SPV = 1, SPVP, VTW, ...)
 * @scounteren: the guest's scounteren (swapped with the host's when
 *	they differ)
 * @senvcfg: the guest's senvcfg (the same)
 * @host_gpr: host ra, sp, gp, tp, s0..s11, saved by the switch
 * @host_sstatus: host sstatus, restored on the way out
 * @host_hstatus: host hstatus
 * @host_stvec: host stvec (the host's sscratch is 0 in the kernel:
 *	not saved)
 * @host_scounteren: host scounteren
 * @host_senvcfg: host senvcfg
 * @scause: trap cause of the last exit
 * @stval: its stval (0 for an ecall or an interrupt: not read)
 * @htval: its htval (guest physical address >> 2), guest-page faults
 *	only, else 0 (not read)
 * @htinst: its htinst (transformed instruction, or 0), the same
 * @no_senvcfg: the hart has no senvcfg (!rvhv_host.envcfg): the switch
 *	leaves it alone and @senvcfg is only what ONE_REG wrote
 */
struct rvhv_guest_ctx {
	unsigned long gpr[32];
	unsigned long sstatus;
	unsigned long hstatus;
	unsigned long scounteren;
	unsigned long senvcfg;
	unsigned long host_gpr[16];
	unsigned long host_sstatus;
	unsigned long host_hstatus;
	unsigned long host_stvec;
	unsigned long host_scounteren;
	unsigned long host_senvcfg;
	unsigned long scause;
	unsigned long stval;
	unsigned long htval;
	unsigned long htinst;
	unsigned long no_senvcfg;
};

/* Register numbers in rvhv_guest_ctx.gpr (0 is the pc). */
#define RVHV_REG_PC	0
#define RVHV_REG_A0	10
#define RVHV_REG_A1	11
#define RVHV_REG_A6	16
#define RVHV_REG_A7	17

/**
 * struct rvhv_vs_csr - the guest's VS-level CSRs, and the H-level ones
 * programmed per vCPU (henvcfg, hstateen0: set from the vCPU's ISA
 * extensions by rvhv_vcpu_setup_config()).  @aia is the ONE_REG AIA CSR
 * set, kvm.ko's layout: siselect is vsiselect, iprio1/2 are hviprio1/2
 * (switched at vcpu_load/vcpu_put on Ssaia hosts), sieh, siph,
 * iprio1h/2h exist on RV32 only and are kept as written.  Live in the
 * hardware while the vCPU is loaded on a hart (inside KVM_RUN, between vcpu_load and
 * vcpu_put); the copy here is current whenever it is not, which is always
 * the case for the other vCPU ioctls (they take vcpu->mutex, which KVM_RUN
 * holds throughout).
 */
struct rvhv_vs_csr {
	unsigned long vsstatus;
	unsigned long vsie;
	unsigned long vstvec;
	unsigned long vsscratch;
	unsigned long vsepc;
	unsigned long vscause;
	unsigned long vstval;
	unsigned long hvip;
	unsigned long vsatp;
	unsigned long henvcfg;
	u64 hstateen0;
	struct kvm_riscv_aia_csr aia;
	u64 vstimecmp;
};

/* struct rvhv_fence.ops: what a remote fence does on each CPU. */
#define RVHV_FENCE_I		BIT(0)	/* fence.i */
#define RVHV_FENCE_VVMA		BIT(1)	/* HFENCE.VVMA of @start/@size/@asid */
#define RVHV_FENCE_GVMA		BIT(2)	/* HFENCE.GVMA of the VMID */
/* Above this many pages a range fence becomes a full one. */
#define RVHV_FENCE_MAX_PAGES	64

/**
 * struct rvhv_fence - a remote fence for one VM (mmu/tlb.c, mmu/fence.c)
 * @ops: RVHV_FENCE_* bits; 0: nothing to do
 * @start: VS-stage range for RVHV_FENCE_VVMA ...
 * @size: ... (-1UL: everything)
 * @asid: guest ASID, if @use_asid
 * @use_asid: fence only the entries of @asid
 */
struct rvhv_fence {
	unsigned long ops;
	unsigned long start;
	unsigned long size;
	unsigned long asid;
	bool use_asid;
};

/* struct rvhv_vcpu.mode */
enum rvhv_vcpu_mode {
	RVHV_OUTSIDE_GUEST,
	RVHV_IN_GUEST,
};

/* struct rvhv_vcpu.requests: work for the vCPU's own thread */
enum rvhv_request {
	RVHV_REQ_STOP,		/* mp_state became STOPPED: block */
	RVHV_REQ_START,		/* HSM hart_start, SBI SUSP: reset to start_pc/a1 */
	RVHV_REQ_STEAL,		/* loaded again: account steal time (SBI STA) */
};

/*
 * SBI_EXT ids (vcpu->sbi_ext bits) run up to KVM_RISCV_SBI_EXT_MAX of the
 * <asm/kvm.h> rvhv is built against, and to SUSP and FWFT
 * (RVHV_RISCV_SBI_EXT_SUSP, _FWFT, uapi/linux/rvhv.h), which Linux 6.12's
 * lacks.
 */
#define RVHV_SBI_EXT_MAX	MAX(KVM_RISCV_SBI_EXT_MAX, RVHV_RISCV_SBI_EXT_FWFT + 1)

/*
 * ISA_EXT ids (vcpu->isa_ext bits) run up to KVM_RISCV_ISA_EXT_MAX of the
 * <asm/kvm.h> rvhv is built against, and to the newer ids of
 * uapi/linux/rvhv.h (RVHV_RISCV_ISA_EXT_*, up to Zvfbfwma).
 */
#define RVHV_ISA_EXT_MAX	MAX(KVM_RISCV_ISA_EXT_MAX, RVHV_RISCV_ISA_EXT_ZVFBFWMA + 1)

/* rvhv_sta.shmem when the guest has no steal-time area */
#define RVHV_STA_OFF		(~0ULL)

/**
 * struct rvhv_sta - a vCPU's SBI STA (steal-time accounting) state, owned
 * by vcpu/sbi_sta.c
 * @shmem: guest physical address of the guest's struct sbi_sta_struct
 *	(ONE_REG SBI_STATE STA shmem_lo/shmem_hi), or RVHV_STA_OFF
 * @run_delay: the vCPU thread's sched_info.run_delay (ns) when steal time
 *	was last accounted
 * @pid: the thread @run_delay belongs to; another thread (or 0, after a
 *	ONE_REG write or a reset) takes it as the new starting point
 *	instead of adding the difference
 *
 * Protected by vcpu->mutex: only the vCPU's KVM_RUN thread (SBI calls,
 * the update before guest entry) and ONE_REG use it.  A vCPU reset (HSM
 * start, SUSP resume) turns it off, as kvm.ko's.
 */
struct rvhv_sta {
	u64 shmem;
	u64 run_delay;
	pid_t pid;
};

/* Why the last KVM_RUN exit needs completing on the next KVM_RUN. */
enum rvhv_pending {
	RVHV_PENDING_NONE,
	RVHV_PENDING_MMIO_LOAD,	/* write run->mmio.data into a register */
	RVHV_PENDING_MMIO_STORE,	/* only advance the pc */
	RVHV_PENDING_SBI,	/* a0/a1 from run->riscv_sbi.ret, pc += 4 */
};

/**
 * struct rvhv_vcpu - one virtual hart (a vCPU fd)
 * @vm: the VM (the vCPU holds a reference on it)
 * @id: vcpu_id given to KVM_CREATE_VCPU
 * @run: the page shared with userspace (mmap of the vCPU fd)
 * @mutex: serialises the vCPU's ioctls; KVM_RUN holds it throughout
 * @pn: preempt notifier: vcpu_load/vcpu_put when the KVM_RUN thread is
 *	scheduled in and out
 * @cpu: host CPU the vCPU is loaded on, -1 when not loaded
 * @last_cpu: host CPU where its VM's VMID was last live for it
 *	(rvhv_tlb_sync()): elsewhere the TLB may hold VS-stage entries the
 *	guest has since fenced on another hart, so a move flushes them
 * @hgatp: the hgatp value rvhv_tlb_sync() last wrote for this vCPU on its
 *	hart (0: the VM's VMID is of an old generation, nothing is live)
 * @vmid_word: the VMID word (struct rvhv_vmid) @hgatp was made from, 0
 *	when @hgatp is 0.  hgatp alone does not tell two generations apart.
 * @fence_acc: remote fences of an RVHV_SBI_BATCH accumulated while
 *	@fence_defer is set, done as one (mmu/fence.c)
 * @fence_defer: the vCPU runs a batch: coalesce consecutive fences
 * @ran: KVM_RUN has run the guest once: ISA_EXT is locked from then on
 * @guest_debug: KVM_SET_GUEST_DEBUG's control word (vcpu/debug.c), 0 or
 *	KVM_GUESTDBG_ENABLE: guest breakpoints exit to the VMM.  Written
 *	only with @mutex held, so it does not change between vcpu_load and
 *	vcpu_put (KVM_RUN holds @mutex throughout)
 * @ctx: registers the world switch uses
 * @csr: VS-level CSRs (see struct rvhv_vs_csr)
 * @fp: guest F/D state, switched lazily using sstatus.FS
 * @host_fp: the KVM_RUN thread's own F/D state while the guest's is live
 * @vector: guest V state (vcpu/vector.c: in the hart only from just
 *	before an entry to just after the exit); datap NULL on a host
 *	without V
 * @sstateen0: the guest's sstateen0 (ONE_REG CSR SMSTATEEN), live in the
 *	hardware while the vCPU is loaded if its hstateen0 grants it
 *	(SMSTATEEN0_SSTATEEN0); kept, as in kvm.ko, across HSM restarts
 * @host_sstateen0: the host's sstateen0 while the guest's is live
 * @timer_state: ONE_REG TIMER state (KVM_RISCV_TIMER_STATE_ON/OFF); the
 *	compare value is csr.vstimecmp
 * @isa_ext: KVM_RISCV_ISA_EXT_* (and RVHV_RISCV_ISA_EXT_*) enabled for
 *	this vCPU
 * @sbi_ext: KVM_RISCV_SBI_EXT_* enabled for this vCPU
 * @mvendorid: ONE_REG CONFIG mvendorid (what SBI BASE reports)
 * @marchid: ONE_REG CONFIG marchid
 * @mimpid: ONE_REG CONFIG mimpid
 * @pending: what the next KVM_RUN completes first
 * @mmio_rd: destination register of a pending MMIO load
 * @mmio_len: its width in bytes
 * @mmio_signed: sign-extend it
 * @insn_len: length (2 or 4) of the instruction being emulated
 * @fast_mmio_exit: the exit (its stat.exits count) whose guest-page
 *	fault the exit fast path found outside every memslot and then
 *	declined: the full path takes it as MMIO without looking again
 *	(trap/fastpath.c); 0: none.  The vCPU's thread only
 * @mode: RVHV_IN_GUEST while the world switch may be in the guest (set
 *	with interrupts off); a kick sends an IPI then
 * @requests: RVHV_REQ_* bits, set by other threads (and by vcpu_load:
 *	RVHV_REQ_STEAL), consumed by the vCPU's thread before it enters the
 *	guest
 * @irq_pending: VS interrupt bits (hvip positions, and RVHV_IRQ_APLIC and
 *	RVHV_IRQ_IMSIC) to be raised ...
 * @irq_pending_mask: ... or lowered, on the next guest entry: set by
 *	KVM_INTERRUPT, IPIs, the software timer and the APLIC from any
 *	thread (atomic bit operations), applied to hvip by the vCPU's thread
 * @wait: the vCPU's thread sleeps here in WFI or while stopped
 * @halted: the guest executed WFI (or HSM retentive suspend): block until
 *	an interrupt it enabled is pending
 * @timer: hrtimer that wakes a halted vCPU at its vstimecmp deadline, or
 *	(without Sstc) raises VSTIP at the SBI set_timer deadline
 * @timer_next: the software timer's deadline in guest time (no Sstc)
 * @mp_lock: protects @mp_state, @start_pc, @start_a1 (HSM from any vCPU)
 * @mp_state: KVM_MP_STATE_RUNNABLE or KVM_MP_STATE_STOPPED
 * @start_pc: HSM hart_start (or SBI SUSP resume) address, applied by
 *	RVHV_REQ_START
 * @start_a1: its opaque value (guest a1)
 * @sta: SBI STA state (struct rvhv_sta)
 * @pmu: SBI PMU state (vcpu/sbi_pmu.h: its own rules)
 * @fwft: SBI FWFT state (vcpu/sbi_fwft.h)
 * @batch: the guest's RVHV_SBI_BATCH array while rvhv runs it
 * @console_len: bytes in @console_buf
 * @console_buf: legacy console output coalesced in the kernel (when the
 *	VMM enabled RVHV_CAP_CONSOLE_COALESCE), handed over in one exit
 * @stat: its statistics (stats/stats.h): only this vCPU's KVM_RUN
 *	thread writes them, stats fds and debugfs read them locklessly
 * @stats_id: its stats fd's id string, "kvm-<pid>/vcpu-<id>" (fixed at
 *	creation)
 * @dirty_ring: its dirty ring when the VM has rings (mmu/dirty.h: its own
 *	rules)
 * @preload: its G-stage fault pattern, for preloading (mmu/preload.h:
 *	its own rules)
 *
 * Unless said otherwise above, all of it is protected by @mutex, except
 * what the world switch and the preempt notifier touch, which only the
 * thread holding @mutex runs.
 */
struct rvhv_vcpu {
	struct rvhv_vm *vm;
	unsigned int id;
	struct kvm_run *run;
	struct mutex mutex;
	struct preempt_notifier pn;
	int cpu;
	int last_cpu;
	unsigned long hgatp;
	u64 vmid_word;
	struct rvhv_fence fence_acc;
	bool fence_defer;
	bool ran;
	u32 guest_debug;
	struct rvhv_guest_ctx ctx;
	struct rvhv_vs_csr csr;
	union __riscv_fp_state fp;
	union __riscv_fp_state host_fp;
	struct __riscv_v_ext_state vector;
	unsigned long sstateen0;
	unsigned long host_sstateen0;
	unsigned long timer_state;
	DECLARE_BITMAP(isa_ext, RVHV_ISA_EXT_MAX);
	DECLARE_BITMAP(sbi_ext, RVHV_SBI_EXT_MAX);
	unsigned long mvendorid;
	unsigned long marchid;
	unsigned long mimpid;
	enum rvhv_pending pending;
	unsigned int mmio_rd;
	unsigned int mmio_len;
	bool mmio_signed;
	unsigned int insn_len;
	u64 fast_mmio_exit;
	int mode;
	unsigned long requests;
	unsigned long irq_pending;
	unsigned long irq_pending_mask;
	struct wait_queue_head wait;
	bool halted;
	struct hrtimer timer;
	u64 timer_next;
	spinlock_t mp_lock;
	unsigned int mp_state;
	unsigned long start_pc;
	unsigned long start_a1;
	struct rvhv_sta sta;
	struct rvhv_pmu pmu;
	struct rvhv_fwft fwft;
	struct rvhv_sbi_batch_entry batch[RVHV_SBI_BATCH_MAX];
	unsigned int console_len;
	char console_buf[RVHV_CONSOLE_BUF];
	struct rvhv_vcpu_stat stat;
	char stats_id[KVM_STATS_NAME_SIZE];
	struct rvhv_dirty_ring dirty_ring;
	struct rvhv_preload preload;
};

/* The vCPU's emulated IMSIC (MSI-mode AIA device, after INIT), or NULL. */
static inline struct rvhv_imsic *rvhv_vcpu_imsic(struct rvhv_vcpu *vcpu)
{
	struct rvhv_aia *aia = rvhv_vm_aia(vcpu->vm);

	return aia ? rvhv_aia_imsic(aia, vcpu->id) : NULL;
}

/* rvhv_vm.c */
extern struct list_head rvhv_vms;
extern struct mutex rvhv_vms_lock;
extern atomic_t rvhv_nr_vms;
int rvhv_create_vm(unsigned long type);
long rvhv_check_extension(struct rvhv_vm *vm, long cap);
void rvhv_vm_put(struct rvhv_vm *vm);

/* vcpu/vcpu.c */
int rvhv_create_vcpu(struct rvhv_vm *vm, unsigned long id);
void rvhv_vcpu_free(struct rvhv_vcpu *vcpu);
/* The vCPU with this id (the guest's hartid), or NULL. */
struct rvhv_vcpu *rvhv_vm_vcpu(struct rvhv_vm *vm, unsigned long hartid);
/*
 * Make the vCPU notice new work: wake it from WFI or a stop, or push it
 * out of the guest with an IPI.  Any thread, any context but NMI.
 */
void rvhv_vcpu_kick(struct rvhv_vcpu *vcpu);
/*
 * Raise or lower a VS interrupt (IRQ_VS_SOFT/TIMER/EXT, RVHV_IRQ_APLIC/
 * IMSIC) and kick.  @source (RVHV_IRQ_SRC_*) says who, for the rvhv_irq
 * tracepoint.
 */
void rvhv_vcpu_set_irq(struct rvhv_vcpu *vcpu, unsigned int irq, bool level,
		       unsigned int source);
#define RVHV_IRQ_SRC_USER	0	/* KVM_INTERRUPT */
#define RVHV_IRQ_SRC_GSI	1	/* KVM_IRQ_LINE, irqfd (IRQ_LINES) */
#define RVHV_IRQ_SRC_TIMER	2	/* the vCPU's timer (no Sstc) */
#define RVHV_IRQ_SRC_SBI	3	/* an SBI call (IPI, set_timer) */
#define RVHV_IRQ_SRC_APLIC	4	/* the in-kernel APLIC */
#define RVHV_IRQ_SRC_IMSIC	5	/* an emulated IMSIC */
/*
 * HSM: start a stopped vCPU at @pc with a0 = its hartid, a1 = @a1.
 * Returns 0, or -EALREADY if it is not stopped.
 */
int rvhv_vcpu_hart_start(struct rvhv_vcpu *vcpu, unsigned long pc,
			 unsigned long a1);
/*
 * SBI SUSP: the vCPU's next KVM_RUN resets it and starts it at @pc with
 * a0 = its hartid, a1 = @a1, as an HSM start would; it stays runnable.
 */
void rvhv_vcpu_request_reset(struct rvhv_vcpu *vcpu, unsigned long pc,
			     unsigned long a1);
/* Stop a vCPU (itself, or another: SRST); it blocks in KVM_RUN. */
void rvhv_vcpu_stop(struct rvhv_vcpu *vcpu);
/* Is it stopped (HSM hart_get_status)? */
bool rvhv_vcpu_stopped(struct rvhv_vcpu *vcpu);
/*
 * From an exit handler of the vCPU's own thread: behave as WFI (block until
 * an enabled interrupt is pending) before re-entering the guest.
 */
void rvhv_vcpu_halt(struct rvhv_vcpu *vcpu);

/* vcpu/timer.c: the guest timer without Sstc, and WFI wake-ups. */
extern bool rvhv_use_sstc;
void rvhv_timer_setup(void);
void rvhv_timer_init(struct rvhv_vcpu *vcpu);
/* SBI set_timer: program the guest's timer (either kind); an SBI error. */
long rvhv_timer_set(struct rvhv_vcpu *vcpu, u64 next);
/* Without Sstc: arm (at csr.vstimecmp) or cancel the timer; ONE_REG state. */
void rvhv_timer_restore(struct rvhv_vcpu *vcpu, bool on);
/* With Sstc: guest time at or past the loaded vstimecmp (vCPU loaded). */
bool rvhv_timer_passed(struct rvhv_vcpu *vcpu);
/* Arm / cancel the wake-up of a halted vCPU at its timer deadline. */
void rvhv_timer_arm_wakeup(struct rvhv_vcpu *vcpu);
void rvhv_timer_cancel_wakeup(struct rvhv_vcpu *vcpu);

/*
 * mmu/fence.c: SBI RFENCE for the VM of @vcpu, done before returning on
 * every host CPU that may hold the VM's translations (mmu/tlb.c).  @start/
 * @size as in the SBI spec (size -1UL, or start 0 and size 0: everything).
 * Inside an RVHV_SBI_BATCH (@vcpu->fence_defer) consecutive fences are
 * merged and done by rvhv_fence_flush() before the next other call.
 */
void rvhv_fence_i(struct rvhv_vcpu *vcpu);
void rvhv_fence_vvma(struct rvhv_vcpu *vcpu, unsigned long start,
		     unsigned long size);
void rvhv_fence_vvma_asid(struct rvhv_vcpu *vcpu, unsigned long start,
			  unsigned long size, unsigned long asid);
void rvhv_fence_flush(struct rvhv_vcpu *vcpu);
/* Guest time (rdtime as the guest sees it). */
u64 rvhv_guest_time(struct rvhv_vm *vm);

/*
 * vcpu/onereg.c: ONE_REG and KVM_GET_REG_LIST.  Called with vcpu->mutex
 * held and the vCPU not loaded (its CSRs are in vcpu->csr).
 */
void rvhv_vcpu_config_init(struct rvhv_vcpu *vcpu);
int rvhv_get_one_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg);
int rvhv_set_one_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg);
int rvhv_get_reg_list(struct rvhv_vcpu *vcpu,
		      struct kvm_reg_list __user *list);

/*
 * vcpu/state.c: ONE_REG CSR sip, hvip with the pending interrupt lines
 * (vcpu->mutex held, vCPU not loaded).
 */
unsigned long rvhv_state_get_sip(struct rvhv_vcpu *vcpu);
void rvhv_state_set_sip(struct rvhv_vcpu *vcpu, unsigned long val);

/*
 * vcpu/sbi.c: SBI calls from the guest (ecall from VS-mode).
 * rvhv_sbi_ecall() returns 1 when the call was handled in the kernel
 * (a0/a1 set, pc advanced: re-enter the guest), 0 when it must exit to
 * userspace (vcpu->run filled in, vcpu->pending set), or a negative errno
 * for KVM_RUN.
 */
int rvhv_sbi_ecall(struct rvhv_vcpu *vcpu);
/*
 * The same from the exit fast path (trap/fastpath.c), interrupts off:
 * RVHV_FAST_DECLINED, nothing done, when the call needs the full path.
 */
int rvhv_sbi_ecall_fast(struct rvhv_vcpu *vcpu);
#define RVHV_FAST_DECLINED	2
/* Complete a forwarded SBI call from run->riscv_sbi.ret (next KVM_RUN). */
void rvhv_sbi_complete(struct rvhv_vcpu *vcpu);
/* Is the KVM_RISCV_SBI_EXT_* extension implemented by rvhv at all? */
bool rvhv_sbi_ext_available(unsigned int kvm_ext);
/* Is it enabled by default for a new vCPU? */
bool rvhv_sbi_ext_default_on(unsigned int kvm_ext);

/*
 * vcpu/sbi_sta.c: SBI STA.  rvhv_sta_update() runs in KVM_RUN before the
 * guest is entered after a vcpu_load (RVHV_REQ_STEAL); the ONE_REG
 * accessors take the register number within KVM_REG_RISCV_SBI_STA and
 * return 0 or kvm.ko's errno.
 */
void rvhv_sta_reset(struct rvhv_vcpu *vcpu);
void rvhv_sta_update(struct rvhv_vcpu *vcpu);
int rvhv_sta_get_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long *val);
int rvhv_sta_set_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long val);

/*
 * vcpu/debug.c: KVM_SET_GUEST_DEBUG (vcpu->mutex held), the hedeleg a
 * vCPU runs with (at each guest entry, interrupts off, and at vcpu_put:
 * breakpoints come to rvhv while debugging is on), and its exit
 * (KVM_EXIT_DEBUG).
 */
long rvhv_vcpu_set_guest_debug(struct rvhv_vcpu *vcpu,
			       const void __user *argp);
void rvhv_debug_enter(const struct rvhv_vcpu *vcpu);
void rvhv_debug_put(const struct rvhv_vcpu *vcpu);
int rvhv_debug_exit(struct rvhv_vcpu *vcpu);

/*
 * vcpu/console.c: coalesced legacy console output.  Called by KVM_RUN
 * when an exit to userspace is due: if bytes are buffered, turn this exit
 * into the console exit instead (the other one will recur: the guest
 * instruction behind it has not completed).  Returns true if it did.
 */
bool rvhv_console_flush_exit(struct rvhv_vcpu *vcpu);

/* Is the KVM_RISCV_ISA_EXT_* extension offered to guests (host has it)? */
bool rvhv_isa_ext_available(unsigned int kvm_ext);

/* mmu/vmid.c */
extern atomic64_t rvhv_vmid_gen;
void rvhv_vmid_detect(void);
void rvhv_vmid_init(void);
bool rvhv_vmid_update(struct rvhv_vmid *vmid);
/* The largest VMID handed out since the module loaded. */
unsigned long rvhv_vmid_hwm(void);

static inline u64 rvhv_vmid_generation(void)
{
	return atomic64_read(&rvhv_vmid_gen);
}

/* Is a VMID word (struct rvhv_vmid) of the current generation? */
static inline bool rvhv_vmid_current(u64 word)
{
	return rvhv_vmid_gen_of(word) == rvhv_vmid_generation();
}

/*
 * With interrupts off since the VM's word was found current: may its
 * VMID still be used here?  It may, also once a rollover has advanced the
 * generation: no VM takes a VMID of the new one before this CPU has taken
 * the rollover's IPI.  For debug_checks.
 */
bool rvhv_vmid_usable(u64 word);

/*
 * The VM's G-stage mode (hgatp.MODE) and guest physical address width,
 * from its page-table levels (struct rvhv_mmu.levels: 3 Sv39x4, 4 Sv48x4,
 * 5 Sv57x4; the host's widest unless the VMM chose another with
 * KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS) before the VM had vCPUs or memslots).
 */
static inline unsigned long rvhv_vm_hgatp_mode(struct rvhv_vm *vm)
{
	return HGATP_MODE_SV39X4 + READ_ONCE(vm->mmu.levels) - 3;
}

static inline unsigned int rvhv_vm_gpa_bits(struct rvhv_vm *vm)
{
	return 41 + 9 * (READ_ONCE(vm->mmu.levels) - 3);
}

/* hgatp for @vm with the VMID of @word: mode, VMID, root page table. */
static inline unsigned long rvhv_vm_hgatp(struct rvhv_vm *vm, u64 word)
{
	return (rvhv_vm_hgatp_mode(vm) << HGATP_MODE_SHIFT) |
	       ((rvhv_vmid_of(word) << HGATP_VMID_SHIFT) & HGATP_VMID) |
	       rvhv_mmu_root_ppn(vm);
}

/*
 * mmu/tlb.c: who may hold a VM's translations, and the flushes that keep
 * each host CPU's TLB honest (the rules are at the top of mmu/tlb.c).
 */
extern bool rvhv_debug_checks;
int rvhv_tlb_init(void);
void rvhv_tlb_exit(void);
/* This CPU came online: its hgatp and TLB are unknown. */
void rvhv_tlb_cpu_online(void);
int rvhv_tlb_vm_init(struct rvhv_vm *vm);
void rvhv_tlb_vm_free(struct rvhv_vm *vm);
/* vcpu_load / vcpu_put on this CPU (preemption disabled). */
void rvhv_tlb_load(struct rvhv_vcpu *vcpu, int cpu);
void rvhv_tlb_put(struct rvhv_vcpu *vcpu);
/*
 * Make hgatp hold the VMID of @word for the vCPU (0 if @word is 0) and do
 * the flushes the rules ask for.  Interrupts off since the caller found
 * @word, the VM's VMID word, current (rvhv_vmid_current()).
 */
void rvhv_tlb_sync(struct rvhv_vcpu *vcpu, u64 word);
/*
 * Before an HLV/HLVX in an exit handler: disables interrupts (flags saved
 * in *@flags, for local_irq_restore()) with the VM's current VMID live in
 * hgatp.  May take a new VMID first.  Process context, vCPU loaded.
 */
void rvhv_tlb_hlv_begin(struct rvhv_vcpu *vcpu, unsigned long *flags);
/* debug_checks: hgatp and the ownership rules hold here (irqs off). */
void rvhv_tlb_check(struct rvhv_vcpu *vcpu, const char *where);
/*
 * Fence @f for @vm on every CPU where one of its vCPUs is loaded (IPI)
 * and mark every other CPU stale.  Process context, irqs on, no spinlock.
 */
void rvhv_tlb_fence_vm(struct rvhv_vm *vm, const struct rvhv_fence *f);
/*
 * After a G-stage change under rvhv_mmu.lock on this CPU: fence @gpa's
 * translation of @vm here, if the VM is live here (else mark this CPU
 * stale).  Preemption disabled.
 */
void rvhv_tlb_gvma_local(struct rvhv_vm *vm, u64 gpa);
void rvhv_tlb_show(struct seq_file *m);


/*
 * A CSR instruction (SYSTEM opcode: csrrw/csrrs/csrrc and their immediate
 * forms) from a virtual-instruction trap, for the CSRs rvhv emulates (the
 * AIA's in irqchip/imsic.c, the PMU counters in vcpu/sbi_pmu.c).
 */
struct rvhv_csr_insn {
	unsigned int csr, rd, rs1, funct3;
};

/* Decode @insn into @c; false if it is not a CSR instruction. */
static inline bool rvhv_csr_insn_decode(unsigned long insn,
					struct rvhv_csr_insn *c)
{
	c->funct3 = (insn >> 12) & 7;
	c->rd = (insn >> 7) & 0x1f;
	c->rs1 = (insn >> 15) & 0x1f;
	c->csr = insn >> 20;
	return (insn & 0x7f) == 0x73 && (c->funct3 & 3);
}

/* Does it write the CSR?  csrrw always; csrrs/csrrc unless rs1/uimm is 0. */
static inline bool rvhv_csr_insn_writes(const struct rvhv_csr_insn *c)
{
	return (c->funct3 & 3) == 1 || c->rs1;
}

#endif /* _RVHV_INT_H */
