// SPDX-License-Identifier: GPL-2.0
/*
 * Guest ISA extensions: each extension this program knows is used by a
 * guest (an instruction of it executed and its result checked) when the
 * vCPU has it, and skipped when the host lacks it.  A new vCPU has every
 * extension of offered_by_default on when the host has it (the ISA_EXT
 * register exists).  Zawrs's WRS.NTO traps under hstatus.VTW: the guest
 * must get past it.  Held to kvm.ko.
 *
 * The extensions with the ids of newer kvm.ko (RVHV_RISCV_ISA_EXT_*:
 * Svade, Svadu, Svvptc, Zabha, Ziccrse, Zaamo, Zalrsc, Zicbop, Zfbfmin,
 * Zvfbfmin, Zvfbfwma), which rvhv finds in the host's device tree, are
 * tested the same way; kvm.ko 6.12 has none of them (-ENOENT: skipped).  Svadu is tested both ways:
 * on (the hart sets A and D of a VS-stage leaf) and turned off by the VMM
 * (page faults, as Svade).  new_ids checks their registers: REG_LIST,
 * ISA_EXT MULTI register 1, and the lock after the first KVM_RUN.
 */
#include <sys/ioctl.h>
#include <linux/rvhv.h>

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
	bool off;		/* the VMM turns @ext off first */
};

/* @prefix: KVM (Linux 6.12's ids) or RVHV (newer kvm.ko's, rvhv.h) */
#define ISA_VARIANT_ID(prefix, name)					\
FIXTURE_VARIANT_ADD(isa, name) {					\
	.ext = prefix##_RISCV_ISA_EXT_##name, .test = ISA_T_##name,	\
}
#define ISA_VARIANT(name)	ISA_VARIANT_ID(KVM, name)
#define ISA_VARIANT_NEW(name)	ISA_VARIANT_ID(RVHV, name)
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
ISA_VARIANT_NEW(ZABHA);
ISA_VARIANT_NEW(ZAAMO);
ISA_VARIANT_NEW(ZALRSC);
ISA_VARIANT_NEW(ZICCRSE);
ISA_VARIANT_NEW(ZICBOP);
ISA_VARIANT_NEW(SVVPTC);
ISA_VARIANT_NEW(SVADU);
ISA_VARIANT_NEW(SVADE);
ISA_VARIANT_NEW(ZFBFMIN);
ISA_VARIANT_NEW(ZVFBFMIN);
ISA_VARIANT_NEW(ZVFBFWMA);
/* Svadu turned off by the VMM: henvcfg.ADUE 0, the guest sees Svade. */
FIXTURE_VARIANT_ADD(isa, SVADU_off) {
	.ext = RVHV_RISCV_ISA_EXT_SVADU, .test = ISA_T_SVADE, .off = true,
};

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
	if (variant->off) {
		ASSERT_EQ(0, vcpu_set_reg_try(self->vcpu,
					      RISCV_ISA_EXT_REG(variant->ext),
					      &(uint64_t){ 0 }));
		ASSERT_EQ(0, vcpu_get_reg(self->vcpu,
					  RISCV_ISA_EXT_REG(variant->ext)));
	}
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
	/* Zabha's amocas.b/h need Zacas as well. */
	if (variant->ext == RVHV_RISCV_ISA_EXT_ZABHA &&
	    vcpu_get_reg_try(self->vcpu,
			     RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_ZACAS), &block))
		block = 0;
	if (variant->ext == RVHV_RISCV_ISA_EXT_ZICBOP) {
		block = vcpu_get_reg(self->vcpu, RISCV_REG(KVM_REG_RISCV_CONFIG,
				     RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE));
		EXPECT_NE(0, block);
		EXPECT_EQ(0, block & (block - 1));
	}
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
		RVHV_RISCV_ISA_EXT_SVADE, RVHV_RISCV_ISA_EXT_SVVPTC,
		RVHV_RISCV_ISA_EXT_ZABHA, RVHV_RISCV_ISA_EXT_ZICCRSE,
		RVHV_RISCV_ISA_EXT_ZAAMO, RVHV_RISCV_ISA_EXT_ZALRSC,
		RVHV_RISCV_ISA_EXT_ZICBOP, RVHV_RISCV_ISA_EXT_ZFBFMIN,
		RVHV_RISCV_ISA_EXT_ZVFBFMIN, RVHV_RISCV_ISA_EXT_ZVFBFWMA,
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

/*
 * The newer ids: each register that exists is listed by KVM_GET_REG_LIST
 * (an absent one is not), agrees with its bit in ISA_EXT MULTI_EN 1 (ids
 * 64..127), takes its own value back, cannot be turned off where nothing
 * hides it (all but Svadu), cannot be turned on where it is off by default
 * (not offered: Svadu without henvcfg.ADUE or henvcfg), and is locked
 * after the first KVM_RUN; zicbop_block_size takes only its own value;
 * id 127, MULTI register 2 and CONFIG register 8 do not exist.
 */
TEST(new_ids)
{
	static const unsigned long ids[] = {
		RVHV_RISCV_ISA_EXT_SVADE, RVHV_RISCV_ISA_EXT_SVADU,
		RVHV_RISCV_ISA_EXT_SVVPTC, RVHV_RISCV_ISA_EXT_ZABHA,
		RVHV_RISCV_ISA_EXT_ZICCRSE, RVHV_RISCV_ISA_EXT_ZAAMO,
		RVHV_RISCV_ISA_EXT_ZALRSC, RVHV_RISCV_ISA_EXT_ZICBOP,
		RVHV_RISCV_ISA_EXT_ZFBFMIN, RVHV_RISCV_ISA_EXT_ZVFBFMIN,
		RVHV_RISCV_ISA_EXT_ZVFBFWMA,
	};
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	uint64_t v, en = 0, *list, zero = 0, one = 1;
	uint64_t cbop = RISCV_REG(KVM_REG_RISCV_CONFIG,
				  RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE);
	bool any = false, has[sizeof(ids) / sizeof(ids[0])];
	unsigned int i;
	int n, r;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		has[i] = !vcpu_get_reg_try(vcpu, RISCV_ISA_EXT_REG(ids[i]), &v);
		any |= has[i];
	}
	if (!any) {
		vcpu_free(vcpu);
		vm_free(vm);
		SKIP(return, "none of them on this host");
	}
	r = vcpu_get_reg_try(vcpu, RISCV_REG(KVM_REG_RISCV_ISA_EXT |
					     KVM_REG_RISCV_ISA_MULTI_EN, 1),
			     &en);
	n = vcpu_get_reg_list(vcpu, &list);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint64_t id = RISCV_ISA_EXT_REG(ids[i]);

		EXPECT_EQ(has[i], reg_list_has(list, n, id)) TH_LOG("ext %lu", ids[i]);
		if (!has[i])
			continue;
		v = vcpu_get_reg(vcpu, id);
		TH_LOG("ISA_EXT %lu = %llu", ids[i], (unsigned long long)v);
		EXPECT_EQ(0, r);
		EXPECT_EQ(v, (en >> (ids[i] - 64)) & 1) TH_LOG("ext %lu", ids[i]);
		EXPECT_EQ(0, vcpu_set_reg_try(vcpu, id, &v));
		if (v && ids[i] != RVHV_RISCV_ISA_EXT_SVADU)
			EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, id, &zero))
				TH_LOG("ext %lu", ids[i]);
		/* Off by default: not offered here, so it cannot be on. */
		if (!v)
			EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, id, &one))
				TH_LOG("ext %lu", ids[i]);
	}
	/* zicbop_block_size is there exactly while the vCPU has Zicbop. */
	EXPECT_EQ(reg_list_has(list, n, cbop),
		  !vcpu_get_reg_try(vcpu, cbop, &v));
	free(list);
	if (!vcpu_get_reg_try(vcpu, cbop, &v)) {
		EXPECT_EQ(0, vcpu_set_reg_try(vcpu, cbop, &v));
		v *= 2;
		EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, cbop, &v));
	}
	/* Past the last id, and past MULTI register 1: no register. */
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(vcpu, RISCV_ISA_EXT_REG(127), &v));
	EXPECT_EQ(-ENOENT, vcpu_set_reg_try(vcpu, RISCV_ISA_EXT_REG(127),
					    &one));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(vcpu,
		  RISCV_REG(KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_EN,
			    2), &v));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(vcpu, RISCV_REG(KVM_REG_RISCV_CONFIG,
		  RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE + 1), &v));

	vcpu_start(vcpu, GUEST_FN(guest_isa), 0, 0);
	EXPECT_EQ(0, vcpu_run_to_done(vcpu));
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint64_t id = RISCV_ISA_EXT_REG(ids[i]);

		if (!has[i])
			continue;
		v = vcpu_get_reg(vcpu, id);
		EXPECT_EQ(0, vcpu_set_reg_try(vcpu, id, &v));
		EXPECT_EQ(-EBUSY, vcpu_set_reg_try(vcpu, id, v ? &zero : &one))
			TH_LOG("ext %lu", ids[i]);
	}
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
