#!/bin/bash
# Fetch (or reuse) Debian 13's riscv64 QEMU, the VMM that runs *inside*
# the test host against /dev/rvhv and /dev/kvm (issue 9: a real VMM in the
# tests), without touching the machine's apt configuration.
#
# usage: vmm-qemu.sh    prints a directory on stdout: a file tree to put
#                       at / in the test host's initramfs, holding
#                       usr/bin/qemu-system-riscv64, the shared libraries
#                       it needs (libslirp among them, for user
#                       networking; and nothing else) in
#                       usr/lib/riscv64-linux-gnu, and the dynamic loader
#                       at lib/ld-linux-riscv64-lp64d.so.1
#
# apt runs in a private root under the cache (its own sources.list,
# lists, archives and an empty dpkg status; trixie, APT::Architecture
# riscv64, signed by the Debian archive keyring this machine has),
# downloads qemu-system-riscv with its dependencies and unpacks them with
# dpkg-deb -x; the tree keeps only the binary's NEEDED closure (about a
# third of the 120 MB unpacked).  Cached under
#   ${RVHV_CACHE:-~/.cache/rvhv}/vmm-qemu/<version>/tree
# keyed by the package version; a second run needs no network.  A lock
# serialises runs and the tree is renamed into place only when complete.
set -euo pipefail

cache=${RVHV_CACHE:-$HOME/.cache/rvhv}/vmm-qemu
suite=trixie
pkg=qemu-system-riscv

# A private apt root (trixie-apt.sh): nothing of /etc/apt is touched.
. "$(dirname "$0")/trixie-apt.sh"
trixie_cache "$cache"
if [ -n "$have" ] && [ "${RVHV_VMM_QEMU_REFRESH:-0}" != 1 ]; then
	echo "$have"
	exit 0
fi

apt=$cache/apt
trixie_apt "$apt" riscv64
echo "vmm-qemu: apt update ($suite riscv64, private root $apt)" >&2
version=$(trixie_candidate "$pkg")
[ -n "$version" ] || { echo "vmm-qemu: no $pkg in $suite" >&2; exit 1; }
trixie_tree_start "$cache" "${version#*:}"

echo "vmm-qemu: downloading $pkg $version (riscv64) and its dependencies" >&2
trixie_unpack "$apt" "$pkg" "$version" "$tmp"

# The tree: the binary, its NEEDED closure, the loader.
libdir=usr/lib/riscv64-linux-gnu
mkdir -p "$tmp/tree/usr/bin" "$tmp/tree/$libdir" "$tmp/tree/lib"
cp "$tmp/root/usr/bin/qemu-system-riscv64" "$tmp/tree/usr/bin/"
trixie_closure "$tmp/root" "$tmp/tree/$libdir" \
	"$tmp/tree/usr/bin/qemu-system-riscv64"
cp -L "$tmp/root/$libdir/ld-linux-riscv64-lp64d.so.1" "$tmp/tree/lib/"
# User networking (vmm_test's virtio-net, -netdev user): Debian's QEMU
# links libslirp (package libslirp0), so the closure has it; vmm_test
# leaves virtio-net out when it is missing.
[ -e "$tmp/tree/$libdir/libslirp.so.0" ] ||
	echo "vmm-qemu: no libslirp.so.0: this QEMU has no user networking" >&2
echo "$version" > "$tmp/tree/usr/bin/.qemu-version"
trixie_tree_done vmm-qemu
