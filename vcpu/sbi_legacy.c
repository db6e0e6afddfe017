// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: the legacy SBI v0.1 extensions (ids 0x00-0x08).
 *
 * Legacy calls return only a0 (a1 is left as the guest had it).  As kvm.ko
 * 6.12 built with CONFIG_RISCV_SBI_V01 (arch/riscv/kvm/vcpu_sbi_v01.c):
 *   0 set_timer            vstimecmp = a0, pending VSTIP cleared, a0 = 0
 *                          (sbi_time.c; SBI_ERR_NOT_SUPPORTED without
 *                          Sstc, where kvm.ko would use an hrtimer)
 *   1 console_putchar      forwarded to userspace (KVM_EXIT_RISCV_SBI)
 *   2 console_getchar      forwarded to userspace (KVM_EXIT_RISCV_SBI)
 *   3 clear_ipi            the guest's VSSIP cleared, a0 = 0
 *   4 send_ipi             SBI_ERR_NOT_SUPPORTED (see below)
 *   5 remote_fence_i       SBI_ERR_NOT_SUPPORTED (see below)
 *   6 remote_sfence_vma    SBI_ERR_NOT_SUPPORTED (see below)
 *   7 remote_sfence_vma_asid  SBI_ERR_NOT_SUPPORTED (see below)
 *   8 shutdown             KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN,
 *                          ndata = 1, data[0] = 0
 * A forwarded call completes as every forwarded call does: the next
 * KVM_RUN writes ret[0] to a0 and ret[1] to a1 (kvm.ko does the same).
 *
 * Not done: send_ipi and the remote fences act on other vCPUs, and take
 * their hart mask from guest memory (a0 is a guest virtual address); they
 * come with multi-vCPU support.  Until then they fail with
 * SBI_ERR_NOT_SUPPORTED where kvm.ko returns 0.  V01 stays available and
 * enabled by default all the same, as in kvm.ko: a guest that uses these
 * calls does so without probing (a Linux guest falls back to them when
 * IPI or RFENCE is absent), so turning V01 off would change nothing for
 * them and lose the console, timer and shutdown.  A kvm.ko built without
 * CONFIG_RISCV_SBI_V01 (the default, and the test kernel's) answers every
 * v0.1 id with SBI_ERR_NOT_SUPPORTED, a1 = 0, while its ONE_REG still
 * shows V01 available and enabled; probe_extension(1) tells the two apart
 * (0 there, 1 here).
 */
#include <asm/csr.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "vcpu/sbi.h"

static int rvhv_sbi_v01(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;

	switch (gpr[RVHV_REG_A7]) {
	case RVHV_SBI_V01_SET_TIMER:
		ret->error = rvhv_sbi_set_timer(vcpu, gpr[RVHV_REG_A0]);
		break;
	case RVHV_SBI_V01_CONSOLE_PUTCHAR:
	case RVHV_SBI_V01_CONSOLE_GETCHAR:
		rvhv_sbi_forward(vcpu, ret);
		break;
	case RVHV_SBI_V01_CLEAR_IPI:
		/* The vCPU is loaded: hvip is live (one CSR instruction). */
		csr_clear(CSR_HVIP, BIT(IRQ_VS_SOFT));
		break;
	case RVHV_SBI_V01_SHUTDOWN:
		rvhv_sbi_system_event(vcpu, ret, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
		break;
	default:	/* send_ipi, remote fences: see above */
		ret->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return 0;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_v01 = {
	.kvm_ext = KVM_RISCV_SBI_EXT_V01,
	.legacy = true,
	.handler = rvhv_sbi_v01,
};
