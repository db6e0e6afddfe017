// SPDX-License-Identifier: GPL-2.0
/*
 * Saving and restoring a vCPU (live migration's state part): every
 * KVM_GET_REG_LIST id reads and writes back; a guest stopped in the middle
 * of an MMIO exit is completed with immediate_exit, saved through
 * KVM_GET_REG_LIST, MP_STATE and its memory, restored into a fresh VM run
 * by another thread on another CPU, and goes on exactly as the original
 * does; bad input gets kvm.ko's errnos.  And the guest physical address
 * width per VM (KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS), rvhv only: Linux
 * 6.12's kvm.ko cannot choose it).  Held to kvm.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define PG		4096UL
#define MMIO_ADDR	(GUEST_MMIO_BASE + 0x40)
#define STA_GPA		(GUEST_DATA + 0x8000)
#define MEM_GPA		(GUEST_DATA + 0x1000)
#define TIMER_STATE	RISCV_TIMER_REG(state)
#define TIMER_TIME	RISCV_TIMER_REG(time)
#define TIMER_COMPARE	RISCV_TIMER_REG(compare)
#define SIP_SEIP	(1UL << 9)

/* The payload (guest_blob.S), for a VM whose memory is added by hand. */
extern const char guest_blob[], guest_blob_end[];

static bool is_timer_state(uint64_t id)
{
	return id == TIMER_STATE;
}

/* A VM with the payload, its memory added by hand (after any cap). */
static void load_payload(struct vm *vm)
{
	vm->ram = vm_add_mem(vm, 0, GUEST_BASE, GUEST_RAM_SIZE, 0);
	memcpy(vm->ram, guest_blob, guest_blob_end - guest_blob);
}

/*
 * The target of a migration: a fresh VM with @src's memory (slot 0) and
 * its vCPU 0 given the saved state @st; the VM in *@vm.
 */
static struct vcpu *restore_copy(struct __test_metadata *_metadata,
				 struct vm *src, const struct vcpu_state *st,
				 struct vm **vm)
{
	struct vcpu *vcpu;

	*vm = vm_create();
	memcpy((*vm)->ram, src->ram, GUEST_RAM_SIZE);
	vcpu = vcpu_create(*vm, 0);
	EXPECT_EQ(0, vcpu_state_restore(vcpu, st));
	return vcpu;
}

/* Each id of a vCPU that has not run reads and writes back unchanged. */
TEST(reg_list_round_trip)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct vcpu_state s;
	uint64_t val, time0;
	int i, r;

	vcpu_state_save(vcpu, &s);
	TH_LOG("%d registers", s.n);
	for (i = 0; i < s.n; i++) {
		r = vcpu_set_reg_try(vcpu, s.ids[i], &s.vals[i]);
		if (is_timer_state(s.ids[i]) &&
		    s.vals[i] == KVM_RISCV_TIMER_STATE_OFF) {
			/* KVM: cancelling a timer that is not armed */
			EXPECT_EQ(-EINVAL, r);
			continue;
		}
		EXPECT_EQ(0, r) TH_LOG("set 0x%llx: %s",
				       (unsigned long long)s.ids[i],
				       strerror(-r));
		val = 0;
		ASSERT_EQ(0, vcpu_get_reg_try(vcpu, s.ids[i], &val));
		if (s.ids[i] == TIMER_TIME) {
			/* the VM's time, moving on from the value written */
			time0 = s.vals[i];
			EXPECT_GE(val, time0);
			continue;
		}
		EXPECT_EQ(s.vals[i], val) TH_LOG("id 0x%llx",
						 (unsigned long long)s.ids[i]);
	}
	vcpu_state_free(&s);
	vcpu_free(vcpu);
	vm_free(vm);
}

/* Wrong sizes, unknown ids, values a register does not take. */
TEST(bad_input)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_reg_list small = { .n = 1 };
	struct kvm_mp_state mp = { .mp_state = 0xdead };
	uint64_t val = 0, freq;
	struct kvm_one_reg reg;

	/* A CORE register as 32 bits, a TIMER one as 32 bits */
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(vcpu, (CORE_PC & ~KVM_REG_SIZE_MASK) |
					    KVM_REG_SIZE_U32, &val));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, (TIMER_TIME &
					    ~KVM_REG_SIZE_MASK) |
					    KVM_REG_SIZE_U32, &val));
	/* Past the end of CORE, an unknown class */
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(vcpu, RISCV_REG(KVM_REG_RISCV_CORE,
							    64), &val));
	EXPECT_EQ(-ENOENT, vcpu_set_reg_try(vcpu, RISCV_REG(0x7f000000, 0),
					    &val));
	EXPECT_EQ(-ENOENT, vcpu_get_reg_try(vcpu, RISCV_REG(KVM_REG_RISCV_TIMER,
							    4), &val));
	/* The timer's frequency is read-only: only its value goes back */
	freq = vcpu_get_reg(vcpu, RISCV_TIMER_REG(frequency));
	EXPECT_EQ(0, vcpu_set_reg_try(vcpu, RISCV_TIMER_REG(frequency), &freq));
	val = freq + 1;
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, RISCV_TIMER_REG(frequency),
					    &val));
	/* A bad address */
	reg.id = CORE_PC;
	reg.addr = 8;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg));
	EXPECT_EQ(EFAULT, errno);
	/* A list too short: E2BIG, with the count */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_GET_REG_LIST, &small));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_GT(small.n, 70);
	/* MP_STATE: only RUNNABLE and STOPPED */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	mp.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	vcpu_free(vcpu);
	vm_free(vm);
}

/* One step of the guest's work, the same on the original and the copy. */
struct step {
	unsigned long op;
	uint64_t addr, val, n;
};

static const struct step steps[] = {
	{ CMD_READ64, MEM_GPA, 0, 0 },
	{ CMD_WRITE64, MEM_GPA + 8, 0x1234567, 0 },
	{ CMD_FILL_PAGES, GUEST_DATA + 0x2000, 0x5150, 4 },
	{ CMD_SUM_PAGES, GUEST_DATA + 0x2000, 0, 4 },
	{ CMD_READ64, MEM_GPA + 8, 0, 0 },
};

struct side {
	struct __test_metadata *md;
	struct cmd_vm c;
	int cpu;			/* to run on, or -1 */
	uint64_t res[ARRAY_SIZE(steps)];
	uint64_t mmio_res;		/* what the interrupted load got */
	struct vcpu_state end;		/* state after the steps */
};

/* Finish the interrupted load (already completed), then the steps. */
static void *run_side(void *arg)
{
	struct side *sd = arg;
	struct __test_metadata *_metadata = sd->md;
	cpu_set_t set;
	unsigned int i;

	if (sd->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(sd->cpu, &set);
		EXPECT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	}
	EXPECT_EQ(0, cmd_continue(&sd->c, &sd->mmio_res));
	for (i = 0; i < ARRAY_SIZE(steps); i++)
		sd->res[i] = cmd_ok(&sd->c, steps[i].op, steps[i].addr,
				    steps[i].val, steps[i].n);
	vcpu_state_save(sd->c.vcpu, &sd->end);
	return NULL;
}

/*
 * Registers that differ between the original and the copy for reasons
 * other than the guest's work: the VM's time (the copy's runs on from the
 * value restored), the state of a timer kvm.ko cannot restore (vm_lib.h).
 */
static bool differs_by_design(uint64_t id)
{
	return id == TIMER_TIME || (dev_is_kvm() && (id == TIMER_STATE ||
						      id == TIMER_COMPARE));
}

/*
 * The migration of a vCPU stopped in an MMIO load: the VMM supplies the
 * data, commits it with immediate_exit (-EINTR, guest not entered), saves
 * everything, and a fresh VM on another thread (and CPU) restores it.
 * Non-trivial state rides along: FP registers, sscratch, an armed timer
 * compare, a pending external interrupt (KVM_INTERRUPT), STA's shared
 * memory.  Both then do the same work and must end identical.
 */
TEST(mmio_exit_migrates)
{
	const uint64_t mmio_data = 0x0123456789abcdefULL;
	struct side src = { .md = _metadata, .cpu = -1 };
	struct side dst = { .md = _metadata, .cpu = -1 };
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };
	uint64_t res = 0, val, t_saved, t_now, sta_lo = STA_GPA;
	struct kvm_run *run;
	struct vcpu_state s;
	pthread_t thr;
	int i, r, ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	cmd_start(&src.c);
	run = src.c.vcpu->run;
	*GUEST_DATA_HVA(src.c.vm, uint64_t, MEM_GPA - GUEST_DATA) = 0xfeed;
	/* State the guest does not touch */
	for (i = 0; i < 32; i++)
		vcpu_set_reg(src.c.vcpu, RISCV_FP_D_REG(i), FP_PATTERN(i));
	vcpu_set_reg(src.c.vcpu, RISCV_CSR_REG(sscratch), 0x5c5c);
	val = vcpu_get_reg(src.c.vcpu, TIMER_TIME) + (1ULL << 40);
	vcpu_set_reg(src.c.vcpu, TIMER_COMPARE, val);
	if (!dev_is_kvm())
		vcpu_set_reg(src.c.vcpu, TIMER_STATE,
			     KVM_RISCV_TIMER_STATE_ON);
	ASSERT_EQ(0, ioctl(src.c.vcpu->fd, KVM_INTERRUPT, &irq));
	r = vcpu_set_reg_try(src.c.vcpu, RISCV_REG(KVM_REG_RISCV_SBI_STATE |
			     KVM_REG_RISCV_SBI_STA,
			     KVM_REG_RISCV_SBI_STA_REG(shmem_lo)), &sta_lo);
	TH_LOG("STA shmem: %s", r ? strerror(-r) : "set");

	/* The guest stops in an MMIO load */
	ASSERT_EQ(1, cmd(&src.c, CMD_READ64, MMIO_ADDR, 0, 0, &res));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	ASSERT_EQ(MMIO_ADDR, run->mmio.phys_addr);
	ASSERT_EQ(0, run->mmio.is_write);
	memcpy(run->mmio.data, &mmio_data, 8);
	/* The rule: commit the completion without entering the guest */
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(src.c.vcpu));
	run->immediate_exit = 0;

	vcpu_state_save(src.c.vcpu, &s);
	t_saved = vcpu_state_reg(&s, TIMER_TIME);
	EXPECT_EQ(SIP_SEIP, vcpu_get_reg(src.c.vcpu, RISCV_CSR_REG(sip)) &
		  SIP_SEIP);

	/* A fresh VM with the memory, and the vCPU's state */
	dst.c.vcpu = restore_copy(_metadata, src.c.vm, &s, &dst.c.vm);
	/* Its time goes on from the saved value, not from the host's */
	t_now = vcpu_get_reg(dst.c.vcpu, TIMER_TIME);
	EXPECT_GE(t_now, t_saved);
	EXPECT_LT(t_now - t_saved, 60 * vcpu_get_reg(dst.c.vcpu,
				   RISCV_TIMER_REG(frequency)));
	EXPECT_EQ(SIP_SEIP, vcpu_get_reg(dst.c.vcpu, RISCV_CSR_REG(sip)) &
		  SIP_SEIP);
	EXPECT_EQ(FP_PATTERN(7), vcpu_get_reg(dst.c.vcpu, RISCV_FP_D_REG(7)));

	/* Both go on: the copy in another thread, on another CPU */
	if (ncpu > 1)
		dst.cpu = 1;
	ASSERT_EQ(0, pthread_create(&thr, NULL, run_side, &dst));
	run_side(&src);
	ASSERT_EQ(0, pthread_join(thr, NULL));

	EXPECT_EQ(mmio_data, src.mmio_res);
	EXPECT_EQ(mmio_data, dst.mmio_res);
	EXPECT_EQ(0xfeed, dst.res[0]);
	for (i = 0; i < (int)ARRAY_SIZE(steps); i++)
		EXPECT_EQ(src.res[i], dst.res[i]) TH_LOG("step %d", i);
	ASSERT_EQ(src.end.n, dst.end.n);
	for (i = 0; i < src.end.n; i++) {
		ASSERT_EQ(src.end.ids[i], dst.end.ids[i]);
		if (differs_by_design(src.end.ids[i]))
			continue;
		EXPECT_EQ(src.end.vals[i], dst.end.vals[i])
			TH_LOG("id 0x%llx", (unsigned long long)src.end.ids[i]);
	}
	EXPECT_EQ(src.end.mp.mp_state, dst.end.mp.mp_state);
	/* the guest's memory too, but for STA's record (time-dependent) */
	i = STA_GPA - GUEST_BASE;
	EXPECT_EQ(0, memcmp(src.c.vm->ram, dst.c.vm->ram, i));
	EXPECT_EQ(0, memcmp((char *)src.c.vm->ram + i + 64,
			    (char *)dst.c.vm->ram + i + 64,
			    GUEST_RAM_SIZE - i - 64));
	vcpu_state_free(&s);
	vcpu_state_free(&src.end);
	vcpu_state_free(&dst.end);
}

/*
 * A KVM_INTERRUPT raised while the vCPU is out of KVM_RUN is in sip at
 * once (a VMM saves it without running the vCPU again), and a lowered
 * one leaves it; writing sip sets the line.
 */
TEST(pending_interrupt_in_sip)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };
	struct cmd_vm c;
	uint64_t sip;

	vcpu_start(vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	EXPECT_EQ(0, vcpu_get_reg(vcpu, RISCV_CSR_REG(sip)) & SIP_SEIP);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(SIP_SEIP, vcpu_get_reg(vcpu, RISCV_CSR_REG(sip)) & SIP_SEIP);
	irq.irq = KVM_INTERRUPT_UNSET;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(0, vcpu_get_reg(vcpu, RISCV_CSR_REG(sip)) & SIP_SEIP);
	sip = SIP_SEIP;
	ASSERT_EQ(0, vcpu_set_reg_try(vcpu, RISCV_CSR_REG(sip), &sip));
	EXPECT_EQ(SIP_SEIP, vcpu_get_reg(vcpu, RISCV_CSR_REG(sip)) & SIP_SEIP);
	/* and it survives a trip through the guest (which has sie 0) */
	c.vm = vm;
	c.vcpu = vcpu;
	cmd_ok(&c, CMD_READ64, MEM_GPA, 0, 0);
	EXPECT_EQ(SIP_SEIP, vcpu_get_reg(vcpu, RISCV_CSR_REG(sip)) & SIP_SEIP);
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * A forwarded SBI call (KVM_EXIT_RISCV_SBI) completed with immediate_exit,
 * saved and restored: the copy's guest gets the VMM's answer.
 */
TEST(sbi_exit_migrates)
{
	unsigned long args[6] = { 0x11, 0x22, 0, 0, 0, 0 };
	struct vm *vm = vm_create(), *vm2;
	struct vcpu *vcpu = vcpu_create(vm, 0), *vcpu2;
	struct kvm_run *run = vcpu->run;
	struct vcpu_state s;
	long err = -1, val = -1;

	vcpu_start(vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	ASSERT_EQ(1, vcpu_sbi_call6(vcpu, SBI_EXT_EXPERIMENTAL_START, 3, args,
				    &err, &val));
	ASSERT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);
	EXPECT_EQ(SBI_EXT_EXPERIMENTAL_START, run->riscv_sbi.extension_id);
	EXPECT_EQ(0x11, run->riscv_sbi.args[0]);
	run->riscv_sbi.ret[0] = 0;
	run->riscv_sbi.ret[1] = 0x7777;
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	/* a second one has nothing left to complete */
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	run->immediate_exit = 0;
	vcpu_state_save(vcpu, &s);
	/* the guest's a0/a1 already hold the answer */
	EXPECT_EQ(0, vcpu_get_reg(vcpu, CORE_A0));
	EXPECT_EQ(0x7777, vcpu_get_reg(vcpu, CORE_A1));

	vcpu2 = restore_copy(_metadata, vm, &s, &vm2);
	vcpu_free(vcpu);
	vm_free(vm);
	ASSERT_EQ(0, vcpu_sbi_continue(vcpu2, &err, &val));
	EXPECT_EQ(0, err);
	EXPECT_EQ(0x7777, val);
	vcpu_state_free(&s);
	vcpu_free(vcpu2);
	vm_free(vm2);
}

/*
 * An HSM hart_start that reached a vCPU which has not run since is part
 * of the state a VMM saves: its registers read as the started hart's.
 */
TEST(hsm_start_is_saved)
{
	unsigned long args[6] = { 1, GUEST_ENTRY + 0x100, 0xabcd, 0, 0, 0 };
	struct vm *vm = vm_create();
	struct vcpu *v0 = vcpu_create(vm, 0), *v1 = vcpu_create(vm, 1);
	struct kvm_mp_state mp;
	long err = -1, val = -1;

	ASSERT_EQ(0, ioctl(v1->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, mp.mp_state);
	vcpu_set_reg(v1, CORE_PC, 0x5000);
	vcpu_start(v0, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(v0, UCALL_SYNC, NULL);
	ASSERT_EQ(0, vcpu_sbi_call6(v0, SBI_EXT_HSM, 0, args, &err, &val));
	EXPECT_EQ(0, err);
	ASSERT_EQ(0, ioctl(v1->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	if (dev_is_kvm()) {
		vcpu_free(v1);
		vcpu_free(v0);
		vm_free(vm);
		SKIP(return, "kvm.ko 6.12 resets a started hart in its next KVM_RUN: until then ONE_REG shows the old registers");
	}
	EXPECT_EQ(GUEST_ENTRY + 0x100, vcpu_get_reg(v1, CORE_PC));
	EXPECT_EQ(1, vcpu_get_reg(v1, CORE_A0));
	EXPECT_EQ(0xabcd, vcpu_get_reg(v1, CORE_A1));
	EXPECT_EQ(KVM_RISCV_MODE_S, vcpu_get_reg(v1, CORE_MODE));
	vcpu_free(v1);
	vcpu_free(v0);
	vm_free(vm);
}

/*
 * SBI SUSP system_suspend exits to the VMM with the resume pending: the
 * save rule (immediate_exit) commits the call, after which the vCPU's
 * registers are those of the resumed hart (resume address, a0 hartid,
 * a1 opaque), and a copy restored from them resumes there.
 */
TEST(susp_exit_migrates)
{
	const uint64_t resume = GUEST_FN(guest_susp_resume);
	const unsigned long args[6] = { 0, resume, 0xfeedbeefUL, 0, 0, 0 };
	const uint64_t susp = RISCV_SBI_EXT_REG(RVHV_RISCV_SBI_EXT_SUSP);
	struct vm *vm = vm_create(), *vm2;
	struct vcpu *vcpu = vcpu_create(vm, 0), *vcpu2;
	struct vcpu_state s;
	struct ucall uc;
	uint64_t one = 1;
	long err, val;

	if (vcpu_set_reg_try(vcpu, susp, &one)) {
		vcpu_free(vcpu);
		vm_free(vm);
		SKIP(return, "no SBI SUSP on %s (kvm.ko has it from Linux 6.13)",
		     rvhv_dev_path());
	}
	vcpu_start(vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	ASSERT_EQ(1, vcpu_sbi_call6(vcpu, SBI_EXT_SUSP, 0, args, &err, &val));
	ASSERT_EQ(KVM_EXIT_RISCV_SBI, vcpu->run->exit_reason);
	EXPECT_EQ(SBI_EXT_SUSP, vcpu->run->riscv_sbi.extension_id);
	/* mid-exit the vCPU still reads as the caller */
	EXPECT_NE(resume, vcpu_get_reg(vcpu, CORE_PC));
	vcpu->run->riscv_sbi.ret[0] = 0;
	vcpu->run->riscv_sbi.ret[1] = 0;
	vcpu->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run_try(vcpu));
	vcpu->run->immediate_exit = 0;
	EXPECT_EQ(resume, vcpu_get_reg(vcpu, CORE_PC));
	EXPECT_EQ(0, vcpu_get_reg(vcpu, CORE_A0));
	EXPECT_EQ(0xfeedbeefUL, vcpu_get_reg(vcpu, CORE_A1));
	vcpu_state_save(vcpu, &s);

	vcpu2 = restore_copy(_metadata, vm, &s, &vm2);
	vcpu_free(vcpu);
	vm_free(vm);
	vcpu_expect_ucall(vcpu2, UCALL_REPORT, &uc);
	EXPECT_EQ(0x5355, uc.args[0]);			/* resumed */
	EXPECT_EQ(0, uc.args[1]);			/* a0: hartid */
	EXPECT_EQ(0xfeedbeefUL, uc.args[2]);		/* a1: opaque */
	vcpu_state_free(&s);
	vcpu_free(vcpu2);
	vm_free(vm2);
}

static void on_sigusr1(int sig)
{
}

struct kicker {
	pthread_t target;
	volatile int stop;
};

static void *kick_fn(void *arg)
{
	struct kicker *k = arg;

	while (!k->stop) {
		usleep(20000);
		pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

/* Console bytes of a coalesced-console exit, appended to buf at *len. */
static bool take_console(struct kvm_run *run, char *buf, size_t *len,
			 size_t max)
{
	unsigned long n = run->riscv_sbi.args[1];

	if (run->exit_reason != KVM_EXIT_RISCV_SBI ||
	    run->riscv_sbi.extension_id != RVHV_SBI_EXT ||
	    run->riscv_sbi.function_id != RVHV_SBI_CONSOLE_OUTPUT ||
	    n > RVHV_CONSOLE_MAX || *len + n > max)
		return false;
	memcpy(buf + *len, (char *)run + RVHV_CONSOLE_OFFSET, n);
	*len += n;
	return true;
}

/*
 * Coalesced console bytes still buffered when a signal stops the vCPU go
 * out with the immediate_exit KVM_RUN (an exit of their own, then
 * -EINTR): a save loses none, and the restored guest's output goes on
 * from the next byte.
 */
TEST(console_bytes_survive_save)
{
	const size_t max = 1 << 20;
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kicker k = { .target = pthread_self() };
	struct vm *vm, *vm2;
	struct vcpu *vcpu, *vcpu2;
	struct vcpu_state s;
	size_t len = 0, at_stop = 0, i;
	int tries;
	pthread_t thr;
	char *buf;
	int r;

	if (dev_is_kvm())
		SKIP(return, "RVHV_CAP_CONSOLE_COALESCE is rvhv's own");
	buf = malloc(max);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vm = vm_create();
	ASSERT_EQ(0, vm_enable_cap_try(vm, RVHV_CAP_CONSOLE_COALESCE, 1));
	vcpu = vcpu_create(vm, 0);
	vcpu_start(vcpu, GUEST_FN(guest_console), 1, 1UL << 30);

	ASSERT_EQ(0, pthread_create(&thr, NULL, kick_fn, &k));
	/* Until a signal stops the guest with bytes in the buffer */
	for (tries = 0; tries < 50 && len == at_stop; tries++) {
		for (;;) {
			r = vcpu_run_try(vcpu);
			if (r == -EINTR)
				break;
			ASSERT_EQ(0, r);
			ASSERT_TRUE(take_console(vcpu->run, buf, &len,
						 max / 2));
		}
		at_stop = len;
		/* the rule: immediate_exit hands over what is buffered */
		vcpu->run->immediate_exit = 1;
		r = vcpu_run_try(vcpu);
		if (!r) {
			ASSERT_TRUE(take_console(vcpu->run, buf, &len, max));
			EXPECT_GT(len, at_stop);
			r = vcpu_run_try(vcpu);
		}
		/* then -EINTR: nothing more */
		EXPECT_EQ(-EINTR, r);
		vcpu->run->immediate_exit = 0;
	}
	k.stop = 1;
	pthread_join(thr, NULL);
	TH_LOG("%zu bytes before the stop, %zu were buffered (%d stops)",
	       at_stop, len - at_stop, tries);
	EXPECT_GT(len, at_stop);
	vcpu_state_save(vcpu, &s);

	vcpu2 = restore_copy(_metadata, vm, &s, &vm2);
	ASSERT_EQ(0, vm_enable_cap_try(vm2, RVHV_CAP_CONSOLE_COALESCE, 1));
	vcpu_free(vcpu);
	vm_free(vm);
	/* three more exits' worth from the copy */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vcpu_run_try(vcpu2));
		ASSERT_TRUE(take_console(vcpu2->run, buf, &len, max));
	}
	for (i = 0; i < len; i++)
		ASSERT_EQ('a' + i % 26, buf[i]) TH_LOG("byte %zu of %zu", i, len);
	vcpu_state_free(&s);
	vcpu_free(vcpu2);
	vm_free(vm2);
	free(buf);
}

/* Guest physical address widths: (bits asked, width, hgatp mode). */
static const struct {
	uint64_t ask;
	long bits;
	unsigned int mode_bit;
} gpa_modes[] = {
	{ 39, 41, RVHV_GSTAGE_SV39X4 },
	{ 48, 50, RVHV_GSTAGE_SV48X4 },
	{ 57, 59, RVHV_GSTAGE_SV57X4 },
};

/*
 * Each width the host takes: the VM reports it, a guest runs, memslots
 * must end below it (-EFAULT, as kvm.ko's riscv port), a guest access
 * beyond it is a G-stage fault, i.e. MMIO, and one inside it but beyond
 * a narrower width reaches memory.
 */
TEST(gpa_bits_per_vm)
{
	const uint64_t M2 = 2UL << 20;
	struct rvhv_host_features f;
	struct cmd_vm c;
	unsigned int i;
	uint64_t res;
	char *mem;
	long max;
	int dev;

	if (dev_is_kvm())
		SKIP(return, "kvm.ko 6.12 has no KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS)");
	dev = vm_dev_open();
	ASSERT_EQ(0, ioctl(dev, RVHV_GET_HOST_FEATURES, &f));
	max = ioctl(dev, KVM_CHECK_EXTENSION, KVM_CAP_VM_GPA_BITS);
	EXPECT_EQ((long)f.gpa_bits, max);
	EXPECT_EQ((long)f.gstage_modes,
		  ioctl(dev, KVM_CHECK_EXTENSION, RVHV_CAP_SET_GPA_BITS));
	mem = vm_alloc(M2, M2);

	for (i = 0; i < ARRAY_SIZE(gpa_modes); i++) {
		struct vm *vm = vm_create_empty();
		uint64_t top = 1ULL << gpa_modes[i].bits;
		int r = vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS,
					  gpa_modes[i].ask);

		if (!(f.gstage_modes & gpa_modes[i].mode_bit)) {
			TH_LOG("host has no mode for %ld bits", gpa_modes[i].bits);
			EXPECT_EQ(-EINVAL, r);
			EXPECT_EQ(max, vm_check_cap(vm, KVM_CAP_VM_GPA_BITS));
			vm_free(vm);
			continue;
		}
		ASSERT_EQ(0, r);
		EXPECT_EQ(gpa_modes[i].bits, vm_check_cap(vm, KVM_CAP_VM_GPA_BITS));
		/* the system fd still answers the host's widest */
		EXPECT_EQ(max, ioctl(dev, KVM_CHECK_EXTENSION,
				     KVM_CAP_VM_GPA_BITS));
		/* memslots end below the width */
		EXPECT_EQ(-EFAULT, vm_set_region_try(vm, 5, 0, top - M2, M2, mem));
		EXPECT_EQ(-EFAULT, vm_set_region_try(vm, 5, 0, top, M2, mem));
		EXPECT_EQ(0, vm_set_region_try(vm, 5, 0, top - 2 * M2, M2, mem));
		/* a memslot exists: fixed now */
		EXPECT_EQ(-EBUSY, vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS, 39));
		EXPECT_EQ(0, vm_set_region_try(vm, 5, 0, top - 2 * M2, 0, mem));

		load_payload(vm);
		c.vm = vm;
		c.vcpu = vcpu_create(vm, 0);
		EXPECT_EQ(-EBUSY, vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS,
						    gpa_modes[i].ask));
		vcpu_start(c.vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
		vcpu_expect_ucall(c.vcpu, UCALL_SYNC, NULL);
		cmd_ok(&c, CMD_WRITE64, MEM_GPA, 0x77, 0);
		EXPECT_EQ(0x77, cmd_ok(&c, CMD_READ64, MEM_GPA, 0, 0));
		/* beyond the width: a G-stage fault, emulated as MMIO */
		ASSERT_EQ(1, cmd(&c, CMD_READ64, top + 0x100, 0, 0, &res));
		EXPECT_EQ(KVM_EXIT_MMIO, c.vcpu->run->exit_reason);
		EXPECT_EQ(top + 0x100, c.vcpu->run->mmio.phys_addr);
		memcpy(c.vcpu->run->mmio.data, &top, 8);
		ASSERT_EQ(0, cmd_continue(&c, &res));
		EXPECT_EQ(top, res);
		/* memory just below the width, beyond Sv39x4's */
		if (gpa_modes[i].bits > 41) {
			volatile uint64_t *hi = vm_add_mem(vm, 6, 1ULL << 41,
							   PG, 0);

			*hi = 0x4141;
			EXPECT_EQ(0x4141, cmd_ok(&c, CMD_READ64, 1ULL << 41, 0, 0));
		} else {
			EXPECT_EQ(-EFAULT, vm_set_region_try(vm, 6, 0, 1ULL << 41,
							     M2, mem));
		}
		vcpu_free(c.vcpu);
		vm_free(vm);
	}
	munmap(mem, M2);
	close(dev);
}

/* What KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS) refuses. */
TEST(gpa_bits_bad_input)
{
	struct vm *vm;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_VM_GPA_BITS };

	if (dev_is_kvm())
		SKIP(return, "kvm.ko 6.12 has no KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS)");
	vm = vm_create_empty();
	EXPECT_EQ(-EINVAL, vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS, 0));
	EXPECT_EQ(-EINVAL, vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS, 60));
	EXPECT_EQ(-EINVAL, vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS, -1ULL));
	cap.args[0] = 41;
	cap.flags = 1;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);
	/* Sv39x4 is every H host's; a small request takes it */
	EXPECT_EQ(0, vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS, 1));
	EXPECT_EQ(41, vm_check_cap(vm, KVM_CAP_VM_GPA_BITS));
	EXPECT_EQ(0, vm_enable_cap_try(vm, KVM_CAP_VM_GPA_BITS, 41));
	vm_free(vm);
}

TEST_HARNESS_MAIN
