#!/bin/bash
# make check: install what is missing, build everything, run every test
# (host-side checks, then the selftests inside QEMU), and end with
# "N passed, N failed, N skipped".  Exits non-zero on any failure.
#
# For development, RVHV_ONLY="prog prog@kvm ..." builds the same way but
# runs only those programs in QEMU (prog@kvm: against kvm.ko), skipping
# the host-side checks and the no-H boot.  RVHV_OUT=dir keeps the build
# products and logs there instead of build/ (for parallel runs).
# RVHV_TEST_TIMEOUT (default 300) is each program's limit in seconds;
# RVHV_FUZZ_SEED and RVHV_FUZZ_OPS go to fuzz_test (see make fuzz);
# RVHV_TEST_ENV="NAME=VALUE ..." to every program in QEMU.
# RVHV_KERNEL=sanitize runs it all on the sanitizer kernel (KASAN, UBSAN,
# KFENCE; make check-sanitize), without repeating sparse and checkpatch.
# RVHV_QEMU, RVHV_CPU_OPTS, RVHV_MACHINE_OPTS and RVHV_BIOS choose the
# test host (see run-qemu.sh; make check-matrix uses them).
set -uo pipefail
. "$(dirname "$0")/common.sh"

passed=0 failed=0 skipped=0
t0=$SECONDS

count() {	# count KIND WHAT
	echo "$1 $2"
	case $1 in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	esac
}

# A host-side check: PASS when the command succeeds and its log has no line
# matching the pattern (if one is given).
host_check() {	# host_check NAME LOG PATTERN CMD...
	local name=$1 log=$2 pat=$3
	shift 3
	if "$@" > "$log" 2>&1 && { [ -z "$pat" ] || ! grep -Eq "$pat" "$log"; }; then
		count PASS "host: $name"
	else
		count FAIL "host: $name (see $log)"
		[ -z "$pat" ] || grep -E "$pat" "$log" | head -20
		tail -5 "$log"
	fi
}

# Results of a QEMU boot, as parsed from its console log.
boot_results() {	# boot_results LOG [PREFIX]
	local line p=${2:-qemu}
	while read -r line; do
		case $line in
		RESULT*) ;;
		PASS*) count PASS "$p: ${line#PASS }" ;;
		FAIL*) count FAIL "$p: ${line#FAIL }" ;;
		SKIP*) count SKIP "$p: ${line#SKIP }" ;;
		esac
	done < <(awk -f "$top/tools/testbed/parse-results.awk" "$1")
}

echo "== host checks"
# $out/selftests stays: its Makefile rebuilds what changed (every
# program depends on every header and on the Makefile).
rm -rf "$out/init" "$top/rvhv.ko"
host_check "rvhv.ko builds with W=1, no warnings" "$out/build.log" \
	'warning:|error:' make -C "$KDIR" M="$top" W=1 modules
# sparse (on a copy of the module's sources: install-check.sh runs
# kbuild in the tree meanwhile) and checkpatch run in the background
# while the selftests and the guest build; their results are counted at
# lint_results.
lint_pid=
if [ -z "${RVHV_ONLY:-}" ] && [ "${RVHV_KERNEL:-test}" = test ]; then
	(
		rm -rf "$out/lint-src" && mkdir -p "$out/lint-src" &&
			git -C "$top" ls-files -co --exclude-standard |
			grep -v -e '^selftests/' -e '^tools/' \
			-e '^Documentation/' -e '^build/' |
			rsync -a --files-from=- "$top/" "$out/lint-src/"
		host_check "sparse (C=2) clean" "$out/sparse.log" \
			'warning:|error:' make -C "$KDIR" M="$out/lint-src" \
			W=1 C=2 CHECK="$top/tools/testbed/sparse.sh" modules
		host_check "checkpatch --no-tree -f clean" \
			"$out/checkpatch.log" '' make -s checkpatch KDIR="$KDIR"
		# A merge's leftovers: conflict markers, a broken rst table.
		host_check "no merge conflict markers" "$out/markers.log" \
			'' bash -c "! git -C '$top' grep -n -E \
			'^(<<<<<<<|>>>>>>>)( |\$)' -- ':!build'"
		host_check "Documentation/*.rst parses (docutils)" \
			"$out/doccheck.log" '' "$top/tools/testbed/doccheck.py" \
			"$top"/Documentation/*.rst
	) > "$out/lint.out" 2>&1 &
	lint_pid=$!
fi
lint_results() {
	local kind rest
	[ -n "$lint_pid" ] || return 0
	wait "$lint_pid"
	lint_pid=
	while read -r kind rest; do
		case $kind in
		PASS | FAIL | SKIP) count "$kind" "$rest" ;;
		*) echo "$kind $rest" ;;
		esac
	done < "$out/lint.out"
}
# Installing like a driver (install-check.sh: DKMS, make install and
# uninstall into staging roots), for install_test.  In the background,
# beside the builds below (DKMS builds rvhv once more); not before here,
# where nothing else runs kbuild in $top any more (make install does).
# Its result is kept with a key of everything it installs from (the
# module's sources, the install files, the kernel): a run with the same
# key reuses it (about 40 s of a warm make check).
install_pid=""
install_key=$( {
	echo "$KDIR"
	git -C "$top" ls-files -co --exclude-standard |
		grep -v -e '^selftests/' -e '^tools/rvhv-run/' -e '^tools/guest/' \
		-e '^tools/rvhv-stat/' -e '^Documentation/' -e '^build/' |
		sort | (cd "$top" && xargs -d '\n' sha256sum)
} | sha256sum | cut -c1-32)
case " ${RVHV_ONLY:-install_test} " in
*" install_test "* | *" install_test@kvm "*)
	if [ "$(cat "$out/install/.key" 2>/dev/null)" = "$install_key" ] &&
	   grep -q '^== install-check: done' "$out/install-check.out"; then
		install_pid=reused
	else
		rm -f "$out/install/.key"
		{
			"$top/tools/testbed/install-check.sh" "$out/install" &&
				echo "$install_key" > "$out/install/.key"
		} > "$out/install-check.out" 2>&1 &
		install_pid=$!
	fi
	;;
esac
install_wait() {
	local rc=0

	[ "$install_pid" = reused ] || { wait "$install_pid"; rc=$?; }
	cat "$out/install-check.out"
	[ "$install_pid" != reused ] || echo "(reused: nothing it installs from has changed)"
	return $rc
}
only_targets=()
for t in ${RVHV_ONLY:-}; do
	only_targets+=("$out/selftests/${t%@kvm}")
done
[ -z "${RVHV_ONLY:-}" ] || only_targets+=("$out/selftests/noh_test")
host_check "selftests build" "$out/selftests-build.log" 'warning:|error:' \
	make -j3 -C selftests KSRC="$KSRC" KHDR="$KHDR" OUT="$out/selftests" \
	"${only_targets[@]}"
host_check "test host userspace builds" "$out/host-tools.log" \
	'warning:|error:' build_host_tools
# rvhv-run and its guest (kernel, initramfs), for vmm_test (and its bare
# guests: for rvhvstat_test, and gdb-guest.elf for debug_test).
guest_files=()
case " ${RVHV_ONLY:-vmm_test} " in
*" vmm_test "* | *" vmm_test@kvm "* | *" vmm_aia_test"* | *" rvhvstat_test"* | \
*" debug_test"* | *" migrate_test"*)
	host_check "rvhv-run and the guest build" "$out/guest-build.log" \
		'warning:|error:' "$top/tools/guest/build.sh" "$out"
	# QEMU 10 from Debian 13 (riscv64), the general-purpose VMM.
	vmm_qemu=$("$top/tools/testbed/vmm-qemu.sh") ||
		count FAIL "riscv64 QEMU for the test host (vmm-qemu.sh)"
	guest_files=("/bin/rvhv-run=$out/rvhv-run"
		     ${vmm_qemu:+"/=$vmm_qemu"}
		     "/lib/guest-Image=$out/guest/Image"
		     "/lib/guest-initramfs.cpio=$out/guest/initramfs.cpio"
		     "/lib/guest-hello.elf=$out/guest/hello.elf"
		     "/lib/guest-hello.bin=$out/guest/hello.bin"
		     "/lib/guest-virtio-hostile.elf=$out/guest/virtio-hostile.elf"
		     "/lib/guest-gdb.elf=$out/guest/gdb-guest.elf")
	;;
esac

# install_test's trees: what was installed, and Debian 13's udev and kmod.
install_files=()
if [ -n "$install_pid" ]; then
	host_check "installs: DKMS (cross build), make install, make uninstall" \
		"$out/install.log" '' install_wait
	grep -q '^== install-check: done' "$out/install.log" &&
		install_files=("/=$out/install/root"
			       "/install/dkms=$out/install/dkms-root")
	userland=$("$top/tools/testbed/install-userland.sh") &&
		install_files+=("/=$userland") ||
		count FAIL "riscv64 udev and kmod for the test host (install-userland.sh)"
fi

if [ ! -f "$top/rvhv.ko" ] || [ ! -x "$out/init" ]; then
	count FAIL "qemu: not run, the build failed"
else
	tests=$(make -s -C selftests print-tests)
	aia_tests=$(make -s -C selftests print-aia-tests)
	p550_tests=$(make -s -C selftests print-p550-tests)
	kvm_tests=$(make -s -C selftests print-kvm-tests)
	# A whole make check keeps within its time by leaving kvm.ko's
	# other Linux boots to make check-matrix (its smstateen host runs
	# them whole): vmm_test@kvm boots Linux on kvm.ko once, under QEMU
	# with virtio devices (issue 9's reference run), and
	# migrate_test@kvm moves it live (issue 11's).
	# RVHV_ONLY="vmm_test@kvm" runs it whole.
	kvm_vmm_env=""
	if [ -z "${RVHV_ONLY:-}" ]; then
		kvm_vmm_env=" env:RVHV_VMM_CASES=qemu_boots_guest"
	fi
	if [ -n "${RVHV_ONLY:-}" ]; then
		tests="" kvm_tests=""
		for t in $RVHV_ONLY; do
			case $t in
			*@kvm) kvm_tests+=" ${t%@kvm}" ;;
			*) tests+=" $t" ;;
			esac
		done
	fi
	list=$out/tests.list
	files=("/lib/modules/rvhv.ko=$top/rvhv.ko"
	       "/lib/modules/kvm.ko=$KDIR/arch/riscv/kvm/kvm.ko"
	       "/bin/rvhv-info=$out/rvhv-info"
	       "/bin/rvhv-stat=$out/rvhv-stat"
	       "/tests/list=$list"
	       "/tests/list-noh=$out/tests-noh.list"
	       "/tests/noh_test=$out/selftests/noh_test"
	       "/tests/list-aia=$out/tests-aia.list"
	       "/tests/list-p550=$out/tests-p550.list"
	       "${guest_files[@]}" "${install_files[@]}")
	: > "$list"
	for t in $(echo $tests $kvm_tests | tr ' ' '\n' | sort -u); do
		files+=("/tests/$t=$out/selftests/$t")
	done
	# fuzz_test takes its seed and length from the host's environment
	# (make fuzz sets them; make check runs the short fixed-seed form).
	# RVHV_TEST_ENV="NAME=VALUE ..." goes to every program.
	fuzz_env="env:RVHV_FUZZ_SEED=${RVHV_FUZZ_SEED:-1} env:RVHV_FUZZ_OPS=${RVHV_FUZZ_OPS:-2000}"
	test_env=""
	for e in ${RVHV_TEST_ENV:-}; do
		test_env+=" env:$e"
	done
	limit=${RVHV_TEST_TIMEOUT:-300}
	for t in $tests; do
		case $t in
		fuzz_test) echo "$t $limit rvhv $fuzz_env$test_env" ;;
		*) echo "$t $limit rvhv$test_env" ;;
		esac >> "$list"
	done
	# The same programs against kvm.ko: the ABI's reference.
	for t in $kvm_tests; do
		case $t in
		fuzz_test) echo "$t $limit kvm $fuzz_env$test_env" ;;
		vmm_test) echo "$t $limit kvm$kvm_vmm_env$test_env" ;;
		*) echo "$t $limit kvm$test_env" ;;
		esac >> "$list"
	done
	echo "noh_test 60" > "$out/tests-noh.list"
	# The AIA host's programs: those whose cases need an AIA host
	# (Ssaia, IMSIC guest files), rvhv and kvm.ko.
	: > "$out/tests-aia.list"
	for t in $aia_tests; do
		case " $tests " in
		*" $t "*) echo "$t $limit rvhv$test_env" ;;
		esac
	done >> "$out/tests-aia.list"
	for t in $aia_tests; do
		case " $kvm_tests " in
		*" $t "*) echo "$t $limit kvm$test_env" ;;
		esac
	done >> "$out/tests-aia.list"
	# The P550-like host's programs (rvhv only; of vmm_test, one Linux
	# boot with virtio devices).
	: > "$out/tests-p550.list"
	for t in $p550_tests; do
		case " $tests ",$t in
		*" $t "*,vmm_test) echo "$t $limit rvhv env:RVHV_VMM_CASES=virtio_devices$test_env" ;;
		*" $t "*) echo "$t $limit rvhv$test_env" ;;
		esac
	done >> "$out/tests-p550.list"
	# The boots, in parallel: the main list is split into $shards lists
	# (RVHV_SHARDS; 2 for a whole make check) that run on test hosts of
	# their own at once, and beside the last shard, one after another,
	# the host without H, the P550-like host and the AIA host.  Each
	# program stays in its list's order (rvhv before kvm.ko, install_test
	# and module_test early); the shards are balanced by each program's
	# time in the last run here ($out/qemu-check*.out), or else by
	# tools/testbed/test-weights.
	shards=${RVHV_SHARDS:-}
	[ -n "$shards" ] || { [ -z "${RVHV_ONLY:-}" ] && shards=2 || shards=1; }
	extra_boots=()
	[ -z "${RVHV_ONLY:-}" ] && extra_boots+=(noh)
	# The P550-like host: QEMU 7.2 without Sstc, rvhv with
	# debug_no_envcfg=1 (privileged spec 1.11: no henvcfg/senvcfg).
	# With RVHV_ONLY, only when RVHV_P550_HOST=1 asks for it.
	p550_host=${RVHV_P550_HOST:-}
	[ -n "$p550_host" ] || { [ -z "${RVHV_ONLY:-}" ] && p550_host=1; }
	[ "$p550_host" = 1 ] && [ -s "$out/tests-p550.list" ] &&
		extra_boots+=(p550)
	# QEMU 7.2's AIA machine disables the test host's UART
	# interrupt at boot ("irq 11: nobody cared"), so the AIA host
	# is QEMU 10's (tools/testbed/qemu10.sh: fetched once, cached),
	# with Smstateen: the host of issue 13's Smstateen subset
	# (stateen_test, and vmm_aia_test booting Linux there); and
	# with V (v=true, VLEN 128): vector_test runs there; and with
	# Zabha, Zacas, Zfbfmin, Zvfbfmin and Zvfbfwma, which QEMU 10's
	# rv64 lacks by default (its Svadu, Svvptc, Zicbop, Zaamo, Zalrsc
	# and Ziccrse are on): isa_test uses them all in a guest (kvm.ko
	# 6.12 has only Zacas of these).
	# With RVHV_ONLY, only when RVHV_AIA_HOST=1 asks for it.
	aia_host=${RVHV_AIA_HOST:-}
	[ -n "$aia_host" ] || { [ -z "${RVHV_ONLY:-}" ] && aia_host=1; }
	if [ "$aia_host" = 1 ] && [ -s "$out/tests-aia.list" ]; then
		if "$top/tools/testbed/qemu10.sh" > "$out/qemu10.log" 2>&1; then
			extra_boots+=(aia)
		else
			count FAIL "qemu-aia: QEMU 10 not available (see $out/qemu10.log)"
		fi
	fi
	# Each program's seconds: the last run's, else the checked-in ones.
	weights=$(mktemp)
	{
		cat "$top/tools/testbed/test-weights"
		cat "$out"/qemu-check*.out 2>/dev/null |
			awk '/^RVHV-END / && NF >= 4 { s = $4; sub(/s$/, "", s)
			     print $2, s + 0 }'
	} > "$weights"
	# The extra boots' time (they run after the last shard): the last
	# run's, else a minute each.
	extra_w=0
	for b in "${extra_boots[@]}"; do
		w=60
		[ -s "$out/qemu-$b.out" ] && w=$(awk '/^RVHV-END / && NF >= 4 {
			s = $4; sub(/s$/, "", s); t += s } END { print int(t) + 10 }' \
			"$out/qemu-$b.out")
		extra_w=$((extra_w + w))
	done
	rm -f "$out"/tests-shard*.list
	awk -v n="$shards" -v extra="$extra_w" -v dir="$out" '
		FILENAME != ARGV[2] { w[$1] = $2; next }
		{ line[++m] = $0; name = $1 ($3 == "kvm" ? "@kvm" : "")
		  wt[m] = (name in w) ? w[name] : 10 }
		END {
			for (s = 1; s <= n; s++) load[s] = 0
			if (n > 1) load[n] = extra
			# Longest first, each to the least loaded shard.
			for (k = 1; k <= m; k++) done[k] = 0
			for (c = 1; c <= m; c++) {
				best = 0
				for (k = 1; k <= m; k++)
					if (!done[k] && (!best || wt[k] > wt[best]))
						best = k
				done[best] = 1
				s = 1
				for (j = 2; j <= n; j++)
					if (load[j] < load[s]) s = j
				shard[best] = s; load[s] += wt[best]
			}
			for (s = 1; s <= n; s++)
				printf "" > (dir "/tests-shard" s ".list")
			for (k = 1; k <= m; k++)
				print line[k] >> (dir "/tests-shard" shard[k] ".list")
			for (s = 1; s <= n; s++)
				printf "shard %d: about %d s\n", s, load[s]
		}' "$weights" "$list"
	rm -f "$weights"

	for s in $(seq 1 "$shards"); do
		files+=("/tests/list-shard$s=$out/tests-shard$s.list")
	done
	rm -f "$out/check.cpio"
	host_check "initramfs packs" "$out/initramfs.log" '' \
		"$top/tools/testbed/mkinitramfs.sh" "$out/check.cpio" \
		"$out/init" "${files[@]}"

	boot() {	# boot KIND LOG: one test host, console to LOG
		case $1 in
		shard*)
			RVHV_TIMEOUT=${RVHV_TIMEOUT:-1800} RVHV_APPEND="rvhv.list=/tests/list-$1" \
				"$top/tools/testbed/run-qemu.sh" check \
				"$out/check.cpio" "$2" ;;
		noh)
			RVHV_CPU=rv64,h=false RVHV_TIMEOUT=300 \
				"$top/tools/testbed/run-qemu.sh" noh \
				"$out/check.cpio" "$2" ;;
		p550)
			RVHV_CPU_OPTS=",sstc=false" RVHV_TIMEOUT=600 \
			RVHV_APPEND="rvhv.list=/tests/list-p550 rvhv.modparams=debug_no_envcfg=1" \
				"$top/tools/testbed/run-qemu.sh" check \
				"$out/check.cpio" "$2" ;;
		aia)
			RVHV_QEMU=10 RVHV_TIMEOUT=600 RVHV_CPU_OPTS=",smstateen=true,v=true,zabha=true,zacas=true,zfbfmin=true,zvfbfmin=true,zvfbfwma=true" \
			RVHV_MACHINE_OPTS=",aia=aplic-imsic,aia-guests=2" \
			RVHV_APPEND="rvhv.list=/tests/list-aia" \
				"$top/tools/testbed/run-qemu.sh" check \
				"$out/check.cpio" "$2" ;;
		esac > "${2%.log}.out"
	}
	# The shards' logs (the first keeps its old name); an empty shard
	# (a short RVHV_ONLY list) does not boot.
	logs=() kinds=()
	for s in $(seq 1 "$shards"); do
		[ -s "$out/tests-shard$s.list" ] || continue
		kinds+=("shard$s")
		if [ "${#logs[@]}" = 0 ]; then
			logs+=("$out/qemu-check.log")
		else
			logs+=("$out/qemu-check-$s.log")
		fi
	done
	echo "== QEMU: the selftests on ${#logs[@]} test host(s) (H extension)${extra_boots[*]:+, then ${extra_boots[*]}}"
	pids=()
	for i in "${!logs[@]}"; do
		if [ "$i" = $((${#logs[@]} - 1)) ]; then
			(
				boot "${kinds[i]}" "${logs[i]}"
				for b in "${extra_boots[@]}"; do
					boot "$b" "$out/qemu-$b.log"
				done
			) &
		else
			boot "${kinds[i]}" "${logs[i]}" &
		fi
		pids+=($!)
	done
	if [ "${#logs[@]}" = 0 ]; then
		for b in "${extra_boots[@]}"; do
			boot "$b" "$out/qemu-$b.log"
		done
	fi
	wait "${pids[@]}"
	for l in "${logs[@]}"; do
		boot_results "$l"
	done
	for b in "${extra_boots[@]}"; do
		case $b in
		noh) boot_results "$out/qemu-noh.log" ;;
		*) boot_results "$out/qemu-$b.log" "qemu-$b" ;;
		esac
	done
fi
lint_results

echo "== done in $((SECONDS - t0))s; logs in $out"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
