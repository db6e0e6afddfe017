/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by rvhv's selftests (userspace, static riscv64 binaries).
 */
#ifndef RVHV_UTIL_H
#define RVHV_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The device under test: /dev/rvhv, or $RVHV_DEV (e.g. /dev/kvm). */
static inline const char *rvhv_dev_path(void)
{
	const char *p = getenv("RVHV_DEV");

	return p ? p : "/dev/rvhv";
}

static inline int rvhv_open_dev(int flags)
{
	return open(rvhv_dev_path(), flags | O_CLOEXEC);
}

/* Read a whole (small) file into a NUL-terminated static buffer. */
static inline const char *rvhv_read_file(const char *path)
{
	static char buf[65536];
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return buf;
}

static inline int rvhv_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * Load a module file with parameters; returns 0 or -errno.  rvhv.ko also
 * gets $RVHV_MODPARAMS, the parameters of this boot's host variant (the
 * test host's init sets it from rvhv.modparams= on its command line).
 */
static inline int rvhv_load_module(const char *path, const char *params)
{
	const char *extra = getenv("RVHV_MODPARAMS");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char all[512];
	size_t n = strlen(path);
	int ret;

	if (fd < 0)
		return -errno;
	if (extra && *extra && n >= 7 && !strcmp(path + n - 7, "rvhv.ko")) {
		snprintf(all, sizeof(all), "%s %s", params, extra);
		params = all;
	}
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Unload without waiting; returns 0 or -errno (-EWOULDBLOCK while in use). */
static inline int rvhv_unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * Read the kernel log from FD (/dev/kmsg, opened O_NONBLOCK) to its end:
 * did a record contain S?  (EPIPE: records were overwritten; read on.)
 */
static inline int rvhv_kmsg_has(int fd, const char *s)
{
	char rec[1024];
	ssize_t n;
	int found = 0;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, s))
			found = 1;
	}
	return found;
}

/* Number after "key: " in a debugfs text, or -1. */
static inline long rvhv_field(const char *text, const char *key)
{
	const char *p;
	size_t n = strlen(key);

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return strtol(p + n + 1, NULL, 0);
	}
	return -1;
}

/*
 * tracefs, for rvhv's tracepoints (observe/trace.h): its directory, with
 * a trailing slash, mounted at /sys/kernel/tracing first if it is not
 * there yet; NULL when the kernel has none.
 */
static inline const char *rvhv_tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing/", "/sys/kernel/debug/tracing/",
	};
	char path[64];
	unsigned int i;

	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%strace", dirs[i]);
		if (!access(path, W_OK))
			return dirs[i];
	}
	return NULL;
}

#define RVHV_DEBUGFS "/sys/kernel/debug/rvhv/"

/* Number after " key=" in the line at @p (NULL: none), or -1. */
static inline long rvhv_line_field(const char *p, const char *key)
{
	const char *end;
	char k[64];

	if (!p)
		return -1;
	end = strchr(p, '\n');
	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(p, k);
	if (!p || (end && p > end))
		return -1;
	return strtol(p + strlen(k), NULL, 0);
}

/*
 * Number after " key=" in the first line of a debugfs file that starts
 * with @prefix ("vm pid=123 ", ...), or -1.
 */
static inline long rvhv_debugfs_field(const char *file, const char *prefix,
				      const char *key)
{
	const char *txt = rvhv_read_file(file);

	return txt ? rvhv_line_field(strstr(txt, prefix), key) : -1;
}

/*
 * The number after " key=" on this process's line ("vm pid=<pid> ...") of
 * rvhv's debugfs file @name ("vms", "memory"), or -1.  For a test process
 * with one VM.
 */
static inline long rvhv_vm_debugfs_field(const char *name, const char *key)
{
	char path[128], pid[32];

	snprintf(path, sizeof(path), RVHV_DEBUGFS "%s", name);
	snprintf(pid, sizeof(pid), "vm pid=%d ", getpid());
	return rvhv_debugfs_field(path, pid, key);
}

/*
 * debugfs vms: field @key ("key=N") of this process's VM number @nth
 * (0: the first listed), or -1.
 */
static inline long rvhv_vms_field(int nth, const char *key)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "vms");
	const char *p;
	char pid[32];

	if (!txt)
		return -1;
	snprintf(pid, sizeof(pid), "vm pid=%d ", getpid());
	for (p = strstr(txt, pid); p && nth--; p = strstr(p + 1, pid))
		;
	return rvhv_line_field(p, key);
}

/* rvhv's live VMs, every process's (debugfs vms: "vms: N"), or -1. */
static inline long rvhv_nr_vms(void)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "vms");

	return txt ? rvhv_field(txt, "vms") : -1;
}

#define RVHV_KO "/lib/modules/rvhv.ko"
#define KVM_KO "/lib/modules/kvm.ko"

/*
 * A child's wait status as one number: its exit status, minus the signal
 * that killed it, or -1000 for -1 (killed at a test's time limit).
 */
static inline int rvhv_exit_code(int status)
{
	if (status == -1)
		return -1000;
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif /* RVHV_UTIL_H */
