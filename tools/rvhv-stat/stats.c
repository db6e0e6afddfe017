// SPDX-License-Identifier: GPL-2.0
/*
 * One binary stats fd (KVM_GET_STATS_FD) read as KVM's format defines it:
 * a header at offset 0 giving the offsets of the id string, the
 * descriptors (each a struct kvm_stats_desc followed by a name of
 * name_size bytes) and the data block (u64 values).  The blocks are found
 * through the header only; nothing assumes their order or adjacency.
 * Anything out of range (a name without its NUL, values beyond the limits
 * of stats.h) makes stats_fd_open() fail with a reason; descriptors of a
 * type or unit this tool does not know are left out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "stats.h"

/* pread all of len bytes: 0, or -errno (-ENODATA: the fd ended first). */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

static const char *why(int r)
{
	return r == -ENODATA ? "truncated" : strerror(-r);
}

static bool desc_known(uint32_t flags)
{
	return (flags & KVM_STATS_TYPE_MASK) <= KVM_STATS_TYPE_MAX &&
	       (flags & KVM_STATS_UNIT_MASK) <= KVM_STATS_UNIT_MAX &&
	       (flags & KVM_STATS_BASE_MASK) <= KVM_STATS_BASE_MAX;
}

int stats_fd_open(struct stats_fd *s, int fd, char *err, size_t errlen)
{
	const size_t dsz = sizeof(struct kvm_stats_desc);
	struct kvm_stats_header h;
	char *block = NULL;
	unsigned int i;
	size_t esz;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	r = pread_all(fd, &h, sizeof(h), 0);
	if (r) {
		snprintf(err, errlen, "reading the header: %s", why(r));
		goto bad;
	}
	if (h.name_size < 1 || h.name_size > STATS_NAME_MAX) {
		snprintf(err, errlen, "header: name_size %u (1..%u)",
			 h.name_size, STATS_NAME_MAX);
		goto bad;
	}
	if (h.num_desc > STATS_DESC_MAX) {
		snprintf(err, errlen, "header: num_desc %u (at most %u)",
			 h.num_desc, STATS_DESC_MAX);
		goto bad;
	}

	s->id = calloc(1, h.name_size + 1);
	esz = dsz + h.name_size;
	block = malloc(esz * h.num_desc + 1);
	s->desc = calloc(h.num_desc + 1, sizeof(*s->desc));
	if (!s->id || !block || !s->desc)
		goto oom;
	r = pread_all(fd, block, esz * h.num_desc, h.desc_offset);
	if (r) {
		snprintf(err, errlen, "reading the descriptors: %s",
			 why(r));
		goto bad;
	}
	r = pread_all(fd, s->id, h.name_size, h.id_offset);
	if (r) {
		snprintf(err, errlen, "reading the id string: %s",
			 why(r));
		goto bad;
	}

	for (i = 0; i < h.num_desc; i++) {
		const char *name = block + i * esz + dsz;
		struct stats_desc *d = &s->desc[s->nr];
		struct kvm_stats_desc kd;
		uint64_t end;

		memcpy(&kd, block + i * esz, dsz);
		if (!memchr(name, '\0', h.name_size) || !*name) {
			snprintf(err, errlen, "descriptor %u: its name is %s",
				 i, *name ? "not terminated" : "empty");
			goto bad;
		}
		end = kd.offset + (uint64_t)kd.size * 8;
		if (kd.size < 1 || kd.size > STATS_VALUES_MAX ||
		    end > STATS_DATA_MAX) {
			snprintf(err, errlen, "descriptor %u (%s): %u values "
				 "at offset %u: outside the limits", i, name,
				 kd.size, kd.offset);
			goto bad;
		}
		if (!desc_known(kd.flags))
			continue;
		d->name = strdup(name);
		if (!d->name)
			goto oom;
		d->flags = kd.flags;
		d->exponent = kd.exponent;
		d->size = kd.size;
		d->offset = kd.offset;
		d->bucket_size = kd.bucket_size;
		if (end > s->data_len)
			s->data_len = end;
		s->nr++;
	}
	free(block);
	block = NULL;
	s->data_off = h.data_offset;
	s->data = calloc(1, s->data_len + 8);
	if (!s->data)
		goto oom;
	r = stats_fd_read(s);
	if (r) {
		snprintf(err, errlen, "reading the data block: %s",
			 why(r));
		goto bad;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
bad:
	free(block);
	stats_fd_close(s);
	return -1;
}

int stats_fd_read(struct stats_fd *s)
{
	return pread_all(s->fd, s->data, s->data_len, s->data_off);
}

void stats_fd_close(struct stats_fd *s)
{
	unsigned int i;

	if (s->fd >= 0)
		close(s->fd);
	for (i = 0; s->desc && i < s->nr; i++)
		free(s->desc[i].name);
	free(s->desc);
	free(s->id);
	free(s->data);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
