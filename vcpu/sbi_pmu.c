// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI PMU extension (0x504D55): firmware counters, and hardware
 * counters backed by host perf events.
 *
 * Owns a vCPU's SBI PMU (struct rvhv_pmu in vcpu->pmu, vcpu/sbi_pmu.h):
 * its counters, the SBI calls that drive them and the firmware events
 * the rest of rvhv reports.  ONE_REG SBI_EXT id KVM_RISCV_SBI_EXT_PMU,
 * enabled by default.  kvm.ko keeps no ONE_REG state of its counters;
 * rvhv's are registers of its own (RVHV_REG_RISCV_SBI_PMU,
 * uapi/linux/rvhv.h), so a restored vCPU counts on.
 *
 * Counters: on a host kernel with perf and the SBI PMU driver that
 * reports hardware counters (riscv_pmu_get_hpm_info(), at module load),
 * hardware counter indices 0..rvhv_pmu_hw-1 as kvm.ko lays them out:
 * 0 cycle, 1 the time CSR's place (no counter), 2 instret, 3.. the
 * hpmcounters, as many as the host has.  Then RVHV_PMU_NR_CTRS firmware
 * counters (indices 0.. on a host without hardware ones).  The guest
 * gets Zihpm exactly where hardware counters exist; never Sscofpmf: no
 * overflow interrupt (LCOFI) reaches a guest, counters only count.
 *
 * A hardware counter is a host perf event of the KVM_RUN thread (struct
 * rvhv_pmu_ctr.perf: its lifetime rules), counting, enabled while the
 * counter is started; its value is its value at start plus the event's
 * growth since.  The guest reads it through its CSR (cycle + index):
 * hcounteren (RVHV_HCOUNTEREN) lets only time through, so the read is a
 * virtual-instruction exit, answered by rvhv_pmu_csr_insn(); an
 * hpmcounter not configured, a write, or a VU-mode read the guest's
 * scounteren does not allow is an illegal instruction for the guest,
 * while cycle and instret not configured read 0 (Zicntr's, which every
 * guest has, as kvm.ko answers them).  What it counts:
 * with Sscofpmf on the host, only the guest (exclude_host/exclude_hv;
 * the guest's SINH/UINH become VS/VU inhibits); without, the perf driver
 * takes no exclude flags and the count is the vCPU thread's wherever it
 * runs (its exits, the VMM) and the guest's filters are not honoured
 * (kvm.ko offers no PMU there).  Creating, reading, enabling and freeing
 * perf events may sleep: it is done only from the SBI calls, the
 * virtual-instruction exit, ONE_REG and rvhv_pmu_run()/release(), all in
 * process context with interrupts on; no PMU call runs in the exit fast
 * path (no irqs_off in rvhv_sbi_ext_pmu).
 *
 * The firmware events a vCPU counts (SBI 2.0 "Firmware Events"):
 *   MISALIGNED_LOAD/STORE, ACCESS_LOAD/STORE, ILLEGAL_INSN
 *       such a guest trap that came to rvhv and that rvhv handed back
 *       to the guest (a misaligned one only while FWFT
 *       MISALIGNED_EXC_DELEG is off: delegated, the hart gives it to the
 *       guest directly, as firmware that delegates never sees them)
 *   SET_TIMER          TIME set_timer and legacy set_timer calls
 *   IPI_SENT           IPI send_ipi and legacy send_ipi calls
 *   IPI_RECEIVED       on each vCPU such a call raised VSSIP on
 *   FENCE_I_SENT/RECEIVED, SFENCE_VMA_SENT/RECEIVED,
 *   SFENCE_VMA_ASID_SENT/RECEIVED
 *       RFENCE (and legacy) remote_fence_i, remote_sfence_vma and
 *       remote_sfence_vma_asid: sent on the caller, received on each
 *       vCPU its hart mask names (rvhv fences the whole VM, more than
 *       the mask asks for; the events follow what the guest asked).
 *       kvm.ko counts the sfence calls as HFENCE_VVMA(_ASID) events.
 *   HFENCE_GVMA(_VMID)_SENT/RECEIVED, HFENCE_VVMA(_ASID)_SENT/RECEIVED
 *       stay 0: a guest has no H extension, its remote_hfence calls are
 *       SBI_ERR_NOT_SUPPORTED.
 *
 *   num_counters (0)            hardware counter indices (time's too)
 *                               + RVHV_PMU_NR_CTRS
 *   counter_get_info (1)        a0 counter: firmware: type firmware (bit
 *                               XLEN-1), width 63, CSR 0; hardware: type
 *                               hardware, width 63 (cycle, instret) or
 *                               the host's hpm width, CSR cycle + index;
 *                               SBI_ERR_INVALID_PARAM for a counter that
 *                               does not exist (1, time, among them)
 *   counter_config_matching (2) a0 base, a1 mask, a2 flags, a3 event_idx,
 *                               a4 event_data (ignored):
 *     mask 0, or naming a counter that does not exist (or base + bit
 *     wrapping)                         SBI_ERR_INVALID_PARAM
 *     flags above SET_MINH (bit 7)      SBI_ERR_INVALID_PARAM
 *     event_idx bits above 19, a type that does not exist, or a
 *     firmware code above 21 but 0xffff SBI_ERR_INVALID_PARAM
 *     a raw event, the platform firmware event (0xffff), a hardware or
 *     cache event without hardware counters or that rvhv does not map
 *     to perf                           SBI_ERR_NOT_SUPPORTED
 *     SKIP_MATCH: the first counter of the set, which must be in use,
 *     else                              SBI_ERR_FAILURE (as kvm.ko),
 *     and able to count the event (a firmware counter a firmware
 *     event, counters 0 and 2 only cycles and instructions, 3.. any
 *     hardware or cache event), else    SBI_ERR_INVALID_PARAM;
 *     it is stopped first if it runs
 *     else the first counter of the set not in use that can count it;
 *     none                              SBI_ERR_NOT_SUPPORTED
 *     A hardware counter gets a new perf event (its old one released);
 *     the host refusing it              SBI_ERR_NOT_SUPPORTED
 *     The counter now counts the event; CLEAR_VALUE zeroes it,
 *     AUTO_START starts it; firmware counters ignore the filter flags
 *     (every event here is the vCPU's own), hardware ones keep SINH and
 *     UINH (see above).  a1 = the counter.
 *   counter_start (3)           a0 base, a1 mask, a2 flags, a3 initial:
 *     mask as above                     SBI_ERR_INVALID_PARAM
 *     flags other than SET_INIT_VALUE and INIT_SNAPSHOT
 *                                       SBI_ERR_INVALID_PARAM
 *     INIT_SNAPSHOT (no snapshot area can be set)  SBI_ERR_NO_SHMEM
 *     counters of the set not in use are left alone (as kvm.ko); one
 *     already started                   SBI_ERR_ALREADY_STARTED, the
 *     others still start (SET_INIT_VALUE: from the initial value)
 *   counter_stop (4)            a0 base, a1 mask, a2 flags:
 *     mask as above                     SBI_ERR_INVALID_PARAM
 *     flags other than RESET and TAKE_SNAPSHOT  SBI_ERR_INVALID_PARAM
 *     TAKE_SNAPSHOT                     SBI_ERR_NO_SHMEM
 *     counters not in use are left alone; one already stopped
 *                                       SBI_ERR_ALREADY_STOPPED, the
 *     others still stop; RESET releases every counter of the set that
 *     was in use (its value kept until configured again; a hardware
 *     counter's perf event freed)
 *   counter_fw_read (5)         a0 counter: its value; a counter that
 *                               does not exist, is not in use or is a
 *                               hardware one
 *                                       SBI_ERR_INVALID_PARAM
 *   counter_fw_read_hi (6)      RV64: 0, success (SBI 2.0, as kvm.ko)
 *   snapshot_set_shmem (7)      SBI_ERR_NOT_SUPPORTED: no snapshots
 *   event_get_info (8, SBI 3.0) a0 shmem_lo, a1 shmem_hi, a2 entries,
 *                               a3 flags: an array of 16-byte entries
 *                               (u32 event_idx, u32 output, u64
 *                               event_data); output becomes 1 for the
 *                               events counter_config_matching takes
 *                               (hardware ones: that rvhv maps to perf;
 *                               whether the hardware counts one shows
 *                               only in its count), 0 for the others:
 *     flags != 0, entries 0, shmem_lo not 16-byte aligned
 *                                       SBI_ERR_INVALID_PARAM
 *     shmem_hi != 0 (RV64), the array not inside one writable memslot
 *                                       SBI_ERR_INVALID_ADDRESS
 *     the VMM's memory behind it faults SBI_ERR_FAILURE (entries before
 *                                       the fault are written)
 *     A signal while rvhv waits for a page of the VMM's (userfaultfd)
 *     ends KVM_RUN with -EINTR and the guest makes the call again.
 *   other functions             SBI_ERR_NOT_SUPPORTED
 * A reset of the vCPU (HSM start, SUSP resume, KVM_SET_MP_STATE) releases
 * every counter (and perf event) and zeroes the event counts, as
 * kvm.ko's.  All of it
 * completes in the kernel and may run in an RVHV_SBI_BATCH, but
 * event_get_info (a signal may leave it to be made again).
 */
#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <linux/perf/riscv_pmu.h>
#include <linux/sched/task.h>
#include <asm/cpufeature.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

/* SBI 2.0's PMU numbers that <asm/sbi.h> of Linux 6.12 lacks. */
#define RVHV_SBI_PMU_EVENT_GET_INFO	8
#define RVHV_PMU_EVENT_TYPE_RAW_V2	0x3
#define RVHV_PMU_FW_PLATFORM		0xffff
#define RVHV_PMU_CFG_FLAGS		GENMASK(7, 0)
#define RVHV_PMU_START_FLAGS		(SBI_PMU_START_FLAG_SET_INIT_VALUE | \
					 SBI_PMU_START_FLAG_INIT_SNAPSHOT)
#define RVHV_PMU_STOP_FLAGS		(SBI_PMU_STOP_FLAG_RESET | \
					 SBI_PMU_STOP_FLAG_TAKE_SNAPSHOT)
/* The mode filters a hardware counter honours (its guest's S and U). */
#define RVHV_PMU_FILTERS		(SBI_PMU_CFG_FLAG_SET_SINH | \
					 SBI_PMU_CFG_FLAG_SET_UINH)
/* Counter indices 0 and 2: cycle and instret, as kvm.ko lays them out. */
#define RVHV_PMU_CY			0
#define RVHV_PMU_TM			1
#define RVHV_PMU_IR			2

/*
 * The host's hardware counters, fixed at module load: the number of
 * hardware counter indices (0: none), the hpmcounters' width, and whether
 * the host PMU filters by mode (Sscofpmf).
 */
static unsigned int rvhv_pmu_hw __read_mostly;
static unsigned int rvhv_pmu_hpm_width __read_mostly;
static bool rvhv_pmu_filter __read_mostly __maybe_unused;

void rvhv_pmu_host_init(void)
{
#if IS_ENABLED(CONFIG_RISCV_PMU_SBI) && IS_ENABLED(CONFIG_PERF_EVENTS)
	u32 width = 0, num = 0;

	if (riscv_pmu_get_hpm_info(&width, &num) < 0 || !num)
		return;
	/* cycle, instret and the hpmcounters, plus the time CSR's place */
	rvhv_pmu_hw = min_t(u32, num + 1, RVHV_PMU_MAX_HW);
	rvhv_pmu_hpm_width = width ? width : 63;
	rvhv_pmu_filter = riscv_isa_extension_available(NULL, SSCOFPMF);
	pr_info("rvhv: SBI PMU: %u hardware counter indices (hpm width %u), %s\n",
		rvhv_pmu_hw, rvhv_pmu_hpm_width,
		rvhv_pmu_filter ? "guest modes only (Sscofpmf)" :
		"no mode filtering (no Sscofpmf): host work of the vCPU thread counted too");
#endif
}

unsigned int rvhv_pmu_nr_hw(void)
{
	return rvhv_pmu_hw;
}

unsigned int rvhv_pmu_nr_regs(void)
{
	return 3 * (RVHV_PMU_NR_CTRS + rvhv_pmu_hw);
}

/* All counter indices. */
static unsigned int rvhv_pmu_nr(void)
{
	return rvhv_pmu_hw + RVHV_PMU_NR_CTRS;
}

static bool rvhv_pmu_is_hw(unsigned int i)
{
	return i < rvhv_pmu_hw;
}

/* The firmware counters, as a mask of counter indices. */
static unsigned long rvhv_pmu_fw_mask(void)
{
	return GENMASK(rvhv_pmu_nr() - 1, rvhv_pmu_hw);
}

/* The hardware counters that may count @eidx (a hardware or cache event) */
static unsigned long rvhv_pmu_hw_slots(unsigned long eidx)
{
	unsigned long prog;

	if (rvhv_pmu_hw <= RVHV_PMU_IR + 1)
		prog = 0;
	else
		prog = GENMASK(rvhv_pmu_hw - 1, RVHV_PMU_IR + 1);
	if (eidx == SBI_PMU_HW_CPU_CYCLES)
		return BIT(RVHV_PMU_CY) | prog;
	if (eidx == SBI_PMU_HW_INSTRUCTIONS && rvhv_pmu_hw > RVHV_PMU_IR)
		return BIT(RVHV_PMU_IR) | prog;
	return prog;
}

/*
 * The perf type and config of a hardware or cache event, false for one
 * rvhv does not map (SBI's hardware and cache events are perf's generic
 * ones, numbered alike).
 */
static bool rvhv_pmu_perf_event(unsigned long eidx, u32 *type, u64 *config)
{
	static const u8 hw_map[SBI_PMU_HW_GENERAL_MAX] = {
		[SBI_PMU_HW_CPU_CYCLES]	= PERF_COUNT_HW_CPU_CYCLES + 1,
		[SBI_PMU_HW_INSTRUCTIONS] = PERF_COUNT_HW_INSTRUCTIONS + 1,
		[SBI_PMU_HW_CACHE_REFERENCES] =
			PERF_COUNT_HW_CACHE_REFERENCES + 1,
		[SBI_PMU_HW_CACHE_MISSES] = PERF_COUNT_HW_CACHE_MISSES + 1,
		[SBI_PMU_HW_BRANCH_INSTRUCTIONS] =
			PERF_COUNT_HW_BRANCH_INSTRUCTIONS + 1,
		[SBI_PMU_HW_BRANCH_MISSES] = PERF_COUNT_HW_BRANCH_MISSES + 1,
		[SBI_PMU_HW_BUS_CYCLES]	= PERF_COUNT_HW_BUS_CYCLES + 1,
		[SBI_PMU_HW_STALLED_CYCLES_FRONTEND] =
			PERF_COUNT_HW_STALLED_CYCLES_FRONTEND + 1,
		[SBI_PMU_HW_STALLED_CYCLES_BACKEND] =
			PERF_COUNT_HW_STALLED_CYCLES_BACKEND + 1,
		[SBI_PMU_HW_REF_CPU_CYCLES] = PERF_COUNT_HW_REF_CPU_CYCLES + 1,
	};
	unsigned long code = eidx & 0xffff;
	unsigned long cache, op, result;

	switch (eidx >> 16) {
	case SBI_PMU_EVENT_TYPE_HW:
		if (code >= SBI_PMU_HW_GENERAL_MAX || !hw_map[code])
			return false;
		*type = PERF_TYPE_HARDWARE;
		*config = hw_map[code] - 1;
		return true;
	case SBI_PMU_EVENT_TYPE_CACHE:
		cache = code >> 3;
		op = (code >> 1) & 3;
		result = code & 1;
		if (cache >= PERF_COUNT_HW_CACHE_MAX ||
		    op >= PERF_COUNT_HW_CACHE_OP_MAX)
			return false;
		*type = PERF_TYPE_HW_CACHE;
		*config = cache | (op << 8) | (result << 16);
		return true;
	}
	return false;
}

/*
 * A disabled, counting (no sampling, no overflow handler) perf event for
 * hardware event @eidx, pinned to the current thread on any CPU.  With
 * Sscofpmf the host PMU filters by mode: the event counts only while the
 * hart runs the guest (exclude_host, exclude_hv; RISCV_PMU_CONFIG1_
 * GUEST_EVENTS turns exclude_kernel/user into VS/VU inhibits), and the
 * guest's SINH/UINH leave out its own S/U-mode.  Without it the perf
 * driver takes no exclude flags: the event counts the vCPU thread
 * wherever it runs, its host work (exits, the VMM) too, and the filters
 * are not honoured.
 */
#if IS_ENABLED(CONFIG_RISCV_PMU_SBI) && IS_ENABLED(CONFIG_PERF_EVENTS)
static struct perf_event *rvhv_pmu_perf_create(unsigned long eidx,
					       unsigned long filter)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.pinned = 1,
		.disabled = 1,
	};

	if (!rvhv_pmu_perf_event(eidx, &attr.type, &attr.config))
		return ERR_PTR(-ENOENT);
	if (rvhv_pmu_filter) {
		attr.exclude_host = 1;
		attr.exclude_hv = 1;
		attr.exclude_kernel = !!(filter & SBI_PMU_CFG_FLAG_SET_SINH);
		attr.exclude_user = !!(filter & SBI_PMU_CFG_FLAG_SET_UINH);
		attr.config1 = RISCV_PMU_CONFIG1_GUEST_EVENTS;
	}
	return perf_event_create_kernel_counter(&attr, -1, current, NULL, NULL);
}

static u64 rvhv_pmu_perf_read(struct perf_event *ev)
{
	u64 enabled, running;

	return perf_event_read_value(ev, &enabled, &running);
}

static void rvhv_pmu_perf_enable(struct perf_event *ev, bool on)
{
	if (on)
		perf_event_enable(ev);
	else
		perf_event_disable(ev);
}

static void rvhv_pmu_perf_free(struct perf_event *ev)
{
	perf_event_release_kernel(ev);
}
#else
/* A host kernel without perf: rvhv_pmu_hw is 0, none of these is used. */
static struct perf_event *rvhv_pmu_perf_create(unsigned long eidx,
					       unsigned long filter)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static u64 rvhv_pmu_perf_read(struct perf_event *ev)
{
	return 0;
}

static void rvhv_pmu_perf_enable(struct perf_event *ev, bool on)
{
}

static void rvhv_pmu_perf_free(struct perf_event *ev)
{
}
#endif

/* The count of a hardware counter's perf event (0 without one). */
static u64 rvhv_pmu_perf_count(struct rvhv_pmu_ctr *c)
{
	return c->perf ? rvhv_pmu_perf_read(c->perf) : 0;
}

/* The counter's value now. */
static u64 rvhv_pmu_value(struct rvhv_pmu *pmu, unsigned int i)
{
	struct rvhv_pmu_ctr *c = &pmu->ctr[i];

	if (!(pmu->started & BIT(i)))
		return c->value;
	if (rvhv_pmu_is_hw(i))
		return c->value + rvhv_pmu_perf_count(c) - c->base;
	return c->value + atomic64_read(&pmu->fw[c->event & 0xffff]) - c->base;
}

static void rvhv_pmu_start(struct rvhv_pmu *pmu, unsigned int i)
{
	struct rvhv_pmu_ctr *c = &pmu->ctr[i];

	if (rvhv_pmu_is_hw(i)) {
		c->base = rvhv_pmu_perf_count(c);
		if (c->perf)
			rvhv_pmu_perf_enable(c->perf, true);
	} else {
		c->base = atomic64_read(&pmu->fw[c->event & 0xffff]);
	}
	pmu->started |= BIT(i);
}

static void rvhv_pmu_stop(struct rvhv_pmu *pmu, unsigned int i)
{
	struct rvhv_pmu_ctr *c = &pmu->ctr[i];

	c->value = rvhv_pmu_value(pmu, i);
	if (rvhv_pmu_is_hw(i) && c->perf)
		rvhv_pmu_perf_enable(c->perf, false);
	pmu->started &= ~BIT(i);
}

/* A hardware counter's perf event goes; a started one keeps its value. */
static void rvhv_pmu_perf_release(struct rvhv_pmu *pmu, unsigned int i)
{
	struct rvhv_pmu_ctr *c = &pmu->ctr[i];

	if (!c->perf)
		return;
	if (pmu->started & BIT(i)) {
		c->value = rvhv_pmu_value(pmu, i);
		c->base = 0;
	}
	rvhv_pmu_perf_free(c->perf);
	c->perf = NULL;
}

static void rvhv_pmu_put_task(struct rvhv_pmu *pmu)
{
	if (pmu->task)
		put_task_struct(pmu->task);
	pmu->task = NULL;
}

void rvhv_pmu_release(struct rvhv_vcpu *vcpu)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned int i;

	might_sleep();
	for (i = 0; i < rvhv_pmu_hw; i++)
		rvhv_pmu_perf_release(pmu, i);
	rvhv_pmu_put_task(pmu);
}

void rvhv_pmu_run(struct rvhv_vcpu *vcpu)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned long hw;
	struct perf_event *ev;
	unsigned int i;

	if (likely(!rvhv_pmu_hw || pmu->task == current))
		return;
	rvhv_pmu_release(vcpu);
	get_task_struct(current);
	pmu->task = current;
	hw = pmu->in_use & GENMASK(rvhv_pmu_hw - 1, 0);
	for_each_set_bit(i, &hw, rvhv_pmu_hw) {
		/* One that cannot be made again counts nothing. */
		ev = rvhv_pmu_perf_create(pmu->ctr[i].event,
					  pmu->ctr[i].filter);
		if (IS_ERR(ev))
			continue;
		pmu->ctr[i].perf = ev;
		pmu->ctr[i].base = 0;
		if (pmu->started & BIT(i))
			rvhv_pmu_perf_enable(ev, true);
	}
}

void rvhv_pmu_reset(struct rvhv_vcpu *vcpu)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned int i;

	for (i = 0; i < SBI_PMU_FW_MAX; i++)
		atomic64_set(&pmu->fw[i], 0);
	for (i = 0; i < rvhv_pmu_hw; i++)
		WARN_ON_ONCE(pmu->ctr[i].perf);
	memset(pmu->ctr, 0, sizeof(pmu->ctr));
	pmu->in_use = 0;
	pmu->started = 0;
}

/* The firmware event, plus 1, of each trap cause rvhv_pmu_trap() counts. */
static const u8 rvhv_pmu_trap_events[] = {
	[EXC_INST_ILLEGAL]	= SBI_PMU_FW_ILLEGAL_INSN + 1,
	[EXC_LOAD_MISALIGNED]	= SBI_PMU_FW_MISALIGNED_LOAD + 1,
	[EXC_LOAD_ACCESS]	= SBI_PMU_FW_ACCESS_LOAD + 1,
	[EXC_STORE_MISALIGNED]	= SBI_PMU_FW_MISALIGNED_STORE + 1,
	[EXC_STORE_ACCESS]	= SBI_PMU_FW_ACCESS_STORE + 1,
};

void rvhv_pmu_trap(struct rvhv_vcpu *vcpu, unsigned long scause)
{
	if (scause < ARRAY_SIZE(rvhv_pmu_trap_events) &&
	    rvhv_pmu_trap_events[scause])
		rvhv_pmu_fw_event(&vcpu->pmu, rvhv_pmu_trap_events[scause] - 1);
}

void rvhv_pmu_remote(struct rvhv_vcpu *vcpu,
		     enum sbi_pmu_fw_generic_events_t sent,
		     unsigned long targets)
{
	struct rvhv_vcpu *target;
	unsigned long id;

	rvhv_pmu_fw_event(&vcpu->pmu, sent);
	for_each_set_bit(id, &targets, RVHV_MAX_VCPUS) {
		target = rvhv_vm_vcpu(vcpu->vm, id);
		if (target)
			rvhv_pmu_fw_event(&target->pmu, sent + 1);
	}
}

/*
 * The counters base + mask names, as a mask of counter indices, or 0 if
 * the mask is empty or names one that does not exist.
 */
static unsigned long rvhv_pmu_set(unsigned long base, unsigned long mask)
{
	if (!mask || base >= rvhv_pmu_nr() ||
	    __fls(mask) >= rvhv_pmu_nr() - base)
		return 0;
	return mask << base;
}

/*
 * SBI_SUCCESS for an event rvhv counts (firmware; hardware and cache ones
 * it maps to perf where the host has hardware counters), else the SBI
 * error.
 */
static long rvhv_pmu_check_event(unsigned long eidx)
{
	unsigned long code = eidx & 0xffff;
	u64 config;
	u32 type;

	if (eidx >> 20)
		return SBI_ERR_INVALID_PARAM;
	switch (eidx >> 16) {
	case SBI_PMU_EVENT_TYPE_HW:
	case SBI_PMU_EVENT_TYPE_CACHE:
		if (rvhv_pmu_hw && rvhv_pmu_perf_event(eidx, &type, &config))
			return SBI_SUCCESS;
		return SBI_ERR_NOT_SUPPORTED;
	case SBI_PMU_EVENT_TYPE_RAW:
	case RVHV_PMU_EVENT_TYPE_RAW_V2:
		return SBI_ERR_NOT_SUPPORTED;
	case SBI_PMU_EVENT_TYPE_FW:
		if (code < SBI_PMU_FW_MAX)
			return SBI_SUCCESS;
		if (code == RVHV_PMU_FW_PLATFORM)
			return SBI_ERR_NOT_SUPPORTED;
		return SBI_ERR_INVALID_PARAM;
	}
	return SBI_ERR_INVALID_PARAM;
}

static bool rvhv_pmu_is_fw_event(unsigned long eidx)
{
	return (eidx >> 16) == SBI_PMU_EVENT_TYPE_FW;
}

/* The counters that may count @eidx (an event rvhv_pmu_check_event() took). */
static unsigned long rvhv_pmu_slots(unsigned long eidx)
{
	if (rvhv_pmu_is_fw_event(eidx))
		return rvhv_pmu_fw_mask();
	return rvhv_pmu_hw_slots(eidx);
}

/*
 * ONE_REG: the counter register @num belongs to (firmware counters'
 * first, then the hardware counters', uapi/linux/rvhv.h), or -1.
 */
static int rvhv_pmu_reg_ctr(unsigned long num)
{
	if (num < 3 * RVHV_PMU_NR_CTRS)
		return rvhv_pmu_hw + num / 3;
	num -= 3 * RVHV_PMU_NR_CTRS;
	if (num / 3 < rvhv_pmu_hw)
		return num / 3;
	return -1;
}

int rvhv_pmu_get_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long *val)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	int i = rvhv_pmu_reg_ctr(num);

	if (i < 0)
		return -ENOENT;
	switch (num % 3) {
	case 0:
		*val = pmu->ctr[i].event;
		break;
	case 1:
		*val = rvhv_pmu_value(pmu, i);
		break;
	default:
		*val = (pmu->in_use & BIT(i) ? RVHV_SBI_PMU_CTR_IN_USE : 0) |
		       (pmu->started & BIT(i) ? RVHV_SBI_PMU_CTR_STARTED : 0);
		if (pmu->ctr[i].filter & SBI_PMU_CFG_FLAG_SET_SINH)
			*val |= RVHV_SBI_PMU_CTR_SINH;
		if (pmu->ctr[i].filter & SBI_PMU_CFG_FLAG_SET_UINH)
			*val |= RVHV_SBI_PMU_CTR_UINH;
		break;
	}
	return 0;
}

/*
 * Any order: a started counter counts on from what was just written.  A
 * hardware counter written here loses its perf event: the next KVM_RUN
 * makes it again (rvhv_pmu_run()), for its thread.
 */
int rvhv_pmu_set_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long val)
{
	const unsigned long states = RVHV_SBI_PMU_CTR_IN_USE |
		RVHV_SBI_PMU_CTR_STARTED | RVHV_SBI_PMU_CTR_SINH |
		RVHV_SBI_PMU_CTR_UINH;
	struct rvhv_pmu *pmu = &vcpu->pmu;
	int i = rvhv_pmu_reg_ctr(num);
	bool started, hw;

	if (i < 0)
		return -ENOENT;
	hw = rvhv_pmu_is_hw(i);
	switch (num % 3) {
	case 0:
		if (val && (rvhv_pmu_check_event(val) ||
			    !(rvhv_pmu_slots(val) & BIT(i))))
			return -EINVAL;
		break;
	case 2:
		if ((val & ~states) ||
		    (val & RVHV_SBI_PMU_CTR_STARTED &&
		     !(val & RVHV_SBI_PMU_CTR_IN_USE)) ||
		    (hw && i == RVHV_PMU_TM && val))
			return -EINVAL;
		break;
	}

	started = pmu->started & BIT(i);
	if (hw) {
		rvhv_pmu_perf_release(pmu, i);
		rvhv_pmu_put_task(pmu);
	}
	if (started)
		rvhv_pmu_stop(pmu, i);
	switch (num % 3) {
	case 0:
		pmu->ctr[i].event = val;
		break;
	case 1:
		pmu->ctr[i].value = val;
		break;
	default:
		started = val & RVHV_SBI_PMU_CTR_STARTED;
		if (val & RVHV_SBI_PMU_CTR_IN_USE)
			pmu->in_use |= BIT(i);
		else
			pmu->in_use &= ~BIT(i);
		pmu->ctr[i].filter =
			(val & RVHV_SBI_PMU_CTR_SINH ?
			 SBI_PMU_CFG_FLAG_SET_SINH : 0) |
			(val & RVHV_SBI_PMU_CTR_UINH ?
			 SBI_PMU_CFG_FLAG_SET_UINH : 0);
		break;
	}
	if (started)
		rvhv_pmu_start(pmu, i);
	return 0;
}

static long rvhv_pmu_config(struct rvhv_vcpu *vcpu, unsigned long *out)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long flags = gpr[RVHV_REG_A0 + 2];
	unsigned long eidx = gpr[RVHV_REG_A0 + 3];
	struct perf_event *ev = NULL;
	unsigned long set, free;
	unsigned int i;
	long err;

	set = rvhv_pmu_set(gpr[RVHV_REG_A0], gpr[RVHV_REG_A1]);
	if (!set || (flags & ~RVHV_PMU_CFG_FLAGS))
		return SBI_ERR_INVALID_PARAM;
	err = rvhv_pmu_check_event(eidx);
	if (err)
		return err;

	if (flags & SBI_PMU_CFG_FLAG_SKIP_MATCH) {
		i = __ffs(set);
		if (!(pmu->in_use & BIT(i)))
			return SBI_ERR_FAILURE;
		/* A counter of the other kind, or cycle/instret for another */
		if (!(rvhv_pmu_slots(eidx) & BIT(i)))
			return SBI_ERR_INVALID_PARAM;
	} else {
		free = set & rvhv_pmu_slots(eidx) & ~pmu->in_use;
		if (!free)
			return SBI_ERR_NOT_SUPPORTED;
		i = __ffs(free);
	}

	if (rvhv_pmu_is_hw(i)) {
		/* rvhv_pmu_run() made current the perf events' thread. */
		ev = rvhv_pmu_perf_create(eidx, flags & RVHV_PMU_FILTERS);
		if (IS_ERR(ev))
			return SBI_ERR_NOT_SUPPORTED;
	}
	if (pmu->started & BIT(i))
		rvhv_pmu_stop(pmu, i);
	if (ev) {
		rvhv_pmu_perf_release(pmu, i);
		pmu->ctr[i].perf = ev;
		pmu->ctr[i].filter = flags & RVHV_PMU_FILTERS;
	}
	pmu->ctr[i].event = eidx;
	pmu->in_use |= BIT(i);
	if (flags & SBI_PMU_CFG_FLAG_CLEAR_VALUE)
		pmu->ctr[i].value = 0;
	if (flags & SBI_PMU_CFG_FLAG_AUTO_START)
		rvhv_pmu_start(pmu, i);
	*out = i;
	return SBI_SUCCESS;
}

static long rvhv_pmu_start_stop(struct rvhv_vcpu *vcpu, bool start)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long flags = gpr[RVHV_REG_A0 + 2];
	unsigned long set, i;
	long err = SBI_SUCCESS;

	set = rvhv_pmu_set(gpr[RVHV_REG_A0], gpr[RVHV_REG_A1]);
	if (!set || (flags & ~(start ? RVHV_PMU_START_FLAGS :
			       RVHV_PMU_STOP_FLAGS)))
		return SBI_ERR_INVALID_PARAM;
	if (flags & (start ? SBI_PMU_START_FLAG_INIT_SNAPSHOT :
		     SBI_PMU_STOP_FLAG_TAKE_SNAPSHOT))
		return SBI_ERR_NO_SHMEM;

	set &= pmu->in_use;
	for_each_set_bit(i, &set, RVHV_PMU_MAX_CTRS) {
		if (start) {
			if (pmu->started & BIT(i)) {
				err = SBI_ERR_ALREADY_STARTED;
				continue;
			}
			if (flags & SBI_PMU_START_FLAG_SET_INIT_VALUE)
				pmu->ctr[i].value = gpr[RVHV_REG_A0 + 3];
			rvhv_pmu_start(pmu, i);
			continue;
		}
		if (pmu->started & BIT(i))
			rvhv_pmu_stop(pmu, i);
		else
			err = SBI_ERR_ALREADY_STOPPED;
		if (flags & SBI_PMU_STOP_FLAG_RESET) {
			if (rvhv_pmu_is_hw(i))
				rvhv_pmu_perf_release(pmu, i);
			pmu->in_use &= ~BIT(i);
		}
	}
	return err;
}

/* counter_fw_read: firmware counters only. */
static long rvhv_pmu_read(struct rvhv_vcpu *vcpu, unsigned long i,
			  unsigned long *out)
{
	if (i >= rvhv_pmu_nr() || rvhv_pmu_is_hw(i) ||
	    !(vcpu->pmu.in_use & BIT(i)))
		return SBI_ERR_INVALID_PARAM;
	*out = rvhv_pmu_value(&vcpu->pmu, i);
	return SBI_SUCCESS;
}

/*
 * A hardware counter's width as counter_get_info reports it (bits - 1):
 * 63 for cycle and instret, the host's for the hpmcounters.
 */
static unsigned int rvhv_pmu_width(unsigned int i)
{
	if (i == RVHV_PMU_CY || i == RVHV_PMU_IR)
		return 63;
	return rvhv_pmu_hpm_width & 63;
}

/*
 * counter_get_info: firmware counters are of type firmware (bit XLEN-1),
 * width 63, no CSR; hardware ones of type hardware, width 63 (cycle,
 * instret) or the host's hpmcounter width, and the CSR the guest reads
 * (cycle + index, as kvm.ko: the guest's hpmcounterN is not the host's).
 */
static long rvhv_pmu_info(unsigned long i, unsigned long *out)
{
	if (i >= rvhv_pmu_nr() || (rvhv_pmu_is_hw(i) && i == RVHV_PMU_TM))
		return SBI_ERR_INVALID_PARAM;
	if (!rvhv_pmu_is_hw(i))
		*out = BIT(BITS_PER_LONG - 1) | (63UL << 12);
	else
		*out = ((unsigned long)rvhv_pmu_width(i) << 12) |
		       (CSR_CYCLE + i);
	return SBI_SUCCESS;
}

bool rvhv_pmu_csr_insn(struct rvhv_vcpu *vcpu, unsigned long insn)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	struct rvhv_csr_insn c;
	unsigned int i;
	u64 val = 0;

	if (!rvhv_csr_insn_decode(insn, &c))
		return false;
	if (c.csr < CSR_CYCLE || c.csr > CSR_HPMCOUNTER31 ||
	    c.csr == CSR_TIME)
		return false;
	i = c.csr - CSR_CYCLE;
	/*
	 * Counters configured (so on a host with hardware ones) read their
	 * count.  cycle and instret are Zicntr's, which every guest has: not
	 * configured (no SBI PMU user, or no hardware counters at all) they
	 * read 0, as with kvm.ko, rather than trap.  Other hpmcounters not
	 * configured are illegal instructions.
	 */
	if (i < rvhv_pmu_hw && (pmu->in_use & BIT(i)))
		val = rvhv_pmu_value(pmu, i) &
		      GENMASK_ULL(rvhv_pmu_width(i), 0);
	else if (c.csr != CSR_CYCLE && c.csr != CSR_INSTRET)
		return false;
	/* Read-only: csrrw, csrrs/csrrc with a register or uimm not 0. */
	if (rvhv_csr_insn_writes(&c))
		return false;
	/* From VU-mode only where the guest's scounteren lets it. */
	if (!(vcpu->ctx.sstatus & SR_SPP) &&
	    !(vcpu->ctx.scounteren & BIT(i)))
		return false;
	if (c.rd)
		vcpu->ctx.gpr[c.rd] = val;
	vcpu->ctx.gpr[RVHV_REG_PC] += 4;
	return true;
}

/* struct riscv_pmu_event_info of SBI 3.0's event_get_info, little-endian */
struct rvhv_pmu_event_info {
	__le32 event_idx;
	__le32 output;
	__le64 event_data;
};

/* Entries event_get_info reads, answers and writes back at a time. */
#define RVHV_PMU_INFO_CHUNK	8

static long rvhv_pmu_event_info(struct rvhv_vcpu *vcpu, int *rc)
{
	struct rvhv_pmu_event_info info[RVHV_PMU_INFO_CHUNK];
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long gpa = gpr[RVHV_REG_A0];
	unsigned long n = gpr[RVHV_REG_A0 + 2];
	unsigned long i, j, k;
	int ret;

	if (gpr[RVHV_REG_A0 + 3] || !n || !IS_ALIGNED(gpa, 16))
		return SBI_ERR_INVALID_PARAM;
	if (gpr[RVHV_REG_A1] || n > ULONG_MAX / sizeof(info[0]) ||
	    !rvhv_gpa_in_memslot(vcpu->vm, gpa, n * sizeof(info[0]), true))
		return SBI_ERR_INVALID_ADDRESS;

	for (i = 0; i < n; i += k) {
		k = min_t(unsigned long, n - i, RVHV_PMU_INFO_CHUNK);
		ret = rvhv_read_guest(vcpu->vm, gpa + i * sizeof(info[0]),
				      info, k * sizeof(info[0]));
		if (!ret) {
			for (j = 0; j < k; j++)
				info[j].output = cpu_to_le32(!rvhv_pmu_check_event(
					le32_to_cpu(info[j].event_idx)));
			ret = rvhv_vcpu_write_guest(vcpu,
						    gpa + i * sizeof(info[0]),
						    info, k * sizeof(info[0]));
		}
		if (ret == -EINTR) {
			*rc = ret;
			return SBI_SUCCESS;
		}
		if (ret)
			return SBI_ERR_FAILURE;
	}
	return SBI_SUCCESS;
}

static int rvhv_sbi_pmu(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long a0 = vcpu->ctx.gpr[RVHV_REG_A0];
	int rc = 0;

	switch (vcpu->ctx.gpr[RVHV_REG_A6]) {
	case SBI_EXT_PMU_NUM_COUNTERS:
		ret->value = rvhv_pmu_nr();
		break;
	case SBI_EXT_PMU_COUNTER_GET_INFO:
		ret->error = rvhv_pmu_info(a0, &ret->value);
		break;
	case SBI_EXT_PMU_COUNTER_CFG_MATCH:
		ret->error = rvhv_pmu_config(vcpu, &ret->value);
		break;
	case SBI_EXT_PMU_COUNTER_START:
		ret->error = rvhv_pmu_start_stop(vcpu, true);
		break;
	case SBI_EXT_PMU_COUNTER_STOP:
		ret->error = rvhv_pmu_start_stop(vcpu, false);
		break;
	case SBI_EXT_PMU_COUNTER_FW_READ:
		ret->error = rvhv_pmu_read(vcpu, a0, &ret->value);
		break;
	case SBI_EXT_PMU_COUNTER_FW_READ_HI:
		/* RV64: the whole value came from fw_read. */
		ret->value = 0;
		break;
	case RVHV_SBI_PMU_EVENT_GET_INFO:
		ret->error = rvhv_pmu_event_info(vcpu, &rc);
		break;
	default:	/* snapshot_set_shmem too */
		ret->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return rc;
}

static bool rvhv_sbi_pmu_batchable(struct rvhv_vcpu *vcpu)
{
	return vcpu->ctx.gpr[RVHV_REG_A6] != RVHV_SBI_PMU_EVENT_GET_INFO;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_pmu = {
	.kvm_ext = KVM_RISCV_SBI_EXT_PMU,
	.batchable = rvhv_sbi_pmu_batchable,
	.handler = rvhv_sbi_pmu,
};
