// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO (KVM_REGISTER_COALESCED_MMIO): stores into a zone go to
 * the VM's ring, in program order with the ordinary MMIO exits around
 * them; loads exit; a full ring makes the next store exit; unregistering
 * follows KVM's rule (a zone goes when it holds the whole given range);
 * bad input.  Held to kvm.ko.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vm_lib.h"

/* KVM_COALESCED_MMIO_MAX, which needs the kernel's PAGE_SIZE */
#define RING_MAX	((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / \
			 sizeof(struct kvm_coalesced_mmio))

#define ZONE		(GUEST_MMIO_BASE + 0x100000)
#define ZONE_SIZE	0x1000
#define OUTSIDE		(ZONE + 0x2000)

FIXTURE(coalesced) {
	struct vm *vm;
	struct vcpu *vcpu;
	struct kvm_coalesced_mmio_ring *ring;
};

static int zone_op(struct vm *vm, unsigned long ioctl_nr, uint64_t addr,
		   uint32_t size, uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = size,
					     .pio = pio };

	return ioctl(vm->fd, ioctl_nr, &z) ? -errno : 0;
}

FIXTURE_SETUP(coalesced)
{
	long off;

	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
	off = ioctl(self->vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	ASSERT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET, off);
	ASSERT_GE(self->vm->run_size, (off + 1) * getpagesize());
	self->ring = (void *)((char *)self->vcpu->run + off * getpagesize());
	ASSERT_EQ(0, zone_op(self->vm, KVM_REGISTER_COALESCED_MMIO, ZONE,
			     ZONE_SIZE, 0));
}

FIXTURE_TEARDOWN(coalesced)
{
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}

/* Entries in the ring (first to last). */
static unsigned int ring_count(struct kvm_coalesced_mmio_ring *r)
{
	return (r->last + RING_MAX - r->first) %
	       RING_MAX;
}

/* The ring's next entry must be this store; consume it. */
static void pop(struct __test_metadata *_metadata,
		struct kvm_coalesced_mmio_ring *r, uint64_t addr,
		uint32_t len, uint64_t val)
{
	struct kvm_coalesced_mmio *e = &r->coalesced_mmio[r->first];
	uint64_t got = 0;

	ASSERT_NE(r->first, r->last);
	memcpy(&got, e->data, len);
	EXPECT_EQ(addr, e->phys_addr);
	EXPECT_EQ(len, e->len);
	EXPECT_EQ(0, e->pio);
	EXPECT_EQ(val, got);
	r->first = (r->first + 1) % RING_MAX;
}

/* Run to an ordinary MMIO exit of this kind. */
static void expect_exit(struct __test_metadata *_metadata, struct vcpu *v,
			uint64_t addr, uint32_t len, bool write)
{
	struct kvm_run *run = v->run;

	ASSERT_EQ(1, vcpu_ucall_try(v, NULL));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(addr, run->mmio.phys_addr);
	EXPECT_EQ(len, run->mmio.len);
	EXPECT_EQ(write, run->mmio.is_write);
}

TEST_F(coalesced, capabilities)
{
	EXPECT_EQ(1, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_COALESCED_PIO));
	EXPECT_EQ(0, self->ring->first);
	EXPECT_EQ(0, self->ring->last);
}

/*
 * Ten stores in the ring, then the ordinary exit outside the zone finds
 * exactly them there; ten more, then the load exits with them in the
 * ring, and the guest gets what the VMM answered for the load.
 */
TEST_F(coalesced, program_order)
{
	struct kvm_coalesced_mmio_ring *r = self->ring;
	struct vcpu *v = self->vcpu;
	const unsigned long n = 10;
	uint32_t answer = 0x1234;
	unsigned long i;

	vcpu_start(v, GUEST_FN(guest_mmio_coalesced), ZONE, n);
	expect_exit(_metadata, v, OUTSIDE, 8, true);
	EXPECT_EQ(n, ring_count(r));
	for (i = 0; i < n; i++)
		pop(_metadata, r, ZONE + 4 * i, 4, i + 1);
	expect_exit(_metadata, v, ZONE, 4, false);
	EXPECT_EQ(n, ring_count(r));
	for (i = 0; i < n; i++)
		pop(_metadata, r, ZONE + 2 * i, 2, 0x100 + i);
	memcpy(v->run->mmio.data, &answer, 4);
	EXPECT_EQ(answer, vcpu_run_to_done(v));
	EXPECT_EQ(0, ring_count(r));
}

/*
 * A ring the VMM does not drain holds KVM_COALESCED_MMIO_MAX - 1 entries
 * (one stays free); the next store exits as ordinary MMIO, and after the
 * VMM drains the ring the rest go to it again.
 */
TEST_F(coalesced, ring_full)
{
	struct kvm_coalesced_mmio_ring *r = self->ring;
	const unsigned long max = RING_MAX;
	const unsigned long n = max + 5;
	struct vcpu *v = self->vcpu;
	unsigned long i;

	vcpu_start(v, GUEST_FN(guest_mmio_coalesced), ZONE, n);
	expect_exit(_metadata, v, ZONE + 4 * ((max - 1) % 1024), 4, true);
	EXPECT_EQ(max - 1, ring_count(r));
	EXPECT_EQ(max, *(uint32_t *)v->run->mmio.data);	/* store max - 1 */
	for (i = 0; i < max - 1; i++)
		pop(_metadata, r, ZONE + 4 * i, 4, i + 1);
	/* The 5 after the one that exited, then the store outside. */
	expect_exit(_metadata, v, OUTSIDE, 8, true);
	EXPECT_EQ(n - max, ring_count(r));
	r->first = r->last;
	/* The second loop fills the ring again: its last 6 stores exit. */
	expect_exit(_metadata, v, ZONE + 2 * (max - 1), 2, true);
	EXPECT_EQ(max - 1, ring_count(r));
}

/*
 * KVM's unregister rule: a zone goes when it holds the whole given range
 * (here one word of it); a range larger than the zone removes nothing.
 */
TEST_F(coalesced, unregister)
{
	struct vm *vm = self->vm;
	struct vcpu *v = self->vcpu;

	EXPECT_EQ(0, zone_op(vm, KVM_UNREGISTER_COALESCED_MMIO,
			     ZONE - 0x1000, 0x3000, 0));
	EXPECT_EQ(0, zone_op(vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE, 4, 1));
	vcpu_start(v, GUEST_FN(guest_mmio_coalesced), ZONE, 1);
	expect_exit(_metadata, v, OUTSIDE, 8, true);	/* still coalesced */
	EXPECT_EQ(1, ring_count(self->ring));
	self->ring->first = self->ring->last;

	EXPECT_EQ(0, zone_op(vm, KVM_UNREGISTER_COALESCED_MMIO,
			     ZONE + 0x10, 4, 0));
	vcpu_start(v, GUEST_FN(guest_mmio_coalesced), ZONE, 1);
	expect_exit(_metadata, v, ZONE, 4, true);	/* an exit now */
	EXPECT_EQ(0, ring_count(self->ring));
	/* Nothing left to remove: still 0. */
	EXPECT_EQ(0, zone_op(vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE, 4, 0));
}

TEST_F(coalesced, bad_input)
{
	struct vm *vm = self->vm;

	EXPECT_EQ(-EINVAL, zone_op(vm, KVM_REGISTER_COALESCED_MMIO, ZONE, 4,
				   2));
	EXPECT_EQ(-EINVAL, zone_op(vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE,
				   4, 2));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, 8UL));
	EXPECT_EQ(EFAULT, errno);
	/* A PIO zone is accepted (and never used on RISC-V). */
	EXPECT_EQ(0, zone_op(vm, KVM_REGISTER_COALESCED_MMIO, 0x60, 4, 1));
	EXPECT_EQ(0, zone_op(vm, KVM_UNREGISTER_COALESCED_MMIO, 0x60, 4, 1));
	/* A VMM that scribbles over the ring's indices: stores just exit. */
	self->ring->last = 0xffffffff;
	vcpu_start(self->vcpu, GUEST_FN(guest_mmio_coalesced), ZONE, 1);
	expect_exit(_metadata, self->vcpu, ZONE, 4, true);
}

TEST_HARNESS_MAIN
