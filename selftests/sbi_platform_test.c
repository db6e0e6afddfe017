// SPDX-License-Identifier: GPL-2.0
/*
 * The guest platform's newer SBI extensions and their ONE_REG state:
 * STA (steal time: set_shmem's errors, steal time that grows when the
 * host overcommits the vCPU and not otherwise, save/restore, disabling,
 * an area that leaves the guest's memory) and SUSP (system suspend:
 * denied while another vCPU runs, the exit to the VMM, the resume).
 * Held to kvm.ko 6.12 for STA; kvm.ko 6.12 has no SUSP (kvm.ko's from
 * Linux 6.13 on is the reference), so those cases skip there.
 */
#define _GNU_SOURCE
#include <linux/rvhv.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/platform_abi.h"

#define STA_REG(n)	RISCV_REG(KVM_REG_RISCV_SBI_STATE | \
				  KVM_REG_RISCV_SBI_STA, (n))
#define STA_LO		STA_REG(KVM_REG_RISCV_SBI_STA_REG(shmem_lo))
#define STA_HI		STA_REG(KVM_REG_RISCV_SBI_STA_REG(shmem_hi))
#define STA_NONE	(~0UL)		/* shmem_lo without an area */
#define STA_EXT		RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_STA)
#define SUSP_EXT	RISCV_SBI_EXT_REG(RVHV_RISCV_SBI_EXT_SUSP)
#define NS_PER_MS	1000000UL

struct sta_area {
	uint32_t sequence;
	uint32_t flags;
	uint64_t steal;
	uint8_t preempted;
	uint8_t pad[47];
};

static void sbi_loop(struct vcpu *vcpu)
{
	vcpu_start(vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
}

/* An SBI call of the guest in guest_sbi_loop, handled without an exit. */
static long sbi_err(struct vcpu *vcpu, unsigned long ext, unsigned long fid,
		    unsigned long a0, unsigned long a1, unsigned long a2,
		    long *value)
{
	return vcpu_sbi_kernel(vcpu, ext, fid, a0, a1, a2, 0, 0, value);
}

#define probe	vcpu_sbi_probe

static long set_shmem(struct vcpu *vcpu, unsigned long lo, unsigned long hi,
		      unsigned long flags)
{
	return sbi_err(vcpu, SBI_EXT_STA, SBI_EXT_STA_SET_SHMEM, lo, hi, flags,
		       NULL);
}

/* Run to the next ucall; KVM_RUN's -EINTR (signals, task work) retried. */
static void ucall_retry(struct vcpu *vcpu, unsigned long fid,
			struct ucall *uc)
{
	int r;

	while ((r = vcpu_ucall_try(vcpu, uc)) == -EINTR)
		;
	if (r < 0)
		vcpu_fail(vcpu, "KVM_RUN: %s", strerror(-r));
	if (r > 0 || uc->fid != fid)
		vcpu_fail(vcpu, "not ucall %lu", fid);
}


/* vCPU 0 of a new VM in guest_sbi_loop; NULL (and a SKIP) without STA. */
static struct vcpu *sta_vcpu(struct __test_metadata *_metadata,
			     struct vm **vm)
{
	struct vcpu *vcpu;
	uint64_t on;

	*vm = vm_create();
	vcpu = vcpu_create(*vm, 0);
	if (vcpu_get_reg_try(vcpu, STA_EXT, &on)) {
		vcpu_free(vcpu);
		vm_free(*vm);
		return NULL;
	}
	sbi_loop(vcpu);
	return vcpu;
}

#define STA_VCPU(vm) ({							\
	struct vcpu *__v = sta_vcpu(_metadata, &(vm));			\
	if (!__v)							\
		SKIP(return, "no SBI STA on %s", rvhv_dev_path());	\
	__v;								\
})

/*
 * STA is on by default; its two SBI_STATE registers exist, read "no area"
 * (shmem_lo -1, shmem_hi 0), are listed after the SBI_EXT registers while
 * STA is enabled, and take kvm.ko's errnos.
 */
TEST(sta_enabled_and_regs)
{
	uint64_t *list, v, one = 1, zero = 0;
	struct vcpu *vcpu, *other;
	int n, i, last_ext = -1;
	struct vm *vm, *vm2;
	uint32_t v32 = 0;
	long spec;

	vcpu = STA_VCPU(vm);
	EXPECT_EQ(1, vcpu_get_reg(vcpu, STA_EXT));
	EXPECT_EQ(1, probe(vcpu, SBI_EXT_STA));
	/* STA is an SBI 2.0 extension: the spec version says at least 2.0. */
	EXPECT_EQ(0, sbi_err(vcpu, SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION,
			     0, 0, 0, &spec));
	EXPECT_LE(2L << 24, spec);
	EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO));
	EXPECT_EQ(0, vcpu_get_reg(vcpu, STA_HI));

	n = vcpu_get_reg_list(vcpu, &list);
	for (i = 0; i < n; i++)
		if ((list[i] & KVM_REG_RISCV_TYPE_MASK) == KVM_REG_RISCV_SBI_EXT)
			last_ext = i;
	ASSERT_LT(0, last_ext);
	ASSERT_LT(last_ext + 2, n + 0);
	EXPECT_EQ(STA_LO, list[last_ext + 1]);
	EXPECT_EQ(STA_HI, list[last_ext + 2]);
	free(list);

	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(vcpu, STA_REG(2), &v));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, STA_REG(2), &zero));
	/* Subtype 1 is FWFT's (pmu_test); 2 is nobody's. */
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(vcpu,
		  RISCV_REG(KVM_REG_RISCV_SBI_STATE |
			    (2 << KVM_REG_RISCV_SUBTYPE_SHIFT), 0), &v));
	EXPECT_EQ(-EINVAL, vcpu_get_reg_try(vcpu,
		  (STA_LO & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32, &v32));
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(vcpu, STA_HI, &one));
	EXPECT_EQ(0, vcpu_set_reg_try(vcpu, STA_HI, &zero));

	/* Disabled through ONE_REG: not probed, its state not listed. */
	vm2 = vm_create();
	other = vcpu_create(vm2, 0);
	ASSERT_EQ(0, vcpu_set_reg_try(other, STA_EXT, &zero));
	sbi_loop(other);
	EXPECT_EQ(0, probe(other, SBI_EXT_STA));
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED,
		  set_shmem(other, PLAT_STA_AREA, 0, 0));
	n = vcpu_get_reg_list(other, &list);
	EXPECT_FALSE(reg_list_has(list, n, STA_LO));
	EXPECT_FALSE(reg_list_has(list, n, STA_HI));
	free(list);
	EXPECT_EQ(0, vcpu_get_reg_try(other, STA_LO, &v));
	vcpu_free(other);
	vm_free(vm2);
	vcpu_free(vcpu);
	vm_free(vm);
}

/* set_shmem: the SBI errors, the zeroed area, unregistering. */
TEST(sta_set_shmem)
{
	const uint64_t ro = GUEST_EXTRA, rw = GUEST_EXTRA + 0x100000;
	volatile uint8_t *area, *end;
	volatile struct sta_area *sta;
	struct vcpu *vcpu;
	struct vm *vm;
	void *mem;
	int i;

	vcpu = STA_VCPU(vm);
	mem = vm_alloc(0x10000, 0x10000);
	vm_set_region(vm, 1, KVM_MEM_READONLY, ro, 0x10000, mem);
	end = vm_add_mem(vm, 2, rw, 0x10000, 0);
	end += 0x10000 - 64;

	EXPECT_EQ(SBI_ERR_INVALID_PARAM, set_shmem(vcpu, PLAT_STA_AREA, 0, 1));
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, set_shmem(vcpu, PLAT_STA_AREA, 0,
						   0x80000000UL));
	EXPECT_EQ(SBI_ERR_INVALID_PARAM,
		  set_shmem(vcpu, PLAT_STA_AREA + 8, 0, 0));
	EXPECT_EQ(SBI_ERR_INVALID_PARAM,
		  set_shmem(vcpu, PLAT_STA_AREA + 32, 0, 0));
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, set_shmem(vcpu, STA_NONE, 0, 0));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS, set_shmem(vcpu, PLAT_STA_AREA, 1, 0));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS,
		  set_shmem(vcpu, GUEST_MMIO_BASE, 0, 0));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS, set_shmem(vcpu, 0, 0, 0));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS, set_shmem(vcpu, ro, 0, 0));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS,
		  set_shmem(vcpu, rw + 0x10000, 0, 0));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS, set_shmem(vcpu, -64UL, 0, 0));
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED,
		  sbi_err(vcpu, SBI_EXT_STA, 1, PLAT_STA_AREA, 0, 0, NULL));
	EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO));

	/*
	 * The last 64 bytes of a slot: zeroed, nothing around them. An
	 * entry may already have updated it (kvm.ko does when the vCPU
	 * thread was scheduled out between the ecall and the exit), so
	 * sequence and steal may have moved on, consistently.
	 */
	memset((void *)end - 64, 0xa5, 128);
	EXPECT_EQ(SBI_SUCCESS, set_shmem(vcpu, rw + 0x10000 - 64, 0, 0));
	EXPECT_EQ(rw + 0x10000 - 64, vcpu_get_reg(vcpu, STA_LO));
	for (i = -64; i < 0; i++)
		EXPECT_EQ(0xa5, end[i]) TH_LOG("byte %d", i);
	sta = (volatile struct sta_area *)end;
	EXPECT_EQ(0, sta->sequence & 1);
	if (!sta->sequence)
		EXPECT_EQ(0, sta->steal);
	EXPECT_EQ(0, sta->flags);
	for (i = offsetof(struct sta_area, preempted); i < 64; i++)
		EXPECT_EQ(0, end[i]) TH_LOG("byte %d", i);

	/* Another area replaces it; the old one is left alone. */
	area = vm_gpa2hva(vm, PLAT_STA_AREA);
	memset((void *)area, 0x5a, 64);
	EXPECT_EQ(SBI_SUCCESS, set_shmem(vcpu, PLAT_STA_AREA, 0, 0));
	EXPECT_EQ(PLAT_STA_AREA, vcpu_get_reg(vcpu, STA_LO));
	memset((void *)end, 0x77, 64);
	/* Each entry updates the area, if any: the old one stays as it is. */
	EXPECT_EQ(1, probe(vcpu, SBI_EXT_STA));
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0x77, end[i]);
	EXPECT_EQ(0, ((volatile struct sta_area *)area)->sequence & 1);

	/* -1, -1 unregisters (also when nothing is registered). */
	EXPECT_EQ(SBI_SUCCESS, set_shmem(vcpu, STA_NONE, STA_NONE, 0));
	EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO));
	EXPECT_EQ(SBI_SUCCESS, set_shmem(vcpu, STA_NONE, STA_NONE, 0));
	memset((void *)area, 0x66, 64);
	EXPECT_EQ(1, probe(vcpu, SBI_EXT_STA));
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0x66, area[i]);
	vcpu_free(vcpu);
	vm_free(vm);
}

struct phase {
	volatile unsigned long *stop;
	unsigned int ms;
	bool busy;
};

/* On the vCPU thread's CPU: compete with it (busy) or sleep, then stop. */
static void *phase_fn(void *arg)
{
	struct phase *p = arg;
	uint64_t end = now_ns() + p->ms * NS_PER_MS;

	if (p->busy) {
		while (now_ns() < end)
			;
	} else {
		usleep(p->ms * 1000);
	}
	*p->stop = 1;
	return NULL;
}

/*
 * guest_sta_spin for @ms, the vCPU thread and a thread that competes
 * with it (@busy) or sleeps pinned to one host CPU; the guest's reading
 * of the area at @area (0: none) in *steal, *seq.
 */
static void sta_phase(struct __test_metadata *_metadata, struct vcpu *vcpu,
		      uint64_t area, bool busy, unsigned int ms,
		      uint64_t *steal, uint32_t *seq)
{
	struct phase p = {
		.stop = vm_gpa2hva(vcpu->vm, PLAT_STOP),
		.ms = ms,
		.busy = busy,
	};
	cpu_set_t old, one;
	pthread_attr_t attr;
	struct ucall uc;
	pthread_t thr;
	int cpu;

	*p.stop = 0;
	vcpu_start(vcpu, GUEST_FN(guest_sta_spin), area, 0);
	ASSERT_EQ(0, pthread_getaffinity_np(pthread_self(), sizeof(old),
					    &old));
	cpu = sched_getcpu();
	ASSERT_LE(0, cpu);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ASSERT_EQ(0, pthread_setaffinity_np(pthread_self(), sizeof(one),
					    &one));
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setaffinity_np(&attr, sizeof(one), &one));
	ASSERT_EQ(0, pthread_create(&thr, &attr, phase_fn, &p));
	ucall_retry(vcpu, UCALL_REPORT, &uc);
	pthread_join(thr, NULL);
	pthread_attr_destroy(&attr);
	ASSERT_EQ(0, pthread_setaffinity_np(pthread_self(), sizeof(old),
					    &old));
	*steal = uc.args[1];
	*seq = uc.args[2];
	ucall_retry(vcpu, UCALL_DONE, &uc);
}

/*
 * Steal time grows while a host thread competes with the vCPU thread for
 * its CPU, and hardly at all without one; the guest reads it consistently
 * (even sequence).  Unregistered, the area is no longer written.
 */
TEST(sta_steal_time)
{
	uint64_t steal1, steal2, steal3, t0;
	volatile struct sta_area *area;
	uint32_t seq1, seq2, seq3;
	struct vcpu *vcpu;
	struct vm *vm;
	int i;

	vcpu = STA_VCPU(vm);
	area = vm_gpa2hva(vm, PLAT_STA_AREA);
	t0 = now_ns();
	ASSERT_EQ(SBI_SUCCESS, set_shmem(vcpu, PLAT_STA_AREA, 0, 0));

	sta_phase(_metadata, vcpu, PLAT_STA_AREA, true, 200, &steal1, &seq1);
	t0 = now_ns() - t0;
	TH_LOG("200 ms overcommitted (%lu ms in all): steal %lu us, sequence %u",
	       (unsigned long)(t0 / NS_PER_MS), (unsigned long)steal1 / 1000,
	       seq1);
	EXPECT_EQ(0, seq1 & 1);
	EXPECT_LE(2, seq1);
	/* About half of it on an otherwise idle CPU; want a tenth. */
	EXPECT_LE(20 * NS_PER_MS, steal1);
	/* Waits while registered: never more than the time that passed. */
	EXPECT_GE(t0, steal1);
	EXPECT_LE(seq1, area->sequence);
	EXPECT_LE(steal1, area->steal);

	sta_phase(_metadata, vcpu, PLAT_STA_AREA, false, 100, &steal2, &seq2);
	TH_LOG("100 ms alone: steal grew by %lu us, sequence %u",
	       (unsigned long)(steal2 - steal1) / 1000, seq2);
	EXPECT_EQ(0, seq2 & 1);
	EXPECT_LE(seq1, seq2);
	EXPECT_LE(steal1, steal2);
	/*
	 * Near 0 on a quiet test host, but the host kernel's own work on
	 * that CPU (slow under a loaded QEMU) counts too, in both phases:
	 * what the busy thread adds (about 100 ms) is the margin.
	 */
	EXPECT_GT(steal1, steal2 - steal1);

	/* Unregistered: a loaded vCPU no longer touches it. */
	sbi_loop(vcpu);
	ASSERT_EQ(SBI_SUCCESS, set_shmem(vcpu, STA_NONE, STA_NONE, 0));
	memset((void *)area, 0x42, sizeof(*area));
	sta_phase(_metadata, vcpu, 0, true, 50, &steal3, &seq3);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0x42, ((volatile uint8_t *)area)[i]);
	EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO));
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * ONE_REG save/restore: shmem_lo/shmem_hi of a vCPU that registered an
 * area, written into a fresh VM's vCPU, make that vCPU update the area
 * at that address (not zeroed: the guest's values go on); -1 turns it
 * off again.
 */
TEST(sta_onereg_restore)
{
	volatile struct sta_area *area;
	struct vcpu *vcpu, *fresh;
	struct vm *vm, *vm2;
	uint64_t lo, hi, steal;
	uint32_t seq;
	int i;

	vcpu = STA_VCPU(vm);
	ASSERT_EQ(SBI_SUCCESS, set_shmem(vcpu, PLAT_STA_AREA, 0, 0));
	lo = vcpu_get_reg(vcpu, STA_LO);
	hi = vcpu_get_reg(vcpu, STA_HI);
	EXPECT_EQ(PLAT_STA_AREA, lo);
	EXPECT_EQ(0, hi);
	vcpu_free(vcpu);
	vm_free(vm);

	vm2 = vm_create();
	fresh = vcpu_create(vm2, 0);
	area = vm_gpa2hva(vm2, PLAT_STA_AREA);
	memset((void *)area, 0, sizeof(*area));
	area->sequence = 0x100;
	area->steal = 0x1000;
	vcpu_set_reg(fresh, STA_LO, lo);
	vcpu_set_reg(fresh, STA_HI, hi);
	EXPECT_EQ(lo, vcpu_get_reg(fresh, STA_LO));
	sta_phase(_metadata, fresh, PLAT_STA_AREA, false, 1, &steal, &seq);
	TH_LOG("restored: sequence 0x%x, steal 0x%lx", seq,
	       (unsigned long)steal);
	EXPECT_EQ(0, seq & 1);
	EXPECT_LT(0x100, seq);
	EXPECT_LE(0x1000, steal);

	vcpu_set_reg(fresh, STA_LO, STA_NONE);
	memset((void *)area, 0x31, sizeof(*area));
	sta_phase(_metadata, fresh, 0, false, 1, &steal, &seq);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0x31, ((volatile uint8_t *)area)[i]);
	vcpu_free(fresh);
	vm_free(vm2);
}

/*
 * An area that leaves the guest's memory: its memslot deleted, the VMM's
 * mapping behind it unmapped, an address ONE_REG set outside any slot.
 * Nothing is written where the guest's memory no longer is, the area is
 * unregistered (shmem_lo reads -1), the guest runs on.  kvm.ko WARNs on
 * each of these (kvm_riscv_vcpu_record_steal_time()), a host kernel
 * splat: rvhv only.
 */
TEST(sta_area_leaves_memory)
{
	const uint64_t gpa = GUEST_EXTRA, size = 0x10000;
	const uint64_t gpa3 = GUEST_EXTRA + 0x200000;
	static const uint64_t bad[] = {
		GUEST_MMIO_BASE, GUEST_EXTRA + 0x200000 + 0x10000 - 8, -16UL,
		1, GUEST_EXTRA + 0x100000,
	};
	volatile uint8_t *mem;
	struct vcpu *vcpu;
	struct vm *vm;
	unsigned int i;

	if (dev_is_kvm())
		SKIP(return, "kvm.ko 6.12 WARNs when a steal-time area leaves guest memory");
	vcpu = STA_VCPU(vm);

	/* The memslot deleted, the VMM's memory still there. */
	mem = vm_add_mem(vm, 1, gpa, size, 0);
	ASSERT_EQ(SBI_SUCCESS, set_shmem(vcpu, gpa + 0x40, 0, 0));
	ASSERT_EQ(0, vm_set_region_try(vm, 1, 0, gpa, 0, (void *)mem));
	memset((void *)mem, 0x24, size);
	EXPECT_EQ(1, probe(vcpu, SBI_EXT_STA));
	for (i = 0; i < 256; i++)
		EXPECT_EQ(0x24, mem[i]);
	EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS, set_shmem(vcpu, gpa + 0x40, 0, 0));

	/* The slot there, the VMM's memory behind it unmapped. */
	mem = vm_add_mem(vm, 1, gpa, size, 0);
	ASSERT_EQ(SBI_SUCCESS, set_shmem(vcpu, gpa + 0x80, 0, 0));
	ASSERT_EQ(0, munmap((void *)mem, size));
	EXPECT_EQ(1, probe(vcpu, SBI_EXT_STA));
	EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO));
	EXPECT_EQ(SBI_ERR_FAILED, set_shmem(vcpu, gpa + 0x80, 0, 0));

	/* ONE_REG takes any address; one outside RAM ends unregistered. */
	mem = vm_add_mem(vm, 3, gpa3, size, 0);
	memset((void *)mem, 0x24, size);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vcpu_set_reg(vcpu, STA_LO, bad[i]);
		EXPECT_EQ(1, probe(vcpu, SBI_EXT_STA));
		EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO))
			TH_LOG("shmem_lo 0x%lx", (unsigned long)bad[i]);
	}
	for (i = 0; i < size; i++)
		if (mem[i] != 0x24)
			break;
	EXPECT_EQ(size, i);
	vcpu_free(vcpu);
	vm_free(vm);
}

/* vCPU @id of @vm with SUSP enabled (before its first run); NULL without. */
static struct vcpu *susp_vcpu(struct vm *vm, unsigned int id)
{
	struct vcpu *vcpu = vcpu_create(vm, id);
	uint64_t one = 1;

	if (vcpu_set_reg_try(vcpu, SUSP_EXT, &one)) {
		vcpu_free(vcpu);
		return NULL;
	}
	return vcpu;
}

#define NO_SUSP "no SBI SUSP on %s (kvm.ko has it from Linux 6.13)"

static void set_mp(struct vcpu *vcpu, unsigned int state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp))
		vm_fail("KVM_SET_MP_STATE: %s", strerror(errno));
}

/* Off by default (as kvm.ko): not probed, SBI_ERR_NOT_SUPPORTED. */
TEST(susp_off_by_default)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0), *on;
	uint64_t *list, v;
	int n;

	if (vcpu_get_reg_try(vcpu, SUSP_EXT, &v)) {
		EXPECT_EQ(ENOENT, errno);
		vcpu_free(vcpu);
		vm_free(vm);
		SKIP(return, NO_SUSP, rvhv_dev_path());
	}
	EXPECT_EQ(0, v);
	n = vcpu_get_reg_list(vcpu, &list);
	EXPECT_TRUE(reg_list_has(list, n, SUSP_EXT));
	free(list);
	sbi_loop(vcpu);
	EXPECT_EQ(0, probe(vcpu, SBI_EXT_SUSP));
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED,
		  sbi_err(vcpu, SBI_EXT_SUSP, SBI_SUSP_SYSTEM_SUSPEND, 0,
			  GUEST_FN(guest_susp_resume), 0, NULL));
	vcpu_free(vcpu);
	vm_free(vm);

	vm = vm_create();
	on = susp_vcpu(vm, 0);
	ASSERT_NE(NULL, on);
	EXPECT_EQ(1, vcpu_get_reg(on, SUSP_EXT));
	sbi_loop(on);
	EXPECT_EQ(1, probe(on, SBI_EXT_SUSP));
	vcpu_free(on);
	vm_free(vm);
}

/*
 * Errors, each returned to the guest without an exit: an unknown
 * function, a sleep type other than 0 (suspend to RAM), a resume address
 * outside RAM, another vCPU not stopped (SBI_ERR_DENIED).
 */
TEST(susp_errors)
{
	const uint64_t resume = GUEST_FN(guest_susp_resume);
	struct vm *vm = vm_create();
	struct vcpu *vcpu = susp_vcpu(vm, 0), *other;

	if (!vcpu) {
		vm_free(vm);
		SKIP(return, NO_SUSP, rvhv_dev_path());
	}
	other = vcpu_create(vm, 1);	/* STOPPED: a second vCPU starts so */
	sbi_loop(vcpu);
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED,
		  sbi_err(vcpu, SBI_EXT_SUSP, 1, 0, resume, 0, NULL));
	EXPECT_EQ(SBI_ERR_INVALID_PARAM,
		  sbi_err(vcpu, SBI_EXT_SUSP, SBI_SUSP_SYSTEM_SUSPEND, 1,
			  resume, 0, NULL));
	EXPECT_EQ(SBI_ERR_INVALID_PARAM,
		  sbi_err(vcpu, SBI_EXT_SUSP, SBI_SUSP_SYSTEM_SUSPEND,
			  0x80000000UL, resume, 0, NULL));
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS,
		  sbi_err(vcpu, SBI_EXT_SUSP, SBI_SUSP_SYSTEM_SUSPEND, 0,
			  GUEST_MMIO_BASE, 0, NULL));
	set_mp(other, KVM_MP_STATE_RUNNABLE);
	EXPECT_EQ(SBI_ERR_DENIED,
		  sbi_err(vcpu, SBI_EXT_SUSP, SBI_SUSP_SYSTEM_SUSPEND, 0,
			  resume, 0, NULL));
	vcpu_free(other);
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * Alone (the other vCPU stopped), system_suspend exits to the VMM
 * (KVM_EXIT_RISCV_SBI, the call's ids and arguments, pc still on the
 * ecall); the next KVM_RUN resumes the caller at resume_addr, reset:
 * a0 = its hartid, a1 = opaque, satp 0, interrupts off, sscratch 0, its
 * steal-time area unregistered.
 */
TEST(susp_suspend_resume)
{
	const uint64_t resume = GUEST_FN(guest_susp_resume);
	const unsigned long args[6] = { 0, resume, 0xfeedbeefUL, 4, 5, 6 };
	struct vm *vm = vm_create();
	struct vcpu *vcpu = susp_vcpu(vm, 2), *v0;
	struct kvm_run *run;
	uint64_t pc, sta, tmp;
	struct ucall uc;
	long err, val;

	if (!vcpu) {
		vm_free(vm);
		SKIP(return, NO_SUSP, rvhv_dev_path());
	}
	run = vcpu->run;
	v0 = vcpu_create(vm, 0);
	set_mp(v0, KVM_MP_STATE_STOPPED);
	set_mp(vcpu, KVM_MP_STATE_RUNNABLE);
	sbi_loop(vcpu);
	sta = vcpu_get_reg_try(vcpu, STA_EXT, &tmp) ? 0 : PLAT_STA_AREA;
	if (sta)
		ASSERT_EQ(SBI_SUCCESS, set_shmem(vcpu, sta, 0, 0));
	vcpu_set_reg(vcpu, RISCV_CSR_REG(sscratch), 0x5c5c);

	ASSERT_EQ(1, vcpu_sbi_call6(vcpu, SBI_EXT_SUSP,
				    SBI_SUSP_SYSTEM_SUSPEND, args, &err, &val));
	ASSERT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason)
		vcpu_dump(vcpu, "system_suspend");
	EXPECT_EQ(SBI_EXT_SUSP, run->riscv_sbi.extension_id);
	EXPECT_EQ(SBI_SUSP_SYSTEM_SUSPEND, run->riscv_sbi.function_id);
	EXPECT_EQ(0, run->riscv_sbi.args[0]);
	EXPECT_EQ(resume, run->riscv_sbi.args[1]);
	EXPECT_EQ(0xfeedbeefUL, run->riscv_sbi.args[2]);
	pc = vcpu_get_reg(vcpu, CORE_PC);
	EXPECT_EQ(0x00000073, *(uint32_t *)vm_gpa2hva(vm, pc));	/* ecall */

	/* The VMM's wake-up: KVM_RUN (its answer cannot fail the call). */
	run->riscv_sbi.ret[0] = SBI_SUCCESS;
	run->riscv_sbi.ret[1] = 0;
	ucall_retry(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(PLAT_RESUMED, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]);			/* a0: hartid */
	EXPECT_EQ(0xfeedbeefUL, uc.args[2]);		/* a1: opaque */
	EXPECT_EQ(0, uc.args[3]);			/* satp */
	EXPECT_EQ(0, uc.args[4] & 0x2);			/* sstatus.SIE */
	EXPECT_LE(resume, uc.pc);			/* its ecall */
	EXPECT_GT(resume + 40, uc.pc);
	EXPECT_EQ(0, vcpu_get_reg(vcpu, RISCV_CSR_REG(sscratch)));
	if (sta)
		EXPECT_EQ(STA_NONE, vcpu_get_reg(vcpu, STA_LO));
	ucall_retry(vcpu, UCALL_DONE, &uc);
	EXPECT_EQ(0, uc.args[0]);
	vcpu_free(v0);
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
