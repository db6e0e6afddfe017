// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI PMU extension (0x504D55), firmware counters.
 *
 * Owns a vCPU's SBI PMU (struct rvhv_pmu in vcpu->pmu, vcpu/sbi_pmu.h):
 * its counters, the SBI calls that drive them and the firmware events
 * the rest of rvhv reports.  ONE_REG SBI_EXT id KVM_RISCV_SBI_EXT_PMU,
 * enabled by default.  kvm.ko keeps no ONE_REG state of its counters;
 * rvhv's are registers of its own (RVHV_REG_RISCV_SBI_PMU,
 * uapi/linux/rvhv.h), so a restored vCPU counts on.
 *
 * Hardware counters are not offered: they would be host perf events
 * (as kvm.ko's, which needs CONFIG_RISCV_PMU_SBI and perf), and the test
 * hosts' kernels have no CONFIG_PERF_EVENTS, so that path could not be
 * tested.  A vCPU has RVHV_PMU_NR_CTRS firmware counters, indices 0..,
 * and nothing else: num_counters counts only those, hardware events are
 * SBI_ERR_NOT_SUPPORTED, the guest gets no Zihpm or Sscofpmf.
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
 *   num_counters (0)            RVHV_PMU_NR_CTRS
 *   counter_get_info (1)        a0 counter: type firmware (bit XLEN-1),
 *                               width 63, CSR 0; SBI_ERR_INVALID_PARAM
 *                               for a counter that does not exist
 *   counter_config_matching (2) a0 base, a1 mask, a2 flags, a3 event_idx,
 *                               a4 event_data (ignored):
 *     mask 0, or naming a counter that does not exist (or base + bit
 *     wrapping)                         SBI_ERR_INVALID_PARAM
 *     flags above SET_MINH (bit 7)      SBI_ERR_INVALID_PARAM
 *     event_idx bits above 19, a type that does not exist, or a
 *     firmware code above 21 but 0xffff SBI_ERR_INVALID_PARAM
 *     a hardware, cache or raw event, or the platform firmware event
 *     (0xffff)                          SBI_ERR_NOT_SUPPORTED
 *     SKIP_MATCH: the first counter of the set, which must be in use,
 *     else                              SBI_ERR_FAILURE (as kvm.ko);
 *     it is stopped first if it runs
 *     else the first counter of the set not in use; none
 *                                       SBI_ERR_NOT_SUPPORTED
 *     The counter now counts the event; CLEAR_VALUE zeroes it,
 *     AUTO_START starts it, the filter flags (VUINH...) are ignored
 *     (every event here is the vCPU's own).  a1 = the counter.
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
 *     was in use (its value kept until configured again)
 *   counter_fw_read (5)         a0 counter: its value; a counter that
 *                               does not exist or is not in use
 *                                       SBI_ERR_INVALID_PARAM
 *   counter_fw_read_hi (6)      RV64: 0, success (SBI 2.0, as kvm.ko)
 *   snapshot_set_shmem (7)      SBI_ERR_NOT_SUPPORTED: no snapshots
 *   event_get_info (8, SBI 3.0) a0 shmem_lo, a1 shmem_hi, a2 entries,
 *                               a3 flags: an array of 16-byte entries
 *                               (u32 event_idx, u32 output, u64
 *                               event_data); output becomes 1 for the
 *                               events counter_config_matching takes, 0
 *                               for the others:
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
 * every counter and zeroes the event counts, as kvm.ko's.  All of it
 * completes in the kernel and may run in an RVHV_SBI_BATCH, but
 * event_get_info (a signal may leave it to be made again).
 */
#include <linux/bitops.h>
#include <linux/kvm.h>
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

void rvhv_pmu_reset(struct rvhv_vcpu *vcpu)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned int i;

	for (i = 0; i < SBI_PMU_FW_MAX; i++)
		atomic64_set(&pmu->fw[i], 0);
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

/* The counter's value now. */
static u64 rvhv_pmu_value(struct rvhv_pmu *pmu, unsigned int i)
{
	struct rvhv_pmu_ctr *c = &pmu->ctr[i];
	unsigned int ev = c->event & 0xffff;

	if (!(pmu->started & BIT(i)))
		return c->value;
	return c->value + atomic64_read(&pmu->fw[ev]) - c->base;
}

static void rvhv_pmu_start(struct rvhv_pmu *pmu, unsigned int i)
{
	struct rvhv_pmu_ctr *c = &pmu->ctr[i];

	c->base = atomic64_read(&pmu->fw[c->event & 0xffff]);
	pmu->started |= BIT(i);
}

static void rvhv_pmu_stop(struct rvhv_pmu *pmu, unsigned int i)
{
	pmu->ctr[i].value = rvhv_pmu_value(pmu, i);
	pmu->started &= ~BIT(i);
}

/*
 * The counters base + mask names, as a mask of counter indices, or 0 if
 * the mask is empty or names one that does not exist.
 */
static unsigned long rvhv_pmu_set(unsigned long base, unsigned long mask)
{
	if (!mask || base >= RVHV_PMU_NR_CTRS ||
	    __fls(mask) >= RVHV_PMU_NR_CTRS - base)
		return 0;
	return mask << base;
}

/* SBI_SUCCESS for a firmware event rvhv counts, else the SBI error. */
static long rvhv_pmu_check_event(unsigned long eidx)
{
	unsigned long code = eidx & 0xffff;

	if (eidx >> 20)
		return SBI_ERR_INVALID_PARAM;
	switch (eidx >> 16) {
	case SBI_PMU_EVENT_TYPE_HW:
	case SBI_PMU_EVENT_TYPE_CACHE:
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

int rvhv_pmu_get_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long *val)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned long i = num / 3;

	if (i >= RVHV_PMU_NR_CTRS)
		return -ENOENT;
	if (num == RVHV_SBI_PMU_CTR_EVENT(i))
		*val = pmu->ctr[i].event;
	else if (num == RVHV_SBI_PMU_CTR_VALUE(i))
		*val = rvhv_pmu_value(pmu, i);
	else
		*val = (pmu->in_use & BIT(i) ? RVHV_SBI_PMU_CTR_IN_USE : 0) |
		       (pmu->started & BIT(i) ? RVHV_SBI_PMU_CTR_STARTED : 0);
	return 0;
}

/* Any order: a started counter counts on from what was just written. */
int rvhv_pmu_set_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long val)
{
	struct rvhv_pmu *pmu = &vcpu->pmu;
	unsigned long i = num / 3;
	bool started;

	if (i >= RVHV_PMU_NR_CTRS)
		return -ENOENT;
	started = pmu->started & BIT(i);
	if (num == RVHV_SBI_PMU_CTR_EVENT(i)) {
		if (val && rvhv_pmu_check_event(val))
			return -EINVAL;
		if (started)
			rvhv_pmu_stop(pmu, i);
		pmu->ctr[i].event = val;
	} else if (num == RVHV_SBI_PMU_CTR_VALUE(i)) {
		pmu->ctr[i].value = val;
	} else {
		if ((val & ~(RVHV_SBI_PMU_CTR_IN_USE |
			     RVHV_SBI_PMU_CTR_STARTED)) ||
		    val == RVHV_SBI_PMU_CTR_STARTED)
			return -EINVAL;
		if (started)
			rvhv_pmu_stop(pmu, i);
		started = val & RVHV_SBI_PMU_CTR_STARTED;
		if (val & RVHV_SBI_PMU_CTR_IN_USE)
			pmu->in_use |= BIT(i);
		else
			pmu->in_use &= ~BIT(i);
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
		if (pmu->started & BIT(i))
			rvhv_pmu_stop(pmu, i);
	} else {
		free = set & ~pmu->in_use;
		if (!free)
			return SBI_ERR_NOT_SUPPORTED;
		i = __ffs(free);
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
	for_each_set_bit(i, &set, RVHV_PMU_NR_CTRS) {
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
		if (flags & SBI_PMU_STOP_FLAG_RESET)
			pmu->in_use &= ~BIT(i);
	}
	return err;
}

static long rvhv_pmu_read(struct rvhv_vcpu *vcpu, unsigned long i,
			  unsigned long *out)
{
	if (i >= RVHV_PMU_NR_CTRS || !(vcpu->pmu.in_use & BIT(i)))
		return SBI_ERR_INVALID_PARAM;
	*out = rvhv_pmu_value(&vcpu->pmu, i);
	return SBI_SUCCESS;
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
		ret->value = RVHV_PMU_NR_CTRS;
		break;
	case SBI_EXT_PMU_COUNTER_GET_INFO:
		if (a0 >= RVHV_PMU_NR_CTRS) {
			ret->error = SBI_ERR_INVALID_PARAM;
			break;
		}
		/* type firmware, width 63 (64 bits), no CSR */
		ret->value = BIT(BITS_PER_LONG - 1) | (63UL << 12);
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
