// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv installed like a driver (Documentation/rvhv.rst, "Installing rvhv
 * on a RISC-V board"): what `make install` and DKMS put in place works in
 * the test host the way a user would use it.
 *
 * tools/testbed/install-check.sh staged the trees on the build host:
 * `make install` at / (/lib/modules/<release>/updates/rvhv.ko with
 * modules.dep, /etc/udev/rules.d/65-rvhv.rules, and an /etc/group with
 * the kvm group), DKMS's install at /install/dkms.  The programs are
 * Debian 13's modprobe (kmod) and udevadm, under /opt/rvhv-userland
 * (tools/testbed/install-userland.sh), run through their own dynamic
 * loader.
 *
 * Against kvm.ko (RVHV_DEV=/dev/kvm) the module test skips (it loads
 * rvhv), and the udev test checks /dev/kvm under Debian's own
 * 50-udev-default.rules: the reference 65-rvhv.rules copies.
 *
 * Every test leaves rvhv.ko loaded from /lib/modules/rvhv.ko with default
 * parameters, as /init loaded it, and the device nodes as it found them.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "rvhv_util.h"

#ifndef RVHV_VERSION
#error "RVHV_VERSION: the top-level VERSION file (selftests/Makefile)"
#endif

#define USERLAND	"/opt/rvhv-userland"
#define LDSO		USERLAND "/lib/ld-linux-riscv64-lp64d.so.1"
#define KMOD		USERLAND "/bin/kmod"
#define UDEVADM		USERLAND "/bin/udevadm"
#define DKMS_ROOT	"/install/dkms"
#define RULE		"/etc/udev/rules.d/65-rvhv.rules"

static bool on_kvm(void)
{
	return strcmp(rvhv_dev_path(), "/dev/rvhv") != 0;
}

/*
 * Run PROG (one of USERLAND's binaries, acting as ARGV0) with ARGS to its
 * end, its stdout and stderr to the file OUT.  Returns its exit status,
 * or -1.
 */
static int tool(const char *argv0, const char *prog,
		const char *const *args, const char *out)
{
	const char *argv[32] = { LDSO, "--library-path", USERLAND "/lib",
				 "--argv0", argv0, prog };
	int n = 6, fd, st;
	pid_t pid;

	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(LDSO, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define MODPROBE(out, ...) \
	tool("modprobe", KMOD, (const char *const[]){ __VA_ARGS__, NULL }, out)

/* Copy a file (a tool's output) into the test's log. */
static void show(struct __test_metadata *_metadata, const char *path)
{
	const char *txt = rvhv_read_file(path);

	TH_LOG("%s:\n%s", path, txt ? txt : "(none)");
}

static bool loaded(void)
{
	return access("/sys/module/rvhv", F_OK) == 0;
}

FIXTURE(install) {
	bool unloaded;
};

FIXTURE_SETUP(install)
{
	self->unloaded = false;
	ASSERT_EQ(0, access(LDSO, X_OK))
		TH_LOG("no %s (install-userland.sh's tree)", LDSO);
}

/* rvhv.ko back from /lib/modules/rvhv.ko, as /init loaded it. */
FIXTURE_TEARDOWN(install)
{
	if (!self->unloaded)
		return;
	if (loaded())
		EXPECT_EQ(0, rvhv_unload_module("rvhv"));
	EXPECT_EQ(0, rvhv_load_module(RVHV_KO, ""));
}

/*
 * Unload rvhv for loading an installed one (the teardown puts /init's
 * back), which must be at FILE, FMT with the kernel's release.  Returns
 * the kernel log's fd, open from here on.
 */
static int unload_for(struct __test_metadata *_metadata,
		      FIXTURE_DATA(install) *self, char *file, size_t size,
		      const char *fmt)
{
	struct utsname u;
	int kmsg, ret, i;

	ASSERT_EQ(0, uname(&u));
	snprintf(file, size, fmt, u.release);
	ASSERT_EQ(0, access(file, R_OK)) TH_LOG("%s", file);
	/* A program before this one may still be closing its fds. */
	for (i = 0; i < 300; i++) {
		ret = rvhv_unload_module("rvhv");
		if (ret != -EWOULDBLOCK)
			break;
		usleep(100000);
	}
	ASSERT_EQ(0, ret) TH_LOG("rvhv in use for 30 s: refcnt %s",
				 rvhv_read_file("/sys/module/rvhv/refcnt"));
	self->unloaded = true;
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_GE(kmsg, 0);
	lseek(kmsg, 0, SEEK_END);
	return kmsg;
}

/*
 * The rvhv.ko just loaded (from FILE) is this version, said so in the
 * kernel log (KMSG, from before the load) and registered a working
 * /dev/rvhv.
 */
static void check_loaded(struct __test_metadata *_metadata, int kmsg,
			 const char *file)
{
	char ready[64];
	const char *txt;
	int fd;

	ASSERT_TRUE(loaded()) TH_LOG("%s", file);
	txt = rvhv_read_file("/sys/module/rvhv/version");
	ASSERT_NE(NULL, txt);
	EXPECT_STREQ(RVHV_VERSION "\n", txt) TH_LOG("%s", file);
	snprintf(ready, sizeof(ready), "rvhv: %s ready: h", RVHV_VERSION);
	EXPECT_TRUE(rvhv_kmsg_has(kmsg, ready))
		TH_LOG("%s: no \"%s\" in the kernel log", file, ready);
	close(kmsg);

	fd = open("/dev/rvhv", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("%s", file);
	EXPECT_EQ(KVM_API_VERSION, ioctl(fd, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(1, ioctl(fd, KVM_CHECK_EXTENSION, RVHV_CAP_HOST_FEATURES));
	close(fd);
}

/*
 * The installed modules load, one after the other:
 * - `modprobe rvhv` loads what `make install` put in
 *   /lib/modules/<release>/updates (modules.dep, depmod's, names it);
 * - what DKMS built from /usr/src/rvhv-<version> with dkms.conf's MAKE,
 *   stripped and installed (Debian's DKMS: updates/dkms) loads too (its
 *   modules.dep is checked on the build host).
 */
TEST_F(install, installed_modules_load)
{
	const char *out = "/tmp/install_test-modprobe.log";
	char file[160], insmod[192];
	const char *txt;
	int kmsg;

	if (on_kvm())
		SKIP(return, "loads rvhv itself: nothing of kvm.ko to compare");
	kmsg = unload_for(_metadata, self, file, sizeof(file),
			  "/lib/modules/%s/updates/rvhv.ko");
	EXPECT_EQ(0, MODPROBE(out, "-v", "rvhv"));
	/* -v: "insmod <the file> <options>" */
	txt = rvhv_read_file(out);
	ASSERT_NE(NULL, txt);
	snprintf(insmod, sizeof(insmod), "insmod %s", file);
	EXPECT_NE(NULL, strstr(txt, insmod)) show(_metadata, out);
	check_loaded(_metadata, kmsg, file);

	kmsg = unload_for(_metadata, self, file, sizeof(file),
			  DKMS_ROOT "/lib/modules/%s/updates/dkms/rvhv.ko");
	EXPECT_EQ(0, rvhv_load_module(file, ""));
	check_loaded(_metadata, kmsg, file);
}

/* The kvm group's id in /etc/group, or -1. */
static long kvm_gid(void)
{
	const char *txt = rvhv_read_file("/etc/group");
	const char *p;

	for (p = txt; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "kvm:", 4)) {
			p = strchr(p + 4, ':');
			return p ? strtol(p + 1, NULL, 10) : -1;
		}
	}
	return -1;
}

/* The line after the heading HEAD in udevadm test's dump, or NULL. */
static const char *dump_value(const char *txt, const char *head)
{
	static char val[128];
	const char *p = txt ? strstr(txt, head) : NULL;

	p = p ? strchr(p, '\n') : NULL;
	if (!p)
		return NULL;
	p += strspn(p, "\n ");
	snprintf(val, sizeof(val), "%.*s", (int)strcspn(p, "\n"), p);
	return val;
}

/* Has TXT a line that starts with PREFIX and ends with WHAT? */
static bool has_line(const char *txt, const char *prefix, const char *what)
{
	size_t n = strlen(prefix), w = strlen(what), len;
	const char *p;

	for (p = txt; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		len = strcspn(p, "\n");
		if (len >= n + w && !strncmp(p, prefix, n) &&
		    !strncmp(p + len - w, what, w))
			return true;
	}
	return false;
}

/*
 * udev's rules, as installed, give the device node group kvm and mode
 * 0660: Debian 13's `udevadm test` runs systemd-udevd's rules engine on
 * the device (an "add" event for /sys/class/misc/<node>) with every rules
 * file udevd would read, and prints which rule set what and what udevd
 * would do to the node.  For /dev/rvhv that must be 65-rvhv.rules, where
 * `make install` put it; for /dev/kvm, Debian's 50-udev-default.rules.
 *
 * Not the daemon itself: systemd-udevd cannot start on the test kernel,
 * which has no CONFIG_INOTIFY_USER ("Failed to create inotify descriptor:
 * Function not implemented"); udevadm test changes nothing.
 */
TEST_F(install, udev_group_and_mode)
{
	const char *node = rvhv_dev_path();
	const char *name = strrchr(node, '/') + 1;
	const char *out = "/tmp/install_test-udevadm.log";
	const char *rules = on_kvm() ?
		"/usr/lib/udev/rules.d/50-udev-default.rules" : RULE;
	char sys[64], want[64], prefix[128];
	struct stat st, before;
	const char *txt, *v;
	long gid = kvm_gid();
	bool mounted;
	int ret;

	ASSERT_GT(gid, 0) TH_LOG("no kvm group in /etc/group");
	ASSERT_EQ(0, access(rules, R_OK));
	snprintf(sys, sizeof(sys), "/sys/class/misc/%s", name);
	ASSERT_EQ(0, access(sys, F_OK));
	ASSERT_EQ(0, stat(node, &before));

	/* Its own /run, gone afterwards. */
	mkdir("/run", 0755);
	mounted = mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") == 0;
	EXPECT_TRUE(mounted);
	ret = tool("udevadm", UDEVADM,
		   (const char *const[]){ "test", "--action=add", sys, NULL },
		   out);
	if (mounted)
		EXPECT_EQ(0, umount2("/run", MNT_DETACH));
	txt = rvhv_read_file(out);
	ASSERT_NE(NULL, txt);
	EXPECT_EQ(0, ret) show(_metadata, out);

	snprintf(want, sizeof(want), "kvm (gid=%ld)", gid);
	v = dump_value(txt, "Device node group:");
	EXPECT_STREQ(want, v ? v : "(none)") show(_metadata, out);
	v = dump_value(txt, "Device node permission:");
	EXPECT_STREQ("0660", v ? v : "(none)") show(_metadata, out);
	/* Which rule did it: "<node>: <file>:<line> GROUP <gid>". */
	snprintf(prefix, sizeof(prefix), "%s: %s:", name, rules);
	snprintf(want, sizeof(want), " GROUP %ld", gid);
	EXPECT_TRUE(has_line(txt, prefix, want)) show(_metadata, out);
	EXPECT_TRUE(has_line(txt, prefix, " MODE 0660")) show(_metadata, out);

	/* udevadm test only tells. */
	ASSERT_EQ(0, stat(node, &st));
	EXPECT_EQ(before.st_gid, st.st_gid);
	EXPECT_EQ(before.st_mode, st.st_mode);
}

TEST_HARNESS_MAIN
