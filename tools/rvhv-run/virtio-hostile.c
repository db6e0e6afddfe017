// SPDX-License-Identifier: GPL-2.0
/*
 * A bare guest (an ELF file, S-mode, no MMU) that drives rvhv-run's first
 * virtio-mmio device, a virtio-blk disk, the way a hostile guest would,
 * and checks the device's answer: buffers and rings outside guest RAM or
 * running off its end, a 4 GiB buffer, descriptor loops, indexes out of
 * range, an available index far ahead, indirect descriptors, chains
 * without a status byte or with readable buffers after writable ones,
 * bad queue sizes and misaligned rings must each put the device in
 * DEVICE_NEEDS_RESET (and nothing worse); reads outside the disk get
 * IOERR, unknown requests UNSUPP; the PLIC claims and completes; odd
 * register accesses read 0; and after all that a reset device serves a
 * good read again.
 *
 * Run as: rvhv-run --kernel virtio-hostile.elf --mem 16 --disk FILE,
 * FILE of at least 2048 sectors with byte i == (i * 7 + 3) & 0xff.  It
 * prints "rvhv-guest: hostile FAIL: ..." for each check that fails, the
 * number of checks, and "rvhv-guest: hostile all ok" (or "hostile
 * FAILED") through the SBI debug console, then shuts down (SRST).
 * selftests/vmm_test.c runs it.
 */
#include <stdint.h>

#include "bare-guest.h"

#define VIRTIO		0x10001000UL
#define PLIC		0x0c000000UL
#define RAM		0x80000000UL
#define RAM_END		(RAM + (16UL << 20))	/* --mem 16 */
#define REG(off)	(*(volatile uint32_t *)(VIRTIO + (off)))
#define PLIC_REG(off)	(*(volatile uint32_t *)(PLIC + (off)))

/* virtio-mmio registers, status bits, descriptor flags */
#define QUEUE_SEL	0x030
#define QUEUE_NUM	0x038
#define QUEUE_READY	0x044
#define QUEUE_NOTIFY	0x050
#define ISR		0x060
#define ISR_ACK		0x064
#define STATUS		0x070
#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40
#define F_NEXT		1
#define F_WRITE		2
#define F_INDIRECT	4

#define QSIZE		8

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct avail {
	uint16_t flags, idx, ring[QSIZE];
};

struct used {
	uint16_t flags, idx;
	struct {
		uint32_t id, len;
	} ring[QSIZE];
};

static struct desc descs[QSIZE] __attribute__((aligned(16)));
static struct avail avail __attribute__((aligned(16)));
static struct used used __attribute__((aligned(16)));
static struct {
	uint32_t type, prio;
	uint64_t sector;
} hdr;
static uint8_t data[1024], status;
static int fails, checks;
uint8_t guest_stack[16384] __attribute__((aligned(16)));

asm(".section .text.start, \"ax\"\n"
    ".globl _start\n"
    "_start:\n"
    "	lla	sp, guest_stack + 16384\n"
    "	call	main\n"
    "1:	wfi\n"
    "	j	1b\n"
    ".previous\n");

/* DBCN console_write: one exit for the string (no MMU: VA == PA). */
static void put(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	sbi(SBI_EXT_DBCN, 0, n, (uintptr_t)s, 0);
}

static void put_hex(unsigned long v)
{
	char b[20];
	int i = sizeof(b) - 1;

	b[i] = 0;
	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	put("0x");
	put(b + i);
}

/* A check: quiet when it holds (console output costs exits). */
static void check(const char *what, int ok, unsigned long v)
{
	checks++;
	if (ok)
		return;
	fails++;
	put("rvhv-guest: hostile FAIL: ");
	put(what);
	put(" ");
	put_hex(v);
	put("\n");
}

/* Reset, negotiate VERSION_1, set up queue 0 at d, a, u; DRIVER_OK. */
static void setup(int num, uint64_t d, uint64_t a, uint64_t u)
{
	REG(STATUS) = 0;
	/* Fresh rings, before the device may look at them. */
	avail.idx = 0;
	avail.flags = 0;
	used.idx = 0;
	asm volatile("fence rw, rw" ::: "memory");
	REG(STATUS) = S_ACK | S_DRIVER;
	REG(0x024) = 1;			/* DriverFeaturesSel */
	REG(0x020) = 1;			/* VIRTIO_F_VERSION_1 */
	REG(0x024) = 0;
	REG(0x020) = 0;
	REG(STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
	REG(QUEUE_SEL) = 0;
	REG(QUEUE_NUM) = num;
	REG(0x080) = d;
	REG(0x084) = d >> 32;
	REG(0x090) = a;
	REG(0x094) = a >> 32;
	REG(0x0a0) = u;
	REG(0x0a4) = u >> 32;
	REG(QUEUE_READY) = 1;
	REG(STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
}

static void good_setup(void)
{
	setup(QSIZE, (uintptr_t)descs, (uintptr_t)&avail, (uintptr_t)&used);
}

/* Make head available as entry idx - 1, then notify. */
static void post(uint16_t head, uint16_t idx)
{
	avail.ring[(uint16_t)(idx - 1) % QSIZE] = head;
	asm volatile("fence rw, rw" ::: "memory");
	avail.idx = idx;
	asm volatile("fence rw, rw" ::: "memory");
	REG(QUEUE_NOTIFY) = 0;
}

/* Wait for the used index to reach n, or for NEEDS_RESET; the status. */
static uint32_t wait_used(uint16_t n)
{
	unsigned long i;

	for (i = 0; i < 200000000UL; i++) {
		if (*(volatile uint16_t *)&used.idx == n)
			break;
		if (!(i % 4096) && (REG(STATUS) & S_NEEDS_RESET))
			break;
	}
	return REG(STATUS);
}

/* A request at descriptors d..d+2: header, data, status. */
static void request(int d, uint32_t type, uint64_t sector, uint64_t addr,
		    uint32_t len, int to_device)
{
	hdr.type = type;
	hdr.prio = 0;
	hdr.sector = sector;
	status = 0xff;
	descs[d] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, d + 1 };
	descs[d + 1] = (struct desc){ addr, len,
				      F_NEXT | (to_device ? 0 : F_WRITE), d + 2 };
	descs[d + 2] = (struct desc){ (uintptr_t)&status, 1, F_WRITE, 0 };
}

/* Post descriptor 0 as the first request of a fresh queue: NEEDS_RESET? */
static void expect_reset(const char *what, uint16_t head, uint16_t idx)
{
	uint32_t st;

	post(head, idx);
	st = wait_used(idx);
	check(what, st & S_NEEDS_RESET, st);
}

static uint8_t pattern(unsigned long i)
{
	return (i * 7 + 3) & 0xff;
}

void main(void);
void main(void)
{
	uint32_t st, id;

	check("magic", REG(0) == 0x74726976, REG(0));
	check("version 2", REG(4) == 2, REG(4));
	check("block device", REG(8) == 2, REG(8));

	/* PLIC: source 1 to hart 0's context. */
	PLIC_REG(4) = 1;
	PLIC_REG(0x2000) = 1 << 1;
	PLIC_REG(0x200000) = 0;

	good_setup();
	request(0, 0, 0, (uintptr_t)data, 1024, 0);
	post(0, 1);
	st = wait_used(1);
	check("read: status OK", !(st & S_NEEDS_RESET) && used.idx == 1 &&
	      status == 0, status);
	check("read: data", data[1] == pattern(1) &&
	      data[1023] == pattern(1023), data[1]);
	check("read: used length", used.ring[0].len == 1025,
	      used.ring[0].len);
	check("PLIC: source 1 pending", PLIC_REG(0x1000) & 2,
	      PLIC_REG(0x1000));
	id = PLIC_REG(0x200004);
	check("PLIC: claim 1", id == 1, id);
	check("InterruptStatus used buffer", REG(ISR) == 1, REG(ISR));
	REG(ISR_ACK) = 1;
	PLIC_REG(0x200004) = id;
	id = PLIC_REG(0x200004);
	check("PLIC: nothing to claim after the acknowledge", id == 0, id);

	request(0, 0, 2047, (uintptr_t)data, 1024, 0);
	post(0, 2);
	wait_used(2);
	check("read beyond the disk: IOERR", status == 1, status);
	request(0, 1, 1ULL << 55, (uintptr_t)data, 1024, 1);
	post(0, 3);
	wait_used(3);
	check("write at sector 2^55: IOERR", status == 1, status);
	request(0, 0, 0, (uintptr_t)data, 100, 0);
	post(0, 4);
	wait_used(4);
	check("read of 100 bytes: IOERR", status == 1, status);
	request(0, 77, 0, (uintptr_t)data, 512, 0);
	post(0, 5);
	st = wait_used(5);
	check("unknown request: UNSUPP", !(st & S_NEEDS_RESET) && status == 2,
	      status);

	good_setup();
	request(0, 0, 0, 0x1000, 512, 0);
	expect_reset("buffer outside RAM: needs reset", 0, 1);
	good_setup();
	request(0, 0, 0, RAM_END - 512, 1024, 0);
	expect_reset("buffer off RAM's end: needs reset", 0, 1);
	good_setup();
	request(0, 0, 0, RAM, 0xffffffff, 0);
	expect_reset("4 GiB buffer: needs reset", 0, 1);
	good_setup();
	request(0, 0, 0, ~0UL - 256, 512, 0);
	expect_reset("buffer at the top of the address space: needs reset",
		     0, 1);
	good_setup();
	descs[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 1 };
	descs[1] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 0 };
	expect_reset("descriptor loop: needs reset", 0, 1);
	good_setup();
	descs[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 200 };
	expect_reset("next out of range: needs reset", 0, 1);
	good_setup();
	expect_reset("head out of range: needs reset", 9999, 1);
	good_setup();
	request(0, 0, 0, (uintptr_t)data, 512, 0);
	expect_reset("available index 1000 ahead: needs reset", 0, 1000);
	good_setup();
	descs[0] = (struct desc){ (uintptr_t)&descs[4], 48, F_INDIRECT, 0 };
	expect_reset("indirect descriptor: needs reset", 0, 1);
	good_setup();
	descs[0] = (struct desc){ (uintptr_t)&hdr, 16, 0, 0 };
	expect_reset("no status byte: needs reset", 0, 1);
	good_setup();
	descs[0] = (struct desc){ (uintptr_t)&status, 1, F_WRITE | F_NEXT, 1 };
	descs[1] = (struct desc){ (uintptr_t)&hdr, 16, 0, 0 };
	expect_reset("readable after writable: needs reset", 0, 1);

	setup(QSIZE, 0x1000, (uintptr_t)&avail, (uintptr_t)&used);
	check("descriptor ring outside RAM: needs reset",
	      REG(STATUS) & S_NEEDS_RESET, REG(STATUS));
	setup(QSIZE, RAM_END - 64, (uintptr_t)&avail, (uintptr_t)&used);
	check("descriptor ring off RAM's end: needs reset",
	      REG(STATUS) & S_NEEDS_RESET, REG(STATUS));
	setup(QSIZE, (uintptr_t)descs + 8, (uintptr_t)&avail,
	      (uintptr_t)&used);
	check("misaligned descriptor ring: needs reset",
	      REG(STATUS) & S_NEEDS_RESET, REG(STATUS));
	setup(QSIZE, (uintptr_t)descs, (uintptr_t)&avail + 1,
	      (uintptr_t)&used);
	check("misaligned available ring: needs reset",
	      REG(STATUS) & S_NEEDS_RESET, REG(STATUS));
	setup(6, (uintptr_t)descs, (uintptr_t)&avail, (uintptr_t)&used);
	check("queue size 6: needs reset", REG(STATUS) & S_NEEDS_RESET,
	      REG(STATUS));
	setup(512, (uintptr_t)descs, (uintptr_t)&avail, (uintptr_t)&used);
	check("queue size 512: needs reset", REG(STATUS) & S_NEEDS_RESET,
	      REG(STATUS));
	REG(STATUS) = 0;

	/* Odd accesses: read 0 or work, never end the VM. */
	check("1-byte register read", *(volatile uint8_t *)(VIRTIO + 0) == 0,
	      0);
	check("8-byte configuration read: capacity",
	      *(volatile uint64_t *)(VIRTIO + 0x100) == 2048, 0);
	check("configuration read past its end", REG(0xffc) == 0, REG(0xffc));
	REG(0x100) = 5;			/* a read-only configuration */
	REG(QUEUE_SEL) = 7;		/* no such queue */
	REG(QUEUE_READY) = 1;
	check("QueueNumMax of no queue", REG(0x034) == 0, REG(0x034));
	REG(QUEUE_SEL) = 0;
	PLIC_REG(0x2000 + 0x80 * 5) = ~0U;	/* no such context */
	PLIC_REG(0x200004) = 31;	/* complete of an unclaimed source */
	PLIC_REG(0x200004) = 12345;	/* ... of no source */
	check("PLIC source 0 priority", PLIC_REG(0) == 0, PLIC_REG(0));
	check("PLIC priority masked to 7", (PLIC_REG(4) = 0xff,
	      PLIC_REG(4)) == 7, PLIC_REG(4));

	/* After all that, a reset device serves again. */
	good_setup();
	request(0, 0, 1, (uintptr_t)data, 512, 0);
	post(0, 1);
	st = wait_used(1);
	check("read after a reset", !(st & S_NEEDS_RESET) && status == 0 &&
	      data[0] == pattern(512), data[0]);

	put("rvhv-guest: hostile checks ");
	put_hex(checks);
	put(fails ? "\nrvhv-guest: hostile FAILED\n" :
	    "\nrvhv-guest: hostile all ok\n");
	sbi(SBI_EXT_SRST, 0, 0, 0, 0);	/* shutdown */
}
