// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv's tracepoints: the one file that instantiates the events of
 * observe/trace.h (CREATE_TRACE_POINTS), which register with the module
 * and appear under tracefs as events/rvhv/.  Everything else about them
 * (fields, formats, the constants call sites pass) is in the header.
 */
#include <linux/pgtable.h>
#include <linux/sizes.h>

#define CREATE_TRACE_POINTS
#include "trace.h"

/* The literals of the header's symbolic tables. */
static_assert(RVHV_TRACE_IRQ_APLIC == RVHV_IRQ_APLIC);
static_assert(RVHV_TRACE_IRQ_IMSIC == RVHV_IRQ_IMSIC);
static_assert(RVHV_FENCE_I == 1 && RVHV_FENCE_VVMA == 2 &&
	      RVHV_FENCE_GVMA == 4);
/* rvhv_gstage_fault's size: the fault path's leaves. */
static_assert(PAGE_SIZE == SZ_4K && PMD_SIZE == SZ_2M);
