// SPDX-License-Identifier: GPL-2.0
/* Guest programs of eventfd_test: stores to ioeventfd addresses. */
#include "guest.h"

long guest_efd_loop(unsigned long unused0, unsigned long unused1);

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
