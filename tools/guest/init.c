// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the tiny guest of rvhv-run and of QEMU in the tests: a
 * greeting, the number of harts the guest kernel brought up and its
 * uptime, then a check of every virtio device it finds, then power off
 * (SBI SRST), or reset when the kernel command line has rvhv-guest.reset.
 * tools/testbed/run.sh, tools/testbed/bench.sh and selftests/vmm_test.c
 * look for these lines; every line starts with "rvhv-guest: ".
 *
 * The virtio devices (a device counts as found when its driver has bound
 * it: /sys/bus/virtio/drivers/<driver>/virtio<N>), one line each:
 *
 *   virtio-blk   /dev/vda: bytes [0, 64 KiB) must hold byte i ==
 *                (i * 7 + 3) & 0xff:  "vda read ok" or
 *                "vda read BAD at <offset>" (or "vda read FAILED <error>");
 *                then bytes [64 KiB, 128 KiB) are written with byte j
 *                (counted from 64 KiB) == (j * 13 + 5) & 0xff and synced:
 *                "vda write ok" or "vda write FAILED <error>".
 *                With rvhv-guest.blkbench=N on the command line: N 4 KiB
 *                reads (O_DIRECT) at random 4 KiB-aligned offsets of the
 *                disk, "blkbench N reads in X us" (CLOCK_MONOTONIC).
 *   virtio-rng   64 bytes from /dev/hwrng, whose current source
 *                (/sys/class/misc/hw_random/rng_current) must be the
 *                virtio one: "hwrng ok 64" or "hwrng FAILED <why>".
 *   console      "rvhv-guest: virtio console ok\n" written to the first
 *                /dev/hvcN, N >= 1, that opens (hvc0 is the SBI console):
 *                "wrote to hvcN" here (or "virtio console FAILED ...").
 *   virtio-net   with rvhv-guest.net=A.B.C.D:PORT on the command line:
 *                eth0 up as 10.0.2.15/24, a TCP connection to A.B.C.D:PORT,
 *                "rvhv-guest: net hello\n" sent and one line read back:
 *                "net ok <that line>" (or "net FAILED <step>: <error>").
 *
 * No virtio device, no line: the plain boot prints what it always did.
 * With rvhv-guest.irqs, /proc/interrupts follows, a line each
 * ("rvhv-guest: irqs ..."), to see which interrupt controller served.
 *
 * With rvhv-guest.counter=MIB (1..64) on the command line, /init does not
 * power off: it writes a buffer of MIB MiB a page at a time, for ever
 * (the migration test's dirtying work, selftests/migrate_test.c).  Write
 * number c (0, 1, 2, ...) fills page c % pages with c and a pattern
 * derived from c, its last word the checksum of the others; every
 * COUNTER_PERIOD seconds it checks every page against the last write it
 * made to it (or zeros, not yet written) and prints
 * "rvhv-guest: counter N ok" (N writes so far), or once a
 * "rvhv-guest: counter BAD ..." line for the first page that does not
 * hold what was written, i.e. a write that went missing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KIB		1024
#define BLK_CHUNK	(64 * KIB)
#define RNG_BYTES	64
#define RNG_WAIT_S	5
#define HVC_WAIT_S	5
#define NET_WAIT_S	10

static char cmdline[4096];

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("rvhv-guest: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * CLOCK_MONOTONIC through the system call, not the vDSO: the vDSO reads
 * the time CSR in user mode, which needs scounteren.TM, and this guest
 * kernel (no PMU driver) leaves scounteren as the VMM set it.  QEMU
 * 10.0.7 and later reset it to 0 on the boot hart (on kvm.ko and rvhv
 * alike; a hart started by SBI HSM gets the hypervisor's reset value,
 * 7), where a user-mode rdtime is an illegal instruction.
 */
static double now(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The value of key=value on the kernel command line, or NULL. */
static const char *cmdline_value(const char *key)
{
	static char val[256];
	size_t n = strlen(key);
	const char *p;

	for (p = strstr(cmdline, key); p; p = strstr(p + 1, key)) {
		if ((p == cmdline || p[-1] == ' ') && p[n] == '=') {
			snprintf(val, sizeof(val), "%.*s",
				 (int)strcspn(p + n + 1, " \n"), p + n + 1);
			return val;
		}
	}
	return NULL;
}

/* A virtio device bound to this driver exists. */
static int have_virtio(const char *driver)
{
	char path[128];
	int i;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path),
			 "/sys/bus/virtio/drivers/%s/virtio%d", driver, i);
		if (!access(path, F_OK))
			return 1;
	}
	return 0;
}

/* Read or write exactly len bytes at off; 0, or -1 with errno set. */
static int pio(int fd, void *buf, size_t len, off_t off, int wr)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = wr ? pwrite(fd, (char *)buf + done, len - done, off + done)
		       : pread(fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return -1;
		}
		done += n;
	}
	return 0;
}

static void blk_bench(long n)
{
	uint64_t size = 0, x = 0x9e3779b97f4a7c15ULL, pages;
	void *buf;
	double t0;
	long i;
	int fd;

	fd = open("/dev/vda", O_RDONLY | O_DIRECT);
	if (fd < 0)
		fd = open("/dev/vda", O_RDONLY);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || size < 4 * KIB ||
	    posix_memalign(&buf, 4 * KIB, 4 * KIB)) {
		say("blkbench FAILED %s", fd < 0 || size ? strerror(errno) :
		    "empty disk");
		if (fd >= 0)
			close(fd);
		return;
	}
	pages = size / (4 * KIB);
	t0 = now();
	for (i = 0; i < n; i++) {
		/* xorshift64: the same offsets on every run */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pio(fd, buf, 4 * KIB, (x % pages) * 4 * KIB, 0)) {
			say("blkbench FAILED after %ld reads: %s", i,
			    strerror(errno));
			goto out;
		}
	}
	say("blkbench %ld reads in %.0f us", n, (now() - t0) * 1e6);
out:
	free(buf);
	close(fd);
}

static void check_blk(void)
{
	static unsigned char buf[BLK_CHUNK];
	const char *bench;
	size_t i;
	int fd;

	fd = open("/dev/vda", O_RDWR);
	if (fd < 0) {
		say("vda read FAILED %s", strerror(errno));
		return;
	}
	if (pio(fd, buf, BLK_CHUNK, 0, 0)) {
		say("vda read FAILED %s", strerror(errno));
	} else {
		for (i = 0; i < BLK_CHUNK; i++)
			if (buf[i] != ((i * 7 + 3) & 0xff))
				break;
		if (i < BLK_CHUNK)
			say("vda read BAD at %zu", i);
		else
			say("vda read ok");
	}
	for (i = 0; i < BLK_CHUNK; i++)
		buf[i] = (i * 13 + 5) & 0xff;
	if (pio(fd, buf, BLK_CHUNK, BLK_CHUNK, 1) || fsync(fd))
		say("vda write FAILED %s", strerror(errno));
	else
		say("vda write ok");
	close(fd);
	bench = cmdline_value("rvhv-guest.blkbench");
	if (bench && atol(bench) > 0)
		blk_bench(atol(bench));
}

static void check_rng(void)
{
	char cur[64] = "", buf[RNG_BYTES];
	double deadline = now() + RNG_WAIT_S;
	size_t got = 0;
	ssize_t n;
	FILE *f;
	int fd;

	f = fopen("/sys/class/misc/hw_random/rng_current", "r");
	if (!f || !fgets(cur, sizeof(cur), f))
		cur[0] = '\0';
	if (f)
		fclose(f);
	cur[strcspn(cur, "\n")] = '\0';
	if (strncmp(cur, "virtio", 6)) {
		say("hwrng FAILED rng_current is '%s', not virtio", cur);
		return;
	}
	/* Non-blocking: a device that never answers must not hang init. */
	fd = open("/dev/hwrng", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		say("hwrng FAILED open: %s", strerror(errno));
		return;
	}
	while (got < RNG_BYTES) {
		n = read(fd, buf + got, RNG_BYTES - got);
		if (n > 0) {
			got += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (now() > deadline) {
			errno = ETIMEDOUT;
			break;
		}
		usleep(10000);
	}
	close(fd);
	if (got < RNG_BYTES)
		say("hwrng FAILED %zu bytes: %s", got, strerror(errno));
	else
		say("hwrng ok %d", RNG_BYTES);
}

static void check_console(void)
{
	static const char msg[] = "rvhv-guest: virtio console ok\n";
	double deadline = now() + HVC_WAIT_S;
	char path[32];
	int fd, i;

	/* The port comes up after the device (a control-queue message). */
	for (;;) {
		for (i = 1; i < 8; i++) {
			snprintf(path, sizeof(path), "/dev/hvc%d", i);
			fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK);
			if (fd >= 0)
				goto found;
		}
		if (now() > deadline) {
			say("virtio console FAILED no /dev/hvcN (N >= 1) opens");
			return;
		}
		usleep(20000);
	}
found:
	/* Blocking from here on: the whole line must get out. */
	fcntl(fd, F_SETFL, 0);
	if (write(fd, msg, sizeof(msg) - 1) != sizeof(msg) - 1)
		say("virtio console FAILED write to hvc%d: %s", i,
		    strerror(errno));
	else
		say("wrote to hvc%d", i);
	close(fd);
}

static int eth0_up(int s)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.2.15", &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr))
		return -1;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (ioctl(s, SIOCSIFNETMASK, &ifr))
		return -1;
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static void check_net(void)
{
	static const char hello[] = "rvhv-guest: net hello\n";
	struct timeval tv = { .tv_sec = NET_WAIT_S };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *peer = cmdline_value("rvhv-guest.net");
	char addr[64], reply[128];
	struct pollfd pfd;
	const char *step;
	size_t got = 0;
	ssize_t n;
	int s, err;

	if (!peer)
		return;
	snprintf(addr, sizeof(addr), "%s", peer);
	if (!strchr(addr, ':')) {
		say("net FAILED bad rvhv-guest.net=%s", peer);
		return;
	}
	sa.sin_port = htons(atoi(strchr(addr, ':') + 1));
	*strchr(addr, ':') = '\0';
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		say("net FAILED bad rvhv-guest.net=%s", peer);
		return;
	}
	step = "socket";
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		goto fail;
	step = "eth0 up";
	if (eth0_up(s))
		goto fail;
	/* Non-blocking connect, so a lost SYN cannot hang init. */
	step = "connect";
	fcntl(s, F_SETFL, O_NONBLOCK);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd = (struct pollfd){ .fd = s, .events = POLLOUT };
		n = poll(&pfd, 1, NET_WAIT_S * 1000);
		if (n <= 0) {
			errno = n ? errno : ETIMEDOUT;
			goto fail;
		}
		err = 0;
		getsockopt(s, SOL_SOCKET, SO_ERROR, &err,
			   &(socklen_t){ sizeof(err) });
		if (err) {
			errno = err;
			goto fail;
		}
	}
	fcntl(s, F_SETFL, 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	step = "send";
	if (write(s, hello, sizeof(hello) - 1) != sizeof(hello) - 1)
		goto fail;
	step = "receive";
	while (got < sizeof(reply) - 1 && !memchr(reply, '\n', got)) {
		n = read(s, reply + got, sizeof(reply) - 1 - got);
		if (n <= 0) {
			if (!n)
				errno = ECONNRESET;
			goto fail;
		}
		got += n;
	}
	reply[got] = '\0';
	reply[strcspn(reply, "\r\n")] = '\0';
	say("net ok %s", reply);
	close(s);
	return;
fail:
	say("net FAILED %s: %s", step, strerror(errno));
	if (s >= 0)
		close(s);
}

#define COUNTER_PERIOD	0.5	/* seconds between checks */
#define CTR_WORDS	512	/* 64-bit words per 4 KiB page */

static uint64_t ctr_word(uint64_t c, unsigned int i)
{
	uint64_t x = c * 0x9e3779b97f4a7c15ULL + i;

	x ^= x >> 29;
	return x * 0xbf58476d1ce4e5b9ULL;
}

/* The checksum of a page's first CTR_WORDS - 1 words. */
static uint64_t ctr_sum(const uint64_t *w)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < CTR_WORDS - 1; i++)
		sum = (sum ^ w[i]) * 0x100000001b3ULL;
	return sum;
}

static void ctr_fill(uint64_t *w, uint64_t c)
{
	unsigned int i;

	w[0] = c;
	for (i = 1; i < CTR_WORDS - 1; i++)
		w[i] = ctr_word(c, i);
	w[CTR_WORDS - 1] = ctr_sum(w);
}

/*
 * Page p after n writes: 0 if it holds what the last write to it put
 * there (zeros if none did), else 1 with *word the first wrong word and
 * *want what it should be.
 */
static int ctr_check(const uint64_t *w, uint64_t p, uint64_t n,
		     uint64_t pages, unsigned int *word, uint64_t *want)
{
	uint64_t c, expect;
	unsigned int i;

	if (n <= p) {
		for (i = 0; i < CTR_WORDS; i++)
			if (w[i]) {
				*word = i;
				*want = 0;
				return 1;
			}
		return 0;
	}
	c = (n - 1) - ((n - 1 - p) % pages);
	for (i = 0; i < CTR_WORDS; i++) {
		expect = !i ? c : i < CTR_WORDS - 1 ? ctr_word(c, i) :
			 ctr_sum(w);
		if (w[i] != expect) {
			*word = i;
			*want = expect;
			return 1;
		}
	}
	return 0;
}

static void counter_mode(long mib)
{
	uint64_t pages = (uint64_t)mib * 256, n = 0, p, want;
	double next = now() + COUNTER_PERIOD;
	unsigned int word;
	uint64_t *buf;
	int bad = 0;

	buf = calloc(pages, CTR_WORDS * sizeof(uint64_t));
	if (!buf) {
		say("counter FAILED no memory for %ld MiB", mib);
		return;
	}
	say("counter start %ld MiB", mib);
	for (;;) {
		ctr_fill(buf + (n % pages) * CTR_WORDS, n);
		n++;
		if (n % 64 == 0)
			usleep(1000);
		if (now() < next)
			continue;
		for (p = 0; p < pages && !bad; p++) {
			if (!ctr_check(buf + p * CTR_WORDS, p, n, pages, &word,
				       &want))
				continue;
			bad = 1;
			say("counter BAD at %llu: page %llu word %u is %#llx, "
			    "want %#llx", (unsigned long long)n,
			    (unsigned long long)p, word,
			    (unsigned long long)buf[p * CTR_WORDS + word],
			    (unsigned long long)want);
		}
		if (!bad)
			say("counter %llu ok", (unsigned long long)n);
		next = now() + COUNTER_PERIOD;
	}
}

static void check_virtio(void)
{
	if (have_virtio("virtio_blk"))
		check_blk();
	if (have_virtio("virtio_rng"))
		check_rng();
	if (have_virtio("virtio_console"))
		check_console();
	if (have_virtio("virtio_net"))
		check_net();
}

int main(void)
{
	char line[256], up[64] = "?";
	const char *counter;
	int harts = 0, reset;
	FILE *f;

	printf("rvhv-guest: hello from the guest\n");
	fflush(stdout);
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mkdir("/sys", 0755);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "processor", 9))
				harts++;
		fclose(f);
	}
	f = fopen("/proc/uptime", "r");
	if (f) {
		if (fscanf(f, "%63s", up) != 1)
			strcpy(up, "?");
		fclose(f);
	}
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	reset = strstr(cmdline, "rvhv-guest.reset") != NULL;
	printf("rvhv-guest: harts %d\n", harts);
	printf("rvhv-guest: uptime %s s\n", up);
	fflush(stdout);
	check_virtio();
	/* rvhv-guest.irqs: /proc/interrupts (which irqchip served). */
	f = strstr(cmdline, "rvhv-guest.irqs") ?
	    fopen("/proc/interrupts", "r") : NULL;
	if (f) {
		while (fgets(line, sizeof(line), f))
			printf("rvhv-guest: irqs %s", line);
		fclose(f);
	}
	counter = cmdline_value("rvhv-guest.counter");
	if (counter && atol(counter) >= 1 && atol(counter) <= 64)
		counter_mode(atol(counter));
	else if (counter)
		say("counter FAILED bad rvhv-guest.counter=%s", counter);
	printf("rvhv-guest: %s\n", reset ? "resetting" : "powering off");
	fflush(stdout);
	sync();
	reboot(reset ? RB_AUTOBOOT : RB_POWER_OFF);
	perror("rvhv-guest: reboot");
	for (;;)
		pause();
}
