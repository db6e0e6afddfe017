/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_lib: the userspace side of "a vCPU runs a guest", for selftests that
 * hold /dev/rvhv (or $RVHV_DEV, e.g. /dev/kvm) to KVM's RISC-V ABI.
 *
 * Functions named *_try return 0 or -errno and never fail the test; the
 * others fail it (vm_fail: a "# " line on stderr, then exit(KSFT_FAIL)),
 * so a test body reads as a list of steps.  All guest-side definitions are
 * in guest/ucall_abi.h and guest/guest.h.
 */
#ifndef VM_LIB_H
#define VM_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <linux/kvm.h>

#include "guest/ucall_abi.h"
#include "guest_syms.h"		/* generated: GSYM_<function> addresses */
#include "rvhv_util.h"

/* Guest physical address of a guest payload function. */
#define GUEST_FN(name)		GSYM_##name

#define PAGE_SIZE_4K		4096UL

/* ONE_REG ids (64-bit host: every unsigned long register is U64). */
#define RISCV_REG(type, idx)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | \
				 (uint64_t)(idx))
#define RISCV_CONFIG_REG(name)	RISCV_REG(KVM_REG_RISCV_CONFIG, \
					  KVM_REG_RISCV_CONFIG_REG(name))
#define RISCV_CORE_REG(name)	RISCV_REG(KVM_REG_RISCV_CORE, \
					  KVM_REG_RISCV_CORE_REG(name))
#define RISCV_GPR(n)		RISCV_REG(KVM_REG_RISCV_CORE, (n))	/* x1..x31 */
#define RISCV_CSR_REG(name)	RISCV_REG(KVM_REG_RISCV_CSR | \
					  KVM_REG_RISCV_CSR_GENERAL, \
					  KVM_REG_RISCV_CSR_REG(name))
#define RISCV_TIMER_REG(name)	RISCV_REG(KVM_REG_RISCV_TIMER, \
					  KVM_REG_RISCV_TIMER_REG(name))
#define RISCV_FP_F_REG(i)	(KVM_REG_RISCV | KVM_REG_SIZE_U32 | \
				 KVM_REG_RISCV_FP_F | (uint64_t)(i))
#define RISCV_FP_D_REG(i)	RISCV_REG(KVM_REG_RISCV_FP_D, (i))
#define RISCV_FP_D_FCSR		(KVM_REG_RISCV | KVM_REG_SIZE_U32 | \
				 KVM_REG_RISCV_FP_D | 32)
#define RISCV_ISA_EXT_REG(i)	RISCV_REG(KVM_REG_RISCV_ISA_EXT | \
					  KVM_REG_RISCV_ISA_SINGLE, (i))
#define RISCV_SBI_EXT_REG(i)	RISCV_REG(KVM_REG_RISCV_SBI_EXT | \
					  KVM_REG_RISCV_SBI_SINGLE, (i))

#define CORE_PC			RISCV_CORE_REG(regs.pc)
#define CORE_RA			RISCV_CORE_REG(regs.ra)
#define CORE_SP			RISCV_CORE_REG(regs.sp)
#define CORE_A0			RISCV_CORE_REG(regs.a0)
#define CORE_A1			RISCV_CORE_REG(regs.a1)
#define CORE_A2			RISCV_CORE_REG(regs.a2)
#define CORE_MODE		RISCV_CORE_REG(mode)

#define VM_MAX_SLOTS		32

struct vm_slot {
	bool used;
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct vm {
	int dev_fd;
	int fd;
	long run_size;			/* KVM_GET_VCPU_MMAP_SIZE */
	void *ram;			/* host address of slot 0 (GUEST_BASE) */
	struct vm_slot slots[VM_MAX_SLOTS];
};

struct vcpu {
	struct vm *vm;
	int fd;
	unsigned int id;
	struct kvm_run *run;
};

struct ucall {
	unsigned long fid;		/* UCALL_* */
	unsigned long args[6];		/* guest a0..a5 */
	unsigned long pc;		/* guest pc of the ECALL */
};

/* Failing the test */
void vm_fail(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
#define VM_CHECK(cond, fmt, ...) do {					\
	if (!(cond))							\
		vm_fail("%s:%d: %s: " fmt, __FILE__, __LINE__, #cond,	\
			##__VA_ARGS__);					\
} while (0)

/* True when the device under test is kvm.ko's /dev/kvm. */
bool dev_is_kvm(void);
const char *exit_reason_str(unsigned int reason);

/* VMs and memory */
int vm_dev_open(void);
struct vm *vm_create_empty(void);	/* no memory */
struct vm *vm_create(void);		/* + slot 0 with the guest payload */
void vm_free(struct vm *vm);
long vm_check_cap(struct vm *vm, long cap);
void *vm_alloc(size_t size, size_t align);	/* anonymous, fatal */
int vm_set_region_try(struct vm *vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, void *hva);
int vm_set_region2_try(struct vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size, void *hva);
void vm_set_region(struct vm *vm, uint32_t slot, uint32_t flags,
		   uint64_t gpa, uint64_t size, void *hva);
void *vm_add_mem(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		 uint32_t flags);
void *vm_gpa2hva(struct vm *vm, uint64_t gpa);
#define GUEST_DATA_HVA(vm, type, off) \
	((volatile type *)vm_gpa2hva((vm), GUEST_DATA + (off)))

/* vCPUs */
int vcpu_create_try(struct vm *vm, unsigned long id);	/* fd or -errno */
struct vcpu *vcpu_create(struct vm *vm, unsigned int id);
void vcpu_free(struct vcpu *vcpu);
int vcpu_get_reg_try(struct vcpu *vcpu, uint64_t id, void *val);
int vcpu_set_reg_try(struct vcpu *vcpu, uint64_t id, const void *val);
uint64_t vcpu_get_reg(struct vcpu *vcpu, uint64_t id);	/* 4 or 8 bytes */
void vcpu_set_reg(struct vcpu *vcpu, uint64_t id, uint64_t val);
int vcpu_get_reg_list(struct vcpu *vcpu, uint64_t **list);	/* count */
/* Is @id among the @n ids of @list (from vcpu_get_reg_list())? */
bool reg_list_has(const uint64_t *list, int n, uint64_t id);

/*
 * Point the vCPU at the guest payload: pc = GUEST_ENTRY, a0/a1 = args,
 * a2 = fn (a GUEST_FN()), mode S.  A pending exit (MMIO, SBI) is completed
 * first with an immediate_exit KVM_RUN, or KVM would apply it to the new pc.
 */
void vcpu_start(struct vcpu *vcpu, uint64_t fn, uint64_t arg0,
		uint64_t arg1);

/* One KVM_RUN: 0 or -errno. */
int vcpu_run_try(struct vcpu *vcpu);
/* One KVM_RUN that must succeed. */
void vcpu_run(struct vcpu *vcpu);

/*
 * Run until the next ucall and return its UCALL_* id.  Any other exit,
 * a KVM_RUN error, a guest assertion (UCALL_ASSERT) or an unexpected guest
 * trap (UCALL_TRAP) fails the test with the details.  The ucall's answer
 * defaults to ret[0] = 0 (SBI_SUCCESS), ret[1] = 0; vcpu_ucall_reply()
 * changes it before the next KVM_RUN.
 */
unsigned long vcpu_ucall(struct vcpu *vcpu, struct ucall *uc);
/* The same, but the ucall must be fid. */
void vcpu_expect_ucall(struct vcpu *vcpu, unsigned long fid,
		       struct ucall *uc);
void vcpu_ucall_reply(struct vcpu *vcpu, long error, long value);
/*
 * One KVM_RUN: -errno if it fails, 0 if it ended in a ucall (handled as by
 * vcpu_ucall(): assertions and traps fail the test), 1 for any other exit,
 * left to the caller.
 */
int vcpu_ucall_try(struct vcpu *vcpu, struct ucall *uc);
/*
 * With the guest in guest_sbi_loop: continue to its report of the SBI
 * call left at GUEST_SBI_REQ (0, with its error and value), or return 1
 * if the call exited to userspace instead (complete it, continue again).
 * vcpu_sbi_call6() leaves the call there first.
 */
/*
 * A VMM I/O thread (pthread start routine efd_relay_fn): each value read
 * from the eventfd kick (blocking) counts in kicks and is answered by a
 * write of 1 to the eventfd irq, until stop is set and kick written.
 */
struct efd_relay {
	int kick, irq;
	volatile int stop;
	volatile unsigned long kicks;
};

void *efd_relay_fn(void *arg);

int vcpu_sbi_continue(struct vcpu *vcpu, long *err, long *val);
int vcpu_sbi_call6(struct vcpu *vcpu, unsigned long ext, unsigned long fid,
		   const unsigned long args[6], long *err, long *val);
/*
 * The same for a call that must complete in the kernel (an exit fails
 * the test): its SBI error, and its value in *value (if not NULL).
 */
long vcpu_sbi_kernel(struct vcpu *vcpu, unsigned long ext, unsigned long fid,
		     unsigned long a0, unsigned long a1, unsigned long a2,
		     unsigned long a3, unsigned long a4, long *value);
/* BASE probe_extension of @ext that way: its answer. */
long vcpu_sbi_probe(struct vcpu *vcpu, unsigned long ext);
/* Run to UCALL_DONE (SYNC and REPORT are answered and skipped). */
unsigned long vcpu_run_to_done(struct vcpu *vcpu);
/* True if the last exit was a ucall; fills uc. */
bool vcpu_is_ucall(struct vcpu *vcpu, struct ucall *uc);

/* Print the vCPU's exit and guest state (pc, scause, ...) on stderr. */
void vcpu_dump(struct vcpu *vcpu, const char *why);
/* Fail the test, with vcpu_dump(). */
void vcpu_fail(struct vcpu *vcpu, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/*
 * vCPUs in their own threads.  vcpu_thread_start() runs the vCPU in a new
 * thread until UCALL_DONE (ret = its value), serving ucalls as
 * vcpu_ucall() does; guest assertions, traps and unexpected exits fail
 * the test.  KVM_RUN ending with -EINTR (a signal) is retried unless the
 * thread is being stopped: vcpu_thread_stop() signals it (SIGUSR1) until
 * it leaves KVM_RUN and joins it, for a vCPU that never finishes (stopped
 * by HSM, or sleeping).
 */
struct vcpu_thread {
	struct vcpu *vcpu;
	pthread_t thr;
	volatile int stop;
	volatile int done;		/* UCALL_DONE seen */
	volatile int running;		/* the thread exists */
	unsigned long ret;
};

void vcpu_thread_start(struct vcpu_thread *t, struct vcpu *vcpu);
void vcpu_thread_stop(struct vcpu_thread *t);
/* Wait (at most secs seconds, else fail) for UCALL_DONE; its value. */
unsigned long vcpu_thread_join(struct vcpu_thread *t, unsigned int secs);
/* CPU time the thread has used so far, in ns. */
uint64_t thread_cpu_ns(pthread_t thr);
uint64_t now_ns(void);		/* CLOCK_MONOTONIC */
/* Fail the test (vm_fail) if it is still running after secs seconds. */
void vm_watchdog(unsigned int secs);
/*
 * Does every online host CPU still take timer interrupts?  A thread pinned
 * to each CPU sleeps 1 ms; all must wake within secs seconds.  Returns -1
 * when they did, else the first CPU that did not (its thread is left
 * behind).  A wedged CPU is what a VMM must never be able to cause.
 */
int host_wedged_cpu(unsigned int secs);
/*
 * The QEMU version the test host runs under ($RVHV_QEMU, from /init), or
 * NULL on other hardware.  For the few inputs that hit a known QEMU
 * defect on kvm.ko (Documentation/rvhv.rst, "Test-bed limitations").
 */
const char *testbed_qemu(void);
/*
 * On QEMU, an HS-mode write of vsatp with an unsupported MODE aborts QEMU,
 * and vsstatus bits that sstatus does not have end up in the hart's
 * mstatus.  rvhv keeps both CSRs WARL in software; kvm.ko writes what the
 * VMM gives.  True when the device under test cannot be given such values
 * on this test bed (kvm.ko under QEMU, unless RVHV_QEMU_BUGS=1 asks for
 * the reproducer).
 */
bool testbed_avoid_csr_bugs(void);
/*
 * Under QEMU 10 (with its OpenSBI 1.6, and with Debian 12's 1.1) a guest's
 * illegal-instruction trap, which the firmware takes in M-mode (it does
 * not delegate them) and redirects, resumes at the hypervisor's stvec
 * without leaving V=1: the guest fetches a host address and KVM_RUN fails
 * (-EOPNOTSUPP), on kvm.ko and rvhv alike (Documentation/rvhv.rst,
 * "Test-bed limitations").  True on such a test bed unless
 * RVHV_QEMU_BUGS=1 asks for the reproducer; tests then avoid real illegal
 * instructions in guests (virtual-instruction traps are not affected).
 */
bool testbed_guest_illegal_insn_broken(void);
/* Does the host's ISA string (/proc/cpuinfo) name extension @ext? */
bool host_isa_has(const char *ext);
/* The sstatus bits a VMM may set on kvm.ko under QEMU (see above). */
#define SSTATUS_SAFE_BITS	(0x2UL | 0x20UL | 0x100UL | 0x6000UL | \
				 0x40000UL | 0x80000UL)

/*
 * @size bytes of anonymous memory behind a new userfaultfd (missing-page
 * mode; the fd, non-blocking, in *uffd): no page is there until the test
 * serves the fault.  NULL with errno set when the kernel has none.
 */
void *vm_alloc_uffd(size_t size, int *uffd);
/* The next fault on @uffd, waiting at most @ms: 0 with *msg, or -1. */
struct uffd_msg;
int uffd_wait_fault(int uffd, int ms, struct uffd_msg *msg);

/* AnonHugePages (kB) of the mapping that holds @addr, or -1. */
long anon_huge_kb(void *addr);

/* KVM_ENABLE_CAP on the VM fd: 0 or -errno. */
int vm_enable_cap_try(struct vm *vm, uint32_t cap, uint64_t arg0);

/* A vCPU statistic of rvhv's by name (KVM_GET_STATS_FD); -1 on kvm.ko. */
long vcpu_stat(struct vcpu *vcpu, const char *name);

/*
 * Driving guest_cmd_loop (guest/ucall_abi.h): a VM (vm_create()) whose
 * vCPU 0 waits in the loop.  cmd() runs one command to its REPORT: 0
 * (result in *res), -errno if KVM_RUN failed (the guest is still at the
 * access), 1 if it exited otherwise (MMIO, a full dirty ring): deal with
 * that and call cmd_continue().  cmd_ok() is a command that must complete
 * without exits (else the test fails); it returns the result.
 */
struct cmd_vm {
	struct vm *vm;
	struct vcpu *vcpu;
};

void cmd_start(struct cmd_vm *c);
int cmd_continue(struct cmd_vm *c, uint64_t *res);
int cmd(struct cmd_vm *c, unsigned long op, uint64_t addr, uint64_t val,
	uint64_t n, uint64_t *res);
uint64_t cmd_ok(struct cmd_vm *c, unsigned long op, uint64_t addr,
		uint64_t val, uint64_t n);

/* AnonHugePages (kB) of the mapping holding @addr (/proc/self/smaps). */
long anon_huge_kb(void *addr);

/*
 * A vCPU's saved state, as a VMM migrating it saves it: the value of every
 * id KVM_GET_REG_LIST names, and MP_STATE (Documentation/rvhv.rst,
 * "Migration").  vcpu_state_save() fails the test if a register cannot
 * be read.  vcpu_state_restore() writes them in the list's order into a
 * vCPU (of a fresh VM, with the same configuration), skipping the TIMER
 * state register where KVM's ABI makes a write wrong: OFF (-EINVAL when
 * no timer is armed), and ON on kvm.ko 6.12, which arms the timer at
 * cycle 1 (it passes the register's value as the deadline); returns how
 * many writes failed (each reported on stderr).
 */
struct vcpu_state {
	int n;
	uint64_t *ids;
	uint64_t *vals;
	struct kvm_mp_state mp;
};

void vcpu_state_save(struct vcpu *vcpu, struct vcpu_state *s);
int vcpu_state_restore(struct vcpu *vcpu, const struct vcpu_state *s);
/* The saved value of register @id (fails the test if it is not there). */
uint64_t vcpu_state_reg(const struct vcpu_state *s, uint64_t id);
void vcpu_state_free(struct vcpu_state *s);

#endif /* VM_LIB_H */
