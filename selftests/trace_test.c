// SPDX-License-Identifier: GPL-2.0
/*
 * Static tracepoints (observe/trace.h), through tracefs only (no perf or
 * trace-cmd in the test host): the events of TRACE_SYSTEM rvhv exist,
 * their format files are complete and readable by libtraceevent (plain
 * numbers in the print formats), a guest's SBI call, MMIO store and
 * load, G-stage first touches, WFIs woken by its timer and by
 * KVM_INTERRUPT each appear with the right fields and in the right order
 * (entry before exit, exit before what it caused, the VMM's part of an
 * exit after KVM_RUN returned), disabling stops the recording and single
 * events can be enabled.  (VMID rollovers, rvhv_vmid_rollover, need
 * rvhv reloaded with few VMID bits: module_test's vmid_generations
 * checks them, where it reloads rvhv anyway.)
 *
 * On kvm.ko the same guest is held to kvm.ko's own riscv events
 * (kvm:kvm_entry, kvm_exit with scause/htval, kvm_userspace_exit,
 * kvm_vcpu_wakeup).
 *
 * The test pins itself to one CPU, so that the vCPU's events are in one
 * per-CPU buffer in the order they happened.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vm_lib.h"
#include "guest/trace_abi.h"

#define SYNC1_REPLY	0x5aUL
#define LOAD_DATA	0x1122334455667788UL

/* tracefs (rvhv_util.h), with a trailing slash. */
static const char *tracefs_dir(void)
{
	static const char *dir;

	if (!dir)
		dir = rvhv_tracefs();
	if (!dir)
		vm_fail("no tracefs at /sys/kernel/tracing");
	return dir;
}

static int tfs_write(const char *rel, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s%s", tracefs_dir(), rel);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void tfs_set(const char *rel, const char *val)
{
	int r = tfs_write(rel, val);

	if (r)
		vm_fail("write %s to %s%s: %s", val, tracefs_dir(), rel,
			strerror(-r));
}

/* A tracefs file, whole, malloc()ed and NUL-terminated; NULL if absent. */
static char *tfs_read(const char *rel)
{
	size_t size = 65536, len = 0;
	char path[256], *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s%s", tracefs_dir(), rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(size);
	for (;;) {
		if (!buf)
			vm_fail("out of memory reading %s", path);
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
		if (len == size - 1)
			buf = realloc(buf, size *= 2);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Empty the ring buffer (opening "trace" with O_TRUNC does). */
static void trace_clear(void)
{
	tfs_set("trace", "");
}

/* ---- the recorded events ---- */

struct tev {
	const char *name;
	const char *args;	/* the event's text after "name: " */
};

struct tlog {
	char *text;
	struct tev *ev;
	int n;
};

/*
 * Stop recording, take every event whose name starts with @prefix from
 * "trace" ("<task>-<pid> [cpu] <flags> <time>: <name>: <args>"), and
 * record again.
 */
static void tlog_read(struct tlog *t, const char *prefix)
{
	char *line, *next, *p, *colon;
	int cap = 256;

	tfs_set("tracing_on", "0");
	t->text = tfs_read("trace");
	tfs_set("tracing_on", "1");
	if (!t->text)
		vm_fail("cannot read %strace", tracefs_dir());
	t->n = 0;
	t->ev = malloc(cap * sizeof(*t->ev));
	for (line = t->text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#')
			continue;
		p = strchr(line, ']');
		p = p ? strstr(p, ": ") : NULL;
		if (!p)
			continue;
		p += 2;
		colon = strstr(p, ": ");
		if (!colon || strncmp(p, prefix, strlen(prefix)))
			continue;
		*colon = '\0';
		if (t->n == cap)
			t->ev = realloc(t->ev, (cap *= 2) * sizeof(*t->ev));
		if (!t->ev)
			vm_fail("out of memory");
		t->ev[t->n].name = p;
		t->ev[t->n].args = colon + 2;
		t->n++;
	}
}

static void tlog_free(struct tlog *t)
{
	free(t->ev);
	free(t->text);
}

static void tlog_dump(const struct tlog *t, int from, int to)
{
	int i;

	if (from < 0)
		from = 0;
	if (to > t->n)
		to = t->n;
	for (i = from; i < to; i++)
		fprintf(stderr, "#   [%d] %s: %s\n", i, t->ev[i].name,
			t->ev[i].args);
}

/* Is @tok one of the event's space- or comma-separated words? */
static bool tev_has(const struct tev *e, const char *tok)
{
	size_t n = strlen(tok);
	const char *p;

	for (p = e->args; (p = strstr(p, tok)); p++) {
		if ((p == e->args || p[-1] == ' ' || p[-1] == ',') &&
		    (!p[n] || p[n] == ' ' || p[n] == ','))
			return true;
	}
	return false;
}

/* The number after @key ("gpa=", "SCAUSE:"); fails the test if absent. */
static unsigned long long tev_num(const struct tev *e, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = e->args; (p = strstr(p, key)); p++)
		if (p == e->args || p[-1] == ' ' || p[-1] == ',')
			return strtoull(p + n, NULL, 0);
	vm_fail("%s: no %s in \"%s\"", e->name, key, e->args);
}

/* A bitmask after @key: hex in comma-separated 32-bit words ("0,3"). */
static unsigned long long tev_mask(const struct tev *e, const char *key)
{
	const char *p = strstr(e->args, key);
	unsigned long long m = 0;

	if (!p)
		vm_fail("%s: no %s in \"%s\"", e->name, key, e->args);
	for (p += strlen(key); isxdigit(*p) || *p == ','; p++)
		if (*p != ',')
			m = m << 4 | (isdigit(*p) ? *p - '0' :
				      (tolower(*p) - 'a' + 10));
	return m;
}

/*
 * The first event in [from, to) named @name (NULL: any) that has every
 * word of the NULL-terminated list; -1 if none.
 */
static int tfind(const struct tlog *t, int from, int to, const char *name,
		 ...)
{
	const char *tok;
	va_list ap;
	int i;

	if (to > t->n)
		to = t->n;
	for (i = from < 0 ? 0 : from; i < to; i++) {
		if (name && strcmp(t->ev[i].name, name))
			continue;
		va_start(ap, name);
		while ((tok = va_arg(ap, const char *)) && tev_has(&t->ev[i], tok))
			;
		va_end(ap);
		if (!tok)
			return i;
	}
	return -1;
}

/* The last event named @name before @before; -1 if none. */
static int tlast(const struct tlog *t, int before, const char *name)
{
	int i;

	for (i = before - 1; i >= 0; i--)
		if (!strcmp(t->ev[i].name, name))
			return i;
	return -1;
}

/*
 * The event after @i, past vcpu_load/vcpu_put: the vCPU's thread may be
 * preempted anywhere in KVM_RUN.
 */
static int tnext(const struct tlog *t, int i)
{
	while (++i < t->n && (!strcmp(t->ev[i].name, "rvhv_vcpu_put") ||
			      !strcmp(t->ev[i].name, "rvhv_vcpu_load")))
		;
	return i;
}

static bool tis(const struct tlog *t, int i, const char *name)
{
	return i >= 0 && i < t->n && !strcmp(t->ev[i].name, name);
}

/* Fail with the events around @at shown. */
#define TCHECK(t, at, cond, fmt, ...) do {				\
	if (!(cond)) {							\
		tlog_dump((t), (at) - 12, (at) + 12);			\
		vm_fail("%s:%d: %s: " fmt, __FILE__, __LINE__, #cond,	\
			##__VA_ARGS__);					\
	}								\
} while (0)

/* ---- format files ---- */

struct want_field {
	const char *name;
	int size;
};

/*
 * events/<sys>/<event>/format: name and ID, fields in ascending,
 * non-overlapping order that include each wanted one with its size, and
 * a print format that uses each of them (but the common_* ones).  With
 * @strict (rvhv's): no C suffixes or unexpanded names in the print
 * format, which libtraceevent (perf, trace-cmd) could not evaluate.
 */
static void check_format(const char *sys, const char *event,
			 const struct want_field *want, bool strict)
{
	char rel[160], decl[128], rec[64], bm[64], *text, *p, *fmt;
	int id = 0, off, size, sgn, end = 0, nfields = 0;
	const struct want_field *w;
	bool found;

	snprintf(rel, sizeof(rel), "events/%s/%s/format", sys, event);
	text = tfs_read(rel);
	VM_CHECK(text, "no %s", rel);
	snprintf(decl, sizeof(decl), "name: %s\n", event);
	VM_CHECK(!strncmp(text, decl, strlen(decl)), "%s: %.40s", rel, text);
	p = strstr(text, "\nID: ");
	VM_CHECK(p && sscanf(p, "\nID: %d", &id) == 1 && id > 0, "%s", rel);
	fmt = strstr(text, "\nprint fmt: ");
	VM_CHECK(fmt, "%s: no print fmt", rel);
	for (w = want; w->name; w++) {
		found = false;
		for (p = strstr(text, "\tfield:"); p && p < fmt;
		     p = strstr(p + 1, "\tfield:")) {
			if (sscanf(p, "\tfield:%127[^;];\toffset:%d;\tsize:%d;\tsigned:%d;",
				   decl, &off, &size, &sgn) != 4)
				vm_fail("%s: unparsable \"%.60s\"", rel, p);
			/* The field's name is the declaration's last word. */
			if (strcmp(strrchr(decl, ' ') + 1, w->name))
				continue;
			found = true;
			VM_CHECK(w->size < 0 || size == w->size,
				 "%s: %s is %d bytes", rel, w->name, size);
		}
		VM_CHECK(found, "%s: no field %s", rel, w->name);
		snprintf(rec, sizeof(rec), "REC->%s", w->name);
		snprintf(bm, sizeof(bm), "__get_bitmask(%s)", w->name);
		VM_CHECK(!strncmp(w->name, "common_", 7) || strstr(fmt, rec) ||
			 strstr(fmt, bm), "%s: %s not printed", rel, w->name);
	}
	/* Offsets: each field after the previous one. */
	for (p = strstr(text, "\tfield:"); p && p < fmt;
	     p = strstr(p + 1, "\tfield:")) {
		VM_CHECK(sscanf(p, "\tfield:%127[^;];\toffset:%d;\tsize:%d;",
				decl, &off, &size) == 3, "%s", rel);
		VM_CHECK(off >= end && size > 0, "%s: %s at %d, size %d, after %d",
			 rel, decl, off, size, end);
		end = off + size;
		nfields++;
	}
	VM_CHECK(nfields >= 5, "%s: %d fields", rel, nfields);
	if (strict) {
		for (p = fmt; *p; p++) {
			VM_CHECK(!(p[0] >= '0' && p[0] <= '9' &&
				   (p[1] == 'U' || p[1] == 'L')),
				 "%s: a C suffix at \"%.20s\"", rel, p);
		}
		VM_CHECK(!strstr(fmt, "RVHV_") && !strstr(fmt, "EXC_") &&
			 !strstr(fmt, "KVM_") && !strstr(fmt, "BIT("),
			 "%s: a name in \"%s\"", rel, fmt);
	}
	free(text);
}

/* The fields each event must have (and the common ones), by size. */
struct want_event {
	const char *event;
	struct want_field f[10];
};

#define COMMON	{ "common_type", 2 }, { "common_pid", 4 }

static const struct want_event rvhv_formats[] = {
	{ "rvhv_entry", { COMMON, { "vcpu", 4 }, { "pc", 8 } } },
	{ "rvhv_exit", { COMMON, { "vcpu", 4 }, { "scause", 8 },
			 { "sepc", 8 }, { "stval", 8 }, { "htval", 8 },
			 { "htinst", 8 } } },
	{ "rvhv_userspace_exit", { COMMON, { "vcpu", 4 }, { "reason", 4 },
				   { "ret", 4 } } },
	{ "rvhv_mmio", { COMMON, { "vcpu", 4 }, { "gpa", 8 }, { "val", 8 },
			 { "len", 1 }, { "write", 1 }, { "handler", 1 } } },
	{ "rvhv_sbi", { COMMON, { "vcpu", 4 }, { "eid", 8 }, { "fid", 8 },
			{ "error", 8 }, { "value", 8 }, { "handler", 1 } } },
	{ "rvhv_gstage_fault", { COMMON, { "vcpu", 4 }, { "gpa", 8 },
				 { "size", 8 }, { "ret", 4 }, { "kind", 1 },
				 { "result", 1 } } },
	{ "rvhv_irq", { COMMON, { "vcpu", 4 }, { "irq", 1 }, { "level", 1 },
			{ "source", 1 } } },
	{ "rvhv_block", { COMMON, { "vcpu", 4 }, { "halted", 1 },
			  { "stopped", 1 } } },
	{ "rvhv_wake", { COMMON, { "vcpu", 4 }, { "reason", 1 } } },
	{ "rvhv_vcpu_load", { COMMON, { "vcpu", 4 }, { "cpu", 4 } } },
	{ "rvhv_vcpu_put", { COMMON, { "vcpu", 4 }, { "cpu", 4 } } },
	{ "rvhv_fence", { COMMON, { "vmid", 8 }, { "ops", 8 }, { "start", 8 },
			  { "size", 8 }, { "asid", 8 }, { "cpus", 4 } } },
	{ "rvhv_fence_local", { COMMON, { "vmid", 8 }, { "ops", 8 },
				{ "gpa", 8 }, { "deferred", 1 } } },
	{ "rvhv_vmid", { COMMON, { "vmid", 8 }, { "gen", 8 } } },
	{ "rvhv_vmid_rollover", { COMMON, { "gen", 8 }, { "bits", 4 } } },
	{ NULL },
}, kvm_formats[] = {
	{ "kvm_entry", { COMMON, { "pc", 8 } } },
	{ "kvm_exit", { COMMON, { "sepc", 8 }, { "scause", 8 },
			{ "stval", 8 }, { "htval", 8 }, { "htinst", 8 } } },
	{ "kvm_userspace_exit", { COMMON, { "reason", 4 },
				  { "errno", 4 } } },
	{ "kvm_vcpu_wakeup", { COMMON, { "ns", 8 }, { "waited", 1 },
			       { "valid", 1 } } },
	{ NULL },
};

/* ---- the guest and its VM ---- */

FIXTURE(trace) {
	struct vm *vm;
	struct vcpu *vcpu;
	const char *sys;	/* "rvhv" or "kvm" */
	int cpu;
	uint64_t ticks;		/* TRACE_WFI_MS of guest time */
};

/* All of rvhv's events, or kvm.ko's four that the checks use. */
static void events_enable(const char *sys, bool on)
{
	const struct want_event *e;
	char rel[128];

	if (!strcmp(sys, "rvhv")) {
		tfs_set("events/rvhv/enable", on ? "1" : "0");
		return;
	}
	for (e = kvm_formats; e->event; e++) {
		snprintf(rel, sizeof(rel), "events/kvm/%s/enable", e->event);
		tfs_set(rel, on ? "1" : "0");
	}
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		vm_fail("sched_setaffinity(%d): %s", cpu, strerror(errno));
}

FIXTURE_SETUP(trace)
{
	tracefs_dir();
	self->cpu = sched_getcpu();
	pin_to(self->cpu);
	self->sys = dev_is_kvm() ? "kvm" : "rvhv";
	self->vm = vm_create();
	vm_add_mem(self->vm, 1, GUEST_EXTRA, TRACE_EXTRA_SIZE, 0);
	self->vcpu = vcpu_create(self->vm, 0);
	self->ticks = vcpu_get_reg(self->vcpu,
				   RISCV_TIMER_REG(frequency)) *
		      TRACE_WFI_MS / 1000;
	tfs_set("tracing_on", "1");
	events_enable(self->sys, false);
	trace_clear();
}

FIXTURE_TEARDOWN(trace)
{
	events_enable(self->sys, false);
	trace_clear();
	vcpu_free(self->vcpu);
	vm_free(self->vm);
}

/* The guest's whole tour (guest/trace.c), the VMM's side of it. */
static void run_tour(struct __test_metadata *_metadata, struct vcpu *vcpu,
		     uint64_t ticks)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_interrupt irq;
	uint64_t data = LOAD_DATA, v = 0;
	struct ucall uc;

	vcpu_start(vcpu, GUEST_FN(guest_trace_tour), ticks, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
	ASSERT_EQ(1, uc.args[0]);
	vcpu_ucall_reply(vcpu, 0, SYNC1_REPLY);

	ASSERT_EQ(1, vcpu_ucall_try(vcpu, &uc));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	ASSERT_EQ(TRACE_MMIO, run->mmio.phys_addr);
	ASSERT_EQ(4, run->mmio.len);
	ASSERT_EQ(1, run->mmio.is_write);
	memcpy(&v, run->mmio.data, 4);
	ASSERT_EQ(TRACE_STORE_VAL, v);

	ASSERT_EQ(1, vcpu_ucall_try(vcpu, &uc));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	ASSERT_EQ(TRACE_MMIO + 8, run->mmio.phys_addr);
	ASSERT_EQ(8, run->mmio.len);
	ASSERT_EQ(0, run->mmio.is_write);
	memcpy(run->mmio.data, &data, 8);
	vcpu_expect_ucall(vcpu, UCALL_REPORT, &uc);
	ASSERT_EQ(LOAD_DATA, uc.args[1]);

	vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
	ASSERT_EQ(2, uc.args[0]);
	irq.irq = KVM_INTERRUPT_SET;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, &uc);
	ASSERT_EQ(3, uc.args[0]);
	irq.irq = KVM_INTERRUPT_UNSET;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	ASSERT_EQ(0, vcpu_run_to_done(vcpu));
}

/*
 * Every event of the device's system and its format file; for rvhv,
 * exactly these events, each off until enabled.
 */
TEST(event_formats)
{
	bool on_kvm = dev_is_kvm();
	const struct want_event *w = on_kvm ? kvm_formats : rvhv_formats;
	const char *sys = on_kvm ? "kvm" : "rvhv";
	unsigned int i, n = 0, found = 0;
	char path[320], *s;
	struct dirent *d;
	DIR *dir;

	for (i = 0; w[i].event; i++)
		check_format(sys, w[i].event, w[i].f, !on_kvm);
	if (on_kvm)
		return;
	ASSERT_EQ(15, i);
	snprintf(path, sizeof(path), "%sevents/rvhv", tracefs_dir());
	dir = opendir(path);
	ASSERT_NE(NULL, dir);
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "rvhv_", 5))
			continue;
		n++;
		for (i = 0; w[i].event; i++)
			found += !strcmp(w[i].event, d->d_name);
		snprintf(path, sizeof(path), "events/rvhv/%s/enable",
			 d->d_name);
		s = tfs_read(path);
		ASSERT_NE(NULL, s);
		EXPECT_STREQ("0\n", s) TH_LOG("%s", d->d_name);
		free(s);
	}
	closedir(dir);
	EXPECT_EQ(15, n);
	EXPECT_EQ(15, found);
}

/* rvhv: each thing the guest did, with its fields, in order. */
static void check_rvhv_tour(struct __test_metadata *_metadata,
			    const struct tlog *t, int cpu)
{
	char tok[64], tok2[64];
	int i, j, k, x, last, ue, wakes = 0, blocks = 0;
	unsigned long long gpa;

	TCHECK(t, 0, t->n > 40, "only %d events", t->n);

	/* Guest entries and exits alternate, an entry first. */
	last = -1;
	for (i = 0; i < t->n; i++) {
		if (tis(t, i, "rvhv_entry")) {
			TCHECK(t, i, last != 1, "two entries");
			last = 1;
		} else if (tis(t, i, "rvhv_exit")) {
			TCHECK(t, i, last == 1, "an exit without an entry");
			last = 0;
		}
		/* One vCPU, vcpu 0, throughout. */
		if (strstr(t->ev[i].args, "vcpu="))
			TCHECK(t, i, tev_num(&t->ev[i], "vcpu=") == 0, "vcpu");
	}
	TCHECK(t, t->n, last == 0, "ends in the guest");

	/* The first KVM_RUN: load on this CPU, then the guest. */
	x = tfind(t, 0, t->n, "rvhv_entry", NULL);
	snprintf(tok, sizeof(tok), "cpu=%d", cpu);
	TCHECK(t, x, tfind(t, 0, x, "rvhv_vcpu_load", tok, NULL) >= 0,
	       "no load on cpu %d", cpu);
	/* A new VM on this CPU: its VMID flushed here first (rule 2). */
	TCHECK(t, x, tfind(t, 0, x, "rvhv_fence_local",
			   "ops=fence.i|vvma|gvma", "gpa=0xffffffffffffffff",
			   "deferred=0", NULL) >= 0, "no VMID flush");
	/* Its first fetch: an exec fault that maps the payload's page. */
	i = tfind(t, x, t->n, "rvhv_gstage_fault", "kind=exec", NULL);
	TCHECK(t, x, i >= 0 && tev_has(&t->ev[i], "result=mapped") &&
	       (tev_num(&t->ev[i], "gpa=") & ~0xfffULL) == GUEST_BASE,
	       "no exec fault at the entry");
	TCHECK(t, i, tev_has(&t->ev[i], "size=4K") ||
	       tev_has(&t->ev[i], "size=2M"), "leaf size");

	/* Each KVM_RUN ends with vcpu_put, then the userspace exit. */
	for (i = 0; i < t->n; i++) {
		if (!tis(t, i, "rvhv_userspace_exit"))
			continue;
		j = tlast(t, i, "rvhv_vcpu_put");
		k = tlast(t, i, "rvhv_vcpu_load");
		TCHECK(t, i, j > k && j > tlast(t, i, "rvhv_exit"),
		       "no vcpu_put before the userspace exit");
		TCHECK(t, i, tev_num(&t->ev[j], "cpu=") == (unsigned)cpu,
		       "put elsewhere");
	}

	/* SYNC(1): forwarded, KVM_RUN returns, the answer next KVM_RUN. */
	i = tfind(t, 0, t->n, "rvhv_sbi", "eid=0x8ffffff", "fid=4",
		  "handler=user", NULL);
	TCHECK(t, 0, i >= 0, "no ucall");
	x = tlast(t, i, "rvhv_exit");
	TCHECK(t, i, x >= 0 && tev_has(&t->ev[x], "cause=ecall_vs") &&
	       tev_num(&t->ev[x], "scause=") == 10, "its exit");
	ue = tfind(t, i, t->n, "rvhv_userspace_exit", NULL);
	TCHECK(t, i, ue >= 0 && tev_has(&t->ev[ue], "reason=35") &&
	       tev_has(&t->ev[ue], "ret=0") &&
	       tfind(t, i, ue, "rvhv_entry", NULL) < 0,
	       "no KVM_EXIT_RISCV_SBI after the ucall");
	j = tfind(t, ue, t->n, "rvhv_sbi", "handler=user_done", NULL);
	TCHECK(t, ue, j >= 0 && tev_has(&t->ev[j], "eid=0x8ffffff") &&
	       tev_has(&t->ev[j], "fid=4") && tev_has(&t->ev[j], "error=0") &&
	       tev_has(&t->ev[j], "value=0x5a") &&
	       tfind(t, ue, j, "rvhv_entry", NULL) < 0,
	       "the VMM's answer, before the next entry");

	/* SBI RFENCE remote_sfence_vma, in the kernel, with its fence. */
	i = tfind(t, j, t->n, "rvhv_sbi", "eid=0x52464e43", "fid=1", NULL);
	TCHECK(t, j, i >= 0, "no RFENCE call");
	TCHECK(t, i, tev_has(&t->ev[i], "error=0") &&
	       tev_has(&t->ev[i], "handler=kernel"), "RFENCE result");
	x = tlast(t, i, "rvhv_exit");
	TCHECK(t, i, x > j && tev_num(&t->ev[x], "scause=") == 10,
	       "the RFENCE's exit");
	snprintf(tok, sizeof(tok), "start=0x%lx", TRACE_FENCE_START);
	snprintf(tok2, sizeof(tok2), "size=0x%lx", TRACE_FENCE_SIZE);
	k = tfind(t, x, i, "rvhv_fence", "ops=vvma", tok, tok2, "asid=-1",
		  NULL);
	TCHECK(t, i, k >= 0, "no fence between the exit and the SBI event");
	TCHECK(t, k, tev_mask(&t->ev[k], "cpus=") & (1ULL << cpu),
	       "the fence missed cpu %d", cpu);
	TCHECK(t, i, tis(t, tnext(t, i), "rvhv_entry"),
	       "no entry after RFENCE");

	/* The MMIO store: fault (mmio), the access, KVM_EXIT_MMIO. */
	snprintf(tok, sizeof(tok), "gpa=0x%lx", TRACE_MMIO);
	i = tfind(t, k, t->n, "rvhv_gstage_fault", tok, "kind=write",
		  "result=mmio", NULL);
	TCHECK(t, k, i >= 0, "no G-stage fault of the store");
	x = tlast(t, i, "rvhv_exit");
	TCHECK(t, i, x > k && tev_num(&t->ev[x], "scause=") == 23 &&
	       tev_num(&t->ev[x], "htval=") == TRACE_MMIO >> 2, "its exit");
	j = tnext(t, i);
	TCHECK(t, i, tis(t, j, "rvhv_mmio") && tev_has(&t->ev[j], "dir=write") &&
	       tev_has(&t->ev[j], tok) && tev_has(&t->ev[j], "len=4") &&
	       tev_has(&t->ev[j], "val=0x12345678") &&
	       tev_has(&t->ev[j], "handler=user"), "the store");
	ue = tfind(t, i, t->n, "rvhv_userspace_exit", NULL);
	TCHECK(t, i, ue >= 0 && tev_has(&t->ev[ue], "reason=6") &&
	       tfind(t, i, ue, "rvhv_entry", NULL) < 0, "KVM_EXIT_MMIO");

	/* The MMIO load, and the VMM's data at the next KVM_RUN. */
	snprintf(tok, sizeof(tok), "gpa=0x%lx", TRACE_MMIO + 8);
	i = tfind(t, ue, t->n, "rvhv_gstage_fault", tok, "kind=read",
		  "result=mmio", NULL);
	TCHECK(t, ue, i >= 0, "no G-stage fault of the load");
	x = tlast(t, i, "rvhv_exit");
	TCHECK(t, i, x > ue && tev_num(&t->ev[x], "scause=") == 21 &&
	       tev_num(&t->ev[x], "htval=") == (TRACE_MMIO + 8) >> 2,
	       "its exit");
	j = tnext(t, i);
	TCHECK(t, i, tis(t, j, "rvhv_mmio") && tev_has(&t->ev[j], "dir=read") &&
	       tev_has(&t->ev[j], tok) && tev_has(&t->ev[j], "len=8") &&
	       tev_has(&t->ev[j], "handler=user"), "the load");
	ue = tfind(t, i, t->n, "rvhv_userspace_exit", NULL);
	TCHECK(t, i, ue >= 0 && tev_has(&t->ev[ue], "reason=6"),
	       "KVM_EXIT_MMIO");
	j = tfind(t, ue, t->n, "rvhv_mmio", "handler=user_done", NULL);
	TCHECK(t, ue, j >= 0 && tev_has(&t->ev[j], tok) &&
	       tev_has(&t->ev[j], "val=0x1122334455667788") &&
	       tfind(t, ue, j, "rvhv_entry", NULL) < 0, "the load's data");

	/* First touches of the test's slot: 4 KiB leaves, fenced here. */
	i = tfind(t, j, t->n, "rvhv_gstage_fault", "kind=write",
		  "result=mapped", NULL);
	TCHECK(t, j, i >= 0, "no write fault mapped");
	gpa = tev_num(&t->ev[i], "gpa=");
	TCHECK(t, i, (gpa & ~0xfffULL) == (TRACE_TOUCH_WRITE & ~0xfffUL) &&
	       tev_has(&t->ev[i], "size=4K") && tev_has(&t->ev[i], "ret=0"),
	       "gpa 0x%llx", gpa);
	x = tlast(t, i, "rvhv_exit");
	TCHECK(t, i, x > j && tev_num(&t->ev[x], "scause=") == 23,
	       "its exit");
	k = tfind(t, x, i, "rvhv_fence_local", "ops=gvma", "deferred=0", NULL);
	TCHECK(t, i, k >= 0 && (tev_num(&t->ev[k], "gpa=") & ~0xfffULL) ==
	       (gpa & ~0xfffULL), "no local GVMA fence of the page");
	j = tfind(t, i, t->n, "rvhv_gstage_fault", "kind=read",
		  "result=mapped", NULL);
	TCHECK(t, i, j >= 0, "no read fault mapped");
	gpa = tev_num(&t->ev[j], "gpa=");
	TCHECK(t, j, (gpa & ~0xfffULL) == (TRACE_TOUCH_READ & ~0xfffUL) &&
	       tev_has(&t->ev[j], "size=4K"), "gpa 0x%llx", gpa);

	/* WFIs: a virtual-instruction exit, block halted, wake by irq. */
	for (i = j; i < t->n; i++) {
		if (tis(t, i, "rvhv_block")) {
			x = tlast(t, i, "rvhv_exit");
			TCHECK(t, i, x >= 0 && tev_has(&t->ev[i], "halted=1") &&
			       tev_has(&t->ev[x], "cause=virtual_inst"),
			       "a block not after WFI");
			TCHECK(t, i, tlast(t, i, "rvhv_entry") < x, "order");
			blocks++;
		}
		if (tis(t, i, "rvhv_wake")) {
			TCHECK(t, i, tev_has(&t->ev[i], "reason=irq") &&
			       tlast(t, i, "rvhv_block") >
			       tlast(t, i, "rvhv_entry"), "a wake-up");
			wakes++;
		}
	}
	TCHECK(t, t->n, blocks >= TRACE_WFI_ROUNDS + 1 && wakes == blocks,
	       "%d blocks, %d wake-ups", blocks, wakes);

	/* KVM_INTERRUPT: raised between SYNC(2) and the next entry. */
	i = tfind(t, j, t->n, "rvhv_irq", "irq=10", "line=vseip", "level=1",
		  "source=user", NULL);
	TCHECK(t, j, i >= 0, "no KVM_INTERRUPT set");
	TCHECK(t, i, tlast(t, i, "rvhv_userspace_exit") >
	       tlast(t, i, "rvhv_entry"), "raised while in KVM_RUN");
	k = tfind(t, i, t->n, "rvhv_wake", "reason=irq", NULL);
	TCHECK(t, i, k >= 0, "the WFI after it");
	TCHECK(t, k, tfind(t, k, t->n, "rvhv_irq", "irq=10", "level=0",
			   "source=user", NULL) > k, "no KVM_INTERRUPT unset");
}

/* kvm.ko: its riscv events tell the same story, less richly. */
static void check_kvm_tour(struct __test_metadata *_metadata,
			   const struct tlog *t)
{
	int i, k, x, last = -1, wfi = 0, woken = 0, kernel_sbi = 0;
	unsigned long long sc, ht;
	bool w_touch = false, r_touch = false, st = false, ld = false;
	const char *r;

	TCHECK(t, 0, t->n > 20, "only %d events", t->n);
	for (i = 0; i < t->n; i++) {
		if (tis(t, i, "kvm_entry")) {
			TCHECK(t, i, last != 1, "two entries");
			last = 1;
			continue;
		}
		if (!tis(t, i, "kvm_exit"))
			continue;
		TCHECK(t, i, last == 1, "an exit without an entry");
		last = 0;
		sc = tev_num(&t->ev[i], "SCAUSE:");
		ht = tev_num(&t->ev[i], "HTVAL:") << 2;
		x = tfind(t, i + 1, t->n, "kvm_entry", NULL);
		if (x < 0)
			x = t->n;
		k = tfind(t, i + 1, x, "kvm_userspace_exit", NULL);
		r = k >= 0 ? strrchr(t->ev[k].args, '(') : NULL;
		if (sc == 10 && k < 0)
			kernel_sbi++;
		if (sc == 23 && ht == TRACE_MMIO) {
			TCHECK(t, i, r && !strcmp(r, "(6)"), "KVM_EXIT_MMIO");
			st = true;
		}
		if (sc == 21 && ht == TRACE_MMIO + 8) {
			TCHECK(t, i, r && !strcmp(r, "(6)"), "KVM_EXIT_MMIO");
			ld = true;
		}
		if (sc == 23 && (ht & ~0xfffULL) ==
		    (TRACE_TOUCH_WRITE & ~0xfffUL)) {
			TCHECK(t, i, k < 0, "a first touch left the kernel");
			w_touch = true;
		}
		if (sc == 21 && (ht & ~0xfffULL) ==
		    (TRACE_TOUCH_READ & ~0xfffUL))
			r_touch = true;
		if (sc == 22) {
			wfi++;
			woken += tfind(t, i + 1, x, "kvm_vcpu_wakeup", NULL) >= 0;
		}
	}
	TCHECK(t, t->n, st && ld, "MMIO store %d, load %d", st, ld);
	TCHECK(t, t->n, w_touch && r_touch, "first touches %d %d", w_touch,
	       r_touch);
	/* The RFENCE and the three set_timer calls, at least. */
	TCHECK(t, t->n, kernel_sbi >= 4, "%d SBI calls in the kernel",
	       kernel_sbi);
	/*
	 * Each timer WFI exits; kvm.ko halts only when no interrupt is
	 * pending yet, which the 20 ms deadline makes all but certain
	 * for one of the three.
	 */
	TCHECK(t, t->n, wfi >= TRACE_WFI_ROUNDS + 1 && woken >= 1,
	       "%d WFI exits, %d halts", wfi, woken);
	i = tfind(t, 0, t->n, "kvm_userspace_exit", NULL);
	TCHECK(t, 0, i >= 0 && !strcmp(strrchr(t->ev[i].args, '('), "(35)"),
	       "the first exit is the ucall's KVM_EXIT_RISCV_SBI");
}

/*
 * The guest's tour with every event on, checked; then, on the same VM,
 * all off (enabled and disabled again): the tour records nothing; then
 * one event on: only it.  One test, as each switch of an event patches
 * the kernel's text (its static key), which costs under QEMU.
 */
TEST_F(trace, guest_tour_then_off)
{
	bool on_kvm = !strcmp(self->sys, "kvm");
	const char *prefix = on_kvm ? "kvm_" : "rvhv_";
	const char *one = on_kvm ? "kvm_exit" : "rvhv_sbi";
	char rel[128], *s;
	struct tlog t;
	int i;

	events_enable(self->sys, true);
	run_tour(_metadata, self->vcpu, self->ticks);
	tlog_read(&t, prefix);
	events_enable(self->sys, false);
	if (on_kvm)
		check_kvm_tour(_metadata, &t);
	else
		check_rvhv_tour(_metadata, &t, self->cpu);
	tlog_free(&t);

	/* Off: nothing. */
	trace_clear();
	run_tour(_metadata, self->vcpu, self->ticks / 10);
	tlog_read(&t, prefix);
	EXPECT_EQ(0, t.n) tlog_dump(&t, 0, 10);
	tlog_free(&t);

	/* One on: only it, and rvhv's system switch says "mixed". */
	snprintf(rel, sizeof(rel), "events/%s/%s/enable", self->sys, one);
	tfs_set(rel, "1");
	if (!on_kvm) {
		s = tfs_read("events/rvhv/enable");
		ASSERT_NE(NULL, s);
		EXPECT_STREQ("X\n", s);
		free(s);
	}
	trace_clear();
	run_tour(_metadata, self->vcpu, self->ticks / 10);
	tlog_read(&t, prefix);
	tfs_set(rel, "0");
	EXPECT_LE(6, t.n);
	for (i = 0; i < t.n; i++)
		EXPECT_STREQ(one, t.ev[i].name);
	tlog_free(&t);
}

TEST_HARNESS_MAIN
