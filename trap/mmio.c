// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation: decode the load or store that touched a GPA outside
 * every memslot; an access to the in-kernel APLIC is emulated there
 * (irqchip/), a store that hits an ioeventfd signals it and the guest
 * goes on (eventfd/), anything else goes to userspace as KVM_EXIT_MMIO,
 * completed on the next KVM_RUN.
 */
#include <linux/eventfd.h>
#include <linux/kvm.h>
#include <linux/irqflags.h>
#include <linux/unaligned.h>
#include <asm/csr.h>

#include "trap.h"
#include "../observe/trace.h"

/* One decoded guest load or store. */
struct rvhv_access {
	unsigned int len;	/* bytes accessed */
	unsigned int reg;	/* rd of a load, rs2 of a store */
	unsigned int insn_len;	/* 2 or 4 */
	bool is_signed;		/* a load that sign-extends */
	bool is_store;
};

/*
 * The HLVX of the instruction at the guest's pc, with the guest's
 * hstatus (SPV, SPVP, VGEIN); a fault is in @utrap.  Interrupts off (the
 * trap is caught through stvec), the VM's current VMID in hgatp.
 */
static unsigned long rvhv_fetch_guest_insn(struct rvhv_vcpu *vcpu,
					   struct rvhv_utrap *utrap)
{
	unsigned long hstatus, insn;

	hstatus = csr_swap(CSR_HSTATUS, vcpu->ctx.hstatus);
	insn = rvhv_unpriv_read_insn(vcpu->ctx.gpr[RVHV_REG_PC], utrap);
	csr_write(CSR_HSTATUS, hstatus);
	return insn;
}

/**
 * rvhv_read_guest_insn() - fetch the instruction at the guest's pc
 * @vcpu: the vCPU, loaded
 * @insn: the instruction (16 or 32 bits)
 *
 * Reads with HLVX, through both translation stages, as the guest's own
 * fetch did, with the VM's current VMID in hgatp.  The mapping may have
 * changed since that fetch:
 * - a guest-page fault (G-stage: an MMU-notifier or memslot change took
 *   the page away) is retried: the guest re-executes the instruction and
 *   its own fetch faults the page back in through rvhv;
 * - any other fault is the guest's own (it changed its page tables and
 *   still ran the stale translation from its TLB): it takes it as the
 *   fetch fault it is, at the instruction.  Retrying would loop for as
 *   long as its TLB keeps the translation.
 * Return: 0, or 1 to re-enter the guest (fault retried or redirected).
 */
int rvhv_read_guest_insn(struct rvhv_vcpu *vcpu, unsigned long *insn)
{
	struct rvhv_utrap utrap = { 0 };
	unsigned long flags, cause;

	rvhv_tlb_hlv_begin(vcpu, &flags);
	*insn = rvhv_fetch_guest_insn(vcpu, &utrap);
	local_irq_restore(flags);

	switch (utrap.scause) {
	case 0:
		return 0;
	case EXC_INST_GUEST_PAGE_FAULT:
	case EXC_LOAD_GUEST_PAGE_FAULT:
		return 1;
	case EXC_LOAD_PAGE_FAULT:
		cause = EXC_INST_PAGE_FAULT;
		break;
	case EXC_LOAD_MISALIGNED:
		cause = EXC_INST_MISALIGNED;
		break;
	default:
		cause = EXC_INST_ACCESS;
	}
	rvhv_redirect_trap(vcpu, cause, utrap.stval);
	return 1;
}

static bool rvhv_decode_32(u32 insn, struct rvhv_access *a)
{
	unsigned int funct3 = (insn >> 12) & 7;

	a->insn_len = 4;
	switch (insn & 0x7f) {
	case 0x03:		/* lb lh lw ld lbu lhu lwu */
		if (funct3 == 7)
			return false;
		a->is_store = false;
		a->len = 1 << (funct3 & 3);
		a->is_signed = !(funct3 & 4);
		a->reg = (insn >> 7) & 0x1f;
		return true;
	case 0x23:		/* sb sh sw sd */
		if (funct3 > 3)
			return false;
		a->is_store = true;
		a->len = 1 << funct3;
		a->reg = (insn >> 20) & 0x1f;
		return true;
	}
	return false;
}

static bool rvhv_decode_16(u16 insn, struct rvhv_access *a)
{
	unsigned int op = ((insn >> 13) << 2) | (insn & 3);

	a->insn_len = 2;
	a->is_signed = true;
	switch (op) {
	case (2 << 2) | 0:	/* c.lw */
	case (3 << 2) | 0:	/* c.ld */
		a->is_store = false;
		a->len = op == ((2 << 2) | 0) ? 4 : 8;
		a->reg = 8 + ((insn >> 2) & 7);
		return true;
	case (6 << 2) | 0:	/* c.sw */
	case (7 << 2) | 0:	/* c.sd */
		a->is_store = true;
		a->len = op == ((6 << 2) | 0) ? 4 : 8;
		a->reg = 8 + ((insn >> 2) & 7);
		return true;
	case (2 << 2) | 2:	/* c.lwsp */
	case (3 << 2) | 2:	/* c.ldsp */
		a->is_store = false;
		a->len = op == ((2 << 2) | 2) ? 4 : 8;
		a->reg = (insn >> 7) & 0x1f;
		return a->reg != 0;
	case (6 << 2) | 2:	/* c.swsp */
	case (7 << 2) | 2:	/* c.sdsp */
		a->is_store = true;
		a->len = op == ((6 << 2) | 2) ? 4 : 8;
		a->reg = (insn >> 2) & 0x1f;
		return true;
	}
	return false;
}

/*
 * Find the access: from htinst when the hart gives a transformed
 * instruction (bit 0 set; bit 1 clear means it was compressed), otherwise
 * by reading the instruction itself.  Return: 0, 1 to retry the guest, or
 * -EOPNOTSUPP for an instruction rvhv cannot emulate.
 */
static bool rvhv_decode_htinst(unsigned long htinst, struct rvhv_access *a)
{
	if (!rvhv_decode_32(htinst | 2, a))
		return false;
	if (!(htinst & 2))
		a->insn_len = 2;
	return true;
}

static bool rvhv_decode_insn(unsigned long insn, struct rvhv_access *a)
{
	if ((insn & 3) == 3)
		return rvhv_decode_32(insn, a);
	return rvhv_decode_16(insn, a);
}

static int rvhv_decode_access(struct rvhv_vcpu *vcpu, struct rvhv_access *a)
{
	unsigned long htinst = vcpu->ctx.htinst;
	unsigned long insn;
	int ret;

	if (htinst & 1)
		return rvhv_decode_htinst(htinst, a) ? 0 : -EOPNOTSUPP;
	ret = rvhv_read_guest_insn(vcpu, &insn);
	if (ret)
		return ret;
	return rvhv_decode_insn(insn, a) ? 0 : -EOPNOTSUPP;
}

/* A load's value (little-endian, @len bytes of @val) into register @rd. */
static void rvhv_mmio_set_reg(struct rvhv_vcpu *vcpu, unsigned int rd,
			      unsigned int len, bool is_signed, u64 val)
{
	if (!rd)
		return;
	switch (len) {
	case 1:
		val = is_signed ? (u64)(s8)val : (u8)val;
		break;
	case 2:
		val = is_signed ? (u64)(s16)val : (u16)val;
		break;
	case 4:
		val = is_signed ? (u64)(s32)val : (u32)val;
		break;
	}
	vcpu->ctx.gpr[rd] = val;
}

/*
 * The store @a of @val to @gpa signals an ioeventfd: it is done.  @fast:
 * from the exit fast path, which counts and traces the G-stage fault the
 * full path would have counted and traced before this, once it knows the
 * store is handled here.
 */
static bool rvhv_mmio_ioeventfd(struct rvhv_vcpu *vcpu, unsigned long gpa,
				const struct rvhv_access *a, u64 val,
				bool fast)
{
	struct eventfd_ctx *efd;

	rcu_read_lock();
	efd = rvhv_ioeventfd_find(vcpu->vm, gpa, a->len, val);
	if (efd) {
		if (fast) {
			trace_rvhv_gstage_fault(vcpu, gpa, true, false,
						RVHV_FAULT_MMIO, 0);
			vcpu->stat.gstage_faults++;
			vcpu->stat.gstage_fault_mmio++;
			rvhv_stat_exit_as(&vcpu->stat, RVHV_EXIT_MMIO);
		}
		eventfd_signal(efd);
		trace_rvhv_mmio(vcpu, gpa, a->len, true, val,
				RVHV_TRACE_MMIO_IOEVENTFD);
		vcpu->ctx.gpr[RVHV_REG_PC] += a->insn_len;
		vcpu->stat.ioeventfd_signals++;
		vcpu->stat.mmio_exit_kernel++;
	}
	rcu_read_unlock();
	return efd;
}

/* A store's value: @a's register, zero-extended from its width. */
static u64 rvhv_mmio_store_val(struct rvhv_vcpu *vcpu,
			       const struct rvhv_access *a)
{
	u64 val = a->reg ? vcpu->ctx.gpr[a->reg] : 0;

	if (a->len < 8)
		val &= BIT_ULL(a->len * 8) - 1;
	return val;
}

/**
 * rvhv_mmio_exit() - a load or store at @gpa, outside every memslot
 * @vcpu: the vCPU, loaded
 * @gpa: guest physical address
 * @write: a store (from the trap cause)
 *
 * A store to a registered ioeventfd signals it here and completes
 * without an exit: before anything is written to vcpu->run, so the VMM
 * sees nothing of it.
 *
 * Return: 0 with KVM_EXIT_MMIO in vcpu->run, 1 to re-enter the guest, or a
 * negative errno for KVM_RUN.
 */
int rvhv_mmio_exit(struct rvhv_vcpu *vcpu, unsigned long gpa, bool write)
{
	struct kvm_run *run = vcpu->run;
	struct rvhv_access a;
	u64 val;
	int ret;

	ret = rvhv_decode_access(vcpu, &a);
	if (ret)
		return ret;
	if (a.is_store != write)
		return -EOPNOTSUPP;

	if (write)
		val = rvhv_mmio_store_val(vcpu, &a);
	/*
	 * The in-kernel APLIC's window (irqchip/): every access in it is
	 * handled there, misaligned ones and odd sizes too, never an exit.
	 */
	if (rvhv_aia_mmio(vcpu, gpa, a.len, write, &val)) {
		trace_rvhv_mmio(vcpu, gpa, a.len, write, val,
				RVHV_TRACE_MMIO_IRQCHIP);
		if (!write)
			rvhv_mmio_set_reg(vcpu, a.reg, a.len, a.is_signed, val);
		vcpu->ctx.gpr[RVHV_REG_PC] += a.insn_len;
		vcpu->stat.mmio_exit_kernel++;
		return 1;
	}
	/* Misaligned MMIO is not emulated: KVM_RUN fails as with kvm.ko. */
	if (gpa & (a.len - 1))
		return -EIO;

	if (write) {
		if (rvhv_mmio_ioeventfd(vcpu, gpa, &a, val, false))
			return 1;
		/* Into the coalesced MMIO ring, if a zone has it. */
		if (rvhv_coalesced_write(vcpu->vm, gpa, a.len, val)) {
			trace_rvhv_mmio(vcpu, gpa, a.len, true, val,
					RVHV_TRACE_MMIO_COALESCED);
			vcpu->ctx.gpr[RVHV_REG_PC] += a.insn_len;
			vcpu->stat.coalesced_mmio++;
			vcpu->stat.mmio_exit_kernel++;
			return 1;
		}
	}

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = a.len;
	run->mmio.is_write = write;
	if (write) {
		memcpy(run->mmio.data, &val, a.len);	/* little-endian */
		vcpu->pending = RVHV_PENDING_MMIO_STORE;
	} else {
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		vcpu->pending = RVHV_PENDING_MMIO_LOAD;
	}
	vcpu->mmio_rd = a.reg;
	vcpu->mmio_len = a.len;
	vcpu->mmio_signed = a.is_signed;
	vcpu->insn_len = a.insn_len;
	vcpu->stat.mmio_exit_user++;
	trace_rvhv_mmio(vcpu, gpa, a.len, write, write ? val : 0,
			RVHV_TRACE_MMIO_USER);
	return 0;
}

/**
 * rvhv_mmio_store_fast() - the exit fast path's store at @gpa
 * @vcpu: the vCPU, loaded, interrupts off (trap/fastpath.c's rules)
 * @gpa: guest physical address, outside every memslot (or in a
 *	read-only one): rvhv_gstage_fault_fast() said RVHV_FAULT_MMIO
 *
 * A store that hits an ioeventfd is handled as rvhv_mmio_exit() handles
 * it, counted and traced as the full path's G-stage fault and MMIO
 * emulation would be.  The instruction comes from htinst or is fetched
 * with HLVX: the VMID rvhv_enter_guest() checked is current and hgatp
 * this VM's until interrupts are on again, so the fetch needs no
 * rvhv_tlb_hlv_begin().  Declined, nothing done: no ioeventfd at all, a
 * fetch that faults (the full path retries or redirects it), anything
 * but a plain store rvhv decodes, a VM with an in-kernel AIA device
 * (whose APLIC window and IMSIC pages come first, with interrupts on),
 * a misaligned store, one that hits no ioeventfd (coalesced MMIO or an
 * exit to the VMM).
 *
 * Return: 1 (re-enter the guest) or RVHV_FAST_DECLINED.
 */
int rvhv_mmio_store_fast(struct rvhv_vcpu *vcpu, unsigned long gpa)
{
	struct rvhv_utrap utrap = { 0 };
	unsigned long insn = vcpu->ctx.htinst;
	struct rvhv_access a;
	u64 val;

	if (!rcu_access_pointer(vcpu->vm->eventfds.mmio) ||
	    rvhv_vm_aia(vcpu->vm))
		return RVHV_FAST_DECLINED;
	if (insn & 1) {
		if (!rvhv_decode_htinst(insn, &a))
			return RVHV_FAST_DECLINED;
	} else {
		rvhv_tlb_check(vcpu, "HLV");
		insn = rvhv_fetch_guest_insn(vcpu, &utrap);
		if (utrap.scause || !rvhv_decode_insn(insn, &a))
			return RVHV_FAST_DECLINED;
	}
	if (!a.is_store || (gpa & (a.len - 1)))
		return RVHV_FAST_DECLINED;
	val = rvhv_mmio_store_val(vcpu, &a);
	return rvhv_mmio_ioeventfd(vcpu, gpa, &a, val, true) ? 1 :
	       RVHV_FAST_DECLINED;
}

/* Next KVM_RUN: the loaded value into rd, then past the instruction. */
void rvhv_mmio_complete(struct rvhv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (vcpu->pending == RVHV_PENDING_MMIO_LOAD) {
		rvhv_mmio_set_reg(vcpu, vcpu->mmio_rd, vcpu->mmio_len,
				  vcpu->mmio_signed,
				  get_unaligned_le64(run->mmio.data));
		trace_rvhv_mmio(vcpu, run->mmio.phys_addr, vcpu->mmio_len,
				false, get_unaligned_le64(run->mmio.data),
				RVHV_TRACE_MMIO_USER_DONE);
	}
	vcpu->ctx.gpr[RVHV_REG_PC] += vcpu->insn_len;
}
