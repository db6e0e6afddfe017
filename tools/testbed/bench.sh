#!/bin/bash
# make bench: boot a host under QEMU with -icount shift=0 (one instruction
# = 1 ns of virtual time), on one hart, and run selftests/bench against
# /dev/rvhv and against /dev/kvm (kvm.ko) in the same boot; print, per
# operation, the instructions each costs and the ratio.  A device that
# cannot run the benchmark shows "n/a".  The console log is
# build/qemu-bench.log (or in $RVHV_OUT).
#
# The virtio_blk_read4k row: QEMU 10 (tools/testbed/vmm-qemu.sh) runs in
# the test host with -accel kvm on each device, one vCPU, a 16 MiB raw
# disk file in tmpfs on virtio-blk (virtio-mmio); the guest's /init
# (tools/guest/init.c) times RVHV_BENCH_BLK_READS (default 500) 4 KiB
# O_DIRECT reads at random offsets with its own clock, which counts the
# test host's instructions here: guest nanoseconds per read, i.e.
# instructions of the whole path (guest driver, exits, QEMU's threads,
# the emulated PLIC's interrupt) plus any time the hart idles.
# vmm_test's qemu_blkbench does it (RVHV_QEMU_BLKBENCH=N).
# RVHV_BENCH_BLK_READS=0 leaves the row out.
#
# RVHV_BENCH_QUICK=1: the exit rows only (null_sbi, mmio_exit,
# sbi_single16, sbi_batch16, ipi_roundtrip, timer_irq*; selftests/bench.c),
# without the virtio-blk and migration rows: a few minutes, not twenty.
#
# The kernel: by default the test kernel's configuration without its
# debugging options (lockdep, atomic-sleep and list debugging, ftrace,
# ...), built once and cached next to the test kernel.  Those options
# make every kernel entry cost ~50 times more (a null getppid() is ~18500
# instructions on the test kernel, ~300 without them) and would weigh
# lock operations, not work.  RVHV_BENCH_KERNEL=test uses the test kernel.
set -euo pipefail
. "$(dirname "$0")/common.sh"

debug_opts='DEBUG_KERNEL|KALLSYMS_ALL|FTRACE|ENABLE_DEFAULT_TRACERS|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_LIST|DEBUG_OBJECTS|SCHED_DEBUG|DEBUG_PREEMPT|SOFTLOCKUP_DETECTOR|DETECT_HUNG_TASK'
if [ "${RVHV_BENCH_KERNEL:-lean}" = test ]; then
	BKDIR=$KDIR
	kname="test kernel (debugging options on)"
else
	# build-kernel.sh builds the kernel.config next to it.
	tb=$out/bench-kernel
	mkdir -p "$tb"
	cp "$top/tools/testbed/build-kernel.sh" "$tb/"
	grep -v -E "^(# )?CONFIG_($debug_opts)[= ]" \
		"$top/tools/testbed/kernel.config" > "$tb/kernel.config"
	BKDIR=$("$tb/build-kernel.sh")
	kname="lean kernel (test kernel without debugging options)"
fi

# rvhv.ko for that kernel, built outside the tree (the tree's rvhv.ko
# belongs to the test kernel).
mod=$out/bench-module
rm -rf "$mod"
mkdir -p "$mod"
git ls-files -co --exclude-standard | grep -v -e '^selftests/' -e '^tools/' \
	-e '^Documentation/' -e '^build/' | rsync -a --files-from=- ./ "$mod/"
make -s -C "$BKDIR" M="$mod" modules
build_host_tools
make -s -C selftests KSRC="$KSRC" KHDR="$KHDR" OUT="$out/selftests" \
	"$out/selftests/bench"

quick=
if [ "${RVHV_BENCH_QUICK:-0}" != 0 ]; then
	quick=" env:RVHV_BENCH_QUICK=1"
	RVHV_BENCH_BLK_READS=0
	RVHV_BENCH_MIGRATE=0
fi

# The virtio-blk row: QEMU in the test host, the guest, vmm_test.
blk_reads=${RVHV_BENCH_BLK_READS:-500}
blk_files=()
if [ "$blk_reads" != 0 ]; then
	if vmm_qemu=$("$top/tools/testbed/vmm-qemu.sh"); then
		"$top/tools/guest/build.sh" "$out"
		make -s -C selftests KSRC="$KSRC" KHDR="$KHDR" \
			OUT="$out/selftests" "$out/selftests/vmm_test"
		blk_files=("/=$vmm_qemu" "/bin/rvhv-run=$out/rvhv-run"
			   "/lib/guest-Image=$out/guest/Image"
			   "/lib/guest-initramfs.cpio=$out/guest/initramfs.cpio"
			   "/tests/vmm_test=$out/selftests/vmm_test")
	else
		echo "bench: no QEMU for the test host (vmm-qemu.sh): no virtio_blk_read4k row" >&2
	fi
fi

# The migration rows: migrate_test's live_and_file (rvhv-run moves its
# Linux guest live with bitmaps, with the ring on rvhv, then saves it),
# RVHV_MIGRATE_BENCH=1 printing each move's figures.
# RVHV_BENCH_MIGRATE=0 leaves them out; RVHV_BENCH_MIGRATE_ONLY=1 runs
# nothing else.
mig_files=()
if [ "${RVHV_BENCH_MIGRATE:-1}" != 0 ]; then
	"$top/tools/guest/build.sh" "$out"
	make -s -C selftests KSRC="$KSRC" KHDR="$KHDR" \
		OUT="$out/selftests" "$out/selftests/migrate_test"
	mig_files=("/tests/migrate_test=$out/selftests/migrate_test")
	[ ${#blk_files[@]} != 0 ] ||
		mig_files+=("/bin/rvhv-run=$out/rvhv-run"
			    "/lib/guest-Image=$out/guest/Image"
			    "/lib/guest-initramfs.cpio=$out/guest/initramfs.cpio")
fi

# rvhv first, before kvm.ko is loaded (init loads it for the kvm lines).
list=$out/bench.list
blk="-t qemu_blkbench env:RVHV_QEMU_BLKBENCH=$blk_reads"
mig="-t live_and_file env:RVHV_MIGRATE_BENCH=1"
# RVHV_BENCH_MIGRATE_ONLY=1: the migration rows alone.
only_mig=${RVHV_BENCH_MIGRATE_ONLY:-0}
{
	[ "$only_mig" = 1 ] || echo "bench 900${quick:+ rvhv$quick}"
	[ ${#blk_files[@]} = 0 ] || [ "$only_mig" = 1 ] ||
		echo "vmm_test 900 rvhv $blk"
	[ ${#mig_files[@]} = 0 ] || echo "migrate_test 900 rvhv $mig"
	[ "$only_mig" = 1 ] || echo "bench 900 kvm$quick"
	[ ${#blk_files[@]} = 0 ] || [ "$only_mig" = 1 ] ||
		echo "vmm_test 900 kvm $blk"
	[ ${#mig_files[@]} = 0 ] || echo "migrate_test 900 kvm $mig"
} > "$list"
KDIR=$BKDIR "$top/tools/testbed/mkinitramfs.sh" "$out/bench.cpio" \
	"$out/init" \
	"/lib/modules/rvhv.ko=$mod/rvhv.ko" \
	"/lib/modules/kvm.ko=$BKDIR/arch/riscv/kvm/kvm.ko" \
	"/tests/bench=$out/selftests/bench" \
	"/tests/list-bench=$list" "${blk_files[@]}" "${mig_files[@]}"
log=$out/qemu-bench.log
# One hart: with -icount, QEMU 7.2 does not get a 2-hart host through boot.
KDIR=$BKDIR RVHV_SMP=1 RVHV_ICOUNT=1 RVHV_TIMEOUT=${RVHV_TIMEOUT:-1200} \
	"$top/tools/testbed/run-qemu.sh" bench "$out/bench.cpio" "$log" \
	> "$out/qemu-bench.out"

echo "bench: $kname, QEMU -icount shift=0, 1 hart"
tr -d '\r' < "$log" | awk -v quick="$quick" '
	/^RVHV-BENCH / {
		v[$2, $3] = $4
		if (!($3 in seen)) { seen[$3] = 1; ops[n++] = $3 }
	}
	/^# (bench|blkbench|[a-z_0-9]+) on / { notes[nn++] = $0 }
	/^RVHV-DONE/ { done = 1 }
	/^RVHV-ERROR/ { print "bench: " $0 > "/dev/stderr" }
	function row(op, k, r,    ratio) {
		if (k == "") k = "n/a"
		if (r == "") r = "n/a"
		ratio = "n/a"
		if (k != "n/a" && r != "n/a" && k > 0)
			ratio = sprintf("%.2f", r / k)
		printf "%-26s %14s %14s %10s\n", op, k, r, ratio
	}
	END {
		# rvhv-only operations: n/a on kvm.ko is expected there.
		only["sbi_batch16"] = 1
		only["irqfd_roundtrip"] = 1
		only["irqfd_aplic"] = 1
		# Needs an AIA host, and not measured on kvm.ko (see bench.c).
		only["irqfd_aplic_msi"] = 1
		# Needs an AIA host (RVHV_QEMU=10 RVHV_MACHINE_OPTS=,aia=...).
		only["ipi_imsic_roundtrip"] = 1
		only["ipi_imsic_hwaccel"] = 1
		# kvm.ko 6.12 has no dirty ring on riscv.
		only["dirty_ring_harvest_1g"] = 1
		only["migrate_ring_total_ms"] = 1
		only["migrate_ring_downtime_ms"] = 1
		only["migrate_ring_iterations"] = 1
		only["migrate_ring_pages"] = 1
		printf "%-26s %14s %14s %10s\n", "operation", "kvm.ko insns",
		       "rvhv insns", "rvhv/kvm"
		bad = !done || n == 0
		for (i = 0; i < n; i++) {
			k = v["kvm", ops[i]]; r = v["rvhv", ops[i]]
			row(ops[i], k, r)
			if ((k == "" || k == "n/a") && !(ops[i] in only) &&
			    quick == "")
				bad = 1
		}
		# What batching buys against kvm.ko: rvhv batch of 16 against
		# kvm.ko 16 singles.
		row("batch16_vs_single16", v["kvm", "sbi_single16"],
		    v["rvhv", "sbi_batch16"])
		print "ipi_roundtrip: 2 vCPUs of one VM on the host'"'"'s one hart; hart 1 waits in WFI (the realistic case), hart 0 too; per round trip"
		print "ipi_imsic_roundtrip: the same with IMSIC MSIs (stores to the other vCPU'"'"'s IMSIC page, claimed with stopei; AIA host only; the device'"'"'s default mode, see the # lines); ipi_imsic_hwaccel: the same in hwaccel mode (hardware guest files)"
		print "irqfd_roundtrip: ioeventfd kick, VMM thread writes an irqfd, to the guest handler: rvhv'"'"'s per-vCPU line (RVHV_CAP_IRQ_LINES); irqfd_aplic: through the in-kernel APLIC in direct mode (rvhv only), claimed at its IDC; irqfd_aplic_msi: the APLIC in MSI mode to the vCPU'"'"'s IMSIC (AIA host), claimed with stopei"
		print "timer_irq: stimecmp (Sstc) armed for now, to the guest trap handler; timer_irq_sbi: armed with SBI set_timer"
		print "sbi_single16: 16 null SBI calls, one ecall each; sbi_batch16: one RVHV_SBI_BATCH of 16 (rvhv only)"
		print "batch16_vs_single16: kvm.ko column = kvm.ko 16 singles, rvhv column = rvhv batch of 16"
		print "dirty_write_fault: first guest store to a page of a logged slot after KVM_GET_DIRTY_LOG re-armed it; dirty_harvest_1g: KVM_GET_DIRTY_LOG of a 1 GiB slot with every 16th page dirty, per dirty page (host-timed); dirty_ring_harvest_1g: the same pages through the dirty ring and KVM_RESET_DIRTY_RINGS (rvhv only)"
		if (("kvm", "migrate_bitmap_total_ms") in v || ("rvhv", "migrate_bitmap_total_ms") in v)
			print "migrate_<mode>_*: rvhv-run moving its 2-vCPU, 64 MiB Linux guest (writing 4 MiB over and over) between processes (migrate_test): bitmap = dirty log, ring = dirty ring (rvhv only), save = to a file; total_ms and downtime_ms in ms of virtual time (= millions of instructions), iterations = pre-copy rounds, pages = pages sent with data"
		if (("kvm", "virtio_blk_read4k") in v || ("rvhv", "virtio_blk_read4k") in v)
			print "virtio_blk_read4k: QEMU 10 in the host, 1 vCPU, a 4 KiB O_DIRECT read of a virtio-blk disk (tmpfs file) at a random offset, timed by the guest (virtual ns = instructions, plus idle time); reads/s below in virtual time"
		for (i = 0; i < nn; i++)
			print notes[i]
		if (!done) print "bench: the boot did not complete (see the log)" > "/dev/stderr"
		exit bad
	}'
