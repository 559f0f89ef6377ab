#!/usr/bin/env bash
# fetch-kernels.sh SERIES: make sure headers and a bootable ELF vmlinux of a Debian kernel
# of SERIES (5.10, 6.1 or 6.12) are at hand, and print "KVER KDIR VMLINUX CC".
# 6.1 and 6.12 headers come from scripts/install-kmod-deps.sh; their images and all of 5.10
# (bullseye, through a private apt configuration that leaves the system's apt state alone)
# are downloaded into $KS_KMOD_CACHE (default /var/cache/kestrel-kmod) once.
set -euo pipefail
series=${1:?usage: fetch-kernels.sh 5.10|6.1|6.12}
CACHE=${KS_KMOD_CACHE:-/var/cache/kestrel-kmod}
mkdir -p "$CACHE"
log() { echo "fetch-kernels: $*" >&2; }

# vmlinux_from IMAGE OUT: QEMU boots the ELF vmlinux through its PVH entry, about 3x
# faster than the bzImage under TCG; it sits compressed after the xz or zstd magic.
vmlinux_from() {
	local img=$1 out=$2 off
	for magic in 'FD377A585A00:xz' '28B52FFD:zstd'; do
		local hex=${magic%%:*} tool=${magic##*:}
		for off in $(LC_ALL=C grep -obUaP "$(echo "$hex" | sed 's/../\\x&/g')" "$img" | cut -d: -f1); do
			tail -c +$((off + 1)) "$img" | $tool -dc >"$out.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				mv "$out.tmp" "$out"
				return 0
			fi
		done
	done
	rm -f "$out.tmp"
	log "no ELF vmlinux inside $img"
	return 1
}

# fetch_debs DIR APTARGS... PKG...: apt-get download into DIR and unpack each .deb in DIR/root.
fetch_debs() {
	local dir=$1; shift
	mkdir -p "$dir/root"
	(cd "$dir" && apt-get "$@")
	for d in "$dir"/*.deb; do dpkg-deb -x "$d" "$dir/root"; done
}

case $series in
6.1 | 6.12)
	kver=$(ls /lib/modules | grep -E "^${series//./\\.}[.-][0-9].*-amd64$" | grep -vE -- "-(cloud|rt)-amd64$" |
		sort -V | tail -1 || true)
	[ -n "$kver" ] && [ -d "/lib/modules/$kver/build" ] ||
		{ log "no $series headers in /lib/modules: run scripts/install-kmod-deps.sh"; exit 1; }
	dir=$CACHE/$kver
	if [ ! -s "$dir/vmlinux" ]; then
		log "downloading linux-image-$kver"
		rm -rf "$dir"; mkdir -p "$dir"
		fetch_debs "$dir" -qq -o APT::Sandbox::User=root download "linux-image-$kver"
		vmlinux_from "$dir/root/boot/vmlinuz-$kver" "$dir/vmlinux"
		rm -rf "$dir/root" "$dir"/*.deb
	fi
	echo "$kver /lib/modules/$kver/build $dir/vmlinux gcc-12"
	;;
5.10)
	apt=$CACHE/apt-bullseye
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	cat >"$apt/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-bullseye-stable.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-bullseye-security-automatic.gpg] http://deb.debian.org/debian-security bullseye-security main
SRC
	opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	      -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
	if [ -s "$CACHE/5.10.kver" ]; then
		kver=$(cat "$CACHE/5.10.kver")
	else
		log "updating private bullseye lists"
		apt-get -qq "${opts[@]}" update
		abi=$(apt-cache "${opts[@]}" search --names-only '^linux-headers-5\.10\.0-[0-9]+-amd64$' |
			awk '{print $1}' | sed 's/linux-headers-//' | sort -V | tail -1)
		[ -n "$abi" ] || { log "no 5.10 headers in bullseye lists"; exit 1; }
		kver=$abi
	fi
	dir=$CACHE/$kver
	if [ ! -s "$dir/vmlinux" ] || [ ! -d "$dir/headers" ]; then
		log "downloading $kver headers and image"
		rm -rf "$dir"; mkdir -p "$dir"
		common=${kver%-amd64}-common
		fetch_debs "$dir" -qq "${opts[@]}" download "linux-headers-$kver" "linux-headers-$common" \
			linux-kbuild-5.10 "linux-image-$kver"
		vmlinux_from "$dir/root/boot/vmlinuz-$kver" "$dir/vmlinux"
		# Keep the packages' layout (the headers reach kbuild through relative links) but
		# point the one absolute include of the common part at the unpacked copy.
		sed -i "s#/usr/src/linux-headers-$common#$dir/root/usr/src/linux-headers-$common#" \
			"$dir/root/usr/src/linux-headers-$kver/Makefile"
		ln -sfn "root/usr/src/linux-headers-$kver" "$dir/headers"
		rm -rf "$dir/root/boot" "$dir/root/lib" "$dir"/*.deb
		echo "$kver" >"$CACHE/5.10.kver"
	fi
	echo "$kver $dir/headers $dir/vmlinux gcc-12"
	;;
*)
	log "unknown series $series (5.10, 6.1 or 6.12)"; exit 1 ;;
esac
