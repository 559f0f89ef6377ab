#!/usr/bin/env bash
# Memory under churn: 100,000 short-lived processes (fork+exit, every 20th an exec of
# /bin/true) and 1,000,000 open/close pairs through the live engine; afterwards the thread
# and fd tables (the engine's periodic metrics line) and its VmRSS are back in the band
# they started in. A table that leaks an entry per process or per fd fails this by a wide
# margin: 100,000 threads or 1,000,000 fds are tens of MiB and tens of thousands of entries.
. "$(dirname "$0")/lib.sh"
PROCS=${KS_CHURN_PROCS:-100000}
OPENS=${KS_CHURN_OPENS:-1000000}
CHURN=${KS_BUILD:-$ROOT/build}/live/churn
[ -x "$CHURN" ] || fail "no $CHURN (make live-test builds it)"
cp "$CHURN" "$T/churn"
cat >"$T/r.yaml" <<'YAML'
- rule: Churn marker
  desc: the workload's last open
  condition: evt.type in (open, openat) and proc.name = churn and fd.name = /etc/hostname
  output: churn done (%proc.name %fd.name)
  priority: NOTICE
YAML
start_engine -c "$T/empty.yaml" -r "$T/r.yaml" -o json_output=true \
	-o metrics.enabled=true -o metrics.interval=1s

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$EPID/status"; }
# last "threads=N fds=M" of the periodic metrics line, after the next one is written
tables() {
	local n
	n=$(grep -c 'metrics: ' "$T/err")
	for _ in $(seq 1 50); do
		[ "$(grep -c 'metrics: ' "$T/err")" -gt "$n" ] && break
		sleep 0.1
	done
	grep 'metrics: ' "$T/err" | tail -1 | sed -E 's/.* threads=([0-9]+) fds=([0-9]+).*/\1 \2/'
}
drops() { grep 'metrics: ' "$T/err" | tail -1 | sed -E 's/.* drops=([0-9]+).*/\1/'; }

# warm up (allocator arenas, rings, rule caches), then take the starting band
"$T/churn" 2000 20000 20 || fail "warm-up workload failed"
sleep 2
read -r TH0 FD0 < <(tables)
RSS0=$(rss)
[ -n "$TH0" ] && [ -n "$FD0" ] && [ -n "$RSS0" ] || fail "no metrics line or VmRSS"
start=$(date +%s)
# the workload holds on for 6 s after its last open, so its own fd table is measured
# while it is still alive (a process's table goes away with it, leaked entries too)
"$T/churn" "$PROCS" "$OPENS" 20 6 &
WPID=$!
PEAK=$RSS0
until [ "$(grep -c 'churn done' "$T/out")" -ge 2 ]; do  # the warm-up matched once
	kill -0 "$WPID" 2>/dev/null || { wait "$WPID"; fail "workload failed"; }
	r=$(rss); [ "${r:-0}" -gt "$PEAK" ] && PEAK=$r
	sleep 0.5
done
took=$(($(date +%s) - start))
sleep 2
read -r TH1 FD1 < <(tables)
RSS1=$(rss)
D=$(drops)
wait "$WPID" || fail "workload failed"
stop_engine
grep -q '"rule":"Churn marker"' "$T/out" || fail "the marker rule never matched"
echo "churn: $PROCS processes + $OPENS open/close in ${took}s; threads $TH0 -> $TH1," \
	"fds $FD0 -> $FD1, VmRSS ${RSS0} kB -> ${RSS1} kB (peak ${PEAK} kB), drops=$D"
# Bounds: other processes on the host come and go meanwhile (a few hundred at most);
# the workload's 100,000 threads would be far outside them, and so would its unclosed
# fds (at least max_fds_per_process, 4096, before the table refuses more).
[ "$TH1" -le $((TH0 + 500)) ] || fail "thread table grew from $TH0 to $TH1"
[ "$FD1" -le $((FD0 + 1000)) ] || fail "fd table grew from $FD0 to $FD1"
[ "$RSS1" -le $((RSS0 + 32768)) ] || fail "VmRSS grew from $RSS0 kB to $RSS1 kB"
pass "churn: thread and fd tables and RSS back in their starting band"
