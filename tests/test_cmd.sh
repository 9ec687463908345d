#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kiostat and kmpstat against a real kstatd: bad operands (exit 2), no
# kstatd (exit 1, saying so), and interval reports in which the test's own
# loop device shows the reads the test makes during the interval.
set -u
. "$(dirname "$0")/lib.sh"
PIN=/sys/fs/bpf/kstatd-cmd-test-$$
TMP=$(mktemp -d)
LOOP=
cleanup() {
	kill_daemons
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT

run "$OUTPUT/kiostat" 0
expect_rc 2 "kiostat: an interval of 0"
expect_err "Interval must be an integer >= 1" "is explained"
run "$OUTPUT/kiostat" 1 2 3
expect_rc 2 "kiostat: a third operand"
run "$OUTPUT/kmpstat" -z
expect_rc 2 "kmpstat: an unknown flag"
KSTAT_SOCKET=$TMP/none run "$OUTPUT/kiostat"
expect_rc 1 "kiostat without kstatd"
expect_err "cannot reach kstatd" "says so"

require_root
truncate -s 16M "$TMP/disk"
LOOP=$(losetup -f --show "$TMP/disk")
NAME=${LOOP#/dev/}
export KSTAT_SOCKET="$TMP/kstat.sock"
start_daemon "$(dirname "$0")/kstatd-test" --socket "$KSTAT_SOCKET" --pin-path "$PIN" --reset \
	--sync-interval 100
sleep 0.3

run "$OUTPUT/kiostat" -x
expect_rc 0 "kiostat -x: one report"
expect_out "extended device statistics" "the illumos title"
expect_out "^device +r/s +w/s +kr/s +kw/s +wait +actv +svc_t +%w +%b$" "the iostat -x columns"
expect_out "^$NAME " "the test's loop device, before any I/O"

# 2 reports 1 s apart; 400 reads of 4 KiB (1600 KiB) run inside the second
("$OUTPUT/kiostat" -x 1 2 >"$TMP/io" 2>&1) &
IO=$!
sleep 0.3
dd if="$LOOP" of=/dev/null bs=4k count=400 iflag=direct 2>/dev/null
wait $IO
check $? "kiostat -x 1 2 exits 0"
[ "$(grep -c 'extended device statistics' "$TMP/io")" -eq 2 ]
check $? "two reports"
line=$(grep "^$NAME " "$TMP/io" | tail -1)
echo "    | $line"
echo "$line" | awk '{ exit !($2 >= 390 && $2 <= 410 && $4 >= 1560 && $4 <= 1640) }'
check $? "the second shows ~400 r/s, ~1600 kr/s for $NAME"
echo "$line" | awk '{ exit !($6 >= 0 && $7 >= 0 && $8 >= 0 && $9 <= 100 && $10 <= 100) }'
check $? "queue lengths, service time and shares in range (the arithmetic: test_ksreport)"

run "$OUTPUT/kiostat" -xp
expect_rc 0 "kiostat -xp: partitions too, as iostat -xp"
expect_out "^$NAME " "the test's loop device"

run "$OUTPUT/kmpstat" 1 2
expect_rc 0 "kmpstat 1 2"
[ "$(grep -c '^CPU' "$_out")" -eq 2 ]
check $? "two reports"
grep -qE '^CPU +minf +mjf +xcal +intr +csw +icsw +migr +syscl +fork +exec +usr +sys +wt +idl$' "$_out"
check $? "mpstat's columns, migr among them"
[ "$(grep -cE '^ +[0-9]+ ' "$_out")" -eq $((2 * $(nproc))) ]
check $? "a line per CPU in each"
awk '/^ +[0-9]+ / { t = $12 + $13 + $14 + $15; if (t < 97 || t > 103) bad = 1 } END { exit bad }' "$_out"
check $? "usr, sys, wt and idl add up to 100% (no time stolen here)"

stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
