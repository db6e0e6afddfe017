// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts from the VMM: KVM_IRQFD, KVM_IRQ_LINE(_STATUS), and where a
 * GSI leads.
 *
 * rvhv_irq_set() is the one place a GSI becomes an interrupt:
 * - with the in-kernel AIA device (irqchip/), GSI n is APLIC source n, as
 *   kvm.ko's default routing on riscv has it.  KVM_IRQ_LINE drives the
 *   source's input to its level; an irqfd's signal raises and lowers it
 *   (an edge, as kvm.ko's irqfd_inject()); a resampling irqfd
 *   (KVM_IRQFD_FLAG_RESAMPLE) raises it and leaves it raised until the
 *   guest acknowledges the interrupt (claims it at its IDC: claimi), which
 *   lowers it and signals the resample eventfd, for the VMM to raise it
 *   again if its device still wants service;
 * - with RVHV_CAP_IRQ_LINES enabled on the VM, GSI n is vCPU n's VS-level
 *   external interrupt line (hvip.VSEIP, the line KVM_INTERRUPT drives):
 *   KVM_IRQ_LINE sets its level, and a signalled irqfd raises it.
 *   Lowering it is the VMM's, once its interrupt controller model has
 *   seen the guest claim the interrupt; the kernel never sees that
 *   acknowledge, so there is no resampling (irqfd resample is refused in
 *   that mode);
 * - with neither, as kvm.ko on riscv before an AIA device exists: an
 *   irqfd is accepted (resample too) but leads nowhere, KVM_IRQ_LINE
 *   gets -ENXIO.
 * The two are exclusive (-EBUSY for the second, irqchip/aia.c and
 * rvhv_vm.c).  With the AIA an irqfd's GSI goes through the GSI routing
 * (KVM_SET_GSI_ROUTING; GSI n = source n by default), KVM_IRQ_LINE names
 * the source itself, as in kvm.ko.  KVM_SIGNAL_MSI gets -EINVAL
 * (rvhv_vm.c): no IMSIC.
 *
 * Lifetime of an irqfd (struct rvhv_irqfd): created by KVM_IRQFD, on
 * rvhv_eventfds.irqfds and on its eventfd's wait queue; it holds a
 * reference on the eventfd (and on the resample eventfd).  It ends, as
 * with kvm.ko, by deassign, by the VM's release, or when its eventfd is
 * closed (the last file reference: the wake-up sees EPOLLHUP, takes it
 * off the list and queues its release on rvhv_irqfd_wq, since the
 * wake-up runs under the eventfd's wait-queue lock).  Taken off the list
 * (under rvhv_eventfds.irqfd_lock, list_del_rcu), it is then taken off
 * the eventfd's queue (which waits for a running callback), an RCU grace
 * period passes (resample notifications walk the list under RCU), and
 * it is freed.  Deassign and the VM's release flush rvhv_irqfd_wq, so no
 * release is left running on the VM.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/csr.h>

#include "../rvhv_int.h"

/* Frees the irqfds of closed eventfds (see the top of the file). */
static struct workqueue_struct *rvhv_irqfd_wq;

/**
 * struct rvhv_irqfd - one KVM_IRQFD registration
 * @list: entry on rvhv_eventfds.irqfds (see the top of the file)
 * @vm: its VM (the irqfd does not outlive it)
 * @eventfd: the eventfd whose signal raises @gsi (a reference)
 * @resamplefd: the resample eventfd, or NULL (a reference)
 * @wait: our entry on @eventfd's wait queue
 * @pt: to get @wait onto that queue through vfs_poll()
 * @release: the release after a close of @eventfd (rvhv_irqfd_wq)
 * @gone: entry on a local list of irqfds being freed (@list is not
 *	reused before a grace period: RCU walkers may still follow it)
 * @gsi: the GSI
 * @active: on @list; under rvhv_eventfds.irqfd_lock
 */
struct rvhv_irqfd {
	struct list_head list;
	struct rvhv_vm *vm;
	struct eventfd_ctx *eventfd;
	struct eventfd_ctx *resamplefd;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct release;
	struct list_head gone;
	u32 gsi;
	bool active;
};

/**
 * rvhv_irq_set() - drive GSI @gsi of @vm to @level
 * @vm: the VM
 * @gsi: an APLIC source with the AIA device; with RVHV_CAP_IRQ_LINES the
 *	id of the vCPU whose VS external interrupt line it is
 * @level: raise (true) or lower it
 *
 * Any context but NMI (an irqfd calls it from its eventfd's wake-up).
 * Return: 0; with the AIA device -EBUSY before its INIT, -ENODEV for a
 * source it does not have (kvm.ko's); -ENXIO with neither (no interrupt
 * controller: kvm.ko's answer), -EINVAL if no vCPU has that id.
 */
int rvhv_irq_set(struct rvhv_vm *vm, u32 gsi, bool level)
{
	struct rvhv_vcpu *vcpu;

	if (rvhv_vm_aia(vm))
		return rvhv_aia_set_irq(vm, gsi, level, false);
	if (!test_bit(__ffs(RVHV_VM_CAP_IRQ_LINES), &vm->caps))
		return -ENXIO;
	vcpu = rvhv_vm_vcpu(vm, gsi);
	if (!vcpu)
		return -EINVAL;
	rvhv_vcpu_set_irq(vcpu, IRQ_VS_EXT, level, RVHV_IRQ_SRC_GSI);
	return 0;
}

/* An irqfd's eventfd was signalled: what its GSI does. */
static void rvhv_irqfd_inject(struct rvhv_vm *vm, u32 gsi, bool resample)
{
	int pin;

	if (rvhv_vm_aia(vm)) {
		/* Through the GSI routing (KVM_IRQ_LINE goes around it). */
		if (rvhv_aia_gsi_msi(vm, gsi))
			return;		/* an MSI route: sent */
		pin = rvhv_aia_gsi_pin(vm, gsi);
		if (pin < 0)
			return;
		if (resample) {
			rvhv_aia_set_irq(vm, pin, true, true);
		} else {
			rvhv_aia_set_irq(vm, pin, true, false);
			rvhv_aia_set_irq(vm, pin, false, false);
		}
		return;
	}
	/* Without the AIA a resampling irqfd has no target (the top). */
	if (!resample)
		rvhv_irq_set(vm, gsi, true);
}

void rvhv_irqfd_resample(struct rvhv_vm *vm, u32 pin)
{
	struct rvhv_irqfd *irqfd;

	rcu_read_lock();
	list_for_each_entry_rcu(irqfd, &vm->eventfds.irqfds, list)
		if (irqfd->resamplefd &&
		    rvhv_aia_gsi_pin(vm, irqfd->gsi) == pin)
			eventfd_signal(irqfd->resamplefd);
	rcu_read_unlock();
}

/* Off the list, under irqfd_lock; false if it was not on it any more. */
static bool rvhv_irqfd_deactivate(struct rvhv_eventfds *ef,
				  struct rvhv_irqfd *irqfd)
{
	lockdep_assert_held(&ef->irqfd_lock);
	if (!irqfd->active)
		return false;
	irqfd->active = false;
	list_del_rcu(&irqfd->list);
	ef->nr_irqfds--;
	return true;
}

/* Off the eventfd's queue: no callback runs on it after this. */
static void rvhv_irqfd_unhook(struct rvhv_irqfd *irqfd)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
}

/*
 * Unhooked, and a grace period after it left the list (the resample
 * walkers): free it.  A resampling irqfd's line drops, as kvm.ko's
 * resampler shutdown does.  Process context.
 */
static void rvhv_irqfd_put(struct rvhv_irqfd *irqfd)
{
	int pin = rvhv_aia_gsi_pin(irqfd->vm, irqfd->gsi);

	if (irqfd->resamplefd && pin >= 0)
		rvhv_aia_set_irq(irqfd->vm, pin, false, false);
	eventfd_ctx_put(irqfd->eventfd);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	kfree(irqfd);
}

/* Free the irqfds on @gone (off the list): one grace period for all. */
static void rvhv_irqfd_free_list(struct list_head *gone)
{
	struct rvhv_irqfd *irqfd, *tmp;

	if (list_empty(gone))
		return;
	list_for_each_entry(irqfd, gone, gone)
		rvhv_irqfd_unhook(irqfd);
	synchronize_rcu();
	list_for_each_entry_safe(irqfd, tmp, gone, gone)
		rvhv_irqfd_put(irqfd);
}

static void rvhv_irqfd_release_work(struct work_struct *work)
{
	struct rvhv_irqfd *irqfd = container_of(work, struct rvhv_irqfd,
						release);

	rvhv_irqfd_unhook(irqfd);
	synchronize_rcu();
	rvhv_irqfd_put(irqfd);
}

/* The eventfd was signalled or closed.  Its wait-queue lock is held. */
static int rvhv_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct rvhv_irqfd *irqfd = container_of(wait, struct rvhv_irqfd, wait);
	struct rvhv_eventfds *ef = &irqfd->vm->eventfds;
	__poll_t flags = key_to_poll(key);
	unsigned long iflags;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		rvhv_irqfd_inject(irqfd->vm, irqfd->gsi, irqfd->resamplefd);
	}
	if (flags & EPOLLHUP) {
		/* The eventfd is going away: so does the irqfd (kvm.ko). */
		spin_lock_irqsave(&ef->irqfd_lock, iflags);
		if (rvhv_irqfd_deactivate(ef, irqfd))
			queue_work(rvhv_irqfd_wq, &irqfd->release);
		spin_unlock_irqrestore(&ef->irqfd_lock, iflags);
	}
	return 0;
}

static void rvhv_irqfd_queue(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct rvhv_irqfd *irqfd = container_of(pt, struct rvhv_irqfd, pt);

	add_wait_queue(wqh, &irqfd->wait);
}

static int rvhv_irqfd_assign(struct rvhv_vm *vm, const struct kvm_irqfd *args)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	struct rvhv_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;
	__poll_t events;
	bool resample;
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
	INIT_WORK(&irqfd->release, rvhv_irqfd_release_work);
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
	spin_lock_irq(&ef->irqfd_lock);
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
	list_add_tail_rcu(&irqfd->list, &ef->irqfds);
	irqfd->active = true;
	ef->nr_irqfds++;
	spin_unlock_irq(&ef->irqfd_lock);
	/*
	 * On the eventfd's wait queue; a signal already pending counts.
	 * A close from now on finds it active and releases it.
	 */
	events = vfs_poll(fd_file(f), &irqfd->pt);
	/* Once @lock is dropped a deassign may free it. */
	resample = irqfd->resamplefd;
	mutex_unlock(&ef->lock);
	if (events & EPOLLIN)
		rvhv_irqfd_inject(vm, args->gsi, resample);
	fdput(f);
	return 0;

err_unlock:
	spin_unlock_irq(&ef->irqfd_lock);
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
	LIST_HEAD(gone);

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	mutex_lock(&ef->lock);
	spin_lock_irq(&ef->irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &ef->irqfds, list) {
		if (irqfd->eventfd != eventfd || irqfd->gsi != args->gsi)
			continue;
		rvhv_irqfd_deactivate(ef, irqfd);
		list_add(&irqfd->gone, &gone);
	}
	spin_unlock_irq(&ef->irqfd_lock);
	mutex_unlock(&ef->lock);
	eventfd_ctx_put(eventfd);
	rvhv_irqfd_free_list(&gone);
	/* And those whose eventfds were closed (kvm.ko flushes too). */
	flush_workqueue(rvhv_irqfd_wq);
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
		/*
		 * RVHV_CAP_IRQ_LINES: 1, delivered to the line.  kvm.ko's
		 * AIA leaves status as the VMM gave it, and so does rvhv's.
		 */
		if (!rvhv_vm_aia(vm))
			irq.status = 1;
		if (copy_to_user(argp, &irq, sizeof(irq)))
			return -EFAULT;
	}
	return 0;
}

void rvhv_irqfds_destroy(struct rvhv_vm *vm)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	struct rvhv_irqfd *irqfd, *tmp;
	LIST_HEAD(gone);

	spin_lock_irq(&ef->irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &ef->irqfds, list) {
		rvhv_irqfd_deactivate(ef, irqfd);
		list_add(&irqfd->gone, &gone);
	}
	spin_unlock_irq(&ef->irqfd_lock);
	rvhv_irqfd_free_list(&gone);
	flush_workqueue(rvhv_irqfd_wq);
}

int rvhv_irqfd_module_init(void)
{
	rvhv_irqfd_wq = alloc_workqueue("rvhv-irqfd", 0, 0);
	return rvhv_irqfd_wq ? 0 : -ENOMEM;
}

void rvhv_irqfd_module_exit(void)
{
	destroy_workqueue(rvhv_irqfd_wq);
}
