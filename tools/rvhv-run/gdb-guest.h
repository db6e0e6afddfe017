/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What tools/rvhv-run/gdb-guest.c (a bare guest) and its debugger,
 * selftests/debug_test.c, agree on.  The guest is linked and loaded at
 * GDB_GUEST_IMAGE and, once it has turned on Sv39, runs from the
 * GDB_GUEST_VBASE alias of itself; symbol addresses come from its ELF
 * file (physical), GDB_GUEST_ALIAS() gives their virtual addresses.
 */
#ifndef GDB_GUEST_H
#define GDB_GUEST_H

#define GDB_GUEST_IMAGE		0x80200000UL	/* linked, loaded, 2 MiB */
/* 4 KiB pages (levels 2, 1, 0) mapping the image's 2 MiB */
#define GDB_GUEST_VBASE		0xffffffc000000000UL
/* one 2 MiB page (a level-1 leaf) mapping the same */
#define GDB_GUEST_VMEGA		0xffffffc000200000UL
/*
 * Two 4 KiB pages, gdb_magic[1] then gdb_magic[0]: reversed, so a read
 * across the boundary must translate each page on its own.
 */
#define GDB_GUEST_VREMAP	0xffffffc000400000UL
/* And RAM is mapped 1:1 with a 1 GiB page (a level-2 leaf). */

#define GDB_GUEST_ALIAS(base, pa)	((base) + ((pa) - GDB_GUEST_IMAGE))

/* Word k of magic page p. */
#define GDB_GUEST_MAGIC(p, k)	(0x6764620000000000UL | \
				 ((unsigned long)(p) << 16) | (k))

/* Passes over the breakpoint sites, then its own ebreak. */
#define GDB_GUEST_ROUNDS	4
/* What each pass adds: gdb_bp4 3, gdb_bp2 1, gdb_br 12 or 8 (odd). */
#define GDB_GUEST_VALUE		(GDB_GUEST_ROUNDS * 4 + \
				 GDB_GUEST_ROUNDS / 2 * 12 + \
				 GDB_GUEST_ROUNDS / 2 * 8)
/* Hart 1 counts to at least this before hart 0 starts its passes. */
#define GDB_GUEST_COUNT_MIN	100

#endif /* GDB_GUEST_H */
