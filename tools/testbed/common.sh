# Sourced by check.sh and run.sh: set up the tools, the kernel and the
# module, and build the userspace pieces the QEMU test host runs.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${RVHV_OUT:-$top/build}
mkdir -p "$out"
cd "$top"

"$top/tools/testbed/deps.sh" || exit 1
KDIR=$("$top/tools/testbed/build-kernel.sh") || exit 1
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
		"$top/tools/testbed/rvhv-info.c"
}
