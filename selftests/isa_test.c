// SPDX-License-Identifier: GPL-2.0
/*
 * Guest ISA extensions: each extension this program knows is used by a
 * guest (an instruction of it executed and its result checked) when the
 * vCPU has it, and skipped when the host lacks it.  A new vCPU has every
 * extension of offered_by_default on when the host has it (the ISA_EXT
 * register exists).  Zawrs's WRS.NTO traps under hstatus.VTW: the guest
 * must get past it.  Held to kvm.ko.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/isa_abi.h"

FIXTURE(isa) {
	struct vm *vm;
	struct vcpu *vcpu;
};

FIXTURE_VARIANT(isa) {
	unsigned long ext;	/* KVM_RISCV_ISA_EXT_* */
	unsigned long test;	/* ISA_T_* */
};

#define ISA_VARIANT(name)						\
FIXTURE_VARIANT_ADD(isa, name) {					\
	.ext = KVM_RISCV_ISA_EXT_##name, .test = ISA_T_##name,		\
}
ISA_VARIANT(ZBA);
ISA_VARIANT(ZBB);
ISA_VARIANT(ZBS);
ISA_VARIANT(ZBC);
ISA_VARIANT(ZICOND);
ISA_VARIANT(ZFA);
ISA_VARIANT(ZIHINTNTL);
ISA_VARIANT(ZIHINTPAUSE);
ISA_VARIANT(ZICBOM);
ISA_VARIANT(ZICBOZ);
ISA_VARIANT(ZAWRS);
ISA_VARIANT(ZACAS);
ISA_VARIANT(ZICNTR);
ISA_VARIANT(SVINVAL);

FIXTURE_SETUP(isa)
{
	uint64_t v;
	int r;

	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
	r = vcpu_get_reg_try(self->vcpu, RISCV_ISA_EXT_REG(variant->ext), &v);
	if (r == -ENOENT)
		SKIP(return, "the host does not have it");
	ASSERT_EQ(0, r);
	if (!v)
		SKIP(return, "not offered to guests on this host");
}

FIXTURE_TEARDOWN(isa)
{
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}

TEST_F(isa, use)
{
	uint64_t block = 0;

	if (variant->ext == KVM_RISCV_ISA_EXT_ZICBOM)
		block = vcpu_get_reg(self->vcpu,
				     RISCV_CONFIG_REG(zicbom_block_size));
	if (variant->ext == KVM_RISCV_ISA_EXT_ZICBOZ)
		block = vcpu_get_reg(self->vcpu,
				     RISCV_CONFIG_REG(zicboz_block_size));
	vcpu_start(self->vcpu, GUEST_FN(guest_isa), variant->test, block);
	EXPECT_EQ(1, vcpu_run_to_done(self->vcpu));
}

/*
 * Extensions that need nothing a host may lack beyond themselves: on by
 * default wherever their register exists (on rvhv and on kvm.ko).
 * Zicbom and Zicboz are not among them: they need henvcfg, which a
 * P550-like host has not.
 */
TEST(offered_by_default)
{
	static const unsigned long exts[] = {
		KVM_RISCV_ISA_EXT_ZBA, KVM_RISCV_ISA_EXT_ZBB,
		KVM_RISCV_ISA_EXT_ZBS, KVM_RISCV_ISA_EXT_ZBC,
		KVM_RISCV_ISA_EXT_ZICOND, KVM_RISCV_ISA_EXT_ZFA,
		KVM_RISCV_ISA_EXT_ZIHINTNTL, KVM_RISCV_ISA_EXT_ZIHINTPAUSE,
		KVM_RISCV_ISA_EXT_ZAWRS, KVM_RISCV_ISA_EXT_ZACAS,
		KVM_RISCV_ISA_EXT_ZICNTR, KVM_RISCV_ISA_EXT_SVINVAL,
		KVM_RISCV_ISA_EXT_V,
	};
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	uint64_t v;
	unsigned int i;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if (vcpu_get_reg_try(vcpu, RISCV_ISA_EXT_REG(exts[i]), &v))
			continue;
		TH_LOG("ISA_EXT %lu = %llu", exts[i], (unsigned long long)v);
		EXPECT_EQ(1, v) TH_LOG("ISA_EXT %lu", exts[i]);
	}
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
