// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated APLIC: one interrupt domain in direct delivery mode, as
 * the RISC-V AIA specification (chapter 4) defines it, with an interrupt
 * delivery control (IDC) per vCPU.  Locks and lifetimes: irqchip/aia.h.
 *
 * Sources 1..nr_irqs-1 are driven by GSIs (KVM_IRQ_LINE, irqfds).  There
 * is no child domain, so sourcecfg.D (delegation) is refused: a write
 * with D set leaves the source inactive (as kvm.ko's APLIC does).  Source
 * modes and their pending bits, in direct mode:
 *   inactive (0)      pending and enable read 0 and cannot be set
 *   detached (1)      input ignored; pending set/cleared by software only
 *   edge rise/fall (4/5)  a rising/falling input edge sets pending;
 *                     setip/clrip set/clear it; a claim clears it
 *   level high/low (6/7)  pending follows the rectified input; setip/clrip
 *                     are ignored; a claim does not clear it while the
 *                     input stays asserted
 *   reserved (2, 3)   written as inactive
 * A source interrupts the hart its target names when pending, enabled,
 * domaincfg.IE is set, and its priority (1..255, lower is more urgent) is
 * below that IDC's ithreshold (if non-zero); the IDC with idelivery set
 * raises the vCPU's VS external interrupt while topi is non-zero or
 * iforce is set.  Reading claimi returns topi and claims it.
 *
 * Guest accesses to the window: 32-bit naturally aligned loads and stores
 * reach the registers; reserved offsets, and IDCs of hart indices that
 * have no vCPU, read 0 and ignore stores.  Any other size or alignment
 * reads 0 and is ignored (the spec allows an access fault; kvm.ko hands
 * such accesses to the VMM as KVM_EXIT_MMIO).  All of it without an exit.
 */
#include <linux/bitmap.h>
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/swab.h>

#include "../rvhv_int.h"
#include "aia.h"

#define APLIC_DOMAINCFG		0x0000
#define APLIC_DOMAINCFG_RDONLY	0x80000000U
#define APLIC_DOMAINCFG_IE	BIT(8)
#define APLIC_DOMAINCFG_DM	BIT(2)
#define APLIC_SOURCECFG_BASE	0x0004
#define APLIC_SOURCECFG_D	BIT(10)
#define APLIC_SOURCECFG_SM	0x7
#define APLIC_SM_INACTIVE	0
#define APLIC_SM_DETACHED	1
#define APLIC_SM_EDGE_RISE	4
#define APLIC_SM_EDGE_FALL	5
#define APLIC_SM_LEVEL_HIGH	6
#define APLIC_SM_LEVEL_LOW	7
#define APLIC_SETIP_BASE	0x1c00
#define APLIC_SETIPNUM		0x1cdc
#define APLIC_CLRIP_BASE	0x1d00
#define APLIC_CLRIPNUM		0x1ddc
#define APLIC_SETIE_BASE	0x1e00
#define APLIC_SETIENUM		0x1edc
#define APLIC_CLRIE_BASE	0x1f00
#define APLIC_CLRIENUM		0x1fdc
#define APLIC_SETIPNUM_LE	0x2000
#define APLIC_SETIPNUM_BE	0x2004
#define APLIC_GENMSI		0x3000
#define APLIC_TARGET_BASE	0x3004
#define APLIC_TARGET_HART_SHIFT	18
#define APLIC_TARGET_HART_MASK	0x3fff
#define APLIC_TARGET_IPRIO	0xff
#define APLIC_TARGET_GUEST_SHIFT	12
#define APLIC_TARGET_GUEST_MASK	0x3f
#define APLIC_TARGET_EIID	0x7ff

#define APLIC_IDC_IDELIVERY	0x00
#define APLIC_IDC_IFORCE	0x04
#define APLIC_IDC_ITHRESHOLD	0x08
#define APLIC_IDC_TOPI		0x18
#define APLIC_IDC_CLAIMI	0x1c
#define APLIC_TOPI_ID_SHIFT	16

static u32 aplic_sm(struct rvhv_aplic *aplic, u32 irq)
{
	return aplic->sourcecfg[irq] & APLIC_SOURCECFG_SM;
}

static bool aplic_is_level(u32 sm)
{
	return sm == APLIC_SM_LEVEL_HIGH || sm == APLIC_SM_LEVEL_LOW;
}

/* The input after the source mode's inversion; 0 unless edge or level. */
static bool aplic_rectified(struct rvhv_aplic *aplic, u32 irq)
{
	u32 sm = aplic_sm(aplic, irq);
	bool raw = test_bit(irq, aplic->input);

	switch (sm) {
	case APLIC_SM_EDGE_RISE:
	case APLIC_SM_LEVEL_HIGH:
		return raw;
	case APLIC_SM_EDGE_FALL:
	case APLIC_SM_LEVEL_LOW:
		return !raw;
	}
	return false;
}

/* setip/clrip and their "num" forms (and setipnum_le/be). */
static void aplic_write_pending(struct rvhv_aplic *aplic, u32 irq, bool set)
{
	u32 sm;

	if (!irq || irq >= aplic->nr_irqs)
		return;
	sm = aplic_sm(aplic, irq);
	if (sm == APLIC_SM_INACTIVE)
		return;
	/*
	 * Level sources: never by software in direct mode; in MSI mode
	 * cleared at will, set only while asserted (kvm.ko's rules).
	 */
	if (aplic_is_level(sm) &&
	    (!aplic->msi || (set && !aplic_rectified(aplic, irq))))
		return;
	assign_bit(irq, aplic->pending, set);
}

static void aplic_write_enabled(struct rvhv_aplic *aplic, u32 irq, bool set)
{
	if (!irq || irq >= aplic->nr_irqs)
		return;
	if (aplic_sm(aplic, irq) == APLIC_SM_INACTIVE)
		return;
	assign_bit(irq, aplic->enabled, set);
}

static void aplic_write_sourcecfg(struct rvhv_aplic *aplic, u32 irq, u32 val)
{
	u32 sm = val & APLIC_SOURCECFG_SM;

	/* No child domain to delegate to; reserved modes are inactive. */
	if ((val & APLIC_SOURCECFG_D) || sm == 2 || sm == 3)
		sm = APLIC_SM_INACTIVE;
	aplic->sourcecfg[irq] = sm;
	if (sm == APLIC_SM_INACTIVE) {
		clear_bit(irq, aplic->pending);
		clear_bit(irq, aplic->enabled);
	} else if (aplic_is_level(sm) && !aplic->msi) {
		assign_bit(irq, aplic->pending, aplic_rectified(aplic, irq));
	}
}

static void aplic_write_target(struct rvhv_aplic *aplic, u32 irq, u32 val)
{
	u32 prio = val & APLIC_TARGET_IPRIO;

	/* MSI mode: hart index, guest index, identity. */
	if (aplic->msi) {
		aplic->target[irq] = val &
			((APLIC_TARGET_HART_MASK << APLIC_TARGET_HART_SHIFT) |
			 (APLIC_TARGET_GUEST_MASK << APLIC_TARGET_GUEST_SHIFT) |
			 APLIC_TARGET_EIID);
		return;
	}

	/* Direct mode: priority 0 is not allowed and reads back as 1. */
	if (!prio)
		prio = 1;
	aplic->target[irq] = (val & (APLIC_TARGET_HART_MASK <<
				     APLIC_TARGET_HART_SHIFT)) | prio;
}

/* The word of bits 32 * @word.. of @map (bits past nr_irqs are 0). */
static u32 aplic_word(struct rvhv_aplic *aplic, const unsigned long *map,
		      u32 word)
{
	u32 i, irq, v = 0;

	for (i = 0; i < 32; i++) {
		irq = word * 32 + i;
		if (irq && irq < aplic->nr_irqs && test_bit(irq, map))
			v |= BIT(i);
	}
	return v;
}

static u32 aplic_input_word(struct rvhv_aplic *aplic, u32 word)
{
	u32 i, irq, v = 0;

	for (i = 0; i < 32; i++) {
		irq = word * 32 + i;
		if (irq && irq < aplic->nr_irqs && aplic_rectified(aplic, irq))
			v |= BIT(i);
	}
	return v;
}

/* MSI mode: send @target's identity to the IMSIC of its hart index. */
static void aplic_msi_send(struct rvhv_aplic *aplic, u32 target)
{
	u32 hart = (target >> APLIC_TARGET_HART_SHIFT) & APLIC_TARGET_HART_MASK;
	u32 guest = (target >> APLIC_TARGET_GUEST_SHIFT) &
		    APLIC_TARGET_GUEST_MASK;
	struct rvhv_aia *aia = rvhv_vm_aia(aplic->vm);
	struct rvhv_imsic *imsic;
	unsigned int i;

	for (i = 0; i < RVHV_MAX_VCPUS; i++) {
		imsic = rvhv_aia_imsic(aia, i);
		if (imsic && imsic->hart_index == hart) {
			rvhv_imsic_inject(imsic->vcpu, guest,
					  target & APLIC_TARGET_EIID);
			return;
		}
	}
}

/* MSI mode: forward every pending, enabled source (IE set). */
static void aplic_msi_update(struct rvhv_aplic *aplic)
{
	u32 irq;

	if (!(aplic->domaincfg & APLIC_DOMAINCFG_IE))
		return;
	for_each_set_bit(irq, aplic->pending, aplic->nr_irqs) {
		if (!test_bit(irq, aplic->enabled))
			continue;
		clear_bit(irq, aplic->pending);
		aplic_msi_send(aplic, aplic->target[irq]);
		/* A resampling irqfd's source: sent is acknowledged. */
		if (test_and_clear_bit(irq, aplic->resample)) {
			clear_bit(irq, aplic->input);
			set_bit(irq, aplic->resample_due);
			schedule_work(&aplic->resample_work);
		}
	}
}

/* MSI mode: signal the resample eventfds of the sources sent. */
static void aplic_resample_work(struct work_struct *work)
{
	struct rvhv_aplic *aplic = container_of(work, struct rvhv_aplic,
						resample_work);
	u32 irq;

	for_each_set_bit(irq, aplic->resample_due, aplic->nr_irqs)
		if (test_and_clear_bit(irq, aplic->resample_due))
			rvhv_irqfd_resample(aplic->vm, irq);
}

/*
 * Recompute every IDC's topi and drive each vCPU's line from its IDC;
 * in MSI mode, forward what is pending.  Under @aplic->lock.
 */
static void aplic_update(struct rvhv_aplic *aplic)
{
	struct rvhv_aplic_idc *idc;
	struct rvhv_vcpu *vcpu;
	u32 irq, hart, prio, thr;
	bool ie, line;

	if (aplic->msi) {
		aplic_msi_update(aplic);
		return;
	}

	for (hart = 0; hart < RVHV_APLIC_NR_IDCS; hart++)
		aplic->idc[hart].topi = 0;
	/* Ascending: among equal priorities the lowest identity wins. */
	for_each_set_bit(irq, aplic->pending, aplic->nr_irqs) {
		if (!test_bit(irq, aplic->enabled))
			continue;
		hart = (aplic->target[irq] >> APLIC_TARGET_HART_SHIFT) &
		       APLIC_TARGET_HART_MASK;
		if (hart >= RVHV_APLIC_NR_IDCS)
			continue;
		idc = &aplic->idc[hart];
		prio = aplic->target[irq] & APLIC_TARGET_IPRIO;
		thr = idc->ithreshold;
		if (thr && prio >= thr)
			continue;
		if (!idc->topi || prio < (idc->topi & APLIC_TARGET_IPRIO))
			idc->topi = irq << APLIC_TOPI_ID_SHIFT | prio;
	}

	ie = aplic->domaincfg & APLIC_DOMAINCFG_IE;
	for (hart = 0; hart < RVHV_APLIC_NR_IDCS; hart++) {
		idc = &aplic->idc[hart];
		line = ie && (idc->idelivery & 1) &&
		       ((idc->iforce & 1) || idc->topi);
		if (line == idc->line)
			continue;
		vcpu = rvhv_vm_vcpu(aplic->vm, hart);
		if (!vcpu)
			continue;	/* driven once it exists */
		idc->line = line;
		rvhv_vcpu_set_irq(vcpu, RVHV_IRQ_APLIC, line,
				  RVHV_IRQ_SRC_APLIC);
	}
}

void rvhv_aplic_refresh(struct rvhv_aplic *aplic)
{
	unsigned long flags;

	spin_lock_irqsave(&aplic->lock, flags);
	aplic_update(aplic);
	spin_unlock_irqrestore(&aplic->lock, flags);
}

void rvhv_aplic_set_input(struct rvhv_aplic *aplic, u32 irq, bool level,
			  bool resample)
{
	unsigned long flags;
	bool old;
	u32 sm;

	spin_lock_irqsave(&aplic->lock, flags);
	old = test_bit(irq, aplic->input);
	assign_bit(irq, aplic->input, level);
	if (level)
		assign_bit(irq, aplic->resample, resample);
	sm = aplic_sm(aplic, irq);
	switch (sm) {
	case APLIC_SM_EDGE_RISE:
		if (!old && level)
			set_bit(irq, aplic->pending);
		break;
	case APLIC_SM_EDGE_FALL:
		if (old && !level)
			set_bit(irq, aplic->pending);
		break;
	case APLIC_SM_LEVEL_HIGH:
	case APLIC_SM_LEVEL_LOW:
		/* MSI mode: asserted sets it; the MSI or software clears it. */
		if (!aplic->msi)
			assign_bit(irq, aplic->pending,
				   aplic_rectified(aplic, irq));
		else if (aplic_rectified(aplic, irq))
			set_bit(irq, aplic->pending);
		break;
	}
	aplic_update(aplic);
	spin_unlock_irqrestore(&aplic->lock, flags);
}

/*
 * claimi: claim the IDC's topi.  Returns it; *@resample_gsi is the source
 * whose resample eventfds are to be signalled (after the lock), or 0.
 */
static u32 aplic_claim(struct rvhv_aplic *aplic, struct rvhv_aplic_idc *idc,
		       u32 *resample_gsi)
{
	u32 topi = idc->topi, irq;

	if (!topi) {
		idc->iforce = 0;
		return 0;
	}
	irq = topi >> APLIC_TOPI_ID_SHIFT;
	if (test_and_clear_bit(irq, aplic->resample)) {
		/* The guest acknowledged it: the resampling irqfd's line drops. */
		clear_bit(irq, aplic->input);
		*resample_gsi = irq;
	}
	/* A level source stays pending while it is asserted. */
	assign_bit(irq, aplic->pending,
		   aplic_is_level(aplic_sm(aplic, irq)) &&
		   aplic_rectified(aplic, irq));
	return topi;
}

/*
 * The IDC register at @off (from the window's IDC area) lives in, or
 * NULL: MSI mode has no IDCs, and past the last one there is nothing.
 */
static struct rvhv_aplic_idc *aplic_idc(struct rvhv_aplic *aplic, u32 off)
{
	if (aplic->msi || off >= RVHV_APLIC_NR_IDCS * RVHV_APLIC_IDC_SIZE)
		return NULL;
	return &aplic->idc[off / RVHV_APLIC_IDC_SIZE];
}

/*
 * Read the register at @off (4-byte aligned).  @claim: a guest's read of
 * claimi claims (an attribute read does not).  Under @aplic->lock.
 * Returns 0 or -ENODEV (no such register).
 */
static int aplic_read(struct rvhv_aplic *aplic, u32 off, u32 *val,
		      bool claim, u32 *resample_gsi)
{
	u32 nr_words = DIV_ROUND_UP(aplic->nr_irqs, 32);
	struct rvhv_aplic_idc *idc;

	*val = 0;
	if (off >= RVHV_APLIC_IDC_BASE) {
		off -= RVHV_APLIC_IDC_BASE;
		idc = aplic_idc(aplic, off);
		if (!idc)
			return -ENODEV;
		switch (off % RVHV_APLIC_IDC_SIZE) {
		case APLIC_IDC_IDELIVERY:
			*val = idc->idelivery;
			return 0;
		case APLIC_IDC_IFORCE:
			*val = idc->iforce;
			return 0;
		case APLIC_IDC_ITHRESHOLD:
			*val = idc->ithreshold;
			return 0;
		case APLIC_IDC_TOPI:
			*val = idc->topi;
			return 0;
		case APLIC_IDC_CLAIMI:
			if (!claim) {
				*val = idc->topi;
				return 0;
			}
			*val = aplic_claim(aplic, idc, resample_gsi);
			aplic_update(aplic);
			return 0;
		}
		return -ENODEV;
	}
	if (off == APLIC_DOMAINCFG) {
		*val = APLIC_DOMAINCFG_RDONLY | aplic->domaincfg |
		       (aplic->msi ? APLIC_DOMAINCFG_DM : 0);
	} else if (off == APLIC_GENMSI) {
		*val = aplic->genmsi;
	} else if (off >= APLIC_SOURCECFG_BASE &&
		   off < APLIC_SOURCECFG_BASE + (aplic->nr_irqs - 1) * 4) {
		*val = aplic->sourcecfg[(off - APLIC_SOURCECFG_BASE) / 4 + 1];
	} else if (off >= APLIC_SETIP_BASE &&
		   off < APLIC_SETIP_BASE + nr_words * 4) {
		*val = aplic_word(aplic, aplic->pending,
				  (off - APLIC_SETIP_BASE) / 4);
	} else if (off >= APLIC_CLRIP_BASE &&
		   off < APLIC_CLRIP_BASE + nr_words * 4) {
		*val = aplic_input_word(aplic, (off - APLIC_CLRIP_BASE) / 4);
	} else if (off >= APLIC_SETIE_BASE &&
		   off < APLIC_SETIE_BASE + nr_words * 4) {
		*val = aplic_word(aplic, aplic->enabled,
				  (off - APLIC_SETIE_BASE) / 4);
	} else if (off >= APLIC_TARGET_BASE &&
		   off < APLIC_TARGET_BASE + (aplic->nr_irqs - 1) * 4) {
		*val = aplic->target[(off - APLIC_TARGET_BASE) / 4 + 1];
	} else if (!(off >= APLIC_CLRIE_BASE &&
		     off < APLIC_CLRIE_BASE + nr_words * 4) &&
		   off != APLIC_SETIPNUM && off != APLIC_CLRIPNUM &&
		   off != APLIC_SETIENUM && off != APLIC_CLRIENUM &&
		   off != APLIC_SETIPNUM_LE && off != APLIC_SETIPNUM_BE &&
		   off != APLIC_GENMSI) {
		return -ENODEV;
	}
	/* The write-only registers (and genmsi, MSI mode only) read 0. */
	return 0;
}

/* The "num" and bit-array writes: each set bit of @val. */
static void aplic_write_bits(struct rvhv_aplic *aplic, u32 word, u32 val,
			     void (*fn)(struct rvhv_aplic *, u32, bool),
			     bool set)
{
	unsigned long bits = val;
	u32 i;

	for_each_set_bit(i, &bits, 32)
		fn(aplic, word * 32 + i, set);
}

/* Write @val at @off (4-byte aligned).  Under @aplic->lock. */
static int aplic_write(struct rvhv_aplic *aplic, u32 off, u32 val)
{
	u32 nr_words = DIV_ROUND_UP(aplic->nr_irqs, 32);
	struct rvhv_aplic_idc *idc;

	if (off >= RVHV_APLIC_IDC_BASE) {
		off -= RVHV_APLIC_IDC_BASE;
		idc = aplic_idc(aplic, off);
		if (!idc)
			return -ENODEV;
		switch (off % RVHV_APLIC_IDC_SIZE) {
		case APLIC_IDC_IDELIVERY:
			idc->idelivery = val & 1;
			break;
		case APLIC_IDC_IFORCE:
			idc->iforce = val & 1;
			break;
		case APLIC_IDC_ITHRESHOLD:
			idc->ithreshold = val & APLIC_TARGET_IPRIO;
			break;
		case APLIC_IDC_TOPI:
		case APLIC_IDC_CLAIMI:
			break;		/* read-only */
		default:
			return -ENODEV;
		}
		aplic_update(aplic);
		return 0;
	}
	if (off == APLIC_DOMAINCFG) {
		/* IE only: DM (MSI mode) and BE are hardwired to 0. */
		aplic->domaincfg = val & APLIC_DOMAINCFG_IE;
	} else if (off >= APLIC_SOURCECFG_BASE &&
		   off < APLIC_SOURCECFG_BASE + (aplic->nr_irqs - 1) * 4) {
		aplic_write_sourcecfg(aplic,
				      (off - APLIC_SOURCECFG_BASE) / 4 + 1, val);
	} else if (off >= APLIC_SETIP_BASE &&
		   off < APLIC_SETIP_BASE + nr_words * 4) {
		aplic_write_bits(aplic, (off - APLIC_SETIP_BASE) / 4, val,
				 aplic_write_pending, true);
	} else if (off == APLIC_SETIPNUM || off == APLIC_SETIPNUM_LE) {
		aplic_write_pending(aplic, val, true);
	} else if (off == APLIC_SETIPNUM_BE) {
		aplic_write_pending(aplic, swab32(val), true);
	} else if (off >= APLIC_CLRIP_BASE &&
		   off < APLIC_CLRIP_BASE + nr_words * 4) {
		aplic_write_bits(aplic, (off - APLIC_CLRIP_BASE) / 4, val,
				 aplic_write_pending, false);
	} else if (off == APLIC_CLRIPNUM) {
		aplic_write_pending(aplic, val, false);
	} else if (off >= APLIC_SETIE_BASE &&
		   off < APLIC_SETIE_BASE + nr_words * 4) {
		aplic_write_bits(aplic, (off - APLIC_SETIE_BASE) / 4, val,
				 aplic_write_enabled, true);
	} else if (off == APLIC_SETIENUM) {
		aplic_write_enabled(aplic, val, true);
	} else if (off >= APLIC_CLRIE_BASE &&
		   off < APLIC_CLRIE_BASE + nr_words * 4) {
		aplic_write_bits(aplic, (off - APLIC_CLRIE_BASE) / 4, val,
				 aplic_write_enabled, false);
	} else if (off == APLIC_CLRIENUM) {
		aplic_write_enabled(aplic, val, false);
	} else if (off >= APLIC_TARGET_BASE &&
		   off < APLIC_TARGET_BASE + (aplic->nr_irqs - 1) * 4) {
		aplic_write_target(aplic, (off - APLIC_TARGET_BASE) / 4 + 1,
				   val);
	} else if (off == APLIC_GENMSI) {
		/* MSI mode: an MSI of the identity to the hart, at once. */
		if (aplic->msi) {
			aplic->genmsi = val & ~(APLIC_TARGET_GUEST_MASK <<
						APLIC_TARGET_GUEST_SHIFT);
			aplic_msi_send(aplic, aplic->genmsi);
		}
	} else {
		return -ENODEV;
	}
	aplic_update(aplic);
	return 0;
}

int rvhv_aplic_attr_read(struct rvhv_aplic *aplic, u64 off, u32 *val)
{
	unsigned long flags;
	u32 unused = 0;
	int ret;

	if (off & 3)
		return -EOPNOTSUPP;
	if (off >= RVHV_APLIC_WINDOW)
		return -ENODEV;
	spin_lock_irqsave(&aplic->lock, flags);
	ret = aplic_read(aplic, off, val, false, &unused);
	spin_unlock_irqrestore(&aplic->lock, flags);
	return ret;
}

int rvhv_aplic_attr_write(struct rvhv_aplic *aplic, u64 off, u32 val)
{
	unsigned long flags;
	int ret;

	if (off & 3)
		return -EOPNOTSUPP;
	if (off >= RVHV_APLIC_WINDOW)
		return -ENODEV;
	spin_lock_irqsave(&aplic->lock, flags);
	ret = aplic_write(aplic, off, val);
	spin_unlock_irqrestore(&aplic->lock, flags);
	return ret;
}

bool rvhv_aia_mmio(struct rvhv_vcpu *vcpu, u64 gpa, unsigned int len,
		   bool write, u64 *val)
{
	struct rvhv_aplic *aplic = rvhv_vm_aplic(vcpu->vm);
	u32 off, v = 0, resample_gsi = 0;
	unsigned long flags;

	/* MSI mode has no IDCs: kvm.ko's 0x4000 bytes. */
	if (!aplic || gpa < aplic->base || gpa - aplic->base >=
	    (aplic->msi ? RVHV_APLIC_IDC_BASE : RVHV_APLIC_WINDOW))
		return rvhv_imsic_mmio(vcpu, gpa, len, write, val);
	off = gpa - aplic->base;
	vcpu->stat.irqchip_accesses++;
	if (len == 4 && !(off & 3)) {
		/* Reserved registers read 0 and ignore stores (-ENODEV). */
		spin_lock_irqsave(&aplic->lock, flags);
		if (write)
			aplic_write(aplic, off, *val);
		else
			aplic_read(aplic, off, &v, true, &resample_gsi);
		spin_unlock_irqrestore(&aplic->lock, flags);
	}
	/* Other sizes and alignments read 0, stores are ignored. */
	if (!write)
		*val = v;
	if (resample_gsi)
		rvhv_irqfd_resample(vcpu->vm, resample_gsi);
	return true;
}

int rvhv_aplic_init(struct rvhv_aia *aia)
{
	struct rvhv_aplic *aplic;
	u32 n = aia->nr_sources + 1;

	aplic = kzalloc(sizeof(*aplic), GFP_KERNEL_ACCOUNT);
	if (!aplic)
		return -ENOMEM;
	spin_lock_init(&aplic->lock);
	aplic->vm = aia->vm;
	aplic->base = aia->aplic_addr;
	aplic->nr_irqs = n;
	aplic->msi = aia->msi;
	aplic->sourcecfg = kcalloc(n, sizeof(u32), GFP_KERNEL_ACCOUNT);
	aplic->target = kcalloc(n, sizeof(u32), GFP_KERNEL_ACCOUNT);
	aplic->pending = bitmap_zalloc(n, GFP_KERNEL_ACCOUNT);
	aplic->enabled = bitmap_zalloc(n, GFP_KERNEL_ACCOUNT);
	aplic->input = bitmap_zalloc(n, GFP_KERNEL_ACCOUNT);
	aplic->resample = bitmap_zalloc(n, GFP_KERNEL_ACCOUNT);
	aplic->resample_due = bitmap_zalloc(n, GFP_KERNEL_ACCOUNT);
	INIT_WORK(&aplic->resample_work, aplic_resample_work);
	if (!aplic->sourcecfg || !aplic->target || !aplic->pending ||
	    !aplic->enabled || !aplic->input || !aplic->resample ||
	    !aplic->resample_due) {
		rvhv_aplic_free(aplic);
		return -ENOMEM;
	}
	/* Reset: hart 0, priority 1 (0 is not a valid direct priority). */
	for (n = 1; !aplic->msi && n < aplic->nr_irqs; n++)
		aplic->target[n] = 1;
	/* Published with release: the MMIO path and GSIs look it up. */
	smp_store_release(&aia->vm->aplic, aplic);
	return 0;
}

void rvhv_aplic_free(struct rvhv_aplic *aplic)
{
	if (!aplic)
		return;
	cancel_work_sync(&aplic->resample_work);
	kfree(aplic->sourcecfg);
	kfree(aplic->target);
	bitmap_free(aplic->pending);
	bitmap_free(aplic->enabled);
	bitmap_free(aplic->input);
	bitmap_free(aplic->resample);
	bitmap_free(aplic->resample_due);
	kfree(aplic);
}
