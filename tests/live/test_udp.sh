#!/usr/bin/env bash
# Datagrams sent without connect carry their destination: fd.name, fd.rip/rport,
# fd.connected=false and fd.name_changed as Falco's outbound macro uses them.
. "$(dirname "$0")/lib.sh"
cat >"$T/r.yaml" <<'YAML'
- rule: udp send
  desc: d
  condition: evt.type in (sendto, sendmsg) and proc.name = kudp-check and fd.l4proto != tcp
  output: "%evt.type %fd.name %fd.l4proto %fd.connected %fd.name_changed %fd.rip %fd.rport %fd.typechar"
  priority: INFO
YAML
cat >"$T/kudp-check" <<'PY'
#!/usr/bin/python3
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello", ("127.0.0.1", 47003))
s.sendto(b"hello", ("127.0.0.1", 47003))
s.sendmsg([b"abc"], [], 0, ("127.0.0.2", 47005))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.sendto(b"v6", ("::1", 47006))
PY
chmod +x "$T/kudp-check"
printf 'json_output: true\nsyslog_output:\n  enabled: false\nwebserver:\n  enabled: false\n' >"$T/k.yaml"
start_engine -c "$T/k.yaml" -r "$T/r.yaml"
"$T/kudp-check"
sleep 1; stop_engine
python3 - "$T/out" <<'PY' || fail "udp fields"
import json, sys
a = [json.loads(l)["output_fields"] for l in open(sys.argv[1]) if l.strip()]
got = [(f["evt.type"], f["fd.rip"], f["fd.rport"], f["fd.connected"], f["fd.name_changed"], f["fd.typechar"], f["fd.l4proto"]) for f in a]
want = [("sendto", "127.0.0.1", 47003, False, True, "4", "udp"),
        ("sendto", "127.0.0.1", 47003, False, False, "4", "udp"),
        ("sendmsg", "127.0.0.2", 47005, False, True, "4", "udp"),
        ("sendto", "::1", 47006, False, True, "6", "udp")]
if got != want:
    print("FAIL: got", got); sys.exit(1)
if not all(f["fd.name"].endswith("->%s:%s" % (f["fd.rip"] if ":" not in f["fd.rip"] else f["fd.rip"], f["fd.rport"])) for f in a):
    print("FAIL: fd.name", [f["fd.name"] for f in a]); sys.exit(1)
PY
pass "udp: unconnected sendto/sendmsg carry their destination"
