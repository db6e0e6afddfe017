/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instructions of guest ISA extensions that trap to rvhv: vcpu/isa.c.
 */
#ifndef _RVHV_ISA_H
#define _RVHV_ISA_H

#include <linux/types.h>

struct rvhv_vcpu;

/*
 * A virtual-instruction trap on @insn: true when it was an instruction of
 * an extension the vCPU has that rvhv completes (the pc is moved on).
 */
bool rvhv_isa_virtual_insn(struct rvhv_vcpu *vcpu, unsigned long insn);

#endif /* _RVHV_ISA_H */
