#!/usr/bin/env bash
# Check the systemd units with `systemd-analyze verify`, strictly (any complaint fails).
# The binaries they name need not be installed: the units are checked as copies that point
# at stand-ins in a temporary directory. Usage: verify-units.sh UNIT...
set -euo pipefail
command -v systemd-analyze >/dev/null ||
	{ echo "verify-units: systemd-analyze missing (run scripts/install-deps.sh)"; exit 1; }
T=$(mktemp -d /tmp/kestrel-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/units"
for exe in /usr/bin/kestrel /sbin/modprobe /sbin/rmmod; do
	cp /bin/true "$T/bin/$(basename "$exe")"
done
for u in "$@"; do
	sed -e "s#/usr/bin/kestrel#$T/bin/kestrel#g" -e "s#/sbin/modprobe#$T/bin/modprobe#g" \
	    -e "s#/sbin/rmmod#$T/bin/rmmod#g" "$u" >"$T/units/$(basename "$u")"
done
rc=0
out=$(cd "$T/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no ./*.service 2>&1) || rc=$?
# Complaints about units that are not ours (the host's own) are not ours to fix.
ours=$(printf '%s\n' "$out" | grep -i 'kestrel' || true)
if [ "$rc" != 0 ] || [ -n "$ours" ]; then
	printf '%s\n' "$out"
	echo "verify-units: FAILED"
	exit 1
fi
echo "verify-units: $* OK"
