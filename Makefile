# SPDX-License-Identifier: GPL-2.0
#
# Developer entry points.  The module itself builds the standard out-of-tree
# way from Kbuild: make -C <kernel build dir> M=$PWD modules
#
#   make            rvhv.ko, against the cached test kernel (built if missing)
#   make check      every test, inside QEMU; ends with "N passed, N failed"
#   make run        the main job: boot the test host, load rvhv, show it
#   make check-sanitize  the same tests on the sanitizer kernel (KASAN,
#                   UBSAN, KFENCE: tools/testbed/sanitize.config)
#   make check-matrix  the selftests (rvhv and kvm.ko) on QEMU 10 from
#                   Debian 13 (fetched once, cached) in three host
#                   configurations: smstateen, Sv39-only, AIA
#                   (tools/testbed/check-matrix.sh; RVHV_MATRIX picks some)
#   make fuzz       the long hostile-VMM run: fuzz_test (10^6 operations from
#                   a random seed, RVHV_FUZZ_SEED/RVHV_FUZZ_OPS to choose)
#                   and wedge_test, on rvhv, inside QEMU
#   make sparse     sparse (C=2) over the module
#   make checkpatch checkpatch.pl --no-tree -f over the module's sources
#   make kernel     build (or find) the cached test kernel; prints its path
#
# KDIR defaults to the cached test kernel of tools/testbed/build-kernel.sh.

ARCH ?= riscv
CROSS_COMPILE ?= riscv64-linux-gnu-
export ARCH CROSS_COMPILE

KDIR ?= $(shell tools/testbed/deps.sh >&2 && tools/testbed/build-kernel.sh)
KBUILD = $(MAKE) -C $(KDIR) M=$(CURDIR) W=1

SOURCES = $(shell git ls-files -co --exclude-standard -- '*.[chS]' | \
	    grep -v -e '^selftests/' -e '^tools/')

.PHONY: all modules clean check check-sanitize check-matrix run bench fuzz \
	sparse checkpatch kernel

all modules:
	$(KBUILD) modules

sparse:
	$(KBUILD) C=2 CHECK=$(CURDIR)/tools/testbed/sparse.sh modules

checkpatch:
	$(KDIR)/source/scripts/checkpatch.pl --no-tree -f $(SOURCES)

kernel:
	@echo $(KDIR)

check:
	tools/testbed/check.sh

check-sanitize:
	RVHV_KERNEL=sanitize RVHV_OUT=$${RVHV_OUT:-$(CURDIR)/build/sanitize} \
		tools/testbed/check.sh

check-matrix:
	tools/testbed/check-matrix.sh

run:
	tools/testbed/run.sh run

fuzz:
	RVHV_ONLY="fuzz_test wedge_test" \
	RVHV_FUZZ_SEED=$${RVHV_FUZZ_SEED:-random} \
	RVHV_FUZZ_OPS=$${RVHV_FUZZ_OPS:-1000000} \
	RVHV_TEST_TIMEOUT=$${RVHV_TEST_TIMEOUT:-10800} \
	RVHV_TIMEOUT=$${RVHV_TIMEOUT:-11400} tools/testbed/check.sh

bench:
	tools/testbed/bench.sh

clean:
	$(KBUILD) clean
	rm -rf build
