#!/usr/bin/env bash
# A capture written live (-w) replays (-e) to exactly the same alerts, from the same state.
. "$(dirname "$0")/lib.sh"
cp /bin/cat "$T/krp-check"
cat >"$T/r.yaml" <<'YAML'
- rule: Replay read
  desc: d
  condition: evt.type in (open, openat) and evt.is_open_read = true and proc.name = krp-check and fd.name in (/etc/hostname, /etc/passwd)
  output: read %fd.name by %proc.name parent=%proc.pname cmd=%proc.cmdline uid=%user.uid
  priority: NOTICE
  tags: [t]
- rule: Replay exec
  desc: d
  condition: evt.type = execve and proc.name = krp-check
  output: exec %proc.exepath args=%proc.args parent=%proc.pname
  priority: INFO
YAML
# a parent that is alive when the capture starts and gone long before the replay: the
# replay must name it from the capture's process snapshot, not from this host's /proc
cp /bin/sleep "$T/krp-parent"
( exec -a krp-parent "$T/krp-parent" 1.5 ) &
PARENT=$!
sleep 0.2
start_engine -c "$T/empty.yaml" -r "$T/r.yaml" -o json_output=true -w "$T/cap.ksc"
for i in 1 2 3; do "$T/krp-check" /etc/hostname /etc/passwd >/dev/null; done
wait "$PARENT"
sleep 1; stop_engine
cp "$T/out" "$T/live.json"
[ "$(grep -c '"rule":"Replay read"' "$T/live.json")" = 6 ] || { cat "$T/live.json"; fail "live run: want 6 read alerts"; }
grep -q 'parent=bash' "$T/live.json" || fail "live run: parent is not bash"
# the snapshot carries processes that exited since: krp-parent is in it
grep -qa "krp-parent" "$T/cap.ksc" || fail "the capture's process snapshot lacks a process alive at its start"
"$K" -c "$T/empty.yaml" -r "$T/r.yaml" -o json_output=true -e "$T/cap.ksc" >"$T/replay.json" 2>"$T/err" || fail "replay exit $?"
diff "$T/live.json" "$T/replay.json" || fail "replayed alerts differ from the live ones"
# a truncated capture replays what it holds and says where it stopped
head -c 100 "$T/cap.ksc" >"$T/trunc.ksc"
"$K" -c "$T/empty.yaml" -r "$T/r.yaml" -e "$T/trunc.ksc" >/dev/null 2>"$T/err" || fail "truncated replay exit $?"
printf 'not a capture at all, just some text for the header....................\n' >"$T/junk.ksc"
"$K" -c "$T/empty.yaml" -r "$T/r.yaml" -e "$T/junk.ksc" >/dev/null 2>"$T/err" && fail "junk capture accepted"
grep -q "not a Kestrel capture" "$T/err" || fail "junk capture error"
pass "replay: live alerts reproduced exactly from the capture"
