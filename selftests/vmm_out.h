/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the tests that run rvhv-run (vmm_test, migrate_test): its output
 * copied into the test log.  Needs _GNU_SOURCE (strchrnul, memmem).
 */
#ifndef VMM_OUT_H
#define VMM_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * Each line of out as a "# | " line of the test log ("# name | " with a
 * name): all of them, or only rvhv-run's and the guest init's own (the
 * guest kernel's log could hold words the test bed's parser takes for a
 * host kernel splat).
 */
static inline void vmm_show_lines(const char *out, const char *name, bool all)
{
	const char *s = out, *e;
	int n;

	while (*s) {
		e = strchrnul(s, '\n');
		n = e - s;
		if (n && s[n - 1] == '\r')
			n--;
		if (all || memmem(s, n, "rvhv-run:", 9) ||
		    memmem(s, n, "rvhv-guest:", 11)) {
			if (name)
				printf("# %s | %.*s\n", name, n, s);
			else
				printf("# | %.*s\n", n, s);
		}
		s = *e ? e + 1 : e;
	}
}

#endif /* VMM_OUT_H */
