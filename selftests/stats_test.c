// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD: KVM's binary statistics on VM and vCPU fds, held to
 * kvm.ko.  The file's layout (the checks KVM's own kvm_binary_stats_test
 * makes, written here anew), reads at every offset and of odd lengths,
 * what the fd refuses (write, mmap, ioctls, a read past the end), many
 * fds at once, fds that outlive their VM, bad uses of the ioctl, and
 * counters that move by what a guest did: N SBI calls, M MMIO exits, K
 * ioeventfd stores and a WFI of 50 ms.  rvhv's own statistics (per SBI extension,
 * G-stage faults by kind, the exit-latency histograms and their switch,
 * debugfs) are checked on rvhv and skip on kvm.ko.
 */
#define _GNU_SOURCE
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/stats_abi.h"

#define PG		4096UL
#define M2		0x200000UL
#define HIST_PARAM	"/sys/module/rvhv/parameters/stats_hist"
#define PRELOAD_PARAM	"/sys/module/rvhv/parameters/preload"
#define BATCH_GPA	(GUEST_DATA + 0xc000UL)

/* The exit reasons of rvhv's exit-latency histograms (the contract). */
static const char *const exit_reasons[] = {
	"sbi", "mmio", "gstage_fault", "virtual_insn", "wfi", "interrupt",
	"other",
};
#define NR_REASONS	(sizeof(exit_reasons) / sizeof(exit_reasons[0]))

/* One stats fd: its header, id and descriptors, and the data read last. */
struct stats {
	int fd;
	struct kvm_stats_header h;
	char *id;
	char *desc;		/* num_desc descriptors of dsize bytes */
	size_t dsize;
	size_t data_size;	/* bytes the descriptors cover */
	uint64_t *data;
};

static const struct kvm_stats_desc *sdesc(const struct stats *s,
					  unsigned int i)
{
	return (const void *)(s->desc + i * s->dsize);
}

static void stats_open(struct stats *s, int fd)
{
	const struct kvm_stats_desc *d;
	unsigned int i;
	size_t end;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	VM_CHECK(fd >= 0, "KVM_GET_STATS_FD: %s", strerror(errno));
	s->fd = fd;
	n = pread(fd, &s->h, sizeof(s->h), 0);
	VM_CHECK(n == sizeof(s->h), "header: %zd", n);
	VM_CHECK(s->h.name_size && s->h.name_size <= 4096, "name_size %u",
		 s->h.name_size);
	VM_CHECK(s->h.num_desc && s->h.num_desc <= 4096, "num_desc %u",
		 s->h.num_desc);
	s->id = calloc(1, s->h.name_size + 1);
	s->dsize = sizeof(struct kvm_stats_desc) + s->h.name_size;
	s->desc = calloc(s->h.num_desc, s->dsize);
	VM_CHECK(s->id && s->desc, "out of memory");
	n = pread(fd, s->id, s->h.name_size, s->h.id_offset);
	VM_CHECK(n == s->h.name_size, "id: %zd", n);
	n = pread(fd, s->desc, s->h.num_desc * s->dsize, s->h.desc_offset);
	VM_CHECK(n == (ssize_t)(s->h.num_desc * s->dsize), "descriptors: %zd",
		 n);
	for (i = 0; i < s->h.num_desc; i++) {
		d = sdesc(s, i);
		end = d->offset + d->size * sizeof(uint64_t);
		if (end > s->data_size)
			s->data_size = end;
	}
	s->data = calloc(1, s->data_size);
	VM_CHECK(s->data, "out of memory");
}

static void stats_close(struct stats *s)
{
	close(s->fd);
	free(s->id);
	free(s->desc);
	free(s->data);
}

/* Read the data block; returns a copy the caller frees. */
static uint64_t *stats_snap(struct stats *s)
{
	ssize_t n = pread(s->fd, s->data, s->data_size, s->h.data_offset);
	uint64_t *copy = malloc(s->data_size);

	VM_CHECK(n == (ssize_t)s->data_size, "data: %zd (%s)", n,
		 strerror(errno));
	VM_CHECK(copy, "out of memory");
	memcpy(copy, s->data, s->data_size);
	return copy;
}

static int stats_index(const struct stats *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->h.num_desc; i++)
		if (!strcmp(sdesc(s, i)->name, name))
			return i;
	return -1;
}

/* Value @i of stat @name in a snapshot. */
static uint64_t sval_at(const struct stats *s, const uint64_t *snap,
			const char *name, unsigned int i)
{
	int k = stats_index(s, name);

	VM_CHECK(k >= 0, "no stat %s", name);
	VM_CHECK(i < sdesc(s, k)->size, "%s[%u]", name, i);
	return snap[sdesc(s, k)->offset / 8 + i];
}

static uint64_t sval(const struct stats *s, const uint64_t *snap,
		     const char *name)
{
	return sval_at(s, snap, name, 0);
}

/* The sum of a stat's values (a histogram: how many it counted). */
static uint64_t ssum(const struct stats *s, const uint64_t *snap,
		     const char *name)
{
	int k = stats_index(s, name);
	uint64_t sum = 0;
	unsigned int i;

	VM_CHECK(k >= 0, "no stat %s", name);
	for (i = 0; i < sdesc(s, k)->size; i++)
		sum += snap[sdesc(s, k)->offset / 8 + i];
	return sum;
}

/* How many exits the histograms counted, all reasons. */
static uint64_t hist_total(const struct stats *st, const uint64_t *snap)
{
	char name[64];
	uint64_t sum = 0;
	unsigned int r;

	for (r = 0; r < NR_REASONS; r++) {
		snprintf(name, sizeof(name), "exit_latency_hist_%s",
			 exit_reasons[r]);
		sum += ssum(st, snap, name);
	}
	return sum;
}

#define D(name)		(sval(&s, b, name) - sval(&s, a, name))
#define DSUM(name)	(ssum(&s, b, name) - ssum(&s, a, name))

/* KVM's log2 bucket of a value: 0, 1, 2-3, 4-7, ... (the last: the rest). */
static unsigned int log_bucket(uint64_t v, unsigned int size)
{
	unsigned int b = v ? 64 - __builtin_clzll(v) : 0;

	return b < size ? b : size - 1;
}

/* The one bucket of a histogram that moved by 1 between a and b, or -1. */
static int moved_bucket(const struct stats *st, const uint64_t *a,
			const uint64_t *b, const char *name)
{
	int k = stats_index(st, name), found = -1;
	unsigned int i, off;

	VM_CHECK(k >= 0, "no stat %s", name);
	off = sdesc(st, k)->offset / 8;
	for (i = 0; i < sdesc(st, k)->size; i++) {
		if (b[off + i] == a[off + i])
			continue;
		if (b[off + i] != a[off + i] + 1 || found >= 0)
			return -2;
		found = i;
	}
	return found;
}

/* The checks of KVM's kvm_binary_stats_test, and stricter ones. */
static void check_layout(struct __test_metadata *_metadata,
			 const struct stats *s, const char *want_id)
{
	const struct kvm_stats_header *h = &s->h;
	size_t desc_end = h->desc_offset + h->num_desc * s->dsize;
	unsigned int i, j, type, unit, base;
	const struct kvm_stats_desc *d, *e;
	size_t len;

	EXPECT_EQ(0, h->flags);
	EXPECT_STREQ(want_id, s->id);
	EXPECT_LT(strlen(s->id), h->name_size);
	/* Header, id, descriptors and data do not overlap. */
	EXPECT_GE(h->id_offset, sizeof(*h));
	EXPECT_GE(h->desc_offset, sizeof(*h));
	EXPECT_GE(h->data_offset, sizeof(*h));
	EXPECT_TRUE(h->desc_offset >= h->id_offset + h->name_size ||
		    h->desc_offset + h->num_desc * s->dsize <= h->id_offset);
	EXPECT_TRUE(h->desc_offset > h->data_offset ||
		    desc_end <= h->data_offset);
	EXPECT_TRUE(h->data_offset >= desc_end ||
		    h->data_offset + s->data_size <= h->desc_offset);
	EXPECT_TRUE(h->data_offset >= h->id_offset + h->name_size ||
		    h->data_offset + s->data_size <= h->id_offset);
	EXPECT_GE(s->data_size, h->num_desc * sizeof(uint64_t));

	for (i = 0; i < h->num_desc; i++) {
		d = sdesc(s, i);
		type = d->flags & KVM_STATS_TYPE_MASK;
		unit = d->flags & KVM_STATS_UNIT_MASK;
		base = d->flags & KVM_STATS_BASE_MASK;
		len = strnlen(d->name, h->name_size);
		EXPECT_LT(len, h->name_size) TH_LOG("name %u not terminated", i);
		EXPECT_GT(len, 0) TH_LOG("descriptor %u has no name", i);
		EXPECT_EQ(0, d->flags & ~(KVM_STATS_TYPE_MASK |
					  KVM_STATS_UNIT_MASK |
					  KVM_STATS_BASE_MASK))
			TH_LOG("%s: flags 0x%x", d->name, d->flags);
		EXPECT_LE(type, KVM_STATS_TYPE_MAX) TH_LOG("%s", d->name);
		EXPECT_LE(unit, KVM_STATS_UNIT_MAX) TH_LOG("%s", d->name);
		EXPECT_LE(base, KVM_STATS_BASE_MAX) TH_LOG("%s", d->name);
		switch (unit) {
		case KVM_STATS_UNIT_SECONDS:
			EXPECT_LE(d->exponent, 0) TH_LOG("%s", d->name);
			break;
		case KVM_STATS_UNIT_BOOLEAN:
			EXPECT_EQ(0, d->exponent) TH_LOG("%s", d->name);
			EXPECT_EQ(1, d->size) TH_LOG("%s", d->name);
			break;
		default:
			EXPECT_GE(d->exponent, 0) TH_LOG("%s", d->name);
		}
		EXPECT_GT(d->size, 0) TH_LOG("%s", d->name);
		if (type == KVM_STATS_TYPE_LINEAR_HIST) {
			EXPECT_GT(d->bucket_size, 0) TH_LOG("%s", d->name);
		} else {
			EXPECT_EQ(0, d->bucket_size) TH_LOG("%s", d->name);
		}
		if (type != KVM_STATS_TYPE_LINEAR_HIST &&
		    type != KVM_STATS_TYPE_LOG_HIST) {
			EXPECT_EQ(1, d->size) TH_LOG("%s", d->name);
		}
		EXPECT_EQ(0, d->offset % sizeof(uint64_t)) TH_LOG("%s", d->name);
		for (j = 0; j < i; j++) {
			e = sdesc(s, j);
			EXPECT_STRNE(d->name, e->name);
			EXPECT_TRUE(d->offset + d->size * 8 <= e->offset ||
				    e->offset + e->size * 8 <= d->offset)
				TH_LOG("%s overlaps %s", d->name, e->name);
		}
	}
}

/*
 * The file as a whole: every offset and odd lengths read what one bulk
 * read gives, read() moves the position and lseek() leaves it alone, a
 * read at or past the end returns 0, and what the fd refuses.  The VM
 * and its vCPUs do not run meanwhile: the data does not change.
 */
static void check_file_io(struct __test_metadata *_metadata,
			  const struct stats *s, const char *anon_name)
{
	size_t total = s->h.data_offset + s->data_size;
	char *bulk = malloc(total + 64), *seq = malloc(total + 64);
	char buf[512], path[64], link[128];
	size_t got = 0, off, len, k;
	ssize_t n;
	int fd = s->fd;
	void *map;

	ASSERT_TRUE(bulk && seq);
	/* Laid out as KVM lays it out: header, id, descriptors, data. */
	n = pread(fd, bulk, total + 64, 0);
	ASSERT_EQ((ssize_t)total, n);
	/* Every byte of the header and the id alone. */
	for (off = 0; off < s->h.desc_offset && off < total; off++) {
		ASSERT_EQ(1, pread(fd, buf, 1, off)) TH_LOG("offset %zu", off);
		ASSERT_EQ(bulk[off], buf[0]) TH_LOG("offset %zu", off);
	}
	/* Odd offsets and lengths everywhere, the end included. */
	for (k = 0; k < 64; k++) {
		off = (k * 7919 + k * k) % total;
		len = 1 + (k * 131) % sizeof(buf);
		n = pread(fd, buf, len, off);
		ASSERT_EQ((ssize_t)(len < total - off ? len : total - off), n)
			TH_LOG("pread %zu at %zu", len, off);
		ASSERT_EQ(0, memcmp(buf, bulk + off, n)) TH_LOG("at %zu", off);
	}
	/* read() from the fd's position, in pieces of 397 bytes. */
	while ((n = read(fd, seq + got, 397)) > 0)
		got += n;
	ASSERT_EQ(0, n);
	ASSERT_EQ(total, got);
	EXPECT_EQ(0, memcmp(seq, bulk, total));
	/* noop_llseek, as kvm.ko: the position stays where it is. */
	EXPECT_EQ((off_t)total, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ((off_t)total, lseek(fd, 5, SEEK_CUR));
	EXPECT_EQ(0, read(fd, buf, 8));
	/* At and past the end, and the odd request. */
	EXPECT_EQ(0, pread(fd, buf, 16, total));
	EXPECT_EQ(1, pread(fd, buf, 16, total - 1));
	EXPECT_EQ(bulk[total - 1], buf[0]);
	EXPECT_EQ(0, pread(fd, buf, 16, 1L << 40));
	EXPECT_EQ(0, pread(fd, buf, 0, 0));
	EXPECT_EQ(-1, pread(fd, buf, 16, -1));
	EXPECT_EQ(EINVAL, errno);
	/* Into memory the process may not write: -EFAULT. */
	map = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, pread(fd, map, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, PG);
	/* Read-only, no mmap, no ioctls, close-on-exec. */
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, pwrite(fd, "x", 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	map = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, ioctl(fd, KVM_GET_STATS_FD, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, KVM_RUN, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = '\0';
	EXPECT_STREQ(anon_name, link);
	free(bulk);
	free(seq);
}

static void vm_id(char *buf, size_t len)
{
	snprintf(buf, len, "kvm-%d", getpid());
}

static void vcpu_id(char *buf, size_t len, unsigned int id)
{
	snprintf(buf, len, "kvm-%d/vcpu-%u", getpid(), id);
}

FIXTURE(stats) {
	struct vm *vm;
	struct vcpu *vcpu;
	char hist_orig[8];
};

/* rvhv: the histograms on (stats_hist), as they were after. */
FIXTURE_SETUP(stats)
{
	const char *cur;

	self->hist_orig[0] = '\0';
	if (!dev_is_kvm()) {
		cur = rvhv_read_file(HIST_PARAM);
		ASSERT_TRUE(cur && (cur[0] == 'Y' || cur[0] == 'N'));
		self->hist_orig[0] = cur[0];
		self->hist_orig[1] = '\0';
		ASSERT_EQ(0, rvhv_write_file(HIST_PARAM, "1"));
	}
	self->vm = vm_create();
	self->vcpu = vcpu_create(self->vm, 0);
}

FIXTURE_TEARDOWN(stats)
{
	if (self->hist_orig[0])
		rvhv_write_file(HIST_PARAM, self->hist_orig);
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}

TEST(capability)
{
	int dev = rvhv_open_dev(O_RDWR), vm;

	ASSERT_GE(dev, 0);
	vm = ioctl(dev, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(1, ioctl(dev, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD));
	EXPECT_EQ(1, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD));
	/* rvhv's histograms find their buckets with clz where there is Zbb. */
	TH_LOG("host Zbb: %s", host_isa_has("zbb") ? "yes" : "no");
	/* A VM ioctl, not a system one (kvm.ko: -EINVAL, rvhv: -ENOTTY). */
	EXPECT_EQ(-1, ioctl(dev, KVM_GET_STATS_FD, 0));
	EXPECT_TRUE(errno == ENOTTY || errno == EINVAL) TH_LOG("%d", errno);
	close(vm);
	close(dev);
}

TEST_F(stats, vm_layout_and_reads)
{
	struct stats s;
	char id[64];

	stats_open(&s, ioctl(self->vm->fd, KVM_GET_STATS_FD, 0));
	vm_id(id, sizeof(id));
	check_layout(_metadata, &s, id);
	check_file_io(_metadata, &s, "anon_inode:kvm-vm-stats");
	TH_LOG("%u VM stats, %zu bytes of data", s.h.num_desc, s.data_size);
	stats_close(&s);
}

TEST_F(stats, vcpu_layout_and_reads)
{
	struct vcpu *v1 = vcpu_create(self->vm, 1);
	struct stats s;
	char id[64];

	stats_open(&s, ioctl(v1->fd, KVM_GET_STATS_FD, 0));
	vcpu_id(id, sizeof(id), 1);
	check_layout(_metadata, &s, id);
	check_file_io(_metadata, &s, "anon_inode:kvm-vcpu-stats:1");
	TH_LOG("%u vCPU stats, %zu bytes of data", s.h.num_desc, s.data_size);
	/* What kvm.ko's RISC-V vCPUs count, rvhv counts under that name. */
	EXPECT_GE(stats_index(&s, "exits"), 0);
	EXPECT_GE(stats_index(&s, "ecall_exit_stat"), 0);
	EXPECT_GE(stats_index(&s, "wfi_exit_stat"), 0);
	EXPECT_GE(stats_index(&s, "mmio_exit_user"), 0);
	EXPECT_GE(stats_index(&s, "mmio_exit_kernel"), 0);
	EXPECT_GE(stats_index(&s, "csr_exit_kernel"), 0);
	EXPECT_GE(stats_index(&s, "signal_exits"), 0);
	EXPECT_GE(stats_index(&s, "halt_wakeup"), 0);
	EXPECT_GE(stats_index(&s, "halt_wait_ns"), 0);
	EXPECT_GE(stats_index(&s, "halt_wait_hist"), 0);
	EXPECT_GE(stats_index(&s, "blocking"), 0);
	stats_close(&s);
	vcpu_free(v1);
}

/* As kvm_binary_stats_test: several VMs and vCPUs, fds open together. */
TEST(many_vms_and_fds)
{
	enum { NVM = 2, NVCPU = 2 };
	struct stats vs[NVM], cs[NVM][NVCPU], again;
	struct vcpu *vc[NVM][NVCPU];
	struct vm *vm[NVM];
	char id[64], hdr[24];
	int i, j;

	for (i = 0; i < NVM; i++) {
		vm[i] = vm_create_empty();
		stats_open(&vs[i], ioctl(vm[i]->fd, KVM_GET_STATS_FD, 0));
		for (j = 0; j < NVCPU; j++) {
			vc[i][j] = vcpu_create(vm[i], j);
			stats_open(&cs[i][j],
				   ioctl(vc[i][j]->fd, KVM_GET_STATS_FD, 0));
		}
	}
	for (i = 0; i < NVM; i++) {
		vm_id(id, sizeof(id));
		EXPECT_STREQ(id, vs[i].id);
		for (j = 0; j < NVCPU; j++) {
			vcpu_id(id, sizeof(id), j);
			EXPECT_STREQ(id, cs[i][j].id);
			free(stats_snap(&cs[i][j]));
		}
		free(stats_snap(&vs[i]));
	}
	/* Each fd has its own position. */
	stats_open(&again, ioctl(vm[0]->fd, KVM_GET_STATS_FD, 0));
	ASSERT_EQ(10, read(vs[0].fd, hdr, 10));
	ASSERT_EQ(24, read(again.fd, hdr, 24));
	EXPECT_EQ(0, memcmp(hdr, &again.h, 24));
	ASSERT_EQ(14, read(vs[0].fd, hdr, 14));
	EXPECT_EQ(0, memcmp(hdr, (char *)&again.h + 10, 14));
	/* Closing one leaves the others working. */
	stats_close(&again);
	free(stats_snap(&vs[0]));
	for (i = 0; i < NVM; i++) {
		for (j = 0; j < NVCPU; j++) {
			stats_close(&cs[i][j]);
			EXPECT_EQ(-1, fcntl(cs[i][j].fd, F_GETFD));
			vcpu_free(vc[i][j]);
		}
		stats_close(&vs[i]);
		vm_free(vm[i]);
	}
}

/*
 * A stats fd holds its VM: it reads on after the VM's and vCPU's fds are
 * closed, and the VM goes away with the last stats fd (rvhv: debugfs
 * counts the live VMs).
 */
TEST(fd_outlives_vm)
{
	bool rvhv = !dev_is_kvm();
	long base = rvhv ? rvhv_nr_vms() : 0;
	struct stats vs, cs;
	struct vcpu *vcpu;
	uint64_t *snap;
	struct vm *vm;
	char id[64];

	vm = vm_create();
	vcpu = vcpu_create(vm, 0);
	stats_open(&vs, ioctl(vm->fd, KVM_GET_STATS_FD, 0));
	stats_open(&cs, ioctl(vcpu->fd, KVM_GET_STATS_FD, 0));
	vcpu_start(vcpu, GUEST_FN(guest_stats_work), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	vcpu_free(vcpu);
	vm_free(vm);
	if (rvhv)
		EXPECT_EQ(base + 1, rvhv_nr_vms());
	free(stats_snap(&vs));
	snap = stats_snap(&cs);
	EXPECT_LE(1, sval(&cs, snap, "exits"));
	free(snap);
	vcpu_id(id, sizeof(id), 0);
	EXPECT_EQ((ssize_t)cs.h.name_size,
		  pread(cs.fd, cs.id, cs.h.name_size, cs.h.id_offset));
	EXPECT_STREQ(id, cs.id);
	stats_close(&vs);
	if (rvhv)
		EXPECT_EQ(base + 1, rvhv_nr_vms());
	free(stats_snap(&cs));
	stats_close(&cs);
	if (rvhv)
		EXPECT_EQ(base, rvhv_nr_vms());
}

/*
 * The ioctl's argument is ignored, as by kvm.ko; another process (one
 * that inherited the fds) gets -EIO, as for every VM and vCPU ioctl, but
 * reads an inherited stats fd.
 */
TEST_F(stats, ioctl_misuse)
{
	int vfd, cfd, st;
	pid_t pid;

	vfd = ioctl(self->vm->fd, KVM_GET_STATS_FD, 0x1234);
	ASSERT_GE(vfd, 0);
	cfd = ioctl(self->vcpu->fd, KVM_GET_STATS_FD, ~0UL);
	ASSERT_GE(cfd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct kvm_stats_header h;

		if (ioctl(self->vm->fd, KVM_GET_STATS_FD, 0) != -1 ||
		    errno != EIO)
			_exit(1);
		if (ioctl(self->vcpu->fd, KVM_GET_STATS_FD, 0) != -1 ||
		    errno != EIO)
			_exit(2);
		if (pread(vfd, &h, sizeof(h), 0) != sizeof(h) || !h.num_desc)
			_exit(3);
		if (pread(cfd, &h, sizeof(h), 0) != sizeof(h) || !h.num_desc)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(vfd);
	close(cfd);
}

/*
 * The behaviour: between the guest's two SYNCs, N SBI calls the
 * hypervisor answers, M MMIO exits to the test, K stores to an ioeventfd
 * and one WFI woken by the timer 50 ms later, and the SYNC(1) ucall.
 */
TEST_F(stats, counters_move)
{
	const unsigned long n_sbi = 50, n_mmio = 10, n_ioevt = 10;
	volatile struct stats_args *args;
	struct vcpu *vcpu = self->vcpu;
	uint64_t *a, *b, freq, cnt, ns, hsum = 0, t0, wall;
	struct kvm_ioeventfd io = { 0 };
	unsigned int i, r;
	struct stats s;
	char name[64];
	int efd;

	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_GE(efd, 0);
	io.addr = GUEST_MMIO_BASE + 0x800;
	io.len = 4;
	io.fd = efd;
	ASSERT_EQ(0, ioctl(self->vm->fd, KVM_IOEVENTFD, &io));
	freq = vcpu_get_reg(vcpu, RISCV_TIMER_REG(frequency));
	args = vm_gpa2hva(self->vm, STATS_ARGS);
	args->n_sbi = n_sbi;
	args->n_mmio = n_mmio;
	args->ioevt_addr = io.addr;
	args->n_ioevt = n_ioevt;
	args->wfi_ticks = freq / 20;

	stats_open(&s, ioctl(vcpu->fd, KVM_GET_STATS_FD, 0));
	vcpu_start(vcpu, GUEST_FN(guest_stats_work), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	a = stats_snap(&s);
	t0 = now_ns();
	for (i = 0; i < n_mmio; i++) {
		ASSERT_EQ(1, vcpu_ucall_try(vcpu, NULL));
		ASSERT_EQ(KVM_EXIT_MMIO, vcpu->run->exit_reason);
	}
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	wall = now_ns() - t0;
	b = stats_snap(&s);

	/* What kvm.ko counts too. */
	EXPECT_EQ(n_mmio, D("mmio_exit_user"));
	EXPECT_EQ(n_ioevt, D("mmio_exit_kernel"));
	EXPECT_EQ(1, D("ecall_exit_stat"));	/* the SYNC(1) */
	EXPECT_EQ(1, D("wfi_exit_stat"));
	EXPECT_EQ(0, D("signal_exits"));
	/* SBI, MMIO, ioeventfd, WFI, two set_timer, SYNC(1) at least. */
	EXPECT_GE(D("exits"), n_sbi + n_mmio + n_ioevt + 4);
	EXPECT_EQ(0, sval(&s, b, "blocking"));
	/* One halt, slept 50 ms less what the guest did before its WFI. */
	cnt = DSUM("halt_wait_hist");
	ns = D("halt_wait_ns");
	TH_LOG("exits %lu, halt_wakeup %lu, halt_wait %lu ns in %lu, wall %lu ns",
	       (unsigned long)D("exits"), (unsigned long)D("halt_wakeup"),
	       (unsigned long)ns, (unsigned long)cnt, (unsigned long)wall);
	EXPECT_LE(cnt, 1);
	if (cnt == 1) {
		EXPECT_GT(ns, 0);
		EXPECT_LT(ns, wall);
		EXPECT_EQ((int)log_bucket(ns, 32),
			  moved_bucket(&s, a, b, "halt_wait_hist"));
	}
	ASSERT_EQ(8, read(efd, &t0, 8));
	EXPECT_EQ(n_ioevt, t0);
	if (dev_is_kvm()) {
		free(a);
		free(b);
		stats_close(&s);
		return;
	}

	/* rvhv: its own counters. */
	EXPECT_EQ(1, cnt);
	EXPECT_EQ(1, D("halt_wakeup"));
	EXPECT_EQ(n_sbi, D("sbi_base"));
	EXPECT_EQ(2, D("sbi_time"));
	EXPECT_EQ(1, D("sbi_experimental"));
	EXPECT_EQ(n_sbi + 2, D("sbi_kernel"));
	EXPECT_EQ(1, D("sbi_user"));
	EXPECT_EQ(n_ioevt, D("ioeventfd_signals"));
	EXPECT_EQ(n_mmio + n_ioevt, D("gstage_fault_mmio"));
	EXPECT_EQ(1, D("virtual_insn_exits"));
	EXPECT_EQ(0, D("redirected_traps"));
	EXPECT_EQ(0, D("csr_exit_kernel"));

	/*
	 * The histograms count each exit once its guest entry follows: the
	 * SYNC(0) exit's and every one up to, not with, the SYNC(1) exit's.
	 */
	EXPECT_EQ(1 + n_sbi + 2, DSUM("exit_latency_hist_sbi"));
	EXPECT_EQ(n_mmio + n_ioevt, DSUM("exit_latency_hist_mmio"));
	EXPECT_EQ(1, DSUM("exit_latency_hist_wfi"));
	EXPECT_EQ(0, DSUM("exit_latency_hist_virtual_insn"));
	EXPECT_EQ(0, DSUM("exit_latency_hist_other"));
	for (r = 0; r < NR_REASONS; r++) {
		snprintf(name, sizeof(name), "exit_latency_hist_%s",
			 exit_reasons[r]);
		cnt = DSUM(name);
		hsum += cnt;
		snprintf(name, sizeof(name), "exit_latency_ns_%s",
			 exit_reasons[r]);
		if (!cnt) {
			EXPECT_EQ(0, D(name)) TH_LOG("%s", name);
		}
		TH_LOG("%s: %lu exits, %lu ns", exit_reasons[r],
		       (unsigned long)cnt, (unsigned long)D(name));
	}
	EXPECT_EQ(D("exits"), hsum);
	/* Since the vCPU was made: all but the last exit (SYNC(1)). */
	EXPECT_EQ(sval(&s, b, "exits") - 1, hist_total(&s, b));
	/* The WFI's latency holds its halt; its one sample's bucket. */
	ns = D("exit_latency_ns_wfi");
	EXPECT_GE(ns, D("halt_wait_ns"));
	EXPECT_LT(ns, wall);
	EXPECT_EQ((int)log_bucket(ns, 32),
		  moved_bucket(&s, a, b, "exit_latency_hist_wfi"));
	EXPECT_GT(D("exit_latency_ns_sbi"), 0);
	EXPECT_GT(D("exit_latency_ns_mmio"), 0);
	free(a);
	free(b);
	stats_close(&s);
	close(efd);
}

/* Reads while the vCPU runs in another thread: counters only go up. */
TEST_F(stats, live_reads)
{
	volatile struct stats_args *args = vm_gpa2hva(self->vm, STATS_ARGS);
	uint64_t *a, *b, *c;
	struct vcpu_thread t;
	struct stats s;
	unsigned int i;

	stats_open(&s, ioctl(self->vcpu->fd, KVM_GET_STATS_FD, 0));
	vcpu_start(self->vcpu, GUEST_FN(guest_stats_spin), 0, 0);
	vcpu_thread_start(&t, self->vcpu);
	while (!args->count)
		usleep(1000);
	a = stats_snap(&s);
	for (i = 0; i < 3; i++) {
		usleep(10000);
		b = stats_snap(&s);
		EXPECT_GE(sval(&s, b, "exits"), sval(&s, a, "exits"));
		if (!dev_is_kvm()) {
			EXPECT_GE(sval(&s, b, "sbi_base"),
				  sval(&s, a, "sbi_base"));
			/* "exits" read again, after the histograms. */
			c = stats_snap(&s);
			EXPECT_LE(hist_total(&s, b), sval(&s, c, "exits"));
			free(c);
		}
		free(a);
		a = b;
	}
	args->stop = 1;
	EXPECT_EQ(0, vcpu_thread_join(&t, 30));
	b = stats_snap(&s);
	EXPECT_LT(0, sval(&s, b, "exits"));
	TH_LOG("%lu exits, %lu guest calls", (unsigned long)sval(&s, b, "exits"),
	       args->count);
	if (!dev_is_kvm())
		EXPECT_LE(args->count, sval(&s, b, "sbi_base"));
	free(a);
	free(b);
	stats_close(&s);
}

/* An SBI call from guest_sbi_loop and the counter it must move by one. */
struct sbi_case {
	unsigned long ext, fid, a0, a1, a2;
	const char *stat;
	int uexit;	/* its exit to the test comes before the report */
};

TEST_F(stats, sbi_extension_counts)
{
	struct rvhv_sbi_batch_entry *ents;
	struct vcpu *vcpu = self->vcpu;
	uint64_t *a, *b, *vb, *va;
	unsigned long args6[6] = { 0 };
	struct stats s, vs;
	long err, val, sta;
	unsigned int i;
	struct sbi_case cases[] = {
		{ SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0, "sbi_base", 0 },
		{ SBI_EXT_TIME, 0, -1UL, 0, 0, "sbi_time", 0 },
		{ SBI_EXT_IPI, 0, 0, 0, 0, "sbi_ipi", 0 },
		{ SBI_EXT_RFENCE, 1, 1, 0, 0, "sbi_rfence", 0 },
		{ SBI_EXT_HSM, 2, 0, 0, 0, "sbi_hsm", 0 },
		{ 0x0abcdef0, 0, 0, 0, 0, "sbi_unsupported", 0 },
		{ SBI_EXT_DBCN, 0, 0, 0, 0, "sbi_unsupported", 0 },
		{ 3, 0, 0, 0, 0, "sbi_legacy", 0 },
		{ 0x09000000, 0, 0, 0, 0, "sbi_vendor", 1 },
		{ 1, 0, '\n', 0, 0, "console_flushes", 1 },
		{ RVHV_SBI_EXT, RVHV_SBI_BATCH, BATCH_GPA, 3, 0, "sbi_batch", 0 },
		/* STA set_shmem: off; where the host has no STA, unknown. */
		{ SBI_EXT_STA, 0, -1UL, -1UL, 0, "sbi_sta", 0 },
		/* SUSP (enabled below) of a sleep type that does not exist. */
		{ SBI_EXT_SUSP, 0, 1, 0, 0, "sbi_susp", 0 },
	};

	if (dev_is_kvm())
		SKIP(return, "rvhv's own statistics");
	ASSERT_EQ(0, vm_enable_cap_try(self->vm, RVHV_CAP_SBI_BATCH, 1));
	ASSERT_EQ(0, vm_enable_cap_try(self->vm, RVHV_CAP_CONSOLE_COALESCE, 1));
	vcpu_set_reg(vcpu, RISCV_SBI_EXT_REG(RVHV_RISCV_SBI_EXT_SUSP), 1);
	ents = vm_gpa2hva(self->vm, BATCH_GPA);
	for (i = 0; i < 3; i++) {
		memset(&ents[i], 0, sizeof(ents[i]));
		ents[i].eid = SBI_EXT_BASE;
		ents[i].fid = SBI_BASE_GET_SPEC_VERSION;
	}
	stats_open(&s, ioctl(vcpu->fd, KVM_GET_STATS_FD, 0));
	stats_open(&vs, ioctl(self->vm->fd, KVM_GET_STATS_FD, 0));
	vcpu_start(vcpu, GUEST_FN(guest_sbi_loop), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	args6[0] = SBI_EXT_STA;
	ASSERT_EQ(0, vcpu_sbi_call6(vcpu, SBI_EXT_BASE, SBI_BASE_PROBE_EXT,
				    args6, &err, &sta));
	TH_LOG("STA: %s", sta ? "yes" : "no (counted as unsupported)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!sta && cases[i].ext == SBI_EXT_STA)
			cases[i].stat = "sbi_unsupported";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sbi_case *c = &cases[i];

		args6[0] = c->a0;
		args6[1] = c->a1;
		args6[2] = c->a2;
		a = stats_snap(&s);
		va = stats_snap(&vs);
		if (vcpu_sbi_call6(vcpu, c->ext, c->fid, args6, &err, &val)) {
			EXPECT_TRUE(c->uexit) TH_LOG("%s: an exit", c->stat);
			ASSERT_EQ(KVM_EXIT_RISCV_SBI, vcpu->run->exit_reason);
			ASSERT_EQ(0, vcpu_sbi_continue(vcpu, &err, &val));
		} else {
			EXPECT_FALSE(c->uexit) TH_LOG("%s: no exit", c->stat);
		}
		b = stats_snap(&s);
		vb = stats_snap(&vs);
		EXPECT_EQ(1, D(c->stat)) TH_LOG("case %u: %s", i, c->stat);
		/* Every extension has a counter of its own. */
		EXPECT_EQ(0, D("sbi_other")) TH_LOG("case %u", i);
		/* The REPORT ucall after each: one more forwarded call. */
		if (strcmp(c->stat, "console_flushes")) {
			EXPECT_EQ(1 + c->uexit, D("sbi_experimental") +
				  D("sbi_vendor")) TH_LOG("case %u", i);
		}
		if (!strcmp(c->stat, "sbi_rfence")) {
			EXPECT_EQ(1, sval(&vs, vb, "fence_reqs") -
				     sval(&vs, va, "fence_reqs"));
			EXPECT_EQ(1, sval(&vs, vb, "fences") -
				     sval(&vs, va, "fences"));
			/* 0, or 1 if the vCPU moved meanwhile. */
			EXPECT_GE(1, sval(&vs, vb, "fence_ipis") -
				     sval(&vs, va, "fence_ipis"));
		}
		if (!strcmp(c->stat, "sbi_batch")) {
			EXPECT_EQ(0, err);
			EXPECT_EQ(3, val);
			EXPECT_EQ(3, D("batch_entries"));
			EXPECT_EQ(3, D("sbi_base"));
			EXPECT_EQ(4, D("sbi_kernel"));
		}
		if (!strcmp(c->stat, "console_flushes"))
			EXPECT_EQ(1, D("sbi_legacy"));
		free(a);
		free(b);
		free(va);
		free(vb);
	}
	stats_close(&s);
	stats_close(&vs);
}

/* Guest memory for one round of gstage_fault_kinds: its own four slots. */
struct touch_set {
	uint64_t written, fresh, shared, huge;	/* guest physical addresses */
	bool thp;
};

static void touch_set_add(struct vm *vm, struct touch_set *t,
			  unsigned int slot, uint64_t gpa, unsigned int pages)
{
	uint64_t *mem;
	unsigned int i;
	int fd;

	/* Written by the VMM first: the guest's store maps it at once. */
	mem = vm_alloc(pages * PG, PG);
	madvise(mem, pages * PG, MADV_NOHUGEPAGE);
	for (i = 0; i < pages; i++)
		mem[i * PG / 8] = 0;
	vm_set_region(vm, slot, 0, gpa, pages * PG, mem);
	t->written = gpa;
	/*
	 * Untouched anonymous memory: the guest's load maps the zero page
	 * read-only; its store breaks the copy-on-write, whose MMU-notifier
	 * invalidation makes that fault a retry, and the next one maps.
	 */
	mem = vm_alloc(pages * PG, PG);
	madvise(mem, pages * PG, MADV_NOHUGEPAGE);
	vm_set_region(vm, slot + 1, 0, gpa + M2, pages * PG, mem);
	t->fresh = gpa + M2;
	/*
	 * Shared memory: the load maps the page read-only (the VMM's page
	 * is writable, but nobody wrote it); the store only upgrades it.
	 */
	fd = memfd_create("stats_test", 0);
	if (fd < 0 || ftruncate(fd, pages * PG))
		vm_fail("memfd: %s", strerror(errno));
	mem = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (mem == MAP_FAILED)
		vm_fail("mmap memfd: %s", strerror(errno));
	close(fd);
	vm_set_region(vm, slot + 2, 0, gpa + 2 * M2, pages * PG, mem);
	t->shared = gpa + 2 * M2;
	/* A transparent huge page, if the host gives one. */
	mem = vm_alloc(M2, M2);
	madvise(mem, M2, MADV_HUGEPAGE);
	for (i = 0; i < M2 / PG; i++)
		mem[i * PG / 8] = 0;
	t->thp = anon_huge_kb(mem) >= 2048;
	vm_set_region(vm, slot + 3, 0, gpa + 3 * M2, M2, mem);
	t->huge = gpa + 3 * M2;
}

/*
 * G-stage faults by kind and mappings by size.  Two identical rounds on
 * fresh memory; the second is counted, when the guest's own code and
 * stack are mapped already.
 */
TEST_F(stats, gstage_fault_kinds)
{
	const unsigned int pages = 8;
	volatile struct stats_args *args = vm_gpa2hva(self->vm, STATS_ARGS);
	struct touch_set t[2];
	uint64_t *a = NULL, *b = NULL, *va, *vb;
	struct stats s, vs;
	unsigned int round;
	char preload;
	void *hva;

	if (dev_is_kvm())
		SKIP(return, "rvhv's own statistics");
	/* One fault per page: without preloading (preload_test has it). */
	preload = rvhv_read_file(PRELOAD_PARAM)[0];
	ASSERT_EQ(0, rvhv_write_file(PRELOAD_PARAM, "0"));
	stats_open(&s, ioctl(self->vcpu->fd, KVM_GET_STATS_FD, 0));
	stats_open(&vs, ioctl(self->vm->fd, KVM_GET_STATS_FD, 0));
	for (round = 0; round < 2; round++) {
		touch_set_add(self->vm, &t[round], 1 + 4 * round,
			      GUEST_EXTRA + round * 4 * M2, pages);
		args->touch_base = t[round].written;
		args->n_touch = pages;
		args->rw_base = t[round].fresh;
		args->n_rw = pages;
		args->rw2_base = t[round].shared;
		args->n_rw2 = pages;
		args->huge_base = t[round].huge + 3 * PG;
		vcpu_start(self->vcpu, GUEST_FN(guest_stats_work), 0, 0);
		vcpu_expect_ucall(self->vcpu, UCALL_SYNC, NULL);
		free(a);
		a = stats_snap(&s);
		vcpu_expect_ucall(self->vcpu, UCALL_SYNC, NULL);
		free(b);
		b = stats_snap(&s);
	}
	rvhv_write_file(PRELOAD_PARAM, preload == 'Y' ? "1" : "0");
	TH_LOG("THP behind the huge slot: %s", t[1].thp ? "yes" : "no");
	EXPECT_EQ(0, D("gstage_preload"));
	EXPECT_EQ(0, D("gstage_fault_spurious"));
	EXPECT_EQ(0, D("gstage_fault_mmio"));
	EXPECT_EQ(pages, D("gstage_fault_retry"));
	/* written 1, fresh 2, shared 1 per page; the huge one. */
	EXPECT_EQ(4 * pages + 1, D("gstage_fault_map"));
	EXPECT_EQ(pages, D("gstage_fault_wp"));
	EXPECT_EQ(6 * pages + 1, D("gstage_faults"));
	EXPECT_EQ(5 * pages + !t[1].thp, D("gstage_map_4k"));
	EXPECT_EQ(t[1].thp, D("gstage_map_2m"));
	EXPECT_EQ(6 * pages + 1, DSUM("exit_latency_hist_gstage_fault"));

	/* The VMM takes a mapped page away: a G-stage fence. */
	va = stats_snap(&vs);
	hva = vm_gpa2hva(self->vm, t[1].written);
	ASSERT_EQ(0, madvise(hva, PG, MADV_DONTNEED));
	vb = stats_snap(&vs);
	EXPECT_LE(1, sval(&vs, vb, "remote_tlb_flush_requests") -
		     sval(&vs, va, "remote_tlb_flush_requests"));
	EXPECT_EQ(sval(&vs, vb, "remote_tlb_flush_requests"),
		  sval(&vs, vb, "remote_tlb_flush"));
	EXPECT_LE(sval(&vs, vb, "remote_tlb_flush_requests") -
		  sval(&vs, va, "remote_tlb_flush_requests"),
		  sval(&vs, vb, "fence_reqs") - sval(&vs, va, "fence_reqs"));
	free(a);
	free(b);
	free(va);
	free(vb);
	stats_close(&s);
	stats_close(&vs);
}

/* Run guest_stats_work with n_sbi calls; snapshots at its two SYNCs. */
static void sbi_window(struct vcpu *vcpu, struct stats *s, unsigned long n,
		       uint64_t **a, uint64_t **b)
{
	volatile struct stats_args *args = vm_gpa2hva(vcpu->vm, STATS_ARGS);

	memset((void *)args, 0, sizeof(*args));
	args->n_sbi = n;
	vcpu_start(vcpu, GUEST_FN(guest_stats_work), 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	*a = stats_snap(s);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, NULL);
	*b = stats_snap(s);
}

/* The module parameter stats_hist switches the histograms off and on. */
TEST_F(stats, hist_switch)
{
	uint64_t *a, *b;
	struct stats s;

	if (dev_is_kvm())
		SKIP(return, "rvhv's own statistics");
	EXPECT_EQ(-EINVAL, rvhv_write_file(HIST_PARAM, "maybe"));
	stats_open(&s, ioctl(self->vcpu->fd, KVM_GET_STATS_FD, 0));

	ASSERT_EQ(0, rvhv_write_file(HIST_PARAM, "0"));
	EXPECT_EQ('N', rvhv_read_file(HIST_PARAM)[0]);
	sbi_window(self->vcpu, &s, 50, &a, &b);
	EXPECT_EQ(50, D("sbi_base"));
	EXPECT_LE(51, D("exits"));
	EXPECT_EQ(0, hist_total(&s, b) - hist_total(&s, a));
	free(a);
	free(b);

	ASSERT_EQ(0, rvhv_write_file(HIST_PARAM, "1"));
	EXPECT_EQ('Y', rvhv_read_file(HIST_PARAM)[0]);
	sbi_window(self->vcpu, &s, 50, &a, &b);
	EXPECT_EQ(50, D("sbi_base"));
	EXPECT_EQ(D("exits"), hist_total(&s, b) - hist_total(&s, a));
	EXPECT_LE(51, DSUM("exit_latency_hist_sbi"));
	free(a);
	free(b);
	stats_close(&s);
}

/* debugfs shows the same numbers: rvhv/vcpus per vCPU, rvhv/vms per VM. */
TEST_F(stats, debugfs_views)
{
	struct stats s, vs;
	char prefix[64];
	uint64_t *a, *b;

	if (dev_is_kvm())
		SKIP(return, "rvhv's debugfs");
	stats_open(&s, ioctl(self->vcpu->fd, KVM_GET_STATS_FD, 0));
	stats_open(&vs, ioctl(self->vm->fd, KVM_GET_STATS_FD, 0));
	sbi_window(self->vcpu, &s, 10, &a, &b);
	snprintf(prefix, sizeof(prefix), "vcpu pid=%d id=0 ", getpid());
	EXPECT_EQ((long)sval(&s, b, "exits"),
		  rvhv_debugfs_field(RVHV_DEBUGFS "vcpus", prefix, "exits"));
	EXPECT_EQ((long)sval(&s, b, "sbi_base"),
		  rvhv_debugfs_field(RVHV_DEBUGFS "vcpus", prefix, "sbi_base"));
	/* A histogram: its first bucket, then the others to the last used. */
	EXPECT_EQ((long)sval_at(&s, b, "exit_latency_hist_sbi", 0),
		  rvhv_debugfs_field(RVHV_DEBUGFS "vcpus", prefix,
				"exit_latency_hist_sbi"));
	free(a);
	free(b);
	b = stats_snap(&vs);
	EXPECT_EQ((long)sval(&vs, b, "fence_reqs"),
		  rvhv_vms_field(0, "fence_reqs"));
	EXPECT_EQ((long)sval(&vs, b, "remote_tlb_flush"),
		  rvhv_vms_field(0, "remote_tlb_flush"));
	free(b);
	stats_close(&s);
	stats_close(&vs);
}

TEST_HARNESS_MAIN
