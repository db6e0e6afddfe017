// SPDX-License-Identifier: GPL-2.0
/*
 * VMID allocation with generations.
 *
 * VMIDs 1 .. 2^bits - 1 are handed out in order; VMID 0 is never given to a
 * VM so that hgatp == 0 always means "no guest".  When they run out, the
 * generation advances, every hart's G-stage TLB is flushed (HFENCE.GVMA for
 * all VMIDs), and VMs get new VMIDs as they next enter the guest: a vCPU
 * compares its VM's generation with the current one on every entry, and
 * before every HLV/HLVX, with interrupts off, and comes back here when it
 * is stale.  HFENCE.GVMA leaves VS-stage entries alone: the VM that next
 * holds a VMID flushes that VMID's VS-stage entries on each CPU before it
 * first uses it there (mmu/tlb.c).
 *
 * A VM's VMID and its generation are one 64-bit word (struct rvhv_vmid),
 * so no reader can pair a new generation with an old VMID.
 *
 * With no VMID bits every VM uses VMID 0, with the generation current at
 * its creation, and the generation never moves; mmu/tlb.c flushes the
 * G-stage TLB whenever a vCPU is loaded instead.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/csr.h>
#include <asm/insn-def.h>

#include "../rvhv_int.h"
#include "../observe/trace.h"

static unsigned int max_vmid_bits = UINT_MAX;
module_param(max_vmid_bits, uint, 0444);
MODULE_PARM_DESC(max_vmid_bits,
		 "Allocate from at most this many VMID bits (default: all the hardware has)");

/*
 * Protects rvhv_vmid_next and rvhv_vmid_max, and serialises advancing
 * rvhv_vmid_gen and writing any struct rvhv_vmid.  Never taken with
 * interrupts disabled: a rollover holds it across an IPI to every hart.
 */
static DEFINE_SPINLOCK(rvhv_vmid_lock);
static unsigned long rvhv_vmid_next;
/* The largest VMID handed out so far; read locklessly (READ_ONCE). */
static unsigned long rvhv_vmid_max;
/* Current generation; read locklessly on guest entry. */
atomic64_t rvhv_vmid_gen = ATOMIC64_INIT(1);
/*
 * A rollover is under way: set before the generation advances, cleared
 * once every CPU has taken its IPI (rvhv_vmid_usable()).  READ_ONCE /
 * WRITE_ONCE; written under rvhv_vmid_lock.
 */
static bool rvhv_vmid_rolling;

static void rvhv_local_hfence_gvma_all(void *unused)
{
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
}

/*
 * Find the VMID width hgatp implements.  Runs once at module load, after
 * rvhv_detect_gstage() chose the G-stage mode: with MODE = Bare the spec
 * lets hgatp.VMID read back 0, so the probe writes the mode VMs use.
 * hgatp is restored and the hart's G-stage TLB flushed afterwards.
 */
void rvhv_vmid_detect(void)
{
	unsigned long old, vmid;

	preempt_disable();
	old = csr_read(CSR_HGATP);
	csr_write(CSR_HGATP, (rvhv_host.hgatp_mode << HGATP_MODE_SHIFT) |
			     HGATP_VMID);
	vmid = (csr_read(CSR_HGATP) & HGATP_VMID) >> HGATP_VMID_SHIFT;
	csr_write(CSR_HGATP, old);
	rvhv_local_hfence_gvma_all(NULL);
	preempt_enable();

	rvhv_host.feat.vmid_bits = fls_long(vmid);
}

void rvhv_vmid_init(void)
{
	rvhv_host.feat.vmid_bits_used = min(rvhv_host.feat.vmid_bits,
					    max_vmid_bits);
	rvhv_vmid_next = 1;
}

unsigned long rvhv_vmid_hwm(void)
{
	return READ_ONCE(rvhv_vmid_max);
}

bool rvhv_vmid_usable(u64 word)
{
	u64 gen = rvhv_vmid_generation();

	if (rvhv_vmid_gen_of(word) == gen)
		return true;
	/* The flag was set before the generation advanced. */
	smp_rmb();
	return rvhv_vmid_gen_of(word) + 1 == gen && READ_ONCE(rvhv_vmid_rolling);
}

/**
 * rvhv_vmid_update() - make sure a VM holds a VMID of the current generation
 * @v: the VM's VMID
 *
 * Context: process context, interrupts enabled.
 * Return: true if a new VMID was assigned (hgatp must be rewritten).
 */
bool rvhv_vmid_update(struct rvhv_vmid *v)
{
	unsigned int bits = rvhv_host.feat.vmid_bits_used;
	unsigned long vmid = 0;
	bool changed = false;
	u64 gen;

	if (rvhv_vmid_current(READ_ONCE(v->word)))
		return false;

	spin_lock(&rvhv_vmid_lock);
	gen = atomic64_read(&rvhv_vmid_gen);
	if (rvhv_vmid_gen_of(v->word) == gen)
		goto out;

	/* No VMID bits: VMID 0, and the generation never advances. */
	if (bits) {
		if (rvhv_vmid_next >= BIT(bits)) {
			/*
			 * Out of VMIDs: start a new generation.  Every VM
			 * must take a new VMID before it runs again, and no
			 * hart may keep a G-stage TLB entry tagged with an
			 * old one.  The IPIs also push running vCPUs out of
			 * the guest so they see the new generation.
			 */
			WRITE_ONCE(rvhv_vmid_rolling, true);
			/* Fully ordered: after the flag. */
			gen = atomic64_inc_return(&rvhv_vmid_gen);
			rvhv_vmid_next = 1;
			on_each_cpu(rvhv_local_hfence_gvma_all, NULL, 1);
			WRITE_ONCE(rvhv_vmid_rolling, false);
			trace_rvhv_vmid_rollover(gen, bits);
		}
		vmid = rvhv_vmid_next++;
		if (vmid > rvhv_vmid_max)
			WRITE_ONCE(rvhv_vmid_max, vmid);
	}
	/* One word: a reader sees this VMID with this generation. */
	WRITE_ONCE(v->word, gen << RVHV_VMID_GEN_SHIFT | vmid);
	trace_rvhv_vmid(vmid, gen);
	changed = true;
out:
	spin_unlock(&rvhv_vmid_lock);
	return changed;
}
