#!/bin/bash
# Boot the test host under QEMU and run one job of /init.
#
# usage: run-qemu.sh JOB INITRAMFS LOG [extra qemu args...]
#   JOB        check | run | bench | noh (see init.c)
#   INITRAMFS  the cpio archive built by mkinitramfs.sh
#   LOG        the console is copied here (and to stdout)
# Environment: KDIR (kernel build dir), RVHV_TIMEOUT (wall-clock seconds,
# default 1200), RVHV_CPU (default rv64,h=true), RVHV_SMP (default 2),
# RVHV_MEM (default 2G), RVHV_ICOUNT=1 for -icount shift=0, RVHV_APPEND
# (more kernel command line, e.g. rvhv.list=/tests/list-aia).
# The host matrix (make check-matrix): RVHV_QEMU picks the QEMU (unset: the
# machine's qemu-system-riscv64; 10: Debian 13's, from qemu10.sh; or a path),
# RVHV_CPU_OPTS is appended to the -cpu model (e.g. ",smstateen=true") and
# RVHV_MACHINE_OPTS to -M virt (e.g. ",aia=aplic-imsic"), and RVHV_BIOS
# replaces -bios default (the chosen QEMU's OpenSBI) with a firmware file.
# The command line is the log's first line (RVHV-QEMU).
set -euo pipefail

job=$1 initrd=$2 log=$3
shift 3
: "${KDIR:?KDIR must name the kernel build directory}"
timeout=${RVHV_TIMEOUT:-1200}
cpu=${RVHV_CPU:-rv64,h=true}${RVHV_CPU_OPTS:-}
machine=virt${RVHV_MACHINE_OPTS:-}
case ${RVHV_QEMU:-} in
"") qemu=qemu-system-riscv64 ;;
10) qemu=$("$(dirname "$0")/qemu10.sh") ;;
*) qemu=$RVHV_QEMU ;;
esac
icount=()
[ "${RVHV_ICOUNT:-0}" = 1 ] && icount=(-icount shift=0)

# The QEMU version goes to the tests (rvhv.qemu=, $RVHV_QEMU in /init): a few
# must avoid a known defect of QEMU's (Documentation/rvhv.rst).
qemu_version=$("$qemu" --version |
	sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p')

# -no-reboot turns a kernel panic (panic=-1 reboots at once) into a QEMU exit,
# and `timeout` bounds everything else: CI can never hang here.  The test
# host's CPU watchdog (init.c) says RVHV-ALIVE every 5 s; when it reports a
# wedged CPU (RVHV-WEDGED) and the host does not power itself off within
# 10 s, or when it has said nothing for SILENT_S seconds (the whole machine
# is wedged), QEMU is stopped.  The silence counts only while QEMU gets
# the CPU: it must also have used SILENT_S / 2 CPU seconds since the last
# heartbeat (a test host spinning in a wedge burns a CPU; one starved by
# other work on this machine, a nice'd make fuzz beside a make check, does
# not, and its guest time stands still), or the silence must reach
# 5 * SILENT_S (a host wedged with its CPUs halted).
cmd=("$qemu" -M "$machine" -cpu "$cpu" -smp "${RVHV_SMP:-2}"
     -m "${RVHV_MEM:-2G}" -nographic -no-reboot -bios "${RVHV_BIOS:-default}"
     "${icount[@]}"
     -kernel "$KDIR/arch/riscv/boot/Image" -initrd "$initrd"
     -append "console=ttyS0 loglevel=5 panic=-1 rvhv.job=$job rvhv.qemu=${qemu_version:-unknown}${RVHV_APPEND:+ $RVHV_APPEND}"
     "$@")
set +e
echo "RVHV-QEMU $("$qemu" --version | head -1): ${cmd[*]}" > "$log"
SILENT_S=60
# A boot that never reaches /init (its RVHV-JOB line; seen twice with QEMU
# 7.2 on a machine at load 15-20: nothing after OpenSBI's banner) is
# stopped after BOOT_S (RVHV_BOOT_TIMEOUT) and booted once more: no test
# has run yet, so nothing is lost or repeated.
BOOT_S=${RVHV_BOOT_TIMEOUT:-300}
stopped=0 boots=0 start=$SECONDS
# QEMU's CPU seconds so far (user and system), 0 if it is not there.
qemu_cpu() {
	local p
	p=$(pgrep -P "$qpid" | head -1)
	[ -n "$p" ] && ps -o times= -p "$p" 2>/dev/null | tr -d ' ' || echo 0
}
stop_qemu() {
	echo "RVHV-ERROR qemu: $1" | tee -a "$log"
	pkill -KILL -P "$qpid"
	kill -KILL "$qpid"
	stopped=1
}
while :; do
boots=$((boots + 1))
timeout --foreground -k 10 "$((timeout - (SECONDS - start)))" \
	"${cmd[@]}" </dev/null > >(tee -a "$log") 2>&1 &
qpid=$!
wedged=0 alive=0 alive_at=$SECONDS alive_cpu=0 booted_at=$SECONDS
base=$(grep -c 'RVHV-ALIVE' "$log") jobs=$(grep -c 'RVHV-JOB' "$log")
while kill -0 "$qpid" 2>/dev/null; do
	n=$(($(grep -c 'RVHV-ALIVE' "$log") - base))
	if [ "$n" != "$alive" ]; then
		alive=$n alive_at=$SECONDS alive_cpu=$(qemu_cpu)
	fi
	silent=$((SECONDS - alive_at))
	silent_cpu=0
	[ "$silent" -ge $SILENT_S ] &&
		silent_cpu=$(($(qemu_cpu) - alive_cpu))
	if [ "$wedged" = 0 ] && grep -q 'RVHV-WEDGED' "$log"; then
		wedged=$SECONDS
	elif [ "$wedged" != 0 ] && [ $((SECONDS - wedged)) -ge 10 ]; then
		stop_qemu "stopped after the CPU watchdog fired"
		break
	elif [ "$alive" != 0 ] && ! grep -q '^RVHV-DONE' "$log" &&
	     [ "$silent" -ge $SILENT_S ] &&
	     { [ "$silent_cpu" -ge $((SILENT_S / 2)) ] ||
	       [ "$silent" -ge $((5 * SILENT_S)) ]; }; then
		stop_qemu "no heartbeat from the test host for ${silent}s (QEMU used ${silent_cpu} CPU seconds meanwhile): a CPU (or the whole machine) is wedged; stopped"
		break
	elif [ "$boots" = 1 ] &&
	     [ "$(grep -c 'RVHV-JOB' "$log")" = "$jobs" ] &&
	     [ $((SECONDS - booted_at)) -ge "$BOOT_S" ] &&
	     [ $((timeout - (SECONDS - start))) -gt "$BOOT_S" ]; then
		echo "RVHV-NOTE qemu: the test host did not reach /init in ${BOOT_S}s; booting it again" | tee -a "$log"
		pkill -KILL -P "$qpid"
		kill -KILL "$qpid"
		wait "$qpid"
		continue 2
	fi
	sleep 1
done
break
done
wait "$qpid"
rc=$?
# Let tee finish copying the console.
sleep 0.2
set -e
if [ "$stopped" = 0 ] && { [ "$rc" = 124 ] || [ "$rc" = 137 ]; }; then
	echo "RVHV-ERROR qemu: wall-clock limit of ${timeout}s reached" | tee -a "$log"
fi
exit 0
