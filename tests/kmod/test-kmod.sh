#!/usr/bin/env bash
# test-kmod.sh SERIES...: for each Debian kernel series, build the module and test it in a
# QEMU guest (run-guest.sh, one guest at a time: they are CPU bound under TCG), then build
# it with DKMS against 6.1. Prints the kmod-guest and kmod-dkms lines; exits 1 on a FAIL.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s)
rc=0
for series in "${@:-5.10 6.1 6.12}"; do
	"$here/run-guest.sh" "$series" || rc=1
done
"$here/dkms-test.sh" 6.1 || rc=1
echo "test-kmod: $(($(date +%s) - start)) s, $([ $rc = 0 ] && echo all passed || echo FAILED)"
exit $rc
