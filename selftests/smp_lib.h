/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of the SMP/timer guests (guest/smp.c, guest/timer.c): a VM of
 * n vCPUs (ids 0..n-1) sharing struct smp_shared, vCPU 0 run by the
 * test's thread, the others each in a vcpu_thread.  Header-only, shared
 * by smp_test, timer_test and batch_test.
 */
#ifndef SMP_LIB_H
#define SMP_LIB_H

#include <sys/ioctl.h>
#include <linux/rvhv.h>

#include "vm_lib.h"
#include "guest/smp_abi.h"

struct smp_vm {
	struct vm *vm;
	int n;
	struct vcpu *vcpu[SMP_MAX_HARTS];
	struct vcpu_thread thr[SMP_MAX_HARTS];
	volatile struct smp_shared *sh;
	uint64_t freq;
};

static inline void smp_vm_create(struct smp_vm *s, int n)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->vm = vm_create();
	s->n = n;
	for (i = 0; i < n; i++)
		s->vcpu[i] = vcpu_create(s->vm, i);
	s->sh = vm_gpa2hva(s->vm, SMP_SHARED);
	s->freq = vcpu_get_reg(s->vcpu[0], RISCV_TIMER_REG(frequency));
	s->sh->freq = s->freq;
	s->sh->nr_harts = n;
}

/* Run the secondaries (stopped until HSM starts them) in their threads. */
static inline void smp_vm_start_secondaries(struct smp_vm *s)
{
	int i;

	for (i = 1; i < s->n; i++)
		vcpu_thread_start(&s->thr[i], s->vcpu[i]);
}

static inline void smp_vm_free(struct smp_vm *s)
{
	int i;

	if (!s->vm)
		return;
	for (i = 0; i < s->n; i++)
		vcpu_thread_stop(&s->thr[i]);
	for (i = 0; i < s->n; i++)
		vcpu_free(s->vcpu[i]);
	vm_free(s->vm);
	s->vm = NULL;
}

static inline int vcpu_mp_state(struct vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp))
		return -errno;
	return mp.mp_state;
}

static inline int vcpu_set_mp_state(struct vcpu *vcpu, unsigned int state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) ? -errno : 0;
}

static inline int vcpu_irq(struct vcpu *vcpu, unsigned int irq)
{
	struct kvm_interrupt i = { .irq = irq };

	return ioctl(vcpu->fd, KVM_INTERRUPT, &i) ? -errno : 0;
}

/* Does the guest have Sstc (ONE_REG ISA_EXT)? */
static inline bool vcpu_has_sstc(struct vcpu *vcpu)
{
	uint64_t v = 0;

	return !vcpu_get_reg_try(vcpu, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SSTC),
				 &v) && v;
}

/* Wait up to secs seconds for *p == v; false on timeout. */
static inline bool wait_eq(volatile unsigned long *p, unsigned long v,
			   unsigned int secs)
{
	uint64_t end = now_ns() + secs * 1000000000ULL;

	while (*p != v) {
		if (now_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* CPU time a thread uses while the test sleeps ms milliseconds. */
static inline uint64_t cpu_ns_over(pthread_t thr, unsigned int ms)
{
	uint64_t t0 = thread_cpu_ns(thr);

	usleep(ms * 1000);
	return thread_cpu_ns(thr) - t0;
}

/* A sleeping vCPU may use at most this much CPU per second (QEMU, TCG). */
#define IDLE_CPU_MAX_NS		(100 * 1000000ULL)

#endif /* SMP_LIB_H */
