#!/bin/bash
# Build what rvhv-run needs to boot its guest, into OUT:
#   OUT/rvhv-run       the VMM (tools/rvhv-run)
#   OUT/guest/Image    the guest kernel (tools/guest/guest-kernel.config,
#                      built once and cached by build-kernel.sh)
#   OUT/guest/initramfs.cpio   the tiny initramfs: /init is tools/guest/init.c
#   OUT/guest/hello.elf, hello.bin   a bare guest (hello.S) as ELF and flat
#
# usage: build.sh OUT   (with KDIR, the test host kernel, as set by common.sh)
set -euo pipefail
: "${KDIR:?KDIR must name the test host kernel build directory}"
KSRC=$(readlink -f "$KDIR/source")
KHDR=$KDIR/usr-headers
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1
mkdir -p "$out/guest"

gdir=$("$top/tools/testbed/build-kernel.sh" "$here/guest-kernel.config")
cp "$gdir/arch/riscv/boot/Image" "$out/guest/Image"
make -s -C "$top/tools/rvhv-run" KSRC="$KSRC" KHDR="$KHDR" OUT="$out"
riscv64-linux-gnu-gcc -static -Os -Wall -Wextra -o "$out/guest/init" \
	"$here/init.c"
"$top/tools/testbed/mkinitramfs.sh" "$out/guest/initramfs.cpio" \
	"$out/guest/init"
riscv64-linux-gnu-gcc -nostdlib -static -Wl,-Ttext=0x80200000 \
	-Wl,--build-id=none -o "$out/guest/hello.elf" "$here/hello.S"
riscv64-linux-gnu-objcopy -O binary "$out/guest/hello.elf" \
	"$out/guest/hello.bin"
