# Sourced by check.sh and run.sh: set up the tools, the kernel and the
# module, and build the userspace pieces the QEMU test host runs.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${RVHV_OUT:-$top/build}
mkdir -p "$out"
cd "$top"

"$top/tools/testbed/deps.sh" || exit 1
# RVHV_KERNEL=sanitize: the test kernel plus tools/testbed/sanitize.config
# (KASAN, UBSAN, KFENCE), built and cached like the test kernel.
if [ "${RVHV_KERNEL:-test}" = sanitize ]; then
	sk=$out/sanitize-kernel
	mkdir -p "$sk"
	cp "$top/tools/testbed/build-kernel.sh" "$sk/"
	cat "$top/tools/testbed/kernel.config" \
		"$top/tools/testbed/sanitize.config" > "$sk/kernel.config"
	KDIR=$("$sk/build-kernel.sh") || exit 1
else
	KDIR=$("$top/tools/testbed/build-kernel.sh") || exit 1
fi
export KDIR
KSRC=$(readlink -f "$KDIR/source")
KHDR=$KDIR/usr-headers
CROSS_CC=riscv64-linux-gnu-gcc
export ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-

# Userspace programs of the test host itself (not tests).
build_host_tools() {
	$CROSS_CC -static -O2 -Wall -Wextra -o "$out/init" \
		"$top/tools/testbed/init.c" &&
	$CROSS_CC -static -O2 -Wall -Wextra -I"$top/uapi" \
		-I"$KHDR/include" -o "$out/rvhv-info" \
		"$top/tools/testbed/rvhv-info.c" &&
	make -s -C "$top/tools/rvhv-stat" KHDR="$KHDR" OUT="$out"
}
