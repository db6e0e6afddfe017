#!/bin/bash
# Pack the test host's initramfs with the kernel's own gen_init_cpio.
#
# usage: mkinitramfs.sh OUT.cpio INIT [DEST=SRC ...]
#   INIT       the static /init binary
#   DEST=SRC   put file SRC at DEST in the archive; if SRC is a directory,
#              everything under it, at the same places under DEST (its
#              directories are made; files keep their modes)
set -euo pipefail
: "${KDIR:?KDIR must name the kernel build directory}"

out=$1 init=$2
shift 2
list=$(mktemp)
trap 'rm -f "$list"' EXIT

declare -A made
mkdir_once() {
	[ -n "${made[$1]:-}" ] && return
	made[$1]=1
	echo "dir $1 0755 0 0"
}

{
	mkdir_once /dev
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in /proc /sys /tmp /bin /tests /lib /lib/modules; do
		mkdir_once $d
	done
	echo "file /init $init 0755 0 0"
	for spec in "$@"; do
		dest=${spec%%=*} src=${spec#*=}
		if [ -d "$src" ]; then
			dest=${dest%/}
			# DEST itself and its parents.
			d=""
			for c in $(echo "${dest#/}" | tr / ' '); do
				d=$d/$c
				mkdir_once "$d"
			done
			while read -r d; do
				mkdir_once "$dest/$d"
			done < <(cd "$src" && find . -mindepth 1 -type d |
				 sed 's,^\./,,' | sort)
			while read -r f; do
				echo "file $dest/$f $src/$f $(stat -c %a "$src/$f") 0 0"
			done < <(cd "$src" && find . -type f | sed 's,^\./,,' | sort)
			continue
		fi
		[ -f "$src" ] || { echo "mkinitramfs: missing $src" >&2; exit 1; }
		echo "file $dest $src 0755 0 0"
	done
} > "$list"
"$KDIR/usr/gen_init_cpio" "$list" > "$out.tmp"
mv "$out.tmp" "$out"
