// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: a small VMM that boots a RISC-V Linux guest on /dev/rvhv, or on
 * /dev/kvm: it speaks only the KVM RISC-V userspace ABI.
 *
 * The guest has RAM at 0x80000000, one thread per vCPU and the SBI console
 * (DBCN, the legacy v0.1 putchar/getchar, and rvhv's coalesced console
 * output when the device offers it).  There are no devices: no interrupt
 * controller beyond the harts' own, no MMIO.  The device tree is built with
 * libfdt from what the vCPU reports through ONE_REG.
 *
 * Exit status:
 *   0    the guest shut down (SBI SRST shutdown, or the legacy shutdown)
 *   1    the guest asked for a reset (cold or warm); it is not rebooted
 *   2    the guest reported a crash, or another system event
 *   3    an error: bad arguments, a missing or corrupt image, memory that
 *        cannot be had, a failed ioctl, an exit rvhv-run cannot handle
 *   130  ended by SIGINT (Ctrl-C); 143 by SIGTERM
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/rvhv.h>

#include <libfdt.h>

#define RAM_BASE		0x80000000UL
#define SZ_2M			0x200000UL
#define SZ_4K			0x1000UL
#define MEM_MIN_MB		16UL
#define MEM_MAX_MB		(1UL << 20)	/* 1 TiB: far above any test */
#define CPUS_MAX		64
#define FDT_SIZE		0x10000

#define EXIT_SHUTDOWN		0
#define EXIT_RESET		1
#define EXIT_OTHER_EVENT	2
#define EXIT_ERROR		3
#define EXIT_SIGINT		130
#define EXIT_SIGTERM		143

#define DEFAULT_CMDLINE		"console=hvc0 earlycon=sbi"

/* SBI */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR	0x1
#define SBI_EXT_0_1_CONSOLE_GETCHAR	0x2
#define SBI_EXT_DBCN			0x4442434E
#define SBI_EXT_DBCN_WRITE		0
#define SBI_EXT_DBCN_READ		1
#define SBI_EXT_DBCN_WRITE_BYTE		2
#define SBI_SUCCESS			0
#define SBI_ERR_NOT_SUPPORTED		(-2)
#define SBI_ERR_INVALID_PARAM		(-3)

#define ONE_REG(type, idx)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | \
				 (uint64_t)(idx))
#define REG_CONFIG(name)	ONE_REG(KVM_REG_RISCV_CONFIG, \
					KVM_REG_RISCV_CONFIG_REG(name))
#define REG_CORE(name)		ONE_REG(KVM_REG_RISCV_CORE, \
					KVM_REG_RISCV_CORE_REG(name))
#define REG_TIMER(name)		ONE_REG(KVM_REG_RISCV_TIMER, \
					KVM_REG_RISCV_TIMER_REG(name))
#define REG_ISA_EXT(i)		ONE_REG(KVM_REG_RISCV_ISA_EXT | \
					KVM_REG_RISCV_ISA_SINGLE, (i))
#define REG_SBI_EXT(i)		ONE_REG(KVM_REG_RISCV_SBI_EXT | \
					KVM_REG_RISCV_SBI_SINGLE, (i))

/* Names of KVM_RISCV_ISA_EXT_* ids, in the enum's order (NULL: a letter). */
static const char *const isa_ext_names[] = {
	[KVM_RISCV_ISA_EXT_SVPBMT] = "svpbmt",
	[KVM_RISCV_ISA_EXT_SSTC] = "sstc",
	[KVM_RISCV_ISA_EXT_SVINVAL] = "svinval",
	[KVM_RISCV_ISA_EXT_ZIHINTPAUSE] = "zihintpause",
	[KVM_RISCV_ISA_EXT_ZICBOM] = "zicbom",
	[KVM_RISCV_ISA_EXT_ZICBOZ] = "zicboz",
	[KVM_RISCV_ISA_EXT_ZBB] = "zbb",
	[KVM_RISCV_ISA_EXT_SSAIA] = "ssaia",
	[KVM_RISCV_ISA_EXT_SVNAPOT] = "svnapot",
	[KVM_RISCV_ISA_EXT_ZBA] = "zba",
	[KVM_RISCV_ISA_EXT_ZBS] = "zbs",
	[KVM_RISCV_ISA_EXT_ZICNTR] = "zicntr",
	[KVM_RISCV_ISA_EXT_ZICSR] = "zicsr",
	[KVM_RISCV_ISA_EXT_ZIFENCEI] = "zifencei",
	[KVM_RISCV_ISA_EXT_ZIHPM] = "zihpm",
	[KVM_RISCV_ISA_EXT_SMSTATEEN] = "smstateen",
	[KVM_RISCV_ISA_EXT_ZICOND] = "zicond",
	[KVM_RISCV_ISA_EXT_ZBC] = "zbc",
	[KVM_RISCV_ISA_EXT_ZBKB] = "zbkb",
	[KVM_RISCV_ISA_EXT_ZBKC] = "zbkc",
	[KVM_RISCV_ISA_EXT_ZBKX] = "zbkx",
	[KVM_RISCV_ISA_EXT_ZKND] = "zknd",
	[KVM_RISCV_ISA_EXT_ZKNE] = "zkne",
	[KVM_RISCV_ISA_EXT_ZKNH] = "zknh",
	[KVM_RISCV_ISA_EXT_ZKR] = "zkr",
	[KVM_RISCV_ISA_EXT_ZKSED] = "zksed",
	[KVM_RISCV_ISA_EXT_ZKSH] = "zksh",
	[KVM_RISCV_ISA_EXT_ZKT] = "zkt",
	[KVM_RISCV_ISA_EXT_ZVBB] = "zvbb",
	[KVM_RISCV_ISA_EXT_ZVBC] = "zvbc",
	[KVM_RISCV_ISA_EXT_ZVKB] = "zvkb",
	[KVM_RISCV_ISA_EXT_ZVKG] = "zvkg",
	[KVM_RISCV_ISA_EXT_ZVKNED] = "zvkned",
	[KVM_RISCV_ISA_EXT_ZVKNHA] = "zvknha",
	[KVM_RISCV_ISA_EXT_ZVKNHB] = "zvknhb",
	[KVM_RISCV_ISA_EXT_ZVKSED] = "zvksed",
	[KVM_RISCV_ISA_EXT_ZVKSH] = "zvksh",
	[KVM_RISCV_ISA_EXT_ZVKT] = "zvkt",
	[KVM_RISCV_ISA_EXT_ZFH] = "zfh",
	[KVM_RISCV_ISA_EXT_ZFHMIN] = "zfhmin",
	[KVM_RISCV_ISA_EXT_ZIHINTNTL] = "zihintntl",
	[KVM_RISCV_ISA_EXT_ZVFH] = "zvfh",
	[KVM_RISCV_ISA_EXT_ZVFHMIN] = "zvfhmin",
	[KVM_RISCV_ISA_EXT_ZFA] = "zfa",
	[KVM_RISCV_ISA_EXT_ZTSO] = "ztso",
	[KVM_RISCV_ISA_EXT_ZACAS] = "zacas",
	[KVM_RISCV_ISA_EXT_SSCOFPMF] = "sscofpmf",
	[KVM_RISCV_ISA_EXT_ZIMOP] = "zimop",
	[KVM_RISCV_ISA_EXT_ZCA] = "zca",
	[KVM_RISCV_ISA_EXT_ZCB] = "zcb",
	[KVM_RISCV_ISA_EXT_ZCD] = "zcd",
	[KVM_RISCV_ISA_EXT_ZCF] = "zcf",
	[KVM_RISCV_ISA_EXT_ZCMOP] = "zcmop",
	[KVM_RISCV_ISA_EXT_ZAWRS] = "zawrs",
};

/* Exit reasons counted per vCPU for --stats. */
enum vcpu_stat {
	ST_SBI_DBCN, ST_SBI_PUTCHAR, ST_SBI_GETCHAR, ST_SBI_COALESCED,
	ST_SBI_OTHER, ST_INTR, ST_SYSTEM_EVENT, ST_MMIO, ST_CSR, ST_OTHER,
	ST_EINTR, ST_NR
};

static const char *const stat_names[ST_NR] = {
	"sbi-dbcn", "sbi-putchar", "sbi-getchar", "rvhv-console",
	"sbi-other", "intr", "system-event", "mmio", "csr", "other",
	"signal(EINTR)",
};

struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	unsigned long stats[ST_NR];
};

static struct {
	const char *kernel, *initrd, *cmdline, *dev, *mark;
	unsigned long mem_mb;
	int cpus;
	bool stats, no_dbcn;
} opt = { .dev = "/dev/rvhv", .mem_mb = 256, .cpus = 1 };

static int dev_fd = -1, vm_fd = -1;
static long run_size;
static uint8_t *ram;
static unsigned long ram_size;
static struct vcpu vcpus[CPUS_MAX];
static pthread_t main_thread;
static bool coalesce;

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t end_lock = PTHREAD_MUTEX_INITIALIZER;
static int end_status = -1;		/* under end_lock */
static volatile sig_atomic_t stopping;

/* Timing for --stats, in seconds since the first KVM_RUN (under out_lock). */
static double t_start, t_first_out = -1, t_mark = -1;
static char mark_tail[256];
static size_t mark_tail_len;

static struct termios saved_tios;
static bool tios_saved;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void restore_tty(void)
{
	if (tios_saved)
		tcsetattr(0, TCSANOW, &saved_tios);
}

static void die(const char *fmt, ...)
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
static void vm_end(int status)
{
	pthread_mutex_lock(&end_lock);
	if (end_status < 0)
		end_status = status;
	pthread_mutex_unlock(&end_lock);
	pthread_kill(main_thread, SIGUSR2);
}

/* Report an error from a vCPU thread and end the VM. */
static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "\nrvhv-run: vcpu%d: ", v->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&out_lock);
	vm_end(EXIT_ERROR);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --time-mark: note when the console output first contains the mark. */
static void watch_mark(const char *p, size_t len)
{
	size_t mlen = strlen(opt.mark), keep;
	char buf[sizeof(mark_tail) * 2];

	while (len && t_mark < 0) {
		size_t n = len < sizeof(mark_tail) ? len : sizeof(mark_tail);

		memcpy(buf, mark_tail, mark_tail_len);
		memcpy(buf + mark_tail_len, p, n);
		if (memmem(buf, mark_tail_len + n, opt.mark, mlen))
			t_mark = now() - t_start;
		keep = mark_tail_len + n < mlen - 1 ? mark_tail_len + n : mlen - 1;
		memmove(mark_tail, buf + mark_tail_len + n - keep, keep);
		mark_tail_len = keep;
		p += n;
		len -= n;
	}
}

static void console_out(const void *buf, size_t len)
{
	const char *p = buf;

	pthread_mutex_lock(&out_lock);
	if (t_first_out < 0)
		t_first_out = now() - t_start;
	if (opt.mark)
		watch_mark(p, len);
	while (len) {
		ssize_t n = write(1, p, len);

		if (n < 0 && errno == EINTR && !stopping)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= n;
	}
	pthread_mutex_unlock(&out_lock);
}

/* Up to len bytes of console input, without waiting; 0 when there is none. */
static size_t console_in(void *buf, size_t len)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return 0;
	n = read(0, buf, len);
	return n > 0 ? n : 0;
}

static int get_reg(int fd, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return ioctl(fd, KVM_GET_ONE_REG, &r);
}

static int set_reg(int fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(fd, KVM_SET_ONE_REG, &r);
}

/* Guest physical [gpa, gpa + len) as a host pointer, or NULL. */
static void *gpa_ptr(uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || gpa - RAM_BASE > ram_size ||
	    len > ram_size - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

/* ---- Images ---- */

struct image {
	uint64_t entry;		/* guest physical */
	uint64_t end;		/* first byte above everything loaded */
	const char *kind;
};

static uint8_t *read_file(const char *path, size_t *size, const char *what)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st))
		die("%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s %s: not a regular file", what, path);
	if (st.st_size == 0)
		die("%s %s: empty file", what, path);
	if ((unsigned long long)st.st_size > ram_size)
		die("%s %s: %lld bytes, larger than guest memory (%lu MiB)",
		    what, path, (long long)st.st_size, opt.mem_mb);
	buf = malloc(st.st_size);
	if (!buf)
		die("%s %s: out of memory", what, path);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s %s: read: %s", what, path,
			    n ? strerror(errno) : "short file");
		off += n;
	}
	close(fd);
	*size = off;
	return buf;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;	/* riscv64 and the test host are little-endian */
}

static void copy_in(uint64_t gpa, const void *src, uint64_t len,
		    uint64_t memsz, const char *what)
{
	uint8_t *dst = gpa_ptr(gpa, memsz);

	if (!dst)
		die("%s does not fit in guest memory (0x%lx-0x%lx; --mem %lu): "
		    "needs 0x%llx-0x%llx", what, RAM_BASE, RAM_BASE + ram_size,
		    opt.mem_mb, (unsigned long long)gpa,
		    (unsigned long long)(gpa + memsz));
	memcpy(dst, src, len);
	memset(dst + len, 0, memsz - len);
}

/*
 * A Linux RISC-V Image (Documentation/arch/riscv/boot-image-header.rst):
 * 64-byte header, text_offset at 8, image_size at 16, magic "RISCV\0\0\0"
 * at 48 (deprecated) and magic2 "RSC\x05" at 56.
 */
static bool is_linux_image(const uint8_t *b, size_t size)
{
	return size >= 64 && (!memcmp(b + 48, "RISCV\0\0\0", 8) ||
			      !memcmp(b + 56, "RSC\x05", 4));
}

static void load_linux_image(const uint8_t *b, size_t size, struct image *img)
{
	uint64_t text_offset = le64(b + 8), image_size = le64(b + 16);

	if (text_offset % SZ_2M)
		die("kernel %s: corrupt Image header: text_offset 0x%llx is not "
		    "2 MiB aligned", opt.kernel, (unsigned long long)text_offset);
	if (image_size < size || image_size > ram_size)
		die("kernel %s: corrupt Image header: image_size 0x%llx for a "
		    "file of 0x%zx bytes", opt.kernel,
		    (unsigned long long)image_size, size);
	copy_in(RAM_BASE + text_offset, b, size, image_size, "the kernel");
	img->entry = RAM_BASE + text_offset;
	img->end = img->entry + image_size;
	img->kind = "Image";
}

static void load_elf(const uint8_t *b, size_t size, struct image *img)
{
	const Elf64_Ehdr *eh = (const void *)b;
	uint64_t end = 0;
	int i, loaded = 0;

	if (size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_RISCV)
		die("kernel %s: not a 64-bit little-endian RISC-V ELF file",
		    opt.kernel);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		die("kernel %s: corrupt ELF program headers", opt.kernel);
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, b + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset ||
		    ph.p_filesz > ph.p_memsz)
			die("kernel %s: corrupt ELF segment %d", opt.kernel, i);
		copy_in(ph.p_paddr, b + ph.p_offset, ph.p_filesz, ph.p_memsz,
			"an ELF segment of the kernel");
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
		loaded++;
	}
	if (!loaded)
		die("kernel %s: ELF file without a loadable segment", opt.kernel);
	if (!gpa_ptr(eh->e_entry, 4))
		die("kernel %s: ELF entry 0x%llx outside guest memory",
		    opt.kernel, (unsigned long long)eh->e_entry);
	img->entry = eh->e_entry;
	img->end = end;
	img->kind = "ELF";
}

/* Anything else is a flat binary, loaded and entered at RAM base + 2 MiB. */
static void load_flat(const uint8_t *b, size_t size, struct image *img)
{
	copy_in(RAM_BASE + SZ_2M, b, size, size, "the kernel");
	img->entry = RAM_BASE + SZ_2M;
	img->end = img->entry + size;
	img->kind = "flat binary";
}

/* ---- The device tree ---- */

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

#define FDT(call) do {							\
	int __r = (call);						\
	if (__r < 0)							\
		die("building the device tree: %s: %s", #call,		\
		    fdt_strerror(__r));					\
} while (0)

struct isa {
	char base[128];		/* "rv64imafdc_zicsr_..." (riscv,isa) */
	char list[1024];	/* NUL-separated riscv,isa-extensions */
	int list_len;
	bool zicbom, zicboz;
};

static void isa_add(struct isa *isa, const char *name)
{
	int n = strlen(name) + 1;

	if (isa->list_len + n > (int)sizeof(isa->list))
		die("building the device tree: too many ISA extensions");
	memcpy(isa->list + isa->list_len, name, n);
	isa->list_len += n;
}

/* What vCPU 0 reports: the letters of CONFIG isa, then enabled ISA_EXTs. */
static void read_isa(int fd, struct isa *isa)
{
	static const char order[] = "imafdqcbkjpvh";
	uint64_t letters, val;
	char one[2] = "";
	size_t i;
	int c;

	memset(isa, 0, sizeof(*isa));
	if (get_reg(fd, REG_CONFIG(isa), &letters))
		die("KVM_GET_ONE_REG CONFIG isa: %s", strerror(errno));
	strcpy(isa->base, "rv64");
	/* Canonical order first, then any other letter alphabetically. */
	for (i = 0; order[i]; i++) {
		c = order[i] - 'a';
		if (letters & (1ULL << c)) {
			one[0] = order[i];
			strncat(isa->base, one, sizeof(isa->base) - strlen(isa->base) - 1);
			isa_add(isa, one);
		}
	}
	for (c = 0; c < 26; c++) {
		if (!(letters & (1ULL << c)) || strchr(order, 'a' + c))
			continue;
		one[0] = 'a' + c;
		strncat(isa->base, one, sizeof(isa->base) - strlen(isa->base) - 1);
		isa_add(isa, one);
	}
	for (i = 0; i < sizeof(isa_ext_names) / sizeof(isa_ext_names[0]); i++) {
		if (!isa_ext_names[i] || get_reg(fd, REG_ISA_EXT(i), &val) ||
		    !val)
			continue;
		if (strlen(isa->base) + strlen(isa_ext_names[i]) + 2 >
		    sizeof(isa->base))
			die("building the device tree: riscv,isa too long");
		strcat(isa->base, "_");
		strcat(isa->base, isa_ext_names[i]);
		isa_add(isa, isa_ext_names[i]);
		if (i == KVM_RISCV_ISA_EXT_ZICBOM)
			isa->zicbom = true;
		if (i == KVM_RISCV_ISA_EXT_ZICBOZ)
			isa->zicboz = true;
	}
}

static const char *mmu_type(uint64_t satp_mode)
{
	switch (satp_mode) {
	case 8: return "riscv,sv39";
	case 9: return "riscv,sv48";
	case 10: return "riscv,sv57";
	default: return NULL;
	}
}

static void build_fdt(void *fdt, const char *cmdline, uint64_t initrd_start,
		      uint64_t initrd_end)
{
	uint64_t timebase, satp_mode, block;
	const char *mmu;
	struct isa isa;
	char name[32];
	int i, fd = vcpus[0].fd;

	read_isa(fd, &isa);
	if (get_reg(fd, REG_TIMER(frequency), &timebase))
		die("KVM_GET_ONE_REG TIMER frequency: %s", strerror(errno));
	if (get_reg(fd, REG_CONFIG(satp_mode), &satp_mode))
		die("KVM_GET_ONE_REG CONFIG satp_mode: %s", strerror(errno));
	mmu = mmu_type(satp_mode);

	FDT(fdt_create(fdt, FDT_SIZE));
	FDT(fdt_finish_reservemap(fdt));
	FDT(fdt_begin_node(fdt, ""));
	FDT(fdt_property_u32(fdt, "#address-cells", 2));
	FDT(fdt_property_u32(fdt, "#size-cells", 2));
	FDT(fdt_property_string(fdt, "compatible", "rvhv,rvhv-run"));
	FDT(fdt_property_string(fdt, "model", "rvhv-run"));

	FDT(fdt_begin_node(fdt, "chosen"));
	FDT(fdt_property_string(fdt, "bootargs", cmdline));
	if (initrd_end > initrd_start) {
		FDT(fdt_property_u64(fdt, "linux,initrd-start", initrd_start));
		FDT(fdt_property_u64(fdt, "linux,initrd-end", initrd_end));
	}
	FDT(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "memory@%lx", RAM_BASE);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "device_type", "memory"));
	{
		fdt64_t reg[2] = { cpu_to_fdt64(RAM_BASE),
				   cpu_to_fdt64(ram_size) };

		FDT(fdt_property(fdt, "reg", reg, sizeof(reg)));
	}
	FDT(fdt_end_node(fdt));

	FDT(fdt_begin_node(fdt, "cpus"));
	FDT(fdt_property_u32(fdt, "#address-cells", 1));
	FDT(fdt_property_u32(fdt, "#size-cells", 0));
	FDT(fdt_property_u32(fdt, "timebase-frequency", (uint32_t)timebase));
	for (i = 0; i < opt.cpus; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		FDT(fdt_begin_node(fdt, name));
		FDT(fdt_property_string(fdt, "device_type", "cpu"));
		FDT(fdt_property_u32(fdt, "reg", i));
		FDT(fdt_property_string(fdt, "compatible", "riscv"));
		FDT(fdt_property_string(fdt, "status", "okay"));
		FDT(fdt_property_string(fdt, "riscv,isa", isa.base));
		FDT(fdt_property_string(fdt, "riscv,isa-base", "rv64i"));
		FDT(fdt_property(fdt, "riscv,isa-extensions", isa.list,
				 isa.list_len));
		if (mmu)
			FDT(fdt_property_string(fdt, "mmu-type", mmu));
		if (isa.zicbom && !get_reg(fd, REG_CONFIG(zicbom_block_size),
					   &block))
			FDT(fdt_property_u32(fdt, "riscv,cbom-block-size", block));
		if (isa.zicboz && !get_reg(fd, REG_CONFIG(zicboz_block_size),
					   &block))
			FDT(fdt_property_u32(fdt, "riscv,cboz-block-size", block));
		FDT(fdt_begin_node(fdt, "interrupt-controller"));
		FDT(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
		FDT(fdt_property_u32(fdt, "#interrupt-cells", 1));
		FDT(fdt_property(fdt, "interrupt-controller", NULL, 0));
		FDT(fdt_property_u32(fdt, "phandle", i + 1));
		FDT(fdt_end_node(fdt));
		FDT(fdt_end_node(fdt));
	}
	FDT(fdt_end_node(fdt));		/* cpus */
	FDT(fdt_end_node(fdt));		/* root */
	FDT(fdt_finish(fdt));
}

/* ---- vCPUs ---- */

static void handle_sbi(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned long ext = run->riscv_sbi.extension_id;
	unsigned long fid = run->riscv_sbi.function_id;
	unsigned long *a = run->riscv_sbi.args;
	uint8_t ch;
	void *p;

	switch (ext) {
	case SBI_EXT_0_1_CONSOLE_PUTCHAR:
		v->stats[ST_SBI_PUTCHAR]++;
		ch = a[0];
		console_out(&ch, 1);
		run->riscv_sbi.ret[0] = 0;
		return;
	case SBI_EXT_0_1_CONSOLE_GETCHAR:
		v->stats[ST_SBI_GETCHAR]++;
		run->riscv_sbi.ret[0] = console_in(&ch, 1) ? ch : (unsigned long)-1;
		return;
	case SBI_EXT_DBCN:
		v->stats[ST_SBI_DBCN]++;
		run->riscv_sbi.ret[0] = SBI_SUCCESS;
		run->riscv_sbi.ret[1] = 0;
		switch (fid) {
		case SBI_EXT_DBCN_WRITE:
		case SBI_EXT_DBCN_READ:
			p = a[2] ? NULL : gpa_ptr(a[1], a[0]);
			if (!p) {
				run->riscv_sbi.ret[0] = SBI_ERR_INVALID_PARAM;
				return;
			}
			if (fid == SBI_EXT_DBCN_WRITE)
				console_out(p, a[0]);
			run->riscv_sbi.ret[1] = fid == SBI_EXT_DBCN_WRITE ?
				a[0] : console_in(p, a[0]);
			return;
		case SBI_EXT_DBCN_WRITE_BYTE:
			ch = a[0];
			console_out(&ch, 1);
			return;
		default:
			run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
			return;
		}
	case RVHV_SBI_EXT:
		if (coalesce && fid == RVHV_SBI_CONSOLE_OUTPUT) {
			v->stats[ST_SBI_COALESCED]++;
			if (a[0] > (unsigned long)run_size ||
			    a[1] > (unsigned long)run_size - a[0]) {
				vcpu_fail(v, "coalesced console output at "
					  "offset %lu, %lu bytes: outside the "
					  "vCPU's %ld-byte mmap", a[0], a[1],
					  run_size);
				return;
			}
			console_out((uint8_t *)run + a[0], a[1]);
			return;
		}
		/* fall through */
	default:
		/* Forwarded calls nothing here implements. */
		v->stats[ST_SBI_OTHER]++;
		run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
		run->riscv_sbi.ret[1] = 0;
		return;
	}
}

static const char *exit_name(unsigned int reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_RISCV_SBI] = "RISCV_SBI",
		[KVM_EXIT_RISCV_CSR] = "RISCV_CSR",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "?";
}

static void dump_regs(struct vcpu *v)
{
	uint64_t pc = 0, ra = 0, sp = 0, mode = 0;

	get_reg(v->fd, REG_CORE(regs.pc), &pc);
	get_reg(v->fd, REG_CORE(regs.ra), &ra);
	get_reg(v->fd, REG_CORE(regs.sp), &sp);
	get_reg(v->fd, REG_CORE(mode), &mode);
	fprintf(stderr, "rvhv-run: vcpu%d: pc 0x%llx ra 0x%llx sp 0x%llx "
		"mode %llu\n", v->id, (unsigned long long)pc,
		(unsigned long long)ra, (unsigned long long)sp,
		(unsigned long long)mode);
}

/* Returns false when this vCPU is done. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_RISCV_SBI:
		handle_sbi(v);
		return true;
	case KVM_EXIT_INTR:
		v->stats[ST_INTR]++;
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		v->stats[ST_SYSTEM_EVENT]++;
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_end(EXIT_SHUTDOWN);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_end(EXIT_RESET);
			break;
		default:
			pthread_mutex_lock(&out_lock);
			fprintf(stderr, "\nrvhv-run: vcpu%d: system event %u "
				"(%s)\n", v->id, run->system_event.type,
				run->system_event.type == KVM_SYSTEM_EVENT_CRASH ?
				"crash" : "unknown");
			pthread_mutex_unlock(&out_lock);
			vm_end(EXIT_OTHER_EVENT);
			break;
		}
		return false;
	case KVM_EXIT_MMIO:
		v->stats[ST_MMIO]++;
		vcpu_fail(v, "MMIO %s of %u bytes at 0x%llx: this VM has no "
			  "devices", run->mmio.is_write ? "write" : "read",
			  run->mmio.len, (unsigned long long)run->mmio.phys_addr);
		dump_regs(v);
		return false;
	case KVM_EXIT_RISCV_CSR:
		v->stats[ST_CSR]++;
		vcpu_fail(v, "unhandled CSR exit: csr 0x%lx", run->riscv_csr.csr_num);
		dump_regs(v);
		return false;
	default:
		v->stats[ST_OTHER]++;
		vcpu_fail(v, "unknown exit reason %u (%s)", run->exit_reason,
			  exit_name(run->exit_reason));
		dump_regs(v);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!stopping) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->stats[ST_EINTR]++;
				continue;
			}
			vcpu_fail(v, "KVM_RUN: %s", strerror(errno));
			dump_regs(v);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static void print_stats(void)
{
	int i, s;

	fprintf(stderr, "rvhv-run: stats: guest ran %.3f s, first console "
		"output at %.3f s", now() - t_start, t_first_out);
	if (opt.mark)
		fprintf(stderr, ", '%s' at %.3f s", opt.mark, t_mark);
	fputc('\n', stderr);

	for (i = 0; i < opt.cpus; i++) {
		unsigned long total = 0;

		for (s = 0; s < ST_NR; s++)
			total += s == ST_EINTR ? 0 : vcpus[i].stats[s];
		fprintf(stderr, "rvhv-run: stats: vcpu%d: %lu exits to the VMM",
			i, total);
		for (s = 0; s < ST_NR; s++)
			if (vcpus[i].stats[s])
				fprintf(stderr, ", %s %lu", stat_names[s],
					vcpus[i].stats[s]);
		fputc('\n', stderr);
	}
}

/* ---- Options ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: rvhv-run --kernel FILE [options]\n"
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
"  --help           this text\n"
"\n"
"Exit status: 0 guest shut down, 1 guest reset, 2 guest crash or other\n"
"system event, 3 error, 130 SIGINT (Ctrl-C), 143 SIGTERM.\n",
		MEM_MIN_MB, MEM_MAX_MB, CPUS_MAX);
}

static unsigned long parse_num(const char *s, const char *what,
			       unsigned long min, unsigned long max)
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
	       O_STATS, O_NO_DBCN, O_MARK, O_HELP };
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
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case O_KERNEL: opt.kernel = optarg; break;
		case O_INITRD: opt.initrd = optarg; break;
		case O_CMDLINE: opt.cmdline = optarg; break;
		case O_MEM:
			opt.mem_mb = parse_num(optarg, "--mem", MEM_MIN_MB,
					       MEM_MAX_MB);
			break;
		case O_CPUS:
			opt.cpus = parse_num(optarg, "--cpus", 1, CPUS_MAX);
			break;
		case O_DEV: opt.dev = optarg; break;
		case O_STATS: opt.stats = true; break;
		case O_NO_DBCN: opt.no_dbcn = true; break;
		case O_MARK:
			opt.mark = optarg;
			if (!*optarg || strlen(optarg) > 200)
				die("bad --time-mark: 1..200 bytes");
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case ':':
			die("option %s needs a value (see --help)",
			    argv[optind - 1]);
		default:
			die("unknown option %s (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!opt.kernel)
		die("no kernel: --kernel FILE is required (see --help)");
}

/* ---- main ---- */

static void setup_tty(void)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &saved_tios))
		return;
	tios_saved = true;
	t = saved_tios;
	/* Raw input, but Ctrl-C still raises SIGINT to end a stuck guest. */
	t.c_lflag &= ~(ICANON | ECHO | IEXTEN);
	t.c_iflag &= ~(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &t);
}

int main(int argc, char **argv)
{
	uint64_t initrd_start = 0, initrd_end = 0, dtb;
	static uint8_t fdt[FDT_SIZE];
	struct kvm_userspace_memory_region region;
	struct sigaction sa;
	struct image img;
	sigset_t set;
	char *cmdline;
	uint8_t *buf;
	size_t size;
	int i, r, sig, status, max_vcpus;

	setvbuf(stderr, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	ram_size = opt.mem_mb << 20;

	/* Fail on a missing file before touching the device. */
	if (access(opt.kernel, R_OK))
		die("kernel %s: %s", opt.kernel, strerror(errno));
	if (opt.initrd && access(opt.initrd, R_OK))
		die("initrd %s: %s", opt.initrd, strerror(errno));

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
	max_vcpus = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && opt.cpus > max_vcpus)
		die("bad --cpus %d: %s allows at most %d", opt.cpus, opt.dev,
		    max_vcpus);
	run_size = ioctl(dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (long)sizeof(struct kvm_run))
		die("%s: KVM_GET_VCPU_MMAP_SIZE: %s", opt.dev, strerror(errno));

	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("cannot allocate %lu MiB of guest memory: %s", opt.mem_mb,
		    strerror(errno));
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

	/* The image. */
	buf = read_file(opt.kernel, &size, "kernel");
	if (is_linux_image(buf, size))
		load_linux_image(buf, size, &img);
	else if (size >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG))
		load_elf(buf, size, &img);
	else
		load_flat(buf, size, &img);
	free(buf);

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
	}

	if (asprintf(&cmdline, "%s%s%s", DEFAULT_CMDLINE,
		     opt.cmdline ? " " : "", opt.cmdline ? opt.cmdline : "") < 0)
		die("out of memory");
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

	/* Signals: the main thread waits; vCPU threads take SIGUSR1 kicks. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	main_thread = pthread_self();

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

	sigdelset(&set, SIGUSR1);
	do {
		sig = 0;
		sigwait(&set, &sig);
	} while (sig != SIGINT && sig != SIGTERM && sig != SIGUSR2);

	pthread_mutex_lock(&end_lock);
	if (end_status < 0)
		end_status = sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
	status = end_status;
	pthread_mutex_unlock(&end_lock);

	/* Kick every vCPU out of KVM_RUN, and keep it out. */
	stopping = 1;
	for (i = 0; i < opt.cpus; i++) {
		if (!vcpus[i].started)
			continue;
		__atomic_store_n(&vcpus[i].run->immediate_exit, 1,
				 __ATOMIC_SEQ_CST);
		pthread_kill(vcpus[i].thread, SIGUSR1);
	}
	for (i = 0; i < opt.cpus; i++)
		if (vcpus[i].started)
			pthread_join(vcpus[i].thread, NULL);
	restore_tty();
	if (status == EXIT_SIGINT || status == EXIT_SIGTERM)
		fprintf(stderr, "\nrvhv-run: %s: guest stopped\n",
			status == EXIT_SIGINT ? "SIGINT" : "SIGTERM");
	if (opt.stats)
		print_stats();

	for (i = 0; i < opt.cpus; i++) {
		munmap(vcpus[i].run, run_size);
		close(vcpus[i].fd);
	}
	close(vm_fd);
	close(dev_fd);
	munmap(ram, ram_size);
	return status;
}
