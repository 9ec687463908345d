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

# illumos iostat's options, in the formats kiostat(1) gives
run "$OUTPUT/kiostat" -xn
expect_out "^ +r/s +w/s +kr/s +kw/s +wait +actv +wsvc_t +asvc_t +%w +%b device$" "-xn: iostat -xn's columns, the device last"
expect_out " $NAME$" "  and the loop device at the end of its line"
grep " $NAME\$" "$_out" | awk '{ exit !($7 ~ /^[0-9]+\.[0-9][0-9][0-9]$/ && $8 ~ /^[0-9]+\.[0-9][0-9][0-9]$/) }'
check $? "  wsvc_t and asvc_t in ms to the microsecond"
/usr/bin/python3 tests/man_format.py docs/kiostat.1 "kiostat -xn 5" "wsvc_t" "$_out" " $NAME\$" \
	>"$TMP/fmt" 2>&1
check $? "  the header and the loop device's line as kiostat(1)'s example: $(cat "$TMP/fmt")"
run "$OUTPUT/kiostat" -xM
expect_out "^device +r/s +w/s +Mr/s +Mw/s " "-M: MB/s columns"
mb=$(grep "^$NAME " "$_out" | awk '{ print $4 }')
kb=$("$OUTPUT/kiostat" -x | awk -v d="$NAME" '$1 == d { print $4 }')
echo "$mb $kb" | awk '{ exit !($2 > 0 && $1 >= $2 / 1024 * 0.8 - 0.05 && $1 <= $2 / 1024 * 1.2 + 0.05) }'
check $? "  in MB/s what -x gives in KB/s ($mb against $kb)"
run "$OUTPUT/kiostat" -xr
expect_out "^device,r/s,w/s,kr/s,kw/s,wait,actv,svc_t,%w,%b$" "-r: comma-separated header"
expect_out "^$NAME,[0-9.]+,[0-9.]+," "  and values"
run "$OUTPUT/kiostat" -xe
expect_out "---- errors ---" "-e: the error columns' title"
expect_out "s/w +h/w +trn +tot$" "  and their names"
run "$OUTPUT/kiostat" -x -T u
now=$(date +%s)
t=$(head -1 "$_out")
[ "$t" -ge $((now - 2)) ] 2>/dev/null && [ "$t" -le "$now" ]
check $? "-T u: seconds since the epoch before the report ($t, now $now)"
run "$OUTPUT/kiostat" -x -T d
head -1 "$_out" | grep -q "$(date +%Y)"
check $? "-T d: the date before the report"
run "$OUTPUT/kiostat" -T x
expect_rc 2 "-T x: exit 2"
expect_err "-T takes u or d" "  is explained"
truncate -s 16M "$TMP/idle"
IDLE=$(losetup -f --show "$TMP/idle")
sleep 0.3
run "$OUTPUT/kiostat" -xz 1 2
! tail -n +3 "$_out" | sed -n '/^$/,$p' | grep -q "^${IDLE#/dev/} "
check $? "-z: an idle device has no line in an interval report"
losetup -d "$IDLE"

# the first report after a restart: the kernel's counts since the disk came
# to be, over the time since then (crtime), as /proc/diskstats gives them
stop_daemon
start_daemon "$(dirname "$0")/kstatd-test" --socket "$KSTAT_SOCKET" --pin-path "$PIN" \
	--sync-interval 100
run "$OUTPUT/kiostat" -x
up=$(cut -d' ' -f1 /proc/uptime)
best=$(awk '$4 > 1000 && $3 !~ /^(loop|ram|zram|dm-)/ && $3 !~ /[0-9]$/ { print $4, $3 }' /proc/diskstats |
	sort -rn | head -1)
disk=${best#* }
if [ -n "$best" ] && grep -q "^$disk " "$_out"; then
	grep "^$disk " "$_out" | awk -v n="${best% *}" -v up="$up" \
		'{ want = n / up; exit !($2 >= want * 0.95 && $2 <= want * 1.05) }'
	check $? "first report after a restart: $disk $(grep "^$disk " "$_out" | awk '{ print $2 }') r/s, /proc/diskstats since boot $(echo "$best $up" | awk '{ printf "%.1f", $1 / $3 }')"
else
	echo "    (no whole disk with reads since boot to compare: skipped)"
fi
run "$OUTPUT/kmpstat"
up=$(cut -d' ' -f1 /proc/uptime)
ctxt=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
csw=$(awk '/^ +[0-9]+ / { s += $7 } END { print s }' "$_out")
echo "$csw $ctxt $up" | awk '{ want = $2 / $3; exit !($1 >= want * 0.95 && $1 <= want * 1.05) }'
check $? "and kmpstat's: $csw csw/s over the CPUs, /proc/stat ctxt since boot $(echo "$ctxt $up" | awk '{ printf "%.0f", $1 / $2 }')"

run "$OUTPUT/kmpstat" 1 2
expect_rc 0 "kmpstat 1 2"
[ "$(grep -c '^CPU' "$_out")" -eq 2 ]
check $? "two reports"
grep -qE '^CPU +minf +mjf +xcal +intr +ithr +csw +icsw +migr +smtx +srw +syscl +usr +sys +wt +idl$' "$_out"
check $? "illumos mpstat's columns"
[ "$(grep -cE '^ +[0-9]+ ' "$_out")" -eq $((2 * $(nproc))) ]
check $? "a line per CPU in each"
awk '/^ +[0-9]+ / { t = $13 + $14 + $15 + $16; if (t < 97 || t > 103) bad = 1 } END { exit bad }' "$_out"
check $? "usr, sys, wt and idl add up to 100% (no time stolen here)"

run "$OUTPUT/kmpstat"
/usr/bin/python3 tests/man_format.py docs/kmpstat.1 "kmpstat" "^CPU " "$_out" >"$TMP/fmt" 2>&1
check $? "kmpstat: the header and each CPU's line as kmpstat(1)'s example: $(cat "$TMP/fmt")"

run "$OUTPUT/kmpstat" -a -T u
t=$(head -1 "$_out")
now=$(date +%s)
[ "$t" -ge $((now - 2)) ] 2>/dev/null && [ "$t" -le "$now" ]
check $? "kmpstat -T u: seconds since the epoch first ($t, now $now)"
expect_out "^SET +minf +mjf +xcal +intr +ithr +csw +icsw +migr +smtx +srw +syscl +usr +sys +wt +idl +sze$" "kmpstat -a: mpstat -a's columns"
[ "$(grep -cE '^ +0 ' "$_out")" -eq 1 ] && grep -E '^ +0 ' "$_out" | awk -v n="$(nproc)" '{ exit !($17 == n) }'
check $? "  one line for the set of all $(nproc) CPUs"
grep -E '^ +0 ' "$_out" | awk '{ t = $13 + $14 + $15 + $16; exit !(t >= 97 && t <= 103) }'
check $? "  whose time shares add up to 100%"
run "$OUTPUT/kmpstat" -T x
expect_rc 2 "kmpstat -T x: exit 2"

stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
