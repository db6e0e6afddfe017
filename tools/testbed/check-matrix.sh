#!/bin/bash
# make check-matrix: the selftests on other test hosts than make check's,
# under QEMU 10 from Debian 13 (tools/testbed/qemu10.sh, fetched once and
# cached), one boot per configuration:
#
#   smstateen  -cpu rv64,h=true,smstateen=true   (hstateen0/sstateen0)
#   sv39       -cpu rv64,h=true,sv48=false,sv57=false   (Sv39-only host:
#              G-stage Sv39x4, guests limited to Sv39)
#   aia        -M virt,aia=aplic-imsic   (AIA host: APLIC + IMSIC, Ssaia)
#
# Each configuration runs every rvhv program and every kvm.ko reference
# program (prog@kvm) of make check but fuzz_test, builds first (W=1), and
# prints its own PASS/FAIL/SKIP lines prefixed with [name]; the last line
# is the sum, "N passed, N failed, N skipped".  Exits non-zero on any
# failure.  fuzz_test is left out: under QEMU 10 an operation costs about
# 20 times what it does under QEMU 7.2 (its 10000-operation short form
# would take over 5 minutes per configuration); make check and make fuzz
# run it.  To stay near 15 minutes, sv39 and aia also leave out
# vmm_test@kvm (kvm.ko booting Linux: rvhv's vmm_test still boots it on
# rvhv) and module_test (load/unload and per-CPU set-up: no Sv39 or AIA
# dependence; smstateen runs it), and migrate_test@kvm (kvm.ko's live
# migration: rvhv's migrate_test still moves the guest).  smstateen runs
# both, and is where vmm_test@kvm runs whole: make check runs one of its
# boots (qemu_boots_guest).
# Each configuration's programs run on two test hosts at once
# (RVHV_SHARDS, as in make check).  hostile_test is left out everywhere
# for now: two of its cases (HSM start at a misaligned pc, AMOs on MMIO)
# expect QEMU 7.2's traps and fail under QEMU 10 on kvm.ko and rvhv
# alike (KVM_RUN -EOPNOTSUPP).
#
# RVHV_MATRIX="smstateen aia" picks configurations; RVHV_MATRIX_ONLY="prog
# prog@kvm ..." the programs (default: as above; CI uses the default).
# RVHV_QEMU (default 10) picks the QEMU as in run-qemu.sh.
# Logs: $RVHV_OUT/matrix/<name>/ (RVHV_OUT defaults to build/).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=${RVHV_OUT:-$top/build}/matrix
mkdir -p "$out"
t0=$SECONDS

configs=${RVHV_MATRIX:-smstateen sv39 aia}
declare -A cpu_opts=(
	[smstateen]=",smstateen=true"
	[sv39]=",sv48=false,sv57=false"
	[aia]=""
)
declare -A machine_opts=(
	[smstateen]=""
	[sv39]=""
	[aia]=",aia=aplic-imsic"
)

qemu_sel=${RVHV_QEMU:-10}
if [ "$qemu_sel" = 10 ]; then
	# Fetch it once here, not inside each boot.
	"$top/tools/testbed/qemu10.sh" > /dev/null || {
		echo "FAIL matrix: QEMU 10 not available (tools/testbed/qemu10.sh)"
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	}
fi

only=${RVHV_MATRIX_ONLY:-}
if [ -z "$only" ]; then
	for t in $(make -s -C selftests print-tests); do
		[ "$t" = fuzz_test ] || only+=" $t"
	done
	for t in $(make -s -C selftests print-kvm-tests); do
		[ "$t" = fuzz_test ] || only+=" $t@kvm"
	done
fi

# Left out of a configuration unless RVHV_MATRIX_ONLY names programs.
# install_test everywhere: nothing in it depends on the host's CPU, and
# its host side builds rvhv once more (DKMS); make check runs it.
declare -A leave_out=(
	[smstateen]="hostile_test hostile_test@kvm install_test install_test@kvm"
	[sv39]="hostile_test hostile_test@kvm vmm_test@kvm module_test install_test install_test@kvm migrate_test@kvm"
	[aia]="hostile_test hostile_test@kvm vmm_test@kvm module_test install_test install_test@kvm migrate_test@kvm"
)

passed=0 failed=0 skipped=0 rc=0
for c in $configs; do
	if [ -z "${cpu_opts[$c]+x}" ]; then
		echo "FAIL [$c] no such configuration (smstateen, sv39, aia)"
		failed=$((failed + 1)) rc=1
		continue
	fi
	echo "== matrix: $c (QEMU $qemu_sel, -cpu rv64,h=true${cpu_opts[$c]}, -M virt${machine_opts[$c]})"
	log=$out/$c.log
	c0=$SECONDS
	progs="" lo=${leave_out[$c]}
	[ -z "${RVHV_MATRIX_ONLY:-}" ] || lo=""
	for t in $only; do
		case " $lo " in
		*" $t "*) ;;
		*) progs+=" $t" ;;
		esac
	done
	RVHV_OUT=$out/$c RVHV_QEMU=$qemu_sel RVHV_SHARDS=${RVHV_SHARDS:-2} RVHV_CPU_OPTS="${cpu_opts[$c]}" \
		RVHV_MACHINE_OPTS="${machine_opts[$c]}" RVHV_ONLY="$progs" \
		"$top/tools/testbed/check.sh" > "$log" 2>&1
	[ $? = 0 ] || rc=1
	sed -n -E "s/^(PASS|FAIL|SKIP) /\\1 [$c] /p" "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL [$c] check.sh printed no result line (see $log)"
		failed=$((failed + 1)) rc=1
		continue
	fi
	set -- $line
	passed=$((passed + $1)) failed=$((failed + $3))
	skipped=$((skipped + ${5:-0}))
	echo "== [$c] $line in $((SECONDS - c0))s; log $log"
done
echo "== matrix done in $((SECONDS - t0))s; logs in $out"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
