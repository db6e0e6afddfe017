// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: a PLIC in userspace ("sifive,plic-1.0.0", the RISC-V PLIC
 * specification), and the harts' external interrupt lines it drives.
 *
 * One S-mode context per hart: context n is hart n's, its line vCPU n's
 * VS-level external interrupt.  Sources 1..PLIC_NDEV are level-triggered:
 * a device sets its source's level (plic_set_level()); a source whose level
 * is high is pending unless it is claimed, and a level that drops takes the
 * pending bit with it (as QEMU's PLIC does: no spurious claim of a device
 * that already has nothing to say).  A claim takes the best pending source
 * enabled for the context (highest priority above the threshold; lowest id
 * first) off pending until its complete; after the complete a level still
 * high makes it pending again.  Priorities and thresholds are 0..7.
 *
 * Each change re-evaluates every context's line and drives only the ones
 * that changed:
 *   - with RVHV_CAP_IRQ_LINES (rvhv): raised by writing vCPU n's irqfd
 *     (KVM_IRQFD gsi n), lowered by KVM_IRQ_LINE (irq n, level 0);
 *   - without it (kvm.ko): KVM_INTERRUPT_SET / _UNSET on vCPU n's fd,
 *     which does not wait for a running KVM_RUN on either device.
 * The device threads raise lines (an interrupt), the vCPU threads lower
 * them (the guest's claim, its acknowledge to the device) or raise them
 * again (a complete while the device still has something to say).
 *
 * The registers are reached by MMIO exits on the vCPU threads; only
 * naturally aligned 4-byte accesses do anything (others read 0, writes
 * are ignored), as the PLIC specification allows.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libfdt.h>

#include "rvhv-run.h"

#define PLIC_PRIO_MAX		7
#define PLIC_PENDING		0x1000
#define PLIC_ENABLE		0x2000
#define PLIC_ENABLE_STRIDE	0x80
#define PLIC_CONTEXT		0x200000
#define PLIC_CONTEXT_STRIDE	0x1000
#define PLIC_SOURCES		(((1ULL << (PLIC_NDEV + 1)) - 1) & ~1ULL)

static struct {
	/* Everything below; taken after a device's lock, never before. */
	pthread_mutex_t lock;
	uint32_t prio[PLIC_NDEV + 1];
	uint32_t level;			/* bit n: source n's device asserts it */
	uint32_t pending;
	uint32_t claimed;		/* claimed, not yet completed */
	uint32_t enable[CPUS_MAX];
	uint32_t threshold[CPUS_MAX];
	bool line[CPUS_MAX];		/* each context's line as last driven */
	unsigned long raised, lowered, claims;	/* --stats */
	bool failed;
} plic = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Set by plic_init(), before any vCPU or device thread runs. */
static bool use_irq_lines;
static int irqfd[CPUS_MAX];

/*
 * Enable the lines for a VM with devices: RVHV_CAP_IRQ_LINES and one irqfd
 * per vCPU where the device has them, else KVM_INTERRUPT.
 */
void plic_init(void)
{
	struct kvm_enable_cap cap = { .cap = RVHV_CAP_IRQ_LINES, .args = { 1 } };
	int i;

	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, RVHV_CAP_IRQ_LINES) <= 0 ||
	    opt.no_irqfd)
		return;
	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap))
		die("KVM_ENABLE_CAP RVHV_CAP_IRQ_LINES: %s", strerror(errno));
	for (i = 0; i < opt.cpus; i++) {
		struct kvm_irqfd req = { .gsi = i };

		irqfd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (irqfd[i] < 0)
			die("eventfd: %s", strerror(errno));
		req.fd = irqfd[i];
		if (ioctl(vm_fd, KVM_IRQFD, &req))
			die("KVM_IRQFD gsi %d: %s", i, strerror(errno));
	}
	use_irq_lines = true;
}

void plic_exit(void)
{
	int i;

	if (!use_irq_lines)
		return;
	for (i = 0; i < opt.cpus; i++)
		close(irqfd[i]);
}

/* Drive context ctx's line (under plic.lock). */
static void set_line(int ctx, bool level)
{
	struct kvm_interrupt irq = {
		.irq = level ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET,
	};
	struct kvm_irq_level line = { .irq = ctx, .level = 0 };
	uint64_t one = 1;
	const char *what;
	int r;

	if (use_irq_lines && level) {
		what = "write to the irqfd";
		r = write(irqfd[ctx], &one, sizeof(one)) == sizeof(one) ? 0 : -1;
	} else if (use_irq_lines) {
		what = "KVM_IRQ_LINE";
		r = ioctl(vm_fd, KVM_IRQ_LINE, &line);
	} else {
		what = "KVM_INTERRUPT";
		r = ioctl(vcpus[ctx].fd, KVM_INTERRUPT, &irq);
	}
	if (r) {
		/* Once: the VM is ending anyway. */
		if (!plic.failed) {
			plic.failed = true;
			pthread_mutex_lock(&out_lock);
			fprintf(stderr, "\nrvhv-run: plic: %s of hart %d's "
				"line: %s\n", what, ctx, strerror(errno));
			pthread_mutex_unlock(&out_lock);
			vm_end(EXIT_ERROR);
		}
		return;
	}
	plic.line[ctx] = level;
	if (level)
		plic.raised++;
	else
		plic.lowered++;
}

/* The source context ctx would claim now, or 0 (under plic.lock). */
static unsigned int best(int ctx)
{
	uint32_t cand = plic.pending & plic.enable[ctx];
	unsigned int src, id = 0, prio = plic.threshold[ctx];

	for (src = 1; src <= PLIC_NDEV; src++)
		if ((cand & (1U << src)) && plic.prio[src] > prio) {
			prio = plic.prio[src];
			id = src;
		}
	return id;
}

/* Bring every context's line in line with the state (under plic.lock). */
static void update(void)
{
	int ctx;

	for (ctx = 0; ctx < opt.cpus; ctx++) {
		bool want = best(ctx) != 0;

		if (want != plic.line[ctx])
			set_line(ctx, want);
	}
}

/* Source src's device asserts (level true) or withdraws its interrupt. */
void plic_set_level(unsigned int src, bool level)
{
	uint32_t bit = 1U << src;

	if (!src || src > PLIC_NDEV)
		return;
	pthread_mutex_lock(&plic.lock);
	if (level) {
		plic.level |= bit;
		if (!(plic.claimed & bit))
			plic.pending |= bit;
	} else {
		plic.level &= ~bit;
		plic.pending &= ~bit;
	}
	update();
	pthread_mutex_unlock(&plic.lock);
}

static uint32_t claim(int ctx)
{
	unsigned int id = best(ctx);

	if (id) {
		plic.pending &= ~(1U << id);
		plic.claimed |= 1U << id;
		plic.claims++;
		update();
	}
	return id;
}

static void complete(int ctx, uint32_t id)
{
	uint32_t bit;

	/* An id not claimed, or not enabled for the context: ignored. */
	if (!id || id > PLIC_NDEV)
		return;
	bit = 1U << id;
	if (!(plic.claimed & bit) || !(plic.enable[ctx] & bit))
		return;
	plic.claimed &= ~bit;
	if (plic.level & bit)
		plic.pending |= bit;
	update();
}

/* A 4-byte access at off; *val is read or written (under plic.lock). */
static void access_reg(uint64_t off, bool write, uint32_t *val)
{
	uint64_t ctx;

	if (off < PLIC_PENDING) {
		uint64_t src = off / 4;

		if (!src || src > PLIC_NDEV) {
			*val = 0;
		} else if (write) {
			plic.prio[src] = *val & PLIC_PRIO_MAX;
			update();
		} else {
			*val = plic.prio[src];
		}
	} else if (off < PLIC_ENABLE) {
		if (!write)
			*val = off == PLIC_PENDING ? plic.pending : 0;
	} else if (off < PLIC_CONTEXT) {
		ctx = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
		if (ctx >= (uint64_t)opt.cpus ||
		    (off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) {
			if (!write)
				*val = 0;
		} else if (write) {
			plic.enable[ctx] = *val & PLIC_SOURCES;
			update();
		} else {
			*val = plic.enable[ctx];
		}
	} else {
		ctx = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
		off = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
		if (ctx >= (uint64_t)opt.cpus || off > 4) {
			if (!write)
				*val = 0;
		} else if (off == 0 && write) {
			plic.threshold[ctx] = *val & PLIC_PRIO_MAX;
			update();
		} else if (off == 0) {
			*val = plic.threshold[ctx];
		} else if (write) {
			complete(ctx, *val);
		} else {
			*val = claim(ctx);
		}
	}
}

/* An MMIO exit at gpa: false if it is not the PLIC's. */
bool plic_mmio(struct kvm_run *run)
{
	uint64_t off = run->mmio.phys_addr - PLIC_BASE;
	uint32_t val = 0;

	if (opt.irqchip != IRQCHIP_PLIC || run->mmio.phys_addr < PLIC_BASE ||
	    off >= plic_size())
		return false;
	if (run->mmio.len != 4 || off % 4) {
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
		return true;
	}
	if (run->mmio.is_write)
		memcpy(&val, run->mmio.data, 4);
	pthread_mutex_lock(&plic.lock);
	access_reg(off, run->mmio.is_write, &val);
	pthread_mutex_unlock(&plic.lock);
	if (!run->mmio.is_write) {
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		memcpy(run->mmio.data, &val, 4);
	}
	return true;
}

uint64_t plic_size(void)
{
	return PLIC_CONTEXT + (uint64_t)opt.cpus * PLIC_CONTEXT_STRIDE;
}

/* The PLIC's node, in the soc node; phandle PLIC_PHANDLE. */
void plic_fdt(void *fdt)
{
	static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	fdt32_t irqs[CPUS_MAX * 2];
	fdt64_t reg[2] = { cpu_to_fdt64(PLIC_BASE), cpu_to_fdt64(plic_size()) };
	char name[32];
	int i;

	for (i = 0; i < opt.cpus; i++) {
		irqs[2 * i] = cpu_to_fdt32(CPU_INTC_PHANDLE(i));
		irqs[2 * i + 1] = cpu_to_fdt32(9);	/* S-mode external */
	}
	snprintf(name, sizeof(name), "plic@%lx", PLIC_BASE);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	FDT(fdt_property_u32(fdt, "#address-cells", 0));
	FDT(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT(fdt_property(fdt, "reg", reg, sizeof(reg)));
	FDT(fdt_property_u32(fdt, "riscv,ndev", PLIC_NDEV));
	FDT(fdt_property(fdt, "interrupts-extended", irqs,
			 opt.cpus * 2 * sizeof(irqs[0])));
	FDT(fdt_property_u32(fdt, "phandle", PLIC_PHANDLE));
	FDT(fdt_end_node(fdt));
}

/* Its state, for migrate.c (no lines driven while it is saved). */
void plic_save(struct mig_buf *b)
{
	int i;

	pthread_mutex_lock(&plic.lock);
	mig_put(b, plic.prio, sizeof(plic.prio));
	mig_put32(b, plic.level);
	mig_put32(b, plic.pending);
	mig_put32(b, plic.claimed);
	mig_put32(b, opt.cpus);
	for (i = 0; i < opt.cpus; i++) {
		mig_put32(b, plic.enable[i]);
		mig_put32(b, plic.threshold[i]);
	}
	pthread_mutex_unlock(&plic.lock);
}

/*
 * A saved state, after plic_init(), before the vCPUs run: the lines are
 * driven from it (the vCPUs' own state holds what reached them).
 */
bool plic_load(struct mig_rd *r)
{
	int i;

	pthread_mutex_lock(&plic.lock);
	mig_get(r, plic.prio, sizeof(plic.prio));
	plic.level = mig_get32(r) & PLIC_SOURCES;
	plic.pending = mig_get32(r) & PLIC_SOURCES;
	plic.claimed = mig_get32(r) & PLIC_SOURCES;
	if (mig_get32(r) != (uint32_t)opt.cpus)
		r->bad = true;
	for (i = 0; i < opt.cpus && !r->bad; i++) {
		plic.enable[i] = mig_get32(r) & PLIC_SOURCES;
		plic.threshold[i] = mig_get32(r) & PLIC_PRIO_MAX;
	}
	for (i = 0; i <= PLIC_NDEV; i++)
		plic.prio[i] &= PLIC_PRIO_MAX;
	if (!r->bad)
		update();
	pthread_mutex_unlock(&plic.lock);
	return !r->bad;
}

void plic_stats(void)
{
	fprintf(stderr, "rvhv-run: stats: plic: lines by %s: raised %lu, "
		"lowered %lu; claims %lu\n",
		use_irq_lines ? "irqfd/KVM_IRQ_LINE" : "KVM_INTERRUPT",
		plic.raised, plic.lowered, plic.claims);
}
