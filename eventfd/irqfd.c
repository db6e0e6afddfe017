// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts from the VMM without an in-kernel interrupt controller:
 * KVM_IRQFD, KVM_IRQ_LINE(_STATUS), and the answers to KVM_SET_GSI_ROUTING
 * and KVM_SIGNAL_MSI.
 *
 * rvhv has no irqchip yet.  By default it behaves as kvm.ko on riscv does
 * before an AIA device exists: an irqfd is accepted (resample too) but a
 * GSI leads nowhere, KVM_IRQ_LINE gets -ENXIO, KVM_SET_GSI_ROUTING and
 * KVM_SIGNAL_MSI -EINVAL.  With RVHV_CAP_IRQ_LINES enabled on the VM, GSI
 * n is vCPU n's VS-level external interrupt line (hvip.VSEIP, the line
 * KVM_INTERRUPT drives): KVM_IRQ_LINE sets its level, and a signalled
 * irqfd raises it.  Lowering it is the VMM's, once its interrupt
 * controller model has seen the guest claim the interrupt; the kernel
 * never sees that acknowledge, so there is no resampling (irqfd resample
 * is refused in that mode, KVM_CAP_IRQFD_RESAMPLE is 0).
 *
 * rvhv_irq_set() is the one place a GSI becomes an interrupt: the AIA
 * irqchip replaces it.
 *
 * Lifetime of an irqfd (struct rvhv_irqfd): created by KVM_IRQFD, on
 * rvhv_eventfds.irqfds under rvhv_eventfds.lock, and on its eventfd's
 * wait queue; it holds a reference on the eventfd (and on the resample
 * eventfd), so closing the eventfd's fd leaves it registered (kvm.ko
 * deassigns it then), inert unless another holder of the eventfd signals
 * it.  Its wake-up callback runs under the eventfd's wait-queue lock;
 * deassign and the VM's release take it off that queue (which waits for
 * a running callback) before freeing it, so no callback runs on a freed
 * irqfd or vCPU.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/csr.h>

#include "../rvhv_int.h"

/**
 * struct rvhv_irqfd - one KVM_IRQFD registration
 * @list: entry on rvhv_eventfds.irqfds (under rvhv_eventfds.lock)
 * @vm: its VM (the irqfd does not outlive it)
 * @eventfd: the eventfd whose signal raises @gsi (a reference)
 * @resamplefd: the resample eventfd, or NULL (a reference; never
 *	signalled: see the top of the file)
 * @wait: our entry on @eventfd's wait queue
 * @pt: to get @wait onto that queue through vfs_poll()
 * @gsi: the GSI
 */
struct rvhv_irqfd {
	struct list_head list;
	struct rvhv_vm *vm;
	struct eventfd_ctx *eventfd;
	struct eventfd_ctx *resamplefd;
	wait_queue_entry_t wait;
	poll_table pt;
	u32 gsi;
};

/**
 * rvhv_irq_set() - drive GSI @gsi of @vm to @level
 * @vm: the VM
 * @gsi: with RVHV_CAP_IRQ_LINES: the id of the vCPU whose VS external
 *	interrupt line it is
 * @level: raise (true) or lower it
 *
 * Any context but NMI (an irqfd calls it from its eventfd's wake-up).
 * Return: 0, -ENXIO without RVHV_CAP_IRQ_LINES (no interrupt controller:
 * kvm.ko's answer), -EINVAL if no vCPU has that id.
 */
int rvhv_irq_set(struct rvhv_vm *vm, u32 gsi, bool level)
{
	struct rvhv_vcpu *vcpu;

	if (!test_bit(__ffs(RVHV_VM_CAP_IRQ_LINES), &vm->caps))
		return -ENXIO;
	vcpu = rvhv_vm_vcpu(vm, gsi);
	if (!vcpu)
		return -EINVAL;
	rvhv_vcpu_set_irq(vcpu, IRQ_VS_EXT, level);
	return 0;
}

/* The eventfd was signalled (or closed).  Its wait-queue lock is held. */
static int rvhv_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct rvhv_irqfd *irqfd = container_of(wait, struct rvhv_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		/* A resampling irqfd has no target (see the top). */
		if (!irqfd->resamplefd)
			rvhv_irq_set(irqfd->vm, irqfd->gsi, true);
	}
	/* EPOLLHUP: we hold the eventfd; deassign or the VM's end frees us. */
	return 0;
}

static void rvhv_irqfd_queue(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct rvhv_irqfd *irqfd = container_of(pt, struct rvhv_irqfd, pt);

	add_wait_queue(wqh, &irqfd->wait);
}

/* Off the eventfd's queue (no callback running after), then free. */
static void rvhv_irqfd_free(struct rvhv_irqfd *irqfd)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	eventfd_ctx_put(irqfd->eventfd);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	kfree(irqfd);
}

static int rvhv_irqfd_assign(struct rvhv_vm *vm, const struct kvm_irqfd *args)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	struct rvhv_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;
	__poll_t events;
	struct fd f;
	int ret;

	if ((args->flags & KVM_IRQFD_FLAG_RESAMPLE) &&
	    test_bit(__ffs(RVHV_VM_CAP_IRQ_LINES), &vm->caps))
		return -EINVAL;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	init_waitqueue_func_entry(&irqfd->wait, rvhv_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, rvhv_irqfd_queue);

	f = fdget(args->fd);
	if (!fd_file(f)) {
		kfree(irqfd);
		return -EBADF;
	}
	eventfd = eventfd_ctx_fileget(fd_file(f));
	if (IS_ERR(eventfd)) {
		ret = PTR_ERR(eventfd);
		goto err_fd;
	}
	irqfd->eventfd = eventfd;
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		irqfd->resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(irqfd->resamplefd)) {
			ret = PTR_ERR(irqfd->resamplefd);
			irqfd->resamplefd = NULL;
			goto err_put;
		}
	}

	mutex_lock(&ef->lock);
	list_for_each_entry(tmp, &ef->irqfds, list) {
		/* kvm.ko: an eventfd drives one GSI at a time. */
		if (tmp->eventfd == eventfd) {
			ret = -EBUSY;
			goto err_unlock;
		}
	}
	ret = -ENOSPC;
	if (ef->nr_irqfds >= RVHV_MAX_IRQFDS)
		goto err_unlock;
	list_add_tail(&irqfd->list, &ef->irqfds);
	ef->nr_irqfds++;
	/* On the eventfd's wait queue; a signal already pending counts. */
	events = vfs_poll(fd_file(f), &irqfd->pt);
	mutex_unlock(&ef->lock);
	if ((events & EPOLLIN) && !irqfd->resamplefd)
		rvhv_irq_set(vm, irqfd->gsi, true);
	fdput(f);
	return 0;

err_unlock:
	mutex_unlock(&ef->lock);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
err_put:
	eventfd_ctx_put(eventfd);
err_fd:
	fdput(f);
	kfree(irqfd);
	return ret;
}

/* kvm.ko's: every irqfd of that eventfd and GSI goes; none is no error. */
static int rvhv_irqfd_deassign(struct rvhv_vm *vm,
			       const struct kvm_irqfd *args)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	struct rvhv_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	mutex_lock(&ef->lock);
	list_for_each_entry_safe(irqfd, tmp, &ef->irqfds, list) {
		if (irqfd->eventfd != eventfd || irqfd->gsi != args->gsi)
			continue;
		list_del(&irqfd->list);
		ef->nr_irqfds--;
		rvhv_irqfd_free(irqfd);
	}
	mutex_unlock(&ef->lock);
	eventfd_ctx_put(eventfd);
	return 0;
}

long rvhv_vm_irqfd(struct rvhv_vm *vm, void __user *argp)
{
	struct kvm_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return rvhv_irqfd_deassign(vm, &args);
	return rvhv_irqfd_assign(vm, &args);
}

long rvhv_vm_irq_line(struct rvhv_vm *vm, void __user *argp, bool status)
{
	struct kvm_irq_level irq;
	int ret;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	ret = rvhv_irq_set(vm, irq.irq, irq.level);
	if (ret)
		return ret;
	if (status) {
		irq.status = 1;	/* delivered to the line */
		if (copy_to_user(argp, &irq, sizeof(irq)))
			return -EFAULT;
	}
	return 0;
}

void rvhv_irqfds_destroy(struct rvhv_vm *vm)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	struct rvhv_irqfd *irqfd, *tmp;

	list_for_each_entry_safe(irqfd, tmp, &ef->irqfds, list) {
		list_del(&irqfd->list);
		rvhv_irqfd_free(irqfd);
	}
	ef->nr_irqfds = 0;
}
