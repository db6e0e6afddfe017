/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The eventfd room: what a VM and its VMM signal each other through
 * eventfds without a trip through userspace.  It owns a VM's ioeventfds
 * (KVM_IOEVENTFD: a guest MMIO store to a registered address signals an
 * eventfd and the guest goes on, no exit to the VMM), their
 * registrations, the table the MMIO path looks them up in, its irqfds
 * (KVM_IRQFD: an eventfd signal raises a GSI), the GSIs themselves
 * (KVM_IRQ_LINE, rvhv_irq_set(): APLIC source n with the in-kernel AIA,
 * vCPU n's external interrupt line with RVHV_CAP_IRQ_LINES, see
 * eventfd/irqfd.c) and the eventfd references all of these hold.
 * Everything here is freed when the VM is (rvhv_eventfds_destroy()).
 *
 * Lifetime of a registration (struct rvhv_ioeventfd, eventfd/ioeventfd.c):
 * created by KVM_IOEVENTFD under rvhv_eventfds.lock, it holds a reference
 * on its eventfd context from then on (closing the eventfd's fd does not
 * end the registration, as with kvm.ko).  The MMIO path finds it in
 * rvhv_eventfds.mmio under rcu_read_lock() only.  Deassigning it publishes
 * a table without it, waits for an RCU grace period (no vCPU is still
 * signalling through it when KVM_IOEVENTFD returns), then drops the
 * eventfd reference and frees it.  A table replaced by a newer one is
 * freed after a grace period too.
 */
#ifndef _RVHV_EVENTFD_H
#define _RVHV_EVENTFD_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct eventfd_ctx;
struct rvhv_vm;
struct rvhv_ioeventfd_table;

/*
 * Registrations per VM (MMIO and PIO together).  kvm.ko has no limit on
 * ioeventfds; rvhv stops at this many with -ENOSPC, as kvm.ko's I/O bus
 * does for its other devices.
 */
#define RVHV_MAX_IOEVENTFDS	4096
/* irqfds per VM: kvm.ko has no limit either; -ENOSPC past it. */
#define RVHV_MAX_IRQFDS		4096

/**
 * struct rvhv_eventfds - a VM's ioeventfds and irqfds
 * @lock: serialises KVM_IOEVENTFD and KVM_IRQFD; protects @list, @nr
 *	and the writes of @mmio
 * @list: every registration (struct rvhv_ioeventfd.list), MMIO and PIO
 * @nr: how many are on @list
 * @mmio: the MMIO registrations sorted by address, for the MMIO path
 *	(rvhv_ioeventfd_find()): read under rcu_read_lock() only, on the
 *	exit fast path too (interrupts off: it never waits for @lock),
 *	replaced whole under @lock (NULL: none)
 * @irqfd_lock: protects @irqfds and @nr_irqfds (a spinlock, irqs off: an
 *	eventfd's close takes an irqfd off the list from its wake-up)
 * @irqfds: every active irqfd (struct rvhv_irqfd, eventfd/irqfd.c);
 *	changed under @irqfd_lock (and @lock, but for a close), walked
 *	under rcu_read_lock() to signal resample eventfds
 * @nr_irqfds: how many
 */
struct rvhv_eventfds {
	struct mutex lock;
	struct list_head list;
	unsigned int nr;
	struct rvhv_ioeventfd_table __rcu *mmio;
	spinlock_t irqfd_lock;
	struct list_head irqfds;
	unsigned int nr_irqfds;
};

void rvhv_eventfds_init(struct rvhv_vm *vm);
/* The VM's last reference is gone: free every registration. */
void rvhv_eventfds_destroy(struct rvhv_vm *vm);
/* KVM_IOEVENTFD on the VM fd. */
long rvhv_vm_ioeventfd(struct rvhv_vm *vm, void __user *argp);
/*
 * A guest store of @len bytes (value @val, zero-extended) to @gpa: the
 * eventfd of the ioeventfd it hits, or NULL (the store goes on to
 * coalesced MMIO or the VMM).  The caller holds rcu_read_lock() from
 * before the call until it has signalled the eventfd (eventfd_signal(),
 * which may be called with interrupts off: the exit fast path does).
 * Takes no lock; any context but NMI.
 */
struct eventfd_ctx *rvhv_ioeventfd_find(struct rvhv_vm *vm, u64 gpa,
					unsigned int len, u64 val);

/* KVM_IRQFD, KVM_IRQ_LINE / KVM_IRQ_LINE_STATUS on the VM fd. */
long rvhv_vm_irqfd(struct rvhv_vm *vm, void __user *argp);
long rvhv_vm_irq_line(struct rvhv_vm *vm, void __user *argp, bool status);
/*
 * The one place a GSI becomes an interrupt: with the in-kernel AIA,
 * APLIC source @gsi (rvhv_aia_set_irq()); with RVHV_CAP_IRQ_LINES,
 * vCPU @gsi's VS external interrupt line goes to @level.  0, -ENXIO (no
 * interrupt controller), -EINVAL (no such vCPU), the AIA's errnos.  Any
 * context but NMI.
 */
int rvhv_irq_set(struct rvhv_vm *vm, u32 gsi, bool level);
/*
 * The guest acknowledged APLIC source @pin (claimed it): signal the
 * resample eventfd of every resampling irqfd whose GSI leads there.  Any
 * context but NMI; no APLIC lock held.
 */
void rvhv_irqfd_resample(struct rvhv_vm *vm, u32 pin);
/* Part of rvhv_eventfds_destroy(). */
void rvhv_irqfds_destroy(struct rvhv_vm *vm);
/* Module init/exit: the workqueue that frees irqfds of closed eventfds. */
int rvhv_irqfd_module_init(void);
void rvhv_irqfd_module_exit(void);

#endif /* _RVHV_EVENTFD_H */
