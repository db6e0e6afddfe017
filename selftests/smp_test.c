// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs: SBI HSM (hart start/stop/status/suspend, secondary vCPUs
 * created stopped, KVM_GET/SET_MP_STATE), IPIs, remote fences (SBI 0.2+
 * and legacy v0.1), KVM_INTERRUPT from another thread, WFI that blocks in
 * the host without spinning, vCPUs running in parallel, and a 4-vCPU
 * guest doing all of it with timers.  The guest side is guest/smp.c.
 * Held to kvm.ko; where kvm.ko differs on purpose the test branches on
 * dev_is_kvm() and says why.
 */
#define _GNU_SOURCE
#include <signal.h>

#include "kselftest_harness.h"
#include "smp_lib.h"

FIXTURE(smp) {
	struct smp_vm s;
};

FIXTURE_SETUP(smp)
{
	memset(&self->s, 0, sizeof(self->s));
	vm_watchdog(150);
}

FIXTURE_TEARDOWN(smp)
{
	smp_vm_free(&self->s);
}

/* The main thread runs vCPU 0 to its next ucall, which must be fid. */
static void expect(struct smp_vm *s, unsigned long fid, struct ucall *uc)
{
	vcpu_expect_ucall(s->vcpu[0], fid, uc);
}

/*
 * HSM: vCPU 1 is created stopped and says so (KVM_GET_MP_STATE, and
 * hart_get_status to the guest); hart_start runs it at the given address
 * with a0 = hartid, a1 = opaque; starting a started hart is
 * SBI_ERR_ALREADY_AVAILABLE, a hart id with no vCPU SBI_ERR_INVALID_PARAM;
 * hart_stop stops it (MP state STOPPED) and it can be started again;
 * hart_suspend type 0 sleeps like WFI (SUSPENDED, no CPU used) until an
 * IPI, the non-retentive default is not supported, other types invalid.
 */
TEST_F_TIMEOUT(smp, hsm, 180)
{
	struct smp_vm *s = &self->s;
	struct ucall uc;
	uint64_t ns;

	smp_vm_create(s, 2);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, vcpu_mp_state(s->vcpu[0]));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_mp_state(s->vcpu[1]));
	smp_vm_start_secondaries(s);
	vcpu_start(s->vcpu[0], GUEST_FN(guest_hsm_main), dev_is_kvm(), 0);

	expect(s, UCALL_SYNC, &uc);
	ASSERT_EQ(1, uc.args[0]);
	/* Hart 1 stopped itself: its thread sleeps in KVM_RUN; take it out. */
	vcpu_thread_stop(&s->thr[1]);
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_mp_state(s->vcpu[1]));
	vcpu_thread_start(&s->thr[1], s->vcpu[1]);

	expect(s, UCALL_SYNC, &uc);
	ASSERT_EQ(3, uc.args[0]);
	ns = cpu_ns_over(s->thr[1].thr, 1000);
	TH_LOG("hart 1 in hart_suspend: %llu us of CPU in 1 s",
	       (unsigned long long)ns / 1000);
	EXPECT_LT(ns, IDLE_CPU_MAX_NS);

	expect(s, UCALL_REPORT, &uc);
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(0x5678, uc.args[1]);			/* opaque via smp_start */
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, (long)uc.args[2]); /* non-retentive */
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, (long)uc.args[3]); /* type 1 */
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, (long)uc.args[4]); /* 0x10000000 */
	expect(s, UCALL_REPORT, &uc);
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);		/* retentive suspend returned 0 */
	EXPECT_EQ(2, uc.args[2]);		/* ... woken by the IPI */
	EXPECT_EQ(0, vcpu_run_to_done(s->vcpu[0]));
	EXPECT_EQ(2, s->sh->starts[1]);
	vcpu_thread_stop(&s->thr[1]);
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_mp_state(s->vcpu[1]));
}

static void *kill_after(void *arg)
{
	pthread_t *target = arg;

	usleep(300000);
	pthread_kill(*target, SIGUSR1);
	return NULL;
}

static void nop_handler(int sig)
{
}

/*
 * KVM_SET_MP_STATE: STOPPED makes KVM_RUN sleep (until a signal) without
 * running the guest, RUNNABLE lets it run from its registers; states
 * other than RUNNABLE and STOPPED are -EINVAL.
 */
TEST_F(smp, set_mp_state)
{
	struct smp_vm *s = &self->s;
	struct sigaction sa = { .sa_handler = nop_handler };
	pthread_t self_thr = pthread_self(), thr;

	sigaction(SIGUSR1, &sa, NULL);
	smp_vm_create(s, 2);
	EXPECT_EQ(-EINVAL, vcpu_set_mp_state(s->vcpu[1], 99));
	EXPECT_EQ(-EINVAL, vcpu_set_mp_state(s->vcpu[1], KVM_MP_STATE_HALTED));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_mp_state(s->vcpu[1]));

	/* vCPU 0, stopped by the VMM */
	vcpu_start(s->vcpu[0], GUEST_FN(guest_return), 1, 2);
	ASSERT_EQ(0, vcpu_set_mp_state(s->vcpu[0], KVM_MP_STATE_STOPPED));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_mp_state(s->vcpu[0]));
	ASSERT_EQ(0, pthread_create(&thr, NULL, kill_after, &self_thr));
	EXPECT_EQ(-EINTR, vcpu_run_try(s->vcpu[0]));
	pthread_join(thr, NULL);
	EXPECT_EQ(KVM_EXIT_INTR, s->vcpu[0]->run->exit_reason);
	EXPECT_EQ(GUEST_ENTRY, vcpu_get_reg(s->vcpu[0], CORE_PC));
	ASSERT_EQ(0, vcpu_set_mp_state(s->vcpu[0], KVM_MP_STATE_RUNNABLE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, vcpu_mp_state(s->vcpu[0]));
	EXPECT_EQ(3, vcpu_run_to_done(s->vcpu[0]));

	/* vCPU 1, created stopped, started by the VMM */
	vcpu_start(s->vcpu[1], GUEST_FN(guest_return), 20, 3);
	ASSERT_EQ(0, vcpu_set_mp_state(s->vcpu[1], KVM_MP_STATE_RUNNABLE));
	EXPECT_EQ(23, vcpu_run_to_done(s->vcpu[1]));
}

/*
 * IPI send_ipi: hart_mask/hart_mask_base, base -1 for all (the caller
 * too), VSSIP raised on exactly the targets, a hart in WFI (using no
 * CPU) and a hart spinning in the guest both interrupted; a mask bit
 * naming no vCPU is SBI_ERR_INVALID_PARAM while the named ones still get
 * theirs; other IPI functions not supported.
 */
TEST_F_TIMEOUT(smp, ipi, 120)
{
	struct smp_vm *s = &self->s;
	struct ucall uc;
	uint64_t ns;

	smp_vm_create(s, 3);
	smp_vm_start_secondaries(s);
	vcpu_start(s->vcpu[0], GUEST_FN(guest_ipi_main), 0, 0);
	expect(s, UCALL_SYNC, &uc);
	ns = cpu_ns_over(s->thr[1].thr, 1000);
	TH_LOG("hart 1 in WFI: %llu us of CPU in 1 s",
	       (unsigned long long)ns / 1000);
	EXPECT_LT(ns, IDLE_CPU_MAX_NS);
	vcpu_run_to_done(s->vcpu[0]);
	EXPECT_EQ(5, s->sh->ssi[1]);
	/* the last IPI may find hart 2 already gone */
	EXPECT_GE(s->sh->ssi[2], 3);
	EXPECT_LE(s->sh->ssi[2], 4);
	EXPECT_EQ(0, s->sh->ssi[0]);
}

/*
 * RFENCE: remote_fence_i (code hart 0 patched runs on hart 1), the
 * sfence_vma variants with every range form succeed; the hfence
 * functions are SBI_ERR_NOT_SUPPORTED (no nested virtualization), as in
 * kvm.ko.  A mask bit naming no vCPU: SBI 2.0 says
 * SBI_ERR_INVALID_PARAM, which rvhv returns; kvm.ko 6.12 ignores such
 * bits and returns SBI_SUCCESS.
 */
TEST_F(smp, rfence)
{
	struct smp_vm *s = &self->s;

	smp_vm_create(s, 2);
	smp_vm_start_secondaries(s);
	vcpu_start(s->vcpu[0], GUEST_FN(guest_rfence_main),
		   dev_is_kvm() ? 0 : (unsigned long)SBI_ERR_INVALID_PARAM, 0);
	EXPECT_EQ(0, vcpu_run_to_done(s->vcpu[0]));
	/* Hart 1 ran the code (see guest_rfence_main on the patched value). */
	EXPECT_NE(0, s->sh->result[1][0]);
}

/*
 * Legacy v0.1 send_ipi, clear_ipi and remote fences with the hart mask in
 * guest memory (address 0: all harts; bits naming no vCPU ignored; a mask
 * address in no memslot: the guest takes a load access fault).  The test
 * kernel's kvm.ko is built without CONFIG_RISCV_SBI_V01: it answers every
 * legacy id SBI_ERR_NOT_SUPPORTED, which is what is checked there.
 */
TEST_F(smp, legacy_ipi_and_fences)
{
	struct smp_vm *s = &self->s;

	smp_vm_create(s, 2);
	smp_vm_start_secondaries(s);
	vcpu_start(s->vcpu[0], GUEST_FN(guest_legacy_main), dev_is_kvm(), 0);
	EXPECT_EQ(0, vcpu_run_to_done(s->vcpu[0]));
	if (!dev_is_kvm()) {
		/* 3, and the IPI that let it leave its WFI loop */
		EXPECT_GE(s->sh->ssi[1], 3);
		EXPECT_LE(s->sh->ssi[1], 4);
	}
}

/* KVM_INTERRUPT from this thread while another is in KVM_RUN. */
static uint64_t timed_irq(struct vcpu *vcpu, unsigned int irq)
{
	uint64_t t0 = now_ns();

	if (vcpu_irq(vcpu, irq))
		vm_fail("KVM_INTERRUPT %u: %s", irq, strerror(errno));
	return now_ns() - t0;
}

/*
 * KVM_INTERRUPT_SET from another thread reaches a vCPU spinning in the
 * guest (it is kicked out of guest mode, the ioctl does not wait for
 * KVM_RUN), UNSET lowers VSEIP (rvhv: at once, kicking the vCPU; kvm.ko:
 * at its next guest entry), and a vCPU sleeping in WFI (using no
 * CPU meanwhile) is woken by it.
 */
TEST_F_TIMEOUT(smp, kvm_interrupt, 120)
{
	struct smp_vm *s = &self->s;
	volatile struct smp_shared *sh;
	uint64_t ns;

	smp_vm_create(s, 1);
	sh = s->sh;
	/* kvm.ko's KVM_INTERRUPT_UNSET does not kick: see guest_ext_irq */
	vcpu_start(s->vcpu[0], GUEST_FN(guest_ext_irq), dev_is_kvm(), 0);
	vcpu_thread_start(&s->thr[0], s->vcpu[0]);

	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 1, 30));
	usleep(100000);
	ns = timed_irq(s->vcpu[0], KVM_INTERRUPT_SET);
	EXPECT_LT(ns, 1000000000ULL) TH_LOG("KVM_INTERRUPT took %llu us",
					    (unsigned long long)ns / 1000);
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 2, 30));
	EXPECT_EQ(1, sh->sei[0]);
	timed_irq(s->vcpu[0], KVM_INTERRUPT_UNSET);
	sh->host_flag[0] = 1;

	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 3, 30));
	usleep(100000);
	ns = cpu_ns_over(s->thr[0].thr, 1000);
	TH_LOG("vCPU in WFI: %llu us of CPU in 1 s",
	       (unsigned long long)ns / 1000);
	EXPECT_LT(ns, IDLE_CPU_MAX_NS);
	EXPECT_EQ(1, sh->sei[0]);
	timed_irq(s->vcpu[0], KVM_INTERRUPT_SET);
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 4, 30));
	timed_irq(s->vcpu[0], KVM_INTERRUPT_UNSET);
	sh->host_flag[0] = 2;
	EXPECT_EQ(2, vcpu_thread_join(&s->thr[0], 30));
}

/*
 * KVM_INTERRUPT with irq neither KVM_INTERRUPT_SET nor _UNSET: kvm.ko
 * treats anything but SET as UNSET (and returns 0); rvhv refuses it with
 * -EINVAL, as its Documentation/rvhv.rst says.
 */
TEST_F(smp, kvm_interrupt_bad_irq)
{
	struct smp_vm *s = &self->s;

	smp_vm_create(s, 1);
	EXPECT_EQ(0, vcpu_irq(s->vcpu[0], KVM_INTERRUPT_SET));
	EXPECT_EQ(0, vcpu_irq(s->vcpu[0], KVM_INTERRUPT_UNSET));
	EXPECT_EQ(dev_is_kvm() ? 0 : -EINVAL, vcpu_irq(s->vcpu[0], 5));
}

struct wfi_kick {
	pthread_t target;
	volatile struct smp_shared *sh;
	uint64_t cpu_ns;
	bool ready;
};

static void *wfi_kicker(void *arg)
{
	struct wfi_kick *k = arg;

	k->ready = wait_eq(&k->sh->guest_flag[0], 1, 30);
	usleep(100000);
	k->cpu_ns = cpu_ns_over(k->target, 1000);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

/*
 * A vCPU in WFI with no interrupt that could wake it sleeps in KVM_RUN
 * (no CPU used) until a signal ends KVM_RUN with -EINTR and
 * KVM_EXIT_INTR; run again, it goes on sleeping (at most one spurious
 * return from WFI) until KVM_INTERRUPT wakes it.
 */
TEST_F_TIMEOUT(smp, wfi_signal, 60)
{
	struct smp_vm *s = &self->s;
	struct sigaction sa = { .sa_handler = nop_handler };
	struct wfi_kick k = { .target = pthread_self() };
	struct vcpu_thread t = { 0 };
	pthread_t thr;

	sigaction(SIGUSR1, &sa, NULL);
	smp_vm_create(s, 1);
	k.sh = s->sh;
	vcpu_start(s->vcpu[0], GUEST_FN(guest_wfi_loop), 0, 0);
	ASSERT_EQ(0, pthread_create(&thr, NULL, wfi_kicker, &k));
	EXPECT_EQ(-EINTR, vcpu_run_try(s->vcpu[0]));
	pthread_join(thr, NULL);
	ASSERT_TRUE(k.ready);
	EXPECT_EQ(KVM_EXIT_INTR, s->vcpu[0]->run->exit_reason);
	TH_LOG("vCPU in WFI: %llu us of CPU in 1 s",
	       (unsigned long long)k.cpu_ns / 1000);
	EXPECT_LT(k.cpu_ns, IDLE_CPU_MAX_NS);
	EXPECT_LE(s->sh->counter[0], 1);

	s->sh->host_flag[0] = 1;
	vcpu_thread_start(&t, s->vcpu[0]);
	usleep(300000);
	EXPECT_LE(s->sh->counter[0], 1);
	EXPECT_EQ(0, vcpu_irq(s->vcpu[0], KVM_INTERRUPT_SET));
	EXPECT_LE(vcpu_thread_join(&t, 30), 2);
	EXPECT_EQ(1, s->sh->sei[0]);
	EXPECT_EQ(0, vcpu_irq(s->vcpu[0], KVM_INTERRUPT_UNSET));
}

/*
 * vCPUs of one VM run in parallel: 4 vCPUs (on 2 host CPUs) meet at a
 * spinning barrier in the guest 50 times; with a VM-wide lock around
 * KVM_RUN, or one vCPU waiting for another to leave the guest, they
 * would never all get there.
 */
TEST_F_TIMEOUT(smp, parallel, 120)
{
	struct smp_vm *s = &self->s;
	int i;

	smp_vm_create(s, 4);
	smp_vm_start_secondaries(s);
	vcpu_start(s->vcpu[0], GUEST_FN(guest_parallel_main), 50, 0);
	EXPECT_EQ(200, vcpu_run_to_done(s->vcpu[0]));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(50, s->sh->result[i][0]);
		EXPECT_GT(thread_cpu_ns(i ? s->thr[i].thr : pthread_self()), 0);
	}
}

/*
 * The headline: hart 0 of 4 starts the others with HSM; each takes N
 * timer interrupts P ms apart (never before its deadline, never more
 * than 2 s late, N periods at least), sends IPIs around the ring, each
 * delivered before the next, and remote fences; hart 3 stops itself and
 * hart 0 starts it again (2 more ticks, an IPI to hart 0).
 */
/*
 * kvm.ko 6.12 now and then loses a vCPU's SBI timer interrupt under QEMU
 * 10 (smp_test@kvm headline_sbi_timer on the smstateen matrix host,
 * 2026-12-02: hart 3 waited 60 s for its ticks), as timer_test saw on
 * QEMU 7.2; a re-entry of KVM_RUN delivers it.  On kvm.ko every vCPU
 * thread is signalled every 500 ms (its KVM_RUN returns -EINTR and is
 * called again), well inside the 2 s a tick may be late: every 2 s
 * still failed there once in CI (2026-12-02).  rvhv runs without, where
 * a lost tick fails the test.
 */
struct kicker {
	struct smp_vm *s;
	volatile int stop;
};

static void *kick_fn(void *arg)
{
	struct kicker *k = arg;
	int i, t;

	while (!k->stop) {
		for (t = 0; t < 5 && !k->stop; t++)
			usleep(100000);
		for (i = 0; i < k->s->n; i++)
			if (k->s->thr[i].running)
				pthread_kill(k->s->thr[i].thr, SIGUSR1);
	}
	return NULL;
}

static void headline(struct __test_metadata *_metadata, struct smp_vm *s,
		     unsigned long tmode)
{
	const unsigned long N = 5, P = 20, K = 10;
	int i;

	smp_vm_create(s, 4);
	if (tmode == TMODE_SSTC && !vcpu_has_sstc(s->vcpu[0]))
		SKIP(return, "the guest has no Sstc");
	for (i = 0; i < 4; i++)
		s->sh->tmode[i] = tmode;
	s->sh->arg[0] = N;
	s->sh->arg[1] = P;
	s->sh->arg[2] = K;
	s->sh->arg[3] = dev_is_kvm();
	smp_vm_start_secondaries(s);
	vcpu_start(s->vcpu[0], GUEST_FN(guest_headline_main), 0, 0);
	if (dev_is_kvm()) {
		struct kicker k = { .s = s };
		pthread_t thr;

		vcpu_thread_start(&s->thr[0], s->vcpu[0]);
		ASSERT_EQ(0, pthread_create(&thr, NULL, kick_fn, &k));
		while (!s->thr[0].done)
			usleep(10000);
		k.stop = 1;
		pthread_join(thr, NULL);
		EXPECT_EQ(0, s->thr[0].ret);
	} else {
		EXPECT_EQ(0, vcpu_run_to_done(s->vcpu[0]));
	}
	for (i = 0; i < 4; i++) {
		unsigned long late = s->sh->sti_late_max[i];

		TH_LOG("hart %d: %lu ticks, worst %lu us late, %lu IPIs", i,
		       s->sh->sti[i], late * 1000000 / s->freq, s->sh->ssi[i]);
		EXPECT_GE(s->sh->sti[i], N + (i == 3 ? 2 : 0));
		EXPECT_LE(s->sh->sti[i], N + 1 + (i == 3 ? 3 : 0));
		/*
		 * Never before its deadline on rvhv.  kvm.ko now and then
		 * delivers one early (seen under load, on the sanitizer
		 * kernel and under QEMU 10: most likely the previous
		 * deadline's interrupt after the guest set the next one,
		 * which a Linux guest takes as spurious): reported there,
		 * not held against the reference.
		 */
		if (dev_is_kvm() && s->sh->sti_early[i])
			TH_LOG("kvm.ko: hart %d took %lu timer interrupts before their deadline",
			       i, s->sh->sti_early[i]);
		else
			EXPECT_EQ(0, s->sh->sti_early[i]);
		/* Lost ones: only kvm.ko's guest looks for them (arg[3]). */
		if (s->sh->sti_lost[i])
			TH_LOG("kvm.ko: hart %d's deadline armed again %lu times (no interrupt 1 s after it)",
			       i, s->sh->sti_lost[i]);
		EXPECT_LT(late, 2 * s->freq);
		EXPECT_GE(s->sh->ssi[i], K);
		/* hart 3's second life took 2 ticks */
		EXPECT_GE(s->sh->result[i][0],
			  (i == 3 ? 2 : N) * P * s->freq / 1000);
	}
	EXPECT_EQ(2, s->sh->starts[3]);
	EXPECT_EQ(1, s->sh->starts[1]);
	EXPECT_EQ(K + 1, s->sh->ssi[0]);
}

TEST_F_TIMEOUT(smp, headline_sstc, 150)
{
	headline(_metadata, &self->s, TMODE_SSTC);
}

TEST_F_TIMEOUT(smp, headline_sbi_timer, 150)
{
	headline(_metadata, &self->s, TMODE_SBI);
}

TEST_HARNESS_MAIN
