/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvhv's static tracepoints (TRACE_SYSTEM rvhv): what a vCPU did, as
 * events that tracefs, trace-cmd and perf record.  This header owns the
 * event definitions, their field layouts and print formats, and the
 * constants the call sites pass; observe/trace.c instantiates them.  The
 * events are listed in Documentation/rvhv.rst, "Tracepoints".
 *
 * A call site is one line, trace_rvhv_<event>(...): a static key that
 * is off until the event is enabled, so a disabled event costs a no-op
 * branch.  Arguments are values the caller already has, or are read
 * from @vcpu inside TP_fast_assign(), which runs only when enabled.
 *
 * The print formats are "key=value" (numbers in decimal or 0x-hex) so
 * that a line is easy to take apart; symbolic names use
 * __print_symbolic()/__print_flags() with plain numbers only, which
 * libtraceevent (trace-cmd, perf) decodes from the format files.
 */
#ifndef _RVHV_OBSERVE_TRACE_DEFS_H
#define _RVHV_OBSERVE_TRACE_DEFS_H

/* rvhv_mmio.handler: who completed the access */
#define RVHV_TRACE_MMIO_USER		0	/* KVM_EXIT_MMIO to the VMM */
#define RVHV_TRACE_MMIO_USER_DONE	1	/* a load's data from the VMM */
#define RVHV_TRACE_MMIO_IOEVENTFD	2	/* a store that hit an ioeventfd */
#define RVHV_TRACE_MMIO_IRQCHIP		3	/* the in-kernel APLIC/IMSIC */
#define RVHV_TRACE_MMIO_COALESCED	4	/* a store into a coalesced ring */

/* rvhv_sbi.handler: where the call went */
#define RVHV_TRACE_SBI_KERNEL		0	/* done in the kernel */
#define RVHV_TRACE_SBI_USER		1	/* an exit (forwarded, system event) */
#define RVHV_TRACE_SBI_USER_DONE	2	/* the VMM's answer, next KVM_RUN */
#define RVHV_TRACE_SBI_RETRY		3	/* trap redirected, or ecall again */
#define RVHV_TRACE_SBI_BATCHED		4	/* one entry of an RVHV_SBI_BATCH */

/* rvhv_wake.reason: why a blocked vCPU went on */
#define RVHV_TRACE_WAKE_IRQ		0	/* an interrupt it enabled is pending */
#define RVHV_TRACE_WAKE_START		1	/* HSM hart_start */
#define RVHV_TRACE_WAKE_STOP		2	/* a stop request (SRST, HSM, ioctl) */
#define RVHV_TRACE_WAKE_SIGNAL		3	/* a signal or task work: KVM_RUN ends */
#define RVHV_TRACE_WAKE_RUNNABLE	4	/* KVM_SET_MP_STATE made it runnable */

/* rvhv_gstage_fault.result (computed from the fault path's return) */
#define RVHV_TRACE_GSTAGE_MAPPED	0	/* a new leaf of @size */
#define RVHV_TRACE_GSTAGE_RETRY		1	/* nothing new: the guest retries */
#define RVHV_TRACE_GSTAGE_MMIO		2	/* no memslot (or read-only) */
#define RVHV_TRACE_GSTAGE_ERROR		3	/* KVM_RUN fails with @ret */

/* rvhv_fence_local.ops of a flush of the VM's whole VMID, and its icache */
#define RVHV_TRACE_FENCE_VMID	(RVHV_FENCE_I | RVHV_FENCE_VVMA | \
				 RVHV_FENCE_GVMA)

/*
 * The same numbers as RVHV_IRQ_APLIC/IMSIC, RVHV_FENCE_* and the leaf
 * sizes, spelled as plain literals in the tables below: the format files
 * carry the tables' text, and libtraceevent reads numbers, not BIT()'s
 * "1UL" (observe/trace.c checks they agree).
 */
#define RVHV_TRACE_IRQ_APLIC		63
#define RVHV_TRACE_IRQ_IMSIC		62

#endif /* _RVHV_OBSERVE_TRACE_DEFS_H */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM rvhv

#if !defined(_RVHV_OBSERVE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RVHV_OBSERVE_TRACE_H

#include <linux/kvm.h>
#include <linux/tracepoint.h>
#include <asm/csr.h>

#include "../rvhv_int.h"

/* The guest entered (trap/switch.S next), interrupts off. */
TRACE_EVENT(rvhv_entry,
	TP_PROTO(const struct rvhv_vcpu *vcpu),
	TP_ARGS(vcpu),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(unsigned long, pc)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->pc = vcpu->ctx.gpr[RVHV_REG_PC];
	),

	TP_printk("vcpu=%u pc=0x%lx", __entry->vcpu, __entry->pc)
);

/*
 * The guest trapped to HS-mode: what the hart reported.  cause= names
 * exceptions, and host interrupts (scause bit 63) by their number.
 */
TRACE_EVENT(rvhv_exit,
	TP_PROTO(const struct rvhv_vcpu *vcpu),
	TP_ARGS(vcpu),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(unsigned long, scause)
		__field(unsigned long, sepc)
		__field(unsigned long, stval)
		__field(unsigned long, htval)
		__field(unsigned long, htinst)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->scause = vcpu->ctx.scause;
		__entry->sepc = vcpu->ctx.gpr[RVHV_REG_PC];
		__entry->stval = vcpu->ctx.stval;
		__entry->htval = vcpu->ctx.htval;
		__entry->htinst = vcpu->ctx.htinst;
	),

	TP_printk("vcpu=%u scause=0x%lx cause=%s sepc=0x%lx stval=0x%lx htval=0x%lx htinst=0x%lx",
		  __entry->vcpu, __entry->scause,
		  __print_symbolic(__entry->scause,
				   { EXC_INST_MISALIGNED, "inst_misaligned" },
				   { EXC_INST_ACCESS, "inst_access" },
				   { EXC_INST_ILLEGAL, "illegal_inst" },
				   { EXC_BREAKPOINT, "breakpoint" },
				   { EXC_LOAD_MISALIGNED, "load_misaligned" },
				   { EXC_LOAD_ACCESS, "load_access" },
				   { EXC_STORE_MISALIGNED, "store_misaligned" },
				   { EXC_STORE_ACCESS, "store_access" },
				   { EXC_SYSCALL, "ecall_u" },
				   { EXC_SUPERVISOR_SYSCALL, "ecall_vs" },
				   { EXC_INST_PAGE_FAULT, "inst_page_fault" },
				   { EXC_LOAD_PAGE_FAULT, "load_page_fault" },
				   { EXC_STORE_PAGE_FAULT, "store_page_fault" },
				   { EXC_INST_GUEST_PAGE_FAULT, "inst_guest_page_fault" },
				   { EXC_LOAD_GUEST_PAGE_FAULT, "load_guest_page_fault" },
				   { EXC_VIRTUAL_INST_FAULT, "virtual_inst" },
				   { EXC_STORE_GUEST_PAGE_FAULT, "store_guest_page_fault" },
				   { 0x8000000000000001, "irq_s_soft" },
				   { 0x8000000000000005, "irq_s_timer" },
				   { 0x8000000000000009, "irq_s_ext" },
				   { 0x800000000000000c, "irq_s_gext" }),
		  __entry->sepc, __entry->stval, __entry->htval,
		  __entry->htinst)
);

/* KVM_RUN returns to the VMM: run->exit_reason, and its return value. */
TRACE_EVENT(rvhv_userspace_exit,
	TP_PROTO(const struct rvhv_vcpu *vcpu, int ret),
	TP_ARGS(vcpu, ret),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u32, reason)
		__field(int, ret)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->reason = READ_ONCE(vcpu->run->exit_reason);
		__entry->ret = ret;
	),

	TP_printk("vcpu=%u reason=%u name=%s ret=%d", __entry->vcpu,
		  __entry->reason,
		  __print_symbolic(__entry->reason,
				   { KVM_EXIT_UNKNOWN, "unknown" },
				   { KVM_EXIT_MMIO, "mmio" },
				   { KVM_EXIT_INTR, "intr" },
				   { KVM_EXIT_SHUTDOWN, "shutdown" },
				   { KVM_EXIT_INTERNAL_ERROR, "internal_error" },
				   { KVM_EXIT_SYSTEM_EVENT, "system_event" },
				   { KVM_EXIT_RISCV_SBI, "riscv_sbi" },
				   { KVM_EXIT_RISCV_CSR, "riscv_csr" }),
		  __entry->ret)
);

/* A guest load or store outside every memslot, and who completed it. */
TRACE_EVENT(rvhv_mmio,
	TP_PROTO(const struct rvhv_vcpu *vcpu, u64 gpa, unsigned int len,
		 bool write, u64 val, unsigned int handler),
	TP_ARGS(vcpu, gpa, len, write, val, handler),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u64, gpa)
		__field(u64, val)
		__field(u8, len)
		__field(u8, write)
		__field(u8, handler)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->gpa = gpa;
		__entry->val = len < 8 ? val & (BIT_ULL(len * 8) - 1) : val;
		__entry->len = len;
		__entry->write = write;
		__entry->handler = handler;
	),

	TP_printk("vcpu=%u dir=%s gpa=0x%llx len=%u val=0x%llx handler=%s",
		  __entry->vcpu, __entry->write ? "write" : "read",
		  __entry->gpa, __entry->len, __entry->val,
		  __print_symbolic(__entry->handler,
				   { RVHV_TRACE_MMIO_USER, "user" },
				   { RVHV_TRACE_MMIO_USER_DONE, "user_done" },
				   { RVHV_TRACE_MMIO_IOEVENTFD, "ioeventfd" },
				   { RVHV_TRACE_MMIO_IRQCHIP, "irqchip" },
				   { RVHV_TRACE_MMIO_COALESCED, "coalesced" }))
);

/*
 * An SBI call (ecall from VS-mode, or a batch entry): extension and
 * function from a7/a6, the result as the guest gets it (a0/a1).
 */
TRACE_EVENT(rvhv_sbi,
	TP_PROTO(const struct rvhv_vcpu *vcpu, unsigned long eid,
		 unsigned long fid, long error, unsigned long value,
		 unsigned int handler),
	TP_ARGS(vcpu, eid, fid, error, value, handler),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(unsigned long, eid)
		__field(unsigned long, fid)
		__field(long, error)
		__field(unsigned long, value)
		__field(u8, handler)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->eid = eid;
		__entry->fid = fid;
		__entry->error = error;
		__entry->value = value;
		__entry->handler = handler;
	),

	TP_printk("vcpu=%u eid=0x%lx fid=%lu error=%ld value=0x%lx handler=%s",
		  __entry->vcpu, __entry->eid, __entry->fid, __entry->error,
		  __entry->value,
		  __print_symbolic(__entry->handler,
				   { RVHV_TRACE_SBI_KERNEL, "kernel" },
				   { RVHV_TRACE_SBI_USER, "user" },
				   { RVHV_TRACE_SBI_USER_DONE, "user_done" },
				   { RVHV_TRACE_SBI_RETRY, "retry" },
				   { RVHV_TRACE_SBI_BATCHED, "batched" }))
);

/*
 * A G-stage (guest-page) fault and what came of it: @ret is the fault
 * path's (0, RVHV_FAULT_MMIO or -errno), @size the leaf it installed (0:
 * none).
 */
TRACE_EVENT(rvhv_gstage_fault,
	TP_PROTO(const struct rvhv_vcpu *vcpu, u64 gpa, bool write, bool exec,
		 int ret, unsigned long size),
	TP_ARGS(vcpu, gpa, write, exec, ret, size),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u64, gpa)
		__field(unsigned long, size)
		__field(int, ret)
		__field(u8, kind)
		__field(u8, result)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->gpa = gpa;
		__entry->size = size;
		__entry->ret = ret;
		__entry->kind = exec ? 2 : write;
		__entry->result = ret < 0 ? RVHV_TRACE_GSTAGE_ERROR :
				  ret == RVHV_FAULT_MMIO ?
				  RVHV_TRACE_GSTAGE_MMIO :
				  size ? RVHV_TRACE_GSTAGE_MAPPED :
				  RVHV_TRACE_GSTAGE_RETRY;
	),

	TP_printk("vcpu=%u gpa=0x%llx kind=%s result=%s size=%s ret=%d",
		  __entry->vcpu, __entry->gpa,
		  __print_symbolic(__entry->kind, { 0, "read" },
				   { 1, "write" }, { 2, "exec" }),
		  __print_symbolic(__entry->result,
				   { RVHV_TRACE_GSTAGE_MAPPED, "mapped" },
				   { RVHV_TRACE_GSTAGE_RETRY, "retry" },
				   { RVHV_TRACE_GSTAGE_MMIO, "mmio" },
				   { RVHV_TRACE_GSTAGE_ERROR, "error" }),
		  __print_symbolic(__entry->size, { 0, "none" },
				   { 0x1000, "4K" }, { 0x200000, "2M" },
				   { 0x40000000, "1G" }),
		  __entry->ret)
);

/*
 * A VS interrupt line raised or lowered (rvhv_vcpu_set_irq()): @irq is
 * the hvip bit, or RVHV_IRQ_APLIC / RVHV_IRQ_IMSIC (the irqchip's lines
 * into VSEIP); @source is RVHV_IRQ_SRC_*.
 */
TRACE_EVENT(rvhv_irq,
	TP_PROTO(const struct rvhv_vcpu *vcpu, unsigned int irq, bool level,
		 unsigned int source),
	TP_ARGS(vcpu, irq, level, source),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u8, irq)
		__field(u8, level)
		__field(u8, source)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->irq = irq;
		__entry->level = level;
		__entry->source = source;
	),

	TP_printk("vcpu=%u irq=%u line=%s level=%u source=%s",
		  __entry->vcpu, __entry->irq,
		  __print_symbolic(__entry->irq, { IRQ_VS_SOFT, "vssip" },
				   { IRQ_VS_TIMER, "vstip" },
				   { IRQ_VS_EXT, "vseip" },
				   { RVHV_TRACE_IRQ_APLIC, "aplic" },
				   { RVHV_TRACE_IRQ_IMSIC, "imsic" }),
		  __entry->level,
		  __print_symbolic(__entry->source,
				   { RVHV_IRQ_SRC_USER, "user" },
				   { RVHV_IRQ_SRC_GSI, "gsi" },
				   { RVHV_IRQ_SRC_TIMER, "timer" },
				   { RVHV_IRQ_SRC_SBI, "sbi" },
				   { RVHV_IRQ_SRC_APLIC, "aplic" },
				   { RVHV_IRQ_SRC_IMSIC, "imsic" }))
);

/* The vCPU's thread is about to sleep: halted in WFI, or stopped. */
TRACE_EVENT(rvhv_block,
	TP_PROTO(const struct rvhv_vcpu *vcpu),
	TP_ARGS(vcpu),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u8, halted)
		__field(u8, stopped)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->halted = vcpu->halted;
		__entry->stopped = READ_ONCE(vcpu->mp_state) ==
				   KVM_MP_STATE_STOPPED;
	),

	TP_printk("vcpu=%u halted=%u stopped=%u", __entry->vcpu,
		  __entry->halted, __entry->stopped)
);

/* ... and goes on, for @reason (RVHV_TRACE_WAKE_*). */
TRACE_EVENT(rvhv_wake,
	TP_PROTO(const struct rvhv_vcpu *vcpu, unsigned int reason),
	TP_ARGS(vcpu, reason),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(u8, reason)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->reason = reason;
	),

	TP_printk("vcpu=%u reason=%s", __entry->vcpu,
		  __print_symbolic(__entry->reason,
				   { RVHV_TRACE_WAKE_IRQ, "irq" },
				   { RVHV_TRACE_WAKE_START, "start" },
				   { RVHV_TRACE_WAKE_STOP, "stop" },
				   { RVHV_TRACE_WAKE_SIGNAL, "signal" },
				   { RVHV_TRACE_WAKE_RUNNABLE, "runnable" }))
);

/* vcpu_load / vcpu_put on host CPU @cpu (preemption disabled). */
DECLARE_EVENT_CLASS(rvhv_vcpu_cpu,
	TP_PROTO(const struct rvhv_vcpu *vcpu, int cpu),
	TP_ARGS(vcpu, cpu),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu)
		__field(int, cpu)
	),

	TP_fast_assign(
		__entry->vcpu = vcpu->id;
		__entry->cpu = cpu;
	),

	TP_printk("vcpu=%u cpu=%d", __entry->vcpu, __entry->cpu)
);

DEFINE_EVENT(rvhv_vcpu_cpu, rvhv_vcpu_load,
	TP_PROTO(const struct rvhv_vcpu *vcpu, int cpu),
	TP_ARGS(vcpu, cpu)
);

DEFINE_EVENT(rvhv_vcpu_cpu, rvhv_vcpu_put,
	TP_PROTO(const struct rvhv_vcpu *vcpu, int cpu),
	TP_ARGS(vcpu, cpu)
);

/*
 * A remote fence of a VM (SBI RFENCE, G-stage unmaps): done at once on
 * @cpus (IPI, or this CPU), every other CPU marked stale (mmu/tlb.c).
 * @asid is -1 for every ASID; @size -1 for everything.
 */
TRACE_EVENT(rvhv_fence,
	TP_PROTO(const struct rvhv_vm *vm, const struct rvhv_fence *f,
		 const struct cpumask *cpus),
	TP_ARGS(vm, f, cpus),

	TP_STRUCT__entry(
		__field(unsigned long, vmid)
		__field(unsigned long, ops)
		__field(unsigned long, start)
		__field(unsigned long, size)
		__field(long, asid)
		__bitmask(cpus, nr_cpumask_bits)
	),

	TP_fast_assign(
		__entry->vmid = rvhv_vmid_of(READ_ONCE(vm->vmid.word));
		__entry->ops = f->ops;
		__entry->start = f->start;
		__entry->size = f->size;
		__entry->asid = f->use_asid ? (long)f->asid : -1;
		__assign_bitmask(cpus, cpumask_bits(cpus), nr_cpumask_bits);
	),

	TP_printk("vmid=%lu ops=%s start=0x%lx size=0x%lx asid=%ld cpus=%s",
		  __entry->vmid,
		  __print_flags(__entry->ops, "|", { 1, "fence.i" },
				{ 2, "vvma" }, { 4, "gvma" }),
		  __entry->start, __entry->size, __entry->asid,
		  __get_bitmask(cpus))
);

/*
 * A fence of a VM's VMID on this CPU only: after a G-stage leaf was
 * installed (GVMA of @gpa), or before the VM runs here (rules 1-4 of
 * mmu/tlb.c: the whole VMID, @gpa -1).  @deferred: the VM is not live
 * here, the CPU was marked stale instead.
 */
TRACE_EVENT(rvhv_fence_local,
	TP_PROTO(const struct rvhv_vm *vm, unsigned long ops, u64 gpa,
		 bool deferred),
	TP_ARGS(vm, ops, gpa, deferred),

	TP_STRUCT__entry(
		__field(unsigned long, vmid)
		__field(unsigned long, ops)
		__field(u64, gpa)
		__field(u8, deferred)
	),

	TP_fast_assign(
		__entry->vmid = rvhv_vmid_of(READ_ONCE(vm->vmid.word));
		__entry->ops = ops;
		__entry->gpa = gpa;
		__entry->deferred = deferred;
	),

	TP_printk("vmid=%lu ops=%s gpa=0x%llx deferred=%u", __entry->vmid,
		  __print_flags(__entry->ops, "|", { 1, "fence.i" },
				{ 2, "vvma" }, { 4, "gvma" }),
		  __entry->gpa, __entry->deferred)
);

/* A VM was handed VMID @vmid of generation @gen (mmu/vmid.c). */
TRACE_EVENT(rvhv_vmid,
	TP_PROTO(unsigned long vmid, u64 gen),
	TP_ARGS(vmid, gen),

	TP_STRUCT__entry(
		__field(unsigned long, vmid)
		__field(u64, gen)
	),

	TP_fast_assign(
		__entry->vmid = vmid;
		__entry->gen = gen;
	),

	TP_printk("vmid=%lu gen=%llu", __entry->vmid, __entry->gen)
);

/* VMIDs ran out: generation @gen starts, every hart's G-stage flushed. */
TRACE_EVENT(rvhv_vmid_rollover,
	TP_PROTO(u64 gen, unsigned int bits),
	TP_ARGS(gen, bits),

	TP_STRUCT__entry(
		__field(u64, gen)
		__field(unsigned int, bits)
	),

	TP_fast_assign(
		__entry->gen = gen;
		__entry->bits = bits;
	),

	TP_printk("gen=%llu bits=%u", __entry->gen, __entry->bits)
);

#endif /* _RVHV_OBSERVE_TRACE_H */

/*
 * An out-of-tree module's trace header: define_trace.h includes
 * TRACE_INCLUDE_PATH/TRACE_INCLUDE_FILE.h again, found through the
 * -I$(src)/observe that Kbuild gives observe/trace.o alone.
 */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace

/* This part must be outside the protection above. */
#include <trace/define_trace.h>
