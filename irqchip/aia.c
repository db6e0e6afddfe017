// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM_DEV_TYPE_RISCV_AIA device: KVM_CREATE_DEVICE, the device fd and
 * its attributes, with kvm.ko's ABI (arch/riscv/kvm/aia_device.c) and
 * errnos; what rvhv does differently is in irqchip/aia.h and
 * Documentation/rvhv.rst.  Locks and lifetimes: irqchip/aia.h.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../rvhv_int.h"
#include "aia.h"

/*
 * kvm.ko's limit on MSI identities without hardware guest files
 * (IMSIC_MAX_ID); CONFIG_IDS and CONFIG_SRCS are checked against it.
 */
#define RVHV_AIA_MAX_IDS	2047

int rvhv_aia_set_irq(struct rvhv_vm *vm, u32 gsi, bool level, bool resample)
{
	struct rvhv_aplic *aplic = rvhv_vm_aplic(vm);
	struct rvhv_aia *aia = rvhv_vm_aia(vm);

	if (!aplic) {
		/* kvm.ko: -EBUSY before INIT, -ENODEV without sources. */
		return aia && READ_ONCE(aia->initialized) ? -ENODEV : -EBUSY;
	}
	if (!gsi || gsi >= aplic->nr_irqs)
		return -ENODEV;
	rvhv_aplic_set_input(aplic, gsi, level, resample);
	return 0;
}

int rvhv_aia_gsi_pin(struct rvhv_vm *vm, u32 gsi)
{
	struct rvhv_aia *aia = rvhv_vm_aia(vm);
	struct rvhv_gsi_routing *r;
	int pin = -1;

	if (!aia)
		return -1;
	rcu_read_lock();
	r = rcu_dereference(aia->routing);
	if (r && gsi < r->nr && r->route[gsi].type == KVM_IRQ_ROUTING_IRQCHIP)
		pin = r->route[gsi].pin;
	rcu_read_unlock();
	return pin;
}

/* An MSI (KVM_SIGNAL_MSI, an MSI route): see rvhv_vm_signal_msi(). */
static int rvhv_aia_deliver_msi(struct rvhv_aia *aia, u64 target, u32 data)
{
	struct rvhv_imsic *imsic;
	unsigned int i;
	u64 tppn;
	u32 g;

	if (!READ_ONCE(aia->initialized))
		return -EBUSY;
	tppn = target >> 12;
	g = tppn & (BIT(aia->guest_bits) - 1);
	tppn &= ~(u64)(BIT(aia->guest_bits) - 1);
	for (i = 0; i < RVHV_MAX_VCPUS; i++) {
		imsic = rvhv_aia_imsic(aia, i);
		if (imsic && imsic->addr >> 12 == tppn)
			return rvhv_imsic_msi(imsic->vcpu, g, target & 0xfff,
					      data);
	}
	return 0;
}

bool rvhv_aia_gsi_msi(struct rvhv_vm *vm, u32 gsi)
{
	struct rvhv_aia *aia = rvhv_vm_aia(vm);
	struct rvhv_gsi_routing *r;
	struct rvhv_gsi_route rt = { 0 };

	if (!aia)
		return false;
	rcu_read_lock();
	r = rcu_dereference(aia->routing);
	if (r && gsi < r->nr)
		rt = r->route[gsi];
	rcu_read_unlock();
	if (rt.type != KVM_IRQ_ROUTING_MSI)
		return false;
	rvhv_aia_deliver_msi(aia, rt.addr, rt.data);
	return true;
}

/* Publish @r (under vm->lock); the old table goes after a grace period. */
static void rvhv_aia_set_routing(struct rvhv_aia *aia,
				 struct rvhv_gsi_routing *r)
{
	struct rvhv_gsi_routing *old;

	lockdep_assert_held(&aia->vm->lock);
	old = rcu_replace_pointer(aia->routing, r,
				  lockdep_is_held(&aia->vm->lock));
	if (old)
		kvfree_rcu(old, rcu);
}

static struct rvhv_gsi_routing *rvhv_routing_alloc(u32 nr)
{
	struct rvhv_gsi_routing *r;

	r = kvzalloc(struct_size(r, route, nr), GFP_KERNEL_ACCOUNT);
	if (r)
		r->nr = nr;
	return r;
}

/*
 * KVM_SET_GSI_ROUTING with kvm.ko's checks, in its order: the header,
 * an irqchip, at most 4096 entries, no flags, the entries; each entry's
 * GSI below 4096, its flags 0 (an MSI entry's: KVM_MSI_VALID_DEVID), an
 * irqchip entry's chip 0 and pin below 1024, one route per GSI (kvm.ko:
 * one pin per chip, or one MSI).  MSI entries need IMSICs (MSI mode;
 * direct mode: -EINVAL, where kvm.ko would take them).
 */
long rvhv_vm_set_gsi_routing(struct rvhv_vm *vm, void __user *argp)
{
	struct kvm_irq_routing __user *urouting = argp;
	struct kvm_irq_routing_entry *ents = NULL;
	struct kvm_irq_routing hdr;
	struct rvhv_gsi_routing *r;
	struct rvhv_aia *aia;
	u32 i, nr = 0;
	long ret;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	aia = rvhv_vm_aia(vm);
	if (!aia || hdr.nr > RVHV_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ents = vmemdup_array_user(urouting->entries, hdr.nr,
					  sizeof(*ents));
		if (IS_ERR(ents))
			return PTR_ERR(ents);
	}
	for (i = 0; i < hdr.nr; i++) {
		ret = -EINVAL;
		if (ents[i].gsi >= RVHV_MAX_IRQ_ROUTES)
			goto out;
		nr = max(nr, ents[i].gsi + 1);
	}
	ret = -ENOMEM;
	r = rvhv_routing_alloc(nr);
	if (!r)
		goto out;
	ret = -EINVAL;
	for (i = 0; i < hdr.nr; i++) {
		const struct kvm_irq_routing_entry *e = &ents[i];
		struct rvhv_gsi_route *rt = &r->route[e->gsi];

		if (rt->type)
			goto bad;
		switch (e->type) {
		case KVM_IRQ_ROUTING_IRQCHIP:
			if (e->flags || e->u.irqchip.irqchip ||
			    e->u.irqchip.pin >= RVHV_IRQCHIP_NUM_PINS)
				goto bad;
			rt->pin = e->u.irqchip.pin;
			break;
		case KVM_IRQ_ROUTING_MSI:
			if ((e->flags & ~KVM_MSI_VALID_DEVID) || !aia->msi)
				goto bad;
			rt->addr = (u64)e->u.msi.address_hi << 32 |
				   e->u.msi.address_lo;
			rt->data = e->u.msi.data;
			break;
		default:
			goto bad;
		}
		rt->type = e->type;
	}
	mutex_lock(&vm->lock);
	rvhv_aia_set_routing(aia, r);
	mutex_unlock(&vm->lock);
	ret = 0;
	goto out;
bad:
	kvfree(r);
out:
	kvfree(ents);
	return ret;
}

/*
 * KVM_SIGNAL_MSI, kvm.ko's: -EINVAL without the device or with flags
 * other than KVM_MSI_VALID_DEVID, -EBUSY before INIT; the vCPU whose
 * IMSIC page the address names (guest index bits cleared) takes the
 * data at the address's page offset; 0 also when none does.  Direct
 * mode has no IMSIC: -EINVAL.
 */
long rvhv_vm_signal_msi(struct rvhv_vm *vm, void __user *argp)
{
	struct rvhv_aia *aia = rvhv_vm_aia(vm);
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!aia || !aia->msi || (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	return rvhv_aia_deliver_msi(aia, (u64)msi.address_hi << 32 |
				    msi.address_lo, msi.data);
}

/*
 * CONFIG_MODE: emul always (MSI mode); hwaccel and auto, kvm.ko's, where
 * rvhv may use hardware guest files (irqchip/hwfile.c), else -EINVAL as
 * kvm.ko on a host without them.  Going to one of them lowers IDS to
 * what a file holds (kvm.ko's default there).  Under vm->lock.
 */
static int rvhv_aia_set_mode(struct rvhv_aia *aia, u32 mode)
{
	int ret;

	switch (mode) {
	case KVM_DEV_RISCV_AIA_MODE_EMUL:
		if (aia->hw_ref)
			rvhv_hwfile_put();
		aia->hw_ref = false;
		break;
	case KVM_DEV_RISCV_AIA_MODE_HWACCEL:
	case KVM_DEV_RISCV_AIA_MODE_AUTO:
		if (!aia->msi)
			return -EINVAL;
		if (!aia->hw_ref) {
			ret = rvhv_hwfile_get();
			if (ret)
				return ret;
			aia->hw_ref = true;
		}
		aia->nr_ids = min(aia->nr_ids, rvhv_hwfile_nr_ids());
		break;
	default:
		return -EINVAL;
	}
	aia->mode = mode;
	return 0;
}

/* GRP_CONFIG; under vm->lock. */
static int rvhv_aia_config(struct rvhv_aia *aia, u64 type, u32 *nr,
			   bool write)
{
	u32 v = *nr;

	if (write && aia->initialized)
		return -EBUSY;
	switch (type) {
	case KVM_DEV_RISCV_AIA_CONFIG_MODE:
		if (!write) {
			*nr = aia->mode;
			return 0;
		}
		return rvhv_aia_set_mode(aia, v);
	case KVM_DEV_RISCV_AIA_CONFIG_IDS:
		if (!write) {
			*nr = aia->nr_ids;
			return 0;
		}
		if (v < KVM_DEV_RISCV_AIA_IDS_MIN ||
		    v >= KVM_DEV_RISCV_AIA_IDS_MAX ||
		    (v & KVM_DEV_RISCV_AIA_IDS_MIN) !=
		    KVM_DEV_RISCV_AIA_IDS_MIN || v >= RVHV_AIA_MAX_IDS)
			return -EINVAL;
		/* A hardware file has its own count (kvm.ko's limit). */
		if (aia->hw_ref && v > rvhv_hwfile_nr_ids())
			return -EINVAL;
		aia->nr_ids = v;
		return 0;
	case KVM_DEV_RISCV_AIA_CONFIG_SRCS:
		if (!write) {
			*nr = aia->nr_sources;
			return 0;
		}
		if (v >= KVM_DEV_RISCV_AIA_SRCS_MAX || v >= RVHV_AIA_MAX_IDS)
			return -EINVAL;
		aia->nr_sources = v;
		return 0;
	case KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS:
		if (!write) {
			*nr = aia->group_bits;
			return 0;
		}
		if (v >= KVM_DEV_RISCV_AIA_GROUP_BITS_MAX)
			return -EINVAL;
		aia->group_bits = v;
		return 0;
	case KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT:
		if (!write) {
			*nr = aia->group_shift;
			return 0;
		}
		if (v < KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN ||
		    v >= KVM_DEV_RISCV_AIA_GROUP_SHIFT_MAX)
			return -EINVAL;
		aia->group_shift = v;
		return 0;
	case KVM_DEV_RISCV_AIA_CONFIG_HART_BITS:
		if (!write) {
			*nr = aia->hart_bits;
			return 0;
		}
		if (v >= KVM_DEV_RISCV_AIA_HART_BITS_MAX)
			return -EINVAL;
		aia->hart_bits = v;
		return 0;
	case KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS:
		if (!write) {
			*nr = aia->guest_bits;
			return 0;
		}
		if (v >= KVM_DEV_RISCV_AIA_GUEST_BITS_MAX)
			return -EINVAL;
		aia->guest_bits = v;
		return 0;
	}
	return -ENXIO;
}

/*
 * GRP_ADDR: the APLIC's base, and in MSI mode each vCPU's IMSIC page
 * (ADDR_IMSIC(n): the vCPU with id n; kvm.ko counts vCPUs in creation
 * order, the same for a VMM that numbers them from 0).  Under vm->lock.
 */
static int rvhv_aia_addr(struct rvhv_aia *aia, u64 type, u64 *addr,
			 bool write)
{
	u64 *where = &aia->aplic_addr, align = KVM_DEV_RISCV_APLIC_ALIGN;

	if (type != KVM_DEV_RISCV_AIA_ADDR_APLIC) {
		if (!aia->msi || type < KVM_DEV_RISCV_AIA_ADDR_IMSIC(0) ||
		    type >= KVM_DEV_RISCV_AIA_ADDR_IMSIC(RVHV_MAX_VCPUS) ||
		    !aia->vm->vcpus[type - KVM_DEV_RISCV_AIA_ADDR_IMSIC(0)])
			return -ENXIO;
		where = &aia->imsic_addr[type - KVM_DEV_RISCV_AIA_ADDR_IMSIC(0)];
		align = KVM_DEV_RISCV_IMSIC_ALIGN;
	}
	if (!write) {
		*addr = *where;
		return 0;
	}
	if (aia->initialized)
		return -EBUSY;
	if (*addr & (align - 1))
		return -EINVAL;
	*where = *addr;
	return 0;
}

/* kvm.ko's: the IMSIC page's PPN without the hart, guest, group bits. */
static u64 rvhv_aia_imsic_base_ppn(struct rvhv_aia *aia, u64 addr)
{
	u64 mask = GENMASK_ULL(aia->hart_bits + aia->guest_bits + 11, 0);

	if (aia->group_bits)
		mask |= GENMASK_ULL(aia->group_bits + aia->group_shift - 1,
				    aia->group_shift);
	return (addr & ~mask) >> 12;
}

static u32 rvhv_aia_hart_index(struct rvhv_aia *aia, u64 addr)
{
	u32 hart = 0, group = 0;

	if (aia->hart_bits)
		hart = (addr >> (aia->guest_bits + 12)) &
		       GENMASK_ULL(aia->hart_bits - 1, 0);
	if (aia->group_bits)
		group = (addr >> aia->group_shift) &
			GENMASK_ULL(aia->group_bits - 1, 0);
	return group << aia->hart_bits | hart;
}

/*
 * MSI mode: an IMSIC for every vCPU, all with their address (-EINVAL)
 * and one base PPN (-EINVAL), as kvm.ko.  Made here, published by the
 * caller once everything else succeeded.
 */
static int rvhv_aia_make_imsics(struct rvhv_aia *aia,
				struct rvhv_imsic **imsics)
{
	struct rvhv_vm *vm = aia->vm;
	u64 base = RVHV_AIA_UNDEF_ADDR, addr;
	unsigned int i;

	for (i = 0; i < RVHV_MAX_VCPUS; i++) {
		if (!vm->vcpus[i])
			continue;
		addr = aia->imsic_addr[i];
		if (addr == RVHV_AIA_UNDEF_ADDR)
			return -EINVAL;
		if (base == RVHV_AIA_UNDEF_ADDR)
			base = rvhv_aia_imsic_base_ppn(aia, addr);
		if (base != rvhv_aia_imsic_base_ppn(aia, addr))
			return -EINVAL;
	}
	for (i = 0; i < RVHV_MAX_VCPUS; i++) {
		if (!vm->vcpus[i])
			continue;
		addr = aia->imsic_addr[i];
		imsics[i] = rvhv_imsic_alloc(vm->vcpus[i], addr,
					     rvhv_aia_hart_index(aia, addr),
					     aia->nr_ids);
		if (!imsics[i])
			return -ENOMEM;
		/* Hardware guest files, as irqchip/hwfile.c hands them. */
		imsics[i]->hw_mode = aia->hw_ref;
		imsics[i]->hw_strict =
			aia->mode == KVM_DEV_RISCV_AIA_MODE_HWACCEL;
	}
	return 0;
}

/* GRP_CTRL INIT.  Under vm->lock. */
static int rvhv_aia_init(struct rvhv_aia *aia)
{
	struct rvhv_vm *vm = aia->vm;
	int ret;

	if (aia->initialized)
		return -EBUSY;
	if (aia->nr_ids < aia->nr_sources)
		return -EINVAL;
	if (aia->nr_sources && aia->aplic_addr == RVHV_AIA_UNDEF_ADDR)
		return -EINVAL;
	/*
	 * MSI mode: an IMSIC address for every vCPU (kvm.ko's rule); direct
	 * mode (RVHV_CAP_AIA_DIRECT) needs none.
	 */
	if (aia->msi) {
		struct rvhv_imsic *imsics[RVHV_MAX_VCPUS] = { NULL };
		unsigned int i;

		ret = rvhv_aia_make_imsics(aia, imsics);
		if (ret) {
			for (i = 0; i < RVHV_MAX_VCPUS; i++)
				rvhv_imsic_free(imsics[i]);
			return ret;
		}
		for (i = 0; i < RVHV_MAX_VCPUS; i++) {
			/* Pairs with rvhv_aia_imsic(), rvhv_vcpu_imsic(). */
			smp_store_release(&aia->imsic[i], imsics[i]);
		}
	}
	if (aia->nr_sources) {
		struct rvhv_gsi_routing *r;
		u32 i;

		/* kvm.ko's default routing: GSI n = source n. */
		r = rvhv_routing_alloc(aia->nr_sources + 1);
		if (!r)
			return -ENOMEM;
		for (i = 0; i < r->nr; i++) {
			r->route[i].type = KVM_IRQ_ROUTING_IRQCHIP;
			r->route[i].pin = i;
		}
		ret = rvhv_aplic_init(aia);
		if (ret) {
			kvfree(r);
			return ret;
		}
		rvhv_aia_set_routing(aia, r);
		rvhv_aplic_refresh(vm->aplic);
	}
	WRITE_ONCE(aia->initialized, true);
	return 0;
}

/*
 * GRP_IMSIC: register @attr's select value of vCPU (id) @attr >> 12
 * (kvm.ko's errnos: -ENODEV without that vCPU's IMSIC, -ENOENT/-EINVAL
 * for a select value).  Direct mode has none: -ENXIO.
 */
static int rvhv_aia_imsic_attr(struct rvhv_aia *aia, u64 attr, bool write,
			       unsigned long *v)
{
	u64 id = KVM_DEV_RISCV_AIA_IMSIC_GET_VCPU(attr);
	struct rvhv_imsic *imsic;

	if (!aia->msi)
		return -ENXIO;
	if (id >= RVHV_MAX_VCPUS)
		return -ENODEV;
	imsic = rvhv_aia_imsic(aia, id);
	if (!imsic)
		return -ENODEV;
	return rvhv_imsic_attr(imsic, KVM_DEV_RISCV_AIA_IMSIC_GET_ISEL(attr),
			       write, v);
}

static int rvhv_aia_set_attr(struct rvhv_aia *aia,
			     const struct kvm_device_attr *attr)
{
	void __user *uaddr = u64_to_user_ptr(attr->addr);
	struct rvhv_vm *vm = aia->vm;
	struct rvhv_aplic *aplic;
	unsigned long v;
	u64 addr;
	u32 nr;
	int ret;

	switch (attr->group) {
	case KVM_DEV_RISCV_AIA_GRP_CONFIG:
		if (copy_from_user(&nr, uaddr, sizeof(nr)))
			return -EFAULT;
		mutex_lock(&vm->lock);
		ret = rvhv_aia_config(aia, attr->attr, &nr, true);
		mutex_unlock(&vm->lock);
		return ret;
	case KVM_DEV_RISCV_AIA_GRP_ADDR:
		if (copy_from_user(&addr, uaddr, sizeof(addr)))
			return -EFAULT;
		mutex_lock(&vm->lock);
		ret = rvhv_aia_addr(aia, attr->attr, &addr, true);
		mutex_unlock(&vm->lock);
		return ret;
	case KVM_DEV_RISCV_AIA_GRP_CTRL:
		if (attr->attr != KVM_DEV_RISCV_AIA_CTRL_INIT)
			return -ENXIO;
		mutex_lock(&vm->lock);
		ret = rvhv_aia_init(aia);
		mutex_unlock(&vm->lock);
		return ret;
	case KVM_DEV_RISCV_AIA_GRP_APLIC:
		if (copy_from_user(&nr, uaddr, sizeof(nr)))
			return -EFAULT;
		aplic = rvhv_vm_aplic(vm);
		if (!aplic)
			return -ENODEV;
		return rvhv_aplic_attr_write(aplic, attr->attr, nr);
	case KVM_DEV_RISCV_AIA_GRP_IMSIC:
		if (copy_from_user(&v, uaddr, sizeof(v)))
			return -EFAULT;
		return rvhv_aia_imsic_attr(aia, attr->attr, true, &v);
	}
	return -ENXIO;
}

static int rvhv_aia_get_attr(struct rvhv_aia *aia,
			     const struct kvm_device_attr *attr)
{
	void __user *uaddr = u64_to_user_ptr(attr->addr);
	struct rvhv_vm *vm = aia->vm;
	struct rvhv_aplic *aplic;
	unsigned long v;
	u64 addr;
	u32 nr;
	int ret;

	switch (attr->group) {
	case KVM_DEV_RISCV_AIA_GRP_CONFIG:
		if (copy_from_user(&nr, uaddr, sizeof(nr)))
			return -EFAULT;
		mutex_lock(&vm->lock);
		ret = rvhv_aia_config(aia, attr->attr, &nr, false);
		mutex_unlock(&vm->lock);
		if (ret)
			return ret;
		return copy_to_user(uaddr, &nr, sizeof(nr)) ? -EFAULT : 0;
	case KVM_DEV_RISCV_AIA_GRP_ADDR:
		if (copy_from_user(&addr, uaddr, sizeof(addr)))
			return -EFAULT;
		mutex_lock(&vm->lock);
		ret = rvhv_aia_addr(aia, attr->attr, &addr, false);
		mutex_unlock(&vm->lock);
		if (ret)
			return ret;
		return copy_to_user(uaddr, &addr, sizeof(addr)) ? -EFAULT : 0;
	case KVM_DEV_RISCV_AIA_GRP_APLIC:
		if (copy_from_user(&nr, uaddr, sizeof(nr)))
			return -EFAULT;
		aplic = rvhv_vm_aplic(vm);
		if (!aplic)
			return -ENODEV;
		ret = rvhv_aplic_attr_read(aplic, attr->attr, &nr);
		if (ret)
			return ret;
		return copy_to_user(uaddr, &nr, sizeof(nr)) ? -EFAULT : 0;
	case KVM_DEV_RISCV_AIA_GRP_IMSIC:
		if (copy_from_user(&v, uaddr, sizeof(v)))
			return -EFAULT;
		ret = rvhv_aia_imsic_attr(aia, attr->attr, false, &v);
		if (ret)
			return ret;
		return copy_to_user(uaddr, &v, sizeof(v)) ? -EFAULT : 0;
	}
	return -ENXIO;
}

static int rvhv_aia_has_attr(struct rvhv_aia *aia,
			     const struct kvm_device_attr *attr)
{
	struct rvhv_aplic *aplic;
	unsigned long v;
	u32 nr;

	switch (attr->group) {
	case KVM_DEV_RISCV_AIA_GRP_CONFIG:
		if (attr->attr <= KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS)
			return 0;
		break;
	case KVM_DEV_RISCV_AIA_GRP_ADDR:
		if (attr->attr == KVM_DEV_RISCV_AIA_ADDR_APLIC)
			return 0;
		if (aia->msi && attr->attr >= KVM_DEV_RISCV_AIA_ADDR_IMSIC(0) &&
		    attr->attr < KVM_DEV_RISCV_AIA_ADDR_IMSIC(RVHV_MAX_VCPUS) &&
		    rvhv_vm_vcpu(aia->vm, attr->attr -
				 KVM_DEV_RISCV_AIA_ADDR_IMSIC(0)))
			return 0;
		break;
	case KVM_DEV_RISCV_AIA_GRP_CTRL:
		if (attr->attr == KVM_DEV_RISCV_AIA_CTRL_INIT)
			return 0;
		break;
	case KVM_DEV_RISCV_AIA_GRP_APLIC:
		aplic = rvhv_vm_aplic(aia->vm);
		if (!aplic)
			return -ENODEV;
		return rvhv_aplic_attr_read(aplic, attr->attr, &nr);
	case KVM_DEV_RISCV_AIA_GRP_IMSIC:
		v = 0;
		if (!aia->msi)
			return -ENXIO;
		/* A read, without its value: the same checks. */
		return rvhv_aia_imsic_attr(aia, attr->attr, false, &v);
	}
	return -ENXIO;
}

static long rvhv_aia_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct rvhv_aia *aia = filp->private_data;
	struct kvm_device_attr attr;

	if (aia->vm->mm != current->mm)
		return -EIO;
	switch (ioctl) {
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		break;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&attr, (void __user *)arg, sizeof(attr)))
		return -EFAULT;
	if (ioctl == KVM_SET_DEVICE_ATTR)
		return rvhv_aia_set_attr(aia, &attr);
	if (ioctl == KVM_GET_DEVICE_ATTR)
		return rvhv_aia_get_attr(aia, &attr);
	return rvhv_aia_has_attr(aia, &attr);
}

/* The device stays with the VM; the fd only held a reference on it. */
static int rvhv_aia_release(struct inode *inode, struct file *filp)
{
	struct rvhv_aia *aia = filp->private_data;

	rvhv_vm_put(aia->vm);
	return 0;
}

static const struct file_operations rvhv_aia_fops = {
	.owner		= THIS_MODULE,
	.release	= rvhv_aia_release,
	.unlocked_ioctl	= rvhv_aia_ioctl,
	.llseek		= noop_llseek,
};

/* KVM_CREATE_DEVICE: under vm->lock. */
static int rvhv_aia_create(struct rvhv_vm *vm, bool msi)
{
	struct rvhv_aia *aia;
	unsigned int i;
	int fd;

	lockdep_assert_held(&vm->lock);
	if (vm->aia)
		return -EEXIST;
	/* The VM's GSIs already lead to vCPU lines (RVHV_CAP_IRQ_LINES). */
	if (test_bit(__ffs(RVHV_VM_CAP_IRQ_LINES), &vm->caps))
		return -EBUSY;
	/* kvm.ko: not once a vCPU has run. */
	for (i = 0; i < RVHV_MAX_VCPUS; i++)
		if (vm->vcpus[i] && READ_ONCE(vm->vcpus[i]->ran))
			return -EBUSY;

	aia = kzalloc(sizeof(*aia), GFP_KERNEL_ACCOUNT);
	if (!aia)
		return -ENOMEM;
	aia->vm = vm;
	aia->msi = msi;
	/* rvhv's default (kvm.ko's is auto where it has guest files). */
	aia->mode = KVM_DEV_RISCV_AIA_MODE_EMUL;
	for (i = 0; i < RVHV_MAX_VCPUS; i++)
		aia->imsic_addr[i] = RVHV_AIA_UNDEF_ADDR;
	/* kvm.ko's defaults on a host without guest files. */
	aia->nr_ids = RVHV_AIA_MAX_IDS - 1;
	aia->group_shift = KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN;
	aia->aplic_addr = RVHV_AIA_UNDEF_ADDR;

	refcount_inc(&vm->users);
	fd = anon_inode_getfd("rvhv-aia", &rvhv_aia_fops, aia,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		refcount_dec(&vm->users);
		kfree(aia);
		return fd;
	}
	/* Pairs with rvhv_vm_aia(): GSIs see a whole device. */
	smp_store_release(&vm->aia, aia);
	return fd;
}

long rvhv_vm_create_device(struct rvhv_vm *vm, void __user *argp)
{
	struct kvm_create_device cd;
	bool direct;
	int ret;

	if (copy_from_user(&cd, argp, sizeof(cd)))
		return -EFAULT;
	/*
	 * The one device type: in direct mode with RVHV_CAP_AIA_DIRECT, in
	 * MSI mode with emulated IMSICs on a host with Ssaia (whose CSRs the
	 * guest's IMSIC accesses trap from); otherwise rvhv answers as
	 * kvm.ko on a host without AIA.
	 */
	direct = test_bit(__ffs(RVHV_VM_CAP_AIA_DIRECT), &vm->caps);
	if (cd.type != KVM_DEV_TYPE_RISCV_AIA || (!direct && !rvhv_host.ssaia))
		return -ENODEV;
	if (!(cd.flags & KVM_CREATE_DEVICE_TEST)) {
		mutex_lock(&vm->lock);
		ret = rvhv_aia_create(vm, !direct);
		mutex_unlock(&vm->lock);
		if (ret < 0)
			return ret;
		cd.fd = ret;
	}
	/* kvm.ko: a failed copy leaves the device (and its fd) behind. */
	if (copy_to_user(argp, &cd, sizeof(cd)))
		return -EFAULT;
	return 0;
}

void rvhv_aia_vcpu_created(struct rvhv_vm *vm)
{
	if (vm->aplic)
		rvhv_aplic_refresh(vm->aplic);
}

void rvhv_aia_destroy(struct rvhv_vm *vm)
{
	unsigned int i;

	if (vm->aia) {
		kvfree(rcu_dereference_protected(vm->aia->routing, true));
		for (i = 0; i < RVHV_MAX_VCPUS; i++)
			rvhv_imsic_free(vm->aia->imsic[i]);
		if (vm->aia->hw_ref)
			rvhv_hwfile_put();
	}
	rvhv_aplic_free(vm->aplic);
	vm->aplic = NULL;
	kfree(vm->aia);
	vm->aia = NULL;
}
