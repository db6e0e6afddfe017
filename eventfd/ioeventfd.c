// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: a guest store to a registered MMIO address signals an
 * eventfd in the kernel, and the guest goes on without an exit to the VMM.
 *
 * The ABI is virt/kvm/eventfd.c's: a registration is an address, a length
 * (1, 2, 4 or 8 bytes, or 0 for a store of any length) and optionally a
 * value the store must write (KVM_IOEVENTFD_FLAG_DATAMATCH).  A store hits
 * a registration when its address is the registration's, its length is
 * the registration's (or that is 0) and, with datamatch, the value
 * written (zero-extended from the store's length) equals it.  Two
 * registrations that a single store could both hit are refused
 * (-EEXIST), so a store signals at most one eventfd.
 *
 * KVM_IOEVENTFD_FLAG_PIO registrations are accepted and kept, as kvm.ko
 * on riscv does, on their own (port) address space with the same rules;
 * a RISC-V guest has no port I/O, so they never fire.
 * KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY (s390 only) is refused.
 *
 * Locking and lifetimes are in eventfd/eventfd.h.
 */
#include <linux/eventfd.h>
#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "../rvhv_int.h"

/* Address spaces of registrations (struct rvhv_ioeventfd.space). */
enum rvhv_io_space {
	RVHV_IO_MMIO,
	RVHV_IO_PIO,
	RVHV_IO_CCW,	/* never registered: a deassign finds nothing */
};

/**
 * struct rvhv_ioeventfd - one KVM_IOEVENTFD registration
 * @list: entry on rvhv_eventfds.list (under rvhv_eventfds.lock)
 * @addr: guest physical address (or port)
 * @datamatch: the value a store must write, unless @wildcard
 * @eventfd: the eventfd signalled; a reference held until the
 *	registration is freed
 * @len: 1, 2, 4, 8, or 0 for any length
 * @space: enum rvhv_io_space
 * @wildcard: no datamatch: any value hits
 *
 * Immutable once published; freed only after an RCU grace period that
 * follows its removal from rvhv_eventfds.mmio (see eventfd/eventfd.h).
 */
struct rvhv_ioeventfd {
	struct list_head list;
	u64 addr;
	u64 datamatch;
	struct eventfd_ctx *eventfd;
	u32 len;
	u8 space;
	bool wildcard;
};

/**
 * struct rvhv_ioeventfd_table - the MMIO registrations, by address
 * @rcu: frees a table that a newer one replaced
 * @n: entries in @e
 * @e: the registrations, sorted by address
 *
 * Built whole under rvhv_eventfds.lock, never changed once published.
 */
struct rvhv_ioeventfd_table {
	struct rcu_head rcu;
	unsigned int n;
	struct rvhv_ioeventfd *e[] __counted_by(n);
};

void rvhv_eventfds_init(struct rvhv_vm *vm)
{
	struct rvhv_eventfds *ef = &vm->eventfds;

	mutex_init(&ef->lock);
	INIT_LIST_HEAD(&ef->list);
	spin_lock_init(&ef->irqfd_lock);
	INIT_LIST_HEAD(&ef->irqfds);
	ef->nr = 0;
	ef->nr_irqfds = 0;
	RCU_INIT_POINTER(ef->mmio, NULL);
}

static void rvhv_ioeventfd_free(struct rvhv_ioeventfd *p)
{
	eventfd_ctx_put(p->eventfd);
	kfree(p);
}

void rvhv_eventfds_destroy(struct rvhv_vm *vm)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	struct rvhv_ioeventfd *p, *tmp;

	/* Before the vCPUs go: an irqfd signal may be raising a line. */
	rvhv_irqfds_destroy(vm);
	/* No vCPU is left to read the table: the VM's last user is gone. */
	kvfree(rcu_dereference_protected(ef->mmio, true));
	RCU_INIT_POINTER(ef->mmio, NULL);
	list_for_each_entry_safe(p, tmp, &ef->list, list) {
		list_del(&p->list);
		rvhv_ioeventfd_free(p);
	}
	ef->nr = 0;
	mutex_destroy(&ef->lock);
}

static int rvhv_ioeventfd_cmp(const void *a, const void *b)
{
	const struct rvhv_ioeventfd *x = *(const struct rvhv_ioeventfd **)a;
	const struct rvhv_ioeventfd *y = *(const struct rvhv_ioeventfd **)b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/*
 * Publish a new MMIO table: every MMIO registration on the list but
 * @skip.  The old table is freed after a grace period.  Under @ef->lock.
 */
static int rvhv_ioeventfd_publish(struct rvhv_eventfds *ef,
				  struct rvhv_ioeventfd *skip)
{
	struct rvhv_ioeventfd_table *t = NULL, *old;
	struct rvhv_ioeventfd *p;
	unsigned int n = 0;

	lockdep_assert_held(&ef->lock);
	list_for_each_entry(p, &ef->list, list)
		if (p->space == RVHV_IO_MMIO && p != skip)
			n++;
	if (n) {
		t = kvmalloc(struct_size(t, e, n), GFP_KERNEL_ACCOUNT);
		if (!t)
			return -ENOMEM;
		t->n = n;
		n = 0;
		list_for_each_entry(p, &ef->list, list)
			if (p->space == RVHV_IO_MMIO && p != skip)
				t->e[n++] = p;
		sort(t->e, n, sizeof(t->e[0]), rvhv_ioeventfd_cmp, NULL);
	}
	old = rcu_replace_pointer(ef->mmio, t, lockdep_is_held(&ef->lock));
	if (old)
		kvfree_rcu(old, rcu);
	return 0;
}

/* Could one store hit both?  kvm.ko's collision rule. */
static bool rvhv_ioeventfd_collides(const struct rvhv_ioeventfd *a,
				    const struct rvhv_ioeventfd *b)
{
	if (a->space != b->space || a->addr != b->addr)
		return false;
	if (!a->len || !b->len)
		return true;
	return a->len == b->len &&
	       (a->wildcard || b->wildcard || a->datamatch == b->datamatch);
}

static enum rvhv_io_space rvhv_io_space_of(u32 flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_PIO)
		return RVHV_IO_PIO;
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return RVHV_IO_CCW;
	return RVHV_IO_MMIO;
}

static int rvhv_ioeventfd_assign(struct rvhv_vm *vm,
				 const struct kvm_ioeventfd *args)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	struct rvhv_ioeventfd *p, *q;
	struct eventfd_ctx *eventfd;
	int ret;

	/* kvm.ko's checks, in its order, with its errnos. */
	switch (args->len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	/* Bit 4 (fast MMIO) is valid to kvm.ko and means plain MMIO. */
	if (args->flags & ~KVM_IOEVENTFD_VALID_FLAG_MASK)
		return -EINVAL;
	if (args->flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return -EINVAL;
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		eventfd_ctx_put(eventfd);
		return -ENOMEM;
	}
	p->addr = args->addr;
	p->len = args->len;
	p->space = rvhv_io_space_of(args->flags);
	p->eventfd = eventfd;
	if (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH)
		p->datamatch = args->datamatch;
	else
		p->wildcard = true;

	mutex_lock(&ef->lock);
	ret = -EEXIST;
	list_for_each_entry(q, &ef->list, list)
		if (rvhv_ioeventfd_collides(p, q))
			goto fail;
	ret = -ENOSPC;
	if (ef->nr >= RVHV_MAX_IOEVENTFDS)
		goto fail;
	list_add_tail(&p->list, &ef->list);
	if (p->space == RVHV_IO_MMIO) {
		ret = rvhv_ioeventfd_publish(ef, NULL);
		if (ret) {
			list_del(&p->list);
			goto fail;
		}
	}
	ef->nr++;
	mutex_unlock(&ef->lock);
	return 0;

fail:
	mutex_unlock(&ef->lock);
	rvhv_ioeventfd_free(p);
	return ret;
}

static int rvhv_ioeventfd_deassign(struct rvhv_vm *vm,
				   const struct kvm_ioeventfd *args)
{
	struct rvhv_eventfds *ef = &vm->eventfds;
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	enum rvhv_io_space space = rvhv_io_space_of(args->flags);
	struct rvhv_ioeventfd *p, *found = NULL;
	struct eventfd_ctx *eventfd;
	int ret = -ENOENT;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	mutex_lock(&ef->lock);
	list_for_each_entry(p, &ef->list, list) {
		if (p->space != space || p->eventfd != eventfd ||
		    p->addr != args->addr || p->len != args->len ||
		    p->wildcard != wildcard ||
		    (!wildcard && p->datamatch != args->datamatch))
			continue;
		found = p;
		break;
	}
	if (found) {
		ret = 0;
		if (found->space == RVHV_IO_MMIO)
			ret = rvhv_ioeventfd_publish(ef, found);
		if (!ret) {
			list_del(&found->list);
			ef->nr--;
		} else {
			found = NULL;
		}
	}
	mutex_unlock(&ef->lock);
	eventfd_ctx_put(eventfd);

	if (found) {
		/* No vCPU signals through it once we return. */
		synchronize_rcu();
		rvhv_ioeventfd_free(found);
	}
	return ret;
}

long rvhv_vm_ioeventfd(struct rvhv_vm *vm, void __user *argp)
{
	struct kvm_ioeventfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return rvhv_ioeventfd_deassign(vm, &args);
	return rvhv_ioeventfd_assign(vm, &args);
}

struct eventfd_ctx *rvhv_ioeventfd_find(struct rvhv_vm *vm, u64 gpa,
					unsigned int len, u64 val)
{
	const struct rvhv_ioeventfd_table *t;
	const struct rvhv_ioeventfd *p;
	unsigned int lo, hi, mid;

	t = rcu_dereference(vm->eventfds.mmio);
	if (!t)
		return NULL;
	/* The first entry at @gpa or above. */
	lo = 0;
	hi = t->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->e[mid]->addr < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->e[lo]->addr == gpa; lo++) {
		p = t->e[lo];
		if (p->len && (p->len != len ||
			       (!p->wildcard && p->datamatch != val)))
			continue;
		return p->eventfd;
	}
	return NULL;
}
