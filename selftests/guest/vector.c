// SPDX-License-Identifier: GPL-2.0
/*
 * Guest programs of vector_test: vector (V) code whose registers must
 * survive exits, preemption and migration of the vCPU thread, and the
 * guest's view of the vector registers a VMM sets through ONE_REG.
 */
#include "guest.h"
#include "vector_abi.h"

long guest_vec_stress(unsigned long rounds, unsigned long base);
long guest_vec_regs(unsigned long unused0, unsigned long unused1);
long guest_vec_trap(unsigned long unused0, unsigned long unused1);

#define SR_VS_INITIAL	0x200UL

#define V_ASM(insns)	".option push\n.option arch, +v\n" insns "\n.option pop\n"

/* vN = a0 + N for every N, as e64 elements over VLMAX. */
void vec_fill(unsigned long base);
/* Store v0..v31, vlenb bytes each, at a0. */
void vec_store(void *buf);

asm(".text\n"
    ".globl vec_fill\n"
    "vec_fill:\n"
    V_ASM("	vsetvli	t0, zero, e64, m1, ta, ma\n"
	  "	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	  "	addi	t1, a0, \\n\n"
	  "	vmv.v.x	v\\n, t1\n"
	  "	.endr")
    "	ret\n"
    ".globl vec_store\n"
    "vec_store:\n"
    V_ASM("	csrr	t1, vlenb\n"
	  "	vsetvli	t0, zero, e8, m1, ta, ma\n"
	  "	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	  "	vse8.v	v\\n, (a0)\n"
	  "	add	a0, a0, t1\n"
	  "	.endr")
    "	ret\n");

static inline unsigned long vlenb(void)
{
	unsigned long v;

	asm volatile(V_ASM("csrr %0, vlenb") : "=r"(v));
	return v;
}

#define VCSR_READ(name) ({						\
	unsigned long __v;						\
	asm volatile(V_ASM("csrr %0, " #name) : "=r"(__v) : : "memory"); \
	__v;								\
})

/* c[i] = a[i] + b[i], strip-mined over e32 elements (v24, v25, v26). */
static void vadd32(const u32 *a, const u32 *b, u32 *c, unsigned long n)
{
	unsigned long vl;

	while (n) {
		asm volatile(V_ASM("vsetvli %0, %1, e32, m1, ta, ma\n"
				   "vle32.v v24, (%2)\n"
				   "vle32.v v25, (%3)\n"
				   "vadd.vv v26, v24, v25\n"
				   "vse32.v v26, (%4)")
			     : "=&r"(vl) : "r"(n), "r"(a), "r"(b), "r"(c)
			     : "memory");
		a += vl;
		b += vl;
		c += vl;
		n -= vl;
	}
}

static u32 va[VEC_N], vb[VEC_N], vc[VEC_N];
static u64 vbuf[32 * VEC_MAX_VLENB / 8];

/*
 * @rounds rounds of: a vadd over arrays, checked; every vector register
 * set (vN = base + round + N, e64); vl and vtype set to 3 elements of
 * e32, m2; then an exit to the VMM (even rounds: a SYNC, where the VMM
 * uses vector itself, moves its thread, ...) or a spin of about 2 ms of
 * guest time making null SBI calls (odd rounds: preemption lands there,
 * and the calls are rvhv's register-light round trips with the vector
 * registers live); then every register, vl and vtype checked.  Returns
 * the number of rounds.
 */
long guest_vec_stress(unsigned long rounds, unsigned long base)
{
	unsigned long r, i, n, vl, vtype, elems, t0, bad = 0;
	u64 *e;

	csr_set(sstatus, SR_VS_INITIAL);
	elems = vlenb() / 8;
	GUEST_ASSERT(vlenb() <= VEC_MAX_VLENB);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < VEC_N; i++) {
			va[i] = i * 7 + r;
			vb[i] = base ^ (i << 8);
			vc[i] = 0;
		}
		vadd32(va, vb, vc, VEC_N);
		for (i = 0; i < VEC_N; i++)
			if (vc[i] != (u32)(va[i] + vb[i]))
				bad++;
		GUEST_ASSERT_EQ(bad, 0);

		vec_fill(base + r);
		asm volatile(V_ASM("vsetvli %0, %1, e32, m2, ta, ma")
			     : "=r"(vl) : "r"(3UL));
		vtype = VCSR_READ(vtype);
		if (r % 2 == 0) {
			GUEST_SYNC(r);
		} else {
			t0 = rdtime();
			while (rdtime() - t0 < VEC_SPIN_TICKS)
				sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION,
					  0, 0, 0, 0, 0, 0);
		}
		GUEST_ASSERT_EQ(VCSR_READ(vl), vl);
		GUEST_ASSERT_EQ(VCSR_READ(vtype), vtype);
		vec_store(vbuf);
		for (n = 0; n < 32; n++) {
			e = &vbuf[n * elems];
			for (i = 0; i < elems; i++)
				if (e[i] != base + r + n)
					GUEST_ASSERT_EQ(e[i], base + r + n);
		}
	}
	return rounds;
}

/*
 * Report (1, vl, vtype, vcsr, vlenb) and (2, v5's first two e64 elements,
 * vstart) as the VMM set them; then v7 = VEC_V7 + N in e64 element N,
 * vl = 1 of e64, vcsr = 2, and SYNC for the VMM to read them.
 */
long guest_vec_regs(unsigned long unused0, unsigned long unused1)
{
	unsigned long vl, vtype, vcsr, vstart;

	csr_set(sstatus, SR_VS_INITIAL);
	vl = VCSR_READ(vl);
	vtype = VCSR_READ(vtype);
	vcsr = VCSR_READ(vcsr);
	vstart = VCSR_READ(vstart);
	GUEST_REPORT4(1, vl, vtype, vcsr, vlenb());
	vec_store(vbuf);
	GUEST_REPORT3(2, vbuf[5 * vlenb() / 8], vbuf[5 * vlenb() / 8 + 1],
		      vstart);
	asm volatile(V_ASM("vsetvli t0, zero, e64, m1, ta, ma\n"
			   "vid.v v7\n"
			   "vadd.vx v7, v7, %0\n"
			   "vsetivli zero, 1, e64, m1, ta, ma\n"
			   "csrwi vcsr, 2")
		     : : "r"(VEC_V7) : "t0", "memory");
	GUEST_SYNC(1);
	return 0;
}

/* One vector instruction; reports (1, traps, scause). */
long guest_vec_trap(unsigned long unused0, unsigned long unused1)
{
	csr_set(sstatus, SR_VS_INITIAL);
	guest_trap_hook = guest_skip_trap;
	asm volatile(V_ASM("vsetvli t0, zero, e8, m1, ta, ma") : : : "t0",
		     "memory");
	guest_trap_hook = 0;
	GUEST_REPORT2(1, guest_skipped_traps, guest_skipped_cause);
	return 0;
}
