// SPDX-License-Identifier: GPL-2.0
/* Guest programs of memory_test (and anyone who wants guest_cmd_loop). */
#include "guest.h"

long guest_cmd_loop(unsigned long unused0, unsigned long unused1);
long guest_hammer(unsigned long base, unsigned long npages);

long guest_cmd_loop(unsigned long unused0, unsigned long unused1)
{
	volatile struct guest_cmd *c = (void *)GUEST_CMD;
	unsigned long r, i;

	GUEST_SYNC(0);
	for (;;) {
		r = 0;
		switch (c->op) {
		case CMD_READ64:
			r = *(volatile u64 *)c->addr;
			break;
		case CMD_WRITE64:
			*(volatile u64 *)c->addr = c->val;
			break;
		case CMD_SUM_PAGES:
			for (i = 0; i < c->n; i++)
				r += *(volatile u64 *)(c->addr + i * 4096);
			break;
		case CMD_FILL_PAGES:
			for (i = 0; i < c->n; i++)
				*(volatile u64 *)(c->addr + i * 4096) =
					c->val + i;
			break;
		case CMD_EXIT:
			return c->val;
		default:
			GUEST_ASSERT(0);
		}
		GUEST_REPORT(c->op, r);
	}
}

/*
 * Stamp every page of [base, base + npages * 4096) with (round, page) at
 * two offsets, check the previous round's stamps first, and report the
 * round every 8 rounds (the host may then ask it to stop: ret[1] != 0).
 * A stamp that is not what the guest wrote fails a guest assertion.
 */
long guest_hammer(unsigned long base, unsigned long npages)
{
	unsigned long round, i, want, stop = 0;
	volatile u64 *p;

	for (round = 1; !stop; round++) {
		for (i = 0; i < npages; i++) {
			p = (volatile u64 *)(base + i * 4096);
			want = ((round - 1) << 32) | i;
			if (round > 1) {
				GUEST_ASSERT_EQ(p[0], want);
				GUEST_ASSERT_EQ(p[511], ~want);
			}
			p[0] = (round << 32) | i;
			p[511] = ~((round << 32) | i);
		}
		if (!(round & 7))
			stop = GUEST_REPORT(1, round);
	}
	return round;
}
