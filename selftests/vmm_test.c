// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_test: rvhv-run (tools/rvhv-run) boots the guest kernel with its tiny
 * initramfs (tools/guest) on the device under test (/dev/rvhv, or
 * $RVHV_DEV), and refuses bad arguments with a one-line error.
 *
 * The test forks and execs /bin/rvhv-run, collects its stdout and stderr
 * and checks them and its exit status.  The guest's /init prints
 * "rvhv-guest: hello from the guest" and "rvhv-guest: harts N", checks
 * the virtio devices it finds, then powers off through SBI SRST: rvhv-run
 * exits 0.  qemu_boots_guest does the same with QEMU as the VMM and
 * virtio devices; qemu_blkbench is make bench's virtio-blk row.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rvhv_util.h"
#include "vmm_out.h"

#define VMM		"/bin/rvhv-run"
#define QEMU		"/usr/bin/qemu-system-riscv64"
#define GUEST_IMAGE	"/lib/guest-Image"
#define GUEST_INITRD	"/lib/guest-initramfs.cpio"
#define BOOT_TIMEOUT	240	/* nested TCG: a boot takes tens of seconds */
#define OUT_MAX		(256 * 1024)

#define EXIT_VMM_ERROR	3

/* When set, run_prog() runs its program with this device as /dev/kvm. */
static const char *kvm_alias;

struct vmm_result {
	int status;		/* wait status; -1: killed at the time limit */
	double secs;
	double first, last;	/* seconds to its first and last output */
	char out[OUT_MAX];	/* stdout and stderr, NUL-terminated */
	size_t len;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run rvhv-run with args (NULL-terminated, without argv[0]).  With
 * sigint_after > 0, send it SIGINT once that many seconds passed after its
 * first output.
 */
/*
 * In a child about to exec a VMM that only knows /dev/kvm: a private
 * mount namespace whose /dev is a tmpfs with the usual character devices
 * and a "kvm" node that is dev (/dev/rvhv), so every open of /dev/kvm,
 * QEMU's probes included, reaches the device under test.
 */
static void dev_as_kvm(const char *dev)
{
	static const char *const keep[] = { "null", "zero", "full", "random",
					    "urandom", "tty" };
	struct stat st[ARRAY_SIZE(keep)], kst;
	char path[64];
	size_t i;

	if (!strcmp(dev, "/dev/kvm"))
		return;
	if (stat(dev, &kst) || !S_ISCHR(kst.st_mode))
		_exit(126);
	for (i = 0; i < ARRAY_SIZE(keep); i++) {
		snprintf(path, sizeof(path), "/dev/%s", keep[i]);
		if (stat(path, &st[i]))
			st[i].st_mode = 0;
	}
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755"))
		_exit(126);
	for (i = 0; i < ARRAY_SIZE(keep); i++) {
		if (!S_ISCHR(st[i].st_mode))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", keep[i]);
		mknod(path, st[i].st_mode, st[i].st_rdev);
	}
	if (mknod("/dev/kvm", S_IFCHR | 0666, kst.st_rdev))
		_exit(126);
}

static void run_prog(struct vmm_result *r, const char *prog,
		     const char *const *args, int timeout, double sigint_after)
{
	const char *argv[64] = { prog };
	double t0 = now(), first = 0, deadline = t0 + timeout;
	bool sent = false;
	int p[2], i, n = 1;
	pid_t pid;

	for (i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	memset(r, 0, sizeof(*r));
	if (pipe2(p, O_CLOEXEC))
		abort();
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (kvm_alias)
			dev_as_kvm(kvm_alias);
		execv(prog, (char **)argv);
		fprintf(stderr, "exec %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		double t = now();
		ssize_t got;

		if (t > deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (sigint_after > 0 && first && !sent &&
		    t > first + sigint_after) {
			kill(pid, SIGINT);
			sent = true;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		got = read(p[0], r->out + r->len, OUT_MAX - 1 - r->len);
		if (got <= 0)
			break;
		if (!first)
			first = now();
		r->last = now() - t0;
		r->len += got;
		if (r->len >= OUT_MAX - 1)
			r->len = 0;	/* keep the tail, losing the head */
	}
	close(p[0]);
	waitpid(pid, &r->status, 0);
	if (now() > deadline)
		r->status = -1;
	r->out[r->len] = '\0';
	r->secs = now() - t0;
	r->first = first ? first - t0 : 0;
}

static void run_vmm(struct vmm_result *r, const char *const *args,
		    int timeout, double sigint_after)
{
	run_prog(r, VMM, args, timeout, sigint_after);
}

/*
 * The output as "# | " lines of the test log: all of it, or only rvhv-run's
 * and the guest init's own lines (the guest kernel's log could hold words
 * the test bed's parser takes for a host kernel splat).
 */
static void show(const struct vmm_result *r, bool all)
{
	vmm_show_lines(r->out, NULL, all);
}

/* The output has this line (ending in \r\n from the guest's tty, or \n). */
static bool has_line(const struct vmm_result *r, const char *line)
{
	const char *p = r->out;
	size_t n = strlen(line);

	while ((p = strstr(p, line))) {
		if ((p == r->out || p[-1] == '\n') &&
		    (p[n] == '\r' || p[n] == '\n'))
			return true;
		p += n;
	}
	return false;
}

static int exit_code(const struct vmm_result *r)
{
	return rvhv_exit_code(r->status);
}

/* Whether word is one of list's words (spaces or commas between). */
static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(list, word); p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == ' ' || p[n] == ',' || !p[n]))
			return true;
	return false;
}

FIXTURE(vmm) {
	char dev_arg[128];
	char mem_arg[16];
};

FIXTURE_SETUP(vmm)
{
	const char *dev = rvhv_dev_path();

#ifdef VMM_AIA_ONLY
	/* vmm_aia_test: make check's AIA host runs only the AIA boot. */
	if (strcmp(_metadata->name, "qemu_aia_boots_guest"))
		SKIP(return, "vmm_aia_test runs qemu_aia_boots_guest only");
#endif
	/*
	 * RVHV_VMM_CASES="a b" (or "a,b"): only those cases (make check's
	 * P550-like host boots Linux once, with virtio_devices).
	 */
	if (getenv("RVHV_VMM_CASES") &&
	    !word_in(getenv("RVHV_VMM_CASES"), _metadata->name))
		SKIP(return, "RVHV_VMM_CASES=%s", getenv("RVHV_VMM_CASES"));

	if (access(dev, R_OK | W_OK))
		SKIP(return, "%s: %s", dev, strerror(errno));
	ASSERT_EQ(0, access(VMM, X_OK)) TH_LOG("%s missing", VMM);
	ASSERT_EQ(0, access(GUEST_IMAGE, R_OK)) TH_LOG("%s missing", GUEST_IMAGE);
	ASSERT_EQ(0, access(GUEST_INITRD, R_OK));
	snprintf(self->dev_arg, sizeof(self->dev_arg), "%s", dev);
}

FIXTURE_TEARDOWN(vmm)
{
}

/*
 * Without DBCN the guest's console is the legacy v0.1 putchar, which rvhv
 * coalesces into a line per exit (RVHV_CAP_CONSOLE_COALESCE).  The test
 * host's kvm.ko is built without SBI v0.1, so this is rvhv's alone.
 */
TEST_F_TIMEOUT(vmm, legacy_console, BOOT_TIMEOUT + 30)
{
	static struct vmm_result r;
	const char *args[] = { "--dev", self->dev_arg, "--kernel", GUEST_IMAGE,
			       "--initrd", GUEST_INITRD, "--mem", "128",
			       "--cpus", "2", "--no-dbcn", "--stats", NULL };

	if (strcmp(self->dev_arg, "/dev/rvhv"))
		SKIP(return, "the test host's kvm.ko has no SBI v0.1 console");
	run_vmm(&r, args, BOOT_TIMEOUT, 0);
	show(&r, !has_line(&r, "rvhv-guest: harts 2") || exit_code(&r));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: hello from the guest"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: harts 2"));
	EXPECT_NE(NULL, strstr(r.out, "rvhv-console "));
	EXPECT_EQ(NULL, strstr(r.out, "sbi-putchar "));
	EXPECT_EQ(0, exit_code(&r));
}

/*
 * A general-purpose VMM: Debian 13's QEMU 10 (tools/testbed/vmm-qemu.sh
 * puts it in the test host) boots the same guest with -accel kvm on the
 * device under test, 2 vCPUs, the guest's console on SBI (QEMU's
 * serial).  QEMU's own checks of the KVM capabilities it requires come
 * first.  QEMU's device= option is not enough for /dev/rvhv: it probes
 * the host CPU with a scratch vCPU of /dev/kvm, always (kvm.ko's, or
 * none); so QEMU runs unchanged, with /dev/rvhv as its /dev/kvm.
 *
 * The guest gets QEMU's virtio-mmio devices (the virt machine's
 * transport; QEMU emulates the PLIC and injects its interrupts with
 * KVM_INTERRUPT): a block device backed by a file in the test host's
 * tmpfs, an entropy source, a console (virtio-serial) writing to a file,
 * and, when this QEMU has user-mode networking (slirp), a network card.
 * The guest's /init (tools/guest/init.c) checks each one and says so.
 */
#define QEMU_DISK	"/tmp/qemu-vda.img"
#define QEMU_HVC_OUT	"/tmp/qemu-hvc.out"
/* In vmm-qemu.sh's tree only when QEMU links it: user networking. */
#define QEMU_SLIRP	"/usr/lib/riscv64-linux-gnu/libslirp.so.0"
#define DISK_CHUNK	(64 * 1024)
#define NET_REPLY	"rvhv-test pong"

static const char *const qemu_base_args[] = {
	"-accel", "kvm", "-M", "virt", "-cpu", "host", "-m", "128",
	"-nographic", "-no-reboot", "-kernel", GUEST_IMAGE,
	"-initrd", GUEST_INITRD, NULL
};

static const char *const qemu_blk_args[] = {
	"-drive", "file=" QEMU_DISK ",format=raw,if=none,id=vda",
	"-device", "virtio-blk-device,drive=vda", NULL
};

/* QEMU with qemu_base_args, -smp smp, -append append, then extra. */
static void run_qemu(struct vmm_result *r, const char *dev, const char *smp,
		     const char *append, const char *const *extra)
{
	const char *args[48];
	int n = 0, i;

	for (i = 0; qemu_base_args[i]; i++)
		args[n++] = qemu_base_args[i];
	args[n++] = "-smp";
	args[n++] = smp;
	args[n++] = "-append";
	args[n++] = append;
	for (i = 0; extra && extra[i] && n < 47; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	kvm_alias = dev;
	run_prog(r, QEMU, args, BOOT_TIMEOUT, 0);
	kvm_alias = NULL;
}

/* The disk: [0, 64 KiB) holds the pattern the guest checks, the rest 0. */
static int make_disk(size_t size)
{
	static unsigned char buf[DISK_CHUNK];
	size_t i;
	int fd;

	for (i = 0; i < DISK_CHUNK; i++)
		buf[i] = (i * 7 + 3) & 0xff;
	fd = open(QEMU_DISK, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, DISK_CHUNK) != DISK_CHUNK || ftruncate(fd, size)) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/*
 * What the guest wrote at [64 KiB, 128 KiB): -1 when it is the pattern
 * and [0, 64 KiB) is untouched, else the first wrong offset.
 */
static long check_disk(void)
{
	static unsigned char buf[2 * DISK_CHUNK];
	size_t i;
	int fd = open(QEMU_DISK, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf)) != sizeof(buf)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	for (i = 0; i < DISK_CHUNK; i++)
		if (buf[i] != ((i * 7 + 3) & 0xff))
			return i;
	for (i = 0; i < DISK_CHUNK; i++)
		if (buf[DISK_CHUNK + i] != ((i * 13 + 5) & 0xff))
			return DISK_CHUNK + i;
	return -1;
}

/*
 * The guest's TCP peer, on the test host's loopback (slirp connects the
 * guest's 10.0.2.2 to it): accepts one connection, reads a line, answers
 * NET_REPLY.
 */
struct net_peer {
	int fd;			/* listening socket */
	int port;
	bool stop;		/* __atomic: set by the test thread */
	char got[128];		/* the guest's line, without its newline */
	pthread_t thread;
};

static void *net_peer_fn(void *arg)
{
	struct net_peer *np = arg;
	struct pollfd pfd = { .fd = np->fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	int c;

	while (!__atomic_load_n(&np->stop, __ATOMIC_RELAXED) &&
	       poll(&pfd, 1, 200) <= 0)
		;
	if (__atomic_load_n(&np->stop, __ATOMIC_RELAXED))
		return NULL;
	c = accept4(np->fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return NULL;
	pfd.fd = c;
	while (!__atomic_load_n(&np->stop, __ATOMIC_RELAXED) &&
	       got < sizeof(np->got) - 1 &&
	       !memchr(np->got, '\n', got)) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(c, np->got + got, sizeof(np->got) - 1 - got);
		if (n <= 0)
			break;
		got += n;
	}
	np->got[got] = '\0';
	np->got[strcspn(np->got, "\n")] = '\0';
	if (write(c, NET_REPLY "\n", sizeof(NET_REPLY)) < 0)
		np->got[0] = '\0';
	close(c);
	return NULL;
}

static int net_peer_start(struct net_peer *np)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(np, 0, sizeof(*np));
	np->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (np->fd < 0)
		return -errno;
	if (bind(np->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(np->fd, 1) ||
	    getsockname(np->fd, (struct sockaddr *)&sa, &len) ||
	    pthread_create(&np->thread, NULL, net_peer_fn, np)) {
		close(np->fd);
		return -errno;
	}
	np->port = ntohs(sa.sin_port);
	return 0;
}

static void net_peer_stop(struct net_peer *np)
{
	__atomic_store_n(&np->stop, true, __ATOMIC_RELAXED);
	pthread_join(np->thread, NULL);
	close(np->fd);
}

TEST_F_TIMEOUT(vmm, qemu_boots_guest, BOOT_TIMEOUT + 30)
{
	static struct vmm_result r;
	static const char *const devices[] = {
		"-drive", "file=" QEMU_DISK ",format=raw,if=none,id=vda",
		"-device", "virtio-blk-device,drive=vda",
		"-device", "virtio-rng-device",
		"-device", "virtio-serial-device",
		"-chardev", "file,id=hvc,path=" QEMU_HVC_OUT,
		"-device", "virtconsole,chardev=hvc",
		/* Last: left out without slirp. */
		"-netdev", "user,id=net",
		"-device", "virtio-net-device,netdev=net", NULL
	};
	const char *extra[ARRAY_SIZE(devices)];
	bool net = !access(QEMU_SLIRP, R_OK), ok;
	struct net_peer np;
	char append[128], want[160];
	const char *hvc;
	long bad;
	size_t i;

	if (access(QEMU, X_OK))
		SKIP(return, "no %s in this test host", QEMU);
	ASSERT_EQ(0, make_disk(1 << 20));
	unlink(QEMU_HVC_OUT);
	for (i = 0; i < ARRAY_SIZE(devices); i++) {
		extra[i] = devices[i];
		if (!net && devices[i] && !strcmp(devices[i], "-netdev")) {
			extra[i] = NULL;
			break;
		}
	}
	snprintf(append, sizeof(append), "console=hvc0 earlycon=sbi");
	if (net) {
		ASSERT_EQ(0, net_peer_start(&np));
		snprintf(append, sizeof(append),
			 "console=hvc0 earlycon=sbi rvhv-guest.net=10.0.2.2:%d",
			 np.port);
	} else {
		printf("# no %s: this QEMU has no user networking, no virtio-net\n",
		       QEMU_SLIRP);
	}
	run_qemu(&r, self->dev_arg, "2", append, extra);
	if (net)
		net_peer_stop(&np);
	hvc = rvhv_read_file(QEMU_HVC_OUT);
	bad = check_disk();
	snprintf(want, sizeof(want), "rvhv-guest: net ok %s", NET_REPLY);
	ok = has_line(&r, "rvhv-guest: harts 2") && !exit_code(&r) &&
	     has_line(&r, "rvhv-guest: vda read ok") &&
	     has_line(&r, "rvhv-guest: vda write ok") &&
	     has_line(&r, "rvhv-guest: hwrng ok 64") &&
	     strstr(r.out, "rvhv-guest: wrote to hvc") &&
	     (!net || has_line(&r, want));
	show(&r, !ok);
	printf("# QEMU boot with 2 vCPUs and virtio devices on %s: exit %d after %.1fs (output from %.1f to %.1fs)\n",
	       self->dev_arg, exit_code(&r), r.secs, r.first, r.last);
	EXPECT_TRUE(has_line(&r, "rvhv-guest: hello from the guest"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: harts 2"));
	EXPECT_EQ(0, exit_code(&r));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda read ok"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda write ok"));
	EXPECT_EQ(-1, bad) TH_LOG("the disk file is wrong at offset %ld", bad);
	EXPECT_TRUE(has_line(&r, "rvhv-guest: hwrng ok 64"));
	EXPECT_NE(NULL, strstr(r.out, "rvhv-guest: wrote to hvc"));
	EXPECT_TRUE(hvc && strstr(hvc, "rvhv-guest: virtio console ok"))
		TH_LOG("%s: '%s'", QEMU_HVC_OUT, hvc ? hvc : "(missing)");
	if (net) {
		EXPECT_TRUE(has_line(&r, want)) TH_LOG("no '%s' line", want);
		EXPECT_STREQ("rvhv-guest: net hello", np.got);
	}
	unlink(QEMU_DISK);
}

/*
 * make bench's virtio-blk row (tools/testbed/bench.sh), only with
 * RVHV_QEMU_BLKBENCH=N: QEMU boots the guest with one vCPU and a 16 MiB
 * disk file in tmpfs; the guest times N 4 KiB O_DIRECT reads at random
 * offsets with its clock.  Under -icount shift=0 that clock counts the
 * test host's instructions.
 *
 *   RVHV-BENCH <kvm|rvhv> virtio_blk_read4k <guest ns per read|n/a>
 */
TEST_F_TIMEOUT(vmm, qemu_blkbench, 900)
{
	const char *nv = getenv("RVHV_QEMU_BLKBENCH");
	const char *name = strcmp(self->dev_arg, "/dev/kvm") ? "rvhv" : "kvm";
	static struct vmm_result r;
	char append[128], *p;
	long n, reads;
	double us;

	if (!nv || atol(nv) <= 0)
		SKIP(return, "RVHV_QEMU_BLKBENCH=N (make bench) runs it");
	if (access(QEMU, X_OK))
		SKIP(return, "no %s in this test host", QEMU);
	n = atol(nv);
	ASSERT_EQ(0, make_disk(16 << 20));
	snprintf(append, sizeof(append),
		 "console=hvc0 earlycon=sbi quiet rvhv-guest.blkbench=%ld", n);
	run_qemu(&r, self->dev_arg, "1", append, qemu_blk_args);
	unlink(QEMU_DISK);
	p = strstr(r.out, "rvhv-guest: blkbench ");
	if (!p || sscanf(p, "rvhv-guest: blkbench %ld reads in %lf us",
			 &reads, &us) != 2 || reads != n || us <= 0) {
		show(&r, true);
		printf("RVHV-BENCH %s virtio_blk_read4k n/a\n", name);
		EXPECT_TRUE(false) TH_LOG("no blkbench result");
		return;
	}
	show(&r, false);
	printf("# blkbench on %s: %ld 4 KiB reads in %.0f us of guest time, %.0f reads/s, %.1f us each; QEMU ran %.1f s\n",
	       self->dev_arg, n, us, n / us * 1e6, us / n, r.secs);
	printf("RVHV-BENCH %s virtio_blk_read4k %.0f\n", name, us * 1e3 / n);
	EXPECT_EQ(0, exit_code(&r));
}

/* Print the output's lines that contain @what, as "# | " lines. */
static void show_matching(const struct vmm_result *r, const char *what)
{
	const char *s = r->out, *e;

	while ((s = strstr(s, what))) {
		while (s > r->out && s[-1] != '\n')
			s--;
		e = strchrnul(s, '\n');
		printf("# | %.*s\n", (int)(e - s - (e > s && e[-1] == '\r')),
		       s);
		s = *e ? e + 1 : e;
	}
}

/* Does the test host have Ssaia ("_ssaia" in /proc/cpuinfo's isa line)? */
static bool host_has_ssaia(void)
{
	const char *c = rvhv_read_file("/proc/cpuinfo");

	return c && strstr(c, "_ssaia");
}

/*
 * The virtio interrupts a guest took: the sum of the counts on the
 * "rvhv-guest: irqs" lines (its /proc/interrupts) naming virtio, and in
 * chip[] the controller column of the first such line.
 */
static long virtio_irqs(const struct vmm_result *r, char *chip, size_t len)
{
	const char *s = r->out, *e;
	long sum = 0;

	chip[0] = 0;
	while ((s = strstr(s, "rvhv-guest: irqs "))) {
		char line[256], *tok, *save;
		size_t n;

		e = strchrnul(s, '\n');
		n = e - s < (long)sizeof(line) ? e - s : sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = 0;
		s = e;
		if (!strstr(line, "virtio"))
			continue;
		tok = strtok_r(line + strlen("rvhv-guest: irqs "), " \t\r", &save);
		/* "N:", then one count per CPU, then the controller. */
		while ((tok = strtok_r(NULL, " \t\r", &save))) {
			char *end;
			long v = strtol(tok, &end, 10);

			if (*end) {
				if (!chip[0])
					snprintf(chip, len, "%s", tok);
				break;
			}
			sum += v;
		}
	}
	return sum;
}

/*
 * QEMU with the in-kernel AIA: -M virt,aia=aplic-imsic makes QEMU create
 * KVM_DEV_TYPE_RISCV_AIA on the device under test (MSI mode, an IMSIC
 * per vCPU, its APLIC), and build a device tree with Ssaia (ONE_REG
 * ISA_EXT SSAIA), an IMSIC and an APLIC in MSI mode: the guest's IPIs and
 * device interrupts go through the emulated IMSIC: its virtio-blk disk
 * (QEMU raises the wire at the in-kernel APLIC) is read and written, and
 * /proc/interrupts shows the disk's interrupts came through the MSI
 * domain.  Needs an AIA host.
 * QEMU's riscv-aia property is left at its default, "auto": rvhv has
 * only "emul", QEMU warns and uses the device's mode (see
 * Documentation/rvhv.rst, "In-kernel AIA").
 */
TEST_F_TIMEOUT(vmm, qemu_aia_boots_guest, BOOT_TIMEOUT + 30)
{
	static struct vmm_result r;
	const char *args[] = { "-accel", "kvm", "-M", "virt,aia=aplic-imsic",
			       "-cpu", "host", "-smp", "2", "-m", "128",
			       "-nographic", "-no-reboot", "-kernel",
			       GUEST_IMAGE, "-initrd", GUEST_INITRD, "-append",
			       "console=hvc0 earlycon=sbi rvhv-guest.irqs",
			       "-drive",
			       "file=" QEMU_DISK ",format=raw,if=none,id=vda",
			       "-device", "virtio-blk-device,drive=vda", NULL };
	char chip[64];
	long bad, irqs;

	if (access(QEMU, X_OK))
		SKIP(return, "no %s in this test host", QEMU);
	if (!host_has_ssaia())
		SKIP(return, "the test host has no AIA (Ssaia)");
	ASSERT_EQ(0, make_disk(1 << 20));
	kvm_alias = self->dev_arg;
	run_prog(&r, QEMU, args, BOOT_TIMEOUT, 0);
	kvm_alias = NULL;
	bad = check_disk();
	irqs = virtio_irqs(&r, chip, sizeof(chip));
	show(&r, !has_line(&r, "rvhv-guest: vda write ok") || exit_code(&r));
	printf("# QEMU AIA boot with 2 vCPUs on %s: exit %d after %.1fs, %ld virtio interrupts through %s\n",
	       self->dev_arg, exit_code(&r), r.secs, irqs, chip);
	EXPECT_TRUE(has_line(&r, "rvhv-guest: hello from the guest"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: harts 2"));
	show_matching(&r, "KVM AIA");
	show_matching(&r, "riscv-imsic");
	show_matching(&r, "aplic");
	show_matching(&r, "virtio");
	EXPECT_NE(NULL, strstr(r.out, "providing IPIs using interrupt"))
		TH_LOG("the guest does not use the IMSIC");
	EXPECT_NE(NULL, strstr(r.out, "forwarded to MSI base"))
		TH_LOG("the guest's APLIC is not in MSI mode");
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda read ok"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda write ok"));
	EXPECT_EQ(-1, bad) TH_LOG("the disk file is wrong at offset %ld", bad);
	EXPECT_GT(irqs, 0);
	EXPECT_NE(NULL, strstr(chip, "MSI")) TH_LOG("virtio through '%s'", chip);
	EXPECT_EQ(0, exit_code(&r));
}

/* The ELF and flat-binary loaders: a bare guest prints a line, shuts down. */
TEST_F_TIMEOUT(vmm, elf_and_flat, 60)
{
	static const char *const kernels[] = { "/lib/guest-hello.elf",
					       "/lib/guest-hello.bin" };
	static struct vmm_result r;
	int i;

	for (i = 0; i < 2; i++) {
		const char *args[] = { "--dev", self->dev_arg, "--kernel",
				       kernels[i], "--mem", "16", NULL };

		run_vmm(&r, args, 20, 0);
		show(&r, true);
		EXPECT_TRUE(has_line(&r, "rvhv-guest: hello from a bare guest"))
			TH_LOG("%s", kernels[i]);
		EXPECT_EQ(0, exit_code(&r)) TH_LOG("%s", kernels[i]);
	}
}

/* A guest that resets (SRST reboot) ends rvhv-run with exit status 1. */
TEST_F_TIMEOUT(vmm, reset, BOOT_TIMEOUT + 30)
{
	static struct vmm_result r;
	const char *args[] = { "--dev", self->dev_arg, "--kernel", GUEST_IMAGE,
			       "--initrd", GUEST_INITRD, "--mem", "128",
			       "--cmdline", "rvhv-guest.reset", NULL };

	run_vmm(&r, args, BOOT_TIMEOUT, 0);
	show(&r, exit_code(&r) != 1);
	/* rvhv-run's default: one vCPU (the 1-vCPU boot). */
	EXPECT_TRUE(has_line(&r, "rvhv-guest: harts 1"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: resetting"));
	EXPECT_EQ(1, exit_code(&r));
}

/*
 * Ctrl-C ends a guest that stopped responding: every vCPU is kicked out of
 * KVM_RUN, exit status 130.  Without an init the guest kernel panics and
 * spins in the guest (interrupts off) on one hart while the other is
 * parked; SIGINT comes 3 s after its first output.
 */
TEST_F_TIMEOUT(vmm, sigint, 90)
{
	static struct vmm_result r;
	const char *args[] = { "--dev", self->dev_arg, "--kernel", GUEST_IMAGE,
			       "--initrd", GUEST_INITRD, "--cpus", "2",
			       "--mem", "128", "--cmdline", "rdinit=/nonexistent",
			       NULL };

	run_vmm(&r, args, 60, 3.0);
	show(&r, exit_code(&r) != 130);
	printf("# SIGINT: exit %d after %.1fs\n", exit_code(&r), r.secs);
	EXPECT_EQ(130, exit_code(&r));
	EXPECT_TRUE(has_line(&r, "rvhv-run: SIGINT: guest stopped"));
}

/* A bad invocation: exit status 3 and exactly one line, "rvhv-run: ...". */
static void bad(struct __test_metadata *_metadata, const char *const *args,
		const char *what)
{
	static struct vmm_result r;
	const char *nl;

	run_vmm(&r, args, 30, 0);
	show(&r, true);
	EXPECT_EQ(EXIT_VMM_ERROR, exit_code(&r)) TH_LOG("%s", what);
	EXPECT_EQ(0, strncmp(r.out, "rvhv-run: ", 10)) TH_LOG("%s", what);
	nl = strchr(r.out, '\n');
	EXPECT_TRUE(nl && nl[1] == '\0') TH_LOG("%s: not one line", what);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

/*
 * About 15 runs of rvhv-run, each reading the guest kernel: close to the
 * harness's default 30 s under TCG on a busy 2-core machine.  These are
 * rvhv-run's own checks, the same whichever device it drives: on rvhv
 * only.
 */
TEST_F_TIMEOUT(vmm, bad_arguments, 120)
{
	const char *d = self->dev_arg;
	uint8_t hdr[4096];
	uint64_t image_size;
	int fd;

	if (strcmp(d, "/dev/rvhv"))
		SKIP(return, "rvhv-run's own argument checks: run on /dev/rvhv");

	{
		const char *a[] = { "--dev", d, NULL };

		bad(_metadata, a, "no --kernel");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", "/nonexistent", NULL };

		bad(_metadata, a, "missing kernel");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--initrd", "/nonexistent", NULL };

		bad(_metadata, a, "missing initrd");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", "/tmp/empty", NULL };

		write_file("/tmp/empty", "", 0);
		bad(_metadata, a, "empty kernel");
	}
	{
		/* A real Image header whose image_size is below the file's. */
		const char *a[] = { "--dev", d, "--kernel", "/tmp/corrupt-Image",
				    NULL };

		fd = open(GUEST_IMAGE, O_RDONLY);
		ASSERT_EQ(sizeof(hdr), read(fd, hdr, sizeof(hdr)));
		close(fd);
		image_size = 64;
		memcpy(hdr + 16, &image_size, 8);
		write_file("/tmp/corrupt-Image", hdr, sizeof(hdr));
		bad(_metadata, a, "corrupt Image header");
	}
	{
		/* An ELF file cut short in its header. */
		const char *a[] = { "--dev", d, "--kernel", "/tmp/short.elf",
				    NULL };

		write_file("/tmp/short.elf", "\177ELF\2\1\1", 7);
		bad(_metadata, a, "truncated ELF");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--mem", "99999999999999999999", NULL };

		bad(_metadata, a, "--mem out of range");
	}
	{
		/* 512 GiB: in range, but not to be had on the test host. */
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--mem", "524288", NULL };

		bad(_metadata, a, "--mem too large to allocate");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--mem", "15", NULL };

		bad(_metadata, a, "--mem below the minimum");
	}
	{
		/* An initrd that cannot fit above the kernel in 16 MiB. */
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--initrd", "/tmp/big-initrd", "--mem", "16",
				    NULL };
		static char big[15 << 20];

		write_file("/tmp/big-initrd", big, sizeof(big));
		bad(_metadata, a, "--mem too small for the images");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--mem", "lots", NULL };

		bad(_metadata, a, "--mem not a number");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--cpus", "0", NULL };

		bad(_metadata, a, "--cpus 0");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--cpus", "-2", NULL };

		bad(_metadata, a, "--cpus -2");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--cpus", "100000", NULL };

		bad(_metadata, a, "--cpus 100000");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--cpus", NULL };

		bad(_metadata, a, "--cpus without a value");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--frobnicate", NULL };

		bad(_metadata, a, "unknown option");
	}
	{
		const char *a[] = { "--dev", "/nonexistent", "--kernel",
				    GUEST_IMAGE, NULL };

		bad(_metadata, a, "missing device");
	}
}

/*
 * rvhv-run's own virtio-mmio devices (issue 9): a virtio-blk disk on a
 * pattern file in the test host's tmpfs and a virtio console, behind its
 * userspace PLIC.  The guest's init reads [0, 64 KiB) of /dev/vda
 * (byte i == (i * 7 + 3) & 0xff), writes [64 KiB, 128 KiB) (byte j ==
 * (j * 13 + 5) & 0xff), fsyncs, and writes a line to its virtio console
 * (/dev/hvc1).  After the guest powered off the file must hold what it
 * wrote and nothing else changed.  The guest's queue notifies are
 * ioeventfds on both devices: none may reach rvhv-run as an MMIO exit;
 * the interrupts go through irqfd on rvhv (RVHV_CAP_IRQ_LINES) and
 * KVM_INTERRUPT on kvm.ko.
 */
#define DISK		"/tmp/vmm-disk.img"
#define DISK_SIZE	(1 << 20)
#define SZ_64K		65536

static uint8_t disk_read_pat(size_t i)
{
	return (i * 7 + 3) & 0xff;
}

static uint8_t disk_write_pat(size_t j)
{
	return (j * 13 + 5) & 0xff;
}

/* The numbers of rvhv-run's --stats line of device dev (name@base). */
static bool virtio_stats(const struct vmm_result *r, const char *dev,
			 unsigned long *ioev, unsigned long *mmio,
			 unsigned long *reqs, unsigned long *irqs)
{
	unsigned long total;
	char key[64];
	const char *p;

	/* "stats: DEV: notifies", not the device's complaints. */
	snprintf(key, sizeof(key), "stats: %s: notifies", dev);
	p = strstr(r->out, key);
	return p && sscanf(p + strlen(key), " %lu (ioeventfd %lu, "
			   "mmio-exit %lu), requests %lu, interrupts %lu",
			   &total, ioev, mmio, reqs, irqs) == 5;
}

TEST_F_TIMEOUT(vmm, virtio_devices, BOOT_TIMEOUT + 30)
{
	static struct vmm_result r;
	static uint8_t disk[DISK_SIZE];
	const char *args[] = { "--dev", self->dev_arg, "--kernel", GUEST_IMAGE,
			       "--initrd", GUEST_INITRD, "--mem", "128",
			       "--cpus", "2", "--disk", DISK,
			       "--virtio-console", "--stats", NULL };
	bool rvhv = !strcmp(self->dev_arg, "/dev/rvhv");
	unsigned long ioev, mmio, reqs, irqs;
	size_t i, bad = 0;
	int fd;

	for (i = 0; i < DISK_SIZE; i++)
		disk[i] = disk_read_pat(i);
	write_file(DISK, disk, DISK_SIZE);
	run_vmm(&r, args, BOOT_TIMEOUT, 0);
	show(&r, !has_line(&r, "rvhv-guest: vda write ok") || exit_code(&r));
	printf("# virtio boot on %s: exit %d after %.1fs\n", self->dev_arg,
	       exit_code(&r), r.secs);
	/* Two vCPUs came up; the guest powered off (SRST): status 0. */
	EXPECT_TRUE(has_line(&r, "rvhv-guest: hello from the guest"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: harts 2"));
	EXPECT_EQ(0, exit_code(&r));
	/* The guest kernel found the disk: 2048 sectors. */
	EXPECT_NE(NULL, strstr(r.out, "[vda] 2048 512-byte logical blocks"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda read ok"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda write ok"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: virtio console ok"));

	/* The file: [64K, 128K) written, the rest as it was. */
	fd = open(DISK, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(DISK_SIZE, read(fd, disk, DISK_SIZE));
	close(fd);
	for (i = 0; i < DISK_SIZE; i++) {
		uint8_t want = i >= SZ_64K && i < 2 * SZ_64K ?
			disk_write_pat(i) : disk_read_pat(i);

		if (disk[i] != want && !bad++)
			TH_LOG("disk byte %zu: 0x%02x, expected 0x%02x", i,
			       disk[i], want);
	}
	EXPECT_EQ(0, bad);
	unlink(DISK);

	/* Every notify by ioeventfd, every interrupt through the PLIC. */
	ASSERT_TRUE(virtio_stats(&r, "virtio-blk@10001000", &ioev, &mmio,
				 &reqs, &irqs));
	EXPECT_LT(0, ioev);
	EXPECT_EQ(0, mmio);
	EXPECT_LE(3, reqs);	/* at least a read, a write, a flush */
	EXPECT_LT(0, irqs);
	ASSERT_TRUE(virtio_stats(&r, "virtio-console@10002000", &ioev, &mmio,
				 &reqs, &irqs));
	EXPECT_LT(0, ioev);
	EXPECT_EQ(0, mmio);
	EXPECT_LT(0, reqs);
	EXPECT_NE(NULL, strstr(r.out, rvhv ?
			       "plic: lines by irqfd/KVM_IRQ_LINE" :
			       "plic: lines by KVM_INTERRUPT"));
}

/* Bad device arguments: exit status 3, one line, before any guest runs. */
TEST_F_TIMEOUT(vmm, virtio_bad_arguments, 60)
{
	const char *d = self->dev_arg;

	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--disk", "/nonexistent", NULL };

		bad(_metadata, a, "missing disk");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--disk", "/tmp/empty-disk", NULL };

		write_file("/tmp/empty-disk", "", 0);
		bad(_metadata, a, "disk of less than one sector");
		unlink("/tmp/empty-disk");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--disk", "/tmp", NULL };

		bad(_metadata, a, "disk is a directory");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--disk", NULL };

		bad(_metadata, a, "--disk without a value");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--virtio-console=/nonexistent/out", NULL };

		bad(_metadata, a, "virtio console output cannot be created");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--virtio-console", "--virtio-console",
				    NULL };

		bad(_metadata, a, "two virtio consoles");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--disk", "/a", "--disk", "/a", "--disk",
				    "/a", "--disk", "/a", "--disk", "/a",
				    "--disk", "/a", "--disk", "/a", "--disk",
				    "/a", "--disk", "/a", NULL };

		bad(_metadata, a, "nine virtio devices");
	}
}

/*
 * A hostile guest against rvhv-run's virtio-blk and PLIC: the bare guest
 * tools/rvhv-run/virtio-hostile.c breaks every rule of the split
 * virtqueue it can (buffers and rings outside RAM, loops, indexes out of
 * range, ...) and checks each time that the device went to
 * DEVICE_NEEDS_RESET, then that a reset device still serves.  rvhv-run
 * must neither fault nor spin: the guest powers off, exit status 0.
 * Twice: as usual, then with the fallbacks (--no-ioeventfd: notifies as
 * MMIO exits; --no-irqfd: KVM_INTERRUPT for the PLIC's lines).
 */
TEST_F_TIMEOUT(vmm, virtio_hostile_guest, 150)
{
	static const char hostile[] = "/lib/guest-virtio-hostile.elf";
	static struct vmm_result r;
	static uint8_t disk[DISK_SIZE];
	unsigned long ioev, mmio, reqs, irqs;
	size_t i;
	int fallback;

	if (access(hostile, R_OK))
		SKIP(return, "no %s in this test host", hostile);
	for (i = 0; i < DISK_SIZE; i++)
		disk[i] = disk_read_pat(i);
	write_file(DISK, disk, DISK_SIZE);
	for (fallback = 0; fallback < 2; fallback++) {
		const char *args[] = { "--dev", self->dev_arg, "--kernel",
				       hostile, "--mem", "16", "--disk", DISK,
				       "--stats", fallback ? "--no-ioeventfd" :
				       NULL, "--no-irqfd", NULL };

		run_vmm(&r, args, 60, 0);
		if (!has_line(&r, "rvhv-guest: hostile all ok") ||
		    exit_code(&r))
			show(&r, true);
		printf("# hostile guest%s: exit %d after %.1fs\n",
		       fallback ? " (fallbacks)" : "", exit_code(&r), r.secs);
		EXPECT_TRUE(has_line(&r, "rvhv-guest: hostile all ok"))
			TH_LOG("fallback %d", fallback);
		EXPECT_EQ(NULL, strstr(r.out, "hostile FAIL"));
		EXPECT_EQ(0, exit_code(&r)) TH_LOG("fallback %d", fallback);
		ASSERT_TRUE(virtio_stats(&r, "virtio-blk@10001000", &ioev,
					 &mmio, &reqs, &irqs));
		EXPECT_LT(0, fallback ? mmio : ioev);
		EXPECT_EQ(0, fallback ? ioev : mmio);
		if (fallback)
			EXPECT_NE(NULL, strstr(r.out,
					       "plic: lines by KVM_INTERRUPT"));
	}
	unlink(DISK);
}


/*
 * rvhv-run --irqchip=aplic (issue 10): the same guest, disk and console as
 * virtio_devices on 2 vCPUs, but the devices interrupt through rvhv's
 * in-kernel APLIC in direct mode (RVHV_CAP_AIA_DIRECT): level-triggered
 * sources raised by resampling irqfds, claimed by the guest at its IDCs in
 * the kernel, re-raised by rvhv-run on the resample eventfd while the
 * device's InterruptStatus is set.  The guest kernel must take the APLIC
 * (and find no PLIC), its init must see the disk and the console, the
 * file must hold what it wrote, no notify may come as an MMIO exit, and
 * --stats must show interrupts by irqfd and resamples.  kvm.ko has no
 * direct-mode APLIC: rvhv-run refuses with one line and exit status 3,
 * and the boot SKIPs.
 */
static bool aplic_stats(const struct vmm_result *r, unsigned long *irqfd,
			unsigned long *reraised, unsigned long *resamples)
{
	static const char key[] = "stats: aplic: in-kernel, direct mode, ";
	const char *p = strstr(r->out, key);
	unsigned int srcs;

	return p && sscanf(p + strlen(key), "%u sources: irqfd %lu "
			   "(re-raised on resample %lu), resamples %lu",
			   &srcs, irqfd, reraised, resamples) == 4;
}

TEST_F_TIMEOUT(vmm, virtio_aplic, BOOT_TIMEOUT + 30)
{
	static struct vmm_result r;
	static uint8_t disk[DISK_SIZE];
	const char *args[] = { "--dev", self->dev_arg, "--kernel", GUEST_IMAGE,
			       "--initrd", GUEST_INITRD, "--mem", "128",
			       "--cpus", "2", "--irqchip=aplic", "--disk", DISK,
			       "--virtio-console", "--stats", NULL };
	unsigned long ioev, mmio, reqs, irqs, irqfd, reraised, resamples;
	size_t i, bad_bytes = 0;
	int fd;

	for (i = 0; i < DISK_SIZE; i++)
		disk[i] = disk_read_pat(i);
	write_file(DISK, disk, DISK_SIZE);
	run_vmm(&r, args, BOOT_TIMEOUT, 0);
	if (strcmp(self->dev_arg, "/dev/rvhv") &&
	    strstr(r.out, "has no in-kernel APLIC in direct mode")) {
		const char *nl = strchr(r.out, '\n');

		show(&r, true);
		unlink(DISK);
		EXPECT_EQ(EXIT_VMM_ERROR, exit_code(&r));
		EXPECT_TRUE(nl && nl[1] == '\0') TH_LOG("not one line");
		SKIP(return, "%s has no direct-mode APLIC "
		     "(RVHV_CAP_AIA_DIRECT)", self->dev_arg);
	}
	show(&r, !has_line(&r, "rvhv-guest: vda write ok") || exit_code(&r));
	printf("# virtio boot with the in-kernel APLIC on %s: exit %d after "
	       "%.1fs\n", self->dev_arg, exit_code(&r), r.secs);
	EXPECT_EQ(0, exit_code(&r));
	/* The guest's APLIC driver, in direct mode, and no PLIC. */
	EXPECT_NE(NULL, strstr(r.out,
			       "2 interrupts directly connected to 2 CPUs"));
	EXPECT_EQ(NULL, strstr(r.out, "riscv-plic"));
	EXPECT_NE(NULL, strstr(r.out, "[vda] 2048 512-byte logical blocks"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda read ok"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: vda write ok"));
	EXPECT_TRUE(has_line(&r, "rvhv-guest: virtio console ok"));

	fd = open(DISK, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(DISK_SIZE, read(fd, disk, DISK_SIZE));
	close(fd);
	for (i = 0; i < DISK_SIZE; i++) {
		uint8_t want = i >= SZ_64K && i < 2 * SZ_64K ?
			disk_write_pat(i) : disk_read_pat(i);

		if (disk[i] != want && !bad_bytes++)
			TH_LOG("disk byte %zu: 0x%02x, expected 0x%02x", i,
			       disk[i], want);
	}
	EXPECT_EQ(0, bad_bytes);
	unlink(DISK);

	ASSERT_TRUE(virtio_stats(&r, "virtio-blk@10001000", &ioev, &mmio,
				 &reqs, &irqs));
	EXPECT_LT(0, ioev);
	EXPECT_EQ(0, mmio);
	EXPECT_LE(3, reqs);
	EXPECT_LT(0, irqs);
	ASSERT_TRUE(virtio_stats(&r, "virtio-console@10002000", &ioev, &mmio,
				 &reqs, &irqs));
	EXPECT_LT(0, ioev);
	EXPECT_EQ(0, mmio);
	EXPECT_LT(0, reqs);
	/* Interrupts by irqfd, claims seen as resamples; no PLIC. */
	ASSERT_TRUE(aplic_stats(&r, &irqfd, &reraised, &resamples))
		TH_LOG("no aplic --stats line");
	printf("# aplic: irqfd %lu, re-raised %lu, resamples %lu\n", irqfd,
	       reraised, resamples);
	EXPECT_LT(0, irqfd);
	EXPECT_LT(0, resamples);
	EXPECT_EQ(NULL, strstr(r.out, "stats: plic:"));
}

TEST_F_TIMEOUT(vmm, irqchip_bad_arguments, 60)
{
	const char *d = self->dev_arg;

	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--irqchip=bogus", NULL };

		bad(_metadata, a, "--irqchip=bogus");
	}
	{
		const char *a[] = { "--dev", d, "--kernel", GUEST_IMAGE,
				    "--irqchip", NULL };

		bad(_metadata, a, "--irqchip without a value");
	}
}

TEST_HARNESS_MAIN
