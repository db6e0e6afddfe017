/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv-run's internal interface, shared by its files:
 *
 *   main.c     options, the VM's setup and end, the main thread
 *   vcpu.c     the vCPU threads: KVM_RUN and its exits, --stats
 *   loader.c   the kernel (Image, ELF, flat) and initrd in guest memory
 *   fdt.c      the device tree
 *   console.c  the SBI console (DBCN, legacy, rvhv's coalesced output)
 *   plic.c     the PLIC (userspace) and the harts' external interrupt lines
 *   aplic.c    --irqchip=aplic: rvhv's in-kernel APLIC (direct mode)
 *   gdb.c      --gdb: the GDB remote protocol stub; stops and resumes
 *              the vCPU threads (gva.c: guest virtual addresses, step.c:
 *              where an instruction goes next)
 *   virtio.c   virtio-mmio transport, split virtqueues, device threads
 *   virtio-blk.c, virtio-console.c   the devices behind it
 *   stats-report.c   the stats fds (held for rvhv-stat), --stats-report
 *   migrate.c  --save, --restore, --migrate-to, --incoming: the stream,
 *              stopping the VM, pre-copy with the dirty log or ring
 *
 * Threads: the main thread sets everything up, starts one thread per
 * virtio device and one per vCPU, then only waits for the end (a signal,
 * or vm_end()).  What the
 * threads share is declared below with the lock that protects it; what
 * has no lock is written by the main thread before the vCPU threads
 * start and only read afterwards.
 */
#ifndef RVHV_RUN_H
#define RVHV_RUN_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include <linux/kvm.h>
#include <linux/rvhv.h>

#define RAM_BASE		0x80000000UL
#define SZ_2M			0x200000UL
#define SZ_4K			0x1000UL
#define MEM_MIN_MB		16UL
#define MEM_MAX_MB		(1UL << 20)	/* 1 TiB: far above any test */
#define CPUS_MAX		64
#define FDT_SIZE		0x10000

/* Devices, where QEMU's virt machine has them. */
#define PLIC_BASE		0x0c000000UL
#define PLIC_NDEV		31		/* sources 1..31 */
/*
 * --irqchip=aplic: the in-kernel APLIC (KVM_DEV_TYPE_RISCV_AIA in rvhv's
 * direct mode) at QEMU virt's APLIC-S address; its window is the domain's
 * 0x4000 bytes of registers, then an IDC of 32 bytes per possible hart
 * index (rvhv has 64: Documentation/rvhv.rst, "In-kernel AIA").
 */
#define APLIC_BASE		0x0d000000UL
#define APLIC_SIZE		(0x4000UL + 64 * 32)
#define VIRTIO_BASE		0x10001000UL
#define VIRTIO_SIZE		0x1000UL
#define VIRTIO_MAX		8		/* devices; sources 1..8 */
#define VIRTQ_MAX		256		/* queue size offered */
#define VIRTIO_QUEUES_MAX	2
#define VIRTIO_CONFIG_MAX	64		/* device configuration bytes */

/* Device tree phandles: hart n's interrupt controller, the PLIC, APLIC. */
#define CPU_INTC_PHANDLE(n)	((n) + 1)
#define PLIC_PHANDLE		(CPUS_MAX + 1)
#define APLIC_PHANDLE		(CPUS_MAX + 2)

/*
 * The vCPU threads' kick (main.c, vcpu.c): a real-time signal, so SIGUSR1
 * is free for --save and --migrate-to.
 */
#define KICK_SIGNAL		SIGRTMIN
#define DIRTY_RING_DEFAULT	4096	/* --dirty-ring entries per vCPU */

#define EXIT_SHUTDOWN		0
#define EXIT_RESET		1
#define EXIT_OTHER_EVENT	2
#define EXIT_ERROR		3
#define EXIT_SIGINT		130
#define EXIT_GDB_KILL		137	/* the debugger's k */
#define EXIT_SIGTERM		143

#define DEFAULT_CMDLINE		"console=hvc0 earlycon=sbi"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

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

/* Exit reasons counted per vCPU for --stats. */
enum vcpu_stat {
	ST_SBI_DBCN, ST_SBI_PUTCHAR, ST_SBI_GETCHAR, ST_SBI_COALESCED,
	ST_SBI_OTHER, ST_INTR, ST_SYSTEM_EVENT, ST_MMIO, ST_CSR, ST_DEBUG,
	ST_OTHER, ST_EINTR, ST_NR
};

/*
 * One vCPU.  Set up by the main thread; then @stats and the run area are
 * its thread's alone (the main thread reads @stats after joining it).
 */
struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	unsigned long stats[ST_NR];
};

/* --irqchip: who delivers the devices' interrupts. */
enum irqchip {
	IRQCHIP_PLIC,		/* rvhv-run's userspace PLIC (plic.c) */
	IRQCHIP_APLIC,		/* in-kernel APLIC, direct mode (aplic.c) */
};

/* The command line, parsed before anything else (main.c). */
struct options {
	const char *kernel, *initrd, *cmdline, *dev, *mark;
	const char *gdb;		/* --gdb PORT or PATH, or NULL */
	const char *disks[VIRTIO_MAX];
	int nr_disks;
	bool vcons;			/* --virtio-console */
	const char *vcons_file;		/* its output, or NULL: stdout */
	unsigned long mem_mb;
	int cpus;
	enum irqchip irqchip;
	bool stats, no_dbcn, no_ioeventfd, no_irqfd, stats_report;
	/* migrate.c: --save FILE, --restore FILE, unix:PATH, ring entries */
	const char *save, *restore, *migrate_to, *incoming;
	unsigned int dirty_ring;
};

extern struct options opt;
extern int dev_fd, vm_fd;
extern long run_size;			/* of each vCPU's mmap */
extern uint8_t *ram;			/* guest RAM at RAM_BASE */
extern unsigned long ram_size;
extern struct vcpu vcpus[CPUS_MAX];
extern bool coalesce;			/* RVHV_CAP_CONSOLE_COALESCE is on */
extern volatile sig_atomic_t stopping;	/* the VM is ending */

/* Serialises the VMM's output (console and messages) and --stats timing. */
extern pthread_mutex_t out_lock;
/* Seconds since the first KVM_RUN (t_start, set before it). */
extern double t_start;
extern double t_first_out, t_mark;	/* under out_lock; -1: not yet */

/* main.c */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void vm_end(int status);
unsigned long parse_num(const char *s, const char *what, unsigned long min,
			unsigned long max);
double now(void);
void *gpa_ptr(uint64_t gpa, uint64_t len);

static inline uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* vcpu.c */
int get_reg(int fd, uint64_t id, uint64_t *val);
int set_reg(int fd, uint64_t id, uint64_t val);
void vcpu_fail(struct vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void *vcpu_thread(void *arg);
/*
 * Push every started vCPU thread out of KVM_RUN (KICK_SIGNAL) and keep it out
 * (immediate_exit, until its thread clears it): the end, a debugger stop.
 */
void kick_vcpus(void);
void print_stats(void);

/* loader.c */
struct image {
	uint64_t entry;		/* guest physical */
	uint64_t end;		/* first byte above everything loaded */
	const char *kind;
};

uint8_t *read_file(const char *path, size_t *size, const char *what);
void copy_in(uint64_t gpa, const void *src, uint64_t len, uint64_t memsz,
	     const char *what);
void load_kernel(const char *path, struct image *img);

/* fdt.c */
#define FDT(call) do {							\
	int __r = (call);						\
	if (__r < 0)							\
		die("building the device tree: %s: %s", #call,		\
		    fdt_strerror(__r));					\
} while (0)

void build_fdt(void *fdt, const char *cmdline, uint64_t initrd_start,
	       uint64_t initrd_end);

/* console.c */
void setup_tty(void);
void restore_tty(void);
void console_out(const void *buf, size_t len);
size_t console_in(void *buf, size_t len);
void handle_sbi(struct vcpu *v);

/* plic.c */
void plic_init(void);
void plic_exit(void);
void plic_set_level(unsigned int src, bool level);
bool plic_mmio(struct kvm_run *run);
uint64_t plic_size(void);
void plic_fdt(void *fdt);
void plic_stats(void);

/* aplic.c */
void aplic_check(void);
void aplic_init(void);
void aplic_fdt(void *fdt);
void aplic_fdt_irq(void *fdt, unsigned int src);
void aplic_stats(void);

/*
 * gdb.c: gdb_init() once the vCPUs exist, gdb_start() once their threads
 * do; the vCPU threads call gdb_vcpu_pause() before a KVM_RUN when the
 * last one had nothing left to complete (false: the VM ends) and
 * gdb_debug_exit() for KVM_EXIT_DEBUG; main.c calls gdb_end() when the
 * VM ends, before joining the vCPU threads, gdb_exit() after.
 */
void gdb_init(const char *arg);
void gdb_start(void);
bool gdb_vcpu_pause(struct vcpu *v);
void gdb_debug_exit(struct vcpu *v);
void gdb_end(int status);
void gdb_exit(void);

/* gva.c: guest virtual to guest physical through satp; 0 or -1 */
int gva_translate(uint64_t satp, uint64_t gva, uint64_t *gpa, uint64_t *left);

/* step.c: the pc after the instruction at pc (registers x, sepc) */
uint64_t insn_next_pc(uint32_t insn, uint64_t pc, const uint64_t x[32],
		      uint64_t sepc);

/* virtio.c */
struct vring_desc;
struct vring_avail;
struct vring_used;

/* A split virtqueue, as the driver set it up (under its device's lock). */
struct virtq {
	uint32_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* While ready: the rings in guest RAM, checked, and our indexes. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail, used_idx;
};

/* One descriptor chain: its readable buffers, then its writable ones. */
struct chain {
	uint16_t head;
	unsigned int nr, nw;
	size_t rlen, wlen;
	struct iovec r[VIRTQ_MAX], w[VIRTQ_MAX];
};

struct virtio_dev;

/* A device type behind the transport. */
struct virtio_backend {
	const char *name;
	uint32_t device_id;
	uint64_t features;		/* its own; VERSION_1 is added */
	unsigned int num_queues;	/* at most VIRTIO_QUEUES_MAX */
	unsigned int skip_queues;	/* bit n: queue n is not served */
	/* Its configuration space into buf; returns its length. */
	size_t (*config)(struct virtio_dev *d, uint8_t *buf, size_t size);
	/*
	 * One chain of queue q; *written: bytes written into its writable
	 * buffers.  False if the chain breaks the device's rules.
	 */
	bool (*request)(struct virtio_dev *d, unsigned int q,
			const struct chain *c, uint32_t *written);
	void (*reset)(struct virtio_dev *d);
	void (*exit)(struct virtio_dev *d);
};

/*
 * A virtio-mmio device.  Its registers are reached from the vCPU threads
 * (MMIO exits), its queues served by its own thread: @lock covers all of
 * it but what the main thread set before the threads started (@ops,
 * @priv's setup, @index, @base, @irq, @notify_fd, @ioeventfd, @irq_fd,
 * @resample_fd).  The PLIC's lock nests inside it.
 */
struct virtio_dev {
	const struct virtio_backend *ops;
	void *priv;
	int index;
	uint64_t base;
	unsigned int irq;		/* PLIC or APLIC source (= GSI) */
	int notify_fd;			/* QueueNotify's eventfd */
	bool ioeventfd;			/* ... registered with KVM_IOEVENTFD */
	int irq_fd, resample_fd;	/* APLIC: resampling irqfd, or -1 */
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	uint32_t status, isr;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t driver_features;
	bool warned;			/* one complaint until a reset */
	struct virtq vq[VIRTIO_QUEUES_MAX];
	struct chain chain;		/* the device thread's scratch */
	/* --stats; notifies: eventfd counts (the others' signals too) */
	unsigned long notifies, notifies_mmio, kicks, requests, interrupts;
	/*
	 * APLIC: @raised: the source's input may be high in the kernel (we
	 * wrote the irqfd since the last resample or lowering); --stats:
	 * irqfd writes, resample wake-ups, irqfd writes they caused, and
	 * KVM_IRQ_LINE lowerings.
	 */
	bool raised;
	unsigned long irqfd_signals, resamples, reraises, lowers;
};

extern struct virtio_dev *virtio_devs[VIRTIO_MAX];
extern int virtio_nr;

struct virtio_dev *virtio_add(const struct virtio_backend *ops, void *priv);
bool virtio_mmio(struct kvm_run *run);
void virtio_start(void);
void virtio_stop(void);
void virtio_free(void);
void virtio_fdt(void *fdt);
void virtio_stats(void);
size_t iov_copy_from(const struct iovec *iov, unsigned int n, size_t skip,
		     void *dst, size_t len);
size_t iov_copy_to(const struct iovec *iov, unsigned int n, size_t skip,
		   const void *src, size_t len);
unsigned int iov_range(const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len, struct iovec *out);
struct iovec *iov_advance(struct iovec *iov, unsigned int *n, size_t done);

/*
 * stats-report.c: open the stats fds after the vCPUs exist; print the
 * report (--stats-report) and close them after the vCPU threads ended.
 */
void stats_fds_open(void);
void stats_report_print(void);

/* virtio-blk.c, virtio-console.c: open before the VM is made */
void virtio_blk_add(const char *path);
void virtio_console_add(const char *path);

/*
 * migrate.c.  A section's payload being written (mig_put*) or read
 * (mig_get*: past the end sets @bad and reads zeros).
 */
struct mig_buf {
	uint8_t *p;
	size_t len, cap;
};

struct mig_rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

void mig_put(struct mig_buf *b, const void *p, size_t n);
void mig_put32(struct mig_buf *b, uint32_t v);
void mig_put64(struct mig_buf *b, uint64_t v);
bool mig_get(struct mig_rd *r, void *p, size_t n);
uint32_t mig_get32(struct mig_rd *r);
uint64_t mig_get64(struct mig_rd *r);

/*
 * In main.c's order: migrate_check_opts() after the options;
 * migrate_incoming_open() (--restore, --incoming: the header and CONFIG,
 * which set opt.mem_mb, .cpus, .irqchip) before anything else;
 * migrate_before_vcpus() once the VM exists; migrate_vcpu_created() for
 * each vCPU; migrate_incoming_load() (the rest of the stream) once the
 * vCPUs and devices exist; migrate_started() once their threads run.
 * The main thread calls migrate_out() on SIGUSR1 (true: the VM moved,
 * end it) and migrate_end() when the VM ends.  The vCPU threads call
 * migrate_vcpu_pause() before a KVM_RUN that has nothing to complete
 * (false: the VM ends), migrate_vcpu_exit() when they end, and
 * migrate_ring_full() on KVM_EXIT_DIRTY_RING_FULL.  Whoever writes guest
 * RAM in rvhv-run calls migrate_dirty_host() after.
 */
void migrate_check_opts(void);
void migrate_incoming_open(void);
void migrate_before_vcpus(void);
void migrate_vcpu_created(struct vcpu *v);
void migrate_incoming_load(void);
void migrate_started(void);
bool migrate_out(void);
void migrate_end(void);
bool migrate_vcpu_pause(struct vcpu *v);
void migrate_vcpu_exit(void);
void migrate_ring_full(struct vcpu *v);
void migrate_dirty_host(const void *p, size_t len);
void migrate_request(void);

/* plic.c, virtio.c: their state in a stream; load: false if malformed */
void plic_save(struct mig_buf *b);
bool plic_load(struct mig_rd *r);
void virtio_save(struct virtio_dev *d, struct mig_buf *b);
bool virtio_load(struct mig_rd *r);
void virtio_kick(struct virtio_dev *d);

#endif /* RVHV_RUN_H */
