// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: coalesced legacy console output (RVHV_CAP_CONSOLE_COALESCE).
 *
 * The ABI is described in uapi/linux/rvhv.h (RVHV_SBI_CONSOLE_OUTPUT).
 * Legacy v0.1 console_putchar costs a full exit to the VMM per byte; with
 * the capability enabled, the bytes collect in vcpu->console_buf and go
 * out in one KVM_EXIT_RISCV_SBI per line (or full buffer), and ahead of
 * any other exit to userspace, so output and the VMM's other view of the
 * guest (MMIO, getchar, shutdown...) stay in order.
 *
 * All of it runs in the vCPU's KVM_RUN thread (vcpu->mutex held).
 */
#include <linux/build_bug.h>
#include <linux/string.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

/* The bytes go into the kvm_run page, after struct kvm_run. */
static_assert(sizeof(struct kvm_run) <= RVHV_CONSOLE_OFFSET);
static_assert(RVHV_CONSOLE_OFFSET + RVHV_CONSOLE_MAX <= PAGE_SIZE);
static_assert(RVHV_CONSOLE_BUF == RVHV_CONSOLE_MAX);

bool rvhv_console_flush_exit(struct rvhv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = vcpu->console_len;

	if (!len)
		return false;
	if (WARN_ON_ONCE(len > RVHV_CONSOLE_BUF))
		len = RVHV_CONSOLE_BUF;
	memcpy((u8 *)run + RVHV_CONSOLE_OFFSET, vcpu->console_buf, len);
	vcpu->console_len = 0;

	run->exit_reason = KVM_EXIT_RISCV_SBI;
	run->riscv_sbi.extension_id = RVHV_SBI_EXT;
	run->riscv_sbi.function_id = RVHV_SBI_CONSOLE_OUTPUT;
	run->riscv_sbi.args[0] = RVHV_CONSOLE_OFFSET;
	run->riscv_sbi.args[1] = len;
	run->riscv_sbi.args[2] = 0;
	run->riscv_sbi.args[3] = 0;
	run->riscv_sbi.args[4] = 0;
	run->riscv_sbi.args[5] = 0;
	run->riscv_sbi.ret[0] = 0;
	run->riscv_sbi.ret[1] = 0;
	/* Nothing to complete; any other exit's completion is dropped. */
	vcpu->pending = RVHV_PENDING_NONE;
	vcpu->stat.console_flushes++;
	return true;
}

void rvhv_console_putchar(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	char c = gpr[RVHV_REG_A0];

	if (!(READ_ONCE(vcpu->vm->caps) & RVHV_VM_CAP_CONSOLE_COALESCE)) {
		rvhv_sbi_forward(vcpu, ret);
		return;
	}

	/* Never full here: a full buffer is flushed at once (below). */
	if (vcpu->console_len < RVHV_CONSOLE_BUF)
		vcpu->console_buf[vcpu->console_len++] = c;
	/* The putchar is complete either way (a legacy call: a0 only). */
	if (c != '\n' && vcpu->console_len < RVHV_CONSOLE_BUF)
		return;
	gpr[RVHV_REG_A0] = SBI_SUCCESS;
	gpr[RVHV_REG_PC] += 4;
	rvhv_console_flush_exit(vcpu);
	ret->uexit = true;
}
