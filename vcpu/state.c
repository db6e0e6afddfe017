// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state for save and restore (live migration): the parts of ONE_REG
 * that are not a plain copy of a field, because the vCPU keeps them in
 * more than one place.
 *
 * Owns the ONE_REG view of the guest's pending VS-level interrupts (CSR
 * sip): hvip as the guest would see it on its next entry, with the raised
 * and lowered lines (vcpu->irq_pending / irq_pending_mask) that the vCPU's
 * thread has not yet applied.  Called with vcpu->mutex held and the vCPU
 * not loaded (vcpu/onereg.c); the lines may still change under it from
 * other threads (KVM_INTERRUPT, IPIs, the timer, the irqchip), with the
 * atomic bit operations rvhv_vcpu_set_irq() uses.
 *
 * See Documentation/rvhv.rst, "Migration", for the list of state a VMM
 * saves and the rule for a vCPU stopped in the middle of an exit.
 */
#include <linux/bitops.h>
#include <asm/csr.h>

#include "rvhv_int.h"

/* The local VS interrupts whose level a VMM saves and restores. */
#define RVHV_SIP_LINES	(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER))

/**
 * rvhv_state_get_sip() - ONE_REG CSR sip
 * @vcpu: the vCPU (mutex held, not loaded)
 *
 * SSIP and STIP are hvip.VSSIP and VSTIP with any change still pending
 * for the vCPU's next entry applied (the guest can clear VSSIP itself, so
 * hvip, not the line, holds its level once applied).  SEIP is the level
 * of the VS external interrupt line KVM_INTERRUPT (and RVHV_CAP_IRQ_LINES)
 * drive, as in kvm.ko, where hvip.VSEIP is that line alone: the in-kernel
 * irqchip's own lines (its APLIC's IDC, its IMSIC) are the device's state
 * and are saved with it (KVM_DEV_RISCV_AIA_GRP_APLIC/IMSIC), not here.
 * Bits of hvip above the local interrupts are reported as they are.
 *
 * Return: the register's value.
 */
unsigned long rvhv_state_get_sip(struct rvhv_vcpu *vcpu)
{
	unsigned long mask = READ_ONCE(vcpu->irq_pending_mask) &
			     RVHV_SIP_LINES;
	unsigned long pend = READ_ONCE(vcpu->irq_pending);
	unsigned long hvip = vcpu->csr.hvip;

	hvip = (hvip & ~mask) | (pend & mask);
	hvip &= ~BIT(IRQ_VS_EXT);
	hvip |= pend & BIT(IRQ_VS_EXT);
	return ((hvip >> VSIP_TO_HVIP_SHIFT) & VSIP_VALID_MASK) |
	       (hvip & ~IRQ_LOCAL_MASK);
}

/**
 * rvhv_state_set_sip() - ONE_REG CSR sip write
 * @vcpu: the vCPU (mutex held, not loaded)
 * @val: SSIP, STIP and SEIP (other bits are ignored, as in kvm.ko)
 *
 * Sets hvip.VSSIP and VSTIP, dropping changes of those lines not yet
 * applied (the written value wins, as kvm.ko's), and the level of the
 * KVM_INTERRUPT line from SEIP: hvip.VSEIP is then recomputed on the next
 * entry as that line OR the irqchip's.
 */
void rvhv_state_set_sip(struct rvhv_vcpu *vcpu, unsigned long val)
{
	unsigned long hvip = (val & VSIP_VALID_MASK) << VSIP_TO_HVIP_SHIFT;

	vcpu->csr.hvip = hvip;
	clear_bit(IRQ_VS_SOFT, &vcpu->irq_pending_mask);
	clear_bit(IRQ_VS_TIMER, &vcpu->irq_pending_mask);
	assign_bit(IRQ_VS_SOFT, &vcpu->irq_pending, hvip & BIT(IRQ_VS_SOFT));
	assign_bit(IRQ_VS_TIMER, &vcpu->irq_pending,
		   hvip & BIT(IRQ_VS_TIMER));
	assign_bit(IRQ_VS_EXT, &vcpu->irq_pending, hvip & BIT(IRQ_VS_EXT));
	/* The level is visible before the change is (as rvhv_vcpu_set_irq). */
	smp_mb__before_atomic();
	set_bit(IRQ_VS_EXT, &vcpu->irq_pending_mask);
}
