/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rvhv's additions to the KVM RISC-V userspace ABI.
 *
 * /dev/rvhv speaks <linux/kvm.h> and <asm/kvm.h> unchanged.  What rvhv adds
 * is declared here and announced through KVM_CHECK_EXTENSION with the
 * capability numbers below, which lie far above KVM's own so they never
 * collide with a future KVM capability.
 */
#ifndef _UAPI_LINUX_RVHV_H
#define _UAPI_LINUX_RVHV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* ioctl type of rvhv's own ioctls (unused in ioctl-number.rst). */
#define RVHVIO			0xBA

/* Capabilities (KVM_CHECK_EXTENSION on /dev/rvhv or a VM fd). */
#define RVHV_CAP_BASE		0x52560000
/* RVHV_GET_HOST_FEATURES works; returns 1. */
#define RVHV_CAP_HOST_FEATURES	(RVHV_CAP_BASE + 0)
/* The SBI batch extension; enable with KVM_ENABLE_CAP on the VM fd. */
#define RVHV_CAP_SBI_BATCH	(RVHV_CAP_BASE + 1)
/* Coalesced legacy console output; enable with KVM_ENABLE_CAP (VM fd). */
#define RVHV_CAP_CONSOLE_COALESCE (RVHV_CAP_BASE + 2)

/* struct rvhv_host_features.flags */
#define RVHV_HOST_H		(1U << 0)	/* hypervisor extension */
#define RVHV_HOST_SSTC		(1U << 1)	/* stimecmp/vstimecmp */
#define RVHV_HOST_SVPBMT	(1U << 2)	/* page-based memory types */

/* Bits of struct rvhv_host_features.gstage_modes: BIT(hgatp.MODE value). */
#define RVHV_GSTAGE_SV39X4	(1U << 8)
#define RVHV_GSTAGE_SV48X4	(1U << 9)
#define RVHV_GSTAGE_SV57X4	(1U << 10)

/**
 * struct rvhv_host_features - what rvhv found on the host at load time
 * @flags: RVHV_HOST_* bits
 * @gstage_modes: RVHV_GSTAGE_* bits: every G-stage mode hgatp accepts
 * @gstage_mode: the hgatp.MODE value rvhv uses for its VMs (the widest)
 * @gpa_bits: guest physical address bits of that mode
 * @vmid_bits: VMID bits the hardware implements in hgatp (0: none)
 * @vmid_bits_used: VMID bits rvhv allocates from (vmid_bits, or fewer when
 *	the module parameter vmid_bits caps it)
 * @reserved: zero
 */
struct rvhv_host_features {
	__u32 flags;
	__u32 gstage_modes;
	__u32 gstage_mode;
	__u32 gpa_bits;
	__u32 vmid_bits;
	__u32 vmid_bits_used;
	__u64 reserved[5];
};

/* On /dev/rvhv: fill in a struct rvhv_host_features. */
#define RVHV_GET_HOST_FEATURES	_IOR(RVHVIO, 0x00, struct rvhv_host_features)

#endif /* _UAPI_LINUX_RVHV_H */
