// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile VMM: a randomized sequence of KVM ioctls and host memory
 * events against the device, from a seed, in the style of syzkaller.  The
 * device may refuse anything with an errno; what it may never do is hurt
 * the host: every KVM_RUN must come back (signals end it), every host CPU
 * must keep taking timer interrupts (host_wedged_cpu(), and the test
 * host's own CPU watchdog), and the kernel log must stay free of splats
 * (the test runner fails the run on any).
 *
 * What it does, with weights (see fuzz_ops[]): creating and closing VMs
 * and vCPUs; memslots created, moved, resized and deleted with random
 * slots, flags, addresses and sizes; munmap/mremap-like holes, madvise
 * and mprotect on the memory behind them; ONE_REG reads and writes of
 * random ids and sizes and of every known register class with random
 * values (CSRs and TIMER included: that is how a CPU was once wedged);
 * KVM_RUN on the calling thread or on a second thread while the first
 * changes memslots; KVM_INTERRUPT, MP_STATE, ENABLE_CAP, CHECK_EXTENSION,
 * KVM_GET_REG_LIST with random sizes, KVM_SET_GUEST_DEBUG with random
 * control words (guest ebreaks then exit), the vCPU mmap at random offsets,
 * KVM_IOEVENTFD, KVM_IRQFD and KVM_IRQ_LINE with random arguments (some of
 * them where the guest stores, while it runs), RVHV_CAP_IRQ_LINES on and
 * off, eventfds signalled, dirty logging (dirty rings of random sizes
 * enabled on new VMs, KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG and
 * KVM_RESET_DIRTY_RINGS with random arguments, ring entries scribbled
 * over), random ioctl numbers, and fork (the child's ioctls must fail
 * with EIO).
 * The guest runs small snippets (loops, ecall, wfi, ebreak, loads and stores to
 * random addresses, CSR writes, privileged instructions) with random
 * registers, so SBI calls carry random extension and function ids.
 *
 * Environment: RVHV_FUZZ_SEED (default 1; "random" takes the time),
 * RVHV_FUZZ_OPS (default 10000), RVHV_FUZZ_LOG=1 prints every operation.
 * The seed is printed first: RVHV_FUZZ_SEED=<it> replays the sequence
 * (the interleaving of the two threads of a concurrent run may differ).
 *
 * On kvm.ko under QEMU the two inputs that hit QEMU defects (sstatus bits
 * beyond sstatus, unimplemented satp modes; see wedge_test.c) are masked
 * there, and nothing else.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define MAX_VMS		3
#define MAX_VCPUS	4	/* per VM, ids 0..7 */
#define NR_POOL		4
#define NR_EFDS		4
#define POOL_SIZE	(4UL << 20)
#define GPA_BASE	0x80000000UL
#define HEALTH_EVERY	2000
#define HEALTH_SECS	20
/* Longest a KVM_RUN may stay in the kernel while signals keep coming. */
#define RUN_LIMIT_NS	(15ULL * 1000000000ULL)

struct fz_vcpu {
	int fd;
	int id;
	struct kvm_run *run;
};

struct fz_vm {
	int fd;
	struct fz_vcpu vcpus[MAX_VCPUS];
	uint32_t ring;		/* dirty ring bytes, 0: none */
};

struct fz {
	uint64_t seed, state;
	unsigned long ops, op;
	bool log;
	bool avoid_qemu_bugs;
	int dev;
	long run_size;
	struct fz_vm vms[MAX_VMS];
	char *pool[NR_POOL];
	int efds[NR_EFDS];
	/* statistics */
	unsigned long runs, run_err[160], exits[64], fails;
	unsigned long count[32];
	int cur;		/* fuzz_ops[] index of the operation running */
	bool finished;		/* the operations are done (for the watchdog) */
};

static struct fz fz;

/* xorshift64*: one sequence per seed. */
static uint64_t rnd(void)
{
	fz.state ^= fz.state >> 12;
	fz.state ^= fz.state << 25;
	fz.state ^= fz.state >> 27;
	return fz.state * 0x2545f4914f6cdd1dUL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

/* A random value, biased to the interesting ones. */
static uint64_t rnd_value(void)
{
	static const uint64_t special[] = {
		0, 1, 2, 0x7fffffffffffffffUL, 0x8000000000000000UL, ~0UL,
		~1UL, 0xffffffffUL, 0x100000000UL, GPA_BASE, 0x1000, 0xfff,
	};

	switch (rnd_below(4)) {
	case 0:
		return special[rnd_below(ARRAY_SIZE(special))];
	case 1:
		return rnd_below(4096);
	default:
		return rnd();
	}
}

#define LOG(fmt, ...) do {						\
	if (fz.log)							\
		fprintf(stderr, "# op %lu: " fmt "\n", fz.op, ##__VA_ARGS__); \
} while (0)

/* The guest's code: snippets at fixed offsets of each pool buffer. */
static const uint32_t snippets[][4] = {
	{ 0x0000006f },				/* j . */
	{ 0x00000073, 0xffdff06f },		/* ecall; j -4 */
	{ 0x10500073, 0xffdff06f },		/* wfi; j -4 */
	{ 0x00053583, 0xffdff06f },		/* ld a1, 0(a0); j -4 */
	{ 0x00b53023, 0xffdff06f },		/* sd a1, 0(a0); j -4 */
	{ 0x18051073, 0x12000073, 0x0000006f },	/* csrw satp, a0; sfence.vma; j . */
	{ 0x10200073 },				/* sret */
	{ 0x30200073 },				/* mret: illegal */
	{ 0x22000073 },				/* hfence.gvma: virtual insn */
	{ 0x6005c5f3, 0x0000006f },		/* hlv.b a1,(a1)?: virtual insn */
	{ 0x10051073, 0x0000006f },		/* csrw sstatus, a0; j . */
	{ 0x14451073, 0x10500073, 0xffdff06f },	/* csrw sip, a0; wfi; j -4 */
	{ 0x00050067 },				/* jr a0 */
	{ 0x0000a503, 0xffdff06f },		/* lw a0, 0(ra)...; j -4 */
	{ 0xffffffff },				/* illegal */
	{ 0x00002503, 0x0000006f },		/* lw a0, 0(zero) */
	{ 0x00100073, 0xffdff06f },		/* ebreak; j -4 */
	{ 0xbffd9002 },				/* c.ebreak; c.j -2 */
};
#define SNIPPET_BYTES	16

static void fill_pool(char *p, size_t size)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(snippets); i++)
		memcpy(p + i * SNIPPET_BYTES, snippets[i], sizeof(snippets[i]));
	/* The rest: random words, some of them code that traps. */
	for (i = 4096; i + 8 <= size; i += 4096)
		*(uint64_t *)(p + i) = rnd();
}

static void pool_init(void)
{
	int i;

	for (i = 0; i < NR_POOL; i++) {
		fz.pool[i] = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fz.pool[i] == MAP_FAILED)
			vm_fail("mmap pool: %s", strerror(errno));
		if (i == 1)
			madvise(fz.pool[i], POOL_SIZE, MADV_HUGEPAGE);
		fill_pool(fz.pool[i], POOL_SIZE);
	}
}

/* One of the open VMs, or NULL if there is none. */
static struct fz_vm *pick_vm(void)
{
	unsigned int start = rnd_below(MAX_VMS), i;

	for (i = 0; i < MAX_VMS; i++)
		if (fz.vms[(start + i) % MAX_VMS].fd >= 0)
			return &fz.vms[(start + i) % MAX_VMS];
	return NULL;
}

/* One of the open vCPUs, or NULL if there is none. */
static struct fz_vcpu *pick_vcpu(struct fz_vm **vmp)
{
	unsigned int start = rnd_below(MAX_VMS * MAX_VCPUS), i, k;
	struct fz_vm *vm;

	for (i = 0; i < MAX_VMS * MAX_VCPUS; i++) {
		k = (start + i) % (MAX_VMS * MAX_VCPUS);
		vm = &fz.vms[k / MAX_VCPUS];
		if (vm->vcpus[k % MAX_VCPUS].fd < 0)
			continue;
		if (vmp)
			*vmp = vm;
		return &vm->vcpus[k % MAX_VCPUS];
	}
	return NULL;
}

static void op_create_vm(void)
{
	struct fz_vm *vm = &fz.vms[rnd_below(MAX_VMS)];
	unsigned long type = chance(90) ? 0 : rnd_value();
	int fd;

	if (vm->fd >= 0)
		return;
	fd = ioctl(fz.dev, KVM_CREATE_VM, type);
	LOG("create_vm(%lu) = %d", type, fd);
	if (fd < 0)
		return;
	vm->fd = fd;
	vm->ring = 0;
	/* Sometimes with dirty rings (before any vCPU), of a random size. */
	if (chance(20)) {
		static const uint64_t sizes[] = { 4096, 8192, 65536, 1 << 20 };
		struct kvm_enable_cap c = {
			.cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
			.args[0] = chance(80) ? sizes[rnd_below(ARRAY_SIZE(sizes))] :
						rnd_value(),
		};

		if (!ioctl(fd, KVM_ENABLE_CAP, &c))
			vm->ring = c.args[0];
		LOG("dirty ring %llu: %u", (unsigned long long)c.args[0],
		    vm->ring);
	}
	/* Mostly with memory where the vCPUs' code is, to get going. */
	if (chance(70)) {
		struct kvm_userspace_memory_region r = {
			.slot = 0, .guest_phys_addr = GPA_BASE,
			.memory_size = POOL_SIZE,
			.userspace_addr = (uintptr_t)fz.pool[rnd_below(NR_POOL)],
		};

		ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r);
	}
}

/*
 * vCPU mappings kept past their fd's close (each keeps its vCPU, and so
 * its VM, alive): at most NR_KEPT, the oldest unmapped when another
 * comes, and all of them at the end.  Unbounded, they kept thousands of
 * VMs alive in a long run, each with its MMU notifier on this process's
 * mm, and every operation got slower (10^6 operations: from 55 to over
 * 115 s per 20000).
 */
#define NR_KEPT		16
static void *kept[NR_KEPT];
static unsigned int kept_next;

static void keep_mapping(void *p)
{
	if (kept[kept_next])
		munmap(kept[kept_next], fz.run_size);
	kept[kept_next] = p;
	kept_next = (kept_next + 1) % NR_KEPT;
}

static void close_vcpu(struct fz_vcpu *v)
{
	if (v->run && chance(80))
		munmap(v->run, fz.run_size);
	else if (v->run)
		keep_mapping(v->run);	/* outlives the fd, keeps the vCPU */
	v->run = NULL;
	close(v->fd);
	v->fd = -1;
}

static void op_close_vm(void)
{
	struct fz_vm *vm = pick_vm();
	int i;

	if (!vm)
		return;
	LOG("close_vm %d", vm->fd);
	/* Sometimes the VM fd goes first, with its vCPU fds still open. */
	if (chance(50)) {
		close(vm->fd);
		vm->fd = -1;
	}
	for (i = 0; i < MAX_VCPUS; i++)
		if (vm->vcpus[i].fd >= 0)
			close_vcpu(&vm->vcpus[i]);
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
}

static void op_create_vcpu(void)
{
	struct fz_vm *vm = pick_vm();
	struct fz_vcpu *v;
	unsigned long id;
	int fd;

	if (!vm)
		return;
	v = &vm->vcpus[rnd_below(MAX_VCPUS)];
	if (v->fd >= 0)
		return;
	id = chance(90) ? rnd_below(8) : rnd_value();
	fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	LOG("create_vcpu(%lu) = %d", id, fd);
	if (fd < 0)
		return;
	v->fd = fd;
	v->id = id;
	v->run = mmap(NULL, fz.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	if (v->run == MAP_FAILED)
		vm_fail("mmap vcpu: %s", strerror(errno));
	/* Mostly started at one of the snippets, with S-mode. */
	if (chance(70)) {
		uint64_t pc = GPA_BASE + rnd_below(ARRAY_SIZE(snippets)) *
					 SNIPPET_BYTES;
		struct kvm_one_reg r = {
			.id = KVM_REG_RISCV | KVM_REG_SIZE_U64 |
			      KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.pc),
			.addr = (uintptr_t)&pc,
		};

		ioctl(fd, KVM_SET_ONE_REG, &r);
	}
}

static void op_close_vcpu(void)
{
	struct fz_vcpu *v = pick_vcpu(NULL);

	if (v) {
		LOG("close_vcpu %d", v->fd);
		close_vcpu(v);
	}
}

static void *rnd_hva(uint64_t size)
{
	char *p = fz.pool[rnd_below(NR_POOL)];
	uint64_t off;

	switch (rnd_below(20)) {
	case 0:
		return NULL;
	case 1:
		return (void *)rnd();			/* anything */
	case 2:
		return (void *)0xffffffc000000000UL;	/* the kernel's */
	case 3:
		return p + 1;				/* unaligned */
	}
	/* Mostly the start, where the guest's code snippets are. */
	off = chance(50) ? 0 : rnd_below(POOL_SIZE / 4096) * 4096;
	if (size <= POOL_SIZE && off + size > POOL_SIZE)
		off = POOL_SIZE - size;
	return p + off;
}

static void op_set_region(void)
{
	struct fz_vm *vm = pick_vm();
	struct kvm_userspace_memory_region r = { 0 };
	static const uint64_t sizes[] = {
		0, 4096, 8192, 2UL << 20, 4UL << 20, 3 * 4096,
	};
	int ret;

	if (!vm)
		return;
	r.slot = chance(90) ? rnd_below(6) :
		 chance(50) ? (1U << 16) | rnd_below(4) : rnd_value();
	r.flags = chance(70) ? 0 : chance(50) ? KVM_MEM_READONLY :
		  chance(50) ? KVM_MEM_LOG_DIRTY_PAGES : (uint32_t)rnd();
	r.memory_size = chance(90) ? sizes[rnd_below(ARRAY_SIZE(sizes))] :
			rnd_value();
	r.guest_phys_addr = chance(80) ? GPA_BASE + rnd_below(8) * (2UL << 20) :
			    chance(50) ? rnd_below(1UL << 40) & ~0xfffUL :
			    rnd_value();
	r.userspace_addr = (uint64_t)(uintptr_t)rnd_hva(r.memory_size);
	ret = ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
	LOG("set_region slot %u flags 0x%x gpa 0x%llx size 0x%llx hva 0x%llx = %d",
	    r.slot, r.flags, (unsigned long long)r.guest_phys_addr,
	    (unsigned long long)r.memory_size,
	    (unsigned long long)r.userspace_addr, ret ? -errno : 0);
}

/* Host mm events on the memory behind the memslots. */
static void op_mm(void)
{
	char *p = fz.pool[rnd_below(NR_POOL)];
	uint64_t off = rnd_below(POOL_SIZE / 4096) * 4096;
	uint64_t len = (1 + rnd_below(64)) * 4096;
	void *q;

	if (off + len > POOL_SIZE)
		len = POOL_SIZE - off;
	switch (rnd_below(6)) {
	case 0:		/* a hole, then memory again (new pages) */
		LOG("munmap+mmap %p+%llu", p + off, (unsigned long long)len);
		munmap(p + off, len);
		q = mmap(p + off, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (q == MAP_FAILED)
			vm_fail("mmap fixed: %s", strerror(errno));
		break;
	case 1:
		LOG("madvise DONTNEED %p+%llu", p + off, (unsigned long long)len);
		madvise(p + off, len, MADV_DONTNEED);
		break;
	case 2:
		LOG("mprotect RO/RW %p+%llu", p + off, (unsigned long long)len);
		mprotect(p + off, len, PROT_READ);
		mprotect(p + off, len, PROT_READ | PROT_WRITE);
		break;
	case 3:
		LOG("madvise PAGEOUT");
		madvise(p + off, len, 21 /* MADV_PAGEOUT */);
		break;
	case 4:
		LOG("refill");
		fill_pool(p, POOL_SIZE);
		break;
	default:
		memset(p + off, (int)rnd(), len);
	}
}

/* Register ids of every class, with random indices and sometimes sizes. */
static uint64_t rnd_reg_id(void)
{
	static const uint64_t types[] = {
		KVM_REG_RISCV_CONFIG, KVM_REG_RISCV_CORE, KVM_REG_RISCV_CSR,
		KVM_REG_RISCV_TIMER, KVM_REG_RISCV_FP_F, KVM_REG_RISCV_FP_D,
		KVM_REG_RISCV_ISA_EXT, KVM_REG_RISCV_SBI_EXT,
		KVM_REG_RISCV_VECTOR, KVM_REG_RISCV_SBI_STATE,
	};
	uint64_t type = types[rnd_below(ARRAY_SIZE(types))];
	uint64_t size = KVM_REG_SIZE_U64, idx;

	if (chance(5))
		return rnd();
	if (type == KVM_REG_RISCV_FP_F || chance(5))
		size = chance(50) ? KVM_REG_SIZE_U32 :
		       (uint64_t)rnd_below(8) << KVM_REG_SIZE_SHIFT;
	idx = rnd_below(40);
	if (type == KVM_REG_RISCV_CSR)
		idx |= (rnd_below(4) << 24);	/* general, AIA, smstateen */
	else if (type == KVM_REG_RISCV_ISA_EXT || type == KVM_REG_RISCV_SBI_EXT)
		idx = (rnd_below(3) << 24) | rnd_below(70);
	else if (type == KVM_REG_RISCV_CORE)
		idx = rnd_below(34);
	return KVM_REG_RISCV | size | type | idx;
}

static uint64_t rnd_reg_value(uint64_t id)
{
	uint64_t type = id & KVM_REG_RISCV_TYPE_MASK;
	uint64_t idx = id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
			      KVM_REG_RISCV_TYPE_MASK);
	uint64_t v = rnd_value();

	/* The pc: mostly a snippet of a buffer that may be guest memory. */
	if (type == KVM_REG_RISCV_CORE && idx == 0 && chance(80))
		return GPA_BASE + rnd_below(8) * (2UL << 20) +
		       rnd_below(ARRAY_SIZE(snippets)) * SNIPPET_BYTES;
	if (type == KVM_REG_RISCV_CORE && idx == 10 && chance(50))
		/* a0: an address, MMIO or RAM */
		return chance(50) ? 0x10000000UL + rnd_below(4096) * 8 :
				    GPA_BASE + rnd_below(16UL << 20);
	if (type == KVM_REG_RISCV_CORE && idx == 17 && chance(50))
		/* a7: an SBI extension id that exists */
		return (uint64_t[]){ 0x10, 0x54494D45, 0x735049, 0x52464E43,
				     0x48534D, 0x53525354, 0x4442434E,
				     0x08FFFFFF, 0x0A000000, 0, 1, 2, 3, 4,
				     5, 6, 7, 8 }[rnd_below(18)];
	if (fz.avoid_qemu_bugs && type == KVM_REG_RISCV_CSR &&
	    idx == KVM_REG_RISCV_CSR_REG(sstatus))
		v &= SSTATUS_SAFE_BITS;
	if (fz.avoid_qemu_bugs && type == KVM_REG_RISCV_CSR &&
	    idx == KVM_REG_RISCV_CSR_REG(satp))
		v &= ~(0xfUL << 60);
	return v;
}

static void op_one_reg(bool set)
{
	struct fz_vcpu *v = pick_vcpu(NULL);
	uint64_t val[4] = { 0 };
	struct kvm_one_reg r;
	int ret;

	if (!v)
		return;
	r.id = rnd_reg_id();
	val[0] = rnd_reg_value(r.id);
	r.addr = chance(97) ? (uint64_t)(uintptr_t)val : rnd_value();
	ret = ioctl(v->fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &r);
	LOG("%s_one_reg 0x%llx = 0x%llx: %d", set ? "set" : "get",
	    (unsigned long long)r.id, (unsigned long long)val[0],
	    ret ? -errno : 0);
}

static void on_sig(int sig)
{
}

struct runner {
	struct fz_vcpu *v;
	pthread_t thr;
	volatile int done;
	int ret;
	unsigned int exit_reason;
	long first_ns;		/* the first signal, drawn by prepare_run() */
};

/*
 * One KVM_RUN, ended by a signal every 2 ms if the guest does not exit
 * first.  A KVM_RUN that outlives RUN_LIMIT_NS fails the test.
 */
static void *run_once(void *arg)
{
	struct runner *r = arg;
	struct sigevent sev = { 0 };
	struct itimerspec its = { { 0, 2000000 }, { 0, r->first_ns } };
	timer_t t;

	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t))
		vm_fail("timer_create: %s", strerror(errno));
	timer_settime(t, 0, &its, NULL);
	r->ret = ioctl(r->v->fd, KVM_RUN, 0) ? errno : 0;
	timer_delete(t);
	r->exit_reason = r->v->run ? r->v->run->exit_reason : 0;
	r->done = 1;
	return NULL;
}

static void account_run(struct runner *r)
{
	fz.runs++;
	fz.run_err[r->ret < 160 ? r->ret : 0]++;
	if (!r->ret && r->exit_reason < 64)
		fz.exits[r->exit_reason]++;
}

static void wait_runner(struct runner *r)
{
	uint64_t end = now_ns() + RUN_LIMIT_NS;

	while (!r->done) {
		if (now_ns() > end)
			vm_fail("KVM_RUN did not return in %llu s (seed %llu, op %lu)",
				RUN_LIMIT_NS / 1000000000ULL,
				(unsigned long long)fz.seed, fz.op);
		pthread_kill(r->thr, SIGUSR1);
		usleep(1000);
	}
	pthread_join(r->thr, NULL);
	account_run(r);
}

/*
 * Everything random about a run, drawn on the fuzzing thread: the
 * sequence stays the seed's even when the run is on a second thread.
 */
static void prepare_run(struct runner *r)
{
	if (r->v->run)
		r->v->run->immediate_exit = chance(3);
	r->first_ns = 500000 + rnd_below(2000000);
}

static void op_run(void)
{
	struct runner r = { 0 };

	r.v = pick_vcpu(NULL);
	if (!r.v)
		return;
	prepare_run(&r);
	LOG("run vcpu %d", r.v->fd);
	r.thr = pthread_self();
	run_once(&r);
	account_run(&r);
}

static void op_other(void);

/* KVM_RUN on a second thread while this one keeps going. */
static void op_run_concurrent(void)
{
	struct runner r = { 0 };
	int i, n = 1 + rnd_below(4);

	r.v = pick_vcpu(NULL);
	if (!r.v)
		return;
	prepare_run(&r);
	LOG("run vcpu %d concurrently", r.v->fd);
	if (pthread_create(&r.thr, NULL, run_once, &r))
		vm_fail("pthread_create: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		switch (rnd_below(4)) {
		case 0:
			op_set_region();
			break;
		case 1:
			op_mm();
			break;
		default:
			op_other();
		}
	}
	wait_runner(&r);
}

static void op_interrupt(void)
{
	struct fz_vcpu *v = pick_vcpu(NULL);
	struct kvm_interrupt irq = {
		.irq = chance(80) ? (rnd() & 1 ? KVM_INTERRUPT_SET :
					       KVM_INTERRUPT_UNSET) : rnd(),
	};

	if (v)
		ioctl(v->fd, KVM_INTERRUPT, &irq);
}

static void op_mp_state(void)
{
	struct fz_vcpu *v = pick_vcpu(NULL);
	struct kvm_mp_state mp = { .mp_state = chance(80) ? rnd_below(8) : rnd() };

	if (v)
		ioctl(v->fd, chance(50) ? KVM_SET_MP_STATE : KVM_GET_MP_STATE,
		      &mp);
}

static void op_enable_cap(void)
{
	struct fz_vm *vm = pick_vm();
	struct kvm_enable_cap c = { 0 };

	if (!vm)
		return;
	c.cap = chance(70) ? rnd_below(260) : rnd();
	c.flags = chance(90) ? 0 : rnd();
	c.args[0] = rnd_value();
	c.args[1] = rnd_value();
	ioctl(vm->fd, KVM_ENABLE_CAP, &c);
}

static void op_reg_list(void)
{
	struct fz_vcpu *v = pick_vcpu(NULL);
	uint64_t buf[600];
	struct kvm_reg_list *l = (void *)buf;

	if (!v)
		return;
	l->n = chance(80) ? rnd_below(ARRAY_SIZE(buf) - 1) : rnd();
	ioctl(v->fd, KVM_GET_REG_LIST, chance(95) ? l : (void *)rnd());
}

static void op_guest_debug(void)
{
	struct fz_vcpu *v = pick_vcpu(NULL);
	struct kvm_guest_debug dbg = {
		.control = chance(80) ? rnd_below(2) : rnd(),
		.pad = chance(90) ? 0 : rnd(),
	};

	if (v)
		ioctl(v->fd, KVM_SET_GUEST_DEBUG, chance(95) ? &dbg :
						  (void *)rnd());
}

static void op_mmap_vcpu(void)
{
	struct fz_vcpu *v = pick_vcpu(NULL);
	size_t len = 4096 * (1 + rnd_below(4));
	void *p;

	if (!v)
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		 rnd_below(8) * 4096);
	if (p != MAP_FAILED)
		munmap(p, len);
}

/*
 * Dirty logging with random arguments: GET and CLEAR of random slots and
 * ranges into good and bad buffers, manual protection on and off, ring
 * resets, and a vCPU's ring scribbled over (random flags, slots and
 * offsets) before a reset.
 */
static void op_dirty(void)
{
	static uint64_t bitmap[8192];
	struct fz_vm *vm;
	struct fz_vcpu *v = pick_vcpu(&vm);
	struct kvm_clear_dirty_log cl = { 0 };
	struct kvm_dirty_log gl = { 0 };
	struct kvm_dirty_gfn *e;
	void *buf;
	int i, n;

	if (!v && !(vm = pick_vm()))
		return;
	buf = chance(90) ? (void *)bitmap : (void *)rnd();
	switch (rnd_below(5)) {
	case 0:
		gl.slot = chance(90) ? rnd_below(6) : rnd();
		gl.dirty_bitmap = buf;
		LOG("get_dirty_log %u = %d", gl.slot,
		    ioctl(vm->fd, KVM_GET_DIRTY_LOG, &gl) ? -errno : 0);
		break;
	case 1:
		cl.slot = chance(90) ? rnd_below(6) : rnd();
		cl.first_page = chance(80) ? rnd_below(1024) & ~63UL : rnd_value();
		cl.num_pages = chance(80) ? rnd_below(1100) : rnd();
		cl.dirty_bitmap = buf;
		memset(bitmap, chance(50) ? 0xff : 0x5a, 256);
		LOG("clear_dirty_log %u %llu+%u = %d", cl.slot,
		    (unsigned long long)cl.first_page, cl.num_pages,
		    ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &cl) ? -errno : 0);
		break;
	case 2: {
		struct kvm_enable_cap c = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args[0] = chance(80) ? rnd_below(4) : rnd(),
		};

		ioctl(vm->fd, KVM_ENABLE_CAP, &c);
		break;
	}
	case 3:
		LOG("reset_dirty_rings = %d", ioctl(vm->fd, KVM_RESET_DIRTY_RINGS, 0));
		break;
	default:
		/* Touching a ring page the VM does not have is a SIGBUS. */
		if (!v || !vm->ring)
			break;
		n = 4096 / sizeof(*e);
		e = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
			 RVHV_DIRTY_LOG_PAGE_OFFSET * 4096);
		if (e == MAP_FAILED)
			break;
		for (i = rnd_below(n); i < n && chance(90); i += 1 + rnd_below(8)) {
			e[i].flags = chance(70) ? KVM_DIRTY_GFN_F_RESET : rnd();
			if (chance(20))
				e[i].slot = chance(50) ? rnd_below(6) : rnd();
			if (chance(20))
				e[i].offset = rnd_value();
		}
		munmap(e, 4096);
		LOG("ring scribbled, reset = %d",
		    ioctl(vm->fd, KVM_RESET_DIRTY_RINGS, 0));
	}
}

static void op_random_ioctl(void)
{
	struct fz_vm *vm;
	struct fz_vcpu *v = pick_vcpu(&vm);
	uint64_t buf[64];
	unsigned long nr;
	int fd;

	fd = v ? v->fd : (vm = pick_vm()) ? vm->fd : fz.dev;
	memset(buf, 0, sizeof(buf));
	/* KVMIO ioctls with random numbers, sizes and directions. */
	nr = _IOC(rnd_below(4), KVMIO, rnd_below(256), rnd_below(sizeof(buf)));
	/* Not KVM_RUN on a vCPU (op_run does that, with a timer). */
	if (nr == KVM_RUN)
		return;
	ioctl(fd, nr, buf);
}

static void op_check_ext(void)
{
	struct fz_vm *vm = pick_vm();
	long cap = chance(80) ? rnd_below(260) : rnd();

	ioctl(vm && chance(50) ? vm->fd : fz.dev, KVM_CHECK_EXTENSION, cap);
}

/* A child has the fds but not the address space: everything is EIO. */
static void op_fork(void)
{
	struct fz_vm *vm;
	struct fz_vcpu *v = pick_vcpu(&vm);
	int status;
	pid_t pid;

	if (!v)
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		struct kvm_mp_state mp;

		if (ioctl(v->fd, KVM_RUN, 0) != -1 || errno != EIO)
			_exit(1);
		if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) != -1 || errno != EIO)
			_exit(2);
		if (ioctl(vm->fd, KVM_CREATE_VCPU, 7) != -1 || errno != EIO)
			_exit(3);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fz.fails++;
		fprintf(stderr, "# op %lu: forked child: status 0x%x (want EIO everywhere)\n",
			fz.op, status);
	}
}

/* ioeventfds, irqfds, GSIs, and the eventfds behind them */
static void op_eventfd(void)
{
	static const unsigned int lens[] = { 0, 1, 2, 4, 8 };
	struct fz_vm *vm = pick_vm();
	int fd = chance(90) ? fz.efds[rnd_below(NR_EFDS)] : rnd_below(64);
	struct kvm_ioeventfd io = { 0 };
	struct kvm_irqfd irqfd = { 0 };
	struct kvm_irq_level irq = { 0 };
	struct kvm_enable_cap c = { .cap = RVHV_CAP_IRQ_LINES };
	uint64_t v = 1;

	if (!vm)
		return;
	switch (rnd_below(6)) {
	case 0:
	case 1:
		/* Often where the guest's sd/ld snippets go (rnd_value()) */
		io.addr = chance(70) ? rnd_value() : rnd();
		io.len = chance(90) ? lens[rnd_below(5)] : rnd();
		io.fd = fd;
		io.flags = chance(90) ? rnd_below(8) : rnd();
		io.datamatch = rnd_value();
		LOG("ioeventfd addr 0x%llx len %u flags 0x%x",
		    (unsigned long long)io.addr, io.len, io.flags);
		ioctl(vm->fd, KVM_IOEVENTFD, chance(98) ? &io : (void *)rnd());
		break;
	case 2:
		irqfd.fd = fd;
		irqfd.gsi = chance(90) ? rnd_below(10) : rnd();
		irqfd.flags = chance(90) ? rnd_below(4) : rnd();
		irqfd.resamplefd = fz.efds[rnd_below(NR_EFDS)];
		LOG("irqfd gsi %u flags 0x%x", irqfd.gsi, irqfd.flags);
		ioctl(vm->fd, KVM_IRQFD, chance(98) ? &irqfd : (void *)rnd());
		break;
	case 3:
		irq.irq = chance(90) ? rnd_below(10) : rnd();
		irq.level = chance(90) ? rnd_below(2) : rnd();
		ioctl(vm->fd, chance(50) ? KVM_IRQ_LINE : KVM_IRQ_LINE_STATUS,
		      &irq);
		break;
	case 4:
		c.args[0] = chance(90) ? rnd_below(2) : rnd();
		ioctl(vm->fd, KVM_ENABLE_CAP, &c);
		break;
	default:
		fd = fz.efds[rnd_below(NR_EFDS)];
		if (chance(80)) {
			if (write(fd, &v, sizeof(v)) != sizeof(v))
				v = 0;
		} else if (read(fd, &v, sizeof(v)) != sizeof(v)) {
			v = 0;
		}
	}
}

static void op_other(void)
{
	switch (rnd_below(9)) {
	case 0:
		op_interrupt();
		break;
	case 1:
		op_mp_state();
		break;
	case 2:
		op_one_reg(true);
		break;
	case 3:
		op_one_reg(false);
		break;
	case 4:
		op_reg_list();
		break;
	case 5:
		op_check_ext();
		break;
	case 6:
		op_enable_cap();
		break;
	case 7:
		op_eventfd();
		break;
	default:
		op_random_ioctl();
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
	unsigned int weight;
} fuzz_ops[] = {
	{ "create_vm", op_create_vm, 2 },
	{ "close_vm", op_close_vm, 1 },
	{ "create_vcpu", op_create_vcpu, 4 },
	{ "close_vcpu", op_close_vcpu, 1 },
	{ "set_region", op_set_region, 10 },
	{ "mm", op_mm, 4 },
	{ "set_one_reg", NULL, 25 },
	{ "get_one_reg", NULL, 4 },
	{ "run", op_run, 14 },
	{ "run_concurrent", op_run_concurrent, 6 },
	{ "interrupt", op_interrupt, 3 },
	{ "mp_state", op_mp_state, 3 },
	{ "enable_cap", op_enable_cap, 2 },
	{ "reg_list", op_reg_list, 1 },
	{ "mmap_vcpu", op_mmap_vcpu, 1 },
	{ "guest_debug", op_guest_debug, 1 },
	{ "random_ioctl", op_random_ioctl, 3 },
	{ "check_ext", op_check_ext, 1 },
	{ "fork", op_fork, 1 },
	{ "eventfd", op_eventfd, 3 },
	{ "dirty", op_dirty, 3 },
};

static void one_op(void)
{
	unsigned int total = 0, i, pick;

	for (i = 0; i < ARRAY_SIZE(fuzz_ops); i++)
		total += fuzz_ops[i].weight;
	pick = rnd_below(total);
	for (i = 0; pick >= fuzz_ops[i].weight; i++)
		pick -= fuzz_ops[i].weight;
	fz.count[i]++;
	__atomic_store_n(&fz.cur, i, __ATOMIC_RELAXED);
	if (fuzz_ops[i].fn)
		fuzz_ops[i].fn();
	else
		op_one_reg(!strcmp(fuzz_ops[i].name, "set_one_reg"));
}

/* Print a file of /proc as "# | " lines, at most max of them. */
static void show_proc(const char *path, int max)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (max-- > 0 && fgets(line, sizeof(line), f))
		fprintf(stderr, "#   | %s%s", line,
			strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/* Every thread of @pid: its name, wait channel and kernel stack. */
static void show_threads(pid_t pid)
{
	char path[320], name[64] = "";
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid,
			 d->d_name);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(name, sizeof(name), f))
				name[0] = '\0';
			fclose(f);
		}
		name[strcspn(name, "\n")] = '\0';
		fprintf(stderr, "#  task %d/%s (%s):\n", pid, d->d_name, name);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid,
			 d->d_name);
		show_proc(path, 1);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid,
			 d->d_name);
		show_proc(path, 16);
	}
	closedir(dir);
}

/*
 * make fuzz's run once went on for minutes of guest time past an
 * operation without a word.  Every STALL_S seconds without the operation
 * count moving, this says which operation (number and kind) is running
 * and where each thread of the test, and of a forked child, waits in the
 * kernel; after STALL_FAIL_S it ends the test (abort(): the harness
 * reports the signal).
 */
#define STALL_S		60
#define STALL_FAIL_S	900
static void *stall_watchdog(void *arg)
{
	unsigned long last = -1UL, op;
	unsigned int still = 0;
	char path[64];
	FILE *f;

	(void)arg;
	while (!__atomic_load_n(&fz.finished, __ATOMIC_RELAXED)) {
		sleep(STALL_S);
		op = __atomic_load_n(&fz.op, __ATOMIC_RELAXED);
		if (op != last) {
			last = op;
			still = 0;
			continue;
		}
		still += STALL_S;
		fprintf(stderr, "# op %lu (%s): no progress in %u s (seed %llu)\n",
			op, fuzz_ops[__atomic_load_n(&fz.cur, __ATOMIC_RELAXED)].name,
			still, (unsigned long long)fz.seed);
		show_threads(getpid());
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
			 getpid(), getpid());
		f = fopen(path, "r");
		if (f) {
			int child;

			while (fscanf(f, "%d", &child) == 1)
				show_threads(child);
			fclose(f);
		}
		if (still >= STALL_FAIL_S)
			abort();
	}
	return NULL;
}

/* A field of /proc/meminfo in kB ("Slab", "MemFree"), -1 if absent. */
static long meminfo_kb(const char *field)
{
	const char *txt = rvhv_read_file("/proc/meminfo");

	return txt ? rvhv_field(txt, field) : -1;
}

#define NR_SLABS	256

/* /proc/slabinfo: each cache's name and its active objects' bytes. */
struct slab_use {
	char name[40];
	long bytes;
};

static int slab_read(struct slab_use *u)
{
	const char *p = rvhv_read_file("/proc/slabinfo");
	long active, total, size;
	int n = 0;

	for (; p && *p && n < NR_SLABS; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (sscanf(p, "%39s %ld %ld %ld", u[n].name, &active, &total,
			   &size) == 4 && u[n].name[0] != '#') {
			u[n].bytes = active * size;
			n++;
		}
	}
	return n;
}

/* The caches that grew most since @was (@nw of them), largest first. */
static void slab_growth(struct __test_metadata *_metadata,
			const struct slab_use *was, int nw)
{
	static struct slab_use now[NR_SLABS];
	long grew[NR_SLABS];
	int n = slab_read(now), i, j, k, best;

	for (i = 0; i < n; i++) {
		grew[i] = now[i].bytes;
		for (j = 0; j < nw; j++)
			if (!strcmp(was[j].name, now[i].name)) {
				grew[i] -= was[j].bytes;
				break;
			}
	}
	for (k = 0; k < 8; k++) {
		for (best = -1, i = 0; i < n; i++)
			if (grew[i] > 0 && (best < 0 || grew[i] > grew[best]))
				best = i;
		if (best < 0)
			break;
		TH_LOG("  slab %s: %+ld kB", now[best].name, grew[best] / 1024);
		grew[best] = 0;
	}
}

/* This process's fds on anonymous inodes (VMs, vCPUs, devices, stats). */
static int anon_fds(void)
{
	char path[300], target[64];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;
	ssize_t len;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (!strncmp(target, "anon_inode:", 11) &&
		    (strstr(target, "kvm") || strstr(target, "rvhv")))
			n++;
	}
	closedir(dir);
	return n;
}

/* rvhv's VMs not yet freed (rvhv_nr_vms()), waiting up to 10 s for 0. */
static long rvhv_live_vms(void)
{
	long n = rvhv_nr_vms();
	int tries;

	for (tries = 0; n > 0 && tries < 100; tries++) {
		usleep(100000);
		n = rvhv_nr_vms();
	}
	return n;
}

static void check_host(struct __test_metadata *_metadata)
{
	int cpu = host_wedged_cpu(HEALTH_SECS);

	ASSERT_EQ(-1, cpu) {
		TH_LOG("host CPU %d stopped taking timer interrupts (seed %llu, op %lu)",
		       cpu, (unsigned long long)fz.seed, fz.op);
	}
	/* rvhv's debugfs "cpus" file calls every CPU. */
	if (!dev_is_kvm())
		ASSERT_NE(NULL, rvhv_read_file(RVHV_DEBUGFS "cpus"));
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The runner's limit per program bounds it; this only has to be longer. */
TEST_F_TIMEOUT(fuzz, random_ops, 24 * 3600)
{
	const char *s = getenv("RVHV_FUZZ_SEED");
	const char *o = getenv("RVHV_FUZZ_OPS");
	struct sigaction sa = { .sa_handler = on_sig };
	static struct slab_use slabs0[NR_SLABS];
	long slab0, free0, slab, mem_free;
	int nslabs0;
	uint64_t t0, t;
	int i, j;

	fz.seed = s ? (strcmp(s, "random") ? strtoull(s, NULL, 0) :
		       (uint64_t)now_ns()) : 1;
	fz.state = fz.seed * 0x9e3779b97f4a7c15UL + 1;
	fz.ops = o ? strtoul(o, NULL, 0) : 10000;
	fz.log = getenv("RVHV_FUZZ_LOG") != NULL;
	fz.avoid_qemu_bugs = testbed_avoid_csr_bugs();
	TH_LOG("seed %llu, %lu operations on %s%s", (unsigned long long)fz.seed,
	       fz.ops, rvhv_dev_path(),
	       fz.avoid_qemu_bugs ? " (QEMU-defect inputs masked)" : "");

	sigaction(SIGUSR1, &sa, NULL);
	fz.dev = vm_dev_open();
	fz.run_size = ioctl(fz.dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_GT(fz.run_size, 0);
	for (i = 0; i < MAX_VMS; i++) {
		fz.vms[i].fd = -1;
		for (j = 0; j < MAX_VCPUS; j++)
			fz.vms[i].vcpus[j].fd = -1;
	}
	pool_init();
	for (i = 0; i < NR_EFDS; i++) {
		fz.efds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_GE(fz.efds[i], 0);
	}

	{
		pthread_t wd;

		ASSERT_EQ(0, pthread_create(&wd, NULL, stall_watchdog, NULL));
		pthread_detach(wd);
	}
	/*
	 * Drift, reported (never asserted: caches grow and shrink): each
	 * 20000 operations' seconds and the host's slab and free memory, and
	 * both again once every VM is closed, against the start.
	 */
	nslabs0 = slab_read(slabs0);
	slab0 = meminfo_kb("Slab");
	free0 = meminfo_kb("MemFree");
	t0 = now_ns();
	for (fz.op = 0; fz.op < fz.ops; fz.op++) {
		one_op();
		if (fz.op % HEALTH_EVERY == HEALTH_EVERY - 1) {
			check_host(_metadata);
			if (fz.op % 20000 == 19999) {
				t = now_ns();
				TH_LOG("%lu operations, %lu KVM_RUNs, %llu s, slab %ld kB, free %ld kB",
				       fz.op + 1, fz.runs,
				       (unsigned long long)(t - t0) / 1000000000ULL,
				       meminfo_kb("Slab"), meminfo_kb("MemFree"));
				t0 = t;
			}
		}
	}
	while (fz.vms[0].fd >= 0 || fz.vms[1].fd >= 0 || fz.vms[2].fd >= 0)
		op_close_vm();
	for (i = 0; i < NR_KEPT; i++)
		if (kept[i])
			munmap(kept[i], fz.run_size);
	check_host(_metadata);
	slab = meminfo_kb("Slab");
	mem_free = meminfo_kb("MemFree");
	TH_LOG("every VM closed: slab %ld kB (%+ld), free %ld kB (%+ld)",
	       slab, slab - slab0, mem_free, mem_free - free0);
	slab_growth(_metadata, slabs0, nslabs0);
	/*
	 * Nothing of the device left open here (but the fd of /dev/rvhv or
	 * /dev/kvm itself; a stats or device fd a random ioctl made, which
	 * nothing closes, would keep its VM): then no VM may be left in
	 * rvhv, or one leaked.
	 */
	i = anon_fds();
	TH_LOG("fds on VMs, vCPUs, devices or stats left open: %d", i);
	if (!dev_is_kvm() && i == 0) {
		long left = rvhv_live_vms();

		TH_LOG("rvhv: %ld VMs not freed", left);
		EXPECT_EQ(0, left);
	}
	__atomic_store_n(&fz.finished, true, __ATOMIC_RELAXED);

	for (i = 0; i < (int)ARRAY_SIZE(fuzz_ops); i++)
		TH_LOG("%-15s %lu", fuzz_ops[i].name, fz.count[i]);
	TH_LOG("KVM_RUN: %lu, returned 0: %lu", fz.runs, fz.run_err[0]);
	for (i = 1; i < (int)ARRAY_SIZE(fz.run_err); i++)
		if (fz.run_err[i])
			TH_LOG("KVM_RUN %s: %lu", strerror(i), fz.run_err[i]);
	for (i = 0; i < 64; i++)
		if (fz.exits[i])
			TH_LOG("exit %s: %lu", exit_reason_str(i), fz.exits[i]);
	EXPECT_EQ(0, fz.fails);
}

TEST_HARNESS_MAIN
