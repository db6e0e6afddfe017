#!/bin/bash
# make bench: boot the test host under QEMU with -icount shift=0 (one
# instruction = 1 ns of virtual time), on one hart, and run selftests/bench against
# /dev/rvhv and against /dev/kvm (kvm.ko) in the same boot; print, per
# operation, the instructions each costs and the ratio.  A device that
# cannot run the benchmark shows "n/a".  The console log is in
# build/qemu-bench.log (or $RVHV_OUT).
set -euo pipefail
. "$(dirname "$0")/common.sh"

make -s -C "$KDIR" M="$top" modules
build_host_tools
make -s -C selftests KSRC="$KSRC" KHDR="$KHDR" OUT="$out/selftests" \
	"$out/selftests/bench"

# rvhv first, before kvm.ko is loaded (init loads it for the kvm line).
list=$out/bench.list
printf 'bench 900\nbench 900 kvm\n' > "$list"
"$top/tools/testbed/mkinitramfs.sh" "$out/bench.cpio" "$out/init" \
	"/lib/modules/rvhv.ko=$top/rvhv.ko" \
	"/lib/modules/kvm.ko=$KDIR/arch/riscv/kvm/kvm.ko" \
	"/tests/bench=$out/selftests/bench" \
	"/tests/list-bench=$list"
log=$out/qemu-bench.log
# One hart: with -icount, QEMU 7.2 does not get a 2-hart host through boot.
RVHV_SMP=1 RVHV_ICOUNT=1 RVHV_TIMEOUT=${RVHV_TIMEOUT:-1200} \
	"$top/tools/testbed/run-qemu.sh" bench "$out/bench.cpio" "$log" \
	> "$out/qemu-bench.out"

tr -d '\r' < "$log" | awk '
	/^RVHV-BENCH / { v[$2, $3] = $4; if (!($3 in seen)) { seen[$3] = 1; ops[n++] = $3 } }
	/^# bench on / { notes[nn++] = $0 }
	/^RVHV-DONE/ { done = 1 }
	/^RVHV-ERROR/ { print "bench: " $0 > "/dev/stderr" }
	END {
		printf "%-12s %14s %14s %10s\n", "operation", "kvm.ko insns",
		       "rvhv insns", "rvhv/kvm"
		bad = !done || n == 0
		for (i = 0; i < n; i++) {
			k = v["kvm", ops[i]]; r = v["rvhv", ops[i]]
			if (k == "") k = "n/a"
			if (r == "") r = "n/a"
			ratio = "n/a"
			if (k != "n/a" && r != "n/a" && k > 0)
				ratio = sprintf("%.2f", r / k)
			printf "%-12s %14s %14s %10s\n", ops[i], k, r, ratio
			if (k == "n/a") bad = 1
		}
		for (i = 0; i < nn; i++)
			print notes[i]
		if (!done) print "bench: the boot did not complete (see the log)" > "/dev/stderr"
		exit bad
	}'
