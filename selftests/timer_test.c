// SPDX-License-Identifier: GPL-2.0
/*
 * The guest timer: Sstc (the guest writes stimecmp itself), SBI TIME
 * set_timer, legacy v0.1 set_timer; interrupts on time whether the vCPU
 * spins in the guest, sleeps in WFI (using no CPU) or is outside KVM_RUN;
 * ONE_REG TIMER time/compare/state carrying a running timer to another
 * VM.  Each test runs twice: with the module as loaded, and (rvhv only)
 * with rvhv reloaded with sstc=0, where the timer is an hrtimer raising
 * VSTIP.  The sstc_off tests come after the default ones and share one
 * reload (a load and an unload cost about a second under TCG): the
 * first reloads, the program reloads rvhv as it was at its end.  The
 * guest side is guest/timer.c.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "kselftest_harness.h"
#include "smp_lib.h"

#define SSTC_PARAM	"/sys/module/rvhv/parameters/sstc"

static int reload_rvhv(const char *params)
{
	int ret = rvhv_unload_module("rvhv");

	if (ret && ret != -ENOENT)
		return ret;
	return rvhv_load_module(RVHV_KO, params);
}

/* rvhv loaded with sstc=0? */
static bool rvhv_sstc_off(void)
{
	const char *p = rvhv_read_file(SSTC_PARAM);

	return p && p[0] == 'N';
}

FIXTURE(timer) {
	struct smp_vm s;
};

/* Back to rvhv as loaded, after the last test (in the harness's process). */
static void __attribute__((destructor)) timer_reload_default(void)
{
	if (!dev_is_kvm() && rvhv_sstc_off() && reload_rvhv("")) {
		fprintf(stderr, "# reloading rvhv without sstc=0 failed\n");
		_exit(1);
	}
}

FIXTURE_VARIANT(timer) {
	bool sstc_off;
};

FIXTURE_VARIANT_ADD(timer, default) {
	.sstc_off = false,
};

FIXTURE_VARIANT_ADD(timer, sstc_off) {
	.sstc_off = true,
};

FIXTURE_SETUP(timer)
{
	memset(&self->s, 0, sizeof(self->s));
	if (variant->sstc_off) {
		struct rvhv_host_features f = { 0 };
		int fd;

		if (dev_is_kvm())
			SKIP(return, "sstc=0 is a parameter of rvhv.ko");
		/* Without Sstc on the host, the default variant is this one. */
		fd = rvhv_open_dev(O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioctl(fd, RVHV_GET_HOST_FEATURES, &f));
		close(fd);
		if (!(f.flags & RVHV_HOST_SSTC))
			SKIP(return, "no Sstc on the host: the default variant ran this");
		/* Without Sstc for guests the Sstc cases skip: not worth a reload. */
		if (!strncmp(_metadata->name, "sstc_", 5) &&
		    strcmp(_metadata->name, "sstc_offered"))
			SKIP(return, "no Sstc for guests with sstc=0");
		if (!rvhv_sstc_off())
			ASSERT_EQ(0, reload_rvhv("sstc=0"));
		ASSERT_TRUE(rvhv_sstc_off());
	} else if (!dev_is_kvm() && rvhv_sstc_off()) {
		ASSERT_EQ(0, reload_rvhv(""));	/* an sstc_off test ran first */
	}
	vm_watchdog(100);
	smp_vm_create(&self->s, 1);
}

FIXTURE_TEARDOWN(timer)
{
	smp_vm_free(&self->s);
}

/* May this guest use the mode?  (SKIPs the test if not.) */
static bool mode_ok(struct __test_metadata *_metadata, struct smp_vm *s,
		    unsigned long mode)
{
	if (mode == TMODE_SSTC && !vcpu_has_sstc(s->vcpu[0])) {
		SKIP(return false, "the guest has no Sstc");
	}
	if (mode == TMODE_LEGACY && dev_is_kvm()) {
		/* The test kernel's kvm.ko has no CONFIG_RISCV_SBI_V01. */
		SKIP(return false, "kvm.ko has no SBI v0.1");
	}
	return true;
}

/*
 * Sstc: the guest owns stimecmp (no trap).  With sstc=0 rvhv must not
 * offer Sstc to guests at all: the guest's vstimecmp would not be
 * switched.
 */
TEST_F(timer, sstc_offered)
{
	struct smp_vm *s = &self->s;

	if (variant->sstc_off) {
		EXPECT_FALSE(vcpu_has_sstc(s->vcpu[0]));
		return;
	}
	if (!vcpu_has_sstc(s->vcpu[0]))
		SKIP(return, "the guest has no Sstc");
	vcpu_start(s->vcpu[0], GUEST_FN(guest_stimecmp_rw), 0x123456789UL, 0);
	EXPECT_EQ(0x123456789UL, vcpu_run_to_done(s->vcpu[0]));
}

/*
 * n interrupts period_ms apart, each programmed from the last one's
 * handler (the n-th arms none): exactly n, none early, n periods at
 * least, and none more than 5 s late (a generous bound: QEMU on a busy
 * machine stalls a vCPU for tens of milliseconds, and the test must hold
 * there for rvhv and kvm.ko alike).
 */
static void kick(int sig)
{
}

/*
 * Run the vCPU to UCALL_DONE, signalled every KICK_S seconds (KVM_RUN
 * returns -EINTR and is called again); returns the DONE value.  *stalls
 * counts the periods in which no tick came.  kvm.ko 6.12 under QEMU 7.2
 * twice lost the SBI timer's interrupt of a spinning guest under load
 * (timer_test@kvm sbi_ticks_spin ran into the harness's timeout): there a
 * stall is logged and the re-entry after the signal delivers it; on rvhv
 * a stall fails the test (no tick in 5 s is the lateness bound anyway).
 */
#define KICK_S	5
static unsigned long run_kicked(struct smp_vm *s, unsigned int *stalls)
{
	struct itimerval it = { { KICK_S, 0 }, { KICK_S, 0 } };
	struct sigaction sa = { .sa_handler = kick };
	struct itimerval off = { 0 };
	unsigned long last = 0;
	struct ucall uc;
	int r;

	*stalls = 0;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		r = vcpu_ucall_try(s->vcpu[0], &uc);
		if (r == -EINTR) {
			if (s->sh->sti[0] == last)
				(*stalls)++;
			last = s->sh->sti[0];
			continue;
		}
		if (r < 0)
			vcpu_fail(s->vcpu[0], "KVM_RUN: %s", strerror(-r));
		if (r > 0)
			vcpu_fail(s->vcpu[0], "unexpected exit %s",
				  exit_reason_str(s->vcpu[0]->run->exit_reason));
		if (uc.fid == UCALL_DONE)
			break;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	return uc.args[0];
}

/*
 * n ticks, each period_ticks apart plus a pseudo-random 0 to jitter - 1
 * more (guest_timer_ticks()), sleeping in WFI or spinning: all delivered,
 * none early, none stalled (on kvm.ko early ticks and stalls are logged:
 * see run_kicked() and below), none 5 s late.
 */
static void run_ticks(struct __test_metadata *_metadata, struct smp_vm *s,
		      unsigned long mode, bool use_wfi, unsigned long n,
		      unsigned long period_ticks, unsigned long jitter)
{
	unsigned int stalls;
	unsigned long took;

	s->sh->arg[0] = 0;
	s->sh->arg[1] = use_wfi;
	s->sh->arg[2] = period_ticks;
	s->sh->arg[3] = jitter;
	vcpu_start(s->vcpu[0], GUEST_FN(guest_timer_ticks), mode, n);
	took = run_kicked(s, &stalls);
	if (stalls && dev_is_kvm())
		TH_LOG("kvm.ko: %u periods of %u s without a tick", stalls,
		       KICK_S);
	else
		EXPECT_EQ(0, stalls);
	/*
	 * kvm.ko 6.12's SBI timer on an Sstc host also once raised a tick
	 * before its deadline (a fresh-clone CI run, 2026-12-02), as make
	 * bench's timer row saw one interrupt more than it armed: the
	 * reference's, logged; on rvhv none may come early.
	 */
	if (s->sh->sti_early[0] && dev_is_kvm())
		TH_LOG("kvm.ko: %lu ticks before their deadline",
		       s->sh->sti_early[0]);
	else
		EXPECT_EQ(0, s->sh->sti_early[0]);
	TH_LOG("%lu ticks (%lu early) in %lu us, worst %lu us late",
	       s->sh->sti[0], s->sh->sti_early[0], took * 1000000 / s->freq,
	       s->sh->sti_late_max[0] * 1000000 / s->freq);
	EXPECT_EQ(n, s->sh->sti[0]);
	/* A kvm.ko stall (logged above) holds a tick until the next kick. */
	if (!stalls)
		EXPECT_LT(s->sh->sti_late_max[0], 5 * s->freq);
	/* An early tick shortens the run (kvm.ko only, above). */
	if (!s->sh->sti_early[0])
		EXPECT_GE(took, n * period_ticks);
}

static void ticks(struct __test_metadata *_metadata, struct smp_vm *s,
		  unsigned long mode, bool use_wfi)
{
	/* 10 ticks 10 ms apart. */
	if (mode_ok(_metadata, s, mode))
		run_ticks(_metadata, s, mode, use_wfi, 10, s->freq / 100, 0);
}

TEST_F(timer, sstc_ticks_spin)
{
	if (variant->sstc_off)
		SKIP(return, "no Sstc for guests with sstc=0");
	ticks(_metadata, &self->s, TMODE_SSTC, false);
}

TEST_F(timer, sstc_ticks_wfi)
{
	if (variant->sstc_off)
		SKIP(return, "no Sstc for guests with sstc=0");
	ticks(_metadata, &self->s, TMODE_SSTC, true);
}

TEST_F(timer, sbi_ticks_spin)
{
	ticks(_metadata, &self->s, TMODE_SBI, false);
}

TEST_F(timer, sbi_ticks_wfi)
{
	ticks(_metadata, &self->s, TMODE_SBI, true);
}

TEST_F(timer, legacy_ticks_wfi)
{
	ticks(_metadata, &self->s, TMODE_LEGACY, true);
}

/*
 * Many short sleeps in WFI (1000 interrupts 20 to 420 us apart, varied so
 * that some deadlines pass while the vCPU is on its way to block), in a
 * VM whose time is offset from the host's: each time, its wakeup timer
 * fires about when the hart raises VSTIP.  With Sstc the hart may show
 * VSTIP only "eventually": rvhv before 2026-12-02 looked at VSTIP alone,
 * and a Linux guest's vCPU 0 woken by its timer slept again for good in
 * migrate_test under QEMU 10 (3 runs in 14).  This stress did not catch
 * that on the old module (6 runs under QEMU 10); it holds the wakeup path
 * to no stall (run_kicked()) and every tick delivered.
 */
static void short_waits(struct __test_metadata *_metadata, struct smp_vm *s,
			unsigned long mode)
{
	if (!mode_ok(_metadata, s, mode))
		return;
	/*
	 * Guest time 100 s behind the host's, as in a VM restored from a
	 * save (a non-zero htimedelta): where the lost wakeups were seen.
	 */
	vcpu_set_reg(s->vcpu[0], RISCV_TIMER_REG(time),
		     vcpu_get_reg(s->vcpu[0], RISCV_TIMER_REG(time)) -
		     100 * s->freq);
	run_ticks(_metadata, s, mode, true, 1000, s->freq / 50000,
		  s->freq / 2500);
}

TEST_F(timer, sstc_wfi_short_waits)
{
	if (variant->sstc_off)
		SKIP(return, "no Sstc for guests with sstc=0");
	short_waits(_metadata, &self->s, TMODE_SSTC);
}

TEST_F(timer, sbi_wfi_short_waits)
{
	short_waits(_metadata, &self->s, TMODE_SBI);
}

/*
 * One interrupt 2 s ahead, the vCPU in WFI meanwhile: it wakes on time
 * and, over a second in the middle of the wait, its thread used (almost)
 * no CPU: it blocked, it did not spin.  (The CPU time of the whole run
 * would count the guest's own start-up too, which a busy machine
 * stretches far past the limit.)
 */
static void wfi_sleeps(struct __test_metadata *_metadata, struct smp_vm *s,
		       unsigned long mode)
{
	struct vcpu_thread *t = &s->thr[0];
	unsigned long took;
	uint64_t ns;

	if (!mode_ok(_metadata, s, mode))
		return;
	s->sh->arg[0] = 2000;
	s->sh->arg[1] = 1;
	vcpu_start(s->vcpu[0], GUEST_FN(guest_timer_ticks), mode, 1);
	vcpu_thread_start(t, s->vcpu[0]);
	usleep(500000);
	ns = cpu_ns_over(t->thr, 1000);
	took = vcpu_thread_join(t, 60);
	TH_LOG("1 s of a 2 s WFI: %llu us of CPU; woke after %lu us",
	       (unsigned long long)ns / 1000, took * 1000000 / s->freq);
	EXPECT_LT(ns, IDLE_CPU_MAX_NS);
	EXPECT_GE(took, 2 * s->freq);
	EXPECT_LT(took, 7 * s->freq);	/* generous: a busy machine */
	EXPECT_EQ(0, s->sh->sti_early[0]);
}

TEST_F(timer, sstc_wfi_sleeps)
{
	if (variant->sstc_off)
		SKIP(return, "no Sstc for guests with sstc=0");
	wfi_sleeps(_metadata, &self->s, TMODE_SSTC);
}

TEST_F(timer, sbi_wfi_sleeps)
{
	wfi_sleeps(_metadata, &self->s, TMODE_SBI);
}

/* The deadline passes while the vCPU is outside KVM_RUN. */
static void outside(struct __test_metadata *_metadata, struct smp_vm *s,
		    unsigned long mode)
{
	struct ucall uc;

	if (!mode_ok(_metadata, s, mode))
		return;
	s->sh->arg[0] = 50;
	vcpu_start(s->vcpu[0], GUEST_FN(guest_timer_outside), mode, 0);
	vcpu_expect_ucall(s->vcpu[0], UCALL_SYNC, &uc);
	usleep(300000);
	vcpu_expect_ucall(s->vcpu[0], UCALL_REPORT, &uc);
	EXPECT_EQ(1, uc.args[1]);	/* pending: taken at once */
	EXPECT_LT(uc.args[2], (unsigned long)-1 / 2);	/* not early */
	EXPECT_EQ(0, vcpu_run_to_done(s->vcpu[0]));
}

TEST_F(timer, sstc_fires_outside_run)
{
	if (variant->sstc_off)
		SKIP(return, "no Sstc for guests with sstc=0");
	outside(_metadata, &self->s, TMODE_SSTC);
}

TEST_F(timer, sbi_fires_outside_run)
{
	outside(_metadata, &self->s, TMODE_SBI);
}

/*
 * ONE_REG TIMER carries a running timer to another VM (as a VMM's
 * migration does): the guest arms it 300 ms ahead and leaves; the VMM
 * reads time, compare and state, gives them to a new VM's vCPU (whose
 * own clock started at 0) and runs it: the guest's clock continues from
 * the saved time and the interrupt comes at the deadline, not before.
 * compare reads the deadline (kvm.ko: the SBI set_timer value, or
 * vstimecmp with Sstc).  state: with Sstc kvm.ko reads OFF unless the
 * vCPU is blocked; without Sstc an armed timer reads ON.
 */
static void save_restore(struct __test_metadata *_metadata, struct smp_vm *s,
			 unsigned long mode, bool sstc_off)
{
	const uint64_t base = 1ULL << 40;
	struct smp_vm d;
	struct ucall uc;
	uint64_t deadline, t, cmp, state;

	if (!mode_ok(_metadata, s, mode))
		return;
	vcpu_set_reg(s->vcpu[0], RISCV_TIMER_REG(time), base);
	vcpu_start(s->vcpu[0], GUEST_FN(guest_timer_save), mode,
		   s->freq * 3 / 10);
	vcpu_expect_ucall(s->vcpu[0], UCALL_REPORT, &uc);
	deadline = uc.args[1];
	vcpu_expect_ucall(s->vcpu[0], UCALL_SYNC, &uc);
	t = vcpu_get_reg(s->vcpu[0], RISCV_TIMER_REG(time));
	cmp = vcpu_get_reg(s->vcpu[0], RISCV_TIMER_REG(compare));
	state = vcpu_get_reg(s->vcpu[0], RISCV_TIMER_REG(state));
	TH_LOG("time 0x%llx compare 0x%llx (deadline 0x%llx) state %llu",
	       (unsigned long long)t, (unsigned long long)cmp,
	       (unsigned long long)deadline, (unsigned long long)state);
	EXPECT_GE(t, base);
	EXPECT_LT(t, deadline);
	EXPECT_EQ(deadline, cmp);
	if (sstc_off)
		EXPECT_EQ(KVM_RISCV_TIMER_STATE_ON, state);

	smp_vm_create(&d, 1);
	vcpu_start(d.vcpu[0], GUEST_FN(guest_timer_restored), mode, deadline);
	vcpu_set_reg(d.vcpu[0], RISCV_TIMER_REG(time), t);
	vcpu_set_reg(d.vcpu[0], RISCV_TIMER_REG(compare), cmp);
	if (state == KVM_RISCV_TIMER_STATE_ON)
		vcpu_set_reg(d.vcpu[0], RISCV_TIMER_REG(state), state);
	vcpu_expect_ucall(d.vcpu[0], UCALL_REPORT, &uc);
	TH_LOG("restored: clock 0x%lx, interrupt at 0x%lx", uc.args[1],
	       uc.args[2]);
	EXPECT_GE(uc.args[1], t);
	EXPECT_LT(uc.args[1], t + 10 * s->freq);
	EXPECT_GE(uc.args[2], deadline);
	EXPECT_LT(uc.args[2], deadline + 2 * s->freq);
	EXPECT_EQ(0, vcpu_run_to_done(d.vcpu[0]));	/* none early */
	smp_vm_free(&d);
}

TEST_F(timer, sstc_save_restore)
{
	if (variant->sstc_off)
		SKIP(return, "no Sstc for guests with sstc=0");
	save_restore(_metadata, &self->s, TMODE_SSTC, false);
}

TEST_F(timer, sbi_save_restore)
{
	save_restore(_metadata, &self->s, TMODE_SBI,
		     variant->sstc_off || !vcpu_has_sstc(self->s.vcpu[0]));
}

/*
 * A test that died with rvhv loaded with sstc=0 did not reload it: the
 * harness' own process (which holds no fd) puts the defaults back.
 */
static pid_t main_pid;

static void __attribute__((constructor)) note_pid(void)
{
	main_pid = getpid();
}

static void __attribute__((destructor)) module_defaults(void)
{
	if (getpid() == main_pid && !dev_is_kvm() && rvhv_sstc_off())
		reload_rvhv("");
}

TEST_HARNESS_MAIN
