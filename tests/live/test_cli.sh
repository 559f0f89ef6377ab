#!/usr/bin/env bash
# CLI behaviour a Falco user relies on: errors with FILE:LINE:COL, -V, -L, --list,
# empty config, stdout carrying alerts only, SIGTERM exit 0 with a summary.
. "$(dirname "$0")/lib.sh"
printf -- '- rule: r\n  desc: d\n  condition: evt.type = openat and\n  output: o\n  priority: INFO\n' >"$T/bad.yaml"
"$K" -V "$T/bad.yaml" >"$T/v" 2>&1 && fail "-V accepted a dangling 'and'"
grep -qE "bad\.yaml:3:[0-9]+: error" "$T/v" || { cat "$T/v"; fail "no bad.yaml:3:COL error"; }
"$K" -V "$ROOT/rules/kestrel_rules.yaml" >"$T/v" 2>&1 || { cat "$T/v"; fail "-V default rules"; }
grep -q "kestrel_rules.yaml: Ok" "$T/v" || fail "-V does not say Ok"
"$K" -c "$T/empty.yaml" -r "$T/nope.yaml" --dry-run >"$T/v" 2>&1 && fail "missing rules file accepted"
grep -q "nope.yaml" "$T/v" || fail "missing rules file not named"
"$K" -c "$T/nope-config.yaml" -r "$ROOT/rules/kestrel_rules.yaml" --dry-run >"$T/v" 2>&1 && fail "missing -c file accepted"
grep -q "nope-config.yaml" "$T/v" || fail "missing config not named"
printf 'json_output: [unclosed\n' >"$T/badcfg.yaml"
"$K" -c "$T/badcfg.yaml" -r "$ROOT/rules/kestrel_rules.yaml" --dry-run >"$T/v" 2>&1 && fail "bad config accepted"
grep -qE "badcfg\.yaml:[0-9]+:[0-9]+: error" "$T/v" || { cat "$T/v"; fail "bad config error has no FILE:LINE:COL"; }
"$K" -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -L >"$T/L" 2>&1 || fail "-L"
grep -q "Read sensitive file untrusted" "$T/L" || fail "-L does not list a default rule"
"$K" --list >"$T/list" || fail "--list"
for f in evt.type proc.name fd.name user.name evt.is_open_read; do grep -q "^$f " "$T/list" || fail "--list misses $f"; done
"$K" -o bogus >"$T/v" 2>&1 && fail "-o without = accepted"
# values that would fail at start-up are refused by --dry-run already
"$K" -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -o engine.kind=bogus --dry-run >"$T/v" 2>&1 && fail "engine.kind=bogus accepted"
grep -q "engine.kind 'bogus'" "$T/v" || fail "engine.kind error"
"$K" -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -o webserver.listen_port=99999 --dry-run >"$T/v" 2>&1 && fail "port 99999 accepted"
"$K" -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -o engine.modern_ebpf.buf_size_preset=9 --dry-run >"$T/v" 2>&1 && fail "preset 9 accepted"
"$K" -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -l "No such rule" >"$T/v" 2>&1 && fail "-l of an unknown rule exited 0"
grep -q "No such rule" "$T/v" || fail "-l error does not name the rule"
"$K" -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -l "Terminal shell started" >"$T/v" 2>&1 || fail "-l of a known rule"
grep -q "Terminal shell started" "$T/v" || fail "-l does not describe the rule"
# stdout carries alerts only; -M stops the run; summary on stderr
start_engine -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -M 3
cat /etc/shadow >/dev/null
ERC=0; wait "$EPID" || ERC=$?; EPID=
[ "$ERC" = 0 ] || fail "-M run exited $ERC"
grep -vqE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}: (Emergency|Alert|Critical|Error|Warning|Notice|Informational|Debug) ' "$T/out" && { cat "$T/out"; fail "stdout has a non-alert line"; }
grep -q "Sensitive file opened for reading by non-trusted program" "$T/out" || fail "no text alert"
grep -qE "events=[0-9]+ drops=[0-9]+ alerts=[1-9]" "$T/err" || { cat "$T/err"; fail "no summary line"; }
pass "cli: errors, -V, -L, --list, -M, stdout alerts only, summary"
