// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: virtio-blk on a raw image file (--disk FILE): read, write,
 * flush (fdatasync) and the device id, one queue.  The file is opened
 * read-write, or read-only (VIRTIO_BLK_F_RO) when it cannot be written.
 * Its capacity is its size in 512-byte sectors (a partial last sector is
 * not part of the disk).
 *
 * A request: the 16-byte header (type, priority, sector) in the readable
 * buffers, the data after it (a write) or in the writable buffers (a
 * read), the status byte last.  Data not a multiple of 512 bytes or
 * outside the disk gets VIRTIO_BLK_S_IOERR; a chain without room for the
 * header or the status byte breaks the rules (the device needs a reset).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "rvhv-run.h"

#define SECTOR		512

struct blk {
	const char *path;
	int fd;
	bool ro;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	struct iovec data[VIRTQ_MAX];	/* the device thread's scratch */
};

static size_t blk_config(struct virtio_dev *d, uint8_t *buf, size_t size)
{
	struct blk *b = d->priv;
	struct virtio_blk_config cfg = {
		.capacity = b->sectors,
		.seg_max = VIRTQ_MAX - 2,	/* and the header, the status */
	};
	size_t len = offsetof(struct virtio_blk_config, geometry);

	memcpy(buf, &cfg, len < size ? len : size);
	return len;
}

/* All of [off, off + len) of the disk into or out of iov[0..n). */
static bool blk_io(struct blk *b, struct iovec *iov, unsigned int n,
		   uint64_t off, bool write)
{
	while (n) {
		ssize_t r = write ? pwritev(b->fd, iov, n, off) :
				    preadv(b->fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;	/* an error, or the file shrank */
		off += r;
		iov = iov_advance(iov, &n, r);
	}
	return true;
}

static bool blk_request(struct virtio_dev *d, unsigned int q,
			const struct chain *c, uint32_t *written)
{
	struct blk *b = d->priv;
	struct virtio_blk_outhdr hdr;
	uint8_t status = VIRTIO_BLK_S_OK;
	size_t len;
	unsigned int n;

	(void)q;
	if (c->rlen < sizeof(hdr) || c->wlen < 1)
		return false;
	iov_copy_from(c->r, c->nr, 0, &hdr, sizeof(hdr));
	*written = 1;

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (hdr.type == VIRTIO_BLK_T_IN) {
			len = c->wlen - 1;
			n = iov_range(c->w, c->nw, 0, len, b->data);
		} else {
			len = c->rlen - sizeof(hdr);
			n = iov_range(c->r, c->nr, sizeof(hdr), len, b->data);
		}
		if (len % SECTOR || hdr.sector > b->sectors ||
		    len / SECTOR > b->sectors - hdr.sector ||
		    (hdr.type == VIRTIO_BLK_T_OUT && b->ro)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (!blk_io(b, b->data, n, hdr.sector * SECTOR,
			    hdr.type == VIRTIO_BLK_T_OUT)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (hdr.type == VIRTIO_BLK_T_IN)
			*written += len;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (fdatasync(b->fd))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		*written += iov_copy_to(c->w, c->nw, 0, b->id,
					c->wlen - 1 < sizeof(b->id) ?
					c->wlen - 1 : sizeof(b->id));
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	iov_copy_to(c->w, c->nw, c->wlen - 1, &status, 1);
	return true;
}

static void blk_exit(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	close(b->fd);
	free(b);
}

static const struct virtio_backend blk_ops = {
	.name = "virtio-blk",
	.device_id = 2,		/* VIRTIO_ID_BLOCK */
	.features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH,
	.num_queues = 1,
	.config = blk_config,
	.request = blk_request,
	.exit = blk_exit,
};

static const struct virtio_backend blk_ro_ops = {
	.name = "virtio-blk",
	.device_id = 2,
	.features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH |
		    1ULL << VIRTIO_BLK_F_RO,
	.num_queues = 1,
	.config = blk_config,
	.request = blk_request,
	.exit = blk_exit,
};

/* --disk FILE: before the VM is made, so a bad file costs nothing. */
void virtio_blk_add(const char *path)
{
	struct blk *b = calloc(1, sizeof(*b));
	static int nr;
	struct stat st;

	if (!b)
		die("out of memory");
	b->path = path;
	b->fd = open(path, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		b->fd = open(path, O_RDONLY | O_CLOEXEC);
		b->ro = true;
	}
	if (b->fd < 0)
		die("disk %s: %s", path, strerror(errno));
	if (fstat(b->fd, &st))
		die("disk %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("disk %s: not a regular file", path);
	if (st.st_size < SECTOR)
		die("disk %s: %lld bytes, less than one %d-byte sector", path,
		    (long long)st.st_size, SECTOR);
	b->sectors = st.st_size / SECTOR;
	snprintf(b->id, sizeof(b->id), "rvhv-run-disk%d", nr++);
	virtio_add(b->ro ? &blk_ro_ops : &blk_ops, b);
}
