// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: saving, restoring and live-migrating a VM.  This file owns
 * the stream format (its writer and its checked reader), the stopping of
 * the vCPUs and devices for a save (--save FILE, --migrate-to unix:PATH,
 * on SIGUSR1 or the console's Ctrl-A s), the pre-copy loop over the
 * dirty log (KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG with
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) or the dirty ring (--dirty-ring:
 * KVM_CAP_DIRTY_LOG_RING_ACQ_REL, KVM_RESET_DIRTY_RINGS), the vCPU state
 * (every register KVM_GET_REG_LIST lists, and MP_STATE), and the loading
 * of a stream into a new VM (--restore FILE, --incoming unix:PATH).
 * plic.c and virtio.c write and read their own state with mig_put() and
 * mig_get() (rvhv-run.h).
 *
 * The stream (version 1, little-endian, what the host writes):
 *
 *   header   "RVHVMIG\n", u32 version, u32 page size (4096)
 *   section  u32 type, u32 flags (0), u64 length, u64 checksum, then
 *            length bytes of payload; the checksum covers type, flags,
 *            length and the payload (mig_hash()), so a section is
 *            checked before it is used
 *
 * Sections: CONFIG first (memory size, vCPUs, interrupt controller, the
 * virtio devices' ids: the target's --disk/--virtio-console must make
 * the same devices), then RAM (u64 guest physical address, whole pages)
 * and ZERO (u64 address, u64 pages) as often as the pre-copy sends them
 * (a later one overwrites an earlier one), then one VCPU per vCPU (u32
 * id, u32 MP_STATE, u32 registers, u32 0, then per register its u64 id
 * and its value, KVM_REG_SIZE(id) bytes padded to 8), PLIC, one VIRTIO
 * per device, and END (u64 sections before it).  A stream without END
 * is truncated; a reader stops at the first section that is malformed,
 * fails its checksum, or breaks these rules, with a message, before
 * anything runs.
 *
 * Stopping.  The main thread (migrate_out()) asks every vCPU thread to
 * pause (kick_vcpus(): immediate_exit and the kick signal); a vCPU thread
 * pauses in migrate_vcpu_pause() only when its last KVM_RUN returned with
 * nothing to complete (EINTR), so an exit it was handling (an MMIO read,
 * an SBI call) has been completed into the vCPU by a KVM_RUN with
 * immediate_exit = 1, KVM's rule, before its registers are read.  Then
 * every virtio device's lock is taken, so no device thread writes guest
 * memory or a disk while the rest is copied; after a move the devices
 * never serve again (@stopping is set before the locks are dropped).
 *
 * Pre-copy (migrate_out(), live): logging on (the slot's
 * KVM_MEM_LOG_DIRTY_PAGES), every page sent while the guest runs, then
 * rounds of "harvest the log into @pending, send those pages" until a
 * harvest finds at most MIG_DONE_PAGES pages or MIG_MAX_ROUNDS rounds
 * were made; then the stop, one last harvest and send, the state, END,
 * and the target's answer (MIG_ACK once its vCPUs run: the downtime ends
 * there).  No answer: the guest goes on here, logging off.  The harvest
 * re-arms before the pages are copied (a store after it is logged
 * again).  rvhv-run's own writes into guest RAM (virtio used rings and
 * the buffers devices fill, the SBI console's reads) are not in the
 * kernel's log: migrate_dirty_host() puts them in @pending.
 *
 * Locks: @pz.lock covers @pz (the pause handshake; the vCPU threads wait
 * on @pz.cond, and so does the main thread for them); @trk.ring_lock
 * covers the ring fetch indexes and KVM_RESET_DIRTY_RINGS (the main
 * thread's harvest, a vCPU's on KVM_EXIT_DIRTY_RING_FULL).  @trk.pending
 * is changed with atomic operations only; the rest is the main thread's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rvhv-run.h"

#define MIG_MAGIC	"RVHVMIG\n"
#define MIG_VERSION	1
#define MIG_PAGE	4096UL
#define MIG_RUN_PAGES	64		/* pages per RAM section at most */
#define MIG_SEC_MAX	(1UL << 20)	/* payload bytes of any section */
#define MIG_REG_MAX	256		/* bytes of one register (U2048) */
#define MIG_DONE_PAGES	256		/* dirty pages that end pre-copy */
#define MIG_MAX_ROUNDS	30		/* pre-copy rounds at most */
#define MIG_ACK		0x444d55534552564eULL	/* the target runs */
#define MIG_ACK_WAIT_S	120		/* for the target's MIG_ACK */
#define MIG_CONNECT_S	30		/* for the target to listen */
#define MIG_IO_S	60		/* a socket read or write stalls */

enum {
	SEC_CONFIG = 1, SEC_RAM, SEC_ZERO, SEC_VCPU, SEC_PLIC, SEC_VIRTIO,
	SEC_END, SEC_NR
};

static const char *const sec_names[SEC_NR] = {
	[SEC_CONFIG] = "CONFIG", [SEC_RAM] = "RAM", [SEC_ZERO] = "ZERO",
	[SEC_VCPU] = "VCPU", [SEC_PLIC] = "PLIC", [SEC_VIRTIO] = "VIRTIO",
	[SEC_END] = "END",
};

struct mig_hdr {
	char magic[8];
	uint32_t version;
	uint32_t page_size;
};

struct mig_sec {
	uint32_t type;
	uint32_t flags;
	uint64_t len;
	uint64_t sum;
};

/* The pause handshake (see the top of the file). */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop_req;
	int nr_paused, nr_exited;
} pz = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
};

/* Dirty tracking (see the top of the file for who touches what). */
static struct {
	uint64_t npages;
	uint64_t *pending;		/* bit n: page n to send (atomic) */
	uint64_t *scratch;		/* KVM_GET_DIRTY_LOG's bitmap */
	bool tracking;			/* VMM writes go to @pending */
	bool logging, manual;
	pthread_mutex_t ring_lock;
	uint32_t ring_entries;		/* 0: bitmaps */
	struct kvm_dirty_gfn *gfns[CPUS_MAX];
	uint32_t fetch[CPUS_MAX];	/* under ring_lock */
} trk = { .ring_lock = PTHREAD_MUTEX_INITIALIZER };

/* The stream being written or read, and what went through it. */
static struct {
	int fd;
	const char *name;		/* for messages */
	bool live;			/* a socket */
	bool failed;			/* a write failed: errno in @err */
	int err;
	uint64_t sections, bytes, pages, zero_pages;
} st = { .fd = -1 };

/* The incoming stream's configuration (migrate_incoming_open()). */
static uint32_t in_ndev, in_devs[VIRTIO_MAX];

/* ---- Checksum and section buffers ---- */

/*
 * 64-bit words, each step a bijection of the word (so any change of one
 * word changes the sum); a tail shorter than a word is zero-padded with
 * its length mixed in.  Chunks hashed one after another give the same
 * sum as their concatenation when all but the last are whole words.
 */
static uint64_t mig_hash(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t w;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 31;
	}
	if (n) {
		w = 0;
		memcpy(&w, b, n);
		h = (h ^ w ^ (uint64_t)n << 56) * 0x100000001b3ULL;
		h ^= h >> 31;
	}
	return h;
}

static uint64_t sec_sum(const struct mig_sec *s)
{
	uint64_t w[2] = { s->type | (uint64_t)s->flags << 32, s->len };

	return mig_hash(0xcbf29ce484222325ULL, w, sizeof(w));
}

void mig_put(struct mig_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void mig_put32(struct mig_buf *b, uint32_t v)
{
	mig_put(b, &v, sizeof(v));
}

void mig_put64(struct mig_buf *b, uint64_t v)
{
	mig_put(b, &v, sizeof(v));
}

bool mig_get(struct mig_rd *r, void *p, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		memset(p, 0, n);
		return false;
	}
	memcpy(p, r->p + r->off, n);
	r->off += n;
	return true;
}

uint32_t mig_get32(struct mig_rd *r)
{
	uint32_t v;

	mig_get(r, &v, sizeof(v));
	return v;
}

uint64_t mig_get64(struct mig_rd *r)
{
	uint64_t v;

	mig_get(r, &v, sizeof(v));
	return v;
}

/* ---- Writing ---- */

static bool write_all(int fd, struct iovec *iov, unsigned int n)
{
	while (n) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		st.bytes += w;
		iov = iov_advance(iov, &n, w);
	}
	return true;
}

/* One section of a + b (either may be empty); false once a write failed. */
static bool send_sec(uint32_t type, const void *a, size_t alen,
		     const void *b, size_t blen)
{
	struct mig_sec s = { .type = type, .len = alen + blen };
	struct iovec iov[3] = {
		{ &s, sizeof(s) }, { (void *)a, alen }, { (void *)b, blen },
	};

	if (st.failed)
		return false;
	s.sum = mig_hash(mig_hash(sec_sum(&s), a, alen), b, blen);
	if (!write_all(st.fd, iov, 3)) {
		st.failed = true;
		st.err = errno ? errno : EPIPE;
		return false;
	}
	st.sections++;
	return true;
}

static bool page_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;
	unsigned int i;

	for (i = 0; i < MIG_PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/*
 * zero[i]: page first + i (i < n <= MIG_MAP_PAGES) is all zeros.  A page
 * of our anonymous private RAM that is neither present nor swapped out
 * (/proc/self/pagemap) was never written: zero without reading it (a
 * read would fault in the shared zero page, one page fault each).  A
 * write after the look is in the dirty log.
 */
#define MIG_MAP_PAGES	512
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)

static void zero_map(uint64_t first, uint64_t n, bool *zero)
{
	static int pm_fd = -2;
	uint64_t pm[MIG_MAP_PAGES], i;
	bool have;

	if (pm_fd == -2)
		pm_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	have = pm_fd >= 0 &&
	       pread(pm_fd, pm, n * 8,
		     ((uintptr_t)ram / MIG_PAGE + first) * 8) == (ssize_t)(n * 8);
	for (i = 0; i < n; i++)
		zero[i] = (have && !(pm[i] & (PM_PRESENT | PM_SWAP))) ||
			  page_zero(ram + (first + i) * MIG_PAGE);
}

/* Pages [first, first + n) as RAM and ZERO sections. */
static bool send_pages(uint64_t first, uint64_t n)
{
	static uint8_t bounce[MIG_RUN_PAGES * MIG_PAGE];
	bool zero[MIG_MAP_PAGES];
	uint64_t m, i, k;

	for (; n && !st.failed; first += m, n -= m) {
		m = n < MIG_MAP_PAGES ? n : MIG_MAP_PAGES;
		zero_map(first, m, zero);
		for (i = 0; i < m && !st.failed; i += k) {
			uint64_t gpa = RAM_BASE + (first + i) * MIG_PAGE;

			for (k = 1; i + k < m && zero[i + k] == zero[i] &&
			     (zero[i] || k < MIG_RUN_PAGES); k++)
				;
			if (zero[i]) {
				uint64_t z[2] = { gpa, k };

				send_sec(SEC_ZERO, z, sizeof(z), NULL, 0);
				st.zero_pages += k;
				continue;
			}
			/*
			 * A copy: the guest may write the pages while they
			 * are summed and sent (they are dirty again then).
			 */
			memcpy(bounce, ram + (first + i) * MIG_PAGE,
			       k * MIG_PAGE);
			send_sec(SEC_RAM, &gpa, sizeof(gpa), bounce,
				 k * MIG_PAGE);
			st.pages += k;
		}
	}
	return !st.failed;
}

/* Take every page in @pending and send it; *sent: how many. */
static bool send_pending(uint64_t *sent)
{
	uint64_t w, i, words = (trk.npages + 63) / 64;

	*sent = 0;
	for (i = 0; i < words && !st.failed; i++) {
		w = __atomic_exchange_n(&trk.pending[i], 0, __ATOMIC_SEQ_CST);
		while (w) {
			unsigned int b = __builtin_ctzll(w), e = b;

			while (e < 64 && (w >> e & 1))
				e++;
			send_pages(i * 64 + b, e - b);
			*sent += e - b;
			w &= e == 64 ? 0 : ~0ULL << e;
		}
	}
	return !st.failed;
}

/* ---- Dirty tracking ---- */

static void set_pending(uint64_t page)
{
	if (page < trk.npages)
		__atomic_fetch_or(&trk.pending[page / 64], 1ULL << (page % 64),
				  __ATOMIC_SEQ_CST);
}

void migrate_dirty_host(const void *p, size_t len)
{
	uint64_t off, end;

	if (!len || !__atomic_load_n(&trk.tracking, __ATOMIC_SEQ_CST) ||
	    (const uint8_t *)p < ram || (const uint8_t *)p >= ram + ram_size)
		return;
	off = (const uint8_t *)p - ram;
	end = off + len > ram_size ? ram_size : off + len;
	for (off &= ~(MIG_PAGE - 1); off < end; off += MIG_PAGE)
		set_pending(off / MIG_PAGE);
}

/* Every dirty ring into @pending, then reset them; false on an error. */
static bool ring_harvest(void)
{
	uint32_t mask = trk.ring_entries - 1;
	bool ok = true;
	long n = 0;
	int i;

	pthread_mutex_lock(&trk.ring_lock);
	for (i = 0; i < opt.cpus; i++) {
		for (;;) {
			struct kvm_dirty_gfn *e =
				&trk.gfns[i][trk.fetch[i] & mask];

			if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) &
			      KVM_DIRTY_GFN_F_DIRTY))
				break;
			if (e->slot == 0)
				set_pending(e->offset);
			__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
					 __ATOMIC_RELEASE);
			trk.fetch[i]++;
			n++;
		}
	}
	if (n && ioctl(vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0)
		ok = false;
	pthread_mutex_unlock(&trk.ring_lock);
	return ok;
}

void migrate_ring_full(struct vcpu *v)
{
	if (!trk.ring_entries)
		vcpu_fail(v, "KVM_EXIT_DIRTY_RING_FULL without a dirty ring");
	else if (!ring_harvest())
		vcpu_fail(v, "KVM_RESET_DIRTY_RINGS: %s", strerror(errno));
}

/* The kernel's log into @pending (re-armed before it returns). */
static bool harvest(void)
{
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = trk.scratch };
	struct kvm_clear_dirty_log clr = {
		.slot = 0, .num_pages = trk.npages,
		.dirty_bitmap = trk.scratch,
	};
	uint64_t i, words = (trk.npages + 63) / 64;

	if (trk.ring_entries)
		return ring_harvest();
	if (ioctl(vm_fd, KVM_GET_DIRTY_LOG, &log))
		return false;
	if (trk.manual && ioctl(vm_fd, KVM_CLEAR_DIRTY_LOG, &clr))
		return false;
	for (i = 0; i < words; i++)
		if (trk.scratch[i])
			__atomic_fetch_or(&trk.pending[i], trk.scratch[i],
					  __ATOMIC_SEQ_CST);
	return true;
}

static uint64_t pending_count(void)
{
	uint64_t i, n = 0, words = (trk.npages + 63) / 64;

	for (i = 0; i < words; i++)
		n += __builtin_popcountll(__atomic_load_n(&trk.pending[i],
							  __ATOMIC_RELAXED));
	return n;
}

static int set_logging(bool on)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = RAM_BASE,
		.memory_size = ram_size, .userspace_addr = (uintptr_t)ram,
		.flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		return -1;
	trk.logging = on;
	return 0;
}

static void tracking_start(void)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
	};

	if (!trk.ring_entries && !trk.manual &&
	    ioctl(vm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0 &&
	    !ioctl(vm_fd, KVM_ENABLE_CAP, &cap))
		trk.manual = true;
	memset(trk.pending, 0, (trk.npages + 63) / 64 * 8);
	__atomic_store_n(&trk.tracking, true, __ATOMIC_SEQ_CST);
}

static void tracking_stop(void)
{
	__atomic_store_n(&trk.tracking, false, __ATOMIC_SEQ_CST);
	if (trk.logging && set_logging(false))
		fprintf(stderr, "rvhv-run: migrate: turning dirty logging off: "
			"%s\n", strerror(errno));
}

/* ---- vCPUs and devices stopped ---- */

bool migrate_vcpu_pause(struct vcpu *v)
{
	bool paused = false;

	pthread_mutex_lock(&pz.lock);
	while (!stopping && pz.stop_req) {
		if (!paused) {
			paused = true;
			pz.nr_paused++;
			pthread_cond_broadcast(&pz.cond);
		}
		pthread_cond_wait(&pz.cond, &pz.lock);
	}
	if (paused)
		pz.nr_paused--;
	/* A pause asked from now on sets it again (under pz.lock). */
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&pz.lock);
	return !__atomic_load_n(&stopping, __ATOMIC_SEQ_CST);
}

void migrate_vcpu_exit(void)
{
	pthread_mutex_lock(&pz.lock);
	pz.nr_exited++;
	pthread_cond_broadcast(&pz.cond);
	pthread_mutex_unlock(&pz.lock);
}

void migrate_end(void)
{
	pthread_mutex_lock(&pz.lock);
	pthread_cond_broadcast(&pz.cond);
	pthread_mutex_unlock(&pz.lock);
}

static int started_vcpus(void)
{
	int i, n = 0;

	for (i = 0; i < opt.cpus; i++)
		n += vcpus[i].started;
	return n;
}

static void resume_vcpus(void)
{
	pthread_mutex_lock(&pz.lock);
	pz.stop_req = false;
	pthread_cond_broadcast(&pz.cond);
	pthread_mutex_unlock(&pz.lock);
}

/* Every vCPU thread paused; false if one ended (the VM is ending). */
static bool pause_vcpus(void)
{
	int n = started_vcpus();
	bool ok;

	pthread_mutex_lock(&pz.lock);
	pz.stop_req = true;
	kick_vcpus();
	while (!pz.nr_exited && pz.nr_paused < n)
		pthread_cond_wait(&pz.cond, &pz.lock);
	ok = !pz.nr_exited;
	pthread_mutex_unlock(&pz.lock);
	if (!ok)
		resume_vcpus();
	return ok;
}

static void lock_devices(bool lock)
{
	int i;

	for (i = 0; i < virtio_nr; i++) {
		if (lock)
			pthread_mutex_lock(&virtio_devs[i]->lock);
		else
			pthread_mutex_unlock(&virtio_devs[i]->lock);
	}
}

/* ---- State ---- */

static size_t reg_size(uint64_t id)
{
	return 1UL << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static bool save_vcpu(struct vcpu *v, struct mig_buf *b)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	struct kvm_mp_state mp;
	uint8_t val[MIG_REG_MAX];
	uint64_t i;

	if (ioctl(v->fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG) {
		fprintf(stderr, "rvhv-run: migrate: vcpu%d: KVM_GET_REG_LIST: "
			"%s\n", v->id, strerror(errno));
		return false;
	}
	list = malloc(sizeof(*list) + probe.n * sizeof(uint64_t));
	if (!list)
		die("out of memory");
	list->n = probe.n;
	if (ioctl(v->fd, KVM_GET_REG_LIST, list) ||
	    ioctl(v->fd, KVM_GET_MP_STATE, &mp)) {
		fprintf(stderr, "rvhv-run: migrate: vcpu%d: KVM_GET_REG_LIST or "
			"KVM_GET_MP_STATE: %s\n", v->id, strerror(errno));
		free(list);
		return false;
	}
	mig_put32(b, v->id);
	mig_put32(b, mp.mp_state);
	mig_put32(b, list->n);
	mig_put32(b, 0);
	for (i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i];
		size_t n = reg_size(id);
		struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

		memset(val, 0, sizeof(val));
		if (n > MIG_REG_MAX || ioctl(v->fd, KVM_GET_ONE_REG, &r)) {
			fprintf(stderr, "rvhv-run: migrate: vcpu%d: register "
				"%#llx (listed): %s\n", v->id,
				(unsigned long long)id,
				n > MIG_REG_MAX ? "too large" : strerror(errno));
			free(list);
			return false;
		}
		mig_put64(b, id);
		mig_put(b, val, align_up(n, 8));
	}
	free(list);
	return true;
}

/* Everything but memory, then END; false on an error (said). */
static bool send_state(void)
{
	struct mig_buf b = { 0 };
	int i;

	for (i = 0; i < opt.cpus; i++) {
		b.len = 0;
		if (!save_vcpu(&vcpus[i], &b))
			goto fail;
		send_sec(SEC_VCPU, b.p, b.len, NULL, 0);
	}
	if (virtio_nr) {
		b.len = 0;
		plic_save(&b);
		send_sec(SEC_PLIC, b.p, b.len, NULL, 0);
	}
	for (i = 0; i < virtio_nr; i++) {
		b.len = 0;
		virtio_save(virtio_devs[i], &b);
		send_sec(SEC_VIRTIO, b.p, b.len, NULL, 0);
	}
	free(b.p);
	return send_sec(SEC_END, &st.sections, sizeof(st.sections), NULL, 0);
fail:
	free(b.p);
	return false;
}

static bool send_config(void)
{
	struct mig_hdr h = { .version = MIG_VERSION, .page_size = MIG_PAGE };
	struct iovec iov = { &h, sizeof(h) };
	struct mig_buf b = { 0 };
	bool ok;
	int i;

	memcpy(h.magic, MIG_MAGIC, sizeof(h.magic));
	if (!write_all(st.fd, &iov, 1)) {
		st.failed = true;
		st.err = errno;
		return false;
	}
	mig_put64(&b, opt.mem_mb);
	mig_put32(&b, opt.cpus);
	mig_put32(&b, opt.irqchip);
	mig_put32(&b, virtio_nr);
	for (i = 0; i < virtio_nr; i++)
		mig_put32(&b, virtio_devs[i]->ops->device_id);
	ok = send_sec(SEC_CONFIG, b.p, b.len, NULL, 0);
	free(b.p);
	return ok;
}

/* ---- The source ---- */

/* A peer that stops reading or writing fails the move, not hangs it. */
static void io_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = MIG_IO_S };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double end = now() + MIG_CONNECT_S;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			io_timeouts(fd);
			return fd;
		}
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) || now() > end)
			return -1;
		usleep(50000);
	}
}

/* The target's MIG_ACK: it runs the guest now. */
static bool wait_ack(void)
{
	struct pollfd pfd = { .fd = st.fd, .events = POLLIN };
	uint64_t ack = 0;
	size_t got = 0;
	ssize_t n;

	shutdown(st.fd, SHUT_WR);
	while (got < sizeof(ack)) {
		n = poll(&pfd, 1, MIG_ACK_WAIT_S * 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		n = read(st.fd, (uint8_t *)&ack + got, sizeof(ack) - got);
		if (n <= 0)
			return false;
		got += n;
	}
	return ack == MIG_ACK;
}

static const char *tmp_path(void)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s.tmp", opt.save);
	return path;
}

bool migrate_out(void)
{
	double t0 = now(), t_stop, t_end;
	uint64_t n, sent, final = 0;
	bool live = opt.migrate_to, ok;
	int rounds = 0;

	if (!opt.save && !opt.migrate_to) {
		fprintf(stderr, "rvhv-run: SIGUSR1 ignored: no --save or "
			"--migrate-to\n");
		return false;
	}
	memset(&st, 0, sizeof(st));
	st.live = live;
	st.name = live ? opt.migrate_to : opt.save;
	if (live)
		st.fd = connect_unix(opt.migrate_to + 5);
	else
		st.fd = open(tmp_path(), O_WRONLY | O_CREAT | O_TRUNC |
			     O_CLOEXEC, 0600);
	if (st.fd < 0) {
		fprintf(stderr, "rvhv-run: migrate: %s: %s; the guest goes "
			"on\n", st.name, strerror(errno));
		return false;
	}
	fprintf(stderr, "rvhv-run: migrate: %s to %s\n",
		live ? "moving the guest" : "saving the guest", st.name);
	if (!send_config())
		goto fail_running;

	if (live) {
		tracking_start();
		if (set_logging(true)) {
			fprintf(stderr, "rvhv-run: migrate: dirty logging on: "
				"%s\n", strerror(errno));
			goto fail_running;
		}
		/* The first round: everything, while the guest runs. */
		if (!send_pages(0, trk.npages))
			goto fail_running;
		for (rounds = 1; rounds < MIG_MAX_ROUNDS; rounds++) {
			if (!harvest()) {
				fprintf(stderr, "rvhv-run: migrate: harvesting "
					"the dirty log: %s\n", strerror(errno));
				goto fail_running;
			}
			n = pending_count();
			if (n <= MIG_DONE_PAGES)
				break;
			if (!send_pending(&sent))
				goto fail_running;
		}
	}

	if (!pause_vcpus()) {
		fprintf(stderr, "rvhv-run: migrate: the guest ended first\n");
		goto fail_running;
	}
	lock_devices(true);
	t_stop = now();
	if (live) {
		if (!harvest()) {
			fprintf(stderr, "rvhv-run: migrate: harvesting the "
				"dirty log: %s\n", strerror(errno));
			goto fail_stopped;
		}
		ok = send_pending(&final);
	} else {
		ok = send_pages(0, ram_size / MIG_PAGE);
		final = ram_size / MIG_PAGE;
	}
	if (!ok || !send_state())
		goto fail_stopped;
	if (live && !wait_ack()) {
		fprintf(stderr, "rvhv-run: migrate: no answer from the "
			"target\n");
		goto fail_stopped;
	}
	if (!live && (fsync(st.fd) || rename(tmp_path(), opt.save))) {
		st.failed = true;
		st.err = errno;
		goto fail_stopped;
	}
	t_end = now();
	close(st.fd);
	st.fd = -1;
	/* Moved: the devices never serve again, the vCPUs never run. */
	stopping = 1;
	lock_devices(false);
	fprintf(stderr, "rvhv-run: migrate: done: to=%s mode=%s total_ms=%.1f "
		"downtime_ms=%.1f iterations=%d pages=%llu zero_pages=%llu "
		"final_pages=%llu bytes=%llu\n", st.name,
		!live ? "save" : trk.ring_entries ? "ring" : "bitmap",
		(t_end - t0) * 1e3, (t_end - t_stop) * 1e3, rounds,
		(unsigned long long)st.pages,
		(unsigned long long)st.zero_pages, (unsigned long long)final,
		(unsigned long long)st.bytes);
	return true;

fail_stopped:
	lock_devices(false);
	resume_vcpus();
fail_running:
	if (st.failed)
		fprintf(stderr, "rvhv-run: migrate: writing to %s: %s\n",
			st.name, strerror(st.err));
	fprintf(stderr, "rvhv-run: migrate: failed; the guest goes on\n");
	if (live)
		tracking_stop();
	else
		unlink(tmp_path());
	close(st.fd);
	st.fd = -1;
	return false;
}

/* ---- Set-up, both sides ---- */

void migrate_check_opts(void)
{
	if (opt.dirty_ring && !opt.migrate_to)
		die("--dirty-ring: only with --migrate-to");
	if ((opt.save || opt.migrate_to) && opt.gdb)
		die("--save and --migrate-to do not go with --gdb");
	if ((opt.save || opt.migrate_to || opt.restore || opt.incoming) &&
	    opt.irqchip == IRQCHIP_APLIC)
		die("--irqchip=aplic: saving its state is not implemented");
}

/* Before the vCPUs are created: the dirty ring is the VM's. */
void migrate_before_vcpus(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL };
	long max;

	if (sysconf(_SC_PAGESIZE) != (long)MIG_PAGE &&
	    (opt.save || opt.migrate_to || opt.restore || opt.incoming))
		die("saving and restoring need 4 KiB host pages");
	trk.npages = ram_size / MIG_PAGE;
	if (opt.migrate_to) {
		trk.pending = calloc((trk.npages + 63) / 64, 8);
		trk.scratch = calloc((trk.npages + 63) / 64, 8);
		if (!trk.pending || !trk.scratch)
			die("out of memory");
	}
	if (!opt.dirty_ring)
		return;
	max = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
	if (max <= 0)
		die("--dirty-ring: %s has no dirty ring "
		    "(KVM_CAP_DIRTY_LOG_RING_ACQ_REL)", opt.dev);
	trk.ring_entries = opt.dirty_ring;
	cap.args[0] = trk.ring_entries * sizeof(struct kvm_dirty_gfn);
	if ((long)cap.args[0] > max)
		die("--dirty-ring=%u: %s allows at most %ld entries",
		    trk.ring_entries, opt.dev,
		    max / (long)sizeof(struct kvm_dirty_gfn));
	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap))
		die("KVM_ENABLE_CAP KVM_CAP_DIRTY_LOG_RING_ACQ_REL %llu: %s",
		    (unsigned long long)cap.args[0], strerror(errno));
}

void migrate_vcpu_created(struct vcpu *v)
{
	void *p;

	if (!trk.ring_entries)
		return;
	p = mmap(NULL, trk.ring_entries * sizeof(struct kvm_dirty_gfn),
		 PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		 RVHV_DIRTY_LOG_PAGE_OFFSET * MIG_PAGE);
	if (p == MAP_FAILED)
		die("vcpu %d: mmap of its dirty ring: %s", v->id,
		    strerror(errno));
	trk.gfns[v->id] = p;
}

/* ---- The target ---- */

static void in_fail(const char *fmt, ...) __attribute__((noreturn,
							format(printf, 1, 2)));
static void in_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die("%s: %s", st.name, msg);
}

/*
 * Exactly n bytes of what; with eof_ok, false at the end of the stream
 * before any of them.
 */
static bool read_all(void *p, size_t n, const char *what, bool eof_ok)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(st.fd, (uint8_t *)p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			in_fail("reading %s: %s", what, strerror(errno));
		if (!r) {
			if (!got && eof_ok)
				return false;
			in_fail("truncated: the stream ends in %s", what);
		}
		got += r;
		st.bytes += r;
	}
	return true;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, c;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1))
		die("--incoming %s: %s", path, strerror(errno));
	fprintf(stderr, "rvhv-run: incoming: waiting on %s\n", path);
	do
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		die("--incoming %s: accept: %s", path, strerror(errno));
	close(fd);
	unlink(path);
	io_timeouts(c);
	return c;
}

/*
 * The next section's header and (for all but RAM) payload into *b;
 * checked against its length rules.  RAM's payload is left to the
 * caller, with the running sum in *sum.  False at END.
 */
static bool read_sec(struct mig_sec *s, struct mig_buf *b, uint64_t *sum)
{
	uint64_t min = 0, max = MIG_SEC_MAX;

	if (!read_all(s, sizeof(*s), "a section header", true))
		in_fail("truncated: no END section after %llu sections",
			(unsigned long long)st.sections);
	if (!s->type || s->type >= SEC_NR || s->flags)
		in_fail("section %llu: unknown type %u, flags %#x (corrupt, or "
			"a newer rvhv-run wrote it)",
			(unsigned long long)st.sections, s->type, s->flags);
	switch (s->type) {
	case SEC_RAM:
		min = 8 + MIG_PAGE;
		max = 8 + MIG_RUN_PAGES * MIG_PAGE;
		break;
	case SEC_ZERO:
	case SEC_END:
		min = max = s->type == SEC_ZERO ? 16 : 8;
		break;
	}
	if (s->len < min || s->len > max ||
	    (s->type == SEC_RAM && (s->len - 8) % MIG_PAGE))
		in_fail("section %llu (%s): bad length %llu (corrupt)",
			(unsigned long long)st.sections, sec_names[s->type],
			(unsigned long long)s->len);
	*sum = sec_sum(s);
	b->len = 0;
	if (s->len > b->cap) {
		b->cap = s->len;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	b->len = s->type == SEC_RAM ? 8 : s->len;
	read_all(b->p, b->len, sec_names[s->type], false);
	*sum = mig_hash(*sum, b->p, b->len);
	if (s->type != SEC_RAM && *sum != s->sum)
		in_fail("section %llu (%s): checksum mismatch (corrupt)",
			(unsigned long long)st.sections, sec_names[s->type]);
	return true;
}

void migrate_incoming_open(void)
{
	struct mig_hdr h;
	struct mig_sec s;
	struct mig_buf b = { 0 };
	struct mig_rd r;
	uint64_t sum, mem;
	uint32_t i, cpus, irqchip;

	if (opt.incoming) {
		st.name = opt.incoming;
		st.live = true;
		st.fd = listen_unix(opt.incoming + 5);
	} else {
		st.name = opt.restore;
		st.fd = open(opt.restore, O_RDONLY | O_CLOEXEC);
		if (st.fd < 0)
			die("--restore %s: %s", opt.restore, strerror(errno));
	}
	if (!read_all(&h, sizeof(h), "the header", true))
		in_fail("empty: not an rvhv-run save");
	if (memcmp(h.magic, MIG_MAGIC, sizeof(h.magic)))
		in_fail("not an rvhv-run save or migration stream (bad magic)");
	if (h.version != MIG_VERSION)
		in_fail("stream version %u; this rvhv-run reads version %u",
			h.version, MIG_VERSION);
	if (h.page_size != MIG_PAGE)
		in_fail("page size %u, not %lu", h.page_size, MIG_PAGE);
	read_sec(&s, &b, &sum);
	if (s.type != SEC_CONFIG)
		in_fail("the first section is %s, not CONFIG",
			sec_names[s.type]);
	st.sections++;
	r = (struct mig_rd){ .p = b.p, .len = b.len };
	mem = mig_get64(&r);
	cpus = mig_get32(&r);
	irqchip = mig_get32(&r);
	in_ndev = mig_get32(&r);
	if (r.bad || mem < MEM_MIN_MB || mem > MEM_MAX_MB || !cpus ||
	    cpus > CPUS_MAX || irqchip != IRQCHIP_PLIC || in_ndev > VIRTIO_MAX)
		in_fail("CONFIG: bad values (%llu MiB, %u vCPUs, irqchip %u, "
			"%u devices)", (unsigned long long)mem, cpus, irqchip,
			in_ndev);
	for (i = 0; i < in_ndev; i++)
		in_devs[i] = mig_get32(&r);
	if (r.bad || r.off != r.len)
		in_fail("CONFIG: bad length");
	opt.mem_mb = mem;
	opt.cpus = cpus;
	opt.irqchip = irqchip;
	free(b.p);
}

/*
 * The target's RAM starts as zeros nobody wrote (no page behind them
 * yet): a ZERO section needs to clear only the pages a RAM section
 * wrote before.  Bit n of @in_written: page n was written.
 */
static uint64_t *in_written;

static void mark_written(uint64_t page, uint64_t n)
{
	for (; n; page++, n--)
		in_written[page / 64] |= 1ULL << (page % 64);
}

static void zero_pages(uint64_t page, uint64_t n)
{
	for (; n; page++, n--) {
		if (!(in_written[page / 64] & 1ULL << (page % 64)))
			continue;
		memset(ram + page * MIG_PAGE, 0, MIG_PAGE);
		in_written[page / 64] &= ~(1ULL << (page % 64));
	}
}

static void load_vcpu(struct mig_rd *r, uint64_t *seen)
{
	uint32_t id = mig_get32(r), mp = mig_get32(r), n = mig_get32(r);
	struct kvm_mp_state mps = { .mp_state = mp };
	uint8_t val[MIG_REG_MAX], cur[MIG_REG_MAX];
	struct vcpu *v;
	uint32_t i;
	int pass, err;

	mig_get32(r);
	if (r->bad || id >= (uint32_t)opt.cpus || (*seen >> id & 1))
		in_fail("VCPU: bad or repeated vCPU id %u", id);
	*seen |= 1ULL << id;
	v = &vcpus[id];
	/*
	 * Two passes: first what shapes the vCPU (CONFIG, ISA and SBI
	 * extensions), then the rest in the order the source listed it.
	 */
	for (pass = 0; pass < 2; pass++) {
		size_t off = r->off;

		for (i = 0; i < n; i++) {
			uint64_t rid = mig_get64(r), type;
			size_t sz = reg_size(rid);
			struct kvm_one_reg one = { .id = rid };
			bool first;

			if (r->bad || sz > MIG_REG_MAX ||
			    (rid & KVM_REG_ARCH_MASK) != KVM_REG_RISCV)
				in_fail("VCPU %u: bad register %u (id %#llx)",
					id, i, (unsigned long long)rid);
			memset(val, 0, sizeof(val));
			if (!mig_get(r, val, align_up(sz, 8)))
				in_fail("VCPU %u: bad length", id);
			type = rid & KVM_REG_RISCV_TYPE_MASK;
			first = type == KVM_REG_RISCV_CONFIG ||
				type == KVM_REG_RISCV_ISA_EXT ||
				type == KVM_REG_RISCV_SBI_EXT;
			if (first != !pass)
				continue;
			one.addr = (uintptr_t)val;
			if (!ioctl(v->fd, KVM_SET_ONE_REG, &one))
				continue;
			err = errno;
			/* Read-only, or refused: fine if it holds the value. */
			memset(cur, 0, sizeof(cur));
			one.addr = (uintptr_t)cur;
			if (!ioctl(v->fd, KVM_GET_ONE_REG, &one)) {
				if (!memcmp(cur, val, sz))
					continue;
			} else if (errno == ENOENT || errno == EINVAL) {
				/* Unknown here: only an "off" value moves. */
				static const uint8_t zero[MIG_REG_MAX];

				if (!memcmp(zero, val, sz))
					continue;
			}
			in_fail("vcpu %u: register %#llx: %s cannot take the "
				"saved value: %s", id, (unsigned long long)rid,
				opt.dev, strerror(err));
		}
		if (!pass)
			r->off = off;
	}
	if (r->off != r->len)
		in_fail("VCPU %u: bad length", id);
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mps))
		in_fail("vcpu %u: KVM_SET_MP_STATE %u: %s", id, mp,
			strerror(errno));
}

void migrate_incoming_load(void)
{
	struct mig_buf b = { 0 };
	struct mig_rd r;
	struct mig_sec s;
	uint64_t sum, gpa, n, seen = 0, end_count;
	bool plic_seen = false;
	uint32_t i;

	in_written = calloc((ram_size / MIG_PAGE + 63) / 64, 8);
	if (!in_written)
		die("out of memory");
	if (in_ndev != (uint32_t)virtio_nr)
		in_fail("the saved VM has %u virtio devices, this one %d "
			"(give the same --disk and --virtio-console)", in_ndev,
			virtio_nr);
	for (i = 0; i < in_ndev; i++)
		if (in_devs[i] != virtio_devs[i]->ops->device_id)
			in_fail("virtio device %u: the saved VM's is a %s, this "
				"one's a %s", i, in_devs[i] == 2 ? "virtio-blk" :
				"virtio-console", virtio_devs[i]->ops->name);
	for (;;) {
		read_sec(&s, &b, &sum);
		r = (struct mig_rd){ .p = b.p, .len = b.len };
		switch (s.type) {
		case SEC_RAM:
			memcpy(&gpa, b.p, 8);
			n = s.len - 8;
			if (gpa % MIG_PAGE || !gpa_ptr(gpa, n))
				in_fail("RAM section at %#llx, %llu bytes: not "
					"guest RAM", (unsigned long long)gpa,
					(unsigned long long)n);
			read_all(gpa_ptr(gpa, n), n, "RAM", false);
			mark_written((gpa - RAM_BASE) / MIG_PAGE, n / MIG_PAGE);
			if (mig_hash(sum, gpa_ptr(gpa, n), n) != s.sum)
				in_fail("section %llu (RAM): checksum mismatch "
					"(corrupt)",
					(unsigned long long)st.sections);
			st.pages += n / MIG_PAGE;
			break;
		case SEC_ZERO:
			gpa = mig_get64(&r);
			n = mig_get64(&r);
			if (gpa % MIG_PAGE || n > ram_size / MIG_PAGE ||
			    !gpa_ptr(gpa, n * MIG_PAGE))
				in_fail("ZERO section at %#llx, %llu pages: not "
					"guest RAM", (unsigned long long)gpa,
					(unsigned long long)n);
			zero_pages((gpa - RAM_BASE) / MIG_PAGE, n);
			st.zero_pages += n;
			break;
		case SEC_VCPU:
			load_vcpu(&r, &seen);
			break;
		case SEC_PLIC:
			if (!virtio_nr || plic_seen || !plic_load(&r) ||
			    r.off != r.len)
				in_fail("bad PLIC section");
			plic_seen = true;
			break;
		case SEC_VIRTIO:
			if (!virtio_load(&r) || r.off != r.len)
				in_fail("bad VIRTIO section");
			break;
		case SEC_CONFIG:
			in_fail("a second CONFIG section");
		case SEC_END:
			end_count = mig_get64(&r);
			if (end_count != st.sections)
				in_fail("END counts %llu sections, read %llu",
					(unsigned long long)end_count,
					(unsigned long long)st.sections);
			if (seen != (opt.cpus == 64 ? ~0ULL :
				     (1ULL << opt.cpus) - 1))
				in_fail("a vCPU's state is missing");
			if (virtio_nr && !plic_seen)
				in_fail("the PLIC's state is missing");
			free(b.p);
			free(in_written);
			return;
		}
		st.sections++;
	}
}

/* The vCPU threads run: tell the source, and let the devices look. */
void migrate_started(void)
{
	uint64_t ack = MIG_ACK;
	int i;

	for (i = 0; i < virtio_nr; i++)
		virtio_kick(virtio_devs[i]);
	if (st.live && write(st.fd, &ack, sizeof(ack)) != sizeof(ack))
		fprintf(stderr, "rvhv-run: incoming: answering the source: "
			"%s\n", strerror(errno));
	close(st.fd);
	st.fd = -1;
	fprintf(stderr, "rvhv-run: %s: running, %llu bytes, %llu pages, "
		"%llu zero pages\n", st.live ? "incoming" : "restore",
		(unsigned long long)st.bytes, (unsigned long long)st.pages,
		(unsigned long long)st.zero_pages);
}

/* Ctrl-A s on the console: save or move now, as SIGUSR1. */
void migrate_request(void)
{
	if (opt.save || opt.migrate_to)
		kill(getpid(), SIGUSR1);
}
