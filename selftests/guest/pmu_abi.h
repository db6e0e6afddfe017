/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pmu_test and its guest program (guest/pmu.c) agree on: SBI PMU and
 * FWFT numbers, the scratch area, guest_misaligned's flags and reports.
 */
#ifndef GUEST_PMU_ABI_H
#define GUEST_PMU_ABI_H

#include "ucall_abi.h"

/* Scratch memory in slot 0: misaligned targets, event_get_info arrays. */
#define PMU_SCRATCH		(GUEST_DATA + 0xa000UL)

#define SBI_EXT_FWFT		0x46574654
#define SBI_FWFT_SET		0
#define SBI_FWFT_GET		1
#define FWFT_MISALIGNED		0
#define FWFT_LOCK		1UL

#define SBI_PMU_NUM_COUNTERS	0
#define SBI_PMU_GET_INFO	1
#define SBI_PMU_CFG_MATCH	2
#define SBI_PMU_START		3
#define SBI_PMU_STOP		4
#define SBI_PMU_FW_READ		5
#define SBI_PMU_FW_READ_HI	6
#define SBI_PMU_SNAPSHOT	7
#define SBI_PMU_EVENT_INFO	8

#define PMU_CFG_SKIP_MATCH	0x1UL
#define PMU_CFG_CLEAR_VALUE	0x2UL
#define PMU_CFG_AUTO_START	0x4UL
#define PMU_START_INIT_VALUE	0x1UL
#define PMU_START_SNAPSHOT	0x2UL
#define PMU_STOP_RESET		0x1UL

/* A firmware event's event_idx (type 0xf). */
#define PMU_FW(code)		(0xf0000UL | (code))
#define FW_MISALIGNED_LOAD	0
#define FW_MISALIGNED_STORE	1
#define FW_ILLEGAL_INSN		4
#define FW_SET_TIMER		5
#define FW_IPI_SENT		6
#define FW_IPI_RECEIVED		7
#define FW_FENCE_I_SENT		8
#define FW_FENCE_I_RECEIVED	9

#define SBI_ERR_ALREADY_STARTED	(-7)
#define SBI_ERR_ALREADY_STOPPED	(-8)
#define SBI_ERR_NO_SHMEM	(-9)
#define SBI_ERR_DENIED_LOCKED	(-11)

/*
 * guest_misaligned(flags): a misaligned lr.w and amoadd.w, each taken by
 * the guest's own trap handler and skipped.  MIS_FWFT: first FWFT set
 * MISALIGNED_EXC_DELEG to (flags & MIS_DELEG); MIS_PMU: count
 * MISALIGNED_LOAD/STORE with the SBI PMU around them.  Reports
 * UCALL_REPORT(MIS_TRAPS, cause of the first, cause of the second,
 * stval of the first, traps taken) and UCALL_REPORT(MIS_COUNTS,
 * misaligned loads counted, stores counted) (0, 0 without MIS_PMU).
 */
#define MIS_FWFT		0x1UL
#define MIS_DELEG		0x2UL
#define MIS_PMU			0x4UL
#define MIS_TRAPS		1
#define MIS_COUNTS		2

/* Hardware events (type 0) */
#define HW_CPU_CYCLES		0x1UL
#define HW_INSTRUCTIONS		0x2UL

/*
 * guest_pmu_hw(eidx, loops): a counter configured for hardware event
 * eidx (any counter), started, a loop of 2 * loops instructions, stopped,
 * its CSR read twice: UCALL_REPORT(HW_COUNT, counter, value, value again,
 * time ticks from before the configuration to after the stop), or
 * UCALL_REPORT(HW_ERROR, SBI error of counter_config_matching) and done.
 * Then released (counter_stop with RESET), its CSR and hpmcounter31 read
 * again: UCALL_REPORT(HW_TRAPS, traps taken, the last one's scause, the
 * released counter's read), unless eidx has HW_NO_TRAPS.
 * guest_pmu_churn(eidx, loops): loops times configure, configure again
 * (SKIP_MATCH, running and not), start, stop, a huge mask, release,
 * start (not in use); finally one left configured and running:
 * UCALL_REPORT(HW_CHURN, calls that did not answer as they should).
 */
#define HW_NO_TRAPS		(1UL << 63)
#define HW_COUNT		3
#define HW_ERROR		4
#define HW_TRAPS		5
#define HW_CHURN		6
/* guest_pmu_read(ctr): UCALL_REPORT(HW_READ, its CSR) */
#define HW_READ			7

#endif /* GUEST_PMU_ABI_H */
