// SPDX-License-Identifier: GPL-2.0
/* Guest programs of hostile_test: a guest that misbehaves on purpose. */
#include "guest.h"
#include "hostile_abi.h"

#define SCAUSE_LOAD_MISALIGNED	4
#define SCAUSE_LOAD_ACCESS	5
#define SCAUSE_ECALL_U		8
#define SCAUSE_LOAD_PAGE	13
#define SSTATUS_SPP		0x100UL

long guest_hostile_sbi_random(unsigned long seed, unsigned long iters);
long guest_hostile_srst(unsigned long type, unsigned long reason);
long guest_hostile_x0(unsigned long mmio, unsigned long unused);
long guest_hostile_amo(unsigned long mmio, unsigned long which);
long guest_hostile_thunk(unsigned long fn, unsigned long mmio);
long guest_hostile_smode(unsigned long mmio, unsigned long unused);
long guest_hostile_umode(unsigned long mmio, unsigned long unused);
long guest_hostile_vs_crossing(unsigned long mmio, unsigned long unused);

/* xorshift64: the whole run follows from the host's seed. */
static unsigned long rng;

static unsigned long rnd(void)
{
	unsigned long x = rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng = x;
	return x;
}

/* An argument: the values that break range and mask arithmetic, often. */
static unsigned long rarg(void)
{
	switch (rnd() % 16) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return -1UL;
	case 3:
		return -2UL;
	case 4:
		return rnd() & 63;
	case 5:
		return 1UL << (rnd() & 63);
	case 6:
		return -(rnd() & 0xffff);		/* near ULONG_MAX */
	case 7:
		return HOSTILE_SCRATCH + (rnd() & (HOSTILE_SCRATCH_SIZE - 1));
	case 8:
		return GUEST_MMIO_BASE + (rnd() & 0xfff);
	case 9:
		return GUEST_DATA + (rnd() & (GUEST_DATA_SIZE - 1));
	case 10:
		return (rnd() & 0xff) << 12;
	case 11:
		return rnd() & 0xffffffffUL;
	default:
		return rnd();
	}
}

static int in_slot0(unsigned long a)
{
	return a - GUEST_BASE < GUEST_RAM_SIZE;
}

static void hostile_pick(struct hostile_call *c)
{
	static const unsigned long exts[HOSTILE_NEXTS] = HOSTILE_EXTS_INIT;
	unsigned long k = rnd() % HOSTILE_NEXTS, ext = exts[k];
	unsigned int i;

	if (ext == HOSTILE_EXT_EXPERIMENTAL)
		ext = SBI_EXT_EXPERIMENTAL_START | (rnd() & 0xffffff);
	else if (ext == HOSTILE_EXT_VENDOR)
		ext = 0x09000000UL | (rnd() & 0xffffff);
	else if (ext == HOSTILE_EXT_RANDOM)
		ext = (rnd() & 1) ? rnd() : rnd() & 0xffffffffUL;
	c->kind = k;
	c->ext = ext;
	c->fid = (rnd() & 7) ? rnd() % 10 : rnd();
	for (i = 0; i < 6; i++)
		c->args[i] = rarg();

	/*
	 * Calls that stop this guest legitimately are made harmless (their
	 * own tests are elsewhere): SRST system_reset of a defined type
	 * (taken as u32), legacy shutdown, HSM hart_stop, and HSM
	 * default retentive suspend (a WFI nothing would end).
	 */
	if (ext == UCALL_EXT)		/* the test's own channel */
		c->ext = ext - 1;
	if (ext == SBI_EXT_SRST && c->fid == 0 && (u32)c->args[0] <= 2)
		c->args[0] = (c->args[0] & ~0xffffffffUL) | (3 + (rnd() & 0xffff));
	if (ext == 8)
		c->ext = 3;
	if (ext == SBI_EXT_HSM && c->fid == 1)
		c->fid = 2;
	if (ext == SBI_EXT_HSM && c->fid == 3 && !(u32)c->args[0])
		c->args[0] |= 1;
	/* Half the batches are well-formed: their entries run. */
	if (ext == RVHV_SBI_EXT_ID && (rnd() & 1)) {
		c->fid = 0;
		c->args[0] = HOSTILE_SCRATCH + 80 * (rnd() % 700);
		c->args[1] = 1 + rnd() % 64;
	}
	if (*(volatile unsigned long *)HOSTILE_FLAGS & HOSTILE_F_NO_TOP_FENCE) {
		if (ext == SBI_EXT_RFENCE && (c->fid == 1 || c->fid == 2) &&
		    c->args[2] >= -0x200000UL)
			c->args[2] &= 0xfffff;
		if ((ext == 6 || ext == 7) && c->args[1] >= -0x200000UL)
			c->args[1] &= 0xfffff;
	}
	/*
	 * Memory the hypervisor writes for the guest (an RVHV batch array,
	 * a steal-time area) must not be this program's own.
	 */
	if ((ext == RVHV_SBI_EXT_ID || (ext == SBI_EXT_STA && c->fid == 0)) &&
	    (in_slot0(c->args[0]) || in_slot0(c->args[0] + 80 * 64)))
		c->args[0] = HOSTILE_SCRATCH +
			     (c->args[0] & (HOSTILE_SCRATCH_SIZE - 1));
}

static volatile unsigned long h_traps, h_cause, h_tval;

/* A trap of the call itself (a legacy hart-mask read): skip the ecall. */
static void hostile_skip_ecall(struct guest_regs *regs)
{
	h_cause = regs->scause;
	h_tval = regs->stval;
	h_traps++;
	regs->sepc += 4;
}

/*
 * @iters random SBI calls from @seed.  Each must return a defined SBI
 * error (SBI_SUCCESS .. -13) or, for the legacy calls that read a hart
 * mask, trap into the guest with a load fault; anything else is reported
 * (HOSTILE_BAD, index, error, value, scause).  Forwarded calls exit to
 * the host, which checks them against HOSTILE_CUR and answers.  Returns
 * the number of calls made; per-extension counts in HOSTILE_STATS.
 */
long guest_hostile_sbi_random(unsigned long seed, unsigned long iters)
{
	volatile struct hostile_call *cur = (void *)HOSTILE_CUR;
	volatile struct hostile_stat *st = (void *)HOSTILE_STATS;
	struct hostile_call c;
	struct sbiret ret;
	unsigned long i, traps;
	unsigned int j;

	rng = seed ? seed : 1;
	guest_trap_hook = hostile_skip_ecall;
	for (i = 0; i < iters; i++) {
		hostile_pick(&c);
		c.index = i;
		cur->ext = c.ext;
		cur->fid = c.fid;
		for (j = 0; j < 6; j++)
			cur->args[j] = c.args[j];
		cur->index = i;
		cur->kind = c.kind;
		traps = h_traps;
		ret = sbi_ecall(c.ext, c.fid, c.args[0], c.args[1], c.args[2],
				c.args[3], c.args[4], c.args[5]);
		st[c.kind].calls++;
		if (h_traps != traps) {
			st[c.kind].traps++;
			if (c.ext < 4 || c.ext > 7 ||
			    (h_cause != SCAUSE_LOAD_ACCESS &&
			     h_cause != SCAUSE_LOAD_MISALIGNED &&
			     h_cause != SCAUSE_LOAD_PAGE))
				GUEST_REPORT4(HOSTILE_BAD, i, ret.error,
					      ret.value, h_cause);
			continue;
		}
		if (ret.error > 0 || ret.error < -13) {
			GUEST_REPORT4(HOSTILE_BAD, i, ret.error, ret.value, 0);
			continue;
		}
		if (ret.error)
			st[c.kind].err++;
		else
			st[c.kind].ok++;
	}
	guest_trap_hook = 0;
	return i;
}

/*
 * SRST system_reset from two vCPUs at once: meet at HOSTILE_BARRIER,
 * then call.  The call must never return.
 */
long guest_hostile_srst(unsigned long type, unsigned long reason)
{
	volatile unsigned long *b = (void *)HOSTILE_BARRIER;
	unsigned long n = 0;
	struct sbiret ret;

	__atomic_fetch_add(b, 1, __ATOMIC_SEQ_CST);
	while (*b < 2 && ++n < 20000000UL)
		;
	ret = sbi_ecall(SBI_EXT_SRST, SBI_SRST_RESET, type, reason, 0, 0, 0, 0);
	GUEST_REPORT2(1, ret.error, ret.value);
	return -1;
}

/*
 * Loads into x0 from MMIO: each exits, the value goes nowhere, and the
 * guest runs on.  Reports (1, x0, count of the adds between them).
 */
long guest_hostile_x0(unsigned long mmio, unsigned long unused)
{
	unsigned long zero_after, cnt;

	asm volatile(".option push\n"
		     ".option norvc\n"
		     "li	%1, 0\n"
		     "lw	zero, 0(%2)\n"
		     "addi	%1, %1, 1\n"
		     "ld	zero, 8(%2)\n"
		     "addi	%1, %1, 1\n"
		     "lbu	zero, 16(%2)\n"
		     "addi	%1, %1, 1\n"
		     "lh	x0, 18(%2)\n"
		     "addi	%1, %1, 1\n"
		     "mv	%0, zero\n"
		     ".option pop\n"
		     : "=r"(zero_after), "=&r"(cnt) : "r"(mmio) : "memory");
	GUEST_REPORT2(1, zero_after, cnt);
	return 0;
}

/* Any trap: recorded, the instruction skipped. */
static void hostile_skip_insn(struct guest_regs *regs)
{
	h_cause = regs->scause;
	h_tval = regs->stval;
	h_traps++;
	regs->sepc += insn_len(regs->sepc);
}

/*
 * One atomic instruction on MMIO (@which: amoadd.w, amoswap.d, lr.w,
 * sc.w, lr.d, sc.d, amoor.w.aqrl); reports (which, traps, scause, stval,
 * rd).  What the hypervisor does (fail KVM_RUN, exit, give the guest an
 * exception) is the test's question.
 */
long guest_hostile_amo(unsigned long mmio, unsigned long which)
{
	unsigned long v = 0x77, one = 1;

	h_traps = 0;
	h_cause = 0;
	h_tval = 0;
	guest_trap_hook = hostile_skip_insn;
	switch (which) {
	case 0:
		asm volatile("amoadd.w %0, %1, (%2)"
			     : "=r"(v) : "r"(one), "r"(mmio) : "memory");
		break;
	case 1:
		asm volatile("amoswap.d %0, %1, (%2)"
			     : "=r"(v) : "r"(one), "r"(mmio) : "memory");
		break;
	case 2:
		asm volatile("lr.w %0, (%1)" : "=r"(v) : "r"(mmio) : "memory");
		break;
	case 3:
		asm volatile("sc.w %0, %1, (%2)"
			     : "=r"(v) : "r"(one), "r"(mmio) : "memory");
		break;
	case 4:
		asm volatile("lr.d %0, (%1)" : "=r"(v) : "r"(mmio) : "memory");
		break;
	case 5:
		/* With a reservation on the address first (lr.d on RAM). */
		asm volatile("lr.d %0, (%1)\n"
			     "sc.d %0, %2, (%3)"
			     : "=&r"(v) : "r"(GUEST_DATA), "r"(one), "r"(mmio)
			     : "memory");
		break;
	default:
		asm volatile("amoor.w.aqrl %0, %1, (%2)"
			     : "=r"(v) : "r"(one), "r"(mmio) : "memory");
		break;
	}
	guest_trap_hook = 0;
	GUEST_REPORT4(which, h_traps, h_cause, h_tval, v);
	return 0;
}

/*
 * Call the code at @fn (a stub the host copied somewhere) with @mmio,
 * n times (n at HOSTILE_UMODE): each call is one MMIO load, whose value
 * the host makes the call's index.  Returns n.
 */
long guest_hostile_thunk(unsigned long fn, unsigned long mmio)
{
	unsigned long (*f)(unsigned long) = (void *)fn;
	unsigned long n = *(volatile unsigned long *)HOSTILE_UMODE, i, v;

	for (i = 0; i < n; i++) {
		v = f(mmio);
		GUEST_ASSERT_EQ(v, i);
	}
	return n;
}

static volatile unsigned long h_epc;

/* A trap in a called stub: recorded, the call returns -1. */
static void hostile_return_from_stub(struct guest_regs *regs)
{
	h_cause = regs->scause;
	h_tval = regs->stval;
	h_epc = regs->sepc;
	h_traps++;
	regs->x[10] = -1UL;
	regs->sepc = regs->x[1];
}

/*
 * The crossing MMIO load of mmio_insn_crossing_page through the guest's
 * own Sv39 tables: HOSTILE_VS_VA maps the stub's first page,
 * HOSTILE_VS_VA + 4 KiB its second.  Three calls of the stub at the end
 * of the first page: both pages mapped; the second page's PTE cleared
 * without a fence (the guest's TLB may still translate it, so its fetch
 * can succeed where the hypervisor's fetch of the same instruction then
 * faults); mapped again.  Reports (traps, scause, stval, sepc) of the
 * traps the calls took.
 */
long guest_hostile_vs_crossing(unsigned long mmio, unsigned long unused)
{
	volatile u64 *root = (void *)(HOSTILE_VS_PAGES + 0x2000);
	volatile u64 *l1 = root + 512, *l0 = root + 1024;
	unsigned long (*f)(unsigned long) =
		(void *)(HOSTILE_VS_VA + 0x1000 - 2);
	unsigned long i;

	for (i = 0; i < 512; i++) {
		root[i] = 0;
		l1[i] = 0;
		l0[i] = 0;
	}
	/* 1:1 gigapages: MMIO, the payload, the test's slot. */
	root[0] = PTE(0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	root[GUEST_BASE >> 30] = PTE(GUEST_BASE, PTE_V | PTE_R | PTE_W |
				     PTE_X | PTE_A | PTE_D);
	root[GUEST_EXTRA >> 30] = PTE(GUEST_EXTRA, PTE_V | PTE_R | PTE_W |
				      PTE_A | PTE_D);
	root[HOSTILE_VS_VA >> 30] = PTE(l1, PTE_V);
	l1[0] = PTE(l0, PTE_V);
	l0[0] = PTE(HOSTILE_VS_PAGES, PTE_V | PTE_R | PTE_X | PTE_A);
	l0[1] = PTE(HOSTILE_VS_PAGES + 0x1000, PTE_V | PTE_R | PTE_X | PTE_A);
	h_traps = 0;
	h_cause = 0;
	h_tval = 0;
	h_epc = 0;
	guest_trap_hook = hostile_return_from_stub;
	asm volatile("sfence.vma" : : : "memory");
	csr_write(satp, SATP_SV39 | (unsigned long)root >> 12);
	asm volatile("sfence.vma" : : : "memory");

	GUEST_ASSERT_EQ(f(mmio), 1);
	l0[1] = 0;
	asm volatile("" : : : "memory");	/* no sfence.vma */
	f(mmio);
	l0[1] = PTE(HOSTILE_VS_PAGES + 0x1000, PTE_V | PTE_R | PTE_X | PTE_A);
	asm volatile("sfence.vma" : : : "memory");
	GUEST_ASSERT_EQ(f(mmio), 3);

	csr_write(satp, 0);
	asm volatile("sfence.vma" : : : "memory");
	guest_trap_hook = 0;
	GUEST_REPORT4(0, h_traps, h_cause, h_tval, h_epc);
	return 0;
}

/*
 * The same MMIO accesses from VS-mode and from VU-mode (vsatp = 0):
 * sw of 0x5a5a at +0, lw from +8, ld from +16, c.sw of 0x1234 at +24,
 * c.lw from +28.  The values loaded go to HOSTILE_UMODE[0..2].
 */
#define MMIO_BODY							\
	"li	t1, 0x5a5a\n"						\
	"sw	t1, 0(a0)\n"						\
	"lw	a3, 8(a0)\n"						\
	"ld	a4, 16(a0)\n"						\
	"li	a1, 0x1234\n"						\
	".option rvc\n"							\
	"c.sw	a1, 24(a0)\n"						\
	"c.lw	a2, 28(a0)\n"						\
	".option norvc\n"

static void umode_results(unsigned long r1, unsigned long r2,
			  unsigned long r3)
{
	volatile unsigned long *res = (void *)HOSTILE_UMODE;

	res[0] = r1;
	res[1] = r2;
	res[2] = r3;
}

long guest_hostile_smode(unsigned long mmio, unsigned long unused)
{
	register unsigned long a0 asm("a0") = mmio;
	register unsigned long a3 asm("a3");
	register unsigned long a4 asm("a4");
	register unsigned long a2 asm("a2");

	asm volatile(".option push\n"
		     ".option norvc\n"
		     MMIO_BODY
		     ".option pop\n"
		     : "=&r"(a3), "=&r"(a4), "=&r"(a2)
		     : "r"(a0) : "t1", "a1", "memory");
	umode_results(a3, a4, a2);
	return 0;
}

static volatile unsigned long umode_resume;

/* The U-mode code's ecall: back to VS-mode at umode_resume. */
static void umode_hook(struct guest_regs *regs)
{
	if (regs->scause == SCAUSE_ECALL_U) {
		regs->sepc = umode_resume;
		csr_set(sstatus, SSTATUS_SPP);
		return;
	}
	for (;;)
		ucall(UCALL_TRAP, regs->scause, regs->sepc, regs->stval, 0, 0);
}

long guest_hostile_umode(unsigned long mmio, unsigned long unused)
{
	register unsigned long a0 asm("a0") = mmio;
	register unsigned long a3 asm("a3");
	register unsigned long a4 asm("a4");
	register unsigned long a2 asm("a2");
	unsigned long spp;

	guest_trap_hook = umode_hook;
	asm volatile(".option push\n"
		     ".option norvc\n"
		     "la	t0, 2f\n"
		     "la	t1, umode_resume\n"
		     "sd	t0, 0(t1)\n"
		     "la	t0, 1f\n"
		     "csrw	sepc, t0\n"
		     "li	t0, 0x100\n"
		     "csrc	sstatus, t0\n"
		     "sret\n"
		     "1:\n"
		     MMIO_BODY
		     "ecall\n"
		     "2:\n"
		     ".option pop\n"
		     : "=&r"(a3), "=&r"(a4), "=&r"(a2)
		     : "r"(a0) : "t0", "t1", "a1", "memory");
	guest_trap_hook = 0;
	spp = csr_read(sstatus) & SSTATUS_SPP;
	umode_results(a3, a4, a2);
	return spp;
}

/*
 * Position-independent stubs the host copies to other guest addresses
 * (guest_hostile_stub_* .. guest_hostile_stub_end):
 *  lw:    lw a0, 0(a0); ret                        (4 + 4 bytes)
 *  clw:   c.lw a0, 0(a0); c.jr ra                   (2 + 2 bytes)
 *  trap:  ucall UCALL_TRAP(scause, sepc, stval), forever: a vector for a
 *         hart whose stvec is 0
 *  hello: ucall UCALL_REPORT(a0, a1), forever: where a started hart
 *         reports its hart id and opaque value
 */
asm(".pushsection .text\n"
    ".option push\n"
    ".option norvc\n"
    ".balign 4\n"
    ".globl guest_hostile_stub_lw\n"
    "guest_hostile_stub_lw:\n"
    "	lw	a0, 0(a0)\n"
    "	jalr	zero, 0(ra)\n"
    ".globl guest_hostile_stub_clw\n"
    "guest_hostile_stub_clw:\n"
    ".option rvc\n"
    "	c.lw	a0, 0(a0)\n"
    "	c.jr	ra\n"
    ".option norvc\n"
    ".balign 4\n"
    ".globl guest_hostile_stub_trap\n"
    "guest_hostile_stub_trap:\n"
    "	csrr	a0, scause\n"
    "	csrr	a1, sepc\n"
    "	csrr	a2, stval\n"
    "	li	a6, " __stringify(UCALL_TRAP) "\n"
    "	lui	a7, 0x9000\n"
    "	addi	a7, a7, -1\n"
    "1:	ecall\n"
    "	j	1b\n"
    ".globl guest_hostile_stub_hello\n"
    "guest_hostile_stub_hello:\n"
    "	li	a6, " __stringify(UCALL_REPORT) "\n"
    "	lui	a7, 0x9000\n"
    "	addi	a7, a7, -1\n"
    "1:	ecall\n"
    "	j	1b\n"
    ".globl guest_hostile_stub_end\n"
    "guest_hostile_stub_end:\n"
    ".option pop\n"
    ".popsection\n");
