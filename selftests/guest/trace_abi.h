/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What trace_test and its guest program (guest/trace.c) agree on: the
 * addresses and values of each thing the guest does, which the test then
 * finds in the trace.
 */
#ifndef GUEST_TRACE_ABI_H
#define GUEST_TRACE_ABI_H

#include "ucall_abi.h"

/* A 4-byte store of TRACE_STORE_VAL here, then an 8-byte load at + 8. */
#define TRACE_MMIO		(GUEST_MMIO_BASE + 0x40UL)
#define TRACE_STORE_VAL		0x12345678UL
/* The test's slot: 64 KiB (no 2 MiB leaf fits), first touched here. */
#define TRACE_EXTRA_SIZE	0x10000UL
#define TRACE_TOUCH_WRITE	(GUEST_EXTRA + 0x3008UL)
#define TRACE_TOUCH_READ	(GUEST_EXTRA + 0x5010UL)
/* SBI RFENCE remote_sfence_vma of this range, hart 0 */
#define TRACE_FENCE_START	0x1000UL
#define TRACE_FENCE_SIZE	0x2000UL
/* WFIs woken by the timer, each TRACE_WFI_MS ahead */
#define TRACE_WFI_ROUNDS	3
#define TRACE_WFI_MS		20

#endif /* GUEST_TRACE_ABI_H */
