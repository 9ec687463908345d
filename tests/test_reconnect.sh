#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Clients written for illumos, where /dev/kstat never goes away, keep
# reading across kstatd restarts without being restarted themselves: a
# libkstat interval loop, a raw-ioctl loop under the preload shim (64 and
# 32 bits) and `kstat` in interval mode, through a SIGTERM restart and a
# SIGKILL restart.  A stopped (SIGSTOP) kstatd makes clients fail within
# their timeout (KSTAT_TIMEOUT_MS) with ETIMEDOUT instead of hanging, and
# they carry on once it runs again.  Counters that continue from the
# pinned maps keep their crtime across restarts, so a rate over
# snaptime - crtime is right from the first report; --reset gives them a
# new one.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PIN=/sys/fs/bpf/kstatd-reconnect-test-$$
TMP=$(mktemp -d)
export KSTAT_SOCKET=$TMP/kstat.sock
ILL=$OUTPUT/tests/illumos
# where this kernel runs no 32-bit programs, qemu-i386 does (as in test_illumos.sh)
QEMU32=
"$ILL/ks_ioctl32" probe >/dev/null 2>&1
[ $? -eq 126 ] && QEMU32=$(command -v qemu-i386)
trap 'kill_daemons; kill $CLIENTS 2>/dev/null; rm -rf "$PIN"; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
CLIENTS=
require_root

start() { start_daemon "$KSTATD" --socket "$KSTAT_SOCKET" --pin-path "$PIN" --disable disk \
	--disable net --provider "$OUTPUT/tests/ktest.bpf.o" "$@"; }
crtime() { "$OUTPUT/kstat" -p ktest:0:timer:crtime | cut -f2; }
start
CR0=$(crtime)
"$ILL/ks_lib" follow 600 >"$TMP/lib.out" 2>&1 &
CLIENTS="$CLIENTS $!"
LD_PRELOAD=$OUTPUT/kstat_preload.so "$ILL/ks_ioctl" follow 600 >"$TMP/shim.out" 2>&1 &
CLIENTS="$CLIENTS $!"
if [ -n "$QEMU32" ]; then
	"$QEMU32" -E LD_PRELOAD="$OUTPUT/lib32/kstat_preload.so" "$ILL/ks_ioctl32" follow 600 \
		>"$TMP/shim32.out" 2>&1 &
else
	LD_PRELOAD=$OUTPUT/lib32/kstat_preload.so "$ILL/ks_ioctl32" follow 600 >"$TMP/shim32.out" 2>&1 &
fi
CLIENTS="$CLIENTS $!"
"$OUTPUT/kstat" -p unix:0:system_misc:lbolt 1 60 >"$TMP/kstat.out" 2>"$TMP/kstat.err" &
KSTAT_PID=$!
sleep 3
stop_daemon
expect_rc 0 "kstatd stops on SIGTERM under its clients"
sleep 0.5
start
sleep 3
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
sleep 0.5
start
CR2=$(crtime)
# the clients run on (60 s at most): give each 15 s to read from the third kstatd
chains() { awk '$1 == "ok" { print $2 }' "$1" | uniq | wc -l; }
for _ in $(seq 1 150); do
	[ "$(chains "$TMP/lib.out")" -ge 3 ] && [ "$(chains "$TMP/shim.out")" -ge 3 ] &&
		[ "$(chains "$TMP/shim32.out")" -ge 3 ] &&
		[ "$(grep -c 'kstatd is back' "$TMP/kstat.err")" -ge 2 ] && break
	sleep 0.1
done
sleep 1.2 # a pass or a report more from each
kill $CLIENTS "$KSTAT_PID" 2>/dev/null
for p in $CLIENTS; do wait "$p"; done
wait "$KSTAT_PID"
CLIENTS=

# each client: ok passes in all three daemons' lifetimes, the last pass ok
for c in lib shim shim32; do
	chains=$(awk '$1 == "ok" { print $2 }' "$TMP/$c.out" | uniq | wc -l)
	last=$(tail -1 "$TMP/$c.out")
	errs=$(grep -v '^ok ' "$TMP/$c.out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	[ "$chains" -ge 3 ] && [ "${last%% *}" = ok ]
	check $? "$c client read on across two restarts ($chains chain ids, last '$last'; errors: ${errs:-none})"
	! grep -v '^ok ' "$TMP/$c.out" | grep -qv -e 'EIO' -e 'ENXIO'
	check $? "  and failed only with EIO or ENXIO while kstatd was away"
done
n=$(grep -c 'unix:0:system_misc:lbolt' "$TMP/kstat.out")
[ "$n" -ge 5 ] && [ "$(grep -c 'kstatd is back' "$TMP/kstat.err")" -eq 2 ]
check $? "kstat 1 60 printed reports through both restarts ($n reports)"
grep -q 'retrying' "$TMP/kstat.err" && grep -q 'kstatd is back' "$TMP/kstat.err"
check $? "  and said when it lost kstatd and when it was back"
sed 's/^/    | /' "$TMP/kstat.err"
# the same within a millisecond: it is the pin's time, moved to CLOCK_MONOTONIC
[ -n "$CR0" ] && awk -v a="$CR0" -v b="$CR2" 'BEGIN { d = a - b; exit !(d < 0.001 && d > -0.001) }'
check $? "a pinned kstat's crtime is the same after a SIGTERM and a SIGKILL restart ($CR0, $CR2)"

# a stopped daemon: clients give up within their timeout
KSTAT_TIMEOUT_MS=1000 "$ILL/ks_lib" follow 40 >"$TMP/cont.out" 2>&1 &
CLIENTS=$!
sleep 0.5
kill -STOP "$DAEMON_PID"
t0=$(date +%s%N)
KSTAT_TIMEOUT_MS=1000 "$OUTPUT/kstat" -p unix:0:system_misc:lbolt >/dev/null 2>"$TMP/stopped.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" -eq 3 ] && [ "$ms" -lt 3000 ] && grep -q 'timed out' "$TMP/stopped.err"
check $? "kstat against a stopped kstatd exits 3 within its 1 s timeout ($ms ms: $(cat "$TMP/stopped.err"))"
t0=$(date +%s%N)
KSTAT_TIMEOUT_MS=1000 LD_PRELOAD=$OUTPUT/kstat_preload.so "$ILL/ks_ioctl" follow 2 >"$TMP/stopped.out" 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(grep -c 'err chain ETIMEDOUT' "$TMP/stopped.out")" -eq 2 ] && [ "$ms" -lt 6000 ]
check $? "an ioctl under the shim fails with ETIMEDOUT, each within the timeout ($ms ms for 2)"
kill -CONT "$DAEMON_PID"
wait "$CLIENTS"
CLIENTS=
grep -q '^err chain ETIMEDOUT' "$TMP/cont.out" && [ "$(tail -1 "$TMP/cont.out" | cut -d' ' -f1)" = ok ]
check $? "a libkstat loop times out while kstatd is stopped and reads on once it runs ($(grep -c '^ok' "$TMP/cont.out") ok)"
stop_daemon
expect_rc 0 "kstatd stops cleanly"
start --reset
CR3=$(crtime)
awk -v a="$CR2" -v b="$CR3" 'BEGIN { exit !(b > a + 5) }'
check $? "--reset: its counters start again, and so does its crtime ($CR2 -> $CR3)"
stop_daemon
finish
