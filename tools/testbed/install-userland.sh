#!/bin/bash
# Fetch (or reuse) Debian 13's riscv64 udev and kmod for install_test: the
# real systemd-udevd applies tools/install/65-rvhv.rules to /dev/rvhv
# (and Debian's own 50-udev-default.rules to /dev/kvm) inside the test
# host, and the real modprobe loads rvhv from the trees `make install`
# and DKMS staged.  The machine's apt configuration is not touched.
#
# usage: install-userland.sh    prints a directory on stdout: a file tree
#                               to put at / in the test host's initramfs:
#   opt/rvhv-userland/bin/udevadm   systemd-udevd and udevadm (one binary,
#                                   which acts on its argv[0])
#   opt/rvhv-userland/bin/kmod      modprobe and depmod (the same)
#   opt/rvhv-userland/lib/          their shared libraries (the NEEDED
#                                   closure) and the dynamic loader
#   usr/lib/udev/rules.d/50-udev-default.rules   Debian's, for /dev/kvm
#
# The programs run through that loader with --library-path and --argv0
# (the test host has no shell to hold symlinks or wrappers), so these
# libraries never mix with others in the initramfs (vmm-qemu.sh's).
# apt runs in a private root (trixie-apt.sh; riscv64, signed by the Debian
# archive keyring), downloads udev and kmod with their dependencies and
# unpacks them with dpkg-deb -x.  Cached under
#   ${RVHV_CACHE:-~/.cache/rvhv}/install-userland/<versions>/tree
# keyed by both package versions; a second run needs no network.  A lock
# serialises runs and the tree is renamed into place only when complete.
set -euo pipefail

cache=${RVHV_CACHE:-$HOME/.cache/rvhv}/install-userland

. "$(dirname "$0")/trixie-apt.sh"
trixie_cache "$cache"
if [ -n "$have" ] && [ "${RVHV_INSTALL_USERLAND_REFRESH:-0}" != 1 ]; then
	echo "$have"
	exit 0
fi

apt=$cache/apt
trixie_apt "$apt" riscv64
echo "install-userland: apt update (trixie riscv64, private root $apt)" >&2
udev_v=$(trixie_candidate udev)
kmod_v=$(apt-cache "${apt_opts[@]}" policy kmod | sed -n 's/^ *Candidate: *//p')
[ -n "$udev_v" ] && [ -n "$kmod_v" ] || {
	echo "install-userland: trixie has no udev or kmod" >&2
	exit 1
}
trixie_tree_start "$cache" "udev-${udev_v#*:}_kmod-${kmod_v#*:}"

echo "install-userland: downloading udev $udev_v and kmod $kmod_v (riscv64)" >&2
trixie_unpack "$apt" udev "$udev_v" "$tmp"
mv "$tmp/packages" "$tmp/packages.udev"
trixie_unpack "$apt" kmod "$kmod_v" "$tmp"
cat "$tmp/packages.udev" >> "$tmp/packages"

root=$tmp/root
pre=$tmp/tree/opt/rvhv-userland
mkdir -p "$pre/bin" "$pre/lib" "$tmp/tree/usr/lib/udev/rules.d"
cp -L "$root/usr/bin/udevadm" "$root/usr/bin/kmod" "$pre/bin/"
cp "$root/usr/lib/udev/rules.d/50-udev-default.rules" \
	"$tmp/tree/usr/lib/udev/rules.d/"
# Their shared libraries, flat in lib/ (systemd's private one too).
trixie_closure "$root" "$pre/lib" "$pre/bin/udevadm" "$pre/bin/kmod"
cp -L "$root/usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1" "$pre/lib/"
printf 'udev %s\nkmod %s\n' "$udev_v" "$kmod_v" > "$pre/versions"
trixie_tree_done install-userland
