// SPDX-License-Identifier: GPL-2.0
/*
 * Runs on a test host booted without the H extension (-cpu rv64,h=false):
 * rvhv must refuse to load, say why, and leave nothing behind.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "rvhv_util.h"

/* Does the kernel log hold a line containing @s? */
static int kmsg_has(const char *s)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int found;

	if (fd < 0)
		return -1;
	found = rvhv_kmsg_has(fd, s);
	close(fd);
	return found;
}

TEST(refuses_without_h)
{
	EXPECT_EQ(-ENODEV, rvhv_load_module(RVHV_KO, ""));
	EXPECT_EQ(1, kmsg_has("rvhv: the CPU has no hypervisor (H) extension"));
	EXPECT_EQ(-1, access("/dev/rvhv", F_OK));
	EXPECT_EQ(-1, access("/sys/module/rvhv", F_OK));
	/* And again: a failed load leaves no state that breaks the next. */
	EXPECT_EQ(-ENODEV, rvhv_load_module(RVHV_KO, ""));
}

TEST_HARNESS_MAIN
