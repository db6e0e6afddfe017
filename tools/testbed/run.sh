#!/bin/bash
# make run: the main job.  Boot the test host under QEMU, load rvhv.ko, show
# what /dev/rvhv reports (rvhv-info), then boot a Linux guest on it with
# rvhv-run: the guest kernel of tools/guest/guest-kernel.config and its tiny
# initramfs (tools/guest/init.c), whose console appears on the terminal.
# Succeeds when the guest powered off cleanly (rvhv-run exit 0).
#
# Environment: RVHV_GUEST_CPUS (default 2), RVHV_GUEST_DEV=kvm to boot the
# guest on kvm.ko's /dev/kvm instead, RVHV_GUEST_ARGS (more rvhv-run
# options, e.g. "--cmdline quiet").
set -euo pipefail
. "$(dirname "$0")/common.sh"

make -s -C "$KDIR" M="$top" modules
build_host_tools
"$top/tools/guest/build.sh" "$out"

dev=rvhv devopt=/dev/rvhv
[ "${RVHV_GUEST_DEV:-rvhv}" = kvm ] && dev=kvm devopt=/dev/kvm
{
	echo "/bin/rvhv-info 60"
	echo "/bin/rvhv-run 900 $dev --dev $devopt --cpus ${RVHV_GUEST_CPUS:-2}" \
	     "--kernel /lib/guest-Image --initrd /lib/guest-initramfs.cpio" \
	     "--stats ${RVHV_GUEST_ARGS:-}"
} > "$out/list-run"
KDIR=$KDIR "$top/tools/testbed/mkinitramfs.sh" "$out/run.cpio" "$out/init" \
	"/lib/modules/rvhv.ko=$top/rvhv.ko" \
	"/lib/modules/kvm.ko=$KDIR/arch/riscv/kvm/kvm.ko" \
	"/bin/rvhv-info=$out/rvhv-info" "/bin/rvhv-run=$out/rvhv-run" \
	"/lib/guest-Image=$out/guest/Image" \
	"/lib/guest-initramfs.cpio=$out/guest/initramfs.cpio" \
	"/tests/list-run=$out/list-run"
RVHV_TIMEOUT=${RVHV_TIMEOUT:-1200} \
	"$top/tools/testbed/run-qemu.sh" "${1:-run}" "$out/run.cpio" \
	"$out/qemu-run.log"
grep -q '^RVHV-DONE' "$out/qemu-run.log"
grep -Eq '^RVHV-END /bin/rvhv-run(@kvm)? exit=0' "$out/qemu-run.log"
