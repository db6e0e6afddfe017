// SPDX-License-Identifier: GPL-2.0
/*
 * /init of rvhv-run's tiny guest: a greeting, the number of harts the
 * guest kernel brought up and its uptime, then power off (SBI SRST), or
 * reset when the kernel command line has rvhv-guest.reset (with
 * rvhv-guest.irqs, /proc/interrupts before that).
 * tools/testbed/run.sh and selftests/vmm_test.c look for these lines.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char line[256], up[64] = "?", cmdline[4096] = "";
	int harts = 0, reset;
	FILE *f;

	printf("rvhv-guest: hello from the guest\n");
	fflush(stdout);
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "processor", 9))
				harts++;
		fclose(f);
	}
	f = fopen("/proc/uptime", "r");
	if (f) {
		if (fscanf(f, "%63s", up) != 1)
			strcpy(up, "?");
		fclose(f);
	}
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	reset = strstr(cmdline, "rvhv-guest.reset") != NULL;
	printf("rvhv-guest: harts %d\n", harts);
	printf("rvhv-guest: uptime %s s\n", up);
	/* rvhv-guest.irqs: /proc/interrupts, to see which irqchip served. */
	f = strstr(cmdline, "rvhv-guest.irqs") ?
	    fopen("/proc/interrupts", "r") : NULL;
	if (f) {
		while (fgets(line, sizeof(line), f))
			printf("rvhv-guest: irqs %s", line);
		fclose(f);
	}
	printf("rvhv-guest: %s\n", reset ? "resetting" : "powering off");
	fflush(stdout);
	sync();
	reboot(reset ? RB_AUTOBOOT : RB_POWER_OFF);
	perror("rvhv-guest: reboot");
	for (;;)
		pause();
}
