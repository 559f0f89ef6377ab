#!/usr/bin/env python3
"""Judge a guest's serial log (tests/kmod/guest-init.sh) and print the kmod-guest line."""
import collections
import json
import re
import sys

log, kver, series = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(log, errors="replace").read().splitlines()
problems = []
EXPECTED_RULES = {"kmod test sensitive read", "kmod test write in tmp", "kmod test exec with args",
                  "kmod test outbound connection", "kmod test inbound connection", "kmod test dup"}


def grab(pattern, default=None):
    for l in lines:
        m = re.search(pattern, l)
        if m:
            return m.group(1)
    return default


uname = grab(r"^guest: kernel=(\S+)")
if uname is None:
    problems.append("the guest never ran /init (see serial log)")
    uname = kver
for want in ("insmod ok", "dev ok", "rmmod ok", "dmesg_bad=0", "done"):
    if "guest: " + want not in lines:
        problems.append("missing 'guest: %s'" % want)
checks = [l for l in lines if l.startswith("guest: check ")]
if not checks:
    problems.append("no record checks ran")
problems += [l[len("guest: "):] for l in checks if l.endswith(" FAIL")]
if "ksring abuse=ok" not in lines:
    problems.append("bad mmaps/ioctls were not all refused (ksring abuse)")
if "ksring busy=ok" not in lines:
    problems.append("a second open of /dev/kestrel0 was not refused with EBUSY")
events = int(grab(r"^ksring dump records=(\d+)", "0"))
invalid = int(grab(r"^ksring dump records=\d+ invalid=(\d+)", "-1"))
if events == 0 or invalid != 0:
    problems.append("ring reader: %d records, %d invalid" % (events, invalid))
drops = int(grab(r"^ksring undrained .*undrained_drops=(\d+)", "0"))
if drops == 0:
    problems.append("no drops counted on an undrained ring")


def alerts(kind):
    out = []
    for l in lines:
        if l.startswith("guest: alert.%s: " % kind):
            try:
                a = json.loads(l.split(": ", 2)[2])
            except ValueError:
                problems.append("%s: alert line is not JSON: %s" % (kind, l[:120]))
                continue
            fields = {k: v for k, v in (a.get("output_fields") or {}).items() if not k.startswith("evt.time")}
            out.append((a.get("rule"), tuple(sorted(fields.items()))))
    return out


have_engine = any(l.startswith("guest: engine kmod") for l in lines)
kmod_alerts = alerts("kmod")
if not have_engine:
    problems.append("the engine did not run in the guest (no build/kestrel?)")
else:
    if "guest: engine kmod started" not in lines:
        problems.append("engine with engine.kind=kmod did not start")
    missing = EXPECTED_RULES - {r for r, _ in kmod_alerts}
    if missing:
        problems.append("kmod: no alert for %s" % sorted(missing))
    if series != "5.10":
        ebpf_alerts = alerts("modern_ebpf")
        if "guest: engine modern_ebpf started" not in lines:
            problems.append("engine with engine.kind=modern_ebpf did not start")
        a, b = collections.Counter(kmod_alerts), collections.Counter(ebpf_alerts)
        if a != b:
            problems.append("kmod and modern_ebpf alerts differ: only kmod %s, only ebpf %s" %
                            (list((a - b).elements())[:4], list((b - a).elements())[:4]))
for p in problems:
    print("kmod-guest %s: %s" % (uname, p), file=sys.stderr)
print("kmod-guest kernel=%s alerts=%d events=%d undrained_drops=%d result=%s" %
      (uname, len(kmod_alerts), events, drops, "FAIL" if problems else "PASS"))
sys.exit(1 if problems else 0)
