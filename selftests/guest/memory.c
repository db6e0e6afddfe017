// SPDX-License-Identifier: GPL-2.0
/* Guest programs of memory_test (and anyone who wants guest_cmd_loop). */
#include "guest.h"

long guest_cmd_loop(unsigned long unused0, unsigned long unused1);

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
