// SPDX-License-Identifier: GPL-2.0
/*
 * Host ISA extensions the host kernel does not know, read by rvhv from the
 * device tree at load, so that guests can be offered them (vcpu/onereg.c,
 * rvhv_isa_exts).  Linux 6.12 has no RISCV_ISA_EXT_* number for Svade,
 * Svadu, Zabha, Ziccrse, Zaamo, Zalrsc, Zicbop, Zfbfmin, Zvfbfmin or
 * Zvfbfwma, so
 * riscv_isa_extension_available() cannot answer for them, but each hart's
 * device-tree node says what it implements: its "riscv,isa-extensions"
 * string list or, without one, its "riscv,isa" string.
 *
 * The rule is the kernel's: an extension counts only if every possible
 * hart has it.  Per hart, as the kernel does from Linux 6.13 on, a hart
 * naming both Svade and Svadu counts as Svade only (the firmware starts it
 * with hardware A/D updating off).  rvhv differs in one place: a hart
 * naming neither has no Svade here (the kernel assumes Svade), since such
 * a hart may well update A/D bits in hardware (QEMU 7.2 does) and a guest
 * must not be told otherwise.  Zicbop counts only with the same non-zero
 * power-of-two "riscv,cbop-block-size" on every hart (the kernel's
 * check).  Svadu also needs henvcfg.ADUE to be writable on every online
 * hart, which it is only while the firmware keeps menvcfg.ADUE set;
 * otherwise the hart behaves as Svade for every stage.  Harts brought
 * online later are taken to be like these.
 *
 * ACPI hosts (RHCT) are not read: there, none of these is found.
 *
 * Everything here is written once, during module init, and only read
 * afterwards (__ro_after_init).
 */
#define pr_fmt(fmt) "rvhv: " fmt

#include <linux/acpi.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/of.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/csr.h>

#include "rvhv_int.h"
#include "host_isa.h"

/**
 * struct rvhv_host_isa - the extensions found in the device tree
 * @ext: RVHV_HOST_ISA_* the host has
 * @adue: henvcfg.ADUE took a write on every online hart
 * @cbop_block_size: riscv,cbop-block-size of the harts (with Zicbop)
 */
struct rvhv_host_isa {
	DECLARE_BITMAP(ext, RVHV_HOST_ISA_MAX);
	bool adue;
	u32 cbop_block_size;
};

static struct rvhv_host_isa rvhv_host_isa __ro_after_init;

static const char * const rvhv_host_isa_names[RVHV_HOST_ISA_MAX] = {
	[RVHV_HOST_ISA_SVADE] = "svade",
	[RVHV_HOST_ISA_SVADU] = "svadu",
	[RVHV_HOST_ISA_ZABHA] = "zabha",
	[RVHV_HOST_ISA_ZICCRSE] = "ziccrse",
	[RVHV_HOST_ISA_ZAAMO] = "zaamo",
	[RVHV_HOST_ISA_ZALRSC] = "zalrsc",
	[RVHV_HOST_ISA_ZICBOP] = "zicbop",
	[RVHV_HOST_ISA_ZFBFMIN] = "zfbfmin",
	[RVHV_HOST_ISA_ZVFBFMIN] = "zvfbfmin",
	[RVHV_HOST_ISA_ZVFBFWMA] = "zvfbfwma",
};

/*
 * Does the "riscv,isa" string @isa name multi-letter extension @name?
 * Those follow the single letters, each after an underscore, possibly
 * with a version ("zicbop1p0").
 */
static bool __init rvhv_isa_string_has(const char *isa, const char *name)
{
	size_t len = strlen(name);
	const char *p = strchr(isa, '_');

	while (p) {
		p++;
		if (!strncasecmp(p, name, len) &&
		    (!p[len] || p[len] == '_' || isdigit(p[len])))
			return true;
		p = strchr(p, '_');
	}
	return false;
}

static bool __init rvhv_hart_has(struct device_node *np, const char *name)
{
	const char *isa;

	if (of_property_present(np, "riscv,isa-extensions"))
		return of_property_match_string(np, "riscv,isa-extensions",
						name) >= 0;
	if (of_property_read_string(np, "riscv,isa", &isa))
		return false;
	return rvhv_isa_string_has(isa, name);
}

/* One hart's extensions into @hart; its cbop block size into @cbop. */
static void __init rvhv_hart_isa(struct device_node *np, unsigned long *hart,
			  u32 *cbop)
{
	unsigned int i;

	for (i = 0; i < RVHV_HOST_ISA_MAX; i++)
		if (rvhv_hart_has(np, rvhv_host_isa_names[i]))
			__set_bit(i, hart);
	/* The kernel's rule: a hart naming both starts as Svade. */
	if (test_bit(RVHV_HOST_ISA_SVADE, hart))
		__clear_bit(RVHV_HOST_ISA_SVADU, hart);
	if (of_property_read_u32(np, "riscv,cbop-block-size", cbop))
		*cbop = 0;
}

/* On each online hart: does henvcfg.ADUE take a write?  (IPI context) */
static void rvhv_probe_adue(void *arg)
{
	atomic_t *missing = arg;
	unsigned long old = csr_read(CSR_HENVCFG);

	csr_write(CSR_HENVCFG, old | ENVCFG_ADUE);
	if (!(csr_read(CSR_HENVCFG) & ENVCFG_ADUE))
		atomic_inc(missing);
	csr_write(CSR_HENVCFG, old);
}

/**
 * rvhv_host_isa_detect() - read the harts' extensions from the device tree
 *
 * Called once from module init, after rvhv_host.envcfg is known.  Finding
 * nothing is not an error.
 */
void __init rvhv_host_isa_detect(void)
{
	DECLARE_BITMAP(all, RVHV_HOST_ISA_MAX);
	DECLARE_BITMAP(hart, RVHV_HOST_ISA_MAX);
	struct device_node *np;
	atomic_t missing = ATOMIC_INIT(0);
	u32 cbop, all_cbop = 0;
	unsigned int cpu;
	bool first = true;

	if (!acpi_disabled || !of_have_populated_dt())
		return;

	bitmap_zero(all, RVHV_HOST_ISA_MAX);
	for_each_possible_cpu(cpu) {
		np = of_get_cpu_node(cpu, NULL);
		if (!np) {
			pr_info("no device-tree node for CPU %u: no extensions from the device tree\n",
				cpu);
			return;
		}
		bitmap_zero(hart, RVHV_HOST_ISA_MAX);
		rvhv_hart_isa(np, hart, &cbop);
		of_node_put(np);
		if (first) {
			bitmap_copy(all, hart, RVHV_HOST_ISA_MAX);
			all_cbop = cbop;
			first = false;
		} else {
			bitmap_and(all, all, hart, RVHV_HOST_ISA_MAX);
			if (cbop != all_cbop)
				all_cbop = 0;
		}
	}
	if (!all_cbop || !is_power_of_2(all_cbop))
		__clear_bit(RVHV_HOST_ISA_ZICBOP, all);
	else if (test_bit(RVHV_HOST_ISA_ZICBOP, all))
		rvhv_host_isa.cbop_block_size = all_cbop;

	if (test_bit(RVHV_HOST_ISA_SVADU, all) && rvhv_host.envcfg) {
		on_each_cpu(rvhv_probe_adue, &missing, 1);
		rvhv_host_isa.adue = !atomic_read(&missing);
	}
	bitmap_copy(rvhv_host_isa.ext, all, RVHV_HOST_ISA_MAX);
}

bool rvhv_host_isa_has(unsigned int ext)
{
	return ext < RVHV_HOST_ISA_MAX && test_bit(ext, rvhv_host_isa.ext);
}

bool rvhv_host_isa_adue(void)
{
	return rvhv_host_isa.adue;
}

unsigned int rvhv_host_isa_cbop_block_size(void)
{
	return rvhv_host_isa.cbop_block_size;
}

void rvhv_host_isa_show(struct seq_file *m)
{
	unsigned int i;

	seq_puts(m, "dt_extensions:");
	for_each_set_bit(i, rvhv_host_isa.ext, RVHV_HOST_ISA_MAX)
		seq_printf(m, " %s", rvhv_host_isa_names[i]);
	seq_printf(m, "\nadue: %d\n", rvhv_host_isa.adue);
}
