#!/bin/bash
# Fetch (or reuse) QEMU 10 from Debian 13 (trixie) for the host matrix
# (make check-matrix), without touching the machine's apt configuration.
#
# usage: qemu10.sh           prints the path of a qemu-system-riscv64
#                            wrapper on stdout (and, on a terminal, how to
#                            use it on stderr)
#
# It runs apt in a private root under the cache (its own sources.list,
# lists, archives and an empty dpkg status; trixie, amd64, signed by the
# Debian archive keyring this machine already has), downloads
# qemu-system-riscv with its library dependencies (opensbi and libc6
# included) and unpacks them with dpkg-deb -x into
#   ${RVHV_CACHE:-~/.cache/rvhv}/qemu/<version>/root
# next to a wrapper script, qemu-system-riscv64, that starts trixie's
# binary through trixie's own dynamic loader (the host's glibc is older)
# with -L pointing at trixie's firmware and data files (so -bios default is
# trixie's OpenSBI).  Nothing is installed and no chroot is needed.
#
# The cache is keyed by the package version; a second run reuses it without
# the network (RVHV_QEMU10_REFRESH=1 asks apt for a newer version first).
# A lock (flock) serialises runs, and each version is unpacked in a
# temporary directory and renamed into place only when complete, so an
# interrupted or concurrent run never leaves a half-unpacked QEMU behind.
set -euo pipefail

cache=${RVHV_CACHE:-$HOME/.cache/rvhv}/qemu
suite=trixie
pkg=qemu-system-riscv
mkdir -p "$cache"

exec 9> "$cache/.lock"
flock 9

newest() {	# the newest complete version in the cache, or nothing
	ls -d "$cache"/10.*/qemu-system-riscv64 2>/dev/null |
		sed 's,/qemu-system-riscv64$,,; s,.*/,,' | sort -V | tail -1 ||
		true
}

usage() {	# usage WRAPPER: for a person (stdout a terminal), not scripts
	[ -t 1 ] || return 0
	cat >&2 <<-EOF
	qemu10: $("$1" --version | head -1)
	qemu10: run it as $1 (same arguments as qemu-system-riscv64),
	qemu10: or let the test bed pick it: RVHV_QEMU=10 make check,
	qemu10: RVHV_QEMU=10 RVHV_CPU_OPTS=",smstateen=true" RVHV_MACHINE_OPTS=",aia=aplic-imsic" make check
	EOF
}

have=$(newest)
if [ -n "$have" ] && [ "${RVHV_QEMU10_REFRESH:-0}" != 1 ]; then
	usage "$cache/$have/qemu-system-riscv64"
	echo "$cache/$have/qemu-system-riscv64"
	exit 0
fi

# A private apt root (trixie-apt.sh): nothing of /etc/apt is touched.
apt=$cache/apt
. "$(dirname "$0")/trixie-apt.sh"
trixie_apt "$apt" amd64
echo "qemu10: apt update ($suite, private root $apt)" >&2
version=$(trixie_candidate "$pkg")
case $version in
*:10.*) ;;
*)	echo "qemu10: $suite has $pkg '$version', not 10.x" >&2
	exit 1 ;;
esac
key=${version#*:}
key=${key%%+*}-${version##*+}
key=${key//[^A-Za-z0-9.~_-]/_}
dest=$cache/$key
if [ -x "$dest/qemu-system-riscv64" ]; then
	usage "$dest/qemu-system-riscv64"
	echo "$dest/qemu-system-riscv64"
	exit 0
fi

echo "qemu10: downloading $pkg $version and its dependencies" >&2
tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trixie_unpack "$apt" "$pkg" "$version" "$tmp"
ld=$tmp/root/usr/lib64/ld-linux-x86-64.so.2
[ -x "$ld" ] && [ -x "$tmp/root/usr/bin/qemu-system-riscv64" ] || {
	echo "qemu10: the unpacked packages lack the loader or QEMU" >&2
	exit 1
}
cat > "$tmp/qemu-system-riscv64" <<'EOF'
#!/bin/sh
# QEMU from Debian 13, unpacked by tools/testbed/qemu10.sh: trixie's binary
# through trixie's loader and libraries, with trixie's firmware (-L) and
# modules (never the host QEMU's, which have another ABI).
root=$(dirname "$(readlink -f "$0")")/root
QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu
export QEMU_MODULE_DIR
exec "$root/usr/lib64/ld-linux-x86-64.so.2" \
	--library-path "$root/usr/lib/x86_64-linux-gnu" \
	"$root/usr/bin/qemu-system-riscv64" -L "$root/usr/share/qemu" "$@"
EOF
chmod +x "$tmp/qemu-system-riscv64"
"$tmp/qemu-system-riscv64" --version > /dev/null
mv -T "$tmp" "$dest"
trap - EXIT
usage "$dest/qemu-system-riscv64"
echo "$dest/qemu-system-riscv64"
