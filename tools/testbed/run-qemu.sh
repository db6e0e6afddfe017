#!/bin/bash
# Boot the test host under QEMU and run one job of /init.
#
# usage: run-qemu.sh JOB INITRAMFS LOG [extra qemu args...]
#   JOB        check | run | bench | noh (see init.c)
#   INITRAMFS  the cpio archive built by mkinitramfs.sh
#   LOG        the console is copied here (and to stdout)
# Environment: KDIR (kernel build dir), RVHV_TIMEOUT (wall-clock seconds,
# default 1200), RVHV_CPU (default rv64,h=true), RVHV_SMP (default 2),
# RVHV_MEM (default 2G), RVHV_ICOUNT=1 for -icount shift=0.
set -euo pipefail

job=$1 initrd=$2 log=$3
shift 3
: "${KDIR:?KDIR must name the kernel build directory}"
timeout=${RVHV_TIMEOUT:-1200}
cpu=${RVHV_CPU:-rv64,h=true}
icount=()
[ "${RVHV_ICOUNT:-0}" = 1 ] && icount=(-icount shift=0)

# -no-reboot turns a kernel panic (panic=-1 reboots at once) into a QEMU exit,
# and `timeout` bounds everything else: CI can never hang here.
set +e
timeout --foreground -k 10 "$timeout" \
	qemu-system-riscv64 -M virt -cpu "$cpu" -smp "${RVHV_SMP:-2}" \
	-m "${RVHV_MEM:-2G}" -nographic -no-reboot -bios default \
	"${icount[@]}" \
	-kernel "$KDIR/arch/riscv/boot/Image" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=5 panic=-1 rvhv.job=$job" \
	"$@" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "RVHV-ERROR qemu: wall-clock limit of ${timeout}s reached" | tee -a "$log"
fi
exit 0
