// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_test: the exit fast path (trap/fastpath.c) keeps the guest's
 * state and its host's ability to interrupt it.
 *
 *  - registers: a guest sets all 31 GPRs and sscratch, sepc, stval and
 *    scause to distinct values and traps once, through each exit the
 *    fast path handles (SBI BASE, HSM hart_get_status, IPI to itself,
 *    TIME set_timer, an unknown extension) and through full-path exits
 *    of each kind (an SBI call to userspace, an SBI call the kernel
 *    handles with interrupts on (RFENCE), an MMIO store and load to
 *    userspace, a G-stage fault on a page of a memslot): every register
 *    comes back as it was but those the exit defines (a0/a1 of an SBI
 *    call, rd of a load), and sstatus is unchanged.  Two more fast-path
 *    exits on rvhv: an MMIO store that hits an ioeventfd (signalled
 *    exactly once, no exit to the VMM) and a G-stage fault on a page the
 *    VMM has written (mapped with interrupts off); for those, rvhv's
 *    gstage_fault_fast statistic shows the fast path took them.
 *  - signals: a guest looping on null SBI calls (each one a fast-path
 *    exit on rvhv) is interrupted by a signal to its thread: KVM_RUN
 *    returns -EINTR with KVM_EXIT_INTR promptly.
 * Both run on rvhv and kvm.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/fastpath_abi.h"

#define SBI_EXT_USER		0x08000001	/* experimental: to the VMM */
#define SBI_EXT_NONE		0x0B000000	/* no such extension */

#define REG_S4		20
#define REG_S5		21
#define REG_S6		22
#define REG_A0		10
#define REG_A1		11
#define REG_A6		16
#define REG_A7		17

#define MMIO_ADDR	(GUEST_MMIO_BASE + 0x40)
#define LOAD_DATA	0x0123456789abcdefUL
#define USER_RET0	0x5a5aUL
#define USER_RET1	0xa5a5UL
#define TOUCH_SLOT	2

enum fp_insn { FP_ECALL, FP_STORE, FP_LOAD };

struct fp_kind {
	const char *name;
	bool fast;		/* a fast-path exit on rvhv */
	enum fp_insn insn;
	unsigned long a7, a6, a0, a1;
	bool sbi;		/* a0 (error) and a1 (value) are written */
	long want_a0;		/* the SBI error it must return */
	bool any_a1;		/* a1's value is the implementation's */
};

static const struct fp_kind kinds[] = {
	{ "sbi_base", true, FP_ECALL, SBI_EXT_BASE, 0, 0, 0, true, 0, true },
	{ "sbi_hsm_status", true, FP_ECALL, SBI_EXT_HSM, 2, 0, 0, true, 0,
	  false },
	{ "sbi_ipi_self", true, FP_ECALL, SBI_EXT_IPI, 0, 1, 0, true, 0,
	  false },
	{ "sbi_set_timer", true, FP_ECALL, SBI_EXT_TIME, 0, -1UL, 0, true, 0,
	  false },
	{ "sbi_unknown", true, FP_ECALL, SBI_EXT_NONE, 0, 0, 0, true,
	  SBI_ERR_NOT_SUPPORTED, false },
	{ "sbi_user", false, FP_ECALL, SBI_EXT_USER, 7, 0, 0, true,
	  USER_RET0, false },
	{ "sbi_rfence", false, FP_ECALL, SBI_EXT_RFENCE, 0, 1, 0, true, 0,
	  false },
	{ .name = "mmio_store", .insn = FP_STORE },
	{ .name = "mmio_load", .insn = FP_LOAD },
	{ .name = "gstage_fault", .insn = FP_STORE },
	{ .name = "ioeventfd_store", .fast = true, .insn = FP_STORE },
	{ .name = "gstage_fault_fast", .fast = true, .insn = FP_STORE },
};

/* The G-stage fault kinds: a store to a page of TOUCH_SLOT, not MMIO. */
static int gstage_page(const struct fp_kind *fk)
{
	if (!strcmp(fk->name, "gstage_fault"))
		return 3;
	if (!strcmp(fk->name, "gstage_fault_fast"))
		return 4;
	return 0;
}

/* The value the test gives GPR n before kind k's trap. */
static uint64_t poison(int k, int n)
{
	return 0xf00d000000000000UL | (uint64_t)k << 32 |
	       (uint64_t)n << 8 | (uint64_t)(n * 7 + k);
}

FIXTURE(fp) {
	struct vm *vm;
	struct vcpu *vcpu;
	volatile uint64_t *blk;		/* FP_PAGE */
	volatile uint64_t *touch;	/* GUEST_EXTRA slot */
};

FIXTURE_SETUP(fp)
{
	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
	self->blk = vm_add_mem(self->vm, 1, FP_PAGE, PAGE_SIZE_4K, 0);
	self->touch = vm_add_mem(self->vm, TOUCH_SLOT, GUEST_EXTRA,
				 16 * PAGE_SIZE_4K, 0);
}

FIXTURE_TEARDOWN(fp)
{
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}

#define BLK(off)	(self->blk[(off) / 8])

/*
 * Run the guest through its one trap to UCALL_DONE, serving the exits
 * the kind makes.  Returns how many exits reached this program besides
 * the ucalls (0 for a trap the hypervisor handled itself).
 */
static int fp_run(struct __test_metadata *_metadata, FIXTURE_DATA(fp) *self,
		  int k)
{
	const struct fp_kind *fk = &kinds[k];
	struct kvm_run *run = self->vcpu->run;
	struct ucall uc;
	int exits = 0, r, i;

	for (i = 0; i < 10; i++) {
		r = vcpu_ucall_try(self->vcpu, &uc);
		if (r < 0) {
			vcpu_dump(self->vcpu, "KVM_RUN failed");
			EXPECT_EQ(0, r);
			return exits;
		}
		if (r == 0) {
			if (uc.fid == UCALL_DONE)
				return exits;
			continue;
		}
		exits++;
		if (run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == SBI_EXT_USER) {
			EXPECT_EQ(fk->a6, run->riscv_sbi.function_id);
			run->riscv_sbi.ret[0] = USER_RET0;
			run->riscv_sbi.ret[1] = USER_RET1;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			EXPECT_EQ(MMIO_ADDR, run->mmio.phys_addr);
			EXPECT_EQ(8, run->mmio.len);
			EXPECT_EQ(fk->insn == FP_STORE, run->mmio.is_write);
			if (run->mmio.is_write) {
				uint64_t v;

				memcpy(&v, run->mmio.data, 8);
				EXPECT_EQ(poison(k, REG_S5), v);
			} else {
				uint64_t v = LOAD_DATA;

				memcpy(run->mmio.data, &v, 8);
			}
			continue;
		}
		vcpu_dump(self->vcpu, "unexpected exit");
		EXPECT_TRUE(false) TH_LOG("kind %s: exit %s", fk->name,
					  exit_reason_str(run->exit_reason));
		return exits;
	}
	EXPECT_TRUE(false) TH_LOG("kind %s: no UCALL_DONE", fk->name);
	return exits;
}

static void fp_check_kind(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fp) *self, int k)
{
	const struct fp_kind *fk = &kinds[k];
	static const uint64_t routine[] = {
		[FP_ECALL] = GUEST_FN(guest_fp_ecall),
		[FP_STORE] = GUEST_FN(guest_fp_store),
		[FP_LOAD] = GUEST_FN(guest_fp_load),
	};
	int n, exits, bad = 0, efd = -1;
	uint64_t want;
	long fast0;

	memset((void *)self->blk, 0, PAGE_SIZE_4K);
	for (n = 1; n < 32; n++)
		BLK(FP_IN + 8 * n) = poison(k, n);
	if (fk->insn == FP_ECALL) {
		BLK(FP_IN + 8 * REG_A7) = fk->a7;
		BLK(FP_IN + 8 * REG_A6) = fk->a6;
		BLK(FP_IN + 8 * REG_A0) = fk->a0;
		BLK(FP_IN + 8 * REG_A1) = fk->a1;
	} else if (gstage_page(fk)) {
		/*
		 * A page of a memslot the guest has not touched yet; the
		 * VMM wrote the second one (its page tables hold it).
		 */
		BLK(FP_IN + 8 * REG_S6) = GUEST_EXTRA +
					  PAGE_SIZE_4K * gstage_page(fk);
		if (fk->fast)
			self->touch[gstage_page(fk) * 512] = 1;
	} else {
		BLK(FP_IN + 8 * REG_S6) = MMIO_ADDR;
	}
	for (n = 0; n < FP_NR_CSRS; n++)
		BLK(FP_CSR_IN + 8 * n) = 0xc5c5000000000000UL |
					 (uint64_t)k << 8 | n;
	/* stval/sepc: any value; scause: keep it a plausible cause. */
	BLK(FP_CSR_IN + 24) = 0x1f;

	if (!strcmp(fk->name, "ioeventfd_store")) {
		struct kvm_ioeventfd io = {
			.addr = MMIO_ADDR, .len = 8,
			.fd = eventfd(0, EFD_NONBLOCK),
		};

		ASSERT_LE(0, io.fd);
		ASSERT_EQ(0, ioctl(self->vm->fd, KVM_IOEVENTFD, &io));
		efd = io.fd;
	}
	fast0 = vcpu_stat(self->vcpu, "gstage_fault_fast");

	vcpu_start(self->vcpu, routine[fk->insn], 0, 0);
	exits = fp_run(_metadata, self, k);

	if (fk->insn == FP_ECALL)
		want = fk->a7 == SBI_EXT_USER;
	else
		want = !gstage_page(fk) && !fk->fast;
	EXPECT_EQ(want, exits) TH_LOG("%s: exits to the VMM", fk->name);
	/* The new fast kinds (the SBI ones are fastpath's older). */
	if (fk->fast && fk->insn != FP_ECALL && !dev_is_kvm())
		EXPECT_LE(fast0 + 1, vcpu_stat(self->vcpu, "gstage_fault_fast"))
			TH_LOG("%s: not a fast-path exit", fk->name);
	if (efd >= 0) {
		struct kvm_ioeventfd io = {
			.addr = MMIO_ADDR, .len = 8, .fd = efd,
			.flags = KVM_IOEVENTFD_FLAG_DEASSIGN,
		};
		uint64_t v = 0;

		EXPECT_EQ(8, read(efd, &v, 8));
		EXPECT_EQ(1, v) TH_LOG("%s: eventfd count", fk->name);
		EXPECT_EQ(0, ioctl(self->vm->fd, KVM_IOEVENTFD, &io));
		close(efd);
	}

	for (n = 1; n < 32; n++) {
		want = BLK(FP_IN + 8 * n);
		if (fk->sbi && n == REG_A0)
			want = fk->want_a0;
		if (fk->sbi && n == REG_A1) {
			if (fk->any_a1)
				continue;
			want = fk->a7 == SBI_EXT_USER ? USER_RET1 : 0;
		}
		if (fk->insn == FP_LOAD && n == REG_S4)
			want = LOAD_DATA;
		if (BLK(FP_OUT + 8 * n) != want) {
			bad++;
			TH_LOG("%s: x%d = 0x%llx, want 0x%llx", fk->name, n,
			       (unsigned long long)BLK(FP_OUT + 8 * n),
			       (unsigned long long)want);
		}
	}
	EXPECT_EQ(0, bad) TH_LOG("%s: %d registers changed", fk->name, bad);
	for (n = 0; n < FP_NR_CSRS; n++)
		EXPECT_EQ(BLK(FP_CSR_IN + 8 * n), BLK(FP_CSR_OUT + 8 * n))
			TH_LOG("%s: CSR %d (sscratch sepc stval scause)",
			       fk->name, n);
	EXPECT_EQ(BLK(FP_SSTATUS), BLK(FP_SSTATUS + 8))
		TH_LOG("%s: sstatus", fk->name);
	if (gstage_page(fk))
		EXPECT_EQ(poison(k, REG_S5), self->touch[gstage_page(fk) * 512]);
}

/* Every kind, in one vCPU, one after the other. */
TEST_F(fp, registers_kept)
{
	int k;

	for (k = 0; k < (int)ARRAY_SIZE(kinds); k++)
		fp_check_kind(_metadata, self, k);
}

/* The same, each fast kind twice in a row between full-path ones. */
TEST_F(fp, registers_kept_interleaved)
{
	static const int order[] = { 0, 0, 5, 1, 1, 7, 2, 2, 8, 3, 3, 6, 4, 4 };
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(order); i++)
		fp_check_kind(_metadata, self, order[i]);
}

static void sigusr1_handler(int sig)
{
}

struct sender {
	pthread_t target;
	volatile uint64_t *count;	/* the guest's, must move first */
	struct timespec sent;
	int ok;
};

static void *sender_thread(void *arg)
{
	struct sender *s = arg;
	int i;

	/* Wait until the guest is in its loop of null SBI calls. */
	for (i = 0; i < 2000 && *s->count < 100; i++)
		usleep(5000);
	s->ok = *s->count >= 100;
	clock_gettime(CLOCK_MONOTONIC, &s->sent);
	pthread_kill(s->target, SIGUSR1);
	return NULL;
}

/*
 * A guest looping on null SBI calls (fast-path exits on rvhv) must not
 * keep a signal out: KVM_RUN returns -EINTR, KVM_EXIT_INTR, promptly
 * (generously: 5 s on a loaded machine; a fast path that ignored the
 * signal would never return).
 */
TEST_F(fp, signal_ends_sbi_loop)
{
	volatile uint64_t *flag = GUEST_DATA_HVA(self->vm, uint64_t, 0);
	struct sigaction sa = { .sa_handler = sigusr1_handler };
	struct sender s = { .target = pthread_self(), .count = flag + 1 };
	struct timespec back;
	struct ucall uc;
	pthread_t thr;
	double secs;
	int r;

	sigaction(SIGUSR1, &sa, NULL);
	flag[0] = 0;
	flag[1] = 0;
	vcpu_start(self->vcpu, GUEST_FN(guest_fp_sbi_spin), GUEST_DATA, 0);
	ASSERT_EQ(0, pthread_create(&thr, NULL, sender_thread, &s));
	r = vcpu_ucall_try(self->vcpu, &uc);
	clock_gettime(CLOCK_MONOTONIC, &back);
	pthread_join(thr, NULL);
	EXPECT_TRUE(s.ok) TH_LOG("the guest made %llu calls",
				 (unsigned long long)flag[1]);
	EXPECT_EQ(-EINTR, r) TH_LOG("KVM_RUN: %d", r);
	EXPECT_EQ(KVM_EXIT_INTR, self->vcpu->run->exit_reason);
	secs = (back.tv_sec - s.sent.tv_sec) +
	       (back.tv_nsec - s.sent.tv_nsec) / 1e9;
	EXPECT_LT(secs, 5.0);
	TH_LOG("KVM_RUN returned %.3f s after the signal, %llu calls",
	       secs, (unsigned long long)flag[1]);
	/* And it goes on from where it was. */
	flag[0] = 1;
	EXPECT_LE(flag[1], vcpu_run_to_done(self->vcpu));
}

TEST_HARNESS_MAIN
