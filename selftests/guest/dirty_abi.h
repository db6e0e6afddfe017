/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What dirty_test and its guest (guest/dirty.c) share: the control block
 * of guest_dirty_writer, in the data page of slot 0 (which no test logs).
 */
#ifndef GUEST_DIRTY_ABI_H
#define GUEST_DIRTY_ABI_H

#include "ucall_abi.h"

#define DIRTY_CTL		(GUEST_DATA + 0x8000UL)
#define DIRTY_MAX_PAGES		1024

#ifndef __ASSEMBLER__
/**
 * struct dirty_ctl - guest_dirty_writer's control block and record
 * @stop: set by the test: finish the round's current page and return
 * @rounds: passes over the region completed so far
 * @gen: the last generation written (each store writes the next one)
 * @record: per page, the last generation the guest wrote into it
 */
struct dirty_ctl {
	unsigned long stop;
	unsigned long rounds;
	unsigned long gen;
	unsigned long record[DIRTY_MAX_PAGES];
};
#endif

#endif /* GUEST_DIRTY_ABI_H */
