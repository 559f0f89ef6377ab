#!/usr/bin/env bash
# The upstream Falco rules, loaded unmodified, catch the attacks they describe, live.
# Each case here was once silently missed (argument names, memfd executables).
. "$(dirname "$0")/lib.sh"
C=$ROOT/../shared/corpus/falco-rules
[ -f "$C/falco_rules.yaml" ] || { echo "SKIP: no upstream rules at $C"; exit 0; }
printf 'json_output: true\nsyslog_output:\n  enabled: false\nwebserver:\n  enabled: false\n' >"$T/k.yaml"
start_engine -c "$T/k.yaml" -r "$C/falco_rules.yaml" -r "$C/falco-incubating_rules.yaml"
echo tamper >/var/log/kestrel-live-test.log                     # Clear Log Activities
python3 -c 'import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)' # PTRACE anti-debug attempt
python3 - <<'PY'                                                 # Fileless execution via memfd_create
import os
fd = os.memfd_create("kestrel-test", 0)
os.write(fd, open("/bin/true", "rb").read())
pid = os.fork()
if pid == 0:
    os.execv("/proc/self/fd/%d" % fd, ["kestrel-test"])
os.waitpid(pid, 0)
PY
cp /bin/cat "$T/kup-reader"; "$T/kup-reader" /etc/shadow >/dev/null  # Read sensitive file untrusted
# the environment of the new image, not of its parent (incubating rule)
env -i GLIBC_TUNABLES=glibc.malloc.mxfast=0 /bin/true
sleep 1; stop_engine
rm -f /var/log/kestrel-live-test.log
python3 - "$T/out" <<'PY' || fail "upstream rules"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def hit(rule, pred):
    return any(a["rule"] == rule and pred(a.get("output_fields", {})) for a in alerts)
cases = [
    ("Clear Log Activities", lambda f: f.get("fd.name") == "/var/log/kestrel-live-test.log"),
    ("PTRACE anti-debug attempt", lambda f: True),
    ("Fileless execution via memfd_create", lambda f: str(f.get("proc.exepath", "")).startswith("/memfd:kestrel-test")),
    ("Read sensitive file untrusted", lambda f: f.get("proc.name") == "kup-reader" and f.get("fd.name") == "/etc/shadow"),
    ("Potential Local Privilege Escalation via Environment Variables Misuse",
     lambda f: f.get("proc.name") == "true" and f.get("proc.env") == "GLIBC_TUNABLES=glibc.malloc.mxfast=0"),
]
bad = [r for r, p in cases if not hit(r, p)]
for r in bad:
    print("FAIL: no alert from upstream rule %r" % r)
if bad:
    print("rules that fired:", sorted({a["rule"] for a in alerts}))
sys.exit(1 if bad else 0)
PY
pass "upstream rules: log tampering, ptrace anti-debug, fileless exec, sensitive read, GLIBC_TUNABLES"
