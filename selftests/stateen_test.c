// SPDX-License-Identifier: GPL-2.0
/*
 * Smstateen: the H-level state enables a hypervisor must program for each
 * vCPU (hstateen0) and the guest state it must switch (sstateen0).
 *
 * On a host with Smstateen (make check-matrix, the smstateen
 * configuration) a guest uses senvcfg and, when its vCPU has Smstateen,
 * sstateen0 without trapping; the ONE_REG CSR SMSTATEEN register
 * round-trips as in kvm.ko; one guest's sstateen0 does not reach another
 * vCPU or VM on the same host CPU; and after a kvm.ko guest ran on a CPU
 * an rvhv guest there gets only what rvhv grants.  Held to kvm.ko (the
 * last test is rvhv's).  On a host without Smstateen the guest tests skip
 * and ONE_REG must refuse the register (-EINVAL), as kvm.ko does.  On an
 * AIA host without Smstateen (nothing hides siselect from guests) one
 * guest's siselect must not reach another.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define SSTATEEN0_REG	RISCV_REG(KVM_REG_RISCV_CSR | \
				  KVM_REG_RISCV_CSR_SMSTATEEN, \
				  KVM_REG_RISCV_CSR_SMSTATEEN_REG(sstateen0))
#define SMSTATEEN_EXT	RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SMSTATEEN)
#define EXC_II		2	/* illegal instruction */

/* Does the host have Smstateen?  Its ISA_EXT register exists then. */
static bool host_smstateen(struct vcpu *vcpu)
{
	uint64_t v;

	return vcpu_get_reg_try(vcpu, SMSTATEEN_EXT, &v) == 0;
}

static bool in_list(struct vcpu *vcpu, uint64_t id)
{
	uint64_t *list;
	bool found;
	int n;

	n = vcpu_get_reg_list(vcpu, &list);
	found = reg_list_has(list, n, id);
	free(list);
	return found;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		vm_fail("sched_setaffinity(cpu %d) failed", cpu);
}

/* A vCPU other than 0 starts stopped (HSM): let the VMM start it. */
static void vcpu_set_mp_state_runnable(struct vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp))
		vm_fail("KVM_SET_MP_STATE: %s", strerror(errno));
}

/* The next REPORT must carry @tag; its (traps, scause, value) in *r. */
static void expect_report(struct vcpu *vcpu, unsigned long tag,
			  unsigned long r[3])
{
	struct ucall uc;

	vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
	if (uc.args[0] != tag)
		vcpu_fail(vcpu, "report %lu, expected %lu", uc.args[0], tag);
	r[0] = uc.args[1];
	r[1] = uc.args[2];
	r[2] = uc.args[3];
}

/* ONE_REG: the sstateen0 register, its id rules and its round trip. */
TEST(onereg)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	uint64_t v, ones = ~0UL, five = 5, bad;

	if (!host_smstateen(vcpu)) {
		/* kvm.ko: the subtype exists, the host lacks it: -EINVAL. */
		EXPECT_EQ(-EINVAL, vcpu_get_reg_try(vcpu, SSTATEEN0_REG, &v));
		EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, SSTATEEN0_REG,
						    &five));
		EXPECT_FALSE(in_list(vcpu, SSTATEEN0_REG));
		goto out;
	}
	/* On by default, and then listed. */
	EXPECT_EQ(1, vcpu_get_reg(vcpu, SMSTATEEN_EXT));
	EXPECT_TRUE(in_list(vcpu, SSTATEEN0_REG));
	EXPECT_EQ(0, vcpu_get_reg(vcpu, SSTATEEN0_REG));
	/* Stored as given until the guest runs (kvm.ko does the same). */
	vcpu_set_reg(vcpu, SSTATEEN0_REG, 5);
	EXPECT_EQ(5, vcpu_get_reg(vcpu, SSTATEEN0_REG));
	vcpu_set_reg(vcpu, SSTATEEN0_REG, ones);
	EXPECT_EQ(ones, vcpu_get_reg(vcpu, SSTATEEN0_REG));
	vcpu_set_reg(vcpu, SSTATEEN0_REG, 0);
	/* One register in the subtype; 32-bit size is wrong. */
	bad = SSTATEEN0_REG + 1;
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(vcpu, bad, &v));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, bad, &five));
	bad = (SSTATEEN0_REG & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32;
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(vcpu, bad, &v));
	/* Without Smstateen it is not listed, but still there. */
	vcpu_set_reg(vcpu, SMSTATEEN_EXT, 0);
	EXPECT_EQ(0, vcpu_get_reg(vcpu, SMSTATEEN_EXT));
	EXPECT_FALSE(in_list(vcpu, SSTATEEN0_REG));
	EXPECT_EQ(0, vcpu_set_reg_try(vcpu, SSTATEEN0_REG, &five));
	EXPECT_EQ(5, vcpu_get_reg(vcpu, SSTATEEN0_REG));
	vcpu_set_reg(vcpu, SMSTATEEN_EXT, 1);
	EXPECT_TRUE(in_list(vcpu, SSTATEEN0_REG));
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * A guest reads and writes senvcfg and sstateen0 (a Linux guest writes
 * senvcfg at boot); neither traps, and what the guest wrote is what
 * ONE_REG reads while the vCPU is out of KVM_RUN.
 */
TEST(guest_csrs)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	unsigned long r[3], mine;

	if (!host_smstateen(vcpu))
		SKIP(goto out, "the host has no Smstateen");
	vcpu_start(vcpu, GUEST_FN(guest_stateen), ~0UL, 0);
	expect_report(vcpu, 1, r);
	EXPECT_EQ(0, r[0]) TH_LOG("senvcfg trapped, scause %lu", r[1]);
	EXPECT_EQ(1, r[2] & 1);			/* FIOM */
	expect_report(vcpu, 2, r);
	EXPECT_EQ(0, r[0]) TH_LOG("sstateen0 read trapped, scause %lu",
				  r[1]);
	EXPECT_EQ(0, r[2]);
	expect_report(vcpu, 3, r);
	EXPECT_EQ(0, r[0]) TH_LOG("sstateen0 write trapped, scause %lu",
				  r[1]);
	mine = r[2];
	TH_LOG("guest sstateen0 after writing ~0: %#lx", mine);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	EXPECT_EQ(mine, vcpu_get_reg(vcpu, SSTATEEN0_REG));
	expect_report(vcpu, 4, r);
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(mine, r[2]);
	EXPECT_EQ(0, vcpu_run_to_done(vcpu));
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * Guest A's sstateen0 (set by the VMM, ~0, and then by the guest) does not
 * reach guest B, another VM, nor A's second vCPU, on the same host CPU
 * while A is between two KVM_RUNs; and A finds its own value again.
 */
TEST(no_leak)
{
	struct vm *a = vm_create(), *b = vm_create();
	struct vcpu *a0 = vcpu_create(a, 0), *a1 = vcpu_create(a, 1);
	struct vcpu *b0 = vcpu_create(b, 0);
	unsigned long r[3], first, mine;

	if (!host_smstateen(a0))
		SKIP(goto out, "the host has no Smstateen");
	pin_self(0);
	vcpu_set_reg(a0, SSTATEEN0_REG, ~0UL);
	vcpu_start(a0, GUEST_FN(guest_stateen), ~0UL, 0);
	expect_report(a0, 1, r);
	expect_report(a0, 2, r);
	EXPECT_EQ(0, r[0]);
	first = r[2];
	expect_report(a0, 3, r);
	EXPECT_EQ(0, r[0]);
	mine = r[2];
	TH_LOG("A: sstateen0 %#lx from ONE_REG ~0, %#lx after writing ~0",
	       first, mine);
	vcpu_expect_ucall(a0, UCALL_SYNC, NULL);

	/* B, then A's second vCPU (HSM-stopped: started by the VMM). */
	vcpu_start(b0, GUEST_FN(guest_stateen), 0, 0);
	expect_report(b0, 1, r);
	expect_report(b0, 2, r);
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(0, r[2]) TH_LOG("VM B found %#lx", r[2]);
	vcpu_set_mp_state_runnable(a1);
	vcpu_start(a1, GUEST_FN(guest_stateen), 0, 0);
	expect_report(a1, 1, r);
	expect_report(a1, 2, r);
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(0, r[2]) TH_LOG("vCPU 1 of A found %#lx", r[2]);

	expect_report(a0, 4, r);
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(mine, r[2]);
	EXPECT_EQ(0, vcpu_run_to_done(a0));
out:
	vcpu_free(b0);
	vcpu_free(a1);
	vcpu_free(a0);
	vm_free(b);
	vm_free(a);
}

/*
 * On an AIA host without Smstateen a guest reaches siselect (vsiselect):
 * one guest's value must not reach another VM on the same host CPU.
 */
TEST(siselect_no_leak)
{
	struct vm *a = vm_create(), *b = vm_create();
	struct vcpu *a0 = vcpu_create(a, 0), *b0 = vcpu_create(b, 0);
	unsigned long r[3], mine;

	if (!host_isa_has("ssaia"))
		SKIP(goto out, "the host has no AIA (Ssaia)");
	pin_self(0);
	vcpu_start(a0, GUEST_FN(guest_siselect), 0x70, 0);
	expect_report(a0, 1, r);
	if (r[0])
		SKIP(goto out, "guests cannot reach siselect here (scause %lu)",
		     r[1]);
	expect_report(a0, 2, r);
	EXPECT_EQ(0, r[0]);
	mine = r[2];
	TH_LOG("A: siselect %#lx after writing 0x70", mine);
	vcpu_expect_ucall(a0, UCALL_SYNC, NULL);

	vcpu_start(b0, GUEST_FN(guest_siselect), 0, 0);
	expect_report(b0, 1, r);
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(0, r[2]) TH_LOG("VM B found siselect %#lx", r[2]);
	expect_report(b0, 2, r);
	vcpu_expect_ucall(b0, UCALL_SYNC, NULL);
	expect_report(b0, 3, r);
	EXPECT_EQ(0, vcpu_run_to_done(b0));

	expect_report(a0, 3, r);
	EXPECT_EQ(mine, r[2]);
	EXPECT_EQ(0, vcpu_run_to_done(a0));
out:
	vcpu_free(b0);
	vcpu_free(a0);
	vm_free(b);
	vm_free(a);
}

static int unload_kvm(void)
{
	int i, ret = 0;

	for (i = 0; i < 100; i++) {
		ret = rvhv_unload_module("kvm");
		if (ret != -EWOULDBLOCK && ret != -EAGAIN)
			break;
		usleep(20000);
	}
	return ret;
}

/*
 * kvm.ko, then rvhv, on CPU 0.  kvm.ko's vCPU (Smstateen on) leaves its
 * hstateen0 in the hart: sstateen0 granted, and on an AIA host the AIA
 * CSRs too.  An rvhv vCPU without Smstateen must then trap on sstateen0,
 * and on an AIA host, without Ssaia, on siselect and stopi (rvhv grants
 * none of them then: a virtual-instruction trap, an illegal instruction
 * for the guest), and not on senvcfg.  Without AIA those two do not exist (probing them would
 * only test the firmware: see testbed_guest_illegal_insn_broken()).
 */
TEST(after_kvm)
{
	struct vm *k = NULL, *r;
	struct vcpu *kv = NULL, *rv;
	unsigned long rep[3];
	bool loaded = false, aia;
	int ret;

	if (dev_is_kvm())
		SKIP(return, "runs kvm.ko and rvhv: rvhv's test");
	r = vm_create();
	rv = vcpu_create(r, 0);
	if (!host_smstateen(rv))
		SKIP(goto out, "the host has no Smstateen");
	ret = rvhv_load_module(KVM_KO, "");
	if (ret == -ENOENT)
		SKIP(goto out, "no %s", KVM_KO);
	ASSERT_TRUE(!ret || ret == -EEXIST);
	loaded = !ret;
	pin_self(0);

	setenv("RVHV_DEV", "/dev/kvm", 1);
	k = vm_create();
	kv = vcpu_create(k, 0);
	unsetenv("RVHV_DEV");
	vcpu_start(kv, GUEST_FN(guest_stateen), ~0UL, 0);
	expect_report(kv, 1, rep);
	expect_report(kv, 2, rep);
	EXPECT_EQ(0, rep[0]);		/* kvm.ko granted sstateen0 */
	expect_report(kv, 3, rep);
	vcpu_expect_ucall(kv, UCALL_SYNC, NULL);

	vcpu_set_reg(rv, SMSTATEEN_EXT, 0);
	aia = host_isa_has("ssaia");
	if (aia)	/* Ssaia would grant siselect and stopi */
		vcpu_set_reg(rv, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SSAIA), 0);
	vcpu_start(rv, GUEST_FN(guest_stateen_probe), aia ? 0xf : 0x3, 0);
	expect_report(rv, 1, rep);
	EXPECT_EQ(0, rep[0]) TH_LOG("senvcfg trapped");
	expect_report(rv, 2, rep);
	EXPECT_EQ(1, rep[0]) TH_LOG("sstateen0 did not trap: kvm.ko's grant");
	EXPECT_EQ(EXC_II, rep[1]);
	expect_report(rv, 3, rep);
	if (aia) {
		EXPECT_EQ(1, rep[0]) TH_LOG("siselect did not trap");
		EXPECT_EQ(EXC_II, rep[1]);
	}
	expect_report(rv, 4, rep);
	if (aia) {
		EXPECT_EQ(1, rep[0]) TH_LOG("stopi did not trap");
		EXPECT_EQ(EXC_II, rep[1]);
	}
	TH_LOG("AIA CSRs %s", aia ? "probed: trapped" : "absent: not probed");
	EXPECT_EQ(0, vcpu_run_to_done(rv));

	EXPECT_EQ(0, vcpu_run_to_done(kv));
out:
	if (kv)
		vcpu_free(kv);
	if (k)
		vm_free(k);
	vcpu_free(rv);
	vm_free(r);
	if (loaded)
		EXPECT_EQ(0, unload_kvm());
}

TEST_HARNESS_MAIN
