/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by isa_test.c and guest/isa.c: which extension to exercise. */
#ifndef GUEST_ISA_ABI_H
#define GUEST_ISA_ABI_H

#define ISA_T_ZBA		1
#define ISA_T_ZBB		2
#define ISA_T_ZBS		3
#define ISA_T_ZBC		4
#define ISA_T_ZICOND		5
#define ISA_T_ZFA		6
#define ISA_T_ZIHINTNTL		7
#define ISA_T_ZIHINTPAUSE	8
#define ISA_T_ZICBOM		9	/* a1: the cache block size */
#define ISA_T_ZICBOZ		10	/* a1: the cache block size */
#define ISA_T_ZAWRS		11
#define ISA_T_ZACAS		12
#define ISA_T_ZICNTR		13
#define ISA_T_SVINVAL		14
/* Extensions with the ids of newer kvm.ko (RVHV_RISCV_ISA_EXT_*) */
#define ISA_T_ZABHA		15	/* a1: 1 if the vCPU has Zacas too */
#define ISA_T_ZAAMO		16
#define ISA_T_ZALRSC		17
#define ISA_T_ZICCRSE		18
#define ISA_T_ZICBOP		19
#define ISA_T_SVVPTC		20
/* VS-stage A/D bits: set by the hart (Svadu) or page faults (Svade) */
#define ISA_T_SVADU		21
#define ISA_T_SVADE		22
#define ISA_T_ZFBFMIN		23
#define ISA_T_ZVFBFMIN		24
#define ISA_T_ZVFBFWMA		25

#endif
