#!/bin/busybox sh
# /init of the test guest (run by tests/kmod/run-guest.sh). Prints "guest: ..." lines on
# the serial console for the host to parse, then powers off.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /etc /root
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
echo 'root:*:19000:0:99999:7:::' >/etc/shadow
echo 'root:x:0:' >/etc/group
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

say() { echo "guest: $*"; }
check() { # check NAME PATTERN FILE (PATTERN follows "R <type> tid=N pid=N ")
	if grep -qE "$2" "$3"; then say "check $1 ok"; else say "check $1 FAIL" | tee -a /tmp/checks; fi
}
say "kernel=$(uname -r)"
if insmod /kestrel.ko; then say "insmod ok"; else say "insmod FAIL"; fi
[ -c /dev/kestrel0 ] && say "dev ok" || say "dev FAIL"

# Phase 1: the standalone ring reader; every record must decode, the workload's records
# must carry the right parameters.
/ksring dump /tmp/dump.txt -- /bin/sh /workload.sh
D=/tmp/dump.txt
check open_shadow 'R openat tid=[0-9]+ pid=[0-9]+ .* name=/etc/shadow flags=[0-9]+ mode=0' $D
check open_write 'R openat tid=[0-9]+ pid=[0-9]+ .* name=/tmp/kestrel-kmod-written flags=[0-9]+ mode=438' $D
check exec_args 'R execve tid=[0-9]+ pid=[0-9]+ res=0 exe=/bin/true args=kestrel-arg1[|]kestrel-arg2 .* cwd=/ comm=true exepath=/bin/busybox uid=0 gid=0 .* filename=<none>' $D
check exec_cwd 'R execve tid=[0-9]+ pid=[0-9]+ res=0 exe=/bin/true args=kestrel-in-tmp .* cwd=/tmp ' $D
check exec_fail 'R execve tid=[0-9]+ pid=[0-9]+ res=-2 .* filename=/nonexistent-kestrel' $D
check exec_cgroup 'R execve tid=[0-9]+ pid=[0-9]+ res=0 .* cgroup=/ ' $D
check clone_child 'R (clone|clone3|fork|vfork) tid=[0-9]+ pid=[0-9]+ res=0 flags=[0-9]+ ptid=[1-9][0-9]* comm=sh exepath=/bin/busybox ' $D
check clone_parent 'R (clone|clone3|fork|vfork) tid=[0-9]+ pid=[0-9]+ res=[1-9][0-9]* ' $D
check socket 'R socket tid=[0-9]+ pid=[0-9]+ res=[0-9]+ domain=2 type=1 ' $D
check connect 'R connect tid=[0-9]+ pid=[0-9]+ res=0 fd=[0-9]+ addr=027f000001611e tuple=027f0000017f000001[0-9a-f]{4}611e$' $D
check accept 'R accept4? tid=[0-9]+ pid=[0-9]+ res=[0-9]+ fd=[0-9]+ tuple=(027f0000017f000001611e|0a(00){10}ffff7f000001(00){10}ffff7f000001611e)[0-9a-f]{4}$' $D
check close 'R close tid=[0-9]+ pid=[0-9]+ res=0 fd=[0-9]+' $D
check dup2 'R dup2 tid=[0-9]+ pid=[0-9]+ res=1 oldfd=[0-9]+ newfd=1$' $D
check pipe 'R pipe2? tid=[0-9]+ pid=[0-9]+ res=0 fd1=[0-9]+ fd2=[0-9]+ ino=[1-9][0-9]*' $D
check procexit 'R procexit tid=[0-9]+ pid=[0-9]+ .*status=0 reaper=' $D
grep -qi FAIL /tmp/checks && sed 's/^/guest: dump: /' $D

# A consumer killed while capturing releases everything; bad requests are refused.
/ksring dump /tmp/killed.txt -- sleep 5 >/dev/null &
sleep 1; kill -9 $!; wait $! 2>/dev/null
/ksring abuse

# Phase 2: rings left undrained must count drops, never block.
/ksring undrained -- /ksring flood 20000

# Phase 3 and 4: the engine with each driver, same workload, alerts compared on the host.
if [ -x /engine/kestrel ]; then
	for kind in kmod modern_ebpf; do
		[ "$kind" = modern_ebpf ] && [ ! -e /sys/kernel/btf/vmlinux ] && continue
		/engine/kestrel -r /rules.yaml -o engine.kind=$kind -o json_output=true \
			>/tmp/alerts.$kind 2>/tmp/err.$kind &
		epid=$!
		i=0
		while ! grep -q "capture started" /tmp/err.$kind && [ $i -lt 600 ]; do
			kill -0 $epid 2>/dev/null || break
			sleep 0.1; i=$((i + 1))
		done
		grep -q "capture started" /tmp/err.$kind && say "engine $kind started" ||
			say "engine $kind FAIL to start"
		/bin/sh /workload.sh
		sleep 2
		kill -TERM $epid 2>/dev/null; wait $epid
		say "engine $kind exit=$?"
		sed "s/^/guest: err.$kind: /" /tmp/err.$kind | tail -40
		sed "s/^/guest: alert.$kind: /" /tmp/alerts.$kind
	done
fi

if rmmod kestrel; then say "rmmod ok"; else say "rmmod FAIL"; fi
dmesg | grep -E 'kestrel: capture session ended' | sed 's/^.*kestrel: /guest: kmsg: /'
bad=$(dmesg | grep -cE 'WARNING:|BUG:|Oops|general protection|Call Trace')
say "dmesg_bad=$bad"
[ "$bad" = 0 ] || dmesg | grep -A20 -E 'WARNING:|BUG:|Oops' | sed 's/^/guest: dmesg: /' | head -60
say "done"
poweroff -f
