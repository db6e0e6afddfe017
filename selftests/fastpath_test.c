// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_test: the exit fast path (trap/fastpath.c) and the world
 * switch's register-light round trip (trap/switch.S, trap/offsets.h's
 * RVHV_GPRS_LIGHT and RVHV_GPRS_HEAVY) keep the guest's state and its
 * host's ability to interrupt it.
 *
 *  - registers: a guest sets all 31 GPRs, sscratch, sepc, stval and
 *    scause, and (when the vCPU has D) all 32 F/D registers and fcsr, to
 *    distinct values and traps once, through each exit the fast path
 *    handles without leaving the switch (SBI BASE, HSM hart_get_status,
 *    IPI to itself, TIME set_timer, an unknown extension), one it takes
 *    there and sends on to userspace (BASE probe_extension of an
 *    experimental extension, which the VMM answers) and through
 *    full-path exits of each kind (an SBI call the light path declines
 *    and the kernel forwards to userspace, one the kernel handles with
 *    interrupts on (RFENCE), an MMIO store and load to userspace, a
 *    G-stage fault on a page of a memslot, host interrupts during a
 *    long loop): every register comes back as it was but those the exit
 *    defines (a0/a1 of an SBI call, rd of a load), and sstatus is
 *    unchanged; and again with rvhv's debug_checks on, where each
 *    light-path round trip takes a kernel trap in its C half.  Two more
 *    fast-path exits on rvhv: an MMIO store that hits an ioeventfd
 *    (signalled exactly once, no exit to the VMM) and a G-stage fault
 *    on a page the VMM has written (mapped with interrupts off); for
 *    those, rvhv's gstage_fault_fast statistic shows the fast path took
 *    them.
 *  - signals: a guest looping on null SBI calls (each one a fast-path
 *    exit on rvhv) is interrupted by a signal to its thread: KVM_RUN
 *    returns -EINTR with KVM_EXIT_INTR promptly.
 * Both run on rvhv and kvm.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/fastpath_abi.h"

#define SBI_EXT_USER		0x08000001	/* experimental: to the VMM */
#define SBI_EXT_NONE		0x0B000000	/* no such extension */

#define REG_T0		5
#define REG_T1		6
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

enum fp_insn { FP_ECALL, FP_STORE, FP_LOAD, FP_SPIN };

/* How long guest_fp_spin waits: many host timer ticks. */
#define SPIN_MS		40

struct fp_kind {
	const char *name;
	bool fast;		/* a fast-path exit on rvhv */
	bool user;		/* an SBI exit to this program */
	enum fp_insn insn;
	unsigned long a7, a6, a0, a1;
	bool sbi;		/* a0 (error) and a1 (value) are written */
	long want_a0;		/* the SBI error it must return */
	bool any_a1;		/* a1's value is the implementation's */
};

static const struct fp_kind kinds[] = {
	{ "sbi_base", true, false, FP_ECALL, SBI_EXT_BASE, 0, 0, 0, true, 0,
	  true },
	{ "sbi_hsm_status", true, false, FP_ECALL, SBI_EXT_HSM, 2, 0, 0, true,
	  0, false },
	{ "sbi_ipi_self", true, false, FP_ECALL, SBI_EXT_IPI, 0, 1, 0, true,
	  0, false },
	{ "sbi_set_timer", true, false, FP_ECALL, SBI_EXT_TIME, 0, -1UL, 0,
	  true, 0, false },
	{ "sbi_unknown", true, false, FP_ECALL, SBI_EXT_NONE, 0, 0, 0, true,
	  SBI_ERR_NOT_SUPPORTED, false },
	{ "sbi_user", false, true, FP_ECALL, SBI_EXT_USER, 7, 0, 0, true,
	  USER_RET0, false },
	{ "sbi_rfence", false, false, FP_ECALL, SBI_EXT_RFENCE, 0, 1, 0, true,
	  0, false },
	{ .name = "mmio_store", .insn = FP_STORE },
	{ .name = "mmio_load", .insn = FP_LOAD },
	{ .name = "gstage_fault", .insn = FP_STORE },
	/* Taken by the light path on rvhv, which then exits to the VMM. */
	{ "sbi_probe_user", true, true, FP_ECALL, SBI_EXT_BASE,
	  SBI_BASE_PROBE_EXT, SBI_EXT_USER, 0, true, USER_RET0, false },
	{ .name = "host_irq", .insn = FP_SPIN },
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
	bool has_d;			/* the vCPU has D: check f0-f31 */
};

FIXTURE_SETUP(fp)
{
	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
	self->blk = vm_add_mem(self->vm, 1, FP_PAGE, PAGE_SIZE_4K, 0);
	self->touch = vm_add_mem(self->vm, TOUCH_SLOT, GUEST_EXTRA,
				 16 * PAGE_SIZE_4K, 0);
	self->has_d = vcpu_get_reg(self->vcpu,
				   RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_D));
}

FIXTURE_TEARDOWN(fp)
{
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}

#define BLK(off)	(self->blk[(off) / 8])

/* The vCPU's "exits" statistic (KVM_GET_STATS_FD; both modules have it). */
static uint64_t vcpu_exits(struct vcpu *vcpu)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	uint64_t val = 0;
	size_t dsize;
	unsigned int i;
	int fd;

	fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
	VM_CHECK(fd >= 0, "KVM_GET_STATS_FD: %s", strerror(errno));
	VM_CHECK(pread(fd, &h, sizeof(h), 0) == sizeof(h), "stats header");
	dsize = sizeof(*d) + h.name_size;
	d = malloc(dsize);
	VM_CHECK(d, "out of memory");
	for (i = 0; i < h.num_desc; i++) {
		VM_CHECK(pread(fd, d, dsize, h.desc_offset + i * dsize) ==
			 (ssize_t)dsize, "stats descriptor %u", i);
		d->name[h.name_size - 1] = 0;
		if (strcmp(d->name, "exits"))
			continue;
		VM_CHECK(pread(fd, &val, 8, h.data_offset + d->offset) == 8,
			 "stats data");
		break;
	}
	VM_CHECK(i < h.num_desc, "no \"exits\" statistic");
	free(d);
	close(fd);
	return val;
}

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
		if (run->exit_reason == KVM_EXIT_RISCV_SBI && fk->user) {
			EXPECT_EQ(fk->a7, run->riscv_sbi.extension_id);
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
		[FP_SPIN] = GUEST_FN(guest_fp_spin),
	};
	int n, exits, bad = 0, efd = -1;
	uint64_t want, exits0, deadline;
	long fast0;

	memset((void *)self->blk, 0, PAGE_SIZE_4K);
	for (n = 1; n < 32; n++)
		BLK(FP_IN + 8 * n) = poison(k, n);
	if (fk->insn == FP_ECALL) {
		BLK(FP_IN + 8 * REG_A7) = fk->a7;
		BLK(FP_IN + 8 * REG_A6) = fk->a6;
		BLK(FP_IN + 8 * REG_A0) = fk->a0;
		BLK(FP_IN + 8 * REG_A1) = fk->a1;
	} else if (fk->insn == FP_SPIN) {
		/* t0: how long the guest waits, in its time's ticks */
		BLK(FP_IN + 8 * REG_T0) =
			vcpu_get_reg(self->vcpu, RISCV_TIMER_REG(frequency)) *
			SPIN_MS / 1000;
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
	if (self->has_d) {
		BLK(FP_FLAGS) = FP_USE_F;
		for (n = 0; n < 32; n++)
			BLK(FP_FIN + 8 * n) = ~poison(k, n);
		/* frm (a valid rounding mode) and fflags */
		BLK(FP_FCSR_IN) = (k % 5) << 5 | ((k + 1) & 0x1f);
	}

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

	exits0 = vcpu_exits(self->vcpu);
	vcpu_start(self->vcpu, routine[fk->insn], 0, 0);
	exits = fp_run(_metadata, self, k);
	/* Host interrupts ended the loop's run: besides UCALL_DONE's exit. */
	if (fk->insn == FP_SPIN)
		EXPECT_LE(exits0 + 2, vcpu_exits(self->vcpu))
			TH_LOG("%s: no exit but the ucall during the loop",
			       fk->name);

	if (fk->insn == FP_ECALL)
		want = fk->user;
	else
		want = fk->insn != FP_SPIN && !gstage_page(fk) && !fk->fast;
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

	/* FP_SPIN: the start the guest read plus the wait the test set */
	deadline = BLK(FP_IN + 8 * REG_T0) + BLK(FP_SPIN_START);
	for (n = 1; n < 32; n++) {
		want = BLK(FP_IN + 8 * n);
		if (fk->sbi && n == REG_A0)
			want = fk->want_a0;
		if (fk->sbi && n == REG_A1) {
			if (fk->any_a1)
				continue;
			want = fk->user ? USER_RET1 : 0;
		}
		if (fk->insn == FP_LOAD && n == REG_S4)
			want = LOAD_DATA;
		/* t0: the deadline; t1: the time read last, at it or after */
		if (fk->insn == FP_SPIN && n == REG_T0)
			want = deadline;
		if (fk->insn == FP_SPIN && n == REG_T1 &&
		    BLK(FP_OUT + 8 * n) >= deadline)
			continue;
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
	if (self->has_d) {
		for (n = 0, bad = 0; n < 32; n++) {
			if (BLK(FP_FOUT + 8 * n) == BLK(FP_FIN + 8 * n))
				continue;
			bad++;
			TH_LOG("%s: f%d = 0x%llx, want 0x%llx", fk->name, n,
			       (unsigned long long)BLK(FP_FOUT + 8 * n),
			       (unsigned long long)BLK(FP_FIN + 8 * n));
		}
		EXPECT_EQ(0, bad) TH_LOG("%s: %d FP registers changed",
					 fk->name, bad);
		EXPECT_EQ(BLK(FP_FCSR_IN), BLK(FP_FCSR_OUT))
			TH_LOG("%s: fcsr", fk->name);
	}
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
	static const int order[] = { 0, 0, 5, 1, 1, 7, 2, 2, 8, 3, 3, 6, 4, 4,
				      10, 10, 0, 11, 1, 10 };
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(order); i++)
		fp_check_kind(_metadata, self, order[i]);
}

#define DEBUG_CHECKS	"/sys/module/rvhv/parameters/debug_checks"

/* Write @val to DEBUG_CHECKS; its old value in *@old ('N' or 'Y'). */
static int set_debug_checks(char val, char *old)
{
	int fd = open(DEBUG_CHECKS, O_RDWR);
	int ok;

	if (fd < 0)
		return -errno;
	ok = (!old || pread(fd, old, 1, 0) == 1) && pwrite(fd, &val, 1, 0) == 1;
	close(fd);
	return ok ? 0 : -EIO;
}

/*
 * The same as registers_kept with rvhv's debug_checks on, which makes
 * every light-path round trip take a kernel trap in its C half (a load
 * fixed up through the exception table): the switch must put back the
 * sepc, sstatus and hstatus that trap changed (hstatus.SPV 0 would sret
 * into HS-mode).  rvhv only: kvm.ko has no such parameter.
 */
TEST_F(fp, registers_kept_trap_in_c)
{
	char old = 'N';
	int k;

	if (dev_is_kvm())
		SKIP(return, "rvhv's debug_checks");
	ASSERT_EQ(0, set_debug_checks('1', &old));
	for (k = 0; k < (int)ARRAY_SIZE(kinds); k++)
		fp_check_kind(_metadata, self, k);
	EXPECT_EQ(0, set_debug_checks(old, NULL));
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
