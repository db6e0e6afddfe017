// SPDX-License-Identifier: GPL-2.0
/*
 * The report of rvhv-stat and rvhv-run --stats-report: a VM's binary
 * stats, summed over its vCPUs by name, shown like perf kvm stat.
 *
 * What is shown where comes from the names and the descriptors only:
 *
 * - VM exits by reason.  Where the device has exit-latency stats (rvhv:
 *   a LOG_HIST exit_latency_hist_<reason> and a CUMULATIVE
 *   exit_latency_ns_<reason> per reason), one row per <reason>: its
 *   samples are the histogram's, its time the _ns stat's, its min and max
 *   the bounds of the lowest and highest bucket used.  Otherwise (kvm.ko)
 *   one row per exit counter: a CUMULATIVE count without unit whose name
 *   has "exit" in it, "exits" itself aside (ecall_exit_stat,
 *   mmio_exit_user, ..., signal_exits), with no time ("n/a"), and the
 *   exits they leave out of the "exits" counter are a row "(other)".
 *   "(total)" sums the rows.  A reason never seen since the VM was made
 *   has no row.
 * - Timed events: any other histogram (halt_wait_hist, halt_poll_*_hist),
 *   with its time from the stat named like it with "hist" made "ns".
 * - Per vCPU: its exits, and its halted time (halt_wait_ns).
 * - Counters: every other vCPU stat (summed over the vCPUs; a PEAK is
 *   the highest), then the VM's.
 * - Histograms: every histogram that has samples in the period, a line
 *   per non-empty bucket (its range, count and a bar).
 *
 * A LOG_HIST bucket 0 holds the value 0, bucket i > 0 [2^(i-1), 2^i),
 * the last one everything from 2^(size-2) up; a LINEAR_HIST bucket i
 * [i * bucket_size, (i + 1) * bucket_size), its last one unbounded
 * (Documentation/virt/kvm/api.rst).  Values are shown in their unit
 * scaled by base and exponent (unit seconds, exponent -9: nanoseconds).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kvm.h>

#include "stats.h"

#define BAR_WIDTH	40
#define ROWS_MAX	256

static unsigned int type_of(uint32_t flags)
{
	return flags & KVM_STATS_TYPE_MASK;
}

static bool is_hist(const struct stat_agg *a)
{
	return type_of(a->flags) == KVM_STATS_TYPE_LOG_HIST ||
	       type_of(a->flags) == KVM_STATS_TYPE_LINEAR_HIST;
}

static bool is_time(const struct stat_agg *a)
{
	return (a->flags & KVM_STATS_UNIT_MASK) == KVM_STATS_UNIT_SECONDS;
}

/* ---- Scopes: stats by name ---- */

static struct stat_agg *scope_find(const struct stat_scope *sc,
				   const char *name)
{
	unsigned int i;

	for (i = 0; i < sc->nr; i++)
		if (!strcmp(sc->s[i].name, name))
			return &sc->s[i];
	return NULL;
}

/* Add descriptor d's values to the scope's stat of that name. */
static int scope_add(struct stat_scope *sc, const struct stats_fd *f,
		     const struct stats_desc *d)
{
	struct stat_agg *a = scope_find(sc, d->name);
	unsigned int i;

	if (!a) {
		a = realloc(sc->s, (sc->nr + 1) * sizeof(*a));
		if (!a)
			return -ENOMEM;
		sc->s = a;
		a = &sc->s[sc->nr];
		memset(a, 0, sizeof(*a));
		a->name = strdup(d->name);
		a->cur = calloc(d->size, sizeof(uint64_t));
		a->prev = calloc(d->size, sizeof(uint64_t));
		if (!a->name || !a->cur || !a->prev) {
			free(a->name);
			free(a->cur);
			free(a->prev);
			return -ENOMEM;
		}
		a->flags = d->flags;
		a->exponent = d->exponent;
		a->size = d->size;
		a->bucket_size = d->bucket_size;
		sc->nr++;
	}
	if (a->flags != d->flags || a->exponent != d->exponent)
		return 0;	/* the same name, another stat: the first wins */
	for (i = 0; i < a->size && i < d->size; i++) {
		uint64_t v;

		memcpy(&v, (const char *)f->data + d->offset + 8 * i, 8);
		if (type_of(a->flags) == KVM_STATS_TYPE_PEAK)
			a->cur[i] = v > a->cur[i] ? v : a->cur[i];
		else
			a->cur[i] += v;
	}
	return 0;
}

static void scope_shift(struct stat_scope *sc)
{
	unsigned int i;

	for (i = 0; i < sc->nr; i++) {
		memcpy(sc->s[i].prev, sc->s[i].cur,
		       sc->s[i].size * sizeof(uint64_t));
		memset(sc->s[i].cur, 0, sc->s[i].size * sizeof(uint64_t));
	}
}

static int scope_add_fd(struct stat_scope *sc, const struct stats_fd *f)
{
	unsigned int i;
	int r;

	for (i = 0; i < f->nr; i++) {
		r = scope_add(sc, f, &f->desc[i]);
		if (r)
			return r;
	}
	return 0;
}

static void scope_free(struct stat_scope *sc)
{
	unsigned int i;

	for (i = 0; i < sc->nr; i++) {
		free(sc->s[i].name);
		free(sc->s[i].cur);
		free(sc->s[i].prev);
	}
	free(sc->s);
	sc->s = NULL;
	sc->nr = 0;
}

/* ---- The report's fds ---- */

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
}

int report_add_vm(struct report *r, const struct stats_fd *s)
{
	struct stats_fd *vm = realloc(r->vm, (r->nr_vm + 1) * sizeof(*vm));

	if (!vm)
		return -ENOMEM;
	r->vm = vm;
	r->vm[r->nr_vm++] = *s;
	return 0;
}

int report_add_vcpu(struct report *r, const struct stats_fd *s, int id)
{
	struct stats_fd *v = realloc(r->vcpu, (r->nr_vcpu + 1) * sizeof(*v));
	struct stat_scope *sc;
	int *ids;

	if (!v)
		return -ENOMEM;
	r->vcpu = v;
	ids = realloc(r->vcpu_id, (r->nr_vcpu + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	r->vcpu_id = ids;
	sc = realloc(r->per_vcpu, (r->nr_vcpu + 1) * sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	r->per_vcpu = sc;
	memset(&sc[r->nr_vcpu], 0, sizeof(*sc));
	ids[r->nr_vcpu] = id;
	v[r->nr_vcpu++] = *s;
	return 0;
}

int report_sample(struct report *r)
{
	unsigned int i;
	int e;

	scope_shift(&r->vm_all);
	scope_shift(&r->vcpu_all);
	for (i = 0; i < r->nr_vcpu; i++)
		scope_shift(&r->per_vcpu[i]);
	for (i = 0; i < r->nr_vm; i++) {
		e = stats_fd_read(&r->vm[i]);
		if (!e)
			e = scope_add_fd(&r->vm_all, &r->vm[i]);
		if (e)
			return e;
	}
	for (i = 0; i < r->nr_vcpu; i++) {
		e = stats_fd_read(&r->vcpu[i]);
		if (!e)
			e = scope_add_fd(&r->per_vcpu[i], &r->vcpu[i]);
		if (!e)
			e = scope_add_fd(&r->vcpu_all, &r->vcpu[i]);
		if (e)
			return e;
	}
	r->samples++;
	return 0;
}

void report_free(struct report *r)
{
	unsigned int i;

	for (i = 0; i < r->nr_vm; i++)
		stats_fd_close(&r->vm[i]);
	for (i = 0; i < r->nr_vcpu; i++) {
		stats_fd_close(&r->vcpu[i]);
		scope_free(&r->per_vcpu[i]);
	}
	scope_free(&r->vm_all);
	scope_free(&r->vcpu_all);
	free(r->vm);
	free(r->vcpu);
	free(r->vcpu_id);
	free(r->per_vcpu);
	memset(r, 0, sizeof(*r));
}

/* ---- Values ---- */

/* Value i of the period (since the sample before), or since the start. */
static uint64_t period(const struct stat_agg *a, unsigned int i)
{
	unsigned int t = type_of(a->flags);

	if (t == KVM_STATS_TYPE_INSTANT || t == KVM_STATS_TYPE_PEAK)
		return a->cur[i];
	return a->cur[i] >= a->prev[i] ? a->cur[i] - a->prev[i] : 0;
}

/* One unit of a's values, in its base unit (seconds, bytes, ...). */
static double unit_of(uint32_t flags, int exponent)
{
	double base = (flags & KVM_STATS_BASE_MASK) == KVM_STATS_BASE_POW2 ?
		      2 : 10, v = 1;
	int i;

	for (i = 0; i < exponent && i < 512; i++)
		v *= base;
	for (i = 0; i > exponent && i > -512; i--)
		v /= base;
	return v;
}

static void fmt_secs(char *buf, size_t n, double s)
{
	if (s == 0)
		snprintf(buf, n, "0");
	else if (s < 1e-6)
		snprintf(buf, n, "%.0fns", s * 1e9);
	else if (s < 1e-3)
		snprintf(buf, n, "%.2fus", s * 1e6);
	else if (s < 1)
		snprintf(buf, n, "%.2fms", s * 1e3);
	else
		snprintf(buf, n, "%.3fs", s);
}

/* v (in units of flags and exponent) for people. */
static void fmt_value(char *buf, size_t n, uint32_t flags, int exponent,
		      double v)
{
	static const char *const bytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double x = v * unit_of(flags, exponent);
	unsigned int i = 0;

	switch (flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_SECONDS:
		fmt_secs(buf, n, x);
		return;
	case KVM_STATS_UNIT_BYTES:
		while (x >= 1024 && i < 4) {
			x /= 1024;
			i++;
		}
		snprintf(buf, n, i ? "%.2f%s" : "%.0f%s", x, bytes[i]);
		return;
	case KVM_STATS_UNIT_CYCLES:
		snprintf(buf, n, "%.0fcyc", x);
		return;
	default:
		snprintf(buf, n, x < 1e15 && x == (double)(uint64_t)x ?
			 "%.0f" : "%.3g", x);
	}
}

static void fmt_rate(char *buf, size_t n, double count, double secs)
{
	if (secs > 0)
		snprintf(buf, n, "%.1f", count / secs);
	else
		snprintf(buf, n, "-");
}

/* ---- Histograms ---- */

/* Bucket i's range [lo, hi) in the stat's units; hi < 0: unbounded. */
static void bucket_range(const struct stat_agg *a, unsigned int i,
			 double *lo, double *hi)
{
	if (type_of(a->flags) == KVM_STATS_TYPE_LINEAR_HIST) {
		*lo = (double)a->bucket_size * i;
		*hi = (double)a->bucket_size * (i + 1);
	} else {
		*lo = i ? unit_of(KVM_STATS_BASE_POW2, i - 1) : 0;
		*hi = unit_of(KVM_STATS_BASE_POW2, i);
	}
	if (i + 1 == a->size)
		*hi = -1;
}

static uint64_t hist_samples(const struct stat_agg *a, bool total)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < a->size; i++)
		n += total ? a->cur[i] : period(a, i);
	return n;
}

/* Min, average, max of a histogram's period; avg from the time if any. */
static void hist_summary(const struct stat_agg *h, const struct stat_agg *t,
			 char *min, char *avg, char *max, size_t n)
{
	double lo, hi, sum = 0, first = -1, last = -1, last_hi = 0;
	uint64_t samples = 0;
	unsigned int i;

	for (i = 0; i < h->size; i++) {
		uint64_t c = period(h, i);

		if (!c)
			continue;
		bucket_range(h, i, &lo, &hi);
		if (first < 0)
			first = lo;
		last = lo;
		last_hi = hi;
		sum += c * (hi < 0 ? lo : (lo + hi) / 2);
		samples += c;
	}
	if (!samples) {
		snprintf(min, n, "-");
		snprintf(avg, n, "-");
		snprintf(max, n, "-");
		return;
	}
	fmt_value(min, n, h->flags, h->exponent, first);
	if (t) {
		fmt_value(avg, n, t->flags, t->exponent,
			  (double)period(t, 0) / samples);
	} else {
		avg[0] = '~';
		fmt_value(avg + 1, n - 1, h->flags, h->exponent, sum / samples);
	}
	if (last_hi < 0) {
		max[0] = '>';
		fmt_value(max + 1, n - 1, h->flags, h->exponent, last);
	} else {
		max[0] = '<';
		fmt_value(max + 1, n - 1, h->flags, h->exponent, last_hi);
	}
}

static void print_hist(FILE *f, const struct stat_agg *a, const char *scope)
{
	uint64_t most = 0, samples = hist_samples(a, false);
	char lo_s[32], hi_s[32], bar[BAR_WIDTH + 1];
	unsigned int i, w;
	double lo, hi;

	for (i = 0; i < a->size; i++)
		most = period(a, i) > most ? period(a, i) : most;
	fprintf(f, "\n%s (%s): %llu samples\n", a->name, scope,
		(unsigned long long)samples);
	for (i = 0; i < a->size; i++) {
		uint64_t c = period(a, i);

		if (!c)
			continue;
		bucket_range(a, i, &lo, &hi);
		fmt_value(lo_s, sizeof(lo_s), a->flags, a->exponent, lo);
		if (hi < 0)
			snprintf(hi_s, sizeof(hi_s), "inf");
		else
			fmt_value(hi_s, sizeof(hi_s), a->flags, a->exponent,
				  hi);
		w = (unsigned int)((double)c * BAR_WIDTH / most);
		w = w ? w : 1;
		memset(bar, '#', w);
		bar[w] = '\0';
		fprintf(f, "  [%9s, %9s) %10llu |%s\n", lo_s, hi_s,
			(unsigned long long)c, bar);
	}
}

/* ---- Tables ---- */

/* One row of a table: a reason, or a timed event. */
struct row {
	const char *label;
	uint64_t samples, total;
	const struct stat_agg *hist;	/* or NULL */
	const struct stat_agg *time;	/* or NULL: no time ("n/a") */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return strcmp(x->label, y->label);
}

static double row_secs(const struct row *r)
{
	return r->time ? period(r->time, 0) *
			 unit_of(r->time->flags, r->time->exponent) : 0;
}

/* The time stat of histogram h: h's name with its first "hist" as "ns". */
static struct stat_agg *time_of(const struct stat_scope *sc,
				const struct stat_agg *h, bool *used)
{
	char name[STATS_NAME_MAX + 8];
	const char *p = strstr(h->name, "hist");
	struct stat_agg *t;

	if (!p || strlen(h->name) >= STATS_NAME_MAX)
		return NULL;
	snprintf(name, sizeof(name), "%.*sns%s", (int)(p - h->name), h->name,
		 p + 4);
	t = scope_find(sc, name);
	if (!t || type_of(t->flags) != KVM_STATS_TYPE_CUMULATIVE ||
	    !is_time(t))
		return NULL;
	used[t - sc->s] = true;
	return t;
}

static void print_rows(FILE *f, struct row *rows, unsigned int nr,
		       const char *what, bool percent,
		       const struct report_opts *o)
{
	char rate[24], secs[24], min[24], avg[24], max[24], pct[16], tpct[16];
	uint64_t all = 0;
	double all_secs = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (strcmp(rows[i].label, "(total)")) {
			all += rows[i].samples;
			all_secs += row_secs(&rows[i]);
		}
	}
	fprintf(f, "\n%-26s %10s %10s", what, "SAMPLES", "/s");
	if (percent)
		fprintf(f, " %8s", "SAMPLES%");
	fprintf(f, " %10s", "TIME");
	if (percent)
		fprintf(f, " %7s", "TIME%");
	fprintf(f, " %9s %10s %10s%s\n", "MIN", "AVG", "MAX",
		o->live ? "      TOTAL" : "");
	for (i = 0; i < nr; i++) {
		const struct row *r = &rows[i];

		fmt_rate(rate, sizeof(rate), r->samples, o->secs);
		snprintf(pct, sizeof(pct), "%.2f%%",
			 all ? 100.0 * r->samples / all : 0);
		if (r->time) {
			fmt_secs(secs, sizeof(secs), row_secs(r));
			snprintf(tpct, sizeof(tpct), "%.2f%%", all_secs ?
				 100 * row_secs(r) / all_secs : 0);
		} else {
			snprintf(secs, sizeof(secs), "n/a");
			snprintf(tpct, sizeof(tpct), "n/a");
		}
		if (r->hist) {
			hist_summary(r->hist, r->time, min, avg, max,
				     sizeof(min));
		} else {
			snprintf(min, sizeof(min), "n/a");
			snprintf(avg, sizeof(avg), "n/a");
			snprintf(max, sizeof(max), "n/a");
		}
		fprintf(f, "%-26s %10llu %10s", r->label,
			(unsigned long long)r->samples, rate);
		if (percent)
			fprintf(f, " %8s", pct);
		fprintf(f, " %10s", secs);
		if (percent)
			fprintf(f, " %7s", tpct);
		fprintf(f, " %9s %10s %10s", min, avg, max);
		if (o->live)
			fprintf(f, " %10llu", (unsigned long long)r->total);
		fputc('\n', f);
	}
}

static const char *const reason_prefix = "exit_latency_hist_";

/* The VM-exit table; marks the stats it shows in used. */
static void print_exits(FILE *f, const struct stat_scope *sc, bool *used,
			const struct report_opts *o)
{
	static struct row rows[ROWS_MAX + 2];
	const size_t plen = strlen(reason_prefix);
	struct stat_agg *exits = scope_find(sc, "exits");
	uint64_t sum = 0, sum_total = 0;
	unsigned int i, nr = 0;
	bool latency = false;
	static struct stat_agg total_time;
	bool have_time = false;

	for (i = 0; i < sc->nr; i++)
		if (!strncmp(sc->s[i].name, reason_prefix, plen) &&
		    type_of(sc->s[i].flags) == KVM_STATS_TYPE_LOG_HIST)
			latency = true;
	for (i = 0; i < sc->nr && nr < ROWS_MAX; i++) {
		struct stat_agg *a = &sc->s[i];
		struct row *r = &rows[nr];

		if (latency) {
			if (strncmp(a->name, reason_prefix, plen) ||
			    type_of(a->flags) != KVM_STATS_TYPE_LOG_HIST)
				continue;
			r->label = a->name + plen;
			r->hist = a;
			r->time = time_of(sc, a, used);
			r->samples = hist_samples(a, false);
			r->total = hist_samples(a, true);
			have_time |= r->time != NULL;
		} else {
			if (a == exits || !strstr(a->name, "exit") ||
			    type_of(a->flags) != KVM_STATS_TYPE_CUMULATIVE ||
			    (a->flags & KVM_STATS_UNIT_MASK) !=
			    KVM_STATS_UNIT_NONE)
				continue;
			r->label = a->name;
			r->hist = r->time = NULL;
			r->samples = period(a, 0);
			r->total = a->cur[0];
		}
		used[i] = true;
		sum += r->samples;
		sum_total += r->total;
		nr += r->total > 0;	/* a reason never seen: no row */
	}
	if (!nr && !exits)
		return;
	qsort(rows, nr, sizeof(rows[0]), row_cmp);
	/*
	 * The exits no counter names.  Not with exit latencies: those cover
	 * every exit, their sample being taken at the next entry.
	 */
	if (!latency && exits &&
	    type_of(exits->flags) == KVM_STATS_TYPE_CUMULATIVE &&
	    (period(exits, 0) > sum || exits->cur[0] > sum_total)) {
		rows[nr] = (struct row) {
			.label = "(other)",
			.samples = period(exits, 0) > sum ?
				   period(exits, 0) - sum : 0,
			.total = exits->cur[0] > sum_total ?
				 exits->cur[0] - sum_total : 0,
		};
		sum += rows[nr].samples;
		sum_total += rows[nr].total;
		nr++;
	}
	/* (total): its time is the rows' times as one CUMULATIVE stat. */
	memset(&total_time, 0, sizeof(total_time));
	if (have_time) {
		static uint64_t cur, prev;

		cur = prev = 0;
		for (i = 0; i < nr; i++) {
			if (!rows[i].time)
				continue;
			total_time.flags = rows[i].time->flags;
			total_time.exponent = rows[i].time->exponent;
			cur += rows[i].time->cur[0];
			prev += rows[i].time->prev[0];
		}
		total_time.size = 1;
		total_time.cur = &cur;
		total_time.prev = &prev;
	}
	rows[nr++] = (struct row) {
		.label = "(total)", .samples = sum, .total = sum_total,
		.time = have_time ? &total_time : NULL,
	};
	print_rows(f, rows, nr, latency ? "VM-EXIT (exit_latency_*)" :
		   "VM-EXIT (exit counters)", true, o);
	if (!latency)
		fprintf(f, "(time per reason: n/a, the device has no "
			"%s<reason> stats)\n", reason_prefix);
}

/* Histograms that are not exit reasons: halt_wait_hist, ... */
static void print_events(FILE *f, const struct stat_scope *sc, bool *used,
			 const struct report_opts *o)
{
	static struct row rows[ROWS_MAX];
	static char labels[ROWS_MAX][80];
	unsigned int i, nr = 0;

	for (i = 0; i < sc->nr && nr < ROWS_MAX; i++) {
		struct stat_agg *a = &sc->s[i];
		const char *p;
		size_t len;

		if (used[i] || !is_hist(a))
			continue;
		used[i] = true;
		p = strstr(a->name, "_hist");
		len = p ? (size_t)(p - a->name) : strlen(a->name);
		snprintf(labels[nr], sizeof(labels[nr]), "%.*s%s", (int)len,
			 a->name, p ? p + 5 : "");
		rows[nr] = (struct row) {
			.label = labels[nr], .hist = a,
			.time = time_of(sc, a, used),
			.samples = hist_samples(a, false),
			.total = hist_samples(a, true),
		};
		nr += rows[nr].total > 0;
	}
	if (nr)
		print_rows(f, rows, nr, "EVENT (histograms)", false, o);
}

static void print_counters(FILE *f, const char *what,
			   const struct stat_scope *sc, const bool *used,
			   const struct report_opts *o)
{
	char val[32], rate[24], total[32];
	unsigned int i;
	bool head = false;

	for (i = 0; i < sc->nr; i++) {
		const struct stat_agg *a = &sc->s[i];
		unsigned int t = type_of(a->flags);

		if ((used && used[i]) || is_hist(a))
			continue;
		if (!head)
			fprintf(f, "\n%-34s %12s %10s%s\n", what, "VALUE", "/s",
				o->live ? "        TOTAL" : "");
		head = true;
		fmt_value(val, sizeof(val), a->flags, a->exponent,
			  (double)period(a, 0));
		if (t == KVM_STATS_TYPE_CUMULATIVE)
			fmt_rate(rate, sizeof(rate), period(a, 0), o->secs);
		else
			snprintf(rate, sizeof(rate), t ==
				 KVM_STATS_TYPE_PEAK ? "(peak)" : "(now)");
		fmt_value(total, sizeof(total), a->flags, a->exponent,
			  (double)a->cur[0]);
		fprintf(f, "%-34s %12s %10s", a->name, val, rate);
		if (o->live)
			fprintf(f, " %12s", total);
		fputc('\n', f);
	}
}

static void print_vcpus(FILE *f, const struct report *r,
			const struct report_opts *o)
{
	char rate[24], halted[24];
	unsigned int i;

	fprintf(f, "\n%-8s %10s %10s %10s\n", "VCPU", "EXITS", "/s", "HALTED");
	for (i = 0; i < r->nr_vcpu; i++) {
		const struct stat_agg *e = scope_find(&r->per_vcpu[i], "exits");
		const struct stat_agg *h = scope_find(&r->per_vcpu[i],
						      "halt_wait_ns");
		char exits[24];

		if (e && type_of(e->flags) == KVM_STATS_TYPE_CUMULATIVE) {
			snprintf(exits, sizeof(exits), "%llu",
				 (unsigned long long)period(e, 0));
			fmt_rate(rate, sizeof(rate), period(e, 0), o->secs);
		} else {
			snprintf(exits, sizeof(exits), "n/a");
			snprintf(rate, sizeof(rate), "n/a");
		}
		if (h && is_time(h))
			fmt_value(halted, sizeof(halted), h->flags,
				  h->exponent, period(h, 0));
		else
			snprintf(halted, sizeof(halted), "n/a");
		fprintf(f, "%-8d %10s %10s %10s\n", r->vcpu_id[i], exits,
			rate, halted);
	}
}

void report_print(struct report *r, FILE *f, const struct report_opts *o)
{
	bool *used = calloc(r->vcpu_all.nr + 1, sizeof(bool));
	unsigned int i;

	fprintf(f, "%s\n", o->title);
	if (!used) {
		fprintf(f, "(out of memory)\n");
		return;
	}
	if (r->nr_vcpu) {
		print_exits(f, &r->vcpu_all, used, o);
		print_events(f, &r->vcpu_all, used, o);
		print_vcpus(f, r, o);
		print_counters(f, "COUNTER (all vCPUs)", &r->vcpu_all, used,
			       o);
	}
	print_counters(f, "COUNTER (VM)", &r->vm_all, NULL, o);
	for (i = 0; i < r->vcpu_all.nr; i++)
		if (is_hist(&r->vcpu_all.s[i]) &&
		    hist_samples(&r->vcpu_all.s[i], false))
			print_hist(f, &r->vcpu_all.s[i], "all vCPUs");
	for (i = 0; i < r->vm_all.nr; i++)
		if (is_hist(&r->vm_all.s[i]) &&
		    hist_samples(&r->vm_all.s[i], false))
			print_hist(f, &r->vm_all.s[i], "VM");
	free(used);
	fflush(f);
}
