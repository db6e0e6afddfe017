// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run --irqchip=aplic: the devices interrupt through rvhv's in-kernel
 * APLIC in direct delivery mode (RVHV_CAP_AIA_DIRECT, then
 * KVM_CREATE_DEVICE of KVM_DEV_TYPE_RISCV_AIA with KVM's attribute ABI).
 * The guest's accesses to the APLIC (its sourcecfg, targets, IDCs and
 * claims) are handled in the kernel: none reaches rvhv-run.
 *
 * Device n (virtio.c) is APLIC source n + 1 = GSI n + 1 (the default
 * routing INIT installs), level-triggered (IRQ_TYPE_LEVEL_HIGH in the
 * device tree), driven by a resampling irqfd:
 *   - the device's thread raises the source by writing the irqfd
 *     (KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE): the kernel raises the
 *     input and leaves it raised;
 *   - the guest's claim of the source (its claimi read at its IDC) lowers
 *     the input in the kernel and signals the resample eventfd;
 *   - the device's thread, woken by the resample eventfd, raises it again
 *     if the device's InterruptStatus is still non-zero (the guest has not
 *     acknowledged it yet, or a new interrupt came), else leaves it low;
 *   - the guest's InterruptACK that clears InterruptStatus while the input
 *     may still be raised (not yet claimed, as after a device reset)
 *     lowers it with KVM_IRQ_LINE (level 0), so no stale interrupt is left.
 * See virtio.c (update_irq(), device_thread()) for where this happens.
 *
 * Order (the device's rules, Documentation/rvhv.rst "In-kernel AIA"): the
 * capability on the VM, then the device and its configuration (sources,
 * APLIC address), then INIT once every vCPU exists (each gets its IDC),
 * then the irqfds (GSIs lead nowhere before INIT's routing).
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libfdt.h>

#include "rvhv-run.h"

/* dt-bindings/interrupt-controller/irq.h */
#define IRQ_TYPE_LEVEL_HIGH	4

/*
 * Before anything is set up: refuse --irqchip=aplic where the device has
 * no direct-mode APLIC (kvm.ko, whose AIA needs an IMSIC and Ssaia).
 */
void aplic_check(void)
{
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, RVHV_CAP_AIA_DIRECT) <= 0)
		die("--irqchip=aplic: %s has no in-kernel APLIC in direct mode "
		    "(RVHV_CAP_AIA_DIRECT)", opt.dev);
}

static void set_attr(int fd, uint32_t group, uint64_t attr, uint64_t val,
		     size_t size, const char *what)
{
	uint32_t v32 = val;
	struct kvm_device_attr a = {
		.group = group, .attr = attr,
		.addr = size == 4 ? (uintptr_t)&v32 : (uintptr_t)&val,
	};

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a))
		die("AIA device: setting %s: %s", what, strerror(errno));
}

/* After the vCPUs were created, before any runs; with devices only. */
void aplic_init(void)
{
	struct kvm_enable_cap cap = {
		.cap = RVHV_CAP_AIA_DIRECT, .args = { 1 },
	};
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_RISCV_AIA };
	int i;

	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap))
		die("KVM_ENABLE_CAP RVHV_CAP_AIA_DIRECT: %s", strerror(errno));
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE) <= 0)
		die("--irqchip=aplic: %s has no resampling irqfd "
		    "(KVM_CAP_IRQFD_RESAMPLE)", opt.dev);
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd))
		die("KVM_CREATE_DEVICE KVM_DEV_TYPE_RISCV_AIA: %s",
		    strerror(errno));
	/* One source per device; identities (unused in direct mode) >= it. */
	set_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
		 KVM_DEV_RISCV_AIA_CONFIG_IDS, 63, 4, "CONFIG_IDS");
	set_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
		 KVM_DEV_RISCV_AIA_CONFIG_SRCS, virtio_nr, 4, "CONFIG_SRCS");
	set_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
		 KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_BASE, 8, "ADDR_APLIC");
	set_attr(cd.fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
		 KVM_DEV_RISCV_AIA_CTRL_INIT, 0, 8, "CTRL_INIT");
	/* The device lives as long as the VM: its fd is not needed. */
	close(cd.fd);

	for (i = 0; i < virtio_nr; i++) {
		struct virtio_dev *d = virtio_devs[i];
		struct kvm_irqfd req = {
			.gsi = d->irq, .flags = KVM_IRQFD_FLAG_RESAMPLE,
		};

		d->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		d->resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->irq_fd < 0 || d->resample_fd < 0)
			die("eventfd: %s", strerror(errno));
		req.fd = d->irq_fd;
		req.resamplefd = d->resample_fd;
		if (ioctl(vm_fd, KVM_IRQFD, &req))
			die("KVM_IRQFD gsi %u (resampling): %s", d->irq,
			    strerror(errno));
	}
}

/*
 * The APLIC's node, in the soc node: direct mode (no msi-parent), one IDC
 * per hart in vCPU order, so IDC n (hart index n) is hart n's, as rvhv's
 * IDC n delivers to the vCPU with id n.
 */
void aplic_fdt(void *fdt)
{
	fdt32_t irqs[CPUS_MAX * 2];
	fdt64_t reg[2] = { cpu_to_fdt64(APLIC_BASE), cpu_to_fdt64(APLIC_SIZE) };
	char name[40];
	int i;

	for (i = 0; i < opt.cpus; i++) {
		irqs[2 * i] = cpu_to_fdt32(CPU_INTC_PHANDLE(i));
		irqs[2 * i + 1] = cpu_to_fdt32(9);	/* S-mode external */
	}
	snprintf(name, sizeof(name), "interrupt-controller@%lx", APLIC_BASE);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "compatible", "riscv,aplic"));
	FDT(fdt_property_u32(fdt, "#address-cells", 0));
	FDT(fdt_property_u32(fdt, "#interrupt-cells", 2));
	FDT(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT(fdt_property(fdt, "reg", reg, sizeof(reg)));
	FDT(fdt_property_u32(fdt, "riscv,num-sources", virtio_nr));
	FDT(fdt_property(fdt, "interrupts-extended", irqs,
			 opt.cpus * 2 * sizeof(irqs[0])));
	FDT(fdt_property_u32(fdt, "phandle", APLIC_PHANDLE));
	FDT(fdt_end_node(fdt));
}

/* A device's interrupt cells (its "interrupts"): source, level high. */
void aplic_fdt_irq(void *fdt, unsigned int src)
{
	fdt32_t cells[2] = { cpu_to_fdt32(src),
			     cpu_to_fdt32(IRQ_TYPE_LEVEL_HIGH) };

	FDT(fdt_property(fdt, "interrupts", cells, sizeof(cells)));
	FDT(fdt_property_u32(fdt, "interrupt-parent", APLIC_PHANDLE));
}

void aplic_stats(void)
{
	unsigned long sig = 0, res = 0, rer = 0, low = 0;
	int i;

	for (i = 0; i < virtio_nr; i++) {
		sig += virtio_devs[i]->irqfd_signals;
		res += virtio_devs[i]->resamples;
		rer += virtio_devs[i]->reraises;
		low += virtio_devs[i]->lowers;
	}
	fprintf(stderr, "rvhv-run: stats: aplic: in-kernel, direct mode, %d "
		"sources: irqfd %lu (re-raised on resample %lu), resamples "
		"%lu, lowered by KVM_IRQ_LINE %lu\n", virtio_nr, sig, rer, res,
		low);
}
