/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv predictive G-stage preloading (mmu/preload.c): when a guest-page
 * fault maps a 4 KiB page, also map the neighbouring pages that the VMM's
 * page tables already hold, with a window that follows the vCPU's fault
 * pattern.
 */
#ifndef _RVHV_MMU_PRELOAD_H
#define _RVHV_MMU_PRELOAD_H

#include <linux/types.h>

struct rvhv_vcpu;
struct rvhv_memslot;

/* Largest window: the rest of one last-level table (2 MiB). */
#define RVHV_PRELOAD_MAX	511
/* The window of a vCPU's first fault. */
#define RVHV_PRELOAD_INIT	8

/* Largest stride (pages) taken for a strided pattern. */
#define RVHV_PRELOAD_MAX_STRIDE	64

/**
 * struct rvhv_preload - one vCPU's fault pattern (in struct rvhv_vcpu)
 * @next_gfn: the sentinel: the page one stride past the last page the
 *	previous fault preloaded, left unmapped, where the vCPU's next fault
 *	lands if it went through the window the way it was predicted
 * @last_gfn: the previous fault's guest frame
 * @window: pages the next fault may cover, sentinel included
 *	(0 .. RVHV_PRELOAD_MAX)
 * @stride: pages between the pages preloaded (1 .. RVHV_PRELOAD_MAX_STRIDE)
 * @dir: 1 (ascending) or -1 (descending)
 * @valid: the fields above mean something
 *
 * Only the vCPU's own thread touches it (in its G-stage faults, with
 * rvhv_mmu.lock held).
 */
struct rvhv_preload {
	u64 next_gfn;
	u64 last_gfn;
	unsigned int window;
	unsigned int stride;
	int dir;
	bool valid;
};

/*
 * Random access, inline in the fault path, so that it costs next to
 * nothing: with a window of 0 and a fault that is not at the sentinel
 * (nor, with a stride, inside the last window), do what rvhv_preload()
 * would (the window stays 0, the stride and direction follow the jump)
 * and return true; else false: call rvhv_preload().
 */
static inline bool rvhv_preload_idle(struct rvhv_preload *p, u64 gfn)
{
	s64 jump = gfn - p->last_gfn;
	u64 d = jump >= 0 ? jump : -jump;

	if (p->window || gfn == p->next_gfn || !p->valid || p->stride > 1)
		return false;
	p->dir = jump >= 0 ? 1 : -1;
	p->stride = d && d <= RVHV_PRELOAD_MAX_STRIDE ? d : 1;
	p->last_gfn = gfn;
	p->next_gfn = gfn + (s64)p->dir * p->stride;
	return true;
}

/*
 * After the fault path installed a 4 KiB leaf for @gfn of slot @s (a copy
 * made under rvhv_mmu.lock, unchanged since: the invalidation sequence
 * check passed and no invalidation is in progress), in the same critical
 * section: update @vcpu's window and map what the VMM already has of the
 * neighbouring pages.  Context: rvhv_mmu.lock held, current->mm is the
 * VM's.  Returns the pages it mapped.
 */
unsigned int rvhv_preload(struct rvhv_vcpu *vcpu,
			  const struct rvhv_memslot *s, u64 gfn);

#endif /* _RVHV_MMU_PRELOAD_H */
