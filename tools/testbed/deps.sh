#!/bin/bash
# Install the Debian packages the test bed needs, if any are missing.
# Safe to run every time: it asks apt only when something is absent.
set -euo pipefail

pkgs=(gcc make gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-system-misc
      opensbi linux-source-6.12 flex bison bc cpio libelf-dev libssl-dev
      sparse xz-utils kmod python3 python3-docutils perl rsync git dkms)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; please run: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
