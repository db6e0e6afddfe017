// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's binary statistics (KVM_GET_STATS_FD) for rvhv's VMs and vCPUs,
 * the per-vCPU debugfs view, and the exit-latency histograms' switch and
 * clock (stats.h says what stats/ owns).
 *
 * A stats fd reads as KVM's do (virt/kvm/binary_stats.c is the reference
 * for the format, not for the code): struct kvm_stats_header, the id
 * string in KVM_STATS_NAME_SIZE bytes, the descriptors (struct
 * kvm_stats_desc with a name of KVM_STATS_NAME_SIZE bytes each), then the
 * data, one u64 per value.  The four parts are contiguous; read() and
 * pread() work at any offset and length, a read at or past the end
 * returns 0, lseek() leaves the position alone and returns it
 * (noop_llseek), write() fails (the fd is read-only).  The header, id and
 * descriptors never change; the data is read live, each u64 whole.
 *
 * Lifetime: a stats fd holds a reference on its VM (rvhv_vm.users), and
 * vCPUs live as long as their VM, so the fd may outlive the VM and vCPU
 * fds; its release drops the reference, which may free the VM.
 */
#define pr_fmt(fmt) "rvhv: " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/delay.h>

#include "../rvhv_int.h"

/*
 * stats_hist: keep the exit-latency histograms (two clock reads and a
 * bucket per guest round trip).  Writable at run time.  On by default:
 * about 30 instructions a round trip, 1-3 % of an MMIO exit's or an
 * IPI's, 7.6 % of a null SBI call's under make bench
 * (Documentation/rvhv.rst, "Exit latencies"); rvhv-stat reads its exits
 * per reason from them.
 */
DEFINE_STATIC_KEY_TRUE(rvhv_stats_hist);

static int rvhv_stats_hist_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	if (on)
		static_branch_enable(&rvhv_stats_hist);
	else
		static_branch_disable(&rvhv_stats_hist);
	return 0;
}

static int rvhv_stats_hist_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%c\n",
			 static_key_enabled(&rvhv_stats_hist) ? 'Y' : 'N');
}

static const struct kernel_param_ops rvhv_stats_hist_ops = {
	.set = rvhv_stats_hist_set,
	.get = rvhv_stats_hist_get,
};
module_param_cb(stats_hist, &rvhv_stats_hist_ops, NULL, 0644);
MODULE_PARM_DESC(stats_hist, "Keep the exit-latency histograms (default: yes)");

struct rvhv_stats_clock rvhv_stats_clock __ro_after_init;

const u8 rvhv_stats_fls8[256] = {
	[1] = 1, [2 ... 3] = 2, [4 ... 7] = 3, [8 ... 15] = 4, [16 ... 31] = 5,
	[32 ... 63] = 6, [64 ... 127] = 7, [128 ... 255] = 8,
};

/* One descriptor; every stat is in powers of ten. */
#define RVHV_DESC(_name, _type, _unit, _exp, _off, _size)		\
	{								\
		.flags = (_type) | (_unit) | KVM_STATS_BASE_POW10,	\
		.exponent = (_exp),					\
		.size = (_size),					\
		.offset = (_off),					\
		.name = _name,						\
	}

#define VCPU_OFF(f)	offsetof(struct rvhv_vcpu_stat, f)
#define VCPU_COUNTER(f)							\
	RVHV_DESC(#f, KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_NONE, 0,	\
		  VCPU_OFF(f), 1)
#define VCPU_SBI(i, name)						\
	RVHV_DESC("sbi_" name, KVM_STATS_TYPE_CUMULATIVE,		\
		  KVM_STATS_UNIT_NONE, 0, VCPU_OFF(sbi[i]), 1)
/* Nanoseconds: the sum of a histogram's values, and the histogram. */
#define NS_SUM(name, off)						\
	RVHV_DESC(name, KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_SECONDS,	\
		  -9, off, 1)
#define NS_HIST(name, off)						\
	RVHV_DESC(name, KVM_STATS_TYPE_LOG_HIST, KVM_STATS_UNIT_SECONDS,	\
		  -9, off, RVHV_HIST_BUCKETS)
/* The naming contract: exit_latency_ns_<reason>, exit_latency_hist_<reason>. */
#define VCPU_EXIT_NS(r, name)						\
	NS_SUM("exit_latency_ns_" name, VCPU_OFF(lat[r].ns))
#define VCPU_EXIT_HIST(r, name)						\
	NS_HIST("exit_latency_hist_" name, VCPU_OFF(lat[r].hist))

/* In the order of struct rvhv_vcpu_stat's fields (checked at init). */
static const struct kvm_stats_desc rvhv_vcpu_stats_desc[] = {
	VCPU_COUNTER(halt_wakeup),
	NS_SUM("halt_wait_ns", VCPU_OFF(halt_wait_ns)),
	NS_HIST("halt_wait_hist", VCPU_OFF(halt_wait_hist)),
	RVHV_DESC("blocking", KVM_STATS_TYPE_INSTANT, KVM_STATS_UNIT_BOOLEAN,
		  0, VCPU_OFF(blocking), 1),
	VCPU_COUNTER(ecall_exit_stat),
	VCPU_COUNTER(wfi_exit_stat),
	VCPU_COUNTER(mmio_exit_user),
	VCPU_COUNTER(mmio_exit_kernel),
	VCPU_COUNTER(csr_exit_kernel),
	VCPU_COUNTER(signal_exits),
	VCPU_COUNTER(exits),
	VCPU_COUNTER(task_work_exits),
	VCPU_COUNTER(virtual_insn_exits),
	VCPU_COUNTER(redirected_traps),
	VCPU_COUNTER(sbi_kernel),
	VCPU_COUNTER(sbi_user),
	VCPU_SBI(RVHV_STAT_SBI_OTHER, "other"),
	VCPU_SBI(RVHV_STAT_SBI_UNSUPPORTED, "unsupported"),
	VCPU_SBI(RVHV_STAT_SBI_BASE, "base"),
	VCPU_SBI(RVHV_STAT_SBI_TIME, "time"),
	VCPU_SBI(RVHV_STAT_SBI_IPI, "ipi"),
	VCPU_SBI(RVHV_STAT_SBI_RFENCE, "rfence"),
	VCPU_SBI(RVHV_STAT_SBI_HSM, "hsm"),
	VCPU_SBI(RVHV_STAT_SBI_SRST, "srst"),
	VCPU_SBI(RVHV_STAT_SBI_DBCN, "dbcn"),
	VCPU_SBI(RVHV_STAT_SBI_LEGACY, "legacy"),
	VCPU_SBI(RVHV_STAT_SBI_BATCH, "batch"),
	VCPU_SBI(RVHV_STAT_SBI_EXPERIMENTAL, "experimental"),
	VCPU_SBI(RVHV_STAT_SBI_VENDOR, "vendor"),
	VCPU_SBI(RVHV_STAT_SBI_STA, "sta"),
	VCPU_SBI(RVHV_STAT_SBI_SUSP, "susp"),
	VCPU_COUNTER(batch_entries),
	VCPU_COUNTER(console_flushes),
	VCPU_COUNTER(gstage_faults),
	VCPU_COUNTER(gstage_fault_map),
	VCPU_COUNTER(gstage_fault_wp),
	VCPU_COUNTER(gstage_fault_mmio),
	VCPU_COUNTER(gstage_fault_spurious),
	VCPU_COUNTER(gstage_fault_retry),
	VCPU_COUNTER(gstage_map_4k),
	VCPU_COUNTER(gstage_map_2m),
	VCPU_COUNTER(gstage_preload),
	VCPU_COUNTER(gstage_map_1g),
	VCPU_COUNTER(ioeventfd_signals),
	VCPU_COUNTER(coalesced_mmio),
	VCPU_COUNTER(irqchip_accesses),
	VCPU_COUNTER(gstage_fault_fast),
	VCPU_EXIT_NS(RVHV_EXIT_SBI, "sbi"),
	VCPU_EXIT_HIST(RVHV_EXIT_SBI, "sbi"),
	VCPU_EXIT_NS(RVHV_EXIT_MMIO, "mmio"),
	VCPU_EXIT_HIST(RVHV_EXIT_MMIO, "mmio"),
	VCPU_EXIT_NS(RVHV_EXIT_GSTAGE, "gstage_fault"),
	VCPU_EXIT_HIST(RVHV_EXIT_GSTAGE, "gstage_fault"),
	VCPU_EXIT_NS(RVHV_EXIT_VIRTUAL_INSN, "virtual_insn"),
	VCPU_EXIT_HIST(RVHV_EXIT_VIRTUAL_INSN, "virtual_insn"),
	VCPU_EXIT_NS(RVHV_EXIT_WFI, "wfi"),
	VCPU_EXIT_HIST(RVHV_EXIT_WFI, "wfi"),
	VCPU_EXIT_NS(RVHV_EXIT_INTERRUPT, "interrupt"),
	VCPU_EXIT_HIST(RVHV_EXIT_INTERRUPT, "interrupt"),
	VCPU_EXIT_NS(RVHV_EXIT_OTHER, "other"),
	VCPU_EXIT_HIST(RVHV_EXIT_OTHER, "other"),
};

#define VM_COUNTER(f)							\
	RVHV_DESC(#f, KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_NONE, 0,	\
		  offsetof(struct rvhv_vm_stat, f), 1)

/* In the order of struct rvhv_vm_stat's fields (checked at init). */
static const struct kvm_stats_desc rvhv_vm_stats_desc[] = {
	VM_COUNTER(remote_tlb_flush_requests),
	VM_COUNTER(remote_tlb_flush),
	VM_COUNTER(fence_reqs),
	VM_COUNTER(fences),
	VM_COUNTER(fence_ipis),
	VM_COUNTER(fence_full),
};

/* The VM's data block is read as u64s. */
static_assert(sizeof(atomic64_t) == sizeof(u64));

/* Header, id, descriptors, data: contiguous, in that order. */
#define RVHV_STATS_HEADER(desc)						\
	{								\
		.name_size = KVM_STATS_NAME_SIZE,			\
		.num_desc = ARRAY_SIZE(desc),				\
		.id_offset = sizeof(struct kvm_stats_header),		\
		.desc_offset = sizeof(struct kvm_stats_header) +	\
			       KVM_STATS_NAME_SIZE,			\
		.data_offset = sizeof(struct kvm_stats_header) +	\
			       KVM_STATS_NAME_SIZE + sizeof(desc),	\
	}

static const struct kvm_stats_header rvhv_vcpu_stats_header =
	RVHV_STATS_HEADER(rvhv_vcpu_stats_desc);
static const struct kvm_stats_header rvhv_vm_stats_header =
	RVHV_STATS_HEADER(rvhv_vm_stats_desc);

/**
 * struct rvhv_stats_file - one stats fd (its file's private_data)
 * @hdr: the header ...
 * @desc: ... the descriptors ...
 * @id: ... the id string (KVM_STATS_NAME_SIZE bytes) ...
 * @data: ... and the live data block of a VM or vCPU ...
 * @data_size: ... of this many bytes
 * @vm: the VM, whose reference the fd holds (and so its vCPUs live)
 *
 * Made with the fd, never changed, freed when the fd is released.
 */
struct rvhv_stats_file {
	const struct kvm_stats_header *hdr;
	const struct kvm_stats_desc *desc;
	const char *id;
	const u64 *data;
	size_t data_size;
	struct rvhv_vm *vm;
};

/* Copy @n bytes of the live data from byte @off, each u64 read whole. */
static int rvhv_stats_copy_data(char __user *buf, const u64 *data,
				size_t off, size_t n)
{
	u64 bounce[32];
	size_t first, words, skip, chunk, i;

	while (n) {
		first = off / sizeof(u64);
		skip = off % sizeof(u64);
		words = min(ARRAY_SIZE(bounce),
			    DIV_ROUND_UP(skip + n, sizeof(u64)));
		chunk = min(n, words * sizeof(u64) - skip);
		for (i = 0; i < words; i++)
			bounce[i] = READ_ONCE(data[first + i]);
		if (copy_to_user(buf, (char *)bounce + skip, chunk))
			return -EFAULT;
		buf += chunk;
		off += chunk;
		n -= chunk;
	}
	return 0;
}

static ssize_t rvhv_stats_read(struct file *file, char __user *buf,
			       size_t size, loff_t *ppos)
{
	const struct rvhv_stats_file *s = file->private_data;
	const struct kvm_stats_header *h = s->hdr;
	const struct {
		loff_t start;
		size_t len;
		const void *src;	/* NULL: the live data */
	} seg[] = {
		{ 0, sizeof(*h), h },
		{ h->id_offset, KVM_STATS_NAME_SIZE, s->id },
		{ h->desc_offset, h->num_desc * sizeof(*s->desc), s->desc },
		{ h->data_offset, s->data_size, NULL },
	};
	loff_t pos = *ppos, end = h->data_offset + s->data_size;
	size_t done = 0, off, n;
	unsigned int i;

	if (pos < 0)
		return -EINVAL;
	if (pos >= end)
		return 0;
	size = min_t(u64, size, end - pos);
	for (i = 0; i < ARRAY_SIZE(seg) && done < size; i++) {
		if (pos + done >= seg[i].start + seg[i].len)
			continue;
		off = pos + done - seg[i].start;
		n = min(size - done, seg[i].len - off);
		if (seg[i].src ?
		    copy_to_user(buf + done, (const char *)seg[i].src + off, n) :
		    rvhv_stats_copy_data(buf + done, s->data, off, n))
			return -EFAULT;
		done += n;
	}
	*ppos = pos + done;
	return done;
}

static int rvhv_stats_release(struct inode *inode, struct file *file)
{
	struct rvhv_stats_file *s = file->private_data;

	rvhv_vm_put(s->vm);
	kfree(s);
	return 0;
}

static const struct file_operations rvhv_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= rvhv_stats_read,
	.release	= rvhv_stats_release,
	.llseek		= noop_llseek,
};

/* A read-only stats fd for @tmpl, holding a reference on its VM. */
static int rvhv_stats_fd(const char *name, const struct rvhv_stats_file *tmpl)
{
	struct rvhv_stats_file *s;
	struct file *file;
	int fd;

	s = kmemdup(tmpl, sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto err_free;
	file = anon_inode_getfile(name, &rvhv_stats_fops, s, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto err_free;
	}
	/* The caller's VM or vCPU fd holds one already. */
	refcount_inc(&s->vm->users);
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;

err_free:
	kfree(s);
	return fd;
}

int rvhv_vm_stats_fd(struct rvhv_vm *vm)
{
	const struct rvhv_stats_file s = {
		.hdr = &rvhv_vm_stats_header,
		.desc = rvhv_vm_stats_desc,
		.id = vm->stats_id,
		.data = (const u64 *)&vm->stat,
		.data_size = sizeof(vm->stat),
		.vm = vm,
	};

	return rvhv_stats_fd("kvm-vm-stats", &s);
}

int rvhv_vcpu_stats_fd(struct rvhv_vcpu *vcpu)
{
	const struct rvhv_stats_file s = {
		.hdr = &rvhv_vcpu_stats_header,
		.desc = rvhv_vcpu_stats_desc,
		.id = vcpu->stats_id,
		.data = (const u64 *)&vcpu->stat,
		.data_size = RVHV_VCPU_STAT_SIZE,
		.vm = vcpu->vm,
	};
	char name[32];

	snprintf(name, sizeof(name), "kvm-vcpu-stats:%u", vcpu->id);
	return rvhv_stats_fd(name, &s);
}

/* As kvm.ko: the pid of the thread that creates the VM or vCPU. */
void rvhv_stats_vm_init(struct rvhv_vm *vm)
{
	snprintf(vm->stats_id, sizeof(vm->stats_id), "kvm-%d",
		 task_pid_nr(current));
}

void rvhv_stats_vcpu_init(struct rvhv_vcpu *vcpu)
{
	snprintf(vcpu->stats_id, sizeof(vcpu->stats_id), "kvm-%d/vcpu-%u",
		 task_pid_nr(current), vcpu->id);
	/* The first entry follows no exit. */
	rvhv_stat_exit_forget(&vcpu->stat);
}

void rvhv_stats_halt_wait(struct rvhv_vcpu_stat *st, u64 ticks)
{
	u64 ns = rvhv_stats_ticks_to_ns(ticks);

	st->halt_wait_ns += ns;
	rvhv_stats_hist_add(st->halt_wait_hist, ns);
}

/*
 * " name=value" for each stat; a histogram's buckets comma-separated, up
 * to the last one that is not 0.
 */
static void rvhv_stats_seq(struct seq_file *m, const struct kvm_stats_desc *d,
			   unsigned int nr, const u64 *data)
{
	unsigned int i, b, last;
	const u64 *v;

	for (i = 0; i < nr; i++, d++) {
		v = data + d->offset / sizeof(u64);
		for (last = 0, b = 0; b < d->size; b++)
			if (READ_ONCE(v[b]))
				last = b;
		seq_printf(m, " %s=%llu", d->name, READ_ONCE(v[0]));
		for (b = 1; b <= last; b++)
			seq_printf(m, ",%llu", READ_ONCE(v[b]));
	}
}

void rvhv_stats_seq_vm(struct seq_file *m, struct rvhv_vm *vm)
{
	rvhv_stats_seq(m, rvhv_vm_stats_desc, ARRAY_SIZE(rvhv_vm_stats_desc),
		       (const u64 *)&vm->stat);
}

/*
 * debugfs rvhv/vcpus: a line per vCPU of every VM, its creator's pid, its
 * id and its statistics (the same as its stats fd).
 */
static int rvhv_vcpus_show(struct seq_file *m, void *unused)
{
	struct rvhv_vcpu *vcpu;
	struct rvhv_vm *vm;
	unsigned int i;

	mutex_lock(&rvhv_vms_lock);
	list_for_each_entry(vm, &rvhv_vms, list) {
		for (i = 0; i < RVHV_MAX_VCPUS; i++) {
			vcpu = rvhv_vm_vcpu(vm, i);
			if (!vcpu)
				continue;
			seq_printf(m, "vcpu pid=%d id=%u", vm->pid, vcpu->id);
			rvhv_stats_seq(m, rvhv_vcpu_stats_desc,
				       ARRAY_SIZE(rvhv_vcpu_stats_desc),
				       (const u64 *)&vcpu->stat);
			seq_putc(m, '\n');
		}
	}
	mutex_unlock(&rvhv_vms_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rvhv_vcpus);

void rvhv_stats_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("vcpus", 0444, dir, NULL, &rvhv_vcpus_fops);
}

/* The descriptors tile their data block in order, without a gap. */
static bool rvhv_stats_desc_ok(const struct kvm_stats_desc *d,
			       unsigned int nr, size_t size)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (d[i].offset != off || !d[i].size)
			return false;
		off += d[i].size * sizeof(u64);
	}
	return off == size;
}

int rvhv_stats_init(void)
{
	unsigned int shift;

	if (!rvhv_stats_desc_ok(rvhv_vcpu_stats_desc,
				ARRAY_SIZE(rvhv_vcpu_stats_desc),
				RVHV_VCPU_STAT_SIZE) ||
	    !rvhv_stats_desc_ok(rvhv_vm_stats_desc,
				ARRAY_SIZE(rvhv_vm_stats_desc),
				sizeof(struct rvhv_vm_stat))) {
		pr_err("stats descriptors do not match their data\n");
		return -EINVAL;
	}
	/* The smallest shift that keeps ns per tick below 2^shift. */
	if (!riscv_timebase)
		return 0;
	for (shift = 1; shift < 63; shift++)
		if (NSEC_PER_SEC >> shift < riscv_timebase)
			break;
	rvhv_stats_clock.shift = shift;
	rvhv_stats_clock.mult = mul_u64_u64_div_u64(NSEC_PER_SEC,
						    BIT_ULL(64 - shift),
						    riscv_timebase);
	return 0;
}
