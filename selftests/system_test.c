// SPDX-License-Identifier: GPL-2.0
/*
 * System ioctls of /dev/rvhv and the VM fd lifecycle, against KVM's ABI.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "rvhv_util.h"

/*
 * Every capability rvhv claims, with the value it must give.  Anything else
 * below KVM_CAP_LIMIT must answer 0: a capability is reported only once it
 * is implemented and tested.  -1 means "non-zero, checked elsewhere".
 */
static const struct {
	long cap;
	long val;
} claimed[] = {
	{ KVM_CAP_CHECK_EXTENSION_VM, 1 },
	{ KVM_CAP_VM_GPA_BITS, -1 },
	{ KVM_CAP_ONE_REG, 1 },
	{ KVM_CAP_IMMEDIATE_EXIT, 1 },
	{ KVM_CAP_NR_VCPUS, -1 },
	{ KVM_CAP_MAX_VCPUS, 64 },
	{ KVM_CAP_MAX_VCPU_ID, 64 },
	{ KVM_CAP_MP_STATE, 1 },
	{ KVM_CAP_ENABLE_CAP_VM, 1 },
	{ KVM_CAP_USER_MEMORY, 1 },
	{ KVM_CAP_USER_MEMORY2, 1 },
	{ KVM_CAP_READONLY_MEM, 1 },
	{ KVM_CAP_SYNC_MMU, 1 },
	{ KVM_CAP_MULTI_ADDRESS_SPACE, 1 },
	{ KVM_CAP_NR_MEMSLOTS, 512 },
	{ KVM_CAP_DESTROY_MEMORY_REGION_WORKS, 1 },
	{ KVM_CAP_JOIN_MEMORY_REGIONS_WORKS, 1 },
	{ KVM_CAP_INTERNAL_ERROR_DATA, 1 },
	{ KVM_CAP_IOEVENTFD, 1 },
	{ KVM_CAP_IOEVENTFD_ANY_LENGTH, 1 },
	{ KVM_CAP_IRQFD, 1 },
	{ KVM_CAP_DEVICE_CTRL, 1 },
	{ KVM_CAP_COALESCED_MMIO, KVM_COALESCED_MMIO_PAGE_OFFSET },
	{ KVM_CAP_COALESCED_PIO, 1 },
	{ KVM_CAP_BINARY_STATS_FD, 1 },
	/* Dirty logging (dirty_test): manual protect, the ACQ_REL ring. */
	{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 3 },
	{ KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 65536 * 16 },
	{ KVM_CAP_SET_GUEST_DEBUG, 1 },
	{ KVM_CAP_SET_GUEST_DEBUG2, KVM_GUESTDBG_ENABLE },
	/* vCPU reset through KVM_SET_MP_STATE (pmu_test). */
	{ RVHV_CAP_RISCV_MP_STATE_RESET, 1 },
};
#define KVM_CAP_LIMIT 512

static long claimed_value(long cap)
{
	unsigned int i;

	for (i = 0; i < sizeof(claimed) / sizeof(claimed[0]); i++)
		if (claimed[i].cap == cap)
			return claimed[i].val;
	return 0;
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = rvhv_open_dev(O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", rvhv_dev_path(),
				      strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/rvhv", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660, st.st_mode & 0777);
}

TEST_F(dev, api_version)
{
	EXPECT_EQ(KVM_API_VERSION, ioctl(self->fd, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST(api_version_readonly_fd)
{
	int fd = rvhv_open_dev(O_RDONLY);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(KVM_API_VERSION, ioctl(fd, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(1, ioctl(fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_CHECK_EXTENSION_VM));
	close(fd);
}

TEST_F(dev, vcpu_mmap_size)
{
	long sz = ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	EXPECT_GE(sz, (long)sizeof(struct kvm_run));
	EXPECT_EQ(0, sz % getpagesize());
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, unknown_ioctls)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, KVM_S390_ENABLE_SIE, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(RVHVIO, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
}

/* Capabilities: only what is implemented, same answer on system and VM fd. */
TEST_F(dev, check_extension_truthful)
{
	struct rvhv_host_features f;
	int vm = ioctl(self->fd, KVM_CREATE_VM, 0);
	long cap;

	ASSERT_GE(vm, 0);
	ASSERT_EQ(0, ioctl(self->fd, RVHV_GET_HOST_FEATURES, &f));
	for (cap = 0; cap < KVM_CAP_LIMIT; cap++) {
		long want = claimed_value(cap);
		long got = ioctl(self->fd, KVM_CHECK_EXTENSION, cap);
		long got_vm = ioctl(vm, KVM_CHECK_EXTENSION, cap);

		if (cap == KVM_CAP_VM_GPA_BITS)
			want = f.gpa_bits;
		if (cap == KVM_CAP_NR_VCPUS)
			want = sysconf(_SC_NPROCESSORS_ONLN);
		/* Ssaia hosts: the AIA device in MSI mode (IMSIC emulated) */
		if (f.flags & RVHV_HOST_SSAIA) {
			if (cap == KVM_CAP_IRQCHIP || cap == KVM_CAP_SIGNAL_MSI ||
			    cap == KVM_CAP_IRQFD_RESAMPLE)
				want = 1;
			if (cap == KVM_CAP_IRQ_ROUTING)
				want = 4096;
		}
		EXPECT_EQ(want, got) TH_LOG("cap %ld", cap);
		EXPECT_EQ(want, got_vm) TH_LOG("cap %ld on VM fd", cap);
	}
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, -1L));
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, 1L << 40));
	EXPECT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION,
			   RVHV_CAP_HOST_FEATURES));
	EXPECT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION, RVHV_CAP_SBI_BATCH));
	EXPECT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION,
			   RVHV_CAP_CONSOLE_COALESCE));
	EXPECT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION, RVHV_CAP_IRQ_LINES));
	EXPECT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION, RVHV_CAP_AIA_DIRECT));
	EXPECT_EQ(f.gstage_modes, ioctl(self->fd, KVM_CHECK_EXTENSION,
					RVHV_CAP_SET_GPA_BITS));
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION,
			   RVHV_CAP_SET_GPA_BITS + 1));
	close(vm);
}

/*
 * The in-kernel AIA is per VM: KVM_CAP_IRQCHIP, KVM_CAP_IRQFD_RESAMPLE
 * (1) and KVM_CAP_IRQ_ROUTING (4096) answer on a VM that enabled
 * RVHV_CAP_AIA_DIRECT (and not RVHV_CAP_IRQ_LINES); on a host with
 * Ssaia every other VM has the MSI-mode device (IRQCHIP, SIGNAL_MSI,
 * resampling); with RVHV_CAP_IRQ_LINES none (aia_test tests the
 * device).
 */
TEST_F(dev, check_extension_aia_per_vm)
{
	struct kvm_enable_cap cap = { .cap = RVHV_CAP_AIA_DIRECT,
				      .args = { 1 } };
	int vm = ioctl(self->fd, KVM_CREATE_VM, 0);
	struct rvhv_host_features f;
	int ssaia;

	ASSERT_GE(vm, 0);
	ASSERT_EQ(0, ioctl(self->fd, RVHV_GET_HOST_FEATURES, &f));
	ssaia = !!(f.flags & RVHV_HOST_SSAIA);
	EXPECT_EQ(ssaia, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	EXPECT_EQ(ssaia, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI));
	EXPECT_EQ(ssaia, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE));
	ASSERT_EQ(0, ioctl(vm, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(0, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI));
	EXPECT_EQ(1, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	EXPECT_EQ(1, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE));
	EXPECT_EQ(4096, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING));
	EXPECT_EQ(ssaia, ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	cap.cap = RVHV_CAP_IRQ_LINES;
	ASSERT_EQ(0, ioctl(vm, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(0, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	EXPECT_EQ(0, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE));
	EXPECT_EQ(0, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING));
	close(vm);
}

/*
 * The host's /proc/cpuinfo line @key ("mmu", "isa") of the first hart,
 * with a '_' appended (so "_ext_" finds any extension), or "".
 */
static const char *cpuinfo_line(const char *key)
{
	static char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");

	line[0] = 0;
	if (!f)
		return line;
	while (fgets(line, sizeof(line) - 1, f))
		if (!strncmp(line, key, strlen(key)))
			break;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	strcat(line, "_");
	return line;
}

TEST_F(dev, host_features)
{
	struct rvhv_host_features f;
	const char *txt, *mmu, *isa;
	unsigned int i;
	bool has;

	memset(&f, 0xa5, sizeof(f));
	ASSERT_EQ(0, ioctl(self->fd, RVHV_GET_HOST_FEATURES, &f));
	EXPECT_TRUE(f.flags & RVHV_HOST_H);
	/* The test beds' QEMU (7.2, 10) implements Sstc. */
	EXPECT_TRUE(f.flags & RVHV_HOST_SSTC);
	/*
	 * QEMU's hgatp takes the modes its satp takes: all three on make
	 * check's host, Sv39x4 alone on check-matrix's Sv39-only one.
	 */
	mmu = cpuinfo_line("mmu");
	TH_LOG("cpuinfo: %s", mmu);
	if (strstr(mmu, "sv39")) {
		EXPECT_EQ(RVHV_GSTAGE_SV39X4, f.gstage_modes);
		EXPECT_EQ(8, f.gstage_mode);
		EXPECT_EQ(41, f.gpa_bits);
	} else if (strstr(mmu, "sv48")) {
		EXPECT_EQ(RVHV_GSTAGE_SV39X4 | RVHV_GSTAGE_SV48X4,
			  f.gstage_modes);
		EXPECT_EQ(9, f.gstage_mode);
		EXPECT_EQ(50, f.gpa_bits);
	} else {
		EXPECT_EQ(RVHV_GSTAGE_SV39X4 | RVHV_GSTAGE_SV48X4 |
			  RVHV_GSTAGE_SV57X4, f.gstage_modes);
		EXPECT_EQ(10, f.gstage_mode);
		EXPECT_EQ(59, f.gpa_bits);
	}
	/* Smstateen and Ssaia as the host's ISA string says. */
	isa = cpuinfo_line("isa");
	has = strstr(isa, "_smstateen_");
	EXPECT_EQ(has, !!(f.flags & RVHV_HOST_SMSTATEEN));
	has = strstr(isa, "_ssaia_");
	EXPECT_EQ(has, !!(f.flags & RVHV_HOST_SSAIA));
	EXPECT_LE(f.vmid_bits, 14);
	EXPECT_LE(f.vmid_bits_used, f.vmid_bits);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, f.reserved[i]);
	EXPECT_EQ(-1, ioctl(self->fd, RVHV_GET_HOST_FEATURES, NULL));
	EXPECT_EQ(EFAULT, errno);

	txt = rvhv_read_file(RVHV_DEBUGFS "features");
	ASSERT_NE(NULL, txt);
	EXPECT_EQ(f.gpa_bits, rvhv_field(txt, "gpa_bits"));
	EXPECT_EQ(f.vmid_bits, rvhv_field(txt, "vmid_bits"));
	EXPECT_NE(NULL, strstr(txt, f.gstage_mode == 8 ? "gstage_mode: sv39x4" :
				    f.gstage_mode == 9 ? "gstage_mode: sv48x4" :
				    "gstage_mode: sv57x4"));
}

TEST_F(dev, create_vm)
{
	char link[64], target[64];
	ssize_t n;
	int vm;

	vm = ioctl(self->fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	EXPECT_TRUE(fcntl(vm, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(vm, F_GETFL) & O_ACCMODE);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", vm);
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT_GT(n, 0);
	target[n] = '\0';
	EXPECT_STREQ("anon_inode:rvhv-vm", target);
	EXPECT_EQ(-1, ioctl(vm, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
	/* The VM fd is not a system fd. */
	EXPECT_EQ(-1, ioctl(vm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0, close(vm));
}

TEST_F(dev, create_vm_bad_type)
{
	EXPECT_EQ(-1, ioctl(self->fd, KVM_CREATE_VM, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, KVM_CREATE_VM, ~0UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, KVM_CREATE_VM, 1UL << 8));
	EXPECT_EQ(EINVAL, errno);
}

/* A VM belongs to the address space that created it. */
TEST_F(dev, vm_foreign_mm)
{
	int vm = ioctl(self->fd, KVM_CREATE_VM, 0);
	int status;
	pid_t pid;

	ASSERT_GE(vm, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_VM_GPA_BITS) != -1)
			_exit(1);
		_exit(errno == EIO ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Still usable by its owner. */
	EXPECT_LT(0, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_VM_GPA_BITS));
	close(vm);
}

/* Many VMs, created and closed: nothing stays behind. */
TEST_F_TIMEOUT(dev, vm_lifecycle_many, 120)
{
	enum { N = 500 };
	static int vms[N];
	long before = rvhv_nr_vms();
	int i;

	ASSERT_GE(before, 0);
	for (i = 0; i < N; i++) {
		vms[i] = ioctl(self->fd, KVM_CREATE_VM, 0);
		ASSERT_GE(vms[i], 0) TH_LOG("VM %d: %s", i, strerror(errno));
	}
	EXPECT_EQ(before + N, rvhv_nr_vms());
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, close(vms[i]));
	EXPECT_EQ(before, rvhv_nr_vms());
}

/* Running out of fds fails cleanly and leaks nothing. */
TEST_F(dev, vm_fd_exhaustion)
{
	struct rlimit rl = { 32, 32 };
	long before = rvhv_nr_vms();
	int fds[64], n = 0, i;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (;;) {
		int vm = ioctl(self->fd, KVM_CREATE_VM, 0);

		if (vm < 0) {
			EXPECT_EQ(EMFILE, errno);
			break;
		}
		ASSERT_LT(n, 64);
		fds[n++] = vm;
	}
	EXPECT_GT(n, 20);
	/* Free one fd so that debugfs can be read. */
	close(fds[--n]);
	EXPECT_EQ(before + n, rvhv_nr_vms());
	for (i = 0; i < n; i++)
		close(fds[i]);
	EXPECT_EQ(before, rvhv_nr_vms());
}

/* Closing /dev/rvhv does not take its VMs with it. */
TEST(vm_outlives_dev_fd)
{
	int fd = rvhv_open_dev(O_RDWR);
	int vm;

	ASSERT_GE(fd, 0);
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	close(fd);
	EXPECT_EQ(1, ioctl(vm, KVM_CHECK_EXTENSION,
			   KVM_CAP_CHECK_EXTENSION_VM));
	close(vm);
}

/* Every online hart carries rvhv's hypervisor set-up. */
TEST(percpu_setup)
{
	char want[256], line[256];
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "cpus");
	const char *p, *exp;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int ncpu = 0;

	ASSERT_NE(NULL, txt);
	exp = strstr(txt, "expected ");
	ASSERT_NE(NULL, exp);
	snprintf(want, sizeof(want), "%.*s", (int)strcspn(exp + 9, "\n"),
		 exp + 9);
	for (p = txt; (p = strstr(p, "cpu")) && p < exp; p++) {
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		ncpu++;
		EXPECT_NE(NULL, strstr(line, "enabled=1")) TH_LOG("%s", line);
		EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s vs %s", line,
							   want);
		p += strlen(line) - 1;
	}
	EXPECT_EQ(online, ncpu);
}

TEST_HARNESS_MAIN
