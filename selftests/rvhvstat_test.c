// SPDX-License-Identifier: GPL-2.0
/*
 * rvhvstat_test: tools/rvhv-stat and rvhv-run --stats-report, on the
 * device under test (/dev/rvhv, or $RVHV_DEV).
 *
 * Child processes are the VMMs: a selftest VM whose guest makes N_MMIO
 * MMIO exits to it, then keeps making null SBI calls (handled in the
 * kernel) in small batches until the child is killed.  One holds its
 * stats fds, as rvhv-run does; /bin/rvhv-stat finds them through /proc,
 * once (scanning every process) and live (-p, two refreshes), and must
 * show those exits under KVM's counter names; killed under the live
 * rvhv-stat, the VMM must end its report cleanly.  The other holds none
 * and cannot be read from outside (KVM_GET_STATS_FD, a VM ioctl, answers
 * -EIO outside the VMM's process): rvhv-stat must say so.
 * rvhv-run --stats-report runs the bare hello guest (36 DBCN calls) and
 * prints the same report at exit.  The report's arithmetic (histogram
 * buckets, min/avg/max, the exit-latency rows rvhv has and kvm.ko has
 * not, several vCPUs summed, blocks in any order) and its refusal of
 * malformed data are checked on stats files written here (once: they
 * do not depend on the device).
 *
 * A device without KVM_CAP_BINARY_STATS_FD (rvhv before its binary
 * stats) must be refused with a clear message by both tools; the cases
 * that need the stats then skip.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define RVHV_STAT	"/bin/rvhv-stat"
#define RVHV_RUN	"/bin/rvhv-run"
#define HELLO_GUEST	"/lib/guest-hello.elf"
#define HELLO_DBCN	36	/* "rvhv-guest: hello from a bare guest\n" */
#define N_MMIO		64
#define OUT_MAX		(128 * 1024)
#define NO_STATS	"has no binary stats (KVM_CAP_BINARY_STATS_FD)"

/*
 * The device has no binary stats: skip the rest, unless an expectation
 * already failed (SKIP would hide that).
 */
#define SKIP_NO_STATS() do {						\
	if (_metadata->exit_code != KSFT_FAIL)				\
		SKIP(return, "%s: no KVM_CAP_BINARY_STATS_FD",		\
		     rvhv_dev_path());					\
	return;								\
} while (0)

static bool dev_has_stats(void)
{
	int fd = rvhv_open_dev(O_RDWR);
	int r;

	if (fd < 0)
		return false;
	r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD);
	close(fd);
	return r > 0;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- Running the tools ---- */

/* A tool started with its stdout and stderr in a memfd. */
struct tool {
	pid_t pid;
	int out_fd;
	int status;		/* wait status; -1: killed at its limit */
	char out[OUT_MAX];
};

static void tool_start(struct tool *t, const char *const *argv)
{
	t->out_fd = memfd_create("tool-out", MFD_CLOEXEC);
	if (t->out_fd < 0)
		abort();
	t->pid = fork();
	if (t->pid < 0)
		abort();
	if (!t->pid) {
		dup2(t->out_fd, 1);
		dup2(t->out_fd, 2);
		execv(argv[0], (char **)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
}

/* Wait (at most secs) for the tool, and take its output. */
static void tool_wait(struct tool *t, double secs)
{
	double end = mono() + secs;
	ssize_t n;

	while (waitpid(t->pid, &t->status, WNOHANG) == 0) {
		if (mono() > end) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &t->status, 0);
			t->status = -1;
			break;
		}
		usleep(10000);
	}
	n = pread(t->out_fd, t->out, OUT_MAX - 1, 0);
	t->out[n > 0 ? n : 0] = '\0';
	close(t->out_fd);
}

static bool tool_running(const struct tool *t)
{
	siginfo_t info = { 0 };

	return !waitid(P_PID, t->pid, &info, WEXITED | WNOHANG | WNOWAIT) &&
	       !info.si_pid;
}

/* Has the tool written what (it flushes after each refresh) yet? */
static bool tool_says(struct tool *t, const char *what)
{
	ssize_t n = pread(t->out_fd, t->out, OUT_MAX - 1, 0);

	t->out[n > 0 ? n : 0] = '\0';
	return strstr(t->out, what);
}

static struct tool *run_tool(const char *const *argv, double secs)
{
	static struct tool t;

	tool_start(&t, argv);
	tool_wait(&t, secs);
	return &t;
}

static int tool_exit(const struct tool *t)
{
	if (t->status == -1)
		return -1;
	return WIFEXITED(t->status) ? WEXITSTATUS(t->status) :
				      128 + WTERMSIG(t->status);
}

/* The output in the test log. */
static void show(const struct tool *t)
{
	const char *s = t->out, *e;

	while (*s) {
		e = strchrnul(s, '\n');
		printf("# | %.*s\n", (int)(e - s), s);
		s = *e ? e + 1 : e;
	}
}

/*
 * Word col (0: the label) of each output line whose first word is label,
 * from the nth such line on: the word (in a static buffer), or "" if
 * there is no such line.
 */
static const char *nth_word(const char *out, const char *label, int col,
			    int nth)
{
	static char w[64];
	size_t n = strlen(label);
	const char *p, *q;
	int c;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		q = p + n;
		if (strncmp(p, label, n) || (*q != ' ' && *q != '\t') ||
		    nth--)
			continue;
		q = p;
		for (c = 0; c < col; c++) {
			q += strcspn(q, " \t\n");
			q += strspn(q, " \t");
		}
		snprintf(w, sizeof(w), "%.*s", (int)strcspn(q, " \t\n"), q);
		return w;
	}
	return "";
}

static const char *word(const char *out, const char *label, int col)
{
	return nth_word(out, label, col, 0);
}

/* Word col of the nth line labelled label as a number, or -1. */
static long long nth_value(const char *out, const char *label, int col,
			   int nth)
{
	const char *w = nth_word(out, label, col, nth);

	return *w ? strtoll(w, NULL, 10) : -1;
}

static long long value(const char *out, const char *label, int col)
{
	return nth_value(out, label, col, 0);
}

static int count(const char *out, const char *what)
{
	int n = 0;

	for (; (out = strstr(out, what)); out++)
		n++;
	return n;
}

/* ---- The VMM ---- */

/*
 * The child VMM: holds its VM's and vCPU's stats fds (with hold_stats, as
 * a VMM must for rvhv-stat, and when the device has them), makes N_MMIO
 * MMIO exits (guest_bench_mmio), writes a byte to ready, then null SBI
 * calls in batches of 50 every 10 ms until it is killed.
 */
static void __attribute__((noreturn)) vmm_child(int ready, bool hold_stats)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	unsigned int mmio = 0;
	struct ucall uc;
	int r;

	/* The vCPU's twice, as a VMM may: rvhv-stat must count it once. */
	if (hold_stats && dev_has_stats()) {
		VM_CHECK(ioctl(vm->fd, KVM_GET_STATS_FD, 0) >= 0, "%s",
			 strerror(errno));
		VM_CHECK(ioctl(vcpu->fd, KVM_GET_STATS_FD, 0) >= 0, "%s",
			 strerror(errno));
		VM_CHECK(ioctl(vcpu->fd, KVM_GET_STATS_FD, 0) >= 0, "%s",
			 strerror(errno));
	}

	vcpu_start(vcpu, GUEST_FN(guest_bench_mmio), N_MMIO, GUEST_MMIO_BASE);
	while ((r = vcpu_ucall_try(vcpu, &uc))) {
		VM_CHECK(r == 1 && vcpu->run->exit_reason == KVM_EXIT_MMIO,
			 "exit %d (%s)", r,
			 exit_reason_str(vcpu->run->exit_reason));
		mmio++;
	}
	VM_CHECK(uc.fid == UCALL_REPORT && mmio == N_MMIO, "%u MMIO exits",
		 mmio);
	vcpu_run_to_done(vcpu);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	for (;;) {
		vcpu_start(vcpu, GUEST_FN(guest_bench_sbi), 50, 0);
		vcpu_run_to_done(vcpu);
		usleep(10000);
	}
}

/* Start a child VMM; vmm_ready() waits for its MMIO exits. */
static pid_t vmm_start(struct __test_metadata *_metadata, bool hold_stats,
		       int *ready)
{
	int p[2];
	pid_t pid;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		vmm_child(p[1], hold_stats);
	}
	close(p[1]);
	*ready = p[0];
	return pid;
}

static void vmm_ready(struct __test_metadata *_metadata, pid_t pid,
		      int ready)
{
	char c;

	if (read(ready, &c, 1) != 1) {
		close(ready);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ASSERT_TRUE(false) TH_LOG("the child VMM failed");
	}
	close(ready);
}

static void vmm_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* What a report of the child VMM must show, on either device. */
static void check_report(struct __test_metadata *_metadata, const char *out)
{
	/* Exits by reason: KVM's counters, shown in the table or below. */
	EXPECT_LE(N_MMIO, value(out, "mmio_exit_user", 1));
	/* The REPORT and DONE ucalls at least reached the VMM. */
	EXPECT_LE(2, value(out, "ecall_exit_stat", 1));
	EXPECT_LE(N_MMIO + 2, value(out, "(total)", 1));
	EXPECT_LE(N_MMIO + 2, value(out, "exits", 1));
	/* vCPU 0's row (once: its second stats fd is not counted), the VM. */
	EXPECT_EQ(value(out, "exits", 1), value(out, "0", 1));
	EXPECT_EQ(-1, nth_value(out, "0", 1, 1));
	EXPECT_NE(NULL, strstr(out, "COUNTER (VM)"));
	if (strstr(out, "VM-EXIT (exit_latency_*)")) {
		/* rvhv: time per reason, and the latency histograms drawn. */
		EXPECT_STRNE("n/a", word(out, "(total)", 4));
		EXPECT_NE(NULL, strstr(out, "\nexit_latency_hist_"));
	} else {
		EXPECT_NE(NULL, strstr(out, "VM-EXIT (exit counters)"));
		EXPECT_NE(NULL, strstr(out, "(time per reason: n/a"));
	}
}

/*
 * Two child VMMs, a holding its stats fds and b not.  rvhv-stat --once
 * over every process reports a and says why not b; live on a (-p), two
 * refreshes each show the exits its guest made meanwhile; a killed under
 * it then, rvhv-stat ends its report and exits 0.
 */
TEST(watch_vmms)
{
	const char *once[] = { RVHV_STAT, "--once", NULL };
	const char *live[] = { RVHV_STAT, "-p", NULL, "-i", "0.15", NULL };
	char pid_s[16], title_a[64], title_b[64];
	static struct tool t;
	int ready_a, ready_b;
	pid_t a, b;
	double end;

	a = vmm_start(_metadata, true, &ready_a);
	b = vmm_start(_metadata, false, &ready_b);
	vmm_ready(_metadata, a, ready_a);
	vmm_ready(_metadata, b, ready_b);
	snprintf(pid_s, sizeof(pid_s), "%d", a);
	live[2] = pid_s;
	snprintf(title_a, sizeof(title_a), "rvhv-stat: pid %d (", a);
	snprintf(title_b, sizeof(title_b), "rvhv-stat: pid %d (", b);

	tool_start(&t, once);
	tool_wait(&t, 20);
	show(&t);
	if (!dev_has_stats()) {
		/* One line for each, one for nothing to show. */
		vmm_stop(a);
		vmm_stop(b);
		EXPECT_EQ(1, tool_exit(&t));
		EXPECT_EQ(2, count(t.out, NO_STATS));
		EXPECT_EQ(1, count(t.out, "rvhv-stat: no VMs found"));
		EXPECT_EQ(3, count(t.out, "\n"));
		SKIP_NO_STATS();
	}
	EXPECT_EQ(0, tool_exit(&t));
	EXPECT_NE(NULL, strstr(t.out, title_a));
	EXPECT_NE(NULL, strstr(t.out, "1 VM, 1 vCPU: cumulative"));
	check_report(_metadata, t.out);
	/* b: its VM fd's copy gets no stats fd here (-EIO), and why. */
	EXPECT_NE(NULL, strstr(t.out, title_b));
	EXPECT_NE(NULL, strstr(t.out, "holds no stats fds, and "
			       "KVM_GET_STATS_FD on its VM fd "));
	EXPECT_NE(NULL, strstr(t.out, "(Input/output error): the kernel "
			       "answers VM and vCPU ioctls only in the VMM's "
			       "own process"));
	vmm_stop(b);

	/* Live: a is killed once two refreshes are out. */
	tool_start(&t, live);
	for (end = mono() + 20; mono() < end && tool_running(&t) &&
	     !tool_says(&t, "refresh 2,"); )
		usleep(20000);
	vmm_stop(a);
	tool_wait(&t, 20);
	show(&t);
	EXPECT_EQ(0, tool_exit(&t));
	EXPECT_NE(NULL, strstr(t.out, "rvhv-stat: refresh 2,"));
	EXPECT_LE(2, count(t.out, title_a));
	/* The guest's SBI calls went on: exits in one refresh at least. */
	EXPECT_LT(0, nth_value(t.out, "(total)", 1, 0) +
		     nth_value(t.out, "(total)", 1, 1));
	/* A refresh also shows the totals since the start. */
	EXPECT_LE(N_MMIO, value(t.out, "mmio_exit_user",
				strstr(t.out, "VM-EXIT (exit counters)") ?
				9 : 3));
	EXPECT_NE(NULL, strstr(t.out, "): exited\n"));
	EXPECT_NE(NULL, strstr(t.out, "rvhv-stat: no VMM left\n"));
}

/* rvhv-run --stats-report: the bare guest's DBCN calls in the report. */
TEST(rvhv_run_report)
{
	const char *argv[] = { RVHV_RUN, "--dev", rvhv_dev_path(), "--kernel",
			       HELLO_GUEST, "--mem", "16", "--stats-report",
			       NULL };
	struct tool *t = run_tool(argv, 30);

	show(t);
	EXPECT_EQ(0, tool_exit(t));
	EXPECT_NE(NULL, strstr(t->out, "rvhv-guest: hello from a bare guest"));
	if (!dev_has_stats()) {
		EXPECT_NE(NULL, strstr(t->out, "rvhv-run: --stats-report: "));
		EXPECT_NE(NULL, strstr(t->out, "has no binary stats "
				       "(KVM_CAP_BINARY_STATS_FD); no report"));
		SKIP_NO_STATS();
	}
	EXPECT_NE(NULL, strstr(t->out, "rvhv-run: stats report: "));
	EXPECT_LE(HELLO_DBCN, value(t->out, "ecall_exit_stat", 1));
	EXPECT_LE(HELLO_DBCN, value(t->out, "(total)", 1));
	EXPECT_LE(HELLO_DBCN, value(t->out, "0", 1));
}

/* ---- Stats files ---- */

/* These do not depend on the device: run them once, with /dev/rvhv. */
#define ONCE_ONLY() do {						\
	if (dev_is_kvm())						\
		SKIP(return, "stats files: device-independent, run "	\
		     "with /dev/rvhv");					\
} while (0)

#define F_CUMUL		KVM_STATS_TYPE_CUMULATIVE
#define F_LOG		KVM_STATS_TYPE_LOG_HIST
#define F_NS		(KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10)

struct fake {
	const char *name;
	uint32_t flags;
	int16_t exponent;
	uint16_t size;
	uint64_t v[32];		/* v[i] for i < size */
};

/* rvhv's names: exit-latency histograms and times, KVM's counters. */
static const struct fake rvhv_like[] = {
	{ "exits", F_CUMUL, 0, 1, { 1000 } },
	{ "ecall_exit_stat", F_CUMUL, 0, 1, { 10 } },
	/* 5 in [1024, 2048) ns, 3 in [2048, 4096): 16500 ns */
	{ "exit_latency_hist_sbi", F_LOG | F_NS, -9, 32,
	  { [11] = 5, [12] = 3 } },
	{ "exit_latency_ns_sbi", F_CUMUL | F_NS, -9, 1, { 16500 } },
	/* 2 in [2^19, 2^20) ns: 600 us each */
	{ "exit_latency_hist_mmio", F_LOG | F_NS, -9, 32, { [20] = 2 } },
	{ "exit_latency_ns_mmio", F_CUMUL | F_NS, -9, 1, { 1200000 } },
	/* 1 of 0 ns, 4 in [2^24, 2^25) ns (16.78 ms..33.55 ms) */
	{ "halt_wait_hist", F_LOG | F_NS, -9, 32, { [0] = 1, [25] = 4 } },
	{ "halt_wait_ns", F_CUMUL | F_NS, -9, 1, { 80000000 } },
	/* linear, buckets of 10: the last one is [30, inf) */
	{ "queue_depth", KVM_STATS_TYPE_LINEAR_HIST, 0, 4, { 1, 0, 3, 4 } },
	/* 3000 KiB each */
	{ "pages", KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BYTES |
		   KVM_STATS_BASE_POW2, 10, 1, { 3000 } },
	{ "longest", KVM_STATS_TYPE_PEAK, 0, 1, { 7 } },
};

static const struct fake vm_like[] = {
	{ "remote_tlb_flush", F_CUMUL, 0, 1, { 3 } },
};

/*
 * Write a stats file: header, then (data_first) the data, descriptors
 * and id, or the descriptors, id and data, with gaps of 8 bytes, names
 * of name_size bytes.  Returns its size; *desc0 is the first
 * descriptor's offset.
 */
static size_t fake_file(const char *path, const char *id,
			const struct fake *f, unsigned int nr,
			uint32_t name_size, bool data_first, size_t *desc0)
{
	static uint8_t buf[65536];
	const size_t dsz = sizeof(struct kvm_stats_desc);
	struct kvm_stats_header h = { .name_size = name_size,
				      .num_desc = nr };
	size_t data_len = 0, desc_len = nr * (dsz + name_size), pos;
	unsigned int i, off = 0;
	int fd;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < nr; i++)
		data_len += 8 * f[i].size;
	pos = sizeof(h) + 8;
	if (data_first) {
		h.data_offset = pos;
		pos += (data_len + 15) & ~7UL;
	}
	h.desc_offset = pos;
	pos += (desc_len + 15) & ~7UL;
	h.id_offset = pos;
	pos += (name_size + 15) & ~7UL;
	if (!data_first) {
		h.data_offset = pos;
		pos += data_len;
	}
	if (pos > sizeof(buf))
		abort();
	memcpy(buf, &h, sizeof(h));
	strncpy((char *)buf + h.id_offset, id, name_size - 1);
	for (i = 0; i < nr; i++) {
		struct kvm_stats_desc d = {
			.flags = f[i].flags, .exponent = f[i].exponent,
			.size = f[i].size, .offset = off,
			.bucket_size = f[i].flags == KVM_STATS_TYPE_LINEAR_HIST ?
				       10 : 0,
		};
		uint8_t *p = buf + h.desc_offset + i * (dsz + name_size);

		memcpy(p, &d, dsz);
		strncpy((char *)p + dsz, f[i].name, name_size - 1);
		memcpy(buf + h.data_offset + off, f[i].v, 8 * f[i].size);
		off += 8 * f[i].size;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, pos) != (ssize_t)pos)
		abort();
	close(fd);
	*desc0 = h.desc_offset;
	return pos;
}

#define VCPU0_FILE	"/tmp/rvhvstat-vcpu0"
#define VCPU1_FILE	"/tmp/rvhvstat-vcpu1"
#define VM_FILE		"/tmp/rvhvstat-vm"

static const char *line_of(const char *out, const char *label)
{
	static char line[256];
	size_t n = strlen(label);
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, label, n) && p[n] == ' ') {
			snprintf(line, sizeof(line), "%.*s",
				 (int)strcspn(p, "\n"), p);
			return line;
		}
	}
	return "";
}

/*
 * Two vCPUs' files (blocks in two orders, two name sizes) and the VM's:
 * the rows, times, bounds and bars of their sum.
 */
TEST(stats_files)
{
	const char *argv[] = { RVHV_STAT, "--vm-stats", VM_FILE,
			       "--vcpu-stats", VCPU0_FILE, "--vcpu-stats",
			       VCPU1_FILE, NULL };
	const unsigned int nr = ARRAY_SIZE(rvhv_like);
	struct tool *t;
	size_t d0;

	ONCE_ONLY();
	fake_file(VCPU0_FILE, "rvhv-1/vcpu-0", rvhv_like, nr, 40, true, &d0);
	fake_file(VCPU1_FILE, "rvhv-1/vcpu-1", rvhv_like, nr, 64, false, &d0);
	fake_file(VM_FILE, "rvhv-1", vm_like, ARRAY_SIZE(vm_like), 48, false,
		  &d0);
	t = run_tool(argv, 20);
	show(t);
	ASSERT_EQ(0, tool_exit(t));
	/* Sorted by samples; times, min/avg/max from bucket bounds. */
	EXPECT_NE(NULL, strstr(t->out, "VM-EXIT (exit_latency_*)"));
	EXPECT_STREQ("sbi                                16          -   "
		     "80.00%    33.00us   1.36%    1.02us     2.06us    <4.10us",
		     line_of(t->out, "sbi"));
	EXPECT_STREQ("mmio                                4          -   "
		     "20.00%     2.40ms  98.64%  524.29us   600.00us    <1.05ms",
		     line_of(t->out, "mmio"));
	/* The latencies cover every exit: no "(other)" from "exits". */
	EXPECT_EQ(-1, value(t->out, "(other)", 1));
	EXPECT_EQ(20, value(t->out, "(total)", 1));
	EXPECT_NE(NULL, strstr(line_of(t->out, "(total)"), "2.43ms 100.00%"));
	EXPECT_STREQ("halt_wait                          10          -   "
		     "160.00ms         0    16.00ms   <33.55ms",
		     line_of(t->out, "halt_wait"));
	/* Per vCPU, then the other counters and the VM's. */
	EXPECT_EQ(1000, value(t->out, "1", 1));
	EXPECT_STREQ("pages                                   5.86MiB      (now)",
		     line_of(t->out, "pages"));
	EXPECT_STREQ("longest                                       7     (peak)",
		     line_of(t->out, "longest"));
	EXPECT_EQ(3, value(t->out, "remote_tlb_flush", 1));
	/* The histograms, one line per bucket used. */
	EXPECT_NE(NULL, strstr(t->out,
			       "exit_latency_hist_sbi (all vCPUs): 16 samples\n"
			       "  [   1.02us,    2.05us)         10 |####"));
	EXPECT_NE(NULL, strstr(t->out,
			       "  [   2.05us,    4.10us)          6 |####"));
	EXPECT_NE(NULL, strstr(t->out,
			       "  [        0,       1ns)          2 |#"));
	EXPECT_NE(NULL, strstr(t->out,
			       "  [       30,       inf)          8 |####"));
	EXPECT_EQ(NULL, strstr(t->out, "[       10,        20)"));
	unlink(VCPU0_FILE);
	unlink(VCPU1_FILE);
	unlink(VM_FILE);
}

/* kvm.ko's names: the exit counters are the rows, with no time. */
TEST(stats_files_kvm_names)
{
	static const struct fake kvm_like[] = {
		{ "halt_wait_ns", F_CUMUL | F_NS, -9, 1, { 1500 } },
		{ "halt_wait_hist", F_LOG | F_NS, -9, 32, { [11] = 1 } },
		{ "ecall_exit_stat", F_CUMUL, 0, 1, { 37 } },
		{ "mmio_exit_user", F_CUMUL, 0, 1, { 64 } },
		{ "exits", F_CUMUL, 0, 1, { 500 } },
	};
	const char *argv[] = { RVHV_STAT, "--vcpu-stats", VCPU0_FILE, NULL };
	struct tool *t;
	size_t d0;

	ONCE_ONLY();
	fake_file(VCPU0_FILE, "kvm-1/vcpu-0", kvm_like, ARRAY_SIZE(kvm_like),
		  48, false, &d0);
	t = run_tool(argv, 20);
	show(t);
	ASSERT_EQ(0, tool_exit(t));
	EXPECT_NE(NULL, strstr(t->out, "VM-EXIT (exit counters)"));
	EXPECT_EQ(64, value(t->out, "mmio_exit_user", 1));
	EXPECT_EQ(37, value(t->out, "ecall_exit_stat", 1));
	EXPECT_EQ(399, value(t->out, "(other)", 1));
	EXPECT_NE(NULL, strstr(line_of(t->out, "(total)"),
			       "500          -  100.00%        n/a"));
	EXPECT_NE(NULL, strstr(line_of(t->out, "halt_wait"),
			       "1.50us    1.02us     1.50us    <2.05us"));
	unlink(VCPU0_FILE);
}

/* Malformed stats: one line naming what is wrong, exit status 1. */
TEST(stats_files_malformed)
{
	static const struct {
		const char *what, *msg;
		size_t at;	/* file offset (+ desc0 if in_desc) */
		bool in_desc;
		uint64_t val;
		int width;	/* bytes written there; 0: truncate there */
	} cases[] = {
		{ "name_size 0", "header: name_size 0", 4, false, 0, 4 },
		{ "num_desc huge", "header: num_desc 1000000", 8, false,
		  1000000, 4 },
		{ "data beyond the file", "reading the data block: truncated",
		  20, false, 1 << 20, 4 },
		{ "truncated in the descriptors",
		  "reading the descriptors: truncated", 8, true, 0, 0 },
		{ "values beyond the limits", "outside the limits", 6, true,
		  60000, 2 },
		{ "offset beyond the limits", "outside the limits", 8, true,
		  0xfffffff0, 4 },
	};
	const char *argv[] = { RVHV_STAT, "--vcpu-stats", VCPU0_FILE, NULL };
	unsigned int i;
	size_t d0, size;

	ONCE_ONLY();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t at = cases[i].at;
		struct tool *t;
		int fd;

		size = fake_file(VCPU0_FILE, "x", rvhv_like,
				 ARRAY_SIZE(rvhv_like), 48, false, &d0);
		if (cases[i].in_desc)
			at += d0;
		fd = open(VCPU0_FILE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		if (cases[i].width) {
			ASSERT_EQ(cases[i].width,
				  pwrite(fd, &cases[i].val, cases[i].width,
					 at));
		} else {
			ASSERT_EQ(0, ftruncate(fd, at));
		}
		close(fd);
		ASSERT_LT(at, size);
		t = run_tool(argv, 20);
		EXPECT_EQ(1, tool_exit(t)) TH_LOG("%s", cases[i].what);
		EXPECT_NE(NULL, strstr(t->out, cases[i].msg)) {
			show(t);
			TH_LOG("%s", cases[i].what);
		}
		EXPECT_EQ(1, count(t->out, "\n")) TH_LOG("%s", cases[i].what);
	}
	/* An unterminated name: the first descriptor's, all of it. */
	{
		char name[48];
		struct tool *t;
		int fd;

		fake_file(VCPU0_FILE, "x", rvhv_like, ARRAY_SIZE(rvhv_like),
			  48, false, &d0);
		memset(name, 'x', sizeof(name));
		fd = open(VCPU0_FILE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(48, pwrite(fd, name, 48, d0 +
				     sizeof(struct kvm_stats_desc)));
		close(fd);
		t = run_tool(argv, 20);
		EXPECT_EQ(1, tool_exit(t));
		EXPECT_NE(NULL, strstr(t->out, "descriptor 0: its name is "
				       "not terminated"));
	}
	/* Bad arguments: status 2. */
	{
		const char *a[] = { RVHV_STAT, "--once", "-i", "1", NULL };
		const char *b[] = { RVHV_STAT, "-p", "x", NULL };
		const char *c[] = { RVHV_STAT, "-i", "0", NULL };

		EXPECT_EQ(2, tool_exit(run_tool(a, 20)));
		EXPECT_EQ(2, tool_exit(run_tool(b, 20)));
		EXPECT_EQ(2, tool_exit(run_tool(c, 20)));
	}
	unlink(VCPU0_FILE);
}

TEST_HARNESS_MAIN
