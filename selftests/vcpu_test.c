// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU creation, the kvm_run mapping and KVM_RUN itself: a guest runs to a
 * ucall, immediate_exit, completion of forwarded SBI calls, signals, FP
 * state across preemption, and guest exceptions taken by the guest.
 * Held to kvm.ko's behaviour (run with RVHV_DEV=/dev/kvm).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <sys/time.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

/* The largest vCPU id + 1, by the rules of KVM's API documentation. */
static long max_vcpu_id(struct vm *vm)
{
	long n = vm_check_cap(vm, KVM_CAP_MAX_VCPU_ID);

	if (!n)
		n = vm_check_cap(vm, KVM_CAP_MAX_VCPUS);
	if (!n)
		n = vm_check_cap(vm, KVM_CAP_NR_VCPUS);
	return n ? n : 4;
}

TEST(create_vcpu_ids)
{
	struct vm *vm = vm_create_empty();
	long max_id = max_vcpu_id(vm);
	long nr = vm_check_cap(vm, KVM_CAP_NR_VCPUS);
	long max = vm_check_cap(vm, KVM_CAP_MAX_VCPUS);
	int fd0, fdl, fl;

	TH_LOG("KVM_CAP_MAX_VCPU_ID %ld, MAX_VCPUS %ld, NR_VCPUS %ld",
	       max_id, max, nr);
	ASSERT_GT(max_id, 0);
	EXPECT_LE(nr, max);

	fd0 = vcpu_create_try(vm, 0);
	ASSERT_GE(fd0, 0) TH_LOG("vCPU 0: %s", strerror(-fd0));
	/* KVM's vCPU fd: O_RDWR | O_CLOEXEC, like the VM fd. */
	fl = fcntl(fd0, F_GETFL);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	EXPECT_TRUE(fcntl(fd0, F_GETFD) & FD_CLOEXEC);

	EXPECT_EQ(-EEXIST, vcpu_create_try(vm, 0));
	EXPECT_EQ(-EINVAL, vcpu_create_try(vm, max_id));
	EXPECT_EQ(-EINVAL, vcpu_create_try(vm, -1UL));
	EXPECT_EQ(-EINVAL, vcpu_create_try(vm, 1UL << 32));
	fdl = vcpu_create_try(vm, max_id - 1);
	EXPECT_GE(fdl, 0) TH_LOG("vCPU %ld: %s", max_id - 1, strerror(-fdl));
	EXPECT_EQ(-EEXIST, vcpu_create_try(vm, max_id - 1));
	close(fdl);
	/* Closing a vCPU fd does not free its id. */
	EXPECT_EQ(-EEXIST, vcpu_create_try(vm, max_id - 1));
	close(fd0);
	vm_free(vm);
}

/*
 * The VM fd is O_RDWR whatever the device fd's mode (KVM_CREATE_VCPU
 * needs it), so a VMM with a read-only /dev/kvm fd still gets vCPUs.
 */
TEST(vcpu_from_readonly_dev_fd)
{
	int dev = rvhv_open_dev(O_RDONLY), vm, fd;

	ASSERT_GE(dev, 0);
	vm = ioctl(dev, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	EXPECT_EQ(O_RDWR, fcntl(vm, F_GETFL) & O_ACCMODE);
	fd = ioctl(vm, KVM_CREATE_VCPU, 0);
	EXPECT_GE(fd, 0) TH_LOG("KVM_CREATE_VCPU: %s", strerror(errno));
	close(fd);
	close(vm);
	close(dev);
}

static sigjmp_buf sigbus_jmp;

static void sigbus_handler(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

TEST(vcpu_mmap)
{
	struct vm *vm = vm_create_empty();
	long page = sysconf(_SC_PAGESIZE);
	long size = ioctl(vm->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	long coalesced = vm_check_cap(vm, KVM_CAP_COALESCED_MMIO);
	struct kvm_run *run;
	volatile char *beyond;
	int fd = vcpu_create_try(vm, 0);

	ASSERT_GE(fd, 0);
	ASSERT_GE(size, page);
	EXPECT_EQ(0, size % page);
	/* kvm.ko: 2 pages, kvm_run and the coalesced MMIO ring. */
	if (coalesced)
		EXPECT_GE(size, (coalesced + 1) * page);

	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, run) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(KVM_EXIT_UNKNOWN, run->exit_reason);
	EXPECT_EQ(0, run->immediate_exit);
	munmap(run, size);

	/*
	 * Past the advertised size there is nothing: mmap() fails, or (KVM)
	 * it succeeds and a touch raises SIGBUS.
	 */
	beyond = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      size);
	if (beyond != MAP_FAILED) {
		struct sigaction sa = { .sa_handler = sigbus_handler };
		int touched = 0;

		sigaction(SIGBUS, &sa, NULL);
		if (!sigsetjmp(sigbus_jmp, 1)) {
			(void)*beyond;
			touched = 1;
		}
		EXPECT_EQ(0, touched) TH_LOG("page at offset %ld readable",
					     size);
		signal(SIGBUS, SIG_DFL);
		munmap((void *)beyond, page);
	}
	close(fd);
	vm_free(vm);
}

TEST(run_to_ucall)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_run *run = vcpu->run;
	uint64_t pc;

	/* A fresh vCPU is in S-mode (kvm.ko resets sstatus.SPP = 1). */
	EXPECT_EQ(KVM_RISCV_MODE_S, vcpu_get_reg(vcpu, CORE_MODE));
	vcpu_start(vcpu, GUEST_FN(guest_return), 40, 2);
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_RUN, 1));
	EXPECT_EQ(EINVAL, errno);

	vcpu_run(vcpu);
	ASSERT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason)
		vcpu_dump(vcpu, "not a ucall");
	EXPECT_EQ(UCALL_EXT, run->riscv_sbi.extension_id);
	EXPECT_EQ(UCALL_DONE, run->riscv_sbi.function_id);
	EXPECT_EQ(42, run->riscv_sbi.args[0]);
	/* What the VMM finds before it answers: "not supported", 0. */
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, (long)run->riscv_sbi.ret[0]);
	EXPECT_EQ(0, run->riscv_sbi.ret[1]);
	/* pc is still the ECALL's until the next KVM_RUN completes it. */
	pc = vcpu_get_reg(vcpu, CORE_PC);
	EXPECT_EQ(0x00000073, *(uint32_t *)vm_gpa2hva(vm, pc));
	EXPECT_EQ(UCALL_EXT, vcpu_get_reg(vcpu, RISCV_GPR(17)));	/* a7 */

	/* Answers reach the guest: the sum of the host's replies. */
	vcpu_start(vcpu, GUEST_FN(guest_sync_loop), 5, 0);
	for (int i = 0; i < 5; i++) {
		struct ucall uc;

		vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
		EXPECT_EQ(i, uc.args[0]);
		vcpu_ucall_reply(vcpu, 0, 100 + i);
	}
	EXPECT_EQ(510, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST(immediate_exit)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	/* Before the first run: nothing runs, exit_reason untouched. */
	vcpu_start(vcpu, GUEST_FN(guest_sync_loop), 2, 0);
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	EXPECT_EQ(KVM_EXIT_UNKNOWN, run->exit_reason);
	EXPECT_EQ(GUEST_ENTRY, vcpu_get_reg(vcpu, CORE_PC));

	run->immediate_exit = 0;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(0, uc.args[0]);

	/* After an exit: -EINTR again, and the exit is left as it was. */
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);
	EXPECT_EQ(UCALL_EXT, run->riscv_sbi.extension_id);
	EXPECT_EQ(UCALL_SYNC, run->riscv_sbi.function_id);
	EXPECT_EQ(0, run->riscv_sbi.args[0]);
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);

	/* The guest did not move on: the next ucall is stage 1. */
	run->immediate_exit = 0;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(0, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * KVM completes a forwarded SBI call (ret[0] -> a0, ret[1] -> a1,
 * sepc += 4) at the start of the next KVM_RUN, even one that then returns
 * -EINTR because of immediate_exit (KVM's API documentation: a VMM
 * completes pending MMIO/SBI that way before saving state), and only once.
 */
TEST(sbi_return_applied_once)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	vcpu_start(vcpu, GUEST_FN(guest_sbi_return), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(0x1111, uc.args[0]);
	EXPECT_EQ(0x2222, uc.args[1]);
	EXPECT_EQ(uc.pc, vcpu_get_reg(vcpu, CORE_PC));
	vcpu_ucall_reply(vcpu, 0x5a5a, 0x6b6b);

	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);
	EXPECT_EQ(uc.pc + 4, vcpu_get_reg(vcpu, CORE_PC));
	EXPECT_EQ(0x5a5a, vcpu_get_reg(vcpu, CORE_A0));
	EXPECT_EQ(0x6b6b, vcpu_get_reg(vcpu, CORE_A1));

	/* Changed answers now must not be applied a second time. */
	vcpu_ucall_reply(vcpu, 0x7777, 0x8888);
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	EXPECT_EQ(uc.pc + 4, vcpu_get_reg(vcpu, CORE_PC));
	EXPECT_EQ(0x5a5a, vcpu_get_reg(vcpu, CORE_A0));

	run->immediate_exit = 0;
	vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(0x5a5a, uc.args[1]);	/* a0 after the call */
	EXPECT_EQ(0x6b6b, uc.args[2]);	/* a1 */
	EXPECT_EQ(2, uc.args[3]);	/* both instructions after it ran */
	EXPECT_EQ(0, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * The completion is KVM's, not the VMM's: a pc set after the exit gets the
 * sepc += 4 too (so a VMM that redirects a vCPU completes the exit first
 * with an immediate_exit KVM_RUN, as vcpu_start() does).
 */
TEST(sbi_return_applies_to_new_pc)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_run *run = vcpu->run;
	uint64_t target = GUEST_FN(guest_done);

	vcpu_start(vcpu, GUEST_FN(guest_sync_loop), 1, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	vcpu_ucall_reply(vcpu, 0x31, 0x32);
	vcpu_set_reg(vcpu, CORE_PC, target);
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	EXPECT_EQ(target + 4, vcpu_get_reg(vcpu, CORE_PC));
	EXPECT_EQ(0x31, vcpu_get_reg(vcpu, CORE_A0));
	EXPECT_EQ(0x32, vcpu_get_reg(vcpu, CORE_A1));
	vcpu_free(vcpu);
	vm_free(vm);
}

struct kicker {
	pthread_t target;
	volatile int stop;
	int sent;
};

static void sigusr1_handler(int sig)
{
}

static void *kicker_thread(void *arg)
{
	struct kicker *k = arg;

	while (!k->stop) {
		usleep(20000);
		if (k->stop)
			break;
		pthread_kill(k->target, SIGUSR1);
		k->sent++;
	}
	return NULL;
}

/* A guest that never exits is interrupted by a signal to the VMM thread. */
TEST(signal_interrupts_guest)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_run *run = vcpu->run;
	volatile uint64_t *flag = GUEST_DATA_HVA(vm, uint64_t, 0);
	struct sigaction sa = { .sa_handler = sigusr1_handler };
	struct kicker k = { .target = pthread_self() };
	pthread_t thr;
	uint64_t pc;
	int r, i;

	sigaction(SIGUSR1, &sa, NULL);
	*flag = 0;
	vcpu_start(vcpu, GUEST_FN(guest_spin), GUEST_DATA, 0);
	ASSERT_EQ(0, pthread_create(&thr, NULL, kicker_thread, &k));
	/*
	 * A signal may come before the guest reached guest_spin (a slow
	 * first entry: kvm.ko on the sanitizer kernel); run again until it
	 * is interrupted there.
	 */
	for (i = 0; i < 100; i++) {
		r = vcpu_run_try(vcpu);
		pc = vcpu_get_reg(vcpu, CORE_PC);
		if (r != -EINTR || (pc >= GUEST_FN(guest_spin) &&
				    pc < GUEST_FN(guest_spin) + 64))
			break;
	}
	k.stop = 1;
	pthread_join(thr, NULL);
	EXPECT_EQ(-EINTR, r) TH_LOG("KVM_RUN: %s", strerror(-r));
	EXPECT_EQ(KVM_EXIT_INTR, run->exit_reason)
		vcpu_dump(vcpu, "after the signal");
	EXPECT_GE(k.sent, 1);
	/* It was interrupted inside guest_spin, and resumes there. */
	EXPECT_TRUE(pc >= GUEST_FN(guest_spin) && pc < GUEST_FN(guest_spin) + 64)
		TH_LOG("pc 0x%llx", (unsigned long long)pc);
	*flag = 1;
	EXPECT_EQ(42, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

static volatile sig_atomic_t got_prof, got_alrm;

static void sigprof_handler(int sig)
{
	got_prof = 1;
}

static void sigalrm_handler(int sig)
{
	got_alrm = 1;
}

/*
 * Task work queued for the vCPU thread while its guest runs must not wait
 * for the guest to exit on its own: here a CPU-time timer (ITIMER_PROF),
 * whose expiry the kernel handles as task work on the thread it charges
 * (POSIX_CPU_TIMERS_TASK_WORK), and which only then sends SIGPROF.  A
 * guest that never exits must still see KVM_RUN return -EINTR for it.
 * KVM_RUN may return -EINTR before that (the kernel queues other task
 * work too): the VMM just runs again.
 */
TEST(cpu_timer_interrupts_guest)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	volatile uint64_t *flag = GUEST_DATA_HVA(vm, uint64_t, 0);
	struct sigaction sa = { .sa_handler = sigprof_handler };
	struct itimerval it = { .it_value.tv_usec = 100000 };
	unsigned long runs = 0;
	uint64_t end;
	int r = 0;

	sigaction(SIGPROF, &sa, NULL);
	sa.sa_handler = sigalrm_handler;
	sigaction(SIGALRM, &sa, NULL);
	got_prof = 0;
	got_alrm = 0;
	*flag = 0;
	vcpu_start(vcpu, GUEST_FN(guest_spin), GUEST_DATA, 0);
	ASSERT_EQ(0, setitimer(ITIMER_PROF, &it, NULL));
	/*
	 * 0.1 s of CPU time; allow a slow, busy host 20 s of wall time, and
	 * stop there (SIGALRM) if KVM_RUN never returns.  Whatever signal
	 * ends a KVM_RUN, the task work runs on the way out: SIGPROF must
	 * come before SIGALRM.
	 */
	end = now_ns() + 20000000000ULL;
	alarm(20);
	while (!got_prof && !got_alrm && now_ns() < end) {
		r = vcpu_run_try(vcpu);
		runs++;
		if (r != -EINTR)
			break;
	}
	alarm(0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_PROF, &it, NULL);
	TH_LOG("%lu KVM_RUN calls until SIGPROF", runs);
	EXPECT_EQ(-EINTR, r);
	EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_TRUE(got_prof);
	EXPECT_FALSE(got_alrm);
	*flag = 1;
	EXPECT_EQ(42, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

/* Field 43 of /proc/thread-self/stat: guest time, in clock ticks. */
static long thread_guest_ticks(void)
{
	const char *st = rvhv_read_file("/proc/thread-self/stat");
	const char *p = st ? strrchr(st, ')') : NULL;
	long v = -1;
	int field;

	/* Fields after the command name start at 3. */
	for (field = 2; p && field < 43; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtol(p + 1, NULL, 10);
	return v;
}

/* Time the vCPU thread spends in the guest counts as its guest time. */
TEST(guest_time_accounted)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	volatile uint64_t *flag = GUEST_DATA_HVA(vm, uint64_t, 0);
	struct sigaction sa = { .sa_handler = sigusr1_handler };
	struct kicker k = { .target = pthread_self() };
	long before, after;
	uint64_t end;
	pthread_t thr;

	sigaction(SIGUSR1, &sa, NULL);
	*flag = 0;
	vcpu_start(vcpu, GUEST_FN(guest_spin), GUEST_DATA, 0);
	before = thread_guest_ticks();
	ASSERT_GE(before, 0);
	ASSERT_EQ(0, pthread_create(&thr, NULL, kicker_thread, &k));
	/* About two seconds in the guest, signals now and then. */
	end = now_ns() + 2000000000ULL;
	while (now_ns() < end)
		vcpu_run_try(vcpu);
	k.stop = 1;
	pthread_join(thr, NULL);
	after = thread_guest_ticks();
	TH_LOG("guest time: %ld ticks", after - before);
	/* Generous: a busy host may leave the thread little CPU. */
	EXPECT_GE(after - before, 5);
	*flag = 1;
	EXPECT_EQ(42, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

static int mp_state(struct vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp))
		return -errno;
	return mp.mp_state;
}

/*
 * kvm.ko powers off every vCPU but the first one created (creation order,
 * not id): it waits, STOPPED, for SBI HSM hart_start or KVM_SET_MP_STATE.
 * KVM_RUN on it sleeps until a signal.
 */
TEST(secondary_vcpu_starts_stopped)
{
	struct vm *vm = vm_create();
	struct vcpu *first = vcpu_create(vm, 3);
	struct vcpu *second = vcpu_create(vm, 0);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct sigaction sa = { .sa_handler = sigusr1_handler };
	struct kicker k = { .target = pthread_self() };
	pthread_t thr;
	int r;

	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_MP_STATE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(first));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, mp_state(second));

	sigaction(SIGUSR1, &sa, NULL);
	vcpu_start(second, GUEST_FN(guest_return), 5, 6);
	ASSERT_EQ(0, pthread_create(&thr, NULL, kicker_thread, &k));
	r = vcpu_run_try(second);
	k.stop = 1;
	pthread_join(thr, NULL);
	EXPECT_EQ(-EINTR, r);
	EXPECT_EQ(KVM_EXIT_INTR, second->run->exit_reason);
	EXPECT_EQ(GUEST_ENTRY, vcpu_get_reg(second, CORE_PC));	/* never ran */

	ASSERT_EQ(0, ioctl(second->fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(second));
	EXPECT_EQ(11, vcpu_run_to_done(second));
	vcpu_start(first, GUEST_FN(guest_return), 1, 1);
	EXPECT_EQ(2, vcpu_run_to_done(first));
	vcpu_free(first);
	vcpu_free(second);
	vm_free(vm);
}

/* Every ioctl a VMM queries a vCPU with, on the vCPU fd. */
TEST(query_ioctls)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_reg_list list = { .n = 0 };
	uint64_t pc = 0, *regs;
	int n, status;
	pid_t pid;

	EXPECT_EQ(0, vcpu_get_reg_try(vcpu, CORE_PC, &pc));
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_GET_REG_LIST, &list));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_GT(list.n, 32);
	n = vcpu_get_reg_list(vcpu, &regs);
	EXPECT_EQ(list.n, n);
	free(regs);
	/* Unknown vCPU ioctls: kvm.ko's riscv code answers EINVAL. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, _IO(KVMIO, 0xfe), 0));
	EXPECT_TRUE(errno == EINVAL || errno == ENOTTY)
		TH_LOG("errno %d", errno);
	/* System and VM ioctls are not vCPU ioctls. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_CREATE_VCPU, 1));

	/* A vCPU belongs to the VMM's address space: a child gets EIO. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int bad = 0;

		if (!vcpu_get_reg_try(vcpu, CORE_PC, &pc) || errno != EIO)
			bad |= 1;
		if (ioctl(vcpu->fd, KVM_RUN, 0) != -1 || errno != EIO)
			bad |= 2;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* ... and the parent still can. */
	vcpu_start(vcpu, GUEST_FN(guest_return), 1, 2);
	EXPECT_EQ(3, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

struct fp_thrash {
	volatile int stop;
	volatile int bad;
	unsigned long loops;
};

/* Host FP work on the vCPU's CPU: its registers must survive the guest's. */
static void *fp_thrash_thread(void *arg)
{
	struct fp_thrash *t = arg;
	double in[32], out[32];
	int i;

	pin_to_cpu0();
	for (i = 0; i < 32; i++)
		in[i] = -1.5 * (i + 1);
	while (!t->stop) {
		asm volatile(
			"fld f0, 0(%0)\n fld f1, 8(%0)\n fld f2, 16(%0)\n"
			"fld f3, 24(%0)\n fld f8, 64(%0)\n fld f9, 72(%0)\n"
			"fld f18, 144(%0)\n fld f27, 216(%0)\n"
			"fld f31, 248(%0)\n"
			: : "r"(in) : "memory", "f0", "f1", "f2", "f3", "f8",
			  "f9", "f18", "f27", "f31");
		for (i = 0; i < 20000; i++)
			asm volatile("" : : : "memory");
		asm volatile(
			"fsd f0, 0(%0)\n fsd f1, 8(%0)\n fsd f2, 16(%0)\n"
			"fsd f3, 24(%0)\n fsd f8, 64(%0)\n fsd f9, 72(%0)\n"
			"fsd f18, 144(%0)\n fsd f27, 216(%0)\n"
			"fsd f31, 248(%0)\n"
			: : "r"(out) : "memory");
		if (out[0] != in[0] || out[1] != in[1] || out[2] != in[2] ||
		    out[3] != in[3] || out[8] != in[8] || out[9] != in[9] ||
		    out[18] != in[18] || out[27] != in[27] ||
		    out[31] != in[31])
			t->bad++;
		t->loops++;
		sched_yield();
	}
	return NULL;
}

/*
 * The guest's f0..f31 and fcsr survive exits to the VMM (which uses FP
 * itself) and preemption by a host thread that uses FP on the same CPU;
 * the host thread's FP registers survive the guest.
 */
FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, fp_survives_preemption, 120)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct fp_thrash t = { 0 };
	struct rusage ru0, ru1;
	volatile double acc = 0;
	pthread_t thr;
	struct ucall uc;
	int rounds = 8, i, j;

	pin_to_cpu0();
	getrusage(RUSAGE_THREAD, &ru0);
	ASSERT_EQ(0, pthread_create(&thr, NULL, fp_thrash_thread, &t));
	vcpu_start(vcpu, GUEST_FN(guest_fp), rounds, 2000000);
	for (i = 0; i < rounds; i++) {
		vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
		EXPECT_EQ(i, uc.args[0]);
		/* What the guest loaded is what ONE_REG shows... */
		for (j = 0; j < 32; j += 7)
			EXPECT_EQ(FP_PATTERN(j),
				  vcpu_get_reg(vcpu, RISCV_FP_D_REG(j)));
		EXPECT_EQ(FP_FCSR, vcpu_get_reg(vcpu, RISCV_FP_D_FCSR));
		/* ... while this thread uses the FP registers too. */
		for (j = 1; j < 1000; j++)
			acc = acc * 0.5 + 1.0 / j;
	}
	EXPECT_EQ(0, vcpu_run_to_done(vcpu));
	getrusage(RUSAGE_THREAD, &ru1);
	t.stop = 1;
	pthread_join(thr, NULL);
	TH_LOG("host FP thread: %lu loops; vCPU thread preempted %ld times",
	       t.loops, ru1.ru_nivcsw - ru0.ru_nivcsw);
	/* The point of the test: the vCPU thread was preempted meanwhile. */
	EXPECT_GT(ru1.ru_nivcsw - ru0.ru_nivcsw, 0);
	EXPECT_EQ(0, t.bad);
	EXPECT_GT(t.loops, 0);
	EXPECT_GT(acc, 0);
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * Exceptions the guest takes reach its own stvec with scause, sepc, stval
 * and sstatus.SPP as the privileged spec says: an illegal instruction
 * (which KVM takes and redirects) and ebreak (delegated straight to the
 * guest).  Neither is a KVM_EXIT_DEBUG without KVM_SET_GUEST_DEBUG.
 */
TEST(guest_exception_to_own_vector)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct ucall uc;
	uint64_t addr;
	int tag;

	if (testbed_guest_illegal_insn_broken())
		SKIP(goto out, "QEMU 10: guest illegal-instruction traps redirected by M-mode firmware are broken");
	vcpu_start(vcpu, GUEST_FN(guest_exceptions), 0, 0);
	for (tag = 2; tag <= 4; tag++) {
		vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
		ASSERT_EQ(1, uc.args[0]);
		addr = uc.args[1];
		vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
		ASSERT_EQ(tag, uc.args[0]);
		EXPECT_EQ(tag == 2 ? 2 : 3, uc.args[1]) TH_LOG("tag %d", tag);
		EXPECT_EQ(0, uc.args[2]) TH_LOG("tag %d: sepc off by %ld",
						tag, (long)uc.args[2]);
		/* stval: 0, or the instruction (illegal) / its address */
		if (tag == 2) {
			EXPECT_TRUE(uc.args[3] == 0 || uc.args[3] == 0x6b)
				TH_LOG("illegal insn stval 0x%lx", uc.args[3]);
		} else {
			EXPECT_TRUE(uc.args[3] == 0 || uc.args[3] == addr)
				TH_LOG("ebreak stval 0x%lx", uc.args[3]);
		}
		EXPECT_TRUE(uc.args[4] & (1UL << 8))	/* SPP: from S */
			TH_LOG("tag %d: sstatus 0x%lx", tag, uc.args[4]);
		TH_LOG("tag %d: scause %lu stval 0x%lx sstatus 0x%lx", tag,
		       uc.args[1], uc.args[3], uc.args[4]);
	}
	EXPECT_EQ(3, vcpu_run_to_done(vcpu));
	/* The guest's own CSRs show the last trap. */
	EXPECT_EQ(3, vcpu_get_reg(vcpu, RISCV_CSR_REG(scause)));
	/* sepc as the guest's handler left it: past the c.ebreak */
	EXPECT_EQ(addr + 2, vcpu_get_reg(vcpu, RISCV_CSR_REG(sepc)));
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * A CSR the guest may not access and the hypervisor does not emulate
 * (hstatus, from VS-mode: a virtual-instruction trap) is an illegal
 * instruction for the guest, with stval = the instruction and sepc at it,
 * as with kvm.ko: guests probe CSRs and expect exactly that.
 */
TEST(csr_virtual_insn_is_illegal_for_guest)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	unsigned long r;

	vcpu_start(vcpu, GUEST_FN(guest_csr_hstatus), 0, 0);
	r = vcpu_run_to_done(vcpu);
	EXPECT_EQ(2, r >> 56);				/* illegal instruction */
	EXPECT_EQ(0, (r >> 48) & 0xff);			/* sepc at the csrr */
	EXPECT_EQ(0x600027f3, r & 0xffffffffffffUL);	/* csrr a5, hstatus */
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
