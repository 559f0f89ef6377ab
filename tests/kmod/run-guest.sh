#!/usr/bin/env bash
# run-guest.sh SERIES: build the module for a Debian kernel of SERIES (5.10, 6.1, 6.12),
# boot that kernel under QEMU (TCG) with the module, the ring reader, the engine and a
# workload in an initramfs, and print
#   kmod-guest kernel=<uname -r> alerts=<n> events=<n> undrained_drops=<n> result=PASS|FAIL
# Exit 0 on PASS. Logs go to $KS_KMOD_OUT/<kernel>/ (default build/kmod).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
series=${1:?usage: run-guest.sh 5.10|6.1|6.12}
here=$root/tests/kmod
outbase=${KS_KMOD_OUT:-$root/build/kmod}
fail() { echo "run-guest: $*" >&2; echo "kmod-guest kernel=$series alerts=0 events=0 undrained_drops=0 result=FAIL"; exit 1; }

read -r kver kdir vmlinux cc < <("$here/fetch-kernels.sh" "$series") || fail "cannot fetch $series"
out=$outbase/$kver
mkdir -p "$out"
ko=$("$here/build-kmod.sh" "$kdir" "$out/module" "$cc" 2>"$out/build.log") ||
	{ cat "$out/build.log" >&2; fail "module build failed for $kver"; }
# -Werror is on, but say so if the build printed any warning at all
if grep -qi 'warning' "$out/build.log"; then cat "$out/build.log" >&2; fail "warnings building for $kver"; fi

# initramfs: static busybox, the module, the ring reader, the engine and its libraries
ird=$out/initramfs
rm -rf "$ird"; mkdir -p "$ird/bin" "$ird/engine"
cp /bin/busybox "$ird/bin/busybox"
cp "$here/guest-init.sh" "$ird/init"
cp "$here/workload.sh" "$ird/workload.sh"
cp "$here/rules.yaml" "$ird/rules.yaml"
cp "$ko" "$ird/kestrel.ko"
cp "$outbase/ksring" "$ird/ksring" || fail "no $outbase/ksring (make kmod-tools)"
if [ -x "$root/build/kestrel" ]; then
	"$here/copy-with-libs.sh" "$root/build/kestrel" "$ird" /engine/kestrel || fail "cannot copy the engine"
else
	echo "run-guest: no build/kestrel: engine phases skipped" >&2
fi
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"

log=$out/serial.log
rm -f "$log"
start=$(date +%s)
timeout 600 qemu-system-x86_64 -accel tcg -smp 2 -m 1G -display none -monitor none \
	-serial "file:$log" -no-reboot -kernel "$vmlinux" -initrd "$out/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4 quiet" >"$out/qemu.log" 2>&1
qrc=$?
echo "run-guest: $kver booted and ran in $(($(date +%s) - start)) s (qemu exit $qrc)" >&2
tr -d '\r' <"$log" >"$out/serial.txt"
python3 "$here/check-guest.py" "$out/serial.txt" "$kver" "$series"
