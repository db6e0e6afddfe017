// SPDX-License-Identifier: GPL-2.0
/*
 * bench: what a vCPU costs, measured by the guest with rdtime, for the
 * device in $RVHV_DEV (default /dev/rvhv).  Run under QEMU with
 * -icount shift=0 (tools/testbed/bench.sh), where one instruction is one
 * nanosecond of virtual time, so rdtime ticks convert to instructions:
 *
 *   null_sbi     an SBI call the hypervisor answers itself
 *                (BASE get_spec_version), guest to guest
 *   mmio_exit    a store to a GPA no memslot covers: exit to this
 *                program (KVM_EXIT_MMIO), back in with KVM_RUN
 *   ioeventfd    the same store to an address with an ioeventfd
 *                (KVM_IOEVENTFD, 4 bytes, no datamatch): the hypervisor
 *                signals the eventfd and resumes the guest, no exit
 *   irqfd_roundtrip  a store to an ioeventfd address wakes a VMM thread
 *                blocked on it, which writes the irqfd of the vCPU's
 *                external interrupt line; to the guest's handler (rvhv
 *                only, RVHV_CAP_IRQ_LINES: kvm.ko has no target for a GSI
 *                without an AIA device; n/a there)
 *   first_touch  the guest's first store to a 4 KiB page of a memslot
 *                the VMM has written (G-stage fault and mapping), one
 *                fault per page: rvhv with preloading off (rvhv.preload=0)
 *   seq_touch_64m  the guest's first stores to each 4 KiB page of 64 MiB
 *                the VMM has written, in order; per page (preloading on)
 *   seq_touch_64m_nopre  the same with preloading off (rvhv only; kvm.ko
 *                has no such switch, and measures the same as above)
 *   rand_touch_1g  first stores to 4096 pseudo-random pages of a 1 GiB
 *                slot whose every 16th page (only) the VMM has written;
 *                per page (the case where preloading could hurt)
 *   rand_touch_1g_nopre  the same with preloading off
 *   thp_touch_2m  the first store to each 2 MiB of 64 MiB of transparent
 *                huge pages the VMM has written (MADV_HUGEPAGE); per 2 MiB
 *   hugetlb_touch_2m  the same on 2 MiB hugetlbfs pages (MAP_HUGETLB)
 *   first_touch_alloc  the same on a page nobody has touched (the host
 *                allocates and clears the page as well)
 *   irqfd_aplic  irqfd_roundtrip with the irqfd on GSI 1, source 1
 *                (edge) of the in-kernel APLIC in rvhv's direct mode
 *                (RVHV_CAP_AIA_DIRECT, any host; n/a on kvm.ko), claimed
 *                at the IDC
 *   irqfd_aplic_msi  the same with the APLIC in MSI mode, to the vCPU's
 *                IMSIC (an AIA host), claimed through stopei (not on
 *                kvm.ko unless RVHV_BENCH_KVM_APLIC_MSI is set: it hung)
 *   ipi_roundtrip  two vCPUs of one VM (two threads, which share the
 *                host's one hart): hart 0 sends an SBI IPI to hart 1,
 *                asleep in WFI, which takes the interrupt in its trap
 *                handler and sends one back; hart 0 waits in WFI and takes
 *                it.  Per round trip.
 *   ipi_imsic_roundtrip  the same round trip with IMSIC MSIs (an AIA host,
 *                the in-kernel AIA device in MSI mode in its default mode,
 *                rvhv: emul, kvm.ko: auto): a store of identity 1 to the
 *                other vCPU's IMSIC page, taken as an S external interrupt
 *                and claimed through stopei; n/a without an AIA device
 *   ipi_imsic_hwaccel  the same with the device in hwaccel mode: each
 *                vCPU has a hardware guest file (n/a without them)
 *   timer_irq    the guest arms its timer for now by writing stimecmp
 *                (Sstc), to the first instruction of its trap handler
 *   timer_irq_sbi  the same, armed with SBI set_timer
 *   sbi_single16 16 null SBI calls, one ecall each
 *   sbi_batch16  the same 16 in one RVHV_SBI_BATCH call (rvhv only,
 *                RVHV_CAP_SBI_BATCH; n/a on kvm.ko)
 *   dirty_write_fault  the guest's first store to a page of a slot that
 *                logs dirty pages, after KVM_GET_DIRTY_LOG re-armed it
 *                (write-protect fault, logged, mapped writable)
 *   dirty_harvest_1g  KVM_GET_DIRTY_LOG of a 1 GiB slot (RVHV_BENCH_DIRTY_MB
 *                to change) with every 16th page dirty, timed by this
 *                program: per dirty page (scan, take, re-protect, fence,
 *                copy out); a "#" line gives the whole call and the one
 *                with nothing dirty
 *   dirty_ring_harvest_1g  the same pages through a dirty ring (rvhv
 *                only: kvm.ko 6.12 has none on riscv): read the entries,
 *                mark them, KVM_RESET_DIRTY_RINGS; per page
 *   vcpu_state_save  a migration's save of a stopped vCPU: KVM_GET_REG_LIST
 *                and KVM_GET_ONE_REG of every id it names, and
 *                KVM_GET_MP_STATE (vm_lib's vcpu_state_save()), timed by
 *                this program, per vCPU; a "#" line gives the count
 *   vcpu_state_restore  the same registers written into a fresh vCPU
 *                (KVM_SET_ONE_REG each, KVM_SET_MP_STATE), per vCPU
 *
 * Each is the median over ROUNDS runs of N operations, less the same
 * loop without the operation.  For scale, the host's null system call
 * (getppid) is timed too: the test kernel's debugging options (lockdep,
 * ...) make every kernel entry expensive.  Output, one line per
 * operation:
 *
 *   RVHV-BENCH <kvm|rvhv> <operation> <instructions per operation|n/a>
 *
 * The measurement runs in a child process, so a device that cannot run
 * guests yet (or crashes the program) gives "n/a" lines, not a failure.
 *
 * RVHV_BENCH_QUICK=1 (bench.sh passes it on) measures the exit rows only:
 * null_sbi, mmio_exit, sbi_single16, sbi_batch16, ipi_roundtrip and the
 * timer rows; the others print n/a.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "smp_lib.h"

#define ROUNDS		5
#define N_SBI		20000
#define N_MMIO		5000
#define N_TOUCH		2048
#define N_IPI		1000
#define N_TIMER		5000
#define N_SBI16		1000	/* times 16 calls */
#define N_IRQFD		500
#define DIRTY_STRIDE	16	/* pages: every 16th is dirtied */

enum {
	OP_SBI, OP_MMIO, OP_IOEVENTFD, OP_IRQFD, OP_IRQFD_APLIC,
	OP_IRQFD_APLIC_MSI, OP_TOUCH, OP_TOUCH_ALLOC, OP_IPI, OP_IMSIC_IPI,
	OP_IMSIC_IPI_HW, OP_TIMER, OP_TIMER_SBI, OP_SINGLE16, OP_BATCH16,
	OP_DIRTY_FAULT, OP_DIRTY_HARVEST, OP_DIRTY_RING, OP_STATE_SAVE,
	OP_STATE_RESTORE, OP_SEQ64, OP_SEQ64_OFF, OP_RAND1G, OP_RAND1G_OFF,
	OP_THP2M, OP_HUGETLB2M, NR_OPS
};
static const char *const op_names[NR_OPS] = {
	"null_sbi", "mmio_exit", "ioeventfd", "irqfd_roundtrip", "irqfd_aplic",
	"irqfd_aplic_msi", "first_touch", "first_touch_alloc",
	"ipi_roundtrip", "ipi_imsic_roundtrip", "ipi_imsic_hwaccel", "timer_irq",
	"timer_irq_sbi", "sbi_single16",
	"sbi_batch16", "dirty_write_fault", "dirty_harvest_1g",
	"dirty_ring_harvest_1g", "vcpu_state_save", "vcpu_state_restore",
	"seq_touch_64m", "seq_touch_64m_nopre", "rand_touch_1g",
	"rand_touch_1g_nopre", "thp_touch_2m", "hugetlb_touch_2m",
};

struct result {
	double insns[NR_OPS];	/* < 0: not measured */
	double loop_insns;	/* per iteration of the empty loop */
};

static double freq;		/* timebase, Hz */

/* RVHV_BENCH_QUICK: the exit rows only (see the top). */
static bool bench_quick(void)
{
	const char *q = getenv("RVHV_BENCH_QUICK");

	return q && *q && strcmp(q, "0");
}

static double ticks_to_insns(double ticks)
{
	return ticks * 1e9 / freq;	/* -icount shift=0: 1 insn = 1 ns */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Run a guest_bench_* program to its report; returns per-op instructions. */
static double run_one(struct vcpu *vcpu, uint64_t fn, unsigned long n,
		      unsigned long arg, double *loop)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	int r;

	vcpu_start(vcpu, fn, n, arg);
	for (;;) {
		r = vcpu_ucall_try(vcpu, &uc);
		if (r < 0)
			vcpu_fail(vcpu, "KVM_RUN: %s", strerror(-r));
		if (r == 0)
			break;
		/* MMIO exits of guest_bench_mmio: a store, nothing to do */
		if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write)
			vcpu_fail(vcpu, "unexpected exit");
	}
	if (uc.fid != UCALL_REPORT || uc.args[0] != 1)
		vcpu_fail(vcpu, "ucall %lu, want the report", uc.fid);
	if (loop)
		*loop = ticks_to_insns(uc.args[2]) / n;
	return ticks_to_insns((double)uc.args[1] - (double)uc.args[2]) / n;
}

/* The median over ROUNDS runs of fn on vcpu. */
static double rounds(struct vcpu *vcpu, uint64_t fn, unsigned long n,
		     unsigned long arg)
{
	double v[ROUNDS];
	int i;

	for (i = 0; i < ROUNDS; i++)
		v[i] = run_one(vcpu, fn, n, arg, NULL);
	return median(v, ROUNDS);
}

/*
 * guest_bench_mmio's store to an ioeventfd address: every store must be
 * signalled in the kernel (run_one fails on an exit only if it is not an
 * MMIO store, so count the signals).
 */
static void measure_ioeventfd(struct vm *vm, struct vcpu *vcpu,
			      struct result *res)
{
	const uint64_t addr = GUEST_MMIO_BASE + 0x1000;
	struct kvm_ioeventfd a = { .addr = addr, .len = 4 };
	double v[ROUNDS];
	uint64_t count;
	int i;

	a.fd = eventfd(0, EFD_CLOEXEC);
	if (a.fd < 0 || ioctl(vm->fd, KVM_IOEVENTFD, &a)) {
		printf("# ioeventfd: %s\n", strerror(errno));
		return;
	}
	for (i = 0; i < ROUNDS; i++) {
		v[i] = run_one(vcpu, GUEST_FN(guest_bench_mmio), N_MMIO, addr,
			       NULL);
		if (read(a.fd, &count, sizeof(count)) != sizeof(count) ||
		    count != N_MMIO)
			vm_fail("ioeventfd: %llu signals, want %d",
				(unsigned long long)count, N_MMIO);
	}
	res->insns[OP_IOEVENTFD] = median(v, ROUNDS);
	a.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
	ioctl(vm->fd, KVM_IOEVENTFD, &a);
	close(a.fd);
}

/* End an efd_relay_fn thread and close its eventfds. */
static void efd_relay_stop(struct efd_relay *t, pthread_t thr)
{
	uint64_t one = 1;

	t->stop = 1;
	if (write(t->kick, &one, sizeof(one)) != sizeof(one))
		vm_fail("write");
	pthread_join(thr, NULL);
	close(t->kick);
	close(t->irq);
}

static void measure_irqfd(struct result *res)
{
	const uint64_t addr = GUEST_MMIO_BASE + 0x2000;
	struct kvm_ioeventfd a = { .addr = addr, .len = 4 };
	struct kvm_irq_level low = { .irq = 0, .level = 0 };
	struct kvm_enable_cap cap = { .cap = RVHV_CAP_IRQ_LINES };
	struct kvm_irqfd irqfd = { .gsi = 0 };
	struct efd_relay t = { 0 };
	struct smp_vm s;
	double v[ROUNDS];
	struct ucall uc;
	pthread_t thr;
	int i, r;

	if (dev_is_kvm())
		return;
	smp_vm_create(&s, 1);
	cap.args[0] = 1;
	t.kick = a.fd = eventfd(0, EFD_CLOEXEC);
	t.irq = irqfd.fd = eventfd(0, EFD_CLOEXEC);
	if (ioctl(s.vm->fd, KVM_ENABLE_CAP, &cap) ||
	    ioctl(s.vm->fd, KVM_IOEVENTFD, &a) ||
	    ioctl(s.vm->fd, KVM_IRQFD, &irqfd))
		vm_fail("irqfd set-up: %s", strerror(errno));
	if (pthread_create(&thr, NULL, efd_relay_fn, &t))
		vm_fail("pthread_create");
	for (i = 0; i < ROUNDS; i++) {
		vcpu_start(s.vcpu[0], GUEST_FN(guest_bench_irqfd), N_IRQFD,
			   addr);
		for (;;) {
			r = vcpu_ucall_try(s.vcpu[0], &uc);
			if (r)
				vcpu_fail(s.vcpu[0], "KVM_RUN: %d", r);
			if (uc.fid != UCALL_SYNC)
				break;
			if (ioctl(s.vm->fd, KVM_IRQ_LINE, &low))
				vm_fail("KVM_IRQ_LINE: %s", strerror(errno));
		}
		if (uc.fid != UCALL_REPORT || uc.args[0] != 1)
			vcpu_fail(s.vcpu[0], "ucall %lu, want the report",
				  uc.fid);
		v[i] = ticks_to_insns((double)uc.args[1] -
				      (double)uc.args[2]) / N_IRQFD;
	}
	res->insns[OP_IRQFD] = median(v, ROUNDS);
	efd_relay_stop(&t, thr);
	smp_vm_free(&s);
}

static int aia_attr(int fd, uint32_t group, uint64_t attr, uint64_t val);

/* Where the APLIC and the IMSIC pages go (QEMU virt's S-level ones). */
#define BENCH_APLIC_BASE	0x0d000000UL
#define BENCH_IMSIC_BASE	0x28000000UL

/*
 * irqfd_aplic (@msi false: rvhv's direct mode) and irqfd_aplic_msi: a
 * one-vCPU VM with the AIA device, an ioeventfd the relay thread turns
 * into a write of the irqfd on GSI 1.  n/a where the device cannot be
 * made so.
 */
static void measure_irqfd_aplic(struct result *res, bool msi)
{
	const uint64_t addr = GUEST_MMIO_BASE + 0x2000;
	int op = msi ? OP_IRQFD_APLIC_MSI : OP_IRQFD_APLIC;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_RISCV_AIA };
	struct kvm_ioeventfd a = { .addr = addr, .len = 4 };
	struct kvm_irqfd irqfd = { .gsi = 1 };
	struct efd_relay t = { 0 };
	struct smp_vm s;
	pthread_t thr;
	int r;

	if (!msi && dev_is_kvm())
		return;		/* direct mode is rvhv's */
	if (msi && dev_is_kvm() && !getenv("RVHV_BENCH_KVM_APLIC_MSI")) {
		/*
		 * On QEMU 10's AIA host kvm.ko's vCPU never took the
		 * interrupt (with and without -icount), and ending the
		 * program then gave smp_call_function WARNINGs in kvm.ko;
		 * whose fault that is was not found.  Opt in to try.
		 */
		printf("# %s on /dev/kvm: not measured (hung; RVHV_BENCH_KVM_APLIC_MSI=1 tries)\n",
		       op_names[op]);
		return;
	}
	smp_vm_create(&s, 1);
	r = msi ? 0 : vm_enable_cap_try(s.vm, RVHV_CAP_AIA_DIRECT, 1);
	if (r)
		vm_fail("RVHV_CAP_AIA_DIRECT: %s", strerror(-r));
	if (ioctl(s.vm->fd, KVM_CREATE_DEVICE, &cd)) {
		printf("# %s: no AIA device: %s\n", op_names[op],
		       strerror(errno));
		goto out;
	}
	r = aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
		     KVM_DEV_RISCV_AIA_CONFIG_SRCS, 8) ?:
	    aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
		     KVM_DEV_RISCV_AIA_ADDR_APLIC, BENCH_APLIC_BASE);
	if (!r && msi)
		r = aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			     KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), BENCH_IMSIC_BASE);
	if (!r)
		r = aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
			     KVM_DEV_RISCV_AIA_CTRL_INIT, 0);
	if (r) {
		/* MSI mode needs Ssaia on the host. */
		printf("# %s: AIA device set-up: %s\n", op_names[op],
		       strerror(-r));
		close(cd.fd);
		goto out;
	}
	t.kick = a.fd = eventfd(0, EFD_CLOEXEC);
	t.irq = irqfd.fd = eventfd(0, EFD_CLOEXEC);
	if (ioctl(s.vm->fd, KVM_IOEVENTFD, &a) ||
	    ioctl(s.vm->fd, KVM_IRQFD, &irqfd))
		vm_fail("irqfd set-up: %s", strerror(errno));
	if (pthread_create(&thr, NULL, efd_relay_fn, &t))
		vm_fail("pthread_create");
	s.sh->arg[0] = BENCH_APLIC_BASE;
	s.sh->arg[1] = msi;
	res->insns[op] = rounds(s.vcpu[0], GUEST_FN(guest_bench_irqfd_aplic),
				N_IRQFD, addr);
	efd_relay_stop(&t, thr);
	close(cd.fd);
out:
	smp_vm_free(&s);
}

/* Two vCPUs, hart 1 in its own thread (started by the guest with HSM). */
static void measure_ipi(struct result *res)
{
	struct smp_vm s;

	smp_vm_create(&s, 2);
	smp_vm_start_secondaries(&s);
	res->insns[OP_IPI] = rounds(s.vcpu[0], GUEST_FN(guest_bench_ipi),
				    N_IPI, 0);
	smp_vm_free(&s);
}

static int aia_attr(int fd, uint32_t group, uint64_t attr, uint64_t val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr,
				     .addr = (uint64_t)(unsigned long)&val };

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) ? -errno : 0;
}

/*
 * ipi_round_trip through the IMSICs: two vCPUs and an AIA device in MSI
 * mode (no APLIC), in mode @want, or (-1) its default mode (rvhv: emul;
 * kvm.ko: auto, with hardware guest files where the host has them).
 * n/a without one, or when the mode is refused.
 * (Forcing kvm.ko into emul mode made its round trip hang on QEMU 10 with
 * -icount: not measured.)
 */
static void measure_imsic_ipi(struct result *res, int op, int want)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_RISCV_AIA };
	struct kvm_device_attr a = { .group = KVM_DEV_RISCV_AIA_GRP_CONFIG,
				     .attr = KVM_DEV_RISCV_AIA_CONFIG_MODE };
	uint32_t mode = ~0U;
	struct smp_vm s;

	smp_vm_create(&s, 2);
	if (ioctl(s.vm->fd, KVM_CREATE_DEVICE, &cd)) {
		printf("# %s: no AIA device: %s\n", op_names[op],
		       strerror(errno));
		smp_vm_free(&s);
		return;
	}
	if (want >= 0 && aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
				  KVM_DEV_RISCV_AIA_CONFIG_MODE, want)) {
		printf("# %s: AIA mode %d refused: %s\n", op_names[op], want,
		       strerror(errno));
		close(cd.fd);
		smp_vm_free(&s);
		return;
	}
	a.addr = (uint64_t)(unsigned long)&mode;
	if (ioctl(cd.fd, KVM_GET_DEVICE_ATTR, &a) ||
	    aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
		     KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, 1) ||
	    aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
		     KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), BENCH_IMSIC_BASE) ||
	    aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
		     KVM_DEV_RISCV_AIA_ADDR_IMSIC(1),
		     BENCH_IMSIC_BASE + 0x1000) ||
	    aia_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
		     KVM_DEV_RISCV_AIA_CTRL_INIT, 0))
		vm_fail("AIA device set-up: %s", strerror(errno));
	printf("# %s on %s: AIA mode %u (0 emul, 1 hwaccel, 2 auto)\n",
	       op_names[op], rvhv_dev_path(), mode);
	smp_vm_start_secondaries(&s);
	res->insns[op] = rounds(s.vcpu[0],
					  GUEST_FN(guest_bench_imsic_ipi),
					  N_IPI, BENCH_IMSIC_BASE);
	close(cd.fd);
	smp_vm_free(&s);
}

static void measure_timer(struct result *res)
{
	struct smp_vm s;

	smp_vm_create(&s, 1);
	if (vcpu_has_sstc(s.vcpu[0]))
		res->insns[OP_TIMER] = rounds(s.vcpu[0],
					      GUEST_FN(guest_bench_timer),
					      N_TIMER, TMODE_SSTC);
	res->insns[OP_TIMER_SBI] = rounds(s.vcpu[0],
					  GUEST_FN(guest_bench_timer),
					  N_TIMER, TMODE_SBI);
	smp_vm_free(&s);
}

/* Batches on a VM of their own, the only one with RVHV_CAP_SBI_BATCH. */
static void measure_batch(struct result *res)
{
	struct vm *vm;
	struct vcpu *vcpu;

	if (dev_is_kvm())
		return;
	vm = vm_create();
	if (vm_enable_cap_try(vm, RVHV_CAP_SBI_BATCH, 1))
		vm_fail("KVM_ENABLE_CAP(RVHV_CAP_SBI_BATCH): %s",
			strerror(errno));
	vcpu = vcpu_create(vm, 0);
	res->insns[OP_BATCH16] = rounds(vcpu, GUEST_FN(guest_bench_sbi16),
					N_SBI16, 1);
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * dirty_write_fault: a slot of N_TOUCH pages that logs, mapped writable by
 * a first pass; each round KVM_GET_DIRTY_LOG re-arms every page and the
 * guest's stores are timed.
 */
static void measure_dirty_fault(struct result *res)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	uint64_t *bm = calloc(N_TOUCH / 64, sizeof(uint64_t));
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bm };
	double v[ROUNDS];
	char *p;
	int i;

	p = vm_add_mem(vm, 1, GUEST_EXTRA, N_TOUCH * PAGE_SIZE_4K,
		       KVM_MEM_LOG_DIRTY_PAGES);
	memset(p, 0x5a, N_TOUCH * PAGE_SIZE_4K);
	run_one(vcpu, GUEST_FN(guest_bench_touch), N_TOUCH, GUEST_EXTRA, NULL);
	for (i = 0; i < ROUNDS; i++) {
		if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log))
			vm_fail("KVM_GET_DIRTY_LOG: %s", strerror(errno));
		v[i] = run_one(vcpu, GUEST_FN(guest_bench_touch), N_TOUCH,
			       GUEST_EXTRA, NULL);
	}
	res->insns[OP_DIRTY_FAULT] = median(v, ROUNDS);
	free(bm);
	vcpu_free(vcpu);
	vm_free(vm);
}

static double ns_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e9 + (t1.tv_nsec - t0->tv_nsec);
}

/*
 * A large slot that logs (untouched but for the pages the guest dirties,
 * so the host needs 1/16 of it), every 16th page written by the guest
 * before each harvest.  @ring: through a dirty ring instead of the bitmap.
 */
static void measure_dirty_harvest(struct result *res, bool ring)
{
	const char *env = getenv("RVHV_BENCH_DIRTY_MB");
	unsigned long mb = env ? strtoul(env, NULL, 0) : 1024;
	unsigned long size = mb << 20, npages = size / PAGE_SIZE_4K;
	unsigned long ndirty = npages / DIRTY_STRIDE, k, n;
	const uint64_t gpa = 0x100000000UL;
	const uint32_t ring_bytes = 1 << 20;
	struct kvm_dirty_log log = { .slot = 1 };
	struct kvm_dirty_gfn *gfns = NULL;
	double v[ROUNDS], clean = 0, whole = 0;
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL, .args = { ring_bytes },
	};
	uint32_t next = 0, flags;
	static volatile uint64_t sink;
	struct timespec t0;
	struct vcpu *vcpu;
	struct vm *vm;
	uint64_t *bm;
	void *mem;
	int i;

	if (!mb || (ring && ndirty > ring_bytes / 16 - 64))
		return;
	vm = vm_create();
	if (ring && (ioctl(vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_DIRTY_LOG_RING_ACQ_REL) <= 0 ||
		     ioctl(vm->fd, KVM_ENABLE_CAP, &cap))) {
		vm_free(vm);
		return;
	}
	vcpu = vcpu_create(vm, 0);
	if (ring) {
		gfns = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE,
			    MAP_SHARED, vcpu->fd,
			    RVHV_DIRTY_LOG_PAGE_OFFSET * PAGE_SIZE_4K);
		if (gfns == MAP_FAILED)
			vm_fail("mmap of the dirty ring: %s", strerror(errno));
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	bm = calloc(npages / 64 + 1, sizeof(uint64_t));
	if (mem == MAP_FAILED || !bm)
		vm_fail("no memory for a %lu MiB slot", mb);
	madvise(mem, size, MADV_NOHUGEPAGE);
	vm_set_region(vm, 1, KVM_MEM_LOG_DIRTY_PAGES, gpa, size, mem);
	log.dirty_bitmap = bm;
	for (i = 0; i < ROUNDS; i++) {
		run_one(vcpu, GUEST_FN(guest_bench_touch), ndirty,
			gpa | DIRTY_STRIDE, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (ring) {
			for (n = 0;; n++, next++) {
				struct kvm_dirty_gfn *e = &gfns[next % (ring_bytes / 16)];

				flags = __atomic_load_n(&e->flags,
							__ATOMIC_ACQUIRE);
				if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
					break;
				sink += e->offset;	/* as a VMM would */
				__atomic_store_n(&e->flags,
						 KVM_DIRTY_GFN_F_RESET,
						 __ATOMIC_RELEASE);
			}
			if (ioctl(vm->fd, KVM_RESET_DIRTY_RINGS, 0) != (long)n)
				vm_fail("KVM_RESET_DIRTY_RINGS: %s",
					strerror(errno));
		} else {
			if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log))
				vm_fail("KVM_GET_DIRTY_LOG: %s",
					strerror(errno));
			for (n = 0, k = 0; k < npages / 64; k++)
				n += __builtin_popcountll(bm[k]);
		}
		v[i] = ns_since(&t0);
		if (n != ndirty)
			vm_fail("harvest %d: %lu pages, want %lu", i, n, ndirty);
		whole += v[i] / ROUNDS;
		v[i] /= ndirty;
	}
	res->insns[ring ? OP_DIRTY_RING : OP_DIRTY_HARVEST] = median(v, ROUNDS);
	if (!ring) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log))
			vm_fail("KVM_GET_DIRTY_LOG: %s", strerror(errno));
		clean = ns_since(&t0);
	}
	printf("# %s on %s: %lu MiB slot, %lu of %lu pages dirty: %.0f insns a harvest",
	       op_names[ring ? OP_DIRTY_RING : OP_DIRTY_HARVEST],
	       rvhv_dev_path(), mb, ndirty, npages, whole);
	if (!ring)
		printf(", %.0f with nothing dirty", clean);
	printf("\n");
	free(bm);
	if (gfns)
		munmap(gfns, ring_bytes);
	vcpu_free(vcpu);
	vm_free(vm);
}

#define PRELOAD_PARAM	"/sys/module/rvhv/parameters/preload"

/* rvhv's preloading on or off (nothing on kvm.ko); false if it failed. */
static bool set_preload(bool on)
{
	return dev_is_kvm() || !rvhv_write_file(PRELOAD_PARAM, on ? "1" : "0");
}

/*
 * One first-touch round on a fresh slot 1 at @gpa over @mem (@size bytes,
 * populated by the caller): guest_bench_touch or guest_bench_touch_rand
 * (@fn) with @n and @arg; the slot is deleted after.
 */
static double touch_round(struct vm *vm, struct vcpu *vcpu, uint64_t fn,
			  uint64_t gpa, void *mem, uint64_t size,
			  unsigned long n, unsigned long arg)
{
	double v;

	vm_set_region(vm, 1, 0, gpa, size, mem);
	v = run_one(vcpu, fn, n, arg, NULL);
	vm_set_region(vm, 1, 0, gpa, 0, NULL);
	return v;
}

#define SEQ_BYTES	(64UL << 20)
#define RAND_BYTES	(1UL << 30)
#define RAND_STRIDE	16	/* pages: the VMM wrote every 16th */
#define N_RAND		4096
#define HUGE_BYTES	(64UL << 20)

/* Anonymous memory for a touch round, not backed by huge pages. */
static void *touch_mem(uint64_t size, unsigned long stride)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t off;

	if (p == MAP_FAILED)
		vm_fail("mmap %lu MiB: %s", (unsigned long)(size >> 20),
			strerror(errno));
	madvise(p, size, MADV_NOHUGEPAGE);
	for (off = 0; off < size; off += stride * PAGE_SIZE_4K)
		p[off] = 0x5a;
	return p;
}

/*
 * seq_touch_64m and rand_touch_1g, preloading on and off: each round
 * measures both, in alternating order, so that neither gains from going
 * second (warm host page tables and allocator lists).
 */
static void measure_touch_patterns(struct result *res)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	const uint64_t gpa = 0x100000000UL;
	double seq[2][ROUNDS], rnd[2][ROUNDS];
	int i, j, off;
	void *p;

	for (i = 0; i < ROUNDS; i++) {
		for (j = 0; j < 2; j++) {
			off = (i + j) & 1;
			if (!set_preload(!off))
				goto out;
			p = touch_mem(SEQ_BYTES, 1);
			seq[off][i] = touch_round(vm, vcpu,
						  GUEST_FN(guest_bench_touch),
						  gpa, p, SEQ_BYTES,
						  SEQ_BYTES / PAGE_SIZE_4K, gpa);
			munmap(p, SEQ_BYTES);
			p = touch_mem(RAND_BYTES, RAND_STRIDE);
			rnd[off][i] = touch_round(vm, vcpu,
						  GUEST_FN(guest_bench_touch_rand),
						  gpa, p, RAND_BYTES, N_RAND, gpa);
			munmap(p, RAND_BYTES);
		}
	}
	res->insns[OP_SEQ64] = median(seq[0], ROUNDS);
	res->insns[OP_SEQ64_OFF] = median(seq[1], ROUNDS);
	res->insns[OP_RAND1G] = median(rnd[0], ROUNDS);
	res->insns[OP_RAND1G_OFF] = median(rnd[1], ROUNDS);
out:
	set_preload(true);
	vcpu_free(vcpu);
	vm_free(vm);
}

/* thp_touch_2m and hugetlb_touch_2m: one store per 2 MiB. */
static void measure_huge_touch(struct result *res)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	unsigned long n = HUGE_BYTES >> 21, old = 0;
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	const uint64_t gpa = 0x100000000UL;
	const char *cur;
	double v[ROUNDS];
	char buf[32];
	long kb = 0;
	void *p;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		p = vm_alloc(HUGE_BYTES, 1UL << 21);
		madvise(p, HUGE_BYTES, MADV_HUGEPAGE);
		memset(p, 0x5a, HUGE_BYTES);
		kb = anon_huge_kb(p);
		v[i] = touch_round(vm, vcpu, GUEST_FN(guest_bench_touch), gpa,
				   p, HUGE_BYTES, n, gpa | 512);
		munmap(p, HUGE_BYTES);
	}
	res->insns[OP_THP2M] = median(v, ROUNDS);
	printf("# thp_touch_2m on %s: AnonHugePages %ld of %lu kB\n",
	       rvhv_dev_path(), kb, HUGE_BYTES >> 10);

	cur = rvhv_read_file(nr);
	if (cur)
		old = strtoul(cur, NULL, 0);
	snprintf(buf, sizeof(buf), "%lu", old + n);
	if (cur && !rvhv_write_file(nr, buf)) {
		for (i = 0; i < ROUNDS; i++) {
			p = mmap(NULL, HUGE_BYTES, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
				 -1, 0);
			if (p == MAP_FAILED)
				break;
			memset(p, 0x5a, HUGE_BYTES);
			v[i] = touch_round(vm, vcpu,
					   GUEST_FN(guest_bench_touch), gpa, p,
					   HUGE_BYTES, n, gpa | 512);
			munmap(p, HUGE_BYTES);
		}
		if (i == ROUNDS)
			res->insns[OP_HUGETLB2M] = median(v, ROUNDS);
		snprintf(buf, sizeof(buf), "%lu", old);
		rvhv_write_file(nr, buf);
	}
	vcpu_free(vcpu);
	vm_free(vm);
}

/* Saving and restoring a vCPU that ran, whole (Migration). */
static void measure_state(struct result *res)
{
	double save[ROUNDS], restore[ROUNDS];
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0), *fresh;
	struct vcpu_state st;
	struct timespec t0;
	int i, n = 0;

	run_one(vcpu, GUEST_FN(guest_bench_sbi), 10, 0, NULL);
	for (i = 0; i < ROUNDS; i++) {
		fresh = vcpu_create(vm, 1 + i);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		vcpu_state_save(vcpu, &st);
		save[i] = ns_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (vcpu_state_restore(fresh, &st))
			vm_fail("restoring a vCPU failed");
		restore[i] = ns_since(&t0);
		n = st.n;
		vcpu_state_free(&st);
		vcpu_free(fresh);
	}
	res->insns[OP_STATE_SAVE] = median(save, ROUNDS);
	res->insns[OP_STATE_RESTORE] = median(restore, ROUNDS);
	printf("# vcpu_state on %s: %d registers\n", rvhv_dev_path(), n);
	vcpu_free(vcpu);
	vm_free(vm);
}

static void measure(struct result *res)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	double v[ROUNDS], loops[ROUNDS];
	int i;

	freq = vcpu_get_reg(vcpu, RISCV_TIMER_REG(frequency));
	if (!freq)
		vm_fail("timebase frequency 0");

	for (i = 0; i < ROUNDS; i++)
		v[i] = run_one(vcpu, GUEST_FN(guest_bench_sbi), N_SBI, 0,
			       &loops[i]);
	res->insns[OP_SBI] = median(v, ROUNDS);
	res->loop_insns = median(loops, ROUNDS);

	for (i = 0; i < ROUNDS; i++)
		v[i] = run_one(vcpu, GUEST_FN(guest_bench_mmio), N_MMIO,
			       GUEST_MMIO_BASE, NULL);
	res->insns[OP_MMIO] = median(v, ROUNDS);

	if (bench_quick()) {
		res->insns[OP_SINGLE16] =
			rounds(vcpu, GUEST_FN(guest_bench_sbi16), N_SBI16, 0);
		measure_batch(res);
		measure_ipi(res);
		measure_timer(res);
		return;
	}
	measure_ioeventfd(vm, vcpu, res);

	/*
	 * A fresh memslot each round.  first_touch: the VMM has written the
	 * pages, so the guest's first store costs the G-stage fault and
	 * mapping only.  first_touch_alloc: nobody has touched them, so the
	 * host also allocates and clears each page.  Both without
	 * preloading, which would map most of these pages without a fault
	 * (seq_touch_64m measures that).
	 */
	set_preload(false);
	for (i = 0; i < ROUNDS; i++) {
		uint64_t gpa = GUEST_EXTRA + i * 0x1000000UL;
		char *p = vm_add_mem(vm, 1 + i, gpa, N_TOUCH * PAGE_SIZE_4K, 0);

		memset(p, 0x5a, N_TOUCH * PAGE_SIZE_4K);
		v[i] = run_one(vcpu, GUEST_FN(guest_bench_touch), N_TOUCH,
			       gpa, NULL);
	}
	res->insns[OP_TOUCH] = median(v, ROUNDS);
	for (i = 0; i < ROUNDS; i++) {
		uint64_t gpa = GUEST_EXTRA + (ROUNDS + i) * 0x1000000UL;

		vm_add_mem(vm, 1 + ROUNDS + i, gpa, N_TOUCH * PAGE_SIZE_4K, 0);
		v[i] = run_one(vcpu, GUEST_FN(guest_bench_touch), N_TOUCH,
			       gpa, NULL);
	}
	res->insns[OP_TOUCH_ALLOC] = median(v, ROUNDS);
	set_preload(true);

	res->insns[OP_SINGLE16] = rounds(vcpu, GUEST_FN(guest_bench_sbi16),
					 N_SBI16, 0);
	measure_batch(res);
	measure_ipi(res);
	measure_imsic_ipi(res, OP_IMSIC_IPI, -1);
	measure_imsic_ipi(res, OP_IMSIC_IPI_HW, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	measure_irqfd(res);
	measure_irqfd_aplic(res, false);
	measure_irqfd_aplic(res, true);
	measure_timer(res);
	measure_dirty_fault(res);
	measure_dirty_harvest(res, false);
	measure_dirty_harvest(res, true);
	measure_state(res);
	measure_touch_patterns(res);
	measure_huge_touch(res);
}

/* Host instructions per getppid(), from CLOCK_MONOTONIC (1 ns = 1 insn). */
static double host_syscall_insns(void)
{
	struct timespec t0, t1;
	int i, n = 20000;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 +
		(t1.tv_nsec - t0.tv_nsec)) / n;
}

int main(void)
{
	const char *name = dev_is_kvm() ? "kvm" : "rvhv";
	struct result res;
	int fds[2], status, i;
	ssize_t got = 0;
	pid_t pid;

	for (i = 0; i < NR_OPS; i++)
		res.insns[i] = -1;
	res.loop_insns = -1;
	if (pipe(fds))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		alarm(240);
		measure(&res);
		if (write(fds[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0) {
		got = read(fds[0], &res, sizeof(res));
		waitpid(pid, &status, 0);
	}
	if (pid < 0 || got != sizeof(res) || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("# bench on %s: no result (the measurement failed)\n",
		       rvhv_dev_path());
		for (i = 0; i < NR_OPS; i++)
			res.insns[i] = -1;
	}
	printf("# bench on %s: guest loop %.1f insns/iteration (want 3), host getppid() %.0f insns\n",
	       rvhv_dev_path(), res.loop_insns, host_syscall_insns());
	for (i = 0; i < NR_OPS; i++) {
		if (res.insns[i] < 0)
			printf("RVHV-BENCH %s %s n/a\n", name, op_names[i]);
		else
			printf("RVHV-BENCH %s %s %.0f\n", name, op_names[i],
			       res.insns[i]);
	}
	return 0;
}
