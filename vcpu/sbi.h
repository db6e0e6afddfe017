/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv: the SBI extensions a guest reaches by ecall from VS-mode.
 *
 * One file per extension (vcpu/sbi_*.c) defines a struct rvhv_sbi_ext;
 * vcpu/sbi.c finds it by extension id and runs its handler.
 */
#ifndef _RVHV_VCPU_SBI_H
#define _RVHV_VCPU_SBI_H

#include <linux/types.h>

struct rvhv_vcpu;

/*
 * SBI BASE get_impl_id: rvhv's SBI implementation id.  Not (yet) in the
 * SBI specification's registry of implementation ids, which hands them out
 * from 0 upwards (0 BBL, 1 OpenSBI, 2 Xvisor, 3 KVM, ... 11 bhyve): rvhv
 * takes "RVHV" in ASCII, far above any sequential assignment.
 */
#define RVHV_SBI_IMPL_ID	0x52564856UL
/* get_impl_version: rvhv's SBI implementation 0.1, as major << 16 | minor. */
#define RVHV_SBI_IMPL_VERSION	((0UL << 16) | 1UL)
/*
 * get_spec_version: SBI 3.0, as kvm.ko reports from Linux 6.16 on (6.12's
 * says 2.0): what rvhv implements is all of SBI 2.0's, its new extensions
 * included (DBCN, STA, SUSP, PMU), but CPPC and NACL, which are optional,
 * and of SBI 3.0's FWFT and PMU event_get_info; not the optional SSE,
 * MPXY or DBTR.
 */
#define RVHV_SBI_SPEC_MAJOR	3UL
#define RVHV_SBI_SPEC_MINOR	0UL

/**
 * struct rvhv_sbi_ret - what an extension's handler decided
 * @error: SBI error for the guest's a0
 * @value: value for the guest's a1 (not written for legacy extensions)
 * @uexit: exit to userspace: vcpu->run is filled in (and vcpu->pending
 *	set, for a forwarded call); a0, a1 and the pc are left alone
 *	(the handler may have completed the call itself: console.c)
 * @keep_pc: re-enter the guest with a0, a1 and the pc as the handler left
 *	them: a trap was redirected to the guest, or the ecall is to be
 *	executed again
 */
struct rvhv_sbi_ret {
	unsigned long error;
	unsigned long value;
	bool uexit;
	bool keep_pc;
};

/*
 * Legacy SBI v0.1 extension ids.  <asm/sbi.h> declares them only for
 * kernels built with CONFIG_RISCV_SBI_V01; these are the same values.
 */
enum rvhv_sbi_v01_eid {
	RVHV_SBI_V01_SET_TIMER = 0x0,
	RVHV_SBI_V01_CONSOLE_PUTCHAR = 0x1,
	RVHV_SBI_V01_CONSOLE_GETCHAR = 0x2,
	RVHV_SBI_V01_CLEAR_IPI = 0x3,
	RVHV_SBI_V01_SEND_IPI = 0x4,
	RVHV_SBI_V01_REMOTE_FENCE_I = 0x5,
	RVHV_SBI_V01_REMOTE_SFENCE_VMA = 0x6,
	RVHV_SBI_V01_REMOTE_SFENCE_VMA_ASID = 0x7,
	RVHV_SBI_V01_SHUTDOWN = 0x8,
};

/* SBI 3.0's FWFT extension id, which <asm/sbi.h> of Linux 6.12 lacks. */
#define RVHV_SBI_EXT_FWFT_ID	0x46574654UL

/* rvhv_sbi_ext.kvm_ext of an extension that cannot be disabled (BASE) */
#define RVHV_SBI_EXT_ALWAYS	(-1)

/**
 * struct rvhv_sbi_ext - one SBI extension (or range of extension ids)
 * @kvm_ext: its KVM_RISCV_SBI_EXT_* id (the vcpu->sbi_ext bit that enables
 *	it), or RVHV_SBI_EXT_ALWAYS
 * @stat: the vCPU counter of its calls (enum rvhv_stat_sbi, stats/stats.h)
 * @default_off: a new vCPU has it disabled (userspace enables it through
 *	ONE_REG), as KVM's default_disabled
 * @legacy: SBI v0.1 calling convention: only a0 is written back, a1 is
 *	left as the guest had it
 * @vm_cap: RVHV_VM_CAP_* bit the VMM must have enabled for the VM, or 0
 * @available: NULL when always available, else whether the host can
 *	offer it (fixed after module init)
 * @batchable: may the call now in vcpu->ctx.gpr (a0..a7) run inside an
 *	RVHV_SBI_BATCH?  Only if it completes in the kernel, without an exit,
 *	a stop, a halt or a trap redirected to the guest.  NULL: never.
 * @handler: handle the call in vcpu->ctx.gpr; returns 0 or, only for a
 *	host failure, a negative errno that aborts KVM_RUN.  Runs with the
 *	vCPU loaded and preemption enabled: it may use the guest's live
 *	CSRs with single CSR instructions, but must not sleep in between.
 * @irqs_off: may the call now in vcpu->ctx.gpr run in the exit fast path
 *	(trap/fastpath.c), with interrupts off, right after the guest
 *	trapped?  Only if the handler then never sleeps, never waits for
 *	another CPU (no IPI-and-wait fence) and does a bounded amount of
 *	work; it may take spinlocks that no interrupt handler takes, or
 *	irq-safe ones.  A yes is always followed by the handler, so it may
 *	prepare for it (TIME cancels its timer).  NULL: never.
 */
struct rvhv_sbi_ext {
	int kvm_ext;
	unsigned int stat;
	bool default_off;
	bool legacy;
	unsigned long vm_cap;
	bool (*available)(void);
	bool (*batchable)(struct rvhv_vcpu *vcpu);
	bool (*irqs_off)(struct rvhv_vcpu *vcpu);
	int (*handler)(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret);
};

extern const struct rvhv_sbi_ext rvhv_sbi_ext_base;	/* sbi_base.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_time;	/* sbi_time.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_srst;	/* sbi_srst.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_v01;	/* sbi_legacy.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_hsm;	/* sbi_hsm.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_ipi;	/* sbi_ipi.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_rfence;	/* sbi_ipi.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_rvhv;	/* sbi_batch.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_dbcn;	/* sbi_forward.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_sta;	/* sbi_sta.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_susp;	/* sbi_susp.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_pmu;	/* sbi_pmu.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_fwft;	/* sbi_fwft.c */
extern const struct rvhv_sbi_ext rvhv_sbi_ext_experimental;
extern const struct rvhv_sbi_ext rvhv_sbi_ext_vendor;

/* sbi.c: the extension an id belongs to, if this vCPU has it enabled. */
const struct rvhv_sbi_ext *rvhv_sbi_find_enabled(struct rvhv_vcpu *vcpu,
						 unsigned long eid);

/* sbi.c: rvhv_sbi_ext.batchable for extensions whose every call is. */
bool rvhv_sbi_batchable_always(struct rvhv_vcpu *vcpu);

/* sbi.c: rvhv_sbi_ext.irqs_off for extensions whose every call may. */
bool rvhv_sbi_irqs_off_always(struct rvhv_vcpu *vcpu);

/*
 * sbi.c: the vCPUs named by an SBI hart mask, as a bitmap of vCPU ids
 * (RVHV_MAX_VCPUS fits in a long).  @hbase == -1UL names every vCPU.
 * Returns SBI_SUCCESS, or SBI_ERR_INVALID_PARAM when a bit of @hmask names
 * no vCPU (*targets then holds the others).
 */
long rvhv_sbi_hart_mask(struct rvhv_vcpu *vcpu, unsigned long hmask,
			unsigned long hbase, unsigned long *targets);

/* sbi_forward.c: exit to userspace with KVM_EXIT_RISCV_SBI for this call. */
void rvhv_sbi_forward(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret);

/* sbi_srst.c: exit to userspace with KVM_EXIT_SYSTEM_EVENT. */
void rvhv_sbi_system_event(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret,
			   u32 type, u64 reason);

/* sbi_ipi.c: raise VSSIP on each vCPU of a bitmap of vCPU ids. */
void rvhv_sbi_send_ipis(struct rvhv_vcpu *vcpu, unsigned long targets);

/*
 * console.c: legacy console_putchar, coalesced when the VMM enabled
 * RVHV_CAP_CONSOLE_COALESCE, forwarded otherwise.
 */
void rvhv_console_putchar(struct rvhv_vcpu *vcpu, struct rvhv_sbi_ret *ret);

#endif /* _RVHV_VCPU_SBI_H */
