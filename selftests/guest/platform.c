// SPDX-License-Identifier: GPL-2.0
/* Guest programs of sbi_platform_test: steal time (STA), suspend (SUSP). */
#include "guest.h"
#include "platform_abi.h"

long guest_sta_spin(unsigned long area, unsigned long unused);

/* The part of struct sbi_sta_struct the guest reads. */
struct sta_head {
	u32 sequence;
	u32 flags;
	u64 steal;
};

/*
 * Spin until the host sets PLAT_STOP, then read the steal-time area at
 * @area (0: none) as a guest kernel does (sequence, steal, sequence
 * again, until even and unchanged) and report UCALL_REPORT(0, steal,
 * sequence, spins).
 */
long guest_sta_spin(unsigned long area, unsigned long unused)
{
	volatile struct sta_head *sta = (void *)area;
	volatile unsigned long *stop = (void *)PLAT_STOP;
	unsigned long spins = 0, steal = 0;
	u32 seq = 0;

	while (!*stop)
		spins++;
	if (area) {
		do {
			seq = sta->sequence;
			asm volatile("fence r, r" : : : "memory");
			steal = sta->steal;
			asm volatile("fence r, r" : : : "memory");
		} while ((seq & 1) || seq != sta->sequence);
	}
	GUEST_REPORT3(0, steal, seq, spins);
	return 0;
}

/*
 * SBI SUSP's resume address.  The hart arrives here reset (no stack,
 * a0 = hartid, a1 = opaque) and reports UCALL_REPORT(PLAT_RESUMED, a0,
 * a1, satp, sstatus), then UCALL_DONE(0).  Plain assembly: the ids are
 * spelled out (checked below).
 */
_Static_assert(UCALL_EXT == 0x08FFFFFF, "guest_susp_resume's a7");
_Static_assert(UCALL_REPORT == 1, "guest_susp_resume's a6");
_Static_assert(PLAT_RESUMED == 0x5355, "guest_susp_resume's a0");
asm(".pushsection .text\n"
    ".balign 4\n"
    ".globl guest_susp_resume\n"
    "guest_susp_resume:\n"
    "	mv	a2, a1\n"
    "	mv	a1, a0\n"
    "	li	a0, 0x5355\n"
    "	csrr	a3, satp\n"
    "	csrr	a4, sstatus\n"
    "	li	a6, 1\n"
    "	li	a7, 0x08FFFFFF\n"
    "	ecall\n"
    "	li	a0, 0\n"
    "	j	guest_done\n"
    ".popsection\n");
