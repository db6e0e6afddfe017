/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side API of the selftest payload: freestanding riscv64 code that
 * runs in VS-mode with vsatp = 0 (GPA == VA), linked at GUEST_BASE.
 *
 * A guest program is a function
 *
 *	long guest_NAME(unsigned long arg0, unsigned long arg1);
 *
 * entered through _start (start.S) with a stack, the trap vector and
 * sstatus.FS = Initial set up; its return value is reported with
 * UCALL_DONE.  The test starts it with vcpu_start(vcpu, GUEST_FN(guest_NAME),
 * arg0, arg1).
 */
#ifndef GUEST_H
#define GUEST_H

#include "ucall_abi.h"

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long s64;

#define __stringify_1(x...)	#x
#define __stringify(x...)	__stringify_1(x)

#define GUEST_DATA_PTR(type, off)	((volatile type *)(GUEST_DATA + (off)))

struct sbiret {
	long error;
	long value;
};

static inline struct sbiret sbi_ecall(unsigned long ext, unsigned long fid,
				      unsigned long arg0, unsigned long arg1,
				      unsigned long arg2, unsigned long arg3,
				      unsigned long arg4, unsigned long arg5)
{
	register unsigned long a0 asm("a0") = arg0;
	register unsigned long a1 asm("a1") = arg1;
	register unsigned long a2 asm("a2") = arg2;
	register unsigned long a3 asm("a3") = arg3;
	register unsigned long a4 asm("a4") = arg4;
	register unsigned long a5 asm("a5") = arg5;
	register unsigned long a6 asm("a6") = fid;
	register unsigned long a7 asm("a7") = ext;
	struct sbiret ret;

	asm volatile("ecall"
		     : "+r"(a0), "+r"(a1)
		     : "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a6), "r"(a7)
		     : "memory");
	ret.error = a0;
	ret.value = a1;
	return ret;
}

/* A ucall; returns the host's answer (run->riscv_sbi.ret[1]). */
static inline long ucall(unsigned long fid, unsigned long arg0,
			 unsigned long arg1, unsigned long arg2,
			 unsigned long arg3, unsigned long arg4)
{
	return sbi_ecall(UCALL_EXT, fid, arg0, arg1, arg2, arg3, arg4, 0).value;
}

#define GUEST_SYNC(stage)	ucall(UCALL_SYNC, (stage), 0, 0, 0, 0)
#define GUEST_REPORT(tag, v)	ucall(UCALL_REPORT, (tag), (v), 0, 0, 0)
#define GUEST_REPORT2(tag, v, w) ucall(UCALL_REPORT, (tag), (v), (w), 0, 0)
#define GUEST_REPORT3(tag, v, w, x) \
	ucall(UCALL_REPORT, (tag), (v), (w), (x), 0)
#define GUEST_REPORT4(tag, v, w, x, y) \
	ucall(UCALL_REPORT, (tag), (v), (w), (x), (y))

void guest_done(long val) __attribute__((noreturn));

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		ucall(UCALL_ASSERT, __LINE__, (unsigned long)__FILE__,	\
		      (unsigned long)#cond, 0, 0);			\
} while (0)

#define GUEST_ASSERT_EQ(a, b) do {					\
	unsigned long __a = (unsigned long)(a);				\
	unsigned long __b = (unsigned long)(b);				\
	if (__a != __b)							\
		ucall(UCALL_ASSERT, __LINE__, (unsigned long)__FILE__,	\
		      (unsigned long)(#a " == " #b), __a, __b);		\
} while (0)

/* CSRs */
#define csr_read(csr) ({						\
	unsigned long __v;						\
	asm volatile("csrr %0, " #csr : "=r"(__v) : : "memory");	\
	__v;								\
})
#define csr_write(csr, val) \
	asm volatile("csrw " #csr ", %0" : : "rK"(val) : "memory")
#define csr_set(csr, val) \
	asm volatile("csrs " #csr ", %0" : : "rK"(val) : "memory")
#define csr_clear(csr, val) \
	asm volatile("csrc " #csr ", %0" : : "rK"(val) : "memory")

static inline unsigned long rdtime(void)
{
	unsigned long t;

	asm volatile("rdtime %0" : "=r"(t) : : "memory");
	return t;
}

/*
 * MMIO: one load or store instruction of exactly the named kind, so the
 * hypervisor's decoder sees what the test expects.
 */
#define MMIO_STORE(insn, type)						\
static inline void mmio_##insn(unsigned long addr, type val)		\
{									\
	asm volatile(#insn " %0, 0(%1)" : : "r"(val), "r"(addr) : "memory"); \
}
MMIO_STORE(sb, u8)
MMIO_STORE(sh, u16)
MMIO_STORE(sw, u32)
MMIO_STORE(sd, u64)

#define MMIO_LOAD(insn)							\
static inline unsigned long mmio_##insn(unsigned long addr)		\
{									\
	unsigned long v;						\
	asm volatile(#insn " %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory"); \
	return v;							\
}
MMIO_LOAD(lb)
MMIO_LOAD(lbu)
MMIO_LOAD(lh)
MMIO_LOAD(lhu)
MMIO_LOAD(lw)
MMIO_LOAD(lwu)
MMIO_LOAD(ld)

#define mmio_write8(a, v)	mmio_sb((a), (v))
#define mmio_write16(a, v)	mmio_sh((a), (v))
#define mmio_write32(a, v)	mmio_sw((a), (v))
#define mmio_write64(a, v)	mmio_sd((a), (v))
#define mmio_read8(a)		((u8)mmio_lbu(a))
#define mmio_read16(a)		((u16)mmio_lhu(a))
#define mmio_read32(a)		((u32)mmio_lwu(a))
#define mmio_read64(a)		mmio_ld(a)

/* Trap handling: the frame start.S saves, and an optional hook. */
struct guest_regs {
	unsigned long x[32];	/* x[2] is the sp of the trapped code */
	unsigned long sepc;
	unsigned long scause;
	unsigned long stval;
	unsigned long sstatus;
};

/*
 * Called by the trap vector with the saved frame; it may change any field
 * (e.g. sepc to skip an instruction); they are restored before sret.  With
 * no hook, a trap is reported as UCALL_TRAP and the guest stops.
 */
typedef void (*guest_trap_hook_t)(struct guest_regs *regs);
extern guest_trap_hook_t guest_trap_hook;

/*
 * A hook that counts the traps it sees (guest_skipped_traps), keeps the
 * last one's scause (guest_skipped_cause) and skips the instruction.
 */
void guest_skip_trap(struct guest_regs *regs);
extern volatile unsigned long guest_skipped_traps, guest_skipped_cause;

/* Sv39 page-table entries and satp, for guests that turn on their MMU. */
#define PTE_V	0x01UL
#define PTE_R	0x02UL
#define PTE_W	0x04UL
#define PTE_X	0x08UL
#define PTE_A	0x40UL
#define PTE_D	0x80UL
#define PTE(pa, bits)	(((unsigned long)(pa) >> 12) << 10 | (bits))
#define SATP_SV39	(8UL << 60)

/* Length of the instruction at pc (2 if compressed, else 4). */
static inline unsigned long insn_len(unsigned long pc)
{
	return (*(volatile u16 *)pc & 3) == 3 ? 4 : 2;
}

void *memset(void *s, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

#endif /* GUEST_H */
