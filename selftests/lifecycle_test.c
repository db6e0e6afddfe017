// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle races of a hostile or careless VMM (issue 8): every fd closed,
 * in different orders, while another thread is inside KVM_RUN (the guest
 * in WFI, blocked in a G-stage fault behind userfaultfd, or looping in SBI
 * batches); a process killed inside KVM_RUN; fds handed to another process
 * whose creator then exits; two threads calling KVM_RUN on one vCPU;
 * ioctls that wait for a running vCPU while signals arrive; KVM_INTERRUPT
 * storms; VM reuse without leaks; module unload with live VMs.
 *
 * "Released" is checked the same way on rvhv and on kvm.ko: the module's
 * reference count (/sys/module/<mod>/refcnt) is back where it started and
 * the VMs this process created are gone from debugfs (rvhv: its "vms"
 * file; kvm.ko: its per-VM "<pid>-<fd>" directories).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "smp_lib.h"

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v ? atoi(v) : def;
}

/* RVHV_LC_LONG=1: every case in full (make check runs the short form). */
static bool long_run(void)
{
	return env_int("RVHV_LC_LONG", 0) > 0;
}

static const char *mod_name(void)
{
	return dev_is_kvm() ? "kvm" : "rvhv";
}

static long mod_refcnt(void)
{
	char path[64];
	const char *txt;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod_name());
	txt = rvhv_read_file(path);
	return txt ? strtol(txt, NULL, 10) : -1;
}

/* VMs created by process @pid that still exist in the kernel. */
static int live_vms(pid_t pid)
{
	char key[32];
	int n = 0;

	if (dev_is_kvm()) {
		DIR *d = opendir("/sys/kernel/debug/kvm");
		struct dirent *e;

		if (!d)
			return -1;
		snprintf(key, sizeof(key), "%d-", pid);
		while ((e = readdir(d)))
			n += !strncmp(e->d_name, key, strlen(key));
		closedir(d);
	} else {
		const char *p = rvhv_read_file(RVHV_DEBUGFS "vms");

		if (!p)
			return -1;
		snprintf(key, sizeof(key), "vm pid=%d ", pid);
		for (; (p = strstr(p, key)); p++)
			n++;
	}
	return n;
}

/*
 * Wait (at most 5 s: file releases may run from task work or RCU) until
 * the module's refcount is @ref0 again and @pid's VMs are gone.
 */
static bool released(long ref0, pid_t pid)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (mod_refcnt() == ref0 && live_vms(pid) == 0)
			return true;
		usleep(10000);
	}
	fprintf(stderr, "# refcnt %ld (was %ld), %d VMs of pid %d left\n",
		mod_refcnt(), ref0, live_vms(pid), pid);
	return false;
}

static void sig_nop(int sig)
{
}

/* SIGUSR1 interrupts system calls (no SA_RESTART): KVM_RUN's -EINTR. */
static void setup_signal(void)
{
	struct sigaction sa = { .sa_handler = sig_nop };

	sigaction(SIGUSR1, &sa, NULL);
}

/* One raw KVM_RUN (or another vCPU ioctl) in a thread. */
struct runner {
	int fd;
	struct kvm_run *volatile run;	/* NULL: not read after the ioctl */
	unsigned long ioctl;
	void *arg;
	pthread_t thr;
	volatile int started;
	volatile int done;
	int ret;			/* 0 or -errno */
	unsigned int exit_reason;
};

static void *runner_fn(void *arg)
{
	struct runner *r = arg;

	r->started = 1;
	r->ret = ioctl(r->fd, r->ioctl, r->arg) < 0 ? -errno : 0;
	if (r->run)
		r->exit_reason = r->run->exit_reason;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void runner_start_ioctl(struct runner *r, int fd, struct kvm_run *run,
			       unsigned long ioctl_nr, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->run = run;
	r->ioctl = ioctl_nr;
	r->arg = arg;
	if (pthread_create(&r->thr, NULL, runner_fn, r))
		vm_fail("pthread_create");
	while (!r->started)
		usleep(1000);
}

static void runner_start(struct runner *r, struct vcpu *vcpu)
{
	runner_start_ioctl(r, vcpu->fd, vcpu->run, KVM_RUN, NULL);
}

/* Is it still inside the ioctl after @ms? */
static bool runner_stays(struct runner *r, int ms)
{
	usleep(ms * 1000);
	return !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
}

/* Wait (at most @secs) for the ioctl to return on its own. */
static bool runner_wait(struct runner *r, int secs)
{
	int i;

	for (i = 0; i < secs * 100; i++) {
		if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
			pthread_join(r->thr, NULL);
			return true;
		}
		usleep(10000);
	}
	return false;
}

/*
 * Signal the thread every 10 ms until its ioctl returns (at most @secs);
 * @hook, if given, runs once after 1 s without a return.  True if it did.
 */
static bool runner_signal_out(struct runner *r, int secs,
			      void (*hook)(void *), void *hook_arg)
{
	int i;

	for (i = 0; i < secs * 100; i++) {
		if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
			pthread_join(r->thr, NULL);
			return true;
		}
		if (i == 100 && hook)
			hook(hook_arg);
		pthread_kill(r->thr, SIGUSR1);
		usleep(10000);
	}
	return false;
}

/* The VMM's memory of a VM whose fds were closed one by one. */
static void vm_drop_memory(struct vm *vm)
{
	int i;

	for (i = 0; i < VM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].hva)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm);
}

enum where { IN_WFI, IN_FAULT, IN_BATCH };

enum { FD_VCPU, FD_VM, FD_DEV };

/* The short run takes one order in each situation, a different one. */
static const int close_orders[][3] = {
	{ FD_VCPU, FD_VM, FD_DEV },
	{ FD_DEV, FD_VM, FD_VCPU },
	{ FD_VM, FD_DEV, FD_VCPU },
};

struct fault_ctx {
	int uffd;
	struct uffd_msg msg;
};

/*
 * kvm.ko waits for a userfaultfd page killably only (its GUP is not
 * FOLL_INTERRUPTIBLE): a plain signal does not get it out of the fault,
 * so the test serves the page there; rvhv's wait is interruptible.
 */
static void serve_fault(void *arg)
{
	struct fault_ctx *f = arg;
	struct uffdio_zeropage zp = {
		.range.start = f->msg.arg.pagefault.address & ~4095ULL,
		.range.len = 4096,
	};

	if (dev_is_kvm())
		ioctl(f->uffd, UFFDIO_ZEROPAGE, &zp);
}

/*
 * A thread is in KVM_RUN at @where; the vCPU, VM and /dev fds are all
 * closed in @order under it; a signal must get it out (-EINTR,
 * KVM_EXIT_INTR), after which everything is released.
 */
static void close_while_running(struct __test_metadata *_metadata,
				enum where where, const int *order)
{
	const size_t usz = 0x10000;
	volatile struct smp_shared *sh;
	volatile struct guest_cmd *cmd;
	struct fault_ctx f = { .uffd = -1 };
	long ref0 = mod_refcnt();
	struct runner r;
	struct vcpu *vcpu;
	void *umem = NULL;
	struct vm *vm;
	int fds[3], i;

	ASSERT_GE(ref0, 0);
	vm = vm_create();
	sh = vm_gpa2hva(vm, SMP_SHARED);
	vcpu = vcpu_create(vm, 0);
	switch (where) {
	case IN_WFI:
		vcpu_start(vcpu, GUEST_FN(guest_wfi_loop), 0, 0);
		break;
	case IN_FAULT:
		umem = vm_alloc_uffd(usz, &f.uffd);
		ASSERT_NE(NULL, umem) TH_LOG("userfaultfd: %s", strerror(errno));
		vm_set_region(vm, 1, 0, GUEST_EXTRA, usz, umem);
		vcpu_start(vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
		vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
		cmd = vm_gpa2hva(vm, GUEST_CMD);
		cmd->op = CMD_READ64;
		cmd->addr = GUEST_EXTRA + 0x3000;
		break;
	case IN_BATCH:
		ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_SBI_BATCH, 1));
		vcpu_start(vcpu, GUEST_FN(guest_bench_sbi16), 1UL << 40, 1);
		break;
	}

	runner_start(&r, vcpu);
	switch (where) {
	case IN_WFI:
		for (i = 0; i < 1000 && !sh->guest_flag[0]; i++)
			usleep(5000);
		ASSERT_EQ(1, sh->guest_flag[0]) TH_LOG("the guest never ran");
		break;
	case IN_FAULT:
		ASSERT_EQ(0, uffd_wait_fault(f.uffd, 10000, &f.msg))
			TH_LOG("no fault on the userfaultfd page");
		break;
	case IN_BATCH:
		break;
	}
	ASSERT_TRUE(runner_stays(&r, 50))
		TH_LOG("KVM_RUN returned %d, exit %s", r.ret,
		       exit_reason_str(r.exit_reason));

	fds[FD_VCPU] = vcpu->fd;
	fds[FD_VM] = vm->fd;
	fds[FD_DEV] = vm->dev_fd;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, close(fds[order[i]]));
		ASSERT_TRUE(runner_stays(&r, 20))
			TH_LOG("KVM_RUN returned after close %d: %d", i, r.ret);
	}

	ASSERT_TRUE(runner_signal_out(&r, 10, where == IN_FAULT ?
				      serve_fault : NULL, &f))
		TH_LOG("a signal does not get the thread out of KVM_RUN");
	EXPECT_EQ(-EINTR, r.ret);
	EXPECT_EQ(KVM_EXIT_INTR, r.exit_reason)
		TH_LOG("exit %s", exit_reason_str(r.exit_reason));

	/* The mapping of kvm_run is the last thing holding the vCPU. */
	EXPECT_NE(ref0, mod_refcnt());
	munmap(vcpu->run, vm->run_size);
	free(vcpu);
	vm_drop_memory(vm);
	if (f.uffd >= 0)
		close(f.uffd);
	EXPECT_TRUE(released(ref0, getpid()));
}

TEST(close_all_in_wfi)
{
	unsigned int i;

	setup_signal();
	for (i = 0; i < ARRAY_SIZE(close_orders); i++)
		if (long_run() || i == 0)
			close_while_running(_metadata, IN_WFI, close_orders[i]);
}

TEST(close_all_in_gstage_fault)
{
	unsigned int i;

	setup_signal();
	for (i = 0; i < ARRAY_SIZE(close_orders); i++)
		if (long_run() || i == 1)
			close_while_running(_metadata, IN_FAULT, close_orders[i]);
}

TEST(close_all_in_sbi_batch)
{
	unsigned int i;

	if (dev_is_kvm())
		SKIP(return, "RVHV_SBI_BATCH is rvhv's own");
	setup_signal();
	for (i = 0; i < ARRAY_SIZE(close_orders); i++)
		if (long_run() || i == 2)
			close_while_running(_metadata, IN_BATCH, close_orders[i]);
}

/*
 * A signal while rvhv waits for the page behind a batch array (here
 * userfaultfd) ends KVM_RUN with KVM_EXIT_INTR and leaves the ecall to be
 * made again: the guest never gets an error for an array that is fine.
 */
TEST(signal_in_batch_copy)
{
	const size_t usz = 0x10000;
	volatile struct guest_sbi_req *req;
	struct rvhv_sbi_batch_entry *e;
	struct uffdio_copy copy = { 0 };
	struct uffd_msg msg;
	struct runner r;
	struct vcpu *vcpu;
	struct ucall uc;
	struct vm *vm;
	void *umem;
	char *page;
	int uffd;

	if (dev_is_kvm())
		SKIP(return, "RVHV_SBI_BATCH is rvhv's own");
	setup_signal();
	vm = vm_create();
	ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_SBI_BATCH, 1));
	umem = vm_alloc_uffd(usz, &uffd);
	ASSERT_NE(NULL, umem) TH_LOG("userfaultfd: %s", strerror(errno));
	vm_set_region(vm, 1, 0, GUEST_EXTRA, usz, umem);
	vcpu = vcpu_create(vm, 0);
	vcpu_start(vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	req = vm_gpa2hva(vm, GUEST_SBI_REQ);
	memset((void *)req, 0, sizeof(*req));
	req->ext = RVHV_SBI_EXT;
	req->fid = RVHV_SBI_BATCH;
	req->args[0] = GUEST_EXTRA;
	req->args[1] = 1;

	runner_start(&r, vcpu);
	ASSERT_EQ(0, uffd_wait_fault(uffd, 10000, &msg))
		TH_LOG("no fault on the array");
	ASSERT_TRUE(runner_signal_out(&r, 10, NULL, NULL));
	EXPECT_EQ(-EINTR, r.ret);
	EXPECT_EQ(KVM_EXIT_INTR, r.exit_reason)
		TH_LOG("exit %s", exit_reason_str(r.exit_reason));

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	e = (void *)page;
	e->eid = SBI_EXT_BASE;
	e->fid = SBI_BASE_GET_SPEC_VERSION;
	e->error = 0x5a5a;
	copy.dst = (unsigned long)umem;
	copy.src = (unsigned long)page;
	copy.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));

	vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, (long)uc.args[1]) TH_LOG("the batch failed");
	EXPECT_EQ(1, uc.args[2]);
	e = umem;
	EXPECT_EQ(0, e->error);
	EXPECT_NE(0, e->value);
	vcpu_free(vcpu);
	vm_free(vm);
	close(uffd);
	munmap(page, 4096);
}

/* A process killed (SIGKILL) in KVM_RUN leaves nothing behind. */
TEST(killed_in_run)
{
	long ref0 = mod_refcnt();
	int pfd[2], st, i;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pfd));
	for (i = 0; i < 2; i++) {
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			struct vm *vm = vm_create();
			struct vcpu *vcpu = vcpu_create(vm, 0);

			vcpu_start(vcpu, i ? GUEST_FN(guest_lc_spin) :
				   GUEST_FN(guest_wfi_loop), 0, 0);
			if (write(pfd[1], "x", 1) != 1)
				_exit(1);
			ioctl(vcpu->fd, KVM_RUN, 0);
			_exit(2);
		}
		ASSERT_EQ(1, read(pfd[0], &c, 1));
		usleep(100000);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			TH_LOG("the child left KVM_RUN on its own: %#x", st);
		EXPECT_TRUE(released(ref0, pid));
	}
	close(pfd[0]);
	close(pfd[1]);
}

/* Send fds over an AF_UNIX socket; -errno if there is none. */
static int send_fds(int sock, const int *fds, int n)
{
	char buf[CMSG_SPACE(3 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

static int recv_fds(int sock, int *fds, int n)
{
	char buf[CMSG_SPACE(3 * sizeof(int))] = { 0 };
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &mh, 0) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -EPROTO;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}

/*
 * The creator hands its /dev, VM and vCPU fds to another process and
 * exits; the receiver may not use the VM (it belongs to the creator's mm:
 * -EIO, as kvm.ko), may map kvm_run, and its close releases everything.
 * AF_UNIX SCM_RIGHTS where the kernel has it; the test kernel has no
 * CONFIG_NET, so there the receiver takes the fds with pidfd_getfd(),
 * which gives it the same files.
 */
TEST(fds_to_another_process)
{
	long ref0 = mod_refcnt();
	int sv[2], c2p[2], p2c[2], fds[3], cfds[3], pidfd, i, st, use_scm;
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };
	struct kvm_one_reg reg;
	struct kvm_run *run;
	uint64_t pc;
	pid_t pid;
	char c;

	use_scm = !socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	if (!use_scm) {
		ASSERT_TRUE(errno == EAFNOSUPPORT || errno == ENOSYS)
			TH_LOG("socketpair: %s", strerror(errno));
		TH_LOG("no AF_UNIX (%s): the fds go by pidfd_getfd()",
		       strerror(errno));
	}
	ASSERT_EQ(0, pipe(c2p));
	ASSERT_EQ(0, pipe(p2c));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct vm *vm = vm_create();
		struct vcpu *vcpu = vcpu_create(vm, 0);

		close(c2p[0]);
		close(p2c[1]);
		vcpu_start(vcpu, GUEST_FN(guest_return), 1, 2);
		cfds[0] = vm->dev_fd;
		cfds[1] = vm->fd;
		cfds[2] = vcpu->fd;
		if (use_scm) {
			if (send_fds(sv[1], cfds, 3))
				_exit(1);
		} else if (write(c2p[1], cfds, sizeof(cfds)) != sizeof(cfds)) {
			_exit(1);
		}
		/* Stay until the receiver has them. */
		if (read(p2c[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(c2p[1]);
	close(p2c[0]);
	if (use_scm) {
		ASSERT_EQ(0, recv_fds(sv[0], fds, 3));
	} else {
		ASSERT_EQ(sizeof(cfds), read(c2p[0], cfds, sizeof(cfds)));
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		ASSERT_GE(pidfd, 0) TH_LOG("pidfd_open: %s", strerror(errno));
		for (i = 0; i < 3; i++) {
			fds[i] = syscall(SYS_pidfd_getfd, pidfd, cfds[i], 0);
			ASSERT_GE(fds[i], 0)
				TH_LOG("pidfd_getfd: %s", strerror(errno));
		}
		close(pidfd);
	}
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* The creator is gone; its VM lives on in our fds. */
	EXPECT_EQ(1, live_vms(pid));
	EXPECT_EQ(-1, ioctl(fds[2], KVM_RUN, 0));
	EXPECT_EQ(EIO, errno);
	reg.id = CORE_PC;
	reg.addr = (uintptr_t)&pc;
	EXPECT_EQ(-1, ioctl(fds[2], KVM_GET_ONE_REG, &reg));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, ioctl(fds[2], KVM_INTERRUPT, &irq));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, ioctl(fds[1], KVM_CREATE_VCPU, 1));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, ioctl(fds[1], KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	EXPECT_EQ(EIO, errno);
	/* The system fd is anyone's. */
	EXPECT_EQ(KVM_API_VERSION, ioctl(fds[0], KVM_GET_API_VERSION, 0));
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fds[2], 0);
	ASSERT_NE(MAP_FAILED, run);
	EXPECT_EQ(0, run->immediate_exit);

	/* Close in an order that leaves the VM fd last. */
	close(fds[2]);
	close(fds[0]);
	EXPECT_EQ(1, live_vms(pid));
	close(fds[1]);
	EXPECT_EQ(1, live_vms(pid)) TH_LOG("kvm_run's mapping holds it");
	munmap(run, 4096);
	EXPECT_TRUE(released(ref0, pid));
	if (use_scm) {
		close(sv[0]);
		close(sv[1]);
	}
	close(c2p[0]);
	close(p2c[1]);
}

/*
 * Two threads call KVM_RUN on one vCPU.  The vCPU mutex serialises
 * them; like kvm.ko (mutex_lock_killable) the waiter is not ended by a
 * plain signal while it waits, but sees it once it gets the vCPU.
 */
TEST(concurrent_run)
{
	volatile struct smp_shared *sh;
	struct runner a, b;
	struct vcpu *vcpu;
	struct vm *vm;
	unsigned long c0;
	int i;

	setup_signal();
	vm = vm_create();
	sh = vm_gpa2hva(vm, SMP_SHARED);
	vcpu = vcpu_create(vm, 0);
	vcpu_start(vcpu, GUEST_FN(guest_lc_spin), 0, 0);

	runner_start(&a, vcpu);
	for (i = 0; i < 1000 && !sh->counter[0]; i++)
		usleep(5000);
	ASSERT_NE(0, sh->counter[0]) TH_LOG("the guest never ran");
	runner_start(&b, vcpu);
	ASSERT_TRUE(runner_stays(&b, 100)) TH_LOG("second KVM_RUN: %d", b.ret);
	ASSERT_TRUE(runner_stays(&a, 0));

	/* The waiter keeps waiting through a signal... */
	pthread_kill(b.thr, SIGUSR1);
	EXPECT_TRUE(runner_stays(&b, 100))
		TH_LOG("a signal ended the wait for the vCPU: %d", b.ret);
	/*
	 * ...the runner leaves on its own signal...  (Not its exit_reason:
	 * each runner reads the shared kvm_run after its ioctl returned,
	 * when the waiter may already be in KVM_RUN, which resets it.)
	 */
	ASSERT_TRUE(runner_signal_out(&a, 10, NULL, NULL));
	EXPECT_EQ(-EINTR, a.ret);
	/* ...and the waiter then runs, and leaves on the signal it got. */
	ASSERT_TRUE(runner_signal_out(&b, 10, NULL, NULL));
	EXPECT_EQ(-EINTR, b.ret);
	EXPECT_EQ(KVM_EXIT_INTR, b.exit_reason);

	/* Both again, then the guest ends: one sees DONE, the other runs on. */
	runner_start(&a, vcpu);
	runner_start(&b, vcpu);
	c0 = sh->counter[0];
	for (i = 0; i < 1000 && sh->counter[0] == c0; i++)
		usleep(5000);
	sh->host_flag[0] = 1;
	for (i = 0; i < 1000 && !a.done && !b.done; i++)
		usleep(5000);
	ASSERT_TRUE(a.done || b.done) TH_LOG("neither KVM_RUN returned");
	/* The guest stays done: the second one sees DONE again. */
	ASSERT_TRUE(runner_wait(&a, 10));
	ASSERT_TRUE(runner_wait(&b, 10));
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(0, b.ret);
	/* The last one's exit is what kvm_run holds (see above). */
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, vcpu->run->exit_reason);
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * ONE_REG and MP_STATE from another thread while the vCPU runs wait for
 * the vCPU; a signal meanwhile does not fail them with -EINTR (kvm.ko
 * takes the vCPU mutex killably: only a fatal signal ends the wait).
 */
TEST(ioctl_waits_through_signals)
{
	volatile struct smp_shared *sh;
	struct kvm_mp_state mp = { 0 };
	struct kvm_one_reg reg;
	struct runner a, b;
	struct vcpu *vcpu;
	struct vm *vm;
	uint64_t pc = 0;
	unsigned long c0;
	int i, k;

	setup_signal();
	vm = vm_create();
	sh = vm_gpa2hva(vm, SMP_SHARED);
	vcpu = vcpu_create(vm, 0);
	vcpu_start(vcpu, GUEST_FN(guest_lc_spin), 0, 0);
	reg.id = CORE_PC;
	reg.addr = (uintptr_t)&pc;

	for (k = 0; k < 2; k++) {
		c0 = sh->counter[0];
		runner_start(&a, vcpu);
		for (i = 0; i < 1000 && sh->counter[0] == c0; i++)
			usleep(5000);
		ASSERT_NE(c0, sh->counter[0]) TH_LOG("the guest does not run");
		if (k == 0)
			runner_start_ioctl(&b, vcpu->fd, NULL,
					   KVM_GET_ONE_REG, &reg);
		else
			runner_start_ioctl(&b, vcpu->fd, NULL,
					   KVM_GET_MP_STATE, &mp);
		ASSERT_TRUE(runner_stays(&b, 100)) TH_LOG("%d", b.ret);
		for (i = 0; i < 5; i++) {
			pthread_kill(b.thr, SIGUSR1);
			usleep(20000);
		}
		EXPECT_TRUE(runner_stays(&b, 0))
			TH_LOG("the ioctl ended with %d on a signal", b.ret);
		ASSERT_TRUE(runner_signal_out(&a, 10, NULL, NULL));
		EXPECT_EQ(-EINTR, a.ret);
		ASSERT_TRUE(runner_wait(&b, 5));
		EXPECT_EQ(0, b.ret);
	}
	EXPECT_NE(0, pc);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	vcpu_free(vcpu);
	vm_free(vm);
}

struct storm {
	struct vcpu *vcpu;
	volatile int stop;
	unsigned long n;
	int err;
};

static void *storm_fn(void *arg)
{
	struct storm *s = arg;
	struct kvm_interrupt irq;

	while (!s->stop) {
		irq.irq = s->n & 1 ? KVM_INTERRUPT_UNSET : KVM_INTERRUPT_SET;
		if (ioctl(s->vcpu->fd, KVM_INTERRUPT, &irq)) {
			s->err = errno;
			break;
		}
		s->n++;
	}
	return NULL;
}

static int lc_interrupt(struct vcpu *vcpu, unsigned int what)
{
	struct kvm_interrupt irq = { .irq = what };

	return ioctl(vcpu->fd, KVM_INTERRUPT, &irq) ? -errno : 0;
}

/*
 * An I/O thread raises and lowers the external interrupt as fast as it
 * can (1000 KVM_INTERRUPTs, or 0.75 s) while the guest takes it,
 * spinning and then in WFI; the guest must see it raised after the storm,
 * and nothing hangs.  On the QEMU test bed the thread manages 300 to 3000
 * a second, on rvhv and kvm.ko alike, but under 100 when it shares a host
 * CPU with the vCPU thread of a guest that keeps taking the raised
 * interrupt until the scheduler preempts it (seen with the sanitizer kernel).
 */
TEST(interrupt_storm)
{
	volatile struct smp_shared *sh;
	struct vcpu_thread t;
	struct storm s;
	struct vcpu *vcpu;
	struct vm *vm;
	unsigned long sei, ret;
	uint64_t t0;
	pthread_t thr;
	int use_wfi, i;

	for (use_wfi = 0; use_wfi < 2; use_wfi++) {
		vm = vm_create();
		sh = vm_gpa2hva(vm, SMP_SHARED);
		vcpu = vcpu_create(vm, 0);
		vcpu_start(vcpu, GUEST_FN(guest_lc_irq_storm), use_wfi, 0);
		vcpu_thread_start(&t, vcpu);
		for (i = 0; i < 1000 && !sh->guest_flag[0]; i++)
			usleep(5000);
		ASSERT_EQ(1, sh->guest_flag[0]);

		memset(&s, 0, sizeof(s));
		s.vcpu = vcpu;
		ASSERT_EQ(0, pthread_create(&thr, NULL, storm_fn, &s));
		t0 = now_ns();
		while (s.n < 1000 && now_ns() - t0 < 750000000ULL && !s.err)
			usleep(10000);
		s.stop = 1;
		pthread_join(thr, NULL);
		EXPECT_EQ(0, s.err);
		TH_LOG("%s: %lu KVM_INTERRUPTs in %llu ms, %lu taken",
		       use_wfi ? "wfi" : "spin", s.n,
		       (unsigned long long)(now_ns() - t0) / 1000000,
		       sh->sei[0]);
		EXPECT_GE(s.n, 20);

		/* Lowered; now raised once more: the guest must take it. */
		ASSERT_EQ(0, lc_interrupt(vcpu, KVM_INTERRUPT_UNSET));
		usleep(20000);
		sei = sh->sei[0];
		ASSERT_EQ(0, lc_interrupt(vcpu, KVM_INTERRUPT_SET));
		for (i = 0; i < 1000 && sh->sei[0] == sei; i++)
			usleep(5000);
		EXPECT_GT(sh->sei[0], sei) TH_LOG("the last raise was lost");
		sh->host_flag[0] = 1;
		ret = vcpu_thread_join(&t, 10);
		EXPECT_GE(ret, 1);
		ASSERT_EQ(0, lc_interrupt(vcpu, KVM_INTERRUPT_UNSET));
		vcpu_free(vcpu);
		vm_free(vm);
	}
}

/*
 * Free memory in kB: MemFree plus the pages on the per-CPU free lists
 * (/proc/zoneinfo "count:"), which MemFree leaves out and which hold
 * freed huge pages too.
 */
static long mem_free_kb(void)
{
	const char *txt = rvhv_read_file("/proc/meminfo");
	const char *p = txt ? strstr(txt, "MemFree:") : NULL;
	long kb, pcp = 0;

	if (!p)
		return -1;
	kb = strtol(p + 8, NULL, 10);
	txt = rvhv_read_file("/proc/zoneinfo");
	for (p = txt; p && (p = strstr(p, "count:")); p += 6)
		pcp += strtol(p + 6, NULL, 10);
	return kb + pcp * 4;
}

/*
 * One VM's life: a VM and a vCPU (with the guest payload's memory and a
 * guest that writes to every page of 4 MiB more, if @run: G-stage
 * mappings and tables), then its fds closed in one of three ways.
 */
static void one_vm_life(int how, bool run)
{
	const size_t sz = 4 << 20;
	volatile struct guest_cmd *cmd;
	struct vcpu *vcpu;
	struct ucall uc;
	struct vm *vm;
	void *mem;

	vm = run ? vm_create() : vm_create_empty();
	vcpu = vcpu_create(vm, 0);
	if (run) {
		/* Huge pages where the host gives them: a leaked page pins 2 MiB. */
		mem = vm_alloc(sz, 2 << 20);
		madvise(mem, sz, MADV_HUGEPAGE);
		vm_set_region(vm, 1, 0, GUEST_EXTRA, sz, mem);
		vcpu_start(vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
		vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
		cmd = vm_gpa2hva(vm, GUEST_CMD);
		cmd->op = CMD_FILL_PAGES;
		cmd->addr = GUEST_EXTRA;
		cmd->n = sz / 4096;
		cmd->val = 1;
		vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
	}
	switch (how) {
	case 0:
		vcpu_free(vcpu);
		vm_free(vm);
		break;
	case 1:		/* the VM fd first */
		close(vm->fd);
		close(vm->dev_fd);
		munmap(vcpu->run, vm->run_size);
		close(vcpu->fd);
		free(vcpu);
		vm_drop_memory(vm);
		break;
	case 2:		/* every fd, then the mapping of kvm_run */
		close(vcpu->fd);
		close(vm->fd);
		close(vm->dev_fd);
		munmap(vcpu->run, vm->run_size);
		free(vcpu);
		vm_drop_memory(vm);
		break;
	}
}

/*
 * VMs one after the other, closed in turn in the three ways: 30 created
 * and closed, then 5 whose guest writes 4 MiB (RVHV_LC_LONG: 200 and 10;
 * on kvm.ko, the reference, whose VMs take longer to make and which
 * faults in 4 KiB pages: 10 and 1, or 40 and 4; $RVHV_LC_REUSE and
 * $RVHV_LC_RUNS set the counts).  The module's refcount comes back and
 * no VM is left.  Free memory (with the per-CPU lists) does not shrink by
 * 6 MiB over a round: one leaked page of guest memory pins a 2 MiB huge
 * page, so a leak in each guest that ran shows.  Memory the kernel keeps
 * once (caches) is not a leak: a round that lost more is repeated, and
 * a leak loses as much again.
 */
static void vm_lives(int n, int runs)
{
	int i;

	for (i = 0; i < n; i++)
		one_vm_life(i % 3, false);
	for (i = 0; i < runs; i++)
		one_vm_life(i % 3, true);
}

FIXTURE(reuse) {
	int unused;
};

FIXTURE_SETUP(reuse)
{
}

FIXTURE_TEARDOWN(reuse)
{
}

/* The long form (RVHV_LC_LONG=1) needs more than the default 30 s. */
TEST_F_TIMEOUT(reuse, without_leaks, 180)
{
	bool kvm = dev_is_kvm(), full = long_run();
	int n = env_int("RVHV_LC_REUSE", kvm ? (full ? 40 : 10) : (full ? 200 : 30));
	int runs = env_int("RVHV_LC_RUNS", kvm ? (full ? 4 : 1) : (full ? 10 : 5));
	long ref0 = mod_refcnt(), free0, free1, lost = 0;
	uint64_t t0;
	int round;

	vm_lives(3, 1);
	for (round = 0; round < 2; round++) {
		usleep(100000);
		free0 = mem_free_kb();
		t0 = now_ns();
		vm_lives(n, runs);
		ASSERT_TRUE(released(ref0, getpid()));
		usleep(100000);
		free1 = mem_free_kb();
		lost = free0 - free1;
		TH_LOG("free %ld kB before, %ld kB after %d + %d VMs (%llu ms)",
		       free0, free1, n, runs,
		       (unsigned long long)(now_ns() - t0) / 1000000);
		if (lost < 6144)
			break;
	}
	EXPECT_LT(lost, 6144);
}

/* ---- module unload with live VMs (rvhv only: kvm.ko is the test bed's) */

static bool rvhv_unload_within(int secs)
{
	int i;

	for (i = 0; i < secs * 100; i++) {
		if (!rvhv_unload_module("rvhv"))
			return true;
		usleep(10000);
	}
	return false;
}

FIXTURE(unload) {
	int unused;
};

FIXTURE_SETUP(unload)
{
	if (dev_is_kvm())
		SKIP(return, "unloads rvhv.ko");
	setup_signal();
}

/* Whatever happened, rvhv is loaded again for the programs after this. */
FIXTURE_TEARDOWN(unload)
{
	int r;

	if (dev_is_kvm())
		return;
	r = rvhv_load_module(RVHV_KO, "");
	if (r && r != -EEXIST)
		fprintf(stderr, "# reloading rvhv.ko: %s\n", strerror(-r));
}

/*
 * Every kind of reference pins the module: a vCPU in KVM_RUN whose fds
 * and mapping are all gone, /dev/rvhv, a VM fd, a vCPU fd, and a mapping
 * of kvm_run whose fd is closed.  The last one gone, it unloads, and a
 * reloaded rvhv runs guests.
 */
TEST_F(unload, live_references)
{
	struct kvm_run *run;
	struct runner r;
	struct vcpu *vcpu;
	struct vm *vm;
	int dev, vmfd, vcpufd;

	vm = vm_create();
	vcpu = vcpu_create(vm, 0);
	vcpu_start(vcpu, GUEST_FN(guest_lc_spin), 0, 0);
	runner_start(&r, vcpu);
	ASSERT_TRUE(runner_stays(&r, 100));
	close(vcpu->fd);
	close(vm->fd);
	close(vm->dev_fd);
	r.run = NULL;
	munmap(vcpu->run, vm->run_size);
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	ASSERT_TRUE(runner_stays(&r, 0));
	ASSERT_TRUE(runner_signal_out(&r, 10, NULL, NULL));
	EXPECT_EQ(-EINTR, r.ret);
	free(vcpu);
	vm_drop_memory(vm);

	dev = rvhv_open_dev(O_RDWR);
	ASSERT_GE(dev, 0);
	vmfd = ioctl(dev, KVM_CREATE_VM, 0);
	ASSERT_GE(vmfd, 0);
	vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	ASSERT_GE(vcpufd, 0);
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpufd, 0);
	ASSERT_NE(MAP_FAILED, run);
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	close(dev);
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	close(vmfd);
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	close(vcpufd);
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	/* The page is still there, and still the vCPU's. */
	run->immediate_exit = 1;
	EXPECT_EQ(1, run->immediate_exit);
	EXPECT_EQ(1, live_vms(getpid()));
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	munmap(run, 4096);
	EXPECT_TRUE(rvhv_unload_within(2));
	EXPECT_EQ(-1, access("/dev/rvhv", F_OK));
	ASSERT_EQ(0, rvhv_load_module(RVHV_KO, ""));

	vm = vm_create();
	vcpu = vcpu_create(vm, 0);
	vcpu_start(vcpu, GUEST_FN(guest_return), 20, 22);
	EXPECT_EQ(42, vcpu_run_to_done(vcpu));
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
