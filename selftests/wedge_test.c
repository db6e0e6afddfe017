// SPDX-License-Identifier: GPL-2.0
/*
 * VMM-written register values that must not reach the host: the minimal
 * reproducers of "a host CPU stops taking interrupts after random vCPU
 * register writes" (Documentation/rvhv.rst, "Test-bed limitations").
 *
 * - sstatus: every bit that the guest's sstatus (vsstatus) does not have,
 *   one at a time, then all of them.  rvhv keeps vsstatus WARL: the value
 *   reads back without them and the host CPU keeps taking interrupts.
 *   Under QEMU, kvm.ko writes them to vsstatus as given, and QEMU ORs them
 *   into the hart's mstatus on the next guest entry, where they stay: TSR,
 *   TW, MPRV and friends wedge that host CPU.  On kvm.ko under QEMU these
 *   inputs are skipped (RVHV_QEMU_BUGS=1 runs them: the reproducer).
 * - satp: MODE values the hart does not implement are ignored, as a satp
 *   write would be.  QEMU does not check an HS-mode vsatp write and aborts
 *   at the guest's first translation (skipped on kvm.ko under QEMU).
 * - the timer: extreme compare and time values, and the other CSRs with
 *   random values, must not disturb the host.  Held to kvm.ko.
 *
 * After each guest run every host CPU must still take timer interrupts
 * (host_wedged_cpu()).
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

#define SR_SIE		0x2UL
#define SR_SPIE		0x20UL
#define SR_SPP		0x100UL
#define SR_FS		0x6000UL
#define SR_SUM		0x40000UL
#define SR_MXR		0x80000UL
#define SR_UXL_64	0x200000000UL
/* What rvhv keeps of a VMM's sstatus (vcpu/onereg.c). */
#define RVHV_WRITABLE	(SR_SIE | SR_SPIE | SR_SPP | SR_FS | SR_SUM | SR_MXR)

#define SATP_MODE_SHIFT	60

/* Seconds every host CPU gets to show it still takes timer interrupts. */
#define HEALTH_SECS	20

FIXTURE(vcpu) {
	struct vm *vm;
	struct vcpu *vcpu;
};

FIXTURE_SETUP(vcpu)
{
	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
}

FIXTURE_TEARDOWN(vcpu)
{
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}

/*
 * Run guest_status to its end (it reports sstatus and satp on the way),
 * then check the host.  Returns the guest's sstatus.
 */
static uint64_t run_and_check(struct __test_metadata *_metadata,
			      struct vcpu *vcpu, uint64_t *satp)
{
	struct ucall uc;
	int cpu;

	/* Keep whatever sstatus and satp the test set: enter at the fn. */
	vcpu_start(vcpu, GUEST_FN(guest_status), 100000, 0);
	vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
	EXPECT_EQ(0, vcpu_run_to_done(vcpu));
	cpu = host_wedged_cpu(HEALTH_SECS);
	EXPECT_EQ(-1, cpu) {
		TH_LOG("host CPU %d stopped taking timer interrupts", cpu);
	}
	if (satp)
		*satp = uc.args[2];
	return uc.args[1];
}

/*
 * RVHV_WEDGE_ONLY=<name> (the reproducer, with RVHV_QEMU_BUGS=1 on
 * kvm.ko): only the sstatus bit <name>, or with satp:<n> only satp MODE n;
 * every other test skips.
 */
static const char *wedge_only(void)
{
	return getenv("RVHV_WEDGE_ONLY");
}

static const struct {
	const char *name;
	uint64_t bits;
} not_sstatus[] = {
	{ "MIE", 1UL << 3 },	{ "UBE", 1UL << 6 },
	{ "MPIE", 1UL << 7 },	{ "VS", 3UL << 9 },
	{ "MPP", 3UL << 11 },	{ "XS", 3UL << 15 },
	{ "MPRV", 1UL << 17 },	{ "TVM", 1UL << 20 },
	{ "TW", 1UL << 21 },	{ "TSR", 1UL << 22 },
	{ "SPELP", 1UL << 23 },	{ "SDT", 1UL << 24 },
	{ "UXL=32", 1UL << 32 }, { "SXL", 3UL << 34 },
	{ "SBE", 1UL << 36 },	{ "MBE", 1UL << 37 },
	{ "GVA", 1UL << 38 },	{ "MPV", 1UL << 39 },
	{ "SD", 1UL << 63 },	{ "all", ~RVHV_WRITABLE },
};

TEST_F(vcpu, sstatus_host_bits)
{
	const char *only = wedge_only();
	uint64_t val, got, guest;
	unsigned int i;

	if (testbed_avoid_csr_bugs())
		SKIP(return, "kvm.ko under QEMU: these sstatus bits reach the hart's mstatus and wedge it");
	if (only && !strncmp(only, "satp:", 5))
		SKIP(return, "RVHV_WEDGE_ONLY=%s", only);

	for (i = 0; i < ARRAY_SIZE(not_sstatus); i++) {
		if (only && strcmp(only, not_sstatus[i].name))
			continue;
		val = SR_SPP | not_sstatus[i].bits;
		TH_LOG("sstatus |= %s (0x%llx)", not_sstatus[i].name,
		       (unsigned long long)val);
		vcpu_set_reg(self->vcpu, RISCV_CSR_REG(sstatus), val);
		got = vcpu_get_reg(self->vcpu, RISCV_CSR_REG(sstatus));
		if (!dev_is_kvm())
			EXPECT_EQ((val & RVHV_WRITABLE) | SR_UXL_64, got);
		guest = run_and_check(_metadata, self->vcpu, NULL);
		/* Whatever was written, the guest sees no M-level field. */
		EXPECT_EQ(0, guest & ((1UL << 3) | (1UL << 7) | (3UL << 11) |
				      (1UL << 17) | (7UL << 20) |
				      (3UL << 34)));
	}
}

TEST_F(vcpu, satp_modes)
{
	const char *only = wedge_only();
	uint64_t mode, val, got, guest_satp;

	if (testbed_avoid_csr_bugs())
		SKIP(return, "kvm.ko under QEMU: an unimplemented vsatp MODE aborts QEMU");
	if (only && strncmp(only, "satp:", 5))
		SKIP(return, "RVHV_WEDGE_ONLY=%s", only);

	for (mode = 1; mode < 16; mode++) {
		/* Sv39/48/57: a real translation mode, needs page tables. */
		if (mode >= 8 && mode <= 10)
			continue;
		if (only && mode != strtoul(only + 5, NULL, 0))
			continue;
		val = (mode << SATP_MODE_SHIFT) | 0x1234;
		vcpu_set_reg(self->vcpu, RISCV_CSR_REG(satp), 0);
		EXPECT_EQ(0, vcpu_set_reg_try(self->vcpu, RISCV_CSR_REG(satp),
					      &val));
		got = vcpu_get_reg(self->vcpu, RISCV_CSR_REG(satp));
		EXPECT_EQ(0, got) {
			TH_LOG("MODE %llu kept", (unsigned long long)mode);
		}
		run_and_check(_metadata, self->vcpu, &guest_satp);
		EXPECT_EQ(0, guest_satp);
	}
}

TEST_F(vcpu, timer_extremes)
{
	static const uint64_t vals[] = {
		0, 1, 0x7fffffffffffffffUL, 0x8000000000000000UL,
		0xfffffffffffffffeUL, ~0UL, 0x3539a34f9a913af6UL,
	};
	unsigned int i, j;

	if (wedge_only())
		SKIP(return, "RVHV_WEDGE_ONLY=%s", wedge_only());
	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		for (j = 0; j < ARRAY_SIZE(vals); j++) {
			vcpu_set_reg(self->vcpu, RISCV_TIMER_REG(time),
				     vals[i]);
			vcpu_set_reg(self->vcpu, RISCV_TIMER_REG(compare),
				     vals[j]);
			run_and_check(_metadata, self->vcpu, NULL);
		}
	}
}

/* xorshift64*: a fixed sequence per seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dUL;
}

TEST_F(vcpu, csrs_random)
{
	static const uint64_t ids[] = {
		RISCV_CSR_REG(sstatus), RISCV_CSR_REG(sie),
		RISCV_CSR_REG(sip), RISCV_CSR_REG(scounteren),
		RISCV_CSR_REG(senvcfg), RISCV_CSR_REG(sscratch),
		RISCV_CSR_REG(scause), RISCV_CSR_REG(stval),
		RISCV_CSR_REG(sepc), RISCV_TIMER_REG(compare),
		RISCV_TIMER_REG(time),
	};
	uint64_t seed = 0x15, val;
	unsigned int round, i;

	if (wedge_only())
		SKIP(return, "RVHV_WEDGE_ONLY=%s", wedge_only());
	for (round = 0; round < 40; round++) {
		for (i = 0; i < ARRAY_SIZE(ids); i++) {
			val = rnd(&seed);
			/* The guest must get as far as its report. */
			if (ids[i] == RISCV_CSR_REG(sstatus)) {
				val &= ~SR_SIE;
				if (testbed_avoid_csr_bugs())
					val &= SSTATUS_SAFE_BITS;
			}
			if (ids[i] == RISCV_CSR_REG(sie) ||
			    ids[i] == RISCV_CSR_REG(sip))
				val &= ~0x222UL;
			vcpu_set_reg_try(self->vcpu, ids[i], &val);
		}
		run_and_check(_metadata, self->vcpu, NULL);
	}
}

TEST_HARNESS_MAIN
