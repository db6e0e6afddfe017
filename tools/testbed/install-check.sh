#!/bin/bash
# make check's host side of installing rvhv like a driver (the test host's
# side is selftests/install_test.c): DKMS and `make install` as
# Documentation/rvhv.rst ("Installing rvhv on a RISC-V board") tells a
# user, into staging roots instead of /, for the test kernel, checking
# what lands where.
#
# usage: install-check.sh OUT    (KDIR, ARCH and CROSS_COMPILE as
#                                 common.sh sets them; as root)
#
#  1. make dkms-source DESTDIR=OUT/src: OUT/src/usr/src/rvhv-<version>,
#     and dkms.conf read with bash's `source` as DKMS reads it;
#  2. Debian 12's dkms (deps.sh installs it), with its trees in OUT
#     (--dkmstree, --sourcetree, --installtree): it refuses to build for
#     another architecture (BUILD_EXCLUSIVE_ARCH) and for a kernel without
#     CONFIG_MMU_NOTIFIER (BUILD_EXCLUSIVE_CONFIG), then builds rvhv (a
#     cross build: dkms build -k <release> --kernelsourcedir KDIR --arch
#     riscv64, ARCH and CROSS_COMPILE in the environment), strips it (with
#     the cross strip) and installs it into
#     OUT/dkms-root/lib/modules/<release>/updates/dkms;
#  3. make install DESTDIR=OUT/root: rvhv.ko and modules.dep (depmod -b),
#     the udev rule, the header (which must compile on its own);
#  4. make uninstall on a copy of that root takes it all away again.
#
# OUT/root (plus an etc/group with the kvm group, as a distribution has
# it) and OUT/dkms-root go into the test host's initramfs at / and at
# /install/dkms.  Each staging root starts as the kernel's package leaves
# /lib/modules/<release>: modules.builtin, modules.builtin.modinfo,
# modules.order.
set -euo pipefail
: "${KDIR:?KDIR must name the kernel build directory}"
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
kver=$(cat "$KDIR/include/config/kernel.release")
version=$(cat "$top/VERSION")
t0=$SECONDS

step() { echo "== install-check: $* ($((SECONDS - t0))s)"; }
fail() { echo "install-check: FAIL: $*"; exit 1; }
has() {	# has FILE TEXT: FILE has a line that is TEXT
	grep -qxF -- "$2" "$1" || fail "$1 has no line '$2'"
}

kernel_root() {	# kernel_root DIR
	local m=$1/lib/modules/$kver

	mkdir -p "$m"
	cp "$KDIR/modules.builtin" "$KDIR/modules.builtin.modinfo" "$m/"
	sed 's:^\(.*\)\.o$:kernel/\1.ko:' "$KDIR/modules.order" > "$m/modules.order"
}

rm -rf "$out"
mkdir -p "$out"

step "1. make dkms-source, dkms.conf as DKMS reads it"
make -s -C "$top" dkms-source DESTDIR="$out/src" KDIR="$KDIR"
src=$out/src/usr/src/rvhv-$version
for f in dkms.conf Kbuild VERSION rvhv_main.c uapi/linux/rvhv.h; do
	[ -f "$src/$f" ] || fail "no $f in $src"
done
[ ! -e "$src/selftests" ] && [ ! -e "$src/tools" ] ||
	fail "$src has the test bed in it"
conf=$(
	kernel_source_dir=$KDIR dkms_tree=$out/var/lib/dkms
	. "$src/dkms.conf"
	echo "$PACKAGE_NAME $PACKAGE_VERSION ${BUILT_MODULE_NAME[0]}"
	echo "${MAKE[0]}"
)
echo "$conf"
has <(echo "$conf") "rvhv $version rvhv"
has <(echo "$conf") "make -C $KDIR M=$out/var/lib/dkms/rvhv/$version/build modules"

step "2. dkms add, refusals, build, install (Debian 12's dkms, cross)"
command -v dkms > /dev/null || fail "no dkms (tools/testbed/deps.sh installs it)"
trees=(--dkmstree "$out/var/lib/dkms" --sourcetree "$out/src/usr/src"
       --installtree "$out/dkms-root/lib/modules" -k "$kver")
# No module signing: the test kernel checks none, and DKMS must not make
# itself a key in /var/lib/dkms.  dkms strips the module with `strip`:
# for a cross build, the cross one (which says it ran).
export sign_file=/nonexistent
mkdir -p "$out/bin"
printf '#!/bin/sh\necho "$@" >> %s\nexec %sstrip "$@"\n' \
	"$out/strip.log" "${CROSS_COMPILE:-}" > "$out/bin/strip"
chmod +x "$out/bin/strip"
export PATH=$out/bin:$PATH
mkdir -p "$out/var/lib/dkms"
kernel_root "$out/dkms-root"
dkms add "rvhv/$version" "${trees[@]}" --arch riscv64
rc=0
dkms build "rvhv/$version" "${trees[@]}" --kernelsourcedir "$KDIR" \
	--arch x86_64 || rc=$?
[ "$rc" = 77 ] || fail "dkms build --arch x86_64: exit $rc, not 77 (BUILD_EXCLUSIVE_ARCH)"
mkdir -p "$out/kdir-nommu/include"
grep -v '^CONFIG_MMU_NOTIFIER=' "$KDIR/.config" > "$out/kdir-nommu/.config"
rc=0
dkms build "rvhv/$version" "${trees[@]}" \
	--kernelsourcedir "$out/kdir-nommu" --arch riscv64 || rc=$?
[ "$rc" = 77 ] || fail "dkms build without CONFIG_MMU_NOTIFIER: exit $rc, not 77 (BUILD_EXCLUSIVE_CONFIG)"
dkms build "rvhv/$version" "${trees[@]}" --kernelsourcedir "$KDIR" \
	--arch riscv64 ||
	{ cat "$out/var/lib/dkms/rvhv/$version/build/make.log" || true
	  fail "dkms build"; }
dkms install "rvhv/$version" "${trees[@]}" --kernelsourcedir "$KDIR" \
	--arch riscv64 --no-depmod
depmod -b "$out/dkms-root" "$kver"
dkms status rvhv "${trees[@]}" --arch riscv64 | tee "$out/dkms-status"
has "$out/dkms-status" "rvhv/$version, $kver, riscv64: installed"
ko=$out/dkms-root/lib/modules/$kver/updates/dkms/rvhv.ko
[ -f "$ko" ] || fail "dkms installed no $ko"
has "$out/dkms-root/lib/modules/$kver/modules.dep" "updates/dkms/rvhv.ko:"
[ "$(modinfo -F version "$ko")" = "$version" ] || fail "$ko: version not $version"
case $(modinfo -F vermagic "$ko") in
"$kver "*) ;;
*) fail "$ko: vermagic $(modinfo -F vermagic "$ko") is not $kver's" ;;
esac
has "$out/strip.log" "-g $out/var/lib/dkms/rvhv/$version/build/rvhv.ko"

step "3. make install DESTDIR=$out/root"
root=$out/root
kernel_root "$root"
make -s -C "$top" install DESTDIR="$root" KDIR="$KDIR"
ko=$root/lib/modules/$kver/updates/rvhv.ko
[ -f "$ko" ] || fail "make install put no $ko"
has "$root/lib/modules/$kver/modules.dep" "updates/rvhv.ko:"
[ "$(modinfo -F version "$ko")" = "$version" ] || fail "$ko: version not $version"
cmp "$top/tools/install/65-rvhv.rules" "$root/etc/udev/rules.d/65-rvhv.rules"
cmp "$top/uapi/linux/rvhv.h" "$root/usr/local/include/linux/rvhv.h"
printf '#include <linux/rvhv.h>\nint main(void) { return RVHV_CAP_HOST_FEATURES == 0; }\n' |
	"${CROSS_COMPILE:-}gcc" -fsyntax-only -Wall -Werror \
		-I"$root/usr/local/include" -I"$KDIR/usr-headers/include" -x c - ||
	fail "the installed <linux/rvhv.h> does not compile"

step "4. make uninstall (on a copy)"
cp -a "$root" "$out/root-uninstall"
make -s -C "$top" uninstall DESTDIR="$out/root-uninstall" KDIR="$KDIR"
left=$(cd "$out/root-uninstall" && find . -type f \( -name 'rvhv*' -o -name '*rvhv.rules' \))
[ -z "$left" ] || fail "make uninstall left $left"
! grep -q rvhv "$out/root-uninstall/lib/modules/$kver/modules.dep" ||
	fail "make uninstall left rvhv in modules.dep"
rm -rf "$out/root-uninstall"

# The test host's group database: the kvm group, which Debian's udev
# package creates (addgroup --system kvm).
mkdir -p "$root/etc"
printf 'root:x:0:\nkvm:x:104:\n' > "$root/etc/group"
step "done"
