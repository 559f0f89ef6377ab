#!/usr/bin/env bash
# build-kmod.sh KDIR OUTDIR [CC]: build kmod/ against the headers in KDIR, in OUTDIR (the
# sources are copied there, so kmod/ stays clean and several kernels can be built side by
# side). -Werror is set in kmod/Kbuild. Prints OUTDIR/kestrel.ko.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${1:?usage: build-kmod.sh KDIR OUTDIR [CC]}
out=${2:?usage: build-kmod.sh KDIR OUTDIR [CC]}
cc=${3:-}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cp "$root"/kmod/Kbuild "$root"/kmod/*.c "$root"/kmod/*.h "$out"/
args=(-C "$kdir" M="$out" KS_INCLUDE="$root/include" modules)
[ -n "$cc" ] && args+=(CC="$cc")
make -s "${args[@]}" >&2
echo "$out/kestrel.ko"
