// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: rvhv's own SBI extension RVHV_SBI_EXT: RVHV_SBI_BATCH.
 *
 * The ABI (ids, struct rvhv_sbi_batch_entry, errors, which calls stop a
 * batch) is described in uapi/linux/rvhv.h.  The extension exists for a
 * guest only when the VMM enabled RVHV_CAP_SBI_BATCH (vm->caps, checked
 * by rvhv_sbi_find_enabled()); otherwise its id is unknown
 * (SBI_ERR_NOT_SUPPORTED, probe_extension 0).
 *
 * Each entry runs through the extension's own handler exactly as a single
 * ecall would: the entry's eid, fid and args are loaded into the vCPU's
 * a0..a7, the handler runs, its error/value are taken, and a0..a7 are put
 * back.  The pc is never touched per entry.  Before an entry runs, its
 * extension's .batchable must say it completes in the kernel; the first
 * one that would not (exit, stop, halt, trap into the guest) ends the
 * batch, unrun.  Every entry run counts in vcpu->stat.sbi_kernel, as the
 * batch call itself does, in its extension's counter (vcpu->stat.sbi[])
 * as the call it stands for, and in vcpu->stat.batch_entries.
 */
#include <linux/kvm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "observe/trace.h"
#include "vcpu/sbi.h"

static_assert(sizeof(struct rvhv_sbi_batch_entry) == 80);
static_assert(offsetof(struct rvhv_sbi_batch_entry, error) == 64);

/*
 * Run one entry.  Returns true when it was run (or completed without
 * running: unknown extension, nesting), false when the batch must stop
 * before it.  A negative errno from a handler (a host failure) goes to
 * *rc.
 */
/*
 * Run one entry as if the guest had issued it by ecall: its arguments go
 * into a0..a7 (the caller saved the guest's and puts them back).  Returns
 * false, without running it, for an entry that must stop the batch.
 */
static bool rvhv_batch_one(struct rvhv_vcpu *vcpu,
			   struct rvhv_sbi_batch_entry *e, int *rc)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	const struct rvhv_sbi_ext *ext;
	struct rvhv_sbi_ret ret = { };
	unsigned int i;

	e->value = 0;
	if (e->eid == RVHV_SBI_EXT) {
		/* No nesting, and no other function of ours in a batch. */
		e->error = SBI_ERR_DENIED;
		vcpu->stat.sbi[RVHV_STAT_SBI_BATCH]++;
		return true;
	}
	ext = rvhv_sbi_find_enabled(vcpu, e->eid);
	if (!ext) {
		e->error = SBI_ERR_NOT_SUPPORTED;
		vcpu->stat.sbi_kernel++;
		vcpu->stat.sbi[RVHV_STAT_SBI_UNSUPPORTED]++;
		return true;
	}

	for (i = 0; i < ARRAY_SIZE(e->args); i++)
		gpr[RVHV_REG_A0 + i] = e->args[i];
	gpr[RVHV_REG_A6] = e->fid;
	gpr[RVHV_REG_A7] = e->eid;

	if (!ext->batchable || !ext->batchable(vcpu))
		return false;
	*rc = ext->handler(vcpu, &ret);
	/* .batchable promised neither; never let either half-happen. */
	WARN_ON_ONCE(ret.uexit || ret.keep_pc);
	e->error = ret.error;
	e->value = ext->legacy ? 0 : ret.value;
	vcpu->stat.sbi_kernel++;
	vcpu->stat.sbi[ext->stat]++;
	return true;
}

static void rvhv_sbi_batch(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret,
			   int *rc)
{
	struct rvhv_sbi_batch_entry *ents = vcpu->batch;
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long gpa = gpr[RVHV_REG_A0];
	unsigned long count = gpr[RVHV_REG_A1];
	unsigned long saved[8], done, len;
	int err;

	if (!count || count > RVHV_SBI_BATCH_MAX) {
		ret->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	len = count * sizeof(*ents);
	if (!IS_ALIGNED(gpa, 8) || gpa + len < gpa) {
		ret->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	/*
	 * Inside one memslot, readable and writable, or nothing runs (the
	 * guest handed the array over for the call's duration).  A signal
	 * while rvhv waits for the VMM's page ends KVM_RUN instead, with
	 * nothing run and the pc on the ecall, which the guest then makes
	 * again.
	 */
	err = rvhv_read_guest(vcpu->vm, gpa, ents, len);
	if (!err)
		err = rvhv_probe_guest_writable(vcpu->vm, gpa, len);
	if (err == -EINTR) {
		*rc = -EINTR;
		return;
	}
	if (err) {
		ret->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}

	memcpy(saved, &gpr[RVHV_REG_A0], sizeof(saved));
	/* Consecutive remote fences are done as one (mmu/fence.c). */
	vcpu->fence_defer = true;
	for (done = 0; done < count; done++) {
		if (ents[done].eid != SBI_EXT_RFENCE)
			rvhv_fence_flush(vcpu);
		if (!rvhv_batch_one(vcpu, &ents[done], rc))
			break;
		trace_rvhv_sbi(vcpu, ents[done].eid, ents[done].fid,
			       ents[done].error, ents[done].value,
			       RVHV_TRACE_SBI_BATCHED);
		if (*rc < 0) {
			done++;
			break;
		}
		if ((done & 15) == 15)
			cond_resched();
	}
	rvhv_fence_flush(vcpu);
	vcpu->fence_defer = false;
	memcpy(&gpr[RVHV_REG_A0], saved, sizeof(saved));
	vcpu->stat.batch_entries += done;

	if (done && rvhv_vcpu_write_guest(vcpu, gpa, ents,
					  done * sizeof(*ents)))
		ret->error = SBI_ERR_FAILURE;
	ret->value = done;
}

static int rvhv_sbi_rvhv(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	int rc = 0;

	if (vcpu->ctx.gpr[RVHV_REG_A6] == RVHV_SBI_BATCH)
		rvhv_sbi_batch(vcpu, ret, &rc);
	else
		ret->error = SBI_ERR_NOT_SUPPORTED;
	return rc;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_rvhv = {
	.kvm_ext = RVHV_SBI_EXT_ALWAYS,
	.stat = RVHV_STAT_SBI_BATCH,
	.vm_cap = RVHV_VM_CAP_SBI_BATCH,
	.handler = rvhv_sbi_rvhv,
};
