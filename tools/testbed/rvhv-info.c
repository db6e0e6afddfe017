// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-info: what /dev/rvhv (or the device named as argument) reports:
 * API version, vCPU mmap size, every capability it claims, and the host
 * features rvhv detected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/rvhv.h>

static const char *const mode_names[] = {
	[8] = "sv39x4", [9] = "sv48x4", [10] = "sv57x4",
};

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/rvhv";
	struct rvhv_host_features f;
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	long cap, v;
	int m;

	if (fd < 0) {
		fprintf(stderr, "rvhv-info: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	printf("%s: KVM API version %d, vCPU mmap size %d\n", dev,
	       ioctl(fd, KVM_GET_API_VERSION, 0),
	       ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0));
	printf("capabilities (KVM_CAP_* number = value):");
	for (cap = 0; cap < 512; cap++) {
		v = ioctl(fd, KVM_CHECK_EXTENSION, cap);
		if (v > 0)
			printf(" %ld=%ld", cap, v);
	}
	printf("\n");
	if (ioctl(fd, KVM_CHECK_EXTENSION, RVHV_CAP_HOST_FEATURES) <= 0) {
		printf("no rvhv host features (not rvhv?)\n");
		return 0;
	}
	if (ioctl(fd, RVHV_GET_HOST_FEATURES, &f)) {
		perror("RVHV_GET_HOST_FEATURES");
		return 1;
	}
	printf("host: H%s%s%s%s%s\n",
	       f.flags & RVHV_HOST_ENVCFG ? " henvcfg" : " (no henvcfg)",
	       f.flags & RVHV_HOST_SSTC ? " Sstc" : "",
	       f.flags & RVHV_HOST_SVPBMT ? " Svpbmt" : "",
	       f.flags & RVHV_HOST_SMSTATEEN ? " Smstateen" : "",
	       f.flags & RVHV_HOST_SSAIA ? " Ssaia" : "");
	printf("G-stage modes:");
	for (m = 8; m <= 10; m++)
		if (f.gstage_modes & (1U << m))
			printf(" %s", mode_names[m]);
	printf("; VMs use %s (%u GPA bits)\n", mode_names[f.gstage_mode],
	       f.gpa_bits);
	printf("VMID bits: %u (%u used)\n", f.vmid_bits, f.vmid_bits_used);
	close(fd);
	return 0;
}
