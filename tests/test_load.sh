#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# HTTP under load: wrk with 256 connections to /metrics, and 200 idle and
# slowloris connections from 20 other loopback addresses, while a separate
# client scrapes from one more address every 50 ms.  Every one of its
# scrapes must succeed (none may wait 10 s) and kstatd's memory stay
# bounded.  Their latency is reported, not checked: a timing claim belongs
# to make bench (its scrape section measures p50 and p99 under wrk).
# 10 s of load; LONG=1 (make test-long) makes it 60 s.
# wrk and the idle clients run at a lower priority than kstatd and the
# probe: on a 2-core machine they would otherwise measure the scheduler.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
LOADGEN=$(dirname "$0")/loadgen.py
SECS=${LOAD_SECONDS:-10}
[ "${LONG:-0}" = 1 ] && SECS=60
PIN=/sys/fs/bpf/kstatd-load-test-$$
TMP=$(mktemp -d)
trap 'kill_daemons; kill_ours $BG; rm -rf "$PIN" "$TMP"' EXIT
BG=
require_root
command -v wrk >/dev/null
check $? "wrk is installed (scripts/deps.sh test)"

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# under ASan (make test-asan) freed memory waits in a quarantine of 256 MiB
# that the RSS checks would take for a leak: keep it at 16 MiB
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

start_daemon "$KSTATD" --pin-path "$PIN"
URL=$(daemon_url)
# the load comes from this machine, not from others as it would: it gets
# less CPU than kstatd (every thread of it) and the probe
for t in /proc/"$DAEMON_PID"/task/*; do renice -n -5 -p "${t##*/}" >/dev/null; done
# a sanitizer build scrapes ten times slower: the probe makes fewer scrapes
SANITIZED=0
nm "$OUTPUT/kstatd" 2>/dev/null | grep -q __asan_init && SANITIZED=1
PORT=${URL##*:}
for _ in 1 2 3 4 5; do curl -s -o /dev/null "$URL/metrics"; done
rss0=$(rss_kb "$DAEMON_PID")

nice -n 10 python3 "$LOADGEN" hold 127.0.0.1 "$PORT" 200 20 $((SECS + 4)) >"$TMP/hold" 2>&1 &
BG="$BG $!"
sleep 2
nice -n 10 wrk -t 1 -c 256 -d "${SECS}s" --latency "$URL/metrics" >"$TMP/wrk" 2>&1 &
BG="$BG $!"
(
	peak=0
	while kill -0 "$DAEMON_PID" 2>/dev/null && [ ! -e "$TMP/done" ]; do
		r=$(rss_kb "$DAEMON_PID")
		[ "${r:-0}" -gt "$peak" ] && peak=$r && echo "$peak" >"$TMP/peak"
		sleep 0.5
	done
) &
BG="$BG $!"
sleep 1
run nice -n -5 python3 "$LOADGEN" probe "$URL/metrics" $((SECS - 2)) 0.05 127.0.0.2
expect_rc 0 "every scrape of the separate client succeeded under load"
probe=$(cat "$_out")
echo "    probe: $probe"
sed 's/^/    | /' "$_err" | head -5
p99=$(echo "$probe" | sed -n 's/.* p99 \([0-9.]*\) .*/\1/p')
count=$(echo "$probe" | sed -n 's/^count \([0-9]*\) .*/\1/p')
# a sanitized scrape under this load takes about a second: fewer to count
want=$((SECS * 5))
[ "$SANITIZED" = 1 ] && want=3
[ "${count:-0}" -ge "$want" ]
check $? "the probe scraped often enough to measure (${count:-0} scrapes, at least $want)"
echo "    probe p99 ${p99:-?} ms (reported; make bench holds the latency goals)"

wait_for() { for _ in $(seq 1 $((SECS * 2 + 20))); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.5; done; return 1; }
wait_for "Requests/sec" "$TMP/wrk"
check $? "wrk ran to its end"
wait_for "^held" "$TMP/hold"
check $? "the idle and slowloris clients held on to the end"
touch "$TMP/done"
echo "    wrk: $(grep -E 'Requests/sec|requests in|Socket errors|Non-2xx' "$TMP/wrk" | tr -s ' ' | tr '\n' ';')"
echo "    wrk latency: $(grep -E '^ +(50|99)%' "$TMP/wrk" | tr -s ' ' | tr '\n' ';')"
echo "    idle/slowloris: $(tr '\n' ';' <"$TMP/hold")"
held=$(sed -n 's/^connected \([0-9]*\) .*/\1/p' "$TMP/hold")
[ "${held:-0}" -ge 190 ]
check $? "kstatd took the 200 idle and slowloris connections (${held:-0})"

run curl -s -o /dev/null -w '%{http_code}' "$URL/metrics"
[ "$(cat "$_out")" = 200 ]
check $? "kstatd answers after the load"
sleep 1
rss1=$(rss_kb "$DAEMON_PID")
peak=$(cat "$TMP/peak" 2>/dev/null || echo 0)
echo "    RSS: ${rss0} kB before, ${peak} kB at the peak, ${rss1} kB after"
[ "$peak" -lt $((rss0 + 65536)) ]
check $? "memory bounded under load: peak RSS less than 64 MiB above the start"
stop_daemon
expect_rc 0 "kstatd stops cleanly after the load"
expect_no_sanitizer_report "$DAEMON_LOG" "no sanitizer report in kstatd's log"
finish
