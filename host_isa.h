/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host ISA extensions the host kernel does not detect, found by rvhv in
 * the device tree at load: host_isa.c.
 */
#ifndef _RVHV_HOST_ISA_H
#define _RVHV_HOST_ISA_H

#include <linux/const.h>
#include <linux/types.h>

struct seq_file;

/* henvcfg.ADUE (Svadu), which Linux 6.12's <asm/csr.h> lacks */
#ifndef ENVCFG_ADUE
#define ENVCFG_ADUE	(_AC(1, ULL) << 61)
#endif

/*
 * Extensions Linux 6.12 has no RISCV_ISA_EXT_* number for.  Svade and
 * Svadu follow the kernel's rule for a hart naming both (Svade only: the
 * firmware starts it with hardware A/D updating off).
 */
enum rvhv_host_isa_ext {
	RVHV_HOST_ISA_SVADE,
	RVHV_HOST_ISA_SVADU,
	RVHV_HOST_ISA_ZABHA,
	RVHV_HOST_ISA_ZICCRSE,
	RVHV_HOST_ISA_ZAAMO,
	RVHV_HOST_ISA_ZALRSC,
	RVHV_HOST_ISA_ZICBOP,
	RVHV_HOST_ISA_ZFBFMIN,
	RVHV_HOST_ISA_ZVFBFMIN,
	RVHV_HOST_ISA_ZVFBFWMA,
	RVHV_HOST_ISA_MAX,
};

void rvhv_host_isa_detect(void);
bool rvhv_host_isa_has(unsigned int ext);
/* henvcfg.ADUE can be set (Svadu, and the firmware enabled it). */
bool rvhv_host_isa_adue(void);
/* The harts' Zicbop block size (riscv,cbop-block-size); 0 without Zicbop. */
unsigned int rvhv_host_isa_cbop_block_size(void);
/* "svadu zabha ...": the extensions found, for debugfs. */
void rvhv_host_isa_show(struct seq_file *m);

#endif /* _RVHV_HOST_ISA_H */
