/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv: internal declarations shared by the module's files.
 */
#ifndef _RVHV_INT_H
#define _RVHV_INT_H

#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/rvhv.h>

/* KVM_GET_API_VERSION: the KVM ABI rvhv speaks. */
#define RVHV_API_VERSION	12

/**
 * struct rvhv_host - what rvhv found on the host, fixed after module init
 * @feat: the same, as reported to userspace by RVHV_GET_HOST_FEATURES
 * @hgatp_mode: hgatp.MODE used for every VM's G-stage
 */
struct rvhv_host {
	struct rvhv_host_features feat;
	unsigned long hgatp_mode;
};

extern struct rvhv_host rvhv_host;

/**
 * struct rvhv_vmid - a VM's VMID and the allocator generation it belongs to
 * @generation: generation the VMID was handed out in; a VMID is valid only
 *	while this equals the allocator's current generation
 * @vmid: the VMID (0 when the hardware has no VMID bits)
 *
 * Written under rvhv_vmid_lock (mmu/vmid.c); read locklessly with READ_ONCE
 * on guest entry, and re-validated under the lock when stale.
 */
struct rvhv_vmid {
	u64 generation;
	unsigned long vmid;
};

/**
 * struct rvhv_vm - one virtual machine (a VM fd)
 * @mm: the address space of the process that created the VM; VM ioctls
 *	from any other address space fail with -EIO, as KVM's do.  Pinned
 *	with mmgrab() for the VM's life.
 * @vmid: see struct rvhv_vmid
 * @list: entry on rvhv_vms, protected by rvhv_vms_lock
 * @pid: tgid of the creator, for debugfs
 */
struct rvhv_vm {
	struct mm_struct *mm;
	struct rvhv_vmid vmid;
	struct list_head list;
	pid_t pid;
};

/* rvhv_vm.c */
extern struct list_head rvhv_vms;
extern struct mutex rvhv_vms_lock;
extern atomic_t rvhv_nr_vms;
int rvhv_create_vm(unsigned long type);
long rvhv_check_extension(struct rvhv_vm *vm, long cap);

/* mmu/vmid.c */
void rvhv_vmid_detect(void);
void rvhv_vmid_init(void);
bool rvhv_vmid_update(struct rvhv_vmid *vmid);
u64 rvhv_vmid_generation(void);


#endif /* _RVHV_INT_H */
