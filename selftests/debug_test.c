// SPDX-License-Identifier: GPL-2.0
/*
 * debug_test: guest debugging.
 *
 * KVM_SET_GUEST_DEBUG (vcpu/debug.c), on rvhv and kvm.ko: with
 * KVM_GUESTDBG_ENABLE a guest ebreak or c.ebreak ends KVM_RUN with
 * KVM_EXIT_DEBUG, the pc at the instruction; the VMM moves the pc on and
 * the guest continues.  Disabled, the guest's own trap handler takes its
 * breakpoints (scause 3).  Per vCPU; set from another thread while the
 * vCPU runs, it waits for that KVM_RUN and applies from the next entry.
 * Control bits rvhv does not implement get -EINVAL (kvm.ko accepts and
 * ignores them).
 *
 * The guest is guest/debug.c: guest_dbg_site holds an ebreak at
 * guest_dbg_e4 and a c.ebreak at guest_dbg_e2.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define E4	GUEST_FN(guest_dbg_e4)
#define E2	GUEST_FN(guest_dbg_e2)
#define EXC_BREAKPOINT	3

static int set_debug(struct vcpu *vcpu, uint32_t control)
{
	struct kvm_guest_debug dbg = { .control = control };

	return ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) ? -errno : 0;
}

/* One KVM_RUN that must end in KVM_EXIT_DEBUG; returns the pc. */
static uint64_t run_to_debug(struct vcpu *vcpu)
{
	struct ucall uc;
	int r = vcpu_ucall_try(vcpu, &uc);

	if (r < 0)
		vcpu_fail(vcpu, "KVM_RUN: %s (a KVM_EXIT_DEBUG expected)",
			  strerror(-r));
	if (r == 0)
		vcpu_fail(vcpu, "ucall %lu (a0 %lu) where a KVM_EXIT_DEBUG was expected",
			  uc.fid, uc.args[0]);
	if (vcpu->run->exit_reason != KVM_EXIT_DEBUG)
		vcpu_fail(vcpu, "exit %s where KVM_EXIT_DEBUG was expected",
			  exit_reason_str(vcpu->run->exit_reason));
	return vcpu_get_reg(vcpu, CORE_PC);
}

/* As the VMM does after a breakpoint of its own: skip the instruction. */
static void skip(struct vcpu *vcpu, uint64_t len)
{
	vcpu_set_reg(vcpu, CORE_PC, vcpu_get_reg(vcpu, CORE_PC) + len);
}

/* The guest's report of one pass over the site (guest_dbg_bps). */
static void expect_pass(struct __test_metadata *_metadata,
			struct vcpu *vcpu, unsigned long round,
			unsigned long own, unsigned long last_epc)
{
	struct ucall uc;

	vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(round, uc.args[0]);
	EXPECT_EQ(2 * (round + 1), uc.args[1]) TH_LOG("round %lu", round);
	EXPECT_EQ(own, uc.args[2]) TH_LOG("round %lu: own traps", round);
	if (own) {
		EXPECT_EQ(EXC_BREAKPOINT, uc.args[3]);
		EXPECT_EQ(last_epc, uc.args[4]);
	}
}

/* Both devices claim the ioctl; only rvhv lists its control bits. */
TEST(capability)
{
	struct vm *vm = vm_create_empty();
	long dbg2 = dev_is_kvm() ? 0 : KVM_GUESTDBG_ENABLE;

	EXPECT_EQ(1, ioctl(vm->dev_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_SET_GUEST_DEBUG));
	EXPECT_EQ(1, ioctl(vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_SET_GUEST_DEBUG));
	EXPECT_EQ(dbg2, ioctl(vm->dev_fd, KVM_CHECK_EXTENSION,
			      KVM_CAP_SET_GUEST_DEBUG2));
	EXPECT_EQ(dbg2, ioctl(vm->fd, KVM_CHECK_EXTENSION,
			      KVM_CAP_SET_GUEST_DEBUG2));
	vm_free(vm);
}

/*
 * Enabled: each ebreak and c.ebreak is a KVM_EXIT_DEBUG at its address;
 * re-entering without moving the pc executes it again; the VMM skips it
 * and the guest goes on, its own handler never called.
 */
TEST(ebreak_exits)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	unsigned long round;

	ASSERT_EQ(0, set_debug(vcpu, KVM_GUESTDBG_ENABLE));
	vcpu_start(vcpu, GUEST_FN(guest_dbg_bps), 2, 0);
	for (round = 0; round < 2; round++) {
		EXPECT_EQ(E4, run_to_debug(vcpu));
		/* The pc stays at the ebreak: the same exit again. */
		EXPECT_EQ(E4, run_to_debug(vcpu));
		skip(vcpu, 4);
		EXPECT_EQ(E2, run_to_debug(vcpu));
		skip(vcpu, 2);
		expect_pass(_metadata, vcpu, round, 0, 0);
	}
	EXPECT_EQ(4, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * Disabled again (control 0) at a KVM_EXIT_DEBUG, the same ebreak goes to
 * the guest's own trap handler (scause 3, sepc at it), and so does the
 * c.ebreak after it; enabled again, they exit again.
 */
TEST(disable_gives_guest_its_ebreak)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);

	ASSERT_EQ(0, set_debug(vcpu, KVM_GUESTDBG_ENABLE));
	vcpu_start(vcpu, GUEST_FN(guest_dbg_bps), 3, 0);
	EXPECT_EQ(E4, run_to_debug(vcpu));
	ASSERT_EQ(0, set_debug(vcpu, 0));
	expect_pass(_metadata, vcpu, 0, 2, E2);

	ASSERT_EQ(0, set_debug(vcpu, KVM_GUESTDBG_ENABLE));
	EXPECT_EQ(E4, run_to_debug(vcpu));
	skip(vcpu, 4);
	EXPECT_EQ(E2, run_to_debug(vcpu));
	ASSERT_EQ(0, set_debug(vcpu, 0));
	expect_pass(_metadata, vcpu, 1, 3, E2);

	expect_pass(_metadata, vcpu, 2, 5, E2);
	EXPECT_EQ(6, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * Control bits other than KVM_GUESTDBG_ENABLE: rvhv has no single-step
 * and no hardware breakpoints and says so (-EINVAL, the state stays as it
 * was); kvm.ko takes any value and acts on ENABLE alone.  Either way a
 * "single-step" run goes to the next breakpoint.  A bad pointer is
 * -EFAULT, pad is ignored.
 */
TEST(bad_flags)
{
	static const uint32_t bad[] = {
		KVM_GUESTDBG_SINGLESTEP,
		KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
		0x00010000,	/* USE_SW_BP on x86 and arm64 */
		KVM_GUESTDBG_ENABLE | 0x00020000,	/* USE_HW(_BP) */
		0x80000000,
		0xffffffff,
	};
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE,
				       .pad = 0xdeadbeef };
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	bool kvm = dev_is_kvm();
	size_t i;
	int want;

	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));

	/* Enabled; nothing rejected changes that. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		want = kvm ? 0 : -EINVAL;
		EXPECT_EQ(want, set_debug(vcpu, bad[i]))
			TH_LOG("control 0x%x", bad[i]);
		/* kvm.ko took it: enable again (a no-op on rvhv). */
		if (kvm)
			ASSERT_EQ(0, set_debug(vcpu, bad[i] |
						     KVM_GUESTDBG_ENABLE));
	}
	if (kvm)
		TH_LOG("kvm.ko accepts every control value (rvhv: -EINVAL but for ENABLE)");
	vcpu_start(vcpu, GUEST_FN(guest_dbg_bps), 2, 0);
	/* No single-step: the first exit is the breakpoint. */
	EXPECT_EQ(E4, run_to_debug(vcpu));
	skip(vcpu, 4);
	EXPECT_EQ(E2, run_to_debug(vcpu));
	skip(vcpu, 2);
	expect_pass(_metadata, vcpu, 0, 0, 0);

	/* Disabled; on rvhv, nothing rejected turns it on. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	for (i = 0; i < ARRAY_SIZE(bad) && !kvm; i++)
		EXPECT_EQ(-EINVAL, set_debug(vcpu, bad[i]))
			TH_LOG("control 0x%x", bad[i]);
	if (kvm)
		ASSERT_EQ(0, set_debug(vcpu, KVM_GUESTDBG_SINGLESTEP));
	expect_pass(_metadata, vcpu, 1, 2, E2);
	EXPECT_EQ(4, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

static void pin_to_cpu0(struct __test_metadata *_metadata)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
}

/* rvhv's debugfs: cpu0's live hedeleg, and the value rvhv programs. */
static long debugfs_hedeleg(const char *key)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "cpus");
	const char *p = txt ? strstr(txt, key) : NULL;

	p = p ? strstr(p, "hedeleg=") : NULL;
	return p ? strtol(p + 8, NULL, 0) : -1;
}

/*
 * Two vCPUs of one VM, run in turn by one thread on one host CPU: only
 * the one with debugging on exits at its breakpoints; the other's go to
 * its guest, in the same hart right after.  Afterwards the hart delegates
 * breakpoints again (rvhv's debugfs shows the live hedeleg).
 */
TEST(per_vcpu)
{
	struct vm *vm = vm_create();
	struct vcpu *v0 = vcpu_create(vm, 0);
	struct vcpu *v1 = vcpu_create(vm, 1);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	unsigned long round;
	long want;

	pin_to_cpu0(_metadata);
	ASSERT_EQ(0, ioctl(v1->fd, KVM_SET_MP_STATE, &mp));
	ASSERT_EQ(0, set_debug(v0, KVM_GUESTDBG_ENABLE));
	vcpu_start(v0, GUEST_FN(guest_dbg_bps), 3, 0);
	vcpu_start(v1, GUEST_FN(guest_dbg_bps), 3, 0);
	/* v1 on its own stack (v0 stops inside the guest function). */
	vcpu_set_reg(v1, CORE_PC, GUEST_FN(guest_dbg_entry1));
	for (round = 0; round < 3; round++) {
		EXPECT_EQ(E4, run_to_debug(v0));
		skip(v0, 4);
		expect_pass(_metadata, v1, round, 2 * (round + 1), E2);
		EXPECT_EQ(E2, run_to_debug(v0));
		skip(v0, 2);
		expect_pass(_metadata, v0, round, 0, 0);
	}
	EXPECT_EQ(6, vcpu_run_to_done(v0));
	EXPECT_EQ(6, vcpu_run_to_done(v1));

	want = debugfs_hedeleg("expected ");
	if (!dev_is_kvm() && want >= 0) {
		EXPECT_EQ(want, debugfs_hedeleg("cpu0 "));
		EXPECT_NE(0, want & (1L << EXC_BREAKPOINT));
	}
	vcpu_free(v1);
	vcpu_free(v0);
	vm_free(vm);
}

struct runner {
	struct vcpu *vcpu;
	volatile int stop;
	volatile int done;	/* 1: KVM_EXIT_DEBUG, -1: anything else */
	volatile int eintr;
};

static void on_sigusr1(int sig)
{
}

/* KVM_RUN until a KVM_EXIT_DEBUG; signals (-EINTR) are retried. */
static void *runner_fn(void *arg)
{
	struct runner *r = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!r->stop) {
		if (vcpu_run_try(r->vcpu) == -EINTR) {
			r->eintr++;
			continue;
		}
		r->done = r->vcpu->run->exit_reason == KVM_EXIT_DEBUG ? 1 : -1;
		break;
	}
	return NULL;
}

struct kicker {
	pthread_t target;
	volatile int stop;
};

static void *kicker_fn(void *arg)
{
	struct kicker *k = arg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (!k->stop) {
		pthread_kill(k->target, SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static bool wait_passes(volatile unsigned long *passes, unsigned long n,
			unsigned int secs)
{
	uint64_t end = now_ns() + secs * 1000000000ULL;

	while (*passes < n)
		if (now_ns() > end)
			return false;
	return true;
}

/*
 * Turned on from another thread while the vCPU runs its guest (which
 * takes its own breakpoints meanwhile): like every vCPU ioctl but
 * KVM_INTERRUPT it waits for the running KVM_RUN, which the VMM ends with
 * a signal, and from the next entry breakpoints exit.  Then off again the
 * same way, and the guest has them back.
 */
TEST(while_running)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	volatile unsigned long *passes = GUEST_DATA_HVA(vm, unsigned long, 0);
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct runner r = { .vcpu = vcpu };
	struct kicker k;
	pthread_t rt, kt;
	sigset_t set;
	uint64_t pc, end;
	unsigned long n;

	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vcpu_start(vcpu, GUEST_FN(guest_dbg_bps), 0, 1);

	ASSERT_EQ(0, pthread_create(&rt, NULL, runner_fn, &r));
	ASSERT_TRUE(wait_passes(passes, 3, 60)) TH_LOG("the guest does not run");
	k.target = rt;
	k.stop = 0;
	ASSERT_EQ(0, pthread_create(&kt, NULL, kicker_fn, &k));
	EXPECT_EQ(0, set_debug(vcpu, KVM_GUESTDBG_ENABLE));
	k.stop = 1;
	pthread_join(kt, NULL);
	end = now_ns() + 60 * 1000000000ULL;
	while (!r.done && now_ns() < end)
		usleep(1000);
	if (!r.done) {
		r.stop = 1;
		vcpu->run->immediate_exit = 1;
		pthread_kill(rt, SIGUSR1);
	}
	pthread_join(rt, NULL);
	vcpu->run->immediate_exit = 0;
	ASSERT_EQ(1, r.done) TH_LOG("no KVM_EXIT_DEBUG after enabling");
	EXPECT_LT(0, r.eintr);
	pc = vcpu_get_reg(vcpu, CORE_PC);
	EXPECT_TRUE(pc == E4 || pc == E2) TH_LOG("pc 0x%llx",
						 (unsigned long long)pc);

	/* Off while it runs (it stops at once here: the pc is at a break). */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	n = *passes;
	r.done = 0;
	ASSERT_EQ(0, pthread_create(&rt, NULL, runner_fn, &r));
	EXPECT_TRUE(wait_passes(passes, n + 3, 60))
		TH_LOG("the guest does not take its breakpoints back");
	EXPECT_EQ(0, r.done);
	r.stop = 1;
	vcpu->run->immediate_exit = 1;
	pthread_kill(rt, SIGUSR1);
	pthread_join(rt, NULL);
	vcpu->run->immediate_exit = 0;
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
