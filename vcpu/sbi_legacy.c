// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv: the legacy SBI v0.1 extensions (ids 0x00-0x08).
 *
 * Legacy calls return only a0 (a1 is left as the guest had it).  As kvm.ko
 * 6.12 built with CONFIG_RISCV_SBI_V01 (arch/riscv/kvm/vcpu_sbi_v01.c):
 *   0 set_timer            as TIME set_timer (rvhv_timer_set(), a0 its
 *                          error)
 *   1 console_putchar      forwarded to userspace (KVM_EXIT_RISCV_SBI), or
 *                          coalesced in the kernel when the VMM enabled
 *                          RVHV_CAP_CONSOLE_COALESCE (console.c)
 *   2 console_getchar      forwarded to userspace (KVM_EXIT_RISCV_SBI)
 *   3 clear_ipi            the caller's VSSIP lowered, a0 = 0
 *   4 send_ipi             a0 = guest virtual address of an unsigned long
 *                          hart mask (base 0), or 0 for every vCPU; VSSIP
 *                          raised on each vCPU named; bits naming no vCPU
 *                          are ignored (v0.1 has no error for them); a0 = 0
 *   5 remote_fence_i       hart mask as for send_ipi; rvhv_fence_i()
 *   6 remote_sfence_vma    a1 start, a2 size: rvhv_fence_vvma()
 *   7 remote_sfence_vma_asid  a1 start, a2 size, a3 asid:
 *                          rvhv_fence_vvma_asid()
 *   8 shutdown             KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN,
 *                          ndata = 1, data[0] = 0, every vCPU stopped
 *                          (sbi_srst.c)
 * A forwarded call completes as every forwarded call does: the next
 * KVM_RUN writes ret[0] to a0 and ret[1] to a1 (kvm.ko does the same).
 *
 * The hart mask is read as the guest would load it (HLV.D, at the guest's
 * privilege, through both translation stages).  If that load traps, the
 * ecall does nothing and the guest takes the trap instead, at its own
 * vector with sepc at the ecall, as kvm.ko does, with one difference: a
 * guest-page fault (the mask's page not yet mapped in the G-stage) is
 * rvhv's to handle, not the guest's.  rvhv maps the page and the guest
 * executes the ecall again; a mask in no memslot (MMIO) gives the guest a
 * load access fault.  (kvm.ko 6.12 hands the guest-page fault cause itself
 * to the guest, which cannot handle it.)
 *
 * V01 is available and enabled by default, as in kvm.ko.  A kvm.ko built
 * without CONFIG_RISCV_SBI_V01 (the default, and the test kernel's)
 * answers every v0.1 id with SBI_ERR_NOT_SUPPORTED, a1 = 0, while its
 * ONE_REG still shows V01 available and enabled; probe_extension(1) tells
 * the two apart (0 there, 1 here).
 */
#include <linux/irqflags.h>
#include <asm/csr.h>
#include <asm/sbi.h>

#include "rvhv_int.h"
#include "trap/trap.h"
#include "vcpu/sbi.h"

/*
 * The v0.1 hart mask at guest virtual address @va (0: every vCPU), as a
 * bitmap of vCPU ids.  Returns 0, or 1 when the read trapped and the
 * guest is to re-enter without the call having run (ret->keep_pc set:
 * trap redirected, or the ecall retried), or a negative errno from the
 * G-stage fault path for KVM_RUN.
 */
static int rvhv_sbi_v01_hmask(struct rvhv_vcpu *vcpu, unsigned long va,
			      unsigned long *targets, struct rvhv_sbi_ret *ret)
{
	struct rvhv_utrap utrap = { 0 };
	unsigned long flags, hstatus, hmask, gpa;
	int rc;

	if (!va) {
		rvhv_sbi_hart_mask(vcpu, 0, -1UL, targets);
		return 0;
	}

	/* The VM's current VMID in hgatp, interrupts off (mmu/tlb.c). */
	rvhv_tlb_hlv_begin(vcpu, &flags);
	hstatus = csr_swap(CSR_HSTATUS, vcpu->ctx.hstatus);
	hmask = rvhv_unpriv_read_ulong(va, &utrap);
	csr_write(CSR_HSTATUS, hstatus);
	local_irq_restore(flags);

	if (!utrap.scause) {
		/* Bits naming no vCPU: ignored, no error in v0.1. */
		rvhv_sbi_hart_mask(vcpu, hmask, 0, targets);
		return 0;
	}

	ret->keep_pc = true;
	if (utrap.scause != EXC_LOAD_GUEST_PAGE_FAULT) {
		/* The guest's own fault (page fault, misaligned...). */
		rvhv_redirect_trap(vcpu, utrap.scause, utrap.stval);
		return 1;
	}
	gpa = (utrap.htval << 2) | (utrap.stval & 3);
	rc = rvhv_gstage_fault(vcpu, gpa, false, false);
	if (rc < 0)
		return rc;
	if (rc == RVHV_FAULT_MMIO)
		rvhv_redirect_trap(vcpu, EXC_LOAD_ACCESS, utrap.stval);
	/* else: mapped now; the guest re-executes the ecall. */
	return 1;
}

static int rvhv_sbi_v01(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret)
{
	unsigned long *gpr = vcpu->ctx.gpr;
	unsigned long eid = gpr[RVHV_REG_A7];
	unsigned long a1 = gpr[RVHV_REG_A1];
	unsigned long a2 = gpr[RVHV_REG_A0 + 2];
	unsigned long targets;
	int rc;

	switch (eid) {
	case RVHV_SBI_V01_SET_TIMER:
		ret->error = rvhv_timer_set(vcpu, gpr[RVHV_REG_A0]);
		return 0;
	case RVHV_SBI_V01_CONSOLE_PUTCHAR:
		rvhv_console_putchar(vcpu, ret);
		return 0;
	case RVHV_SBI_V01_CONSOLE_GETCHAR:
		rvhv_sbi_forward(vcpu, ret);
		return 0;
	case RVHV_SBI_V01_CLEAR_IPI:
		rvhv_vcpu_set_irq(vcpu, IRQ_VS_SOFT, false, RVHV_IRQ_SRC_SBI);
		return 0;
	case RVHV_SBI_V01_SHUTDOWN:
		rvhv_sbi_system_event(vcpu, ret, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
		return 0;
	case RVHV_SBI_V01_SEND_IPI:
	case RVHV_SBI_V01_REMOTE_FENCE_I:
	case RVHV_SBI_V01_REMOTE_SFENCE_VMA:
	case RVHV_SBI_V01_REMOTE_SFENCE_VMA_ASID:
		break;
	default:	/* not reached: sbi.c routes only 0x0-0x8 here */
		ret->error = SBI_ERR_NOT_SUPPORTED;
		return 0;
	}

	rc = rvhv_sbi_v01_hmask(vcpu, gpr[RVHV_REG_A0], &targets, ret);
	if (rc)
		return rc < 0 ? rc : 0;
	if (eid != RVHV_SBI_V01_SEND_IPI)
		rvhv_pmu_rfence(vcpu, eid - RVHV_SBI_V01_REMOTE_FENCE_I,
				targets);
	if (eid == RVHV_SBI_V01_SEND_IPI)
		rvhv_sbi_send_ipis(vcpu, targets);
	else if (eid == RVHV_SBI_V01_REMOTE_FENCE_I)
		rvhv_fence_i(vcpu);	/* VM-wide: a superset of targets */
	else if (eid == RVHV_SBI_V01_REMOTE_SFENCE_VMA)
		rvhv_fence_vvma(vcpu, a1, a2);
	else
		rvhv_fence_vvma_asid(vcpu, a1, a2, gpr[RVHV_REG_A0 + 3]);
	return 0;
}

/*
 * In a batch: set_timer and clear_ipi only.  The console and shutdown
 * leave the kernel; the hart mask read may trap into the guest.
 */
static bool rvhv_sbi_v01_batchable(struct rvhv_vcpu *vcpu)
{
	unsigned long eid = vcpu->ctx.gpr[RVHV_REG_A7];

	return eid == RVHV_SBI_V01_SET_TIMER || eid == RVHV_SBI_V01_CLEAR_IPI;
}

const struct rvhv_sbi_ext rvhv_sbi_ext_v01 = {
	.kvm_ext = KVM_RISCV_SBI_EXT_V01,
	.stat = RVHV_STAT_SBI_LEGACY,
	.legacy = true,
	.batchable = rvhv_sbi_v01_batchable,
	.handler = rvhv_sbi_v01,
};
