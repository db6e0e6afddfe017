// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: virtio-console (--virtio-console[=FILE]), one port, no
 * features: what the guest writes to it (its transmit queue, 1) goes to
 * stdout with the SBI console's output, or to FILE.  It has no input:
 * the buffers the guest offers on its receive queue (0) stay there.  The
 * guest's driver makes it /dev/hvc1 when the SBI console is hvc0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rvhv-run.h"

struct vcons {
	int fd;		/* FILE, or -1: stdout through console_out() */
};

static bool vcons_request(struct virtio_dev *d, unsigned int q,
			  const struct chain *c, uint32_t *written)
{
	struct vcons *vc = d->priv;
	unsigned int i;

	(void)q;
	*written = 0;
	for (i = 0; i < c->nr; i++) {
		const uint8_t *p = c->r[i].iov_base;
		size_t len = c->r[i].iov_len;

		if (vc->fd < 0) {
			console_out(p, len);
			continue;
		}
		while (len) {
			ssize_t n = write(vc->fd, p, len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;	/* lost, as on a full disk */
			p += n;
			len -= n;
		}
	}
	return true;
}

static void vcons_exit(struct virtio_dev *d)
{
	struct vcons *vc = d->priv;

	if (vc->fd >= 0)
		close(vc->fd);
	free(vc);
}

static const struct virtio_backend vcons_ops = {
	.name = "virtio-console",
	.device_id = 3,		/* VIRTIO_ID_CONSOLE */
	.num_queues = 2,
	.skip_queues = 1U << 0,	/* receiveq: no input */
	.request = vcons_request,
	.exit = vcons_exit,
};

void virtio_console_add(const char *path)
{
	struct vcons *vc = calloc(1, sizeof(*vc));

	if (!vc)
		die("out of memory");
	vc->fd = -1;
	if (path) {
		vc->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);
		if (vc->fd < 0)
			die("virtio console output %s: %s", path,
			    strerror(errno));
	}
	virtio_add(&vcons_ops, vc);
}
