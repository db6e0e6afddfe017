// SPDX-License-Identifier: GPL-2.0
/* Guest programs of vcpu_test. */
#include "guest.h"

long guest_return(unsigned long a, unsigned long b);
long guest_sync_loop(unsigned long n, unsigned long unused);
long guest_sbi_return(unsigned long unused0, unsigned long unused1);
long guest_spin(unsigned long flag_gpa, unsigned long unused);
long guest_fp(unsigned long rounds, unsigned long spin);
long guest_exceptions(unsigned long unused0, unsigned long unused1);
long guest_csr_hstatus(unsigned long unused0, unsigned long unused1);

long guest_return(unsigned long a, unsigned long b)
{
	return a + b;
}

/* n SYNCs (stage 0 .. n - 1), each answered by the host with a value. */
long guest_sync_loop(unsigned long n, unsigned long unused)
{
	unsigned long i, sum = 0;

	for (i = 0; i < n; i++)
		sum += GUEST_SYNC(i);
	return sum;
}

/*
 * One forwarded SBI call, then count the instructions after it that
 * actually ran: if the hypervisor advanced sepc twice, "addi s1" is skipped
 * and the count is short.
 */
long guest_sbi_return(unsigned long unused0, unsigned long unused1)
{
	register unsigned long a0 asm("a0") = 0x1111;
	register unsigned long a1 asm("a1") = 0x2222;
	register unsigned long a6 asm("a6") = UCALL_SYNC;
	register unsigned long a7 asm("a7") = UCALL_EXT;
	unsigned long count;

	asm volatile(".option push\n"
		     ".option norvc\n"
		     "li	%[c], 0\n"
		     "ecall\n"
		     "addi	%[c], %[c], 1\n"
		     "addi	%[c], %[c], 1\n"
		     ".option pop\n"
		     : [c] "=&r"(count), "+r"(a0), "+r"(a1)
		     : "r"(a6), "r"(a7)
		     : "memory");
	GUEST_REPORT3(1, a0, a1, count);
	return 0;
}

/* Spin until the host sets the flag; a signal must get the host out. */
long guest_spin(unsigned long flag_gpa, unsigned long unused)
{
	while (!*(volatile unsigned long *)flag_gpa)
		;
	return 42;
}

static unsigned long fp_in[32], fp_out[32];

#define FP_ALL(op, base) \
	op " f0, 0(" base ")\n" op " f1, 8(" base ")\n" \
	op " f2, 16(" base ")\n" op " f3, 24(" base ")\n" \
	op " f4, 32(" base ")\n" op " f5, 40(" base ")\n" \
	op " f6, 48(" base ")\n" op " f7, 56(" base ")\n" \
	op " f8, 64(" base ")\n" op " f9, 72(" base ")\n" \
	op " f10, 80(" base ")\n" op " f11, 88(" base ")\n" \
	op " f12, 96(" base ")\n" op " f13, 104(" base ")\n" \
	op " f14, 112(" base ")\n" op " f15, 120(" base ")\n" \
	op " f16, 128(" base ")\n" op " f17, 136(" base ")\n" \
	op " f18, 144(" base ")\n" op " f19, 152(" base ")\n" \
	op " f20, 160(" base ")\n" op " f21, 168(" base ")\n" \
	op " f22, 176(" base ")\n" op " f23, 184(" base ")\n" \
	op " f24, 192(" base ")\n" op " f25, 200(" base ")\n" \
	op " f26, 208(" base ")\n" op " f27, 216(" base ")\n" \
	op " f28, 224(" base ")\n" op " f29, 232(" base ")\n" \
	op " f30, 240(" base ")\n" op " f31, 248(" base ")\n"

/*
 * Load f0..f31 and fcsr, then for each round: SYNC (an exit to the host,
 * which runs FP code meanwhile) and spin (long enough to be preempted),
 * then check that every register still holds its value.  The compiler
 * does not use FP registers in this integer code.
 */
long guest_fp(unsigned long rounds, unsigned long spin)
{
	unsigned long i, r, fcsr;

	for (i = 0; i < 32; i++)
		fp_in[i] = FP_PATTERN(i);
	asm volatile(FP_ALL("fld", "%0") : : "r"(fp_in) : "memory");
	csr_write(fcsr, FP_FCSR);
	for (r = 0; r < rounds; r++) {
		GUEST_SYNC(r);
		for (i = 0; i < spin; i++)
			asm volatile("" : : : "memory");
	}
	fcsr = csr_read(fcsr);
	asm volatile(FP_ALL("fsd", "%0") : : "r"(fp_out) : "memory");
	for (i = 0; i < 32; i++)
		GUEST_ASSERT_EQ(fp_out[i], FP_PATTERN(i));
	GUEST_ASSERT_EQ(fcsr, FP_FCSR);
	return 0;
}

static volatile unsigned long trap_cause, trap_epc, trap_tval, trap_status;
static volatile unsigned long trap_count;

static void record_trap(struct guest_regs *regs)
{
	trap_cause = regs->scause;
	trap_epc = regs->sepc;
	trap_tval = regs->stval;
	trap_status = regs->sstatus;
	trap_count++;
	regs->sepc += insn_len(regs->sepc);
}

/*
 * Exceptions the guest takes itself, through its own stvec: reported as
 * (tag, scause, sepc - address of the instruction, stval, sstatus).
 *   tag 2: a 32-bit illegal instruction (reserved major opcode 0x6b)
 *   tag 3: ebreak (32-bit)
 *   tag 4: c.ebreak (16-bit)
 * The address of each instruction is reported first (tag 1).
 */
long guest_exceptions(unsigned long unused0, unsigned long unused1)
{
	unsigned long addr;

	guest_trap_hook = record_trap;

	asm volatile(".option push\n"
		     ".option norvc\n"
		     "lla	%0, 1f\n"
		     "1: .4byte 0x0000006b\n"
		     ".option pop\n"
		     : "=&r"(addr) : : "memory");
	GUEST_REPORT(1, addr);
	GUEST_REPORT4(2, trap_cause, trap_epc - addr, trap_tval, trap_status);

	asm volatile(".option push\n"
		     ".option norvc\n"
		     "lla	%0, 1f\n"
		     "1: ebreak\n"
		     ".option pop\n"
		     : "=&r"(addr) : : "memory");
	GUEST_REPORT(1, addr);
	GUEST_REPORT4(3, trap_cause, trap_epc - addr, trap_tval, trap_status);

	asm volatile(".option push\n"
		     ".option rvc\n"
		     "lla	%0, 1f\n"
		     "1: c.ebreak\n"
		     ".option pop\n"
		     : "=&r"(addr) : : "memory");
	GUEST_REPORT(1, addr);
	GUEST_REPORT4(4, trap_cause, trap_epc - addr, trap_tval, trap_status);

	guest_trap_hook = 0;
	return trap_count;
}

/*
 * Access hstatus, a hypervisor CSR VS-mode may not touch (a virtual
 * instruction trap to the hypervisor): the guest must take an illegal
 * instruction exception with stval = the instruction.  Returns the
 * (scause, stval, sepc - address of the csrr) the handler saw, combined:
 * scause in bits 56..63, sepc offset in 48..55, stval below.
 */
long guest_csr_hstatus(unsigned long unused0, unsigned long unused1)
{
	unsigned long addr;

	guest_trap_hook = record_trap;
	asm volatile(".option push\n"
		     ".option norvc\n"
		     "lla	%0, 1f\n"
		     "1: csrr	a5, hstatus\n"
		     ".option pop\n"
		     : "=&r"(addr) : : "a5", "memory");
	guest_trap_hook = 0;
	return (long)((trap_cause << 56) | ((trap_epc - addr) << 48) |
		      (trap_tval & 0xffffffffffffUL));
}

/*
 * senvcfg (CSR 0x10a), which VS-mode reaches directly (no VS copy): write
 * @val, return what reads back.  hostvar_test checks the host's is put
 * back.
 */
long guest_senvcfg_write(unsigned long val, unsigned long unused);
long guest_senvcfg_write(unsigned long val, unsigned long unused)
{
	unsigned long v;

	asm volatile("csrw 0x10a, %1\n\tcsrr %0, 0x10a"
		     : "=r"(v) : "r"(val) : "memory");
	return v;
}
