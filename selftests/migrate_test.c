// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_test: rvhv-run moves a running Linux guest (tools/guest in its
 * counter mode) between processes on the device under test (/dev/rvhv,
 * or $RVHV_DEV), and saves it to a file and back.
 *
 * live_and_file, one boot, four processes in a chain:
 *   A  boots the guest with rvhv.guest.counter=4 (it writes 4 MiB a page
 *      at a time for ever and checks, every half second, that every page
 *      holds its last write: "rvhv-guest: counter N ok"), 2 vCPUs, a
 *      virtio console (so the PLIC and a virtio device are moved too);
 *      on SIGUSR1 it moves the guest live (dirty log bitmaps) to
 *   B  (--incoming), which moves it on SIGUSR1 with the dirty ring where
 *      the device has one (rvhv) to
 *   C  (--incoming), which saves it to a file on Ctrl-A s typed on its
 *      console (kvm.ko 6.12 has no ring: there B saves it, and there is
 *      no C), restored by
 *   D  (--restore), killed by the test at the end; then
 *   E  restores the same file on the other device, where the test host
 *      has it loaded (kvm.ko's run: /dev/rvhv): the guest goes on, or,
 *      where the device lacks an ISA extension the guest had (Zihpm: on
 *      kvm.ko, on rvhv only where host perf has hardware counters, as
 *      on the test hosts now) or a register (rvhv's PMU state, which
 *      kvm.ko has not), the restore is refused naming the register.
 * Each step: the mover exits 0 with its "migrate: done" line, and the
 * next process's first counter line is past the mover's last one (the
 * guest went on, it did not boot again), it prints more (it keeps
 * running), and no process shows a "counter BAD" line (no write lost).
 * With RVHV_MIGRATE_BENCH=1 (make bench) the figures of each move are
 * printed as RVHV-BENCH rows.
 *
 * bad_files: a guest saved right after it starts; the file truncated, a
 * byte of it flipped, another version number, and a file that is not a
 * save must each be refused (exit 3, a message) before anything runs.
 * bad_arguments: the option combinations rvhv-run refuses.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "rvhv_util.h"
#include "vmm_out.h"

#define VMM		"/bin/rvhv-run"
#define GUEST_IMAGE	"/lib/guest-Image"
#define GUEST_INITRD	"/lib/guest-initramfs.cpio"
#define BOOT_TIMEOUT	240	/* nested TCG: a boot takes tens of seconds */
#define STEP_TIMEOUT	120	/* a move, and two counter lines after it */
#define OUT_MAX		(256 * 1024)
#define SOCK1		"unix:/tmp/migrate-1.sock"
#define SOCK2		"unix:/tmp/migrate-2.sock"
#define SAVE_FILE	"/tmp/migrate.save"
#define BAD_FILE	"/tmp/migrate-bad.save"
#define EXIT_VMM_ERROR	3

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An rvhv-run process, its stdout and stderr in a memfd. */
struct vmm {
	const char *name;
	pid_t pid;
	int out_fd;
	int in_fd;		/* its stdin's write end, or -1 (/dev/null) */
	int status;		/* wait status; -1 killed at its limit */
	bool done;
	char out[OUT_MAX];
};

/* With piped, its stdin is a pipe from v->in_fd. */
static void vmm_start_in(struct vmm *v, const char *name,
			 const char *const *args, bool piped)
{
	const char *argv[40] = { VMM };
	int n = 1, i, in[2] = { -1, -1 };

	for (i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->in_fd = -1;
	v->out_fd = memfd_create("vmm-out", MFD_CLOEXEC);
	if (v->out_fd < 0 || (piped && pipe2(in, O_CLOEXEC)))
		abort();
	v->pid = fork();
	if (v->pid < 0)
		abort();
	if (!v->pid) {
		int null = piped ? in[0] : open("/dev/null", O_RDONLY);

		/*
		 * Dies with the test: a failed ASSERT aborts the test's
		 * process, and a VMM left running (a hung guest, seen once on
		 * the AIA host) would then run into the next programs'
		 * traces and stats.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 0);
		dup2(v->out_fd, 1);
		dup2(v->out_fd, 2);
		execv(VMM, (char **)argv);
		dprintf(2, "exec %s: %s\n", VMM, strerror(errno));
		_exit(127);
	}
	if (piped) {
		close(in[0]);
		v->in_fd = in[1];
	}
}

static void vmm_start(struct vmm *v, const char *name,
		      const char *const *args)
{
	vmm_start_in(v, name, args, false);
}

/* The output so far into v->out. */
static const char *vmm_out(struct vmm *v)
{
	ssize_t n = pread(v->out_fd, v->out, OUT_MAX - 1, 0);

	v->out[n > 0 ? n : 0] = '\0';
	return v->out;
}

static bool vmm_exited(struct vmm *v)
{
	if (!v->done && waitpid(v->pid, &v->status, WNOHANG) == v->pid)
		v->done = true;
	return v->done;
}

/*
 * Wait at most secs for the process to end (then kill it), or once its
 * output has fail (if not NULL): kill it then.
 */
static void vmm_wait_or(struct vmm *v, double secs, const char *fail)
{
	double end = mono() + secs;

	while (!vmm_exited(v)) {
		if (mono() > end || (fail && strstr(vmm_out(v), fail))) {
			kill(v->pid, SIGKILL);
			waitpid(v->pid, &v->status, 0);
			v->status = -1;
			v->done = true;
			break;
		}
		usleep(20000);
	}
	vmm_out(v);
}

static void vmm_wait(struct vmm *v, double secs)
{
	vmm_wait_or(v, secs, NULL);
}

static void vmm_kill(struct vmm *v)
{
	if (v->pid > 0 && !vmm_exited(v)) {
		kill(v->pid, SIGKILL);
		waitpid(v->pid, &v->status, 0);
		v->done = true;
	}
	if (v->out_fd > 0)
		close(v->out_fd);
	if (v->in_fd > 0)
		close(v->in_fd);
	v->out_fd = v->in_fd = -1;
}

static int vmm_exit(const struct vmm *v)
{
	return rvhv_exit_code(v->status);
}

/* rvhv-run's and the guest init's lines, as "# name | " lines of the log. */
static void show(struct vmm *v)
{
	vmm_show_lines(vmm_out(v), v->name, false);
}

/*
 * The guest's "counter N ok" lines in the output: how many, the first
 * and last N.
 */
static int counters(struct vmm *v, unsigned long long *first,
		    unsigned long long *last)
{
	const char *p = vmm_out(v);
	unsigned long long c;
	int n = 0;

	while ((p = strstr(p, "rvhv-guest: counter "))) {
		p += strlen("rvhv-guest: counter ");
		if (sscanf(p, "%llu ok", &c) != 1 || !strstr(p, " ok"))
			continue;
		if (!n++)
			*first = c;
		*last = c;
	}
	return n;
}

/* Wait (at most secs) for n counter lines; false if the process ended. */
static bool wait_counters(struct vmm *v, int n, double secs)
{
	double end = mono() + secs;
	unsigned long long f, l;

	while (mono() < end) {
		if (counters(v, &f, &l) >= n)
			return true;
		if (vmm_exited(v))
			return false;
		usleep(100000);
	}
	return false;
}

/* The value of key=<number> in the line "rvhv-run: migrate: done: ...". */
static double done_value(struct vmm *v, const char *key)
{
	const char *p = strstr(vmm_out(v), "rvhv-run: migrate: done:");
	char k[40];
	const char *q;

	if (!p)
		return -1;
	snprintf(k, sizeof(k), " %s=", key);
	q = strstr(p, k);
	if (!q || q > strchrnul(p, '\n'))
		return -1;
	return atof(q + strlen(k));
}

static bool dev_has_ring(const char *dev)
{
	int fd = open(dev, O_RDWR), vm, r = 0;

	if (fd < 0)
		return false;
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm >= 0) {
		r = ioctl(vm, KVM_CHECK_EXTENSION,
			  KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
		close(vm);
	}
	close(fd);
	return r > 0;
}

FIXTURE(migrate) {
	char dev[128];
	const char *tag;	/* "rvhv" or "kvm", for RVHV-BENCH */
	struct vmm v[4];
};

FIXTURE_SETUP(migrate)
{
	const char *dev = rvhv_dev_path();

	memset(self->v, 0, sizeof(self->v));
	if (access(dev, R_OK | W_OK))
		SKIP(return, "%s: %s", dev, strerror(errno));
	ASSERT_EQ(0, access(VMM, X_OK)) TH_LOG("%s missing", VMM);
	ASSERT_EQ(0, access(GUEST_IMAGE, R_OK));
	ASSERT_EQ(0, access(GUEST_INITRD, R_OK));
	snprintf(self->dev, sizeof(self->dev), "%s", dev);
	self->tag = strcmp(dev, "/dev/kvm") ? "rvhv" : "kvm";
	unlink(SAVE_FILE);
	unlink(BAD_FILE);
}

FIXTURE_TEARDOWN(migrate)
{
	int i;

	for (i = 0; i < 4; i++)
		vmm_kill(&self->v[i]);
	unlink(SAVE_FILE);
	unlink(BAD_FILE);
}

/*
 * v moves (or saves) the guest on SIGUSR1, or on Ctrl-A s typed on its
 * console when it has a stdin pipe; next runs it afterwards.  Checks
 * both ends; *last: the last counter v printed.
 */
static void move_step(struct __test_metadata *_metadata, const char *tag,
		      struct vmm *v, struct vmm *next, const char *mode,
		      unsigned long long *last)
{
	unsigned long long f0 = 0, l0 = 0, f1 = 0, l1 = 0;
	double t0 = mono();
	char want[32];

	if (v->in_fd < 0)
		kill(v->pid, SIGUSR1);
	else if (write(v->in_fd, "\001s", 2) != 2)
		abort();
	vmm_wait_or(v, STEP_TIMEOUT, "rvhv-run: migrate: failed");
	show(v);
	ASSERT_EQ(0, vmm_exit(v)) {
		if (next)
			show(next);
		TH_LOG("%s did not move the guest", v->name);
	}
	ASSERT_NE(NULL, strstr(v->out, "rvhv-run: migrate: done:"));
	EXPECT_GE(done_value(v, "total_ms"), 0);
	EXPECT_GE(done_value(v, "downtime_ms"), 0);
	EXPECT_LE(done_value(v, "downtime_ms"), done_value(v, "total_ms"));
	snprintf(want, sizeof(want), " mode=%s ", mode);
	EXPECT_NE(NULL, strstr(v->out, want)) TH_LOG("no '%s'", want);
	counters(v, &f0, &l0);
	printf("# %s: %s moved the guest (%s) after counter %llu in %.1f s: "
	       "total %.0f ms, downtime %.0f ms, %.0f rounds, %.0f pages\n",
	       tag, v->name, mode, l0, mono() - t0,
	       done_value(v, "total_ms"), done_value(v, "downtime_ms"),
	       done_value(v, "iterations"), done_value(v, "pages"));
	if (getenv("RVHV_MIGRATE_BENCH")) {
		static const char *const keys[] = {
			"total_ms", "downtime_ms", "iterations", "pages",
		};
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(keys); i++)
			printf("RVHV-BENCH %s migrate_%s_%s %.0f\n", tag, mode,
			       keys[i], done_value(v, keys[i]));
	}
	if (!next)
		return;
	EXPECT_TRUE(wait_counters(next, 2, STEP_TIMEOUT)) {
		show(next);
		TH_LOG("%s: no counter lines after the move", next->name);
		return;
	}
	counters(next, &f1, &l1);
	/* The guest went on where it was: no reboot, no reset counter. */
	EXPECT_GT(f1, l0) TH_LOG("%s's first counter %llu, %s's last %llu",
				 next->name, f1, v->name, l0);
	EXPECT_GT(l1, f1);
	EXPECT_EQ(NULL, strstr(next->out, "rvhv-guest: hello from the guest"));
	EXPECT_EQ(NULL, strstr(v->out, "counter BAD"));
	EXPECT_EQ(NULL, strstr(next->out, "counter BAD"));
	*last = l1;
}

TEST_F_TIMEOUT(migrate, live_and_file, BOOT_TIMEOUT + 4 * STEP_TIMEOUT)
{
	bool ring = dev_has_ring(self->dev);
	const char *a[] = { "--dev", self->dev, "--kernel", GUEST_IMAGE,
			    "--initrd", GUEST_INITRD, "--cpus", "2",
			    "--mem", "64", "--cmdline",
			    "quiet rvhv-guest.counter=4",
			    "--virtio-console=/tmp/migrate-hvc-a",
			    "--migrate-to", SOCK1, NULL };
	/* Without a ring, B saves: a second bitmap move adds nothing. */
	const char *b[] = { "--dev", self->dev, "--incoming", SOCK1,
			    "--virtio-console=/tmp/migrate-hvc-b",
			    ring ? "--migrate-to" : "--save",
			    ring ? SOCK2 : SAVE_FILE, "--dirty-ring", NULL };
	const char *c[] = { "--dev", self->dev, "--incoming", SOCK2,
			    "--virtio-console=/tmp/migrate-hvc-c",
			    "--save", SAVE_FILE, NULL };
	const char *d[] = { "--dev", self->dev, "--restore", SAVE_FILE,
			    "--virtio-console=/tmp/migrate-hvc-d", NULL };
	unsigned long long last = 0, f2 = 0, l2 = 0, f3 = 0, l3 = 0;
	struct vmm *saver = ring ? &self->v[2] : &self->v[1];
	struct stat sb;
	int i;

	if (!ring)
		b[7] = NULL;
	/* The saver saves on Ctrl-A s (its guest polls the console). */
	vmm_start_in(&self->v[1], "B", b, !ring);
	if (ring)
		vmm_start_in(&self->v[2], "C", c, true);
	vmm_start(&self->v[0], "A", a);
	if (!wait_counters(&self->v[0], 2, BOOT_TIMEOUT)) {
		for (i = 0; i < 3; i++)
			if (self->v[i].pid)
				show(&self->v[i]);
		ASSERT_TRUE(false) TH_LOG("A: no counter lines");
	}
	move_step(_metadata, self->tag, &self->v[0], &self->v[1], "bitmap",
		  &last);
	if (ring)
		move_step(_metadata, self->tag, &self->v[1], &self->v[2],
			  "ring", &last);
	move_step(_metadata, self->tag, saver, NULL, "save", &last);
	ASSERT_EQ(0, stat(SAVE_FILE, &sb));
	printf("# %s: the save is %lld bytes\n", self->tag,
	       (long long)sb.st_size);

	vmm_start(&self->v[3], "D", d);
	EXPECT_TRUE(wait_counters(&self->v[3], 2, STEP_TIMEOUT)) {
		show(&self->v[3]);
		return;
	}
	counters(saver, &f2, &l2);
	counters(&self->v[3], &f3, &l3);
	EXPECT_GT(f3, l2) TH_LOG("D's first counter %llu, %s's last %llu", f3,
				 saver->name, l2);
	EXPECT_EQ(NULL, strstr(self->v[3].out, "counter BAD"));
	EXPECT_EQ(NULL, strstr(self->v[3].out,
			       "rvhv-guest: hello from the guest"));
	/* Still running: it ends on SIGTERM, as any rvhv-run. */
	EXPECT_FALSE(vmm_exited(&self->v[3]));
	kill(self->v[3].pid, SIGTERM);
	vmm_wait(&self->v[3], 30);
	show(&self->v[3]);
	EXPECT_EQ(143, vmm_exit(&self->v[3]));

	/*
	 * The same file on the other device, where the test host has it
	 * (kvm.ko's run: rvhv is loaded; rvhv's: kvm.ko is not yet).
	 */
	d[1] = strcmp(self->dev, "/dev/kvm") ? "/dev/kvm" : "/dev/rvhv";
	if (access(d[1], R_OK | W_OK))
		return;
	vmm_kill(&self->v[0]);
	vmm_start(&self->v[0], "E", d);
	/*
	 * Either it runs on, or the device lacks something the guest has
	 * (Zihpm, or rvhv's PMU registers going to kvm.ko): then a clear
	 * refusal naming the register, before the guest runs.
	 */
	if (!wait_counters(&self->v[0], 2, STEP_TIMEOUT)) {
		vmm_wait(&self->v[0], 30);
		show(&self->v[0]);
		EXPECT_EQ(EXIT_VMM_ERROR, vmm_exit(&self->v[0]));
		EXPECT_NE(NULL, strstr(self->v[0].out,
				       "cannot take the saved value"));
		EXPECT_EQ(NULL, strstr(self->v[0].out, "rvhv-guest:"));
		printf("# %s: the save refused on %s, as it should be\n",
		       self->tag, d[1]);
		return;
	}
	counters(&self->v[0], &f3, &l3);
	EXPECT_GT(f3, l2) TH_LOG("E's first counter %llu, %s's last %llu", f3,
				 saver->name, l2);
	EXPECT_EQ(NULL, strstr(self->v[0].out, "counter BAD"));
	kill(self->v[0].pid, SIGTERM);
	vmm_wait(&self->v[0], 30);
	show(&self->v[0]);
	printf("# %s: the save restored on %s too\n", self->tag, d[1]);
	EXPECT_EQ(143, vmm_exit(&self->v[0]));
}

/* rvhv-run --restore file: refused, exit 3, the message has what. */
static void refused(struct __test_metadata *_metadata, const char *dev,
		    struct vmm *v, const char *file, const char *what)
{
	const char *args[] = { "--dev", dev, "--restore", file, NULL };

	vmm_start(v, "R", args);
	vmm_wait(v, 60);
	show(v);
	EXPECT_EQ(EXIT_VMM_ERROR, vmm_exit(v)) TH_LOG("%s", what);
	EXPECT_NE(NULL, strstr(v->out, what)) TH_LOG("no '%s'", what);
	EXPECT_EQ(NULL, strstr(v->out, "rvhv-guest:"));
	vmm_kill(v);
}

static bool write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, p, n) == (ssize_t)n;
	close(fd);
	return ok;
}

TEST_F_TIMEOUT(migrate, bad_files, 300)
{
	const char *a[] = { "--dev", self->dev, "--kernel", GUEST_IMAGE,
			    "--initrd", GUEST_INITRD, "--mem", "32",
			    "--save", SAVE_FILE, NULL };
	struct vmm *v = &self->v[0];
	uint8_t *buf;
	size_t size;
	struct stat sb;
	uint32_t ver = 2;
	int fd;

	/* The file format is rvhv-run's, whatever device made the save. */
	if (strcmp(self->tag, "rvhv"))
		SKIP(return, "rvhv-run's own save-file checks: run on /dev/rvhv");
	/* A save of a guest that just started. */
	vmm_start(v, "A", a);
	for (fd = 0; fd < 3000 && !vmm_exited(v) &&
	     !strstr(vmm_out(v), "Linux version"); fd++)
		usleep(20000);
	kill(v->pid, SIGUSR1);
	vmm_wait(v, STEP_TIMEOUT);
	show(v);
	ASSERT_EQ(0, vmm_exit(v));
	ASSERT_EQ(0, stat(SAVE_FILE, &sb));
	vmm_kill(v);
	size = sb.st_size;
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	fd = open(SAVE_FILE, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ((ssize_t)size, read(fd, buf, size));
	close(fd);

	ASSERT_TRUE(write_file(BAD_FILE, buf, size / 2));
	refused(_metadata, self->dev, v, BAD_FILE, "truncated");
	ASSERT_TRUE(write_file(BAD_FILE, buf, size - 1));
	refused(_metadata, self->dev, v, BAD_FILE, "truncated");
	ASSERT_TRUE(write_file(BAD_FILE, buf, 0));
	refused(_metadata, self->dev, v, BAD_FILE, "not an rvhv-run save");

	buf[size / 2] ^= 0x10;
	ASSERT_TRUE(write_file(BAD_FILE, buf, size));
	refused(_metadata, self->dev, v, BAD_FILE, "corrupt");
	buf[size / 2] ^= 0x10;

	buf[size - 3] ^= 0x01;		/* END's payload */
	ASSERT_TRUE(write_file(BAD_FILE, buf, size));
	refused(_metadata, self->dev, v, BAD_FILE, "corrupt");
	buf[size - 3] ^= 0x01;

	buf[16 + 8] ^= 0x80;		/* the first section's length */
	ASSERT_TRUE(write_file(BAD_FILE, buf, size));
	refused(_metadata, self->dev, v, BAD_FILE, "corrupt");
	buf[16 + 8] ^= 0x80;

	memcpy(buf + 8, &ver, sizeof(ver));
	ASSERT_TRUE(write_file(BAD_FILE, buf, size));
	refused(_metadata, self->dev, v, BAD_FILE,
		"stream version 2; this rvhv-run reads version 1");
	free(buf);

	refused(_metadata, self->dev, v, GUEST_IMAGE, "bad magic");
	refused(_metadata, self->dev, v, "/tmp/no-such-save", "No such file");
}

/* Each must exit 3 with a line naming the problem, running nothing. */
TEST_F_TIMEOUT(migrate, bad_arguments, 120)
{
	static const struct {
		const char *args[8];
		const char *what;
	} cases[] = {
		{ { "--restore", SAVE_FILE, "--kernel", GUEST_IMAGE },
		  "the machine comes from the saved state" },
		{ { "--incoming", SOCK1, "--mem", "64" },
		  "the machine comes from the saved state" },
		{ { "--restore", SAVE_FILE, "--incoming", SOCK1 },
		  "one or the other" },
		{ { "--kernel", GUEST_IMAGE, "--save", SAVE_FILE,
		    "--migrate-to", SOCK1 }, "one or the other" },
		{ { "--kernel", GUEST_IMAGE, "--migrate-to", "/tmp/x" },
		  "bad --migrate-to" },
		{ { "--incoming", "unix:" }, "bad --incoming" },
		{ { "--kernel", GUEST_IMAGE, "--dirty-ring" },
		  "only with --migrate-to" },
		{ { "--kernel", GUEST_IMAGE, "--migrate-to", SOCK1,
		    "--dirty-ring=1000" }, "a power of 2" },
		{ { "--kernel", GUEST_IMAGE, "--save", SAVE_FILE,
		    "--gdb", "0" }, "do not go with --gdb" },
		{ { "--save", "" }, "empty file name" },
	};
	struct vmm *v = &self->v[0];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *args[12] = { "--dev", self->dev };
		int n = 2, k;

		for (k = 0; cases[i].args[k]; k++)
			args[n++] = cases[i].args[k];
		vmm_start(v, "X", args);
		vmm_wait(v, 30);
		EXPECT_EQ(EXIT_VMM_ERROR, vmm_exit(v)) {
			show(v);
			TH_LOG("case %u", i);
		}
		EXPECT_NE(NULL, strstr(v->out, cases[i].what)) {
			show(v);
			TH_LOG("case %u: no '%s'", i, cases[i].what);
		}
		vmm_kill(v);
	}
}

TEST_HARNESS_MAIN
