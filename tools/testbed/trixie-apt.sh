# Sourced by qemu10.sh and vmm-qemu.sh: a private apt root for Debian 13
# (trixie) packages of one architecture.  Nothing of /etc/apt or
# /var/lib/apt is read or written: the root has its own sources.list,
# lists, archives and an empty dpkg status, and the packages are signed by
# the Debian archive keyring this machine already has.  Also: the cache
# such a script keeps its unpacked trees in (trixie_cache,
# trixie_tree_start, trixie_tree_done), and the shared libraries a riscv64
# program needs (trixie_closure).
#
# trixie_apt DIR ARCH   set DIR up as that root for ARCH (amd64, riscv64)
#                       and fill the array apt_opts: apt-get/apt-cache
#                       "${apt_opts[@]}" ... (or the functions below)
#                       then work in it.
# RVHV_DEBIAN_MIRROR overrides http://deb.debian.org.
trixie_apt() {
	local apt=$1 arch=$2 suite=trixie
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	local mirror=${RVHV_DEBIAN_MIRROR:-http://deb.debian.org}

	mkdir -p "$apt/etc/apt.conf.d" "$apt/etc/preferences.d" \
		"$apt/etc/sources.list.d" "$apt/lists/partial" \
		"$apt/archives/partial" "$apt/dpkg"
	: > "$apt/dpkg/status"
	if ! gpg --no-default-keyring --keyring "$keyring" --list-keys \
		2>/dev/null | grep -q '(13/trixie)'; then
		echo "trixie-apt: $keyring has no Debian 13 (trixie) key;" \
			"install a newer debian-archive-keyring" >&2
		return 1
	fi
	cat > "$apt/etc/sources.list" <<-EOS
	deb [arch=$arch signed-by=$keyring] $mirror/debian $suite main
	deb [arch=$arch signed-by=$keyring] $mirror/debian $suite-updates main
	deb [arch=$arch signed-by=$keyring] $mirror/debian-security $suite-security main
	EOS
	apt_opts=(-o "Dir=$apt" -o "Dir::Etc=$apt/etc"
		  -o "Dir::Etc::sourcelist=$apt/etc/sources.list"
		  -o "Dir::Etc::sourceparts=$apt/etc/sources.list.d"
		  -o "Dir::Etc::parts=$apt/etc/apt.conf.d"
		  -o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
		  -o "Dir::State=$apt" -o "Dir::State::lists=$apt/lists"
		  -o "Dir::State::status=$apt/dpkg/status"
		  -o "Dir::Cache=$apt" -o "Dir::Cache::archives=$apt/archives"
		  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
		  -o "Dir::Log=$apt" -o "APT::Architecture=$arch"
		  -o "APT::Architectures::=$arch" -o "APT::Install-Recommends=0"
		  -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
}

# trixie_candidate PKG   (after trixie_apt): refresh the lists and print
# the version of PKG apt would install (nothing if trixie has none).
trixie_candidate() {
	apt-get -qq "${apt_opts[@]}" update >&2
	apt-cache "${apt_opts[@]}" policy "$1" | sed -n 's/^ *Candidate: *//p'
}

# trixie_unpack DIR PKG VERSION TMP   (after trixie_apt DIR ...): download
# PKG=VERSION with its dependencies into DIR's archives and unpack them
# all (dpkg-deb -x, nothing installed) into TMP/root; TMP/packages lists
# the .deb files.  The archives are emptied before and after.
trixie_unpack() {
	local apt=$1 pkg=$2 version=$3 tmp=$4 deb

	rm -f "$apt/archives/"*.deb
	apt-get -qq -y "${apt_opts[@]}" install --download-only \
		"$pkg=$version" >&2
	for deb in "$apt/archives/"*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	ls "$apt/archives/"*.deb | sed 's,.*/,,' > "$tmp/packages"
	rm -f "$apt/archives/"*.deb
}

# trixie_cache DIR   lock the cache DIR for the rest of the script (fd 9:
# one run at a time) and set have to its newest complete tree
# (DIR/*/tree, one a version), or to nothing.  Not in a subshell: the
# lock would go with it.
trixie_cache() {
	mkdir -p "$1"
	exec 9> "$1/.lock"
	flock 9
	have=$(ls -d "$1"/*/tree 2>/dev/null | sort -V | tail -1 || true)
}

# trixie_tree_start CACHE KEY   (after trixie_cache): set dest to
# CACHE/KEY (KEY made safe as a file name).  If dest holds a complete
# tree, print it and end the script; otherwise set tmp to a new directory
# in CACHE to build TMP/tree and TMP/packages in, removed when the script
# ends unless trixie_tree_done has moved them into place.
trixie_tree_start() {
	dest=$1/${2//[^A-Za-z0-9.~_-]/_}
	if [ -d "$dest/tree" ]; then
		echo "$dest/tree"
		exit 0
	fi
	tmp=$(mktemp -d "$1/.unpack.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
}

# trixie_tree_done NAME   move tmp's tree and packages list into dest (a
# rename: the tree appears complete or not at all), say its size on
# stderr (NAME: the script's) and print its path.
trixie_tree_done() {
	mkdir -p "$dest"
	mv -T "$tmp/tree" "$dest/tree"
	mv "$tmp/packages" "$dest/packages"
	rm -rf "$tmp"
	trap - EXIT
	echo "$1: $(du -sh "$dest/tree" | cut -f1) in $dest/tree" >&2
	echo "$dest/tree"
}

# trixie_closure ROOT LIBDIR ELF...   copy into LIBDIR the riscv64 shared
# libraries the ELF files need (their NEEDED entries, and those of what
# they need), found in ROOT (unpacked packages: its multiarch library
# directories and systemd's private one).  Fails naming a missing one.
trixie_closure() {
	local root=$1 libdir=$2 elf lib d src
	local todo=("${@:3}")

	while [ ${#todo[@]} -gt 0 ]; do
		elf=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $(riscv64-linux-gnu-readelf -d "$elf" |
			     sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -e "$libdir/$lib" ] && continue
			src=""
			for d in usr/lib/riscv64-linux-gnu lib/riscv64-linux-gnu \
				 usr/lib/riscv64-linux-gnu/systemd; do
				[ -e "$root/$d/$lib" ] || continue
				src=$root/$d/$lib
				break
			done
			[ -n "$src" ] || {
				echo "trixie-apt: $lib (needed by ${elf##*/}) not found" >&2
				return 1
			}
			cp -L "$src" "$libdir/$lib"
			todo+=("$libdir/$lib")
		done
	done
}
