// SPDX-License-Identifier: GPL-2.0
/*
 * Host variants QEMU cannot emulate with the H extension, forced through
 * rvhv's debug module parameters.  debug_no_envcfg: a hart of privileged
 * spec 1.11 (the SiFive P550) has neither henvcfg nor senvcfg; rvhv must
 * not touch them (it probes henvcfg at load), offer no Sstc, Svpbmt,
 * Zicbom or Zicboz (henvcfg bits), and leave senvcfg out of the world
 * switch.  Also, with the default load: the guest's senvcfg is its own
 * and the host's is back after every exit.  rvhv only (module
 * parameters); leaves rvhv loaded with default parameters (unless the
 * boot's $RVHV_MODPARAMS says otherwise).
 */
#define _GNU_SOURCE
#include <sched.h>

#include "kselftest_harness.h"
#include "smp_lib.h"

#define NO_ENVCFG_PARAM	"/sys/module/rvhv/parameters/debug_no_envcfg"
#define SENVCFG_FIOM	1UL	/* always writable */

static int reload_rvhv(const char *params)
{
	int ret = rvhv_unload_module("rvhv");

	if (ret && ret != -ENOENT)
		return ret;
	return rvhv_load_module(RVHV_KO, params);
}

/* senvcfg of cpu0 as rvhv's debugfs reads it now, or -1. */
static long cpu0_senvcfg(void)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "cpus");
	const char *p = txt ? strstr(txt, "cpu0 ") : NULL;

	p = p ? strstr(p, " senvcfg=") : NULL;
	return p ? strtol(p + strlen(" senvcfg="), NULL, 0) : -1;
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

FIXTURE(hostvar) {
	struct smp_vm s;
	bool made;
};

FIXTURE_VARIANT(hostvar) {
	const char *params;
};

/*
 * Variants run in this order: the default load last, so the program ends
 * with rvhv as the other programs expect it.
 */
FIXTURE_VARIANT_ADD(hostvar, no_envcfg) {
	.params = "debug_no_envcfg=1",
};

FIXTURE_VARIANT_ADD(hostvar, envcfg) {
	.params = "",
};

/* rvhv loaded with debug_no_envcfg? */
static bool no_envcfg_loaded(void)
{
	const char *p = rvhv_read_file(NO_ENVCFG_PARAM);

	return p && p[0] == 'Y';
}

/*
 * Each variant's tests run in a row: rvhv is reloaded only when the
 * parameter changes.
 */
FIXTURE_SETUP(hostvar)
{
	bool forced = *variant->params;

	self->made = false;
	if (dev_is_kvm())
		SKIP(return, "debug_no_envcfg is a parameter of rvhv.ko");
	if (!forced && getenv("RVHV_MODPARAMS") &&
	    strstr(getenv("RVHV_MODPARAMS"), "debug_no_envcfg=1"))
		SKIP(return, "this boot's rvhv has debug_no_envcfg=1");
	if (access(NO_ENVCFG_PARAM, R_OK) || no_envcfg_loaded() != forced)
		ASSERT_EQ(0, reload_rvhv(variant->params));
	vm_watchdog(60);
	smp_vm_create(&self->s, 1);
	self->made = true;
	pin_cpu0();
}

FIXTURE_TEARDOWN(hostvar)
{
	unpin();
	if (self->made)
		smp_vm_free(&self->s);
}

/* What rvhv reports: the ENVCFG feature, the parameter, debugfs. */
TEST_F(hostvar, features)
{
	bool forced = *variant->params;
	struct rvhv_host_features f;
	const char *txt;
	int fd = open("/dev/rvhv", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, RVHV_GET_HOST_FEATURES, &f));
	close(fd);
	/* QEMU's harts are of privileged spec 1.12 or later. */
	EXPECT_EQ(!forced, !!(f.flags & RVHV_HOST_ENVCFG));
	txt = rvhv_read_file(NO_ENVCFG_PARAM);
	ASSERT_NE(NULL, txt);
	EXPECT_EQ(forced ? 'Y' : 'N', txt[0]);
	txt = rvhv_read_file(RVHV_DEBUGFS "features");
	ASSERT_NE(NULL, txt);
	EXPECT_EQ(!forced, strstr(txt, " envcfg") != NULL);
}

/*
 * The guest's ISA: without henvcfg no Sstc (STCE), Svpbmt (PBMTE),
 * Zicbom (CBIE, CBCFE) or Zicboz (CBZE), and they cannot be turned on.
 */
TEST_F(hostvar, isa)
{
	static const uint64_t exts[] = { KVM_RISCV_ISA_EXT_SVPBMT,
					 KVM_RISCV_ISA_EXT_ZICBOM,
					 KVM_RISCV_ISA_EXT_ZICBOZ };
	struct vcpu *vcpu = self->s.vcpu[0];
	bool forced = *variant->params;
	uint64_t v, one = 1;
	size_t i;

	if (forced)
		EXPECT_FALSE(vcpu_has_sstc(vcpu));
	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		v = 0;
		if (vcpu_get_reg_try(vcpu, RISCV_ISA_EXT_REG(exts[i]), &v))
			continue;	/* not on this host at all */
		TH_LOG("ISA_EXT %lu: %lu", (unsigned long)exts[i],
		       (unsigned long)v);
		if (!forced)
			continue;
		EXPECT_EQ(0, v);
		EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu,
				RISCV_ISA_EXT_REG(exts[i]), &one));
	}
}

/*
 * The guest writes senvcfg.FIOM (VS-mode reaches the real senvcfg): the
 * host's senvcfg is the same after the exit.  With henvcfg the guest's
 * value is its own (ONE_REG reads it back); without, rvhv does not
 * switch it (on real 1.11 hardware there is none) and ONE_REG keeps what
 * the VMM wrote.
 */
TEST_F(hostvar, senvcfg_stays_the_hosts)
{
	struct vcpu *vcpu = self->s.vcpu[0];
	bool forced = *variant->params;
	long before, after;
	uint64_t reg;

	before = cpu0_senvcfg();
	ASSERT_LE(0, before);
	vcpu_start(vcpu, GUEST_FN(guest_senvcfg_write), SENVCFG_FIOM, 0);
	EXPECT_EQ(SENVCFG_FIOM, vcpu_run_to_done(vcpu));
	after = cpu0_senvcfg();
	TH_LOG("host senvcfg %#lx before, %#lx after", before, after);
	EXPECT_EQ(before, after);
	reg = vcpu_get_reg(vcpu, RISCV_CSR_REG(senvcfg));
	EXPECT_EQ(forced ? 0 : SENVCFG_FIOM, reg);
}

/* Without Sstc the guest's timer is SBI set_timer (an hrtimer): ticks. */
TEST_F(hostvar, sbi_timer_ticks)
{
	struct smp_vm *s = &self->s;
	const unsigned long n = 3;

	s->sh->arg[0] = 10;	/* ms apart */
	s->sh->arg[1] = 1;	/* in WFI */
	vcpu_start(s->vcpu[0], GUEST_FN(guest_timer_ticks), TMODE_SBI, n);
	vcpu_run_to_done(s->vcpu[0]);
	EXPECT_EQ(n, s->sh->sti[0]);
	EXPECT_EQ(0, s->sh->sti_early[0]);
}

TEST_HARNESS_MAIN
