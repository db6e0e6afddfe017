/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv statistics: what stats/ owns.
 *
 * Every counter rvhv keeps about a VM or a vCPU, in one place: the data
 * blocks behind KVM_GET_STATS_FD (KVM's binary statistics format, read by
 * the same tools as kvm.ko's), the debugfs views (rvhv/vms, rvhv/vcpus)
 * and the exit-latency histograms, which no other hypervisor has.  The
 * structures below are those data blocks, field for field in the order
 * of the descriptors in stats.c; the names, their meaning and the
 * exit-reason naming contract are in Documentation/rvhv.rst,
 * "Statistics".
 *
 * The hot path adds plain increments of its own vCPU's counters (only the
 * thread running KVM_RUN writes a vCPU's, so no atomics) and, for the
 * histograms, one clock read right after the guest traps and one right
 * before it is entered again (rvhv_stat_guest_exit() and
 * rvhv_stat_guest_entry(), interrupts off), switched off and on at run
 * time with the module parameter stats_hist (on by default).
 */
#ifndef _RVHV_STATS_H
#define _RVHV_STATS_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/jump_label.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/types.h>
#include <asm/cpufeature.h>
#include <asm/csr.h>
#include <asm/timex.h>

struct rvhv_vm;
struct rvhv_vcpu;
struct dentry;
struct seq_file;

/* Buckets of every log2 histogram: KVM's (HALT_POLL_HIST_COUNT). */
#define RVHV_HIST_BUCKETS	32

/*
 * Why the guest last left (the exit-latency histograms' reasons).  The
 * stat names are exit_latency_hist_<name> and exit_latency_ns_<name>
 * with the names in stats.c.
 */
enum rvhv_exit_reason {
	RVHV_EXIT_SBI,		/* ecall from VS-mode (not a halt) */
	RVHV_EXIT_MMIO,		/* G-stage fault outside the memslots */
	RVHV_EXIT_GSTAGE,	/* G-stage fault in a memslot */
	RVHV_EXIT_VIRTUAL_INSN,	/* virtual instruction but WFI */
	RVHV_EXIT_WFI,		/* WFI, HSM retentive suspend: a halt */
	RVHV_EXIT_INTERRUPT,	/* a host interrupt */
	RVHV_EXIT_OTHER,	/* a trap handed back to the guest, ... */
	RVHV_EXIT_NR,
};

/*
 * The SBI extensions counted apart (rvhv_sbi_ext.stat, vcpu/sbi.h).  An
 * extension whose .stat is left 0 counts in OTHER: a new one that wants
 * its own counter adds it here and in stats.c's descriptors.
 */
enum rvhv_stat_sbi {
	RVHV_STAT_SBI_OTHER,
	RVHV_STAT_SBI_UNSUPPORTED,	/* unknown, or disabled for the vCPU */
	RVHV_STAT_SBI_BASE,
	RVHV_STAT_SBI_TIME,
	RVHV_STAT_SBI_IPI,
	RVHV_STAT_SBI_RFENCE,
	RVHV_STAT_SBI_HSM,
	RVHV_STAT_SBI_SRST,
	RVHV_STAT_SBI_DBCN,
	RVHV_STAT_SBI_LEGACY,
	RVHV_STAT_SBI_BATCH,
	RVHV_STAT_SBI_EXPERIMENTAL,
	RVHV_STAT_SBI_VENDOR,
	RVHV_STAT_SBI_STA,
	RVHV_STAT_SBI_SUSP,
	RVHV_STAT_SBI_NR,
};

/**
 * struct rvhv_exit_lat - the exit latencies of one exit reason
 * @ns: their sum (exit_latency_ns_<reason>)
 * @hist: their log2 histogram (exit_latency_hist_<reason>)
 */
struct rvhv_exit_lat {
	u64 ns;
	u64 hist[RVHV_HIST_BUCKETS];
};

/**
 * struct rvhv_vcpu_stat - a vCPU's statistics (struct rvhv_vcpu.stat)
 *
 * The fields up to @exit_at are the data block of the vCPU's stats fd,
 * one u64 per value, described by rvhv_vcpu_stats_desc[] (stats.c) in
 * this order; their meaning is in Documentation/rvhv.rst.
 * Only the thread that holds the vCPU's mutex (KVM_RUN) writes them;
 * readers (stats fds, debugfs) read each u64 whole with READ_ONCE()
 * and no lock, so a read is not a snapshot across fields.
 * @exit_at: clock (get_cycles()) when the guest last trapped, valid while
 *	@exit_lat is not NULL; not exported
 * @exit_lat: where the next guest entry records that exit's latency (the
 *	@lat of its reason), NULL: nowhere; not exported
 */
struct rvhv_vcpu_stat {
	/* KVM's generic names */
	u64 halt_wakeup;
	u64 halt_wait_ns;
	u64 halt_wait_hist[RVHV_HIST_BUCKETS];
	u64 blocking;
	/* kvm.ko's RISC-V names */
	u64 ecall_exit_stat;
	u64 wfi_exit_stat;
	u64 mmio_exit_user;
	u64 mmio_exit_kernel;
	u64 csr_exit_kernel;
	u64 signal_exits;
	u64 exits;
	/* rvhv's own */
	u64 task_work_exits;
	u64 virtual_insn_exits;
	u64 redirected_traps;
	u64 sbi_kernel;
	u64 sbi_user;
	u64 sbi[RVHV_STAT_SBI_NR];
	u64 batch_entries;
	u64 console_flushes;
	u64 gstage_faults;
	u64 gstage_fault_map;
	u64 gstage_fault_wp;
	u64 gstage_fault_mmio;
	u64 gstage_fault_spurious;
	u64 gstage_fault_retry;
	u64 gstage_map_4k;
	u64 gstage_map_2m;
	u64 gstage_preload;
	u64 gstage_map_1g;
	u64 ioeventfd_signals;
	u64 coalesced_mmio;
	u64 irqchip_accesses;
	u64 gstage_fault_fast;
	struct rvhv_exit_lat lat[RVHV_EXIT_NR];
	/* not exported: see above */
	u64 exit_at;
	struct rvhv_exit_lat *exit_lat;
};

/* Size of the vCPU stats fd's data block. */
#define RVHV_VCPU_STAT_SIZE	offsetof(struct rvhv_vcpu_stat, exit_at)

/**
 * struct rvhv_vm_stat - a VM's statistics (struct rvhv_vm.stat)
 * @remote_tlb_flush_requests: G-stage fences asked for (unmaps)
 * @remote_tlb_flush: G-stage fences done
 * @fence_reqs: remote fences asked for: SBI RFENCE and legacy fence
 *	calls, and the G-stage fences
 * @fences: remote fences sent (after coalescing)
 * @fence_ipis: IPIs they sent: fences received by other host CPUs where
 *	a vCPU of the VM was loaded
 * @fence_full: fences sent that flushed the VM's whole VS-stage (or a
 *	whole ASID) rather than a range
 *
 * The data block of the VM's stats fd, in this order (rvhv_vm_stats_desc[]
 * in stats.c).  Any vCPU thread (and the MMU notifier) updates them:
 * atomic64_t, read as u64 by the stats fd.
 */
struct rvhv_vm_stat {
	atomic64_t remote_tlb_flush_requests;
	atomic64_t remote_tlb_flush;
	atomic64_t fence_reqs;
	atomic64_t fences;
	atomic64_t fence_ipis;
	atomic64_t fence_full;
};

/* The exit-latency histograms are being kept (module parameter). */
DECLARE_STATIC_KEY_TRUE(rvhv_stats_hist);
/**
 * struct rvhv_stats_clock - get_cycles() ticks to nanoseconds
 * @mult: ns per tick, times 2^(64 - @shift) (below 2^64)
 * @shift: ticks are shifted left by this first (no tick count a latency
 *	reaches loses a bit: 2^(64 - @shift) ticks are centuries)
 *
 * ns = (ticks << shift) * mult >> 64: one shift and one mulhu.  Set at
 * module init from the time CSR's frequency.
 */
struct rvhv_stats_clock {
	u64 mult;
	unsigned long shift;
};

extern struct rvhv_stats_clock rvhv_stats_clock;
/* fls() of a byte. */
extern const u8 rvhv_stats_fls8[256];

static __always_inline u64 rvhv_stats_ticks_to_ns(u64 ticks)
{
	return mul_u64_u64_shr(ticks << rvhv_stats_clock.shift,
			       rvhv_stats_clock.mult, 64);
}

/*
 * Count @ns in a log2 histogram, KVM's buckets (kvm_stats_log_hist_update()):
 * bucket min(fls64(ns), last): 0, 1, 2-3, 4-7, ..., the last from 2^30 up.
 * With Zbb, clz (the kernel's fls64() uses it only when built for Zbb);
 * without, fls64() takes six halvings where two and a byte table do.
 */
static __always_inline void rvhv_stats_hist_add(u64 *hist, u64 ns)
{
	unsigned long b = 0;

	static_assert(RVHV_HIST_BUCKETS == 32);
#if defined(CONFIG_RISCV_ALTERNATIVE) && defined(CONFIG_TOOLCHAIN_HAS_ZBB)
	if (riscv_has_extension_likely(RISCV_ISA_EXT_ZBB)) {
		/* fls64(2^30) is the last bucket. */
		ns = min_t(u64, ns, BIT_ULL(30));
		asm (".option push\n.option arch,+zbb\n"
		     "clz %0, %1\n.option pop" : "=r" (b) : "r" (ns));
		hist[64 - b]++;
		return;
	}
#endif
	if (unlikely(ns >= BIT_ULL(30))) {
		hist[RVHV_HIST_BUCKETS - 1]++;
		return;
	}
	if (ns >> 16) {
		ns >>= 16;
		b = 16;
	}
	if (ns >> 8) {
		ns >>= 8;
		b += 8;
	}
	hist[b + rvhv_stats_fls8[ns]]++;
}

/*
 * Right after the world switch returned, interrupts still off: note when
 * and why the guest left.  The exit handlers may make the reason more
 * precise (rvhv_stat_exit_as()).
 */
static __always_inline void rvhv_stat_guest_exit(struct rvhv_vcpu_stat *st,
						 unsigned long scause)
{
	enum rvhv_exit_reason r;

	if (!static_branch_likely(&rvhv_stats_hist)) {
		st->exit_lat = NULL;
		return;
	}
	st->exit_at = get_cycles();
	if (scause == EXC_SUPERVISOR_SYSCALL)
		r = RVHV_EXIT_SBI;
	else if (scause & CAUSE_IRQ_FLAG)
		r = RVHV_EXIT_INTERRUPT;
	else if (scause == EXC_LOAD_GUEST_PAGE_FAULT ||
		 scause == EXC_STORE_GUEST_PAGE_FAULT ||
		 scause == EXC_INST_GUEST_PAGE_FAULT)
		r = RVHV_EXIT_GSTAGE;
	else if (scause == EXC_VIRTUAL_INST_FAULT)
		r = RVHV_EXIT_VIRTUAL_INSN;
	else
		r = RVHV_EXIT_OTHER;
	st->exit_lat = &st->lat[r];
}

/* An exit handler found out what the exit really is (MMIO, a halt). */
static inline void rvhv_stat_exit_as(struct rvhv_vcpu_stat *st,
				     enum rvhv_exit_reason r)
{
	if (st->exit_lat)
		st->exit_lat = &st->lat[r];
}

/* The pending exit is not timed (the vCPU stops, or is reset). */
static inline void rvhv_stat_exit_forget(struct rvhv_vcpu_stat *st)
{
	st->exit_lat = NULL;
}

/*
 * Right before the world switch enters the guest, interrupts off: the
 * last exit's latency, from its trap to now, into its histogram.  Every
 * entry is followed by an exit, which sets @exit_lat again.
 */
static __always_inline void rvhv_stat_guest_entry(struct rvhv_vcpu_stat *st)
{
	struct rvhv_exit_lat *lat = st->exit_lat;
	u64 ns;

	if (!lat)
		return;
	ns = rvhv_stats_ticks_to_ns(get_cycles() - st->exit_at);
	lat->ns += ns;
	rvhv_stats_hist_add(lat->hist, ns);
}

/* stats.c */
int rvhv_stats_init(void);
void rvhv_stats_debugfs_init(struct dentry *dir);
/* A new VM's or vCPU's: the stats id strings ("kvm-<pid>", ...). */
void rvhv_stats_vm_init(struct rvhv_vm *vm);
void rvhv_stats_vcpu_init(struct rvhv_vcpu *vcpu);
/* KVM_GET_STATS_FD on a VM fd and on a vCPU fd: the new fd or -errno. */
int rvhv_vm_stats_fd(struct rvhv_vm *vm);
int rvhv_vcpu_stats_fd(struct rvhv_vcpu *vcpu);
/* A VM's statistics as " name=value" pairs (debugfs rvhv/vms). */
void rvhv_stats_seq_vm(struct seq_file *m, struct rvhv_vm *vm);
/* A vCPU halted (WFI) and slept @ticks (get_cycles()) before it woke. */
void rvhv_stats_halt_wait(struct rvhv_vcpu_stat *st, u64 ticks);

#endif /* _RVHV_STATS_H */
