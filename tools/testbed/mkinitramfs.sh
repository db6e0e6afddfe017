#!/bin/bash
# Pack the test host's initramfs with the kernel's own gen_init_cpio.
#
# usage: mkinitramfs.sh OUT.cpio INIT [DEST=SRC ...]
#   INIT       the static /init binary
#   DEST=SRC   put file SRC at DEST in the archive (directories are made)
set -euo pipefail
: "${KDIR:?KDIR must name the kernel build directory}"

out=$1 init=$2
shift 2
list=$(mktemp)
trap 'rm -f "$list"' EXIT

{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in /proc /sys /tmp /bin /tests /lib /lib/modules; do
		echo "dir $d 0755 0 0"
	done
	echo "file /init $init 0755 0 0"
	for spec in "$@"; do
		[ -f "${spec#*=}" ] || { echo "mkinitramfs: missing ${spec#*=}" >&2; exit 1; }
		echo "file ${spec%%=*} ${spec#*=} 0755 0 0"
	done
} > "$list"
"$KDIR/usr/gen_init_cpio" "$list" > "$out.tmp"
mv "$out.tmp" "$out"
