#!/bin/bash
# make run: boot the test host under QEMU, load rvhv.ko and show what
# /dev/rvhv reports.  The console appears on the terminal.
set -euo pipefail
. "$(dirname "$0")/common.sh"

make -s -C "$KDIR" M="$top" modules
build_host_tools
KDIR=$KDIR "$top/tools/testbed/mkinitramfs.sh" "$out/run.cpio" "$out/init" \
	"/lib/modules/rvhv.ko=$top/rvhv.ko" "/bin/rvhv-info=$out/rvhv-info"
RVHV_TIMEOUT=${RVHV_TIMEOUT:-600} \
	"$top/tools/testbed/run-qemu.sh" "${1:-run}" "$out/run.cpio" \
	"$out/qemu-run.log"
grep -q '^RVHV-DONE' "$out/qemu-run.log"
