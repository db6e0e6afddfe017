// SPDX-License-Identifier: GPL-2.0
/*
 * VMIDs and TLB isolation (mmu/vmid.c, mmu/tlb.c, mmu/fence.c):
 *  - no VMID bits (max_vmid_bits=0): guests run, VMs switching on a CPU;
 *  - a VMID rollover storm (max_vmid_bits=1): VMs created over and over
 *    while vCPUs of other VMs check their memory and make calls that read
 *    guest memory with HLV;
 *  - an rvhv guest and a kvm.ko guest time-sharing CPU 0, both holding
 *    VMID 1;
 *  - two vCPUs of one VM on one CPU, mapping one guest virtual address
 *    each to its own page (VS-stage TLB entries);
 *  - a storm of remote fences from one VM while another runs: what it
 *    costs in IPIs (debugfs), single and batched, and G-stage unmaps.
 * QEMU flushes its whole TLB whenever hgatp is written, so the guests'
 * own checks cannot fail there: rvhv is reloaded with debug_checks=1,
 * which checks hgatp and the TLB ownership rules on every guest entry and
 * HLV (a WARN_ONCE fails the run).  Tests that use rvhv's module
 * parameters, debugfs or kvm.ko SKIP on kvm.ko; two_vcpus_one_cpu runs on
 * both.  Every test leaves rvhv loaded with default parameters and
 * kvm.ko as it found it.  Figures are reported (TH_LOG), not asserted.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "smp_lib.h"
#include "guest/vmid_abi.h"

/* Each test sets up its own VMs; a fixture only for the longer timeout. */
FIXTURE(vmid) {
};

FIXTURE_SETUP(vmid)
{
}

FIXTURE_TEARDOWN(vmid)
{
}

/* A VM of n vCPUs (smp_lib) with the test's slot at GUEST_EXTRA. */
struct vvm {
	struct smp_vm s;
	void *extra;
};

static void vvm_create(struct vvm *v, int n, unsigned long tag,
		       unsigned long flags)
{
	smp_vm_create(&v->s, n);
	v->extra = vm_add_mem(v->s.vm, 1, GUEST_EXTRA, VMID_SLOT_SIZE, 0);
	v->s.sh->arg[0] = tag;
	v->s.sh->arg[1] = VMID_PAT_PAGES;
	v->s.sh->arg[2] = flags;
	v->s.sh->legacy_mask = -1UL;
}

static bool on_rvhv(void)
{
	return !dev_is_kvm();
}

/*
 * Unload a module whose last user may still be going away (kvm.ko frees
 * a VM when its last fd closes; a program killed just before may still
 * be tearing its VMs down): allow it two seconds.
 */
static int unload_module_wait(const char *name)
{
	int i, ret = 0;

	for (i = 0; i < 100; i++) {
		ret = rvhv_unload_module(name);
		if (ret != -EWOULDBLOCK && ret != -EAGAIN)
			break;
		usleep(20000);
	}
	return ret;
}

static int reload_rvhv(const char *params)
{
	int ret = unload_module_wait("rvhv");

	if (ret && ret != -ENOENT)
		return ret;
	return rvhv_load_module(RVHV_KO, params);
}

static int unload_kvm(void)
{
	return unload_module_wait("kvm");
}

static void pin_thread(pthread_t thr, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(thr, sizeof(set), &set))
		vm_fail("pthread_setaffinity_np(cpu %d) failed", cpu);
}

static void pin_self(int cpu)
{
	pin_thread(pthread_self(), cpu);
}

static void unpin_self(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Field "key=N" of the n-th (from 0) "vm pid=<ours>" line of debugfs vms. */
static long vm_field(int nth, const char *key)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "vms");
	char pid[32], k[32];
	const char *p = txt, *end;
	int i;

	if (!txt)
		return -1;
	snprintf(pid, sizeof(pid), "vm pid=%d ", getpid());
	for (i = 0; i <= nth; i++) {
		p = strstr(p, pid);
		if (!p)
			return -1;
		p += strlen(pid);
	}
	end = strchr(p, '\n');
	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(p - 1, k);
	if (!p || (end && p > end))
		return -1;
	return strtol(p + strlen(k), NULL, 0);
}

/* Field "key=N" of debugfs tlb's line for cpu (-1: the sum over CPUs). */
static long tlb_field(int cpu, const char *key)
{
	const char *txt = rvhv_read_file(RVHV_DEBUGFS "tlb");
	char c[16], k[32];
	const char *line, *p, *end;
	long sum = 0;

	if (!txt)
		return -1;
	snprintf(k, sizeof(k), " %s=", key);
	for (line = strstr(txt, "\ncpu"); line; line = strstr(line, "\ncpu")) {
		line++;
		snprintf(c, sizeof(c), "cpu%d ", cpu);
		end = strchr(line, '\n');
		p = strstr(line, k);
		if (!p || (end && p > end))
			return -1;
		if (cpu < 0)
			sum += strtol(p + strlen(k), NULL, 0);
		else if (!strncmp(line, c, strlen(c)))
			return strtol(p + strlen(k), NULL, 0);
	}
	return cpu < 0 ? sum : -1;
}

/* Run vCPU 0 of each VM in its own thread (the others: HSM-started). */
static void vvm_start(struct vvm *v, uint64_t fn, uint64_t a0, uint64_t a1)
{
	int i;

	vcpu_start(v->s.vcpu[0], fn, a0, a1);
	for (i = 0; i < v->s.n; i++)
		vcpu_thread_start(&v->s.thr[i], v->s.vcpu[i]);
}

static unsigned long rounds(struct vvm *v, int h)
{
	return v->s.sh->counter[h];
}

/*
 * Wait (up to 20 s: a busy host may starve the guest for a while) until
 * hart h of v counts more than last rounds (or has finished); the
 * count.
 */
static unsigned long wait_rounds(struct vvm *v, int h, unsigned long last)
{
	uint64_t end = now_ns() + 20000000000ULL;

	while (rounds(v, h) <= last && !v->s.thr[h].done && now_ns() < end)
		usleep(10000);
	return rounds(v, h);
}

/*
 * Tell the guest to stop; wait for hart 0's UCALL_DONE; its value.  Hart
 * 0 first gets its wait_rounds() to finish a round: its first pass writes
 * every page (a G-stage fault each, several times dearer on kvm.ko),
 * which on a busy CI host took longer than a test's whole run, and a
 * guest stopped before it counts no round at all.
 */
static unsigned long vvm_stop(struct vvm *v)
{
	unsigned long ret;
	int i;

	wait_rounds(v, 0, 0);
	v->s.sh->host_flag[0] = 1;
	ret = vcpu_thread_join(&v->s.thr[0], 60);
	for (i = 1; i < v->s.n; i++)
		vcpu_thread_stop(&v->s.thr[i]);
	return ret;
}

/*
 * make check's stress phases are short; RVHV_STRESS=N (make fuzz sets 10)
 * makes each N times longer.
 */
static unsigned int stress_scale(void)
{
	const char *s = getenv("RVHV_STRESS");
	int n = s ? atoi(s) : 1;

	return n < 1 ? 1 : n > 1000 ? 1000 : n;
}

/*
 * Let the guests run for ms milliseconds, times the stress scale (a
 * failing vCPU thread exits).
 */
static void run_for(unsigned int ms)
{
	usleep(ms * 1000 * stress_scale());
}

/*
 * max_vmid_bits=0: every VM uses VMID 0 with the generation of its
 * creation, and a vCPU enters the guest (before the fix, KVM_RUN spun
 * forever: the VM's generation stayed 0, the allocator's was 1).  Two VMs
 * share CPU 0, so the VMID 0 entries of one must be gone when the other
 * runs (a full flush at every load).
 */
TEST_F_TIMEOUT(vmid, no_vmid_bits, 120)
{
	struct rvhv_host_features f;
	struct vvm a, b;
	int fd;

	if (!on_rvhv())
		SKIP(return, "max_vmid_bits is rvhv's");
	vm_watchdog(90);
	ASSERT_EQ(0, reload_rvhv("max_vmid_bits=0 debug_checks=1"));
	fd = rvhv_open_dev(O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, RVHV_GET_HOST_FEATURES, &f));
	close(fd);
	TH_LOG("hardware VMID bits %u (probed with G-stage mode %u), used %u",
	       f.vmid_bits, f.gstage_mode, f.vmid_bits_used);
	EXPECT_EQ(0, f.vmid_bits_used);

	pin_self(0);
	vvm_create(&a, 1, 0xa, VMID_F_LEGACY | VMID_F_RFENCE);
	vvm_create(&b, 1, 0xb, VMID_F_LEGACY);
	EXPECT_EQ(0, vm_field(0, "vmid"));
	EXPECT_EQ(0, vm_field(1, "vmid"));
	EXPECT_EQ(vm_field(0, "generation"), vm_field(1, "generation"));
	vvm_start(&a, GUEST_FN(guest_vmid_pattern), 0, 0);
	vvm_start(&b, GUEST_FN(guest_vmid_pattern), 0, 0);
	run_for(800);
	EXPECT_LT(0, vvm_stop(&a));
	EXPECT_LT(0, vvm_stop(&b));
	TH_LOG("rounds: VM a %lu, VM b %lu; VMID flushes on cpu0: %ld",
	       rounds(&a, 0), rounds(&b, 0), tlb_field(0, "vmid_flushes"));
	smp_vm_free(&a.s);
	smp_vm_free(&b.s);
	unpin_self();
	ASSERT_EQ(0, reload_rvhv(""));
}

/*
 * max_vmid_bits=1: one VMID.  Two VMs (one of two vCPUs) check their
 * memory patterns and make legacy SBI calls whose hart mask rvhv reads
 * with HLV.D (and remote fences), while this thread creates and closes
 * VMs as fast as it can: nearly every VM creation and every switch
 * between the running VMs is a rollover.  debug_checks catches a guest
 * entry or an HLV with a VMID of an old generation (vcpu_load used to
 * write one, and the VMID and generation were published unordered).
 */
TEST_F_TIMEOUT(vmid, rollover_storm, 120)
{
	struct vvm a, b;
	long gen0, gen1;
	int fd, vm, n = 0;
	uint64_t end;

	if (!on_rvhv())
		SKIP(return, "max_vmid_bits is rvhv's");
	vm_watchdog(90);
	ASSERT_EQ(0, reload_rvhv("max_vmid_bits=1 debug_checks=1"));
	vvm_create(&a, 2, 0xa, VMID_F_LEGACY | VMID_F_RFENCE);
	vvm_create(&b, 1, 0xb, VMID_F_LEGACY);
	gen0 = rvhv_field(rvhv_read_file(RVHV_DEBUGFS "vms"), "generation");
	vvm_start(&a, GUEST_FN(guest_vmid_pair), 0, 0);
	vvm_start(&b, GUEST_FN(guest_vmid_pattern), 0, 0);

	fd = rvhv_open_dev(O_RDWR);
	ASSERT_GE(fd, 0);
	end = now_ns() + 2000000000ULL * stress_scale();
	while (now_ns() < end) {
		vm = ioctl(fd, KVM_CREATE_VM, 0);
		ASSERT_GE(vm, 0);
		close(vm);
		n++;
	}
	close(fd);
	gen1 = rvhv_field(rvhv_read_file(RVHV_DEBUGFS "vms"), "generation");
	EXPECT_LT(0, vvm_stop(&a));
	EXPECT_LT(0, vvm_stop(&b));
	EXPECT_LT(0, rounds(&a, 1));
	TH_LOG("%d VMs created, %ld generations; rounds: a %lu/%lu, b %lu",
	       n, gen1 - gen0, rounds(&a, 0), rounds(&a, 1), rounds(&b, 0));
	EXPECT_LE(n, gen1 - gen0);
	smp_vm_free(&a.s);
	smp_vm_free(&b.s);
	ASSERT_EQ(0, reload_rvhv(""));
}

/*
 * An rvhv guest and a kvm.ko guest time-sharing CPU 0, each the first VM
 * of its hypervisor: both hold VMID 1.  kvm.ko flushes nothing when its
 * vCPU comes back to a CPU it ran on; rvhv must notice that kvm.ko ran
 * (hgatp changed: rule 1 of mmu/tlb.c) and flush, and must flush its
 * own VMID when it leaves the CPU while kvm.ko is loaded.  Each guest
 * checks its memory pattern; debug_checks checks rvhv's side.
 */
TEST_F_TIMEOUT(vmid, kvm_time_share, 120)
{
	bool loaded_kvm = false;
	struct vvm r, k;
	long sweeps;
	int ret;

	if (!on_rvhv())
		SKIP(return, "needs both /dev/rvhv and /dev/kvm");
	vm_watchdog(90);
	ASSERT_EQ(0, reload_rvhv("debug_checks=1"));
	ret = rvhv_load_module(KVM_KO, "");
	if (ret == -ENOENT)
		SKIP(reload_rvhv(""); return, "no %s", KVM_KO);
	ASSERT_TRUE(!ret || ret == -EEXIST);
	loaded_kvm = !ret;
	if (loaded_kvm) {
		/* kvm.ko's arrival swept every CPU before its init ran. */
		sweeps = tlb_field(-1, "sweeps");
		EXPECT_LE(2, sweeps);
	}
	EXPECT_EQ(1, rvhv_field(rvhv_read_file(RVHV_DEBUGFS "tlb"),
				"foreign_hypervisor"));

	pin_self(0);
	setenv("RVHV_DEV", "/dev/kvm", 1);
	vvm_create(&k, 1, 0xc, VMID_F_RFENCE);	/* kvm.ko: no SBI v0.1 */
	unsetenv("RVHV_DEV");
	vvm_create(&r, 1, 0xd, VMID_F_LEGACY | VMID_F_RFENCE);
	EXPECT_EQ(1, vm_field(0, "vmid"));
	vvm_start(&k, GUEST_FN(guest_vmid_pattern), 0, 0);
	vvm_start(&r, GUEST_FN(guest_vmid_pattern), 0, 0);
	run_for(1000);
	EXPECT_LT(0, vvm_stop(&k));
	EXPECT_LT(0, vvm_stop(&r));
	TH_LOG("rounds: kvm.ko %lu, rvhv %lu; cpu0: hgatp found changed %ld times, %ld flushes at vcpu_put",
	       rounds(&k, 0), rounds(&r, 0), tlb_field(0, "foreign"),
	       tlb_field(0, "put_flushes"));
	/* kvm.ko ran on CPU 0 between rvhv's vCPU loads: both rules fired. */
	EXPECT_LT(0, tlb_field(0, "foreign"));
	EXPECT_LT(0, tlb_field(0, "put_flushes"));
	smp_vm_free(&k.s);
	smp_vm_free(&r.s);
	unpin_self();
	if (loaded_kvm)
		EXPECT_EQ(0, unload_kvm());
	ASSERT_EQ(0, reload_rvhv(""));
}

/*
 * Two vCPUs of one VM on CPU 0, each mapping VMID_VS_VA (same ASID) to its
 * own page: a vCPU that found the other's VS-stage TLB entry would read
 * the wrong page.  rvhv flushes the VM's VS-stage entries when another of
 * its vCPUs is loaded on a CPU (rule 4 of mmu/tlb.c).  Also on kvm.ko.
 */
TEST_F_TIMEOUT(vmid, two_vcpus_one_cpu, 120)
{
	struct vvm v;

	vm_watchdog(90);
	if (on_rvhv())
		ASSERT_EQ(0, reload_rvhv("debug_checks=1"));
	pin_self(0);
	vvm_create(&v, 2, 0xe, 0);
	vvm_start(&v, GUEST_FN(guest_vmid_pair), 1, 0);
	pin_thread(v.s.thr[0].thr, 0);
	pin_thread(v.s.thr[1].thr, 0);
	run_for(1000);
	EXPECT_LT(0, vvm_stop(&v));
	EXPECT_LT(0, rounds(&v, 1));
	TH_LOG("rounds: vCPU 0 %lu, vCPU 1 %lu", rounds(&v, 0), rounds(&v, 1));
	if (on_rvhv()) {
		TH_LOG("cpu0: %ld flushes for another vCPU or a move",
		       tlb_field(0, "vcpu_flushes"));
		EXPECT_LT(0, tlb_field(0, "vcpu_flushes"));
	}
	smp_vm_free(&v.s);
	unpin_self();
	if (on_rvhv())
		ASSERT_EQ(0, reload_rvhv(""));
}

struct fstat {
	long reqs, fences, ipis;
};

static struct fstat fence_stat(int nth)
{
	struct fstat s = {
		.reqs = vm_field(nth, "fence_reqs"),
		.fences = vm_field(nth, "fences"),
		.ipis = vm_field(nth, "fence_ipis"),
	};

	return s;
}

#define STORM_BATCHES	100
#define STORM_SINGLES	200

/*
 * VM q (CPU 1) checks its memory while VM s (CPU 0, after a first run on
 * CPU 1) issues remote sfence.vma to all its harts: STORM_BATCHES batches
 * of 64, then STORM_SINGLES single calls.  s has no vCPU on CPU 1, so its
 * fences send no IPI there (they used to go to every CPU s ever ran on,
 * and G-stage unmaps to every CPU), and a batch of 64 is one fence.  Then
 * s with a second vCPU spinning on CPU 1: at most one IPI per (coalesced)
 * fence.
 */
TEST_F_TIMEOUT(vmid, rfence_storm, 120)
{
	struct fstat s0, s1, s2, s3;
	struct vvm q, s, p;
	struct ucall uc;
	uint64_t t0, t1, t2;
	unsigned long q0, q1;
	long stale0;

	if (!on_rvhv())
		SKIP(return, "debugfs and RVHV_CAP_SBI_BATCH are rvhv's");
	vm_watchdog(90);
	ASSERT_EQ(0, reload_rvhv("debug_checks=1"));

	vvm_create(&q, 1, 0xf, 0);		/* VM 0 */
	vvm_create(&s, 1, 0x10, 0);		/* VM 1 */
	ASSERT_EQ(0, vm_enable_cap_try(s.s.vm, RVHV_CAP_SBI_BATCH, 1));
	vvm_start(&q, GUEST_FN(guest_vmid_pattern), 0, 0);
	pin_thread(q.s.thr[0].thr, 1);

	/* s first runs on CPU 1 (to SYNC(0)), then stays on CPU 0. */
	pin_self(1);
	vcpu_start(s.s.vcpu[0], GUEST_FN(guest_vmid_storm), STORM_BATCHES,
		   STORM_SINGLES);
	vcpu_expect_ucall(s.s.vcpu[0], UCALL_SYNC, &uc);
	ASSERT_EQ(0, uc.args[0]);
	pin_self(0);
	s0 = fence_stat(1);
	q0 = rounds(&q, 0);
	t0 = now_ns();
	vcpu_expect_ucall(s.s.vcpu[0], UCALL_SYNC, &uc);
	ASSERT_EQ(1, uc.args[0]);
	t1 = now_ns();
	s1 = fence_stat(1);
	vcpu_expect_ucall(s.s.vcpu[0], UCALL_SYNC, &uc);
	ASSERT_EQ(2, uc.args[0]);
	t2 = now_ns();
	s2 = fence_stat(1);
	q1 = rounds(&q, 0);
	EXPECT_EQ(0, vcpu_run_to_done(s.s.vcpu[0]));

	TH_LOG("%d batches of 64: %ld fences asked, %ld done, %ld IPIs, %llu us per batch",
	       STORM_BATCHES, s1.reqs - s0.reqs, s1.fences - s0.fences,
	       s1.ipis - s0.ipis,
	       (unsigned long long)(t1 - t0) / 1000 / STORM_BATCHES);
	TH_LOG("%d single fences: %ld done, %ld IPIs, %llu us each",
	       STORM_SINGLES, s2.fences - s1.fences, s2.ipis - s1.ipis,
	       (unsigned long long)(t2 - t1) / 1000 / STORM_SINGLES);
	TH_LOG("VM q meanwhile on CPU 1: %lu rounds in %llu ms", q1 - q0,
	       (unsigned long long)(t2 - t0) / 1000000);
	EXPECT_EQ(64 * STORM_BATCHES, s1.reqs - s0.reqs);
	EXPECT_EQ(STORM_BATCHES, s1.fences - s0.fences);
	EXPECT_EQ(STORM_SINGLES, s2.fences - s1.fences);
	/* No vCPU of s on CPU 1: no IPI to q's CPU. */
	EXPECT_EQ(0, s2.ipis - s0.ipis);

	/*
	 * s not running anywhere: unmapping its memory fences nobody now;
	 * the CPU it next runs on flushes first (a stale flush).
	 */
	stale0 = tlb_field(-1, "stale_flushes");
	ASSERT_EQ(0, madvise(s.extra, VMID_SLOT_SIZE, MADV_DONTNEED));
	s3 = fence_stat(1);
	EXPECT_LE(1, s3.reqs - s2.reqs);
	EXPECT_EQ(0, s3.ipis - s2.ipis);
	vcpu_start(s.s.vcpu[0], GUEST_FN(guest_vmid_storm), 0, 0);
	vcpu_expect_ucall(s.s.vcpu[0], UCALL_SYNC, &uc);
	EXPECT_LT(stale0, tlb_field(-1, "stale_flushes"));
	EXPECT_EQ(0, vcpu_run_to_done(s.s.vcpu[0]));
	TH_LOG("G-stage unmap of an idle VM: %ld IPIs, %ld stale flushes later",
	       s3.ipis - s2.ipis, tlb_field(-1, "stale_flushes") - stale0);

	EXPECT_LT(0, vvm_stop(&q));

	/* A VM with a vCPU spinning on CPU 1 and the storm on CPU 0. */
	vvm_create(&p, 2, 0x11, 0);		/* VM 2 */
	ASSERT_EQ(0, vm_enable_cap_try(p.s.vm, RVHV_CAP_SBI_BATCH, 1));
	vcpu_thread_start(&p.s.thr[1], p.s.vcpu[1]);
	pin_thread(p.s.thr[1].thr, 1);
	vcpu_start(p.s.vcpu[0], GUEST_FN(guest_vmid_storm_pair),
		   STORM_BATCHES, STORM_SINGLES);
	vcpu_expect_ucall(p.s.vcpu[0], UCALL_SYNC, &uc);
	s0 = fence_stat(2);
	q0 = rounds(&p, 1);
	t0 = now_ns();
	vcpu_expect_ucall(p.s.vcpu[0], UCALL_SYNC, &uc);
	t1 = now_ns();
	s1 = fence_stat(2);
	vcpu_expect_ucall(p.s.vcpu[0], UCALL_SYNC, &uc);
	t2 = now_ns();
	s2 = fence_stat(2);
	q1 = rounds(&p, 1);
	p.s.sh->host_flag[0] = 1;
	EXPECT_EQ(0, vcpu_run_to_done(p.s.vcpu[0]));
	TH_LOG("with a vCPU on CPU 1: %d batches: %ld fences, %ld IPIs, %llu us per batch; %d singles: %ld IPIs, %llu us each",
	       STORM_BATCHES, s1.fences - s0.fences, s1.ipis - s0.ipis,
	       (unsigned long long)(t1 - t0) / 1000 / STORM_BATCHES,
	       STORM_SINGLES, s2.ipis - s1.ipis,
	       (unsigned long long)(t2 - t1) / 1000 / STORM_SINGLES);
	TH_LOG("its vCPU 1 meanwhile: %lu loops in %llu ms", q1 - q0,
	       (unsigned long long)(t2 - t0) / 1000000);
	EXPECT_EQ(STORM_BATCHES, s1.fences - s0.fences);
	EXPECT_LE(s1.ipis - s0.ipis, STORM_BATCHES);

	smp_vm_free(&p.s);
	smp_vm_free(&s.s);
	smp_vm_free(&q.s);
	unpin_self();
	ASSERT_EQ(0, reload_rvhv(""));
}

static int set_online(int cpu, int on)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return rvhv_write_file(path, on ? "1" : "0");
}

#define COEXIST_ROUNDS	(2 * stress_scale())

/*
 * kvm.ko loaded, used and unloaded again and again while an rvhv VM of
 * two vCPUs checks its memory pattern: kvm.ko's arrival and departure
 * (its per-CPU hardware enable and disable, the CSRs it programs and
 * clears) must not disturb a running rvhv guest, and rvhv must stop
 * treating the CPUs as shared once kvm.ko is gone.
 */
TEST_F_TIMEOUT(vmid, kvm_reload_while_running, 120)
{
	unsigned long last = 0;
	struct vvm r, k;
	int i, ret;

	if (!on_rvhv())
		SKIP(return, "needs both /dev/rvhv and /dev/kvm");
	vm_watchdog(90);
	ASSERT_EQ(0, reload_rvhv("debug_checks=1"));
	ret = unload_kvm();
	ASSERT_TRUE(!ret || ret == -ENOENT);
	vvm_create(&r, 2, 0x12, VMID_F_LEGACY | VMID_F_RFENCE);
	vvm_start(&r, GUEST_FN(guest_vmid_pair), 0, 0);
	for (i = 0; i < COEXIST_ROUNDS; i++) {
		ret = rvhv_load_module(KVM_KO, "");
		if (ret == -ENOENT)
			break;
		ASSERT_EQ(0, ret);
		EXPECT_EQ(1, rvhv_field(rvhv_read_file(RVHV_DEBUGFS "tlb"),
					"foreign_hypervisor"));
		setenv("RVHV_DEV", "/dev/kvm", 1);
		vvm_create(&k, 1, 0x13, VMID_F_RFENCE);
		unsetenv("RVHV_DEV");
		vvm_start(&k, GUEST_FN(guest_vmid_pattern), 0, 0);
		EXPECT_LT(0, wait_rounds(&k, 0, 0));
		EXPECT_LT(0, vvm_stop(&k));
		smp_vm_free(&k.s);
		ASSERT_EQ(0, unload_kvm());
		EXPECT_EQ(0, rvhv_field(rvhv_read_file(RVHV_DEBUGFS "tlb"),
					"foreign_hypervisor"));
		/* The rvhv guest kept going through it all. */
		EXPECT_LT(last, wait_rounds(&r, 0, last));
		last = rounds(&r, 0);
	}
	TH_LOG("%d kvm.ko load/run/unload rounds; rvhv guest: %lu rounds",
	       i, rounds(&r, 0));
	EXPECT_LT(0, vvm_stop(&r));
	EXPECT_LT(0, rounds(&r, 1));
	smp_vm_free(&r.s);
	ASSERT_EQ(0, reload_rvhv(""));
	if (i == 0)
		SKIP(return, "no %s", KVM_KO);
}

/*
 * CPU 1 taken offline and brought back while two vCPUs run and check
 * their memory pattern (and, on rvhv, while a kvm.ko guest runs too):
 * the vCPU threads move to CPU 0 and back, rvhv's per-CPU state on CPU 1
 * is torn down and set up again (hotplug callbacks), and no guest loses
 * data or stops.
 */
TEST_F_TIMEOUT(vmid, hotplug_while_running, 120)
{
	unsigned long last = 0;
	bool kvm = false;
	struct vvm r, k;
	int i, ret;

	if (access("/sys/devices/system/cpu/cpu1/online", W_OK))
		SKIP(return, "CPU 1 cannot go offline here");
	vm_watchdog(90);
	if (on_rvhv()) {
		ASSERT_EQ(0, reload_rvhv("debug_checks=1"));
		ret = rvhv_load_module(KVM_KO, "");
		ASSERT_TRUE(!ret || ret == -EEXIST || ret == -ENOENT);
		kvm = !ret;
	}
	vvm_create(&r, 2, 0x14, on_rvhv() ? VMID_F_LEGACY | VMID_F_RFENCE :
					    VMID_F_RFENCE);
	vvm_start(&r, GUEST_FN(guest_vmid_pair), 0, 0);
	if (kvm) {
		setenv("RVHV_DEV", "/dev/kvm", 1);
		vvm_create(&k, 1, 0x15, VMID_F_RFENCE);
		unsetenv("RVHV_DEV");
		vvm_start(&k, GUEST_FN(guest_vmid_pattern), 0, 0);
	}
	for (i = 0; i < COEXIST_ROUNDS; i++) {
		run_for(200 / stress_scale());
		ASSERT_EQ(0, set_online(1, 0));
		run_for(200 / stress_scale());
		ASSERT_EQ(0, set_online(1, 1));
		EXPECT_LT(last, wait_rounds(&r, 0, last));
		last = rounds(&r, 0);
	}
	EXPECT_LT(0, wait_rounds(&r, 1, 0));
	if (kvm)
		EXPECT_LT(0, wait_rounds(&k, 0, 0));
	TH_LOG("%d offline/online rounds of CPU 1; guest rounds: %lu, %lu%s",
	       i, rounds(&r, 0), rounds(&r, 1), kvm ? " (and a kvm.ko guest)" : "");
	EXPECT_LT(0, vvm_stop(&r));
	EXPECT_LT(0, rounds(&r, 1));
	smp_vm_free(&r.s);
	if (kvm) {
		EXPECT_LT(0, vvm_stop(&k));
		smp_vm_free(&k.s);
		EXPECT_EQ(0, unload_kvm());
	}
	if (on_rvhv())
		ASSERT_EQ(0, reload_rvhv(""));
}

TEST_HARNESS_MAIN
