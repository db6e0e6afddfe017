// SPDX-License-Identifier: GPL-2.0
/*
 * ONE_REG (KVM_GET_ONE_REG, KVM_SET_ONE_REG) and KVM_GET_REG_LIST.
 *
 * Register ids, sizes, values and errnos are those of KVM RISC-V in Linux
 * 6.12 (<asm/kvm.h>, Documentation/virt/kvm/api.rst), so that a VMM written
 * for /dev/kvm sees the same registers here.  Every function in this file
 * runs with vcpu->mutex held and the vCPU not loaded on a hart: the VS CSRs
 * are in vcpu->csr, the F/D state in vcpu->fp.
 *
 * The ISA extensions of a vCPU are kept in vcpu->isa_ext, indexed by the
 * KVM_RISCV_ISA_EXT_* ids of the ABI (not by the host's RISCV_ISA_EXT_*
 * numbers).  An ISA_EXT register exists when the host has the extension,
 * as in KVM; it can be turned on only when rvhv offers the extension to
 * guests (rvhv_isa_ext_available()).
 */
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/csr.h>
#include <asm/delay.h>
#include <asm/hwcap.h>
#include <asm/pgtable.h>
#include <asm/sbi.h>
#include <asm/timex.h>

#include "rvhv_int.h"
#include "host_isa.h"
#include "vector.h"

/* Size field of a register id holding an unsigned long. */
#define RVHV_SIZE_ULONG	(IS_ENABLED(CONFIG_32BIT) ? KVM_REG_SIZE_U32 : \
					      KVM_REG_SIZE_U64)

/* Number of unsigned long (or u64, u32) registers in a uapi struct. */
#define RVHV_NR_ULONG(type)	(sizeof(struct type) / sizeof(unsigned long))
#define RVHV_NR_CONFIG		RVHV_NR_ULONG(kvm_riscv_config)
/* ... and zicbop_block_size after them (uapi/linux/rvhv.h) */
#define RVHV_NR_CONFIG_ALL	(RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE + 1)
#define RVHV_NR_CORE		RVHV_NR_ULONG(kvm_riscv_core)
#define RVHV_NR_CSR		RVHV_NR_ULONG(kvm_riscv_csr)
#define RVHV_NR_AIA_CSR		RVHV_NR_ULONG(kvm_riscv_aia_csr)
#define RVHV_NR_SMSTATEEN_CSR	RVHV_NR_ULONG(kvm_riscv_smstateen_csr)
#define RVHV_NR_TIMER		(sizeof(struct kvm_riscv_timer) / sizeof(u64))
#define RVHV_NR_SBI_STA		RVHV_NR_ULONG(kvm_riscv_sbi_sta)
/* f0..f31 and fcsr, in both the F and the D class */
#define RVHV_NR_FP		33

/* Most registers KVM_GET_REG_LIST can report for one vCPU. */
#define RVHV_MAX_REG_IDS	(RVHV_NR_CONFIG_ALL + RVHV_NR_CORE + RVHV_NR_CSR + \
				 RVHV_NR_AIA_CSR + RVHV_NR_SMSTATEEN_CSR + \
				 RVHV_NR_TIMER + 2 * RVHV_NR_FP + \
				 RVHV_ISA_EXT_MAX + RVHV_SBI_EXT_MAX + \
				 RVHV_NR_SBI_STA + RVHV_NR_VECTOR_REGS + \
				 RVHV_FWFT_NR_REGS + RVHV_PMU_MAX_REGS)

/* The last ISA_EXT MULTI_EN/MULTI_DIS register (1: ids up to Zicbop). */
#define RVHV_ISA_MULTI_REG_LAST	KVM_REG_RISCV_ISA_MULTI_REG(RVHV_ISA_EXT_MAX - 1)

/* The single-letter extensions: bits 0..25 of the CONFIG isa register. */
#define RVHV_BASE_ISA_MASK	GENMASK(RISCV_ISA_EXT_BASE - 1, 0)

/* Flags of struct rvhv_isa_ext */
#define RVHV_ISA_OFFER		BIT(0)	/* rvhv can give it to a guest */
#define RVHV_ISA_FIXED		BIT(1)	/* no way to hide it once offered */
#define RVHV_ISA_KNOWN		BIT(2)	/* the entry is filled in */
#define RVHV_ISA_DT		BIT(3)	/* @host is an RVHV_HOST_ISA_* */

/**
 * struct rvhv_isa_ext - what rvhv knows about one KVM_RISCV_ISA_EXT_* id
 * @host: the host's RISCV_ISA_EXT_* number of the extension, or with
 *	RVHV_ISA_DT its RVHV_HOST_ISA_* number (an extension the host kernel
 *	does not know, which host_isa.c found in the device tree)
 * @flags: RVHV_ISA_OFFER, RVHV_ISA_FIXED, RVHV_ISA_DT
 *
 * RVHV_ISA_OFFER: the guest can use the extension under rvhv, either
 * because the hardware executes it in VS/VU-mode without any hypervisor
 * state or configuration (the unprivileged instruction extensions,
 * Svinval, Svnapot), or because rvhv switches or configures what it needs
 * (F/D state; Sstc, Svpbmt, Zicbom and Zicboz through henvcfg, Smstateen
 * through hstateen0 and the sstateen0 switch, Ssaia through hstateen0 and
 * the vsiselect/hviprio switch, with the emulated IMSIC of the in-kernel
 * AIA device behind it, which the vCPU code programs from vcpu->isa_ext).
 * V and the vector extensions (Zv*) are offered when the host kernel
 * has V (has_vector()): rvhv switches the vector state (vcpu/vector.c).
 * Zawrs: its WRS.NTO traps under hstatus.VTW and rvhv completes it
 * (vcpu/isa.c).  From the device tree (RVHV_ISA_DT, with the ids of newer
 * kvm.ko, RVHV_RISCV_ISA_EXT_*): Zabha, Zaamo, Zalrsc, Ziccrse and Zicbop
 * (prefetch hints) need nothing, nor Zfbfmin (F state) or Zvfbfmin and
 * Zvfbfwma (V state, offered with V); Svade is what a hart without hardware
 * A/D updating does anyway; Svadu is henvcfg.ADUE, set for a vCPU with
 * Svadu and without Svade (vcpu/vcpu.c) where the firmware lets rvhv set
 * it (rvhv_host_isa_adue()).  Svvptc (the host kernel knows it, kvm.ko
 * 6.12 has no id for it) needs nothing either.
 * Zihpm where the SBI PMU has hardware counters (host perf backs them,
 * vcpu/sbi_pmu.c).  Not offered: H (no nested virtualization), Sscofpmf
 * (no counter overflow interrupt, LCOFI, for the guest) and Zkr (seed
 * traps from VS-mode).
 *
 * RVHV_ISA_FIXED: KVM refuses to turn these off (-EINVAL) because nothing
 * architectural hides them from a guest; rvhv keeps the same rule.
 */
struct rvhv_isa_ext {
	u8 host;
	u8 flags;
};

#define RVHV_OFFER		RVHV_ISA_OFFER
#define RVHV_FIXED		RVHV_ISA_FIXED
#define ISA(kvm, hostext, fl)	\
	[KVM_RISCV_ISA_EXT_##kvm] = { .host = RISCV_ISA_EXT_##hostext, \
				      .flags = (fl) | RVHV_ISA_KNOWN }
/* Newer kvm.ko ids; the host's number (RISCV_ISA_EXT_*) or, DT, ours. */
#define ISA_NEW(kvm, fl)	\
	[RVHV_RISCV_ISA_EXT_##kvm] = { .host = RISCV_ISA_EXT_##kvm, \
				       .flags = (fl) | RVHV_ISA_KNOWN }
#define ISA_DT(kvm, fl)	\
	[RVHV_RISCV_ISA_EXT_##kvm] = { .host = RVHV_HOST_ISA_##kvm, \
				       .flags = (fl) | RVHV_ISA_KNOWN | \
						RVHV_ISA_DT }

static const struct rvhv_isa_ext rvhv_isa_exts[RVHV_ISA_EXT_MAX] = {
	ISA(A, a, RVHV_OFFER | RVHV_FIXED),
	ISA(C, c, RVHV_OFFER | RVHV_FIXED),
	ISA(D, d, RVHV_OFFER),
	ISA(F, f, RVHV_OFFER),
	ISA(H, h, 0),
	ISA(I, i, RVHV_OFFER | RVHV_FIXED),
	ISA(M, m, RVHV_OFFER | RVHV_FIXED),
	ISA(SVPBMT, SVPBMT, RVHV_OFFER),
	ISA(SSTC, SSTC, RVHV_OFFER | RVHV_FIXED),
	ISA(SVINVAL, SVINVAL, RVHV_OFFER | RVHV_FIXED),
	ISA(ZIHINTPAUSE, ZIHINTPAUSE, RVHV_OFFER | RVHV_FIXED),
	ISA(ZICBOM, ZICBOM, RVHV_OFFER),
	ISA(ZICBOZ, ZICBOZ, RVHV_OFFER),
	ISA(ZBB, ZBB, RVHV_OFFER | RVHV_FIXED),
	ISA(SSAIA, SSAIA, RVHV_OFFER),
	ISA(V, v, RVHV_OFFER),
	ISA(SVNAPOT, SVNAPOT, RVHV_OFFER | RVHV_FIXED),
	ISA(ZBA, ZBA, RVHV_OFFER | RVHV_FIXED),
	ISA(ZBS, ZBS, RVHV_OFFER | RVHV_FIXED),
	ISA(ZICNTR, ZICNTR, RVHV_OFFER | RVHV_FIXED),
	ISA(ZICSR, ZICSR, RVHV_OFFER | RVHV_FIXED),
	ISA(ZIFENCEI, ZIFENCEI, RVHV_OFFER | RVHV_FIXED),
	ISA(ZIHPM, ZIHPM, RVHV_OFFER | RVHV_FIXED),
	ISA(SMSTATEEN, SMSTATEEN, RVHV_OFFER),
	ISA(ZICOND, ZICOND, RVHV_OFFER | RVHV_FIXED),
	ISA(ZBC, ZBC, RVHV_OFFER | RVHV_FIXED),
	ISA(ZBKB, ZBKB, RVHV_OFFER | RVHV_FIXED),
	ISA(ZBKC, ZBKC, RVHV_OFFER | RVHV_FIXED),
	ISA(ZBKX, ZBKX, RVHV_OFFER | RVHV_FIXED),
	ISA(ZKND, ZKND, RVHV_OFFER | RVHV_FIXED),
	ISA(ZKNE, ZKNE, RVHV_OFFER | RVHV_FIXED),
	ISA(ZKNH, ZKNH, RVHV_OFFER | RVHV_FIXED),
	ISA(ZKR, ZKR, RVHV_FIXED),
	ISA(ZKSED, ZKSED, RVHV_OFFER | RVHV_FIXED),
	ISA(ZKSH, ZKSH, RVHV_OFFER | RVHV_FIXED),
	ISA(ZKT, ZKT, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVBB, ZVBB, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVBC, ZVBC, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKB, ZVKB, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKG, ZVKG, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKNED, ZVKNED, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKNHA, ZVKNHA, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKNHB, ZVKNHB, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKSED, ZVKSED, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKSH, ZVKSH, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVKT, ZVKT, RVHV_OFFER | RVHV_FIXED),
	ISA(ZFH, ZFH, RVHV_OFFER | RVHV_FIXED),
	ISA(ZFHMIN, ZFHMIN, RVHV_OFFER | RVHV_FIXED),
	ISA(ZIHINTNTL, ZIHINTNTL, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVFH, ZVFH, RVHV_OFFER | RVHV_FIXED),
	ISA(ZVFHMIN, ZVFHMIN, RVHV_OFFER | RVHV_FIXED),
	ISA(ZFA, ZFA, RVHV_OFFER | RVHV_FIXED),
	ISA(ZTSO, ZTSO, RVHV_OFFER | RVHV_FIXED),
	ISA(ZACAS, ZACAS, RVHV_OFFER | RVHV_FIXED),
	ISA(SSCOFPMF, SSCOFPMF, RVHV_FIXED),
	ISA(ZIMOP, ZIMOP, RVHV_OFFER | RVHV_FIXED),
	ISA(ZCA, ZCA, RVHV_OFFER | RVHV_FIXED),
	ISA(ZCB, ZCB, RVHV_OFFER | RVHV_FIXED),
	ISA(ZCD, ZCD, RVHV_OFFER | RVHV_FIXED),
	ISA(ZCF, ZCF, RVHV_OFFER | RVHV_FIXED),
	ISA(ZCMOP, ZCMOP, RVHV_OFFER | RVHV_FIXED),
	ISA(ZAWRS, ZAWRS, RVHV_OFFER | RVHV_FIXED),
	/* Svade: a hart without Svadu cannot hide it. */
	ISA_DT(SVADE, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(SVADU, RVHV_OFFER),
	ISA_NEW(SVVPTC, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZABHA, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZICCRSE, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZAAMO, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZALRSC, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZICBOP, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZFBFMIN, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZVFBFMIN, RVHV_OFFER | RVHV_FIXED),
	ISA_DT(ZVFBFWMA, RVHV_OFFER | RVHV_FIXED),
};

#undef ISA
#undef ISA_NEW
#undef ISA_DT
#undef RVHV_OFFER
#undef RVHV_FIXED

/* Does the host have the extension, i.e. does its ISA_EXT register exist? */
static bool rvhv_isa_ext_on_host(unsigned long ext)
{
	if (ext >= RVHV_ISA_EXT_MAX ||
	    !(rvhv_isa_exts[ext].flags & RVHV_ISA_KNOWN))
		return false;
	if (rvhv_isa_exts[ext].flags & RVHV_ISA_DT)
		return rvhv_host_isa_has(rvhv_isa_exts[ext].host);
	return __riscv_isa_extension_available(NULL, rvhv_isa_exts[ext].host);
}

/* V, or a vector extension (Zvbb ... Zvkt, Zvfh, Zvfhmin, Zvfbf*)? */
static bool rvhv_isa_ext_is_vector(unsigned int kvm_ext)
{
	switch (kvm_ext) {
	case KVM_RISCV_ISA_EXT_V:
	case KVM_RISCV_ISA_EXT_ZVBB ... KVM_RISCV_ISA_EXT_ZVKT:
	case KVM_RISCV_ISA_EXT_ZVFH:
	case KVM_RISCV_ISA_EXT_ZVFHMIN:
	case RVHV_RISCV_ISA_EXT_ZVFBFMIN:
	case RVHV_RISCV_ISA_EXT_ZVFBFWMA:
		return true;
	}
	return false;
}

/**
 * rvhv_isa_ext_available() - may a guest be given this ISA extension?
 * @kvm_ext: a KVM_RISCV_ISA_EXT_* id
 *
 * Return: true when the host has the extension and rvhv supports it in a
 * guest.  These are the extensions a new vCPU starts with.
 */
bool rvhv_isa_ext_available(unsigned int kvm_ext)
{
	/* With the module parameter sstc=0 the guest timer is an hrtimer. */
	if (kvm_ext == KVM_RISCV_ISA_EXT_SSTC && !rvhv_use_sstc)
		return false;
	/* These need henvcfg bits (PBMTE, CBIE/CBCFE, CBZE). */
	if (!rvhv_host.envcfg && (kvm_ext == KVM_RISCV_ISA_EXT_SVPBMT ||
				  kvm_ext == KVM_RISCV_ISA_EXT_ZICBOM ||
				  kvm_ext == KVM_RISCV_ISA_EXT_ZICBOZ))
		return false;
	/*
	 * Svade and Svadu: only where henvcfg exists (not on a P550-like
	 * host); Svadu where henvcfg.ADUE can be set.
	 */
	if ((kvm_ext == RVHV_RISCV_ISA_EXT_SVADE ||
	     kvm_ext == RVHV_RISCV_ISA_EXT_SVADU) && !rvhv_host.envcfg)
		return false;
	if (kvm_ext == RVHV_RISCV_ISA_EXT_SVADU && !rvhv_host_isa_adue())
		return false;
	/*
	 * Zihpm: the hpmcounters (and cycle and instret, Zicntr's) a guest
	 * reads are emulated for the SBI PMU's hardware counters, which exist
	 * only where host perf backs them (vcpu/sbi_pmu.c).
	 */
	if (kvm_ext == KVM_RISCV_ISA_EXT_ZIHPM && !rvhv_pmu_nr_hw())
		return false;
	/* Zfbfmin's conversions are F instructions. */
	if (kvm_ext == RVHV_RISCV_ISA_EXT_ZFBFMIN &&
	    !riscv_isa_extension_available(NULL, f))
		return false;
	/* V and the Zv* extensions need the vector state switch. */
	if (rvhv_isa_ext_is_vector(kvm_ext) && !rvhv_vector_available())
		return false;
	return rvhv_isa_ext_on_host(kvm_ext) &&
	       (rvhv_isa_exts[kvm_ext].flags & RVHV_ISA_OFFER);
}

/* May userspace turn the extension off before the first KVM_RUN? */
static bool rvhv_isa_ext_disable_allowed(unsigned long ext)
{
	/* KVM: Ssaia can be hidden only through Smstateen. */
	if (ext == KVM_RISCV_ISA_EXT_SSAIA)
		return riscv_has_extension_unlikely(RISCV_ISA_EXT_SMSTATEEN);
	return !(rvhv_isa_exts[ext].flags & RVHV_ISA_FIXED);
}

static bool rvhv_has_ext(const struct rvhv_vcpu *vcpu, unsigned long ext)
{
	return test_bit(ext, vcpu->isa_ext);
}

/* Is ISA_EXT @ext a single-letter extension (a bit of CONFIG isa)? */
static bool rvhv_isa_ext_is_letter(unsigned long ext)
{
	return (rvhv_isa_exts[ext].flags & (RVHV_ISA_KNOWN | RVHV_ISA_DT)) ==
	       RVHV_ISA_KNOWN && rvhv_isa_exts[ext].host < RISCV_ISA_EXT_BASE;
}

/* The KVM_RISCV_ISA_EXT_* id of single-letter extension @letter, or MAX. */
static unsigned long rvhv_letter_to_ext(unsigned long letter)
{
	unsigned long ext;

	for (ext = 0; ext < RVHV_ISA_EXT_MAX; ext++)
		if (rvhv_isa_ext_is_letter(ext) &&
		    rvhv_isa_exts[ext].host == letter)
			return ext;
	return RVHV_ISA_EXT_MAX;
}

/* CONFIG isa: the vCPU's single-letter extensions as a..z bits. */
static unsigned long rvhv_base_isa(const struct rvhv_vcpu *vcpu)
{
	unsigned long ext, isa = 0;

	for (ext = 0; ext < RVHV_ISA_EXT_MAX; ext++)
		if (rvhv_has_ext(vcpu, ext) && rvhv_isa_ext_is_letter(ext))
			isa |= BIT(rvhv_isa_exts[ext].host);
	return isa;
}

/*
 * After F or D changed: the guest starts with its FP state Initial when it
 * has F or D, and with FP instructions off (sstatus.FS = Off) otherwise.
 */
static void rvhv_fp_reset(struct rvhv_vcpu *vcpu)
{
	vcpu->ctx.sstatus &= ~SR_FS;
	if (rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_F) ||
	    rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_D))
		vcpu->ctx.sstatus |= SR_FS_INITIAL;
	else
		vcpu->ctx.sstatus |= SR_FS_OFF;
	rvhv_vector_sstatus(vcpu);
}

/**
 * rvhv_vcpu_config_init() - ONE_REG defaults of a new vCPU
 * @vcpu: the vCPU being created
 *
 * Every ISA extension rvhv offers is on, the SBI extensions are on as
 * vcpu/sbi.c says, and mvendorid/marchid/mimpid are the host's.
 */
void rvhv_vcpu_config_init(struct rvhv_vcpu *vcpu)
{
	unsigned int i;

	bitmap_zero(vcpu->isa_ext, RVHV_ISA_EXT_MAX);
	for (i = 0; i < RVHV_ISA_EXT_MAX; i++)
		if (rvhv_isa_ext_available(i))
			__set_bit(i, vcpu->isa_ext);

	bitmap_zero(vcpu->sbi_ext, RVHV_SBI_EXT_MAX);
	for (i = 0; i < RVHV_SBI_EXT_MAX; i++)
		if (rvhv_sbi_ext_available(i) && rvhv_sbi_ext_default_on(i))
			__set_bit(i, vcpu->sbi_ext);

	vcpu->mvendorid = sbi_get_mvendorid();
	vcpu->marchid = sbi_get_marchid();
	vcpu->mimpid = sbi_get_mimpid();
}

static void __user *rvhv_uaddr(const struct kvm_one_reg *reg)
{
	return (void __user *)(unsigned long)reg->addr;
}

/* The register number within its type (subtype bits included). */
static unsigned long rvhv_reg_num(u64 id)
{
	return id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
		      KVM_REG_RISCV_TYPE_MASK);
}

static int rvhv_put_ulong(const struct kvm_one_reg *reg, unsigned long val)
{
	if (copy_to_user(rvhv_uaddr(reg), &val, sizeof(val)))
		return -EFAULT;
	return 0;
}

static int rvhv_get_ulong(const struct kvm_one_reg *reg, unsigned long *val)
{
	if (copy_from_user(val, rvhv_uaddr(reg), sizeof(*val)))
		return -EFAULT;
	return 0;
}

/* CONFIG */

static int rvhv_get_config(struct rvhv_vcpu *vcpu,
			   const struct kvm_one_reg *reg)
{
	unsigned long val;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;

	switch (rvhv_reg_num(reg->id)) {
	case KVM_REG_RISCV_CONFIG_REG(isa):
		val = rvhv_base_isa(vcpu);
		break;
	case KVM_REG_RISCV_CONFIG_REG(zicbom_block_size):
		if (!rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_ZICBOM))
			return -ENOENT;
		val = riscv_cbom_block_size;
		break;
	case KVM_REG_RISCV_CONFIG_REG(zicboz_block_size):
		if (!rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_ZICBOZ))
			return -ENOENT;
		val = riscv_cboz_block_size;
		break;
	case KVM_REG_RISCV_CONFIG_REG(mvendorid):
		val = vcpu->mvendorid;
		break;
	case KVM_REG_RISCV_CONFIG_REG(marchid):
		val = vcpu->marchid;
		break;
	case KVM_REG_RISCV_CONFIG_REG(mimpid):
		val = vcpu->mimpid;
		break;
	case KVM_REG_RISCV_CONFIG_REG(satp_mode):
		val = satp_mode >> SATP_MODE_SHIFT;
		break;
	case RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE:
		if (!rvhv_has_ext(vcpu, RVHV_RISCV_ISA_EXT_ZICBOP))
			return -ENOENT;
		val = rvhv_host_isa_cbop_block_size();
		break;
	default:
		return -ENOENT;
	}
	return rvhv_put_ulong(reg, val);
}

/*
 * CONFIG isa write, before the first KVM_RUN: letters rvhv does not offer
 * are dropped, letters that cannot be turned off stay on, and the result
 * is limited to the host's letters; a request that differs from the
 * current value after the first KVM_RUN is -EBUSY.
 */
static int rvhv_set_base_isa(struct rvhv_vcpu *vcpu, unsigned long val)
{
	unsigned long letter, ext;

	/*
	 * Only the single-letter extensions are defined here.  KVM tests
	 * the low 32 bits only (fls() takes an int); so does rvhv.
	 */
	if (fls((unsigned int)val) >= RISCV_ISA_EXT_BASE)
		return -EINVAL;
	if (val == rvhv_base_isa(vcpu))
		return 0;
	if (vcpu->ran)
		return -EBUSY;

	for (letter = 0; letter < RISCV_ISA_EXT_BASE; letter++) {
		ext = rvhv_letter_to_ext(letter);
		if (ext >= RVHV_ISA_EXT_MAX) {
			val &= ~BIT(letter);
			continue;
		}
		if ((val & BIT(letter)) && !rvhv_isa_ext_available(ext))
			val &= ~BIT(letter);
		if (!(val & BIT(letter)) && !rvhv_isa_ext_disable_allowed(ext))
			val |= BIT(letter);
	}
	val &= riscv_isa_extension_base(NULL);

	for (letter = 0; letter < RISCV_ISA_EXT_BASE; letter++) {
		ext = rvhv_letter_to_ext(letter);
		if (ext < RVHV_ISA_EXT_MAX)
			__assign_bit(ext, vcpu->isa_ext, val & BIT(letter));
	}
	rvhv_fp_reset(vcpu);
	return 0;
}

/* mvendorid, marchid, mimpid: fixed once the vCPU has run. */
static int rvhv_set_id_reg(struct rvhv_vcpu *vcpu, unsigned long *field,
			   unsigned long val)
{
	if (val == *field)
		return 0;
	if (vcpu->ran)
		return -EBUSY;
	*field = val;
	return 0;
}

static int rvhv_set_config(struct rvhv_vcpu *vcpu,
			   const struct kvm_one_reg *reg)
{
	unsigned long val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	ret = rvhv_get_ulong(reg, &val);
	if (ret)
		return ret;

	switch (rvhv_reg_num(reg->id)) {
	case KVM_REG_RISCV_CONFIG_REG(isa):
		return rvhv_set_base_isa(vcpu, val);
	case KVM_REG_RISCV_CONFIG_REG(zicbom_block_size):
		if (!rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_ZICBOM))
			return -ENOENT;
		return val == riscv_cbom_block_size ? 0 : -EINVAL;
	case KVM_REG_RISCV_CONFIG_REG(zicboz_block_size):
		if (!rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_ZICBOZ))
			return -ENOENT;
		return val == riscv_cboz_block_size ? 0 : -EINVAL;
	case KVM_REG_RISCV_CONFIG_REG(mvendorid):
		return rvhv_set_id_reg(vcpu, &vcpu->mvendorid, val);
	case KVM_REG_RISCV_CONFIG_REG(marchid):
		return rvhv_set_id_reg(vcpu, &vcpu->marchid, val);
	case KVM_REG_RISCV_CONFIG_REG(mimpid):
		return rvhv_set_id_reg(vcpu, &vcpu->mimpid, val);
	case KVM_REG_RISCV_CONFIG_REG(satp_mode):
		/* Read-only: only the current value may be written back. */
		return val == (satp_mode >> SATP_MODE_SHIFT) ? 0 : -EINVAL;
	case RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE:
		if (!rvhv_has_ext(vcpu, RVHV_RISCV_ISA_EXT_ZICBOP))
			return -ENOENT;
		return val == rvhv_host_isa_cbop_block_size() ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/* CORE: pc, x1..x31 (struct user_regs_struct order), mode */

static int rvhv_get_core(struct rvhv_vcpu *vcpu,
			 const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long val;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	if (num >= RVHV_NR_CORE)
		return -ENOENT;

	if (num == KVM_REG_RISCV_CORE_REG(mode))
		val = (vcpu->ctx.sstatus & SR_SPP) ? KVM_RISCV_MODE_S :
						      KVM_RISCV_MODE_U;
	else
		val = vcpu->ctx.gpr[num];	/* gpr[0] is the pc */
	return rvhv_put_ulong(reg, val);
}

static int rvhv_set_core(struct rvhv_vcpu *vcpu,
			 const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	if (num >= RVHV_NR_CORE)
		return -ENOENT;
	ret = rvhv_get_ulong(reg, &val);
	if (ret)
		return ret;

	if (num == KVM_REG_RISCV_CORE_REG(mode)) {
		/* As KVM: KVM_RISCV_MODE_S is S, any other value is U. */
		if (val == KVM_RISCV_MODE_S)
			vcpu->ctx.sstatus |= SR_SPP;
		else
			vcpu->ctx.sstatus &= ~SR_SPP;
	} else {
		vcpu->ctx.gpr[num] = val;
	}
	return 0;
}

/* CSR */

/* Where general CSR register @num is kept (NULL for sip: see below). */
static unsigned long *rvhv_csr_ptr(struct rvhv_vcpu *vcpu, unsigned long num)
{
	switch (num) {
	case KVM_REG_RISCV_CSR_REG(sstatus):
		return &vcpu->csr.vsstatus;
	case KVM_REG_RISCV_CSR_REG(sie):
		return &vcpu->csr.vsie;
	case KVM_REG_RISCV_CSR_REG(stvec):
		return &vcpu->csr.vstvec;
	case KVM_REG_RISCV_CSR_REG(sscratch):
		return &vcpu->csr.vsscratch;
	case KVM_REG_RISCV_CSR_REG(sepc):
		return &vcpu->csr.vsepc;
	case KVM_REG_RISCV_CSR_REG(scause):
		return &vcpu->csr.vscause;
	case KVM_REG_RISCV_CSR_REG(stval):
		return &vcpu->csr.vstval;
	case KVM_REG_RISCV_CSR_REG(satp):
		return &vcpu->csr.vsatp;
	case KVM_REG_RISCV_CSR_REG(scounteren):
		return &vcpu->ctx.scounteren;
	case KVM_REG_RISCV_CSR_REG(senvcfg):
		return &vcpu->ctx.senvcfg;
	}
	return NULL;
}

/*
 * What a VMM may write into the guest's sstatus (vsstatus): the fields
 * sstatus has on a hart that runs the guest.  vsstatus is WARL: on
 * hardware, bits that sstatus does not have (M-level fields such as MPRV,
 * TSR, TW, TVM, MIE, MPP, SXL), read-only ones (SD, XS), the big-endian
 * bit and fields of extensions the vCPU does not have (VS without V)
 * read back as zero, and UXL as the only XLEN the hart
 * runs in U-mode, 64.  rvhv keeps that behaviour in software rather than
 * trusting the CSR: QEMU (7.2 and 10) stores every bit written to vsstatus
 * and ORs the M-level ones into the hart's mstatus on the next entry to
 * VS-mode, where they stay after the guest exits; TSR, TW or MPRV there
 * wedge the host CPU (Documentation/rvhv.rst, "Test-bed limitations").
 */
#define RVHV_SR_MXR		_AC(0x00080000, UL)	/* not in <asm/csr.h> */
#define RVHV_VSSTATUS_WRITABLE	(SR_SIE | SR_SPIE | SR_SPP | SR_FS | SR_SUM | \
				 RVHV_SR_MXR)

static unsigned long rvhv_vsstatus_warl(unsigned long val)
{
	return (val & RVHV_VSSTATUS_WRITABLE) | SR_UXL_64;
}

/*
 * Is @val a vsatp the hart accepts?  Its MODE must be Bare or a
 * translation mode the hart implements (Sv39 up to the host's own
 * satp_mode: Sv57 implies Sv48 implies Sv39).  As for satp, a write with
 * any other MODE has no effect.  (QEMU does not check vsatp writes from
 * HS-mode and aborts on the guest's first translation with such a mode.)
 */
static bool rvhv_vsatp_mode_ok(unsigned long val)
{
	unsigned long mode = val >> SATP_MODE_SHIFT;

	return mode == 0 ||
	       (mode >= (SATP_MODE_39 >> SATP_MODE_SHIFT) &&
		mode <= (satp_mode >> SATP_MODE_SHIFT));
}

/*
 * Read (@write false) or write the CSR register @num of subtype @subtype.
 *
 * Writes keep the WARL behaviour of the hardware: sstatus and satp as
 * said above, scounteren is 32 bits wide.  Everything else is stored as
 * written (the guest's own CSR accesses are WARL in hardware anyway).
 *
 * sip is the guest's view of hvip: the VS-level bits of hvip (VSSIP,
 * VSTIP, VSEIP) shifted down to SSIP, STIP, SEIP, plus whatever hvip
 * holds above the local interrupts, with interrupts raised or lowered
 * since the vCPU last ran included (vcpu/state.c, which also says what
 * SEIP is).  Writing sip sets those VS bits from SSIP, STIP and SEIP and
 * clears the rest, as KVM does.
 *
 * AIA CSRs (struct kvm_riscv_aia_csr, vcpu->csr.aia): as kvm.ko's, they
 * exist whether or not the vCPU has Ssaia (listed only when it has); on a
 * host with Ssaia they are stored as written (no WARL masking: the
 * hardware's applies when rvhv loads siselect and iprio1/2, and a read
 * after the guest ran returns what the hardware kept), on one without
 * they read as 0 and ignore writes.  Smstateen CSRs (sstateen0): as in
 * KVM, -EINVAL on a host without Smstateen; on one with it they are
 * read and written as given (the hardware's WARL masking applies when
 * rvhv loads the value, and a read after the guest ran returns what the
 * hardware kept), and listed when the vCPU has Smstateen.
 */
static int rvhv_access_csr(struct rvhv_vcpu *vcpu, unsigned long subtype,
			   unsigned long num, unsigned long *val, bool write)
{
	unsigned long *p;

	switch (subtype) {
	case KVM_REG_RISCV_CSR_GENERAL:
		if (num >= RVHV_NR_CSR)
			return -ENOENT;
		if (num == KVM_REG_RISCV_CSR_REG(sip)) {
			/* vcpu/state.c: hvip and the pending lines */
			if (write)
				rvhv_state_set_sip(vcpu, *val);
			else
				*val = rvhv_state_get_sip(vcpu);
			return 0;
		}
		p = rvhv_csr_ptr(vcpu, num);
		if (!p)
			return -ENOENT;
		if (!write) {
			*val = *p;
			return 0;
		}
		switch (num) {
		case KVM_REG_RISCV_CSR_REG(sstatus):
			*p = rvhv_vsstatus_warl(*val) |
			     (*val & rvhv_vector_vsstatus_bits(vcpu));
			break;
		case KVM_REG_RISCV_CSR_REG(satp):
			if (rvhv_vsatp_mode_ok(*val))
				*p = *val;
			break;
		case KVM_REG_RISCV_CSR_REG(scounteren):
			*p = (u32)*val;
			break;
		default:
			*p = *val;
		}
		return 0;
	case KVM_REG_RISCV_CSR_AIA:
		if (num >= RVHV_NR_AIA_CSR)
			return -ENOENT;
		p = (unsigned long *)&vcpu->csr.aia + num;
		if (!rvhv_host.ssaia) {
			if (!write)
				*val = 0;
		} else if (write) {
			*p = *val;
		} else {
			*val = *p;
		}
		return 0;
	case KVM_REG_RISCV_CSR_SMSTATEEN:
		if (!rvhv_host.smstateen || num >= RVHV_NR_SMSTATEEN_CSR)
			return -EINVAL;
		if (write)
			vcpu->sstateen0 = *val;
		else
			*val = vcpu->sstateen0;
		return 0;
	}
	return -ENOENT;
}

static int rvhv_get_csr(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	ret = rvhv_access_csr(vcpu, num & KVM_REG_RISCV_SUBTYPE_MASK,
			      num & ~KVM_REG_RISCV_SUBTYPE_MASK, &val, false);
	if (ret)
		return ret;
	return rvhv_put_ulong(reg, val);
}

static int rvhv_set_csr(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	ret = rvhv_get_ulong(reg, &val);
	if (ret)
		return ret;
	return rvhv_access_csr(vcpu, num & KVM_REG_RISCV_SUBTYPE_MASK,
			       num & ~KVM_REG_RISCV_SUBTYPE_MASK, &val, true);
}

/* TIMER */

static int rvhv_get_timer(struct rvhv_vcpu *vcpu,
			  const struct kvm_one_reg *reg)
{
	u64 val;

	if (KVM_REG_SIZE(reg->id) != sizeof(u64))
		return -EINVAL;

	switch (rvhv_reg_num(reg->id)) {
	case KVM_REG_RISCV_TIMER_REG(frequency):
		val = riscv_timebase;
		break;
	case KVM_REG_RISCV_TIMER_REG(time):
		val = rvhv_guest_time(vcpu->vm);
		break;
	case KVM_REG_RISCV_TIMER_REG(compare):
		val = vcpu->csr.vstimecmp;
		break;
	case KVM_REG_RISCV_TIMER_REG(state):
		val = vcpu->timer_state == KVM_RISCV_TIMER_STATE_ON ?
		      KVM_RISCV_TIMER_STATE_ON : KVM_RISCV_TIMER_STATE_OFF;
		break;
	default:
		return -ENOENT;
	}

	if (copy_to_user(rvhv_uaddr(reg), &val, sizeof(val)))
		return -EFAULT;
	return 0;
}

/*
 * TIMER state.  KVM: writing ON arms the timer at the compare value and
 * succeeds; any other value cancels it, and cancelling a timer that is
 * not armed is -EINVAL.  With Sstc the timer is vstimecmp itself, always
 * live: writing ON changes nothing and state keeps reading OFF.
 */
static int rvhv_set_timer_state(struct rvhv_vcpu *vcpu, u64 val)
{
	if (val == KVM_RISCV_TIMER_STATE_ON) {
		if (!rvhv_use_sstc)
			rvhv_timer_restore(vcpu, true);
		return 0;
	}
	if (vcpu->timer_state != KVM_RISCV_TIMER_STATE_ON)
		return -EINVAL;
	rvhv_timer_restore(vcpu, false);
	return 0;
}

static int rvhv_set_timer(struct rvhv_vcpu *vcpu,
			  const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	u64 val;

	if (KVM_REG_SIZE(reg->id) != sizeof(u64))
		return -EINVAL;
	if (num >= RVHV_NR_TIMER)
		return -ENOENT;
	if (copy_from_user(&val, rvhv_uaddr(reg), sizeof(val)))
		return -EFAULT;

	switch (num) {
	case KVM_REG_RISCV_TIMER_REG(frequency):
		/* Read-only: only the current value may be written back. */
		return val == riscv_timebase ? 0 : -EINVAL;
	case KVM_REG_RISCV_TIMER_REG(time):
		/* The VM's time, shared by its vCPUs (htimedelta). */
		WRITE_ONCE(vcpu->vm->time_delta, val - get_cycles64());
		return 0;
	case KVM_REG_RISCV_TIMER_REG(compare):
		vcpu->csr.vstimecmp = val;
		return 0;
	case KVM_REG_RISCV_TIMER_REG(state):
		return rvhv_set_timer_state(vcpu, val);
	}
	return -ENOENT;
}

/* FP_F and FP_D */

/*
 * Where the FP register of class @type (KVM_REG_RISCV_FP_F or _FP_D) is in
 * vcpu->fp, after checking the vCPU has the extension and the size.
 */
static int rvhv_fp_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg,
		       u64 type, void **p)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned int size = KVM_REG_SIZE(reg->id);

	if (type == KVM_REG_RISCV_FP_F &&
	    rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_F)) {
		if (size != sizeof(u32))
			return -EINVAL;
		if (num == KVM_REG_RISCV_FP_F_REG(fcsr))
			*p = &vcpu->fp.f.fcsr;
		else if (num < ARRAY_SIZE(vcpu->fp.f.f))
			*p = &vcpu->fp.f.f[num];
		else
			return -ENOENT;
		return 0;
	}
	if (type == KVM_REG_RISCV_FP_D &&
	    rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_D)) {
		if (num == KVM_REG_RISCV_FP_D_REG(fcsr)) {
			if (size != sizeof(u32))
				return -EINVAL;
			*p = &vcpu->fp.d.fcsr;
		} else if (num < ARRAY_SIZE(vcpu->fp.d.f)) {
			if (size != sizeof(u64))
				return -EINVAL;
			*p = &vcpu->fp.d.f[num];
		} else {
			return -ENOENT;
		}
		return 0;
	}
	return -ENOENT;
}

static int rvhv_get_fp(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg,
		       u64 type)
{
	void *p;
	int ret;

	ret = rvhv_fp_reg(vcpu, reg, type, &p);
	if (ret)
		return ret;
	if (copy_to_user(rvhv_uaddr(reg), p, KVM_REG_SIZE(reg->id)))
		return -EFAULT;
	return 0;
}

static int rvhv_set_fp(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg,
		       u64 type)
{
	void *p;
	int ret;

	ret = rvhv_fp_reg(vcpu, reg, type, &p);
	if (ret)
		return ret;
	if (copy_from_user(p, rvhv_uaddr(reg), KVM_REG_SIZE(reg->id)))
		return -EFAULT;
	return 0;
}

/* ISA_EXT */

static int rvhv_get_isa_ext_single(struct rvhv_vcpu *vcpu, unsigned long ext,
				   unsigned long *val)
{
	if (!rvhv_isa_ext_on_host(ext))
		return -ENOENT;
	*val = rvhv_has_ext(vcpu, ext);
	return 0;
}

static int rvhv_set_isa_ext_single(struct rvhv_vcpu *vcpu, unsigned long ext,
				   unsigned long val)
{
	if (!rvhv_isa_ext_on_host(ext))
		return -ENOENT;
	if (val == rvhv_has_ext(vcpu, ext))
		return 0;
	if (vcpu->ran)
		return -EBUSY;

	if (val == 1 && rvhv_isa_ext_available(ext))
		__set_bit(ext, vcpu->isa_ext);
	else if (!val && rvhv_isa_ext_disable_allowed(ext))
		__clear_bit(ext, vcpu->isa_ext);
	else
		return -EINVAL;
	rvhv_fp_reset(vcpu);
	return 0;
}

/* MULTI_EN/MULTI_DIS register @num: bit i is extension num * BITS + i. */
static unsigned long rvhv_get_isa_ext_multi(struct rvhv_vcpu *vcpu,
					    unsigned long num)
{
	unsigned long i, ext, on, val = 0;

	for (i = 0; i < BITS_PER_LONG; i++) {
		ext = num * BITS_PER_LONG + i;
		if (ext >= RVHV_ISA_EXT_MAX)
			break;
		if (!rvhv_get_isa_ext_single(vcpu, ext, &on) && on)
			val |= BIT(i);
	}
	return val;
}

/* As KVM: each extension is tried on its own, errors are not reported. */
static void rvhv_set_isa_ext_multi(struct rvhv_vcpu *vcpu, unsigned long num,
				   unsigned long val, bool enable)
{
	unsigned long i, ext;

	for_each_set_bit(i, &val, BITS_PER_LONG) {
		ext = num * BITS_PER_LONG + i;
		if (ext >= RVHV_ISA_EXT_MAX)
			break;
		rvhv_set_isa_ext_single(vcpu, ext, enable);
	}
}

static int rvhv_get_isa_ext(struct rvhv_vcpu *vcpu,
			    const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long subtype = num & KVM_REG_RISCV_SUBTYPE_MASK;
	unsigned long val = 0;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	num &= ~KVM_REG_RISCV_SUBTYPE_MASK;

	switch (subtype) {
	case KVM_REG_RISCV_ISA_SINGLE:
		ret = rvhv_get_isa_ext_single(vcpu, num, &val);
		if (ret)
			return ret;
		break;
	case KVM_REG_RISCV_ISA_MULTI_EN:
	case KVM_REG_RISCV_ISA_MULTI_DIS:
		if (num > RVHV_ISA_MULTI_REG_LAST)
			return -ENOENT;
		val = rvhv_get_isa_ext_multi(vcpu, num);
		if (subtype == KVM_REG_RISCV_ISA_MULTI_DIS)
			val = ~val;
		break;
	default:
		return -ENOENT;
	}
	return rvhv_put_ulong(reg, val);
}

static int rvhv_set_isa_ext(struct rvhv_vcpu *vcpu,
			    const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long subtype = num & KVM_REG_RISCV_SUBTYPE_MASK;
	unsigned long val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	num &= ~KVM_REG_RISCV_SUBTYPE_MASK;
	ret = rvhv_get_ulong(reg, &val);
	if (ret)
		return ret;

	switch (subtype) {
	case KVM_REG_RISCV_ISA_SINGLE:
		return rvhv_set_isa_ext_single(vcpu, num, val);
	case KVM_REG_RISCV_ISA_MULTI_EN:
	case KVM_REG_RISCV_ISA_MULTI_DIS:
		if (num > RVHV_ISA_MULTI_REG_LAST)
			return -ENOENT;
		rvhv_set_isa_ext_multi(vcpu, num, val,
				       subtype == KVM_REG_RISCV_ISA_MULTI_EN);
		return 0;
	}
	return -ENOENT;
}

/* SBI_EXT */

static bool rvhv_sbi_ext_exists(unsigned long ext)
{
	return ext < RVHV_SBI_EXT_MAX && rvhv_sbi_ext_available(ext);
}

static int rvhv_get_sbi_ext_single(struct rvhv_vcpu *vcpu, unsigned long ext,
				   unsigned long *val)
{
	if (!rvhv_sbi_ext_exists(ext))
		return -ENOENT;
	*val = test_bit(ext, vcpu->sbi_ext);
	return 0;
}

static int rvhv_set_sbi_ext_single(struct rvhv_vcpu *vcpu, unsigned long ext,
				   unsigned long val)
{
	if (val != 0 && val != 1)
		return -EINVAL;
	if (!rvhv_sbi_ext_exists(ext))
		return -ENOENT;
	__assign_bit(ext, vcpu->sbi_ext, val);
	return 0;
}

static int rvhv_get_sbi_ext(struct rvhv_vcpu *vcpu,
			    const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long subtype = num & KVM_REG_RISCV_SUBTYPE_MASK;
	unsigned long i, on, val = 0;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	num &= ~KVM_REG_RISCV_SUBTYPE_MASK;

	switch (subtype) {
	case KVM_REG_RISCV_SBI_SINGLE:
		ret = rvhv_get_sbi_ext_single(vcpu, num, &val);
		if (ret)
			return ret;
		break;
	case KVM_REG_RISCV_SBI_MULTI_EN:
	case KVM_REG_RISCV_SBI_MULTI_DIS:
		if (num > KVM_REG_RISCV_SBI_MULTI_REG_LAST)
			return -ENOENT;
		for (i = 0; i < BITS_PER_LONG; i++) {
			if (num * BITS_PER_LONG + i >= RVHV_SBI_EXT_MAX)
				break;
			if (!rvhv_get_sbi_ext_single(vcpu,
						     num * BITS_PER_LONG + i,
						     &on) && on)
				val |= BIT(i);
		}
		if (subtype == KVM_REG_RISCV_SBI_MULTI_DIS)
			val = ~val;
		break;
	default:
		return -ENOENT;
	}
	return rvhv_put_ulong(reg, val);
}

static int rvhv_set_sbi_ext(struct rvhv_vcpu *vcpu,
			    const struct kvm_one_reg *reg)
{
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long subtype = num & KVM_REG_RISCV_SUBTYPE_MASK;
	unsigned long i, val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	/* As KVM: any SBI_EXT write after the first KVM_RUN, even a no-op. */
	if (vcpu->ran)
		return -EBUSY;
	num &= ~KVM_REG_RISCV_SUBTYPE_MASK;
	ret = rvhv_get_ulong(reg, &val);
	if (ret)
		return ret;

	switch (subtype) {
	case KVM_REG_RISCV_SBI_SINGLE:
		return rvhv_set_sbi_ext_single(vcpu, num, val);
	case KVM_REG_RISCV_SBI_MULTI_EN:
	case KVM_REG_RISCV_SBI_MULTI_DIS:
		if (num > KVM_REG_RISCV_SBI_MULTI_REG_LAST)
			return -ENOENT;
		/* Each extension on its own; errors are not reported. */
		for_each_set_bit(i, &val, BITS_PER_LONG) {
			if (num * BITS_PER_LONG + i >= RVHV_SBI_EXT_MAX)
				break;
			rvhv_set_sbi_ext_single(vcpu, num * BITS_PER_LONG + i,
						subtype ==
						KVM_REG_RISCV_SBI_MULTI_EN);
		}
		return 0;
	}
	return -ENOENT;
}

/*
 * SBI_STATE: per-extension SBI state.  STA (steal-time shared memory,
 * vcpu/sbi_sta.c): its registers exist whether or not the vCPU has STA
 * enabled, as in kvm.ko (-ENOENT only on a host without STA); FWFT
 * (vcpu/sbi_fwft.c, kvm.ko's from Linux 6.16 on) the same, and rvhv's
 * own PMU counter state (vcpu/sbi_pmu.c, RVHV_REG_RISCV_SBI_PMU); other
 * subtypes are -EINVAL, as in kvm.ko.
 */
static int rvhv_sbi_state(struct rvhv_vcpu *vcpu,
			  const struct kvm_one_reg *reg, bool write)
{
	int (*get)(struct rvhv_vcpu *vcpu, unsigned long num,
		   unsigned long *val);
	int (*set)(struct rvhv_vcpu *vcpu, unsigned long num,
		   unsigned long val);
	unsigned long num = rvhv_reg_num(reg->id);
	unsigned long val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(unsigned long))
		return -EINVAL;
	if (write) {
		ret = rvhv_get_ulong(reg, &val);
		if (ret)
			return ret;
	}
	switch (num & KVM_REG_RISCV_SUBTYPE_MASK) {
	case KVM_REG_RISCV_SBI_STA:
		if (!rvhv_sbi_ext_available(KVM_RISCV_SBI_EXT_STA))
			return -ENOENT;
		get = rvhv_sta_get_reg;
		set = rvhv_sta_set_reg;
		break;
	case RVHV_REG_RISCV_SBI_FWFT:
		get = rvhv_fwft_get_reg;
		set = rvhv_fwft_set_reg;
		break;
	case RVHV_REG_RISCV_SBI_PMU:
		get = rvhv_pmu_get_reg;
		set = rvhv_pmu_set_reg;
		break;
	default:
		return -EINVAL;
	}
	num &= ~KVM_REG_RISCV_SUBTYPE_MASK;
	if (write)
		return set(vcpu, num, val);
	ret = get(vcpu, num, &val);
	return ret ? ret : rvhv_put_ulong(reg, val);
}

/**
 * rvhv_get_one_reg() - KVM_GET_ONE_REG
 * @vcpu: the vCPU, its mutex held and not loaded
 * @reg: the id and the user address to write the value to
 *
 * Return: 0, -EINVAL for a wrong size, -ENOENT for an id the vCPU does
 * not have, -EFAULT when the value cannot be written to @reg->addr.
 */
int rvhv_get_one_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	switch (reg->id & KVM_REG_RISCV_TYPE_MASK) {
	case KVM_REG_RISCV_CONFIG:
		return rvhv_get_config(vcpu, reg);
	case KVM_REG_RISCV_CORE:
		return rvhv_get_core(vcpu, reg);
	case KVM_REG_RISCV_CSR:
		return rvhv_get_csr(vcpu, reg);
	case KVM_REG_RISCV_TIMER:
		return rvhv_get_timer(vcpu, reg);
	case KVM_REG_RISCV_FP_F:
		return rvhv_get_fp(vcpu, reg, KVM_REG_RISCV_FP_F);
	case KVM_REG_RISCV_FP_D:
		return rvhv_get_fp(vcpu, reg, KVM_REG_RISCV_FP_D);
	case KVM_REG_RISCV_ISA_EXT:
		return rvhv_get_isa_ext(vcpu, reg);
	case KVM_REG_RISCV_SBI_EXT:
		return rvhv_get_sbi_ext(vcpu, reg);
	case KVM_REG_RISCV_SBI_STATE:
		return rvhv_sbi_state(vcpu, reg, false);
	case KVM_REG_RISCV_VECTOR:
		return rvhv_vector_get_reg(vcpu, reg);
	}
	return -ENOENT;
}

/**
 * rvhv_set_one_reg() - KVM_SET_ONE_REG
 * @vcpu: the vCPU, its mutex held and not loaded
 * @reg: the id and the user address to read the value from
 *
 * Return: 0, -EINVAL for a wrong size or a value the register does not
 * take, -ENOENT for an id the vCPU does not have, -EBUSY for a change to
 * the vCPU's configuration after its first KVM_RUN, -EFAULT when the value
 * cannot be read from @reg->addr.
 */
int rvhv_set_one_reg(struct rvhv_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	switch (reg->id & KVM_REG_RISCV_TYPE_MASK) {
	case KVM_REG_RISCV_CONFIG:
		return rvhv_set_config(vcpu, reg);
	case KVM_REG_RISCV_CORE:
		return rvhv_set_core(vcpu, reg);
	case KVM_REG_RISCV_CSR:
		return rvhv_set_csr(vcpu, reg);
	case KVM_REG_RISCV_TIMER:
		return rvhv_set_timer(vcpu, reg);
	case KVM_REG_RISCV_FP_F:
		return rvhv_set_fp(vcpu, reg, KVM_REG_RISCV_FP_F);
	case KVM_REG_RISCV_FP_D:
		return rvhv_set_fp(vcpu, reg, KVM_REG_RISCV_FP_D);
	case KVM_REG_RISCV_ISA_EXT:
		return rvhv_set_isa_ext(vcpu, reg);
	case KVM_REG_RISCV_SBI_EXT:
		return rvhv_set_sbi_ext(vcpu, reg);
	case KVM_REG_RISCV_SBI_STATE:
		return rvhv_sbi_state(vcpu, reg, true);
	case KVM_REG_RISCV_VECTOR:
		return rvhv_vector_set_reg(vcpu, reg);
	}
	return -ENOENT;
}

/*
 * Every register id the vCPU has, in KVM's order: CONFIG, CORE, CSR,
 * TIMER, FP_F, FP_D, VECTOR (with V), ISA_EXT, SBI_EXT, SBI_STATE (STA's,
 * FWFT's, then rvhv's PMU state, each while its extension is enabled),
 * each in register-number order.
 * @ids has room for RVHV_MAX_REG_IDS.  Returns how many were stored.
 */
static unsigned int rvhv_reg_ids(struct rvhv_vcpu *vcpu, u64 *ids)
{
	const u64 ulong = KVM_REG_RISCV | RVHV_SIZE_ULONG;
	unsigned int i, n = 0;

	for (i = 0; i < RVHV_NR_CONFIG; i++) {
		if (i == KVM_REG_RISCV_CONFIG_REG(zicbom_block_size) &&
		    !rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_ZICBOM))
			continue;
		if (i == KVM_REG_RISCV_CONFIG_REG(zicboz_block_size) &&
		    !rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_ZICBOZ))
			continue;
		ids[n++] = ulong | KVM_REG_RISCV_CONFIG | i;
	}
	if (rvhv_has_ext(vcpu, RVHV_RISCV_ISA_EXT_ZICBOP))
		ids[n++] = ulong | KVM_REG_RISCV_CONFIG |
			   RVHV_REG_RISCV_CONFIG_ZICBOP_BLOCK_SIZE;
	for (i = 0; i < RVHV_NR_CORE; i++)
		ids[n++] = ulong | KVM_REG_RISCV_CORE | i;
	for (i = 0; i < RVHV_NR_CSR; i++)
		ids[n++] = ulong | KVM_REG_RISCV_CSR |
			   KVM_REG_RISCV_CSR_GENERAL | i;
	if (rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_SSAIA))
		for (i = 0; i < RVHV_NR_AIA_CSR; i++)
			ids[n++] = ulong | KVM_REG_RISCV_CSR |
				   KVM_REG_RISCV_CSR_AIA | i;
	if (rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_SMSTATEEN))
		for (i = 0; i < RVHV_NR_SMSTATEEN_CSR; i++)
			ids[n++] = ulong | KVM_REG_RISCV_CSR |
				   KVM_REG_RISCV_CSR_SMSTATEEN | i;
	for (i = 0; i < RVHV_NR_TIMER; i++)
		ids[n++] = KVM_REG_RISCV | KVM_REG_SIZE_U64 |
			   KVM_REG_RISCV_TIMER | i;
	if (rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_F))
		for (i = 0; i < RVHV_NR_FP; i++)
			ids[n++] = KVM_REG_RISCV | KVM_REG_SIZE_U32 |
				   KVM_REG_RISCV_FP_F | i;
	if (rvhv_has_ext(vcpu, KVM_RISCV_ISA_EXT_D))
		for (i = 0; i < RVHV_NR_FP; i++)
			ids[n++] = KVM_REG_RISCV | KVM_REG_RISCV_FP_D | i |
				   (i == KVM_REG_RISCV_FP_D_REG(fcsr) ?
				    KVM_REG_SIZE_U32 : KVM_REG_SIZE_U64);
	n += rvhv_vector_reg_ids(vcpu, ids + n);
	for (i = 0; i < RVHV_ISA_EXT_MAX; i++)
		if (rvhv_isa_ext_on_host(i))
			ids[n++] = ulong | KVM_REG_RISCV_ISA_EXT |
				   KVM_REG_RISCV_ISA_SINGLE | i;
	for (i = 0; i < RVHV_SBI_EXT_MAX; i++)
		if (rvhv_sbi_ext_exists(i))
			ids[n++] = ulong | KVM_REG_RISCV_SBI_EXT |
				   KVM_REG_RISCV_SBI_SINGLE | i;
	if (test_bit(KVM_RISCV_SBI_EXT_STA, vcpu->sbi_ext))
		for (i = 0; i < RVHV_NR_SBI_STA; i++)
			ids[n++] = ulong | KVM_REG_RISCV_SBI_STATE |
				   KVM_REG_RISCV_SBI_STA | i;
	if (test_bit(RVHV_RISCV_SBI_EXT_FWFT, vcpu->sbi_ext))
		for (i = 0; i < RVHV_FWFT_NR_REGS; i++)
			ids[n++] = ulong | KVM_REG_RISCV_SBI_STATE |
				   RVHV_REG_RISCV_SBI_FWFT | i;
	if (test_bit(KVM_RISCV_SBI_EXT_PMU, vcpu->sbi_ext))
		for (i = 0; i < rvhv_pmu_nr_regs(); i++)
			ids[n++] = ulong | KVM_REG_RISCV_SBI_STATE |
				   RVHV_REG_RISCV_SBI_PMU | i;
	return n;
}

/**
 * rvhv_get_reg_list() - KVM_GET_REG_LIST
 * @vcpu: the vCPU, its mutex held
 * @list: the user's struct kvm_reg_list
 *
 * Stores the number of registers in @list->n, and when @list->n was large
 * enough the ids in @list->reg.
 *
 * Return: 0, -E2BIG when @list->n was too small, -EFAULT, -ENOMEM.
 */
int rvhv_get_reg_list(struct rvhv_vcpu *vcpu,
		      struct kvm_reg_list __user *list)
{
	struct kvm_reg_list head;
	unsigned int n, user_n;
	u64 *ids;
	int ret;

	if (copy_from_user(&head, list, sizeof(head)))
		return -EFAULT;
	/* As KVM: only the low 32 bits of n count. */
	user_n = head.n;

	ids = kmalloc_array(RVHV_MAX_REG_IDS, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	n = rvhv_reg_ids(vcpu, ids);

	head.n = n;
	ret = -EFAULT;
	if (copy_to_user(list, &head, sizeof(head)))
		goto out;
	ret = -E2BIG;
	if (user_n < n)
		goto out;
	ret = 0;
	if (copy_to_user(list->reg, ids, array_size(n, sizeof(*ids))))
		ret = -EFAULT;
out:
	kfree(ids);
	return ret;
}
