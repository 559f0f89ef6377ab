#!/usr/bin/env bash
# stage.sh DEST: lay out the DKMS source tree of the module in DEST (e.g.
# /usr/src/kestrel-<version>): dkms.conf, kbuild file and sources, the shared headers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: stage.sh DEST}
rm -rf "$dest"
mkdir -p "$dest/include"
cp "$root/dkms/dkms.conf" "$root/kmod/Kbuild" "$root"/kmod/*.c "$root"/kmod/*.h "$dest/"
cp "$root"/include/kestrel_abi.h "$root"/include/kestrel_events.h "$root"/include/kestrel_kmod.h \
	"$dest/include/"
