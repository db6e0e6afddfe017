// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, and the
 * dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL, KVM_RESET_DIRTY_RINGS,
 * KVM_EXIT_DIRTY_RING_FULL), with their errnos; a guest writing while
 * the VMM harvests in another thread, checked the way a migration would
 * (the VMM's copy against the memory and the guest's own record);
 * 2 MiB mappings split while a slot logs and rebuilt after; slots deleted
 * while a harvest runs.  Held to kvm.ko, whose riscv port (6.12) has no
 * dirty ring: those tests skip there.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/dirty_abi.h"

#define PG		4096UL
#define M2		0x200000UL
#define SLOT		1
#define GPA		GUEST_EXTRA
#define LOG		KVM_MEM_LOG_DIRTY_PAGES
#define MANUAL_CAPS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
			 KVM_DIRTY_LOG_INITIALLY_SET)

/* <asm/kvm.h> of riscv defines it from Linux 6.17 only (uapi/linux/rvhv.h). */
#if KVM_DIRTY_LOG_PAGE_OFFSET
#define RING_PGOFF	KVM_DIRTY_LOG_PAGE_OFFSET
#else
#define RING_PGOFF	RVHV_DIRTY_LOG_PAGE_OFFSET
#endif

#define NO_RING_REASON	"no dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL 0: kvm.ko's riscv port has it from Linux 6.17)"

static int enable_cap(struct vm *vm, uint32_t cap, uint32_t flags,
		      uint64_t arg0)
{
	struct kvm_enable_cap c = { .cap = cap, .flags = flags,
				    .args = { arg0 } };

	return ioctl(vm->fd, KVM_ENABLE_CAP, &c) ? -errno : 0;
}

static int get_log(struct vm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log l = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &l) ? -errno : 0;
}

static int clear_log(struct vm *vm, uint32_t slot, uint64_t first,
		     uint32_t n, void *bitmap)
{
	struct kvm_clear_dirty_log l = {
		.slot = slot, .first_page = first, .num_pages = n,
		.dirty_bitmap = bitmap,
	};

	return ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &l) ? -errno : 0;
}

static long reset_rings(struct vm *vm)
{
	long r = ioctl(vm->fd, KVM_RESET_DIRTY_RINGS, 0);

	return r < 0 ? -errno : r;
}

static bool bit(const uint64_t *bm, unsigned long i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static unsigned long popcount(const uint64_t *bm, unsigned long npages)
{
	unsigned long i, n = 0;

	for (i = 0; i < npages; i++)
		n += bit(bm, i);
	return n;
}

/* The set pages of bm, as "a-b,c,..." (for messages). */
static const char *bits_str(const uint64_t *bm, unsigned long npages)
{
	static char buf[256];
	unsigned long i, j;
	size_t n = 0;

	buf[0] = 0;
	for (i = 0; i < npages && n < sizeof(buf) - 32; i = j) {
		if (!bit(bm, i)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < npages && bit(bm, j); j++)
			;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%lu", n ? "," : "",
			      i);
		if (j - 1 > i)
			n += snprintf(buf + n, sizeof(buf) - n, "-%lu", j - 1);
	}
	return buf;
}

/* Is bm exactly the pages [lo, hi) plus those in extra[] (-1 ends)? */
static bool bits_are(const uint64_t *bm, unsigned long npages,
		     unsigned long lo, unsigned long hi, const long *extra)
{
	unsigned long i;
	bool want;
	int k;

	for (i = 0; i < npages; i++) {
		want = i >= lo && i < hi;
		for (k = 0; extra && extra[k] >= 0; k++)
			want |= (unsigned long)extra[k] == i;
		if (bit(bm, i) != want)
			return false;
	}
	return true;
}

/* KVM_GET_DIRTY_LOG of @slot (@n pages) is exactly bits_are()'s set. */
static void expect_log(struct __test_metadata *_metadata, struct vm *vm,
		       uint32_t slot, unsigned long n, unsigned long lo,
		       unsigned long hi, const long *extra)
{
	uint64_t bm[16] = { 0 };

	ASSERT_GE(sizeof(bm) * 8, n);
	ASSERT_EQ(0, get_log(vm, slot, bm));
	EXPECT_TRUE(bits_are(bm, n, lo, hi, extra))
		TH_LOG("slot %u reported %s", slot, bits_str(bm, n));
}

/* A vCPU's dirty ring, mapped, and where harvesting goes on. */
struct ring {
	struct kvm_dirty_gfn *gfns;
	uint32_t n;
	uint32_t next;
};

static void ring_map(struct ring *r, struct vcpu *vcpu, uint32_t bytes)
{
	r->gfns = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vcpu->fd, RING_PGOFF * PG);
	if (r->gfns == MAP_FAILED)
		vm_fail("mmap of the dirty ring: %s", strerror(errno));
	r->n = bytes / sizeof(struct kvm_dirty_gfn);
	r->next = 0;
}

/*
 * Harvest the ring's dirty entries in order, marking each for reset:
 * up to max, their slots and offsets in slots[]/offs[] (may be NULL).
 */
static unsigned int ring_harvest(struct ring *r, uint32_t *slots,
				 uint64_t *offs, unsigned int max)
{
	struct kvm_dirty_gfn *e;
	unsigned int n = 0;

	while (n < max) {
		e = &r->gfns[r->next % r->n];
		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) &
		      KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (slots)
			slots[n] = e->slot;
		if (offs)
			offs[n] = e->offset;
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
				 __ATOMIC_RELEASE);
		r->next++;
		n++;
	}
	return n;
}

/* KVM_CHECK_EXTENSION on the device (before any VM exists). */
static long dev_check_cap(long cap)
{
	int dev = vm_dev_open();
	long r = ioctl(dev, KVM_CHECK_EXTENSION, cap);

	close(dev);
	return r;
}

static bool dev_has_ring(void)
{
	return dev_check_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL) > 0;
}

/* rvhv's debugfs "memory" line of this process's VM: a field, or -1. */
static long vm_mem_field(const char *key)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "vm pid=%d ", getpid());
	return rvhv_debugfs_field(RVHV_DEBUGFS "memory", pid, key);
}

static void capabilities(struct __test_metadata *_metadata, struct vm *vm)
{
	long ring = vm_check_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
	int dev = vm_dev_open();

	long manual = vm_check_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	/* kvm.ko's riscv port: no INITIALLY_SET (x86 and arm64 have it). */
	EXPECT_EQ(dev_is_kvm() ? KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE :
				 MANUAL_CAPS, manual);
	EXPECT_EQ(manual, ioctl(dev, KVM_CHECK_EXTENSION,
				KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	/* A weakly ordered architecture offers the ACQ_REL ring only. */
	EXPECT_EQ(0, vm_check_cap(vm, KVM_CAP_DIRTY_LOG_RING));
	EXPECT_EQ(0, vm_check_cap(vm, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP));
	EXPECT_EQ(ring, ioctl(dev, KVM_CHECK_EXTENSION,
			      KVM_CAP_DIRTY_LOG_RING_ACQ_REL));
	if (dev_is_kvm())
		TH_LOG("kvm.ko: KVM_CAP_DIRTY_LOG_RING_ACQ_REL %ld", ring);
	else
		EXPECT_EQ(65536 * sizeof(struct kvm_dirty_gfn), ring);

	/* MANUAL_PROTECT2: INITIALLY_SET only with ENABLE, no flags. */
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				      0, KVM_DIRTY_LOG_INITIALLY_SET));
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				      0, 4));
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				      1, 1));
	EXPECT_EQ(manual == MANUAL_CAPS ? 0 : -EINVAL,
		  enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
			     MANUAL_CAPS));
	EXPECT_EQ(0, enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 1));
	EXPECT_EQ(0, enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 0));
	/* Neither the TSO ring nor the ring's bitmap. */
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING, 0, 4096));
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP,
				      0, 0));
	/* Without a ring, nothing to reset. */
	EXPECT_EQ(-EINVAL, reset_rings(vm));
	if (!ring)
		EXPECT_EQ(-EINVAL, enable_cap(vm,
					      KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
					      0, 4096));
	close(dev);
}

/* Which flag changes KVM allows, and what KVM_GET_DIRTY_LOG refuses. */
static void log_flag_rules(struct __test_metadata *_metadata, struct vm *vm)
{
	char *mem = vm_alloc(64 * PG, PG);
	char *ro = vm_alloc(64 * PG, PG);
	uint64_t bm[2] = { 0 };

	/* GET: slot ids, then a slot that logs. */
	EXPECT_EQ(-ENOENT, get_log(vm, SLOT, bm));
	EXPECT_EQ(-EINVAL, get_log(vm, vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS),
				   bm));
	EXPECT_EQ(-EINVAL, get_log(vm, 1U << 16 | SLOT, bm));
	ASSERT_EQ(0, vm_set_region_try(vm, SLOT, 0, GPA, 64 * PG, mem));
	EXPECT_EQ(-ENOENT, get_log(vm, SLOT, bm));

	/* On and off in place, alone or with a move. */
	EXPECT_EQ(0, vm_set_region_try(vm, SLOT, LOG, GPA, 64 * PG, mem));
	bm[0] = ~0UL;
	EXPECT_EQ(0, get_log(vm, SLOT, bm));
	EXPECT_EQ(0, bm[0]);
	EXPECT_EQ(-EFAULT, get_log(vm, SLOT, (void *)8));
	EXPECT_EQ(0, vm_set_region_try(vm, SLOT, 0, GPA, 64 * PG, mem));
	EXPECT_EQ(-ENOENT, get_log(vm, SLOT, bm));
	EXPECT_EQ(0, vm_set_region_try(vm, SLOT, LOG, GPA + M2, 64 * PG, mem));
	EXPECT_EQ(0, get_log(vm, SLOT, bm));
	EXPECT_EQ(0, vm_set_region_try(vm, SLOT, 0, GPA, 64 * PG, mem));
	EXPECT_EQ(-ENOENT, get_log(vm, SLOT, bm));
	/* KVM_MEM_READONLY never changes, with or without logging. */
	EXPECT_EQ(-EINVAL, vm_set_region_try(vm, SLOT, KVM_MEM_READONLY | LOG,
					     GPA, 64 * PG, mem));
	EXPECT_EQ(-EINVAL, vm_set_region_try(vm, SLOT, KVM_MEM_READONLY, GPA,
					     64 * PG, mem));
	/* A flags change checks the VMAs again (writable slot: EPERM). */
	ASSERT_EQ(0, mprotect(mem, 64 * PG, PROT_READ));
	EXPECT_EQ(-EPERM, vm_set_region_try(vm, SLOT, LOG, GPA, 64 * PG, mem));
	ASSERT_EQ(0, mprotect(mem, 64 * PG, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, vm_set_region_try(vm, SLOT, LOG, GPA, 64 * PG, mem));
	/* Logging a read-only slot is allowed (it never gets dirty). */
	ASSERT_EQ(0, mprotect(ro, 64 * PG, PROT_READ));
	EXPECT_EQ(0, vm_set_region_try(vm, 2, KVM_MEM_READONLY | LOG,
				       GPA + M2, 64 * PG, ro));
	EXPECT_EQ(0, get_log(vm, 2, bm));
	EXPECT_EQ(-EINVAL, vm_set_region_try(vm, 2, LOG, GPA + M2, 64 * PG,
					     ro));
	/* Deleting a logged slot. */
	EXPECT_EQ(0, vm_set_region_try(vm, 2, 0, GPA + M2, 0, ro));
	EXPECT_EQ(-ENOENT, get_log(vm, 2, bm));
	EXPECT_EQ(0, vm_set_region_try(vm, SLOT, 0, GPA, 0, mem));
}

/*
 * KVM_GET_DIRTY_LOG without manual protection: exactly the pages the
 * guest wrote, and each harvest clears and re-arms what it reported.
 */
static void get_dirty_log(struct __test_metadata *_metadata,
			  struct cmd_vm *cv)
{
	struct cmd_vm c = *cv;
	const unsigned long n = 64;
	const long extra[] = { 3, 63, -1 }, three[] = { 3, -1 };
	uint64_t bm[1], *mem;
	unsigned long i;

	mem = vm_add_mem(c.vm, SLOT, GPA, n * PG, LOG);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(0, popcount(bm, n));

	cmd_ok(&c, CMD_FILL_PAGES, GPA + 10 * PG, 0x1000, 11);
	cmd_ok(&c, CMD_WRITE64, GPA + 3 * PG + 8, 7, 0);
	cmd_ok(&c, CMD_WRITE64, GPA + 63 * PG + 4088, 9, 0);
	/* Reading is not writing. */
	EXPECT_EQ(0x1000 * 11 + 55, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n));
	expect_log(_metadata, c.vm, SLOT, n, 10, 21, extra);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(0, popcount(bm, n)) TH_LOG("again: %s", bits_str(bm, n));

	/* Re-armed: the next writes are reported again, only they. */
	cmd_ok(&c, CMD_WRITE64, GPA + 3 * PG, 11, 0);
	cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n);
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, three);
	cmd_ok(&c, CMD_FILL_PAGES, GPA, 0x2000, n);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(n, popcount(bm, n));
	for (i = 0; i < n; i++)
		if (mem[i * PG / 8] != 0x2000 + i)
			break;
	EXPECT_EQ(n, i);

	/* Logging off and on again starts from nothing. */
	vm_set_region(c.vm, SLOT, 0, GPA, n * PG, mem);
	cmd_ok(&c, CMD_WRITE64, GPA + 5 * PG, 1, 0);
	vm_set_region(c.vm, SLOT, LOG, GPA, n * PG, mem);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(0, popcount(bm, n)) TH_LOG("%s", bits_str(bm, n));
	cmd_ok(&c, CMD_WRITE64, GPA + 5 * PG, 2, 0);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_TRUE(bit(bm, 5));
	EXPECT_EQ(1, popcount(bm, n));
	vm_set_region(c.vm, SLOT, 0, GPA, 0, mem);
}

/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: GET only reads, CLEAR clears and re-arms. */
static void manual_protect(struct __test_metadata *_metadata,
			   struct cmd_vm *cv)
{
	struct cmd_vm c = *cv;
	const unsigned long n = 128;
	const long w3[] = { 5, 70, 100, -1 }, w2[] = { 70, 100, -1 };
	const long w2b[] = { 5, 70, -1 };
	uint64_t bm[2], again[2], mask[2];

	ASSERT_EQ(0, enable_cap(c.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE));
	vm_add_mem(c.vm, SLOT, GPA, n * PG, LOG);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(0, popcount(bm, n));
	cmd_ok(&c, CMD_WRITE64, GPA + 5 * PG, 1, 0);
	cmd_ok(&c, CMD_WRITE64, GPA + 70 * PG, 1, 0);
	cmd_ok(&c, CMD_WRITE64, GPA + 100 * PG, 1, 0);
	cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n);
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, w3);
	/* GET takes nothing. */
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	ASSERT_EQ(0, get_log(c.vm, SLOT, again));
	EXPECT_EQ(0, memcmp(bm, again, sizeof(bm)));
	EXPECT_EQ(3, popcount(bm, n));

	/* CLEAR takes what it is given, and re-arms it. */
	memset(mask, 0, sizeof(mask));
	mask[0] = ~0UL;
	ASSERT_EQ(0, clear_log(c.vm, SLOT, 0, 64, mask));
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, w2);
	cmd_ok(&c, CMD_WRITE64, GPA + 5 * PG, 2, 0);
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, w3);
	mask[0] = 1;			/* page 64: not set, nothing */
	ASSERT_EQ(0, clear_log(c.vm, SLOT, 64, 64, mask));
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, w3);
	mask[0] = 1UL << 36;		/* page 100 */
	ASSERT_EQ(0, clear_log(c.vm, SLOT, 64, 64, mask));
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, w2b);
	cmd_ok(&c, CMD_WRITE64, GPA + 100 * PG, 2, 0);
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, w3);

	/* Everything, in two calls. */
	memset(mask, 0xff, sizeof(mask));
	ASSERT_EQ(0, clear_log(c.vm, SLOT, 0, 64, mask));
	ASSERT_EQ(0, clear_log(c.vm, SLOT, 64, 64, mask));
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(0, popcount(bm, n)) TH_LOG("%s", bits_str(bm, n));
	cmd_ok(&c, CMD_FILL_PAGES, GPA + 60 * PG, 0, 8);
	expect_log(_metadata, c.vm, SLOT, n, 60, 68, NULL);
}

/*
 * KVM_DIRTY_LOG_INITIALLY_SET: a new log starts all set (every page
 * counts as dirty until cleared), and CLEAR re-arms as usual.
 */
TEST(manual_protect_initially_set)
{
	const unsigned long n = 128;
	uint64_t bm[2], mask[2];
	struct cmd_vm c;

	/* abi_rules checks that enabling it fails where it is not offered. */
	if (!(dev_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) &
	      KVM_DIRTY_LOG_INITIALLY_SET))
		SKIP(return, "no KVM_DIRTY_LOG_INITIALLY_SET (kvm.ko has it on x86 and arm64, not riscv)");
	cmd_start(&c);
	ASSERT_EQ(0, enable_cap(c.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				MANUAL_CAPS));
	vm_add_mem(c.vm, SLOT, GPA, n * PG, LOG);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(n, popcount(bm, n));
	cmd_ok(&c, CMD_WRITE64, GPA + 5 * PG, 1, 0);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(n, popcount(bm, n));

	/* Clear the first 64: they stay clear until written. */
	memset(mask, 0, sizeof(mask));
	mask[0] = ~0UL;
	ASSERT_EQ(0, clear_log(c.vm, SLOT, 0, 64, mask));
	expect_log(_metadata, c.vm, SLOT, n, 64, n, NULL);
	cmd_ok(&c, CMD_WRITE64, GPA + 5 * PG, 2, 0);
	cmd_ok(&c, CMD_WRITE64, GPA + 70 * PG, 2, 0);
	cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n);
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_TRUE(bit(bm, 5));
	EXPECT_EQ(n - 63, popcount(bm, n)) TH_LOG("%s", bits_str(bm, n));

	/* A log turned on later on an existing slot starts all set too. */
	vm_add_mem(c.vm, 2, GPA + M2, 64 * PG, 0);
	cmd_ok(&c, CMD_FILL_PAGES, GPA + M2, 0, 64);
	vm_set_region(c.vm, 2, LOG, GPA + M2, 64 * PG, vm_gpa2hva(c.vm, GPA + M2));
	ASSERT_EQ(0, get_log(c.vm, 2, bm));
	EXPECT_EQ(64, popcount(bm, 64));
	memset(mask, 0xff, sizeof(mask));
	ASSERT_EQ(0, clear_log(c.vm, 2, 0, 64, mask));
	cmd_ok(&c, CMD_WRITE64, GPA + M2 + 9 * PG, 1, 0);
	ASSERT_EQ(0, get_log(c.vm, 2, bm));
	EXPECT_TRUE(bit(bm, 9));
	EXPECT_EQ(1, popcount(bm, 64)) TH_LOG("%s", bits_str(bm, 64));

	/* Without INITIALLY_SET a new log starts empty. */
	ASSERT_EQ(0, enable_cap(c.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE));
	vm_add_mem(c.vm, 3, GPA + 2 * M2, 64 * PG, LOG);
	ASSERT_EQ(0, get_log(c.vm, 3, bm));
	EXPECT_EQ(0, popcount(bm, 64));
	vm_free(c.vm);
}

/* KVM_CLEAR_DIRTY_LOG's checks, in KVM's order. */
static void clear_dirty_log_rules(struct __test_metadata *_metadata,
				  struct vm *vm)
{
	uint64_t mask[4];

	memset(mask, 0xff, sizeof(mask));
	vm_add_mem(vm, SLOT, GPA, 200 * PG, LOG);
	vm_add_mem(vm, 2, GPA + M2, 64 * PG, 0);
	/* first_page must be a multiple of 64, checked before the slot. */
	EXPECT_EQ(-EINVAL, clear_log(vm, SLOT, 1, 64, mask));
	EXPECT_EQ(-EINVAL, clear_log(vm, 7, 63, 64, mask));
	EXPECT_EQ(-EINVAL, clear_log(vm, 1U << 16 | SLOT, 0, 64, mask));
	EXPECT_EQ(-ENOENT, clear_log(vm, 7, 0, 64, mask));
	EXPECT_EQ(-ENOENT, clear_log(vm, 2, 0, 64, mask));
	/* num_pages: whole words, or up to the end of the slot. */
	EXPECT_EQ(-EINVAL, clear_log(vm, SLOT, 0, 65, mask));
	EXPECT_EQ(-EINVAL, clear_log(vm, SLOT, 64, 1, mask));
	EXPECT_EQ(0, clear_log(vm, SLOT, 192, 8, mask));
	EXPECT_EQ(0, clear_log(vm, SLOT, 128, 72, mask));
	EXPECT_EQ(0, clear_log(vm, SLOT, 0, 200, mask));
	EXPECT_EQ(0, clear_log(vm, SLOT, 0, 128, mask));
	EXPECT_EQ(0, clear_log(vm, SLOT, 0, 0, mask));
	/* Past the end. */
	EXPECT_EQ(-EINVAL, clear_log(vm, SLOT, 192, 9, mask));
	EXPECT_EQ(-EINVAL, clear_log(vm, SLOT, 256, 0, mask));
	EXPECT_EQ(-EINVAL, clear_log(vm, SLOT, 128, 128, mask));
	EXPECT_EQ(-EINVAL, clear_log(vm, SLOT, 1ULL << 62, 64, mask));
	/* The bitmap must be readable. */
	EXPECT_EQ(-EFAULT, clear_log(vm, SLOT, 0, 64, (void *)8));
	vm_set_region(vm, SLOT, 0, GPA, 0, vm_gpa2hva(vm, GPA));
	vm_set_region(vm, 2, 0, GPA + M2, 0, vm_gpa2hva(vm, GPA + M2));
}

/* A logged read-only slot: reads work, writes are MMIO, nothing logs. */
static void readonly_logged_slot(struct __test_metadata *_metadata,
				 struct cmd_vm *cv)
{
	struct cmd_vm c = *cv;
	uint64_t bm[1], res, *ro;
	int r;

	ro = vm_alloc(64 * PG, PG);
	ro[2 * PG / 8] = 42;
	ASSERT_EQ(0, mprotect(ro, 64 * PG, PROT_READ));
	vm_set_region(c.vm, SLOT, KVM_MEM_READONLY | LOG, GPA, 64 * PG, ro);
	EXPECT_EQ(42, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, 64));
	r = cmd(&c, CMD_WRITE64, GPA + 2 * PG, 1, 0, &res);
	ASSERT_EQ(1, r);
	EXPECT_EQ(KVM_EXIT_MMIO, c.vcpu->run->exit_reason);
	EXPECT_EQ(GPA + 2 * PG, c.vcpu->run->mmio.phys_addr);
	ASSERT_EQ(0, cmd_continue(&c, &res));
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(0, bm[0]);
	EXPECT_EQ(42, ro[2 * PG / 8]);
	vm_set_region(c.vm, SLOT, 0, GPA, 0, ro);
}

/*
 * Capabilities, slot flags, the errnos of KVM_GET/CLEAR_DIRTY_LOG; then
 * get-and-clear, a logged read-only slot, manual protection.
 */
TEST(bitmap_log)
{
	struct cmd_vm c;

	cmd_start(&c);
	capabilities(_metadata, c.vm);
	log_flag_rules(_metadata, c.vm);
	clear_dirty_log_rules(_metadata, c.vm);
	get_dirty_log(_metadata, &c);
	readonly_logged_slot(_metadata, &c);
	manual_protect(_metadata, &c);
	vm_free(c.vm);
}

/* The ring's set-up and its hostile inputs. */
static void ring_rules(struct __test_metadata *_metadata)
{
	struct vm *vm = vm_create();
	struct kvm_dirty_gfn *e;
	struct vcpu *vcpu;
	uint64_t bm[1];
	struct ring r;
	void *p;
	int i;

	/* A power of two, of a page at least, at most 64 Ki entries. */
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				      0));
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				      3 * PG));
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				      PG / 2));
	EXPECT_EQ(-E2BIG, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				     2UL << 20));
	/* The size is a u32: the upper bits go. */
	EXPECT_EQ(0, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				(1ULL << 32) | PG));
	/* Once. */
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				      2 * PG));
	EXPECT_EQ(-E2BIG, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				     4UL << 20));
	EXPECT_EQ(0, reset_rings(vm));
	vcpu = vcpu_create(vm, 0);

	/* Shared, not private. */
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, vcpu->fd,
		 RING_PGOFF * PG);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, (RING_PGOFF + 1) * PG, PROT_READ, MAP_PRIVATE,
		 vcpu->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	ring_map(&r, vcpu, PG);

	/* No bitmaps with a ring. */
	vm_add_mem(vm, SLOT, GPA, 64 * PG, LOG);
	EXPECT_EQ(-ENXIO, get_log(vm, SLOT, bm));
	EXPECT_EQ(-ENXIO, clear_log(vm, SLOT, 0, 64, bm));

	/* Entries userspace marks that hold nothing: nothing to reset. */
	for (i = 0; i < (int)r.n; i++)
		r.gfns[i].flags = KVM_DIRTY_GFN_F_RESET;
	EXPECT_EQ(0, reset_rings(vm));
	EXPECT_EQ(KVM_DIRTY_GFN_F_RESET, r.gfns[0].flags);
	memset(r.gfns, 0, PG);

	/* Two pushed; marked out of order; then with garbage in them. */
	vcpu_start(vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	{
		struct cmd_vm c = { .vm = vm, .vcpu = vcpu };

		cmd_ok(&c, CMD_FILL_PAGES, GPA, 0, 2);
	}
	e = r.gfns;
	EXPECT_EQ(KVM_DIRTY_GFN_F_DIRTY, e[0].flags);
	EXPECT_EQ(KVM_DIRTY_GFN_F_DIRTY, e[1].flags);
	EXPECT_EQ(0, e[2].flags);
	EXPECT_EQ(SLOT, e[0].slot);
	EXPECT_EQ(0, e[0].offset);
	EXPECT_EQ(1, e[1].offset);
	e[1].flags = KVM_DIRTY_GFN_F_RESET;
	EXPECT_EQ(0, reset_rings(vm));
	e[0].slot = 0xffffffff;
	e[1].offset = ~0ULL;
	e[0].flags = KVM_DIRTY_GFN_F_RESET | KVM_DIRTY_GFN_F_DIRTY;
	EXPECT_EQ(2, reset_rings(vm));
	EXPECT_EQ(0, e[0].flags);
	EXPECT_EQ(0, e[1].flags);
	EXPECT_EQ(0, reset_rings(vm));

	/* A vCPU exists now: no ring for a VM that has none. */
	vm_free(vm);
	vm = vm_create();
	vcpu = vcpu_create(vm, 0);
	EXPECT_EQ(-EINVAL, enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0,
				      PG));
	EXPECT_EQ(-EINVAL, reset_rings(vm));
	vm_free(vm);
}

/*
 * The ring at its soft limit: KVM_RUN exits with KVM_EXIT_DIRTY_RING_FULL
 * before the guest goes on, and again until the VMM resets; after the
 * reset the guest finishes, and what it writes again is reported again.
 * @vmm_wrote: the VMM wrote every page first, so that on rvhv the
 * guest's faults are exit fast-path ones, which log into the ring and
 * leave the push that reaches the soft limit to the full path.
 */
static void ring_full(struct __test_metadata *_metadata, struct cmd_vm *cv,
		      struct ring *rp, bool vmm_wrote)
{
	const unsigned long n = 200, soft = PG / 16 - 64;
	uint64_t offs[256], res, *mem;
	struct cmd_vm c = *cv;
	struct ring r = *rp;
	uint32_t slots[256];
	unsigned int got, i;
	long fast0;
	int rc;

	/* A ring of one page, never used yet, and the vCPU in its loop. */
	ASSERT_EQ(PG / 16, r.n);
	ASSERT_EQ(0, r.next);
	mem = vm_add_mem(c.vm, SLOT, GPA, 512 * PG, LOG);
	if (vmm_wrote)
		for (i = 0; i < 512; i++)
			mem[i * PG / 8] = 1;
	fast0 = vcpu_stat(c.vcpu, "gstage_fault_fast");

	rc = cmd(&c, CMD_FILL_PAGES, GPA, 0x5000, n, &res);
	ASSERT_EQ(1, rc);
	ASSERT_EQ(KVM_EXIT_DIRTY_RING_FULL, c.vcpu->run->exit_reason);
	/* Exactly the soft limit, in the order written. */
	for (i = 0; i < r.n; i++)
		if (!(r.gfns[i].flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
	EXPECT_EQ(soft, i);
	if (vmm_wrote && !dev_is_kvm())
		EXPECT_LE(fast0 + soft - 1, vcpu_stat(c.vcpu, "gstage_fault_fast"));
	/* Until reset, no progress. */
	ASSERT_EQ(1, cmd_continue(&c, &res));
	ASSERT_EQ(KVM_EXIT_DIRTY_RING_FULL, c.vcpu->run->exit_reason);
	got = ring_harvest(&r, slots, offs, 256);
	EXPECT_EQ(soft, got);
	for (i = 0; i < got; i++) {
		if (slots[i] != SLOT || offs[i] != i)
			break;
	}
	EXPECT_EQ(got, i) TH_LOG("entry %u: slot %u offset %llu", i,
				 slots[i], (unsigned long long)offs[i]);
	EXPECT_EQ(soft, reset_rings(c.vm));
	EXPECT_EQ(0, r.gfns[0].flags);

	/*
	 * The store whose fault filled the ring to its limit had not run:
	 * the reset protected its page again, so it is logged again.
	 */
	ASSERT_EQ(0, cmd_continue(&c, &res));
	got = ring_harvest(&r, slots, offs, 256);
	EXPECT_EQ(n - soft + 1, got);
	for (i = 0; i < got; i++)
		if (slots[i] != SLOT || offs[i] != soft - 1 + i)
			break;
	EXPECT_EQ(got, i) TH_LOG("entry %u: slot %u offset %llu", i,
				 slots[i], (unsigned long long)offs[i]);
	EXPECT_EQ(got, reset_rings(c.vm));
	for (i = 0; i < n; i++)
		if (mem[i * PG / 8] != 0x5000 + i)
			break;
	EXPECT_EQ(n, i);

	/* Re-armed by the reset. */
	cmd_ok(&c, CMD_WRITE64, GPA + 7 * PG, 1, 0);
	cmd_ok(&c, CMD_WRITE64, GPA + 7 * PG, 2, 0);
	got = ring_harvest(&r, slots, offs, 256);
	EXPECT_EQ(1, got);
	EXPECT_EQ(7, offs[0]);
	EXPECT_EQ(1, reset_rings(c.vm));
	vm_set_region(c.vm, SLOT, 0, GPA, 0, mem);
	*rp = r;
}

enum mode { BITMAP, MANUAL, RING };

/* The VMM side of a migration's memory: a copy, and how it was kept. */
struct mig {
	enum mode mode;
	struct vm *vm;
	struct ring ring;
	char *mem, *copy;
	unsigned long npages;
	uint64_t *bm;
	unsigned long harvests, copied;
};

static void mig_copy(struct mig *m, unsigned long page)
{
	memcpy(m->copy + page * PG, m->mem + page * PG, PG);
	m->copied++;
}

/*
 * One pass, as a migration's: learn what was dirtied, re-arm it, then
 * copy it (for the ring KVM_RESET_DIRTY_RINGS re-arms, so it comes
 * before the copy too).
 */
static void mig_harvest(struct mig *m)
{
	uint64_t offs[512];
	uint32_t slots[512];
	unsigned int n, i;
	long r;

	m->harvests++;
	if (m->mode == RING) {
		n = ring_harvest(&m->ring, slots, offs, 512);
		r = reset_rings(m->vm);
		if (r != n)
			vm_fail("KVM_RESET_DIRTY_RINGS: %ld, harvested %u", r, n);
		for (i = 0; i < n; i++) {
			if (slots[i] != SLOT || offs[i] >= m->npages)
				vm_fail("entry: slot %u offset %llu", slots[i],
					(unsigned long long)offs[i]);
			mig_copy(m, offs[i]);
		}
		return;
	}
	if (get_log(m->vm, SLOT, m->bm))
		vm_fail("KVM_GET_DIRTY_LOG: %s", strerror(errno));
	if (m->mode == MANUAL &&
	    clear_log(m->vm, SLOT, 0, m->npages, m->bm))
		vm_fail("KVM_CLEAR_DIRTY_LOG: %s", strerror(errno));
	for (i = 0; i < m->npages; i++)
		if (bit(m->bm, i))
			mig_copy(m, i);
}

struct writer {
	struct vcpu *vcpu;
	pthread_t thr;
	volatile int done;
	volatile long err;
	volatile unsigned long ring_full;
	unsigned long gen;
};

/* Run guest_dirty_writer to its end; a full ring waits for the harvest. */
static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	struct ucall uc;
	int r;

	for (;;) {
		r = vcpu_ucall_try(w->vcpu, &uc);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			w->err = r;
			break;
		}
		if (r > 0) {
			if (w->vcpu->run->exit_reason !=
			    KVM_EXIT_DIRTY_RING_FULL) {
				w->err = 1000 + w->vcpu->run->exit_reason;
				break;
			}
			w->ring_full++;
			usleep(200);
			continue;
		}
		if (uc.fid == UCALL_DONE)
			w->gen = uc.args[0];
		else
			w->err = 2000 + uc.fid;
		break;
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

#define MIG_PAGES	16
#define MIG_HARVESTS	8

/*
 * A guest writes its pages over and over while this thread harvests in a
 * loop, copying what each harvest reports.  After the guest stopped and a
 * last harvest, the copy must equal the memory, page for page, and hold
 * the generation the guest recorded for each page: a write missed by
 * the log is a page the copy has stale.
 */
/*
 * On @vm and its vCPU @vcpu (for RING, its @ring mapped): a new logged
 * slot, the writer, the harvests; the slot is deleted after.
 */
static void harvest_while_writing_mode(struct __test_metadata *_metadata,
				       struct vm *vm, struct vcpu *vcpu,
				       struct ring *ring, enum mode mode)
{
	struct mig m = { .mode = mode, .npages = MIG_PAGES, .vm = vm };
	volatile struct dirty_ctl *ctl;
	struct writer w = { .vcpu = vcpu };
	unsigned long i, seen, rounds_seen = 0, busy = 0;
	uint64_t t0;

	if (mode == MANUAL)
		ASSERT_EQ(0, enable_cap(m.vm,
					KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
					KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE));
	if (mode == RING)
		m.ring = *ring;
	m.mem = vm_add_mem(m.vm, SLOT, GPA, m.npages * PG, LOG);
	m.copy = calloc(m.npages, PG);
	m.bm = calloc(1, 2 * sizeof(uint64_t));
	ASSERT_TRUE(m.copy && m.bm);
	ctl = GUEST_DATA_HVA(m.vm, struct dirty_ctl, DIRTY_CTL - GUEST_DATA);
	memset((void *)ctl, 0, sizeof(*ctl));

	/* The first pass copies everything (all zero, as the memory). */
	vcpu_start(w.vcpu, GUEST_FN(guest_dirty_writer), GPA, m.npages);
	ASSERT_EQ(0, pthread_create(&w.thr, NULL, writer_fn, &w));
	t0 = now_ns();
	for (i = 0; i < MIG_HARVESTS && !w.done; i++) {
		/* Let the guest write between harvests. */
		while (ctl->rounds == rounds_seen && !w.done &&
		       now_ns() - t0 < 10ULL * 1000000000)
			usleep(100);
		rounds_seen = ctl->rounds;
		seen = m.copied;
		mig_harvest(&m);
		busy += m.copied != seen;
	}
	ctl->stop = 1;
	/* A writer stuck on a full ring needs the harvests to go on. */
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
		mig_harvest(&m);
		usleep(1000);
		ASSERT_LT(now_ns() - t0, 20ULL * 1000000000)
			TH_LOG("the guest did not stop");
	}
	pthread_join(w.thr, NULL);
	ASSERT_EQ(0, w.err);
	mig_harvest(&m);

	TH_LOG("%lu harvests (%lu with pages), %lu pages copied, %lu rounds, generation %lu, %lu ring-full exits",
	       m.harvests, busy, m.copied, ctl->rounds, w.gen, w.ring_full);
	EXPECT_EQ(ctl->gen, w.gen);
	/* The guest wrote through many harvests. */
	EXPECT_GE(busy, MIG_HARVESTS / 2);
	EXPECT_GE(ctl->rounds, MIG_HARVESTS / 2);
	for (i = 0; i < m.npages; i++) {
		uint64_t *cp = (uint64_t *)(m.copy + i * PG);

		if (memcmp(cp, m.mem + i * PG, PG) || cp[0] != ctl->record[i])
			break;
	}
	EXPECT_EQ(m.npages, i)
		TH_LOG("page %lu: the copy has generation %llu, the memory %llu, the guest wrote %lu",
		       i, (unsigned long long)((uint64_t *)(m.copy + i * PG))[0],
		       (unsigned long long)((uint64_t *)(m.mem + i * PG))[0],
		       ctl->record[i]);
	vm_set_region(m.vm, SLOT, 0, GPA, 0, m.mem);
	if (mode == RING)
		*ring = m.ring;
	free(m.copy);
	free(m.bm);
}

/*
 * A THP-backed slot: 2 MiB leaves while it does not log, write-protected
 * whole when logging starts and split by the first write inside (only
 * the pages written are reported), 2 MiB leaves again once logging stops.
 * rvhv's mapping sizes come from debugfs "memory"; on kvm.ko the log and
 * the memory are checked.
 */
TEST(thp_split_and_rebuild)
{
	const unsigned long n = M2 / PG;
	const long two[] = { 5, 300, -1 };
	long kb, base2m = -1;
	bool dbg = !dev_is_kvm();
	uint64_t bm[8], *mem, sum = 0;
	struct cmd_vm c;
	unsigned long i;

	/* Also the log's correctness, which bitmap_log covers on kvm.ko. */
	if (dev_is_kvm())
		SKIP(return, "kvm.ko 6.12 maps THP-backed memory in 4 KiB G-stage pages: no 2 MiB mapping to split");
	cmd_start(&c);
	/* Slot 0's leaves must not change under the counts (khugepaged). */
	madvise(c.vm->ram, GUEST_RAM_SIZE, MADV_NOHUGEPAGE);
	mem = vm_alloc(M2, M2);
	ASSERT_EQ(0, madvise(mem, M2, MADV_HUGEPAGE));
	for (i = 0; i < n; i++) {
		mem[i * PG / 8] = i;
		sum += i;
	}
	kb = anon_huge_kb(mem);
	if (kb < 2048)
		SKIP(return, "no THP for the region (%ld kB)", kb);
	if (dbg) {
		base2m = vm_mem_field("leaves_2m");
		ASSERT_GE(base2m, 0) TH_LOG("no debugfs memory line");
	}
	vm_set_region(c.vm, SLOT, 0, GPA, M2, mem);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n));
	if (dbg)
		EXPECT_EQ(base2m + 1, vm_mem_field("leaves_2m"));

	/* Logging: write-protected, not split until written. */
	vm_set_region(c.vm, SLOT, LOG, GPA, M2, mem);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n));
	if (dbg)
		EXPECT_EQ(base2m + 1, vm_mem_field("leaves_2m"));
	ASSERT_EQ(0, get_log(c.vm, SLOT, bm));
	EXPECT_EQ(0, popcount(bm, n)) TH_LOG("%s", bits_str(bm, n));
	cmd_ok(&c, CMD_WRITE64, GPA + 5 * PG, 5, 0);
	cmd_ok(&c, CMD_WRITE64, GPA + 300 * PG, 300, 0);
	expect_log(_metadata, c.vm, SLOT, n, 0, 0, two);
	if (dbg) {
		EXPECT_EQ(base2m, vm_mem_field("leaves_2m"));
		EXPECT_GE(vm_mem_field("leaves_4k"), 512);
	}
	/* The split kept the other pages: reads, then writes. */
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n));
	cmd_ok(&c, CMD_FILL_PAGES, GPA, 0x10000, 32);
	expect_log(_metadata, c.vm, SLOT, n, 0, 32, NULL);

	/* Logging stops: 2 MiB leaves again on the next faults. */
	vm_set_region(c.vm, SLOT, 0, GPA, M2, mem);
	sum = 0;
	for (i = 0; i < n; i++)
		sum += i < 32 ? 0x10000 + i : i;
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GPA, 0, n));
	if (dbg)
		EXPECT_EQ(base2m + 1, vm_mem_field("leaves_2m"));
	cmd_ok(&c, CMD_FILL_PAGES, GPA + 400 * PG, 0x20000, 24);
	for (i = 0; i < n; i++)
		if (mem[i * PG / 8] != (i < 32 ? 0x10000 + i :
					i >= 400 && i < 424 ? 0x20000 + i - 400 :
					i))
			break;
	EXPECT_EQ(n, i);
	TH_LOG("AnonHugePages after: %ld kB", anon_huge_kb(mem));
	vm_free(c.vm);
}

struct harvester {
	struct vm *vm;
	struct ring *ring;
	pthread_t thr;
	volatile int stop;
	unsigned long ok, noent, bad, entries;
};

static void *harvester_fn(void *arg)
{
	struct harvester *h = arg;
	uint64_t bm[1];
	long r;

	while (!h->stop) {
		if (h->ring) {
			h->entries += ring_harvest(h->ring, NULL, NULL, ~0U);
			r = reset_rings(h->vm);
			if (r < 0)
				h->bad++;
			else
				h->ok++;
			usleep(50);
			continue;
		}
		r = get_log(h->vm, SLOT, bm);
		if (!r)
			r = clear_log(h->vm, SLOT, 0, 32, bm);
		if (!r)
			h->ok++;
		else if (r == -ENOENT)
			h->noent++;
		else
			h->bad++;
		/* Leave the slot updates some room. */
		usleep(50);
	}
	return NULL;
}

/*
 * A slot created, written by the guest and deleted again and again while
 * another thread harvests it (bitmap: GET and CLEAR; ring: harvest and
 * KVM_RESET_DIRTY_RINGS): the harvests see the slot or ENOENT, never
 * anything else, and with the ring every write is an entry.
 */
static void delete_while_harvesting(struct __test_metadata *_metadata,
				    struct cmd_vm *cv, struct ring *ring)
{
	const unsigned int rounds = 4, n = 32;
	struct harvester h = { .ring = ring };
	struct cmd_vm c = *cv;
	uint64_t *mem;
	unsigned int k, i;

	if (!ring)
		ASSERT_EQ(0, enable_cap(c.vm,
					KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
					KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE));
	mem = vm_alloc(n * PG, PG);
	h.vm = c.vm;
	ASSERT_EQ(0, pthread_create(&h.thr, NULL, harvester_fn, &h));
	for (k = 0; k < rounds; k++) {
		vm_set_region(c.vm, SLOT, LOG, GPA, n * PG, mem);
		cmd_ok(&c, CMD_FILL_PAGES, GPA, (uint64_t)k << 32, n);
		vm_set_region(c.vm, SLOT, 0, GPA, 0, mem);
		for (i = 0; i < n; i++)
			if (mem[i * PG / 8] != ((uint64_t)k << 32) + i)
				break;
		ASSERT_EQ(n, i);
	}
	h.stop = 1;
	pthread_join(h.thr, NULL);
	TH_LOG("harvests: %lu ok, %lu ENOENT, %lu other; ring entries %lu",
	       h.ok, h.noent, h.bad, h.entries);
	EXPECT_EQ(0, h.bad);
	EXPECT_GT(h.ok, 0);
	if (ring) {
		/*
		 * Every write at least once; a reset between a fault's push
		 * and the store it let through logs that store again.
		 */
		h.entries += ring_harvest(ring, NULL, NULL, ~0U);
		EXPECT_GE(h.entries, rounds * n);
		EXPECT_GE(reset_rings(c.vm), 0);
	}
	munmap(mem, n * PG);
}

/*
 * A guest writing while the VMM harvests (without manual protection,
 * then with it), then slots deleted while harvests run: on one VM.
 */
TEST(concurrent_harvests)
{
	struct cmd_vm c;

	c.vm = vm_create();
	c.vcpu = vcpu_create(c.vm, 0);
	harvest_while_writing_mode(_metadata, c.vm, c.vcpu, NULL, BITMAP);
	harvest_while_writing_mode(_metadata, c.vm, c.vcpu, NULL, MANUAL);
	vcpu_start(c.vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
	vcpu_expect_ucall(c.vcpu, UCALL_SYNC, NULL);
	delete_while_harvesting(_metadata, &c, NULL);
	vm_free(c.vm);
}

/*
 * The ring: set-up and hostile entries; then on one VM with a ring of a
 * page: the soft limit, slots deleted while resets run, a guest writing
 * while the VMM harvests.
 */
/* A VM with a one-page dirty ring, its vCPU in guest_cmd_loop. */
static void ring_vm(struct cmd_vm *c, struct ring *r)
{
	c->vm = vm_create();
	VM_CHECK(!enable_cap(c->vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 0, PG),
		 "KVM_CAP_DIRTY_LOG_RING_ACQ_REL");
	c->vcpu = vcpu_create(c->vm, 0);
	ring_map(r, c->vcpu, PG);
	vcpu_start(c->vcpu, GUEST_FN(guest_cmd_loop), 0, 0);
	vcpu_expect_ucall(c->vcpu, UCALL_SYNC, NULL);
}

TEST(dirty_ring)
{
	struct cmd_vm c;
	struct ring r;

	if (!dev_has_ring())
		SKIP(return, NO_RING_REASON);
	ring_rules(_metadata);
	ring_vm(&c, &r);
	ring_full(_metadata, &c, &r, false);
	delete_while_harvesting(_metadata, &c, &r);
	harvest_while_writing_mode(_metadata, c.vm, c.vcpu, &r, RING);
	vm_free(c.vm);
}

/* ring_full() on memory the VMM wrote: rvhv's fast-path faults log. */
TEST(dirty_ring_vmm_written)
{
	struct cmd_vm c;
	struct ring r;

	if (!dev_has_ring())
		SKIP(return, NO_RING_REASON);
	ring_vm(&c, &r);
	ring_full(_metadata, &c, &r, true);
	vm_free(c.vm);
}

TEST_HARNESS_MAIN
