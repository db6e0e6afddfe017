// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv's own SBI additions (uapi/linux/rvhv.h), SKIPped on kvm.ko:
 *  - RVHV_CAP_SBI_BATCH: the RVHV_SBI_EXT batch call, its results
 *    against the same calls issued singly, partial completion, and every
 *    malformed array the guest can hand over;
 *  - RVHV_CAP_CONSOLE_COALESCE: legacy putchar bytes collected into one
 *    exit, flushed on newline, full buffer, before other exits and before
 *    WFI blocks.
 * The guests are guest_sbi_loop (guest/sbi.c) and guest_console
 * (guest/timer.c).
 */
#define _GNU_SOURCE

#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "smp_lib.h"

#define ENT_SIZE	sizeof(struct rvhv_sbi_batch_entry)

struct bvm {
	struct vm *vm;
	struct vcpu *vcpu;
};

static void bvm_create(struct bvm *b, bool batch, bool coalesce)
{
	b->vm = vm_create();
	if (batch && vm_enable_cap_try(b->vm, RVHV_CAP_SBI_BATCH, 1))
		vm_fail("KVM_ENABLE_CAP(RVHV_CAP_SBI_BATCH): %s",
			strerror(errno));
	if (coalesce && vm_enable_cap_try(b->vm, RVHV_CAP_CONSOLE_COALESCE, 1))
		vm_fail("KVM_ENABLE_CAP(RVHV_CAP_CONSOLE_COALESCE): %s",
			strerror(errno));
	b->vcpu = vcpu_create(b->vm, 0);
}

static void bvm_free(struct bvm *b)
{
	if (!b->vm)
		return;
	vcpu_free(b->vcpu);
	vm_free(b->vm);
	b->vm = NULL;
}

static void sbi_call_ok(struct vcpu *vcpu, unsigned long ext,
			unsigned long fid, unsigned long a0, unsigned long a1,
			long *err, long *val)
{
	unsigned long args[6] = { a0, a1, 0, 0, 0, 0 };

	if (vcpu_sbi_call6(vcpu, ext, fid, args, err, val))
		vcpu_fail(vcpu, "SBI 0x%lx/%lu exited: %s", ext, fid,
			  exit_reason_str(vcpu->run->exit_reason));
}

/* A batch of count entries at gpa: 0 with err and a1, or 1 if it exited. */
static void batch(struct vcpu *vcpu, unsigned long gpa, unsigned long count,
		  long *err, long *done)
{
	sbi_call_ok(vcpu, RVHV_SBI_EXT, RVHV_SBI_BATCH, gpa, count, err, done);
}

FIXTURE(batch) {
	struct bvm b;
	struct rvhv_sbi_batch_entry *ents;	/* at BATCH_ARRAY */
};

FIXTURE_SETUP(batch)
{
	memset(&self->b, 0, sizeof(self->b));
	if (dev_is_kvm())
		SKIP(return, "RVHV_CAP_SBI_BATCH is rvhv's own");
	vm_watchdog(60);
	bvm_create(&self->b, true, false);
	self->ents = vm_gpa2hva(self->b.vm, BATCH_ARRAY);
	memset(self->ents, 0x5a, RVHV_SBI_BATCH_MAX * ENT_SIZE);
	vcpu_start(self->b.vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(self->b.vcpu, UCALL_SYNC, NULL);
}

FIXTURE_TEARDOWN(batch)
{
	bvm_free(&self->b);
}

static void set_ent(struct rvhv_sbi_batch_entry *e, unsigned long eid,
		    unsigned long fid, unsigned long a0, unsigned long a1,
		    unsigned long a2)
{
	memset(e, 0, sizeof(*e));
	e->eid = eid;
	e->fid = fid;
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = a2;
	e->error = 0x5a5a;
	e->value = 0x5a5a;
}

/* The capability, and the guest's view of it before and after enabling. */
TEST(probe)
{
	struct bvm b = { 0 };
	long err, val;

	if (dev_is_kvm())
		SKIP(return, "RVHV_CAP_SBI_BATCH is rvhv's own");
	bvm_create(&b, false, false);
	EXPECT_EQ(1, vm_check_cap(b.vm, RVHV_CAP_SBI_BATCH));
	EXPECT_EQ(1, vm_check_cap(b.vm, RVHV_CAP_CONSOLE_COALESCE));
	EXPECT_EQ(-EINVAL, vm_enable_cap_try(b.vm, RVHV_CAP_SBI_BATCH, 2));
	EXPECT_EQ(-EINVAL, vm_enable_cap_try(b.vm, RVHV_CAP_BASE + 99, 1));
	vcpu_start(b.vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(b.vcpu, UCALL_SYNC, NULL);
	/* Not enabled: an unknown extension. */
	sbi_call_ok(b.vcpu, SBI_EXT_BASE, SBI_BASE_PROBE_EXT, RVHV_SBI_EXT, 0,
		    &err, &val);
	EXPECT_EQ(0, err);
	EXPECT_EQ(0, val);
	sbi_call_ok(b.vcpu, RVHV_SBI_EXT, RVHV_SBI_BATCH, BATCH_ARRAY, 1,
		    &err, &val);
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, err);
	EXPECT_EQ(0, val);
	bvm_free(&b);

	bvm_create(&b, true, false);
	vcpu_start(b.vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(b.vcpu, UCALL_SYNC, NULL);
	sbi_call_ok(b.vcpu, SBI_EXT_BASE, SBI_BASE_PROBE_EXT, RVHV_SBI_EXT, 0,
		    &err, &val);
	EXPECT_EQ(0, err);
	EXPECT_EQ(1, val);
	/* a function of the extension that does not exist */
	sbi_call_ok(b.vcpu, RVHV_SBI_EXT, 1, BATCH_ARRAY, 1, &err, &val);
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, err);
	bvm_free(&b);
}

/* Calls whose answers do not depend on when they are made. */
static const unsigned long same_calls[][5] = {
	{ SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION },
	{ SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID },
	{ SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION },
	{ SBI_EXT_BASE, SBI_BASE_PROBE_EXT, SBI_EXT_TIME },
	{ SBI_EXT_BASE, SBI_BASE_PROBE_EXT, 0x12345678 },
	{ SBI_EXT_BASE, SBI_BASE_PROBE_EXT, RVHV_SBI_EXT },
	{ SBI_EXT_BASE, SBI_BASE_GET_MVENDORID },
	{ SBI_EXT_BASE, 99 },
	{ SBI_EXT_TIME, 0, -1UL },
	{ SBI_EXT_TIME, 1, 0 },
	{ SBI_EXT_IPI, 0, 0, 1 },		/* base 1: no such hart */
	{ SBI_EXT_IPI, 0, 1 << 3, 0 },		/* no such hart */
	{ SBI_EXT_HSM, SBI_HSM_HART_STATUS, 0 },
	{ SBI_EXT_HSM, SBI_HSM_HART_STATUS, 9 },
	{ SBI_EXT_HSM, SBI_HSM_HART_START, 0, GUEST_BASE, 0 },
	{ SBI_EXT_HSM, 9 },
	{ SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 1, 0 },
	{ SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 0, -1UL, 0 },
	{ SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA, 1, 0 },
	{ SBI_EXT_0_1_SET_TIMER, 0, -1UL },
	{ SBI_EXT_0_1_CLEAR_IPI, 0 },
	{ SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'x' },	/* DBCN is off */
	{ 0x12345678, 0 },
	{ SBI_EXT_SRST + 1, 0 },
};
#define NR_SAME	(sizeof(same_calls) / sizeof(same_calls[0]))

/*
 * Every entry of a batch completes exactly as the same call issued by
 * ecall does (legacy calls: value 0), in order; a1 = count.
 */
TEST_F(batch, same_as_single)
{
	struct vcpu *vcpu = self->b.vcpu;
	long err[NR_SAME], val[NR_SAME], e, done;
	unsigned int i;

	for (i = 0; i < NR_SAME; i++) {
		unsigned long args[6] = { same_calls[i][2], same_calls[i][3],
					  same_calls[i][4], 0, 0, 0 };

		ASSERT_EQ(0, vcpu_sbi_call6(vcpu, same_calls[i][0], same_calls[i][1],
				       args, &err[i], &val[i]))
			TH_LOG("call %u exited", i);
		set_ent(&self->ents[i], same_calls[i][0], same_calls[i][1],
			same_calls[i][2], same_calls[i][3], same_calls[i][4]);
	}
	batch(vcpu, BATCH_ARRAY, NR_SAME, &e, &done);
	EXPECT_EQ(0, e);
	EXPECT_EQ(NR_SAME, done);
	for (i = 0; i < NR_SAME; i++) {
		bool legacy = same_calls[i][0] <= SBI_EXT_0_1_SHUTDOWN;

		EXPECT_EQ(err[i], self->ents[i].error) TH_LOG("entry %u", i);
		EXPECT_EQ(legacy ? 0 : (unsigned long)val[i],
			  self->ents[i].value) TH_LOG("entry %u", i);
		EXPECT_EQ(same_calls[i][0], self->ents[i].eid);
	}
	/* entries after count untouched */
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aUL, self->ents[NR_SAME].eid);
	/* RVHV_SBI_EXT answers the same singly and in a batch */
	EXPECT_EQ(1, self->ents[5].value);
}

/*
 * The batch stops before the first entry a single ecall could not
 * complete in the kernel; a1 = entries done, the rest untouched, and
 * the guest is still fine.
 */
TEST_F(batch, partial)
{
	static const unsigned long stoppers[][3] = {
		{ UCALL_EXT, UCALL_SYNC },		/* forwarded */
		{ SBI_EXT_SRST, SBI_SRST_RESET, 0 },
		{ SBI_EXT_HSM, SBI_HSM_HART_STOP },
		{ SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0 },
		{ SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, 'x' },
		{ SBI_EXT_0_1_SEND_IPI, 0, 0 },
		{ SBI_EXT_0_1_REMOTE_FENCE_I, 0, 0 },
		{ SBI_EXT_0_1_SHUTDOWN, 0, 0 },
		{ SBI_EXT_BASE, SBI_BASE_PROBE_EXT, UCALL_EXT },
	};
	struct rvhv_sbi_batch_entry *en = self->ents;
	unsigned int i, j;
	long e, done;

	for (i = 0; i < sizeof(stoppers) / sizeof(stoppers[0]); i++) {
		for (j = 0; j < 4; j++)
			set_ent(&en[j], SBI_EXT_BASE,
				SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
		set_ent(&en[2], stoppers[i][0], stoppers[i][1],
			stoppers[i][2], 0, 0);
		batch(self->b.vcpu, BATCH_ARRAY, 4, &e, &done);
		EXPECT_EQ(0, e) TH_LOG("stopper %u", i);
		EXPECT_EQ(2, done) TH_LOG("stopper %u", i);
		EXPECT_EQ(0, en[0].error);
		EXPECT_EQ(0, en[1].error);
		EXPECT_EQ(3L << 24, en[1].value);	/* SBI 3.0 */
		EXPECT_EQ(0x5a5a, en[2].error) TH_LOG("stopper %u", i);
		EXPECT_EQ(0x5a5a, en[3].error) TH_LOG("stopper %u", i);
		EXPECT_EQ(0x5a5a, en[3].value);
	}
	/* stopping at the first entry: a1 = 0, success */
	set_ent(&en[0], SBI_EXT_SRST, SBI_SRST_RESET, 0, 0, 0);
	batch(self->b.vcpu, BATCH_ARRAY, 1, &e, &done);
	EXPECT_EQ(0, e);
	EXPECT_EQ(0, done);
	EXPECT_EQ(0x5a5a, en[0].error);
}

/* An entry naming RVHV_SBI_EXT completes with SBI_ERR_DENIED unrun. */
TEST_F(batch, no_nesting)
{
	struct rvhv_sbi_batch_entry *en = self->ents;
	long e, done;

	set_ent(&en[0], RVHV_SBI_EXT, RVHV_SBI_BATCH, BATCH_ARRAY, 2, 0);
	set_ent(&en[1], SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
	batch(self->b.vcpu, BATCH_ARRAY, 2, &e, &done);
	EXPECT_EQ(0, e);
	EXPECT_EQ(2, done);
	EXPECT_EQ(SBI_ERR_DENIED, en[0].error);
	EXPECT_EQ(0, en[0].value);
	EXPECT_EQ(0, en[1].error);
	EXPECT_EQ(3L << 24, en[1].value);	/* SBI 3.0 */
}

/* RVHV_SBI_BATCH_MAX entries run; one more is refused. */
TEST_F(batch, count_limits)
{
	struct rvhv_sbi_batch_entry *en = self->ents;
	long e, done;
	int i;

	for (i = 0; i < RVHV_SBI_BATCH_MAX; i++)
		set_ent(&en[i], SBI_EXT_BASE, SBI_BASE_PROBE_EXT,
			i & 1 ? SBI_EXT_HSM : 0x7777, 0, 0);
	batch(self->b.vcpu, BATCH_ARRAY, RVHV_SBI_BATCH_MAX, &e, &done);
	EXPECT_EQ(0, e);
	EXPECT_EQ(RVHV_SBI_BATCH_MAX, done);
	for (i = 0; i < RVHV_SBI_BATCH_MAX; i++)
		EXPECT_EQ(i & 1, en[i].value) TH_LOG("entry %d", i);

	for (i = 0; i < RVHV_SBI_BATCH_MAX; i++)
		en[i].error = 0x5a5a;
	batch(self->b.vcpu, BATCH_ARRAY, 0, &e, &done);
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, e);
	EXPECT_EQ(0, done);
	batch(self->b.vcpu, BATCH_ARRAY, RVHV_SBI_BATCH_MAX + 1, &e, &done);
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, e);
	EXPECT_EQ(0, done);
	batch(self->b.vcpu, BATCH_ARRAY, -1UL, &e, &done);
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, e);
	batch(self->b.vcpu, BATCH_ARRAY, 1UL << 32 | 1, &e, &done);
	EXPECT_EQ(SBI_ERR_INVALID_PARAM, e);
	EXPECT_EQ(0x5a5a, en[0].error);		/* nothing ran */
}

/*
 * Arrays the guest may not hand over: misaligned, in no memslot,
 * crossing from one memslot into the next (both guest memory), partly
 * past the end of memory, wrapping around the address space, in a
 * read-only slot.  SBI_ERR_INVALID_ADDRESS, nothing run (the entry
 * there is a send_ipi to self, which would show), host unharmed.
 */
TEST_F(batch, bad_arrays)
{
	struct bvm *b = &self->b;
	const uint64_t sz = 0x10000;
	struct rvhv_sbi_batch_entry *e1, *e2, *ro;
	unsigned long gpas[8];
	unsigned int i, n = 0;
	long e, done;
	char *mem;

	mem = vm_add_mem(b->vm, 1, GUEST_EXTRA, sz, 0);
	vm_add_mem(b->vm, 2, GUEST_EXTRA + sz, sz, 0);
	ro = vm_add_mem(b->vm, 3, GUEST_EXTRA + 4 * sz, sz, KVM_MEM_READONLY);
	e1 = (void *)(mem + sz - ENT_SIZE);
	e2 = vm_gpa2hva(b->vm, GUEST_EXTRA + sz);
	set_ent(e1, SBI_EXT_IPI, 0, 1, 0, 0);
	set_ent(e2, SBI_EXT_IPI, 0, 1, 0, 0);
	set_ent(&self->ents[0], SBI_EXT_IPI, 0, 1, 0, 0);

	gpas[n++] = BATCH_ARRAY + 4;			/* misaligned */
	gpas[n++] = BATCH_ARRAY + 1;
	gpas[n++] = GUEST_MMIO_BASE;			/* no memslot */
	gpas[n++] = GUEST_EXTRA + sz - ENT_SIZE;	/* slot 1 -> slot 2 */
	gpas[n++] = GUEST_BASE + GUEST_RAM_SIZE - ENT_SIZE; /* past slot 0 */
	gpas[n++] = -ENT_SIZE;				/* wraps */
	gpas[n++] = GUEST_EXTRA + 4 * sz;		/* read-only */
	gpas[n++] = 1UL << 62;				/* beyond any GPA */
	for (i = 0; i < n; i++) {
		batch(b->vcpu, gpas[i], 2, &e, &done);
		EXPECT_EQ(SBI_ERR_INVALID_ADDRESS, e)
			TH_LOG("array at 0x%lx", gpas[i]);
		EXPECT_EQ(0, done) TH_LOG("array at 0x%lx", gpas[i]);
	}
	EXPECT_EQ(0x5a5a, e1->error);
	EXPECT_EQ(0x5a5a, e2->error);
	EXPECT_EQ(0, ro->error);
	/* nothing ran: no IPI to itself is pending */
	EXPECT_EQ(0, vcpu_get_reg(b->vcpu, RISCV_CSR_REG(sip)) & 2);
	/* the same arrays, made valid, work */
	batch(b->vcpu, GUEST_EXTRA + sz - ENT_SIZE, 1, &e, &done);
	EXPECT_EQ(0, e);
	EXPECT_EQ(1, done);
	EXPECT_EQ(0, e1->error);
	batch(b->vcpu, GUEST_EXTRA + sz, 1, &e, &done);
	EXPECT_EQ(0, e);
	EXPECT_EQ(1, done);
	EXPECT_EQ(0, e2->error);
}

/*
 * Deleting a memslot waits for a copy through it that is in flight: the
 * batch array is in a slot whose memory is behind userfaultfd, so
 * rvhv's copy of it blocks in the page fault; KVM_SET_USER_MEMORY_REGION
 * deleting that slot must not return before the fault is served (else
 * the copy could land in memory the VMM no longer gives the guest).
 */
struct batch_call {
	struct vcpu *vcpu;
	unsigned long gpa;
	long err, done;
};

static void *batch_thread(void *arg)
{
	struct batch_call *c = arg;

	batch(c->vcpu, c->gpa, 1, &c->err, &c->done);
	return NULL;
}

struct delete_call {
	struct vm *vm;
	volatile int done;
	int ret;
};

static void *delete_thread(void *arg)
{
	struct delete_call *d = arg;

	d->ret = vm_set_region_try(d->vm, 1, 0, GUEST_EXTRA, 0, NULL);
	d->done = 1;
	return NULL;
}

TEST_F(batch, delete_waits_for_copy)
{
	const size_t sz = 0x10000;
	struct uffdio_copy copy = { 0 };
	struct batch_call c = { .vcpu = self->b.vcpu, .gpa = GUEST_EXTRA };
	struct delete_call d = { .vm = self->b.vm };
	struct uffd_msg msg;
	pthread_t bt, dt;
	char *mem, *page;
	int uffd;

	mem = vm_alloc_uffd(sz, &uffd);
	if (!mem)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	vm_set_region(self->b.vm, 1, 0, GUEST_EXTRA, sz, mem);

	ASSERT_EQ(0, pthread_create(&bt, NULL, batch_thread, &c));
	ASSERT_EQ(0, uffd_wait_fault(uffd, 20000, &msg))
		TH_LOG("no fault on the array");

	ASSERT_EQ(0, pthread_create(&dt, NULL, delete_thread, &d));
	sleep(1);
	EXPECT_EQ(0, d.done) TH_LOG("the slot was deleted with a copy in flight");

	/* Serve the fault: an entry the guest would have written. */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	set_ent((void *)page, SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
	copy.dst = msg.arg.pagefault.address & ~4095UL;
	copy.src = (unsigned long)page;
	copy.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));

	pthread_join(dt, NULL);
	EXPECT_EQ(0, d.ret);
	pthread_join(bt, NULL);
	/* The array was read; the slot was gone before anything ran. */
	EXPECT_EQ(SBI_ERR_INVALID_ADDRESS, c.err);
	EXPECT_EQ(0, c.done);
	/* The VMM's memory is as the fault left it. */
	EXPECT_EQ(0x5a5a, ((struct rvhv_sbi_batch_entry *)mem)->error);
	close(uffd);
	munmap(page, 4096);
	munmap(mem, sz);
}

/* ---- console coalescing ---- */

static const char *console_bytes(struct vcpu *vcpu, unsigned long *len)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason != KVM_EXIT_RISCV_SBI ||
	    run->riscv_sbi.extension_id != RVHV_SBI_EXT ||
	    run->riscv_sbi.function_id != RVHV_SBI_CONSOLE_OUTPUT) {
		vcpu_dump(vcpu, "not a console exit");
		return NULL;
	}
	*len = run->riscv_sbi.args[1];
	if (run->riscv_sbi.args[0] != RVHV_CONSOLE_OFFSET ||
	    run->riscv_sbi.args[2] || run->riscv_sbi.args[5])
		return NULL;
	return (const char *)run + run->riscv_sbi.args[0];
}

FIXTURE(console) {
	struct bvm b;
};

FIXTURE_SETUP(console)
{
	memset(&self->b, 0, sizeof(self->b));
	if (dev_is_kvm())
		SKIP(return, "RVHV_CAP_CONSOLE_COALESCE is rvhv's own");
	vm_watchdog(60);
	bvm_create(&self->b, false, true);
}

FIXTURE_TEARDOWN(console)
{
	bvm_free(&self->b);
}

/* "hello\n": one exit with the six bytes, then the guest goes on. */
TEST_F(console, line)
{
	struct vcpu *vcpu = self->b.vcpu;
	const char *p;
	unsigned long len = 0;

	vcpu_start(vcpu, GUEST_FN(guest_console), 0, 0);
	ASSERT_EQ(1, vcpu_ucall_try(vcpu, NULL));
	p = console_bytes(vcpu, &len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(6, len);
	EXPECT_EQ(0, memcmp(p, "hello\n", 6));
	EXPECT_EQ(7, vcpu_run_to_done(vcpu));
}

/*
 * 300 bytes, no newline: an exit when the buffer is full (256), the rest
 * (44) before the next exit of another kind (a ucall), which follows.
 */
TEST_F(console, full_buffer_and_other_exit)
{
	struct vcpu *vcpu = self->b.vcpu;
	struct ucall uc;
	const char *p;
	unsigned long len = 0, i;

	vcpu_start(vcpu, GUEST_FN(guest_console), 1, 300);
	ASSERT_EQ(1, vcpu_ucall_try(vcpu, NULL));
	p = console_bytes(vcpu, &len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(RVHV_CONSOLE_MAX, len);
	for (i = 0; i < len; i++)
		ASSERT_EQ('a' + i % 26, p[i]) TH_LOG("byte %lu", i);
	ASSERT_EQ(1, vcpu_ucall_try(vcpu, NULL));
	p = console_bytes(vcpu, &len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(300 - RVHV_CONSOLE_MAX, len);
	for (i = 0; i < len; i++)
		ASSERT_EQ('a' + (i + RVHV_CONSOLE_MAX) % 26, p[i]);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
	EXPECT_EQ(5, uc.args[0]);
	EXPECT_EQ(0, vcpu_run_to_done(vcpu));
}

/* "ab" then WFI: the bytes go out before the vCPU blocks. */
TEST_F(console, flush_before_wfi)
{
	struct vcpu *vcpu = self->b.vcpu;
	const char *p;
	unsigned long len = 0;
	uint64_t t0 = now_ns();

	((struct smp_shared *)vm_gpa2hva(self->b.vm, SMP_SHARED))->freq =
		vcpu_get_reg(vcpu, RISCV_TIMER_REG(frequency));
	vcpu_start(vcpu, GUEST_FN(guest_console), 2, 0);
	ASSERT_EQ(1, vcpu_ucall_try(vcpu, NULL));
	p = console_bytes(vcpu, &len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(2, len);
	EXPECT_EQ(0, memcmp(p, "ab", 2));
	EXPECT_EQ(2, vcpu_run_to_done(vcpu));
	EXPECT_GE(now_ns() - t0, 50000000ULL);
}

/* "bye" then SRST: console exit first, then the system event. */
TEST_F(console, flush_before_system_event)
{
	struct vcpu *vcpu = self->b.vcpu;
	const char *p;
	unsigned long len = 0;

	vcpu_start(vcpu, GUEST_FN(guest_console), 3, 0);
	ASSERT_EQ(1, vcpu_ucall_try(vcpu, NULL));
	p = console_bytes(vcpu, &len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(3, len);
	EXPECT_EQ(0, memcmp(p, "bye", 3));
	ASSERT_EQ(1, vcpu_ucall_try(vcpu, NULL));
	EXPECT_EQ(KVM_EXIT_SYSTEM_EVENT, vcpu->run->exit_reason);
	EXPECT_EQ(KVM_SYSTEM_EVENT_SHUTDOWN, vcpu->run->system_event.type);
}

/* Not enabled: every putchar is its own forwarded exit. */
TEST(console_off)
{
	struct bvm b = { 0 };
	int i;

	if (dev_is_kvm())
		SKIP(return, "kvm.ko here has no SBI v0.1 console");
	bvm_create(&b, false, false);
	vcpu_start(b.vcpu, GUEST_FN(guest_console), 0, 0);
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(1, vcpu_ucall_try(b.vcpu, NULL));
		ASSERT_EQ(KVM_EXIT_RISCV_SBI, b.vcpu->run->exit_reason);
		ASSERT_EQ(SBI_EXT_0_1_CONSOLE_PUTCHAR,
			  b.vcpu->run->riscv_sbi.extension_id);
		EXPECT_EQ("hello\n"[i], (char)b.vcpu->run->riscv_sbi.args[0]);
	}
	EXPECT_EQ(7, vcpu_run_to_done(b.vcpu));
	bvm_free(&b);
}

TEST_HARNESS_MAIN
