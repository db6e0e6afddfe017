// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run --gdb: a GDB remote serial protocol stub, so gdb (gdb-multiarch,
 * "target remote :PORT") debugs the guest: its registers, its memory by
 * guest virtual address, software breakpoints, continue, step, Ctrl-C.
 * It owns the debugger's connection, the stop and resume of the vCPU
 * threads, the breakpoints in guest memory, and the protocol.
 *
 * - The connection: a TCP socket on 127.0.0.1 (--gdb PORT; port 0 picks
 *   a free one, and the port is printed), or a Unix socket (--gdb PATH
 *   with a '/').  One debugger at a time; after it detaches (or goes
 *   away) the guest runs on and another may connect.  rvhv-run prints
 *   "rvhv-run: gdb: waiting for a debugger on ..." and the guest does not
 *   start until one has connected and continued it.
 * - Stops are all-stop: when a vCPU hits a breakpoint, or the debugger
 *   sends Ctrl-C (0x03), every vCPU is stopped (immediate_exit and a
 *   SIGUSR1 kick, as main.c ends the VM) and waits in gdb_vcpu_pause()
 *   until the debugger resumes; only then does the stub report the stop.
 *   A vCPU stops only between two KVM_RUNs that return nothing to
 *   complete (an MMIO load, an SBI call), so every register the debugger
 *   reads is final.  Threads are vCPUs (thread id = vCPU id + 1).
 * - Breakpoints (Z0/z0) are software ones: the original 2 or 4 bytes are
 *   kept and an ebreak or c.ebreak of the kind gdb asked for is written
 *   into guest memory; every vCPU runs with KVM_SET_GUEST_DEBUG on while
 *   a debugger is attached, so an ebreak is a KVM_EXIT_DEBUG.  One that
 *   is not the debugger's (the guest's own: a BUG(), a kprobe, its own
 *   debugger) is handed back to the guest as the hart would have: sepc,
 *   scause 3, stval, sstatus.SPP/SPIE/SIE, S-mode, pc at stvec.  Memory
 *   reads show the original bytes, writes over a breakpoint keep it
 *   planted.  A vCPU that hit a breakpoint while another's stop was being
 *   reported stays at its ebreak: resumed, it hits it again, or runs the
 *   original instruction once the breakpoint is gone.
 * - Continuing (c) from a planted breakpoint first steps the reporting
 *   vCPU over it, alone, with the original instruction in place; then
 *   the breakpoint goes back and every vCPU runs.  Stepping (s) is
 *   emulated (step.c): a temporary breakpoint where the instruction
 *   leads, that vCPU alone running to it; rvhv and kvm.ko have no
 *   hardware single-step.  gdb itself never sends s for riscv (it plants
 *   its own step breakpoints with Z0).  With Hc naming a vCPU, c resumes
 *   that one only (gdb's scheduler-locking); s always runs one vCPU.
 * - Memory (m, M, X) is by guest virtual address, through the page tables
 *   of the vCPU selected with Hg (gva.c); bare when its satp is 0.
 * - Registers: g/G are x0..x31 and pc; p/P also reach f0..f31, fflags,
 *   frm and fcsr (when the vCPU has D), the supervisor CSRs ONE_REG has
 *   and priv (the mode), with gdb's riscv numbering, as qXfer
 *   target.xml describes them.
 * - D detaches: breakpoints removed, guest debugging off, the guest runs
 *   on.  k ends rvhv-run with exit status 137.  When the guest ends while
 *   the debugger waits for a stop, it gets W (the exit status).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/cachectl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rvhv-run.h"

#define PKT_MAX		16384		/* PacketSize=4000 (hex) */
#define BP_MAX		64		/* Z0 breakpoints */
#define TEMP_MAX	2		/* the step's: next pc, or stvec */
#define SIG_INT		2		/* GDB signal numbers */
#define SIG_TRAP	5

#define INSN_EBREAK	0x00100073U
#define INSN_C_EBREAK	0x9002U
#define EXC_BREAKPOINT	3
#define SR_SIE		(1ULL << 1)
#define SR_SPIE		(1ULL << 5)
#define SR_SPP		(1ULL << 8)

/* gdb's riscv register numbers (riscv-tdep.h) */
#define GDB_PC		32
#define GDB_F0		33
#define GDB_CSR0	65		/* + the CSR's number */
#define GDB_FFLAGS	(GDB_CSR0 + 1)
#define GDB_FRM		(GDB_CSR0 + 2)
#define GDB_FCSR	(GDB_CSR0 + 3)
#define GDB_PRIV	(GDB_CSR0 + 4096)

#define REG_CSR(name)	ONE_REG(KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL, \
				KVM_REG_RISCV_CSR_REG(name))
#define REG_X(n)	ONE_REG(KVM_REG_RISCV_CORE, (n))	/* x1..x31 */
#define REG_F(n)	ONE_REG(KVM_REG_RISCV_FP_D, (n))
#define REG_FCSR	(KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D | 32)

/* Why the vCPUs stopped: the first event since they were resumed. */
enum stop_kind {
	STOP_START,		/* a debugger connected */
	STOP_BREAK,		/* a Z0 breakpoint */
	STOP_STEP,		/* the step's temporary breakpoint */
	STOP_INTR,		/* Ctrl-C */
};

/*
 * A breakpoint in guest memory: gdb's (Z0) or a step's (@temp), at @gva
 * as the vCPU that set it translated it, i.e. at @gpa.  @orig holds what
 * the guest had there; while @planted, its first @len bytes in guest RAM
 * are an ebreak or c.ebreak.
 */
struct bp {
	bool used, temp, planted;
	uint64_t gva, gpa;
	unsigned int len;
	uint8_t orig[4];
};

/*
 * What the vCPU threads and the stub thread share.  @lock protects all of
 * it; the vCPU threads only read @bps (planted ones, to tell a debugger's
 * ebreak from the guest's) and the stub changes them only while every
 * vCPU that could run is stopped.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* paused vCPUs wait here */
	bool stop_req;			/* every vCPU must pause */
	int only;			/* >= 0: only this vCPU may run */
	int nr_paused;			/* vCPU threads in gdb_vcpu_pause() */
	bool ending;			/* the VM ends */
	int end_status;
	int stop_vcpu;			/* the stop to report, if stop_req */
	enum stop_kind stop_kind;
	int step_vcpu;			/* whose temporary breakpoints, or -1 */
	struct bp bps[BP_MAX + TEMP_MAX];
} g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.stop_req = true,		/* the guest waits for a debugger */
	.only = -1,
	.step_vcpu = -1,
};

/* Set up by gdb_init(): the listening socket and the stub's wake-up pipe. */
static int listen_fd = -1, wake_fd[2] = { -1, -1 };
static char where[128];
static const char *sock_path;		/* --gdb PATH: removed at the end */
static pthread_t stub_thread;
static bool stub_started;
static bool has_fp;			/* the vCPUs have D: FP registers */

/*
 * The stub thread's own state, for the connection it serves: @conn and
 * its input buffer, the protocol options, the threads selected with Hg
 * and Hc (vCPU index, -1: any), the current thread (the last stop's), and
 * what a resume is doing.
 */
static struct {
	int conn;
	uint8_t in[2 * PKT_MAX];
	size_t in_len, in_pos;
	char out[2 * PKT_MAX + 8];	/* the last packet, for a '-' */
	size_t out_len;
	bool noack, swbreak;
	int hg, hc, cur;
	bool running;
	enum stop_kind last;		/* the last stop reported */
	bool stepover;			/* c: stepping cur over its breakpoint */
	int cont_only;			/* ... then resume this (-1: all) */
	int lifted;			/* a bp taken out for a step, or -1 */
} s;

/* ---- vCPU threads ---- */

static void wake_stub(void)
{
	ssize_t r = write(wake_fd[1], "x", 1);

	(void)r;		/* a full pipe wakes the stub all the same */
}

/* With g.lock: push every vCPU out of KVM_RUN and keep it out. */
static void request_stop(int vcpu, enum stop_kind kind)
{
	g.stop_req = true;
	g.stop_vcpu = vcpu;
	g.stop_kind = kind;
	kick_vcpus();
}

bool gdb_vcpu_pause(struct vcpu *v)
{
	bool paused = false;

	pthread_mutex_lock(&g.lock);
	while (!stopping && (g.stop_req || (g.only >= 0 && g.only != v->id))) {
		if (!paused) {
			paused = true;
			if (++g.nr_paused == opt.cpus)
				wake_stub();
		}
		pthread_cond_wait(&g.cond, &g.lock);
	}
	if (paused)
		g.nr_paused--;
	/* A stop requested from now on sets it again (under g.lock). */
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&g.lock);
	/* main.c sets stopping before immediate_exit: see one or the other. */
	return !__atomic_load_n(&stopping, __ATOMIC_SEQ_CST);
}

/* The vCPU's guest virtual pc as a guest physical address. */
static int vcpu_gpa(int fd, uint64_t gva, uint64_t *gpa)
{
	uint64_t satp, left;

	if (get_reg(fd, REG_CSR(satp), &satp))
		return -1;
	return gva_translate(satp, gva, gpa, &left);
}

/*
 * The guest's own ebreak, while the debugger has guest debugging on:
 * deliver the breakpoint exception to its trap vector as the hart would.
 */
static void give_to_guest(struct vcpu *v, uint64_t pc)
{
	uint64_t mode, sstatus, stvec;

	if (get_reg(v->fd, REG_CORE(mode), &mode) ||
	    get_reg(v->fd, REG_CSR(sstatus), &sstatus) ||
	    get_reg(v->fd, REG_CSR(stvec), &stvec))
		goto fail;
	sstatus &= ~(SR_SPP | SR_SPIE);
	if (mode == KVM_RISCV_MODE_S)
		sstatus |= SR_SPP;
	if (sstatus & SR_SIE)
		sstatus |= SR_SPIE;
	sstatus &= ~SR_SIE;
	if (set_reg(v->fd, REG_CSR(sepc), pc) ||
	    set_reg(v->fd, REG_CSR(scause), EXC_BREAKPOINT) ||
	    set_reg(v->fd, REG_CSR(stval), pc) ||
	    set_reg(v->fd, REG_CSR(sstatus), sstatus) ||
	    set_reg(v->fd, REG_CORE(mode), KVM_RISCV_MODE_S) ||
	    set_reg(v->fd, REG_CORE(regs.pc), stvec & ~3ULL))
		goto fail;
	return;
fail:
	vcpu_fail(v, "gdb: giving the guest its breakpoint: %s",
		  strerror(errno));
}

void gdb_debug_exit(struct vcpu *v)
{
	enum stop_kind kind = STOP_STEP;
	bool ours = false, translated;
	uint64_t pc, gpa;
	int i;

	if (get_reg(v->fd, REG_CORE(regs.pc), &pc)) {
		vcpu_fail(v, "gdb: reading the pc: %s", strerror(errno));
		return;
	}
	translated = !vcpu_gpa(v->fd, pc, &gpa);
	pthread_mutex_lock(&g.lock);
	for (i = 0; translated && i < BP_MAX + TEMP_MAX; i++) {
		struct bp *b = &g.bps[i];

		if (!b->planted || b->gpa != gpa)
			continue;
		ours = true;
		if (!b->temp)
			kind = STOP_BREAK;
		else if (kind != STOP_BREAK)
			kind = STOP_STEP;
	}
	/*
	 * The first event is the one reported; a vCPU that hit a breakpoint
	 * meanwhile stays at it (the pc at the ebreak) and hits it again.
	 * (Only the stepping vCPU runs while a step's breakpoints are in.)
	 */
	if (ours && !g.stop_req)
		request_stop(v->id, kind);
	pthread_mutex_unlock(&g.lock);
	if (!ours)
		give_to_guest(v, pc);
}

/* ---- guest memory by virtual address, breakpoints hidden ---- */

static void flush_icache(void *p, size_t len)
{
	__riscv_flush_icache(p, (char *)p + len, 0);
}

/*
 * Copy guest virtual [gva, gva + len) of the vCPU's address space into
 * buf (write false) or from it.  Planted breakpoints read as the original
 * bytes, and a write under one changes the original, leaving the
 * breakpoint in place.  Returns the bytes done: short at the first byte
 * that does not translate to guest RAM.
 */
static size_t gva_copy(int vcpu, uint64_t gva, uint8_t *buf, size_t len,
		       bool write)
{
	uint64_t satp, gpa, left;
	size_t done = 0, n, k;
	uint8_t *host;
	int i;

	if (get_reg(vcpus[vcpu].fd, REG_CSR(satp), &satp))
		return 0;
	while (done < len) {
		if (gva_translate(satp, gva + done, &gpa, &left))
			break;
		n = len - done < left ? len - done : left;
		host = gpa_ptr(gpa, n);
		if (!host)
			break;
		for (k = 0; k < n; k++) {
			uint8_t *orig = NULL;

			for (i = 0; i < BP_MAX + TEMP_MAX; i++) {
				struct bp *b = &g.bps[i];

				if (b->planted && gpa + k >= b->gpa &&
				    gpa + k < b->gpa + b->len) {
					orig = &b->orig[gpa + k - b->gpa];
					if (write)
						*orig = buf[done + k];
				}
			}
			if (!write)
				buf[done + k] = orig ? *orig : host[k];
			else if (!orig)
				host[k] = buf[done + k];
		}
		if (write)
			flush_icache(host, n);
		done += n;
	}
	return done;
}

/* Write the breakpoint instruction of b's length over the original. */
static void plant(struct bp *b)
{
	uint8_t *host = gpa_ptr(b->gpa, b->len);
	uint32_t insn = b->len == 2 ? INSN_C_EBREAK : INSN_EBREAK;
	int i;

	/* The original as the guest has it, under any breakpoint there. */
	memcpy(b->orig, host, b->len);
	for (i = 0; i < BP_MAX + TEMP_MAX; i++) {
		struct bp *o = &g.bps[i];
		unsigned int k;

		if (o == b || !o->planted)
			continue;
		for (k = 0; k < b->len; k++)
			if (b->gpa + k >= o->gpa && b->gpa + k < o->gpa + o->len)
				b->orig[k] = o->orig[b->gpa + k - o->gpa];
	}
	memcpy(host, &insn, b->len);
	flush_icache(host, b->len);
	b->planted = true;
}

/* Put the original back, and the instructions of other breakpoints there. */
static void unplant(struct bp *b)
{
	uint8_t *host = gpa_ptr(b->gpa, b->len);
	int i;

	if (!b->planted)
		return;
	memcpy(host, b->orig, b->len);
	b->planted = false;
	for (i = 0; i < BP_MAX + TEMP_MAX; i++) {
		struct bp *o = &g.bps[i];
		uint32_t insn = o->len == 2 ? INSN_C_EBREAK : INSN_EBREAK;
		unsigned int k;

		if (!o->planted)
			continue;
		for (k = 0; k < o->len; k++)
			if (o->gpa + k >= b->gpa && o->gpa + k < b->gpa + b->len)
				host[o->gpa + k - b->gpa] =
					((uint8_t *)&insn)[k];
	}
	flush_icache(host, b->len);
}

/* A planted breakpoint of gdb's at this guest physical address, or NULL. */
static struct bp *bp_at_gpa(uint64_t gpa)
{
	int i;

	for (i = 0; i < BP_MAX; i++)
		if (g.bps[i].planted && !g.bps[i].temp && g.bps[i].gpa == gpa)
			return &g.bps[i];
	return NULL;
}

/* Z0: 0, or an errno for the reply. */
static int bp_insert(uint64_t gva, unsigned int len)
{
	uint64_t satp, gpa, left;
	int i, free_slot = -1;

	if (len != 2 && len != 4)
		return EINVAL;
	for (i = 0; i < BP_MAX; i++) {
		if (g.bps[i].used && g.bps[i].gva == gva)
			return 0;	/* already there */
		if (!g.bps[i].used && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return ENOSPC;
	if (get_reg(vcpus[s.hg].fd, REG_CSR(satp), &satp) ||
	    gva_translate(satp, gva, &gpa, &left) || left < len ||
	    !gpa_ptr(gpa, len))
		return EFAULT;
	g.bps[free_slot] = (struct bp){ .used = true, .gva = gva, .gpa = gpa,
					.len = len };
	plant(&g.bps[free_slot]);
	return 0;
}

static int bp_remove(uint64_t gva)
{
	int i;

	for (i = 0; i < BP_MAX; i++) {
		if (!g.bps[i].used || g.bps[i].gva != gva)
			continue;
		unplant(&g.bps[i]);
		g.bps[i].used = false;
		return 0;
	}
	return ENOENT;
}

static void bp_remove_all(void)
{
	int i;

	for (i = 0; i < BP_MAX + TEMP_MAX; i++) {
		unplant(&g.bps[i]);
		g.bps[i].used = false;
	}
}

/* ---- the connection ---- */

/* Has the VM begun to end (gdb_end())? */
static bool vm_ending(void)
{
	bool r;

	pthread_mutex_lock(&g.lock);
	r = g.ending;
	pthread_mutex_unlock(&g.lock);
	return r;
}

/*
 * Fill the input buffer.  Returns 1 when there is input, 0 when the stub
 * was woken (a vCPU stopped, or the VM ends), -1 when the connection is
 * gone.  With wait false it does not block.
 */
static int conn_poll(bool wait)
{
	struct pollfd p[2] = {
		{ .fd = s.conn, .events = POLLIN },
		{ .fd = wake_fd[0], .events = POLLIN },
	};
	ssize_t n;
	char junk[64];

	if (s.in_pos < s.in_len)
		return 1;
	for (;;) {
		if (poll(p, 2, wait ? -1 : 0) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents) {
			n = read(wake_fd[0], junk, sizeof(junk));
			(void)n;
			return 0;
		}
		if (!p[0].revents)
			return 0;
		n = read(s.conn, s.in, sizeof(s.in));
		if (n <= 0)
			return -1;
		s.in_len = n;
		s.in_pos = 0;
		return 1;
	}
}

static void conn_write(const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(s.conn, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* gone: the next read says so */
		p += n;
		len -= n;
	}
}

static void send_packet(const char *data, size_t len)
{
	uint8_t sum = 0;
	size_t i;

	if (len > PKT_MAX)
		len = PKT_MAX;
	s.out[0] = '$';
	for (i = 0; i < len; i++)
		sum += (uint8_t)data[i];
	memcpy(s.out + 1, data, len);
	s.out_len = 1 + len + sprintf(s.out + 1 + len, "#%02x", sum);
	conn_write(s.out, s.out_len);
}

static void send_str(const char *str)
{
	send_packet(str, strlen(str));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The next packet's data, NUL-terminated, into buf (at least PKT_MAX + 1
 * bytes), its length in *len.  Acknowledges it (unless QStartNoAckMode)
 * and resends our last packet on a '-'.  Returns 1 for a packet, 0 when
 * woken, -1 when the connection is gone.  A Ctrl-C outside a packet
 * comes back as the one-byte "packet" "\x03".
 */
static int read_packet(char *buf, size_t *len, bool wait)
{
	enum { IDLE, DATA, SUM1, SUM2 } st = IDLE;
	uint8_t sum = 0;
	size_t n = 0;
	int r, c, hi = 0;

	for (;;) {
		r = conn_poll(wait || st != IDLE);
		if (r < 0 || (r == 0 && (st == IDLE || vm_ending())))
			return r;
		if (r == 0)
			continue;	/* a wake-up in mid-packet: read on */
		c = s.in[s.in_pos++];
		switch (st) {
		case IDLE:
			if (c == '$') {
				st = DATA;
				n = 0;
				sum = 0;
			} else if (c == '-' && s.out_len) {
				conn_write(s.out, s.out_len);
			} else if (c == 0x03) {
				buf[0] = 0x03;
				buf[1] = '\0';
				*len = 1;
				return 1;
			}
			break;
		case DATA:
			if (c == '#') {
				st = SUM1;
				break;
			}
			sum += c;
			if (n < PKT_MAX)
				buf[n++] = c;
			break;
		case SUM1:
			hi = hexval(c);
			st = SUM2;
			break;
		case SUM2:
			st = IDLE;
			if (hi < 0 || hexval(c) < 0 ||
			    (uint8_t)(hi << 4 | hexval(c)) != sum) {
				if (!s.noack)
					conn_write("-", 1);
				break;
			}
			if (!s.noack)
				conn_write("+", 1);
			buf[n] = '\0';
			*len = n;
			return 1;
		}
	}
}

/* ---- registers ---- */

/*
 * The ONE_REG id and size (4 or 8) of gdb register n, or -1.  x0 is
 * ONE_REG-less (always 0), so it is reported as size 8 and id 0.
 */
static int reg_id(unsigned int n, uint64_t *id, unsigned int *size)
{
	static const struct {
		unsigned int csr;
		uint64_t id;
	} csrs[] = {
		{ 0x100, REG_CSR(sstatus) }, { 0x104, REG_CSR(sie) },
		{ 0x105, REG_CSR(stvec) }, { 0x106, REG_CSR(scounteren) },
		{ 0x10a, REG_CSR(senvcfg) }, { 0x140, REG_CSR(sscratch) },
		{ 0x141, REG_CSR(sepc) }, { 0x142, REG_CSR(scause) },
		{ 0x143, REG_CSR(stval) }, { 0x144, REG_CSR(sip) },
		{ 0x180, REG_CSR(satp) },
	};
	size_t i;

	*size = 8;
	if (n == 0) {
		*id = 0;
		return 0;
	}
	if (n < 32) {
		*id = REG_X(n);
		return 0;
	}
	if (n == GDB_PC) {
		*id = REG_CORE(regs.pc);
		return 0;
	}
	if (n == GDB_PRIV) {
		*id = REG_CORE(mode);
		return 0;
	}
	if (has_fp && n >= GDB_F0 && n < GDB_F0 + 32) {
		*id = REG_F(n - GDB_F0);
		return 0;
	}
	if (has_fp && n >= GDB_FFLAGS && n <= GDB_FCSR) {
		*id = REG_FCSR;
		*size = 4;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(csrs); i++) {
		if (n == GDB_CSR0 + csrs[i].csr) {
			*id = csrs[i].id;
			return 0;
		}
	}
	return -1;
}

/* fflags and frm are fields of fcsr. */
static uint64_t fcsr_field(unsigned int n, uint64_t fcsr)
{
	if (n == GDB_FFLAGS)
		return fcsr & 0x1f;
	if (n == GDB_FRM)
		return (fcsr >> 5) & 7;
	return fcsr;
}

static int reg_get(int vcpu, unsigned int n, uint64_t *val,
		   unsigned int *size)
{
	uint64_t id;

	*val = 0;
	if (reg_id(n, &id, size))
		return -1;
	if (!id)
		return 0;
	if (get_reg(vcpus[vcpu].fd, id, val))
		return -1;
	if (*size == 4)
		*val = fcsr_field(n, *val & 0xffffffff);
	return 0;
}

static int reg_set(int vcpu, unsigned int n, uint64_t val)
{
	unsigned int size;
	uint64_t id, fcsr = 0;

	if (reg_id(n, &id, &size))
		return -1;
	if (!id)
		return 0;		/* x0 */
	if (size == 4) {
		if (get_reg(vcpus[vcpu].fd, id, &fcsr))
			return -1;
		fcsr &= 0xffffffff;
		if (n == GDB_FFLAGS)
			val = (fcsr & ~0x1fULL) | (val & 0x1f);
		else if (n == GDB_FRM)
			val = (fcsr & ~0xe0ULL) | ((val & 7) << 5);
	}
	return set_reg(vcpus[vcpu].fd, id, val);
}

static char *put_hex_le(char *p, uint64_t v, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++, v >>= 8)
		p += sprintf(p, "%02x", (unsigned int)(v & 0xff));
	return p;
}

static bool get_hex_le(const char **p, unsigned int size, uint64_t *v)
{
	unsigned int i;
	int hi, lo;

	*v = 0;
	for (i = 0; i < size; i++) {
		hi = hexval((*p)[0]);
		lo = hi < 0 ? -1 : hexval((*p)[1]);
		if (lo < 0)
			return false;
		*v |= (uint64_t)(hi << 4 | lo) << (8 * i);
		*p += 2;
	}
	return true;
}

/* ---- stops and resumes ---- */

static void set_guest_debug(bool on)
{
	struct kvm_guest_debug dbg = { .control = on ? KVM_GUESTDBG_ENABLE : 0 };
	int i;

	for (i = 0; i < opt.cpus; i++)
		if (ioctl(vcpus[i].fd, KVM_SET_GUEST_DEBUG, &dbg))
			fprintf(stderr, "rvhv-run: gdb: vcpu%d: "
				"KVM_SET_GUEST_DEBUG: %s\n", i, strerror(errno));
}

static bool vcpu_stopped_by_hsm(int vcpu)
{
	struct kvm_mp_state mp;

	return !ioctl(vcpus[vcpu].fd, KVM_GET_MP_STATE, &mp) &&
	       mp.mp_state == KVM_MP_STATE_STOPPED;
}

/* Put a temporary breakpoint at gva for vcpu's step; false if it cannot. */
static bool plant_temp(int vcpu, uint64_t gva)
{
	uint64_t satp, gpa, left;
	uint16_t half;
	int i;

	if (get_reg(vcpus[vcpu].fd, REG_CSR(satp), &satp) ||
	    gva_translate(satp, gva, &gpa, &left) || !gpa_ptr(gpa, 2))
		return false;
	if (bp_at_gpa(gpa))
		return true;	/* gdb's own breakpoint is there already */
	for (i = BP_MAX; i < BP_MAX + TEMP_MAX; i++) {
		struct bp *b = &g.bps[i];

		if (b->used)
			continue;
		memcpy(&half, gpa_ptr(gpa, 2), 2);
		*b = (struct bp){ .used = true, .temp = true, .gva = gva,
				  .gpa = gpa, .len = (half & 3) == 3 ? 4 : 2 };
		if (b->len == 4 && (left < 4 || !gpa_ptr(gpa, 4)))
			b->len = 2;
		plant(b);
		return true;
	}
	return false;
}

/*
 * Prepare vcpu's single step from its pc: the breakpoint at the pc (if
 * any) taken out, a temporary one where the instruction leads (or, if
 * that address cannot take one, at the guest's trap vector).  Returns
 * false when the step is already over (the instruction goes to itself,
 * or the vCPU is stopped by HSM and will not move).
 */
static bool prepare_step(int vcpu)
{
	uint64_t x[32] = { 0 }, pc, sepc = 0, stvec = 0, gpa, next;
	uint32_t insn = 0;
	unsigned int i, size;
	struct bp *b;

	if (vcpu_stopped_by_hsm(vcpu))
		return false;
	for (i = 1; i < 32; i++)
		reg_get(vcpu, i, &x[i], &size);
	get_reg(vcpus[vcpu].fd, REG_CORE(regs.pc), &pc);
	get_reg(vcpus[vcpu].fd, REG_CSR(sepc), &sepc);
	get_reg(vcpus[vcpu].fd, REG_CSR(stvec), &stvec);
	/*
	 * The instruction as the guest has it (breakpoints hidden); if it
	 * cannot be read, the fetch traps: stop at the trap vector.
	 */
	if (gva_copy(vcpu, pc, (uint8_t *)&insn, 2, false) != 2 ||
	    ((insn & 3) == 3 &&
	     gva_copy(vcpu, pc + 2, (uint8_t *)&insn + 2, 2, false) != 2))
		next = stvec & ~3ULL;
	else
		next = insn_next_pc(insn, pc, x, sepc);
	if (next == pc)
		return false;
	s.lifted = -1;
	if (!vcpu_gpa(vcpus[vcpu].fd, pc, &gpa) && (b = bp_at_gpa(gpa))) {
		unplant(b);
		s.lifted = b - g.bps;
	}
	if (!plant_temp(vcpu, next))
		plant_temp(vcpu, stvec & ~3ULL);
	g.step_vcpu = vcpu;
	return true;
}

/* After a stop: temporary breakpoints out, a lifted one back. */
static void end_step(void)
{
	int i;

	for (i = BP_MAX; i < BP_MAX + TEMP_MAX; i++) {
		unplant(&g.bps[i]);
		g.bps[i].used = false;
	}
	if (s.lifted >= 0 && g.bps[s.lifted].used)
		plant(&g.bps[s.lifted]);
	s.lifted = -1;
	g.step_vcpu = -1;
}

/* Let vCPU only (or every vCPU, -1) run. */
static void resume(int only)
{
	pthread_mutex_lock(&g.lock);
	g.stop_req = false;
	g.only = only;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	s.running = true;
}

static void send_stop_reply(int vcpu, enum stop_kind kind)
{
	char buf[128], *p = buf;
	uint64_t pc = 0;

	p += sprintf(p, "T%02x", kind == STOP_INTR ? SIG_INT : SIG_TRAP);
	if (!get_reg(vcpus[vcpu].fd, REG_CORE(regs.pc), &pc)) {
		p += sprintf(p, "%02x:", GDB_PC);
		p = put_hex_le(p, pc, 8);
		*p++ = ';';
	}
	if (kind == STOP_BREAK && s.swbreak)
		p += sprintf(p, "swbreak:;");
	sprintf(p, "thread:%x;", vcpu + 1);
	send_str(buf);
}

/* c or s, from the current thread's pc (or addr, if given). */
static void do_resume(bool step, const char *addr)
{
	int t = step ? (s.hc >= 0 ? s.hc : s.cur) : s.cur;
	uint64_t pc, gpa;
	char *end;

	if (*addr) {
		pc = strtoull(addr, &end, 16);
		set_reg(vcpus[t].fd, REG_CORE(regs.pc), pc);
	}
	s.stepover = false;
	if (step) {
		if (!prepare_step(t)) {
			s.cur = t;
			send_stop_reply(t, STOP_STEP);
			return;
		}
		resume(t);
		return;
	}
	s.cont_only = s.hc;
	/* Continuing from its breakpoint: over it first, alone. */
	if ((s.hc < 0 || s.hc == t) &&
	    !get_reg(vcpus[t].fd, REG_CORE(regs.pc), &pc) &&
	    !vcpu_gpa(vcpus[t].fd, pc, &gpa) && bp_at_gpa(gpa) &&
	    prepare_step(t)) {
		s.stepover = true;
		resume(t);
		return;
	}
	resume(s.cont_only);
}

/* Every vCPU that was let run has paused: report, or go on. */
static void stopped(void)
{
	int vcpu;
	enum stop_kind kind;

	pthread_mutex_lock(&g.lock);
	vcpu = g.stop_vcpu;
	kind = g.stop_kind;
	pthread_mutex_unlock(&g.lock);
	end_step();
	s.running = false;
	if (s.stepover && kind == STOP_STEP && vcpu == s.cur) {
		s.stepover = false;
		resume(s.cont_only);
		return;
	}
	s.stepover = false;
	s.cur = vcpu;
	s.last = kind;
	send_stop_reply(vcpu, kind);
}

/* Is a stop requested and has every vCPU paused? */
static bool all_paused(void)
{
	bool r;

	pthread_mutex_lock(&g.lock);
	r = g.stop_req && g.nr_paused == opt.cpus;
	pthread_mutex_unlock(&g.lock);
	return r;
}

/* Stop every vCPU (a new debugger, or Ctrl-C) and wait for it. */
static bool stop_all(enum stop_kind kind)
{
	pthread_mutex_lock(&g.lock);
	if (!g.stop_req)
		request_stop(s.cur, kind);
	pthread_mutex_unlock(&g.lock);
	while (!all_paused()) {
		struct pollfd p = { .fd = wake_fd[0], .events = POLLIN };
		char junk[64];

		if (vm_ending())
			return false;
		if (poll(&p, 1, 1000) > 0 && read(wake_fd[0], junk, 64) < 0 &&
		    errno != EAGAIN)
			return false;
	}
	return true;
}

/* ---- the packets ---- */

static const char *target_xml(void)
{
	static char xml[8192];
	static const char *const x[32] = {
		"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
		"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3",
		"s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
		"t5", "t6",
	};
	static const char *const csrs[] = {
		"sstatus 256", "sie 260", "stvec 261", "scounteren 262",
		"senvcfg 266", "sscratch 320", "sepc 321", "scause 322",
		"stval 323", "sip 324", "satp 384",
	};
	char *p = xml, name[16];
	unsigned int i, num;

	if (*xml)
		return xml;
	p += sprintf(p, "<?xml version=\"1.0\"?>\n"
		     "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		     "<target version=\"1.0\">\n"
		     "<architecture>riscv:rv64</architecture>\n"
		     "<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
	for (i = 0; i < 32; i++)
		p += sprintf(p, "<reg name=\"%s\" bitsize=\"64\" regnum=\"%u\"%s/>\n",
			     x[i], i, i == 1 ? " type=\"code_ptr\"" :
			     i == 2 ? " type=\"data_ptr\"" : "");
	p += sprintf(p, "<reg name=\"pc\" bitsize=\"64\" regnum=\"%d\" "
		     "type=\"code_ptr\"/>\n</feature>\n", GDB_PC);
	if (has_fp) {
		p += sprintf(p, "<feature name=\"org.gnu.gdb.riscv.fpu\">\n");
		for (i = 0; i < 32; i++)
			p += sprintf(p, "<reg name=\"f%u\" bitsize=\"64\" "
				     "regnum=\"%u\" type=\"ieee_double\"/>\n",
				     i, GDB_F0 + i);
		p += sprintf(p, "<reg name=\"fflags\" bitsize=\"32\" regnum=\"%d\"/>\n"
			     "<reg name=\"frm\" bitsize=\"32\" regnum=\"%d\"/>\n"
			     "<reg name=\"fcsr\" bitsize=\"32\" regnum=\"%d\"/>\n"
			     "</feature>\n", GDB_FFLAGS, GDB_FRM, GDB_FCSR);
	}
	p += sprintf(p, "<feature name=\"org.gnu.gdb.riscv.csr\">\n");
	for (i = 0; i < ARRAY_SIZE(csrs); i++) {
		sscanf(csrs[i], "%15s %u", name, &num);
		p += sprintf(p, "<reg name=\"%s\" bitsize=\"64\" regnum=\"%u\" "
			     "group=\"system\"/>\n", name, GDB_CSR0 + num);
	}
	sprintf(p, "</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n"
		"<reg name=\"priv\" bitsize=\"64\" regnum=\"%d\"/>\n"
		"</feature>\n</target>\n", GDB_PRIV);
	return xml;
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void xfer_features(const char *args, char *reply)
{
	const char *xml = target_xml();
	unsigned long off, len, total = strlen(xml);

	if (strncmp(args, "target.xml:", 11) ||
	    sscanf(args + 11, "%lx,%lx", &off, &len) != 2) {
		strcpy(reply, "E00");
		return;
	}
	if (off >= total) {
		strcpy(reply, "l");
		return;
	}
	if (len > PKT_MAX - 2)
		len = PKT_MAX - 2;
	if (len > total - off)
		len = total - off;
	reply[0] = off + len < total ? 'm' : 'l';
	memcpy(reply + 1, xml + off, len);
	reply[1 + len] = '\0';
}

/* A thread id of a packet: a vCPU index, -1 for 0 / -1 ("any"), -2: bad. */
static int parse_tid(const char *p)
{
	char *end;
	long t;

	if (!strcmp(p, "-1") || !strcmp(p, "0"))
		return -1;
	t = strtol(p, &end, 16);
	if (*end || t < 1 || t > opt.cpus)
		return -2;
	return t - 1;
}

static void read_memory(const char *args, char *reply)
{
	unsigned long addr, len, i, done;
	static uint8_t buf[PKT_MAX / 2];

	if (sscanf(args, "%lx,%lx", &addr, &len) != 2) {
		strcpy(reply, "E16");
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	done = gva_copy(s.hg, addr, buf, len, false);
	if (!done && len) {
		strcpy(reply, "E0e");		/* EFAULT */
		return;
	}
	for (i = 0; i < done; i++)
		sprintf(reply + 2 * i, "%02x", buf[i]);
	reply[2 * done] = '\0';
}

/* M addr,len:hex and X addr,len:binary (escaped with '}'). */
static void write_memory(const char *args, size_t args_len, bool binary,
			 char *reply)
{
	static uint8_t buf[PKT_MAX];
	unsigned long addr, len, n = 0;
	const char *p = memchr(args, ':', args_len), *end = args + args_len;

	if (!p || sscanf(args, "%lx,%lx", &addr, &len) != 2 ||
	    len > sizeof(buf)) {
		strcpy(reply, "E16");
		return;
	}
	for (p++; n < len && p < end; n++) {
		if (!binary) {
			if (end - p < 2 || hexval(p[0]) < 0 || hexval(p[1]) < 0)
				break;
			buf[n] = hexval(p[0]) << 4 | hexval(p[1]);
			p += 2;
		} else if (*p == '}' && p + 1 < end) {
			buf[n] = p[1] ^ 0x20;
			p += 2;
		} else {
			buf[n] = *p++;
		}
	}
	if (n != len) {
		strcpy(reply, "E16");
		return;
	}
	strcpy(reply, gva_copy(s.hg, addr, buf, len, true) == len ? "OK" :
								    "E0e");
}

static void regs_read(char *reply)
{
	unsigned int n, size;
	uint64_t v;
	char *p = reply;

	for (n = 0; n <= GDB_PC; n++) {
		if (reg_get(s.hg, n, &v, &size)) {
			strcpy(reply, "E0e");
			return;
		}
		p = put_hex_le(p, v, 8);
	}
	*p = '\0';
}

static void regs_write(const char *p, char *reply)
{
	unsigned int n;
	uint64_t v;

	for (n = 0; n <= GDB_PC; n++) {
		if (!get_hex_le(&p, 8, &v) || reg_set(s.hg, n, v)) {
			strcpy(reply, "E16");
			return;
		}
	}
	strcpy(reply, "OK");
}

static void reg_read1(const char *args, char *reply)
{
	unsigned int size;
	uint64_t v;
	char *end;
	unsigned long n = strtoul(args, &end, 16);

	if (*end || reg_get(s.hg, n, &v, &size)) {
		strcpy(reply, "E0e");
		return;
	}
	*put_hex_le(reply, v, size) = '\0';
}

static void reg_write1(const char *args, char *reply)
{
	unsigned int size;
	uint64_t v, id;
	char *end;
	unsigned long n = strtoul(args, &end, 16);
	const char *p = end + 1;

	if (*end != '=' || reg_id(n, &id, &size) || !get_hex_le(&p, size, &v) ||
	    *p || reg_set(s.hg, n, v)) {
		strcpy(reply, "E16");
		return;
	}
	strcpy(reply, "OK");
}

static void thread_info(int vcpu, char *reply)
{
	char text[64];
	int i, n;

	n = snprintf(text, sizeof(text), "vCPU %d%s", vcpu,
		     vcpu_stopped_by_hsm(vcpu) ? " (stopped by HSM)" : "");
	for (i = 0; i < n; i++)
		sprintf(reply + 2 * i, "%02x", (unsigned char)text[i]);
	reply[2 * n] = '\0';
}

static void do_breakpoint(bool insert, const char *args, char *reply)
{
	unsigned long type, addr, kind;
	int err;

	if (sscanf(args, "%lx,%lx,%lx", &type, &addr, &kind) != 3) {
		strcpy(reply, "E16");
		return;
	}
	if (type != 0) {
		*reply = '\0';	/* hardware ones: not supported */
		return;
	}
	err = insert ? bp_insert(addr, kind) : bp_remove(addr);
	if (err)
		sprintf(reply, "E%02x", err & 0xff);
	else
		strcpy(reply, "OK");
}

/* What a session does next. */
enum verdict { GO_ON, SESSION_END, GONE };

/* One packet while the vCPUs are stopped. */
static enum verdict handle(char *pkt, size_t len)
{
	static char reply[2 * PKT_MAX + 8];
	char *args = pkt + 1;
	int t;

	reply[0] = '\0';
	switch (pkt[0]) {
	case '?':
		send_stop_reply(s.cur, s.last);
		return GO_ON;
	case 'g':
		regs_read(reply);
		break;
	case 'G':
		regs_write(args, reply);
		break;
	case 'p':
		reg_read1(args, reply);
		break;
	case 'P':
		reg_write1(args, reply);
		break;
	case 'm':
		read_memory(args, reply);
		break;
	case 'M':
		write_memory(args, len - 1, false, reply);
		break;
	case 'X':
		write_memory(args, len - 1, true, reply);
		break;
	case 'Z':
	case 'z':
		do_breakpoint(pkt[0] == 'Z', args, reply);
		break;
	case 'c':
	case 's':
		do_resume(pkt[0] == 's', args);
		return GO_ON;
	case 'C':
	case 'S':
		/* A signal to deliver: guests take none; as c / s. */
		args = strchr(args, ';');
		do_resume(pkt[0] == 'S', args ? args + 1 : "");
		return GO_ON;
	case 'H':
		t = parse_tid(args + 1);
		if (t == -2 || (args[0] != 'g' && args[0] != 'c')) {
			strcpy(reply, "E16");
			break;
		}
		if (args[0] == 'g')
			s.hg = t < 0 ? s.cur : t;
		else
			s.hc = t;
		strcpy(reply, "OK");
		break;
	case 'T':
		strcpy(reply, parse_tid(args) >= 0 ? "OK" : "E16");
		break;
	case 'D':
		bp_remove_all();
		set_guest_debug(false);
		send_str("OK");
		resume(-1);
		return SESSION_END;
	case 'k':
		vm_end(EXIT_GDB_KILL);
		return SESSION_END;
	case 'q':
		if (!strncmp(args, "Supported", 9)) {
			s.swbreak = strstr(args, "swbreak+") != NULL;
			sprintf(reply, "PacketSize=%x;qXfer:features:read+;"
				"swbreak+;QStartNoAckMode+", PKT_MAX);
		} else if (!strcmp(args, "Attached")) {
			strcpy(reply, "1");
		} else if (!strcmp(args, "C")) {
			sprintf(reply, "QC%x", s.cur + 1);
		} else if (!strcmp(args, "fThreadInfo")) {
			char *p = reply + sprintf(reply, "m");

			for (t = 0; t < opt.cpus; t++)
				p += sprintf(p, "%s%x", t ? "," : "", t + 1);
		} else if (!strcmp(args, "sThreadInfo")) {
			strcpy(reply, "l");
		} else if (!strncmp(args, "ThreadExtraInfo,", 16)) {
			t = parse_tid(args + 16);
			if (t >= 0)
				thread_info(t, reply);
			else
				strcpy(reply, "E16");
		} else if (!strncmp(args, "Xfer:features:read:", 19)) {
			xfer_features(args + 19, reply);
		} else if (!strncmp(args, "Symbol:", 7)) {
			strcpy(reply, "OK");
		}
		break;
	case 'Q':
		if (!strcmp(args, "StartNoAckMode")) {
			send_str("OK");
			s.noack = true;
			return GO_ON;
		}
		break;
	}
	send_str(reply);
	return GO_ON;
}

/* While the vCPUs run: Ctrl-C, the end of a stop, the end of the VM. */
static enum verdict wait_running(void)
{
	static char pkt[PKT_MAX + 1];
	size_t len;
	int r;

	for (;;) {
		if (vm_ending())
			return SESSION_END;
		if (all_paused()) {
			stopped();
			if (!s.running)
				return GO_ON;
			continue;
		}
		r = read_packet(pkt, &len, true);
		if (r < 0)
			return GONE;
		if (r > 0 && pkt[0] == 0x03) {
			pthread_mutex_lock(&g.lock);
			if (!g.stop_req)
				request_stop(g.only >= 0 ? g.only : s.cur,
					     STOP_INTR);
			pthread_mutex_unlock(&g.lock);
		}
		/* Anything else while running: gdb sends nothing else. */
	}
}

static void session(int conn)
{
	static char pkt[PKT_MAX + 1];
	enum verdict v = GO_ON;
	size_t len;
	int r;

	memset(&s, 0, sizeof(s));
	s.conn = conn;
	s.hc = -1;
	s.lifted = -1;
	if (!stop_all(STOP_START))
		return;
	pthread_mutex_lock(&g.lock);
	s.cur = g.stop_vcpu;
	pthread_mutex_unlock(&g.lock);
	s.hg = s.cur;
	set_guest_debug(true);
	while (v == GO_ON && !vm_ending()) {
		if (s.running) {
			v = wait_running();
			continue;
		}
		r = read_packet(pkt, &len, true);
		if (r < 0)
			v = GONE;
		else if (r > 0 && pkt[0] != 0x03)
			v = handle(pkt, len);
	}
	if (vm_ending()) {
		/* The guest ended while the debugger waited for a stop. */
		if (s.running) {
			char w[8];

			pthread_mutex_lock(&g.lock);
			snprintf(w, sizeof(w), "W%02x", g.end_status & 0xff);
			pthread_mutex_unlock(&g.lock);
			send_str(w);
		}
		return;
	}
	if (v != GONE)
		return;		/* detached (D), or killed (k) */
	/* The debugger went away: as a detach. */
	if (s.running && !stop_all(STOP_INTR))
		return;
	end_step();
	bp_remove_all();
	set_guest_debug(false);
	resume(-1);
}

static void *stub_fn(void *arg)
{
	struct pollfd p[2] = {
		{ .fd = listen_fd, .events = POLLIN },
		{ .fd = wake_fd[0], .events = POLLIN },
	};
	char junk[64];
	int one = 1, conn;

	(void)arg;
	while (!vm_ending()) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents && read(wake_fd[0], junk, sizeof(junk)) < 0)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_mutex_lock(&out_lock);
		fprintf(stderr, "rvhv-run: gdb: debugger connected\n");
		pthread_mutex_unlock(&out_lock);
		session(conn);
		close(conn);
	}
	return NULL;
}

/* ---- set-up and end (main.c) ---- */

void gdb_init(const char *arg)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_un un;
	} a;
	socklen_t alen;
	struct stat st;
	uint64_t isa = 0;
	int one = 1;

	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG) <= 0)
		die("--gdb: %s has no KVM_CAP_SET_GUEST_DEBUG", opt.dev);
	if (!get_reg(vcpus[0].fd, REG_CONFIG(isa), &isa))
		has_fp = isa & (1ULL << ('d' - 'a'));
	memset(&a, 0, sizeof(a));
	if (strchr(arg, '/')) {
		if (strlen(arg) >= sizeof(a.un.sun_path))
			die("bad --gdb %s: path too long", arg);
		a.un.sun_family = AF_UNIX;
		strcpy(a.un.sun_path, arg);
		alen = sizeof(a.un);
		/* A socket left by an earlier run goes; any other file stays. */
		if (!lstat(arg, &st) && S_ISSOCK(st.st_mode))
			unlink(arg);
		sock_path = arg;
		listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	} else {
		a.in.sin_family = AF_INET;
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.in.sin_port = htons(parse_num(arg, "--gdb port", 0, 65535));
		alen = sizeof(a.in);
		listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (listen_fd >= 0)
			setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
	}
	if (listen_fd < 0 || bind(listen_fd, &a.sa, alen) ||
	    listen(listen_fd, 1))
		die("--gdb %s: %s", arg, strerror(errno));
	if (a.sa.sa_family == AF_INET) {
		if (getsockname(listen_fd, &a.sa, &alen))
			die("--gdb %s: %s", arg, strerror(errno));
		snprintf(where, sizeof(where), "127.0.0.1:%u",
			 ntohs(a.in.sin_port));
	} else {
		snprintf(where, sizeof(where), "%s", arg);
	}
	if (pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK))
		die("--gdb: pipe: %s", strerror(errno));
}

void gdb_start(void)
{
	int r;

	fprintf(stderr, "rvhv-run: gdb: waiting for a debugger on %s\n",
		where);
	r = pthread_create(&stub_thread, NULL, stub_fn, NULL);
	if (r) {
		fprintf(stderr, "rvhv-run: gdb: pthread_create: %s\n",
			strerror(r));
		vm_end(EXIT_ERROR);
		return;
	}
	stub_started = true;
}

void gdb_end(int status)
{
	if (listen_fd < 0)
		return;
	pthread_mutex_lock(&g.lock);
	g.ending = true;
	g.end_status = status;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	wake_stub();
}

void gdb_exit(void)
{
	if (listen_fd < 0)
		return;
	if (stub_started)
		pthread_join(stub_thread, NULL);
	close(listen_fd);
	close(wake_fd[0]);
	close(wake_fd[1]);
	if (sock_path)
		unlink(sock_path);
}
