#!/bin/bash
# Build (or reuse) the riscv64 test host kernel.
#
# The tree is cached outside the repository under $RVHV_CACHE (default
# ~/.cache/rvhv), keyed by the linux-source package version and a hash of
# kernel.config, so a second run costs seconds.  Prints the build
# directory (usable as KDIR for out-of-tree module builds) on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RVHV_CACHE:-$HOME/.cache/rvhv}
tarball=/usr/src/linux-source-6.12.tar.xz
cross=riscv64-linux-gnu-
jobs=$(nproc)

ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
frag_hash=$(sha256sum "$here/kernel.config" | cut -c1-12)
src=$cache/src/linux-source-6.12-$ver
obj=$cache/build/linux-$ver-$frag_hash

log() { echo "build-kernel: $*" >&2; }

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

log "building in $obj (about 4 minutes cold on 2 cores)"
mkdir -p "$obj"
mk() { make -s -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE=$cross "$@"; }
mk allnoconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$here/kernel.config" >&2
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
done < "$here/kernel.config"
[ $missing = 0 ] || { log "config fragment not honoured"; exit 1; }

mk -j"$jobs" Image modules >&2
mk headers_install INSTALL_HDR_PATH="$obj/usr-headers" >&2
# KVM's module, for side-by-side runs.
test -f "$obj/arch/riscv/kvm/kvm.ko"
touch "$obj/.rvhv-built"
echo "$obj"
