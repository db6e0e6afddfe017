// SPDX-License-Identifier: GPL-2.0
/* Guest programs of lifecycle_test. */
#include "smp.h"

long guest_lc_spin(unsigned long unused0, unsigned long unused1);
long guest_lc_irq_storm(unsigned long use_wfi, unsigned long unused1);

/*
 * Count in counter[0] until the host sets host_flag[0]: the host sees
 * the guest run by the count moving.
 */
long guest_lc_spin(unsigned long unused0, unsigned long unused1)
{
	while (!SMP->host_flag[0])
		atomic_add(&SMP->counter[0], 1);
	return SMP->counter[0];
}

/*
 * Take the external interrupt (KVM_INTERRUPT) whenever it is raised,
 * spinning (use_wfi 0) or sleeping in WFI between takes (1), until the
 * host sets host_flag[0].  smp_irq_handler() counts each take in sei[0]
 * and masks SEIE; it is unmasked again with interrupts off, so a WFI
 * never sleeps with the line masked.  counter[0] counts rounds.
 */
long guest_lc_irq_storm(unsigned long use_wfi, unsigned long unused1)
{
	smp_init();
	SMP->guest_flag[0] = 1;
	while (!SMP->host_flag[0]) {
		irq_disable();
		csr_set(sie, SIE_SEIE);
		if (use_wfi && !SMP->host_flag[0])
			wfi();
		irq_enable();
		atomic_add(&SMP->counter[0], 1);
	}
	irq_disable();
	return SMP->sei[0];
}
