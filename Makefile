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
#                   a random seed, RVHV_FUZZ_SEED/RVHV_FUZZ_OPS to choose),
#                   wedge_test, and vmid_test's and memory_test's stress
#                   phases 10 times longer than make check's (RVHV_STRESS),
#                   inside QEMU
#   make sparse     sparse (C=2) over the module
#   make checkpatch checkpatch.pl --no-tree -f over the module's sources
#   make kernel     build (or find) the cached test kernel; prints its path
#
# Installing (Documentation/rvhv.rst, "Installing rvhv on a RISC-V board"):
#   make install    build, then rvhv.ko into $(INSTALL_MOD_PATH)/lib/modules/
#                   <kernel release>/$(INSTALL_MOD_DIR) (kbuild's
#                   modules_install, then depmod), the udev rule into
#                   $(UDEVRULESDIR), the uapi header into $(PREFIX)/include;
#                   everything under $(DESTDIR) if that is set
#   make uninstall  take all of that away again
#   make install-udev install-header  those two parts alone (after DKMS)
#   make dkms-source  the module's sources, dkms.conf and VERSION into
#                   $(DESTDIR)/usr/src/rvhv-<version>, for `dkms add`
#
# KDIR defaults to the cached test kernel of tools/testbed/build-kernel.sh;
# on a riscv64 machine, to the running kernel's build directory (its
# headers package), built natively.

ARCH ?= riscv
ifeq ($(shell uname -m),riscv64)
CROSS_COMPILE ?=
KDIR ?= /lib/modules/$(shell uname -r)/build
else
CROSS_COMPILE ?= riscv64-linux-gnu-
KDIR ?= $(shell tools/testbed/deps.sh >&2 && tools/testbed/build-kernel.sh)
endif
export ARCH CROSS_COMPILE

KBUILD = $(MAKE) -C $(KDIR) M=$(CURDIR) W=1

SOURCES = $(shell git ls-files -co --exclude-standard -- '*.[chS]' | \
	    grep -v -e '^selftests/' -e '^tools/')

.PHONY: all modules clean check check-sanitize check-matrix run bench fuzz \
	sparse checkpatch kernel install uninstall install-module \
	install-udev install-header dkms-source

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
	RVHV_ONLY="fuzz_test wedge_test vmid_test vmid_test@kvm memory_test memory_test@kvm" \
	RVHV_TEST_ENV="RVHV_STRESS=$${RVHV_STRESS:-10} $${RVHV_TEST_ENV:-}" \
	RVHV_FUZZ_SEED=$${RVHV_FUZZ_SEED:-random} \
	RVHV_FUZZ_OPS=$${RVHV_FUZZ_OPS:-1000000} \
	RVHV_TEST_TIMEOUT=$${RVHV_TEST_TIMEOUT:-10800} \
	RVHV_TIMEOUT=$${RVHV_TIMEOUT:-11400} tools/testbed/check.sh

bench:
	tools/testbed/bench.sh

clean:
	$(KBUILD) clean
	rm -rf build

# Installing.  The module goes where kbuild's modules_install puts an
# external module (INSTALL_MOD_DIR: updates, searched before the kernel's
# own modules); depmod is run here because kbuild runs it only when the
# build directory has a System.map, which distributions' headers packages
# do not ship.  The udev rule goes to /etc/udev/rules.d: `make install`
# is the administrator's, outside the package manager, and that is udev's
# directory for local rules (a package of rvhv would ship it in
# /usr/lib/udev/rules.d: UDEVRULESDIR=/usr/lib/udev/rules.d).  The header
# goes to /usr/local/include/linux (PREFIX=/usr for /usr/include).
VERSION := $(strip $(file <$(CURDIR)/VERSION))
DESTDIR ?=
PREFIX ?= /usr/local
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
UDEVRULESDIR ?= /etc/udev/rules.d
DEPMOD ?= depmod
KVER = $(file <$(KDIR)/include/config/kernel.release)
MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(KVER)
RULES = 65-rvhv.rules

install: install-module install-udev install-header

install-module: modules
	$(KBUILD) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true modules_install
	$(DEPMOD) -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

install-udev:
	install -D -m 0644 tools/install/$(RULES) $(DESTDIR)$(UDEVRULESDIR)/$(RULES)

install-header:
	install -D -m 0644 uapi/linux/rvhv.h $(DESTDIR)$(PREFIX)/include/linux/rvhv.h

uninstall:
	rm -f $(MODDIR)/$(INSTALL_MOD_DIR)/rvhv.ko $(MODDIR)/$(INSTALL_MOD_DIR)/rvhv.ko.*
	$(DEPMOD) -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)
	rm -f $(DESTDIR)$(UDEVRULESDIR)/$(RULES) \
		$(DESTDIR)$(PREFIX)/include/linux/rvhv.h

# What DKMS builds from: the module's sources (SOURCES: a git checkout),
# Kbuild, dkms.conf and VERSION.  Nothing of the test bed.
DKMS_SRC = $(DESTDIR)/usr/src/rvhv-$(VERSION)

dkms-source:
	@test -n "$(VERSION)" || { echo "dkms-source: no VERSION" >&2; exit 1; }
	@test -n "$(SOURCES)" || { echo "dkms-source: needs a git checkout" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	for f in Kbuild dkms.conf VERSION $(SOURCES); do \
		install -D -m 0644 $$f $(DKMS_SRC)/$$f || exit 1; \
	done
