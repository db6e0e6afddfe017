// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the rvhv test host (runs as PID 1 inside QEMU).
 *
 * It mounts the pseudo file systems, loads rvhv.ko, then runs the job named
 * on the kernel command line by rvhv.job=:
 *
 *   check  run every program listed in /tests/list (one "name timeout-s
 *          [kvm|rvhv [args...]]" per line) with a time limit, framing each
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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
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

static const char *cmdline_job(void)
{
	static char buf[4096];
	char *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f || !fgets(buf, sizeof(buf), f))
		return "check";
	fclose(f);
	p = strstr(buf, "rvhv.job=");
	if (!p)
		return "check";
	p += strlen("rvhv.job=");
	p[strcspn(p, " \n")] = '\0';
	return p;
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
		double t0;
		int st, off = 0, argc = 1;

		n = sscanf(line, "%255s %d %15s %n", name, &timeout, dev, &off);
		if (line[0] == '#' || n < 2)
			continue;
		snprintf(path, sizeof(path), name[0] == '/' ? "%s" : "/tests/%s",
			 name);
		/* Arguments after the third field. */
		for (char *a = off ? strtok(line + off, " \t\n") : NULL;
		     a && argc < 31; a = strtok(NULL, " \t\n"))
			argv[argc++] = a;
		argv[argc] = NULL;
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
	}
	fclose(f);
}

int main(void)
{
	const char *job;
	int ret;

	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("devtmpfs", "/dev", "devtmpfs");
	mnt("debugfs", "/sys/kernel/debug", "debugfs");
	mnt("tmpfs", "/tmp", "tmpfs");
	setenv("PATH", "/bin:/tests", 1);

	job = cmdline_job();
	say("RVHV-JOB %s\n", job);

	if (!strcmp(job, "noh")) {
		run_list("/tests/list-noh");
		say("RVHV-DONE\n");
		power_off();
	}

	ret = load_module("/lib/modules/rvhv.ko", "");
	if (ret) {
		say("RVHV-ERROR insmod rvhv.ko: %s\n", strerror(-ret));
		say("RVHV-DONE\n");
		power_off();
	}

	if (!strcmp(job, "check")) {
		run_list("/tests/list");
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
