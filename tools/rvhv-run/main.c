// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: a small VMM that boots a RISC-V Linux guest on /dev/rvhv, or on
 * /dev/kvm: it speaks only the KVM RISC-V userspace ABI.
 *
 * The guest has RAM at 0x80000000, one thread per vCPU and the SBI console
 * (DBCN, the legacy v0.1 putchar/getchar, and rvhv's coalesced console
 * output when the device offers it).  With --disk or --virtio-console it
 * also has virtio-mmio devices, each with its own thread, and a PLIC
 * emulated here (or, with --irqchip=aplic, rvhv's in-kernel APLIC);
 * otherwise no devices at all.  The device tree is built
 * with libfdt from what the vCPU reports through ONE_REG.
 *
 * This file: the options, the VM's setup, the main thread's wait for the
 * end and the teardown.  rvhv-run.h lists the other files.
 *
 * Exit status:
 *   0    the guest shut down (SBI SRST shutdown, or the legacy shutdown)
 *   1    the guest asked for a reset (cold or warm); it is not rebooted
 *   2    the guest reported a crash, or another system event
 *   3    an error: bad arguments, a missing or corrupt image, memory that
 *        cannot be had, a failed ioctl, an exit rvhv-run cannot handle
 *   130  ended by SIGINT (Ctrl-C); 143 by SIGTERM
 *   137  ended by the debugger (--gdb, its kill command)
 * After --save or --migrate-to did their work (the guest is in the file,
 * or runs elsewhere): 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "rvhv-run.h"

struct options opt = { .dev = "/dev/rvhv", .mem_mb = 256, .cpus = 1 };

int dev_fd = -1, vm_fd = -1;
long run_size;
uint8_t *ram;
unsigned long ram_size;
struct vcpu vcpus[CPUS_MAX];
bool coalesce;
volatile sig_atomic_t stopping;

static pthread_t main_thread;
static pthread_mutex_t end_lock = PTHREAD_MUTEX_INITIALIZER;
static int end_status = -1;		/* under end_lock */

void die(const char *fmt, ...)
{
	va_list ap;

	restore_tty();
	fputs("rvhv-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_ERROR);
}

/* The VM ends with this status; the first caller wins. */
void vm_end(int status)
{
	pthread_mutex_lock(&end_lock);
	if (end_status < 0)
		end_status = status;
	pthread_mutex_unlock(&end_lock);
	pthread_kill(main_thread, SIGUSR2);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Guest physical [gpa, gpa + len) as a host pointer, or NULL. */
void *gpa_ptr(uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || gpa - RAM_BASE > ram_size ||
	    len > ram_size - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

/* ---- Options ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: rvhv-run --kernel FILE [options]\n"
"       rvhv-run --restore FILE | --incoming unix:PATH [options]\n"
"Boot a RISC-V Linux guest (or an ELF or flat binary) on /dev/rvhv or\n"
"/dev/kvm, with the SBI console on stdin/stdout.\n"
"\n"
"  --kernel FILE    Linux Image, ELF file or flat binary (required)\n"
"  --initrd FILE    initramfs to pass to the kernel\n"
"  --cmdline TEXT   append TEXT to the kernel command line\n"
"                   (\"" DEFAULT_CMDLINE "\")\n"
"  --mem MIB        guest memory in MiB (default 256, %lu..%lu)\n"
"  --cpus N         vCPUs (default 1, at most %d and the device's limit)\n"
"  --dev PATH       the KVM-ABI device (default /dev/rvhv; or /dev/kvm)\n"
"  --no-dbcn        do not offer the SBI debug console (DBCN): the guest\n"
"                   uses the legacy v0.1 console\n"
"  --stats          at exit, print the VMM's exit counts per vCPU and\n"
"                   timings (seconds since the first KVM_RUN)\n"
"  --time-mark TEXT with --stats, also when the console output first\n"
"                   contained TEXT (at most 200 bytes)\n"
"  --stats-report   at exit, print rvhv-stat's report of the VM's binary\n"
"                   stats (KVM_GET_STATS_FD): exits by reason, their\n"
"                   times and histograms, halts, counters\n"
"  --disk FILE      a virtio-blk disk on the raw image FILE (read-write,\n"
"                   or read-only if FILE cannot be written); repeatable\n"
"  --virtio-console[=FILE]  a virtio console (the guest's /dev/hvc1),\n"
"                   its output on stdout or in FILE\n"
"  --irqchip=plic|aplic  the devices' interrupt controller: plic (default)\n"
"                   emulated in rvhv-run, or aplic: the in-kernel APLIC in\n"
"                   direct mode (rvhv's RVHV_CAP_AIA_DIRECT; not kvm.ko)\n"
"  --no-ioeventfd   (testing) QueueNotify as an MMIO exit to the VMM\n"
"  --no-irqfd       (testing) the PLIC drives the harts' lines with\n"
"                   KVM_INTERRUPT even where RVHV_CAP_IRQ_LINES is offered\n"
"  --gdb PORT|PATH  a GDB remote stub on 127.0.0.1:PORT (0: any free port,\n"
"                   printed) or on the Unix socket PATH; the guest waits\n"
"                   for the debugger (gdb-multiarch: target remote :PORT)\n"
"  --save FILE      on SIGUSR1 (or Ctrl-A s on the console) stop the guest,\n"
"                   write its memory and state to FILE and exit\n"
"  --restore FILE   run the guest saved in FILE (instead of --kernel;\n"
"                   memory, vCPUs and the interrupt controller come from\n"
"                   it; give the same --disk and --virtio-console)\n"
"  --migrate-to unix:PATH  on SIGUSR1 (or Ctrl-A s) move the running\n"
"                   guest to the rvhv-run listening on PATH (pre-copy with\n"
"                   the dirty log), then exit; a line \"rvhv-run: migrate:\n"
"                   done: ...\" gives the times and pages\n"
"  --dirty-ring[=N] with --migrate-to: track dirty pages with a dirty ring\n"
"                   of N entries per vCPU (default %d) instead of bitmaps\n"
"  --incoming unix:PATH  listen on PATH and run the guest moved there\n"
"  --help           this text\n"
"\n"
"Exit status: 0 guest shut down, 1 guest reset, 2 guest crash or other\n"
"system event, 3 error, 130 SIGINT (Ctrl-C), 137 killed by the debugger,\n"
"143 SIGTERM.\n",
		MEM_MIN_MB, MEM_MAX_MB, CPUS_MAX, DIRTY_RING_DEFAULT);
	fprintf(f, "At most %d virtio devices.\n", VIRTIO_MAX);
}

unsigned long parse_num(const char *s, const char *what, unsigned long min,
			unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (*s == '-' || *s == '+')
		die("bad %s '%s': not a number", what, s);
	v = strtoul(s, &end, 10);
	if (end == s || *end)
		die("bad %s '%s': not a number", what, s);
	if (errno == ERANGE || v < min || v > max)
		die("bad %s '%s': must be %lu..%lu", what, s, min, max);
	return v;
}

static void parse_args(int argc, char **argv)
{
	enum { O_KERNEL = 256, O_INITRD, O_CMDLINE, O_MEM, O_CPUS, O_DEV,
	       O_STATS, O_NO_DBCN, O_MARK, O_HELP, O_DISK, O_VCONS,
	       O_NO_IOEVENTFD, O_NO_IRQFD, O_IRQCHIP, O_STATS_REPORT, O_GDB,
	       O_SAVE, O_RESTORE, O_MIGRATE_TO, O_INCOMING, O_DIRTY_RING };
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "mem", required_argument, NULL, O_MEM },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "dev", required_argument, NULL, O_DEV },
		{ "stats", no_argument, NULL, O_STATS },
		{ "no-dbcn", no_argument, NULL, O_NO_DBCN },
		{ "time-mark", required_argument, NULL, O_MARK },
		{ "help", no_argument, NULL, O_HELP },
		{ "disk", required_argument, NULL, O_DISK },
		{ "virtio-console", optional_argument, NULL, O_VCONS },
		{ "no-ioeventfd", no_argument, NULL, O_NO_IOEVENTFD },
		{ "no-irqfd", no_argument, NULL, O_NO_IRQFD },
		{ "irqchip", required_argument, NULL, O_IRQCHIP },
		{ "stats-report", no_argument, NULL, O_STATS_REPORT },
		{ "gdb", required_argument, NULL, O_GDB },
		{ "save", required_argument, NULL, O_SAVE },
		{ "restore", required_argument, NULL, O_RESTORE },
		{ "migrate-to", required_argument, NULL, O_MIGRATE_TO },
		{ "incoming", required_argument, NULL, O_INCOMING },
		{ "dirty-ring", optional_argument, NULL, O_DIRTY_RING },
		{ NULL, 0, NULL, 0 },
	};
	bool machine = false;	/* an option --restore/--incoming forbid */
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case O_KERNEL: opt.kernel = optarg; machine = true; break;
		case O_INITRD: opt.initrd = optarg; machine = true; break;
		case O_CMDLINE: opt.cmdline = optarg; machine = true; break;
		case O_MEM:
			opt.mem_mb = parse_num(optarg, "--mem", MEM_MIN_MB,
					       MEM_MAX_MB);
			machine = true;
			break;
		case O_CPUS:
			opt.cpus = parse_num(optarg, "--cpus", 1, CPUS_MAX);
			machine = true;
			break;
		case O_DEV: opt.dev = optarg; break;
		case O_STATS: opt.stats = true; break;
		case O_STATS_REPORT: opt.stats_report = true; break;
		case O_NO_DBCN: opt.no_dbcn = true; break;
		case O_MARK:
			opt.mark = optarg;
			if (!*optarg || strlen(optarg) > 200)
				die("bad --time-mark: 1..200 bytes");
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_DISK:
			if (!*optarg)
				die("bad --disk: empty file name");
			if (opt.nr_disks + opt.vcons >= VIRTIO_MAX)
				die("too many virtio devices: at most %d",
				    VIRTIO_MAX);
			opt.disks[opt.nr_disks++] = optarg;
			break;
		case O_VCONS:
			if (opt.vcons)
				die("--virtio-console given twice");
			if (opt.nr_disks >= VIRTIO_MAX)
				die("too many virtio devices: at most %d",
				    VIRTIO_MAX);
			if (optarg && !*optarg)
				die("bad --virtio-console=: empty file name");
			opt.vcons = true;
			opt.vcons_file = optarg;
			break;
		case O_NO_IOEVENTFD: opt.no_ioeventfd = true; break;
		case O_NO_IRQFD: opt.no_irqfd = true; break;
		case O_IRQCHIP:
			machine = true;
			if (!strcmp(optarg, "plic"))
				opt.irqchip = IRQCHIP_PLIC;
			else if (!strcmp(optarg, "aplic"))
				opt.irqchip = IRQCHIP_APLIC;
			else
				die("bad --irqchip '%s': plic or aplic",
				    optarg);
			break;
		case O_GDB:
			if (!strchr(optarg, '/'))
				parse_num(optarg, "--gdb port", 0, 65535);
			opt.gdb = optarg;
			break;
		case O_SAVE:
			if (!*optarg)
				die("bad --save: empty file name");
			opt.save = optarg;
			break;
		case O_RESTORE:
			if (!*optarg)
				die("bad --restore: empty file name");
			opt.restore = optarg;
			break;
		case O_MIGRATE_TO:
		case O_INCOMING:
			if (strncmp(optarg, "unix:", 5) || !optarg[5] ||
			    strlen(optarg + 5) >= 108)
				die("bad %s '%s': unix:PATH (a socket path of "
				    "1..107 bytes)", c == O_INCOMING ?
				    "--incoming" : "--migrate-to", optarg);
			if (c == O_INCOMING)
				opt.incoming = optarg;
			else
				opt.migrate_to = optarg;
			break;
		case O_DIRTY_RING:
			opt.dirty_ring = DIRTY_RING_DEFAULT;
			if (optarg)
				opt.dirty_ring = parse_num(optarg, "--dirty-ring",
							   64, 65536);
			if (opt.dirty_ring & (opt.dirty_ring - 1))
				die("bad --dirty-ring %u: a power of 2",
				    opt.dirty_ring);
			break;
		case ':':
			die("option %s needs a value (see --help)",
			    argv[optind - 1]);
		default:
			die("unknown option %s (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (opt.restore && opt.incoming)
		die("--restore and --incoming: one or the other");
	if (opt.save && opt.migrate_to)
		die("--save and --migrate-to: one or the other");
	if ((opt.restore || opt.incoming) && (machine || opt.gdb))
		die("%s: the machine comes from the saved state (no --kernel, "
		    "--initrd, --cmdline, --mem, --cpus, --irqchip, --gdb)",
		    opt.restore ? "--restore" : "--incoming");
	if (!opt.kernel && !opt.restore && !opt.incoming)
		die("no kernel: --kernel FILE is required (see --help)");
	migrate_check_opts();
}

/* ---- main ---- */

#define HUGE_2M		(2UL << 20)

/*
 * Guest RAM: anonymous memory aligned to 2 MiB and advised for
 * transparent huge pages (MADV_HUGEPAGE; the test host's kernel, like
 * many, gives THP only where asked), as QEMU backs its RAM.  The guest's
 * first touches then fault in 2 MiB at a time on the host, and a device
 * that maps a host PMD leaf with a 2 MiB G-stage leaf (rvhv) takes one
 * G-stage fault per 2 MiB instead of 512.  Without THP (or where the
 * advice is refused) it is plain 4 KiB memory, as before.  Freed with
 * munmap(ram, ram_size).
 */
static uint8_t *map_guest_ram(unsigned long size)
{
	uint8_t *p, *a;

	p = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("cannot allocate %lu MiB of guest memory: %s", opt.mem_mb,
		    strerror(errno));
	a = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(HUGE_2M - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + HUGE_2M - a);
	madvise(a, size, MADV_HUGEPAGE);
	return a;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	uint64_t initrd_start = 0, initrd_end = 0, dtb;
	static uint8_t fdt[FDT_SIZE];
	struct kvm_userspace_memory_region region;
	struct sigaction sa;
	struct image img = { 0 };
	sigset_t set;
	char *cmdline;
	uint8_t *buf;
	size_t size;
	int i, r, sig, status, max_vcpus;
	bool restoring;

	setvbuf(stderr, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	restoring = opt.restore || opt.incoming;

	/* Fail on a missing file before touching the device. */
	if (!restoring && access(opt.kernel, R_OK))
		die("kernel %s: %s", opt.kernel, strerror(errno));
	if (opt.initrd && access(opt.initrd, R_OK))
		die("initrd %s: %s", opt.initrd, strerror(errno));
	/* The devices' files, in the device tree's order. */
	for (i = 0; i < opt.nr_disks; i++)
		virtio_blk_add(opt.disks[i]);
	if (opt.vcons)
		virtio_console_add(opt.vcons_file);
	/* A saved machine: its memory, vCPUs, interrupt controller. */
	if (restoring)
		migrate_incoming_open();
	ram_size = opt.mem_mb << 20;

	dev_fd = open(opt.dev, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("%s: %s", opt.dev, strerror(errno));
	r = ioctl(dev_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION)
		die("%s: KVM_GET_API_VERSION %d, expected %d", opt.dev, r,
		    KVM_API_VERSION);
	vm_fd = ioctl(dev_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("%s: KVM_CREATE_VM: %s", opt.dev, strerror(errno));
	if (opt.irqchip == IRQCHIP_APLIC)
		aplic_check();
	max_vcpus = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && opt.cpus > max_vcpus)
		die("bad --cpus %d: %s allows at most %d", opt.cpus, opt.dev,
		    max_vcpus);
	run_size = ioctl(dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (long)sizeof(struct kvm_run))
		die("%s: KVM_GET_VCPU_MMAP_SIZE: %s", opt.dev, strerror(errno));

	ram = map_guest_ram(ram_size);
	region = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = RAM_BASE,
		.memory_size = ram_size, .userspace_addr = (uintptr_t)ram,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION of %lu MiB at 0x%lx: %s",
		    opt.mem_mb, RAM_BASE, strerror(errno));

	/* rvhv's coalesced legacy console, when the device has it. */
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, RVHV_CAP_CONSOLE_COALESCE) > 0) {
		struct kvm_enable_cap cap = {
			.cap = RVHV_CAP_CONSOLE_COALESCE, .args = { 1 },
		};

		if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap))
			die("KVM_ENABLE_CAP RVHV_CAP_CONSOLE_COALESCE: %s",
			    strerror(errno));
		coalesce = true;
	}

	migrate_before_vcpus();

	/* The image. */
	if (!restoring)
		load_kernel(opt.kernel, &img);

	dtb = align_up(img.end, SZ_2M);
	if (opt.initrd) {
		buf = read_file(opt.initrd, &size, "initrd");
		initrd_start = align_up(img.end, SZ_2M);
		initrd_end = initrd_start + size;
		copy_in(initrd_start, buf, size, size, "the initrd");
		free(buf);
		dtb = align_up(initrd_end, SZ_4K);
	}

	for (i = 0; i < opt.cpus; i++) {
		struct vcpu *v = &vcpus[i];

		v->id = i;
		v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			die("KVM_CREATE_VCPU %d: %s", i, strerror(errno));
		v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			die("mmap of vcpu %d: %s", i, strerror(errno));
		/* The SBI debug console, before the first KVM_RUN. */
		if (!opt.no_dbcn &&
		    set_reg(v->fd, REG_SBI_EXT(KVM_RISCV_SBI_EXT_DBCN), 1))
			die("vcpu %d: enabling SBI DBCN (ONE_REG SBI_EXT): %s",
			    i, strerror(errno));
		migrate_vcpu_created(v);
	}

	/*
	 * The interrupt controller, when there are devices to interrupt: the
	 * PLIC's lines, or the in-kernel APLIC (INIT after the vCPUs exist).
	 */
	if (virtio_nr && opt.irqchip == IRQCHIP_APLIC)
		aplic_init();
	else if (virtio_nr)
		plic_init();
	stats_fds_open();	/* for rvhv-stat, and --stats-report */

	if (restoring) {
		migrate_incoming_load();
		goto run;
	}
	if (asprintf(&cmdline, "%s%s%s", DEFAULT_CMDLINE,
		     opt.cmdline ? " " : "", opt.cmdline ? opt.cmdline : "") < 0)
		die("out of memory");
	if (opt.gdb)
		gdb_init(opt.gdb);
	build_fdt(fdt, cmdline, initrd_start, initrd_end);
	copy_in(dtb, fdt, fdt_totalsize(fdt), fdt_totalsize(fdt),
		"the device tree");
	free(cmdline);

	/* Boot protocol: a0 = hartid, a1 = DTB, S-mode, satp 0 (reset). */
	if (set_reg(vcpus[0].fd, REG_CORE(regs.pc), img.entry) ||
	    set_reg(vcpus[0].fd, REG_CORE(regs.a0), 0) ||
	    set_reg(vcpus[0].fd, REG_CORE(regs.a1), dtb) ||
	    set_reg(vcpus[0].fd, REG_CORE(mode), KVM_RISCV_MODE_S))
		die("setting vcpu 0's boot registers: %s", strerror(errno));

run:
	/*
	 * Signals: the main thread waits (SIGUSR1: --save, --migrate-to);
	 * vCPU threads take KICK_SIGNAL kicks.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigaction(KICK_SIGNAL, &sa, NULL);	/* no SA_RESTART */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	main_thread = pthread_self();

	virtio_start();
	setup_tty();
	t_start = now();
	for (i = 0; i < opt.cpus; i++) {
		r = pthread_create(&vcpus[i].thread, NULL, vcpu_thread, &vcpus[i]);
		if (r) {
			fprintf(stderr, "rvhv-run: pthread_create: %s\n",
				strerror(r));
			vm_end(EXIT_ERROR);
			break;
		}
		vcpus[i].started = true;
	}
	if (opt.gdb && i == opt.cpus)
		gdb_start();
	if (restoring && i == opt.cpus)
		migrate_started();

	sigdelset(&set, KICK_SIGNAL);
	do {
		sig = 0;
		sigwait(&set, &sig);
		/* Saved or moved: the VM ends here, as after a shutdown. */
		if (sig == SIGUSR1 && migrate_out())
			vm_end(EXIT_SHUTDOWN);
	} while (sig != SIGINT && sig != SIGTERM && sig != SIGUSR2);

	pthread_mutex_lock(&end_lock);
	if (end_status < 0)
		end_status = sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
	status = end_status;
	pthread_mutex_unlock(&end_lock);

	/* Kick every vCPU out of KVM_RUN, and keep it out. */
	stopping = 1;
	kick_vcpus();
	gdb_end(status);	/* the vCPUs the debugger stopped go too */
	migrate_end();		/* and those a save stopped */
	for (i = 0; i < opt.cpus; i++)
		if (vcpus[i].started)
			pthread_join(vcpus[i].thread, NULL);
	gdb_exit();
	virtio_stop();
	restore_tty();
	if (status == EXIT_SIGINT || status == EXIT_SIGTERM)
		fprintf(stderr, "\nrvhv-run: %s: guest stopped\n",
			status == EXIT_SIGINT ? "SIGINT" : "SIGTERM");
	if (opt.stats)
		print_stats();
	stats_report_print();	/* with --stats-report; closes them */
	virtio_free();
	plic_exit();

	for (i = 0; i < opt.cpus; i++) {
		munmap(vcpus[i].run, run_size);
		close(vcpus[i].fd);
	}
	close(vm_fd);
	close(dev_fd);
	munmap(ram, ram_size);
	return status;
}
