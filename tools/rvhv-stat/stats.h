/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM's binary statistics (KVM_GET_STATS_FD) read and reported, shared by
 * rvhv-stat and rvhv-run --stats-report:
 *
 *   stats.c   one stats fd: its header, id and descriptors, read once and
 *             checked, and its data block, read again at each sample
 *   report.c  a VM's stats fds (VM and vCPUs) sampled, summed over the
 *             vCPUs by name, and printed like perf kvm stat
 *
 * Nothing is hard-coded but names: every offset, size, type, unit and
 * scale comes from the descriptors (Documentation/virt/kvm/api.rst,
 * KVM_GET_STATS_FD), so kvm.ko and rvhv are read alike.  Single-threaded:
 * a caller owns its structures.
 */
#ifndef RVHV_STATS_H
#define RVHV_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits a stats fd must keep (KVM's are far below them). */
#define STATS_NAME_MAX		1024	/* header name_size */
#define STATS_DESC_MAX		4096	/* header num_desc */
#define STATS_VALUES_MAX	4096	/* a descriptor's size */
#define STATS_DATA_MAX		(1 << 20)	/* bytes of data block */

/* One descriptor, checked: its values lie inside the data block. */
struct stats_desc {
	char *name;
	uint32_t flags;		/* KVM_STATS_TYPE_*, _UNIT_*, _BASE_* */
	int16_t exponent;
	uint16_t size;		/* values (u64) */
	uint32_t offset;	/* bytes into the data block */
	uint32_t bucket_size;	/* linear histograms */
};

/*
 * One stats fd.  The descriptors are immutable for its lifetime (KVM's
 * rule), the data is what stats_fd_read() read last.
 */
struct stats_fd {
	int fd;
	char *id;
	unsigned int nr;
	struct stats_desc *desc;
	uint64_t data_off;	/* of the data block in the fd */
	size_t data_len;	/* bytes the descriptors cover */
	uint64_t *data;
};

/*
 * Read fd's header, id and descriptors (taking fd over: it is closed by
 * stats_fd_close(), or here on failure).  0, or -1 with a reason in err.
 */
int stats_fd_open(struct stats_fd *s, int fd, char *err, size_t errlen);
/* Read the data block again: 0 or -errno. */
int stats_fd_read(struct stats_fd *s);
void stats_fd_close(struct stats_fd *s);

/* ---- report.c ---- */

/*
 * One statistic of a scope (the VM, one vCPU, all vCPUs), found by name:
 * its values at the last sample (@cur) and at the one before (@prev).
 */
struct stat_agg {
	char *name;
	uint32_t flags;
	int16_t exponent;
	uint16_t size;
	uint32_t bucket_size;
	uint64_t *cur, *prev;
};

struct stat_scope {
	unsigned int nr;
	struct stat_agg *s;
};

/*
 * One report: the stats fds of a VM (or of several, when their vCPUs
 * cannot be told apart) and of its vCPUs.  Each report_sample() reads
 * them all; report_print() shows what changed since the sample before
 * (at the first sample: everything since the VM was made).
 */
struct report {
	unsigned int nr_vm, nr_vcpu;
	struct stats_fd *vm;
	struct stats_fd *vcpu;
	int *vcpu_id;
	struct stat_scope vm_all;	/* the VM fds, summed */
	struct stat_scope *per_vcpu;	/* one per vCPU fd */
	struct stat_scope vcpu_all;	/* the vCPUs, summed */
	unsigned int samples;
};

/* What report_print() prints. */
struct report_opts {
	const char *title;	/* first line */
	double secs;		/* the period's length; <= 0: unknown */
	bool live;		/* a refresh: also show totals since the start */
};

void report_init(struct report *r);
/* Add a stats fd (opened by stats_fd_open; the report takes it over). */
int report_add_vm(struct report *r, const struct stats_fd *s);
int report_add_vcpu(struct report *r, const struct stats_fd *s, int id);
/* Read every fd: 0, or -errno of the first read that failed. */
int report_sample(struct report *r);
void report_print(struct report *r, FILE *f, const struct report_opts *o);
void report_free(struct report *r);

#endif /* RVHV_STATS_H */
