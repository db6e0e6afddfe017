// SPDX-License-Identifier: GPL-2.0
/*
 * The SBI a guest sees: BASE, SRST, the legacy console, DBCN, ONE_REG
 * SBI_EXT control, unknown and forwarded extensions.  Held to kvm.ko 6.12;
 * where the implementation's identity shows (impl id), rvhv has its own.
 */
#define _GNU_SOURCE
#include <linux/rvhv.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

struct sbi_vm {
	struct vm *vm;
	struct vcpu *vcpu;
};

/* A VM whose vCPU 0 sits in guest_sbi_loop (started if @start). */
static void sbi_vm_create(struct sbi_vm *s, bool start)
{
	s->vm = vm_create();
	s->vcpu = vcpu_create(s->vm, 0);
	vcpu_start(s->vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	if (start)
		vcpu_expect_ucall(s->vcpu, UCALL_SYNC, NULL);
}

static void sbi_vm_free(struct sbi_vm *s)
{
	vcpu_free(s->vcpu);
	vm_free(s->vm);
}

static int sbi_call(struct vcpu *vcpu, unsigned long ext, unsigned long fid,
		    unsigned long a0, unsigned long a1, unsigned long a2,
		    long *err, long *val)
{
	const unsigned long args[6] = { a0, a1, a2, 0x33, 0x44, 0x55 };

	return vcpu_sbi_call6(vcpu, ext, fid, args, err, val);
}

/* An SBI call handled without an exit; returns its value. */
static long sbi_ok(struct vcpu *vcpu, unsigned long ext, unsigned long fid,
		   unsigned long a0, long want_err)
{
	long err = 0x1234, val = 0;

	if (sbi_call(vcpu, ext, fid, a0, 0, 0, &err, &val))
		vcpu_fail(vcpu, "SBI 0x%lx/%lu exited to userspace", ext, fid);
	if (err != want_err)
		vcpu_fail(vcpu, "SBI 0x%lx/%lu(0x%lx): error %ld, want %ld",
			  ext, fid, a0, err, want_err);
	return val;
}

static long probe(struct vcpu *vcpu, unsigned long ext)
{
	return sbi_ok(vcpu, SBI_EXT_BASE, SBI_BASE_PROBE_EXT, ext, 0);
}

FIXTURE(sbi) {
	struct sbi_vm s;
	struct vcpu *vcpu;
};

FIXTURE_SETUP(sbi)
{
	sbi_vm_create(&self->s, true);
	self->vcpu = self->s.vcpu;
}

FIXTURE_TEARDOWN(sbi)
{
	sbi_vm_free(&self->s);
}

TEST_F(sbi, base_spec_version)
{
	long v = sbi_ok(self->vcpu, SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION,
			0, 0);

	TH_LOG("SBI spec version %ld.%ld", (v >> 24) & 0x7f, v & 0xffffff);
	EXPECT_EQ(0, v & ~0x7fffffffL);		/* bit 31 and above: 0 */
	EXPECT_GE(v, 2);				/* >= v0.2 */
	/* kvm.ko 6.12: 2.0; rvhv: 3.0 (FWFT) */
	EXPECT_EQ((dev_is_kvm() ? 2L : 3L) << 24, v);
}

/*
 * The implementation's identity: kvm.ko is id 3 (KVM) with the host
 * kernel's LINUX_VERSION_CODE; rvhv reports its own id, so only kvm.ko's
 * values are checked exactly.
 */
TEST_F(sbi, base_impl_id_and_version)
{
	long id = sbi_ok(self->vcpu, SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0);
	long ver = sbi_ok(self->vcpu, SBI_EXT_BASE,
			  SBI_BASE_GET_IMPL_VERSION, 0, 0);
	struct utsname u;
	int a = 0, b = 0, c = 0;

	TH_LOG("impl id 0x%lx version 0x%lx", id, ver);
	if (dev_is_kvm()) {
		ASSERT_EQ(0, uname(&u));
		sscanf(u.release, "%d.%d.%d", &a, &b, &c);
		EXPECT_EQ(3, id);
		EXPECT_EQ((a << 16) + (b << 8) + (c > 255 ? 255 : c), ver);
	} else {
		EXPECT_NE(3, id);	/* not KVM */
	}
}

TEST_F(sbi, base_unknown_function)
{
	sbi_ok(self->vcpu, SBI_EXT_BASE, 99, 0, SBI_ERR_NOT_SUPPORTED);
	sbi_ok(self->vcpu, SBI_EXT_SRST, 1, 0, SBI_ERR_NOT_SUPPORTED);
}

/* mvendorid, marchid, mimpid: the vCPU's ONE_REG CONFIG values. */
TEST_F(sbi, base_machine_ids)
{
	static const struct {
		unsigned long fid;
		uint64_t reg;
	} ids[] = {
		{ SBI_BASE_GET_MVENDORID, RISCV_CONFIG_REG(mvendorid) },
		{ SBI_BASE_GET_MARCHID, RISCV_CONFIG_REG(marchid) },
		{ SBI_BASE_GET_MIMPID, RISCV_CONFIG_REG(mimpid) },
	};
	struct sbi_vm s;
	unsigned int i;

	for (i = 0; i < 3; i++)
		EXPECT_EQ(vcpu_get_reg(self->vcpu, ids[i].reg),
			  sbi_ok(self->vcpu, SBI_EXT_BASE, ids[i].fid, 0, 0));

	/* Values the VMM sets before the first run are what the guest sees. */
	sbi_vm_create(&s, false);
	for (i = 0; i < 3; i++)
		vcpu_set_reg(s.vcpu, ids[i].reg, 0x1234500 + i);
	vcpu_expect_ucall(s.vcpu, UCALL_SYNC, NULL);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0x1234500 + i,
			  sbi_ok(s.vcpu, SBI_EXT_BASE, ids[i].fid, 0, 0));
	sbi_vm_free(&s);
}

/* KVM_RISCV_SBI_EXT_* index -> SBI extension id, for those that probe. */
static const struct {
	int idx;
	unsigned long ext;
	const char *name;
} sbi_exts[] = {
	{ KVM_RISCV_SBI_EXT_TIME, SBI_EXT_TIME, "TIME" },
	{ KVM_RISCV_SBI_EXT_IPI, SBI_EXT_IPI, "IPI" },
	{ KVM_RISCV_SBI_EXT_RFENCE, SBI_EXT_RFENCE, "RFENCE" },
	{ KVM_RISCV_SBI_EXT_SRST, SBI_EXT_SRST, "SRST" },
	{ KVM_RISCV_SBI_EXT_HSM, SBI_EXT_HSM, "HSM" },
	{ KVM_RISCV_SBI_EXT_DBCN, SBI_EXT_DBCN, "DBCN" },
	{ KVM_RISCV_SBI_EXT_STA, SBI_EXT_STA, "STA" },
	{ RVHV_RISCV_SBI_EXT_SUSP, SBI_EXT_SUSP, "SUSP" },	/* 6.13+ */
	{ RVHV_RISCV_SBI_EXT_FWFT, 0x46574654, "FWFT" },	/* 6.16+ */
};

TEST_F(sbi, base_probe_extension)
{
	struct kvm_run *run = self->vcpu->run;
	unsigned int i;
	long err, val;
	uint64_t on;

	EXPECT_NE(0, probe(self->vcpu, SBI_EXT_BASE));
	EXPECT_NE(0, probe(self->vcpu, SBI_EXT_TIME));
	EXPECT_NE(0, probe(self->vcpu, SBI_EXT_IPI));
	EXPECT_NE(0, probe(self->vcpu, SBI_EXT_RFENCE));
	EXPECT_NE(0, probe(self->vcpu, SBI_EXT_SRST));
	EXPECT_NE(0, probe(self->vcpu, SBI_EXT_HSM));
	EXPECT_EQ(0, probe(self->vcpu, SBI_EXT_DBCN));	/* off by default */
	EXPECT_EQ(0, probe(self->vcpu, 0x12345678));
	EXPECT_EQ(0, probe(self->vcpu, 0x4E4F4E45));
	EXPECT_EQ(0, probe(self->vcpu, 0x0A000000));	/* firmware range */

	/*
	 * Each SBI extension ONE_REG lists is probed as enabled or not.
	 * (Not V01 or PMU: a kvm.ko built without CONFIG_RISCV_SBI_V01, like
	 * the test kernel's, lists it enabled while probe answers 0, and so
	 * does kvm.ko's PMU where the host has no Sscofpmf, as the test
	 * hosts' CPUs, though the test kernel has CONFIG_RISCV_PMU_SBI;
	 * EXPERIMENTAL and VENDOR are ranges.)
	 */
	for (i = 0; i < sizeof(sbi_exts) / sizeof(sbi_exts[0]); i++) {
		if (vcpu_get_reg_try(self->vcpu,
				     RISCV_SBI_EXT_REG(sbi_exts[i].idx), &on)) {
			EXPECT_EQ(ENOENT, errno);
			EXPECT_EQ(0, probe(self->vcpu, sbi_exts[i].ext))
				TH_LOG("%s: not in ONE_REG, but probed",
				       sbi_exts[i].name);
			continue;
		}
		EXPECT_EQ(!!on, !!probe(self->vcpu, sbi_exts[i].ext))
			TH_LOG("%s: ONE_REG %llu", sbi_exts[i].name,
			       (unsigned long long)on);
	}

	/*
	 * The experimental and vendor ranges belong to the VMM: probing one
	 * is forwarded (KVM_EXIT_RISCV_SBI, BASE/probe_extension, the id in
	 * args[0]) and the VMM's ret[1] is the answer.
	 */
	ASSERT_EQ(1, sbi_call(self->vcpu, SBI_EXT_BASE, SBI_BASE_PROBE_EXT,
			      0x08000123, 0, 0, &err, &val));
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);
	EXPECT_EQ(SBI_EXT_BASE, run->riscv_sbi.extension_id);
	EXPECT_EQ(SBI_BASE_PROBE_EXT, run->riscv_sbi.function_id);
	EXPECT_EQ(0x08000123, run->riscv_sbi.args[0]);
	vcpu_ucall_reply(self->vcpu, 0, 7);
	ASSERT_EQ(0, vcpu_sbi_continue(self->vcpu, &err, &val));
	EXPECT_EQ(0, err);
	EXPECT_EQ(7, val);
	ASSERT_EQ(1, sbi_call(self->vcpu, SBI_EXT_BASE, SBI_BASE_PROBE_EXT,
			      0x09000042, 0, 0, &err, &val));
	EXPECT_EQ(0x09000042, run->riscv_sbi.args[0]);
	vcpu_ucall_reply(self->vcpu, 0, 0);
	ASSERT_EQ(0, vcpu_sbi_continue(self->vcpu, &err, &val));
	EXPECT_EQ(0, val);
}

/* Unknown extensions: SBI_ERR_NOT_SUPPORTED in a0, no exit, pc + 4. */
TEST_F(sbi, unknown_extension)
{
	long err, val;

	ASSERT_EQ(0, sbi_call(self->vcpu, 0x12345678, 0, 1, 2, 3, &err, &val));
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, err);
	TH_LOG("a1 after an unknown extension: %ld", val);
	if (dev_is_kvm())
		EXPECT_EQ(0, val);		/* kvm.ko zeroes a1 */
	ASSERT_EQ(0, sbi_call(self->vcpu, 0x0A000001, 5, 1, 2, 3, &err, &val));
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, err);
}

/*
 * The experimental range reaches the VMM with all six arguments; its
 * ret[0] and ret[1] are the guest's a0 and a1.  Before the VMM answers,
 * ret[] holds SBI_ERR_NOT_SUPPORTED, 0.
 */
TEST_F(sbi, experimental_forwarded)
{
	struct kvm_run *run = self->vcpu->run;
	long err, val;
	int i;

	ASSERT_EQ(1, sbi_call(self->vcpu, 0x08000001, 7, 0x10, 0x11, 0x22,
			      &err, &val));
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);
	EXPECT_EQ(0x08000001, run->riscv_sbi.extension_id);
	EXPECT_EQ(7, run->riscv_sbi.function_id);
	EXPECT_EQ(0x10, run->riscv_sbi.args[0]);
	EXPECT_EQ(0x11, run->riscv_sbi.args[1]);
	EXPECT_EQ(0x22, run->riscv_sbi.args[2]);
	for (i = 3; i < 6; i++)
		EXPECT_EQ(0x33 + 0x11 * (i - 3), run->riscv_sbi.args[i]);
	EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, (long)run->riscv_sbi.ret[0]);
	EXPECT_EQ(0, run->riscv_sbi.ret[1]);
	vcpu_ucall_reply(self->vcpu, -5, 0xabcdef);
	ASSERT_EQ(0, vcpu_sbi_continue(self->vcpu, &err, &val));
	EXPECT_EQ(-5, err);
	EXPECT_EQ(0xabcdef, val);
}

static int mp_state(struct vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp))
		return -errno;
	return mp.mp_state;
}

/*
 * SRST system_reset: KVM_EXIT_SYSTEM_EVENT with the type, ndata = 1 and
 * data[0] = the reason; pc stays at the ecall and the vCPU is STOPPED.
 */
static void check_reset(struct __test_metadata *_metadata,
			unsigned long type, unsigned long reason,
			unsigned int want_type)
{
	struct sbi_vm s;
	struct kvm_run *run;
	long err, val;
	uint64_t pc;

	sbi_vm_create(&s, true);
	run = s.vcpu->run;
	ASSERT_EQ(1, sbi_call(s.vcpu, SBI_EXT_SRST, SBI_SRST_RESET, type,
			      reason, 0, &err, &val));
	ASSERT_EQ(KVM_EXIT_SYSTEM_EVENT, run->exit_reason)
		vcpu_dump(s.vcpu, "system_reset");
	EXPECT_EQ(want_type, run->system_event.type);
	EXPECT_EQ(1, run->system_event.ndata);
	EXPECT_EQ(reason, run->system_event.data[0]);
	pc = vcpu_get_reg(s.vcpu, CORE_PC);
	EXPECT_EQ(0x00000073, *(uint32_t *)vm_gpa2hva(s.vm, pc));	/* ecall */
	EXPECT_EQ(KVM_MP_STATE_STOPPED, mp_state(s.vcpu));
	sbi_vm_free(&s);
}

TEST(srst_shutdown)
{
	check_reset(_metadata, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_NONE,
		    KVM_SYSTEM_EVENT_SHUTDOWN);
}

TEST(srst_cold_reboot)
{
	check_reset(_metadata, SBI_SRST_TYPE_COLD_REBOOT,
		    SBI_SRST_REASON_SYSFAIL, KVM_SYSTEM_EVENT_RESET);
}

TEST(srst_warm_reboot)
{
	check_reset(_metadata, SBI_SRST_TYPE_WARM_REBOOT, 0xF0000002,
		    KVM_SYSTEM_EVENT_RESET);
}

/* A reserved reset type: kvm.ko answers SBI_ERR_NOT_SUPPORTED, no exit. */
TEST_F(sbi, srst_bad_type)
{
	sbi_ok(self->vcpu, SBI_EXT_SRST, SBI_SRST_RESET, 0x10,
	       SBI_ERR_NOT_SUPPORTED);
	sbi_ok(self->vcpu, SBI_EXT_SRST, SBI_SRST_RESET, 0xF0000000,
	       SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(self->vcpu));
}

/*
 * Legacy console putchar (extension 1) and getchar (2): forwarded to the
 * VMM as KVM_EXIT_RISCV_SBI when the legacy extension is there (rvhv;
 * kvm.ko with CONFIG_RISCV_SBI_V01), else SBI_ERR_NOT_SUPPORTED (the test
 * kernel's kvm.ko).  Which one, probe_extension says; the two must agree.
 */
TEST_F(sbi, legacy_console)
{
	struct kvm_run *run = self->vcpu->run;
	long present = probe(self->vcpu, SBI_EXT_0_1_CONSOLE_PUTCHAR);
	long err, val;
	int r;

	TH_LOG("legacy console: %s", present ? "present" : "absent");
	EXPECT_EQ(!!present,
		  !!probe(self->vcpu, SBI_EXT_0_1_CONSOLE_GETCHAR));

	r = sbi_call(self->vcpu, SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, 'x', 0, 0,
		     &err, &val);
	if (!present) {
		ASSERT_EQ(0, r);
		EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, err);
		ASSERT_EQ(0, sbi_call(self->vcpu, SBI_EXT_0_1_CONSOLE_GETCHAR,
				      0, 0, 0, 0, &err, &val));
		EXPECT_EQ(SBI_ERR_NOT_SUPPORTED, err);
		return;
	}
	ASSERT_EQ(1, r);
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);
	EXPECT_EQ(SBI_EXT_0_1_CONSOLE_PUTCHAR, run->riscv_sbi.extension_id);
	EXPECT_EQ('x', run->riscv_sbi.args[0]);
	vcpu_ucall_reply(self->vcpu, 0, 0);
	ASSERT_EQ(0, vcpu_sbi_continue(self->vcpu, &err, &val));
	EXPECT_EQ(0, err);

	ASSERT_EQ(1, sbi_call(self->vcpu, SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0,
			      0, &err, &val));
	EXPECT_EQ(SBI_EXT_0_1_CONSOLE_GETCHAR, run->riscv_sbi.extension_id);
	vcpu_ucall_reply(self->vcpu, 'q', 0);
	ASSERT_EQ(0, vcpu_sbi_continue(self->vcpu, &err, &val));
	EXPECT_EQ('q', err);
}

/*
 * DBCN is off by default (ONE_REG SBI_EXT DBCN = 0: probe 0, calls
 * SBI_ERR_NOT_SUPPORTED); a VMM enables it before the first run, and then
 * every call is forwarded to it.  After the first run SBI_EXT registers
 * are fixed (EBUSY).
 */
TEST(dbcn)
{
	uint64_t id = RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_DBCN);
	struct sbi_vm s;
	struct kvm_run *run;
	struct ucall uc;
	uint64_t one = 1, zero = 0, two = 2, gpa;
	long err, val;

	sbi_vm_create(&s, true);
	EXPECT_EQ(0, vcpu_get_reg(s.vcpu, id));
	EXPECT_EQ(0, probe(s.vcpu, SBI_EXT_DBCN));
	sbi_ok(s.vcpu, SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'a',
	       SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(s.vcpu, id, &one));
	EXPECT_EQ(0, vcpu_get_reg(s.vcpu, id));
	sbi_vm_free(&s);

	sbi_vm_create(&s, false);
	run = s.vcpu->run;
	EXPECT_EQ(-EINVAL, vcpu_set_reg_try(s.vcpu, id, &two));
	ASSERT_EQ(0, vcpu_set_reg_try(s.vcpu, id, &one));
	EXPECT_EQ(1, vcpu_get_reg(s.vcpu, id));
	vcpu_expect_ucall(s.vcpu, UCALL_SYNC, NULL);
	EXPECT_NE(0, probe(s.vcpu, SBI_EXT_DBCN));

	ASSERT_EQ(1, sbi_call(s.vcpu, SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'Z',
			      0, 0, &err, &val));
	EXPECT_EQ(KVM_EXIT_RISCV_SBI, run->exit_reason);
	EXPECT_EQ(SBI_EXT_DBCN, run->riscv_sbi.extension_id);
	EXPECT_EQ(SBI_DBCN_WRITE_BYTE, run->riscv_sbi.function_id);
	EXPECT_EQ('Z', run->riscv_sbi.args[0]);
	vcpu_ucall_reply(s.vcpu, 0, 0);
	ASSERT_EQ(0, vcpu_sbi_continue(s.vcpu, &err, &val));
	EXPECT_EQ(0, err);
	/* Other DBCN functions are not forwarded. */
	sbi_ok(s.vcpu, SBI_EXT_DBCN, 3, 0, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(-EBUSY, vcpu_set_reg_try(s.vcpu, id, &zero));

	/* console_write: the VMM reads the bytes from guest memory. */
	vcpu_start(s.vcpu, GUEST_FN(guest_dbcn_string), 0, 0);
	ASSERT_EQ(1, vcpu_ucall_try(s.vcpu, &uc));
	EXPECT_EQ(SBI_EXT_DBCN, run->riscv_sbi.extension_id);
	EXPECT_EQ(SBI_DBCN_WRITE, run->riscv_sbi.function_id);
	EXPECT_EQ(5, run->riscv_sbi.args[0]);
	EXPECT_EQ(0, run->riscv_sbi.args[2]);			/* base_hi */
	gpa = run->riscv_sbi.args[1];
	EXPECT_EQ(0, memcmp("hello", vm_gpa2hva(s.vm, gpa), 5));
	vcpu_ucall_reply(s.vcpu, 0, 5);
	vcpu_expect_ucall(s.vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(5, uc.args[2]);
	EXPECT_EQ(uc.args[3], gpa);
	sbi_vm_free(&s);
}

/* An extension the VMM disables before the first run is gone. */
TEST(disable_srst)
{
	uint64_t id = RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_SRST);
	uint64_t zero = 0;
	struct sbi_vm s;

	sbi_vm_create(&s, false);
	EXPECT_EQ(1, vcpu_get_reg(s.vcpu, id));
	ASSERT_EQ(0, vcpu_set_reg_try(s.vcpu, id, &zero));
	EXPECT_EQ(0, vcpu_get_reg(s.vcpu, id));
	vcpu_expect_ucall(s.vcpu, UCALL_SYNC, NULL);
	EXPECT_EQ(0, probe(s.vcpu, SBI_EXT_SRST));
	sbi_ok(s.vcpu, SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN,
	       SBI_ERR_NOT_SUPPORTED);
	sbi_vm_free(&s);
}

/*
 * Hostile hart-mask pointers for the legacy calls that read one (send_ipi,
 * remote fence.i, sfence.vma, sfence.vma.asid): misaligned, crossing the
 * end of guest RAM, in MMIO, outside every memslot, at the top of the
 * address space.  The call completes, or the guest takes a trap for its
 * own bad pointer; KVM_RUN never fails, loops or hurts the host.
 */
TEST(legacy_hart_mask_pointers)
{
	static const unsigned long ptrs[] = {
		GUEST_DATA + 1, GUEST_DATA + 4093,
		GUEST_STACK_TOP - 4,		/* crosses out of slot 0 */
		GUEST_MMIO_BASE, GUEST_MMIO_BASE + 3,
		GUEST_EXTRA,			/* no memslot */
		~7UL, ~0UL, 8,
	};
	static const unsigned long exts[] = { 4, 5, 6, 7 };
	unsigned int i, j, traps = 0, done = 0;
	struct sbi_vm s;
	struct ucall uc;
	int cpu, r;

	for (i = 0; i < ARRAY_SIZE(ptrs); i++) {
		for (j = 0; j < ARRAY_SIZE(exts); j++) {
			volatile struct guest_sbi_req *req;

			sbi_vm_create(&s, true);
			req = vm_gpa2hva(s.vm, GUEST_SBI_REQ);
			req->ext = exts[j];
			req->fid = 0;
			req->args[0] = ptrs[i];
			req->args[1] = 0;
			req->args[2] = 4096;
			r = vcpu_run_try(s.vcpu);
			ASSERT_EQ(0, r) TH_LOG("legacy %lu, mask at 0x%lx",
					       exts[j], ptrs[i]);
			ASSERT_TRUE(vcpu_is_ucall(s.vcpu, &uc)) {
				vcpu_dump(s.vcpu, "not a ucall");
			}
			if (uc.fid == UCALL_TRAP) {
				traps++;
				TH_LOG("legacy %lu, mask at 0x%lx: guest trap %lu, stval 0x%lx",
				       exts[j], ptrs[i], uc.args[0], uc.args[2]);
			} else {
				ASSERT_EQ(UCALL_REPORT, uc.fid);
				done++;
			}
			sbi_vm_free(&s);
		}
	}
	TH_LOG("%u completed, %u trapped into the guest", done, traps);
	cpu = host_wedged_cpu(20);
	EXPECT_EQ(-1, cpu);
}

/*
 * A signal that ends KVM_RUN while rvhv waits for a page (here: the
 * legacy remote fence's hart mask, behind userfaultfd) ends it with
 * -EINTR and KVM_EXIT_INTR, and the call completes on the next KVM_RUN.
 */
struct run_call {
	struct vcpu *vcpu;
	int ret;
};

static void *run_thread(void *arg)
{
	struct run_call *r = arg;

	r->ret = vcpu_run_try(r->vcpu);
	return NULL;
}

static void on_usr1(int sig)
{
}

TEST_F(sbi, legacy_hart_mask_signal)
{
	volatile struct guest_sbi_req *req = vm_gpa2hva(self->vcpu->vm,
							GUEST_SBI_REQ);
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct uffdio_zeropage zero = { 0 };
	struct run_call r = { .vcpu = self->vcpu };
	const size_t sz = 0x10000;
	struct uffd_msg msg;
	pthread_t thr;
	long err, val;
	char *mem;
	int uffd;

	if (dev_is_kvm())
		SKIP(return, "kvm.ko redirects a G-stage fault of the hart-mask read to the guest");
	mem = vm_alloc_uffd(sz, &uffd);
	if (!mem)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	vm_set_region(self->vcpu->vm, 1, 0, GUEST_EXTRA, sz, mem);
	sigaction(SIGUSR1, &sa, NULL);

	/* Legacy remote fence.i, hart mask at GUEST_EXTRA (vsatp = 0). */
	req->ext = 5;
	req->fid = 0;
	req->args[0] = GUEST_EXTRA;
	ASSERT_EQ(0, pthread_create(&thr, NULL, run_thread, &r));
	ASSERT_EQ(0, uffd_wait_fault(uffd, 20000, &msg))
		TH_LOG("no fault on the hart mask");
	pthread_kill(thr, SIGUSR1);
	pthread_join(thr, NULL);
	EXPECT_EQ(-EINTR, r.ret);
	EXPECT_EQ(KVM_EXIT_INTR, self->vcpu->run->exit_reason) {
		TH_LOG("exit %s", exit_reason_str(self->vcpu->run->exit_reason));
	}

	/* The page arrives (an empty mask); the call completes. */
	zero.range.start = msg.arg.pagefault.address & ~4095UL;
	zero.range.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zero));
	ASSERT_EQ(0, vcpu_sbi_continue(self->vcpu, &err, &val));
	EXPECT_EQ(0, err);
	close(uffd);
}

TEST_HARNESS_MAIN
