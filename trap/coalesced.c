// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO (KVM_REGISTER_COALESCED_MMIO, KVM's ABI): guest stores
 * into a zone the VMM registered are appended to the VM's ring (one page,
 * struct kvm_coalesced_mmio_ring, mapped from any vCPU fd at page
 * KVM_COALESCED_MMIO_PAGE_OFFSET) and the guest goes on without an exit.
 * The VMM drains the ring when it next handles an exit (QEMU does so
 * before every MMIO exit, which keeps program order between ring entries
 * and ordinary exits).  A store that does not fit (ring full: one entry
 * is always left free, so first == last means empty) and every load
 * exit as ordinary MMIO.  Zones on the PIO bus (zone.pio = 1) are
 * accepted, as KVM does, and never match: RISC-V has no port I/O.
 *
 * Locks and lifetime: struct rvhv_coalesced.lock (a mutex) serialises
 * zone changes; the zone table is replaced whole and freed after an RCU
 * grace period, and the MMIO path reads it under rcu_read_lock().
 * struct rvhv_coalesced.ring_lock (a spinlock) serialises writers of the
 * ring (vCPUs of the VM); the VMM consumes from the other end.  The ring
 * page lives as long as the VM (a mapping holds its own page reference).
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../rvhv_int.h"
#include "coalesced.h"

/**
 * struct rvhv_coalesced_zones - a VM's zones, replaced whole on change
 * @rcu: frees the old table after a grace period
 * @n: zones in @z
 * @z: the zones as registered (MMIO and PIO)
 */
struct rvhv_coalesced_zones {
	struct rcu_head rcu;
	unsigned int n;
	struct kvm_coalesced_mmio_zone z[];
};

int rvhv_coalesced_init(struct rvhv_vm *vm)
{
	struct rvhv_coalesced *c = &vm->coalesced;

	c->ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!c->ring)
		return -ENOMEM;
	mutex_init(&c->lock);
	spin_lock_init(&c->ring_lock);
	return 0;
}

void rvhv_coalesced_destroy(struct rvhv_vm *vm)
{
	struct rvhv_coalesced *c = &vm->coalesced;

	/* No vCPU runs any more: nobody reads the table. */
	kfree(rcu_dereference_protected(c->zones, true));
	free_page((unsigned long)c->ring);
}

/* Is [addr, addr + len) inside @z?  (KVM's rule: wholly inside.) */
static bool rvhv_zone_has(const struct kvm_coalesced_mmio_zone *z, u64 addr,
			  u64 len)
{
	return addr + len >= addr && addr >= z->addr &&
	       addr + len <= z->addr + z->size;
}

/**
 * rvhv_coalesced_write() - a guest store, to the ring if a zone has it
 * @vm: the VM
 * @gpa: where the store went
 * @len: its width (1, 2, 4 or 8)
 * @val: its value, little-endian in the low @len bytes
 *
 * Return: true when the store is in the ring (the guest goes on), false
 * when it must exit as ordinary MMIO (no zone, or the ring is full).
 */
bool rvhv_coalesced_write(struct rvhv_vm *vm, u64 gpa, unsigned int len,
			  u64 val)
{
	struct rvhv_coalesced *c = &vm->coalesced;
	struct kvm_coalesced_mmio_ring *ring = c->ring;
	const struct rvhv_coalesced_zones *t;
	bool hit = false;
	unsigned int i;
	u32 last;

	if (!rcu_access_pointer(c->zones))
		return false;
	rcu_read_lock();
	t = rcu_dereference(c->zones);
	for (i = 0; t && i < t->n; i++)
		if (!t->z[i].pio && rvhv_zone_has(&t->z[i], gpa, len))
			break;
	if (!t || i == t->n)
		goto out;

	spin_lock(&c->ring_lock);
	/* The VMM owns first (and could write last): trust neither. */
	last = READ_ONCE(ring->last);
	if (last < KVM_COALESCED_MMIO_MAX &&
	    (last + 1) % KVM_COALESCED_MMIO_MAX != READ_ONCE(ring->first)) {
		ring->coalesced_mmio[last].phys_addr = gpa;
		ring->coalesced_mmio[last].len = len;
		ring->coalesced_mmio[last].pio = 0;
		memcpy(ring->coalesced_mmio[last].data, &val, len);
		/* The entry before the index that publishes it. */
		smp_wmb();
		WRITE_ONCE(ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
		hit = true;
	}
	spin_unlock(&c->ring_lock);
out:
	rcu_read_unlock();
	return hit;
}

/* Install @new (may be NULL) as the zone table; under c->lock. */
static void rvhv_coalesced_replace(struct rvhv_coalesced *c,
				   struct rvhv_coalesced_zones *new)
{
	struct rvhv_coalesced_zones *old;

	old = rcu_replace_pointer(c->zones, new, lockdep_is_held(&c->lock));
	if (old)
		kfree_rcu(old, rcu);
}

/*
 * KVM_REGISTER_COALESCED_MMIO: any zone is accepted (KVM puts no limit on
 * address or size), up to RVHV_COALESCED_MAX zones (then -ENOSPC, as
 * KVM's bus gives when full); pio other than 0 or 1: -EINVAL.
 */
static int rvhv_coalesced_register(struct rvhv_vm *vm,
				   const struct kvm_coalesced_mmio_zone *zone)
{
	struct rvhv_coalesced *c = &vm->coalesced;
	struct rvhv_coalesced_zones *old, *new;
	unsigned int n;
	int ret = 0;

	if (zone->pio > 1)
		return -EINVAL;
	mutex_lock(&c->lock);
	old = rcu_dereference_protected(c->zones, lockdep_is_held(&c->lock));
	n = old ? old->n : 0;
	if (n >= RVHV_COALESCED_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	new = kmalloc(struct_size(new, z, n + 1), GFP_KERNEL_ACCOUNT);
	if (!new) {
		ret = -ENOMEM;
		goto out;
	}
	if (n)
		memcpy(new->z, old->z, n * sizeof(new->z[0]));
	new->z[n] = *zone;
	new->n = n + 1;
	rvhv_coalesced_replace(c, new);
out:
	mutex_unlock(&c->lock);
	return ret;
}

/*
 * KVM_UNREGISTER_COALESCED_MMIO: every zone of the same bus (pio) that
 * holds the whole of the given range goes (KVM's rule, so unregistering
 * the zone as it was registered, or any part of it, removes it); 0 even
 * if none did, as KVM.
 */
static int rvhv_coalesced_unregister(struct rvhv_vm *vm,
				     const struct kvm_coalesced_mmio_zone *zone)
{
	struct rvhv_coalesced *c = &vm->coalesced;
	struct rvhv_coalesced_zones *old, *new = NULL;
	unsigned int i, n = 0;

	if (zone->pio > 1)
		return -EINVAL;
	mutex_lock(&c->lock);
	old = rcu_dereference_protected(c->zones, lockdep_is_held(&c->lock));
	if (!old)
		goto out;
	new = kmalloc(struct_size(new, z, old->n), GFP_KERNEL_ACCOUNT);
	if (!new) {
		mutex_unlock(&c->lock);
		return -ENOMEM;
	}
	for (i = 0; i < old->n; i++) {
		const struct kvm_coalesced_mmio_zone *z = &old->z[i];

		if (z->pio == zone->pio &&
		    rvhv_zone_has(z, zone->addr, zone->size))
			continue;
		new->z[n++] = *z;
	}
	new->n = n;
	if (!n) {
		kfree(new);
		new = NULL;
	}
	rvhv_coalesced_replace(c, new);
out:
	mutex_unlock(&c->lock);
	return 0;
}

long rvhv_vm_coalesced_ioctl(struct rvhv_vm *vm, unsigned int ioctl,
			     void __user *argp)
{
	struct kvm_coalesced_mmio_zone zone;

	if (copy_from_user(&zone, argp, sizeof(zone)))
		return -EFAULT;
	if (ioctl == KVM_REGISTER_COALESCED_MMIO)
		return rvhv_coalesced_register(vm, &zone);
	return rvhv_coalesced_unregister(vm, &zone);
}

/* The ring's page, for a fault on the vCPU mapping (referenced). */
struct page *rvhv_coalesced_page(struct rvhv_vm *vm)
{
	struct page *page = virt_to_page(vm->coalesced.ring);

	get_page(page);
	return page;
}
