// SPDX-License-Identifier: GPL-2.0
/*
 * G-stage preloading (mmu/preload.c) and huge mappings, held to what the
 * guest must see whatever the hypervisor maps ahead of it: the VMM's
 * current memory, never a page it unmapped or replaced, never another
 * slot's or no slot's memory, read-only slots still read-only, every
 * write to a logging slot logged, and all of it while MMU-notifier
 * invalidations race the guest's faults.  On rvhv the vCPU's
 * gstage_preload statistic shows that preloading happened; the rest
 * holds for kvm.ko too, which runs it as the reference.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define PG		4096UL
#define M2		0x200000UL
#define SLOT1		1
#define SLOT2		2
#define GPA		GUEST_EXTRA
#define PRELOAD_PARAM	"/sys/module/rvhv/parameters/preload"
#define DEBUG_PARAM	"/sys/module/rvhv/parameters/debug_checks"

/* Set rvhv's boolean parameter @path to @on; its old value ('Y'/'N'). */
static char set_param(const char *path, bool on)
{
	const char *cur;

	if (dev_is_kvm())
		return 0;
	cur = rvhv_read_file(path);
	if (!cur || rvhv_write_file(path, on ? "1" : "0"))
		vm_fail("%s", path);
	return cur[0];
}

static void restore_param(const char *path, char old)
{
	char s[2] = { old, 0 };

	if (old)
		rvhv_write_file(path, s);
}

/* The first u64 of page @i of a test region: who wrote it, and when. */
static uint64_t stamp(uint64_t tag, unsigned long i)
{
	return tag << 32 | i;
}

static void fill(volatile uint64_t *mem, unsigned long n, uint64_t tag)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		mem[i * PG / 8] = stamp(tag, i);
}

static uint64_t read_page(struct cmd_vm *c, unsigned long i)
{
	return cmd_ok(c, CMD_READ64, GPA + i * PG, 0, 0);
}

/* The guest to its command loop, and past its first command's faults. */
static void start(struct cmd_vm *c)
{
	cmd_start(c);
	cmd_ok(c, CMD_READ64, GUEST_DATA, 0, 0);
}

/*
 * 64 pages the VMM wrote, read once in order: the guest sees each, and on
 * rvhv most of them were mapped by preloading, not by their own fault.
 */
TEST(sequential_read_is_preloaded)
{
	const unsigned long n = 64;
	volatile uint64_t *mem;
	long f0, f1, p0, p1;
	unsigned long i;
	struct cmd_vm c;
	char old;

	start(&c);
	old = set_param(PRELOAD_PARAM, true);
	mem = vm_add_mem(c.vm, SLOT1, GPA, n * PG, 0);
	fill(mem, n, 1);
	f0 = vcpu_stat(c.vcpu, "gstage_fault_map");
	p0 = vcpu_stat(c.vcpu, "gstage_preload");
	for (i = 0; i < n; i++)
		EXPECT_EQ(stamp(1, i), read_page(&c, i));
	f1 = vcpu_stat(c.vcpu, "gstage_fault_map");
	p1 = vcpu_stat(c.vcpu, "gstage_preload");
	restore_param(PRELOAD_PARAM, old);
	if (dev_is_kvm())
		return;
	TH_LOG("%ld faults mapped, %ld pages preloaded", f1 - f0, p1 - p0);
	EXPECT_GE(p1 - p0, n / 2);
	EXPECT_LE(f1 - f0, n / 4);
	/* Writable: the VMM wrote them, so the guest's writes do not fault. */
	f0 = vcpu_stat(c.vcpu, "gstage_faults");
	cmd_ok(&c, CMD_FILL_PAGES, GPA, 0x7700, n);
	EXPECT_EQ(f0, vcpu_stat(c.vcpu, "gstage_faults"));
	for (i = 0; i < n; i++)
		EXPECT_EQ(0x7700 + i, mem[i * PG / 8]);
}

/*
 * Pages the VMM never populated are not preloaded: the guest's access
 * faults to the host and sees what the VMM wrote in between.
 */
TEST(unpopulated_pages_fault_to_the_host)
{
	const unsigned long n = 64;
	volatile uint64_t *mem;
	unsigned long i;
	struct cmd_vm c;
	long p0, p1;
	char old;

	start(&c);
	old = set_param(PRELOAD_PARAM, true);
	mem = vm_add_mem(c.vm, SLOT1, GPA, n * PG, 0);
	/* Only the even pages exist in the VMM's page tables. */
	for (i = 0; i < n; i += 2)
		mem[i * PG / 8] = stamp(2, i);
	p0 = vcpu_stat(c.vcpu, "gstage_preload");
	EXPECT_EQ(stamp(2, 0), read_page(&c, 0));
	p1 = vcpu_stat(c.vcpu, "gstage_preload");
	/* Now the odd ones, behind the guest's back. */
	for (i = 1; i < n; i += 2)
		mem[i * PG / 8] = stamp(3, i);
	for (i = 0; i < n; i++)
		EXPECT_EQ(stamp(i & 1 ? 3 : 2, i), read_page(&c, i));
	if (!dev_is_kvm()) {
		TH_LOG("%ld pages preloaded by the first read", p1 - p0);
		/* At most the even pages. */
		EXPECT_LE(p1 - p0, n / 2 - 1);
	}
	restore_param(PRELOAD_PARAM, old);
}

/* A memfd of @n pages stamped with @tag, mapped shared at @addr. */
static void *map_memfd(void *addr, unsigned long n, uint64_t tag)
{
	int fd = memfd_create("preload_test", 0);
	void *p;

	if (fd < 0 || ftruncate(fd, n * PG))
		vm_fail("memfd: %s", strerror(errno));
	p = mmap(addr, n * PG, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (addr ? MAP_FIXED : 0), fd, 0);
	close(fd);
	if (p == MAP_FAILED || (addr && p != addr))
		vm_fail("mmap memfd: %s", strerror(errno));
	fill(p, n, tag);
	return p;
}

/*
 * The VMM replaces and removes parts of a slot's memory after the guest
 * (and preloading) mapped it: the guest sees the new memory, zero for
 * fresh anonymous memory, and -EFAULT where nothing is mapped.
 */
TEST(remapped_memory_is_seen)
{
	const unsigned long n = 64;
	volatile uint64_t *mem;
	unsigned long i;
	struct cmd_vm c;
	uint64_t res;
	void *p;
	char old;

	start(&c);
	old = set_param(PRELOAD_PARAM, true);
	mem = vm_add_mem(c.vm, SLOT1, GPA, n * PG, 0);
	fill(mem, n, 4);
	for (i = 0; i < n; i += 16)
		EXPECT_EQ(stamp(4, i), read_page(&c, i));

	/* A different file at the same address. */
	map_memfd((void *)&mem[8 * PG / 8], 16, 5);
	/* Fresh anonymous memory. */
	p = mmap((void *)&mem[30 * PG / 8], 4 * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)&mem[30 * PG / 8], p);
	for (i = 0; i < n; i++) {
		uint64_t want = stamp(4, i);

		if (i >= 8 && i < 24)
			want = stamp(5, i - 8);
		else if (i >= 30 && i < 34)
			want = 0;
		EXPECT_EQ(want, read_page(&c, i)) TH_LOG("page %lu", i);
	}

	/* Nothing at all: the read fails until memory is back. */
	ASSERT_EQ(0, munmap((void *)&mem[40 * PG / 8], 2 * PG));
	EXPECT_EQ(-EFAULT, cmd(&c, CMD_READ64, GPA + 41 * PG, 0, 0, &res));
	map_memfd((void *)&mem[40 * PG / 8], 2, 6);
	ASSERT_EQ(0, cmd_continue(&c, &res));
	EXPECT_EQ(stamp(6, 1), res);
	EXPECT_EQ(stamp(6, 0), read_page(&c, 40));
	EXPECT_EQ(stamp(4, 42), read_page(&c, 42));
	restore_param(PRELOAD_PARAM, old);
}

/*
 * Slot 1's pages are followed, in the VMM's address space, by populated
 * memory no slot maps, and in guest physical space by slot 2, backed by
 * other memory: reading slot 1 up to its end (preloading towards it) and
 * then slot 2 shows slot 2's memory, and slot 1's last page is its own.
 */
TEST(preloading_stays_in_the_memslot)
{
	const unsigned long n = 32;
	volatile uint64_t *a, *b;
	unsigned long i;
	struct cmd_vm c;
	char old;

	start(&c);
	old = set_param(PRELOAD_PARAM, true);
	a = vm_alloc(2 * n * PG, M2);
	fill(a, 2 * n, 7);		/* pages n.. belong to no slot */
	vm_set_region(c.vm, SLOT1, 0, GPA, n * PG, (void *)a);
	b = vm_add_mem(c.vm, SLOT2, GPA + n * PG, n * PG, 0);
	fill(b, n, 8);
	for (i = 0; i < n; i++)
		EXPECT_EQ(stamp(7, i), read_page(&c, i));
	for (i = 0; i < n; i++)
		EXPECT_EQ(stamp(8, i), read_page(&c, n + i));
	/* And downwards, from slot 2 into slot 1. */
	vm_set_region(c.vm, SLOT1, 0, GPA, 0, NULL);
	vm_set_region(c.vm, SLOT2, 0, GPA + n * PG, 0, NULL);
	vm_set_region(c.vm, SLOT1, 0, GPA + n * PG, n * PG,
		      (void *)&a[n * PG / 8]);
	vm_set_region(c.vm, SLOT2, 0, GPA, n * PG, (void *)b);
	for (i = n; i-- > 0;)
		EXPECT_EQ(stamp(7, n + i), read_page(&c, n + i));
	for (i = n; i-- > 0;)
		EXPECT_EQ(stamp(8, i), read_page(&c, i));
	restore_param(PRELOAD_PARAM, old);
}

/* A store to a preloaded page of a read-only slot is still MMIO. */
TEST(readonly_slot_stays_readonly)
{
	const unsigned long n = 32;
	struct kvm_run *run;
	volatile uint64_t *mem;
	unsigned long i;
	struct cmd_vm c;
	uint64_t res;
	char old;

	start(&c);
	old = set_param(PRELOAD_PARAM, true);
	mem = vm_alloc(n * PG, PG);
	fill(mem, n, 9);
	vm_set_region(c.vm, SLOT1, KVM_MEM_READONLY, GPA, n * PG, (void *)mem);
	for (i = 0; i < n; i++)
		EXPECT_EQ(stamp(9, i), read_page(&c, i));
	run = c.vcpu->run;
	for (i = 1; i < n; i += 5) {
		ASSERT_EQ(1, cmd(&c, CMD_WRITE64, GPA + i * PG, 0xdead, 0,
				 &res));
		ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
		EXPECT_EQ(GPA + i * PG, run->mmio.phys_addr);
		EXPECT_EQ(1, run->mmio.is_write);
		ASSERT_EQ(0, cmd_continue(&c, &res));
		EXPECT_EQ(stamp(9, i), mem[i * PG / 8]);
		EXPECT_EQ(stamp(9, i), read_page(&c, i));
	}
	restore_param(PRELOAD_PARAM, old);
}

static unsigned long count_bits(const uint64_t *bm, unsigned long n)
{
	unsigned long i, c = 0;

	for (i = 0; i < (n + 63) / 64; i++)
		c += __builtin_popcountll(bm[i]);
	return c;
}

/*
 * A logging slot the guest read through (preloading maps it): every page
 * it then writes is in the log, and nothing else, twice over.
 */
TEST(dirty_logging_sees_every_write)
{
	const unsigned long n = 64;
	struct kvm_dirty_log log = { .slot = SLOT1 };
	uint64_t bm[1];
	volatile uint64_t *mem;
	unsigned long i, round, step;
	struct cmd_vm c;
	char old;

	start(&c);
	old = set_param(PRELOAD_PARAM, true);
	mem = vm_alloc(n * PG, M2);
	madvise((void *)mem, n * PG, MADV_NOHUGEPAGE);
	fill(mem, n, 10);
	vm_set_region(c.vm, SLOT1, KVM_MEM_LOG_DIRTY_PAGES, GPA, n * PG,
		      (void *)mem);
	log.dirty_bitmap = bm;
	ASSERT_EQ(0, ioctl(c.vm->fd, KVM_GET_DIRTY_LOG, &log));
	for (round = 0; round < 2; round++) {
		step = round ? 5 : 3;
		for (i = 0; i < n; i++)
			EXPECT_EQ(stamp(10, i), read_page(&c, i) & ~(0xffULL << 56));
		ASSERT_EQ(0, ioctl(c.vm->fd, KVM_GET_DIRTY_LOG, &log));
		EXPECT_EQ(0, count_bits(bm, n));
		for (i = 0; i < n; i += step)
			cmd_ok(&c, CMD_WRITE64, GPA + i * PG,
			       stamp(10, i) | (round + 1) << 56, 0);
		ASSERT_EQ(0, ioctl(c.vm->fd, KVM_GET_DIRTY_LOG, &log));
		for (i = 0; i < n; i++)
			EXPECT_EQ(!(i % step), !!(bm[i / 64] & 1ULL << (i % 64)))
				TH_LOG("round %lu page %lu", round, i);
	}
	restore_param(PRELOAD_PARAM, old);
}

/* The race: the VMM replaces the memory with a new generation, again. */
struct remapper {
	volatile uint64_t *mem;
	unsigned long n;
	volatile uint64_t gen;	/* mapped and stamped (release) */
	volatile int stop;
};

static void *remap_fn(void *arg)
{
	struct remapper *r = arg;
	void *p;
	uint64_t g;

	for (g = 2; !r->stop; g++) {
		/*
		 * The next generation, stamped, then moved into place in one
		 * step: alternately a new file and anonymous memory.
		 */
		if (g & 1) {
			p = map_memfd(NULL, r->n, g);
		} else {
			p = mmap(NULL, r->n * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				vm_fail("mmap: %s", strerror(errno));
			fill(p, r->n, g);
		}
		if (mremap(p, r->n * PG, r->n * PG,
			   MREMAP_MAYMOVE | MREMAP_FIXED, (void *)r->mem) !=
		    (void *)r->mem)
			vm_fail("mremap: %s", strerror(errno));
		__atomic_store_n(&r->gen, g, __ATOMIC_RELEASE);
		/* And take a page away under the guest's feet. */
		madvise((void *)r->mem, PG, MADV_DONTNEED);
		r->mem[0] = stamp(g, 0);
	}
	return NULL;
}

/* One command, waiting out the holes and read-only spells (-EFAULT). */
static uint64_t cmd_through_faults(struct cmd_vm *c, unsigned long op,
				   uint64_t addr, uint64_t val, uint64_t n,
				   unsigned long *efaults)
{
	uint64_t res = 0;
	int r, i;

	r = cmd(c, op, addr, val, n, &res);
	for (i = 0; r == -EFAULT && i < 100000; i++) {
		(*efaults)++;
		usleep(200);
		r = cmd_continue(c, &res);
	}
	VM_CHECK(!r, "command %lu: %d", op, r);
	return res;
}

/*
 * One CMD_SUM_PAGES of @n pages at @gpa while another thread moves the
 * generation @gen on: no page older than the generation in place when
 * the read began (but @fresh pages that may read 0 for a moment), none
 * newer than the one in place when it ended.
 */
static void sum_round(struct __test_metadata *_metadata, struct cmd_vm *c,
		      uint64_t gpa, unsigned long n, volatile uint64_t *gen,
		      unsigned long fresh, uint64_t base, unsigned long round,
		      unsigned long *efaults)
{
	uint64_t before, after, sum;

	before = __atomic_load_n(gen, __ATOMIC_ACQUIRE);
	sum = cmd_through_faults(c, CMD_SUM_PAGES, gpa, 0, n, efaults);
	after = __atomic_load_n(gen, __ATOMIC_ACQUIRE) + 1;
	EXPECT_GE(sum, (before << 32) * (n - fresh) + base)
		TH_LOG("round %lu: sum 0x%lx, generation %lu", round,
		       (unsigned long)sum, (unsigned long)before);
	EXPECT_LE(sum, (after << 32) * n + base)
		TH_LOG("round %lu: sum 0x%lx, generation %lu", round,
		       (unsigned long)sum, (unsigned long)after);
}

/*
 * The guest sums a region's stamps while another thread keeps replacing
 * the memory behind it (mremap of files and anonymous memory over it,
 * MADV_DONTNEED): every page the guest reads is of a generation at least
 * as new as the one in place when the read began (a page of an older one
 * would be a translation that outlived its invalidation), and never
 * newer than the one in place when it ended.  rvhv's own checks
 * (debug_checks: the walk cache against a full walk) are on meanwhile.
 */
TEST(invalidations_race_faults)
{
	const unsigned long n = 32;
	struct remapper r = { .n = n };
	uint64_t base = 0;
	unsigned long i, rounds = 0, efaults = 0;
	char old, dbg;
	pthread_t thr;
	struct cmd_vm c;
	uint64_t t0;

	start(&c);
	old = set_param(PRELOAD_PARAM, true);
	dbg = set_param(DEBUG_PARAM, true);
	r.mem = vm_alloc(n * PG, M2);
	fill(r.mem, n, 1);
	r.gen = 1;
	vm_set_region(c.vm, SLOT1, 0, GPA, n * PG, (void *)r.mem);
	for (i = 0; i < n; i++)
		base += i;
	ASSERT_EQ(0, pthread_create(&thr, NULL, remap_fn, &r));
	t0 = now_ns();
	while (now_ns() - t0 < 1500000000ULL) {
		/* Page 0 may be a fresh zero page for a moment. */
		sum_round(_metadata, &c, GPA, n, &r.gen, 1, base, rounds,
			  &efaults);
		rounds++;
	}
	r.stop = 1;
	pthread_join(thr, NULL);
	/* Quiet now: every page is of the last generation. */
	for (i = 0; i < n; i++)
		EXPECT_EQ(stamp(r.gen, i), read_page(&c, i));
	TH_LOG("%lu sums over %lu generations", rounds, (unsigned long)r.gen);
	EXPECT_LE(2, rounds);
	/* The memory is replaced in one step each time: never a hole. */
	EXPECT_EQ(0, efaults);
	restore_param(DEBUG_PARAM, dbg);
	restore_param(PRELOAD_PARAM, old);
}

/*
 * The exit fast path's faults (rvhv_gstage_fault_fast(): pages the VMM's
 * page tables hold, mapped with interrupts off) against mprotect and
 * munmap.  Slot 1's memory is made read-only and writable again over and
 * over while the guest writes it; slot 2's is unmapped (a hole, -EFAULT)
 * and replaced by a new generation.
 */
struct prot_racer {
	volatile uint64_t *a, *b;	/* slot 1 (mprotect), slot 2 (munmap) */
	unsigned long n;
	volatile uint64_t gen;		/* slot 2's generation (release) */
	volatile int stop;
	unsigned long landed;		/* words changed while read-only */
	unsigned long ro_rounds;
};

static void *prot_fn(void *arg)
{
	struct prot_racer *r = arg;
	uint64_t snap[64];
	unsigned long i, k;
	void *p;

	for (k = 0; !r->stop; k++) {
		if (!(k & 1)) {
			/* Once mprotect returns, no guest store may land. */
			if (mprotect((void *)r->a, r->n * PG, PROT_READ))
				vm_fail("mprotect: %s", strerror(errno));
			for (i = 0; i < r->n; i++)
				snap[i] = r->a[i * PG / 8];
			usleep(2000);
			for (i = 0; i < r->n; i++)
				r->landed += snap[i] != r->a[i * PG / 8];
			r->ro_rounds++;
			if (mprotect((void *)r->a, r->n * PG,
				     PROT_READ | PROT_WRITE))
				vm_fail("mprotect: %s", strerror(errno));
		} else {
			uint64_t g = r->gen + 1;

			p = mmap(NULL, r->n * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				vm_fail("mmap: %s", strerror(errno));
			madvise(p, r->n * PG, MADV_NOHUGEPAGE);
			fill(p, r->n, g);
			/* A hole for a moment, then the next generation. */
			if (munmap((void *)r->b, r->n * PG))
				vm_fail("munmap: %s", strerror(errno));
			usleep(500);
			if (mremap(p, r->n * PG, r->n * PG,
				   MREMAP_MAYMOVE | MREMAP_FIXED,
				   (void *)r->b) != (void *)r->b)
				vm_fail("mremap: %s", strerror(errno));
			__atomic_store_n(&r->gen, g, __ATOMIC_RELEASE);
		}
		usleep(500);
	}
	return NULL;
}

/*
 * Guest stores to memory the VMM keeps making read-only (each round of
 * the writer thread snapshots it after mprotect returned: nothing the
 * guest does may change it until it is writable again), and guest reads
 * of memory the VMM unmaps and replaces (every page of a generation at
 * least as new as the one in place when the read began: a translation
 * that outlived its invalidation would show an older one).  Preloading
 * is off, so every page is a fault of its own; on rvhv most of them are
 * fast-path exits (gstage_fault_fast grows), with debug_checks on.
 */
TEST(fast_faults_race_mprotect_and_munmap)
{
	const unsigned long n = 16;
	struct prot_racer r = { .n = n };
	uint64_t base = 0, val = 0;
	unsigned long i, rounds = 0, efaults = 0;
	long f0, f1;
	char old, dbg;
	pthread_t thr;
	struct cmd_vm c;
	uint64_t t0;

	start(&c);
	old = set_param(PRELOAD_PARAM, false);
	dbg = set_param(DEBUG_PARAM, true);
	r.a = vm_alloc(n * PG, M2);
	r.b = vm_alloc(n * PG, M2);
	madvise((void *)r.a, n * PG, MADV_NOHUGEPAGE);
	madvise((void *)r.b, n * PG, MADV_NOHUGEPAGE);
	fill(r.a, n, 1);
	fill(r.b, n, 1);
	r.gen = 1;
	vm_set_region(c.vm, SLOT1, 0, GPA, n * PG, (void *)r.a);
	vm_set_region(c.vm, SLOT2, 0, GPA + M2, n * PG, (void *)r.b);
	for (i = 0; i < n; i++)
		base += i;
	f0 = vcpu_stat(c.vcpu, "gstage_fault_fast");
	ASSERT_EQ(0, pthread_create(&thr, NULL, prot_fn, &r));
	t0 = now_ns();
	while (now_ns() - t0 < 1500000000ULL) {
		val += 0x10000;
		cmd_through_faults(&c, CMD_FILL_PAGES, GPA, val, n, &efaults);
		sum_round(_metadata, &c, GPA + M2, n, &r.gen, 0, base, rounds,
			  &efaults);
		rounds++;
	}
	r.stop = 1;
	pthread_join(thr, NULL);
	f1 = vcpu_stat(c.vcpu, "gstage_fault_fast");
	EXPECT_EQ(0, r.landed) TH_LOG("guest stores landed in read-only memory");
	/* Quiet now: the guest's last stores, the last generation. */
	for (i = 0; i < n; i++) {
		EXPECT_EQ(val + i, r.a[i * PG / 8]);
		EXPECT_EQ(stamp(r.gen, i), read_page(&c, M2 / PG + i));
	}
	TH_LOG("%lu rounds, %lu read-only spells, %lu generations, %lu -EFAULTs, %ld fast exits",
	       rounds, r.ro_rounds, (unsigned long)r.gen, efaults, f1 - f0);
	EXPECT_LE(2, rounds);
	EXPECT_LE(1, r.ro_rounds);
	if (!dev_is_kvm())
		EXPECT_LT(0, f1 - f0);
	restore_param(DEBUG_PARAM, dbg);
	restore_param(PRELOAD_PARAM, old);
}

/*
 * Transparent huge pages behind a 4 MiB slot: the guest reads every page
 * across the 2 MiB boundary (2 MiB G-stage leaves on rvhv when the host
 * gave huge pages), then the VMM replaces 4 pages inside the first huge
 * page (the host splits it) and the guest sees exactly those change.
 */
TEST(thp_split_under_the_guest)
{
	const unsigned long n = 2 * M2 / PG;
	volatile uint64_t *mem;
	unsigned long i, sum = 0;
	long m2_0, m2_1;
	struct cmd_vm c;
	void *p;

	start(&c);
	mem = vm_alloc(2 * M2, M2);
	if (madvise((void *)mem, 2 * M2, MADV_HUGEPAGE))
		SKIP(return, "MADV_HUGEPAGE: %s", strerror(errno));
	fill(mem, n, 11);
	TH_LOG("AnonHugePages %ld kB", anon_huge_kb((void *)mem));
	vm_set_region(c.vm, SLOT1, 0, GPA, 2 * M2, (void *)mem);
	m2_0 = vcpu_stat(c.vcpu, "gstage_map_2m");
	for (i = 0; i < n; i++)
		sum += stamp(11, i);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n));
	m2_1 = vcpu_stat(c.vcpu, "gstage_map_2m");
	if (!dev_is_kvm() && anon_huge_kb((void *)mem) >= 4096)
		EXPECT_EQ(2, m2_1 - m2_0);
	for (i = 510; i < 514; i++)
		EXPECT_EQ(stamp(11, i), read_page(&c, i));

	p = mmap((void *)&mem[100 * PG / 8], 4 * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)&mem[100 * PG / 8], p);
	for (i = 100; i < 104; i++)
		mem[i * PG / 8] = stamp(12, i);
	for (i = 96; i < 108; i++)
		EXPECT_EQ(stamp(i >= 100 && i < 104 ? 12 : 11, i),
			  read_page(&c, i));
	for (i = 100; i < 104; i++)
		sum += stamp(12, i) - stamp(11, i);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n));
}

#define G1		(1UL << 30)
#define G1_PARAM	"/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << 26)
#endif

/*
 * A 1 GiB hugetlbfs page behind a 1 GiB slot (where the host can give
 * one: the test host has 2 GiB, so it often cannot): one 1 GiB G-stage
 * leaf on rvhv, every page's stamp right across it, and dirty logging
 * splitting it page by page on writes.
 */
TEST(gib_hugetlb_page)
{
	const unsigned long n = G1 / PG;
	const uint64_t gpa = 0x100000000UL;
	struct kvm_dirty_log log = { .slot = SLOT1 };
	volatile uint64_t *mem;
	unsigned long i, sum = 0;
	const char *cur;
	uint64_t *bm;
	long g0, g1;
	struct cmd_vm c;
	int old = -1;

	cur = rvhv_read_file(G1_PARAM);
	if (!cur)
		SKIP(return, "no 1 GiB huge pages on this host");
	old = atoi(cur);
	if (old < 1 && (rvhv_write_file(G1_PARAM, "1") ||
			atoi(rvhv_read_file(G1_PARAM)) < 1)) {
		rvhv_write_file(G1_PARAM, "0");
		SKIP(return, "the host could not reserve a 1 GiB page");
	}
	mem = mmap(NULL, G1, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB,
		   -1, 0);
	if (mem == MAP_FAILED) {
		if (old < 1)
			rvhv_write_file(G1_PARAM, "0");
		SKIP(return, "MAP_HUGE_1GB: %s", strerror(errno));
	}
	start(&c);
	fill(mem, n, 13);
	for (i = 0; i < n; i++)
		sum += stamp(13, i);
	vm_set_region(c.vm, SLOT1, 0, gpa, G1, (void *)mem);
	g0 = vcpu_stat(c.vcpu, "gstage_map_1g");
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, gpa, 0, n));
	g1 = vcpu_stat(c.vcpu, "gstage_map_1g");
	if (!dev_is_kvm())
		EXPECT_EQ(1, g1 - g0);
	for (i = 511; i < n; i += 131071)
		EXPECT_EQ(stamp(13, i), cmd_ok(&c, CMD_READ64, gpa + i * PG,
					       0, 0));

	/* Logging: write-protected whole, split by the writes. */
	bm = calloc(n / 64, 8);
	ASSERT_TRUE(bm != NULL);
	log.dirty_bitmap = bm;
	vm_set_region(c.vm, SLOT1, KVM_MEM_LOG_DIRTY_PAGES, gpa, G1,
		      (void *)mem);
	ASSERT_EQ(0, ioctl(c.vm->fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, gpa, 0, n));
	cmd_ok(&c, CMD_WRITE64, gpa + 3 * PG, 3, 0);
	cmd_ok(&c, CMD_WRITE64, gpa + (n - 1) * PG, 4, 0);
	ASSERT_EQ(0, ioctl(c.vm->fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_EQ(2, count_bits(bm, n));
	EXPECT_TRUE(bm[0] & 8);
	EXPECT_TRUE(bm[n / 64 - 1] >> 63);
	EXPECT_EQ(3, mem[3 * PG / 8]);
	EXPECT_EQ(4, mem[(n - 1) * PG / 8]);
	sum += 3 + 4 - stamp(13, 3) - stamp(13, n - 1);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, gpa, 0, n));
	free(bm);
	munmap((void *)mem, G1);
	if (old < 1)
		rvhv_write_file(G1_PARAM, "0");
}

TEST_HARNESS_MAIN
