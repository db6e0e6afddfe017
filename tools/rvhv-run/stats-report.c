// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's and its vCPUs' binary stats fds (KVM_GET_STATS_FD), opened
 * once the vCPUs exist (before any KVM_RUN: the vCPU ioctl waits for
 * KVM_RUN) and held until the end, so that rvhv-stat can find them in
 * /proc/PID/fd (it cannot get its own: the kernel answers VM and vCPU
 * ioctls only in this process).  --stats-report prints rvhv-stat's
 * report of them (tools/rvhv-stat/report.c: exits by reason with their
 * times and histograms, halts, counters) on stderr at exit, after the
 * vCPU threads ended.  A device without binary stats gets one line
 * saying so with --stats-report, none without, and the guest runs all
 * the same.  Only the main thread uses what is here.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rvhv-run.h"
#include "stats.h"

static struct report rep;
static bool ready;		/* rep holds the VM's and every vCPU's fd */

static bool add_fd(int fd, int vcpu)
{
	struct stats_fd s;
	char err[160];
	int sfd = ioctl(fd, KVM_GET_STATS_FD, 0);

	if (sfd < 0) {
		if (opt.stats_report)
			fprintf(stderr, "rvhv-run: --stats-report: "
				"KVM_GET_STATS_FD on %s: %s; no report\n",
				vcpu < 0 ? "the VM" : "a vCPU",
				strerror(errno));
		return false;
	}
	if (stats_fd_open(&s, sfd, err, sizeof(err))) {
		if (opt.stats_report)
			fprintf(stderr, "rvhv-run: --stats-report: the stats "
				"of %s: %s; no report\n", vcpu < 0 ?
				"the VM" : "a vCPU", err);
		return false;
	}
	if (vcpu < 0 ? report_add_vm(&rep, &s) :
		       report_add_vcpu(&rep, &s, vcpu)) {
		stats_fd_close(&s);
		if (opt.stats_report)
			fprintf(stderr, "rvhv-run: --stats-report: out of "
				"memory\n");
		return false;
	}
	return true;
}

void stats_fds_open(void)
{
	int i;

	report_init(&rep);
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0) {
		if (opt.stats_report)
			fprintf(stderr, "rvhv-run: --stats-report: %s has no "
				"binary stats (KVM_CAP_BINARY_STATS_FD); no "
				"report\n", opt.dev);
		return;
	}
	if (!add_fd(vm_fd, -1))
		goto fail;
	for (i = 0; i < opt.cpus; i++)
		if (!add_fd(vcpus[i].fd, i))
			goto fail;
	ready = true;
	return;
fail:
	report_free(&rep);
}

void stats_report_print(void)
{
	struct report_opts o = { .secs = now() - t_start };
	char title[160];
	int r;

	if (!ready)
		return;
	if (!opt.stats_report)
		goto out;
	r = report_sample(&rep);
	if (r) {
		fprintf(stderr, "rvhv-run: --stats-report: reading the stats: "
			"%s\n", strerror(-r));
	} else {
		snprintf(title, sizeof(title), "rvhv-run: stats report: %s, "
			 "%d vCPU%s, since the VM was made (per second: over "
			 "the %.3f s since the first KVM_RUN)", opt.dev,
			 opt.cpus, opt.cpus == 1 ? "" : "s", o.secs);
		o.title = title;
		report_print(&rep, stderr, &o);
	}
out:
	report_free(&rep);
	ready = false;
}
