// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle: load and unload, the references VM fds hold, the
 * per-CPU set-up across unload, CPU hotplug and kvm.ko, and VMID
 * generations (also as the rvhv_vmid* tracepoints record them).  Every
 * test leaves rvhv.ko loaded with default parameters and kvm.ko
 * unloaded.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/rvhv.h>

#include "kselftest_harness.h"
#include "rvhv_util.h"

static int reload_rvhv(const char *params)
{
	int ret = rvhv_unload_module("rvhv");

	if (ret && ret != -ENOENT)
		return ret;
	return rvhv_load_module(RVHV_KO, params);
}

/* The hedeleg/hideleg found on cpu N (as "saved_" or live), or -1. */
static long cpu_csr(int cpu, const char *name)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "cpus");
	char key[32];
	const char *line, *p;

	if (!txt)
		return -1;
	snprintf(key, sizeof(key), "cpu%d ", cpu);
	line = strstr(txt, key);
	if (!line)
		return -1;
	snprintf(key, sizeof(key), " %s=", name);
	p = strstr(line, key);
	if (!p || p > strchr(line, '\n'))
		return -1;
	return strtol(p + strlen(key), NULL, 0);
}

static long expected(const char *name)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "cpus");
	char key[32];
	const char *p;

	p = txt ? strstr(txt, "expected ") : NULL;
	if (!p)
		return -1;
	snprintf(key, sizeof(key), "%s=", name);
	p = strstr(p, key);
	return p ? strtol(p + strlen(key), NULL, 0) : -1;
}

TEST(unload_blocked_by_dev_fd)
{
	int fd = rvhv_open_dev(O_RDWR);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	close(fd);
	ASSERT_EQ(0, rvhv_unload_module("rvhv"));
	EXPECT_EQ(-1, access("/dev/rvhv", F_OK));
	ASSERT_EQ(0, rvhv_load_module(RVHV_KO, ""));
	EXPECT_EQ(0, access("/dev/rvhv", F_OK));
}

/* A VM fd pins the module even after /dev/rvhv is closed. */
TEST(unload_blocked_by_vm_fd)
{
	int fd = rvhv_open_dev(O_RDWR);
	int vm;

	ASSERT_GE(fd, 0);
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, rvhv_unload_module("rvhv"));
	EXPECT_EQ(1, ioctl(vm, KVM_CHECK_EXTENSION,
			   KVM_CAP_CHECK_EXTENSION_VM));
	close(vm);
	EXPECT_EQ(0, rvhv_unload_module("rvhv"));
	ASSERT_EQ(0, rvhv_load_module(RVHV_KO, ""));
}

TEST(double_load)
{
	EXPECT_EQ(-EEXIST, rvhv_load_module(RVHV_KO, ""));
}

/*
 * 10 cycles: well inside the harness's default 30 s when quiet, not on a
 * machine at load 20; a fixture only for its longer limit.
 */
FIXTURE(cycles) {
};

FIXTURE_SETUP(cycles)
{
}

FIXTURE_TEARDOWN(cycles)
{
}

TEST_F_TIMEOUT(cycles, load_unload_cycles, 120)
{
	int i;

	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, rvhv_unload_module("rvhv")) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, rvhv_load_module(RVHV_KO, ""));
	}
}

/* Unloading puts back the hypervisor CSRs rvhv found. */
TEST(unload_undoes_percpu_setup)
{
	ASSERT_EQ(0, reload_rvhv(""));
	/* Nothing had set the harts up before rvhv: it found zeros... */
	EXPECT_EQ(0, cpu_csr(0, "saved_hedeleg"));
	EXPECT_EQ(0, cpu_csr(1, "saved_hideleg"));
	EXPECT_EQ(expected("hedeleg"), cpu_csr(1, "hedeleg"));
	/* ...and after an unload, the next load finds zeros again. */
	ASSERT_EQ(0, reload_rvhv(""));
	EXPECT_EQ(0, cpu_csr(0, "saved_hedeleg"));
	EXPECT_EQ(0, cpu_csr(1, "saved_hedeleg"));
}

static int set_online(int cpu, int on)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return rvhv_write_file(path, on ? "1" : "0");
}

TEST(cpu_hotplug)
{
	ASSERT_EQ(0, set_online(1, 0));
	EXPECT_EQ(-1, cpu_csr(1, "hedeleg"));
	ASSERT_EQ(0, set_online(1, 1));
	EXPECT_EQ(expected("hedeleg"), cpu_csr(1, "hedeleg"));
	EXPECT_EQ(expected("hideleg"), cpu_csr(1, "hideleg"));
	EXPECT_EQ(expected("hcounteren"), cpu_csr(1, "hcounteren"));
	/* Going offline handed the hart back clean. */
	EXPECT_EQ(0, cpu_csr(1, "saved_hedeleg"));
	/* And the module still unloads and loads. */
	ASSERT_EQ(0, reload_rvhv(""));
	EXPECT_EQ(expected("hedeleg"), cpu_csr(1, "hedeleg"));
}

/* kvm.ko and rvhv.ko loaded together, in either order. */
TEST(coexist_with_kvm)
{
	int kvm;

	ASSERT_EQ(0, rvhv_load_module(KVM_KO, ""));
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(kvm, 0);
	EXPECT_EQ(KVM_API_VERSION, ioctl(kvm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(expected("hedeleg"), cpu_csr(0, "hedeleg"));
	EXPECT_EQ(expected("hideleg"), cpu_csr(1, "hideleg"));
	close(kvm);

	/* rvhv leaves kvm.ko's set-up in place when it goes... */
	ASSERT_EQ(0, reload_rvhv(""));
	EXPECT_EQ(expected("hedeleg"), cpu_csr(0, "saved_hedeleg"));
	EXPECT_EQ(expected("hideleg"), cpu_csr(1, "saved_hideleg"));

	/* ...and kvm.ko's unload leaves rvhv loadable and whole. */
	ASSERT_EQ(0, rvhv_unload_module("kvm"));
	ASSERT_EQ(0, reload_rvhv(""));
	EXPECT_EQ(0, cpu_csr(0, "saved_hedeleg"));
	EXPECT_EQ(expected("hedeleg"), cpu_csr(0, "hedeleg"));
	EXPECT_EQ(expected("hedeleg"), cpu_csr(1, "hedeleg"));
}

static long vm_vmid(const char *txt, int nth, long *gen)
{
	char key[32];
	const char *p = txt;
	int i;

	snprintf(key, sizeof(key), "vm pid=%d ", getpid());
	for (i = 0; i <= nth; i++) {
		p = strstr(p, key);
		if (!p)
			return -1;
		p += strlen(key);
	}
	*gen = strtol(strstr(p, "generation=") + 11, NULL, 0);
	return strtol(strstr(p, "vmid=") + 5, NULL, 0);
}

/*
 * Turn rvhv's VMID tracepoints on (recording from scratch) or off.
 * Returns 0 or -errno.
 */
static int trace_vmids(const char *tfs, bool on)
{
	static const char *const files[] = {
		"events/rvhv/rvhv_vmid/enable",
		"events/rvhv/rvhv_vmid_rollover/enable",
	};
	char path[128];
	int i, fd, ret;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", tfs, files[i]);
		ret = rvhv_write_file(path, on ? "1" : "0");
		if (ret)
			return ret;
	}
	/* Opening "trace" with O_TRUNC empties the buffer. */
	snprintf(path, sizeof(path), "%strace", tfs);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * With 2 VMID bits, VMIDs 1..3 are handed out, then a new generation.
 * The tracepoints see each VMID as it is handed out, and the rollover.
 */
TEST(vmid_generations)
{
	struct rvhv_host_features f;
	int fd, vm[5], i;
	const char *txt, *tfs;
	long gen[5], vmid[5], gen0;
	char want[64];

	ASSERT_EQ(0, reload_rvhv("max_vmid_bits=2"));
	tfs = rvhv_tracefs();
	ASSERT_NE(NULL, tfs);
	ASSERT_EQ(0, trace_vmids(tfs, true));
	fd = rvhv_open_dev(O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, RVHV_GET_HOST_FEATURES, &f));
	if (f.vmid_bits < 2) {
		close(fd);
		ASSERT_EQ(0, reload_rvhv(""));
		SKIP(return, "hardware has %u VMID bits", f.vmid_bits);
	}
	EXPECT_EQ(2, f.vmid_bits_used);
	gen0 = rvhv_field(rvhv_read_file(RVHV_DEBUGFS "vms"), "generation");
	for (i = 0; i < 5; i++) {
		vm[i] = ioctl(fd, KVM_CREATE_VM, 0);
		ASSERT_GE(vm[i], 0);
	}
	txt = rvhv_read_file(RVHV_DEBUGFS "vms");
	for (i = 0; i < 5; i++)
		vmid[i] = vm_vmid(txt, i, &gen[i]);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i + 1, vmid[i]);
		EXPECT_EQ(gen0, gen[i]);
	}
	EXPECT_EQ(1, vmid[3]);
	EXPECT_EQ(2, vmid[4]);
	EXPECT_EQ(gen0 + 1, gen[3]);
	EXPECT_EQ(gen0 + 1, gen[4]);
	EXPECT_EQ(gen0 + 1, rvhv_field(txt, "generation"));

	snprintf(want, sizeof(want), "%strace", tfs);
	txt = rvhv_read_file(want);
	ASSERT_NE(NULL, txt);
	for (i = 0; i < 5 && txt; i++) {
		if (i == 3) {
			snprintf(want, sizeof(want),
				 "rvhv_vmid_rollover: gen=%ld bits=2\n",
				 gen0 + 1);
			txt = strstr(txt, want);
			EXPECT_NE(NULL, txt) TH_LOG("no \"%s\"", want);
		}
		snprintf(want, sizeof(want), "rvhv_vmid: vmid=%ld gen=%ld\n",
			 vmid[i], gen[i]);
		txt = txt ? strstr(txt, want) : NULL;
		EXPECT_NE(NULL, txt) TH_LOG("VM %d: no \"%s\"", i, want);
	}
	EXPECT_EQ(0, trace_vmids(tfs, false));
	for (i = 0; i < 5; i++)
		close(vm[i]);
	close(fd);
	ASSERT_EQ(0, reload_rvhv(""));
}

TEST(bad_module_parameter)
{
	ASSERT_EQ(0, rvhv_unload_module("rvhv"));
	EXPECT_EQ(-EINVAL, rvhv_load_module(RVHV_KO, "max_vmid_bits=banana"));
	EXPECT_EQ(-1, access("/dev/rvhv", F_OK));
	ASSERT_EQ(0, rvhv_load_module(RVHV_KO, ""));
}

TEST_HARNESS_MAIN
