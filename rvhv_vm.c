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

#include "rvhv_int.h"

/* Every live VM, for debugfs.  rvhv_vms_lock protects the list. */
LIST_HEAD(rvhv_vms);
DEFINE_MUTEX(rvhv_vms_lock);
atomic_t rvhv_nr_vms = ATOMIC_INIT(0);

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
		return 1;
	case KVM_CAP_VM_GPA_BITS:
		return rvhv_host.feat.gpa_bits;
	}
	return 0;
}

static int rvhv_vm_release(struct inode *inode, struct file *filp)
{
	struct rvhv_vm *vm = filp->private_data;

	mutex_lock(&rvhv_vms_lock);
	list_del(&vm->list);
	mutex_unlock(&rvhv_vms_lock);
	atomic_dec(&rvhv_nr_vms);
	mmdrop(vm->mm);
	kfree(vm);
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
	rvhv_vmid_update(&vm->vmid);

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
	mmdrop(vm->mm);
	kfree(vm);
	return fd;
}
