// SPDX-License-Identifier: GPL-2.0
/*
 * The VM file descriptor: creation, its ioctls, and its release.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rvhv_int.h"

/* Every live VM, for debugfs.  rvhv_vms_lock protects the list. */
LIST_HEAD(rvhv_vms);
DEFINE_MUTEX(rvhv_vms_lock);
atomic_t rvhv_nr_vms = ATOMIC_INIT(0);

/*
 * The in-kernel AIA's capabilities, per VM (@vm NULL: /dev/rvhv, for a
 * new VM).  The device exists in direct mode for a VM that enabled
 * RVHV_CAP_AIA_DIRECT, in MSI mode (emulated IMSICs) for the others on
 * a host with Ssaia, for none with RVHV_CAP_IRQ_LINES.  Resampling works
 * in both (a claim, an MSI sent), MSIs in MSI mode, GSI routing (to
 * APLIC sources, and in MSI mode MSIs; kvm.ko's limit of routes) in
 * both.
 */
static long rvhv_check_irqchip(struct rvhv_vm *vm, long cap)
{
	bool direct = vm && test_bit(__ffs(RVHV_VM_CAP_AIA_DIRECT), &vm->caps);
	bool msi = !direct && rvhv_host.ssaia;

	if (vm && test_bit(__ffs(RVHV_VM_CAP_IRQ_LINES), &vm->caps))
		return 0;
	switch (cap) {
	case KVM_CAP_IRQCHIP:
		return direct || msi;
	case KVM_CAP_IRQ_ROUTING:
		return direct || msi ? RVHV_MAX_IRQ_ROUTES : 0;
	case KVM_CAP_IRQFD_RESAMPLE:
		return direct || msi;
	case KVM_CAP_SIGNAL_MSI:
		return msi;
	}
	return 0;
}

/**
 * rvhv_check_extension() - KVM_CHECK_EXTENSION on /dev/rvhv or a VM fd
 * @vm: the VM asked about, or NULL for the system fd
 * @cap: a KVM_CAP_* or RVHV_CAP_* number
 *
 * Only what rvhv implements answers non-zero.
 */
long rvhv_check_extension(struct rvhv_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_CHECK_EXTENSION_VM:
	case RVHV_CAP_HOST_FEATURES:
	case RVHV_CAP_SBI_BATCH:
	case RVHV_CAP_CONSOLE_COALESCE:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_ENABLE_CAP_VM:
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_USER_MEMORY2:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_MULTI_ADDRESS_SPACE:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_IRQFD:
	case KVM_CAP_DEVICE_CTRL:
	case RVHV_CAP_IRQ_LINES:
	case RVHV_CAP_AIA_DIRECT:
	case KVM_CAP_BINARY_STATS_FD:
		return 1;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return RVHV_DIRTY_LOG_MANUAL_CAPS;
	case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
		return RVHV_DIRTY_RING_MAX_BYTES;
	case KVM_CAP_SET_GUEST_DEBUG:
	case RVHV_CAP_RISCV_MP_STATE_RESET:
		return 1;
	case KVM_CAP_SET_GUEST_DEBUG2:
		return RVHV_GUESTDBG_VALID;
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_IRQ_ROUTING:
	case KVM_CAP_SIGNAL_MSI:
		return rvhv_check_irqchip(vm, cap);
	case KVM_CAP_COALESCED_MMIO:
		/* Where the ring is in a vCPU's mapping, as KVM answers. */
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_COALESCED_PIO:
		return 1;	/* accepted, as KVM; RISC-V has no port I/O */
	case KVM_CAP_NR_MEMSLOTS:
		return RVHV_NR_MEMSLOTS;
	case KVM_CAP_VM_GPA_BITS:
		return vm ? rvhv_vm_gpa_bits(vm) : rvhv_host.feat.gpa_bits;
	case RVHV_CAP_SET_GPA_BITS:
		return rvhv_host.feat.gstage_modes;
	case KVM_CAP_NR_VCPUS:
		return min_t(long, num_online_cpus(), RVHV_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return RVHV_MAX_VCPUS;
	}
	return 0;
}

/**
 * rvhv_vm_put() - drop a reference; the last one frees the VM
 * @vm: the VM
 *
 * The VM fd and every vCPU fd hold a reference, so no ioctl can be running
 * on the VM or its vCPUs when it is freed.
 */
void rvhv_vm_put(struct rvhv_vm *vm)
{
	unsigned int i;

	if (!refcount_dec_and_test(&vm->users))
		return;

	mutex_lock(&rvhv_vms_lock);
	list_del(&vm->list);
	mutex_unlock(&rvhv_vms_lock);
	atomic_dec(&rvhv_nr_vms);

	/* irqfds reach the APLIC and vCPUs: they go first. */
	rvhv_eventfds_destroy(vm);
	/* Hardware guest files kick their vCPUs (SGEI): before those go. */
	rvhv_hwfile_release_vm(vm);
	for (i = 0; i < RVHV_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			rvhv_vcpu_free(vm->vcpus[i]);
	rvhv_aia_destroy(vm);
	rvhv_coalesced_destroy(vm);
	rvhv_mmu_destroy(vm);
	rvhv_tlb_vm_free(vm);
	mmdrop(vm->mm);
	kfree(vm);
}

static int rvhv_vm_release(struct inode *inode, struct file *filp)
{
	rvhv_vm_put(filp->private_data);
	return 0;
}

static long rvhv_vm_set_memory(struct rvhv_vm *vm, unsigned int ioctl,
			       void __user *argp)
{
	struct kvm_userspace_memory_region2 mem = { 0 };
	unsigned long size;

	/* The first ioctl's struct is a prefix of the second's. */
	size = ioctl == KVM_SET_USER_MEMORY_REGION ?
		sizeof(struct kvm_userspace_memory_region) : sizeof(mem);
	if (copy_from_user(&mem, argp, size))
		return -EFAULT;
	return rvhv_set_user_memory_region(vm, &mem);
}

/*
 * RVHV_CAP_IRQ_LINES and RVHV_CAP_AIA_DIRECT: neither changes once the
 * VM has an AIA device (-EBUSY; the device is refused with
 * RVHV_CAP_IRQ_LINES on, irqchip/aia.c).
 */
static long rvhv_vm_enable_irq_cap(struct rvhv_vm *vm, u32 cap, u64 on)
{
	unsigned long bit = cap == RVHV_CAP_IRQ_LINES ?
			    RVHV_VM_CAP_IRQ_LINES : RVHV_VM_CAP_AIA_DIRECT;
	long ret = 0;

	mutex_lock(&vm->lock);
	if (vm->aia && !!(vm->caps & bit) != !!on)
		ret = -EBUSY;
	else if (on)
		set_bit(__ffs(bit), &vm->caps);
	else
		clear_bit(__ffs(bit), &vm->caps);
	mutex_unlock(&vm->lock);
	return ret;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS): the VM's G-stage mode, the
 * narrowest that holds args[0] GPA bits (uapi/linux/rvhv.h,
 * RVHV_CAP_SET_GPA_BITS).  Only while the VM has no vCPU (vm->lock keeps
 * one from being created meanwhile) and no memslot (slots_lock): nothing
 * is mapped yet and no hgatp was made from the old mode.  Lock order
 * vm->lock -> slots_lock -> mmu.lock, taken nowhere else together.
 */
static long rvhv_vm_set_gpa_bits(struct rvhv_vm *vm,
				 const struct kvm_enable_cap *cap)
{
	struct rvhv_mmu *mmu = &vm->mmu;
	u64 bits = cap->args[0];
	unsigned int levels;
	long ret = 0;

	if (cap->flags || !bits || bits > 59)
		return -EINVAL;
	levels = bits <= 41 ? 3 : bits <= 50 ? 4 : 5;
	if (!(rvhv_host.feat.gstage_modes &
	      BIT(HGATP_MODE_SV39X4 + levels - 3)))
		return -EINVAL;

	mutex_lock(&vm->lock);
	mutex_lock(&mmu->slots_lock);
	if (vm->nr_vcpus || mmu->nr_slots) {
		ret = -EBUSY;
	} else {
		spin_lock(&mmu->lock);
		WRITE_ONCE(mmu->levels, levels);
		spin_unlock(&mmu->lock);
	}
	mutex_unlock(&mmu->slots_lock);
	mutex_unlock(&vm->lock);
	return ret;
}

/* KVM_ENABLE_CAP on the VM fd: rvhv's own opt-in features. */
static long rvhv_vm_enable_cap(struct rvhv_vm *vm, void __user *argp)
{
	struct kvm_enable_cap cap;
	unsigned long bit;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	/* KVM's dirty logging caps (mmu/dirty.c), with KVM's checks. */
	if (cap.cap == KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 ||
	    cap.cap == KVM_CAP_DIRTY_LOG_RING_ACQ_REL)
		return rvhv_dirty_enable_cap(vm, &cap);
	if (cap.cap == KVM_CAP_VM_GPA_BITS)
		return rvhv_vm_set_gpa_bits(vm, &cap);
	/* As kvm.ko's: no arguments, and it stays on (vcpu/vcpu.c). */
	if (cap.cap == RVHV_CAP_RISCV_MP_STATE_RESET) {
		if (cap.flags || memchr_inv(cap.args, 0, sizeof(cap.args)))
			return -EINVAL;
		set_bit(__ffs(RVHV_VM_CAP_MP_STATE_RESET), &vm->caps);
		return 0;
	}
	if (cap.flags || cap.args[0] > 1 || cap.args[1] || cap.args[2] ||
	    cap.args[3])
		return -EINVAL;
	switch (cap.cap) {
	case RVHV_CAP_AIA_DIRECT:
	case RVHV_CAP_IRQ_LINES:
		return rvhv_vm_enable_irq_cap(vm, cap.cap, cap.args[0]);
	case RVHV_CAP_SBI_BATCH:
		bit = RVHV_VM_CAP_SBI_BATCH;
		break;
	case RVHV_CAP_CONSOLE_COALESCE:
		bit = RVHV_VM_CAP_CONSOLE_COALESCE;
		break;
	default:
		return -EINVAL;
	}
	if (cap.args[0])
		set_bit(__ffs(bit), &vm->caps);
	else
		clear_bit(__ffs(bit), &vm->caps);
	return 0;
}

static long rvhv_vm_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	struct rvhv_vm *vm = filp->private_data;

	/* A VM belongs to the address space that created it. */
	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return rvhv_check_extension(vm, arg);
	case KVM_CREATE_VCPU:
		return rvhv_create_vcpu(vm, arg);
	case KVM_ENABLE_CAP:
		return rvhv_vm_enable_cap(vm, (void __user *)arg);
	case KVM_SET_USER_MEMORY_REGION:
	case KVM_SET_USER_MEMORY_REGION2:
		return rvhv_vm_set_memory(vm, ioctl, (void __user *)arg);
	case KVM_GET_DIRTY_LOG:
	case KVM_CLEAR_DIRTY_LOG:
		return rvhv_vm_dirty_log(vm, ioctl, (void __user *)arg);
	case KVM_RESET_DIRTY_RINGS:
		return rvhv_vm_reset_dirty_rings(vm);
	case KVM_IOEVENTFD:
		return rvhv_vm_ioeventfd(vm, (void __user *)arg);
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		return rvhv_vm_coalesced_ioctl(vm, ioctl, (void __user *)arg);
	case KVM_IRQFD:
		return rvhv_vm_irqfd(vm, (void __user *)arg);
	case KVM_CREATE_DEVICE:
		return rvhv_vm_create_device(vm, (void __user *)arg);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return rvhv_vm_irq_line(vm, (void __user *)arg,
					ioctl == KVM_IRQ_LINE_STATUS);
	case KVM_SET_GSI_ROUTING:
		return rvhv_vm_set_gsi_routing(vm, (void __user *)arg);
	case KVM_SIGNAL_MSI:
		return rvhv_vm_signal_msi(vm, (void __user *)arg);
	case KVM_GET_STATS_FD:
		return rvhv_vm_stats_fd(vm);
	}
	return -ENOTTY;
}

static const struct file_operations rvhv_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= rvhv_vm_release,
	.unlocked_ioctl	= rvhv_vm_ioctl,
	.llseek		= noop_llseek,
};

/**
 * rvhv_create_vm() - KVM_CREATE_VM
 * @type: machine type; rvhv knows only type 0
 *
 * Return: the new VM fd, or a negative errno.
 */
int rvhv_create_vm(unsigned long type)
{
	struct rvhv_vm *vm;
	struct file *file;
	int fd;

	if (type)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	vm->mm = current->mm;
	mmgrab(vm->mm);
	vm->pid = task_tgid_nr(current);
	rvhv_stats_vm_init(vm);
	mutex_init(&vm->lock);
	refcount_set(&vm->users, 1);
	rvhv_eventfds_init(vm);
	rvhv_vmid_update(&vm->vmid);
	fd = rvhv_tlb_vm_init(vm);
	if (fd)
		goto err_mm;
	fd = rvhv_mmu_init(vm);
	if (fd)
		goto err_tlb;
	fd = rvhv_coalesced_init(vm);
	if (fd)
		goto err_mmu;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto err_free;
	/* Takes a module reference for the file's life (fops.owner). */
	file = anon_inode_getfile("rvhv-vm", &rvhv_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto err_free;
	}

	mutex_lock(&rvhv_vms_lock);
	list_add_tail(&vm->list, &rvhv_vms);
	mutex_unlock(&rvhv_vms_lock);
	atomic_inc(&rvhv_nr_vms);

	fd_install(fd, file);
	return fd;

err_free:
	rvhv_coalesced_destroy(vm);
err_mmu:
	rvhv_mmu_destroy(vm);
err_tlb:
	rvhv_tlb_vm_free(vm);
err_mm:
	mmdrop(vm->mm);
	kfree(vm);
	return fd;
}
