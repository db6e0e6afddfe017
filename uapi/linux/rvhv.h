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
/*
 * SBI batching (RVHV_SBI_EXT below); returns 1.  Off for a VM until the
 * VMM turns it on with KVM_ENABLE_CAP on the VM fd (args[0] = 1; 0 turns
 * it off again; other args and flags 0).
 */
#define RVHV_CAP_SBI_BATCH	(RVHV_CAP_BASE + 1)
/*
 * Coalesced legacy console output (RVHV_SBI_CONSOLE_OUTPUT below);
 * returns 1.  Off for a VM until enabled with KVM_ENABLE_CAP on the VM fd
 * (as RVHV_CAP_SBI_BATCH).
 */
#define RVHV_CAP_CONSOLE_COALESCE	(RVHV_CAP_BASE + 2)
/*
 * GSIs without an in-kernel interrupt controller; returns 1.  Off for a
 * VM (kvm.ko's behaviour without an irqchip: KVM_IRQ_LINE gets -ENXIO,
 * an irqfd's signal goes nowhere) until enabled with KVM_ENABLE_CAP on
 * the VM fd (as RVHV_CAP_SBI_BATCH).  Enabled, GSI n is the VS-level
 * external interrupt line (hvip.VSEIP) of the vCPU with id n, the line
 * KVM_INTERRUPT drives:
 *   KVM_IRQ_LINE / KVM_IRQ_LINE_STATUS: irq = n, level 1 raises it, 0
 *     lowers it (-EINVAL if there is no vCPU n); status is set to 1
 *   KVM_IRQFD, gsi = n: each signal of the eventfd raises it; lowering
 *     it is the VMM's (KVM_IRQ_LINE level 0 or KVM_INTERRUPT_UNSET), as
 *     only its interrupt controller model sees the guest acknowledge.
 *     KVM_IRQFD_FLAG_RESAMPLE gets -EINVAL (KVM_CAP_IRQFD_RESAMPLE 0).
 *     A signal for a GSI with no vCPU is dropped.
 * KVM_SET_GSI_ROUTING and KVM_SIGNAL_MSI get -EINVAL either way.
 */
#define RVHV_CAP_IRQ_LINES	(RVHV_CAP_BASE + 3)

/*
 * The in-kernel AIA in APLIC direct delivery mode; returns 1.  Without
 * it, KVM_CREATE_DEVICE(KVM_DEV_TYPE_RISCV_AIA) makes kvm.ko's MSI-mode
 * device (emulated IMSICs) on a host with Ssaia, and gets -ENODEV
 * elsewhere (kvm.ko's answer on a host without AIA).  Enabled with
 * KVM_ENABLE_CAP on the VM fd (as RVHV_CAP_SBI_BATCH; it cannot be
 * changed once the device exists: -EBUSY), the device is made in direct
 * mode, on any host, with KVM's attribute ABI and these differences:
 *   - its APLIC is in direct delivery mode (domaincfg.DM reads 0, is not
 *     writable): an interrupt delivery control (IDC) per vCPU at
 *     APLIC base + 0x4000 + 32 * vCPU id (hart index = vCPU id, 64 IDCs),
 *     delivering to the vCPU's VS external interrupt (hvip.VSEIP, OR'ed
 *     with KVM_INTERRUPT's line); target[n] holds hart index << 18 |
 *     priority (1..255).  The APLIC's window is 0x4800 bytes.
 *   - no IMSIC: INIT needs no IMSIC addresses; KVM_DEV_RISCV_AIA_ADDR_IMSIC
 *     and KVM_DEV_RISCV_AIA_GRP_IMSIC attributes do not exist (-ENXIO).
 *   - CONFIG_MODE is KVM_DEV_RISCV_AIA_MODE_EMUL (others: -EINVAL).
 *   - KVM_DEV_RISCV_AIA_GRP_APLIC also reaches the IDCs (offsets 0x4000..
 *     0x47FF; reading claimi there does not claim).
 * GSI n is APLIC source n (KVM_IRQ_LINE, irqfds, resampling irqfds);
 * KVM_SET_GSI_ROUTING routes irqfds' GSIs to sources (MSI routes need
 * the IMSICs of MSI mode: -EINVAL in direct mode).
 * Exclusive with RVHV_CAP_IRQ_LINES: the device is refused (-EBUSY) on a
 * VM with RVHV_CAP_IRQ_LINES enabled, and RVHV_CAP_IRQ_LINES cannot be
 * enabled on a VM with the device (-EBUSY).
 */
#define RVHV_CAP_AIA_DIRECT	(RVHV_CAP_BASE + 4)

/*
 * A VM's guest physical address width is the VMM's to choose, as the
 * RISC-V KVM maintainers settled it for upstream (not in Linux 6.12's
 * kvm.ko, which answers -EINVAL): KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS) on
 * the VM fd, before its first vCPU and memslot (-EBUSY after), args[0] =
 * the GPA bits the VM needs: 1..41 give Sv39x4 (41 bits), 42..50 Sv48x4
 * (50), 51..59 Sv57x4 (59); 0, more than 59, a G-stage mode the host's
 * hgatp lacks, or non-zero flags: -EINVAL.  KVM_CHECK_EXTENSION(
 * KVM_CAP_VM_GPA_BITS) on the VM fd answers the VM's width from then on
 * (on /dev/rvhv: the host's widest, a new VM's default).  This
 * capability returns the RVHV_GSTAGE_* bits of the modes a VM can be
 * given (every mode the host's hgatp takes).
 */
#define RVHV_CAP_SET_GPA_BITS	(RVHV_CAP_BASE + 5)

/* struct rvhv_host_features.flags */
#define RVHV_HOST_H		(1U << 0)	/* hypervisor extension */
#define RVHV_HOST_SSTC		(1U << 1)	/* stimecmp/vstimecmp */
#define RVHV_HOST_SVPBMT	(1U << 2)	/* page-based memory types */
#define RVHV_HOST_SMSTATEEN	(1U << 3)	/* state enable (hstateen0) */
#define RVHV_HOST_SSAIA		(1U << 4)	/* AIA CSRs (hvictl, hviprio) */
/* henvcfg and senvcfg (privileged spec 1.12; a 1.11 hart has neither) */
#define RVHV_HOST_ENVCFG	(1U << 5)

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
 *	the module parameter max_vmid_bits caps it)
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

/*
 * rvhv's own SBI extension, in the SBI firmware-specific extension space
 * (0x0A000000-0x0AFFFFFF): "RVH" in ASCII.  A guest sees it (BASE
 * probe_extension answers 1) only when the VMM enabled
 * RVHV_CAP_SBI_BATCH; otherwise it is an unknown extension
 * (SBI_ERR_NOT_SUPPORTED).
 */
#define RVHV_SBI_EXT		0x0A525648

/*
 * Function RVHV_SBI_BATCH: run several SBI calls with one ecall.
 *   a0 = guest physical address of an array of struct
 *        rvhv_sbi_batch_entry, 8-byte aligned, wholly inside one writable
 *        memslot
 *   a1 = number of entries, 1..RVHV_SBI_BATCH_MAX
 * Returns a0 = SBI_SUCCESS (0), a1 = number of entries completed, with
 * each completed entry's error and value written back.  Entries run in
 * order, each exactly as if the guest had issued it by ecall (same
 * extension/function checks and answers, a0..a5 = args[], a6 = fid,
 * a7 = eid); an unknown or disabled extension completes with
 * SBI_ERR_NOT_SUPPORTED as a single ecall would.  Legacy v0.1 entries
 * complete with value 0 (v0.1 calls return no value).
 *
 * The batch stops, before running it, at the first entry that a single
 * ecall could not complete inside the kernel: anything forwarded to the
 * VMM (DBCN, experimental and vendor ranges, legacy console, BASE
 * probe_extension of an experimental or vendor id), SRST and legacy
 * shutdown, HSM hart_stop and hart_suspend, and the legacy calls that
 * read a hart mask from guest virtual memory (send_ipi and the remote
 * fences, ids 4-7).  a1 then tells the guest where to continue; it issues
 * the rest itself (singly, or in a new batch after the stopping entry).
 * An entry that names RVHV_SBI_EXT itself (no nesting) completes with
 * error SBI_ERR_DENIED, value 0, without running, and the batch goes on.
 *
 * Errors, with nothing run and a1 = 0:
 *   SBI_ERR_INVALID_PARAM    count 0 or above RVHV_SBI_BATCH_MAX
 *   SBI_ERR_INVALID_ADDRESS  a0 not 8-byte aligned, or the array not
 *                            wholly inside one memslot, or the slot (or
 *                            the VMM's mapping of it) not writable
 * After running entries: SBI_ERR_FAILED (-1) with a1 = entries completed if
 * the results could not be written back (the VMM changed the memslot
 * meanwhile); their results are then lost.
 * The array belongs to the kernel for the duration of the call: it is
 * read once at the start and written back (all completed entries, whole)
 * at the end.  The pc advances past the batch ecall once, never per entry.
 */
#define RVHV_SBI_BATCH		0
#define RVHV_SBI_BATCH_MAX	64

/**
 * struct rvhv_sbi_batch_entry - one call of an RVHV_SBI_BATCH (80 bytes,
 * little-endian, 8-byte aligned; no padding)
 * @eid: offset 0: SBI extension id (a7)
 * @fid: offset 8: SBI function id (a6)
 * @args: offset 16: a0..a5
 * @error: offset 64: out: the SBI error the call returned (a0)
 * @value: offset 72: out: the value it returned (a1)
 */
struct rvhv_sbi_batch_entry {
	__u64 eid;
	__u64 fid;
	__u64 args[6];
	__s64 error;
	__u64 value;
};

/*
 * Coalesced legacy console (RVHV_CAP_CONSOLE_COALESCE).  Each legacy SBI
 * v0.1 console_putchar (extension 0x01) appends its byte to a per-vCPU
 * buffer of RVHV_CONSOLE_MAX bytes and returns to the guest in the kernel
 * (a0 = 0), with no exit.  The buffered bytes reach the VMM as one exit:
 *   exit_reason         KVM_EXIT_RISCV_SBI
 *   riscv_sbi.extension_id  RVHV_SBI_EXT
 *   riscv_sbi.function_id   RVHV_SBI_CONSOLE_OUTPUT
 *   riscv_sbi.args[0]   byte offset of the bytes inside the vCPU's mmap
 *                       (struct kvm_run page): always RVHV_CONSOLE_OFFSET
 *   riscv_sbi.args[1]   their number, 1..RVHV_CONSOLE_MAX
 *   riscv_sbi.args[2..5]  0
 * The exit comes when the byte just written is '\n' or the buffer became
 * full (that putchar is already complete), and in place of any other exit
 * to userspace while bytes are buffered (a forwarded SBI call, MMIO, CSR,
 * system event...): that other exit is not lost, the guest re-executes
 * the instruction behind it after the next KVM_RUN and it recurs.  There
 * is nothing to complete: riscv_sbi.ret[] is ignored.  Bytes still
 * buffered when the vCPU is destroyed are lost.  Legacy console_getchar
 * stays forwarded as before (any buffered output goes out first).
 */
#define RVHV_SBI_CONSOLE_OUTPUT	0x100
#define RVHV_CONSOLE_OFFSET	3072
#define RVHV_CONSOLE_MAX	256

/*
 * SBI SUSP (system suspend, SBI 2.0) as kvm.ko has it from Linux 6.13 on:
 * its ONE_REG SBI_EXT id (KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE
 * | id) is KVM_RISCV_SBI_EXT_SUSP, which the <asm/kvm.h> of Linux 6.12
 * does not define yet; this is its value there.  Off by default, as in
 * kvm.ko; listed by KVM_GET_REG_LIST.  Documentation/rvhv.rst, "SBI".
 */
#define RVHV_RISCV_SBI_EXT_SUSP	11

/*
 * SBI FWFT (firmware features, SBI 3.0) as kvm.ko has it from Linux 6.16
 * on: its SBI_EXT id (kvm.ko's KVM_RISCV_SBI_EXT_FWFT; on by default) and
 * its state, KVM_REG_RISCV_SBI_STATE registers of subtype
 * RVHV_REG_RISCV_SBI_FWFT (kvm.ko's KVM_REG_RISCV_SBI_FWFT), numbered as
 * the unsigned longs of struct rvhv_riscv_sbi_fwft (kvm.ko's struct
 * kvm_riscv_sbi_fwft): for each feature, enable (offered to the guest,
 * 0 or 1), flags (SBI_FWFT_SET_FLAG_LOCK, bit 0) and value.  Linux 6.12's
 * <asm/kvm.h> has none of these; these are kvm.ko's values.  rvhv
 * implements MISALIGNED_EXC_DELEG; pointer_masking's registers are
 * absent (-ENOENT), as on a kvm.ko host without Ssnpm.
 * Documentation/rvhv.rst, "Guest platform".
 */
#define RVHV_RISCV_SBI_EXT_FWFT		12
#define RVHV_REG_RISCV_SBI_FWFT		(0x1 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define RVHV_REG_RISCV_SBI_FWFT_REG(name)	\
	(offsetof(struct rvhv_riscv_sbi_fwft, name) / sizeof(unsigned long))

struct rvhv_riscv_sbi_fwft_feature {
	unsigned long enable;
	unsigned long flags;
	unsigned long value;
};

struct rvhv_riscv_sbi_fwft {
	struct rvhv_riscv_sbi_fwft_feature misaligned_deleg;
	struct rvhv_riscv_sbi_fwft_feature pointer_masking;
};

/*
 * SBI PMU counter state, rvhv's own (kvm.ko keeps none: its counters are
 * lost when a vCPU is restored): KVM_REG_RISCV_SBI_STATE registers of
 * subtype RVHV_REG_RISCV_SBI_PMU (far above kvm.ko's STA 0 and FWFT 1),
 * unsigned long, three per firmware counter i, 0..RVHV_SBI_PMU_CTRS-1
 * (counter index i, or the number of hardware counter indices plus i):
 *   RVHV_SBI_PMU_CTR_EVENT(i)  its event_idx (0, or a firmware event
 *                              0xf0000 | code, code below 22; else -EINVAL)
 *   RVHV_SBI_PMU_CTR_VALUE(i)  its value now (counting on from a written
 *                              one if started)
 *   RVHV_SBI_PMU_CTR_STATE(i)  RVHV_SBI_PMU_CTR_IN_USE (configured) |
 *                              RVHV_SBI_PMU_CTR_STARTED (counting; only
 *                              with IN_USE, else -EINVAL)
 * On a host where the SBI PMU has hardware counters (host perf), three
 * more per hardware counter index j (0 cycle, 1 none, 2 instret, 3..
 * hpmcounters), from RVHV_SBI_PMU_HW_REG(j) on, in the same order: its
 * event_idx (0, or a hardware or cache event rvhv maps to perf; for j 0
 * only cycles, for j 2 only instructions, for j 1 only 0), its value
 * and its state, which may also have RVHV_SBI_PMU_CTR_SINH/UINH (its
 * filters).
 * A hardware counter's perf event is made again for the thread of the
 * next KVM_RUN.
 * They may be written in any order.  Listed by KVM_GET_REG_LIST after
 * FWFT's while the vCPU has the PMU enabled.  Documentation/rvhv.rst,
 * "Performance monitoring".
 */
#define RVHV_REG_RISCV_SBI_PMU		(0x80 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define RVHV_SBI_PMU_CTRS		16
#define RVHV_SBI_PMU_CTR_EVENT(i)	(3 * (i))
#define RVHV_SBI_PMU_CTR_VALUE(i)	(3 * (i) + 1)
#define RVHV_SBI_PMU_CTR_STATE(i)	(3 * (i) + 2)
#define RVHV_SBI_PMU_CTR_IN_USE		(1UL << 0)
#define RVHV_SBI_PMU_CTR_STARTED	(1UL << 1)
/* A hardware counter's mode filters: its guest S-mode, U-mode not counted */
#define RVHV_SBI_PMU_CTR_SINH		(1UL << 2)
#define RVHV_SBI_PMU_CTR_UINH		(1UL << 3)
/* Hardware counter j's registers: after the firmware counters' */
#define RVHV_SBI_PMU_HW_REG(j)		(3 * RVHV_SBI_PMU_CTRS + 3 * (j))

/*
 * KVM_CAP_RISCV_MP_STATE_RESET (kvm.ko from Linux 6.16 on), which Linux
 * 6.12's <linux/kvm.h> lacks; kvm.ko's number.  Enabled with
 * KVM_ENABLE_CAP on the VM fd (flags and args 0; it cannot be turned
 * off), KVM_SET_MP_STATE with KVM_MP_STATE_INIT_RECEIVED then resets the
 * vCPU to its reset state, keeping its mp_state (-EINVAL without the
 * capability).  Documentation/rvhv.rst, "Guest platform".
 */
#define RVHV_CAP_RISCV_MP_STATE_RESET	242

/*
 * Statistics: KVM_GET_STATS_FD on VM and vCPU fds, in KVM's binary format
 * (KVM_CAP_BINARY_STATS_FD), found by name in the descriptors like
 * kvm.ko's.  Besides kvm.ko's names, a vCPU has rvhv's own
 * (Documentation/rvhv.rst, "Statistics"), among them, for each exit
 * reason R of "sbi", "mmio", "gstage_fault", "virtual_insn", "wfi",
 * "interrupt" and "other":
 *   exit_latency_hist_R  KVM_STATS_TYPE_LOG_HIST, nanoseconds: the time
 *                        from each such exit's trap to the next guest
 *                        entry (the sum of the buckets: how many)
 *   exit_latency_ns_R    KVM_STATS_TYPE_CUMULATIVE, nanoseconds: their sum
 * These names are kept from release to release.
 */

/*
 * Where a vCPU's dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL) is in the
 * vCPU fd's mmap: page offset KVM_DIRTY_LOG_PAGE_OFFSET.  KVM's riscv
 * <asm/kvm.h> defines it (as 64, as every architecture with the ring) only
 * from Linux 6.17, when kvm.ko's riscv port gained the ring; with older
 * headers <linux/kvm.h> leaves it 0.  This is the same value, for those.
 */
#define RVHV_DIRTY_LOG_PAGE_OFFSET	64

/*
 * ONE_REG ISA_EXT ids (KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE |
 * id) of extensions kvm.ko has in Linux 6.13 and later (Svade, Svadu,
 * Svvptc, Zabha from 6.13; Ziccrse, Zaamo, Zalrsc, Zicbop, Zfbfmin,
 * Zvfbfmin, Zvfbfwma after it), which
 * the <asm/kvm.h> of Linux 6.12 does not define yet (its
 * KVM_RISCV_ISA_EXT_MAX is 62): their KVM_RISCV_ISA_EXT_* values there.
 * 62 (Smnpm) and 63 (Ssnpm) rvhv does not offer.  Ids from 64 on are bits of ISA_EXT
 * MULTI_EN/MULTI_DIS register 1.  Documentation/rvhv.rst, "Other
 * extensions".
 */
#define RVHV_RISCV_ISA_EXT_SVADE	64
#define RVHV_RISCV_ISA_EXT_SVADU	65
#define RVHV_RISCV_ISA_EXT_SVVPTC	66
#define RVHV_RISCV_ISA_EXT_ZABHA	67
#define RVHV_RISCV_ISA_EXT_ZICCRSE	68
#define RVHV_RISCV_ISA_EXT_ZAAMO	69
#define RVHV_RISCV_ISA_EXT_ZALRSC	70
#define RVHV_RISCV_ISA_EXT_ZICBOP	71
#define RVHV_RISCV_ISA_EXT_ZFBFMIN	72
#define RVHV_RISCV_ISA_EXT_ZVFBFMIN	73
#define RVHV_RISCV_ISA_EXT_ZVFBFWMA	74

/*
 * CONFIG register zicbop_block_size (kvm.ko's, added with Zicbop: the
 * unsigned long after satp_mode in its struct kvm_riscv_config, which
 * Linux 6.12's lacks): KVM_REG_RISCV_CONFIG_REG(zicbop_block_size).  It
 * exists while the vCPU has Zicbop and is read-only (the host's block
 * size: writing it back succeeds, anything else is -EINVAL).
 */
#define RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE	7

#endif /* _UAPI_LINUX_RVHV_H */
