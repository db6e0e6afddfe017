#!/bin/bash
# Build (or reuse) the riscv64 test host kernel.
#
# usage: build-kernel.sh [FRAGMENT]
#
# The tree is cached outside the repository under $RVHV_CACHE (default
# ~/.cache/rvhv), keyed by the linux-source package version and a hash of
# kernel.config, so a second run costs seconds.  Prints the build
# directory (usable as KDIR for out-of-tree module builds) on stdout.
#
# With FRAGMENT (another config fragment, e.g. the guest kernel's
# tools/guest/guest-kernel.config), builds only arch/riscv/boot/Image from
# allnoconfig plus that fragment, cached in its own directory keyed by the
# fragment's name and hash.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RVHV_CACHE:-$HOME/.cache/rvhv}
tarball=/usr/src/linux-source-6.12.tar.xz
cross=riscv64-linux-gnu-
jobs=$(nproc)

frag=$here/kernel.config
host=1
if [ $# -gt 0 ] && [ "$(readlink -f "$1")" != "$(readlink -f "$frag")" ]; then
	frag=$(readlink -f "$1")
	host=0
fi

ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
frag_hash=$(sha256sum "$frag" | cut -c1-12)
src=$cache/src/linux-source-6.12-$ver
obj=$cache/build/linux-$ver-$frag_hash
[ $host = 1 ] || obj=$cache/build/linux-$ver-$(basename "$frag" .config)-$frag_hash

log() { echo "build-kernel: $*" >&2; }

# Built already: no lock needed (the stamp is written last, once the tree
# is complete), so a run whose kernel is cached never waits for another
# one's build.
if [ -f "$src/.rvhv-extracted" ] && [ -f "$obj/.rvhv-built" ]; then
	echo "$obj"
	exit 0
fi

# One build at a time per cache: two check runs (worktrees, helpers) would
# otherwise extract or build the same tree together; on 2 cores they are
# faster one after the other anyway.
mkdir -p "$cache/build"
exec 9> "$cache/build/.lock"
flock 9

if [ ! -f "$src/.rvhv-extracted" ]; then
	log "extracting $tarball ($ver)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" -xf "$tarball"
	mv "$src.tmp/linux-source-6.12" "$src"
	rmdir "$src.tmp"
	touch "$src/.rvhv-extracted"
fi

if [ -f "$obj/.rvhv-built" ]; then
	echo "$obj"
	exit 0
fi

if [ $host = 1 ]; then
	log "building in $obj (about 4 minutes cold on 2 cores)"
else
	log "building Image in $obj from $frag"
fi
mkdir -p "$obj"
mk() { make -s -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE=$cross "$@"; }
mk allnoconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$frag" >&2
mk olddefconfig >&2

# Every line of the fragment must have survived olddefconfig: a silently
# dropped option would make the test bed lie.
missing=0
while read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx "$line" "$obj/.config" || {
			log "fragment option not in final config: $line"
			missing=1
		}
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$obj/.config"; then
			log "fragment option unexpectedly set: $opt"
			missing=1
		fi
		;;
	esac
done < "$frag"
[ $missing = 0 ] || { log "config fragment not honoured"; exit 1; }

if [ $host = 0 ]; then
	mk -j"$jobs" Image >&2
	touch "$obj/.rvhv-built"
	echo "$obj"
	exit 0
fi
mk -j"$jobs" Image modules >&2
mk headers_install INSTALL_HDR_PATH="$obj/usr-headers" >&2
# KVM's module, for side-by-side runs.
test -f "$obj/arch/riscv/kvm/kvm.ko"
touch "$obj/.rvhv-built"
echo "$obj"
