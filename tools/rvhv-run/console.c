// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: the SBI console on stdin/stdout: DBCN (debug console), the
 * legacy v0.1 putchar/getchar, and rvhv's coalesced legacy output
 * (RVHV_CAP_CONSOLE_COALESCE).  Other SBI calls forwarded to the VMM are
 * answered SBI_ERR_NOT_SUPPORTED.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "rvhv-run.h"

/* SBI */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR	0x1
#define SBI_EXT_0_1_CONSOLE_GETCHAR	0x2
#define SBI_EXT_DBCN			0x4442434E
#define SBI_EXT_DBCN_WRITE		0
#define SBI_EXT_DBCN_READ		1
#define SBI_EXT_DBCN_WRITE_BYTE		2
#define SBI_SUCCESS			0
#define SBI_ERR_NOT_SUPPORTED		(-2)
#define SBI_ERR_INVALID_PARAM		(-3)

pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
double t_start, t_first_out = -1, t_mark = -1;

/* The last bytes of output, for a mark that spans writes (under out_lock). */
static char mark_tail[256];
static size_t mark_tail_len;

static struct termios saved_tios;
static bool tios_saved;

void setup_tty(void)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &saved_tios))
		return;
	tios_saved = true;
	t = saved_tios;
	/* Raw input, but Ctrl-C still raises SIGINT to end a stuck guest. */
	t.c_lflag &= ~(ICANON | ECHO | IEXTEN);
	t.c_iflag &= ~(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &t);
}

void restore_tty(void)
{
	if (tios_saved)
		tcsetattr(0, TCSANOW, &saved_tios);
}

/* --time-mark: note when the console output first contains the mark. */
static void watch_mark(const char *p, size_t len)
{
	size_t mlen = strlen(opt.mark), keep;
	char buf[sizeof(mark_tail) * 2];

	while (len && t_mark < 0) {
		size_t n = len < sizeof(mark_tail) ? len : sizeof(mark_tail);

		memcpy(buf, mark_tail, mark_tail_len);
		memcpy(buf + mark_tail_len, p, n);
		if (memmem(buf, mark_tail_len + n, opt.mark, mlen))
			t_mark = now() - t_start;
		keep = mark_tail_len + n < mlen - 1 ? mark_tail_len + n : mlen - 1;
		memmove(mark_tail, buf + mark_tail_len + n - keep, keep);
		mark_tail_len = keep;
		p += n;
		len -= n;
	}
}

void console_out(const void *buf, size_t len)
{
	const char *p = buf;

	pthread_mutex_lock(&out_lock);
	if (t_first_out < 0)
		t_first_out = now() - t_start;
	if (opt.mark)
		watch_mark(p, len);
	while (len) {
		ssize_t n = write(1, p, len);

		if (n < 0 && errno == EINTR && !stopping)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= n;
	}
	pthread_mutex_unlock(&out_lock);
}

/*
 * With --save or --migrate-to, Ctrl-A s on the console saves or moves
 * the guest (as SIGUSR1 does); Ctrl-A Ctrl-A is one Ctrl-A for the guest.
 * Takes them out of buf[0..n); returns what is left (under out_lock).
 */
#define ESCAPE_KEY	0x01	/* Ctrl-A */
static size_t escape_keys(uint8_t *buf, size_t n)
{
	static bool escaped;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (escaped) {
			escaped = false;
			if (buf[i] == 's') {
				migrate_request();
				continue;
			}
			if (buf[i] != ESCAPE_KEY)
				buf[k++] = ESCAPE_KEY;
		} else if (buf[i] == ESCAPE_KEY) {
			escaped = true;
			continue;
		}
		buf[k++] = buf[i];
	}
	return k;
}

/* Up to len bytes of console input, without waiting; 0 when there is none. */
size_t console_in(void *buf, size_t len)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return 0;
	n = read(0, buf, len);
	if (n <= 0)
		return 0;
	if (opt.save || opt.migrate_to) {
		pthread_mutex_lock(&out_lock);
		n = escape_keys(buf, n);
		pthread_mutex_unlock(&out_lock);
	}
	return n;
}

void handle_sbi(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned long ext = run->riscv_sbi.extension_id;
	unsigned long fid = run->riscv_sbi.function_id;
	unsigned long *a = run->riscv_sbi.args;
	uint8_t ch;
	void *p;

	switch (ext) {
	case SBI_EXT_0_1_CONSOLE_PUTCHAR:
		v->stats[ST_SBI_PUTCHAR]++;
		ch = a[0];
		console_out(&ch, 1);
		run->riscv_sbi.ret[0] = 0;
		return;
	case SBI_EXT_0_1_CONSOLE_GETCHAR:
		v->stats[ST_SBI_GETCHAR]++;
		run->riscv_sbi.ret[0] = console_in(&ch, 1) ? ch : (unsigned long)-1;
		return;
	case SBI_EXT_DBCN:
		v->stats[ST_SBI_DBCN]++;
		run->riscv_sbi.ret[0] = SBI_SUCCESS;
		run->riscv_sbi.ret[1] = 0;
		switch (fid) {
		case SBI_EXT_DBCN_WRITE:
		case SBI_EXT_DBCN_READ:
			p = a[2] ? NULL : gpa_ptr(a[1], a[0]);
			if (!p) {
				run->riscv_sbi.ret[0] = SBI_ERR_INVALID_PARAM;
				return;
			}
			if (fid == SBI_EXT_DBCN_WRITE)
				console_out(p, a[0]);
			run->riscv_sbi.ret[1] = fid == SBI_EXT_DBCN_WRITE ?
				a[0] : console_in(p, a[0]);
			if (fid == SBI_EXT_DBCN_READ)
				migrate_dirty_host(p, run->riscv_sbi.ret[1]);
			return;
		case SBI_EXT_DBCN_WRITE_BYTE:
			ch = a[0];
			console_out(&ch, 1);
			return;
		default:
			run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
			return;
		}
	case RVHV_SBI_EXT:
		if (coalesce && fid == RVHV_SBI_CONSOLE_OUTPUT) {
			v->stats[ST_SBI_COALESCED]++;
			if (a[0] > (unsigned long)run_size ||
			    a[1] > (unsigned long)run_size - a[0]) {
				vcpu_fail(v, "coalesced console output at "
					  "offset %lu, %lu bytes: outside the "
					  "vCPU's %ld-byte mmap", a[0], a[1],
					  run_size);
				return;
			}
			console_out((uint8_t *)run + a[0], a[1]);
			return;
		}
		/* fall through */
	default:
		/* Forwarded calls nothing here implements. */
		v->stats[ST_SBI_OTHER]++;
		run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
		run->riscv_sbi.ret[1] = 0;
		return;
	}
}
