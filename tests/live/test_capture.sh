#!/usr/bin/env bash
# Live capture through the modern eBPF driver: exact parameters of a known workload,
# every record decodes, the syscall filter holds, no drops. Run as root by `make live-test`.
set -eu
B=${KS_BUILD:-build}
[ -x "$B/live/capture_check" ] || { echo "FAIL: no $B/live/capture_check (make live-test builds it)"; exit 1; }
"$B/live/capture_check"
