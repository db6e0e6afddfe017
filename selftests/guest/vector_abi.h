/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by vector_test.c and guest/vector.c. */
#ifndef GUEST_VECTOR_ABI_H
#define GUEST_VECTOR_ABI_H

#define VEC_N			61		/* elements of the vadd arrays */
#define VEC_MAX_VLENB		256		/* VLEN up to 2048 bits */
#define VEC_SPIN_TICKS		20000UL		/* 2 ms of a 10 MHz timebase */
#define VEC_V7			0x7700000000000000UL

#endif
