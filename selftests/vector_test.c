// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's vector (V) state: ONE_REG KVM_REG_RISCV_VECTOR (ids, sizes,
 * errnos, REG_LIST) and the guest's view of it, vector code in guests
 * across exits where the VMM uses vector itself, across migration of the
 * vCPU thread, and across preemption by a vector-using thread and by
 * another guest's vCPU on the same CPU; and a vCPU without V, where
 * vector instructions are illegal.  Every case skips on a host without
 * V.  Held to kvm.ko.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/vector_abi.h"

#define V_ASM(insns)	".option push\n.option arch, +v\n" insns "\n.option pop\n"

#define VEC_REG(type_size, n)	(KVM_REG_RISCV | KVM_REG_RISCV_VECTOR | \
				 (type_size) | (uint64_t)(n))
#define VEC_CSR(name)		VEC_REG(KVM_REG_SIZE_U64, \
					KVM_REG_RISCV_VECTOR_CSR_REG(name))

static bool vcpu_has_v(struct vcpu *vcpu)
{
	uint64_t v;

	return !vcpu_get_reg_try(vcpu, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_V),
				 &v) && v == 1;
}

/* The id of vector register n for this vlenb. */
static uint64_t vreg_id(unsigned long vlenb, int n)
{
	return VEC_REG((uint64_t)__builtin_ctzl(vlenb) << KVM_REG_SIZE_SHIFT,
		       KVM_REG_RISCV_VECTOR_REG(n));
}

/* The VMM's own vector code: c = a + b over 1000 u32, checked. */
static int host_vadd_errors(unsigned int seed)
{
	static uint32_t a[1000], b[1000], c[1000];
	unsigned long n = 1000, vl;
	uint32_t *pa = a, *pb = b, *pc = c;
	int i, bad = 0;

	for (i = 0; i < 1000; i++) {
		a[i] = i * seed;
		b[i] = seed ^ i;
		c[i] = 0;
	}
	while (n) {
		asm volatile(V_ASM("vsetvli %0, %1, e32, m4, ta, ma\n"
				   "vle32.v v8, (%2)\n"
				   "vle32.v v16, (%3)\n"
				   "vadd.vv v24, v8, v16\n"
				   "vse32.v v24, (%4)")
			     : "=&r"(vl) : "r"(n), "r"(pa), "r"(pb), "r"(pc)
			     : "memory");
		pa += vl;
		pb += vl;
		pc += vl;
		n -= vl;
	}
	for (i = 0; i < 1000; i++)
		bad += c[i] != a[i] + b[i];
	return bad;
}

/*
 * After KVM_RUN returned: do the VMM thread's vector registers hold any
 * of the guest's (vN = base + N, e64)?  They must not: the kernel gives
 * the thread its own state back (discarded by the syscall: all ones).
 */
static int host_sees_guest_vregs(unsigned long base)
{
	static uint64_t buf[32 * VEC_MAX_VLENB / 8];
	uint64_t *p = buf;
	unsigned long vlenb;
	int n, leaks = 0;

	asm volatile(V_ASM("csrr %0, vlenb") : "=r"(vlenb));
	if (vlenb > VEC_MAX_VLENB)
		return 0;
	/* vs1r.v stores a whole register whatever vl and vtype are. */
	asm volatile(V_ASM(".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
			   "vs1r.v v\\n, (%0)\n"
			   "add %0, %0, %1\n"
			   ".endr")
		     : "+r"(p) : "r"(vlenb) : "memory");
	for (n = 0; n < 32; n++)
		leaks += buf[n * vlenb / 8] == base + n;
	return leaks;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

FIXTURE(vec) {
	struct vm *vm;
	struct vcpu *vcpu;
};

FIXTURE_SETUP(vec)
{
	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
	if (!vcpu_has_v(self->vcpu))
		SKIP(return, "no V on this host");
}

FIXTURE_TEARDOWN(vec)
{
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}


/*
 * The ids: vstart, vl, vtype, vcsr, vlenb (unsigned long) and v0..v31
 * (vlenb bytes) in REG_LIST; errnos of kvm.ko's vcpu_vector.c; a value
 * set is read back.
 */
TEST_F(vec, one_reg)
{
	uint64_t big[VEC_MAX_VLENB / 8], back[VEC_MAX_VLENB / 8];
	uint64_t vlenb, v, *list;
	unsigned long host_vlenb;
	int n, i, found = 0;

	vlenb = vcpu_get_reg(self->vcpu, VEC_CSR(vlenb));
	asm volatile(V_ASM("csrr %0, vlenb") : "=r"(host_vlenb));
	EXPECT_EQ(host_vlenb, vlenb);
	ASSERT_LE(vlenb, VEC_MAX_VLENB);
	ASSERT_GE(vlenb, 8);

	n = vcpu_get_reg_list(self->vcpu, &list);
	for (i = 0; i < n; i++)
		if ((list[i] & KVM_REG_RISCV_TYPE_MASK) == KVM_REG_RISCV_VECTOR)
			found++;
	EXPECT_EQ(5 + 32, found);
	for (i = 0; i <= KVM_REG_RISCV_VECTOR_CSR_REG(vlenb); i++)
		EXPECT_TRUE(reg_list_has(list, n, VEC_REG(KVM_REG_SIZE_U64, i)))
			TH_LOG("vector CSR %d", i);
	for (i = 0; i < 32; i++)
		EXPECT_TRUE(reg_list_has(list, n, vreg_id(vlenb, i)))
			TH_LOG("v%d", i);
	/* After FP_D, before ISA_EXT, as kvm.ko lists them. */
	for (i = 1; i < n; i++)
		if ((list[i] & KVM_REG_RISCV_TYPE_MASK) == KVM_REG_RISCV_VECTOR)
			EXPECT_TRUE((list[i - 1] & KVM_REG_RISCV_TYPE_MASK) ==
				    KVM_REG_RISCV_VECTOR ||
				    (list[i - 1] & KVM_REG_RISCV_TYPE_MASK) ==
				    KVM_REG_RISCV_FP_D);
	free(list);

	/* Round trip of a register, and of a CSR. */
	for (i = 0; i < vlenb / 8; i++)
		big[i] = 0x1111111111111111UL * (i + 1);
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu, vreg_id(vlenb, 3), big));
	memset(back, 0, sizeof(back));
	EXPECT_EQ(0, vcpu_get_reg_try(self->vcpu, vreg_id(vlenb, 3), back));
	EXPECT_EQ(0, memcmp(big, back, vlenb));
	vcpu_set_reg(self->vcpu, VEC_CSR(vl), 1);
	EXPECT_EQ(1, vcpu_get_reg(self->vcpu, VEC_CSR(vl)));

	/* vlenb: read-only, its own value accepted. */
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu, VEC_CSR(vlenb), &vlenb));
	v = vlenb * 2;
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu, VEC_CSR(vlenb), &v));
	EXPECT_EQ(vlenb, vcpu_get_reg(self->vcpu, VEC_CSR(vlenb)));

	/* Sizes, datap (not a register), past v31. */
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  VEC_REG(KVM_REG_SIZE_U32, KVM_REG_RISCV_VECTOR_CSR_REG(vl)),
		  &v));
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  VEC_REG(KVM_REG_SIZE_U64, KVM_REG_RISCV_VECTOR_REG(0)), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu, VEC_CSR(datap), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu, vreg_id(vlenb, 32),
					    big));
	EXPECT_EQ(-ENOENT, vcpu_set_reg_try(self->vcpu, vreg_id(vlenb, 32),
					    big));
}

/*
 * What the VMM sets is what the guest sees (v5, vl, vtype, vcsr), and
 * what the guest leaves is what the VMM reads (v7, vl, vcsr).
 */
TEST_F(vec, guest_view)
{
	uint64_t vlenb = vcpu_get_reg(self->vcpu, VEC_CSR(vlenb));
	uint64_t reg[VEC_MAX_VLENB / 8];
	struct ucall uc;
	int i;

	ASSERT_LE(vlenb, VEC_MAX_VLENB);
	for (i = 0; i < vlenb / 8; i++)
		reg[i] = 0x5500000000000000UL + i;
	ASSERT_EQ(0, vcpu_set_reg_try(self->vcpu, vreg_id(vlenb, 5), reg));
	vcpu_set_reg(self->vcpu, VEC_CSR(vtype), 0xd8);	/* e64, m1, ta, ma */
	vcpu_set_reg(self->vcpu, VEC_CSR(vl), 1);
	vcpu_set_reg(self->vcpu, VEC_CSR(vcsr), 5);	/* vxrm 2, vxsat */

	vcpu_start(self->vcpu, GUEST_FN(guest_vec_regs), 0, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(0xd8, uc.args[2]);
	EXPECT_EQ(5, uc.args[3]);
	EXPECT_EQ(vlenb, uc.args[4]);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(0x5500000000000000UL, uc.args[1]);
	EXPECT_EQ(0x5500000000000001UL, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);		/* vstart */
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, &uc);

	memset(reg, 0, sizeof(reg));
	ASSERT_EQ(0, vcpu_get_reg_try(self->vcpu, vreg_id(vlenb, 7), reg));
	for (i = 0; i < vlenb / 8; i++)
		EXPECT_EQ(VEC_V7 + i, reg[i]) TH_LOG("v7[%d]", i);
	EXPECT_EQ(1, vcpu_get_reg(self->vcpu, VEC_CSR(vl)));
	EXPECT_EQ(0xd8, vcpu_get_reg(self->vcpu, VEC_CSR(vtype)));
	EXPECT_EQ(2, vcpu_get_reg(self->vcpu, VEC_CSR(vcsr)));
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
}

/*
 * Vector code in the guest across its exits to the VMM, which runs
 * vector code of its own between two KVM_RUNs and moves its thread to
 * the other CPU every few rounds (the vCPU migrates with it); the
 * guest's register values never show in the VMM's registers.
 */
TEST_F(vec, exits_vmm_vector_migration)
{
	const unsigned long rounds = 60;
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu = 0, bad = 0;
	struct ucall uc;
	unsigned long f;

	vcpu_start(self->vcpu, GUEST_FN(guest_vec_stress), rounds, 0x1000);
	for (;;) {
		f = vcpu_ucall(self->vcpu, &uc);
		if (f == UCALL_DONE)
			break;
		ASSERT_EQ(UCALL_SYNC, f);
		EXPECT_EQ(0, host_sees_guest_vregs(0x1000 + uc.args[0]));
		bad += host_vadd_errors(uc.args[0] + 3);
		if (ncpu > 1 && uc.args[0] % 6 == 0) {
			cpu = (cpu + 1) % 2;
			pin_to(cpu);
		}
	}
	EXPECT_EQ(rounds, uc.args[0]);
	EXPECT_EQ(0, bad);
}

/* A thread whose vector registers must not change under it. */
struct vhog {
	pthread_t thr;
	volatile int stop;
	volatile unsigned long loops, errors;
};

static void *vhog_fn(void *arg)
{
	struct vhog *h = arg;
	uint64_t buf[4 * VEC_MAX_VLENB / 8];
	unsigned long vlenb, i, k, pat;
	volatile unsigned long spin;

	pin_to(0);
	asm volatile(V_ASM("csrr %0, vlenb") : "=r"(vlenb));
	if (vlenb > VEC_MAX_VLENB)
		return NULL;
	while (!h->stop) {
		pat = 0xabc0000000000000UL + h->loops;
		/* v8..v11 = pat + n, then a spin, then checked. */
		asm volatile(V_ASM("vsetvli t0, x0, e64, m1, ta, ma\n"
				   "vmv.v.x v8, %0\n"
				   "addi t1, %0, 1\n vmv.v.x v9, t1\n"
				   "addi t1, %0, 2\n vmv.v.x v10, t1\n"
				   "addi t1, %0, 3\n vmv.v.x v11, t1")
			     : : "r"(pat) : "t0", "t1");
		for (spin = 0; spin < 200000; spin++)
			;
		asm volatile(V_ASM("vsetvli t0, x0, e64, m1, ta, ma\n"
				   "vs1r.v v8, (%0)\n"
				   "add t1, %0, %1\n vs1r.v v9, (t1)\n"
				   "add t1, t1, %1\n vs1r.v v10, (t1)\n"
				   "add t1, t1, %1\n vs1r.v v11, (t1)")
			     : : "r"(buf), "r"(vlenb) : "t0", "t1", "memory");
		for (k = 0; k < 4; k++)
			for (i = 0; i < vlenb / 8; i++)
				if (buf[k * vlenb / 8 + i] != pat + k)
					h->errors++;
		h->loops++;
	}
	return NULL;
}

struct vguest {
	struct vm *vm;
	struct vcpu *vcpu;
	pthread_t thr;
	unsigned long rounds, ret;
};

static void *vguest_fn(void *arg)
{
	struct vguest *g = arg;

	pin_to(0);
	g->ret = vcpu_run_to_done(g->vcpu);
	return NULL;
}

/*
 * Two guests running vector code and a userspace thread using vector
 * registers, all on CPU 0: each is preempted by the others while its
 * vector state is in use, and none sees another's.
 */
TEST_F(vec, preemption)
{
	struct vguest g[2] = { { .vm = self->vm, .vcpu = self->vcpu } };
	struct vhog hog = { 0 };
	int i;

	g[1].vm = vm_create();
	g[1].vcpu = vcpu_create(g[1].vm, 0);
	ASSERT_TRUE(vcpu_has_v(g[1].vcpu));
	for (i = 0; i < 2; i++) {
		g[i].rounds = 40;
		vcpu_start(g[i].vcpu, GUEST_FN(guest_vec_stress), g[i].rounds,
			   0x100000UL * (i + 1));
	}
	vm_watchdog(240);
	ASSERT_EQ(0, pthread_create(&hog.thr, NULL, vhog_fn, &hog));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&g[i].thr, NULL, vguest_fn, &g[i]));
	for (i = 0; i < 2; i++)
		pthread_join(g[i].thr, NULL);
	hog.stop = 1;
	pthread_join(hog.thr, NULL);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(g[i].rounds, g[i].ret);
	TH_LOG("vector thread: %lu loops", hog.loops);
	EXPECT_GT(hog.loops, 0);
	EXPECT_EQ(0, hog.errors);
	vcpu_free(g[1].vcpu);
	vm_free(g[1].vm);
}

/*
 * ISA_EXT V off before the first run: no vector registers in ONE_REG or
 * REG_LIST, and a vector instruction is an illegal instruction for the
 * guest, taken at its own vector.
 */
TEST_F(vec, disabled)
{
	uint64_t *list, v, one = 1;
	struct ucall uc;
	int n, i;

	vcpu_set_reg(self->vcpu, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_V), 0);
	EXPECT_FALSE(vcpu_has_v(self->vcpu));
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu, RISCV_CONFIG_REG(isa)) &
		     (1UL << ('v' - 'a')));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu, VEC_CSR(vlenb), &v));
	n = vcpu_get_reg_list(self->vcpu, &list);
	for (i = 0; i < n; i++)
		EXPECT_NE(KVM_REG_RISCV_VECTOR,
			  list[i] & KVM_REG_RISCV_TYPE_MASK);
	free(list);

	if (testbed_guest_illegal_insn_broken()) {
		TH_LOG("QEMU 10: not running the guest's vector instruction");
		return;
	}
	/*
	 * kvm.ko 6.12 resets the guest's FP state when ISA_EXT changes,
	 * but not its vector state: sstatus.VS stays Initial from the
	 * vCPU's creation and the guest keeps using V.
	 */
	if (dev_is_kvm()) {
		TH_LOG("kvm.ko: V stays usable after ISA_EXT V is turned off");
		return;
	}
	vcpu_start(self->vcpu, GUEST_FN(guest_vec_trap), 0, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(2, uc.args[2]);		/* illegal instruction */
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_V), &one));
}

TEST_HARNESS_MAIN
