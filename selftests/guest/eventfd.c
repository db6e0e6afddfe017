// SPDX-License-Identifier: GPL-2.0
/* Guest programs of eventfd_test: stores to ioeventfd addresses. */
#include "smp.h"

long guest_efd_loop(unsigned long unused0, unsigned long unused1);
long guest_efd_loopback(unsigned long addr, unsigned long unused);

static void efd_store(unsigned long width, unsigned long addr,
		      unsigned long val)
{
	switch (width) {
	case 1:
		mmio_sb(addr, val);
		break;
	case 2:
		mmio_sh(addr, val);
		break;
	case 4:
		mmio_sw(addr, val);
		break;
	default:
		mmio_sd(addr, val);
		break;
	}
}

/*
 * After a first UCALL_SYNC, run the command left at GUEST_CMD (struct
 * guest_cmd) and answer UCALL_REPORT(op, n), again and again:
 *   op 1, 2, 4, 8:  n stores of that width of val to addr (the register
 *                   holds all 64 bits of val; the store writes its low
 *                   bytes)
 *   EFD_HAMMER:     8-byte stores of val to addr, UCALL_REPORT(op,
 *                   rounds) after every 256, until the host answers
 *                   non-zero
 *   EFD_EXIT:       return val
 */
long guest_efd_loop(unsigned long unused0, unsigned long unused1)
{
	volatile struct guest_cmd *c = (void *)GUEST_CMD;
	unsigned long i, round;

	GUEST_SYNC(0);
	for (;;) {
		switch (c->op) {
		case 1:
		case 2:
		case 4:
		case 8:
			for (i = 0; i < c->n; i++)
				efd_store(c->op, c->addr, c->val);
			break;
		case EFD_HAMMER:
			for (round = 1;; round++) {
				for (i = 0; i < 256; i++)
					mmio_sd(c->addr, c->val);
				if (GUEST_REPORT(EFD_HAMMER, round))
					break;
			}
			break;
		case EFD_EXIT:
			return c->val;
		default:
			GUEST_ASSERT(0);
		}
		GUEST_REPORT(c->op, c->n);
	}
}

/*
 * An 8-byte store to addr, whose ioeventfd's eventfd is also an irqfd
 * for this vCPU's line: the store raises the guest's own external
 * interrupt, taken (SEIE only) in WFI.  Returns the WFIs that returned.
 */
long guest_efd_loopback(unsigned long addr, unsigned long unused)
{
	smp_init();
	csr_write(sie, SIE_SEIE);
	irq_enable();
	mmio_sd(addr, 1);
	while (!SMP->sei[0]) {
		wfi();
		SMP->counter[0]++;
	}
	irq_disable();
	return SMP->counter[0];
}
