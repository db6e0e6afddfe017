// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: SBI STA extension (0x535441), steal-time accounting.
 *
 * Owns a vCPU's steal-time area (struct rvhv_sta in vcpu->sta): the SBI
 * call that registers it, the update rvhv makes in it, and its ONE_REG
 * state.  Available when the host kernel keeps per-task run delays
 * (CONFIG_SCHED_INFO, which CONFIG_KVM selects); enabled by default, as
 * in kvm.ko 6.12 (arch/riscv/kvm/vcpu_sbi_sta.c), whose ABI this is:
 *
 *   steal_time_set_shmem (0)  a0 shmem_phys_lo, a1 shmem_phys_hi,
 *                             a2 flags (taken as u32, as kvm.ko):
 *     flags != 0                        SBI_ERR_INVALID_PARAM
 *     lo == hi == -1                    the area is unregistered, success
 *     lo not 64-byte aligned            SBI_ERR_INVALID_PARAM
 *     hi != 0 (RV64)                    SBI_ERR_INVALID_ADDRESS
 *     the 64 bytes not inside one       SBI_ERR_INVALID_ADDRESS
 *     writable memslot
 *     zeroing them fails (the VMM's     SBI_ERR_FAILURE
 *     memory faults)
 *     else: the 64 bytes are zeroed, the area is registered and steal
 *     time counts from now; success.  A signal while rvhv waits for a
 *     page of the VMM's (userfaultfd) ends KVM_RUN with -EINTR instead,
 *     and the guest makes the call again.
 *   other functions           SBI_ERR_NOT_SUPPORTED
 *
 * The area (struct sbi_sta_struct, little-endian): sequence (u32),
 * flags (u32), steal (u64, ns), preempted (u8), padding.  Every time the
 * vCPU is loaded again (scheduled in, or a new KVM_RUN) rvhv sets
 * RVHV_REQ_STEAL, and before it next enters the guest it adds to steal
 * how long the vCPU thread waited, runnable, for a host CPU since the
 * last update: the growth of current->sched_info.run_delay, as kvm.ko.
 * The update makes sequence odd, writes steal, then makes sequence even
 * again (one more than the odd value), with write barriers between, so a
 * guest reading sequence, steal, sequence sees a consistent pair.  If the
 * guest left sequence odd (or an update was interrupted by a signal),
 * it is completed: odd stays odd, then the next even value.
 * flags and preempted stay 0, as in kvm.ko (preempted would have to be
 * written while the vCPU is scheduled out, in atomic context).
 *
 * Guest memory is reached only through rvhv_read_guest() /
 * rvhv_vcpu_write_guest() (which logs the page for dirty tracking, in
 * the vCPU's dirty ring if the VM has rings, as kvm.ko marks it): a
 * memslot lookup under rvhv_mmu.srcu, so no write
 * lands in memory that a memslot change has taken from the guest.  When
 * the area is no longer inside a writable memslot, or the VMM's memory
 * behind it faults (unmapped), the update gives up and the area is
 * unregistered (ONE_REG shmem_lo then reads -1); the guest registers
 * again to get steal time back.  kvm.ko WARNs there instead.
 *
 * ONE_REG KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_STA: shmem_lo (0)
 * and shmem_hi (1), unsigned long; other numbers -EINVAL.  shmem_lo is the
 * area's address (-1: none); any value is taken, as by kvm.ko, and a bad
 * one ends in the unregistering above.  shmem_hi reads 0 and takes only 0
 * (-EINVAL) on RV64.  Listed by KVM_GET_REG_LIST after the SBI_EXT
 * registers while STA is enabled.  Writing shmem_lo makes the next update
 * the new starting point of the run delay (nothing added), so restoring
 * a saved vCPU does not charge the new thread's past waits to it.
 */
#include <linux/sched.h>
#include <linux/sizes.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

/* shmem_lo and shmem_hi both -1: unregister (SBI_SHMEM_DISABLE). */
#define RVHV_STA_DISABLE	(-1UL)

/* The part of struct sbi_sta_struct rvhv reads and writes. */
struct rvhv_sta_head {
	__le32 sequence;
	__le32 flags;
	__le64 steal;
};

#define RVHV_STA_SEQ		offsetof(struct rvhv_sta_head, sequence)
#define RVHV_STA_STEAL		offsetof(struct rvhv_sta_head, steal)

static_assert(sizeof(struct sbi_sta_struct) == SZ_64);
static_assert(offsetof(struct sbi_sta_struct, sequence) == RVHV_STA_SEQ);
static_assert(offsetof(struct sbi_sta_struct, steal) == RVHV_STA_STEAL);

static bool rvhv_sta_available(void)
{
	return IS_ENABLED(CONFIG_SCHED_INFO);
}

/* The KVM_RUN thread's time spent runnable but waiting for a CPU, ns. */
static u64 rvhv_sta_run_delay(void)
{
#ifdef CONFIG_SCHED_INFO
	return READ_ONCE(current->sched_info.run_delay);
#else
	return 0;
#endif
}

void rvhv_sta_reset(struct rvhv_vcpu *vcpu)
{
	vcpu->sta.shmem = RVHV_STA_OFF;
	vcpu->sta.run_delay = 0;
	vcpu->sta.pid = 0;
}

void rvhv_sta_update(struct rvhv_vcpu *vcpu)
{
	struct rvhv_sta *sta = &vcpu->sta;
	struct rvhv_vm *vm = vcpu->vm;
	u64 gpa = sta->shmem, now, steal;
	struct rvhv_sta_head head;
	__le64 steal_le;
	__le32 seq_le;
	u32 seq;
	int ret;

	if (gpa == RVHV_STA_OFF || !rvhv_sta_available())
		return;

	now = rvhv_sta_run_delay();
	if (sta->pid != current->pid) {
		sta->pid = current->pid;
		sta->run_delay = now;
	}

	ret = rvhv_read_guest(vm, gpa, &head, sizeof(head));
	if (ret)
		goto fail;

	/* Odd while steal changes; an odd value left behind stays. */
	seq = le32_to_cpu(head.sequence) | 1;
	seq_le = cpu_to_le32(seq);
	ret = rvhv_vcpu_write_guest(vcpu, gpa + RVHV_STA_SEQ, &seq_le,
				    sizeof(seq_le));
	if (ret)
		goto fail;
	/* The odd sequence is seen before the new steal (guest: rmb). */
	smp_wmb();
	steal = le64_to_cpu(head.steal) + (now - sta->run_delay);
	steal_le = cpu_to_le64(steal);
	ret = rvhv_vcpu_write_guest(vcpu, gpa + RVHV_STA_STEAL, &steal_le,
				    sizeof(steal_le));
	if (ret)
		goto fail;
	sta->run_delay = now;
	/* The new steal is seen before the even sequence (guest: rmb). */
	smp_wmb();
	seq_le = cpu_to_le32(seq + 1);
	ret = rvhv_vcpu_write_guest(vcpu, gpa + RVHV_STA_SEQ, &seq_le,
				    sizeof(seq_le));
	if (!ret)
		return;
fail:
	/*
	 * A signal while waiting for the VMM's page: KVM_RUN returns first,
	 * and its next vcpu_load asks for the update again (which finishes
	 * an odd sequence).  Anything else: the area is gone, unregister.
	 */
	if (ret != -EINTR)
		sta->shmem = RVHV_STA_OFF;
}

static long rvhv_sta_set_shmem(struct rvhv_vcpu *vcpu, int *rc)
{
	static const struct sbi_sta_struct zero;
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long lo = gpr[RVHV_REG_A0];
	unsigned long hi = gpr[RVHV_REG_A1];
	u32 flags = gpr[RVHV_REG_A0 + 2];
	int ret;

	if (flags)
		return SBI_ERR_INVALID_PARAM;
	if (lo == RVHV_STA_DISABLE && hi == RVHV_STA_DISABLE) {
		vcpu->sta.shmem = RVHV_STA_OFF;
		return SBI_SUCCESS;
	}
	if (!IS_ALIGNED(lo, SZ_64))
		return SBI_ERR_INVALID_PARAM;
	/* RV64: the address is lo alone (kvm.ko: hi << 32 | lo on RV32). */
	if (hi)
		return SBI_ERR_INVALID_ADDRESS;
	if (!rvhv_gpa_in_memslot(vcpu->vm, lo, sizeof(zero), true))
		return SBI_ERR_INVALID_ADDRESS;

	ret = rvhv_vcpu_write_guest(vcpu, lo, &zero, sizeof(zero));
	if (ret == -EINTR) {
		*rc = ret;
		return SBI_SUCCESS;
	}
	if (ret)
		return SBI_ERR_FAILURE;

	vcpu->sta.shmem = lo;
	vcpu->sta.run_delay = rvhv_sta_run_delay();
	vcpu->sta.pid = current->pid;
	return SBI_SUCCESS;
}

static int rvhv_sbi_sta(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	int rc = 0;

	if (vcpu->ctx.gpr[RVHV_REG_A6] == SBI_EXT_STA_STEAL_TIME_SET_SHMEM)
		ret->error = rvhv_sta_set_shmem(vcpu, &rc);
	else
		ret->error = SBI_ERR_NOT_SUPPORTED;
	return rc;
}

int rvhv_sta_get_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long *val)
{
	switch (num) {
	case KVM_REG_RISCV_SBI_STA_REG(shmem_lo):
		*val = vcpu->sta.shmem;
		return 0;
	case KVM_REG_RISCV_SBI_STA_REG(shmem_hi):
		*val = 0;
		return 0;
	}
	return -EINVAL;
}

int rvhv_sta_set_reg(struct rvhv_vcpu *vcpu, unsigned long num,
		     unsigned long val)
{
	switch (num) {
	case KVM_REG_RISCV_SBI_STA_REG(shmem_lo):
		vcpu->sta.shmem = val;
		vcpu->sta.pid = 0;
		return 0;
	case KVM_REG_RISCV_SBI_STA_REG(shmem_hi):
		return val ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* Not in a batch: a signal may leave the call to be made again. */
const struct rvhv_sbi_ext rvhv_sbi_ext_sta = {
	.kvm_ext = KVM_RISCV_SBI_EXT_STA,
	.stat = RVHV_STAT_SBI_STA,
	.available = rvhv_sta_available,
	.handler = rvhv_sbi_sta,
};
