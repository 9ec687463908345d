#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kstatd drops its capabilities once it serves: every thread of a running
# daemon has CAP_BPF and CAP_PERFMON and nothing else in its effective,
# permitted and bounding sets, none inheritable or ambient, and
# no_new_privs, as /proc/PID/task/*/status shows.  What it kept is enough
# for what it does later: a kstatd:0:config write detaches and attaches a
# provider again, a provider dropped into its directory is loaded and
# attached.  What looking into other namespaces takes (CAP_SYS_ADMIN,
# CAP_SYS_PTRACE) stays with a helper process that holds nothing else:
# an interface in another network namespace still gets its name, and the
# helper goes with kstatd, even killed.  --keep-caps keeps them all.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PIN=/sys/fs/bpf/kstatd-caps-test-$$
TMP=$(mktemp -d)
NS=kcaps-$$
trap 'kill_daemons; ip netns del "$NS" 2>/dev/null; ip link del "kc$$a" 2>/dev/null; rm -rf "$PIN" "$PIN-keep" "$PIN-kill" "$TMP"' EXIT
require_root

BPF_PERFMON=000000c000000000 # bits 38 and 39
# caps_of PID FIELD: the distinct values of FIELD over all threads of PID
caps_of() {
	cat /proc/"$1"/task/*/status 2>/dev/null | awk -v f="$2:" '$1 == f { print $2 }' | sort -u
}

mkdir "$TMP/prov"
start_daemon "$KSTATD" --socket "$TMP/kstat.sock" --pin-path "$PIN" --provider-dir "$TMP/prov"
export KSTAT_SOCKET="$TMP/kstat.sock"
URL=$(daemon_url)
NTASKS=$(ls /proc/"$DAEMON_PID"/task | wc -l)
[ "$NTASKS" -ge 3 ]
check $? "kstatd runs its threads ($NTASKS)"
for f in CapEff CapPrm CapBnd; do
	V=$(caps_of "$DAEMON_PID" $f)
	[ "$V" = "$BPF_PERFMON" ]
	check $? "$f of every thread is CAP_BPF and CAP_PERFMON only ($V)"
done
for f in CapInh CapAmb; do
	V=$(caps_of "$DAEMON_PID" $f)
	[ "$V" = 0000000000000000 ]
	check $? "$f of every thread is empty ($V)"
done
V=$(caps_of "$DAEMON_PID" NoNewPrivs)
[ "$V" = 1 ]
check $? "no_new_privs is set: no exec gains a capability ($V)"
expect_file "$DAEMON_LOG" "capabilities: kept cap_perfmon cap_bpf, dropped the rest" \
	"the log says what it kept"
[ "$(grep -n 'capabilities: kept' "$DAEMON_LOG" | cut -d: -f1)" -lt \
	"$(grep -n 'ready' "$DAEMON_LOG" | cut -d: -f1)" ]
check $? "and dropped them before the ready line"

# the namespace helper: a child with CAP_SYS_ADMIN and CAP_SYS_PTRACE only
HELPER=$(pgrep -P "$DAEMON_PID")
[ -n "$HELPER" ] && [ "$(cat /proc/"$HELPER"/comm)" = kstatd-nshelper ]
check $? "kstatd has forked its namespace helper (pid $HELPER)"
for f in CapEff CapPrm CapBnd; do
	V=$(caps_of "$HELPER" $f)
	[ "$V" = 0000000000280000 ]
	check $? "  its $f is CAP_SYS_ADMIN and CAP_SYS_PTRACE only ($V)"
done
[ "$(caps_of "$HELPER" NoNewPrivs)" = 1 ] && [ "$(caps_of "$HELPER" CapAmb)" = 0000000000000000 ]
check $? "  no_new_privs, nothing ambient"
FDS=$(ls /proc/"$HELPER"/fd | sort -n | tr '\n' ' ')
[ "$FDS" = "0 1 2 3 " ] && readlink /proc/"$HELPER"/fd/3 | grep -q '^socket:'
check $? "  it holds no descriptor of kstatd's but its socket ($FDS)"
[ "$(readlink /proc/"$HELPER"/fd/0)" = /dev/null ] && [ "$(readlink /proc/"$HELPER"/fd/1)" = /dev/null ]
check $? "  its stdin and stdout are /dev/null"
! grep -q 'anon_inode:bpf' /proc/"$HELPER"/maps
check $? "  and maps no BPF map of kstatd's (forked before any was made)"
[ "$(caps_of "$HELPER" SigBlk)" = 0000000000000000 ]
check $? "  and blocks no signal (kstatd's signal thread is kstatd's)"
# an interface in a network namespace of the test's is named through it
NET=198.19.$(($$ % 200 + 1))
ip netns add "$NS" && ip link add "kc$$a" type veth peer name "kc$$b" &&
	ip link set "kc$$b" netns "$NS" && ip addr add "$NET.1/24" dev "kc$$a" &&
	ip link set "kc$$a" up && ip -n "$NS" addr add "$NET.2/24" dev "kc$$b" &&
	ip -n "$NS" link set "kc$$b" up
check $? "a network namespace with a veth pair"
ip netns exec "$NS" /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5): s.sendto(b"kstatd", (sys.argv[1], 9))' "$NET.1"
for _i in $(seq 1 30); do
	curl -s "$URL/kstat?module=link&name=kc$$b" | grep -q '"instance": [1-9]' && break
	sleep 0.1
done
curl -s "$URL/kstat?module=link&name=kc$$b" | /usr/bin/python3 -c 'import json, sys
k = json.load(sys.stdin)
assert len(k) == 1 and k[0]["name"] == sys.argv[1] and k[0]["instance"] > 0, k
assert k[0]["data"]["opackets64"] >= 5, k' "kc$$b"
check $? "  kstatd names the namespace's interface (link:N:kc$$b), without CAP_SYS_ADMIN itself"

# what it kept attaches programs: detach cpu_sys and attach it again
run "$OUTPUT/kstat" -w kstatd:0:config:cpu_sys=0
expect_rc 0 "a kstatd:0:config write detaches cpu_sys"
for _i in $(seq 1 30); do
	curl -s "$URL/metrics" | grep -q '^kstatd_provider_attached{provider="cpu_sys"} 0$' && break
	sleep 0.1
done
run "$OUTPUT/kstat" -p cpu:0:sys:pswitch
expect_rc 1 "cpu:0:sys is gone"
run "$OUTPUT/kstat" -w kstatd:0:config:cpu_sys=1
expect_rc 0 "a write attaches it again"
for _i in $(seq 1 30); do
	"$OUTPUT/kstat" -q cpu:0:sys:pswitch && break
	sleep 0.1
done
A=$("$OUTPUT/kstat" -p cpu:0:sys:pswitch | cut -f2)
sleep 0.3
B=$("$OUTPUT/kstat" -p cpu:0:sys:pswitch | cut -f2)
[ -n "$A" ] && [ -n "$B" ] && [ "$B" -gt "$A" ]
check $? "re-attached with dropped capabilities, cpu:0:sys counts again ($A -> $B)"
expect_file "$DAEMON_LOG" "cpu_sys: attached 2 programs" "its 2 programs attached (fork and exec)"
! grep -q "Operation not permitted" "$DAEMON_LOG"
check $? "nothing was refused a permission"

cp "$OUTPUT/examples/signals.bpf.o" "$TMP/prov/"
for _i in $(seq 1 50); do
	grep -q "signals: attached" "$DAEMON_LOG" && break
	sleep 0.1
done
expect_file "$DAEMON_LOG" "signals: attached" "a provider dropped in after the drop is loaded and attached"
curl -s "$URL/metrics" | grep -q '^kstatd_provider_attached{provider="signals"} 1$'
check $? "and kstatd_provider_attached says so"
trap '' USR2
kill -USR2 $$ # ignored here, counted by the provider
for _i in $(seq 1 30); do
	curl -s "$URL/metrics" | grep -q '^kstat_signal_generated_total{' && break
	sleep 0.1
done
curl -s "$URL/metrics" | grep -q '^kstat_signal_generated_total{'
check $? "and its programs count: a signal sent shows in kstat_signal_generated_total"
stop_daemon
expect_rc 0 "kstatd stops cleanly without its capabilities"
[ ! -e "$TMP/kstat.sock" ]
check $? "and still removes its socket"
! kill -0 "$HELPER" 2>/dev/null
check $? "and its helper is gone"

start_daemon "$KSTATD" --socket "$TMP/kill.sock" --pin-path "$PIN-kill"
HELPER=$(pgrep -P "$DAEMON_PID")
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
for _i in $(seq 1 30); do kill -0 "$HELPER" 2>/dev/null || break; sleep 0.1; done
[ -n "$HELPER" ] && ! kill -0 "$HELPER" 2>/dev/null
check $? "a killed kstatd takes its helper with it"

START=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
start_daemon "$KSTATD" --socket "$TMP/keep.sock" --pin-path "$PIN-keep" --keep-caps
V=$(caps_of "$DAEMON_PID" CapEff)
[ "$V" = "$START" ]
check $? "--keep-caps keeps what it started with ($V)"
expect_file "$DAEMON_LOG" "capabilities: --keep-caps: keeping all" "and says so"
[ -z "$(pgrep -P "$DAEMON_PID")" ]
check $? "and needs no helper"
stop_daemon
expect_rc 0 "and stops cleanly"
finish
