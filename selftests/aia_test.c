// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel AIA device (KVM_DEV_TYPE_RISCV_AIA): KVM_CREATE_DEVICE,
 * every attribute group with good and bad values and kvm.ko's errnos,
 * late writes, INIT twice, APLIC register get/set and save/restore, the
 * device and VM fds closed in both orders, GSIs before and after INIT.
 * Held to kvm.ko where kvm.ko has the device (a host with Ssaia: the
 * QEMU 10 "aia" host); on other hosts kvm.ko answers -ENODEV and those
 * cases SKIP.  rvhv offers the device only in APLIC direct delivery mode
 * (RVHV_CAP_AIA_DIRECT: it has no IMSIC); the delivery cases run there
 * only: a guest enables sources and claims them through claimi in its
 * interrupt handler, raised by KVM_IRQ_LINE, irqfds and resampling
 * irqfds, edge and level, masked, below and above the threshold, to a
 * running vCPU and to one in WFI, with no exit to the VMM; and hostile
 * guest accesses to the APLIC's window.  Also: closing an irqfd's eventfd
 * deassigns it, as with kvm.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/aia_abi.h"

#define NR_SRCS		32
#define RVHV_MAX_ROUTES	4096	/* kvm.ko's KVM_MAX_IRQ_ROUTES */
#define AIA_NO_KVM	"kvm.ko has no AIA device on this host (-ENODEV: no Ssaia)"
#define AIA_DIRECT_ONLY	"APLIC direct delivery mode is rvhv's (RVHV_CAP_AIA_DIRECT); kvm.ko has MSI mode only"

static int attr_op(int fd, unsigned long op, uint32_t group, uint64_t attr,
		   void *val)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(unsigned long)val,
	};

	return ioctl(fd, op, &a) ? -errno : 0;
}

static int aset(int fd, uint32_t group, uint64_t attr, void *val)
{
	return attr_op(fd, KVM_SET_DEVICE_ATTR, group, attr, val);
}

static int aget(int fd, uint32_t group, uint64_t attr, void *val)
{
	return attr_op(fd, KVM_GET_DEVICE_ATTR, group, attr, val);
}

static int ahas(int fd, uint32_t group, uint64_t attr)
{
	return attr_op(fd, KVM_HAS_DEVICE_ATTR, group, attr, NULL);
}

static int cfg_set(int fd, uint64_t attr, uint32_t v)
{
	return aset(fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &v);
}

static uint32_t cfg_get(int fd, uint64_t attr)
{
	uint32_t v = 0xdeadbeef;

	VM_CHECK(!aget(fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &v),
		 "get config %lu", (unsigned long)attr);
	return v;
}

static int addr_set(int fd, uint64_t attr, uint64_t v)
{
	return aset(fd, KVM_DEV_RISCV_AIA_GRP_ADDR, attr, &v);
}

static int aia_init(int fd)
{
	return aset(fd, KVM_DEV_RISCV_AIA_GRP_CTRL, KVM_DEV_RISCV_AIA_CTRL_INIT,
		    NULL);
}

static int aplic_set(int fd, uint64_t off, uint32_t v)
{
	return aset(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, off, &v);
}

static int aplic_get(int fd, uint64_t off, uint32_t *v)
{
	return aget(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, off, v);
}

static uint32_t aplic_rd(int fd, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	VM_CHECK(!aplic_get(fd, off, &v), "get APLIC %#lx", (unsigned long)off);
	return v;
}

static int create_dev(struct vm *vm, uint32_t type, uint32_t flags)
{
	struct kvm_create_device cd = { .type = type, .flags = flags,
					.fd = -1 };

	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &cd))
		return -errno;
	return flags & KVM_CREATE_DEVICE_TEST ? 0 : (int)cd.fd;
}

/* The AIA device of @vm (rvhv: in direct mode), fd or -errno. */
static int aia_create(struct vm *vm)
{
	if (!dev_is_kvm())
		VM_CHECK(!vm_enable_cap_try(vm, RVHV_CAP_AIA_DIRECT, 1),
			 "enable RVHV_CAP_AIA_DIRECT");
	return create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0);
}

#define AIA_OR_SKIP(vm, fd) do {					\
	fd = aia_create(vm);						\
	if (fd == -ENODEV && dev_is_kvm()) {				\
		vm_free(vm);						\
		SKIP(return, AIA_NO_KVM);				\
	}								\
	ASSERT_LE(0, fd) TH_LOG("KVM_CREATE_DEVICE: %s", strerror(-fd)); \
} while (0)

static int irq_line(struct vm *vm, uint32_t irq, uint32_t level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	return ioctl(vm->fd, KVM_IRQ_LINE, &l) ? -errno : 0;
}

static int irqfd(struct vm *vm, int fd, uint32_t gsi, uint32_t flags,
		 int resamplefd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags,
			       .resamplefd = resamplefd };

	return ioctl(vm->fd, KVM_IRQFD, &a) ? -errno : 0;
}

static int new_efd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	VM_CHECK(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	VM_CHECK(write(fd, &one, sizeof(one)) == sizeof(one), "write eventfd");
}

/* debugfs vms: field @key of this process's only VM, or -1. */
static long vms_field(const char *key)
{
	return rvhv_vms_field(0, key);
}

/* --- the device's ABI, held to kvm.ko -------------------------------- */

TEST(create_device)
{
	struct vm *vm = vm_create_empty();
	int fd;

	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_DEVICE_CTRL));
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_DEVICE_CTRL));
	/*
	 * rvhv without RVHV_CAP_AIA_DIRECT, on a host without Ssaia: as
	 * kvm.ko without AIA.
	 */
	if (!dev_is_kvm() && !host_isa_has("ssaia")) {
		EXPECT_EQ(0, vm_check_cap(vm, KVM_CAP_IRQCHIP));
		EXPECT_EQ(-ENODEV, create_dev(vm, KVM_DEV_TYPE_RISCV_AIA,
					      KVM_CREATE_DEVICE_TEST));
		EXPECT_EQ(-ENODEV, create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0));
	}
	if (!dev_is_kvm()) {
		ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_AIA_DIRECT, 1));
		EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_IRQCHIP));
	}
	EXPECT_EQ(-ENODEV, create_dev(vm, 0xffff, 0));
	EXPECT_EQ(-ENODEV, create_dev(vm, KVM_DEV_TYPE_MAX, 0));
	EXPECT_EQ(-ENODEV, create_dev(vm, KVM_DEV_TYPE_VFIO + 100,
				      KVM_CREATE_DEVICE_TEST));
	fd = create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, KVM_CREATE_DEVICE_TEST);
	if (fd == -ENODEV && dev_is_kvm()) {
		vm_free(vm);
		SKIP(return, AIA_NO_KVM);
	}
	EXPECT_EQ(0, fd);
	fd = create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0));
	EXPECT_EQ(0, create_dev(vm, KVM_DEV_TYPE_RISCV_AIA,
				KVM_CREATE_DEVICE_TEST));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_DEVICE, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* The device fd knows only the attribute ioctls. */
	EXPECT_EQ(-1, ioctl(fd, KVM_RUN, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, KVM_SET_DEVICE_ATTR, NULL));
	EXPECT_EQ(EFAULT, errno);
	if (!dev_is_kvm()) {
		/* Exclusive with RVHV_CAP_IRQ_LINES; fixed once it exists. */
		EXPECT_EQ(-EBUSY, vm_enable_cap_try(vm, RVHV_CAP_IRQ_LINES, 1));
		EXPECT_EQ(-EBUSY, vm_enable_cap_try(vm, RVHV_CAP_AIA_DIRECT, 0));
		EXPECT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_AIA_DIRECT, 1));
		EXPECT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_IRQ_LINES, 0));
	}
	/* Closing the device fd does not remove the device (kvm.ko). */
	close(fd);
	EXPECT_EQ(-EEXIST, create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0));
	vm_free(vm);
}

TEST(irq_lines_excludes_aia)
{
	struct vm *vm = vm_create_empty();

	if (dev_is_kvm()) {
		vm_free(vm);
		SKIP(return, "RVHV_CAP_IRQ_LINES is rvhv's");
	}
	ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_IRQ_LINES, 1));
	ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_AIA_DIRECT, 1));
	EXPECT_EQ(0, vm_check_cap(vm, KVM_CAP_IRQCHIP));
	EXPECT_EQ(-EBUSY, create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0));
	ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_IRQ_LINES, 0));
	EXPECT_LE(0, create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0));
	vm_free(vm);
}

TEST(config_attributes)
{
	const uint32_t cfg = KVM_DEV_RISCV_AIA_GRP_CONFIG;
	struct vm *vm = vm_create_empty();
	uint32_t v;
	uint64_t a;
	int fd, i;

	AIA_OR_SKIP(vm, fd);
	/* Every CONFIG attribute exists and reads. */
	for (i = 0; i <= KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS; i++) {
		EXPECT_EQ(0, ahas(fd, cfg, i)) TH_LOG("config %d", i);
		EXPECT_EQ(0, aget(fd, cfg, i, &v)) TH_LOG("config %d", i);
	}
	EXPECT_EQ(-ENXIO, ahas(fd, cfg, 7));
	EXPECT_EQ(-ENXIO, aget(fd, cfg, 7, &v));
	EXPECT_EQ(-ENXIO, cfg_set(fd, 7, 0));
	EXPECT_EQ(-ENXIO, cfg_set(fd, 1ULL << 40, 0));
	/* Defaults kvm.ko gives too */
	EXPECT_EQ(0, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS));
	EXPECT_EQ(24, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT));
	EXPECT_EQ(0, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS));
	if (!dev_is_kvm()) {
		EXPECT_EQ(KVM_DEV_RISCV_AIA_MODE_EMUL,
			  cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE));
		EXPECT_EQ(2046, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS));
		/* No hardware guest files: emulation only. */
		EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
					   KVM_DEV_RISCV_AIA_MODE_HWACCEL));
		EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
					   KVM_DEV_RISCV_AIA_MODE_AUTO));
	}
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
			     KVM_DEV_RISCV_AIA_MODE_EMUL));
	EXPECT_EQ(KVM_DEV_RISCV_AIA_MODE_EMUL,
		  cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE, 3));
	/* IDS: 63 + 64k, below 2048 and kvm.ko's limit */
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 0));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 62));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 64));
	/*
	 * 2047 is past the limit without hardware guest files (rvhv's,
	 * kvm.ko's on such hosts); kvm.ko takes it with guest files of
	 * 2047 identities (QEMU's).
	 */
	if (!dev_is_kvm())
		EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS,
					   2047));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 2048));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 127));
	EXPECT_EQ(127, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 63));
	EXPECT_EQ(63, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 1024));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, ~0U));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NR_SRCS));
	EXPECT_EQ(NR_SRCS, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS, 8));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS, 7));
	EXPECT_EQ(7, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS, 0));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT, 23));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT, 56));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT, 55));
	EXPECT_EQ(55, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, 16));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, 15));
	EXPECT_EQ(15, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS));
	EXPECT_EQ(-EINVAL, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS, 8));
	EXPECT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS, 7));
	EXPECT_EQ(7, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS));
	/* The value is read from the VMM first. */
	EXPECT_EQ(-EFAULT, aset(fd, cfg, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NULL));
	EXPECT_EQ(-EFAULT, aget(fd, cfg, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NULL));
	EXPECT_EQ(-EFAULT, aset(fd, cfg, 7, NULL));

	/* ADDR: the APLIC's, 4 KiB aligned */
	EXPECT_EQ(0, ahas(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			  KVM_DEV_RISCV_AIA_ADDR_APLIC));
	EXPECT_EQ(-EINVAL, addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC,
				    AIA_APLIC_BASE + 4));
	EXPECT_EQ(-EINVAL, addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, ~0ULL));
	EXPECT_EQ(0, addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, AIA_APLIC_BASE));
	a = 0;
	EXPECT_EQ(0, aget(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			  KVM_DEV_RISCV_AIA_ADDR_APLIC, &a));
	EXPECT_EQ(AIA_APLIC_BASE, a);
	/* No vCPU: no IMSIC address either. */
	EXPECT_EQ(-ENXIO, ahas(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			       KVM_DEV_RISCV_AIA_ADDR_IMSIC(0)));
	EXPECT_EQ(-ENXIO, addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), 0));
	EXPECT_EQ(-ENXIO, addr_set(fd, 1ULL << 40, 0));
	EXPECT_EQ(-ENXIO, aget(fd, KVM_DEV_RISCV_AIA_GRP_ADDR, 1ULL << 40, &a));
	EXPECT_EQ(-EFAULT, aset(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
				KVM_DEV_RISCV_AIA_ADDR_APLIC, NULL));

	/* CTRL: INIT only; APLIC before INIT: none; unknown groups */
	EXPECT_EQ(0, ahas(fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
			  KVM_DEV_RISCV_AIA_CTRL_INIT));
	EXPECT_EQ(-ENXIO, ahas(fd, KVM_DEV_RISCV_AIA_GRP_CTRL, 1));
	EXPECT_EQ(-ENXIO, aset(fd, KVM_DEV_RISCV_AIA_GRP_CTRL, 1, NULL));
	EXPECT_EQ(-ENODEV, ahas(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, 0));
	EXPECT_EQ(-ENODEV, aplic_get(fd, 0, &v));
	EXPECT_EQ(-ENODEV, aplic_set(fd, 0, 0));
	EXPECT_EQ(-ENXIO, ahas(fd, 5, 0));
	EXPECT_EQ(-ENXIO, aset(fd, 5, 0, &v));
	EXPECT_EQ(-ENXIO, aget(fd, 5, 0, &v));
	EXPECT_EQ(-ENXIO, ahas(fd, ~0U, 0));
	vm_free(vm);
}

/* rvhv has no IMSIC: its attributes do not exist, even with vCPUs. */
TEST(no_imsic)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	uint64_t a = 0x28000000;
	int fd;

	if (dev_is_kvm()) {
		vcpu_free(vcpu);
		vm_free(vm);
		SKIP(return, "kvm.ko has IMSICs where it has the device");
	}
	AIA_OR_SKIP(vm, fd);
	EXPECT_EQ(-ENXIO, ahas(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			       KVM_DEV_RISCV_AIA_ADDR_IMSIC(0)));
	EXPECT_EQ(-ENXIO, aset(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			       KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), &a));
	EXPECT_EQ(-ENXIO, aget(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			       KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), &a));
	EXPECT_EQ(-ENXIO, ahas(fd, KVM_DEV_RISCV_AIA_GRP_IMSIC,
			       KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, 0x70)));
	EXPECT_EQ(-ENXIO, aget(fd, KVM_DEV_RISCV_AIA_GRP_IMSIC,
			       KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, 0x70), &a));
	/* INIT without IMSIC addresses: direct mode. */
	EXPECT_EQ(0, aia_init(fd));
	vcpu_free(vcpu);
	vm_free(vm);
}

/* INIT's rules, late writes, GSIs before and after it. */
TEST(init_rules)
{
	struct vm *vm = vm_create_empty();
	uint64_t a = 0;
	int fd, vfd;

	EXPECT_EQ(-ENXIO, irq_line(vm, 1, 1));
	AIA_OR_SKIP(vm, fd);
	/* An irqchip now, not initialised */
	EXPECT_EQ(-EBUSY, irq_line(vm, 1, 1));
	ASSERT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NR_SRCS));
	/* Sources need the APLIC's address */
	EXPECT_EQ(-EINVAL, aia_init(fd));
	ASSERT_EQ(0, addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, AIA_APLIC_BASE));
	/* No more sources than identities */
	ASSERT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 63));
	ASSERT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 64));
	EXPECT_EQ(-EINVAL, aia_init(fd));
	ASSERT_EQ(0, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NR_SRCS));
	EXPECT_EQ(0, aia_init(fd));
	EXPECT_EQ(-EBUSY, aia_init(fd));
	/* Late writes: -EBUSY, even for an unknown attribute; reads work */
	EXPECT_EQ(-EBUSY, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 8));
	EXPECT_EQ(-EBUSY, cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_MODE,
				  KVM_DEV_RISCV_AIA_MODE_EMUL));
	EXPECT_EQ(-EBUSY, cfg_set(fd, 7, 0));
	EXPECT_EQ(-EBUSY, addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, 0));
	EXPECT_EQ(NR_SRCS, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS));
	EXPECT_EQ(0, aget(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			  KVM_DEV_RISCV_AIA_ADDR_APLIC, &a));
	EXPECT_EQ(AIA_APLIC_BASE, a);
	/* GSI n = source n; source 0 and those past the last do not exist */
	EXPECT_EQ(-ENODEV, irq_line(vm, 0, 1));
	EXPECT_EQ(-ENODEV, irq_line(vm, NR_SRCS + 1, 1));
	EXPECT_EQ(-ENODEV, irq_line(vm, 1U << 31, 1));
	EXPECT_EQ(0, irq_line(vm, 1, 1));
	EXPECT_EQ(0, irq_line(vm, 1, 0));
	EXPECT_EQ(0, irq_line(vm, NR_SRCS, 1));
	/* A vCPU created after INIT is fine. */
	vfd = vcpu_create_try(vm, 0);
	EXPECT_LE(0, vfd);
	if (vfd >= 0)
		close(vfd);
	vm_free(vm);
}

/* kvm.ko's INIT wants an IMSIC for each vCPU; rvhv's (direct) does not. */
TEST(init_with_vcpu)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	int fd;

	AIA_OR_SKIP(vm, fd);
	EXPECT_EQ(dev_is_kvm() ? -EINVAL : 0, aia_init(fd));
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST(init_without_sources)
{
	struct vm *vm = vm_create_empty();
	uint32_t v;
	int fd;

	AIA_OR_SKIP(vm, fd);
	EXPECT_EQ(0, aia_init(fd));
	EXPECT_EQ(-ENODEV, irq_line(vm, 1, 1));
	EXPECT_EQ(-ENODEV, aplic_get(fd, 0, &v));
	EXPECT_EQ(-ENODEV, ahas(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, 0));
	vm_free(vm);
}

/* A device initialised with NR_SRCS sources at AIA_APLIC_BASE. */
static int aia_ready(struct vm *vm)
{
	int fd = aia_create(vm);

	if (fd < 0)
		return fd;
	VM_CHECK(!cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NR_SRCS), "srcs");
	VM_CHECK(!addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, AIA_APLIC_BASE),
		 "addr");
	VM_CHECK(!aia_init(fd), "init");
	return fd;
}

#define AIA_READY_OR_SKIP(vm, fd) do {					\
	fd = aia_ready(vm);						\
	if (fd == -ENODEV && dev_is_kvm()) {				\
		vm_free(vm);						\
		SKIP(return, AIA_NO_KVM);				\
	}								\
	ASSERT_LE(0, fd);						\
} while (0)

TEST(aplic_registers)
{
	struct vm *vm = vm_create_empty();
	uint32_t v, dm;
	int fd;

	AIA_READY_OR_SKIP(vm, fd);
	/* kvm.ko's APLIC is in MSI mode, rvhv's in direct mode. */
	dm = dev_is_kvm() ? APLIC_DOMAINCFG_DM : 0;
	EXPECT_EQ(0x80000000 | dm, aplic_rd(fd, APLIC_DOMAINCFG));
	EXPECT_EQ(0, ahas(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, APLIC_DOMAINCFG));
	/* sourcecfg: modes; delegation refused (no child domain) */
	EXPECT_EQ(0, aplic_set(fd, APLIC_SOURCECFG(1), APLIC_SM_LEVEL_HIGH));
	EXPECT_EQ(APLIC_SM_LEVEL_HIGH, aplic_rd(fd, APLIC_SOURCECFG(1)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_SOURCECFG(2),
			       APLIC_SOURCECFG_D | APLIC_SM_LEVEL_HIGH));
	EXPECT_EQ(0, aplic_rd(fd, APLIC_SOURCECFG(2)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_SOURCECFG(3), APLIC_SM_EDGE_RISE));
	EXPECT_EQ(APLIC_SM_EDGE_RISE, aplic_rd(fd, APLIC_SOURCECFG(3)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_SOURCECFG(NR_SRCS),
			       APLIC_SM_EDGE_FALL));
	EXPECT_EQ(APLIC_SM_EDGE_FALL, aplic_rd(fd, APLIC_SOURCECFG(NR_SRCS)));
	EXPECT_EQ(-ENODEV, aplic_get(fd, APLIC_SOURCECFG(NR_SRCS + 1), &v));
	EXPECT_EQ(-ENODEV, aplic_set(fd, APLIC_SOURCECFG(NR_SRCS + 1), 4));
	/* target: 5 is EIID 5 (MSI) or priority 5 (direct), hart 0 */
	EXPECT_EQ(0, aplic_set(fd, APLIC_TARGET(1), 5));
	EXPECT_EQ(5, aplic_rd(fd, APLIC_TARGET(1)));
	EXPECT_EQ(-ENODEV, aplic_get(fd, APLIC_TARGET(NR_SRCS + 1), &v));
	/* enable and pending bits, by number and by word (IE off) */
	EXPECT_EQ(0, aplic_set(fd, APLIC_SETIENUM, 3));
	EXPECT_EQ(1U << 3, aplic_rd(fd, APLIC_SETIE(0)));
	EXPECT_EQ(0, aplic_rd(fd, APLIC_CLRIE(0)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_SETIPNUM, 3));
	EXPECT_EQ(1U << 3, aplic_rd(fd, APLIC_SETIP(0)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_CLRIPNUM, 3));
	EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIP(0)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_SETIP(0), 1U << 3));
	EXPECT_EQ(1U << 3, aplic_rd(fd, APLIC_SETIP(0)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_IN_CLRIP(0), 1U << 3));
	EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIP(0)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_SETIPNUM_LE, 3));
	EXPECT_EQ(1U << 3, aplic_rd(fd, APLIC_SETIP(0)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_CLRIE(0), 1U << 3));
	EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIE(0)));
	EXPECT_EQ(0, aplic_set(fd, APLIC_CLRIENUM, 3));
	/* The write-only registers read 0. */
	EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIPNUM));
	EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIENUM));
	EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIPNUM_BE));
	/* Word 1 exists (sources 32..63), word 2 does not */
	EXPECT_EQ(0, aplic_get(fd, APLIC_SETIP(1), &v));
	EXPECT_EQ(-ENODEV, aplic_get(fd, APLIC_SETIP(2), &v));
	/* The raw input, rectified: source 1 (level high) raised */
	EXPECT_EQ(0, irq_line(vm, 1, 1));
	EXPECT_EQ(1U << 1, aplic_rd(fd, APLIC_IN_CLRIP(0)) & (1U << 1));
	/* Offsets: 4-byte aligned, a register */
	EXPECT_EQ(-EOPNOTSUPP, aplic_get(fd, 2, &v));
	EXPECT_EQ(-EOPNOTSUPP, aplic_set(fd, 0x1c01, 0));
	EXPECT_EQ(-EOPNOTSUPP, ahas(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, 3));
	EXPECT_EQ(-ENODEV, aplic_get(fd, 0x1000, &v));
	EXPECT_EQ(-ENODEV, ahas(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, 0x1000));
	EXPECT_EQ(-ENODEV, aplic_get(fd, 0x10000, &v));
	EXPECT_EQ(-ENODEV, aplic_get(fd, 1ULL << 40, &v));
	EXPECT_EQ(-EFAULT, aset(fd, KVM_DEV_RISCV_AIA_GRP_APLIC, 0, NULL));
	/* IE, and what only direct mode has */
	EXPECT_EQ(0, aplic_set(fd, APLIC_DOMAINCFG, ~0U));
	EXPECT_EQ(0x80000000 | APLIC_DOMAINCFG_IE | dm,
		  aplic_rd(fd, APLIC_DOMAINCFG));
	if (dev_is_kvm()) {
		EXPECT_EQ(-ENODEV, aplic_get(fd, APLIC_IDC(0), &v));
	} else {
		EXPECT_EQ(0, aplic_set(fd, APLIC_IDC(0) + APLIC_ITHRESHOLD,
				       0x1ff));
		EXPECT_EQ(0xff, aplic_rd(fd, APLIC_IDC(0) + APLIC_ITHRESHOLD));
		EXPECT_EQ(0, aplic_set(fd, APLIC_IDC(63) + APLIC_IDELIVERY, 3));
		EXPECT_EQ(1, aplic_rd(fd, APLIC_IDC(63) + APLIC_IDELIVERY));
		EXPECT_EQ(-ENODEV, aplic_get(fd, APLIC_IDC(64), &v));
		EXPECT_EQ(-ENODEV, aplic_get(fd, APLIC_IDC(0) + 0xc, &v));
		/* Direct priorities are 1..255: 0 reads 1 */
		EXPECT_EQ(0, aplic_set(fd, APLIC_TARGET(2), 5U << 18));
		EXPECT_EQ((5U << 18) | 1, aplic_rd(fd, APLIC_TARGET(2)));
		/* Reserved modes are inactive; inactive is never enabled */
		EXPECT_EQ(0, aplic_set(fd, APLIC_SOURCECFG(4), 2));
		EXPECT_EQ(0, aplic_rd(fd, APLIC_SOURCECFG(4)));
		EXPECT_EQ(0, aplic_set(fd, APLIC_SETIENUM, 4));
		EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIE(0)) & (1U << 4));
		/* Level sources follow their input, not setip */
		EXPECT_EQ(1U << 1, aplic_rd(fd, APLIC_SETIP(0)) & (1U << 1));
		EXPECT_EQ(0, aplic_set(fd, APLIC_CLRIPNUM, 1));
		EXPECT_EQ(1U << 1, aplic_rd(fd, APLIC_SETIP(0)) & (1U << 1));
		EXPECT_EQ(0, irq_line(vm, 1, 0));
		EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIP(0)) & (1U << 1));
		EXPECT_EQ(0, aplic_set(fd, APLIC_SETIPNUM, 1));
		EXPECT_EQ(0, aplic_rd(fd, APLIC_SETIP(0)) & (1U << 1));
		/* genmsi is MSI mode's */
		EXPECT_EQ(0, aplic_set(fd, APLIC_GENMSI, 0x1234));
		EXPECT_EQ(0, aplic_rd(fd, APLIC_GENMSI));
	}
	vm_free(vm);
}

/* Registers read from one VM and written to another: the same state. */
TEST(save_restore)
{
	static const uint32_t offs[] = {
		APLIC_SOURCECFG(1), APLIC_SOURCECFG(3), APLIC_SOURCECFG(7),
		APLIC_TARGET(1), APLIC_TARGET(3), APLIC_TARGET(7),
		APLIC_SETIE(0), APLIC_SETIP(0), APLIC_DOMAINCFG,
	};
	struct vm *a = vm_create_empty(), *b;
	uint32_t v[sizeof(offs) / sizeof(offs[0])];
	unsigned int i;
	int fa, fb;

	AIA_READY_OR_SKIP(a, fa);
	b = vm_create_empty();
	fb = aia_ready(b);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, aplic_set(fa, APLIC_SOURCECFG(1), APLIC_SM_EDGE_RISE));
	ASSERT_EQ(0, aplic_set(fa, APLIC_SOURCECFG(3), APLIC_SM_EDGE_FALL));
	ASSERT_EQ(0, aplic_set(fa, APLIC_SOURCECFG(7), APLIC_SM_DETACHED));
	ASSERT_EQ(0, aplic_set(fa, APLIC_TARGET(1), 3));
	ASSERT_EQ(0, aplic_set(fa, APLIC_TARGET(3), 9));
	ASSERT_EQ(0, aplic_set(fa, APLIC_TARGET(7), 17));
	ASSERT_EQ(0, aplic_set(fa, APLIC_SETIENUM, 3));
	ASSERT_EQ(0, aplic_set(fa, APLIC_SETIPNUM, 7));
	ASSERT_EQ(0, aplic_set(fa, APLIC_SETIPNUM, 1));
	/* kvm.ko: domaincfg last, or IE would forward the pending MSIs */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		v[i] = aplic_rd(fa, offs[i]);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		EXPECT_EQ(0, aplic_set(fb, offs[i], v[i])) TH_LOG("%#x", offs[i]);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		EXPECT_EQ(v[i], aplic_rd(fb, offs[i])) TH_LOG("%#x", offs[i]);
	EXPECT_EQ((1U << 1) | (1U << 7), v[7]);
	vm_free(b);
	vm_free(a);
}

/* Device and VM fds closed in both orders. */
TEST(close_orders)
{
	struct vm *vm = vm_create_empty();
	int fd, vmfd;

	AIA_READY_OR_SKIP(vm, fd);
	/* The device fd first: the VM keeps its device. */
	close(fd);
	EXPECT_EQ(0, irq_line(vm, 1, 1));
	vm_free(vm);

	vm = vm_create_empty();
	fd = aia_ready(vm);
	ASSERT_LE(0, fd);
	/* The VM fd first: the device fd still works, then frees it all. */
	vmfd = vm->fd;
	vm->fd = -1;
	close(vmfd);
	EXPECT_EQ(NR_SRCS, cfg_get(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS));
	EXPECT_EQ(0, aplic_set(fd, APLIC_SOURCECFG(1), APLIC_SM_EDGE_RISE));
	close(fd);
	vm_free(vm);
}

/* Not once a vCPU has run (kvm.ko: -EBUSY). */
TEST(create_after_run)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	int fd;

	vcpu_start(vcpu, GUEST_FN(guest_aia_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	fd = aia_create(vm);
	if (fd == -ENODEV && dev_is_kvm()) {
		vcpu_free(vcpu);
		vm_free(vm);
		SKIP(return, AIA_NO_KVM);
	}
	EXPECT_EQ(-EBUSY, fd);
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * Closing an irqfd's eventfd deassigns it (kvm.ko's EPOLLHUP): the GSI
 * takes a new eventfd, and (rvhv's debugfs) the old irqfd is gone.
 */
TEST(close_eventfd_deassigns_irqfd)
{
	struct vm *vm = vm_create_empty();
	int a = new_efd(), b, i;
	long n = -1;

	ASSERT_EQ(0, irqfd(vm, a, 1, 0, -1));
	if (!dev_is_kvm())
		EXPECT_EQ(1, vms_field("irqfds"));
	close(a);
	for (i = 0; !dev_is_kvm() && i < 100; i++) {
		n = vms_field("irqfds");
		if (!n)
			break;
		usleep(10000);
	}
	if (!dev_is_kvm())
		EXPECT_EQ(0, n);
	b = new_efd();
	EXPECT_EQ(0, irqfd(vm, b, 1, 0, -1));
	if (!dev_is_kvm())
		EXPECT_EQ(1, vms_field("irqfds"));
	/* A resampling one too */
	a = new_efd();
	i = new_efd();
	EXPECT_EQ(0, irqfd(vm, a, 2, KVM_IRQFD_FLAG_RESAMPLE, i));
	close(a);
	close(i);
	a = new_efd();
	EXPECT_EQ(0, irqfd(vm, a, 2, 0, -1));
	close(a);
	close(b);
	vm_free(vm);
}

/* KVM_SET_GSI_ROUTING with room for a few entries. */
struct routing {
	struct kvm_irq_routing r;
	struct kvm_irq_routing_entry e[8];
};

static int set_routing(struct vm *vm, void *r)
{
	return ioctl(vm->fd, KVM_SET_GSI_ROUTING, r) ? -errno : 0;
}

static void route_pin(struct routing *rt, uint32_t gsi, uint32_t chip,
		      uint32_t pin)
{
	struct kvm_irq_routing_entry *e = &rt->e[rt->r.nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* KVM_SET_GSI_ROUTING's checks and errnos (irqchip routes). */
TEST(gsi_routing)
{
	struct vm *vm = vm_create_empty();
	struct routing rt;
	char *page;
	int fd;

	memset(&rt, 0, sizeof(rt));
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	AIA_OR_SKIP(vm, fd);
	EXPECT_EQ(RVHV_MAX_ROUTES, vm_check_cap(vm, KVM_CAP_IRQ_ROUTING));
	EXPECT_EQ(0, set_routing(vm, &rt));
	EXPECT_EQ(-EFAULT, set_routing(vm, NULL));
	rt.r.flags = 1;
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	rt.r.flags = 0;
	rt.r.nr = RVHV_MAX_ROUTES + 1;
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	/* Entries that cannot be read */
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, mprotect(page + 4096, 4096, PROT_NONE));
	((struct kvm_irq_routing *)(page + 4096 - 8))->nr = 1;
	((struct kvm_irq_routing *)(page + 4096 - 8))->flags = 0;
	EXPECT_EQ(-EFAULT, set_routing(vm, page + 4096 - 8));
	munmap(page, 8192);
	/* Entries */
	rt.r.nr = 0;
	route_pin(&rt, 1, 0, 1);
	route_pin(&rt, 2, 0, 1023);
	route_pin(&rt, 4095, 0, 2);
	route_pin(&rt, 3, 0, 2);
	EXPECT_EQ(0, set_routing(vm, &rt));
	rt.r.nr = 0;
	route_pin(&rt, 4096, 0, 1);
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	rt.r.nr = 0;
	route_pin(&rt, 1, 1, 1);
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	rt.r.nr = 0;
	route_pin(&rt, 1, 0, 1024);
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	rt.r.nr = 0;
	route_pin(&rt, 1, 0, 1);
	rt.e[0].flags = 1;
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	rt.e[0].flags = 0;
	rt.e[0].type = 99;
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	/* One pin per GSI and chip */
	rt.r.nr = 0;
	route_pin(&rt, 5, 0, 1);
	route_pin(&rt, 5, 0, 2);
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	/* MSI routes need an IMSIC: kvm.ko's, not rvhv's */
	rt.r.nr = 1;
	memset(&rt.e[0], 0, sizeof(rt.e[0]));
	rt.e[0].gsi = 9;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = 0x28000000;
	EXPECT_EQ(dev_is_kvm() ? 0 : -EINVAL, set_routing(vm, &rt));
	rt.e[0].flags = 2;
	EXPECT_EQ(-EINVAL, set_routing(vm, &rt));
	vm_free(vm);
}

/* --- direct delivery mode (rvhv) ------------------------------------- */

/* A VM with vCPU 0 in guest_aia_loop and an initialised direct APLIC. */
struct avm {
	struct vm *vm;
	struct vcpu *vcpu;
	int fd;
	volatile struct aia_shared *sh;
	unsigned long cmds;
};

static void avm_create(struct avm *a)
{
	memset(a, 0, sizeof(*a));
	a->vm = vm_create();
	a->vcpu = vcpu_create(a->vm, 0);
	a->fd = aia_ready(a->vm);
	VM_CHECK(a->fd >= 0, "AIA: %s", strerror(-a->fd));
	a->sh = vm_gpa2hva(a->vm, AIA_SHARED);
	memset((void *)a->sh, 0, sizeof(*a->sh));
	a->sh->base = AIA_APLIC_BASE;
	a->sh->freq = vcpu_get_reg(a->vcpu, RISCV_TIMER_REG(frequency));
	vcpu_start(a->vcpu, GUEST_FN(guest_aia_loop), 0, 0);
	vcpu_expect_ucall(a->vcpu, UCALL_SYNC, NULL);
}

static void avm_free(struct avm *a)
{
	vcpu_free(a->vcpu);
	vm_free(a->vm);
}

/*
 * One guest command, answered by its REPORT: any other exit to the VMM
 * fails the test (the APLIC is the kernel's).  Returns the result.
 */
static unsigned long acmd(struct avm *a, unsigned long op, unsigned long off,
			  unsigned long val, unsigned long n)
{
	volatile struct guest_cmd *gc = vm_gpa2hva(a->vm, GUEST_CMD);
	struct ucall uc;
	int r;

	gc->op = op;
	gc->addr = AIA_APLIC_BASE + off;
	gc->val = val;
	gc->n = n;
	r = vcpu_ucall_try(a->vcpu, &uc);
	if (r)
		vcpu_fail(a->vcpu, "command %lu at %#lx: %s", op, off,
			  r < 0 ? strerror(-r) : "an exit to the VMM");
	VM_CHECK(uc.fid == UCALL_REPORT && uc.args[0] == op,
		 "ucall %lu (%lu)", uc.fid, uc.args[0]);
	a->cmds++;
	return uc.args[1];
}

static void gw(struct avm *a, unsigned long off, uint32_t val)
{
	acmd(a, AIA_W32, off, val, 0);
}

static uint32_t gr(struct avm *a, unsigned long off)
{
	return acmd(a, AIA_R32, off, 0, 0);
}

/* Interrupts on in the guest until it has @n claims (at most 1 s). */
static unsigned long gwait(struct avm *a, unsigned long n)
{
	return acmd(a, AIA_WAIT, 0, 0, n);
}

/* The same for 50 ms: for interrupts that must not come. */
static unsigned long gnone(struct avm *a, unsigned long n)
{
	return acmd(a, AIA_WAIT, 0, 50, n);
}

/* The guest programs source @irq (mode @sm) for hart 0 at priority @prio. */
static void gsource(struct avm *a, uint32_t irq, uint32_t sm, uint32_t prio)
{
	gw(a, APLIC_SOURCECFG(irq), sm);
	gw(a, APLIC_TARGET(irq), prio);
	gw(a, APLIC_SETIENUM, irq);
}

static void gdomain_on(struct avm *a)
{
	gw(a, APLIC_IDC(0) + APLIC_IDELIVERY, 1);
	gw(a, APLIC_IDC(0) + APLIC_ITHRESHOLD, 0);
	gw(a, APLIC_DOMAINCFG, APLIC_DOMAINCFG_IE);
}

#define DIRECT_OR_SKIP() do {						\
	if (dev_is_kvm())						\
		SKIP(return, AIA_DIRECT_ONLY);				\
} while (0)

TEST(direct_edge_irq_line)
{
	struct avm a;

	DIRECT_OR_SKIP();
	avm_create(&a);
	EXPECT_EQ(0x80000000 | 0, gr(&a, APLIC_DOMAINCFG));
	gsource(&a, 1, APLIC_SM_EDGE_RISE, 4);
	gdomain_on(&a);
	EXPECT_EQ(0, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	EXPECT_EQ(0, irq_line(a.vm, 1, 1));
	EXPECT_EQ((1U << 16) | 4, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	EXPECT_EQ(1, gwait(&a, 1));
	EXPECT_EQ((1U << 16) | 4, a.sh->last[0]);
	/* The claim cleared it; the input is still high: no new edge */
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)));
	EXPECT_EQ(0, irq_line(a.vm, 1, 1));
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)));
	EXPECT_EQ(0, irq_line(a.vm, 1, 0));
	EXPECT_EQ(0, irq_line(a.vm, 1, 1));
	EXPECT_EQ(2, gwait(&a, 2));
	/* Falling edges for an edge-fall source */
	gsource(&a, 2, APLIC_SM_EDGE_FALL, 4);
	EXPECT_EQ(0, irq_line(a.vm, 2, 1));
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)));
	EXPECT_EQ(0, irq_line(a.vm, 2, 0));
	EXPECT_EQ(3, gwait(&a, 3));
	EXPECT_EQ((2U << 16) | 4, a.sh->last[2]);
	/* setipnum, and its big-endian form, from the guest */
	gw(&a, APLIC_SETIPNUM, 1);
	EXPECT_EQ(4, gwait(&a, 4));
	gw(&a, APLIC_SETIPNUM_BE, 0x01000000);
	EXPECT_EQ(5, gwait(&a, 5));
	EXPECT_EQ(0, a.sh->spurious);
	TH_LOG("%lu guest commands, one exit each", a.cmds);
	avm_free(&a);
}

TEST(direct_level_irq_line)
{
	struct avm a;

	DIRECT_OR_SKIP();
	avm_create(&a);
	gsource(&a, 3, APLIC_SM_LEVEL_HIGH, 2);
	gdomain_on(&a);
	a.sh->mask_on_claim = 1;
	EXPECT_EQ(0, irq_line(a.vm, 3, 1));
	EXPECT_EQ(1, gwait(&a, 1));
	/* Still asserted: still pending after the claim (masked by it) */
	EXPECT_EQ(1U << 3, gr(&a, APLIC_SETIP(0)));
	EXPECT_EQ(0, gr(&a, APLIC_SETIE(0)));
	EXPECT_EQ(1U << 3, gr(&a, APLIC_IN_CLRIP(0)));
	/* The guest cannot clear a level source's pending bit */
	gw(&a, APLIC_CLRIPNUM, 3);
	EXPECT_EQ(1U << 3, gr(&a, APLIC_SETIP(0)));
	EXPECT_EQ(0, irq_line(a.vm, 3, 0));
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)));
	gw(&a, APLIC_SETIENUM, 3);
	EXPECT_EQ(1, gnone(&a, 2));
	/* Level low: asserted at 0 */
	gsource(&a, 4, APLIC_SM_LEVEL_LOW, 2);
	EXPECT_EQ(2, gwait(&a, 2));
	EXPECT_EQ((4U << 16) | 2, a.sh->last[1]);
	EXPECT_EQ(0, irq_line(a.vm, 4, 1));
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)));
	avm_free(&a);
}

/*
 * Migration with the in-kernel APLIC: an edge interrupt pending and a
 * level one asserted while the guest has interrupts off are saved with
 * the vCPU (KVM_GET_REG_LIST), the APLIC's registers (GRP_APLIC) and the
 * guest's memory, and restored into a fresh VM whose vCPU never ran:
 * APLIC registers first, the level input again (input levels are the
 * VMM's devices' state), domaincfg last; the copy's guest takes both.
 */
TEST(direct_migrates)
{
	static const uint32_t offs[] = {
		APLIC_SOURCECFG(1), APLIC_SOURCECFG(3), APLIC_TARGET(1),
		APLIC_TARGET(3), APLIC_SETIE(0), APLIC_SETIP(0),
		APLIC_IDC(0) + APLIC_IDELIVERY, APLIC_IDC(0) + APLIC_IFORCE,
		APLIC_IDC(0) + APLIC_ITHRESHOLD, APLIC_DOMAINCFG,
	};
	uint32_t v[ARRAY_SIZE(offs)];
	struct vcpu_state st;
	struct avm a, b;
	unsigned int i;

	DIRECT_OR_SKIP();
	avm_create(&a);
	gsource(&a, 1, APLIC_SM_EDGE_RISE, 4);
	gsource(&a, 3, APLIC_SM_LEVEL_HIGH, 2);
	gdomain_on(&a);
	a.sh->mask_on_claim = 1;
	EXPECT_EQ(0, irq_line(a.vm, 1, 1));
	EXPECT_EQ(0, irq_line(a.vm, 3, 1));
	EXPECT_EQ((1U << 1) | (1U << 3), gr(&a, APLIC_SETIP(0)));
	EXPECT_EQ((3U << 16) | 2, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	/* The save rule: complete the REPORT's ucall exit first */
	a.vcpu->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(a.vcpu));
	vcpu_state_save(a.vcpu, &st);
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		v[i] = aplic_rd(a.fd, offs[i]);

	memset(&b, 0, sizeof(b));
	b.vm = vm_create();
	b.vcpu = vcpu_create(b.vm, 0);
	b.fd = aia_ready(b.vm);
	ASSERT_LE(0, b.fd);
	memcpy(b.vm->ram, a.vm->ram, GUEST_RAM_SIZE);
	b.sh = vm_gpa2hva(b.vm, AIA_SHARED);
	avm_free(&a);
	EXPECT_EQ(0, vcpu_state_restore(b.vcpu, &st));
	for (i = 0; i < ARRAY_SIZE(offs) - 1; i++)
		EXPECT_EQ(0, aplic_set(b.fd, offs[i], v[i])) TH_LOG("%#x", offs[i]);
	EXPECT_EQ(0, irq_line(b.vm, 3, 1));
	EXPECT_EQ(0, aplic_set(b.fd, APLIC_DOMAINCFG, v[i]));
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		EXPECT_EQ(v[i], aplic_rd(b.fd, offs[i])) TH_LOG("%#x", offs[i]);
	EXPECT_EQ(2, gwait(&b, 2));
	EXPECT_EQ(0, b.sh->spurious);
	EXPECT_EQ(0, gr(&b, APLIC_SETIP(0)) & (1U << 1));
	vcpu_state_free(&st);
	avm_free(&b);
}

TEST(direct_masked_and_threshold)
{
	struct avm a;

	DIRECT_OR_SKIP();
	avm_create(&a);
	gsource(&a, 5, APLIC_SM_EDGE_RISE, 5);
	gsource(&a, 6, APLIC_SM_EDGE_RISE, 2);
	gw(&a, APLIC_CLRIENUM, 5);
	gdomain_on(&a);
	/* Disabled: pending, not delivered */
	EXPECT_EQ(0, irq_line(a.vm, 5, 1));
	EXPECT_EQ(0, gnone(&a, 1));
	EXPECT_EQ(1U << 5, gr(&a, APLIC_SETIP(0)));
	EXPECT_EQ(0, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	/* Threshold 3: priority 2 passes, 5 waits */
	gw(&a, APLIC_IDC(0) + APLIC_ITHRESHOLD, 3);
	gw(&a, APLIC_SETIENUM, 5);
	EXPECT_EQ(0, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	EXPECT_EQ(0, irq_line(a.vm, 6, 1));
	EXPECT_EQ((6U << 16) | 2, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	EXPECT_EQ(1, gnone(&a, 2));
	EXPECT_EQ((6U << 16) | 2, a.sh->last[0]);
	/* Threshold off: 5 comes */
	gw(&a, APLIC_IDC(0) + APLIC_ITHRESHOLD, 0);
	EXPECT_EQ(2, gwait(&a, 2));
	EXPECT_EQ((5U << 16) | 5, a.sh->last[1]);
	/* Both pending: the more urgent (lower) priority first */
	gw(&a, APLIC_DOMAINCFG, 0);
	gw(&a, APLIC_SETIPNUM, 5);
	gw(&a, APLIC_SETIPNUM, 6);
	EXPECT_EQ(2, gnone(&a, 3));
	gw(&a, APLIC_DOMAINCFG, APLIC_DOMAINCFG_IE);
	EXPECT_EQ(4, gwait(&a, 4));
	EXPECT_EQ((6U << 16) | 2, a.sh->last[2]);
	EXPECT_EQ((5U << 16) | 5, a.sh->last[3]);
	/* idelivery off: nothing; iforce: a spurious interrupt (claimi 0) */
	gw(&a, APLIC_IDC(0) + APLIC_IDELIVERY, 0);
	gw(&a, APLIC_SETIPNUM, 6);
	EXPECT_EQ(4, gnone(&a, 5));
	gw(&a, APLIC_IDC(0) + APLIC_IDELIVERY, 1);
	EXPECT_EQ(5, gwait(&a, 5));
	gw(&a, APLIC_IDC(0) + APLIC_IFORCE, 1);
	EXPECT_EQ(5, gnone(&a, 6));
	EXPECT_LE(1, a.sh->spurious);
	EXPECT_EQ(0, gr(&a, APLIC_IDC(0) + APLIC_IFORCE));
	avm_free(&a);
}

TEST(direct_irqfd)
{
	struct avm a;
	int efd = new_efd(), rfd = new_efd(), lfd = new_efd();

	DIRECT_OR_SKIP();
	avm_create(&a);
	gsource(&a, 7, APLIC_SM_EDGE_RISE, 1);
	gsource(&a, 8, APLIC_SM_LEVEL_HIGH, 1);
	gdomain_on(&a);
	ASSERT_EQ(0, irqfd(a.vm, efd, 7, 0, -1));
	ASSERT_EQ(0, irqfd(a.vm, lfd, 8, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	/* Edge: each signal raises and lowers the source */
	efd_signal(efd);
	EXPECT_EQ(1, gwait(&a, 1));
	EXPECT_EQ(0, gr(&a, APLIC_IN_CLRIP(0)) & (1U << 7));
	efd_signal(efd);
	EXPECT_EQ(2, gwait(&a, 2));
	/* Resample: raised until the guest claims it, then lowered */
	efd_signal(lfd);
	EXPECT_EQ(1U << 8, gr(&a, APLIC_IN_CLRIP(0)) & (1U << 8));
	EXPECT_EQ(0, efd_take(rfd));
	EXPECT_EQ(3, gwait(&a, 3));
	EXPECT_EQ((8U << 16) | 1, a.sh->last[2]);
	EXPECT_EQ(1, efd_take(rfd));
	EXPECT_EQ(0, gr(&a, APLIC_IN_CLRIP(0)) & (1U << 8));
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)) & (1U << 8));
	EXPECT_EQ(3, gnone(&a, 4));
	efd_signal(lfd);
	EXPECT_EQ(4, gwait(&a, 4));
	EXPECT_EQ(1, efd_take(rfd));
	/* Deassign of a raised resampling irqfd lowers its line */
	efd_signal(lfd);
	gw(&a, APLIC_CLRIENUM, 8);
	EXPECT_EQ(1U << 8, gr(&a, APLIC_SETIP(0)) & (1U << 8));
	ASSERT_EQ(0, irqfd(a.vm, lfd, 8, KVM_IRQFD_FLAG_DEASSIGN, -1));
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)) & (1U << 8));
	/* GSIs the APLIC does not have: dropped */
	ASSERT_EQ(0, irqfd(a.vm, lfd, NR_SRCS + 1, 0, -1));
	efd_signal(lfd);
	EXPECT_EQ(4, gnone(&a, 5));
	TH_LOG("%lu guest commands, one exit each", a.cmds);
	close(efd);
	close(rfd);
	close(lfd);
	avm_free(&a);
}

/* irqfds go through the GSI routing; KVM_IRQ_LINE names the source. */
TEST(direct_routing)
{
	int efd = new_efd(), lfd = new_efd(), rfd = new_efd();
	struct routing rt;
	struct avm a;

	DIRECT_OR_SKIP();
	avm_create(&a);
	gsource(&a, 7, APLIC_SM_EDGE_RISE, 1);
	gsource(&a, 8, APLIC_SM_LEVEL_HIGH, 1);
	gdomain_on(&a);
	memset(&rt, 0, sizeof(rt));
	route_pin(&rt, 100, 0, 7);
	route_pin(&rt, 200, 0, 8);
	ASSERT_EQ(0, set_routing(a.vm, &rt));
	ASSERT_EQ(0, irqfd(a.vm, efd, 100, 0, -1));
	ASSERT_EQ(0, irqfd(a.vm, lfd, 200, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	efd_signal(efd);
	EXPECT_EQ(1, gwait(&a, 1));
	EXPECT_EQ((7U << 16) | 1, a.sh->last[0]);
	efd_signal(lfd);
	EXPECT_EQ(2, gwait(&a, 2));
	EXPECT_EQ((8U << 16) | 1, a.sh->last[1]);
	EXPECT_EQ(1, efd_take(rfd));
	EXPECT_EQ(-ENODEV, irq_line(a.vm, 100, 1));
	/* GSI 7 is no longer source 7 */
	ASSERT_EQ(0, irqfd(a.vm, efd, 100, KVM_IRQFD_FLAG_DEASSIGN, -1));
	ASSERT_EQ(0, irqfd(a.vm, efd, 7, 0, -1));
	efd_signal(efd);
	EXPECT_EQ(2, gnone(&a, 3));
	/* An empty table: nothing leads anywhere */
	rt.r.nr = 0;
	ASSERT_EQ(0, set_routing(a.vm, &rt));
	efd_signal(lfd);
	EXPECT_EQ(2, gnone(&a, 3));
	EXPECT_EQ(0, efd_take(rfd));
	/* KVM_IRQ_LINE still reaches the source */
	EXPECT_EQ(0, irq_line(a.vm, 7, 1));
	EXPECT_EQ(3, gwait(&a, 3));
	close(efd);
	close(lfd);
	close(rfd);
	avm_free(&a);
}

struct delayed_signal {
	int fd;
	unsigned int ms;
};

static void *signal_later(void *arg)
{
	struct delayed_signal *d = arg;

	usleep(d->ms * 1000);
	efd_signal(d->fd);
	return NULL;
}

/* Delivery to a vCPU spinning in the guest and to one halted in WFI. */
TEST(direct_running_and_wfi)
{
	struct delayed_signal d;
	struct avm a;
	pthread_t thr;

	DIRECT_OR_SKIP();
	avm_create(&a);
	d.fd = new_efd();
	d.ms = 100;
	gsource(&a, 9, APLIC_SM_EDGE_RISE, 1);
	gdomain_on(&a);
	ASSERT_EQ(0, irqfd(a.vm, d.fd, 9, 0, -1));
	ASSERT_EQ(0, pthread_create(&thr, NULL, signal_later, &d));
	EXPECT_EQ(1, gwait(&a, 1));
	pthread_join(thr, NULL);
	ASSERT_EQ(0, pthread_create(&thr, NULL, signal_later, &d));
	EXPECT_EQ(2, acmd(&a, AIA_WFI, 0, 0, 2));
	pthread_join(thr, NULL);
	EXPECT_LE(1, a.sh->wfis);
	TH_LOG("%lu WFIs returned", (unsigned long)a.sh->wfis);
	close(d.fd);
	avm_free(&a);
}

struct storm {
	struct vm *vm;
	int efd;
	volatile int done;
	unsigned long signals;
};

/*
 * Signal an irqfd without pause, and now and then assign an irqfd to a
 * new eventfd, signal it and close it (released from its wake-up).
 */
static void *storm_fn(void *arg)
{
	struct storm *st = arg;
	int i, fd;

	for (i = 0; i < 1000; i++) {
		efd_signal(st->efd);
		st->signals++;
		if (i % 100)
			continue;
		fd = new_efd();
		VM_CHECK(!irqfd(st->vm, fd, 12, 0, -1), "irqfd");
		efd_signal(fd);
		close(fd);
	}
	st->done = 1;
	return NULL;
}

/* Signals from another thread while the guest claims: no loss, no splat. */
TEST(direct_irqfd_storm)
{
	struct storm st = { 0 };
	struct avm a;
	pthread_t thr;
	unsigned long claims = 0;
	long n = -1;
	int i;

	DIRECT_OR_SKIP();
	avm_create(&a);
	gsource(&a, 10, APLIC_SM_EDGE_RISE, 3);
	gsource(&a, 12, APLIC_SM_EDGE_RISE, 3);
	gdomain_on(&a);
	st.vm = a.vm;
	st.efd = new_efd();
	ASSERT_EQ(0, irqfd(a.vm, st.efd, 10, 0, -1));
	ASSERT_EQ(0, pthread_create(&thr, NULL, storm_fn, &st));
	while (!st.done)
		claims = acmd(&a, AIA_WAIT, 0, 100, 1UL << 40);
	pthread_join(thr, NULL);
	claims = acmd(&a, AIA_WAIT, 0, 100, 1UL << 40);
	TH_LOG("%lu signals, %lu claims, %lu spurious", st.signals, claims,
	       (unsigned long)a.sh->spurious);
	EXPECT_LE(1, claims);
	EXPECT_GE(st.signals + 10, claims);
	/* Nothing is left pending or raised. */
	EXPECT_EQ(0, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(0)));
	/* The closed eventfds' irqfds are gone; the storm's stays. */
	for (i = 0; i < 100; i++) {
		n = vms_field("irqfds");
		if (n == 1)
			break;
		usleep(10000);
	}
	EXPECT_EQ(1, n);
	close(st.efd);
	avm_free(&a);
}

/* A source for a hart with no vCPU reaches nobody, until it exists. */
TEST(direct_other_hart)
{
	struct avm a;
	int vfd;

	DIRECT_OR_SKIP();
	avm_create(&a);
	gsource(&a, 13, APLIC_SM_EDGE_RISE, 1);
	gw(&a, APLIC_TARGET(13), (1U << 18) | 1);
	gdomain_on(&a);
	gw(&a, APLIC_IDC(1) + APLIC_IDELIVERY, 1);
	EXPECT_EQ(0, irq_line(a.vm, 13, 1));
	EXPECT_EQ(0, gnone(&a, 1));
	EXPECT_EQ(0, gr(&a, APLIC_IDC(0) + APLIC_TOPI));
	EXPECT_EQ((13U << 16) | 1, gr(&a, APLIC_IDC(1) + APLIC_TOPI));
	EXPECT_EQ((13U << 16) | 1, aplic_rd(a.fd, APLIC_IDC(1) + APLIC_TOPI));
	/* An attribute read of claimi does not claim. */
	EXPECT_EQ((13U << 16) | 1, aplic_rd(a.fd, APLIC_IDC(1) + APLIC_CLAIMI));
	EXPECT_EQ((13U << 16) | 1, gr(&a, APLIC_IDC(1) + APLIC_TOPI));
	vfd = vcpu_create_try(a.vm, 1);
	EXPECT_LE(0, vfd);
	EXPECT_EQ(0, gnone(&a, 1));
	/* Back to hart 0 */
	gw(&a, APLIC_TARGET(13), 1);
	EXPECT_EQ(1, gwait(&a, 1));
	if (vfd >= 0)
		close(vfd);
	avm_free(&a);
}

/* --- MSI mode: the IMSIC (rvhv's emulated one; kvm.ko's) ------------- */

/* One guest command with an absolute address (acmd() adds the APLIC's). */
static unsigned long acmd_abs(struct avm *a, unsigned long op,
			      unsigned long addr, unsigned long val,
			      unsigned long n)
{
	return acmd(a, op, addr - AIA_APLIC_BASE, val, n);
}

static int signal_msi(struct vm *vm, uint64_t addr, uint32_t data,
		      uint32_t flags)
{
	struct kvm_msi m = { .address_lo = (uint32_t)addr,
			     .address_hi = addr >> 32, .data = data,
			     .flags = flags };

	return ioctl(vm->fd, KVM_SIGNAL_MSI, &m);
}

/*
 * An MSI-mode device (no RVHV_CAP_AIA_DIRECT): NR_SRCS sources, 63
 * identities, vCPU 0's IMSIC at AIA_IMSIC_BASE; -ENODEV where there is
 * no AIA (rvhv: a host without Ssaia).
 */
static int avm_create_msi(struct avm *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	a->vm = vm_create();
	a->vcpu = vcpu_create(a->vm, 0);
	VM_CHECK(signal_msi(a->vm, AIA_IMSIC_BASE, 1, 0) == -1 &&
		 errno == EINVAL, "KVM_SIGNAL_MSI without an irqchip");
	a->fd = create_dev(a->vm, KVM_DEV_TYPE_RISCV_AIA, 0);
	if (a->fd < 0) {
		r = a->fd;
		avm_free(a);
		return r;
	}
	VM_CHECK(!cfg_set(a->fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, NR_SRCS), "srcs");
	VM_CHECK(!cfg_set(a->fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 63), "ids");
	VM_CHECK(!addr_set(a->fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, AIA_APLIC_BASE),
		 "aplic");
	/* INIT wants the vCPU's IMSIC */
	VM_CHECK(aia_init(a->fd) == -EINVAL, "init without an IMSIC");
	VM_CHECK(addr_set(a->fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0),
			  AIA_IMSIC_BASE + 8) == -EINVAL, "IMSIC alignment");
	VM_CHECK(!addr_set(a->fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0),
			   AIA_IMSIC_BASE), "imsic");
	VM_CHECK(signal_msi(a->vm, AIA_IMSIC_BASE, 1, 0) == -1 &&
		 errno == EBUSY, "KVM_SIGNAL_MSI before INIT");
	VM_CHECK(!aia_init(a->fd), "init");
	a->sh = vm_gpa2hva(a->vm, AIA_SHARED);
	memset((void *)a->sh, 0, sizeof(*a->sh));
	a->sh->base = AIA_APLIC_BASE;
	a->sh->msi = 1;
	a->sh->freq = vcpu_get_reg(a->vcpu, RISCV_TIMER_REG(frequency));
	vcpu_start(a->vcpu, GUEST_FN(guest_aia_loop), 0, 0);
	vcpu_expect_ucall(a->vcpu, UCALL_SYNC, NULL);
	return 0;
}

#define MSI_OR_SKIP(a) do {							int __r = avm_create_msi(a);						if (__r == -ENODEV)								SKIP(return, "no AIA device in MSI mode here (%s)",			     dev_is_kvm() ? "kvm.ko: no Ssaia" :				     "rvhv: no Ssaia to trap the guest's IMSIC from");		ASSERT_EQ(0, __r);						} while (0)

/*
 * The guest's interrupt file through its CSRs, MSIs from the VMM, from
 * itself (a store to its IMSIC page: no exit) and from the APLIC in MSI
 * mode (KVM_IRQ_LINE, irqfds, genmsi) and through an MSI route, claimed
 * through stopei.  Held to kvm.ko.
 */
TEST(msi_mode)
{
	const unsigned long page = AIA_IMSIC_BASE;
	struct routing rt;
	struct avm a;
	unsigned long v;
	int efd;

	MSI_OR_SKIP(&a);
	efd = new_efd();
	EXPECT_EQ(0x80000000 | APLIC_DOMAINCFG_DM, gr(&a, APLIC_DOMAINCFG));
	/* The file: delivery on, identities 1..63 enabled */
	acmd_abs(&a, AIA_ISEL_W, IMSIC_EIDELIVERY, 1, 0);
	EXPECT_EQ(1, acmd_abs(&a, AIA_ISEL_R, IMSIC_EIDELIVERY, 0, 0));
	acmd_abs(&a, AIA_ISEL_W, IMSIC_EIE0, ~0UL, 0);
	/* Identity 0 and those past 63 do not exist. */
	EXPECT_EQ(~1UL, acmd_abs(&a, AIA_ISEL_R, IMSIC_EIE0, 0, 0));
	v = 0;
	EXPECT_EQ(0, aget(a.fd, KVM_DEV_RISCV_AIA_GRP_IMSIC,
			  KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, IMSIC_EIE0), &v));
	EXPECT_EQ(~1UL, v);
	EXPECT_EQ(0, ahas(a.fd, KVM_DEV_RISCV_AIA_GRP_IMSIC,
			  KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, IMSIC_EIP0)));
	EXPECT_EQ(-EINVAL, ahas(a.fd, KVM_DEV_RISCV_AIA_GRP_IMSIC,
				KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, IMSIC_EIP0 + 1)));
	EXPECT_EQ(-EINVAL, ahas(a.fd, KVM_DEV_RISCV_AIA_GRP_IMSIC,
				KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, IMSIC_EIP0 + 2)));
	EXPECT_EQ(-ENODEV, ahas(a.fd, KVM_DEV_RISCV_AIA_GRP_IMSIC,
				KVM_DEV_RISCV_AIA_IMSIC_MKATTR(1, IMSIC_EIP0)));
	/* KVM_SIGNAL_MSI */
	EXPECT_EQ(0, signal_msi(a.vm, page, 5, 0));
	EXPECT_EQ(1, gwait(&a, 1));
	EXPECT_EQ((5UL << 16) | 5, a.sh->last[0]);
	EXPECT_EQ(-1, signal_msi(a.vm, page, 5, 2));
	EXPECT_EQ(EINVAL, errno);
	/* Nobody's page: nothing, no error */
	EXPECT_EQ(0, signal_msi(a.vm, page + 0x10000, 6, 0));
	EXPECT_EQ(1, gnone(&a, 2));
	/* The guest's own MSI: a store to its page */
	acmd_abs(&a, AIA_W32, page, 9, 0);
	EXPECT_EQ(2, gwait(&a, 2));
	EXPECT_EQ((9UL << 16) | 9, a.sh->last[1]);
	/* Threshold 10: 11 waits in eip, 3 comes */
	acmd_abs(&a, AIA_ISEL_W, IMSIC_EITHRESHOLD, 10, 0);
	EXPECT_EQ(0, signal_msi(a.vm, page, 11, 0));
	EXPECT_EQ(2, gnone(&a, 3));
	EXPECT_EQ(1UL << 11, acmd_abs(&a, AIA_ISEL_R, IMSIC_EIP0, 0, 0));
	EXPECT_EQ(0, signal_msi(a.vm, page, 3, 0));
	EXPECT_EQ(3, gwait(&a, 3));
	acmd_abs(&a, AIA_ISEL_W, IMSIC_EITHRESHOLD, 0, 0);
	EXPECT_EQ(4, gwait(&a, 4));
	EXPECT_EQ((11UL << 16) | 11, a.sh->last[3]);
	/* The APLIC forwards: KVM_IRQ_LINE, an irqfd, genmsi */
	gw(&a, APLIC_SOURCECFG(1), APLIC_SM_EDGE_RISE);
	gw(&a, APLIC_TARGET(1), 12);
	gw(&a, APLIC_SOURCECFG(2), APLIC_SM_EDGE_RISE);
	gw(&a, APLIC_TARGET(2), 13);
	gw(&a, APLIC_SETIENUM, 1);
	gw(&a, APLIC_SETIENUM, 2);
	gw(&a, APLIC_DOMAINCFG, APLIC_DOMAINCFG_IE);
	EXPECT_EQ(12, gr(&a, APLIC_TARGET(1)));
	EXPECT_EQ(0, irq_line(a.vm, 1, 1));
	EXPECT_EQ(5, gwait(&a, 5));
	EXPECT_EQ((12UL << 16) | 12, a.sh->last[4]);
	ASSERT_EQ(0, irqfd(a.vm, efd, 2, 0, -1));
	efd_signal(efd);
	EXPECT_EQ(6, gwait(&a, 6));
	EXPECT_EQ((13UL << 16) | 13, a.sh->last[5]);
	gw(&a, APLIC_GENMSI, 14);
	EXPECT_EQ(7, gwait(&a, 7));
	EXPECT_EQ((14UL << 16) | 14, a.sh->last[6]);
	/* An irqfd through an MSI route (GSI 50: identity 20) */
	memset(&rt, 0, sizeof(rt));
	route_pin(&rt, 2, 0, 2);
	rt.r.nr = 2;
	memset(&rt.e[1], 0, sizeof(rt.e[1]));
	rt.e[1].gsi = 50;
	rt.e[1].type = KVM_IRQ_ROUTING_MSI;
	rt.e[1].u.msi.address_lo = page;
	rt.e[1].u.msi.data = 20;
	ASSERT_EQ(0, set_routing(a.vm, &rt));
	ASSERT_EQ(0, irqfd(a.vm, efd, 2, KVM_IRQFD_FLAG_DEASSIGN, -1));
	ASSERT_EQ(0, irqfd(a.vm, efd, 50, 0, -1));
	efd_signal(efd);
	EXPECT_EQ(8, gwait(&a, 8));
	EXPECT_EQ((20UL << 16) | 20, a.sh->last[7]);
	/* An MSI and a pin for one GSI: -EINVAL */
	route_pin(&rt, 50, 0, 3);
	EXPECT_EQ(-EINVAL, set_routing(a.vm, &rt));
	rt.r.nr = 2;
	route_pin(&rt, 3, 0, 3);
	ASSERT_EQ(0, set_routing(a.vm, &rt));
	/* Resampling (rvhv): the MSI sent lowers the source, signals */
	if (!dev_is_kvm()) {
		int lfd = new_efd(), rfd = new_efd(), i;
		uint64_t n = 0;

		gw(&a, APLIC_SOURCECFG(3), APLIC_SM_LEVEL_HIGH);
		gw(&a, APLIC_TARGET(3), 21);
		gw(&a, APLIC_SETIENUM, 3);
		ASSERT_EQ(0, irqfd(a.vm, lfd, 3, KVM_IRQFD_FLAG_RESAMPLE,
				   rfd));
		efd_signal(lfd);
		EXPECT_EQ(9, gwait(&a, 9));
		EXPECT_EQ((21UL << 16) | 21, a.sh->last[8]);
		for (i = 0; i < 100 && !n; i++) {
			n = efd_take(rfd);
			if (!n)
				usleep(10000);
		}
		EXPECT_EQ(1, n);
		EXPECT_EQ(0, gr(&a, APLIC_IN_CLRIP(0)) & (1U << 3));
		close(lfd);
		close(rfd);
	} else {
		/* kvm.ko takes resampling irqfds and never signals them. */
		EXPECT_EQ(0, irq_line(a.vm, 3, 0));
		EXPECT_EQ(0, signal_msi(a.vm, page, 21, 0));
		EXPECT_EQ(9, gwait(&a, 9));
	}
	/* Delivery off: pending, no interrupt */
	acmd_abs(&a, AIA_ISEL_W, IMSIC_EIDELIVERY, 0, 0);
	EXPECT_EQ(0, signal_msi(a.vm, page, 7, 0));
	EXPECT_EQ(9, gnone(&a, 10));
	acmd_abs(&a, AIA_ISEL_W, IMSIC_EIDELIVERY, 1, 0);
	EXPECT_EQ(10, gwait(&a, 10));
	EXPECT_EQ(0, a.sh->spurious);
	TH_LOG("%lu guest commands, one exit each", a.cmds);
	close(efd);
	avm_free(&a);
}

/*
 * A hostile VMM: random attributes, values, GSIs, routes and MSIs on a
 * device in each mode, before and after INIT.  Only errnos, no splat.
 */
TEST(hostile_vmm)
{
	static const uint64_t attrs[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 0x70, 0x72, 0x80, 0xc0, 0x1c00,
		0x1cdc, 0x2000, 0x3000, 0x3004, 0x4000, 0x401c, 0x47fc,
		0x4800, 0x1000 | 0x70, 0x3f000 | 0xc0, 1ULL << 40, ~0ULL,
	};
	unsigned int mode, i, seed = 1;
	struct routing rt;
	uint64_t val;
	int fd, r;

	if (dev_is_kvm())
		SKIP(return, "rvhv's robustness");
	for (mode = 0; mode < 2; mode++) {
		struct vm *vm = vm_create_empty();

		vcpu_create_try(vm, 0);
		vcpu_create_try(vm, 1);
		if (mode == 0)
			ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_AIA_DIRECT,
						       1));
		fd = create_dev(vm, KVM_DEV_TYPE_RISCV_AIA, 0);
		if (fd == -ENODEV) {	/* MSI mode needs Ssaia */
			vm_free(vm);
			continue;
		}
		ASSERT_LE(0, fd);
		for (i = 0; i < 3000; i++) {
			unsigned long op = rand_r(&seed) % 8;
			uint32_t grp = rand_r(&seed) % 6;
			uint64_t attr = attrs[rand_r(&seed) %
					      (sizeof(attrs) / sizeof(attrs[0]))];

			val = (uint64_t)rand_r(&seed) << 32 | rand_r(&seed);
			if (rand_r(&seed) % 4 == 0)
				val &= 0x7ff;
			if (i == 1500) {
				cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_SRCS, 40);
				cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_IDS, 63);
				addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC,
					 AIA_APLIC_BASE);
				addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0),
					 AIA_IMSIC_BASE);
				addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(1),
					 AIA_IMSIC_BASE + 0x1000);
				cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, 1);
				cfg_set(fd, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS,
					0);
				EXPECT_EQ(0, aia_init(fd));
			}
			switch (op) {
			case 0:
				r = aset(fd, grp, attr, &val);
				break;
			case 1:
				r = aget(fd, grp, attr, &val);
				break;
			case 2:
				r = ahas(fd, grp, attr);
				break;
			case 3:
				r = irq_line(vm, val % 64, val & 1);
				break;
			case 4:
				r = signal_msi(vm, AIA_IMSIC_BASE +
					       (val & 0x1fff), val >> 40, 0);
				r = r ? -errno : 0;
				break;
			case 5:
				memset(&rt, 0, sizeof(rt));
				route_pin(&rt, val % 4096, 0, (val >> 16) % 1100);
				route_pin(&rt, (val >> 8) % 64, 0, val % 64);
				r = set_routing(vm, &rt);
				break;
			default:
				r = aplic_set(fd, (val >> 32) & 0x3ffc, val);
				break;
			}
			EXPECT_TRUE(r == 0 || r == -EINVAL || r == -ENXIO ||
				    r == -ENODEV || r == -EBUSY ||
				    r == -EOPNOTSUPP || r == -ENOENT ||
				    r == -EFAULT)
				TH_LOG("op %lu grp %u attr %#llx: %d", op, grp,
				       (unsigned long long)attr, r);
		}
		vm_free(vm);
	}
}

/* Loads and stores a guest may try on the window: never an exit. */
TEST(direct_hostile_guest)
{
	static const unsigned long offs[] = {
		APLIC_DOMAINCFG, 0x1000, 0x1c80, APLIC_GENMSI, 0x3ffc,
		APLIC_IDC(0) + 0xc, APLIC_IDC(63) + APLIC_CLAIMI,
		APLIC_IDC(63) + APLIC_TOPI,
	};
	unsigned int i, w;
	struct avm a;

	DIRECT_OR_SKIP();
	avm_create(&a);
	gw(&a, APLIC_DOMAINCFG, APLIC_DOMAINCFG_IE);
	/* DM and BE are not writable */
	gw(&a, APLIC_DOMAINCFG, ~0U);
	EXPECT_EQ(0x80000000 | APLIC_DOMAINCFG_IE, gr(&a, APLIC_DOMAINCFG));
	/* Other sizes read 0 and are ignored */
	for (w = 1; w <= 8; w *= 2) {
		if (w == 4)
			continue;
		EXPECT_EQ(0, acmd(&a, AIA_LOAD, APLIC_DOMAINCFG, 0, w));
		acmd(&a, AIA_STORE, APLIC_DOMAINCFG, 0, w);
		acmd(&a, AIA_STORE, APLIC_SOURCECFG(1), ~0UL, w);
	}
	EXPECT_EQ(0x80000000 | APLIC_DOMAINCFG_IE, gr(&a, APLIC_DOMAINCFG));
	EXPECT_EQ(0, gr(&a, APLIC_SOURCECFG(1)));
	/* Reserved offsets, IDCs without a vCPU: 0, ignored */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		if (offs[i] == APLIC_DOMAINCFG)
			continue;
		gw(&a, offs[i], ~0U);
		EXPECT_EQ(0, gr(&a, offs[i])) TH_LOG("%#lx", offs[i]);
	}
	/* Sources the APLIC does not have */
	EXPECT_EQ(0, gr(&a, APLIC_SOURCECFG(NR_SRCS + 1)));
	gw(&a, APLIC_SETIPNUM, NR_SRCS + 1);
	gw(&a, APLIC_SETIENUM, 0);
	gw(&a, APLIC_SETIPNUM, ~0U);
	EXPECT_EQ(0, gr(&a, APLIC_SETIP(1)));
	EXPECT_EQ(0, a.sh->claims);
	avm_free(&a);
}

TEST_HARNESS_MAIN
