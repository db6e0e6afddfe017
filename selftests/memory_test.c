// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: KVM_SET_USER_MEMORY_REGION(2) and its validation, and what
 * a guest sees when the VMM's memory changes under it (munmap,
 * MADV_DONTNEED, mprotect, THP, userfaultfd, fork).  Held to kvm.ko.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define PG	4096UL
#define SLOT1	1

typedef int (*set_region_fn)(struct vm *vm, uint32_t slot, uint32_t flags,
			     uint64_t gpa, uint64_t size, void *hva);

/*
 * KVM's rules, in the order KVM checks them (virt/kvm/kvm_main.c and
 * arch/riscv/kvm/mmu.c of 6.12), for both ioctls.
 */
static void check_region_rules(struct __test_metadata *_metadata,
			       set_region_fn set, const char *name)
{
	struct vm *vm = vm_create_empty();
	long nslots = vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS);
	long gpa_bits = vm_check_cap(vm, KVM_CAP_VM_GPA_BITS);
	const uint64_t M = 0x100000;
	char *mem = vm_alloc(4 * M, M);
	char *ro = vm_alloc(M, PG);
	uint64_t top;

	TH_LOG("%s: KVM_CAP_NR_MEMSLOTS %ld, KVM_CAP_VM_GPA_BITS %ld", name,
	       nslots, gpa_bits);
	ASSERT_GT(nslots, 0);
	ASSERT_GT(gpa_bits, 32);
	top = 1ULL << gpa_bits;

	/* Sizes, addresses and flags */
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M + 1, M, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M + 0x800, M, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M, M + 1, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M, M, mem + 8));
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, -PG, 2 * PG, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0, 1U << 3, M, M, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0, 0xff, M, M, mem));
	/* No guest_memfd on riscv (and never through the old ioctl). */
	EXPECT_EQ(-EINVAL, set(vm, 0, KVM_MEM_GUEST_MEMFD, M, M, mem));
	/* A kernel address is not the VMM's memory. */
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M, M,
			       (void *)0xffffffd800000000UL));
	/* Slot ids: below KVM_CAP_NR_MEMSLOTS, address space 0 only. */
	EXPECT_EQ(-EINVAL, set(vm, nslots, 0, M, M, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0xffff, 0, M, M, mem));
	EXPECT_EQ(-EINVAL, set(vm, 1U << 16, 0, M, M, mem));
	/* Deleting what does not exist. */
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M, 0, mem));
	/* Beyond the guest physical address space (riscv: EFAULT), even
	 * ending exactly at its top. */
	EXPECT_EQ(-EFAULT, set(vm, 0, 0, top, M, mem));
	EXPECT_EQ(-EFAULT, set(vm, 0, 0, top - M, M, mem));
	EXPECT_EQ(0, set(vm, 0, 0, top - 2 * M, M, mem));
	EXPECT_EQ(0, set(vm, 0, 0, top - 2 * M, 0, mem));
	/* A writable slot over read-only memory: EPERM; read-only: fine. */
	ASSERT_EQ(0, mprotect(ro, M, PROT_READ));
	EXPECT_EQ(-EPERM, set(vm, 0, 0, M, M, ro));
	EXPECT_EQ(0, set(vm, 0, KVM_MEM_READONLY, M, M, ro));
	EXPECT_EQ(0, set(vm, 0, KVM_MEM_READONLY, M, 0, ro));

	/* Create, overlap, modify */
	EXPECT_EQ(0, set(vm, 0, 0, M, 2 * M, mem));
	EXPECT_EQ(0, set(vm, 0, 0, M, 2 * M, mem));		/* no change */
	EXPECT_EQ(-EEXIST, set(vm, 1, 0, 2 * M, 2 * M, mem + 2 * M));
	EXPECT_EQ(-EEXIST, set(vm, 1, 0, M, 2 * M, mem + 2 * M));
	EXPECT_EQ(-EEXIST, set(vm, 1, 0, 0, 2 * M, mem + 2 * M));
	EXPECT_EQ(-EEXIST, set(vm, 1, 0, 2 * M - PG, PG, mem + 2 * M));
	EXPECT_EQ(0, set(vm, 1, 0, 3 * M, M, mem + 2 * M));	/* adjacent */
	EXPECT_EQ(0, set(vm, nslots - 1, 0, 8 * M, M, mem + 3 * M));
	/* An existing slot's size, address and READONLY cannot change. */
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M, M, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, M, 2 * M, mem + M));
	EXPECT_EQ(-EINVAL, set(vm, 0, KVM_MEM_READONLY, M, 2 * M, mem));
	/* Its flags can (dirty logging: dirty_test), and it can move. */
	EXPECT_EQ(0, set(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, M, 2 * M, mem));
	EXPECT_EQ(0, set(vm, 0, 0, M, 2 * M, mem));
	EXPECT_EQ(-EEXIST, set(vm, 0, 0, 2 * M, 2 * M, mem));	/* onto 1 */
	EXPECT_EQ(0, set(vm, 0, 0, 16 * M, 2 * M, mem));
	EXPECT_EQ(0, set(vm, 1, 0, M, M, mem + 2 * M));	/* room again */
	/* Delete */
	EXPECT_EQ(0, set(vm, 0, 0, 16 * M, 0, mem));
	EXPECT_EQ(-EINVAL, set(vm, 0, 0, 16 * M, 0, mem));
	EXPECT_EQ(0, set(vm, 0, 0, 16 * M, 2 * M, mem));	/* again */
	vm_free(vm);
	munmap(mem, 4 * M);
	munmap(ro, M);
}

TEST(set_user_memory_region)
{
	check_region_rules(_metadata, vm_set_region_try,
			   "KVM_SET_USER_MEMORY_REGION");
}

TEST(set_user_memory_region2)
{
	struct vm *vm = vm_create_empty();

	ASSERT_EQ(1, vm_check_cap(vm, KVM_CAP_USER_MEMORY2));
	ASSERT_EQ(1, vm_check_cap(vm, KVM_CAP_READONLY_MEM));
	vm_free(vm);
	check_region_rules(_metadata, vm_set_region2_try,
			   "KVM_SET_USER_MEMORY_REGION2");
}

/* What the VMM writes the guest reads, and the other way round. */
TEST(guest_and_vmm_share_memory)
{
	struct cmd_vm c;
	unsigned long n = 16, i, sum = 0;
	volatile uint64_t *mem;

	cmd_start(&c);
	mem = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, n * PG, 0);
	for (i = 0; i < n; i++) {
		mem[i * PG / 8] = 1000 + i * i;
		sum += 1000 + i * i;
	}
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	cmd_ok(&c, CMD_FILL_PAGES, GUEST_EXTRA, 0xabc000, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0xabc000 + i, mem[i * PG / 8]);
	/* And the VMM's later writes are seen by the mapped guest. */
	mem[3 * PG / 8] = 0x5151;
	EXPECT_EQ(0x5151, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + 3 * PG, 0, 0));
}

static void expect_mmio_read(struct __test_metadata *_metadata,
			     struct cmd_vm *c, uint64_t gpa, uint64_t data)
{
	struct kvm_run *run = c->vcpu->run;
	uint64_t res = 0;

	ASSERT_EQ(1, cmd(c, CMD_READ64, gpa, 0, 0, &res));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	memcpy(run->mmio.data, &data, 8);
	ASSERT_EQ(0, cmd_continue(c, &res));
	EXPECT_EQ(data, res);
}

/* Guest physical addresses no slot covers are MMIO. */
TEST(unbacked_gpa_is_mmio)
{
	struct cmd_vm c;
	struct kvm_run *run;
	uint64_t res;

	cmd_start(&c);
	run = c.vcpu->run;
	vm_add_mem(c.vm, SLOT1, GUEST_EXTRA + 2 * PG, PG, 0);
	expect_mmio_read(_metadata, &c, GUEST_MMIO_BASE + 0x18, 0x1122);
	expect_mmio_read(_metadata, &c, 0, 0x77);
	expect_mmio_read(_metadata, &c, GUEST_BASE + GUEST_RAM_SIZE, 0x99);
	expect_mmio_read(_metadata, &c, GUEST_EXTRA + PG, 1);	/* hole */
	expect_mmio_read(_metadata, &c, GUEST_EXTRA + 3 * PG + 8, 2);
	EXPECT_EQ(0, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + 2 * PG, 0, 0));

	ASSERT_EQ(1, cmd(&c, CMD_WRITE64, GUEST_MMIO_BASE + 0x20,
			 0x0102030405060708UL, 0, &res));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(GUEST_MMIO_BASE + 0x20, run->mmio.phys_addr);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0x0102030405060708UL, *(uint64_t *)run->mmio.data);
	EXPECT_EQ(0, cmd_continue(&c, &res));
}

/* Deleting a slot makes its GPAs MMIO; a slot can be re-created or moved. */
TEST(delete_and_move_slot)
{
	struct cmd_vm c;
	const uint64_t other = GUEST_EXTRA + 0x100000;
	volatile uint64_t *mem;

	cmd_start(&c);
	mem = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 4 * PG, 0);
	mem[0] = 0x1234;
	EXPECT_EQ(0x1234, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));

	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, 0, (void *)mem);
	expect_mmio_read(_metadata, &c, GUEST_EXTRA, 0xabcd);

	/* The same memory, re-created elsewhere */
	vm_set_region(c.vm, SLOT1, 0, other, 4 * PG, (void *)mem);
	EXPECT_EQ(0x1234, cmd_ok(&c, CMD_READ64, other, 0, 0));
	expect_mmio_read(_metadata, &c, GUEST_EXTRA, 0xef);

	/* Moved back (same slot, size and memory, new GPA) */
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, 4 * PG, (void *)mem);
	EXPECT_EQ(0x1234, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
	expect_mmio_read(_metadata, &c, other, 0x42);
	cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + 8, 0x600d, 0);
	EXPECT_EQ(0x600d, mem[1]);
}

/*
 * KVM_CAP_DESTROY_MEMORY_REGION_WORKS: a deleted slot is really gone from
 * the guest (its GPAs become MMIO, even after the guest mapped them), and
 * KVM_CAP_JOIN_MEMORY_REGIONS_WORKS: two adjacent slots deleted, one slot
 * spanning both created, the guest sees the new slot's memory in both
 * halves.  QEMU (>= 8.2) requires both before it starts.
 */
TEST(join_memory_regions)
{
	struct cmd_vm c;
	volatile uint64_t *lo, *hi, *joined;
	const uint32_t SLOT2 = 2;
	unsigned long i;

	cmd_start(&c);
	ASSERT_EQ(1, vm_check_cap(c.vm, KVM_CAP_DESTROY_MEMORY_REGION_WORKS));
	ASSERT_EQ(1, vm_check_cap(c.vm, KVM_CAP_JOIN_MEMORY_REGIONS_WORKS));
	lo = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 4 * PG, 0);
	hi = vm_add_mem(c.vm, SLOT2, GUEST_EXTRA + 4 * PG, 4 * PG, 0);
	for (i = 0; i < 4; i++) {
		lo[i * PG / 8] = 0x100 + i;
		hi[i * PG / 8] = 0x200 + i;
	}
	/* The guest maps all eight pages. */
	EXPECT_EQ(4 * 0x100 + 6 + 4 * 0x200 + 6,
		  cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, 8));

	/* Delete both: every page, mapped a moment ago, is MMIO now. */
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, 0, (void *)lo);
	vm_set_region(c.vm, SLOT2, 0, GUEST_EXTRA + 4 * PG, 0, (void *)hi);
	expect_mmio_read(_metadata, &c, GUEST_EXTRA, 0x11);
	expect_mmio_read(_metadata, &c, GUEST_EXTRA + 3 * PG, 0x12);
	expect_mmio_read(_metadata, &c, GUEST_EXTRA + 4 * PG, 0x13);
	expect_mmio_read(_metadata, &c, GUEST_EXTRA + 7 * PG, 0x14);

	/* One slot over both ranges, with other memory */
	joined = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 8 * PG, 0);
	for (i = 0; i < 8; i++)
		joined[i * PG / 8] = 0x300 + i;
	EXPECT_EQ(8 * 0x300 + 28, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, 8));
	cmd_ok(&c, CMD_FILL_PAGES, GUEST_EXTRA + 2 * PG, 0x400, 4);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(i >= 2 && i < 6 ? 0x400 + i - 2 : 0x300 + i,
			  joined[i * PG / 8]) TH_LOG("page %lu", i);
	/* The old memories were left alone. */
	EXPECT_EQ(0x103, lo[3 * PG / 8]);
	EXPECT_EQ(0x200, hi[0]);
}

/* KVM_MEM_READONLY: reads see the memory, writes are MMIO exits. */
TEST(readonly_slot)
{
	struct cmd_vm c;
	struct kvm_run *run;
	volatile uint64_t *mem;
	uint64_t res;
	int i;

	cmd_start(&c);
	run = c.vcpu->run;
	mem = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 2 * PG, KVM_MEM_READONLY);
	mem[0] = 0x5555;
	mem[PG / 8] = 0x6666;
	/* Page 0 read first (mapped read-only), page 1 written cold. */
	EXPECT_EQ(0x5555, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
	for (i = 0; i < 2; i++) {
		uint64_t gpa = GUEST_EXTRA + i * PG + 16;

		ASSERT_EQ(1, cmd(&c, CMD_WRITE64, gpa, 0xdead0 + i, 0, &res));
		ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason)
			vcpu_dump(c.vcpu, "write to a read-only slot");
		EXPECT_EQ(gpa, run->mmio.phys_addr);
		EXPECT_EQ(8, run->mmio.len);
		EXPECT_EQ(1, run->mmio.is_write);
		EXPECT_EQ(0xdead0 + i, *(uint64_t *)run->mmio.data);
		EXPECT_EQ(0, cmd_continue(&c, &res));
		EXPECT_EQ(0, mem[i * PG / 8 + 2]);
	}
	EXPECT_EQ(0x6666, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + PG, 0, 0));
}

/*
 * The VMM unmaps guest memory: KVM_RUN fails with EFAULT, for a page the
 * guest had mapped as well as for a fresh one, and works again once
 * something is mapped there.
 */
TEST(munmap_gives_efault)
{
	struct cmd_vm c;
	volatile uint64_t *mem;
	void *again;
	uint64_t res;
	int r;

	cmd_start(&c);
	mem = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 2 * PG, 0);
	mem[0] = 7;
	EXPECT_EQ(7, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
	ASSERT_EQ(0, munmap((void *)mem, 2 * PG));

	r = cmd(&c, CMD_READ64, GUEST_EXTRA, 0, 0, &res);
	EXPECT_EQ(-EFAULT, r) TH_LOG("mapped page: %d", r);
	TH_LOG("exit_reason after EFAULT: %s",
	       exit_reason_str(c.vcpu->run->exit_reason));
	/* Retrying without a fix fails the same way. */
	EXPECT_EQ(-EFAULT, cmd_continue(&c, &res));
	again = mmap((void *)mem, 2 * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)mem, again);
	EXPECT_EQ(0, cmd_continue(&c, &res));		/* the read, of 0 */
	EXPECT_EQ(0, res);

	/* A page the guest never touched */
	ASSERT_EQ(0, munmap((void *)mem, 2 * PG));
	r = cmd(&c, CMD_WRITE64, GUEST_EXTRA + PG, 1, 0, &res);
	EXPECT_EQ(-EFAULT, r) TH_LOG("fresh page: %d", r);
	again = mmap((void *)mem, 2 * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)mem, again);
	EXPECT_EQ(0, cmd_continue(&c, &res));		/* the write */
	EXPECT_EQ(1, mem[PG / 8]);
	EXPECT_EQ(0, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
}

/* MADV_DONTNEED: the guest then sees a fresh zero page, and shares it. */
TEST(dontneed_gives_zero_page)
{
	struct cmd_vm c;
	volatile uint64_t *mem;

	cmd_start(&c);
	mem = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 4 * PG, 0);
	mem[0] = 0x1111;
	mem[PG / 8] = 0x2222;
	EXPECT_EQ(0x1111 + 0x2222, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, 2));
	ASSERT_EQ(0, madvise((void *)mem, 4 * PG, MADV_DONTNEED));
	EXPECT_EQ(0, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, 4));
	cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + 8, 0x3333, 0);
	EXPECT_EQ(0x3333, mem[1]);
	mem[2] = 0x4444;
	EXPECT_EQ(0x4444, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + 16, 0, 0));
}

/*
 * mprotect(PROT_READ) after the slot was created: guest reads work,
 * guest writes make KVM_RUN fail with EFAULT until the VMM makes the
 * memory writable again; then the same write completes.
 */
TEST(mprotect_read_only)
{
	struct cmd_vm c;
	volatile uint64_t *mem;
	uint64_t res;

	cmd_start(&c);
	mem = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 2 * PG, 0);
	mem[0] = 0x10;
	mem[PG / 8] = 0x20;
	cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA, 0x11, 0);	/* mapped writable */
	ASSERT_EQ(0, mprotect((void *)mem, 2 * PG, PROT_READ));
	EXPECT_EQ(0x11, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
	EXPECT_EQ(0x20, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + PG, 0, 0));
	EXPECT_EQ(-EFAULT, cmd(&c, CMD_WRITE64, GUEST_EXTRA, 0x12, 0, &res));
	EXPECT_EQ(0x11, mem[0]);
	EXPECT_EQ(-EFAULT, cmd_continue(&c, &res));
	ASSERT_EQ(0, mprotect((void *)mem, 2 * PG, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, cmd_continue(&c, &res));
	EXPECT_EQ(0x12, mem[0]);
}

/* A 2 MiB aligned slot backed by transparent huge pages. */
TEST(thp_backed_slot)
{
	const uint64_t M2 = 0x200000;
	unsigned long n = 2 * M2 / PG, i, sum = 0;
	volatile uint64_t *mem;
	struct cmd_vm c;
	long kb;

	cmd_start(&c);
	mem = vm_alloc(2 * M2, M2);
	ASSERT_EQ(0, madvise((void *)mem, 2 * M2, MADV_HUGEPAGE));
	for (i = 0; i < n; i++) {
		mem[i * PG / 8] = i * 3;
		sum += i * 3;
	}
	kb = anon_huge_kb((void *)mem);
	TH_LOG("AnonHugePages before the guest: %ld kB", kb);
	if (kb < 2048)
		SKIP(return, "no THP for the region (%ld kB)", kb);
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, 2 * M2, (void *)mem);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	cmd_ok(&c, CMD_FILL_PAGES, GUEST_EXTRA, 0x7000000, n);
	for (i = 0; i < n; i++)
		if (mem[i * PG / 8] != 0x7000000 + i)
			break;
	EXPECT_EQ(n, i);
	TH_LOG("AnonHugePages after the guest: %ld kB",
	       anon_huge_kb((void *)mem));
}

struct uffd_server {
	int uffd;
	volatile int stop;
	volatile unsigned long round;
	int faults;
	int errors;
	char *base;
};

#define UFFD_VALUE(page)	(0xfeed000000UL + (page))
#define UFFD_ROUND(r)		((uint64_t)(r) << 40)

static void *uffd_thread(void *arg)
{
	struct uffd_server *s = arg;
	uint64_t *page = vm_alloc(PG, PG);

	while (!s->stop) {
		struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
		struct uffd_msg msg;
		struct uffdio_copy copy;
		unsigned long addr, idx, i;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if (read(s->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			s->errors++;
			continue;
		}
		addr = msg.arg.pagefault.address & ~(PG - 1);
		idx = (addr - (uintptr_t)s->base) / PG;
		for (i = 0; i < PG / 8; i++)
			page[i] = UFFD_VALUE(idx) + UFFD_ROUND(s->round) + i;
		copy = (struct uffdio_copy){
			.dst = addr, .src = (uintptr_t)page, .len = PG,
		};
		if (ioctl(s->uffd, UFFDIO_COPY, &copy) && errno != EEXIST)
			s->errors++;
		s->faults++;
	}
	munmap(page, PG);
	return NULL;
}

/* Guest memory served by a userfaultfd handler (UFFDIO_COPY). */
TEST(userfaultfd_backed_slot)
{
	unsigned long n = 16, i, sum = 0;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffd_server s = { 0 };
	struct cmd_vm c;
	pthread_t thr;

	cmd_start(&c);
	s.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_GE(s.uffd, 0) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(s.uffd, UFFDIO_API, &api));
	s.base = vm_alloc(n * PG, PG);
	reg = (struct uffdio_register){
		.range = { .start = (uintptr_t)s.base, .len = n * PG },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	ASSERT_EQ(0, ioctl(s.uffd, UFFDIO_REGISTER, &reg));
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, n * PG, s.base);
	ASSERT_EQ(0, pthread_create(&thr, NULL, uffd_thread, &s));

	for (i = 0; i < n; i++)
		sum += UFFD_VALUE(i);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	EXPECT_EQ(UFFD_VALUE(5) + 3,
		  cmd_ok(&c, CMD_READ64, GUEST_EXTRA + 5 * PG + 24, 0, 0));
	s.stop = 1;
	pthread_join(thr, NULL);
	EXPECT_EQ(n, s.faults);
	EXPECT_EQ(0, s.errors);
	/* The VMM sees what the guest saw. */
	EXPECT_EQ(UFFD_VALUE(7) + 1, ((uint64_t *)s.base)[7 * PG / 8 + 1]);
	close(s.uffd);
}

/*
 * userfaultfd in a loop: each round zaps the range (MADV_DONTNEED), so
 * every page is missing again, and the guest's next read must fault
 * through to the handler and see this round's contents, never a page
 * the G-stage kept from the round before.
 */
TEST(userfaultfd_loop)
{
	const unsigned long n = 16, rounds = 8;
	struct uffd_server s = { 0 };
	unsigned long r, i;
	struct cmd_vm c;
	pthread_t thr;
	uint64_t sum;

	cmd_start(&c);
	s.base = vm_alloc_uffd(n * PG, &s.uffd);
	ASSERT_NE(NULL, s.base) TH_LOG("userfaultfd: %s", strerror(errno));
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, n * PG, s.base);
	ASSERT_EQ(0, pthread_create(&thr, NULL, uffd_thread, &s));
	for (r = 0; r < rounds; r++) {
		s.round = r;
		ASSERT_EQ(0, madvise(s.base, n * PG, MADV_DONTNEED));
		for (sum = 0, i = 0; i < n; i++)
			sum += UFFD_VALUE(i) + UFFD_ROUND(r);
		EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n))
			TH_LOG("round %lu", r);
		/* A guest write lands in this round's page. */
		cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + 3 * PG + 8, r, 0);
		EXPECT_EQ(r, ((uint64_t *)s.base)[3 * PG / 8 + 1]);
	}
	s.stop = 1;
	pthread_join(thr, NULL);
	EXPECT_EQ(n * rounds, s.faults);
	EXPECT_EQ(0, s.errors);
	close(s.uffd);
}

/*
 * mremap() moves the pages behind a slot to another address: the slot
 * still names the old one.  While the old range is unmapped the guest's
 * access fails (EFAULT, as after munmap), once new memory is mapped there
 * the guest must see the new memory, not the moved pages, and once the
 * moved pages come back it sees them again with every byte kept.  In a
 * loop, with the guest holding mappings each time.
 */
TEST(mremap_follows_mapping)
{
	const unsigned long n = 4, rounds = 6;
	uint64_t *mem, *spare, *fresh, res, sum;
	unsigned long r, i;
	struct cmd_vm c;
	void *p;

	cmd_start(&c);
	mem = vm_alloc(n * PG, PG);
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, n * PG, mem);
	spare = mmap(NULL, n * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	ASSERT_NE(MAP_FAILED, spare);
	for (r = 0; r < rounds; r++) {
		for (sum = 0, i = 0; i < n; i++) {
			mem[i * PG / 8] = 0x1000 * r + i;
			sum += 0x1000 * r + i;
		}
		EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
		cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + 8, 0xabc0 + r, 0);

		/* Move the pages away: the slot's range is now a hole. */
		p = mremap(mem, n * PG, n * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			   spare);
		ASSERT_EQ((void *)spare, p);
		EXPECT_EQ(-EFAULT, cmd(&c, CMD_READ64, GUEST_EXTRA + PG, 0, 0,
				       &res));
		/* New memory at the old address: the guest sees it. */
		fresh = mmap(mem, n * PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ASSERT_EQ(mem, fresh);
		fresh[PG / 8] = 0x5eed;
		res = 0;
		EXPECT_EQ(0, cmd_continue(&c, &res));
		EXPECT_EQ(0x5eed, res);
		EXPECT_EQ(0, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
		cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + 2 * PG, 0xf00d, 0);
		EXPECT_EQ(0xf00d, fresh[2 * PG / 8]);
		EXPECT_EQ(0x1000 * r + 2, spare[2 * PG / 8]);

		/* The moved pages back where the slot points: all kept. */
		p = mremap(spare, n * PG, n * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			   mem);
		ASSERT_EQ((void *)mem, p);
		spare = mmap(NULL, n * PG, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, spare);
		EXPECT_EQ(0xabc0 + r, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + 8,
					     0, 0));
		EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	}
}

/* The first hugetlb page size is 2 MiB on riscv64 (Sv39 and up). */
#define HPAGE	0x200000UL

static long set_nr_hugepages(long n)
{
	const char *path = "/proc/sys/vm/nr_hugepages";
	const char *txt = rvhv_read_file(path);
	long old = txt ? strtol(txt, NULL, 0) : -1;
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	if (old < 0 || rvhv_write_file(path, buf))
		return -1;
	return old;
}

/*
 * Guest memory from hugetlbfs: a private MAP_HUGETLB mapping and a
 * shared memfd (MFD_HUGETLB) mapped twice.  The guest's writes reach the
 * VMM through the alias of the shared one; MADV_DONTNEED gives the guest
 * zeroes for the private one and keeps the shared one's contents.
 */
TEST(hugetlbfs_backed_slot)
{
	const unsigned long n = 2 * HPAGE / PG;
	uint64_t *priv, *shared, *alias;
	unsigned long i, sum = 0;
	struct cmd_vm c;
	long old;
	int fd;

	old = set_nr_hugepages(8);
	if (old < 0)
		SKIP(return, "no hugetlbfs (nr_hugepages)");
	priv = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (priv == MAP_FAILED) {
		set_nr_hugepages(old);
		SKIP(return, "MAP_HUGETLB: %s", strerror(errno));
	}
	fd = memfd_create("rvhv-huge", MFD_HUGETLB);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 2 * HPAGE));
	shared = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	alias = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_NE(MAP_FAILED, alias);

	cmd_start(&c);
	for (i = 0; i < n; i++) {
		priv[i * PG / 8] = i * 5;
		sum += i * 5;
	}
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, 2 * HPAGE, priv);
	vm_set_region(c.vm, 2, 0, GUEST_EXTRA + 2 * HPAGE, 2 * HPAGE, shared);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	cmd_ok(&c, CMD_FILL_PAGES, GUEST_EXTRA, 0x9000000, n);
	cmd_ok(&c, CMD_FILL_PAGES, GUEST_EXTRA + 2 * HPAGE, 0xa000000, n);
	for (i = 0; i < n; i++)
		if (priv[i * PG / 8] != 0x9000000 + i ||
		    alias[i * PG / 8] != 0xa000000 + i)
			break;
	EXPECT_EQ(n, i);
	alias[PG / 8] = 0x77;
	EXPECT_EQ(0x77, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + 2 * HPAGE + PG,
			       0, 0));

	ASSERT_EQ(0, madvise(priv, 2 * HPAGE, MADV_DONTNEED));
	ASSERT_EQ(0, madvise(shared, 2 * HPAGE, MADV_DONTNEED));
	EXPECT_EQ(0, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	EXPECT_EQ(0x77, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + 2 * HPAGE + PG,
			       0, 0));
	cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + HPAGE, 0x99, 0);
	EXPECT_EQ(0x99, priv[HPAGE / 8]);

	vm_free(c.vm);
	munmap(priv, 2 * HPAGE);
	munmap(shared, 2 * HPAGE);
	munmap(alias, 2 * HPAGE);
	close(fd);
	set_nr_hugepages(old);
}

static long ksm_read(const char *name)
{
	char path[96];
	const char *txt;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	txt = rvhv_read_file(path);
	return txt ? strtol(txt, NULL, 0) : -1;
}

static int ksm_write(const char *name, const char *val)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	return rvhv_write_file(path, val);
}

/*
 * KSM merges the guest's identical pages into one read-only page while
 * the guest holds writable G-stage mappings of them.  Its next writes
 * must each land in a private copy (the notifier dropped the writable
 * mappings; the fault breaks the COW): the VMM sees every page with the
 * guest's value, and no write leaks into the other pages that shared
 * the merged one.
 */
TEST(ksm_merge_then_write)
{
	const unsigned long n = 32;
	uint64_t *mem, deadline;
	unsigned long i, sum = 0;
	struct cmd_vm c;
	long sharing = 0;

	if (access("/sys/kernel/mm/ksm/run", W_OK))
		SKIP(return, "no KSM in this kernel");
	cmd_start(&c);
	mem = vm_alloc(n * PG, PG);
	memset(mem, 0x5a, n * PG);
	ASSERT_EQ(0, madvise(mem, n * PG, MADV_MERGEABLE));
	vm_set_region(c.vm, SLOT1, 0, GUEST_EXTRA, n * PG, mem);
	/* The guest maps every page writable (a write of what is there). */
	for (i = 0; i < n; i++)
		cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + i * PG,
		       0x5a5a5a5a5a5a5a5aUL, 0);

	ASSERT_EQ(0, ksm_write("pages_to_scan", "1000"));
	ASSERT_EQ(0, ksm_write("sleep_millisecs", "10"));
	ASSERT_EQ(0, ksm_write("run", "1"));
	deadline = now_ns() + 30000000000ULL;
	while (now_ns() < deadline) {
		sharing = ksm_read("pages_sharing");
		if (sharing >= (long)n / 2)
			break;
		usleep(50000);
	}
	TH_LOG("pages_sharing %ld of %lu pages", sharing, n);
	if (sharing < (long)n / 2) {
		ksm_write("run", "2");
		SKIP(return, "ksmd did not merge the pages in 30 s");
	}
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aUL * n,
		  cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	cmd_ok(&c, CMD_FILL_PAGES, GUEST_EXTRA, 0x3000, n);
	for (i = 0; i < n; i++) {
		sum += 0x3000 + i;
		if (mem[i * PG / 8] != 0x3000 + i || mem[i * PG / 8 + 1] !=
		    0x5a5a5a5a5a5a5a5aUL)
			break;
	}
	EXPECT_EQ(n, i) TH_LOG("page %lu: 0x%llx", i,
			       (unsigned long long)mem[i * PG / 8]);
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
	/* Unmerge everything and stop ksmd. */
	EXPECT_EQ(0, ksm_write("run", "2"));
	EXPECT_EQ(sum, cmd_ok(&c, CMD_SUM_PAGES, GUEST_EXTRA, 0, n));
}

/*
 * fork(): the child gets a copy-on-write snapshot of guest memory.  The
 * guest's later writes must not reach the child, nor the child's writes
 * the guest (the G-stage mapping must follow the parent's COW break).
 */
TEST(fork_cow)
{
	int to_child[2], to_parent[2], status;
	volatile uint64_t *mem;
	struct cmd_vm c;
	char b = 0;
	pid_t pid;

	cmd_start(&c);
	mem = vm_add_mem(c.vm, SLOT1, GUEST_EXTRA, 2 * PG, 0);
	mem[0] = 0x1111;
	mem[PG / 8] = 0xaaaa;
	EXPECT_EQ(0x1111, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
	cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + PG, 0xbbbb, 0);	/* mapped rw */
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int bad = 0;

		/* Wait for the guest's writes, check, write our own. */
		if (read(to_child[0], &b, 1) != 1)
			_exit(10);
		if (mem[0] != 0x1111)
			bad |= 1;
		if (mem[PG / 8] != 0xbbbb)
			bad |= 2;
		mem[0] = 0x3333;
		mem[PG / 8] = 0x4444;
		if (write(to_parent[1], &b, 1) != 1)
			bad |= 4;
		/* The VM is the parent's. */
		if (ioctl(c.vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) != -1 ||
		    errno != EIO)
			bad |= 8;
		_exit(bad);
	}
	cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA, 0x2222, 0);
	cmd_ok(&c, CMD_WRITE64, GUEST_EXTRA + PG, 0xcccc, 0);
	EXPECT_EQ(0x2222, mem[0]);
	EXPECT_EQ(0xcccc, mem[PG / 8]);
	ASSERT_EQ(1, write(to_child[1], &b, 1));
	ASSERT_EQ(1, read(to_parent[0], &b, 1));
	EXPECT_EQ(0x2222, cmd_ok(&c, CMD_READ64, GUEST_EXTRA, 0, 0));
	EXPECT_EQ(0xcccc, cmd_ok(&c, CMD_READ64, GUEST_EXTRA + PG, 0, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child saw: bits 0x%x",
						 WEXITSTATUS(status));
}

/*
 * Host mm events while the guest hammers its memory, in loops: the kernel
 * migrates the pages (compaction), ages and reclaims them (MADV_COLD,
 * MADV_PAGEOUT), and splits and collapses the huge pages behind them
 * and shares them copy-on-write with a forked child; every event
 * reaches rvhv through its MMU notifier.  The guest checks every stamp it wrote
 * (guest_hammer): nothing may be lost, and KVM_RUN must never fail.
 */
struct mm_events {
	char *mem;
	size_t size;
	unsigned int child_us;
	volatile unsigned long guest_rounds;	/* the guest's last report */
	volatile int stop;
	unsigned long rounds[4];
};

static void *mm_events_fn(void *arg)
{
	struct mm_events *e = arg;
	unsigned long r0;
	unsigned int k = 0;
	pid_t pid;

	/* Which events (RVHV_MM_EVENTS, digits of the cases below). */
	const char *only = getenv("RVHV_MM_EVENTS") ?: "0123";

	while (!e->stop) {
		if (!strchr(only, '0' + k % 4)) {
			k++;
			continue;
		}
		switch (k++ % 4) {
		case 0:
			rvhv_write_file("/proc/sys/vm/compact_memory", "1");
			e->rounds[0]++;
			break;
		case 1:
			/*
			 * A fork makes all of the guest's memory copy-on-write
			 * again: every page the guest writes next costs a
			 * write fault (about a millisecond under TCG, rvhv and
			 * kvm.ko alike), so a guest round over its 1024 pages
			 * takes a second or more.  Forks faster than that
			 * would keep any guest from finishing a round (on
			 * kvm.ko too); so the next fork waits for the guest
			 * to finish one, and still comes while it writes.
			 */
			r0 = e->guest_rounds;
			pid = fork();
			if (pid == 0) {
				usleep(e->child_us);
				_exit(0);
			}
			if (pid > 0)
				waitpid(pid, NULL, 0);
			e->rounds[1]++;
			while (!e->stop && e->guest_rounds < r0 + 2)
				usleep(10000);
			break;
		case 2:
			madvise(e->mem, e->size, MADV_COLD);
			madvise(e->mem, e->size, MADV_PAGEOUT);
			e->rounds[2]++;
			break;
		default:
			madvise(e->mem, e->size, MADV_NOHUGEPAGE);
			madvise(e->mem, e->size, MADV_HUGEPAGE);
			e->rounds[3]++;
		}
		/*
		 * A guest-page fault that races an invalidation is retried
		 * (rvhv and kvm.ko alike); under TCG a fault takes
		 * milliseconds, so back-to-back events would starve the
		 * guest.  Leave it room.
		 */
		usleep(50000);
	}
	return NULL;
}

static void on_alarm(int sig)
{
}

/*
 * A fixture only for its timeout: the run is 4 s times RVHV_STRESS (make
 * fuzz: 40 s), past the harness's default 30 s, which ended every make
 * fuzz run of it until 2026-12-02.
 */
FIXTURE(stress) {
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, mm_events_keep_data, 600)
{
	const size_t size = 4UL << 20;
	struct mm_events e = { .size = size };
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_create(vm, 0);
	/* 4 s in make check; RVHV_STRESS=N (make fuzz: 10) N times that. */
	uint64_t end = now_ns() + 4000000000ULL *
		       (getenv("RVHV_STRESS") ? atoi(getenv("RVHV_STRESS")) ?: 1 : 1);
	unsigned long last = 0;
	struct ucall uc;
	pthread_t thr;
	int cpu;

	vm_watchdog(180);
	e.mem = vm_add_mem(vm, 1, GUEST_EXTRA, size, 0);
	if (!getenv("RVHV_MM_NOTHP"))
		madvise(e.mem, size, MADV_HUGEPAGE);
	if (getenv("RVHV_MM_DONTFORK"))
		madvise(e.mem, size, MADV_DONTFORK);
	e.child_us = getenv("RVHV_MM_CHILD_US") ?
		     atoi(getenv("RVHV_MM_CHILD_US")) : 20000;
	vcpu_start(vcpu, GUEST_FN(guest_hammer), GUEST_EXTRA, size / 4096);
	ASSERT_EQ(0, pthread_create(&thr, NULL, mm_events_fn, &e));
	/*
	 * A guest that stops making progress fails with its state.  Not
	 * within 10 s: on the sanitizer kernel on a loaded machine a round
	 * after a fork (1024 copy-on-write faults) once took longer on
	 * kvm.ko (a fresh-clone .ci/run beside make fuzz, 2026-12-02).
	 */
	signal(SIGALRM, on_alarm);
	for (;;) {
		alarm(60);
		vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
		ASSERT_GT(uc.args[1], last);
		last = uc.args[1];
		e.guest_rounds = last;
		if (now_ns() > end)
			break;
	}
	alarm(0);
	e.stop = 1;
	pthread_join(thr, NULL);
	/* Stop the guest; its last checks run first. */
	vcpu_ucall_reply(vcpu, 0, 1);
	EXPECT_EQ(last + 1, vcpu_run_to_done(vcpu));
	TH_LOG("%lu guest rounds over %zu pages; compactions %lu, forks %lu, pageouts %lu, THP toggles %lu",
	       last, size / 4096, e.rounds[0], e.rounds[1], e.rounds[2],
	       e.rounds[3]);
	EXPECT_GT(e.rounds[0] + e.rounds[1] + e.rounds[2] + e.rounds[3], 0);
	cpu = host_wedged_cpu(20);
	EXPECT_EQ(-1, cpu);
	vcpu_free(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
