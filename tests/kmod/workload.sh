#!/bin/sh
# The guest workload: a few deterministic actions that tests/kmod/rules.yaml and the
# record checks in guest-init.sh look for. Keep it small: the guest runs under TCG.
cat /etc/shadow >/dev/null
echo kestrel >/tmp/kestrel-kmod-written
# a redirection of a builtin: the shell dup2()s the opened file onto fd 1
echo kestrel >/tmp/kestrel-kmod-dup
/bin/true kestrel-arg1 kestrel-arg2
/nonexistent-kestrel 2>/dev/null
(cd /tmp && /bin/true kestrel-in-tmp)
# a TCP connection over loopback: socket, connect, accept
nc -l -p 7777 >/dev/null &
sleep 0.5
echo kestrel | nc -w 2 127.0.0.1 7777
wait
exit 0
