// SPDX-License-Identifier: GPL-2.0
/*
 * vm_lib: create VMs and vCPUs on /dev/rvhv (or $RVHV_DEV), load the guest
 * payload, run it and serve its ucalls.  See vm_lib.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vm_lib.h"

#define KSFT_FAIL 1

/* The payload, embedded by guest_blob.S. */
extern const char guest_blob[], guest_blob_end[];

void vm_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# vm_lib: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	exit(KSFT_FAIL);
}

bool dev_is_kvm(void)
{
	const char *p = rvhv_dev_path();
	size_t n = strlen(p);

	return n >= 3 && !strcmp(p + n - 3, "kvm");
}

const char *exit_reason_str(unsigned int reason)
{
	static char buf[32];

	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "KVM_EXIT_UNKNOWN";
	case KVM_EXIT_DEBUG: return "KVM_EXIT_DEBUG";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTR: return "KVM_EXIT_INTR";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
	case KVM_EXIT_RISCV_SBI: return "KVM_EXIT_RISCV_SBI";
	case KVM_EXIT_RISCV_CSR: return "KVM_EXIT_RISCV_CSR";
	case KVM_EXIT_MEMORY_FAULT: return "KVM_EXIT_MEMORY_FAULT";
	}
	snprintf(buf, sizeof(buf), "exit %u", reason);
	return buf;
}

int vm_dev_open(void)
{
	int fd = rvhv_open_dev(O_RDWR);

	if (fd < 0)
		vm_fail("open %s: %s", rvhv_dev_path(), strerror(errno));
	return fd;
}

struct vm *vm_create_empty(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		vm_fail("out of memory");
	vm->dev_fd = vm_dev_open();
	vm->fd = ioctl(vm->dev_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		vm_fail("KVM_CREATE_VM: %s", strerror(errno));
	vm->run_size = ioctl(vm->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (long)sizeof(struct kvm_run))
		vm_fail("KVM_GET_VCPU_MMAP_SIZE: %ld (%s)", vm->run_size,
			strerror(errno));
	return vm;
}

struct vm *vm_create(void)
{
	struct vm *vm = vm_create_empty();
	size_t len = guest_blob_end - guest_blob;

	if (len > GUEST_DATA - GUEST_BASE)
		vm_fail("guest payload of %zu bytes does not fit", len);
	vm->ram = vm_add_mem(vm, 0, GUEST_BASE, GUEST_RAM_SIZE, 0);
	memcpy(vm->ram, guest_blob, len);
	return vm;
}

void vm_free(struct vm *vm)
{
	int i;

	close(vm->fd);
	close(vm->dev_fd);
	for (i = 0; i < VM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].hva)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm);
}

long vm_check_cap(struct vm *vm, long cap)
{
	long r = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap);

	if (r < 0)
		vm_fail("KVM_CHECK_EXTENSION(%ld): %s", cap, strerror(errno));
	return r;
}

void *vm_alloc(size_t size, size_t align)
{
	size_t len = size + (align > PAGE_SIZE_4K ? align : 0);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t start, end;

	if (p == MAP_FAILED)
		vm_fail("mmap %zu bytes: %s", len, strerror(errno));
	if (align <= PAGE_SIZE_4K)
		return p;
	/* Trim to an aligned [start, start + size). */
	start = ((uintptr_t)p + align - 1) & ~(align - 1);
	end = start + size;
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if ((uintptr_t)p + len > end)
		munmap((void *)end, (uintptr_t)p + len - end);
	return (void *)start;
}

static void track_slot(struct vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size, void *hva)
{
	struct vm_slot *s, *free_s = NULL;
	int i;

	for (i = 0; i < VM_MAX_SLOTS; i++) {
		s = &vm->slots[i];
		if (s->used && s->slot == slot)
			break;
		if (!s->used && !free_s)
			free_s = s;
	}
	if (i == VM_MAX_SLOTS)
		s = free_s;
	if (!s)
		return;		/* only lookups suffer */
	if (!size) {
		s->used = false;
		return;
	}
	*s = (struct vm_slot){ true, slot, flags, gpa, size, hva };
}

int vm_set_region_try(struct vm *vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		return -errno;
	track_slot(vm, slot, flags, gpa, size, hva);
	return 0;
}

int vm_set_region2_try(struct vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION2, &r))
		return -errno;
	track_slot(vm, slot, flags, gpa, size, hva);
	return 0;
}

void vm_set_region(struct vm *vm, uint32_t slot, uint32_t flags,
		   uint64_t gpa, uint64_t size, void *hva)
{
	int r = vm_set_region_try(vm, slot, flags, gpa, size, hva);

	if (r)
		vm_fail("KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%llx size 0x%llx: %s",
			slot, (unsigned long long)gpa,
			(unsigned long long)size, strerror(-r));
}

void *vm_add_mem(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		 uint32_t flags)
{
	void *p = vm_alloc(size, PAGE_SIZE_4K);

	vm_set_region(vm, slot, flags, gpa, size, p);
	return p;
}

void *vm_gpa2hva(struct vm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < VM_MAX_SLOTS; i++) {
		struct vm_slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return (char *)s->hva + (gpa - s->gpa);
	}
	vm_fail("no memslot holds GPA 0x%llx", (unsigned long long)gpa);
}

int vcpu_create_try(struct vm *vm, unsigned long id)
{
	int fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);

	return fd < 0 ? -errno : fd;
}

struct vcpu *vcpu_create(struct vm *vm, unsigned int id)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));

	if (!vcpu)
		vm_fail("out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = vcpu_create_try(vm, id);
	if (vcpu->fd < 0)
		vm_fail("KVM_CREATE_VCPU %u: %s", id, strerror(-vcpu->fd));
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		vm_fail("mmap of the vCPU's kvm_run: %s", strerror(errno));
	return vcpu;
}

void vcpu_free(struct vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->vm->run_size);
	close(vcpu->fd);
	free(vcpu);
}

int vcpu_get_reg_try(struct vcpu *vcpu, uint64_t id, void *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) ? -errno : 0;
}

int vcpu_set_reg_try(struct vcpu *vcpu, uint64_t id, const void *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) ? -errno : 0;
}

uint64_t vcpu_get_reg(struct vcpu *vcpu, uint64_t id)
{
	uint64_t v = 0;
	uint32_t v32 = 0;
	int r;

	if (KVM_REG_SIZE(id) == 4) {
		r = vcpu_get_reg_try(vcpu, id, &v32);
		v = v32;
	} else if (KVM_REG_SIZE(id) == 8) {
		r = vcpu_get_reg_try(vcpu, id, &v);
	} else {
		vm_fail("vcpu_get_reg: register 0x%llx is not 4 or 8 bytes",
			(unsigned long long)id);
	}
	if (r)
		vm_fail("KVM_GET_ONE_REG 0x%llx: %s", (unsigned long long)id,
			strerror(-r));
	return v;
}

void vcpu_set_reg(struct vcpu *vcpu, uint64_t id, uint64_t val)
{
	uint32_t v32 = val;
	int r;

	if (KVM_REG_SIZE(id) == 4)
		r = vcpu_set_reg_try(vcpu, id, &v32);
	else if (KVM_REG_SIZE(id) == 8)
		r = vcpu_set_reg_try(vcpu, id, &val);
	else
		vm_fail("vcpu_set_reg: register 0x%llx is not 4 or 8 bytes",
			(unsigned long long)id);
	if (r)
		vm_fail("KVM_SET_ONE_REG 0x%llx = 0x%llx: %s",
			(unsigned long long)id, (unsigned long long)val,
			strerror(-r));
}

int vcpu_get_reg_list(struct vcpu *vcpu, uint64_t **list)
{
	struct kvm_reg_list probe = { .n = 0 }, *l;
	int n;

	if (!ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe) || errno != E2BIG)
		vm_fail("KVM_GET_REG_LIST with n = 0: want E2BIG, got %s",
			strerror(errno));
	n = probe.n;
	l = calloc(1, sizeof(*l) + n * sizeof(uint64_t));
	if (!l)
		vm_fail("out of memory");
	l->n = n;
	if (ioctl(vcpu->fd, KVM_GET_REG_LIST, l))
		vm_fail("KVM_GET_REG_LIST with n = %d: %s", n, strerror(errno));
	*list = malloc(n * sizeof(uint64_t));
	if (!*list)
		vm_fail("out of memory");
	memcpy(*list, l->reg, n * sizeof(uint64_t));
	free(l);
	return n;
}

bool reg_list_has(const uint64_t *list, int n, uint64_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

/*
 * KVM completes a pending MMIO load or forwarded SBI call (rd or a0/a1
 * written, sepc advanced) at the start of the next KVM_RUN, whatever pc
 * userspace set meanwhile.  Complete it now, with immediate_exit, so that
 * the registers set next are the ones the guest starts with.
 */
static void vcpu_complete_pending(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	if (run->exit_reason != KVM_EXIT_MMIO &&
	    run->exit_reason != KVM_EXIT_RISCV_SBI &&
	    run->exit_reason != KVM_EXIT_RISCV_CSR)
		return;
	run->immediate_exit = 1;
	r = vcpu_run_try(vcpu);
	run->immediate_exit = 0;
	if (r != -EINTR)
		vcpu_fail(vcpu, "KVM_RUN with immediate_exit: %s",
			  strerror(-r));
}

void vcpu_start(struct vcpu *vcpu, uint64_t fn, uint64_t arg0, uint64_t arg1)
{
	vcpu_complete_pending(vcpu);
	vcpu_set_reg(vcpu, CORE_PC, GUEST_ENTRY);
	vcpu_set_reg(vcpu, CORE_A0, arg0);
	vcpu_set_reg(vcpu, CORE_A1, arg1);
	vcpu_set_reg(vcpu, CORE_A2, fn);
	vcpu_set_reg(vcpu, CORE_MODE, KVM_RISCV_MODE_S);
}

int vcpu_run_try(struct vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0) ? -errno : 0;
}

void vcpu_run(struct vcpu *vcpu)
{
	int r = vcpu_run_try(vcpu);

	if (r)
		vcpu_fail(vcpu, "KVM_RUN: %s", strerror(-r));
}

static void print_reg(struct vcpu *vcpu, const char *name, uint64_t id)
{
	uint64_t v;

	if (vcpu_get_reg_try(vcpu, id, &v))
		fprintf(stderr, "#   %-8s (unreadable: %s)\n", name,
			strerror(errno));
	else
		fprintf(stderr, "#   %-8s 0x%llx\n", name,
			(unsigned long long)v);
}

void vcpu_dump(struct vcpu *vcpu, const char *why)
{
	struct kvm_run *run = vcpu->run;

	fflush(stdout);
	fprintf(stderr, "# vCPU %u: %s\n", vcpu->id, why);
	fprintf(stderr, "#   exit_reason %s (%u)\n",
		exit_reason_str(run->exit_reason), run->exit_reason);
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		fprintf(stderr, "#   mmio %s phys_addr 0x%llx len %u\n",
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr,
			run->mmio.len);
		break;
	case KVM_EXIT_RISCV_SBI:
		fprintf(stderr,
			"#   sbi ext 0x%lx fid %lu args 0x%lx 0x%lx 0x%lx 0x%lx\n",
			run->riscv_sbi.extension_id,
			run->riscv_sbi.function_id, run->riscv_sbi.args[0],
			run->riscv_sbi.args[1], run->riscv_sbi.args[2],
			run->riscv_sbi.args[3]);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		fprintf(stderr, "#   system_event type %u ndata %u\n",
			run->system_event.type, run->system_event.ndata);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fprintf(stderr, "#   internal error suberror %u\n",
			run->internal.suberror);
		break;
	}
	print_reg(vcpu, "pc", CORE_PC);
	print_reg(vcpu, "ra", CORE_RA);
	print_reg(vcpu, "sp", CORE_SP);
	print_reg(vcpu, "a0", CORE_A0);
	print_reg(vcpu, "mode", CORE_MODE);
	/* The guest's own trap CSRs: the last trap it took itself. */
	print_reg(vcpu, "scause", RISCV_CSR_REG(scause));
	print_reg(vcpu, "sepc", RISCV_CSR_REG(sepc));
	print_reg(vcpu, "stval", RISCV_CSR_REG(stval));
	print_reg(vcpu, "stvec", RISCV_CSR_REG(stvec));
	fflush(stderr);
}

void vcpu_fail(struct vcpu *vcpu, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vcpu_dump(vcpu, buf);
	vm_fail("%s", buf);
}

/* A NUL-terminated string of the guest, for messages. */
static const char *guest_str(struct vm *vm, unsigned long gpa)
{
	int i;

	for (i = 0; i < VM_MAX_SLOTS; i++) {
		struct vm_slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size) {
			const char *p = (char *)s->hva + (gpa - s->gpa);

			if (memchr(p, 0, s->size - (gpa - s->gpa)))
				return p;
		}
	}
	return "?";
}

bool vcpu_is_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	int i;

	if (run->exit_reason != KVM_EXIT_RISCV_SBI ||
	    run->riscv_sbi.extension_id != UCALL_EXT)
		return false;
	if (uc) {
		uc->fid = run->riscv_sbi.function_id;
		for (i = 0; i < 6; i++)
			uc->args[i] = run->riscv_sbi.args[i];
		uc->pc = 0;
		vcpu_get_reg_try(vcpu, CORE_PC, &uc->pc);
	}
	return true;
}

void vcpu_ucall_reply(struct vcpu *vcpu, long error, long value)
{
	vcpu->run->riscv_sbi.ret[0] = error;
	vcpu->run->riscv_sbi.ret[1] = value;
}

static void ucall_check(struct vcpu *vcpu, struct ucall *uc)
{
	switch (uc->fid) {
	case UCALL_ASSERT:
		vcpu_fail(vcpu,
			  "guest assertion failed at %s:%lu: %s (0x%lx, 0x%lx)",
			  guest_str(vcpu->vm, uc->args[1]), uc->args[0],
			  guest_str(vcpu->vm, uc->args[2]), uc->args[3],
			  uc->args[4]);
	case UCALL_TRAP:
		vcpu_fail(vcpu,
			  "unexpected guest trap: scause 0x%lx sepc 0x%lx stval 0x%lx",
			  uc->args[0], uc->args[1], uc->args[2]);
	}
	vcpu_ucall_reply(vcpu, SBI_SUCCESS, 0);
}

int vcpu_ucall_try(struct vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;
	int r;

	if (!uc)
		uc = &tmp;
	r = vcpu_run_try(vcpu);
	if (r)
		return r;
	if (!vcpu_is_ucall(vcpu, uc))
		return 1;
	ucall_check(vcpu, uc);
	return 0;
}

unsigned long vcpu_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;
	int r;

	if (!uc)
		uc = &tmp;
	r = vcpu_ucall_try(vcpu, uc);
	if (r < 0)
		vcpu_fail(vcpu, "KVM_RUN: %s (waiting for a ucall)",
			  strerror(-r));
	if (r > 0)
		vcpu_fail(vcpu, "unexpected exit %s (waiting for a ucall)",
			  exit_reason_str(vcpu->run->exit_reason));
	return uc->fid;
}

void vcpu_expect_ucall(struct vcpu *vcpu, unsigned long fid,
		       struct ucall *uc)
{
	struct ucall tmp;

	if (!uc)
		uc = &tmp;
	if (vcpu_ucall(vcpu, uc) != fid)
		vcpu_fail(vcpu, "ucall %lu (a0 0x%lx) where %lu was expected",
			  uc->fid, uc->args[0], fid);
}

unsigned long vcpu_run_to_done(struct vcpu *vcpu)
{
	struct ucall uc;

	while (vcpu_ucall(vcpu, &uc) != UCALL_DONE)
		;
	return uc.args[0];
}

static void vcpu_thread_sig(int sig)
{
}

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct ucall uc;
	int r;

	while (!t->stop) {
		r = vcpu_ucall_try(t->vcpu, &uc);
		if (r == -EINTR)
			continue;
		if (r < 0)
			vcpu_fail(t->vcpu, "KVM_RUN: %s", strerror(-r));
		if (r > 0)
			vcpu_fail(t->vcpu, "unexpected exit %s",
				  exit_reason_str(t->vcpu->run->exit_reason));
		if (uc.fid == UCALL_DONE) {
			t->ret = uc.args[0];
			t->done = 1;
			break;
		}
	}
	return NULL;
}

void vcpu_thread_start(struct vcpu_thread *t, struct vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = vcpu_thread_sig };

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: KVM_RUN -EINTR */
	t->vcpu = vcpu;
	t->stop = 0;
	t->done = 0;
	if (pthread_create(&t->thr, NULL, vcpu_thread_fn, t))
		vm_fail("pthread_create failed");
	t->running = 1;
}

void vcpu_thread_stop(struct vcpu_thread *t)
{
	int i;

	if (!t->running)
		return;
	t->stop = 1;
	for (i = 0; i < 1000; i++) {
		if (pthread_tryjoin_np(t->thr, NULL) == 0) {
			t->running = 0;
			return;
		}
		pthread_kill(t->thr, SIGUSR1);
		usleep(10000);
	}
	vm_fail("vCPU %u: its thread does not leave KVM_RUN on a signal",
		t->vcpu->id);
}

unsigned long vcpu_thread_join(struct vcpu_thread *t, unsigned int secs)
{
	uint64_t end = now_ns() + secs * 1000000000ULL;

	while (!t->done) {
		if (now_ns() > end) {
			/* out of KVM_RUN first: ONE_REG waits for it */
			vcpu_thread_stop(t);
			vcpu_dump(t->vcpu, "still running");
			vm_fail("vCPU %u did not finish in %u s", t->vcpu->id,
				secs);
		}
		usleep(5000);
	}
	pthread_join(t->thr, NULL);
	t->running = 0;
	return t->ret;
}

uint64_t thread_cpu_ns(pthread_t thr)
{
	struct timespec ts;
	clockid_t cid;

	if (pthread_getcpuclockid(thr, &cid) || clock_gettime(cid, &ts))
		vm_fail("thread CPU clock: %s", strerror(errno));
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *watchdog_fn(void *arg)
{
	unsigned int secs = (uintptr_t)arg;

	sleep(secs);
	vm_fail("watchdog: the test did not finish in %u s", secs);
}

void vm_watchdog(unsigned int secs)
{
	pthread_t thr;

	if (pthread_create(&thr, NULL, watchdog_fn, (void *)(uintptr_t)secs))
		vm_fail("pthread_create failed");
	pthread_detach(thr);
}

int vm_enable_cap_try(struct vm *vm, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg0 } };

	return ioctl(vm->fd, KVM_ENABLE_CAP, &c) ? -errno : 0;
}

struct cpu_probe {
	int cpu;
	volatile int woke;
};

static void *cpu_probe_fn(void *arg)
{
	struct cpu_probe *p = arg;
	struct timespec ts = { 0, 1000000 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		p->woke = 1;	/* offline: nothing to check */
		return NULL;
	}
	nanosleep(&ts, NULL);
	p->woke = 1;
	return NULL;
}

int host_wedged_cpu(unsigned int secs)
{
	int ncpus = sysconf(_SC_NPROCESSORS_CONF), cpu, bad = -1;
	struct cpu_probe *probes = calloc(ncpus, sizeof(*probes));
	pthread_t *thr = calloc(ncpus, sizeof(*thr));
	uint64_t end = now_ns() + secs * 1000000000ULL;

	if (!probes || !thr)
		vm_fail("out of memory");
	for (cpu = 0; cpu < ncpus; cpu++) {
		probes[cpu].cpu = cpu;
		if (pthread_create(&thr[cpu], NULL, cpu_probe_fn, &probes[cpu]))
			vm_fail("pthread_create failed");
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		while (!probes[cpu].woke && now_ns() < end)
			usleep(1000);
		if (!probes[cpu].woke) {
			bad = cpu;
			break;
		}
		pthread_join(thr[cpu], NULL);
	}
	/* A stuck thread keeps its probe: leak both on purpose then. */
	if (bad < 0) {
		free(probes);
		free(thr);
	}
	return bad;
}

const char *testbed_qemu(void)
{
	return getenv("RVHV_QEMU");
}

bool testbed_avoid_csr_bugs(void)
{
	const char *force = getenv("RVHV_QEMU_BUGS");

	return dev_is_kvm() && testbed_qemu() && !(force && !strcmp(force, "1"));
}

bool testbed_guest_illegal_insn_broken(void)
{
	const char *q = testbed_qemu(), *force = getenv("RVHV_QEMU_BUGS");

	return q && !strncmp(q, "10.", 3) && !(force && !strcmp(force, "1"));
}

bool host_isa_has(const char *ext)
{
	char line[4096], want[64];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	/* "isa : rv64imafdch_zicbom_..._ssaia_sstc": match "_ext_". */
	snprintf(want, sizeof(want), "_%s_", ext);
	while (!found && fgets(line, sizeof(line) - 1, f)) {
		if (strncmp(line, "isa", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		strcat(line, "_");
		found = strstr(line, want) != NULL;
	}
	fclose(f);
	return found;
}

void *vm_alloc_uffd(size_t size, int *uffd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range.len = size, .mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	void *mem;
	int fd;

	fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (ioctl(fd, UFFDIO_API, &api))
		vm_fail("UFFDIO_API: %s", strerror(errno));
	mem = vm_alloc(size, 4096);
	reg.range.start = (unsigned long)mem;
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		vm_fail("UFFDIO_REGISTER: %s", strerror(errno));
	*uffd = fd;
	return mem;
}

int uffd_wait_fault(int uffd, int ms, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1 ||
	    read(uffd, msg, sizeof(*msg)) != sizeof(*msg) ||
	    msg->event != UFFD_EVENT_PAGEFAULT)
		return -1;
	return 0;
}

int vcpu_sbi_continue(struct vcpu *vcpu, long *err, long *val)
{
	struct ucall uc;
	int r = vcpu_ucall_try(vcpu, &uc);

	if (r < 0)
		vcpu_fail(vcpu, "KVM_RUN: %s", strerror(-r));
	if (r)
		return r;
	if (uc.fid != UCALL_REPORT)
		vcpu_fail(vcpu, "ucall %lu, not a REPORT", uc.fid);
	*err = uc.args[1];
	*val = uc.args[2];
	return 0;
}

int vcpu_sbi_call6(struct vcpu *vcpu, unsigned long ext, unsigned long fid,
		   const unsigned long args[6], long *err, long *val)
{
	volatile struct guest_sbi_req *r = vm_gpa2hva(vcpu->vm,
						       GUEST_SBI_REQ);
	int i;

	r->ext = ext;
	r->fid = fid;
	for (i = 0; i < 6; i++)
		r->args[i] = args[i];
	return vcpu_sbi_continue(vcpu, err, val);
}

long vcpu_sbi_kernel(struct vcpu *vcpu, unsigned long ext, unsigned long fid,
		     unsigned long a0, unsigned long a1, unsigned long a2,
		     unsigned long a3, unsigned long a4, long *value)
{
	const unsigned long args[6] = { a0, a1, a2, a3, a4, 0 };
	long err, val;

	if (vcpu_sbi_call6(vcpu, ext, fid, args, &err, &val))
		vcpu_fail(vcpu, "SBI 0x%lx/%lu exited (%s)", ext, fid,
			  exit_reason_str(vcpu->run->exit_reason));
	if (value)
		*value = val;
	return err;
}

long vcpu_sbi_probe(struct vcpu *vcpu, unsigned long ext)
{
	long val;

	if (vcpu_sbi_kernel(vcpu, SBI_EXT_BASE, SBI_BASE_PROBE_EXT, ext,
			    0, 0, 0, 0, &val))
		vcpu_fail(vcpu, "probe_extension failed");
	return val;
}

void *efd_relay_fn(void *arg)
{
	struct efd_relay *t = arg;
	uint64_t v;

	while (!t->stop) {
		if (read(t->kick, &v, sizeof(v)) != sizeof(v))
			continue;
		t->kicks++;
		v = 1;
		if (write(t->irq, &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

void cmd_start(struct cmd_vm *c)
{
	c->vm = vm_create();
	c->vcpu = vcpu_create(c->vm, 0);
	vcpu_start(c->vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
	vcpu_expect_ucall(c->vcpu, UCALL_SYNC, NULL);
}

int cmd_continue(struct cmd_vm *c, uint64_t *res)
{
	struct ucall uc;
	int r = vcpu_ucall_try(c->vcpu, &uc);

	if (r)
		return r;
	if (uc.fid != UCALL_REPORT)
		vcpu_fail(c->vcpu, "ucall %lu, not a REPORT", uc.fid);
	if (res)
		*res = uc.args[1];
	return 0;
}

int cmd(struct cmd_vm *c, unsigned long op, uint64_t addr, uint64_t val,
	uint64_t n, uint64_t *res)
{
	volatile struct guest_cmd *gc = vm_gpa2hva(c->vm, GUEST_CMD);

	gc->op = op;
	gc->addr = addr;
	gc->val = val;
	gc->n = n;
	return cmd_continue(c, res);
}

uint64_t cmd_ok(struct cmd_vm *c, unsigned long op, uint64_t addr,
		uint64_t val, uint64_t n)
{
	uint64_t res = 0;
	int r = cmd(c, op, addr, val, n, &res);

	if (r < 0)
		vcpu_fail(c->vcpu, "command %lu at 0x%llx: KVM_RUN: %s", op,
			  (unsigned long long)addr, strerror(-r));
	if (r > 0)
		vcpu_fail(c->vcpu, "command %lu at 0x%llx: exit %s", op,
			  (unsigned long long)addr,
			  exit_reason_str(c->vcpu->run->exit_reason));
	return res;
}

long anon_huge_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long lo, hi;
	int in = 0;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

void vcpu_state_save(struct vcpu *vcpu, struct vcpu_state *s)
{
	int i, r;

	s->n = vcpu_get_reg_list(vcpu, &s->ids);
	s->vals = calloc(s->n, sizeof(*s->vals));
	if (!s->vals)
		vm_fail("out of memory");
	for (i = 0; i < s->n; i++) {
		r = vcpu_get_reg_try(vcpu, s->ids[i], &s->vals[i]);
		if (r)
			vcpu_fail(vcpu, "save: get 0x%llx: %s",
				  (unsigned long long)s->ids[i], strerror(-r));
	}
	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &s->mp))
		vcpu_fail(vcpu, "save: KVM_GET_MP_STATE: %s", strerror(errno));
}

int vcpu_state_restore(struct vcpu *vcpu, const struct vcpu_state *s)
{
	const uint64_t state = RISCV_TIMER_REG(state);
	int i, r, bad = 0;

	for (i = 0; i < s->n; i++) {
		if (s->ids[i] == state &&
		    (s->vals[i] == KVM_RISCV_TIMER_STATE_OFF || dev_is_kvm()))
			continue;
		r = vcpu_set_reg_try(vcpu, s->ids[i], &s->vals[i]);
		if (r) {
			fprintf(stderr, "# restore: set 0x%llx = 0x%llx: %s\n",
				(unsigned long long)s->ids[i],
				(unsigned long long)s->vals[i], strerror(-r));
			bad++;
		}
	}
	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &s->mp)) {
		fprintf(stderr, "# restore: KVM_SET_MP_STATE: %s\n",
			strerror(errno));
		bad++;
	}
	return bad;
}

uint64_t vcpu_state_reg(const struct vcpu_state *s, uint64_t id)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return s->vals[i];
	vm_fail("saved state has no register 0x%llx", (unsigned long long)id);
}

void vcpu_state_free(struct vcpu_state *s)
{
	free(s->ids);
	free(s->vals);
	s->ids = NULL;
	s->vals = NULL;
}

long vcpu_stat(struct vcpu *vcpu, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsize;
	long ret = -1;
	uint64_t v;
	char *descs;
	uint32_t i;
	int fd;

	if (dev_is_kvm())
		return -1;
	fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, 0);
	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
		vm_fail("KVM_GET_STATS_FD");
	dsize = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	if (!descs || pread(fd, descs, h.num_desc * dsize, h.desc_offset) !=
	    (ssize_t)(h.num_desc * dsize))
		vm_fail("stats descriptors");
	for (i = 0; i < h.num_desc; i++) {
		d = (void *)(descs + i * dsize);
		if (strcmp(d->name, name))
			continue;
		if (pread(fd, &v, 8, h.data_offset + d->offset) == 8)
			ret = v;
		break;
	}
	free(descs);
	close(fd);
	return ret;
}
