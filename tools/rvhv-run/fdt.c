// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: the device tree, written with libfdt from what vCPU 0 reports
 * through ONE_REG: /chosen, /memory, and /cpus with one cpu@N and its
 * interrupt controller per vCPU; with devices, /soc with the PLIC
 * (plic.c) and the virtio-mmio devices (virtio.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "rvhv-run.h"

/* Names of KVM_RISCV_ISA_EXT_* ids, in the enum's order (NULL: a letter). */
static const char *const isa_ext_names[] = {
	[KVM_RISCV_ISA_EXT_SVPBMT] = "svpbmt",
	[KVM_RISCV_ISA_EXT_SSTC] = "sstc",
	[KVM_RISCV_ISA_EXT_SVINVAL] = "svinval",
	[KVM_RISCV_ISA_EXT_ZIHINTPAUSE] = "zihintpause",
	[KVM_RISCV_ISA_EXT_ZICBOM] = "zicbom",
	[KVM_RISCV_ISA_EXT_ZICBOZ] = "zicboz",
	[KVM_RISCV_ISA_EXT_ZBB] = "zbb",
	[KVM_RISCV_ISA_EXT_SSAIA] = "ssaia",
	[KVM_RISCV_ISA_EXT_SVNAPOT] = "svnapot",
	[KVM_RISCV_ISA_EXT_ZBA] = "zba",
	[KVM_RISCV_ISA_EXT_ZBS] = "zbs",
	[KVM_RISCV_ISA_EXT_ZICNTR] = "zicntr",
	[KVM_RISCV_ISA_EXT_ZICSR] = "zicsr",
	[KVM_RISCV_ISA_EXT_ZIFENCEI] = "zifencei",
	[KVM_RISCV_ISA_EXT_ZIHPM] = "zihpm",
	[KVM_RISCV_ISA_EXT_SMSTATEEN] = "smstateen",
	[KVM_RISCV_ISA_EXT_ZICOND] = "zicond",
	[KVM_RISCV_ISA_EXT_ZBC] = "zbc",
	[KVM_RISCV_ISA_EXT_ZBKB] = "zbkb",
	[KVM_RISCV_ISA_EXT_ZBKC] = "zbkc",
	[KVM_RISCV_ISA_EXT_ZBKX] = "zbkx",
	[KVM_RISCV_ISA_EXT_ZKND] = "zknd",
	[KVM_RISCV_ISA_EXT_ZKNE] = "zkne",
	[KVM_RISCV_ISA_EXT_ZKNH] = "zknh",
	[KVM_RISCV_ISA_EXT_ZKR] = "zkr",
	[KVM_RISCV_ISA_EXT_ZKSED] = "zksed",
	[KVM_RISCV_ISA_EXT_ZKSH] = "zksh",
	[KVM_RISCV_ISA_EXT_ZKT] = "zkt",
	[KVM_RISCV_ISA_EXT_ZVBB] = "zvbb",
	[KVM_RISCV_ISA_EXT_ZVBC] = "zvbc",
	[KVM_RISCV_ISA_EXT_ZVKB] = "zvkb",
	[KVM_RISCV_ISA_EXT_ZVKG] = "zvkg",
	[KVM_RISCV_ISA_EXT_ZVKNED] = "zvkned",
	[KVM_RISCV_ISA_EXT_ZVKNHA] = "zvknha",
	[KVM_RISCV_ISA_EXT_ZVKNHB] = "zvknhb",
	[KVM_RISCV_ISA_EXT_ZVKSED] = "zvksed",
	[KVM_RISCV_ISA_EXT_ZVKSH] = "zvksh",
	[KVM_RISCV_ISA_EXT_ZVKT] = "zvkt",
	[KVM_RISCV_ISA_EXT_ZFH] = "zfh",
	[KVM_RISCV_ISA_EXT_ZFHMIN] = "zfhmin",
	[KVM_RISCV_ISA_EXT_ZIHINTNTL] = "zihintntl",
	[KVM_RISCV_ISA_EXT_ZVFH] = "zvfh",
	[KVM_RISCV_ISA_EXT_ZVFHMIN] = "zvfhmin",
	[KVM_RISCV_ISA_EXT_ZFA] = "zfa",
	[KVM_RISCV_ISA_EXT_ZTSO] = "ztso",
	[KVM_RISCV_ISA_EXT_ZACAS] = "zacas",
	[KVM_RISCV_ISA_EXT_SSCOFPMF] = "sscofpmf",
	[KVM_RISCV_ISA_EXT_ZIMOP] = "zimop",
	[KVM_RISCV_ISA_EXT_ZCA] = "zca",
	[KVM_RISCV_ISA_EXT_ZCB] = "zcb",
	[KVM_RISCV_ISA_EXT_ZCD] = "zcd",
	[KVM_RISCV_ISA_EXT_ZCF] = "zcf",
	[KVM_RISCV_ISA_EXT_ZCMOP] = "zcmop",
	[KVM_RISCV_ISA_EXT_ZAWRS] = "zawrs",
};

struct isa {
	char base[128];		/* "rv64imafdc_zicsr_..." (riscv,isa) */
	char list[1024];	/* NUL-separated riscv,isa-extensions */
	int list_len;
	bool zicbom, zicboz;
};

static void isa_add(struct isa *isa, const char *name)
{
	int n = strlen(name) + 1;

	if (isa->list_len + n > (int)sizeof(isa->list))
		die("building the device tree: too many ISA extensions");
	memcpy(isa->list + isa->list_len, name, n);
	isa->list_len += n;
}

/* What vCPU 0 reports: the letters of CONFIG isa, then enabled ISA_EXTs. */
static void read_isa(int fd, struct isa *isa)
{
	static const char order[] = "imafdqcbkjpvh";
	uint64_t letters, val;
	char one[2] = "";
	size_t i;
	int c;

	memset(isa, 0, sizeof(*isa));
	if (get_reg(fd, REG_CONFIG(isa), &letters))
		die("KVM_GET_ONE_REG CONFIG isa: %s", strerror(errno));
	strcpy(isa->base, "rv64");
	/* Canonical order first, then any other letter alphabetically. */
	for (i = 0; order[i]; i++) {
		c = order[i] - 'a';
		if (letters & (1ULL << c)) {
			one[0] = order[i];
			strncat(isa->base, one, sizeof(isa->base) - strlen(isa->base) - 1);
			isa_add(isa, one);
		}
	}
	for (c = 0; c < 26; c++) {
		if (!(letters & (1ULL << c)) || strchr(order, 'a' + c))
			continue;
		one[0] = 'a' + c;
		strncat(isa->base, one, sizeof(isa->base) - strlen(isa->base) - 1);
		isa_add(isa, one);
	}
	for (i = 0; i < sizeof(isa_ext_names) / sizeof(isa_ext_names[0]); i++) {
		if (!isa_ext_names[i] || get_reg(fd, REG_ISA_EXT(i), &val) ||
		    !val)
			continue;
		if (strlen(isa->base) + strlen(isa_ext_names[i]) + 2 >
		    sizeof(isa->base))
			die("building the device tree: riscv,isa too long");
		strcat(isa->base, "_");
		strcat(isa->base, isa_ext_names[i]);
		isa_add(isa, isa_ext_names[i]);
		if (i == KVM_RISCV_ISA_EXT_ZICBOM)
			isa->zicbom = true;
		if (i == KVM_RISCV_ISA_EXT_ZICBOZ)
			isa->zicboz = true;
	}
}

static const char *mmu_type(uint64_t satp_mode)
{
	switch (satp_mode) {
	case 8: return "riscv,sv39";
	case 9: return "riscv,sv48";
	case 10: return "riscv,sv57";
	default: return NULL;
	}
}

void build_fdt(void *fdt, const char *cmdline, uint64_t initrd_start,
	       uint64_t initrd_end)
{
	uint64_t timebase, satp_mode, block;
	const char *mmu;
	struct isa isa;
	char name[32];
	int i, fd = vcpus[0].fd;

	read_isa(fd, &isa);
	if (get_reg(fd, REG_TIMER(frequency), &timebase))
		die("KVM_GET_ONE_REG TIMER frequency: %s", strerror(errno));
	if (get_reg(fd, REG_CONFIG(satp_mode), &satp_mode))
		die("KVM_GET_ONE_REG CONFIG satp_mode: %s", strerror(errno));
	mmu = mmu_type(satp_mode);

	FDT(fdt_create(fdt, FDT_SIZE));
	FDT(fdt_finish_reservemap(fdt));
	FDT(fdt_begin_node(fdt, ""));
	FDT(fdt_property_u32(fdt, "#address-cells", 2));
	FDT(fdt_property_u32(fdt, "#size-cells", 2));
	FDT(fdt_property_string(fdt, "compatible", "rvhv,rvhv-run"));
	FDT(fdt_property_string(fdt, "model", "rvhv-run"));

	FDT(fdt_begin_node(fdt, "chosen"));
	FDT(fdt_property_string(fdt, "bootargs", cmdline));
	if (initrd_end > initrd_start) {
		FDT(fdt_property_u64(fdt, "linux,initrd-start", initrd_start));
		FDT(fdt_property_u64(fdt, "linux,initrd-end", initrd_end));
	}
	FDT(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "memory@%lx", RAM_BASE);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "device_type", "memory"));
	{
		fdt64_t reg[2] = { cpu_to_fdt64(RAM_BASE),
				   cpu_to_fdt64(ram_size) };

		FDT(fdt_property(fdt, "reg", reg, sizeof(reg)));
	}
	FDT(fdt_end_node(fdt));

	FDT(fdt_begin_node(fdt, "cpus"));
	FDT(fdt_property_u32(fdt, "#address-cells", 1));
	FDT(fdt_property_u32(fdt, "#size-cells", 0));
	FDT(fdt_property_u32(fdt, "timebase-frequency", (uint32_t)timebase));
	for (i = 0; i < opt.cpus; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		FDT(fdt_begin_node(fdt, name));
		FDT(fdt_property_string(fdt, "device_type", "cpu"));
		FDT(fdt_property_u32(fdt, "reg", i));
		FDT(fdt_property_string(fdt, "compatible", "riscv"));
		FDT(fdt_property_string(fdt, "status", "okay"));
		FDT(fdt_property_string(fdt, "riscv,isa", isa.base));
		FDT(fdt_property_string(fdt, "riscv,isa-base", "rv64i"));
		FDT(fdt_property(fdt, "riscv,isa-extensions", isa.list,
				 isa.list_len));
		if (mmu)
			FDT(fdt_property_string(fdt, "mmu-type", mmu));
		if (isa.zicbom && !get_reg(fd, REG_CONFIG(zicbom_block_size),
					   &block))
			FDT(fdt_property_u32(fdt, "riscv,cbom-block-size", block));
		if (isa.zicboz && !get_reg(fd, REG_CONFIG(zicboz_block_size),
					   &block))
			FDT(fdt_property_u32(fdt, "riscv,cboz-block-size", block));
		FDT(fdt_begin_node(fdt, "interrupt-controller"));
		FDT(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
		FDT(fdt_property_u32(fdt, "#interrupt-cells", 1));
		FDT(fdt_property(fdt, "interrupt-controller", NULL, 0));
		FDT(fdt_property_u32(fdt, "phandle", CPU_INTC_PHANDLE(i)));
		FDT(fdt_end_node(fdt));
		FDT(fdt_end_node(fdt));
	}
	FDT(fdt_end_node(fdt));		/* cpus */

	/* The devices, when there are any: the PLIC or APLIC, virtio-mmio. */
	if (virtio_nr) {
		FDT(fdt_begin_node(fdt, "soc"));
		FDT(fdt_property_u32(fdt, "#address-cells", 2));
		FDT(fdt_property_u32(fdt, "#size-cells", 2));
		FDT(fdt_property_string(fdt, "compatible", "simple-bus"));
		FDT(fdt_property(fdt, "ranges", NULL, 0));
		if (opt.irqchip == IRQCHIP_APLIC)
			aplic_fdt(fdt);
		else
			plic_fdt(fdt);
		virtio_fdt(fdt);
		FDT(fdt_end_node(fdt));
	}
	FDT(fdt_end_node(fdt));		/* root */
	FDT(fdt_finish(fdt));
}
