// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-stat: perf kvm stat for the binary stats of running VMs, on rvhv's
 * /dev/rvhv or kvm.ko's /dev/kvm alike.
 *
 * This file: the options, finding the VMMs' VM and vCPU fds, taking them
 * over, and the one-shot or live loop.  stats.c reads a stats fd,
 * report.c shows a VM's (both are compiled into rvhv-run too).
 *
 * How it finds the VMs: /proc/PID/fd of the process given with -p (or of
 * every process) is read with readlink, for the VMM's stats fds:
 * "anon_inode:kvm-vm-stats" and "anon_inode:kvm-vcpu-stats:N" (kvm.ko's
 * names, which rvhv's stats fds have too).  Each is copied into this
 * process with pidfd_open() and pidfd_getfd() (which needs ptrace access
 * to the VMM: root, or its user with ptrace_scope 0) and read there.
 *
 * The VMM has to hold them: KVM_GET_STATS_FD is a VM or vCPU ioctl, and
 * kvm.ko (and rvhv, alike) answer those only in the process that made
 * the VM (-EIO elsewhere), so a copy of its VM fd
 * ("anon_inode:kvm-vm" or "anon_inode:rvhv-vm") or vCPU fd ("...-vcpu:N")
 * cannot get one here.  Those are still tried when a VMM holds no stats
 * fd, and the failure explained (the device has no binary stats, or the
 * VMM does not keep its stats fds).  rvhv-run keeps them.
 *
 * A stats fd keeps its VM alive, so the VMM's end is watched on its pidfd
 * (readable when it exits) and its report dropped then.  The stats fds of
 * a process with several VMs cannot be told apart (their ids name the
 * process): such a process gets one report for all its VMs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "stats.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define VMM_MAX		64
#define FDS_MAX		1024	/* VM and vCPU fds of one process */

/* A VMM process and the report of its VMs. */
struct vmm {
	pid_t pid;
	int pidfd;
	char comm[32];
	char what[128];		/* its VM fds, for the title */
	double started;		/* CLOCK_BOOTTIME seconds */
	struct report rep;
};

static struct vmm vmms[VMM_MAX];
static unsigned int nr_vmms;
static volatile sig_atomic_t interrupted;

static void usage(FILE *f)
{
	fprintf(f,
"usage: rvhv-stat [-p PID] [--once | [-i SECONDS] [-n COUNT]]\n"
"       rvhv-stat --vm-stats FILE... --vcpu-stats FILE...\n"
"Show the exits, exit times, halts and counters of running VMs, like perf\n"
"kvm stat, from their binary stats (KVM_GET_STATS_FD; /dev/rvhv and\n"
"/dev/kvm alike).\n"
"\n"
"  -p, --pid PID    the VMM process PID (default: every process with VM fds)\n"
"  --once           one report per VMM, cumulative since its VMs were made\n"
"  -i, --interval SECONDS  live: redraw every SECONDS (default 1) with what\n"
"                   changed since the last refresh (per second, min, max)\n"
"  -n, --count COUNT  live: stop after COUNT refreshes (default: until\n"
"                   every VMM exited, or Ctrl-C)\n"
"  --vm-stats FILE, --vcpu-stats FILE  report saved stats files (KVM's\n"
"                   binary format, as read from a stats fd) instead\n"
"  -h, --help       this text\n"
"\n"
"The VMs are found in /proc/PID/fd: the stats fds a VMM holds\n"
"(anon_inode:kvm-vm-stats, anon_inode:kvm-vcpu-stats:N; kvm.ko's and\n"
"rvhv's) are copied in with pidfd_getfd() (ptrace access to the VMM\n"
"needed: run as root) and read.  The VMM must keep them open (rvhv-run\n"
"does): KVM_GET_STATS_FD works only in the process that made the VM, so\n"
"its VM and vCPU fds (anon_inode:kvm-vm, rvhv-vm, ...-vcpu:N) are of no\n"
"use here (tried, and the failure explained).  A process with several\n"
"VMs gets one report for all of them.\n"
"\n"
"Exits by reason come from exit_latency_hist_<reason> and\n"
"exit_latency_ns_<reason> where the device has them (rvhv), else from\n"
"its exit counters (kvm.ko: ecall_exit_stat, mmio_exit_user, ...; time\n"
"n/a).  MIN and MAX are histogram bucket bounds, AVG is time / samples.\n"
"\n"
"Exit status: 0 reports shown, 1 no VM found or none could be read,\n"
"2 bad arguments.\n");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_args(const char *fmt, ...)
{
	va_list ap;

	fputs("rvhv-stat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(2);
}

static double clock_secs(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- Finding the VMs ---- */

enum fd_kind { FD_OTHER, FD_VM, FD_VCPU, FD_VM_STATS, FD_VCPU_STATS };

static bool is_stats(enum fd_kind k)
{
	return k == FD_VM_STATS || k == FD_VCPU_STATS;
}

/*
 * What an fd's link names: anon_inode:<dev>-vm, -vcpu:N, -vm-stats or
 * -vcpu-stats:N (N in *id), with <dev> "kvm" or "rvhv" (in *dev).
 */
static enum fd_kind fd_kind(const char *link, int *id, const char **dev)
{
	static const struct {
		const char *name;
		enum fd_kind kind;
	} kinds[] = {
		{ "vm", FD_VM }, { "vcpu:", FD_VCPU },
		{ "vm-stats", FD_VM_STATS }, { "vcpu-stats:", FD_VCPU_STATS },
	};
	static const char *const devs[] = { "kvm", "rvhv" };
	char want[32], *end;
	unsigned int d, k;
	const char *p;
	size_t n;
	long v;

	for (d = 0; d < ARRAY_SIZE(devs); d++) {
		n = snprintf(want, sizeof(want), "anon_inode:%s-", devs[d]);
		if (strncmp(link, want, n))
			continue;
		*dev = devs[d];
		for (k = 0; k < ARRAY_SIZE(kinds); k++) {
			n = strlen(kinds[k].name);
			p = link + strlen(want);
			if (strncmp(p, kinds[k].name, n))
				continue;
			p += n;
			if (kinds[k].name[n - 1] != ':') {
				if (!*p)
					return kinds[k].kind;
				continue;
			}
			errno = 0;
			v = strtol(p, &end, 10);
			if (*p < '0' || *p > '9' || *end || errno ||
			    v > INT_MAX)
				continue;
			*id = v;
			return kinds[k].kind;
		}
	}
	return FD_OTHER;
}

static int read_link(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void proc_info(struct vmm *v)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, i;

	snprintf(v->comm, sizeof(v->comm), "?");
	snprintf(path, sizeof(path), "/proc/%d/stat", v->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may hold anything, even ')'. */
	p = strchr(buf, '(');
	if (p && strrchr(buf, ')')) {
		*strrchr(buf, ')') = '\0';
		snprintf(v->comm, sizeof(v->comm), "%s", p + 1);
		p = buf + strlen(buf) + 1;
		/* starttime is field 22; p is at field 3's space. */
		for (i = 0; i < 19 && p; i++)
			p = strchr(p + 1, ' ');
		if (p)
			start = strtoull(p + 1, NULL, 10);
	}
	if (start)
		v->started = (double)start / sysconf(_SC_CLK_TCK);
}

/* A VM, vCPU or stats fd of the VMM. */
struct found {
	int fd;
	enum fd_kind kind;
	int id;			/* a vCPU's */
	const char *dev;	/* "kvm" or "rvhv" */
};

static int found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->fd - y->fd;
}

/*
 * The VM, vCPU and stats fds in /proc/pid/fd, sorted by kind and vCPU:
 * how many (or -errno); *stats: how many are stats fds.
 */
static int find_fds(pid_t pid, struct found *fds, int *stats)
{
	char path[64], link[128];
	struct dirent *de;
	int nr = 0;
	DIR *d;

	*stats = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && nr < FDS_MAX) {
		struct found *f = &fds[nr];

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		f->fd = atoi(de->d_name);
		f->id = -1;
		if (read_link(pid, f->fd, link, sizeof(link)))
			continue;
		f->kind = fd_kind(link, &f->id, &f->dev);
		if (f->kind == FD_OTHER)
			continue;
		*stats += is_stats(f->kind);
		nr++;
	}
	closedir(d);
	qsort(fds, nr, sizeof(fds[0]), found_cmp);
	return nr;
}

/*
 * Copy the VMM's fd f into this process: the fd, -2 if it went away (or
 * is another file by now), -1 after a message.
 */
static int take_fd(const struct vmm *v, const struct found *f)
{
	const char *dev;
	char link[128];
	int fd, id = -1;

	fd = pidfd_getfd(v->pidfd, f->fd, 0);
	if (fd < 0) {
		if (errno == EBADF || errno == ESRCH)
			return -2;
		fprintf(stderr, "rvhv-stat: pid %d (%s): fd %d: pidfd_getfd: "
			"%s%s\n", v->pid, v->comm, f->fd, strerror(errno),
			errno == EPERM ? " (no ptrace access to it: run as "
			"root)" : "");
		return -1;
	}
	if (read_link(0, fd, link, sizeof(link)) ||
	    fd_kind(link, &id, &dev) != f->kind || id != f->id) {
		close(fd);
		return -2;
	}
	return fd;
}

/* Why a VMM's VM or vCPU fd gave no stats fd (err: the ioctl's errno). */
static void explain(const struct vmm *v, const struct found *f, int err)
{
	char path[32];
	int fd, cap = -1;

	snprintf(path, sizeof(path), "/dev/%s", f->dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		cap = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD);
		close(fd);
	}
	if (!cap) {
		fprintf(stderr, "rvhv-stat: pid %d (%s): %s has no binary "
			"stats (KVM_CAP_BINARY_STATS_FD)\n", v->pid, v->comm,
			path);
		return;
	}
	fprintf(stderr, "rvhv-stat: pid %d (%s) holds no stats fds, and "
		"KVM_GET_STATS_FD on its %s fd %d failed here (%s): the kernel "
		"answers VM and vCPU ioctls only in the VMM's own process, so "
		"the VMM must keep its stats fds open (rvhv-run does)\n",
		v->pid, v->comm, f->kind == FD_VM ? "VM" : "vCPU", f->fd,
		strerror(err));
}

/*
 * The stats fd for f: its copy if f is one, else (a VM or vCPU fd) what
 * KVM_GET_STATS_FD gives on its copy.  -2: f went away; -1: a message
 * said why not.
 */
static int stats_fd_of(const struct vmm *v, const struct found *f)
{
	int fd = take_fd(v, f), sfd;

	if (fd < 0 || is_stats(f->kind))
		return fd;
	sfd = ioctl(fd, KVM_GET_STATS_FD, 0);
	if (sfd < 0)
		explain(v, f, errno);
	close(fd);
	return sfd;
}

/*
 * Take over pid's VMs into a new report: 0, or -1 (nothing to show).
 * Its stats fds if it holds any (of a process with one VM at most, one
 * per vCPU), else its VM and vCPU fds.
 */
static int add_vmm(pid_t pid, bool quiet)
{
	static struct found fds[FDS_MAX];
	struct vmm *v = &vmms[nr_vmms];
	unsigned int vms = 0, vcpus = 0;
	int i, nr, nr_stats, vm_stats = 0, sfd;

	nr = find_fds(pid, fds, &nr_stats);
	if (nr <= 0) {
		if (!quiet)
			fprintf(stderr, "rvhv-stat: pid %d: %s\n", pid, nr ?
				strerror(-nr) : "no VM, vCPU or stats fds in "
				"its /proc/PID/fd");
		return -1;
	}
	if (nr_vmms >= VMM_MAX) {
		fprintf(stderr, "rvhv-stat: more than %d VMMs: pid %d left "
			"out\n", VMM_MAX, pid);
		return -1;
	}
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	proc_info(v);
	report_init(&v->rep);
	v->pidfd = pidfd_open(pid, 0);
	if (v->pidfd < 0) {
		if (!quiet || errno != ESRCH)
			fprintf(stderr, "rvhv-stat: pid %d: pidfd_open: %s\n",
				pid, strerror(errno));
		return -1;
	}
	for (i = 0; i < nr; i++)
		vm_stats += fds[i].kind == FD_VM_STATS;
	for (i = 0; i < nr; i++) {
		bool vm = fds[i].kind == FD_VM || fds[i].kind == FD_VM_STATS;
		struct stats_fd s;
		char err[160];

		if (nr_stats && !is_stats(fds[i].kind))
			continue;
		/* One VM: a second stats fd of a vCPU is the same stats. */
		if (vm_stats <= 1 && i && fds[i].kind == FD_VCPU_STATS &&
		    fds[i - 1].kind == FD_VCPU_STATS &&
		    fds[i - 1].id == fds[i].id)
			continue;
		sfd = stats_fd_of(v, &fds[i]);
		if (sfd == -2)
			continue;
		if (sfd < 0)
			goto fail;
		if (stats_fd_open(&s, sfd, err, sizeof(err))) {
			fprintf(stderr, "rvhv-stat: pid %d (%s): fd %d's "
				"stats: %s\n", pid, v->comm, fds[i].fd, err);
			goto fail;
		}
		if (vm ? report_add_vm(&v->rep, &s) :
			 report_add_vcpu(&v->rep, &s, fds[i].id)) {
			stats_fd_close(&s);
			fprintf(stderr, "rvhv-stat: out of memory\n");
			goto fail;
		}
		vms += vm;
		vcpus += !vm;
	}
	if (!vms && !vcpus) {
		/* It exited, or closed them, meanwhile. */
		if (!quiet)
			fprintf(stderr, "rvhv-stat: pid %d (%s): exited while "
				"it was read\n", pid, v->comm);
		goto fail;
	}
	snprintf(v->what, sizeof(v->what), "%u VM%s%s, %u vCPU%s", vms,
		 vms == 1 ? "" : "s", vms > 1 ? " (their vCPUs counted "
		 "together)" : "", vcpus, vcpus == 1 ? "" : "s");
	i = report_sample(&v->rep);
	if (i) {
		fprintf(stderr, "rvhv-stat: pid %d (%s): reading its stats: "
			"%s\n", pid, v->comm, strerror(-i));
		goto fail;
	}
	nr_vmms++;
	return 0;
fail:
	report_free(&v->rep);
	close(v->pidfd);
	return -1;
}

static void drop_vmm(unsigned int i)
{
	report_free(&vmms[i].rep);
	close(vmms[i].pidfd);
	memmove(&vmms[i], &vmms[i + 1], (nr_vmms - i - 1) * sizeof(vmms[0]));
	nr_vmms--;
}

static bool vmm_exited(const struct vmm *v)
{
	struct pollfd p = { .fd = v->pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void scan_all(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	pid_t self = getpid();

	if (!d) {
		fprintf(stderr, "rvhv-stat: /proc: %s\n", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid > 0 && pid != self)
			add_vmm(pid, true);
	}
	closedir(d);
}

/* ---- Reports ---- */

static void report_once(void)
{
	double boot = clock_secs(CLOCK_BOOTTIME);
	unsigned int i;

	for (i = 0; i < nr_vmms; i++) {
		struct vmm *v = &vmms[i];
		double age = v->started ? boot - v->started : 0;
		char title[320];
		struct report_opts o = { .title = title, .secs = age };

		snprintf(title, sizeof(title), "rvhv-stat: pid %d (%s): %s: "
			 "cumulative, the VMM started %.2f s ago%s", v->pid,
			 v->comm, v->what, age, vmm_exited(v) ?
			 " (it has exited since)" : "");
		if (i)
			putchar('\n');
		report_print(&v->rep, stdout, &o);
	}
}

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void report_live(double interval, unsigned long count)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	double last = clock_secs(CLOCK_MONOTONIC), t;
	struct timespec next;
	unsigned long k;
	unsigned int i;
	bool tty = isatty(STDOUT_FILENO);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (k = 1; !count || k <= count; k++) {
		long ns = next.tv_nsec + (long)((interval - (long)interval) *
						1e9);

		next.tv_sec += (long)interval + ns / 1000000000L;
		next.tv_nsec = ns % 1000000000L;
		while (!interrupted && clock_nanosleep(CLOCK_MONOTONIC,
				TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		if (interrupted)
			break;
		t = clock_secs(CLOCK_MONOTONIC);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		printf("rvhv-stat: refresh %lu, every %.2f s%s\n", k, interval,
		       tty ? " (Ctrl-C ends)" : "");
		for (i = 0; i < nr_vmms; i++) {
			struct vmm *v = &vmms[i];
			char title[320];
			struct report_opts o = {
				.title = title, .secs = t - last, .live = true,
			};

			if (vmm_exited(v) || report_sample(&v->rep)) {
				printf("rvhv-stat: pid %d (%s): %s\n", v->pid,
				       v->comm, vmm_exited(v) ? "exited" :
				       "its stats cannot be read");
				drop_vmm(i--);
				continue;
			}
			snprintf(title, sizeof(title), "\nrvhv-stat: pid %d "
				 "(%s): %s: the last %.2f s", v->pid, v->comm,
				 v->what, t - last);
			report_print(&v->rep, stdout, &o);
		}
		last = t;
		fflush(stdout);
		if (!nr_vmms) {
			printf("rvhv-stat: no VMM left\n");
			break;
		}
	}
	fflush(stdout);
}

/* Saved stats files, as one VM. */
static int report_files(char **files, bool *is_vm, int nr)
{
	struct report rep;
	struct report_opts o = { .title = "rvhv-stat: stats files" };
	int i, fd, vcpus = 0;

	report_init(&rep);
	for (i = 0; i < nr; i++) {
		struct stats_fd s;
		char err[160];

		fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "rvhv-stat: %s: %s\n", files[i],
				strerror(errno));
			goto fail;
		}
		if (stats_fd_open(&s, fd, err, sizeof(err))) {
			fprintf(stderr, "rvhv-stat: %s: %s\n", files[i], err);
			goto fail;
		}
		if (is_vm[i] ? report_add_vm(&rep, &s) :
			       report_add_vcpu(&rep, &s, vcpus++)) {
			stats_fd_close(&s);
			fprintf(stderr, "rvhv-stat: out of memory\n");
			goto fail;
		}
	}
	i = report_sample(&rep);
	if (i) {
		fprintf(stderr, "rvhv-stat: reading the files: %s\n",
			strerror(-i));
		goto fail;
	}
	report_print(&rep, stdout, &o);
	report_free(&rep);
	return 0;
fail:
	report_free(&rep);
	return 1;
}

int main(int argc, char **argv)
{
	enum { O_ONCE = 256, O_VM_STATS, O_VCPU_STATS };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, O_ONCE },
		{ "vm-stats", required_argument, NULL, O_VM_STATS },
		{ "vcpu-stats", required_argument, NULL, O_VCPU_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char *files[256];
	static bool file_is_vm[256];
	double interval = 1;
	unsigned long count = 0;
	bool once = false, live_opt = false;
	int c, nr_files = 0;
	pid_t pid = 0;
	char *end;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:i:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (*end || errno || pid <= 0)
				bad_args("bad pid '%s'", optarg);
			break;
		case 'i':
			errno = 0;
			interval = strtod(optarg, &end);
			if (*end || errno || !(interval >= 0.01 &&
					       interval <= 3600))
				bad_args("bad interval '%s': 0.01..3600 s",
					 optarg);
			live_opt = true;
			break;
		case 'n':
			errno = 0;
			count = strtoul(optarg, &end, 10);
			if (*end || errno || !count || optarg[0] == '-')
				bad_args("bad count '%s'", optarg);
			live_opt = true;
			break;
		case O_ONCE:
			once = true;
			break;
		case O_VM_STATS:
		case O_VCPU_STATS:
			if (nr_files >= 256)
				bad_args("too many stats files");
			file_is_vm[nr_files] = c == O_VM_STATS;
			files[nr_files++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			bad_args("option %s needs a value", argv[optind - 1]);
		default:
			bad_args("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_args("unexpected argument '%s'", argv[optind]);
	if (once && live_opt)
		bad_args("--once and -i/-n do not go together");
	if (nr_files) {
		if (pid || live_opt)
			bad_args("stats files and -p/-i/-n do not go "
				 "together");
		return report_files(files, file_is_vm, nr_files);
	}

	if (pid)
		add_vmm(pid, false);
	else
		scan_all();
	if (!nr_vmms) {
		if (!pid)
			fprintf(stderr, "rvhv-stat: no VMs found (no process "
				"holds a VM or stats fd that could be "
				"read)\n");
		return 1;
	}
	if (once)
		report_once();
	else
		report_live(interval, count);
	while (nr_vmms)
		drop_vmm(nr_vmms - 1);
	return 0;
}
