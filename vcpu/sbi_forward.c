// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: the SBI calls userspace implements, forwarded as KVM_EXIT_RISCV_SBI.
 *
 * As kvm.ko 6.12 (kvm_riscv_vcpu_sbi_forward() in arch/riscv/kvm/
 * vcpu_sbi.c, vcpu_sbi_base.c and vcpu_sbi_replace.c):
 *   DBCN (0x4442434E)   console_write (0), console_read (1) and
 *                       console_write_byte (2) forwarded; other functions
 *                       SBI_ERR_NOT_SUPPORTED.  Disabled by default:
 *                       userspace that implements it enables it (ONE_REG)
 *   EXPERIMENTAL        0x08000000-0x08FFFFFF, every call forwarded;
 *                       enabled by default (KVM's selftests' ucalls use
 *                       0x08FFFFFF)
 *   VENDOR              0x09000000-0x09FFFFFF, every call forwarded;
 *                       enabled by default
 * The legacy console (v0.1 getchar, and putchar unless coalesced by
 * console.c; sbi_legacy.c) and BASE
 * probe_extension of an experimental or vendor id (sbi_base.c) use the
 * same exit.
 *
 * The exit: extension_id = a7, function_id = a6, args[] = a0..a5, and
 * ret[0] = SBI_ERR_NOT_SUPPORTED, ret[1] = 0 for userspace to overwrite.
 * The next KVM_RUN writes ret[0] to a0, ret[1] to a1 and steps over the
 * ecall (rvhv_sbi_complete()).
 */
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

void rvhv_sbi_forward(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	struct kvm_run *run = vcpu->run;
	unsigned long *gpr = vcpu->ctx.gpr;

	run->exit_reason = KVM_EXIT_RISCV_SBI;
	run->riscv_sbi.extension_id = gpr[RVHV_REG_A7];
	run->riscv_sbi.function_id = gpr[RVHV_REG_A6];
	run->riscv_sbi.args[0] = gpr[RVHV_REG_A0];
	run->riscv_sbi.args[1] = gpr[RVHV_REG_A0 + 1];
	run->riscv_sbi.args[2] = gpr[RVHV_REG_A0 + 2];
	run->riscv_sbi.args[3] = gpr[RVHV_REG_A0 + 3];
	run->riscv_sbi.args[4] = gpr[RVHV_REG_A0 + 4];
	run->riscv_sbi.args[5] = gpr[RVHV_REG_A0 + 5];
	run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
	run->riscv_sbi.ret[1] = 0;
	vcpu->pending = RVHV_PENDING_SBI;
	vcpu->stat.ecall_exit_stat++;
	ret->uexit = true;
}

static int rvhv_sbi_dbcn(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	switch (vcpu->ctx.gpr[RVHV_REG_A6]) {
	case SBI_EXT_DBCN_CONSOLE_WRITE:
	case SBI_EXT_DBCN_CONSOLE_READ:
	case SBI_EXT_DBCN_CONSOLE_WRITE_BYTE:
		rvhv_sbi_forward(vcpu, ret);
		break;
	default:
		ret->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return 0;
}

static int rvhv_sbi_forward_all(struct rvhv_vcpu *vcpu,
				struct rvhv_sbi_ret *ret)
{
	rvhv_sbi_forward(vcpu, ret);
	return 0;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_dbcn = {
	.kvm_ext = KVM_RISCV_SBI_EXT_DBCN,
	.stat = RVHV_STAT_SBI_DBCN,
	.default_off = true,
	.handler = rvhv_sbi_dbcn,
};

const struct rvhv_sbi_ext rvhv_sbi_ext_experimental = {
	.kvm_ext = KVM_RISCV_SBI_EXT_EXPERIMENTAL,
	.stat = RVHV_STAT_SBI_EXPERIMENTAL,
	.handler = rvhv_sbi_forward_all,
};

const struct rvhv_sbi_ext rvhv_sbi_ext_vendor = {
	.kvm_ext = KVM_RISCV_SBI_EXT_VENDOR,
	.stat = RVHV_STAT_SBI_VENDOR,
	.handler = rvhv_sbi_forward_all,
};
