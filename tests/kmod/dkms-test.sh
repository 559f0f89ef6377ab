#!/usr/bin/env bash
# dkms-test.sh SERIES: add and build the module with DKMS against an installed kernel's
# headers, in a private DKMS tree (nothing lands in /usr/src or /var/lib/dkms), and print
#   kmod-dkms kernel=<version> result=PASS|FAIL
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
series=${1:-6.1}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$root/dkms/dkms.conf")
kver=$(ls /lib/modules 2>/dev/null | grep -E "^${series//./\\.}[.-][0-9].*-amd64$" |
	grep -vE -- "-(cloud|rt)-amd64$" | sort -V | tail -1)
res=FAIL
if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
	echo "dkms-test: no $series headers installed (scripts/install-kmod-deps.sh)" >&2
	kver=$series
elif ! command -v dkms >/dev/null; then
	echo "dkms-test: dkms is not installed (scripts/install-kmod-deps.sh)" >&2
else
	t=$(mktemp -d /tmp/kestrel-dkms.XXXXXX)
	trap 'rm -rf "$t"' EXIT
	"$root/dkms/stage.sh" "$t/src/kestrel-$ver"
	d=(--dkmstree "$t/tree" --sourcetree "$t/src")
	mkdir -p "$t/tree"
	if dkms add -m kestrel -v "$ver" "${d[@]}" >"$t/log" 2>&1 &&
		dkms build -m kestrel -v "$ver" -k "$kver" "${d[@]}" >>"$t/log" 2>&1; then
		ko=$(find "$t/tree/kestrel/$ver/$kver" -name 'kestrel.ko*' | head -1)
		if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$kver "; then
			res=PASS
		else
			echo "dkms-test: no kestrel.ko for $kver in the DKMS tree" >&2
		fi
		if grep -qi 'warning' "$t/tree/kestrel/$ver/build/make.log" 2>/dev/null; then
			echo "dkms-test: the build printed warnings" >&2
			res=FAIL
		fi
	fi
	[ $res = PASS ] || cat "$t/log" "$t/tree/kestrel/$ver/build/make.log" >&2 2>/dev/null
fi
echo "kmod-dkms kernel=$kver result=$res"
[ $res = PASS ]
