#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Devices that come and go under readers: loop devices (with I/O) and veth
# pairs (one end in a namespace of the test's, with traffic) are created
# and removed in a loop, so that disk (loop:N:loopN, loopinfo) and link
# kstats appear and vanish, while 8 libkstat readers (tests/kstat_reader.c) walk and
# read the chain and wrk scrapes /metrics, all against one kstatd:
#   - no crash, and kstatd stops cleanly;
#   - the readers see no error but ENXIO (a kstat that went) and EAGAIN,
#     and every read is consistent (names, sizes, snaptimes and counters
#     that never go back for a kid);
#   - every scrape answers 200 (wrk's, and a separate client's, whose
#     latency is reported);
#   - RSS bounded (reported).
# 12 s; LONG=1 (make test-long) makes it 60 s.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
SECS=${CHURN_SECONDS:-12}
[ "${LONG:-0}" = 1 ] && SECS=60
PIN=/sys/fs/bpf/kstatd-churn-test-$$
TMP=$(mktemp -d)
chmod 755 "$TMP"
SOCK=$TMP/kstat.sock
NS=kchurn$$
VA=kca$$
VB=kcb$$
BG=
cleanup() {
	kill $BG 2>/dev/null
	wait $BG 2>/dev/null
	kill_daemons
	for f in "$TMP"/disk*.img; do
		for d in $(losetup -j "$f" 2>/dev/null | cut -d: -f1); do losetup -d "$d"; done
	done
	ip link del "$VA" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
require_root
export KSTAT_SOCKET=$SOCK

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# under ASan (make test-asan) freed memory waits in a quarantine of 256 MiB
# that the RSS checks would take for a leak: keep it at 16 MiB
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

ip netns add "$NS"
check $? "a network namespace for the far ends of the veths"
start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK" --sync-interval 100
URL=$(daemon_url)
for _ in 1 2 3; do curl -s -o /dev/null "$URL/metrics"; done
rss0=$(rss_kb "$DAEMON_PID")
creates0=$("$OUTPUT/kstat" -p kstatd:0:engine:creates | cut -f2)

# one loop device and one veth pair per turn, each with some traffic
churn() {
	i=0
	end=$(($(date +%s) + SECS))
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		img=$TMP/disk$((i % 2)).img
		truncate -s 4M "$img"
		dev=$(losetup -f --show "$img") || {
			echo "losetup failed" >>"$TMP/churn.err"
			continue
		}
		dd if=/dev/zero of="$dev" bs=4k count=32 oflag=direct 2>/dev/null
		dd if="$dev" of=/dev/null bs=4k count=32 iflag=direct 2>/dev/null
		if ip link add "$VA" type veth peer name "$VB" netns "$NS" &&
			ip link set "$VA" up && ip -n "$NS" link set "$VB" up; then
			/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(20):
    s.send(b"\xff" * 6 + b"\x02" * 6 + b"\x88\xb5" + b"x" * 60)' "$VA" 2>>"$TMP/churn.err"
		else
			echo "veth $i failed" >>"$TMP/churn.err"
		fi
		sleep 0.2
		ip link del "$VA" 2>>"$TMP/churn.err"
		losetup -d "$dev" 2>>"$TMP/churn.err"
		sleep 0.1
		echo "$i" >"$TMP/turns"
	done
}

churn &
BG="$BG $!"
for r in 1 2 3 4 5 6 7 8; do
	"$OUTPUT/tests/kstat_reader" "$SECS" >"$TMP/reader$r" 2>&1 &
	READERS="${READERS:-} $!"
done
nice -n 5 wrk -t 1 -c 8 -d "${SECS}s" --timeout 10s "$URL/metrics" >"$TMP/wrk" 2>&1 &
WRK=$!
python3 "$(dirname "$0")/loadgen.py" probe "$URL/metrics" "$SECS" 0.1 127.0.0.2 >"$TMP/probe" 2>&1 &
PROBE=$!
peak=0
while kill -0 "$WRK" 2>/dev/null; do
	r=$(rss_kb "$DAEMON_PID")
	[ "${r:-0}" -gt "$peak" ] && peak=$r
	sleep 0.5
done
fails=0
for p in $READERS; do wait "$p" || fails=$((fails + 1)); done
wait $BG
BG=

turns=$(cat "$TMP/turns" 2>/dev/null || echo 0)
echo "    churn: $turns loop devices and $turns veth pairs made and removed in ${SECS} s"
[ -s "$TMP/churn.err" ] && sed 's/^/    | /' "$TMP/churn.err" | head -5
[ "$turns" -ge $((SECS / 4)) ]
check $? "devices came and went ($turns turns)"
cat "$TMP"/reader* | sed 's/^/    /'
[ "$fails" -eq 0 ]
check $? "the 8 readers saw no error but ENXIO and EAGAIN, and no inconsistent read"
reads=$(cat "$TMP"/reader* | awk '/^reads/ { n += $2 } END { print n + 0 }')
[ "$reads" -gt 1000 ]
check $? "they read a lot ($reads reads)"
kids=$(cat "$TMP"/reader* | awk '/^reads/ { if ($6 > k) k = $6 } END { print k + 0 }')
creates=$("$OUTPUT/kstat" -p kstatd:0:engine:creates | cut -f2)
echo "    kstats created while it ran: $((creates - creates0)); kids one reader saw: $kids"
[ $((creates - creates0)) -ge "$turns" ]
check $? "kstatd made a kstat for each device that came"
wait "$PROBE"
check $? "a separate client's scrapes all succeeded (latency reported, not checked)"
echo "    probe: $(tail -1 "$TMP/probe")"
echo "    wrk: $(grep -E 'requests in|Requests/sec|Non-2xx|Socket errors' "$TMP/wrk" | tr -s ' ' | tr '\n' ';')"
grep -q "requests in" "$TMP/wrk" && ! grep -qE 'Non-2xx|Socket errors' "$TMP/wrk"
check $? "every scrape during the churn answered 200"

rss1=$(rss_kb "$DAEMON_PID")
echo "    RSS: ${rss0} kB at the start, ${peak} kB at the peak, ${rss1} kB at the end"
[ "$peak" -lt $((rss0 + 32768)) ]
check $? "memory bounded: the peak RSS less than 32 MiB above the start"
stop_daemon
expect_rc 0 "kstatd stops cleanly after the churn"
expect_no_sanitizer_report "$DAEMON_LOG" "no sanitizer report"
finish
