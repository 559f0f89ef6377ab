# Shared helpers for live tests. Source it. Runs as root with $KESTREL set by the Makefile.
set -u
K=${KESTREL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/kestrel}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fail() { echo "FAIL: $*"; [ -f "${T:-/nonexistent}/err" ] && tail -5 "$T/err"; exit 1; }
pass() { echo "PASS: $*"; }
T=$(mktemp -d /tmp/kestrel-test.XXXXXX)
EPID=
cleanup() { [ -n "$EPID" ] && kill -9 "$EPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
: >"$T/empty.yaml"
start_engine() {
  "$K" "$@" >"$T/out" 2>"$T/err" &
  EPID=$!
  for _ in $(seq 1 200); do
    grep -q "capture started" "$T/err" && return 0
    kill -0 "$EPID" 2>/dev/null || { cat "$T/err"; fail "engine exited before capture started"; }
    sleep 0.1
  done
  fail "no 'capture started' within 20 s"
}
stop_engine() {
  kill -TERM "$EPID"; ERC=0; wait "$EPID" || ERC=$?; EPID=
  [ "$ERC" = 0 ] || fail "engine exited $ERC after SIGTERM"
}
# wait_for PATTERN FILE: poll up to 5 s for a line to appear
wait_for() {
  for _ in $(seq 1 50); do grep -qE "$1" "$2" && return 0; sleep 0.1; done
  return 1
}
