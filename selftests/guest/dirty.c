// SPDX-License-Identifier: GPL-2.0
/* Guest side of dirty_test: a writer that records what it wrote. */
#include "guest.h"
#include "dirty_abi.h"

long guest_dirty_writer(unsigned long base, unsigned long npages);

/*
 * Until the test sets ctl->stop: pass over the npages pages at base, in
 * order, writing into each the next generation number at its start and at
 * an offset that moves with the generation, and recording it in
 * ctl->record (slot 0).  Returns the last generation written.  A page's
 * content is then a function of the writes it saw: a VMM copy that missed
 * one differs from the page.
 */
long guest_dirty_writer(unsigned long base, unsigned long npages)
{
	volatile struct dirty_ctl *c = (void *)DIRTY_CTL;
	unsigned long gen = 0, i;
	volatile u64 *p;

	GUEST_ASSERT(npages <= DIRTY_MAX_PAGES);
	while (!c->stop) {
		for (i = 0; i < npages && !c->stop; i++) {
			gen++;
			p = (volatile u64 *)(base + i * 4096);
			p[0] = gen;
			p[1 + gen % 511] = gen;
			c->record[i] = gen;
			c->gen = gen;
		}
		c->rounds++;
	}
	return gen;
}
