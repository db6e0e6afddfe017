// SPDX-License-Identifier: GPL-2.0
/*
 * Guest programs of vmid_test: memory patterns checked in a loop while
 * VMIDs roll over, hypervisors time-share a CPU, or another VM storms;
 * per-hart Sv39 mappings of one VA (VS-stage TLB entries of vCPUs sharing
 * a CPU); a storm of remote fences, single and batched.
 */
#include "smp.h"
#include "vmid_abi.h"

/* The words of a pattern page that are checked: first, middle, last. */
static const unsigned int pat_words[] = { 0, 255, 511 };

static volatile u64 *pat_word(unsigned long h, unsigned long n,
			      unsigned long pg, unsigned int w)
{
	return (volatile u64 *)(VMID_PAT_BASE + (h * n + pg) * 4096 +
				w * 8);
}

/*
 * Hart h's pattern loop: write its pages, then check what it wrote last
 * and write the next round's values, again and again, with calls that
 * exit to the hypervisor (and a ucall every 16 rounds) until the host
 * sets host_flag[0].  Returns the number of rounds.
 */
static long vmid_pattern(unsigned long h)
{
	unsigned long tag = SMP->arg[0], n = SMP->arg[1], flags = SMP->arg[2];
	unsigned long r, pg, k, i;

	for (pg = 0; pg < n; pg++)
		for (k = 0; k < 3; k++) {
			i = pg * 512 + pat_words[k];
			*pat_word(h, n, pg, pat_words[k]) =
				VMID_PAT(tag, h, i, 0);
		}
	for (r = 0; !SMP->host_flag[0]; r++) {
		for (pg = 0; pg < n; pg++)
			for (k = 0; k < 3; k++) {
				volatile u64 *p = pat_word(h, n, pg,
							   pat_words[k]);

				i = pg * 512 + pat_words[k];
				GUEST_ASSERT_EQ(*p, VMID_PAT(tag, h, i, r));
				*p = VMID_PAT(tag, h, i, r + 1);
			}
		if (flags & VMID_F_LEGACY)
			GUEST_ASSERT_EQ(sbi_legacy(SBI_EXT_0_1_REMOTE_SFENCE_VMA,
						   (unsigned long)&SMP->legacy_mask,
						   0, -1UL, 0), 0);
		if (flags & VMID_F_RFENCE)
			GUEST_ASSERT_EQ(sbi_ecall(SBI_EXT_RFENCE,
						  SBI_RFENCE_SFENCE_VMA, 0,
						  -1UL, 0, -1UL, 0, 0).error,
					0);
		SMP->counter[h] = r + 1;
		if ((r & 15) == 15)
			GUEST_SYNC(r);
	}
	return r;
}

/* A VM of one vCPU: hart 0 runs the pattern loop. */
long guest_vmid_pattern(unsigned long unused0, unsigned long unused1);
long guest_vmid_pattern(unsigned long unused0, unsigned long unused1)
{
	return vmid_pattern(0);
}

/*
 * Hart h maps VMID_VS_VA to its own page, with the same ASID (0) as every
 * other hart, and checks that it reads its own values there until the
 * host sets host_flag[0]: a vCPU that used another vCPU's VS-stage TLB
 * entry would read the other hart's page.  Returns the number of rounds.
 */
static long vmid_vsstage(unsigned long h)
{
	volatile u64 *root = (void *)(VMID_PT_BASE + h * 0x3000);
	volatile u64 *l1 = (void *)(VMID_PT_BASE + h * 0x3000 + 0x1000);
	volatile u64 *l0 = (void *)(VMID_PT_BASE + h * 0x3000 + 0x2000);
	volatile u64 *data = (void *)(VMID_VS_DATA + h * 0x1000);
	volatile u64 *va = (void *)VMID_VS_VA;
	unsigned long r, i;

	for (i = 0; i < 512; i++) {
		root[i] = 0;
		l1[i] = 0;
		l0[i] = 0;
		data[i] = VMID_VS_PAT(h, i);
	}
	/* 1:1 gigapages for the payload and the test's slot. */
	root[GUEST_BASE >> 30] = PTE(GUEST_BASE, PTE_V | PTE_R | PTE_W |
				     PTE_X | PTE_A | PTE_D);
	root[GUEST_EXTRA >> 30] = PTE(GUEST_EXTRA, PTE_V | PTE_R | PTE_W |
				      PTE_A | PTE_D);
	root[VMID_VS_VA >> 30] = PTE(l1, PTE_V);
	l1[0] = PTE(l0, PTE_V);
	l0[0] = PTE(data, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	asm volatile("sfence.vma" : : : "memory");
	csr_write(satp, SATP_SV39 | (unsigned long)root >> 12);
	asm volatile("sfence.vma" : : : "memory");

	for (r = 0; !SMP->host_flag[0]; r++) {
		for (i = 0; i < 512; i += 37)
			GUEST_ASSERT_EQ(va[i], VMID_VS_PAT(h, i));
		SMP->counter[h] = r + 1;
		if ((r & 7) == 7)
			GUEST_SYNC(r);
	}
	csr_write(satp, 0);
	asm volatile("sfence.vma" : : : "memory");
	return r;
}

static long vmid_vsstage_secondary(unsigned long h, unsigned long opaque)
{
	return vmid_vsstage(h);
}

static long vmid_pattern_secondary(unsigned long h, unsigned long opaque)
{
	return vmid_pattern(h);
}

/*
 * A VM of two vCPUs: hart 0 starts hart 1 and both run the same loop
 * (arg0 0: the pattern loop; 1: the VS-stage loop).  Returns hart 0's
 * rounds once hart 1 has stopped.
 */
long guest_vmid_pair(unsigned long vsstage, unsigned long unused1);
long guest_vmid_pair(unsigned long vsstage, unsigned long unused1)
{
	long r;

	smp_init();
	GUEST_ASSERT_EQ(smp_start_hart(1, vsstage ? vmid_vsstage_secondary :
					   vmid_pattern_secondary, 0), 0);
	r = vsstage ? vmid_vsstage(0) : vmid_pattern(0);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 60);
	return r;
}

/* rvhv's batch call, as in uapi/linux/rvhv.h (not usable freestanding). */
#define RVHV_SBI_EXT		0x0A525648
#define RVHV_SBI_BATCH		0
struct vmid_batch_entry {
	unsigned long eid, fid, args[6];
	long error;
	unsigned long value;
};
_Static_assert(sizeof(struct vmid_batch_entry) == 80, "batch entry");

static long rfence_vma(unsigned long start, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 0, -1UL,
			 start, size, 0, 0).error;
}

/*
 * Remote sfence.vma of one page each, to every hart: @batches batches of
 * VMID_STORM_BATCH (the VMM enabled RVHV_CAP_SBI_BATCH; pages
 * GUEST_BASE + j * 4096) and then @singles single calls.  GUEST_SYNC(0)
 * before (after writing the pattern pages of hart 0, if arg[1] says so),
 * (1) after the batches, (2) after the singles.
 */
long guest_vmid_storm(unsigned long batches, unsigned long singles);
long guest_vmid_storm(unsigned long batches, unsigned long singles)
{
	volatile struct vmid_batch_entry *e = (void *)BATCH_ARRAY;
	unsigned long i, j, n = SMP->arg[1];
	struct sbiret r;

	for (i = 0; i < n; i++)
		*pat_word(0, n, i, 0) = i + 1;
	for (j = 0; j < VMID_STORM_BATCH; j++) {
		e[j].eid = SBI_EXT_RFENCE;
		e[j].fid = SBI_RFENCE_SFENCE_VMA;
		e[j].args[0] = 0;
		e[j].args[1] = -1UL;
		e[j].args[2] = GUEST_BASE + j * 4096;
		e[j].args[3] = 4096;
		e[j].args[4] = 0;
		e[j].args[5] = 0;
	}
	GUEST_SYNC(0);
	for (i = 0; i < batches; i++) {
		r = sbi_ecall(RVHV_SBI_EXT, RVHV_SBI_BATCH, BATCH_ARRAY,
			      VMID_STORM_BATCH, 0, 0, 0, 0);
		GUEST_ASSERT_EQ(r.error, 0);
		GUEST_ASSERT_EQ(r.value, VMID_STORM_BATCH);
	}
	for (j = 0; j < VMID_STORM_BATCH; j++)
		GUEST_ASSERT_EQ(e[j].error, 0);
	GUEST_SYNC(1);
	for (i = 0; i < singles; i++)
		GUEST_ASSERT_EQ(rfence_vma(GUEST_BASE + (i % 64) * 4096,
					   4096), 0);
	GUEST_SYNC(2);
	return 0;
}

static long vmid_spin(unsigned long h, unsigned long opaque)
{
	while (!SMP->host_flag[0])
		SMP->counter[h]++;
	return 0;
}

/*
 * A VM of two vCPUs: hart 1 spins in the guest (loaded on its CPU) while
 * hart 0 runs guest_vmid_storm(batches, singles).
 */
long guest_vmid_storm_pair(unsigned long batches, unsigned long singles);
long guest_vmid_storm_pair(unsigned long batches, unsigned long singles)
{
	smp_init();
	GUEST_ASSERT_EQ(smp_start_hart(1, vmid_spin, 0), 0);
	WAIT_FOR(SMP->counter[1] > 0, 60);
	guest_vmid_storm(batches, singles);
	WAIT_FOR(smp_hart_status(1) == SBI_HSM_STATE_STOPPED, 60);
	return 0;
}
