#!/bin/bash
# Guest boot time, rvhv vs kvm.ko: rvhv-run boots the guest of tools/guest
# (1 vCPU) on /dev/rvhv and on /dev/kvm in the same QEMU run, and reports
# the time from the first KVM_RUN to the guest init's first output
# ("rvhv-guest:"), as measured by rvhv-run --stats --time-mark.
#
# Two QEMU runs: a normal one (wall time inside the test host, 2 harts),
# and one with -icount shift=0 on one hart, where the test host's clock
# counts instructions (1 ns = 1 instruction), so the figure is executed
# instructions.  RVHV_BOOT_RUNS boots per device and run (default 2);
# RVHV_BOOT_ICOUNT=0 skips the -icount run; RVHV_BOOT_ARGS adds rvhv-run
# options (e.g. --stats-report: the exits by reason, from KVM_GET_STATS_FD).
# Logs: build/qemu-boot-*.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

make -s -C "$KDIR" M="$top" modules
build_host_tools
"$top/tools/guest/build.sh" "$out"

runs=${RVHV_BOOT_RUNS:-2}
list=$out/bench-boot.list
args="--kernel /lib/guest-Image --initrd /lib/guest-initramfs.cpio --cpus 1"
args+=" --mem 128 --stats --time-mark rvhv-guest:${RVHV_BOOT_ARGS:+ $RVHV_BOOT_ARGS}"
: > "$list"
# rvhv first, before kvm.ko is loaded (init loads it for the kvm lines).
for i in $(seq "$runs"); do
	echo "/bin/rvhv-run 900 rvhv --dev /dev/rvhv $args" >> "$list"
done
for i in $(seq "$runs"); do
	echo "/bin/rvhv-run 900 kvm --dev /dev/kvm $args" >> "$list"
done
"$top/tools/testbed/mkinitramfs.sh" "$out/bench-boot.cpio" "$out/init" \
	"/lib/modules/rvhv.ko=$top/rvhv.ko" \
	"/lib/modules/kvm.ko=$KDIR/arch/riscv/kvm/kvm.ko" \
	"/bin/rvhv-run=$out/rvhv-run" \
	"/lib/guest-Image=$out/guest/Image" \
	"/lib/guest-initramfs.cpio=$out/guest/initramfs.cpio" \
	"/tests/list-bench=$list"

# Per device: the mean of the "'rvhv-guest:' at X s" figures, times SCALE.
report() {	# report LOG UNIT SCALE
	tr -d '\r' < "$1" | awk -v unit="$2" -v scale="$3" '
		/^RVHV-BEGIN / { dev = ($2 ~ /@kvm$/) ? "kvm" : "rvhv" }
		/^RVHV-END / && !/exit=0/ { bad[dev]++ }
		/stats: guest ran/ {
			for (i = 1; i <= NF; i++)
				if ($i == "\047rvhv-guest:\047") {
					sum[dev] += $(i + 2); n[dev]++
				}
		}
		END {
			for (d = 0; d < 2; d++) {
				dev = d ? "rvhv" : "kvm"
				v[dev] = n[dev] ? sprintf("%.3f", sum[dev] / n[dev] * scale) : "n/a"
			}
			ratio = (n["kvm"] && n["rvhv"]) ? sprintf("%.2f", v["rvhv"] / v["kvm"]) : "n/a"
			printf "%-26s %14s %14s %10s  (%d+%d boots%s)\n", "guest boot to init, " unit,
			       v["kvm"], v["rvhv"], ratio, n["kvm"], n["rvhv"],
			       (bad["kvm"] + bad["rvhv"]) ? ", some failed" : ""
		}'
}

log=$out/qemu-boot-wall.log
RVHV_TIMEOUT=${RVHV_TIMEOUT:-1800} "$top/tools/testbed/run-qemu.sh" bench \
	"$out/bench-boot.cpio" "$log" > "$out/qemu-boot-wall.out"
printf "%-26s %14s %14s %10s\n" "" "kvm.ko" "rvhv" "rvhv/kvm"
report "$log" "s" 1
if [ "${RVHV_BOOT_ICOUNT:-1}" = 1 ]; then
	log=$out/qemu-boot-icount.log
	RVHV_SMP=1 RVHV_ICOUNT=1 RVHV_TIMEOUT=${RVHV_TIMEOUT:-1800} \
		"$top/tools/testbed/run-qemu.sh" bench "$out/bench-boot.cpio" \
		"$log" > "$out/qemu-boot-icount.out"
	report "$log" "Minsns" 1000
fi
