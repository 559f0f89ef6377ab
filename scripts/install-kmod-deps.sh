#!/usr/bin/env bash
# Install what `make kmod`, `make dkms-install` and `make test-kmod` need on Debian 12.
# Idempotent; run as root. Kernel images (and all of 5.10) are not installed here:
# tests/kmod/fetch-kernels.sh downloads them into a cache without touching /boot.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PKGS=(build-essential gcc-12 make kmod dkms qemu-system-x86 busybox-static cpio zstd xz-utils
      python3 linux-headers-amd64)

need_update=1
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done

# The newest 6.12 headers bookworm carries (from the security suite); the ABI name moves
# with security updates, so it is looked up rather than written down.
latest612() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sort -V | tail -1
}
h612=$(latest612 || true)
if [ -z "$h612" ]; then
	apt-get update -qq
	need_update=0
	h612=$(latest612)
fi
[ -n "$h612" ] || { echo "install-kmod-deps: no linux-headers-6.12.*+deb12-amd64 in apt lists" >&2; exit 1; }
dpkg -s "$h612" >/dev/null 2>&1 || missing+=("$h612")

if [ ${#missing[@]} -gt 0 ]; then
	[ $need_update = 0 ] || apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
