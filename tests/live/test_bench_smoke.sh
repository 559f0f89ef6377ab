#!/usr/bin/env bash
# The bench harness runs end to end and prints its line in the exact format (no
# thresholds: timing is not a test). bench/run --smoke: one storm round, 2.5 s phases.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -x bench/run ] || fail "no bench/run"
KESTREL="$K" timeout 120 bench/run --smoke >"$T/out" 2>"$T/err" || { tail -20 "$T/err"; fail "bench/run --smoke exit $?"; }
num='[0-9]+(\.[0-9]+)?'
re="^bench scenario=storm driver=modern_ebpf load_ratio=$num events_per_s=$num drops_pct=$num cpu_ns_per_event=$num rss_mb=$num\$"
grep -qE "$re" "$T/out" || { cat "$T/out"; fail "no bench line in the expected format"; }
[ "$(grep -c '^bench ' "$T/out")" = "$(grep -c . "$T/out")" ] || { cat "$T/out"; fail "stdout carries more than bench lines"; }
grep -qE "^bench: storm/modern_ebpf round 0: " "$T/err" || fail "no round detail on stderr"
pass "bench smoke: bench/run --smoke prints its line in the expected format"
