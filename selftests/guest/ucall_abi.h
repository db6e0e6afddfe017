/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest payload and the test (vm_lib) agree on: the guest
 * physical memory map and the ucall protocol.  Included by both sides, so
 * plain C constants only.
 *
 * Memory map (guest physical == guest virtual: the guest runs in VS-mode
 * with vsatp = 0):
 *
 *   GUEST_MMIO_BASE  0x10000000  no memslot: every access is an MMIO exit
 *   GUEST_BASE       0x80000000  slot 0 (GUEST_RAM_SIZE): the payload
 *                                (text, data, bss) from GUEST_BASE, the
 *                                host<->guest data page at GUEST_DATA,
 *                                the stack below GUEST_STACK_TOP
 *   GUEST_EXTRA      0xc0000000  free for tests' own slots
 *
 * ucall: the guest executes ECALL with a7 = UCALL_EXT (the last SBI
 * experimental extension id, as in KVM's own selftests), a6 = one of
 * UCALL_*, a0..a5 = arguments.  Both KVM and rvhv forward the experimental
 * range to userspace as KVM_EXIT_RISCV_SBI; the test answers in
 * run->riscv_sbi.ret[0] (SBI error, guest a0) and ret[1] (value, guest a1)
 * and calls KVM_RUN again.
 */
#ifndef GUEST_UCALL_ABI_H
#define GUEST_UCALL_ABI_H

#define GUEST_BASE		0x80000000UL
#define GUEST_RAM_SIZE		0x00200000UL	/* 2 MiB, slot 0 */
#define GUEST_DATA		(GUEST_BASE + 0x00100000UL)
#define GUEST_DATA_SIZE		0x00010000UL	/* 64 KiB */
#define GUEST_STACK_TOP		(GUEST_BASE + GUEST_RAM_SIZE)
#define GUEST_MMIO_BASE		0x10000000UL
#define GUEST_EXTRA		0xc0000000UL

/* The payload's entry (_start), at GUEST_BASE: a0, a1 args, a2 function. */
#define GUEST_ENTRY		GUEST_BASE

#define UCALL_EXT		0x08FFFFFFUL

/* ucall function ids (a6) */
#define UCALL_DONE	0	/* a0: return value of the guest function */
#define UCALL_REPORT	1	/* a0: tag, a1..a5: values */
#define UCALL_ASSERT	2	/* a0: line, a1: file, a2: expr, a3, a4: values */
#define UCALL_TRAP	3	/* a0: scause, a1: sepc, a2: stval (unexpected) */
#define UCALL_SYNC	4	/* a0: stage; the host may answer in ret[1] */

/*
 * guest_cmd_loop: after a first UCALL_SYNC it executes the command the host
 * left at GUEST_CMD and answers UCALL_REPORT(op, result), again and again,
 * until CMD_EXIT (which returns val).  The loads and stores are plain
 * 64-bit ld/sd.
 */
#define GUEST_CMD		(GUEST_DATA + 0xf000UL)
#define CMD_READ64	1	/* result = *(u64 *)addr */
#define CMD_WRITE64	2	/* *(u64 *)addr = val */
#define CMD_SUM_PAGES	3	/* result = sum of the first u64 of n pages */
#define CMD_FILL_PAGES	4	/* first u64 of page i of n = val + i */
#define CMD_EXIT	5

/* guest_efd_loop (eventfd_test) uses struct guest_cmd too; its ops: */
#define EFD_HAMMER	16	/* 8-byte stores until told to stop */
#define EFD_EXIT	17

#ifndef __ASSEMBLER__
struct guest_cmd {
	unsigned long op;
	unsigned long addr;
	unsigned long val;
	unsigned long n;
};
#endif

/*
 * guest_sbi_loop: after a first UCALL_SYNC it makes the SBI call the host
 * left at GUEST_SBI_REQ and answers UCALL_REPORT(0, error, value), again
 * and again.
 */
#define GUEST_SBI_REQ		(GUEST_DATA + 0xe000UL)

#ifndef __ASSEMBLER__
struct guest_sbi_req {
	unsigned long ext;
	unsigned long fid;
	unsigned long args[6];
};
#endif

/* Values guest_fp (vcpu_test) keeps in f0..f31 and fcsr. */
#define FP_PATTERN(i)	(0x4000000000000000UL + (i) * 0x0101010101010UL + 7)
#define FP_FCSR		0x45	/* frm = RDN (2), fflags = OF | NX */

/* SBI (ids of the SBI specification) */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR	0x1
#define SBI_EXT_0_1_CONSOLE_GETCHAR	0x2
#define SBI_EXT_BASE			0x10
#define SBI_EXT_TIME			0x54494D45
#define SBI_EXT_IPI			0x735049
#define SBI_EXT_RFENCE			0x52464E43
#define SBI_EXT_HSM			0x48534D
#define SBI_EXT_SRST			0x53525354
#define SBI_EXT_PMU			0x504D55
#define SBI_EXT_DBCN			0x4442434E
#define SBI_EXT_STA			0x535441
#define SBI_EXT_SUSP			0x53555350
#define SBI_EXT_EXPERIMENTAL_START	0x08000000
#define SBI_EXT_EXPERIMENTAL_END	0x08FFFFFF

#define SBI_BASE_GET_SPEC_VERSION	0
#define SBI_BASE_GET_IMPL_ID		1
#define SBI_BASE_GET_IMPL_VERSION	2
#define SBI_BASE_PROBE_EXT		3
#define SBI_BASE_GET_MVENDORID		4
#define SBI_BASE_GET_MARCHID		5
#define SBI_BASE_GET_MIMPID		6

#define SBI_SRST_RESET			0
#define SBI_SRST_TYPE_SHUTDOWN		0
#define SBI_SRST_TYPE_COLD_REBOOT	1
#define SBI_SRST_TYPE_WARM_REBOOT	2
#define SBI_SRST_REASON_NONE		0
#define SBI_SRST_REASON_SYSFAIL		1

#define SBI_DBCN_WRITE			0
#define SBI_DBCN_READ			1
#define SBI_DBCN_WRITE_BYTE		2

#define SBI_SUCCESS			0
#define SBI_ERR_FAILED			(-1)
#define SBI_ERR_NOT_SUPPORTED		(-2)
#define SBI_ERR_INVALID_PARAM		(-3)

#endif /* GUEST_UCALL_ABI_H */
