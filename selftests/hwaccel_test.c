// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware IMSIC guest interrupt files: the AIA device's hwaccel and
 * auto modes (irqchip/hwfile.c), on the AIA host (QEMU 10, 2 guest files
 * per hart), rvhv and kvm.ko.  The modes and their errnos; a guest's
 * MSI to its own file with no exit; MSIs from the VMM, an irqfd route and
 * the APLIC; a vCPU moved between the host's CPUs while MSIs arrive; a
 * vCPU in WFI woken by its file (SGEI); GRP_IMSIC save and restore; more
 * vCPUs than files on a CPU; a hostile guest and VMM; and (rvhv) kvm.ko
 * loaded and unloaded beside a running hwaccel VM.  Where a device has
 * no guest files the cases SKIP with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/aia_abi.h"

#define NR_SRCS		8
#define NR_IDS		63

static int attr_op(int fd, unsigned long op, uint32_t group, uint64_t attr,
		   void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr,
				     .addr = (uint64_t)(unsigned long)val };

	return ioctl(fd, op, &a) ? -errno : 0;
}

static int cfg_set(int fd, uint64_t attr, uint32_t v)
{
	return attr_op(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_RISCV_AIA_GRP_CONFIG,
		       attr, &v);
}

static uint32_t cfg_get(int fd, uint64_t attr)
{
	uint32_t v = 0xdeadbeef;

	VM_CHECK(!attr_op(fd, KVM_GET_DEVICE_ATTR,
			  KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &v), "config");
	return v;
}

static int addr_set(int fd, uint64_t attr, uint64_t v)
{
	return attr_op(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_RISCV_AIA_GRP_ADDR,
		       attr, &v);
}

/* GRP_IMSIC register @isel of vCPU 0. */
static int imsic_set(int fd, unsigned long isel, unsigned long v)
{
	return attr_op(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_RISCV_AIA_GRP_IMSIC,
		       KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, isel), &v);
}

static unsigned long imsic_get(int fd, unsigned long isel)
{
	unsigned long v = 0xdead;

	VM_CHECK(!attr_op(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_RISCV_AIA_GRP_IMSIC,
			  KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, isel), &v),
		 "imsic get %#lx", isel);
	return v;
}

static int create_aia(struct vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_RISCV_AIA };

	return ioctl(vm->fd, KVM_CREATE_DEVICE, &cd) ? -errno : (int)cd.fd;
}

/* 0 when a new device of @vm takes neither hwaccel nor auto (-EINVAL). */
static int hw_modes_refused(struct vm *vm)
{
	int fd = create_aia(vm), r1, r2;

	if (fd < 0)
		return fd;
	r1 = cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
		     KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	r2 = cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
		     KVM_DEV_RISCV_AIA_MODE_AUTO);
	close(fd);
	return r1 == -EINVAL && r2 == -EINVAL ? 0 : -1;
}

static int signal_msi(struct vm *vm, uint32_t data)
{
	struct kvm_msi m = { .address_lo = AIA_IMSIC_BASE, .data = data };

	return ioctl(vm->fd, KVM_SIGNAL_MSI, &m) ? -errno : 0;
}

/* debugfs rvhv/hgei field @key ("files", "moves", "cpu0", ...), or -1. */
static long hgei_field(const char *key)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "hgei");

	return txt ? rvhv_field(txt, key) : -1;
}

static long vms_field(int nth, const char *key)
{
	return rvhv_vms_field(nth, key);
}

static bool kvm_module_loaded(void)
{
	const char *m = rvhv_read_file("/proc/modules");

	return m && (!strncmp(m, "kvm ", 4) || strstr(m, "\nkvm "));
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	VM_CHECK(!sched_setaffinity(0, sizeof(s), &s), "pin to CPU %d", cpu);
}

/*
 * Probed once, before the harness forks each case: does this device
 * have an MSI-mode AIA device at all (no: every case skips at once)?
 */
static int aia_probe = -1;

__attribute__((constructor)) static void probe_aia(void)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_RISCV_AIA,
					.flags = KVM_CREATE_DEVICE_TEST };
	int dev = rvhv_open_dev(O_RDWR), vm;

	if (dev < 0)
		return;
	vm = ioctl(dev, KVM_CREATE_VM, 0);
	if (vm >= 0) {
		aia_probe = ioctl(vm, KVM_CREATE_DEVICE, &cd) ? -errno : 0;
		close(vm);
	}
	close(dev);
}

#define NO_AIA "no AIA device in MSI mode here (no Ssaia)"

/* A VM, vCPU 0 in guest_aia_loop, an MSI-mode AIA device in @mode. */
struct hvm {
	struct vm *vm;
	struct vcpu *vcpu;
	int fd;
	volatile struct aia_shared *sh;
};

static void hvm_free(struct hvm *h)
{
	if (h->fd >= 0)
		close(h->fd);
	vcpu_free(h->vcpu);
	vm_free(h->vm);
	h->vm = NULL;
}

/* Until SYNC: 0; an exit instead (KVM_EXIT_FAIL_ENTRY): its reason. */
static int hvm_start(struct hvm *h)
{
	struct ucall uc;
	int r;

	vcpu_start(h->vcpu, GUEST_FN(guest_aia_loop), 0, 0);
	r = vcpu_ucall_try(h->vcpu, &uc);
	if (r > 0)
		return h->vcpu->run->exit_reason;
	VM_CHECK(!r && uc.fid == UCALL_SYNC, "start: %d", r);
	return 0;
}

/*
 * 0, or the MODE write's errno (the device has no guest files); rvhv:
 * kvm.ko loaded beside it holds them, so it is unloaded first.
 */
static int hvm_create(struct hvm *h, uint32_t mode, bool start)
{
	int r;

	memset(h, 0, sizeof(*h));
	if (aia_probe == -ENODEV)
		return -ENODEV;
	h->vm = vm_create();
	h->vcpu = vcpu_create(h->vm, 0);
	h->fd = create_aia(h->vm);
	if (h->fd == -ENODEV) {
		hvm_free(h);
		return -ENODEV;
	}
	VM_CHECK(h->fd >= 0, "KVM_CREATE_DEVICE: %s", strerror(-h->fd));
	r = cfg_set(h->fd, KVM_DEV_RISCV_AIA_CONFIG_MODE, mode);
	if (r == -EINVAL && !dev_is_kvm() && kvm_module_loaded() &&
	    !rvhv_unload_module("kvm"))
		r = cfg_set(h->fd, KVM_DEV_RISCV_AIA_CONFIG_MODE, mode);
	if (r) {
		hvm_free(h);
		return r;
	}
	VM_CHECK(!cfg_set(h->fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NR_SRCS),
		 "srcs");
	VM_CHECK(!cfg_set(h->fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, NR_IDS), "ids");
	VM_CHECK(!addr_set(h->fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, AIA_APLIC_BASE),
		 "aplic");
	VM_CHECK(!addr_set(h->fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0),
			   AIA_IMSIC_BASE), "imsic");
	VM_CHECK(!attr_op(h->fd, KVM_SET_DEVICE_ATTR, KVM_DEV_RISCV_AIA_GRP_CTRL,
			  KVM_DEV_RISCV_AIA_CTRL_INIT, NULL), "init");
	h->sh = vm_gpa2hva(h->vm, AIA_SHARED);
	memset((void *)h->sh, 0, sizeof(*h->sh));
	h->sh->base = AIA_APLIC_BASE;
	h->sh->msi = 1;
	h->sh->freq = vcpu_get_reg(h->vcpu, RISCV_TIMER_REG(frequency));
	if (start)
		VM_CHECK(!hvm_start(h), "start: an exit");
	return 0;
}

#define NO_FILES "no IMSIC guest files for this device here (not an AIA host with aia-guests)"

/*
 * kvm.ko is the reference for the ABI (modes, errnos, device MSIs,
 * GRP_IMSIC, files running out); rvhv's own file handling is tested on
 * rvhv only, within make check's time.
 */
#define RVHV_ONLY_CASE() do {						\
	if (dev_is_kvm())						\
		SKIP(return, "rvhv's file handling; kvm.ko is the reference for the ABI cases");	\
} while (0)

#define HVM_OR_SKIP(h, mode) do {					\
	int __r = hvm_create(h, mode, true);				\
	if (__r == -EINVAL || __r == -ENODEV)				\
		SKIP(return, NO_FILES " (%s)", strerror(-__r));		\
	ASSERT_EQ(0, __r);						\
} while (0)

/* One guest command (absolute address), answered by its REPORT. */
static unsigned long hcmd(struct hvm *h, unsigned long op, unsigned long addr,
			 unsigned long val, unsigned long n)
{
	volatile struct guest_cmd *gc = vm_gpa2hva(h->vm, GUEST_CMD);
	struct ucall uc;
	int r;

	gc->op = op;
	gc->addr = addr;
	gc->val = val;
	gc->n = n;
	r = vcpu_ucall_try(h->vcpu, &uc);
	if (r)
		vcpu_fail(h->vcpu, "command %lu: %s", op,
			  r < 0 ? strerror(-r) : "an exit to the VMM");
	VM_CHECK(uc.fid == UCALL_REPORT && uc.args[0] == op, "ucall %lu",
		 uc.fid);
	return uc.args[1];
}

/* Interrupts on in the guest until @n claims (1 s), or for @ms. */
static unsigned long gwait(struct hvm *h, unsigned long n)
{
	return hcmd(h, AIA_WAIT, 0, 0, n);
}

static unsigned long gnone(struct hvm *h, unsigned long n)
{
	return hcmd(h, AIA_WAIT, 0, 50, n);
}

static void isel_w(struct hvm *h, unsigned long isel, unsigned long v)
{
	hcmd(h, AIA_ISEL_W, isel, v, 0);
}

static unsigned long isel_r(struct hvm *h, unsigned long isel)
{
	return hcmd(h, AIA_ISEL_R, isel, 0, 0);
}

/* The guest's file on: delivery, identities 1..63, no threshold. */
static void file_on(struct hvm *h)
{
	isel_w(h, IMSIC_EIDELIVERY, 1);
	isel_w(h, IMSIC_EIE0, ~0UL);
	isel_w(h, IMSIC_EITHRESHOLD, 0);
}

static bool seen(struct hvm *h, unsigned int id)
{
	return h->sh->seen[id / 64] & (1UL << (id % 64));
}

/* The modes, kvm.ko's errnos, IDS bounded by a file's identities. */
TEST(modes)
{
	struct hvm h;
	struct vm *vm;
	uint32_t m;
	int fd;

	if (aia_probe == -ENODEV)
		SKIP(return, NO_AIA);
	vm = vm_create();
	fd = create_aia(vm);
	ASSERT_LE(0, fd);
	m = cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE);
	/* rvhv's default is emul; kvm.ko's auto where it has files. */
	if (!dev_is_kvm())
		EXPECT_EQ(KVM_DEV_RISCV_AIA_MODE_EMUL, m);
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE, 3));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
			     KVM_DEV_RISCV_AIA_MODE_EMUL));
	close(fd);
	vm_free(vm);
	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	EXPECT_EQ(KVM_DEV_RISCV_AIA_MODE_HWACCEL,
		  cfg_get(h.fd, KVM_DEV_RISCV_AIA_CONFIG_MODE));
	/* After INIT: -EBUSY, as every write */
	EXPECT_EQ(-EBUSY, cfg_set(h.fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
				  KVM_DEV_RISCV_AIA_MODE_AUTO));
	hvm_free(&h);

	vm = vm_create();
	fd = create_aia(vm);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
			     KVM_DEV_RISCV_AIA_MODE_AUTO));
	EXPECT_EQ(KVM_DEV_RISCV_AIA_MODE_AUTO,
		  cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE));
	/* A file's identities bound IDS (QEMU's IMSIC: 255) */
	EXPECT_GE(255, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 2047));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 255));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
			     KVM_DEV_RISCV_AIA_MODE_EMUL));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
			     KVM_DEV_RISCV_AIA_MODE_HWACCEL));
	close(fd);
	vm_free(vm);
	/* rvhv's direct mode has no IMSIC at all */
	if (!dev_is_kvm()) {
		vm = vm_create();
		ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_AIA_DIRECT, 1));
		EXPECT_EQ(0, hw_modes_refused(vm));
		vm_free(vm);
		EXPECT_EQ(0, hgei_field("users"));
	}
}

/*
 * The guest's MSIs to its own file (a store to its IMSIC page, as an IPI
 * to another vCPU would be): no exit with a hardware file, one each with
 * the emulated one (rvhv's counters).
 */
TEST(ipi_no_exit)
{
	const unsigned long n = 200;
	long before, after;
	struct hvm h, e;

	RVHV_ONLY_CASE();

	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	file_on(&h);
	before = vms_field(0, "irqchip");
	/* Interrupts off in the guest: one pending identity, n stores */
	hcmd(&h, AIA_W32N, AIA_IMSIC_BASE, 9, n);
	after = vms_field(0, "irqchip");
	EXPECT_EQ(1, gwait(&h, 1));
	EXPECT_EQ((9UL << 16) | 9, h.sh->last[0]);
	EXPECT_EQ(before, after);
	EXPECT_LE(1, hgei_field("moves"));
	hvm_free(&h);
	/* The same in emul mode: each store traps */
	ASSERT_EQ(0, hvm_create(&e, KVM_DEV_RISCV_AIA_MODE_EMUL, true));
	file_on(&e);
	before = vms_field(0, "irqchip");
	hcmd(&e, AIA_W32N, AIA_IMSIC_BASE, 9, n);
	EXPECT_EQ(before + n, vms_field(0, "irqchip"));
	EXPECT_EQ(1, gwait(&e, 1));
	hvm_free(&e);
}

/*
 * MSIs from the kernel to a hardware file: KVM_SIGNAL_MSI, an irqfd
 * through an MSI route, the APLIC (KVM_IRQ_LINE, genmsi); threshold and
 * delivery as the file's own hardware keeps them.
 */
TEST(device_msi)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt;
	struct kvm_irqfd irqfd = { 0 };
	struct kvm_irq_level line = { .irq = 1, .level = 1 };
	struct hvm h;
	int efd;
	uint64_t one = 1;

	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	file_on(&h);
	EXPECT_EQ(0, signal_msi(h.vm, 5));
	EXPECT_EQ(1, gwait(&h, 1));
	EXPECT_EQ((5UL << 16) | 5, h.sh->last[0]);
	/* Threshold 10: 11 stays pending, in the file's eip */
	isel_w(&h, IMSIC_EITHRESHOLD, 10);
	EXPECT_EQ(0, signal_msi(h.vm, 11));
	EXPECT_EQ(1, gnone(&h, 2));
	EXPECT_EQ(1UL << 11, isel_r(&h, IMSIC_EIP0));
	EXPECT_EQ(1UL << 11, imsic_get(h.fd, IMSIC_EIP0));
	isel_w(&h, IMSIC_EITHRESHOLD, 0);
	EXPECT_EQ(2, gwait(&h, 2));
	EXPECT_EQ((11UL << 16) | 11, h.sh->last[1]);
	/* An irqfd through an MSI route: identity 20 */
	memset(&rt, 0, sizeof(rt));
	rt.r.nr = 1;
	rt.e[0].gsi = 40;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = AIA_IMSIC_BASE;
	rt.e[0].u.msi.data = 20;
	ASSERT_EQ(0, ioctl(h.vm->fd, KVM_SET_GSI_ROUTING, &rt));
	efd = eventfd(0, EFD_CLOEXEC);
	irqfd.fd = efd;
	irqfd.gsi = 40;
	ASSERT_EQ(0, ioctl(h.vm->fd, KVM_IRQFD, &irqfd));
	ASSERT_EQ(8, write(efd, &one, 8));
	EXPECT_EQ(3, gwait(&h, 3));
	EXPECT_EQ((20UL << 16) | 20, h.sh->last[2]);
	/* The APLIC in MSI mode: source 1 as identity 12, then genmsi */
	hcmd(&h, AIA_W32, AIA_APLIC_BASE + APLIC_SOURCECFG(1),
	    APLIC_SM_EDGE_RISE, 0);
	hcmd(&h, AIA_W32, AIA_APLIC_BASE + APLIC_TARGET(1), 12, 0);
	hcmd(&h, AIA_W32, AIA_APLIC_BASE + APLIC_SETIENUM, 1, 0);
	hcmd(&h, AIA_W32, AIA_APLIC_BASE + APLIC_DOMAINCFG,
	    APLIC_DOMAINCFG_IE, 0);
	EXPECT_EQ(0, ioctl(h.vm->fd, KVM_IRQ_LINE, &line));
	EXPECT_EQ(4, gwait(&h, 4));
	EXPECT_EQ((12UL << 16) | 12, h.sh->last[3]);
	hcmd(&h, AIA_W32, AIA_APLIC_BASE + APLIC_GENMSI, 14, 0);
	EXPECT_EQ(5, gwait(&h, 5));
	EXPECT_EQ((14UL << 16) | 14, h.sh->last[4]);
	/* Delivery off: pending, no interrupt, then on */
	isel_w(&h, IMSIC_EIDELIVERY, 0);
	EXPECT_EQ(0, signal_msi(h.vm, 7));
	EXPECT_EQ(5, gnone(&h, 6));
	isel_w(&h, IMSIC_EIDELIVERY, 1);
	EXPECT_EQ(6, gwait(&h, 6));
	EXPECT_EQ(0, h.sh->spurious);
	close(efd);
	hvm_free(&h);
}

struct sender {
	struct vm *vm;
	int first, last, gap_us;
};

static void *send_fn(void *arg)
{
	struct sender *s = arg;
	int id;

	for (id = s->first; id <= s->last; id++) {
		usleep(s->gap_us);
		if (signal_msi(s->vm, id))
			return (void *)1;
	}
	return NULL;
}

/*
 * The vCPU's thread moved between the host's two CPUs after every guest
 * command while another thread sends 16 MSIs: none lost, and the file's
 * eie, threshold and a pending identity above it survive the moves.
 */
TEST(migrate)
{
	struct sender s;
	pthread_t t;
	long moves;
	void *ret;
	struct hvm h;
	int i;

	RVHV_ONLY_CASE();

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one host CPU");
	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	file_on(&h);
	isel_w(&h, IMSIC_EITHRESHOLD, 50);
	EXPECT_EQ(0, signal_msi(h.vm, 60));
	moves = hgei_field("moves");
	s = (struct sender){ .vm = h.vm, .first = 1, .last = 16,
			     .gap_us = 2000 };
	ASSERT_EQ(0, pthread_create(&t, NULL, send_fn, &s));
	/* At least 8 moves, then until every MSI was claimed */
	for (i = 0; i < 400 && (i < 8 || h.sh->claims < 16); i++) {
		pin(i % 2);
		hcmd(&h, AIA_WAIT, 0, 2, 16);
	}
	pthread_join(t, &ret);
	EXPECT_EQ(NULL, ret);
	EXPECT_EQ(16, gwait(&h, 16));
	for (i = 1; i <= 16; i++)
		EXPECT_TRUE(seen(&h, i)) TH_LOG("identity %d lost", i);
	EXPECT_FALSE(seen(&h, 60));
	EXPECT_EQ(50, isel_r(&h, IMSIC_EITHRESHOLD));
	EXPECT_EQ(~1UL, isel_r(&h, IMSIC_EIE0));
	EXPECT_EQ(1UL << 60, imsic_get(h.fd, IMSIC_EIP0));
	isel_w(&h, IMSIC_EITHRESHOLD, 0);
	EXPECT_EQ(17, gwait(&h, 17));
	EXPECT_EQ(0, h.sh->spurious);
	EXPECT_LE(moves + 4, hgei_field("moves"));
	TH_LOG("%ld file moves", hgei_field("moves") - moves);
	hvm_free(&h);
}

static void *msi_later(void *arg)
{
	struct sender *s = arg;

	usleep(s->gap_us);
	return (void *)(long)signal_msi(s->vm, s->first);
}

/* A vCPU asleep in WFI, woken by an MSI to its file (the SGEI). */
TEST(wfi_wake)
{
	struct sender s;
	long sgei;
	pthread_t t;
	void *ret;
	struct hvm h;
	int i;

	RVHV_ONLY_CASE();

	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	file_on(&h);
	sgei = hgei_field("sgei");
	for (i = 1; i <= 2; i++) {
		s = (struct sender){ .vm = h.vm, .first = 30 + i,
				     .gap_us = 30000 };
		ASSERT_EQ(0, pthread_create(&t, NULL, msi_later, &s));
		EXPECT_EQ(i, hcmd(&h, AIA_WFI, 0, 0, i));
		pthread_join(t, &ret);
		EXPECT_EQ(NULL, ret);
		EXPECT_EQ(((30UL + i) << 16) | (30 + i), h.sh->last[i - 1]);
	}
	/* The vCPU slept: its file's interrupt woke it */
	EXPECT_LE(sgei + 1, hgei_field("sgei"));
	hvm_free(&h);
}

/*
 * GRP_IMSIC of a hardware file: set from the VMM, seen by the guest;
 * pending identities read back and restored into another VM, which
 * takes them.
 */
TEST(save_restore)
{
	unsigned long isel[] = { IMSIC_EIDELIVERY, IMSIC_EITHRESHOLD,
				 IMSIC_EIP0, IMSIC_EIE0 }, v[4];
	struct hvm a, b;
	int i;

	HVM_OR_SKIP(&a, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	EXPECT_EQ(0, imsic_set(a.fd, IMSIC_EIE0, 0xff0));
	EXPECT_EQ(0, imsic_set(a.fd, IMSIC_EITHRESHOLD, 33));
	EXPECT_EQ(0xff0, isel_r(&a, IMSIC_EIE0));
	EXPECT_EQ(33, isel_r(&a, IMSIC_EITHRESHOLD));
	/* Delivery off; the guest sends itself 7 and 9 */
	hcmd(&a, AIA_W32, AIA_IMSIC_BASE, 7, 0);
	hcmd(&a, AIA_W32, AIA_IMSIC_BASE, 9, 0);
	EXPECT_EQ((1UL << 7) | (1UL << 9), imsic_get(a.fd, IMSIC_EIP0));
	EXPECT_EQ(-EINVAL, imsic_set(a.fd, IMSIC_EIP0 + 1, 0));
	EXPECT_EQ(-ENOENT, imsic_set(a.fd, 0x71, 0));
	for (i = 0; i < 4; i++)
		v[i] = imsic_get(a.fd, isel[i]);
	hvm_free(&a);

	HVM_OR_SKIP(&b, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	for (i = 3; i >= 0; i--)
		EXPECT_EQ(0, imsic_set(b.fd, isel[i], v[i]));
	EXPECT_EQ(0, imsic_set(b.fd, IMSIC_EIDELIVERY, 1));
	EXPECT_EQ(2, gwait(&b, 2));
	EXPECT_EQ((7UL << 16) | 7, b.sh->last[0]);
	EXPECT_EQ((9UL << 16) | 9, b.sh->last[1]);
	hvm_free(&b);
}

/*
 * More vCPUs than files on one CPU: auto mode falls back to the
 * emulated file, hwaccel mode's KVM_RUN fails (kvm.ko's
 * KVM_EXIT_FAIL_ENTRY, hardware_entry_failure_reason CSR_HSTATUS).
 */
TEST(files_run_out)
{
	struct hvm h[4];
	int i, n, r;

	if (aia_probe == -ENODEV)
		SKIP(return, NO_AIA);
	pin(0);
	/* QEMU's aia-guests=2: two files per CPU */
	n = dev_is_kvm() ? 2 : hgei_field("files");
	if (n < 1)
		SKIP(return, NO_FILES);
	ASSERT_LE(1, n);
	ASSERT_GE(3, n);
	for (i = 0; i < n; i++)
		HVM_OR_SKIP(&h[i], KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	if (!dev_is_kvm())
		EXPECT_EQ(n, hgei_field("cpu0"));
	/* Auto: the emulated file, which works */
	ASSERT_EQ(0, hvm_create(&h[n], KVM_DEV_RISCV_AIA_MODE_AUTO, true));
	file_on(&h[n]);
	EXPECT_EQ(0, signal_msi(h[n].vm, 3));
	hcmd(&h[n], AIA_W32, AIA_IMSIC_BASE, 4, 0);
	EXPECT_EQ(2, gwait(&h[n], 2));
	if (!dev_is_kvm())
		EXPECT_EQ(n, hgei_field("cpu0"));
	hvm_free(&h[n]);
	/* Hwaccel: no entry */
	ASSERT_EQ(0, hvm_create(&h[n], KVM_DEV_RISCV_AIA_MODE_HWACCEL, false));
	r = hvm_start(&h[n]);
	EXPECT_EQ(KVM_EXIT_FAIL_ENTRY, r);
	if (r == KVM_EXIT_FAIL_ENTRY) {
		EXPECT_EQ(0x600, h[n].vcpu->run->fail_entry
					.hardware_entry_failure_reason);
		EXPECT_EQ(0, h[n].vcpu->run->fail_entry.cpu);
	}
	/* A file freed: the next KVM_RUN gets it */
	hvm_free(&h[0]);
	EXPECT_EQ(0, hvm_start(&h[n]));
	file_on(&h[n]);
	EXPECT_EQ(0, signal_msi(h[n].vm, 5));
	EXPECT_EQ(1, gwait(&h[n], 1));
	for (i = 1; i <= n; i++)
		hvm_free(&h[i]);
	if (!dev_is_kvm())
		EXPECT_EQ(0, hgei_field("cpu0"));
}

/*
 * A hostile guest writes junk to its file's registers and page; a
 * hostile VMM writes junk attributes and closes the fds of VMs holding
 * files in odd orders.  The files come back clean.
 */
TEST(hostile)
{
	unsigned long isel, off;
	struct hvm h;
	int i;

	RVHV_ONLY_CASE();

	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	/*
	 * Junk in every register the file has (others are illegal
	 * instructions for the guest, as on the hardware)
	 */
	for (i = 0; i < 10; i++) {
		isel = i < 2 ? 0x70 + 2 * i :
		       (i < 6 ? IMSIC_EIP0 : IMSIC_EIE0) + 2 * ((i - 2) % 4);
		isel_w(&h, isel, 0xa5a5a5a5a5a5a5a5UL * (i + 1));
	}
	/* 32-bit accesses: the page's (other sizes are the hardware's) */
	for (off = 0; off < 0x1000; off += 0x3fc) {
		hcmd(&h, AIA_W32, AIA_IMSIC_BASE + off, 0x12345678 * off, 0);
		hcmd(&h, AIA_R32, AIA_IMSIC_BASE + off, 0, 0);
	}
	hcmd(&h, AIA_W32, AIA_IMSIC_BASE, 0x7fffffff, 0);
	for (isel = 0; isel < 0x200; isel += 37)
		imsic_set(h.fd, isel, -1UL);
	/* Sane again: it still works */
	file_on(&h);
	for (i = 0; i < 4; i++) {
		isel_w(&h, IMSIC_EIE0 + 2 * i, i ? 0 : ~0UL);
		isel_w(&h, IMSIC_EIP0 + 2 * i, 0);
	}
	EXPECT_EQ(0, signal_msi(h.vm, 17));
	EXPECT_EQ(1, gwait(&h, 1)) TH_LOG("spurious %lu", h.sh->spurious);
	/* VM fd first, then the device's, then the vCPU's */
	close(h.vm->fd);
	close(h.fd);
	vcpu_free(h.vcpu);
	close(h.vm->dev_fd);
	free(h.vm);
	/* vCPU first, the VM while the device fd stays open */
	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_AUTO);
	vcpu_free(h.vcpu);
	vm_free(h.vm);
	EXPECT_EQ(1, hgei_field("users"));
	close(h.fd);
	EXPECT_EQ(0, hgei_field("users"));
	EXPECT_EQ(0, hgei_field("cpu0") + hgei_field("cpu1"));
	/* A fresh file is clean */
	HVM_OR_SKIP(&h, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, isel_r(&h, IMSIC_EIP0 + 2 * i));
		EXPECT_EQ(0, isel_r(&h, IMSIC_EIE0 + 2 * i));
	}
	EXPECT_EQ(0, isel_r(&h, IMSIC_EIDELIVERY));
	EXPECT_EQ(0, isel_r(&h, IMSIC_EITHRESHOLD));
	hvm_free(&h);
}

/*
 * rvhv beside kvm.ko: kvm.ko loading takes the files from a running
 * rvhv hwaccel VM, which goes on with its emulated file; rvhv refuses
 * new hwaccel/auto devices (-EINVAL) while a kvm.ko VM has its own file;
 * each VM takes only its own MSIs.  kvm.ko unloaded, rvhv's VM gets a
 * file back.
 */
TEST(kvm_coexist)
{
	const unsigned long n = 50;
	struct hvm a, k;
	long before;
	struct vm *vm;

	if (dev_is_kvm())
		SKIP(return, "rvhv's coexistence with kvm.ko: run on rvhv");
	HVM_OR_SKIP(&a, KVM_DEV_RISCV_AIA_MODE_HWACCEL);
	file_on(&a);
	before = vms_field(0, "irqchip");
	hcmd(&a, AIA_W32N, AIA_IMSIC_BASE, 3, n);
	EXPECT_EQ(before, vms_field(0, "irqchip"));
	EXPECT_EQ(1, gwait(&a, 1));

	ASSERT_EQ(0, rvhv_load_module(KVM_KO, ""));
	EXPECT_EQ(0, hgei_field("held"));
	EXPECT_EQ(1, hgei_field("kvm"));
	EXPECT_EQ(0, hgei_field("cpu0") + hgei_field("cpu1"));
	/* Its registers moved to software: still on, still delivered */
	EXPECT_EQ(1, isel_r(&a, IMSIC_EIDELIVERY));
	before = vms_field(0, "irqchip");
	hcmd(&a, AIA_W32N, AIA_IMSIC_BASE, 4, n);
	EXPECT_EQ(before + n, vms_field(0, "irqchip"));
	EXPECT_EQ(2, gwait(&a, 2));
	EXPECT_EQ(KVM_DEV_RISCV_AIA_MODE_HWACCEL,
		  cfg_get(a.fd, KVM_DEV_RISCV_AIA_CONFIG_MODE));
	/* No new hwaccel or auto device on rvhv */
	vm = vm_create();
	EXPECT_EQ(0, hw_modes_refused(vm));
	vm_free(vm);
	/* kvm.ko's hwaccel VM beside it: each its own interrupts */
	setenv("RVHV_DEV", "/dev/kvm", 1);
	ASSERT_EQ(0, hvm_create(&k, KVM_DEV_RISCV_AIA_MODE_HWACCEL, true));
	unsetenv("RVHV_DEV");
	file_on(&k);
	EXPECT_EQ(0, signal_msi(k.vm, 33));
	EXPECT_EQ(0, signal_msi(a.vm, 34));
	hcmd(&k, AIA_W32, AIA_IMSIC_BASE, 35, 0);
	hcmd(&a, AIA_W32, AIA_IMSIC_BASE, 36, 0);
	EXPECT_EQ(2, gwait(&k, 2));
	EXPECT_EQ(4, gwait(&a, 4));
	EXPECT_EQ(2, gnone(&k, 3));
	EXPECT_TRUE(seen(&k, 33) && seen(&k, 35));
	EXPECT_TRUE(seen(&a, 34) && seen(&a, 36));
	EXPECT_FALSE(seen(&k, 34) || seen(&k, 36));
	EXPECT_FALSE(seen(&a, 33) || seen(&a, 35));
	hvm_free(&k);

	/* kvm.ko gone: rvhv takes the files again */
	EXPECT_EQ(0, rvhv_unload_module("kvm"));
	EXPECT_EQ(0, hgei_field("kvm"));
	EXPECT_EQ(1, hgei_field("held"));
	hcmd(&a, AIA_W32N, AIA_IMSIC_BASE, 5, 1);
	before = vms_field(0, "irqchip");
	hcmd(&a, AIA_W32N, AIA_IMSIC_BASE, 5, n);
	EXPECT_EQ(before, vms_field(0, "irqchip"));
	EXPECT_EQ(5, gwait(&a, 5));
	EXPECT_EQ(1, hgei_field("cpu0") + hgei_field("cpu1"));
	hvm_free(&a);
}

TEST_HARNESS_MAIN
