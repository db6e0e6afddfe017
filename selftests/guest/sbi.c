// SPDX-License-Identifier: GPL-2.0
/* Guest programs of sbi_test. */
#include "guest.h"

long guest_sbi_loop(unsigned long unused0, unsigned long unused1);
long guest_dbcn_string(unsigned long unused0, unsigned long unused1);

long guest_sbi_loop(unsigned long unused0, unsigned long unused1)
{
	volatile struct guest_sbi_req *r = (void *)GUEST_SBI_REQ;
	struct sbiret ret;

	GUEST_SYNC(0);
	for (;;) {
		ret = sbi_ecall(r->ext, r->fid, r->args[0], r->args[1],
				r->args[2], r->args[3], r->args[4], r->args[5]);
		GUEST_REPORT2(0, ret.error, ret.value);
	}
}

static const char dbcn_msg[] = "hello";

/* DBCN console_write of "hello" (5 bytes at its GPA). */
long guest_dbcn_string(unsigned long unused0, unsigned long unused1)
{
	struct sbiret ret;

	ret = sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, 5,
			(unsigned long)dbcn_msg, 0, 0, 0, 0);
	GUEST_REPORT3(1, ret.error, ret.value, (unsigned long)dbcn_msg);
	return 0;
}
