// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_REG_LIST, KVM_GET_ONE_REG and KVM_SET_ONE_REG on a vCPU: every
 * register class of <asm/kvm.h>, the guest's view of what the VMM sets,
 * what may change before and after the first KVM_RUN, and kvm.ko 6.12's
 * errnos (arch/riscv/kvm/vcpu_onereg.c).  Held to kvm.ko.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define ISA_BIT(c)	(1UL << ((c) - 'a'))

FIXTURE(vcpu) {
	struct vm *vm;
	struct vcpu *vcpu;
};

FIXTURE_SETUP(vcpu)
{
	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
}

FIXTURE_TEARDOWN(vcpu)
{
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}


static bool has_isa(struct vcpu *vcpu, char c)
{
	return vcpu_get_reg(vcpu, RISCV_CONFIG_REG(isa)) & ISA_BIT(c);
}

/* Mark the vCPU as having run, without running the guest. */
static void first_run(struct vcpu *vcpu)
{
	vcpu->run->immediate_exit = 1;
	vcpu_run_try(vcpu);
	vcpu->run->immediate_exit = 0;
}

TEST_F(vcpu, reg_list)
{
	struct kvm_reg_list *l;
	uint64_t *list, val[8];
	int n, i, j;

	n = vcpu_get_reg_list(self->vcpu, &list);
	TH_LOG("%d registers", n);
	ASSERT_GT(n, 33 + 11 + 4);

	/* Too small: E2BIG, and n says how many. */
	l = calloc(1, sizeof(*l) + (n + 8) * sizeof(uint64_t));
	ASSERT_NE(NULL, l);
	l->n = n - 1;
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, KVM_GET_REG_LIST, l));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(n, l->n);
	l->n = n + 8;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_GET_REG_LIST, l));
	EXPECT_EQ(n, l->n);
	EXPECT_EQ(0, memcmp(list, l->reg, n * sizeof(uint64_t)));
	free(l);

	for (i = 0; i < n; i++) {
		uint64_t id = list[i];

		EXPECT_EQ(KVM_REG_RISCV, id & KVM_REG_ARCH_MASK)
			TH_LOG("0x%llx", (unsigned long long)id);
		EXPECT_TRUE(KVM_REG_SIZE(id) == 4 || KVM_REG_SIZE(id) == 8 ||
			    (id & KVM_REG_RISCV_TYPE_MASK) == KVM_REG_RISCV_VECTOR);
		/* Every listed register reads, at its size. */
		if (KVM_REG_SIZE(id) <= sizeof(val))
			EXPECT_EQ(0, vcpu_get_reg_try(self->vcpu, id, val))
				TH_LOG("0x%llx: %s", (unsigned long long)id,
				       strerror(errno));
		for (j = 0; j < i; j++)
			EXPECT_NE(list[j], id);
	}

	/* What must be there */
	EXPECT_TRUE(reg_list_has(list, n, RISCV_CONFIG_REG(isa)));
	EXPECT_TRUE(reg_list_has(list, n, RISCV_CONFIG_REG(mvendorid)));
	EXPECT_TRUE(reg_list_has(list, n, RISCV_CONFIG_REG(marchid)));
	EXPECT_TRUE(reg_list_has(list, n, RISCV_CONFIG_REG(mimpid)));
	EXPECT_TRUE(reg_list_has(list, n, RISCV_CONFIG_REG(satp_mode)));
	for (i = 0; i <= KVM_REG_RISCV_CORE_REG(mode); i++)
		EXPECT_TRUE(reg_list_has(list, n, RISCV_REG(KVM_REG_RISCV_CORE, i)));
	for (i = 0; i <= KVM_REG_RISCV_CSR_REG(senvcfg); i++)
		EXPECT_TRUE(reg_list_has(list, n, RISCV_REG(KVM_REG_RISCV_CSR, i)));
	for (i = 0; i <= KVM_REG_RISCV_TIMER_REG(state); i++)
		EXPECT_TRUE(reg_list_has(list, n, RISCV_REG(KVM_REG_RISCV_TIMER, i)));
	if (has_isa(self->vcpu, 'd')) {
		for (i = 0; i < 32; i++)
			EXPECT_TRUE(reg_list_has(list, n, RISCV_FP_D_REG(i)));
		EXPECT_TRUE(reg_list_has(list, n, RISCV_FP_D_FCSR));
	}
	if (has_isa(self->vcpu, 'f'))
		EXPECT_TRUE(reg_list_has(list, n, RISCV_FP_F_REG(32)));	/* fcsr */
	EXPECT_TRUE(reg_list_has(list, n, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_I)));
	EXPECT_TRUE(reg_list_has(list, n, RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_SRST)));
	free(list);
}

TEST_F(vcpu, config)
{
	uint64_t isa = vcpu_get_reg(self->vcpu, RISCV_CONFIG_REG(isa));
	uint64_t satp = vcpu_get_reg(self->vcpu, RISCV_CONFIG_REG(satp_mode));
	uint64_t v, big = 1UL << 26, other;

	TH_LOG("isa 0x%llx satp_mode %llu", (unsigned long long)isa,
	       (unsigned long long)satp);
	/* The test host is rv64imafdch; a guest never gets H. */
	EXPECT_EQ(ISA_BIT('i') | ISA_BIT('m') | ISA_BIT('a'),
		  isa & (ISA_BIT('i') | ISA_BIT('m') | ISA_BIT('a')));
	EXPECT_TRUE(isa & ISA_BIT('c'));
	EXPECT_EQ(0, isa & ISA_BIT('h'));
	EXPECT_EQ(0, isa & ~((1UL << 26) - 1));
	EXPECT_GE(satp, 8);			/* Sv39 or wider */

	/* Writing what is there is fine; satp_mode is read-only. */
	vcpu_set_reg(self->vcpu, RISCV_CONFIG_REG(isa), isa);
	vcpu_set_reg(self->vcpu, RISCV_CONFIG_REG(satp_mode), satp);
	other = satp == 8 ? 9 : 8;
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu,
					    RISCV_CONFIG_REG(satp_mode), &other));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu, RISCV_CONFIG_REG(isa),
					    &big));
	/* Zicbom's block size is only there with Zicbom. */
	if (vcpu_get_reg_try(self->vcpu, RISCV_CONFIG_REG(zicbom_block_size),
			     &v)) {
		EXPECT_EQ(ENOENT, errno);
	} else {
		EXPECT_NE(0, v);
	}

	/* mvendorid can change before the first run, not after. */
	v = vcpu_get_reg(self->vcpu, RISCV_CONFIG_REG(mvendorid));
	vcpu_set_reg(self->vcpu, RISCV_CONFIG_REG(mvendorid), 0x489);
	EXPECT_EQ(0x489, vcpu_get_reg(self->vcpu, RISCV_CONFIG_REG(mvendorid)));
	vcpu_set_reg(self->vcpu, RISCV_CONFIG_REG(mvendorid), v);
	first_run(self->vcpu);
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(self->vcpu,
					   RISCV_CONFIG_REG(mvendorid), &big));
	vcpu_set_reg(self->vcpu, RISCV_CONFIG_REG(mvendorid), v);	/* same */
	other = isa & ~ISA_BIT('f') & ~ISA_BIT('d');
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(self->vcpu, RISCV_CONFIG_REG(isa),
					   &other));
	vcpu_set_reg(self->vcpu, RISCV_CONFIG_REG(isa), isa);
}

TEST_F(vcpu, core)
{
	struct ucall uc;
	int i;

	/* Reset state: everything 0, S-mode. */
	for (i = 0; i < 32; i++)
		EXPECT_EQ(0, vcpu_get_reg(self->vcpu,
					  RISCV_REG(KVM_REG_RISCV_CORE, i)))
			TH_LOG("core %d", i);
	EXPECT_EQ(KVM_RISCV_MODE_S, vcpu_get_reg(self->vcpu, CORE_MODE));

	for (i = 0; i < 32; i++)
		vcpu_set_reg(self->vcpu, RISCV_REG(KVM_REG_RISCV_CORE, i),
			     0x1000 * i + 0x55);
	for (i = 0; i < 32; i++)
		EXPECT_EQ(0x1000 * i + 0x55,
			  vcpu_get_reg(self->vcpu,
				       RISCV_REG(KVM_REG_RISCV_CORE, i)));
	vcpu_set_reg(self->vcpu, CORE_MODE, KVM_RISCV_MODE_U);
	EXPECT_EQ(KVM_RISCV_MODE_U, vcpu_get_reg(self->vcpu, CORE_MODE));
	vcpu_set_reg(self->vcpu, CORE_MODE, KVM_RISCV_MODE_S);

	/* The guest sees what was set, and the VMM what the guest set. */
	vcpu_start(self->vcpu, GUEST_FN(guest_gprs), 0, 0);
	vcpu_set_reg(self->vcpu, RISCV_GPR(18), 0x1818);	/* s2 */
	vcpu_set_reg(self->vcpu, RISCV_GPR(19), 0x1919);	/* s3 */
	vcpu_set_reg(self->vcpu, RISCV_GPR(28), 0x2828);	/* t3 */
	vcpu_set_reg(self->vcpu, RISCV_GPR(31), 0x3131);	/* t6 */
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0x1818, uc.args[1]);
	EXPECT_EQ(0x1919, uc.args[2]);
	EXPECT_EQ(0x2828, uc.args[3]);
	EXPECT_EQ(0x3131, uc.args[4]);
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(0x5a5a, vcpu_get_reg(self->vcpu, RISCV_GPR(20)));	/* s4 */
	EXPECT_EQ(UCALL_SYNC, vcpu_get_reg(self->vcpu, RISCV_GPR(16)));	/* a6 */
	EXPECT_EQ(uc.pc, vcpu_get_reg(self->vcpu, CORE_PC));
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
}

TEST_F(vcpu, csr_general)
{
	static const char *const names[] = {
		"sstatus", "sie", "stvec", "sscratch", "sepc", "scause",
		"stval", "sip", "satp", "scounteren", "senvcfg",
	};
	struct ucall uc;
	int i;

	for (i = 0; i <= KVM_REG_RISCV_CSR_REG(senvcfg); i++)
		TH_LOG("%s = 0x%llx", names[i], (unsigned long long)
		       vcpu_get_reg(self->vcpu, RISCV_CSR_REG(sstatus) + i));
	/* kvm.ko's reset: cycle, time and instret counters open to VU. */
	EXPECT_EQ(7, vcpu_get_reg(self->vcpu, RISCV_CSR_REG(scounteren)));
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu, RISCV_CSR_REG(satp)));
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu, RISCV_CSR_REG(sie)));

	vcpu_set_reg(self->vcpu, RISCV_CSR_REG(sscratch), 0xabc0);
	EXPECT_EQ(0xabc0, vcpu_get_reg(self->vcpu, RISCV_CSR_REG(sscratch)));
	vcpu_set_reg(self->vcpu, RISCV_CSR_REG(stval), 0x1234);
	EXPECT_EQ(0x1234, vcpu_get_reg(self->vcpu, RISCV_CSR_REG(stval)));
	vcpu_set_reg(self->vcpu, RISCV_CSR_REG(scounteren), 2);

	vcpu_start(self->vcpu, GUEST_FN(guest_csrs), 0x600d, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0xabc0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(2, uc.args[3]);
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(0x600d, vcpu_get_reg(self->vcpu, RISCV_CSR_REG(sscratch)));
	/* _start wrote stvec */
	EXPECT_EQ(GUEST_FN(guest_trap_entry),
		  vcpu_get_reg(self->vcpu, RISCV_CSR_REG(stvec)));
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
}

TEST_F(vcpu, timer)
{
	uint64_t freq = vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(frequency));
	uint64_t t0, t1, t2, other = freq + 1, off = 1000000000000UL;
	struct ucall uc;

	TH_LOG("timebase %llu Hz", (unsigned long long)freq);
	EXPECT_NE(0, freq);
	vcpu_set_reg(self->vcpu, RISCV_TIMER_REG(frequency), freq);
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu,
					    RISCV_TIMER_REG(frequency), &other));
	EXPECT_EQ(KVM_RISCV_TIMER_STATE_OFF,
		  vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(state)));
	vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(compare));

	/* time runs, and is the guest's rdtime */
	t0 = vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(time));
	vcpu_start(self->vcpu, GUEST_FN(guest_time), 0, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	t1 = vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(time));
	EXPECT_LE(t0, uc.args[1]);
	EXPECT_LE(uc.args[1], t1);
	EXPECT_LT(t0, t1);

	/* Setting time moves the guest's clock with it. */
	vcpu_set_reg(self->vcpu, RISCV_TIMER_REG(time), t1 + off);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	t2 = vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(time));
	EXPECT_LE(t1 + off, uc.args[1]);
	EXPECT_LE(uc.args[1], t2);
	EXPECT_LT(t2, t1 + off + 60 * freq);
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
}

TEST_F(vcpu, fp)
{
	uint64_t f0 = 0x400921fb54442d18UL, v = 0;	/* pi */
	struct ucall uc;
	uint32_t v32;
	uint64_t v128[2];

	if (!has_isa(self->vcpu, 'd'))
		SKIP(return, "no D extension");
	vcpu_set_reg(self->vcpu, RISCV_FP_D_REG(0), f0);
	vcpu_set_reg(self->vcpu, RISCV_FP_D_REG(5), 0x5555);
	vcpu_set_reg(self->vcpu, RISCV_FP_D_REG(31), 0x3131);
	vcpu_set_reg(self->vcpu, RISCV_FP_D_FCSR, 0x21);
	EXPECT_EQ(f0, vcpu_get_reg(self->vcpu, RISCV_FP_D_REG(0)));
	EXPECT_EQ(0x21, vcpu_get_reg(self->vcpu, RISCV_FP_D_FCSR));

	vcpu_start(self->vcpu, GUEST_FN(guest_fp_regs), 0, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(f0, uc.args[1]);
	EXPECT_EQ(0x5555, uc.args[2]);
	EXPECT_EQ(0x3131, uc.args[3]);
	EXPECT_EQ(0x21, uc.args[4]);
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(0x4242424242424242UL,
		  vcpu_get_reg(self->vcpu, RISCV_FP_D_REG(7)));

	/* Sizes: f[i] 8 bytes, fcsr 4; F registers 4. */
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D | 0,
		  &v32));
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_FP_D | 32,
		  &v));
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_FP_F | 0,
		  &v));
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U128 | KVM_REG_RISCV_FP_D | 0,
		  v128));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu, RISCV_FP_D_REG(33),
					    &v));
	EXPECT_EQ(0, vcpu_get_reg_try(self->vcpu, RISCV_FP_F_REG(3), &v32));
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
}

/*
 * ISA_EXT: disable F and D before the first run: the guest then traps on
 * FP instructions (illegal instruction, at its own vector), CONFIG isa
 * and the register list lose them.  Some extensions cannot be disabled
 * (A) or enabled (H): EINVAL.  After the first KVM_RUN (even one that
 * returned at once for immediate_exit), changes get EBUSY.
 */
TEST_F(vcpu, isa_ext)
{
	uint64_t zero = 0, one = 1, two = 2, v, *list;
	struct ucall uc;
	int n, i;

	if (!has_isa(self->vcpu, 'd') || !has_isa(self->vcpu, 'f'))
		SKIP(return, "no F/D to disable");
	n = vcpu_get_reg_list(self->vcpu, &list);
	for (i = 0; i < n; i++)
		if ((list[i] & KVM_REG_RISCV_TYPE_MASK) == KVM_REG_RISCV_ISA_EXT)
			TH_LOG("ISA_EXT %llu = %llu",
			       (unsigned long long)(list[i] & 0xffff),
			       (unsigned long long)vcpu_get_reg(self->vcpu, list[i]));
	free(list);

	EXPECT_EQ(1, vcpu_get_reg(self->vcpu,
				  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_A)));
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu,
				  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_H)));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_A), &zero));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_H), &one));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_D), &two));
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_A), &one));  /* same */
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_MAX), &v));
	EXPECT_EQ(-ENOENT, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_MAX), &zero));
	/* An extension the host lacks (QEMU 7.2 has no Ztso) is absent. */
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_ZTSO), &v));

	vcpu_set_reg(self->vcpu, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_D), 0);
	vcpu_set_reg(self->vcpu, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F), 0);
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu,
				  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F)));
	EXPECT_FALSE(has_isa(self->vcpu, 'f'));
	EXPECT_FALSE(has_isa(self->vcpu, 'd'));
	n = vcpu_get_reg_list(self->vcpu, &list);
	EXPECT_FALSE(reg_list_has(list, n, RISCV_FP_D_REG(0)));
	EXPECT_FALSE(reg_list_has(list, n, RISCV_FP_F_REG(0)));
	free(list);
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu, RISCV_FP_D_REG(0), &v));

	first_run(self->vcpu);
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F), &one));
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu,
		  RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F), &zero));  /* same */

	/* The FP instruction is an illegal one, taken by the firmware. */
	if (testbed_guest_illegal_insn_broken()) {
		TH_LOG("QEMU 10: not running the guest's FP instruction");
		return;
	}
	vcpu_start(self->vcpu, GUEST_FN(guest_fp_trap), 0, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(2, uc.args[2]);		/* illegal instruction */
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
}

/* ISA_EXT bitmap registers agree with the single ones. */
TEST_F(vcpu, isa_ext_multi)
{
	uint64_t en = vcpu_get_reg(self->vcpu, RISCV_REG(KVM_REG_RISCV_ISA_EXT |
						KVM_REG_RISCV_ISA_MULTI_EN, 0));
	uint64_t dis = vcpu_get_reg(self->vcpu, RISCV_REG(KVM_REG_RISCV_ISA_EXT |
						 KVM_REG_RISCV_ISA_MULTI_DIS, 0));
	uint64_t v;
	int i;

	EXPECT_EQ(~en, dis);
	for (i = 0; i < 64 && i < KVM_RISCV_ISA_EXT_MAX; i++) {
		if (vcpu_get_reg_try(self->vcpu, RISCV_ISA_EXT_REG(i), &v))
			v = 0;
		EXPECT_EQ(v, (en >> i) & 1) TH_LOG("ext %d", i);
	}
}

TEST_F(vcpu, sbi_ext)
{
	uint64_t id = RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_HSM);
	uint64_t zero = 0, one = 1, two = 2, v;

	EXPECT_EQ(1, vcpu_get_reg(self->vcpu, id));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu, id, &two));
	/*
	 * No SBI extension has id 63 (11, KVM_RISCV_SBI_EXT_MAX of Linux
	 * 6.12's headers, is SUSP from 6.13 on, which rvhv has).
	 */
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_SBI_EXT_REG(63), &v));
	EXPECT_EQ(-ENOENT, vcpu_set_reg_try(self->vcpu,
		  RISCV_SBI_EXT_REG(63), &one));
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu, id, &zero));
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu, id));
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu, id, &one));
	first_run(self->vcpu);
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(self->vcpu, id, &zero));
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(self->vcpu, id, &one));
	EXPECT_EQ(1, vcpu_get_reg(self->vcpu, id));
}

#define AIA_CSR(name)	RISCV_REG(KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA, \
				  KVM_REG_RISCV_CSR_AIA_REG(name))
#define NR_AIA_CSR	(sizeof(struct kvm_riscv_aia_csr) / sizeof(unsigned long))

static int list_index(uint64_t *list, int n, uint64_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == id)
			return i;
	return -1;
}

/*
 * Ssaia and the AIA CSRs (kvm.ko: arch/riscv/kvm/aia.c, vcpu_onereg.c).
 * The registers exist whether or not the vCPU has Ssaia; without Ssaia
 * on the host they read 0 and ignore writes.  On a host with Ssaia the
 * vCPU has it by default, the seven registers are listed right after the
 * general CSRs, hold what is written, and the guest finds siselect as set
 * (and ONE_REG what the guest wrote); Ssaia can be turned off only on a
 * host with Smstateen, and is then not listed.
 */
TEST_F(vcpu, aia_csr)
{
	uint64_t v, zero = 0, one = 1, x = 0x5a5a, *list;
	uint64_t ssaia = RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SSAIA);
	uint64_t smstateen = RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SMSTATEEN);
	struct ucall uc;
	unsigned int i;
	int n, at;

	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
					    AIA_CSR(siselect) + NR_AIA_CSR, &v));
	EXPECT_EQ(-ENOENT, vcpu_set_reg_try(self->vcpu,
					    AIA_CSR(siselect) + NR_AIA_CSR, &x));
	n = vcpu_get_reg_list(self->vcpu, &list);
	if (vcpu_get_reg_try(self->vcpu, ssaia, &v)) {
		TH_LOG("no Ssaia on the host");
		for (i = 0; i < NR_AIA_CSR; i++) {
			EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu,
						      AIA_CSR(siselect) + i, &x));
			EXPECT_EQ(0, vcpu_get_reg(self->vcpu,
						  AIA_CSR(siselect) + i));
			EXPECT_FALSE(reg_list_has(list, n, AIA_CSR(siselect) + i));
		}
		free(list);
		return;
	}
	EXPECT_EQ(1, v);
	at = list_index(list, n, RISCV_CSR_REG(senvcfg));
	ASSERT_LE(0, at);
	for (i = 0; i < NR_AIA_CSR; i++)
		EXPECT_EQ(AIA_CSR(siselect) + i, list[at + 1 + i]);
	free(list);
	for (i = 0; i < NR_AIA_CSR; i++) {
		EXPECT_EQ(0, vcpu_get_reg(self->vcpu, AIA_CSR(siselect) + i));
		vcpu_set_reg(self->vcpu, AIA_CSR(siselect) + i, x + i);
		EXPECT_EQ(x + i, vcpu_get_reg(self->vcpu,
					      AIA_CSR(siselect) + i));
	}
	for (i = 0; i < NR_AIA_CSR; i++)
		vcpu_set_reg(self->vcpu, AIA_CSR(siselect) + i, 0);

	/* The guest's siselect is the register. */
	vcpu_set_reg(self->vcpu, AIA_CSR(siselect), 0x70);
	vcpu_start(self->vcpu, GUEST_FN(guest_siselect), 0x71, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("siselect trapped");
	EXPECT_EQ(0x70, uc.args[3]);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0x71, uc.args[3]);
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(0x71, vcpu_get_reg(self->vcpu, AIA_CSR(siselect)));
	vcpu_set_reg(self->vcpu, AIA_CSR(siselect), 0x72);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0x72, uc.args[3]);
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));

	/* Only Smstateen hides Ssaia; after the first run it is fixed. */
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(self->vcpu, ssaia, &zero));
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu, ssaia, &one));
	vcpu_free(self->vcpu);
	self->vcpu = vcpu_create(self->vm, 1);
	if (vcpu_get_reg_try(self->vcpu, smstateen, &v)) {
		EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu, ssaia, &zero));
		return;
	}
	EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu, ssaia, &zero));
	EXPECT_EQ(0, vcpu_get_reg(self->vcpu, ssaia));
	n = vcpu_get_reg_list(self->vcpu, &list);
	EXPECT_FALSE(reg_list_has(list, n, AIA_CSR(siselect)));
	free(list);
	vcpu_set_reg(self->vcpu, AIA_CSR(siselect), 0x70);
	EXPECT_EQ(0x70, vcpu_get_reg(self->vcpu, AIA_CSR(siselect)));
}

/*
 * The guest's iprio array (siselect 0x30..0x3F through sireg): VS-mode
 * reaches hviprio1/2, the CSR AIA registers iprio1/2, which the VMM sets
 * and reads (interrupt 1's priority: bits 15:8 of iprio1 and byte 1 of
 * iprio 0x30); the odd numbers do not exist on RV64.
 */
TEST_F(vcpu, aia_iprio)
{
	uint64_t v;
	struct ucall uc;

	if (vcpu_get_reg_try(self->vcpu,
			     RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SSAIA), &v))
		SKIP(return, "no Ssaia on the host");
	vcpu_set_reg(self->vcpu, AIA_CSR(iprio1), 0x5c00);
	vcpu_start(self->vcpu, GUEST_FN(guest_iprio), 0xa700, 0);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0x5c, (uc.args[3] >> 8) & 0xff)
		TH_LOG("iprio 0x30 = %#llx", (unsigned long long)uc.args[3]);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0xa7, (uc.args[3] >> 8) & 0xff)
		TH_LOG("iprio 0x30 = %#llx", (unsigned long long)uc.args[3]);
	vcpu_expect_ucall(self->vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(2, uc.args[2]);		/* illegal instruction */
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, &uc);
	v = vcpu_get_reg(self->vcpu, AIA_CSR(iprio1));
	EXPECT_EQ(0xa7, (v >> 8) & 0xff) TH_LOG("iprio1 %#llx",
						(unsigned long long)v);
	EXPECT_EQ(0, vcpu_run_to_done(self->vcpu));
}

/* kvm.ko 6.12's errnos for malformed requests. */
TEST_F(vcpu, errnos)
{
	uint64_t v = 0, v128[2];
	uint32_t v32;
	struct kvm_one_reg bad = { .id = CORE_PC, .addr = 0 };

	/* Wrong size: EINVAL */
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_CORE, &v32));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_CORE, &v32));
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U128 | KVM_REG_RISCV_CONFIG,
		  v128));
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(self->vcpu,
		  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_TIMER, &v32));
	/* Unknown type, index: ENOENT */
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_REG(0x0f << KVM_REG_RISCV_TYPE_SHIFT, 0), &v));
	EXPECT_EQ(-ENOENT, vcpu_set_reg_try(self->vcpu,
		  RISCV_REG(0x0f << KVM_REG_RISCV_TYPE_SHIFT, 0), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_REG(KVM_REG_RISCV_CONFIG, 99), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_REG(KVM_REG_RISCV_CORE, 33), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_REG(KVM_REG_RISCV_CSR, 11), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_REG(KVM_REG_RISCV_CSR | (7 << 16), 0), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(self->vcpu,
		  RISCV_REG(KVM_REG_RISCV_TIMER, 4), &v));
	/* Read-only values: writing another value is EINVAL */
	v = vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(frequency)) * 2;
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(self->vcpu,
					    RISCV_TIMER_REG(frequency), &v));
	/* A bad buffer: EFAULT */
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, KVM_GET_ONE_REG, &bad));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, KVM_SET_ONE_REG, &bad));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, KVM_GET_ONE_REG, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_HARNESS_MAIN
