#!/usr/bin/env bash
# A full ring counts its drops, and syscall_event_drops raises Falco's internal alert:
# the engine is frozen (SIGSTOP) while a load fills its small rings.
. "$(dirname "$0")/lib.sh"
cat >"$T/r.yaml" <<'YAML'
- rule: Any open
  desc: d
  condition: evt.type in (open, openat) and proc.name = kdrop-load
  output: o %fd.name
  priority: DEBUG
YAML
cat >"$T/load.c" <<'C'
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  time_t end = time(0) + atoi(argv[1]);
  while (time(0) < end)
    for (int i = 0; i < 1000; i++) close(open("/etc/hostname", O_RDONLY));
  return 0;
}
C
sed -i '1i #include <stdlib.h>' "$T/load.c"
gcc -O1 -o "$T/kdrop-load" "$T/load.c" || fail "cannot build the load"
cat >"$T/k.yaml" <<YAML
engine:
  kind: modern_ebpf
  modern_ebpf:
    buf_size_preset: 0
json_output: true
syslog_output:
  enabled: false
syscall_event_drops:
  threshold: 0.01
  actions: [log, alert]
  rate: 1
  max_burst: 1
webserver:
  enabled: false
YAML
start_engine -c "$T/k.yaml" -r "$T/r.yaml"
kill -STOP "$EPID"
"$T/kdrop-load" 3
kill -CONT "$EPID"
wait_for '"rule":"Kestrel internal: syscall event drop"' "$T/out" || { sleep 3; }
stop_engine
grep -q '"rule":"Kestrel internal: syscall event drop"' "$T/out" || fail "no syscall event drop alert"
grep -q '"priority":"Debug"' "$T/out" || fail "drop alert priority"
python3 - "$T/out" <<'PY' || fail "drop alert fields"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if '"Kestrel internal' in l][0]
f = a["output_fields"]
assert f["n_drops"] > 0 and f["n_drops_buffer_total"] >= f["n_drops"], f
assert "system calls dropped in last second" in a["output"], a["output"]
PY
grep -q "syscall event drop" "$T/err" || fail "no drop log line"
grep -qE "ring_full=[1-9]" "$T/err" || { tail -2 "$T/err"; fail "summary does not count ring_full drops"; }
pass "drops: a full ring counts drops and raises the internal drop alert"
