// SPDX-License-Identifier: GPL-2.0
/*
 * Guest program of aia_test: drives the in-kernel APLIC (direct delivery
 * mode) with loads and stores, and claims its interrupts through claimi
 * in the trap handler.
 */
#include "smp.h"
#include "aia_abi.h"

#define AIA	((volatile struct aia_shared *)AIA_SHARED)
#define SCAUSE_INTR	(1UL << 63)

long guest_aia_loop(unsigned long unused0, unsigned long unused1);

/* AIA CSRs by number: siselect 0x150, sireg 0x151, stopei 0x15c. */
static void isel_write(unsigned long isel, unsigned long v)
{
	asm volatile("csrw 0x150, %0\n\tcsrw 0x151, %1"
		     : : "r"(isel), "r"(v) : "memory");
}

static unsigned long isel_read(unsigned long isel)
{
	unsigned long v;

	asm volatile("csrw 0x150, %1\n\tcsrr %0, 0x151"
		     : "=r"(v) : "r"(isel) : "memory");
	return v;
}

static unsigned long stopei_claim(void)
{
	unsigned long v;

	asm volatile("csrrw %0, 0x15c, zero" : "=r"(v) : : "memory");
	return v;
}

/*
 * S external interrupt: claim it at this hart's IDC (hart 0), or in MSI
 * mode at the IMSIC (stopei).
 */
static void aia_trap(struct guest_regs *regs)
{
	unsigned long cause = regs->scause;
	unsigned long base = AIA->base;
	u32 topi;

	if (cause != (SCAUSE_INTR | IRQ_S_EXT))
		for (;;)
			ucall(UCALL_TRAP, cause, regs->sepc, regs->stval, 0, 0);
	if (AIA->msi)
		topi = stopei_claim();
	else
		topi = mmio_read32(base + APLIC_IDC(0) + APLIC_CLAIMI);
	if (!topi) {
		AIA->spurious++;
		return;
	}
	if (AIA->mask_on_claim)
		mmio_write32(base + APLIC_CLRIENUM, topi >> 16);
	AIA->last[AIA->claims % AIA_RING] = topi;
	AIA->seen[(topi >> 16) / 64 % 32] |= 1UL << ((topi >> 16) % 64);
	AIA->claims++;
}

static unsigned long aia_load(unsigned long width, unsigned long addr)
{
	switch (width) {
	case 1:
		return mmio_lbu(addr);
	case 2:
		return mmio_lhu(addr);
	case 4:
		return mmio_lwu(addr);
	}
	return mmio_ld(addr);
}

static void aia_store(unsigned long width, unsigned long addr,
		      unsigned long val)
{
	switch (width) {
	case 1:
		mmio_sb(addr, val);
		break;
	case 2:
		mmio_sh(addr, val);
		break;
	case 4:
		mmio_sw(addr, val);
		break;
	default:
		mmio_sd(addr, val);
	}
}

/* Interrupts on until @n claims (spinning: or @ms of guest time). */
static void aia_wait(unsigned long n, int use_wfi, unsigned long ms)
{
	unsigned long end = rdtime() + AIA->freq * ms / 1000;

	csr_write(sie, SIE_SEIE);
	irq_enable();
	while (AIA->claims < n) {
		if (use_wfi) {
			wfi();
			AIA->wfis++;
		} else if (rdtime() > end) {
			break;
		}
	}
	irq_disable();
	csr_write(sie, 0);
}

/*
 * After a first UCALL_SYNC, run the command at GUEST_CMD and answer
 * UCALL_REPORT(op, result), again and again (aia_abi.h: AIA_*).
 */
long guest_aia_loop(unsigned long unused0, unsigned long unused1)
{
	volatile struct guest_cmd *c = (void *)GUEST_CMD;
	unsigned long r;

	guest_trap_hook = aia_trap;
	GUEST_SYNC(0);
	for (;;) {
		r = 0;
		switch (c->op) {
		case AIA_W32:
			mmio_write32(c->addr, c->val);
			break;
		case AIA_R32:
			r = mmio_read32(c->addr);
			break;
		case AIA_W32N:
			for (r = 0; r < c->n; r++)
				mmio_write32(c->addr, c->val);
			r = 0;
			break;
		case AIA_WAIT:
		case AIA_WFI:
			aia_wait(c->n, c->op == AIA_WFI, c->val ? c->val : 1000);
			r = AIA->claims;
			break;
		case AIA_LOAD:
			r = aia_load(c->n, c->addr);
			break;
		case AIA_STORE:
			aia_store(c->n, c->addr, c->val);
			break;
		case AIA_ISEL_W:
			isel_write(c->addr, c->val);
			break;
		case AIA_ISEL_R:
			r = isel_read(c->addr);
			break;
		case AIA_EXIT:
			return c->val;
		default:
			GUEST_ASSERT(0);
		}
		GUEST_REPORT(c->op, r);
	}
}
