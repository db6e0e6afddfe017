// SPDX-License-Identifier: GPL-2.0
/*
 * Guest ISA extensions whose instructions trap to the hypervisor and that
 * rvhv completes: Zawrs.
 *
 * Zawrs: a vCPU runs with hstatus.VTW set (for WFI), under which WRS.NTO
 * in VS/VU-mode raises a virtual-instruction exception when it would not
 * complete within an implementation-defined time (QEMU raises it at once).
 * WRS.NTO may complete early for any reason, so rvhv completes it at once
 * (the pc moves on) and the run loop's cond_resched() lets whatever the
 * guest waits for run first; the guest then sees its reservation and
 * waits again or goes on, as after a spurious wake-up.  WRS.STO must not
 * trap; if a hart raised the exception for it anyway, it is completed the
 * same way.  Without Zawrs in the vCPU's ISA both are illegal
 * instructions for the guest, as before.
 */
#include <linux/bitops.h>

#include "rvhv_int.h"
#include "isa.h"

#define INSN_WRS_NTO	0x00d00073UL
#define INSN_WRS_STO	0x01d00073UL

bool rvhv_isa_virtual_insn(struct rvhv_vcpu *vcpu, unsigned long insn)
{
	if ((insn == INSN_WRS_NTO || insn == INSN_WRS_STO) &&
	    test_bit(KVM_RISCV_ISA_EXT_ZAWRS, vcpu->isa_ext)) {
		vcpu->ctx.gpr[RVHV_REG_PC] += 4;
		return true;
	}
	return false;
}
