// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: virtio-mmio devices (virtio 1.x, the version 2 register
 * layout, split virtqueues), with the device behind it a backend
 * (virtio-blk.c, virtio-console.c).
 *
 * Device n sits at VIRTIO_BASE + n * VIRTIO_SIZE and interrupts through
 * source n + 1 of the PLIC (plic.c) or, with --irqchip=aplic, of the
 * in-kernel APLIC (GSI n + 1, a resampling irqfd: aplic.c).  Its
 * registers are reached by MMIO exits on the vCPU threads.  Its queues
 * are served by its own thread: the guest's store to QueueNotify is a
 * KVM_IOEVENTFD registration (any value, 4 bytes) on the device's notify
 * eventfd, so it never leaves the kernel; the thread wakes on that
 * eventfd, takes the available buffers, hands each to the backend,
 * returns them used and interrupts (InterruptStatus bit 0, the PLIC
 * source's level high: an irqfd write on rvhv; with the APLIC a write of
 * the device's resampling irqfd, and the thread also wakes on its
 * resample eventfd).  Without KVM_IOEVENTFD the store is an MMIO exit
 * and the vCPU thread signals the same eventfd; --stats counts both.
 *
 * A hostile guest: every ring and buffer address is checked against guest
 * RAM before use (gpa_ptr()), rings must be naturally aligned (the VMM's
 * atomic accesses to them), a chain is at most the queue's size long and
 * each index is below it, so each walk is bounded; the available index may
 * run at most a queue's size ahead.  A guest that breaks these rules gets
 * the device in DEVICE_NEEDS_RESET (with a configuration-change
 * interrupt, and one line on stderr) and no further service until it
 * resets the device.
 *
 * Lifetime: the devices are set up by the main thread before the vCPUs
 * run (virtio_start()), and stopped and freed after the vCPU threads were
 * joined (virtio_stop(), virtio_free()).
 *
 * Saving (migrate.c): with the device's lock held, virtio_save() writes
 * its transport state and its queues' (the backends keep none that the
 * guest sees); virtio_load() checks a saved queue as QueueReady does.
 * What the device thread writes into guest RAM (used rings, the buffers
 * it fills) goes to migrate_dirty_host(), and a device thread that finds
 * the VM stopping (moved elsewhere) no longer serves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libfdt.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "rvhv-run.h"

#define VIRTIO_MAGIC		0x74726976	/* "virt" */
#define VIRTIO_VENDOR		0x52564856	/* "RVHV" */

struct virtio_dev *virtio_devs[VIRTIO_MAX];
int virtio_nr;

/* Written by the main thread to stop every device thread. */
static int stop_fd = -1;

struct virtio_dev *virtio_add(const struct virtio_backend *ops, void *priv)
{
	struct virtio_dev *d;

	if (virtio_nr == VIRTIO_MAX)
		die("too many virtio devices: at most %d", VIRTIO_MAX);
	d = calloc(1, sizeof(*d));
	if (!d)
		die("out of memory");
	d->ops = ops;
	d->priv = priv;
	d->index = virtio_nr;
	d->base = VIRTIO_BASE + (uint64_t)virtio_nr * VIRTIO_SIZE;
	d->irq = virtio_nr + 1;
	d->notify_fd = -1;
	d->irq_fd = d->resample_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	virtio_devs[virtio_nr++] = d;
	return d;
}

/* One line on stderr about device d, once until the guest resets it. */
static void warn(struct virtio_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct virtio_dev *d, const char *fmt, ...)
{
	va_list ap;

	if (d->warned)
		return;
	d->warned = true;
	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "\nrvhv-run: %s@%lx: ", d->ops->name,
		(unsigned long)d->base);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&out_lock);
}

/* Raise the APLIC source: write the resampling irqfd (under d->lock). */
static void aplic_raise(struct virtio_dev *d)
{
	uint64_t one = 1;

	if (write(d->irq_fd, &one, sizeof(one)) != sizeof(one)) {
		warn(d, "irqfd: %s", strerror(errno));
		return;
	}
	d->raised = true;
	d->irqfd_signals++;
}

/*
 * The interrupt line follows InterruptStatus (under d->lock).  @event: a
 * new interrupt (the APLIC source is raised again even if we think it is
 * high: the guest may have claimed it since).
 */
static void update_irq(struct virtio_dev *d, bool event)
{
	struct kvm_irq_level low = { .irq = d->irq, .level = 0 };

	if (opt.irqchip == IRQCHIP_PLIC) {
		plic_set_level(d->irq, d->isr != 0);
		return;
	}
	if (d->isr && event) {
		aplic_raise(d);
	} else if (!d->isr && d->raised) {
		/* Acknowledged (or reset) before the guest claimed it. */
		if (ioctl(vm_fd, KVM_IRQ_LINE, &low))
			warn(d, "KVM_IRQ_LINE gsi %u level 0: %s", d->irq,
			     strerror(errno));
		d->raised = false;
		d->lowers++;
	}
}

/*
 * The guest claimed the APLIC source: the kernel lowered it and signalled
 * the resample eventfd.  Raise it again while InterruptStatus is not
 * acknowledged (under d->lock).
 */
static void resampled(struct virtio_dev *d, uint64_t cnt)
{
	d->resamples += cnt;
	d->raised = false;
	if (d->isr) {
		aplic_raise(d);
		d->reraises++;
	}
}

static void interrupt(struct virtio_dev *d, uint32_t why)
{
	d->isr |= why;
	d->interrupts++;
	update_irq(d, true);
}

/* The guest broke a rule: no service until it resets the device. */
static void needs_reset(struct virtio_dev *d)
{
	if (d->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
		interrupt(d, VIRTIO_MMIO_INT_CONFIG);
}

static void reset(struct virtio_dev *d)
{
	memset(d->vq, 0, sizeof(d->vq));
	d->status = 0;
	d->isr = 0;
	d->driver_features = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	d->warned = false;
	update_irq(d, false);
	if (d->ops->reset)
		d->ops->reset(d);
}

static uint64_t device_features(struct virtio_dev *d)
{
	return d->ops->features | (1ULL << VIRTIO_F_VERSION_1);
}

/* QueueReady 1: the queue's rings must be in RAM, aligned, sized. */
static void queue_ready(struct virtio_dev *d, struct virtq *q)
{
	uint64_t n = q->num;

	if (!n || n > VIRTQ_MAX || (n & (n - 1))) {
		warn(d, "queue %u: size %u is not a power of 2 in 1..%d",
		     d->queue_sel, q->num, VIRTQ_MAX);
		goto bad;
	}
	if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4) {
		warn(d, "queue %u: misaligned rings", d->queue_sel);
		goto bad;
	}
	q->desc = gpa_ptr(q->desc_gpa, 16 * n);
	q->avail = gpa_ptr(q->avail_gpa, 6 + 2 * n);
	q->used = gpa_ptr(q->used_gpa, 6 + 8 * n);
	if (!q->desc || !q->avail || !q->used) {
		warn(d, "queue %u: rings outside guest RAM", d->queue_sel);
		goto bad;
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return;
bad:
	needs_reset(d);
}

/* A 4-byte register write below the configuration space (under d->lock). */
static void reg_write(struct virtio_dev *d, uint64_t off, uint32_t val)
{
	struct virtq *q = d->queue_sel < d->ops->num_queues ?
		&d->vq[d->queue_sel] : NULL;
	uint64_t *addr = NULL;
	uint64_t one = 1;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dev_features_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->status & VIRTIO_CONFIG_S_FEATURES_OK)
			return;
		if (d->drv_features_sel == 0)
			d->driver_features = (d->driver_features >> 32 << 32) | val;
		else if (d->drv_features_sel == 1)
			d->driver_features = (uint32_t)d->driver_features |
					     (uint64_t)val << 32;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->drv_features_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q && !q->ready)
			q->num = val;
		return;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!q)
			return;
		if (val && !q->ready)
			queue_ready(d, q);
		else if (!val)
			q->ready = false;
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Here only without KVM_IOEVENTFD: the thread does the work. */
		d->notifies_mmio++;
		if (write(d->notify_fd, &one, sizeof(one)) != sizeof(one))
			warn(d, "notify eventfd: %s", strerror(errno));
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		d->isr &= ~val;
		update_irq(d, false);
		return;
	case VIRTIO_MMIO_STATUS:
		if (!val) {
			reset(d);
			return;
		}
		if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    !(d->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    ((d->driver_features & ~device_features(d)) ||
		     !(d->driver_features & (1ULL << VIRTIO_F_VERSION_1))))
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;	/* refused */
		/* Buffers made available before DRIVER_OK: serve them now. */
		if ((val & VIRTIO_CONFIG_S_DRIVER_OK) &&
		    !(d->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
			d->kicks++;
			if (write(d->notify_fd, &one, sizeof(one)) != sizeof(one))
				warn(d, "notify eventfd: %s", strerror(errno));
		}
		d->status = (d->status & VIRTIO_CONFIG_S_NEEDS_RESET) |
			    (val & ~VIRTIO_CONFIG_S_NEEDS_RESET);
		return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		addr = q ? &q->desc_gpa : NULL;
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		addr = q ? &q->avail_gpa : NULL;
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		addr = q ? &q->used_gpa : NULL;
		break;
	default:
		return;		/* read-only or unknown: ignored */
	}
	if (!addr || q->ready)
		return;
	if (off & 4)
		*addr = (uint32_t)*addr | (uint64_t)val << 32;
	else
		*addr = (*addr >> 32 << 32) | val;
}

/* A 4-byte register read below the configuration space (under d->lock). */
static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
	struct virtq *q = d->queue_sel < d->ops->num_queues ?
		&d->vq[d->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (d->dev_features_sel > 1)
			return 0;
		return device_features(d) >> (32 * d->dev_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? VIRTQ_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q && q->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return d->isr;
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return ~0U;	/* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return 0;	/* the configuration never changes */
	default:
		return 0;
	}
}

/* An MMIO exit: false if it is not a virtio device's. */
bool virtio_mmio(struct kvm_run *run)
{
	uint64_t gpa = run->mmio.phys_addr, off;
	struct virtio_dev *d;
	uint32_t val = 0;
	unsigned int len = run->mmio.len;

	if (gpa < VIRTIO_BASE ||
	    (gpa - VIRTIO_BASE) / VIRTIO_SIZE >= (uint64_t)virtio_nr)
		return false;
	d = virtio_devs[(gpa - VIRTIO_BASE) / VIRTIO_SIZE];
	off = (gpa - VIRTIO_BASE) % VIRTIO_SIZE;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (len > sizeof(run->mmio.data))
		return true;

	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint8_t cfg[VIRTIO_CONFIG_MAX] = { 0 };
		size_t cfg_len = 0;

		/* Reads of any width; the configuration is read-only. */
		off -= VIRTIO_MMIO_CONFIG;
		if (d->ops->config)
			cfg_len = d->ops->config(d, cfg, sizeof(cfg));
		if (!run->mmio.is_write && off < cfg_len)
			memcpy(run->mmio.data, cfg + off,
			       len < cfg_len - off ? len : cfg_len - off);
	} else if (len == 4 && !(off % 4)) {
		if (run->mmio.is_write) {
			memcpy(&val, run->mmio.data, 4);
			reg_write(d, off, val);
		} else {
			val = reg_read(d, off);
			memcpy(run->mmio.data, &val, 4);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return true;
}

/* Copy len bytes from the buffers iov[0..n), after the first skip. */
size_t iov_copy_from(const struct iovec *iov, unsigned int n, size_t skip,
		     void *dst, size_t len)
{
	size_t done = 0, k;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		memcpy((uint8_t *)dst + done, (uint8_t *)iov[i].iov_base + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

/* Copy len bytes into the buffers iov[0..n), after the first skip. */
size_t iov_copy_to(const struct iovec *iov, unsigned int n, size_t skip,
		   const void *src, size_t len)
{
	size_t done = 0, k;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		memcpy((uint8_t *)iov[i].iov_base + skip, (const uint8_t *)src + done, k);
		done += k;
		skip = 0;
	}
	return done;
}

/*
 * After done bytes of the buffers iov[0..*n) went through a readv or
 * writev: the first buffer with bytes left (trimmed), *n how many left.
 */
struct iovec *iov_advance(struct iovec *iov, unsigned int *n, size_t done)
{
	while (*n && done >= iov->iov_len) {
		done -= iov->iov_len;
		iov++;
		(*n)--;
	}
	if (*n) {
		iov->iov_base = (uint8_t *)iov->iov_base + done;
		iov->iov_len -= done;
	}
	return iov;
}

/*
 * The bytes [skip, skip + len) of the buffers iov[0..n) as buffers in out
 * (room for n); returns how many, leaving out empty ones.
 */
unsigned int iov_range(const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len, struct iovec *out)
{
	unsigned int i, m = 0;
	size_t k;

	for (i = 0; i < n && len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - skip;
		if (k > len)
			k = len;
		out[m].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[m++].iov_len = k;
		len -= k;
		skip = 0;
	}
	return m;
}

/*
 * The chain starting at head into c: readable buffers, then writable ones.
 * False for a chain that breaks the rules (under d->lock).
 */
static bool get_chain(struct virtio_dev *d, struct virtq *q, uint16_t head,
		      struct chain *c)
{
	unsigned int i = head, n;

	c->head = head;
	c->nr = c->nw = 0;
	c->rlen = c->wlen = 0;
	for (n = 0; ; n++) {
		struct vring_desc desc;
		void *p;

		if (i >= q->num || n >= q->num) {
			warn(d, "descriptor chain from %u: index %u of %u, "
			     "link %u", head, i, q->num, n);
			return false;
		}
		memcpy(&desc, &q->desc[i], sizeof(desc));
		if (desc.flags & VRING_DESC_F_INDIRECT) {
			warn(d, "indirect descriptor %u (not offered)", i);
			return false;
		}
		p = gpa_ptr(desc.addr, desc.len);
		if (!p) {
			warn(d, "descriptor %u: 0x%llx+0x%x outside guest RAM",
			     i, (unsigned long long)desc.addr, desc.len);
			return false;
		}
		if (desc.flags & VRING_DESC_F_WRITE) {
			c->w[c->nw].iov_base = p;
			c->w[c->nw++].iov_len = desc.len;
			c->wlen += desc.len;
		} else if (c->nw) {
			warn(d, "descriptor %u: readable after writable", i);
			return false;
		} else {
			c->r[c->nr].iov_base = p;
			c->r[c->nr++].iov_len = desc.len;
			c->rlen += desc.len;
		}
		if (!(desc.flags & VRING_DESC_F_NEXT))
			return true;
		i = desc.next;
	}
}

/* The first written bytes of c's writable buffers: for a migration. */
static void mark_written(const struct chain *c, uint32_t written)
{
	unsigned int i;

	for (i = 0; i < c->nw && written; i++) {
		size_t k = c->w[i].iov_len < written ? c->w[i].iov_len : written;

		migrate_dirty_host(c->w[i].iov_base, k);
		written -= k;
	}
}

/*
 * Serve queue qi: every available chain, to the backend, then used.
 * Returns false if the guest broke a rule (under d->lock).
 */
static bool serve(struct virtio_dev *d, unsigned int qi)
{
	struct virtq *q = &d->vq[qi];
	uint16_t avail_idx, n = 0;
	bool irq = false;

	avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		warn(d, "queue %u: available index %u runs %u ahead of %u",
		     qi, avail_idx, (uint16_t)(avail_idx - q->last_avail),
		     q->num);
		return false;
	}
	while (q->last_avail != avail_idx) {
		struct vring_used_elem *e;
		uint16_t head;
		uint32_t written;

		head = __atomic_load_n(&q->avail->ring[q->last_avail % q->num],
				       __ATOMIC_RELAXED);
		if (!get_chain(d, q, head, &d->chain))
			return false;
		if (!d->ops->request(d, qi, &d->chain, &written))
			return false;
		e = &q->used->ring[q->used_idx % q->num];
		__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
		__atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
		q->last_avail++;
		q->used_idx++;
		/* The element before the index that shows it. */
		__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
		mark_written(&d->chain, written);
		migrate_dirty_host(e, sizeof(*e));
		migrate_dirty_host(&q->used->idx, sizeof(q->used->idx));
		n++;
	}
	d->requests += n;
	if (n) {
		/* The used index before the guest's flags. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		irq = !(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) &
			VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (irq)
		interrupt(d, VIRTIO_MMIO_INT_VRING);
	return true;
}

static void *device_thread(void *arg)
{
	struct virtio_dev *d = arg;
	struct pollfd pfd[3] = {
		{ .fd = d->notify_fd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
		{ .fd = d->resample_fd, .events = POLLIN },	/* or -1 */
	};
	unsigned int qi;
	uint64_t cnt;

	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			warn(d, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[2].revents &&
		    read(d->resample_fd, &cnt, sizeof(cnt)) == sizeof(cnt)) {
			pthread_mutex_lock(&d->lock);
			resampled(d, cnt);
			pthread_mutex_unlock(&d->lock);
		}
		if (!pfd[0].revents ||
		    read(d->notify_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
			continue;
		pthread_mutex_lock(&d->lock);
		d->notifies += cnt;
		for (qi = 0; qi < d->ops->num_queues && !stopping; qi++) {
			if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
			    (d->status & VIRTIO_CONFIG_S_NEEDS_RESET))
				break;
			if (!d->vq[qi].ready ||
			    (d->ops->skip_queues & (1U << qi)))
				continue;
			if (!serve(d, qi))
				needs_reset(d);
		}
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

/* ---- Saving and loading (migrate.c) ---- */

/* Under d->lock, its thread not serving. */
void virtio_save(struct virtio_dev *d, struct mig_buf *b)
{
	unsigned int i;

	mig_put32(b, d->index);
	mig_put32(b, d->ops->device_id);
	mig_put32(b, d->status);
	mig_put32(b, d->isr);
	mig_put32(b, d->dev_features_sel);
	mig_put32(b, d->drv_features_sel);
	mig_put32(b, d->queue_sel);
	mig_put32(b, d->ops->num_queues);
	mig_put64(b, d->driver_features);
	for (i = 0; i < d->ops->num_queues; i++) {
		struct virtq *q = &d->vq[i];

		mig_put32(b, q->num);
		mig_put32(b, q->ready);
		mig_put64(b, q->desc_gpa);
		mig_put64(b, q->avail_gpa);
		mig_put64(b, q->used_gpa);
		mig_put32(b, q->last_avail);
		mig_put32(b, q->used_idx);
	}
}

/* Before the device threads start; false for a malformed state. */
bool virtio_load(struct mig_rd *r)
{
	uint32_t index = mig_get32(r), id = mig_get32(r), nq;
	struct virtio_dev *d;
	unsigned int i;

	if (r->bad || index >= (uint32_t)virtio_nr)
		return false;
	d = virtio_devs[index];
	d->status = mig_get32(r);
	d->isr = mig_get32(r);
	d->dev_features_sel = mig_get32(r);
	d->drv_features_sel = mig_get32(r);
	d->queue_sel = mig_get32(r);
	nq = mig_get32(r);
	d->driver_features = mig_get64(r);
	if (r->bad || id != d->ops->device_id || nq != d->ops->num_queues ||
	    d->isr & ~3U)
		return false;
	for (i = 0; i < nq; i++) {
		struct virtq *q = &d->vq[i];
		uint32_t ready, last, used;

		q->num = mig_get32(r);
		ready = mig_get32(r);
		q->desc_gpa = mig_get64(r);
		q->avail_gpa = mig_get64(r);
		q->used_gpa = mig_get64(r);
		last = mig_get32(r);
		used = mig_get32(r);
		if (r->bad || ready > 1 || last > 0xffff || used > 0xffff)
			return false;
		q->ready = false;
		if (ready) {
			uint32_t sel = d->queue_sel;

			d->queue_sel = i;
			d->warned = true;	/* the checks' messages: ours */
			queue_ready(d, q);
			d->warned = false;
			d->queue_sel = sel;
			if (!q->ready)
				return false;
		}
		q->last_avail = last;
		q->used_idx = used;
	}
	return true;
}

/* After a restore: serve what the guest made available meanwhile. */
void virtio_kick(struct virtio_dev *d)
{
	uint64_t one = 1;

	if (write(d->notify_fd, &one, sizeof(one)) != sizeof(one))
		warn(d, "notify eventfd: %s", strerror(errno));
}

/* Notify eventfds, ioeventfds and threads, before the first KVM_RUN. */
void virtio_start(void)
{
	bool have_ioeventfd;
	int i, r;

	if (!virtio_nr)
		return;
	have_ioeventfd = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0
			 && !opt.no_ioeventfd;
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (stop_fd < 0)
		die("eventfd: %s", strerror(errno));
	for (i = 0; i < virtio_nr; i++) {
		struct virtio_dev *d = virtio_devs[i];
		struct kvm_ioeventfd ioev = {
			.addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4,
		};

		d->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->notify_fd < 0)
			die("eventfd: %s", strerror(errno));
		ioev.fd = d->notify_fd;
		if (have_ioeventfd && ioctl(vm_fd, KVM_IOEVENTFD, &ioev))
			die("KVM_IOEVENTFD at 0x%llx: %s",
			    (unsigned long long)ioev.addr, strerror(errno));
		d->ioeventfd = have_ioeventfd;
		r = pthread_create(&d->thread, NULL, device_thread, d);
		if (r)
			die("pthread_create: %s", strerror(r));
		d->started = true;
	}
}

/*
 * After the vCPU threads ended: stop the device threads, and count the
 * notifies they had not read yet.
 */
void virtio_stop(void)
{
	uint64_t one = 1, cnt;
	int i;

	if (!virtio_nr)
		return;
	if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
		abort();	/* cannot fail on an eventfd below its limit */
	for (i = 0; i < virtio_nr; i++) {
		struct virtio_dev *d = virtio_devs[i];

		if (!d->started)
			continue;
		pthread_join(d->thread, NULL);
		d->started = false;
		if (read(d->notify_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
			d->notifies += cnt;
	}
}

/* After virtio_stop(). */
void virtio_free(void)
{
	int i;

	for (i = 0; i < virtio_nr; i++) {
		struct virtio_dev *d = virtio_devs[i];

		if (d->ops->exit)
			d->ops->exit(d);
		if (d->notify_fd >= 0)
			close(d->notify_fd);
		if (d->irq_fd >= 0)
			close(d->irq_fd);
		if (d->resample_fd >= 0)
			close(d->resample_fd);
		pthread_mutex_destroy(&d->lock);
		free(d);
		virtio_devs[i] = NULL;
	}
	virtio_nr = 0;
	if (stop_fd >= 0)
		close(stop_fd);
}

/* The devices' nodes, in the soc node. */
void virtio_fdt(void *fdt)
{
	char name[40];
	int i;

	for (i = 0; i < virtio_nr; i++) {
		struct virtio_dev *d = virtio_devs[i];
		fdt64_t reg[2] = { cpu_to_fdt64(d->base),
				   cpu_to_fdt64(VIRTIO_SIZE) };

		snprintf(name, sizeof(name), "virtio_mmio@%lx",
			 (unsigned long)d->base);
		FDT(fdt_begin_node(fdt, name));
		FDT(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		FDT(fdt_property(fdt, "reg", reg, sizeof(reg)));
		if (opt.irqchip == IRQCHIP_APLIC) {
			aplic_fdt_irq(fdt, d->irq);
		} else {
			FDT(fdt_property_u32(fdt, "interrupts", d->irq));
			FDT(fdt_property_u32(fdt, "interrupt-parent",
					     PLIC_PHANDLE));
		}
		FDT(fdt_end_node(fdt));
	}
}

/* After virtio_stop(). */
void virtio_stats(void)
{
	int i;

	for (i = 0; i < virtio_nr; i++) {
		struct virtio_dev *d = virtio_devs[i];
		unsigned long total = d->notifies - d->kicks;
		unsigned long mmio = d->notifies_mmio;

		fprintf(stderr, "rvhv-run: stats: %s@%lx: notifies %lu "
			"(ioeventfd %lu, mmio-exit %lu), requests %lu, "
			"interrupts %lu\n", d->ops->name,
			(unsigned long)d->base, total, total - mmio, mmio,
			d->requests, d->interrupts);
	}
}
