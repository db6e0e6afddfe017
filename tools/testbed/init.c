// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the rvhv test host (runs as PID 1 inside QEMU).
 *
 * It mounts the pseudo file systems, brings the loopback interface up
 * (for QEMU's user-mode network in vmm_test), loads rvhv.ko, then runs
 * the job named on the kernel command line by rvhv.job=:
 *
 *   check  run every program listed in /tests/list (one "name timeout-s
 *          [kvm|rvhv [args...]]" per line; an argument env:NAME=VALUE
 *          sets NAME in its environment) with a time limit, framing each
 *          program's output with RVHV-BEGIN / RVHV-END lines that the
 *          host-side parser reads.  "kvm" runs the program against /dev/kvm
 *          (RVHV_DEV=/dev/kvm, kvm.ko loaded first) and labels it name@kvm.
 *          A name is a file in /tests unless it is an absolute path.
 *   run    the main job: the programs of /tests/list-run (rvhv-info, then
 *          rvhv-run booting a guest)
 *   noh    for a host without the H extension: only /tests/noh
 *
 * and finally powers the machine off.  Any failure to set up is reported on
 * the console as an RVHV-ERROR line, so the host never waits for nothing.
 *
 * For the check and run jobs a CPU watchdog runs beside the tests (see
 * start_watchdog()): a CPU that stops taking timer interrupts fails the
 * run with "RVHV-ERROR watchdog: ..." and ends it.
 *
 * rvhv.qemu=VERSION on the command line (set by run-qemu.sh) is passed to
 * the tests as $RVHV_QEMU, for the few tests that must avoid a known
 * defect of one QEMU version (Documentation/rvhv.rst, test-bed limits).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	say("RVHV-ERROR reboot(RB_POWER_OFF): %s\n", strerror(errno));
	for (;;)
		pause();
}

static void mnt(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		say("RVHV-ERROR mount %s: %s\n", dst, strerror(errno));
}

/*
 * The loopback interface up (the kernel gives it 127.0.0.1): QEMU's
 * user-mode network in vmm_test connects a guest's 10.0.2.2 to it.
 */
static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr)) {
		say("RVHV-ERROR lo up: %s\n", strerror(errno));
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			say("RVHV-ERROR lo up: %s\n", strerror(errno));
	}
	if (s >= 0)
		close(s);
}

static int load_module(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* The value of KEY=value on the kernel command line, or NULL. */
static const char *cmdline_value(const char *key)
{
	static char buf[4096];
	static char val[256];
	size_t n = strlen(key);
	char *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (p = strstr(buf, key); p; p = strstr(p + 1, key)) {
		if ((p == buf || p[-1] == ' ') && p[n] == '=') {
			snprintf(val, sizeof(val), "%.*s",
				 (int)strcspn(p + n + 1, " \n"), p + n + 1);
			return val;
		}
	}
	return NULL;
}

static const char *cmdline_job(void)
{
	static char job[64];
	const char *v = cmdline_value("rvhv.job");

	snprintf(job, sizeof(job), "%s", v ? v : "check");
	return job;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run one program in its own process group; kill the group when it outlives
 * its time limit.  Returns the wait status, or -1 on timeout.
 */
static int run_prog(char *const argv[], int timeout)
{
	double deadline = now() + timeout;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0) {
		setpgid(0, 0);
		execv(argv[0], argv);
		say("RVHV-ERROR exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (now() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			/* Reap whatever the group left behind. */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			return -1;
		}
		usleep(20000);
	}
	/* Orphans re-parented to us. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return status;
}

/*
 * The CPU watchdog.  One process per possible CPU, pinned to it and running
 * SCHED_FIFO at the top priority, sleeps WD_BEAT_MS at a time and counts
 * its wake-ups in shared memory: each wake-up needs a timer interrupt on
 * that CPU.  Each of them also watches the others' counts once a second
 * (so the watch survives any one CPU): a CPU whose count has not moved
 * for WD_LIMIT_S seconds (generous: QEMU's vCPU threads are at the mercy
 * of a busy host) has stopped taking timer interrupts, or is stuck with
 * them masked.  The first to see it reports it, with /proc/interrupts,
 * and ends the run: it powers the machine off.
 *
 * A wedged hart can also take the whole machine with it (under QEMU, a
 * hart trapping in a loop in M-mode starves the others of the emulator's
 * lock: no console, no interrupts anywhere).  So the watchers also print
 * "RVHV-ALIVE" every WD_ALIVE_S seconds, and run-qemu.sh stops a test host
 * that has been silent for a minute.  Offline CPUs are skipped.
 */
#define WD_BEAT_MS	100
#define WD_LIMIT_S	20
#define WD_ALIVE_S	5
#define WD_MAX_CPUS	64

struct wd_shared {
	volatile unsigned long beats[WD_MAX_CPUS];
	volatile int offline[WD_MAX_CPUS];
	volatile unsigned long last_alive;	/* the beat count it was said at */
	volatile int fired;
};

/* Copy a small file (a /proc one) to the console. */
static void say_file(const char *path)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = '\0';
		say("%s", buf);
	}
	if (fd >= 0)
		close(fd);
}

static void wd_beat(struct wd_shared *wd, int me, int ncpus, bool alive)
{
	const int per_s = 1000 / WD_BEAT_MS;
	unsigned long last[WD_MAX_CPUS] = { 0 }, n = 0;
	int still[WD_MAX_CPUS] = { 0 };
	struct sched_param sp = { .sched_priority = 99 };
	struct timespec ts = { 0, WD_BEAT_MS * 1000000L };
	cpu_set_t set;
	int cpu;

	sched_setscheduler(0, SCHED_FIFO, &sp);
	for (;; n++) {
		CPU_ZERO(&set);
		CPU_SET(me, &set);
		/* Re-pinned every time: a CPU may go offline and come back. */
		wd->offline[me] = sched_setaffinity(0, sizeof(set), &set) != 0;
		nanosleep(&ts, NULL);
		wd->beats[me]++;
		if (n % per_s || wd->fired)
			continue;
		/* Once a second: the others.  All CPUs count the same time. */
		if (alive && n / per_s >= wd->last_alive + WD_ALIVE_S) {
			wd->last_alive = n / per_s;
			say("RVHV-ALIVE %lu\n", n / per_s);
		}
		for (cpu = 0; cpu < ncpus; cpu++) {
			if (wd->offline[cpu] || wd->beats[cpu] != last[cpu]) {
				last[cpu] = wd->beats[cpu];
				still[cpu] = 0;
				continue;
			}
			if (++still[cpu] < WD_LIMIT_S ||
			    __sync_lock_test_and_set(&wd->fired, 1))
				continue;
			say("RVHV-ERROR watchdog: cpu %d took no timer interrupt for %d s; ending the run\n",
			    cpu, WD_LIMIT_S);
			say_file("/proc/interrupts");
			say("RVHV-WEDGED cpu %d\n", cpu);
			reboot(RB_POWER_OFF);
		}
	}
}

/* @alive: print RVHV-ALIVE lines for run-qemu.sh's silence check. */
static void start_watchdog(bool alive)
{
	int ncpus = sysconf(_SC_NPROCESSORS_CONF), cpu;
	struct wd_shared *wd;

	if (ncpus > WD_MAX_CPUS)
		ncpus = WD_MAX_CPUS;
	wd = mmap(NULL, sizeof(*wd), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (wd == MAP_FAILED) {
		say("RVHV-ERROR watchdog: mmap: %s\n", strerror(errno));
		return;
	}
	/* The first heartbeat: from here on, run-qemu.sh expects them. */
	if (alive)
		say("RVHV-ALIVE 0\n");
	for (cpu = 0; cpu < ncpus; cpu++) {
		pid_t pid = fork();

		if (pid < 0) {
			say("RVHV-ERROR watchdog: fork: %s\n", strerror(errno));
			return;
		}
		if (pid)
			continue;
		/* Out of the tests' way: its own process group. */
		setpgid(0, 0);
		wd_beat(wd, cpu, ncpus, alive);
		_exit(0);
	}
}

/* rvhv.ko is loaded for this job: run_list() keeps it loaded. */
static bool keep_rvhv;

static void run_list(const char *list)
{
	char line[512], name[256], dev[16];
	FILE *f = fopen(list, "r");
	int timeout, n;

	if (!f) {
		say("RVHV-ERROR %s: %s\n", list, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char path[300];
		char *argv[32] = { path, NULL };
		char *envs[8];
		int nenv;
		double t0;
		int st, off = 0, argc = 1;

		n = sscanf(line, "%255s %d %15s %n", name, &timeout, dev, &off);
		if (line[0] == '#' || n < 2)
			continue;
		snprintf(path, sizeof(path), name[0] == '/' ? "%s" : "/tests/%s",
			 name);
		/*
		 * Arguments after the third field; env:NAME=VALUE ones go
		 * into the program's environment instead.
		 */
		nenv = 0;
		for (char *a = off ? strtok(line + off, " \t\n") : NULL;
		     a && argc < 31; a = strtok(NULL, " \t\n")) {
			if (!strncmp(a, "env:", 4) && strchr(a, '=') &&
			    nenv < 8) {
				envs[nenv++] = a + 4;
				continue;
			}
			argv[argc++] = a;
		}
		argv[argc] = NULL;
		for (int i = 0; i < nenv; i++)
			putenv(envs[i]);
		if (n == 3 && !strcmp(dev, "kvm")) {
			int r = load_module("/lib/modules/kvm.ko", "");

			if (r && r != -EEXIST)
				say("RVHV-ERROR insmod kvm.ko: %s\n", strerror(-r));
			setenv("RVHV_DEV", "/dev/kvm", 1);
			strcat(name, "@kvm");
		} else {
			unsetenv("RVHV_DEV");
		}
		say("RVHV-BEGIN %s\n", name);
		t0 = now();
		st = run_prog(argv, timeout);
		if (st == -1)
			say("RVHV-END %s timeout %ds\n", name, timeout);
		else if (WIFEXITED(st))
			say("RVHV-END %s exit=%d %.2fs\n", name, WEXITSTATUS(st),
			    now() - t0);
		else
			say("RVHV-END %s signal=%d\n", name, WTERMSIG(st));
		for (int i = 0; i < nenv; i++) {
			*strchr(envs[i], '=') = '\0';
			unsetenv(envs[i]);
		}
		/*
		 * A program that failed while rvhv.ko was unloaded (a
		 * module_test or fixture reload cut short by its time
		 * limit) must not fail every program after it: load it
		 * again, with this boot's parameters.
		 */
		if (keep_rvhv && access("/dev/rvhv", F_OK)) {
			int r = load_module("/lib/modules/rvhv.ko",
					    getenv("RVHV_MODPARAMS") ?: "");

			say("RVHV-NOTE %s left rvhv.ko unloaded; loaded again: %s\n",
			    name, r ? strerror(-r) : "ok");
		}
	}
	fclose(f);
}

int main(void)
{
	const char *job, *qemu;
	char modparams[256] = "";
	int ret;

	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("devtmpfs", "/dev", "devtmpfs");
	mnt("debugfs", "/sys/kernel/debug", "debugfs");
	mnt("tmpfs", "/tmp", "tmpfs");
	setenv("PATH", "/bin:/tests", 1);
	lo_up();

	job = cmdline_job();
	say("RVHV-JOB %s\n", job);
	qemu = cmdline_value("rvhv.qemu");
	if (qemu)
		setenv("RVHV_QEMU", qemu, 1);
	/*
	 * Not for bench: it would add its wake-ups to the counts.  The
	 * console of the main job (make run) is a person's: no heartbeats.
	 */
	if (strcmp(job, "bench"))
		start_watchdog(strcmp(job, "run"));

	if (!strcmp(job, "noh")) {
		run_list("/tests/list-noh");
		say("RVHV-DONE\n");
		power_off();
	}

	/*
	 * rvhv.modparams=a=1,b=2: rvhv.ko's parameters for this boot (a host
	 * variant, e.g. debug_no_envcfg=1), at this load and, through
	 * $RVHV_MODPARAMS, at every load a test makes (rvhv_load_module()).
	 */
	if (cmdline_value("rvhv.modparams")) {
		char *c;

		snprintf(modparams, sizeof(modparams), "%s",
			 cmdline_value("rvhv.modparams"));
		for (c = modparams; *c; c++)
			if (*c == ',')
				*c = ' ';
		setenv("RVHV_MODPARAMS", modparams, 1);
	}
	ret = load_module("/lib/modules/rvhv.ko", modparams);
	if (ret) {
		say("RVHV-ERROR insmod rvhv.ko: %s\n", strerror(-ret));
		say("RVHV-DONE\n");
		power_off();
	}

	keep_rvhv = true;
	if (!strcmp(job, "check")) {
		/* rvhv.list=: another host configuration's programs */
		const char *list = cmdline_value("rvhv.list");

		run_list(list ? list : "/tests/list");
	} else if (!strcmp(job, "bench")) {
		run_list("/tests/list-bench");
	} else if (!strcmp(job, "run")) {
		run_list("/tests/list-run");
	} else {
		say("RVHV-ERROR unknown job %s\n", job);
	}
	say("RVHV-DONE\n");
	power_off();
	return 0;
}
