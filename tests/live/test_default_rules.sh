#!/usr/bin/env bash
# The shipped default rules catch what they promise, live, within a second.
. "$(dirname "$0")/lib.sh"
cp /bin/true "$T/wget"
start_engine -c "$T/empty.yaml" -r "$ROOT/rules/kestrel_rules.yaml" -o json_output=true
cat /etc/shadow >/dev/null
wait_for '"rule":"Read sensitive file untrusted"' "$T/out" || fail "no alert for cat /etc/shadow within 5 s"
(cd "$T" && ./wget -q)
touch /usr/local/bin/kestrel-live-test && rm -f /usr/local/bin/kestrel-live-test
if command -v script >/dev/null; then script -qc "bash -c true" /dev/null >/dev/null; fi
sleep 1; stop_engine
python3 - "$T/out" <<'PY' || fail "default rules"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def rules(name): return [a for a in alerts if a["rule"] == name]
bad = []
r = [a for a in rules("Read sensitive file untrusted") if a["output_fields"]["proc.name"] == "cat"]
if len(r) != 1: bad.append("cat /etc/shadow: %d alerts" % len(r))
elif r[0]["output_fields"]["fd.name"] != "/etc/shadow" or r[0]["priority"] != "Warning": bad.append(r[0])
if not [a for a in rules("Downloader or package manager run") if a["output_fields"]["proc.name"] == "wget"]:
    bad.append("wget run not caught")
w = [a for a in rules("Write below binary dir") if a["output_fields"]["fd.name"] == "/usr/local/bin/kestrel-live-test"]
if len(w) != 1: bad.append("write below /usr/local/bin: %d alerts" % len(w))
import shutil
if shutil.which("script"):
    s = [a for a in rules("Terminal shell started") if a["output_fields"]["proc.name"] == "bash"]
    if not s: bad.append("shell with a terminal not caught")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
pass "default rules: sensitive read, downloader, write below bin, terminal shell"
