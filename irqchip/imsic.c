// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated IMSIC ("emul" mode): one software interrupt file per vCPU
 * of an MSI-mode AIA device (hosts with Ssaia), as the AIA specification
 * (chapter 3) defines a guest interrupt file: eidelivery, eithreshold,
 * eip[] and eie[] (identities 1..nr_ids), and the vCPU's topei.
 *
 * How it is reached: MSIs (stores to the vCPU's IMSIC page, 4 KiB at its
 * ADDR_IMSIC address: seteipnum_le at offset 0, seteipnum_be at 4, by
 * any vCPU (an IPI without an exit), the APLIC in MSI mode, or
 * KVM_SIGNAL_MSI) set eip bits; the guest's own accesses go through its
 * AIA CSRs: with hstatus.VGEIN = 0 (emul mode, or no hardware guest
 * file for the vCPU in auto mode) and, on Smstateen hosts,
 * hstateen0.IMSIC clear, its sireg accesses with
 * siselect in 0x70..0xFF and its stopei accesses trap as virtual
 * instructions and are emulated here.  The vCPU's VS external interrupt
 * is raised while eidelivery is 1 and topei is non-zero (RVHV_IRQ_IMSIC,
 * OR'ed into hvip.VSEIP with the other lines).  In hwaccel and auto
 * modes the registers may live in a hardware guest file instead
 * (irqchip/hwfile.c: rvhv_imsic.hw_cpu >= 0); MSIs and GRP_IMSIC go
 * there then, and the software registers are stale until it moves back.
 *
 * Locks: struct rvhv_imsic.lock (a spinlock, irqs off: MSIs come from
 * irqfd wake-ups and other vCPUs) protects the file.  Lifetime: allocated
 * by INIT for each vCPU, freed with the device (irqchip/aia.h).
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/swab.h>

#include "../rvhv_int.h"
#include "aia.h"

#define IMSIC_EIDELIVERY	0x70
#define IMSIC_EITHRESHOLD	0x72
#define IMSIC_EIP0		0x80
#define IMSIC_EIP63		0xbf
#define IMSIC_EIE0		0xc0
#define IMSIC_EIE63		0xff
#define IMSIC_SETIPNUM_LE	0x0
#define IMSIC_SETIPNUM_BE	0x4
#define IMSIC_PAGE_SIZE		0x1000

/* The best pending-and-enabled identity below the threshold, or 0. */
static u32 imsic_topei(struct rvhv_imsic *imsic)
{
	unsigned long id;
	u32 limit = imsic->nr_msis;

	if (imsic->eithreshold && imsic->eithreshold < limit)
		limit = imsic->eithreshold;
	for_each_set_bit(id, imsic->eip, limit)
		if (test_bit(id, imsic->eie))
			return id;
	return 0;
}

/*
 * Drive the vCPU's line from the software file; a file in hardware
 * drives the vCPU's VS external interrupt itself (hstatus.VGEIN), so the
 * line is low then.  Under @imsic->lock.
 */
void rvhv_imsic_update(struct rvhv_imsic *imsic)
{
	bool line = imsic->hw_cpu < 0 && (imsic->eidelivery & 1) &&
		    imsic_topei(imsic);

	if (line == imsic->line)
		return;
	imsic->line = line;
	rvhv_vcpu_set_irq(imsic->vcpu, RVHV_IRQ_IMSIC, line,
			  RVHV_IRQ_SRC_IMSIC);
}

int rvhv_imsic_inject(struct rvhv_vcpu *vcpu, u32 guest_index, u32 eiid)
{
	struct rvhv_imsic *imsic = rvhv_vcpu_imsic(vcpu);
	unsigned long flags;

	/* One interrupt file per vCPU: guest index 0. */
	if (!imsic || guest_index || !eiid)
		return -ENODEV;
	if (eiid >= imsic->nr_msis)
		return -EINVAL;
	spin_lock_irqsave(&imsic->lock, flags);
	if (imsic->hw_cpu >= 0) {
		rvhv_hwfile_inject(imsic, eiid);
	} else {
		set_bit(eiid, imsic->eip);
		rvhv_imsic_update(imsic);
	}
	spin_unlock_irqrestore(&imsic->lock, flags);
	return 0;
}

/* An MSI write of @data at @off of an IMSIC page (kvm.ko's rules). */
int rvhv_imsic_msi(struct rvhv_vcpu *vcpu, u32 guest_index, u32 off,
		   u32 data)
{
	if (off == IMSIC_SETIPNUM_BE)
		data = swab32(data);
	else if (off != IMSIC_SETIPNUM_LE)
		return -ENODEV;
	return rvhv_imsic_inject(vcpu, guest_index, data);
}

/*
 * Read-modify-write of the register at @isel: *@old gets its value,
 * then the bits of @wmask take @new's.  0, -ENOENT for a select value
 * that is no IMSIC register, -EINVAL for eip/eie registers that do not
 * exist (odd numbers on RV64, past nr_ids), as kvm.ko.  Under
 * @imsic->lock.
 */
static int imsic_rmw(struct rvhv_imsic *imsic, unsigned long isel,
		     unsigned long *old, unsigned long new,
		     unsigned long wmask)
{
	unsigned long *map, num, v;
	unsigned int i;

	switch (isel) {
	case IMSIC_EIDELIVERY:
		*old = imsic->eidelivery;
		imsic->eidelivery = (*old & ~wmask) | (new & wmask & 1);
		break;
	case IMSIC_EITHRESHOLD:
		*old = imsic->eithreshold;
		v = (*old & ~wmask) | (new & wmask);
		imsic->eithreshold = v & (RVHV_IMSIC_MAX_ID);
		break;
	case IMSIC_EIP0 ... IMSIC_EIE63:
		map = isel <= IMSIC_EIP63 ? imsic->eip : imsic->eie;
		num = isel - (isel <= IMSIC_EIP63 ? IMSIC_EIP0 : IMSIC_EIE0);
		if ((num & 1) || num / 2 >= imsic->nr_eix)
			return -EINVAL;
		v = 0;
		for (i = 0; i < 64; i++)
			if (test_bit(num / 2 * 64 + i, map))
				v |= BIT(i);
		*old = v;
		v = (v & ~wmask) | (new & wmask);
		for (i = 0; i < 64; i++) {
			unsigned long id = num / 2 * 64 + i;

			/* Identity 0 and those past nr_ids do not exist. */
			if (id && id < imsic->nr_msis)
				assign_bit(id, map, v & BIT(i));
		}
		break;
	default:
		return -ENOENT;
	}
	rvhv_imsic_update(imsic);
	return 0;
}

struct imsic_attr_args {
	unsigned long isel;
	unsigned long *old;
	unsigned long new;
	unsigned long wmask;
};

/* rvhv_hwfile_call(): the register where it is. */
static int imsic_attr_fn(struct rvhv_imsic *imsic, void *arg)
{
	struct imsic_attr_args *a = arg;

	if (imsic->hw_cpu >= 0)
		return rvhv_hwfile_rmw(imsic, a->isel, a->old, a->new,
				       a->wmask);
	return imsic_rmw(imsic, a->isel, a->old, a->new, a->wmask);
}

/*
 * GRP_IMSIC: the register at @isel of vCPU @imsic; kvm.ko's errnos.  In
 * software or in a hardware guest file (hwaccel, auto), wherever it is.
 */
int rvhv_imsic_attr(struct rvhv_imsic *imsic, unsigned long isel, bool write,
		    unsigned long *val)
{
	unsigned long old = 0;
	struct imsic_attr_args a = {
		.isel = isel, .old = &old, .new = *val,
		.wmask = write ? -1UL : 0,
	};
	int ret;

	ret = rvhv_hwfile_call(imsic, imsic_attr_fn, &a);
	if (!ret && !write)
		*val = old;
	return ret;
}

/*
 * Where the priority of VS-level interrupt @irq is kept: its byte's bit
 * position in hviprio1 (0..63) or, from 64 on, hviprio2 (the AIA
 * specification's layout on RV64, which kvm.ko uses too), or -1 for an
 * interrupt whose priority is read-only zero.
 */
static int rvhv_hviprio_pos(unsigned int irq)
{
	static const s8 pos[16] = { 0, 8, -1, -1, 16, 24, -1, -1,
				    32, -1, -1, -1, -1, 40, 48, 56 };

	if (irq < 16)
		return pos[irq];
	if (irq < 24)
		return 64 + (irq - 16) * 8;
	return -1;
}

/*
 * The guest's iprio array register @isel (0x30..0x3F, even on RV64: the
 * priorities of interrupts 4 * (isel - 0x30) up, a byte each): VS-mode
 * accesses trap (kvm.ko emulates them the same way); the bytes live in
 * hviprio1/2, which hold the vCPU's values while it is loaded.
 */
static void rvhv_iprio_rmw(unsigned int isel, unsigned long *old,
			   unsigned long new, unsigned long wmask)
{
	unsigned long h[2] = { csr_read(CSR_HVIPRIO1), csr_read(CSR_HVIPRIO2) };
	unsigned long val = 0;
	unsigned int i;
	int pos;

	for (i = 0; i < 8; i++) {
		pos = rvhv_hviprio_pos((isel - ISELECT_IPRIO0) * 4 + i);
		if (pos >= 0)
			val |= ((h[pos / 64] >> (pos % 64)) & 0xff) << (8 * i);
	}
	*old = val;
	if (!wmask)
		return;
	val = (val & ~wmask) | (new & wmask);
	for (i = 0; i < 8; i++) {
		pos = rvhv_hviprio_pos((isel - ISELECT_IPRIO0) * 4 + i);
		if (pos < 0)
			continue;
		h[pos / 64] &= ~(0xffUL << (pos % 64));
		h[pos / 64] |= ((val >> (8 * i)) & 0xff) << (pos % 64);
	}
	csr_write(CSR_HVIPRIO1, h[0]);
	csr_write(CSR_HVIPRIO2, h[1]);
}

/*
 * A virtual-instruction trap of a CSR instruction: sireg (with siselect
 * in the iprio array or, with an emulated IMSIC, the IMSIC's range) or
 * stopei (IMSIC).  Returns true if it was one of those and emulated (rd
 * written, pc advanced), false to let the caller treat it as before (an
 * illegal instruction for the guest).  The vCPU is loaded.
 */
bool rvhv_imsic_csr_insn(struct rvhv_vcpu *vcpu, unsigned long insn)
{
	struct rvhv_imsic *imsic = rvhv_vcpu_imsic(vcpu);
	struct rvhv_csr_insn c;
	unsigned long src, new = 0, wmask = 0, old = 0, flags, isel;
	bool iprio;
	u32 topei;
	int ret = 0;

	if (!rvhv_csr_insn_decode(insn, &c))
		return false;
	/* A vCPU without Ssaia has no AIA CSRs (Smstateen hides them). */
	if (!test_bit(KVM_RISCV_ISA_EXT_SSAIA, vcpu->isa_ext))
		return false;
	if (c.csr != CSR_SIREG && c.csr != CSR_STOPEI)
		return false;
	isel = csr_read(CSR_VSISELECT);
	iprio = c.csr == CSR_SIREG && isel >= ISELECT_IPRIO0 &&
		isel <= ISELECT_IPRIO15;
	/* RV64: odd iprio numbers do not exist (illegal instruction). */
	if (iprio && (IS_ENABLED(CONFIG_32BIT) || (isel & 1)))
		return false;
	if (!iprio && !imsic)
		return false;
	src = c.funct3 & 4 ? c.rs1 : (c.rs1 ? vcpu->ctx.gpr[c.rs1] : 0);
	switch (c.funct3 & 3) {
	case 1:				/* csrrw */
		new = src;
		wmask = -1UL;
		break;
	case 2:				/* csrrs */
		new = -1UL;
		wmask = src;
		break;
	case 3:				/* csrrc */
		new = 0;
		wmask = src;
		break;
	}
	/* csrrs/csrrc with x0 (or uimm 0) do not write. */
	if (!rvhv_csr_insn_writes(&c))
		wmask = 0;

	if (iprio) {
		rvhv_iprio_rmw(isel, &old, new, wmask);
		goto done;
	}
	spin_lock_irqsave(&imsic->lock, flags);
	if (imsic->hw_cpu >= 0) {
		/*
		 * The vCPU entered with its hardware file (hstatus.VGEIN):
		 * these did not trap; nothing to emulate.
		 */
		ret = -ENOENT;
	} else if (c.csr == CSR_STOPEI) {
		topei = imsic_topei(imsic);
		old = topei ? (topei << TOPEI_ID_SHIFT) | topei : 0;
		/* Any write claims the reported identity. */
		if (rvhv_csr_insn_writes(&c) && topei) {
			clear_bit(topei, imsic->eip);
			rvhv_imsic_update(imsic);
		}
	} else if (isel >= IMSIC_EIDELIVERY && isel <= IMSIC_EIE63) {
		ret = imsic_rmw(imsic, isel, &old, new, wmask);
	} else {
		ret = -ENOENT;
	}
	spin_unlock_irqrestore(&imsic->lock, flags);
	if (ret)
		return false;
done:
	if (c.rd)
		vcpu->ctx.gpr[c.rd] = old;
	vcpu->ctx.gpr[RVHV_REG_PC] += 4;
	return true;
}

/* The vCPU whose IMSIC page holds @gpa, with the page offset, or NULL. */
struct rvhv_vcpu *rvhv_imsic_find(struct rvhv_vm *vm, u64 gpa, u32 *off)
{
	struct rvhv_aia *aia = rvhv_vm_aia(vm);
	struct rvhv_imsic *imsic;
	unsigned int i;

	if (!aia || !aia->msi)
		return NULL;
	for (i = 0; i < RVHV_MAX_VCPUS; i++) {
		imsic = rvhv_aia_imsic(aia, i);
		if (imsic && gpa - imsic->addr < IMSIC_PAGE_SIZE) {
			*off = gpa - imsic->addr;
			return imsic->vcpu;
		}
	}
	return NULL;
}

/* Guest loads and stores to an IMSIC page: stores of seteipnum only. */
bool rvhv_imsic_mmio(struct rvhv_vcpu *vcpu, u64 gpa, unsigned int len,
		     bool write, u64 *val)
{
	struct rvhv_vcpu *target;
	u32 off;

	target = rvhv_imsic_find(vcpu->vm, gpa, &off);
	if (!target)
		return false;
	vcpu->stat.irqchip_accesses++;
	if (!write) {
		*val = 0;
		return true;
	}
	if (len == 4 && !(off & 3))
		rvhv_imsic_msi(target, 0, off, *val);
	return true;
}

struct rvhv_imsic *rvhv_imsic_alloc(struct rvhv_vcpu *vcpu, u64 addr,
				    u32 hart_index, u32 nr_ids)
{
	struct rvhv_imsic *imsic;

	imsic = kzalloc(sizeof(*imsic), GFP_KERNEL_ACCOUNT);
	if (!imsic)
		return NULL;
	spin_lock_init(&imsic->lock);
	imsic->vcpu = vcpu;
	imsic->hw_cpu = -1;
	imsic->hw_fail_cpu = -1;
	imsic->addr = addr;
	imsic->hart_index = hart_index;
	imsic->nr_msis = nr_ids + 1;
	imsic->nr_eix = DIV_ROUND_UP(imsic->nr_msis, 64);
	imsic->eip = bitmap_zalloc(imsic->nr_eix * 64, GFP_KERNEL_ACCOUNT);
	imsic->eie = bitmap_zalloc(imsic->nr_eix * 64, GFP_KERNEL_ACCOUNT);
	if (!imsic->eip || !imsic->eie) {
		rvhv_imsic_free(imsic);
		return NULL;
	}
	return imsic;
}

void rvhv_imsic_free(struct rvhv_imsic *imsic)
{
	if (!imsic)
		return;
	bitmap_free(imsic->eip);
	bitmap_free(imsic->eie);
	kfree(imsic);
}
