// SPDX-License-Identifier: GPL-2.0
/*
 * debug_test: guest debugging, on rvhv and kvm.ko.
 *
 * KVM_SET_GUEST_DEBUG (vcpu/debug.c): with KVM_GUESTDBG_ENABLE a guest
 * ebreak or c.ebreak ends KVM_RUN with KVM_EXIT_DEBUG, the pc at the
 * instruction; the VMM moves the pc on and the guest continues.  Disabled,
 * the guest's own trap handler takes its breakpoints (scause 3).  Per
 * vCPU; set from another thread while the vCPU runs, it waits for that
 * KVM_RUN and applies from the next entry.  Control bits rvhv does not
 * implement get -EINVAL (kvm.ko accepts and ignores them).  The guest is
 * guest/debug.c: guest_dbg_site holds an ebreak at guest_dbg_e4 and a
 * c.ebreak at guest_dbg_e2.
 *
 * rvhv-run --gdb (tools/rvhv-run/gdb.c): the gdb fixture runs rvhv-run
 * with its stub on a bare guest with two harts that turns on Sv39
 * (tools/rvhv-run/gdb-guest.c) and drives it as gdb would, with a small
 * remote-protocol client: registers, breakpoints by physical and by
 * virtual address (through 4 KiB and 2 MiB pages), memory through the
 * guest's page tables, stepping, continuing from a breakpoint, every
 * vCPU stopped at a stop, Ctrl-C, the guest's own ebreak left to it,
 * detach, and kill.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <elf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "../tools/rvhv-run/gdb-guest.h"

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

/* ---- rvhv-run --gdb: the stub, driven as gdb drives it ---- */

#define VMM		"/bin/rvhv-run"
#define GDB_GUEST	"/lib/guest-gdb.elf"
#define RSP_MS		60000	/* one reply: nested TCG on a busy machine */
#define EXIT_GDB_KILL	137	/* rvhv-run's status after k */
#define GDB_SOCK	"/tmp/rvhv-gdb.sock"

#define VB(pa)		GDB_GUEST_ALIAS(GDB_GUEST_VBASE, (pa))
#define VM(pa)		GDB_GUEST_ALIAS(GDB_GUEST_VMEGA, (pa))

/* The guest's ELF file: symbols and the bytes at an address. */
struct elf_file {
	uint8_t *buf;
	size_t size;
};

static bool elf_load(struct elf_file *e, const char *path)
{
	const char *data = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr))
		return false;
	e->size = st.st_size;
	e->buf = malloc(e->size);
	if (e->buf && read(fd, e->buf, e->size) == (ssize_t)e->size)
		data = (const char *)e->buf;
	close(fd);
	return data && !memcmp(e->buf, ELFMAG, SELFMAG);
}

static uint64_t elf_sym(const struct elf_file *e, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)e->buf;
	const Elf64_Shdr *sh = (const void *)(e->buf + eh->e_shoff);
	int i;

	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym = (const void *)(e->buf + sh[i].sh_offset);
		const char *str = (const char *)e->buf +
				  sh[sh[i].sh_link].sh_offset;
		size_t k, n = sh[i].sh_size / sizeof(*sym);

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		for (k = 0; k < n; k++)
			if (!strcmp(str + sym[k].st_name, name))
				return sym[k].st_value;
	}
	return 0;
}

static const uint8_t *elf_at(const struct elf_file *e, uint64_t addr)
{
	const Elf64_Ehdr *eh = (const void *)e->buf;
	const Elf64_Phdr *ph = (const void *)(e->buf + eh->e_phoff);
	int i;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && addr >= ph[i].p_paddr &&
		    addr + 4 <= ph[i].p_paddr + ph[i].p_filesz)
			return e->buf + ph[i].p_offset + (addr - ph[i].p_paddr);
	return NULL;
}

/* rvhv-run as a child, its stdout and stderr collected. */
struct vmm {
	pid_t pid;
	int out;
	char buf[65536];
	size_t len;
};

static void vmm_start(struct vmm *m, const char *const *args)
{
	const char *argv[32] = { VMM };
	int p[2], i;

	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	m->len = 0;
	m->buf[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		abort();
	m->pid = fork();
	if (m->pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(VMM, (char **)argv);
		_exit(127);
	}
	close(p[1]);
	m->out = p[0];
}

/* Read what there is within ms; false at EOF or timeout. */
static bool vmm_read(struct vmm *m, int ms)
{
	struct pollfd pfd = { .fd = m->out, .events = POLLIN };
	ssize_t n;

	if (m->out < 0 || poll(&pfd, 1, ms) <= 0)
		return false;
	n = read(m->out, m->buf + m->len, sizeof(m->buf) - 1 - m->len);
	if (n <= 0) {
		close(m->out);
		m->out = -1;
		return false;
	}
	m->len += n;
	m->buf[m->len] = '\0';
	return true;
}

static const char *vmm_wait_for(struct vmm *m, const char *what, int secs)
{
	uint64_t end = now_ns() + secs * 1000000000ULL;
	const char *p;

	while (!(p = strstr(m->buf, what)) && now_ns() < end)
		if (!vmm_read(m, 100) && m->out < 0)
			break;
	return p;
}

/* Its exit status (-1: killed after secs), all output read. */
static int vmm_wait_exit(struct vmm *m, int secs)
{
	uint64_t end = now_ns() + secs * 1000000000ULL;
	int status;

	while (m->out >= 0 && now_ns() < end)
		vmm_read(m, 100);
	while (waitpid(m->pid, &status, WNOHANG) == 0) {
		if (now_ns() > end) {
			kill(m->pid, SIGKILL);
			waitpid(m->pid, &status, 0);
			m->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	m->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static void vmm_show(const struct vmm *m)
{
	const char *s = m->buf, *e;

	while (*s) {
		e = strchrnul(s, '\n');
		printf("# | %.*s\n", (int)(e - s), s);
		s = *e ? e + 1 : e;
	}
}

/* The debugger's end: a remote serial protocol client. */
struct rsp {
	int fd;
	bool noack;
	uint8_t in[4096];
	size_t in_len, in_pos;
	char reply[65536];
};

static int rsp_getc(struct rsp *r, int ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	ssize_t n;

	if (r->in_pos == r->in_len) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		n = read(r->fd, r->in, sizeof(r->in));
		if (n <= 0)
			return -1;
		r->in_len = n;
		r->in_pos = 0;
	}
	return r->in[r->in_pos++];
}

static void rsp_send(struct rsp *r, const char *data)
{
	char buf[4200];
	uint8_t sum = 0;
	size_t i, n = strlen(data);

	for (i = 0; i < n; i++)
		sum += (uint8_t)data[i];
	n = snprintf(buf, sizeof(buf), "$%s#%02x", data, sum);
	if (write(r->fd, buf, n) != (ssize_t)n)
		return;
}

/* The next packet (its data), or NULL after ms without one. */
static const char *rsp_recv(struct rsp *r, int ms)
{
	unsigned int sum = 0, want;
	size_t n = 0;
	char cs[3] = { 0 };
	int c;

	do {
		c = rsp_getc(r, ms);
		if (c < 0)
			return NULL;
	} while (c != '$');
	while ((c = rsp_getc(r, ms)) >= 0 && c != '#') {
		if (n < sizeof(r->reply) - 1)
			r->reply[n++] = c;
		sum += c;
	}
	cs[0] = rsp_getc(r, ms);
	cs[1] = rsp_getc(r, ms);
	r->reply[n] = '\0';
	if (c < 0 || sscanf(cs, "%x", &want) != 1 || want != (sum & 0xff))
		return NULL;
	if (!r->noack && write(r->fd, "+", 1) != 1)
		return NULL;
	return r->reply;
}

/* Send a packet, return the reply (an empty string if none came). */
static const char *rsp(struct rsp *r, const char *fmt, ...)
{
	char buf[4096];
	const char *reply;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rsp_send(r, buf);
	reply = rsp_recv(r, RSP_MS);
	if (!reply) {
		printf("# no reply to '%s'\n", buf);
		r->reply[0] = '\0';
		return r->reply;
	}
	return reply;
}

/* To 127.0.0.1:port, or to the Unix socket path if port is 0. */
static int rsp_connect(uint16_t port, const char *path)
{
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd, one = 1;

	if (!port) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		snprintf(u.sun_path, sizeof(u.sun_path), "%s", path);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&u, sizeof(u))) {
			close(fd);
			return -1;
		}
		return fd;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	/* As gdb does: no Nagle delay between an ack and the next packet. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static uint64_t le_hex(const char *p, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i, b;

	for (i = 0; i < bytes && p[2 * i] && p[2 * i + 1]; i++) {
		if (sscanf(p + 2 * i, "%2x", &b) != 1)
			break;
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static void hex_le(char *out, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++, v >>= 8)
		sprintf(out + 2 * i, "%02x", (unsigned int)(v & 0xff));
}

/* The pc a stop reply reports (its "20:" register), or 0. */
static uint64_t stop_pc(const char *reply)
{
	const char *p = strstr(reply, "20:");

	return p ? le_hex(p + 3, 8) : 0;
}

FIXTURE(gdb) {
	struct elf_file elf;
	struct vmm vmm;
	struct rsp rsp;
	char dev[64];
	int port;
};

FIXTURE_SETUP(gdb)
{
	snprintf(self->dev, sizeof(self->dev), "%s", rvhv_dev_path());
	self->rsp.fd = -1;
	self->vmm.pid = 0;
	ASSERT_EQ(0, access(VMM, X_OK)) TH_LOG("%s missing", VMM);
	ASSERT_TRUE(elf_load(&self->elf, GDB_GUEST))
		TH_LOG("%s missing or not ELF", GDB_GUEST);
}

FIXTURE_TEARDOWN(gdb)
{
	if (self->rsp.fd >= 0)
		close(self->rsp.fd);
	if (self->vmm.pid > 0) {
		kill(self->vmm.pid, SIGKILL);
		waitpid(self->vmm.pid, NULL, 0);
	}
	free(self->elf.buf);
}

/* (Re)connect to the stub. */
static void gdb_connect(struct __test_metadata *_metadata,
			FIXTURE_DATA(gdb) *self)
{
	if (self->rsp.fd >= 0)
		close(self->rsp.fd);
	self->rsp.fd = rsp_connect(self->port, GDB_SOCK);
	ASSERT_LE(0, self->rsp.fd);
	self->rsp.noack = false;
	self->rsp.in_len = self->rsp.in_pos = 0;
}

/*
 * Start rvhv-run on the guest with 2 vCPUs, its stub on a free TCP port
 * (--gdb 0) or on the Unix socket GDB_SOCK, and connect to it.
 */
static void gdb_start(struct __test_metadata *_metadata,
		      FIXTURE_DATA(gdb) *self, bool tcp)
{
	const char *key = tcp ? "waiting for a debugger on 127.0.0.1:" :
				"waiting for a debugger on " GDB_SOCK;
	const char *args[] = { "--dev", self->dev, "--kernel", GDB_GUEST,
			       "--mem", "16", "--cpus", "2", "--gdb",
			       tcp ? "0" : GDB_SOCK, NULL };
	const char *p;

	vmm_start(&self->vmm, args);
	p = vmm_wait_for(&self->vmm, key, 60);
	if (!p)
		vmm_show(&self->vmm);
	ASSERT_NE(NULL, p);
	self->port = tcp ? atoi(p + strlen(key)) : 0;
	gdb_connect(_metadata, self);
}

/* Wait for rvhv-run's exit: its status, the output shown if unexpected. */
static int gdb_finish(FIXTURE_DATA(gdb) *self, int want)
{
	int status;

	if (self->rsp.fd >= 0)
		close(self->rsp.fd);
	self->rsp.fd = -1;
	status = vmm_wait_exit(&self->vmm, 120);
	if (status != want)
		vmm_show(&self->vmm);
	printf("# rvhv-run exit %d\n", status);
	return status;
}

#define SYM(name)	elf_sym(&self->elf, (name))
#define MEM64(addr)	le_hex(rsp(r, "m%lx,8", (unsigned long)(addr)), 8)

/*
 * A whole session on the guest's two vCPUs, on the Unix socket.  In
 * order: qSupported, the first stop (before the guest ran), threads,
 * target.xml, registers; a breakpoint by physical address (the guest
 * still has satp 0), reached after the guest turned on Sv39; breakpoints
 * at virtual addresses through 4 KiB pages (4-byte and compressed) and a
 * 2 MiB page; memory through both and across two pages mapped in reverse
 * order, with the breakpoints' own bytes hidden; the other vCPU stopped
 * while stopped; three steps (straight, then a ret); p/P; a c.bnez
 * stepped both ways; continuing from a breakpoint that stays; Ctrl-C
 * while the guest waits (after taking its own ebreak, which the stub left
 * to it); memory written; the guest ends while gdb waits (W00) with what
 * was written.
 */
TEST_F_TIMEOUT(gdb, session, 240)
{
	uint64_t ready = SYM("gdb_ready"), bp4 = SYM("gdb_bp4");
	uint64_t bp2 = SYM("gdb_bp2"), br = SYM("gdb_br");
	uint64_t hits = SYM("gdb_hits"), counter1 = SYM("gdb_counter1");
	const struct elf_file *elf = &self->elf;
	const Elf64_Ehdr *eh = (const void *)elf->buf;
	struct rsp *r = &self->rsp;
	uint64_t ra, a0, c1, want;
	const char *reply;
	char hex[40], line[200];

	ASSERT_TRUE(ready && bp4 && bp2 && br && hits && counter1);
	gdb_start(_metadata, self, false);

	reply = rsp(r, "qSupported:multiprocess+;swbreak+;hwbreak+");
	EXPECT_NE(NULL, strstr(reply, "PacketSize=")) TH_LOG("%s", reply);
	EXPECT_NE(NULL, strstr(reply, "swbreak+"));
	EXPECT_NE(NULL, strstr(reply, "qXfer:features:read+"));
	reply = rsp(r, "?");
	EXPECT_EQ(0, strncmp(reply, "T05", 3)) TH_LOG("%s", reply);
	EXPECT_NE(NULL, strstr(reply, "thread:1;"));
	EXPECT_STREQ("m1,2", rsp(r, "qfThreadInfo"));
	EXPECT_STREQ("l", rsp(r, "qsThreadInfo"));
	EXPECT_STREQ("1", rsp(r, "qAttached"));
	EXPECT_EQ(0, strncmp(rsp(r, "Hg3"), "E", 1));
	EXPECT_STREQ("OK", rsp(r, "Hg1"));
	reply = rsp(r, "qXfer:features:read:target.xml:0,3fff");
	EXPECT_TRUE(reply[0] == 'l' || reply[0] == 'm');
	EXPECT_NE(NULL, strstr(reply, "<architecture>riscv:rv64</architecture>"));
	EXPECT_NE(NULL, strstr(reply, "org.gnu.gdb.riscv.cpu"));
	EXPECT_STREQ("OK", rsp(r, "QStartNoAckMode"));
	r->noack = true;

	/* x0..x31, pc: at the entry, a0 = hartid 0. */
	reply = rsp(r, "g");
	ASSERT_EQ(33 * 16, strlen(reply)) TH_LOG("%s", reply);
	EXPECT_EQ(eh->e_entry, le_hex(reply + 32 * 16, 8));
	EXPECT_EQ(0, le_hex(reply + 10 * 16, 8));

	/* satp is 0: a breakpoint at a physical address; it reads as before. */
	EXPECT_STREQ("OK", rsp(r, "Z0,%lx,4", ready));
	EXPECT_EQ(*(const uint32_t *)elf_at(elf, ready),
		  (uint32_t)le_hex(rsp(r, "m%lx,4", ready), 4));
	reply = rsp(r, "c");
	EXPECT_EQ(0, strncmp(reply, "T05", 3)) TH_LOG("%s", reply);
	EXPECT_NE(NULL, strstr(reply, "swbreak:;"));
	EXPECT_NE(NULL, strstr(reply, "thread:1;"));
	EXPECT_EQ(ready, stop_pc(reply));
	/* Now the guest has Sv39 on (satp is CSR 0x180, gdb's 0x1c1). */
	EXPECT_EQ(8, le_hex(rsp(r, "p1c1"), 8) >> 60);
	EXPECT_STREQ("OK", rsp(r, "z0,%lx,4", ready));

	/* Virtual addresses: 4 KiB pages, and one through the 2 MiB page. */
	EXPECT_STREQ("OK", rsp(r, "Z0,%lx,4", VB(bp4)));
	EXPECT_STREQ("OK", rsp(r, "Z0,%lx,2", VB(bp2)));
	EXPECT_STREQ("OK", rsp(r, "Z0,%lx,2", VM(br)));
	EXPECT_EQ(0, strncmp(rsp(r, "Z0,%lx,4", 0x1000UL), "E", 1));
	EXPECT_EQ(0, strncmp(rsp(r, "Z0,%lx,3", VB(bp4)), "E", 1));
	reply = rsp(r, "c");
	EXPECT_EQ(VB(bp4), stop_pc(reply)) TH_LOG("%s", reply);
	EXPECT_NE(NULL, strstr(reply, "thread:1;"));
	ra = le_hex(rsp(r, "p1"), 8);

	/* Memory through the page tables, breakpoints hidden. */
	EXPECT_EQ(*(const uint32_t *)elf_at(elf, bp4),
		  (uint32_t)le_hex(rsp(r, "m%lx,4", VB(bp4)), 4));
	EXPECT_EQ(*(const uint32_t *)elf_at(elf, bp4),
		  (uint32_t)le_hex(rsp(r, "m%lx,4", VM(bp4)), 4));
	reply = rsp(r, "m%lx,10", GDB_GUEST_VREMAP + 0xff8);
	EXPECT_EQ(GDB_GUEST_MAGIC(1, 511), le_hex(reply, 8)) TH_LOG("%s", reply);
	EXPECT_EQ(GDB_GUEST_MAGIC(0, 0), le_hex(reply + 16, 8));
	EXPECT_EQ(0, MEM64(VB(hits)));
	EXPECT_EQ(0, MEM64(VM(hits)));
	EXPECT_EQ(0, strncmp(rsp(r, "m10,8"), "E", 1));

	/* Every vCPU is stopped: hart 1's counter stands still. */
	c1 = MEM64(VB(counter1));
	EXPECT_LE(GDB_GUEST_COUNT_MIN, c1);
	usleep(100 * 1000);
	EXPECT_EQ(c1, MEM64(counter1));		/* also 1:1 */

	/* Steps: addi, addi, then ret to the caller. */
	reply = rsp(r, "s");
	EXPECT_EQ(0, strncmp(reply, "T05", 3)) TH_LOG("%s", reply);
	EXPECT_EQ(VB(bp4) + 4, stop_pc(reply));
	EXPECT_EQ(VB(bp4) + 8, stop_pc(rsp(r, "s")));
	EXPECT_EQ(ra, stop_pc(rsp(r, "s")));
	EXPECT_STREQ("OK", rsp(r, "z0,%lx,4", VB(bp4)));

	/* On to the compressed one; a0 (x10) changed by the debugger. */
	EXPECT_EQ(VB(bp2), stop_pc(rsp(r, "c")));
	a0 = le_hex(rsp(r, "pa"), 8);
	EXPECT_EQ(3, a0);
	hex_le(hex, a0 + 0x1000, 8);
	EXPECT_STREQ("OK", rsp(r, "Pa=%s", hex));
	EXPECT_EQ(a0 + 0x1000, le_hex(rsp(r, "pa"), 8));

	/* The c.bnez, through the 2 MiB page's breakpoint: a1 0, falls. */
	reply = rsp(r, "c");
	EXPECT_EQ(VB(br), stop_pc(reply)) TH_LOG("%s", reply);
	EXPECT_NE(NULL, strstr(reply, "swbreak:;"));
	EXPECT_EQ(0, le_hex(rsp(r, "pb"), 8));
	EXPECT_EQ(VB(br) + 2, stop_pc(rsp(r, "s")));

	/* Round 1: at bp2 again; continuing over it; the c.bnez taken. */
	EXPECT_EQ(VB(bp2), stop_pc(rsp(r, "c")));
	EXPECT_EQ(1, MEM64(VB(hits)));
	EXPECT_EQ(VB(br), stop_pc(rsp(r, "c")));
	EXPECT_EQ(1, le_hex(rsp(r, "pb"), 8));
	EXPECT_EQ(VB(br) + 4, stop_pc(rsp(r, "s")));
	EXPECT_EQ(VB(bp2), stop_pc(rsp(r, "c")));
	EXPECT_EQ(2, MEM64(VB(hits)));
	EXPECT_STREQ("OK", rsp(r, "z0,%lx,2", VB(bp2)));
	EXPECT_STREQ("OK", rsp(r, "z0,%lx,2", VM(br)));
	EXPECT_EQ(0, strncmp(rsp(r, "z0,%lx,2", VM(br)), "E", 1));

	/* Write, run: the guest takes its own ebreak, then waits: Ctrl-C. */
	hex_le(hex, 0x1122334455667788UL, 8);
	EXPECT_STREQ("OK", rsp(r, "M%lx,8:%s", VB(SYM("gdb_poke")), hex));
	rsp_send(r, "c");
	ASSERT_NE(NULL, vmm_wait_for(&self->vmm, "rvhv-guest: gdb waiting", 60));
	EXPECT_EQ(1, write(r->fd, "\x03", 1));
	reply = rsp_recv(r, RSP_MS);
	ASSERT_NE(NULL, reply);
	EXPECT_EQ(0, strncmp(reply, "T02", 3)) TH_LOG("%s", reply);
	EXPECT_EQ(GDB_GUEST_ROUNDS, MEM64(VB(hits)));
	EXPECT_EQ(1, MEM64(VB(SYM("gdb_own_count"))));
	EXPECT_EQ(EXC_BREAKPOINT, MEM64(VB(SYM("gdb_own_cause"))));
	EXPECT_EQ(VB(SYM("gdb_own_bp")), MEM64(VB(SYM("gdb_own_epc"))));
	EXPECT_EQ(0, strncmp(rsp(r, "qThreadExtraInfo,2"), "7643505520", 10));

	/* Let it end while the debugger waits: W00. */
	hex_le(hex, 1, 8);
	EXPECT_STREQ("OK", rsp(r, "M%lx,8:%s", VB(SYM("gdb_release")), hex));
	EXPECT_STREQ("W00", rsp(r, "c"));
	EXPECT_EQ(0, gdb_finish(self, 0));
	want = GDB_GUEST_VALUE + 0x1000;
	snprintf(line, sizeof(line), "rvhv-guest: gdb done value 0x%lx poke "
		 "0x1122334455667788 own 0x1 cause 0x3 hits 0x%x", want,
		 GDB_GUEST_ROUNDS);
	EXPECT_NE(NULL, strstr(self->vmm.buf, line)) TH_LOG("no '%s'", line);
	EXPECT_NE(NULL, strstr(self->vmm.buf, "rvhv-run: gdb: debugger connected"));
	EXPECT_NE(0, access(GDB_SOCK, F_OK)) TH_LOG("the socket stays");
}

/*
 * Detach (D): breakpoints gone, guest debugging off, the guest runs on
 * and takes its ebreak itself.  A debugger that connects to the running
 * guest stops it; one that goes away without a word detaches too; k ends
 * rvhv-run with exit status 137.
 */
TEST_F_TIMEOUT(gdb, detach_reattach_kill, 120)
{
	struct rsp *r = &self->rsp;
	const char *reply;

	gdb_start(_metadata, self, true);
	EXPECT_STREQ("OK", rsp(r, "Z0,%lx,4", SYM("gdb_ready")));
	EXPECT_STREQ("OK", rsp(r, "D"));
	ASSERT_NE(NULL, vmm_wait_for(&self->vmm, "rvhv-guest: gdb waiting", 60));

	gdb_connect(_metadata, self);
	reply = rsp(r, "?");
	EXPECT_EQ(0, strncmp(reply, "T05", 3)) TH_LOG("%s", reply);
	EXPECT_EQ(GDB_GUEST_ROUNDS, MEM64(VB(SYM("gdb_hits"))));
	EXPECT_EQ(1, MEM64(VB(SYM("gdb_own_count"))));
	EXPECT_EQ(EXC_BREAKPOINT, MEM64(VB(SYM("gdb_own_cause"))));

	gdb_connect(_metadata, self);		/* the first one just went */
	EXPECT_EQ(0, strncmp(rsp(r, "?"), "T05", 3));
	rsp_send(r, "k");
	EXPECT_EQ(EXIT_GDB_KILL, gdb_finish(self, EXIT_GDB_KILL));
}

/* A bad --gdb: exit status 3 and one line, as any bad argument. */
TEST_F_TIMEOUT(gdb, bad_arguments, 60)
{
	static const char *const bad[] = { "65536", "-1", "",
					   "/nonexistent/rvhv-gdb.sock" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *args[] = { "--dev", self->dev, "--kernel",
				       GDB_GUEST, "--mem", "16", "--gdb",
				       bad[i], NULL };

		vmm_start(&self->vmm, args);
		EXPECT_EQ(3, gdb_finish(self, 3)) TH_LOG("--gdb '%s'", bad[i]);
		EXPECT_EQ(0, strncmp(self->vmm.buf, "rvhv-run: ", 10));
		EXPECT_EQ(self->vmm.buf + self->vmm.len - 1,
			  strchr(self->vmm.buf, '\n')) TH_LOG("not one line");
	}
}

TEST_HARNESS_MAIN
