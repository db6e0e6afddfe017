/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Coalesced MMIO (trap/coalesced.c): a VM's zones and its ring.
 */
#ifndef _RVHV_TRAP_COALESCED_H
#define _RVHV_TRAP_COALESCED_H

#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct rvhv_vm;
struct rvhv_coalesced_zones;

/* Zones a VM may have (KVM: its I/O bus holds 1000 devices). */
#define RVHV_COALESCED_MAX	1000

/**
 * struct rvhv_coalesced - a VM's coalesced MMIO
 * @lock: serialises zone changes (register, unregister)
 * @zones: the zone table, or NULL; replaced under @lock, read under RCU
 * @ring_lock: serialises the vCPUs appending to @ring
 * @ring: the ring page, allocated with the VM, freed with it
 */
struct rvhv_coalesced {
	struct mutex lock;
	struct rvhv_coalesced_zones __rcu *zones;
	spinlock_t ring_lock;
	struct kvm_coalesced_mmio_ring *ring;
};

int rvhv_coalesced_init(struct rvhv_vm *vm);
void rvhv_coalesced_destroy(struct rvhv_vm *vm);
bool rvhv_coalesced_write(struct rvhv_vm *vm, u64 gpa, unsigned int len,
			  u64 val);
long rvhv_vm_coalesced_ioctl(struct rvhv_vm *vm, unsigned int ioctl,
			     void __user *argp);
struct page *rvhv_coalesced_page(struct rvhv_vm *vm);

#endif /* _RVHV_TRAP_COALESCED_H */
