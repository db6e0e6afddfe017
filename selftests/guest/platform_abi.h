/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What sbi_platform_test and its guest programs (guest/platform.c) agree
 * on: where the steal-time area and the stop flag live, the SBI ids.
 */
#ifndef GUEST_PLATFORM_ABI_H
#define GUEST_PLATFORM_ABI_H

#include "ucall_abi.h"

/* A steal-time area (struct sbi_sta_struct, 64 bytes) in slot 0. */
#define PLAT_STA_AREA		(GUEST_DATA + 0xc000UL)
/* guest_sta_spin spins until the host makes this word non-zero. */
#define PLAT_STOP		(GUEST_DATA + 0xd000UL)

/* guest_susp_resume: UCALL_REPORT(PLAT_RESUMED, a0, a1, satp, sstatus) */
#define PLAT_RESUMED		0x5355

#define SBI_EXT_STA_SET_SHMEM	0
#define SBI_SUSP_SYSTEM_SUSPEND	0
#define SBI_ERR_DENIED		(-4)
#define SBI_ERR_INVALID_ADDRESS	(-5)

#endif /* GUEST_PLATFORM_ABI_H */
