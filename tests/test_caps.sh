#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kstatd drops its capabilities once it serves: every thread of a running
# daemon has CAP_BPF and CAP_PERFMON and nothing else in its effective,
# permitted and bounding sets, none inheritable or ambient, and
# no_new_privs, as /proc/PID/task/*/status shows.  What it kept is enough
# for what it does later: a kstatd:0:config write detaches and attaches a
# provider again, a provider dropped into its directory is loaded and
# attached.  --keep-caps keeps them all.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PIN=/sys/fs/bpf/kstatd-caps-test-$$
TMP=$(mktemp -d)
trap 'kill_daemons; rm -rf "$PIN" "$PIN-keep" "$TMP"' EXIT
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
expect_file "$DAEMON_LOG" "cpu_sys: attached 6 programs" "its 6 programs attached"
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

START=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
start_daemon "$KSTATD" --socket "$TMP/keep.sock" --pin-path "$PIN-keep" --keep-caps
V=$(caps_of "$DAEMON_PID" CapEff)
[ "$V" = "$START" ]
check $? "--keep-caps keeps what it started with ($V)"
expect_file "$DAEMON_LOG" "capabilities: --keep-caps: keeping all" "and says so"
stop_daemon
expect_rc 0 "and stops cleanly"
finish
