// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: the kernel and the initrd into guest memory.
 *
 * A Linux Image is loaded at RAM base + its text_offset, an ELF file by
 * its segments' physical addresses, anything else as a flat binary at RAM
 * base + 2 MiB.  Whatever does not fit in guest memory is an error.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rvhv-run.h"

uint8_t *read_file(const char *path, size_t *size, const char *what)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st))
		die("%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s %s: not a regular file", what, path);
	if (st.st_size == 0)
		die("%s %s: empty file", what, path);
	if ((unsigned long long)st.st_size > ram_size)
		die("%s %s: %lld bytes, larger than guest memory (%lu MiB)",
		    what, path, (long long)st.st_size, opt.mem_mb);
	buf = malloc(st.st_size);
	if (!buf)
		die("%s %s: out of memory", what, path);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s %s: read: %s", what, path,
			    n ? strerror(errno) : "short file");
		off += n;
	}
	close(fd);
	*size = off;
	return buf;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;	/* riscv64 and the test host are little-endian */
}

void copy_in(uint64_t gpa, const void *src, uint64_t len, uint64_t memsz,
	     const char *what)
{
	uint8_t *dst = gpa_ptr(gpa, memsz);

	if (!dst)
		die("%s does not fit in guest memory (0x%lx-0x%lx; --mem %lu): "
		    "needs 0x%llx-0x%llx", what, RAM_BASE, RAM_BASE + ram_size,
		    opt.mem_mb, (unsigned long long)gpa,
		    (unsigned long long)(gpa + memsz));
	memcpy(dst, src, len);
	memset(dst + len, 0, memsz - len);
}

/*
 * A Linux RISC-V Image (Documentation/arch/riscv/boot-image-header.rst):
 * 64-byte header, text_offset at 8, image_size at 16, magic "RISCV\0\0\0"
 * at 48 (deprecated) and magic2 "RSC\x05" at 56.
 */
static bool is_linux_image(const uint8_t *b, size_t size)
{
	return size >= 64 && (!memcmp(b + 48, "RISCV\0\0\0", 8) ||
			      !memcmp(b + 56, "RSC\x05", 4));
}

static void load_linux_image(const uint8_t *b, size_t size, struct image *img)
{
	uint64_t text_offset = le64(b + 8), image_size = le64(b + 16);

	if (text_offset % SZ_2M)
		die("kernel %s: corrupt Image header: text_offset 0x%llx is not "
		    "2 MiB aligned", opt.kernel, (unsigned long long)text_offset);
	if (image_size < size || image_size > ram_size)
		die("kernel %s: corrupt Image header: image_size 0x%llx for a "
		    "file of 0x%zx bytes", opt.kernel,
		    (unsigned long long)image_size, size);
	copy_in(RAM_BASE + text_offset, b, size, image_size, "the kernel");
	img->entry = RAM_BASE + text_offset;
	img->end = img->entry + image_size;
	img->kind = "Image";
}

static void load_elf(const uint8_t *b, size_t size, struct image *img)
{
	const Elf64_Ehdr *eh = (const void *)b;
	uint64_t end = 0;
	int i, loaded = 0;

	if (size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_RISCV)
		die("kernel %s: not a 64-bit little-endian RISC-V ELF file",
		    opt.kernel);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		die("kernel %s: corrupt ELF program headers", opt.kernel);
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, b + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset ||
		    ph.p_filesz > ph.p_memsz)
			die("kernel %s: corrupt ELF segment %d", opt.kernel, i);
		copy_in(ph.p_paddr, b + ph.p_offset, ph.p_filesz, ph.p_memsz,
			"an ELF segment of the kernel");
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
		loaded++;
	}
	if (!loaded)
		die("kernel %s: ELF file without a loadable segment", opt.kernel);
	if (!gpa_ptr(eh->e_entry, 4))
		die("kernel %s: ELF entry 0x%llx outside guest memory",
		    opt.kernel, (unsigned long long)eh->e_entry);
	img->entry = eh->e_entry;
	img->end = end;
	img->kind = "ELF";
}

/* Anything else is a flat binary, loaded and entered at RAM base + 2 MiB. */
static void load_flat(const uint8_t *b, size_t size, struct image *img)
{
	copy_in(RAM_BASE + SZ_2M, b, size, size, "the kernel");
	img->entry = RAM_BASE + SZ_2M;
	img->end = img->entry + size;
	img->kind = "flat binary";
}

/* The kernel at --kernel, by its kind; img says where it went. */
void load_kernel(const char *path, struct image *img)
{
	uint8_t *buf;
	size_t size;

	buf = read_file(path, &size, "kernel");
	if (is_linux_image(buf, size))
		load_linux_image(buf, size, img);
	else if (size >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG))
		load_elf(buf, size, img);
	else
		load_flat(buf, size, img);
	free(buf);
}
