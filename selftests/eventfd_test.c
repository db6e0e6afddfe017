// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: registration rules and errnos (virt/kvm/eventfd.c's),
 * guest stores that signal an eventfd without an exit to the VMM,
 * datamatch and any-length registrations, deassign while a vCPU hammers
 * the address, and closing eventfds, vCPUs and the VM in every order.
 * KVM_IRQFD, KVM_IRQ_LINE(_STATUS), KVM_SET_GSI_ROUTING and KVM_SIGNAL_MSI
 * without an irqchip (as kvm.ko), and with rvhv's RVHV_CAP_IRQ_LINES
 * (GSI n = vCPU n's external interrupt line; rvhv only).  Held to kvm.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "smp_lib.h"

#define EFD_ADDR	(GUEST_MMIO_BASE + 0x40)
/* Undocumented in the uapi header, valid to kvm.ko: "fast MMIO". */
#define FLAG_FAST_MMIO	(1U << 4)

static int ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = flags,
	};

	return ioctl(vm->fd, KVM_IOEVENTFD, &a) ? -errno : 0;
}

static int irqfd(struct vm *vm, int fd, uint32_t gsi, uint32_t flags,
		 int resamplefd)
{
	struct kvm_irqfd a = {
		.fd = fd,
		.gsi = gsi,
		.flags = flags,
		.resamplefd = resamplefd,
	};

	return ioctl(vm->fd, KVM_IRQFD, &a) ? -errno : 0;
}

/* KVM_IRQ_LINE, or _STATUS (its status in *status) when status is set */
static int irq_line(struct vm *vm, uint32_t irq, uint32_t level,
		    int32_t *status)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vm->fd, status ? KVM_IRQ_LINE_STATUS : KVM_IRQ_LINE, &l))
		return -errno;
	if (status)
		*status = l.status;
	return 0;
}

static int new_efd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	VM_CHECK(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

/* The eventfd's counter, reset to 0 (0 if it was 0). */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v)) {
		VM_CHECK(errno == EAGAIN, "read eventfd: %s", strerror(errno));
		return 0;
	}
	return v;
}

/* A VM running guest_efd_loop, waiting for its first command. */
struct efd_vm {
	struct vm *vm;
	struct vcpu *vcpu;
};

static void efd_start(struct efd_vm *e)
{
	e->vm = vm_create();
	e->vcpu = vcpu_create(e->vm, 0);
	vcpu_start(e->vcpu, GUEST_FN(guest_efd_loop), 0, 0);
	vcpu_expect_ucall(e->vcpu, UCALL_SYNC, NULL);
}

static void efd_stop(struct efd_vm *e)
{
	vcpu_free(e->vcpu);
	vm_free(e->vm);
}

/*
 * The guest does n stores of width bytes of val to addr.  Returns how
 * many exits the VMM saw before the command's REPORT (MMIO stores at
 * addr, each completed and counted; anything else fails).
 */
static unsigned long efd_stores(struct efd_vm *e, unsigned long width,
				uint64_t addr, uint64_t val, unsigned long n,
				uint64_t *last_data)
{
	volatile struct guest_cmd *gc = vm_gpa2hva(e->vm, GUEST_CMD);
	struct kvm_run *run = e->vcpu->run;
	unsigned long exits = 0;
	struct ucall uc;
	int r;

	gc->op = width;
	gc->addr = addr;
	gc->val = val;
	gc->n = n;
	for (;;) {
		r = vcpu_ucall_try(e->vcpu, &uc);
		VM_CHECK(r >= 0, "KVM_RUN: %s", strerror(-r));
		if (!r)
			break;
		if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write ||
		    run->mmio.phys_addr != addr || run->mmio.len != width)
			vcpu_fail(e->vcpu, "unexpected exit");
		if (last_data) {
			*last_data = 0;
			memcpy(last_data, run->mmio.data, width);
		}
		exits++;
	}
	VM_CHECK(uc.fid == UCALL_REPORT && uc.args[0] == width,
		 "ucall %lu (%lu)", uc.fid, uc.args[0]);
	return exits;
}

TEST(capabilities)
{
	struct vm *vm = vm_create_empty();

	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_IOEVENTFD));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_IOEVENTFD_ANY_LENGTH));
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD));
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_IOEVENTFD_ANY_LENGTH));
	/* What QEMU >= 8.2 requires before anything else. */
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_USER_MEMORY));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_DESTROY_MEMORY_REGION_WORKS));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_JOIN_MEMORY_REGIONS_WORKS));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_INTERNAL_ERROR_DATA));
	vm_free(vm);
}

/* Bad arguments, with kvm.ko's errnos, in kvm.ko's order of checks. */
TEST(assign_bad_arguments)
{
	struct vm *vm = vm_create_empty();
	int efd = new_efd(), nullfd = open("/dev/null", O_RDWR);
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	unsigned int len;
	void *bad;

	ASSERT_GE(nullfd, 0);
	for (len = 0; len <= 16; len++) {
		int want = (len == 0 || len == 1 || len == 2 || len == 4 ||
			    len == 8) ? 0 : -EINVAL;

		EXPECT_EQ(want, ioeventfd(vm, EFD_ADDR, len, efd, 0, 0))
			TH_LOG("len %u", len);
		if (!want)
			ASSERT_EQ(0, ioeventfd(vm, EFD_ADDR, len, efd,
					       KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	}
	EXPECT_EQ(-EINVAL, ioeventfd(vm, EFD_ADDR, 0x7fffffff, efd, 0, 0));
	/* The range may not wrap. */
	EXPECT_EQ(-EINVAL, ioeventfd(vm, ~0ULL - 3, 8, efd, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, ~0ULL - 7, 8, efd, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, ~0ULL - 8, 8, efd, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, ~0ULL, 0, efd, 0, 0));
	/* Unknown flags */
	EXPECT_EQ(-EINVAL, ioeventfd(vm, EFD_ADDR, 4, efd, 1U << 5, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, EFD_ADDR, 4, efd, 1U << 31, 0));
	/* Length 0 matches any store: no datamatch. */
	EXPECT_EQ(-EINVAL, ioeventfd(vm, EFD_ADDR, 0, efd, dm, 0));
	/* The fd: checked after the arguments. */
	EXPECT_EQ(-EBADF, ioeventfd(vm, EFD_ADDR, 4, -1, 0, 0));
	EXPECT_EQ(-EBADF, ioeventfd(vm, EFD_ADDR, 4, 1000000, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, EFD_ADDR, 4, nullfd, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, EFD_ADDR, 4, vm->fd, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, EFD_ADDR, 3, -1, 0, 0));
	/* The struct itself */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_IOEVENTFD, bad));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_IOEVENTFD, NULL));
	EXPECT_EQ(EFAULT, errno);
	munmap(bad, 4096);
	close(nullfd);
	close(efd);
	vm_free(vm);
}

/*
 * PIO (no port I/O on RISC-V) is accepted and kept, as kvm.ko does on
 * riscv; virtio-ccw notification is s390's: kvm.ko on riscv accepts it
 * too (a bus nothing ever writes), rvhv refuses it.
 */
TEST(pio_and_ccw_flags)
{
	struct efd_vm e;
	int efd = new_efd();
	const uint32_t pio = KVM_IOEVENTFD_FLAG_PIO;
	const uint32_t ccw = KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY;
	const uint32_t da = KVM_IOEVENTFD_FLAG_DEASSIGN;

	efd_start(&e);
	EXPECT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, efd, pio, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(e.vm, EFD_ADDR, 4, efd, pio, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(e.vm, EFD_ADDR, 0, efd, pio, 0));
	/* A port and an MMIO address of the same number are different. */
	EXPECT_EQ(1, efd_stores(&e, 4, EFD_ADDR, 7, 1, NULL));
	EXPECT_EQ(0, efd_take(efd));
	EXPECT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, efd, 0, 0));
	EXPECT_EQ(0, efd_stores(&e, 4, EFD_ADDR, 7, 3, NULL));
	EXPECT_EQ(3, efd_take(efd));
	EXPECT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, efd, da, 0));
	EXPECT_EQ(-ENOENT, ioeventfd(e.vm, EFD_ADDR, 4, efd, da, 0));
	EXPECT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, efd, pio | da, 0));
	EXPECT_EQ(-ENOENT, ioeventfd(e.vm, EFD_ADDR, 4, efd, pio | da, 0));

	if (dev_is_kvm()) {
		EXPECT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, efd, ccw, 0));
		EXPECT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, efd, ccw | da, 0));
	} else {
		EXPECT_EQ(-EINVAL, ioeventfd(e.vm, EFD_ADDR, 4, efd, ccw, 0));
	}
	EXPECT_EQ(-ENOENT, ioeventfd(e.vm, EFD_ADDR, 4, efd, ccw | da, 0));
	close(efd);
	efd_stop(&e);
}

/* Two registrations one store could both hit: -EEXIST (kvm.ko's rule). */
TEST(collisions)
{
	struct vm *vm = vm_create_empty();
	int a = new_efd(), b = new_efd();
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	const uint32_t da = KVM_IOEVENTFD_FLAG_DEASSIGN;
	const uint64_t x = EFD_ADDR;

	/* Same address, length and (no) datamatch: even another eventfd */
	ASSERT_EQ(0, ioeventfd(vm, x, 4, a, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x, 4, a, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x, 4, b, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x, 4, b, dm, 5));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x, 0, b, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x, 4, b, FLAG_FAST_MMIO, 0));
	/* Other lengths and addresses (even overlapping ones) are fine. */
	EXPECT_EQ(0, ioeventfd(vm, x, 8, b, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, x, 2, b, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, x, 1, b, dm, 1));
	EXPECT_EQ(0, ioeventfd(vm, x + 2, 2, b, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, x - 4, 8, b, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x, 0, a, 0, 0));
	/* Datamatch: distinct values coexist, a wildcard does not. */
	EXPECT_EQ(0, ioeventfd(vm, x + 16, 4, a, dm, 1));
	EXPECT_EQ(0, ioeventfd(vm, x + 16, 4, b, dm, 2));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x + 16, 4, b, dm, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x + 16, 4, b, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x + 16, 0, b, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, x + 16, 8, b, dm, 1));
	/* Length 0 against everything at its address */
	EXPECT_EQ(0, ioeventfd(vm, x + 32, 0, a, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x + 32, 0, a, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x + 32, 1, b, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x + 32, 8, b, dm, 9));

	/* Deassign must name the registration exactly. */
	EXPECT_EQ(-ENOENT, ioeventfd(vm, x + 16, 4, a, dm | da, 2));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, x + 16, 4, a, da, 0));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, x + 16, 8, a, dm | da, 1));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, x + 20, 4, a, dm | da, 1));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, x, 4, b, da, 0));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, x, 4, a, dm | da, 0));
	EXPECT_EQ(0, ioeventfd(vm, x + 16, 4, a, dm | da, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, x + 16, 4, b, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, x + 16, 4, b, dm | da, 2));
	EXPECT_EQ(0, ioeventfd(vm, x + 16, 4, b, 0, 0));
	/* The fast-MMIO flag bit is plain MMIO. */
	EXPECT_EQ(0, ioeventfd(vm, x, 4, a, FLAG_FAST_MMIO | da, 0));
	EXPECT_EQ(0, ioeventfd(vm, x, 4, a, 0, 0));
	/* Deassign checks its fd first. */
	EXPECT_EQ(-EBADF, ioeventfd(vm, x, 4, -1, da, 0));
	EXPECT_EQ(-EBADF, ioeventfd(vm, x, 3, -1, da, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, x, 4, vm->fd, da, 0));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, x, 3, a, da, 0));
	/* Registrations stay with the VM; closing it frees them. */
	close(a);
	close(b);
	vm_free(vm);
}

/*
 * N stores to the address: the VMM sees only the command's ucall (on
 * rvhv each is an exit fast-path store: gstage_fault_fast counts them).
 */
TEST(guest_store_signals_without_exit)
{
	struct efd_vm e;
	int efd = new_efd(), other = new_efd();
	unsigned int w;

	long fast0, sig0;

	efd_start(&e);
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 8, efd, 0, 0));
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR + 8, 8, other, 0, 0));
	fast0 = vcpu_stat(e.vcpu, "gstage_fault_fast");
	sig0 = vcpu_stat(e.vcpu, "ioeventfd_signals");
	EXPECT_EQ(0, efd_stores(&e, 8, EFD_ADDR, 0x1122334455667788UL, 100,
				NULL));
	EXPECT_EQ(100, efd_take(efd));
	/* rvhv: each one signalled from the exit fast path, and counted. */
	if (!dev_is_kvm()) {
		EXPECT_EQ(sig0 + 100, vcpu_stat(e.vcpu, "ioeventfd_signals"));
		EXPECT_LE(fast0 + 100, vcpu_stat(e.vcpu, "gstage_fault_fast"));
	}
	EXPECT_EQ(0, efd_take(other));
	/* Other widths and nearby addresses are ordinary MMIO. */
	for (w = 1; w <= 4; w *= 2)
		EXPECT_EQ(2, efd_stores(&e, w, EFD_ADDR, 1, 2, NULL));
	EXPECT_EQ(3, efd_stores(&e, 8, EFD_ADDR + 16, 1, 3, NULL));
	EXPECT_EQ(0, efd_take(efd));
	EXPECT_EQ(0, efd_stores(&e, 8, EFD_ADDR + 8, 0, 5, NULL));
	EXPECT_EQ(5, efd_take(other));
	/* Loads are never an ioeventfd's: cmd_loop's ld is not used here. */
	close(efd);
	close(other);
	efd_stop(&e);
}

/* Datamatch compares the bytes the store writes, zero-extended. */
TEST(datamatch)
{
	struct efd_vm e;
	int a = new_efd(), b = new_efd(), c = new_efd();
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	uint64_t data = 0;

	efd_start(&e);
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, a, dm, 0x1234));
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, b, dm, 0x80000000));
	/* A byte store of a register holding -128 writes 0x80. */
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR + 8, 1, c, dm, 0x80));

	EXPECT_EQ(0, efd_stores(&e, 4, EFD_ADDR, 0x1234, 3, NULL));
	EXPECT_EQ(0, efd_stores(&e, 4, EFD_ADDR, 0xffffffff80000000UL, 2,
				NULL));
	EXPECT_EQ(3, efd_take(a));
	EXPECT_EQ(2, efd_take(b));
	/* No match: an ordinary MMIO exit with the data */
	EXPECT_EQ(1, efd_stores(&e, 4, EFD_ADDR, 0x1235, 1, &data));
	EXPECT_EQ(0x1235, data);
	/* The same value, another width: no match either */
	EXPECT_EQ(1, efd_stores(&e, 8, EFD_ADDR, 0x1234, 1, &data));
	EXPECT_EQ(0x1234, data);
	EXPECT_EQ(1, efd_stores(&e, 2, EFD_ADDR, 0x1234, 1, &data));
	EXPECT_EQ(0, efd_take(a));
	EXPECT_EQ(0, efd_take(b));

	EXPECT_EQ(0, efd_stores(&e, 1, EFD_ADDR + 8, -128L, 4, NULL));
	EXPECT_EQ(0, efd_stores(&e, 1, EFD_ADDR + 8, 0x180, 1, NULL));
	EXPECT_EQ(5, efd_take(c));
	EXPECT_EQ(1, efd_stores(&e, 1, EFD_ADDR + 8, 0x7f, 1, &data));
	EXPECT_EQ(0x7f, data);
	EXPECT_EQ(0, efd_take(c));
	close(a);
	close(b);
	close(c);
	efd_stop(&e);
}

/* Length 0: every store to the address, of any width and value. */
TEST(any_length)
{
	struct efd_vm e;
	int efd = new_efd();
	unsigned int w;

	efd_start(&e);
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 0, efd, 0, 0));
	for (w = 1; w <= 8; w *= 2)
		EXPECT_EQ(0, efd_stores(&e, w, EFD_ADDR, w * 3, 10, NULL));
	EXPECT_EQ(40, efd_take(efd));
	/* Not another address, even inside the first store's bytes */
	EXPECT_EQ(1, efd_stores(&e, 1, EFD_ADDR + 1, 0, 1, NULL));
	EXPECT_EQ(1, efd_stores(&e, 4, EFD_ADDR + 4, 0, 1, NULL));
	EXPECT_EQ(0, efd_take(efd));
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 0, efd,
			       KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(2, efd_stores(&e, 2, EFD_ADDR, 0, 2, NULL));
	EXPECT_EQ(0, efd_take(efd));
	close(efd);
	efd_stop(&e);
}

/*
 * A vCPU thread runs guest_efd_loop's EFD_HAMMER: 8-byte stores to
 * EFD_ADDR.  It counts the stores that reached it as MMIO exits and
 * answers each round's REPORT with stop.
 */
struct hammer {
	struct efd_vm *e;
	pthread_t thr;
	volatile int stop;
	volatile unsigned long exits;
	volatile unsigned long rounds;
	volatile int failed;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	struct vcpu *vcpu = h->e->vcpu;
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	int r;

	for (;;) {
		r = vcpu_ucall_try(vcpu, &uc);
		if (r < 0) {
			h->failed = r;
			return NULL;
		}
		if (r) {
			if (run->exit_reason != KVM_EXIT_MMIO ||
			    run->mmio.phys_addr != EFD_ADDR) {
				h->failed = 1;
				return NULL;
			}
			h->exits++;
			continue;
		}
		if (uc.fid != UCALL_REPORT || uc.args[0] != EFD_HAMMER) {
			h->failed = 2;
			return NULL;
		}
		h->rounds = uc.args[1];
		if (h->stop) {
			vcpu_ucall_reply(vcpu, 0, 1);
			/* The command's own REPORT */
			r = vcpu_ucall_try(vcpu, &uc);
			if (r || uc.fid != UCALL_REPORT)
				h->failed = 3;
			return NULL;
		}
	}
}

static void wait_until(volatile unsigned long *v, unsigned long atleast,
		       struct hammer *h)
{
	uint64_t end = now_ns() + 30ULL * 1000000000;

	while (*v < atleast && !h->failed) {
		VM_CHECK(now_ns() < end, "no progress (%lu < %lu)", *v,
			 atleast);
		usleep(1000);
	}
	VM_CHECK(!h->failed, "vCPU thread failed: %d", h->failed);
}

/*
 * Assign and deassign, again and again (6 times, $RVHV_EFD_ITERS), while
 * the guest stores: every
 * store is either signalled or an exit, nothing is signalled once the
 * deassign has returned, and nothing breaks.
 */
TEST(deassign_while_hammering)
{
	struct efd_vm e;
	struct hammer h = { .e = &e };
	int efd = new_efd(), i, iters = 6;
	const uint32_t da = KVM_IOEVENTFD_FLAG_DEASSIGN;
	unsigned long sig = 0, x;
	const char *env = getenv("RVHV_EFD_ITERS");
	uint64_t t0 = now_ns();

	if (env)
		iters = atoi(env);
	vm_watchdog(120);
	efd_start(&e);
	volatile struct guest_cmd *gc = vm_gpa2hva(e.vm, GUEST_CMD);

	gc->op = EFD_HAMMER;
	gc->addr = EFD_ADDR;
	gc->val = 0xfeed;
	gc->n = 0;
	ASSERT_EQ(0, pthread_create(&h.thr, NULL, hammer_thread, &h));
	for (i = 0; i < iters; i++) {
		ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, i & 1 ? 0 : 8, efd, 0,
				       0));
		/* Stores are signalled now ... */
		while (!(x = efd_take(efd))) {
			VM_CHECK(!h.failed, "vCPU thread: %d", h.failed);
			usleep(500);
		}
		sig += x;
		ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, i & 1 ? 0 : 8, efd, da,
				       0));
		sig += efd_take(efd);
		/* ... and once deassigned, they exit, never signal. */
		wait_until(&h.exits, h.exits + 2, &h);
		EXPECT_EQ(0, efd_take(efd)) TH_LOG("iteration %d", i);
	}
	h.stop = 1;
	pthread_join(h.thr, NULL);
	EXPECT_EQ(0, h.failed);
	EXPECT_LE(iters, sig);
	/* Every store was signalled or an exit, exactly once. */
	EXPECT_EQ(h.rounds * 256, sig + h.exits);
	TH_LOG("%d deassigns: %lu stores signalled, %lu exits, %llu ms",
	       iters, sig, h.exits,
	       (unsigned long long)(now_ns() - t0) / 1000000);
	close(efd);
	efd_stop(&e);
}

/* Registrations hold their eventfd: closing its fd changes nothing. */
TEST(close_eventfd_first)
{
	struct efd_vm e;
	int efd = new_efd(), dup_fd = dup(efd);

	efd_start(&e);
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, efd, 0, 0));
	close(efd);
	EXPECT_EQ(0, efd_stores(&e, 4, EFD_ADDR, 1, 7, NULL));
	EXPECT_EQ(7, efd_take(dup_fd));
	/* The file is still open through dup_fd, under a new number. */
	EXPECT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, dup_fd,
			       KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR, 4, dup_fd, 0, 0));
	close(dup_fd);
	/* No fd left at all: still no exit, and the number is gone. */
	EXPECT_EQ(0, efd_stores(&e, 4, EFD_ADDR, 1, 3, NULL));
	EXPECT_EQ(-EBADF, ioeventfd(e.vm, EFD_ADDR, 4, dup_fd,
				    KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	efd_stop(&e);
}

/* The VM goes first: the eventfds live on, untouched. */
TEST(close_vm_first)
{
	struct efd_vm e;
	int efd = new_efd(), i;
	uint64_t one = 1;

	efd_start(&e);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR + 8 * i, 8, efd, 0, 0));
	EXPECT_EQ(0, efd_stores(&e, 8, EFD_ADDR + 8 * 5, 1, 2, NULL));
	/* VM fd before the vCPU fd: the vCPU keeps the VM alive. */
	close(e.vm->fd);
	EXPECT_EQ(2, efd_take(efd));
	vcpu_free(e.vcpu);
	close(e.vm->dev_fd);
	EXPECT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	EXPECT_EQ(1, efd_take(efd));
	close(efd);
}

/* Many VMs, registrations and fds, freed in mixed orders. */
TEST(close_orders)
{
	uint64_t t0 = now_ns();
	int round;

	for (round = 0; round < 4; round++) {
		uint64_t one = 1;
		struct efd_vm e;
		int efd[4], i;

		efd_start(&e);
		for (i = 0; i < 4; i++) {
			efd[i] = new_efd();
			ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR + 8 * i,
					       i & 1 ? 8 : 0, efd[i], 0, 0));
			ASSERT_EQ(0, ioeventfd(e.vm, EFD_ADDR + 8 * i, 0,
					       efd[i], KVM_IOEVENTFD_FLAG_PIO,
					       0));
			ASSERT_EQ(0, irqfd(e.vm, efd[i], i, 0, -1));
		}
		if (!dev_is_kvm() && (round & 1))
			ASSERT_EQ(0, vm_enable_cap_try(e.vm, RVHV_CAP_IRQ_LINES,
						       1));
		EXPECT_EQ(0, efd_stores(&e, 8, EFD_ADDR + 8, 1, 1, NULL));
		if (round & 1)
			for (i = 0; i < 4; i++)
				close(efd[i]);
		if (round & 2) {
			vcpu_free(e.vcpu);
			vm_free(e.vm);
		} else {
			close(e.vm->fd);
			close(e.vm->dev_fd);
			vcpu_free(e.vcpu);
		}
		if (!(round & 1)) {
			/* Signals after the VM is gone go nowhere. */
			for (i = 0; i < 4; i++) {
				EXPECT_EQ(8, write(efd[i], &one, 8));
				close(efd[i]);
			}
		}
	}
	TH_LOG("4 VMs in %llu ms",
	       (unsigned long long)(now_ns() - t0) / 1000000);
}

/* No irqchip: kvm.ko's answers (rvhv by default), every errno. */
TEST(irq_without_irqchip)
{
	struct vm *vm = vm_create_empty();
	int a = new_efd(), b = new_efd(), r = new_efd();
	int nullfd = open("/dev/null", O_RDWR);
	const uint32_t da = KVM_IRQFD_FLAG_DEASSIGN;
	const uint32_t rs = KVM_IRQFD_FLAG_RESAMPLE;
	struct {
		struct kvm_irq_routing h;
		struct kvm_irq_routing_entry e[1];
	} rt = { .h = { .nr = 1 } };
	struct kvm_msi msi = { .address_lo = 0x28000000, .data = 1 };
	int32_t status;
	void *bad;

	ASSERT_GE(nullfd, 0);
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);

	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_IRQFD));
	EXPECT_EQ(!dev_is_kvm() && host_isa_has("ssaia"),
		  vm_check_cap(vm, KVM_CAP_IRQFD_RESAMPLE));
	/*
	 * On a host with Ssaia the VM could have an in-kernel AIA (kvm.ko's,
	 * rvhv's MSI mode); it has none here.
	 */
	EXPECT_EQ(host_isa_has("ssaia"), vm_check_cap(vm, KVM_CAP_IRQCHIP));
	if (dev_is_kvm()) {
		/* Answered by kvm.ko's generic code, irqchip or not */
		EXPECT_LT(0, vm_check_cap(vm, KVM_CAP_IRQ_ROUTING));
		EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_SIGNAL_MSI));
	} else {
		EXPECT_EQ(host_isa_has("ssaia") ? 4096 : 0,
			  vm_check_cap(vm, KVM_CAP_IRQ_ROUTING));
		EXPECT_EQ(host_isa_has("ssaia"),
			  vm_check_cap(vm, KVM_CAP_SIGNAL_MSI));
		EXPECT_EQ(1, vm_check_cap(vm, RVHV_CAP_IRQ_LINES));
	}

	EXPECT_EQ(-ENXIO, irq_line(vm, 0, 1, NULL));
	EXPECT_EQ(-ENXIO, irq_line(vm, 0, 0, &status));
	EXPECT_EQ(-ENXIO, irq_line(vm, 1000, 1, NULL));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_IRQ_LINE, bad));
	EXPECT_EQ(EFAULT, errno);

	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt));
	EXPECT_EQ(EINVAL, errno);
	rt.h.nr = 0;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, bad));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SIGNAL_MSI, bad));
	EXPECT_EQ(EFAULT, errno);

	/* KVM_IRQFD works (a GSI leads nowhere yet) with kvm.ko's rules. */
	EXPECT_EQ(-EINVAL, irqfd(vm, a, 0, 1U << 2, -1));
	EXPECT_EQ(-EINVAL, irqfd(vm, -1, 0, 1U << 31, -1));
	EXPECT_EQ(-EBADF, irqfd(vm, -1, 0, 0, -1));
	EXPECT_EQ(-EINVAL, irqfd(vm, nullfd, 0, 0, -1));
	EXPECT_EQ(0, irqfd(vm, a, 0, 0, -1));
	EXPECT_EQ(-EBUSY, irqfd(vm, a, 0, 0, -1));
	EXPECT_EQ(-EBUSY, irqfd(vm, a, 1, 0, -1));
	EXPECT_EQ(0, irqfd(vm, b, 0, 0, -1));
	EXPECT_EQ(-EBADF, irqfd(vm, r, 5, rs, -1));
	EXPECT_EQ(-EINVAL, irqfd(vm, r, 5, rs, nullfd));
	EXPECT_EQ(0, irqfd(vm, r, 5, rs, b));
	/* Deassign: the fd first; no match is no error. */
	EXPECT_EQ(-EBADF, irqfd(vm, -1, 0, da, -1));
	EXPECT_EQ(-EINVAL, irqfd(vm, nullfd, 0, da, -1));
	EXPECT_EQ(0, irqfd(vm, a, 1, da, -1));
	EXPECT_EQ(-EBUSY, irqfd(vm, a, 1, 0, -1));
	EXPECT_EQ(0, irqfd(vm, a, 0, da, -1));
	EXPECT_EQ(0, irqfd(vm, a, 1, 0, -1));
	EXPECT_EQ(0, irqfd(vm, r, 5, da | rs, -1));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_IRQFD, bad));
	EXPECT_EQ(EFAULT, errno);
	/* Signals go nowhere, and nothing breaks. */
	EXPECT_EQ(8, write(a, &(uint64_t){ 1 }, 8));
	EXPECT_EQ(8, write(b, &(uint64_t){ 1 }, 8));
	munmap(bad, 4096);
	close(nullfd);
	vm_free(vm);
	close(a);
	close(b);
	close(r);
}

static void smp_reset_flags(volatile struct smp_shared *sh)
{
	sh->sei[0] = 0;
	sh->guest_flag[0] = 0;
	sh->host_flag[0] = 0;
	sh->counter[0] = 0;
}

/*
 * RVHV_CAP_IRQ_LINES: GSI n is vCPU n's external interrupt line.  An
 * irqfd wakes a vCPU in WFI and interrupts a running one; KVM_IRQ_LINE
 * lowers (and raises) the line; a deassigned irqfd raises nothing.
 */
TEST(irq_lines)
{
	struct smp_vm s;
	volatile struct smp_shared *sh;
	int efd, r;
	int32_t status = 0;
	uint64_t one = 1;

	if (dev_is_kvm())
		SKIP(return, "RVHV_CAP_IRQ_LINES is rvhv's own");
	vm_watchdog(120);
	smp_vm_create(&s, 1);
	sh = s.sh;
	efd = new_efd();
	r = new_efd();
	EXPECT_EQ(-EINVAL, vm_enable_cap_try(s.vm, RVHV_CAP_IRQ_LINES, 2));
	ASSERT_EQ(0, vm_enable_cap_try(s.vm, RVHV_CAP_IRQ_LINES, 1));
	EXPECT_EQ(-EINVAL, irq_line(s.vm, 1, 1, NULL));	/* no vCPU 1 */
	EXPECT_EQ(-EINVAL, irq_line(s.vm, 64, 1, NULL));
	EXPECT_EQ(-EINVAL, irq_line(s.vm, ~0U, 1, &status));
	EXPECT_EQ(0, irq_line(s.vm, 0, 1, &status));
	EXPECT_EQ(1, status);
	EXPECT_EQ(0, irq_line(s.vm, 0, 0, NULL));
	/* The kernel never sees the acknowledge: no resampling. */
	EXPECT_EQ(-EINVAL, irqfd(s.vm, efd, 0, KVM_IRQFD_FLAG_RESAMPLE, r));
	ASSERT_EQ(0, irqfd(s.vm, efd, 0, 0, -1));

	/* A vCPU asleep in WFI with only SEIE enabled */
	smp_reset_flags(sh);
	vcpu_start(s.vcpu[0], GUEST_FN(guest_wfi_loop), 0, 0);
	vcpu_thread_start(&s.thr[0], s.vcpu[0]);
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 1, 30));
	usleep(50000);
	EXPECT_EQ(0, sh->sei[0]);
	ASSERT_EQ(8, write(efd, &one, 8));
	EXPECT_LE(1, vcpu_thread_join(&s.thr[0], 30));
	EXPECT_EQ(1, sh->sei[0]);
	EXPECT_EQ(0, efd_take(efd));	/* the irqfd consumed the count */
	EXPECT_EQ(0, irq_line(s.vm, 0, 0, NULL));

	/* A running vCPU: raised by the irqfd, lowered by KVM_IRQ_LINE */
	smp_reset_flags(sh);
	vcpu_start(s.vcpu[0], GUEST_FN(guest_ext_irq), 0, 0);
	vcpu_thread_start(&s.thr[0], s.vcpu[0]);
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 1, 30));
	ASSERT_EQ(8, write(efd, &one, 8));
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 2, 30));
	EXPECT_EQ(0, irq_line(s.vm, 0, 0, NULL));
	sh->host_flag[0] = 1;
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 3, 30));
	usleep(50000);
	ASSERT_EQ(8, write(efd, &one, 8));
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 4, 30));
	EXPECT_EQ(0, irq_line(s.vm, 0, 0, &status));
	sh->host_flag[0] = 2;
	EXPECT_EQ(2, vcpu_thread_join(&s.thr[0], 30));

	/* Deassigned: the signal stays in the eventfd, no interrupt */
	ASSERT_EQ(0, irqfd(s.vm, efd, 0, KVM_IRQFD_FLAG_DEASSIGN, -1));
	smp_reset_flags(sh);
	vcpu_start(s.vcpu[0], GUEST_FN(guest_wfi_loop), 0, 0);
	vcpu_thread_start(&s.thr[0], s.vcpu[0]);
	ASSERT_TRUE(wait_eq(&sh->guest_flag[0], 1, 30));
	ASSERT_EQ(8, write(efd, &one, 8));
	usleep(100000);
	EXPECT_EQ(0, sh->sei[0]);
	EXPECT_EQ(1, efd_take(efd));
	/* KVM_IRQ_LINE raises it as well */
	EXPECT_EQ(0, irq_line(s.vm, 0, 1, NULL));
	EXPECT_LE(1, vcpu_thread_join(&s.thr[0], 30));
	EXPECT_EQ(1, sh->sei[0]);
	EXPECT_EQ(0, irq_line(s.vm, 0, 0, NULL));

	/* Turned off again: kvm.ko's answer */
	ASSERT_EQ(0, vm_enable_cap_try(s.vm, RVHV_CAP_IRQ_LINES, 0));
	EXPECT_EQ(-ENXIO, irq_line(s.vm, 0, 1, NULL));
	close(efd);
	close(r);
	smp_vm_free(&s);
}

/*
 * One eventfd as ioeventfd and irqfd of the same vCPU: the guest's store
 * raises its own line, from inside its KVM_RUN (the signal's wake-up runs
 * in the vCPU's thread); it takes the interrupt with no exit.
 */
TEST(ioeventfd_to_irqfd_loopback)
{
	struct smp_vm s;
	int efd;

	if (dev_is_kvm())
		SKIP(return, "RVHV_CAP_IRQ_LINES is rvhv's own");
	vm_watchdog(60);
	smp_vm_create(&s, 1);
	efd = new_efd();
	ASSERT_EQ(0, vm_enable_cap_try(s.vm, RVHV_CAP_IRQ_LINES, 1));
	ASSERT_EQ(0, ioeventfd(s.vm, EFD_ADDR, 8, efd, 0, 0));
	ASSERT_EQ(0, irqfd(s.vm, efd, 0, 0, -1));
	smp_reset_flags(s.sh);
	vcpu_start(s.vcpu[0], GUEST_FN(guest_efd_loopback), EFD_ADDR, 0);
	/* vcpu_run_to_done() fails the test on any exit but its ucalls */
	EXPECT_LE(0, (long)vcpu_run_to_done(s.vcpu[0]));
	EXPECT_EQ(1, s.sh->sei[0]);
	EXPECT_EQ(0, efd_take(efd));
	EXPECT_EQ(0, irq_line(s.vm, 0, 0, NULL));
	close(efd);
	smp_vm_free(&s);
}

/*
 * virtio's kick and completion: the guest stores to an ioeventfd, a VMM
 * thread blocked on it wakes and writes the irqfd of the vCPU's line,
 * the guest takes the interrupt in WFI; a SYNC ucall lets the VMM lower
 * the line.  guest_bench_irqfd (bench's irqfd_roundtrip), N times, with
 * both threads on one host CPU ($RVHV_EFD_CPU, default 0) as on a
 * one-hart host.
 */
TEST(kick_and_interrupt_through_vmm_thread)
{
	const uint64_t addr = GUEST_MMIO_BASE + 0x2000;
	struct efd_relay t = { 0 };
	struct smp_vm s;
	struct ucall uc;
	pthread_t thr;
	cpu_set_t cpus;
	uint64_t one = 1;
	int r, n = 50, syncs = 0;

	if (dev_is_kvm())
		SKIP(return, "RVHV_CAP_IRQ_LINES is rvhv's own");
	vm_watchdog(60);
	CPU_ZERO(&cpus);
	CPU_SET(getenv("RVHV_EFD_CPU") ? atoi(getenv("RVHV_EFD_CPU")) : 0,
		&cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	smp_vm_create(&s, 1);
	t.kick = new_efd();
	t.irq = new_efd();
	/* The I/O thread blocks in read(). */
	ASSERT_EQ(0, fcntl(t.kick, F_SETFL, 0));
	ASSERT_EQ(0, vm_enable_cap_try(s.vm, RVHV_CAP_IRQ_LINES, 1));
	ASSERT_EQ(0, ioeventfd(s.vm, addr, 4, t.kick, 0, 0));
	ASSERT_EQ(0, irqfd(s.vm, t.irq, 0, 0, -1));
	ASSERT_EQ(0, pthread_create(&thr, NULL, efd_relay_fn, &t));
	smp_reset_flags(s.sh);
	vcpu_start(s.vcpu[0], GUEST_FN(guest_bench_irqfd), n, addr);
	for (;;) {
		r = vcpu_ucall_try(s.vcpu[0], &uc);
		ASSERT_EQ(0, r);
		if (uc.fid != UCALL_SYNC)
			break;
		syncs++;
		ASSERT_EQ(0, irq_line(s.vm, 0, 0, NULL));
	}
	EXPECT_EQ(UCALL_REPORT, uc.fid);
	EXPECT_EQ(n, syncs);
	EXPECT_EQ(n, s.sh->sei[0]);
	t.stop = 1;
	ASSERT_EQ(8, write(t.kick, &one, 8));
	pthread_join(thr, NULL);
	/*
	 * The guest's n kicks; the wake-up one above is read only if the
	 * thread was already back in read() when stop was set.
	 */
	EXPECT_GE(t.kicks, n);
	EXPECT_LE(t.kicks, n + 1);
	close(t.kick);
	close(t.irq);
	smp_vm_free(&s);
}

TEST_HARNESS_MAIN
