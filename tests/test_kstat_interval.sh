#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstat interval [count] against a real kstatd with the ktest
# provider: count reports, one blank line between them and none after the
# last, each -j report an array of its own, the chain updated between
# reports (a kstat created or deleted in between shows in the next one),
# fresh values in every report, -T u and -T d before each report, and the
# time taken: interval * (count - 1), without drift.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"

require_root
start_ktest
ktest_values

now() { date +%s.%N; }

# within A B LO HI: LO <= B - A <= HI (seconds, fractions allowed)
within() {
	awk -v a="$1" -v b="$2" -v lo="$3" -v hi="$4" 'BEGIN { d = b - a; exit !(d >= lo && d <= hi) }'
}

# Three reports of -p: blank lines between, none after; about 2 s in all
t0=$(now)
run "$KSTAT" -p ktest:0:knobs:hist_value 1 3
t1=$(now)
expect_rc 0 "kstat -p ... 1 3"
printf 'ktest:0:knobs:hist_value\t1000\n\nktest:0:knobs:hist_value\t1000\n\nktest:0:knobs:hist_value\t1000\n' \
	>"$TMP/expected"
out_is "$TMP/expected" "  three reports, one blank line between them, none after"
within "$t0" "$t1" 1.95 3.2
check $? "  took 2 s: $t0 to $t1 (allowed 1.95 to 3.2)"

# Non-drifting: five reports a second apart take 4 s, not 4 s plus the work
t0=$(now)
run "$KSTAT" -l ktest 1 5
t1=$(now)
expect_rc 0 "kstat -l ktest 1 5"
[ "$(grep -c '^$' "$_out")" -eq 4 ] && [ "$(grep -c '^ktest:3:vdz:nread$' "$_out")" -eq 5 ]
check $? "  five reports"
within "$t0" "$t1" 3.95 5.0
check $? "  took 4 s: $t0 to $t1 (allowed 3.95 to 5.0)"

# The default format ends each kstat with a blank line; reports add one more
eol >"$TMP/expected" <<EOF
module: ktest                           instance: 0     |
name:   knobs                           class:    test
	hist_value                      1000


module: ktest                           instance: 0     |
name:   knobs                           class:    test
	hist_value                      1000

EOF
run "$KSTAT" ktest:0:knobs:hist_value 1 2
expect_rc 0 "kstat ktest:0:knobs:hist_value 1 2"
out_is "$TMP/expected" "  default format: two reports, byte for byte"

# -j: each report a valid JSON array of its own (illumos starts the second with "[, {")
run "$KSTAT" -j ktest:0:knobs ktest:0:intr 1 3
expect_rc 0 "kstat -j ... 1 3"
awk -v dir="$TMP" 'BEGIN { n = 1 } /^$/ { n++; next } { print > (dir "/report" n) }' "$_out"
[ "$(grep -c '^$' "$_out")" -eq 2 ] && [ -f "$TMP/report3" ] && [ ! -f "$TMP/report4" ]
check $? "  three reports separated by blank lines"
for n in 1 2 3; do
	json_ok "$TMP/report$n" "  report $n is a valid JSON array"
	[ "$(head -c 2 "$TMP/report$n")" = "[{" ] && [ "$(tail -n 1 "$TMP/report$n")" = "}]" ]
	check $? "  report $n starts with [{ and ends with }]"
done
[ "$(norm <"$TMP/report1")" = "$(norm <"$TMP/report3")" ]
check $? "  reports 1 and 3 differ only in their times"

# Between reports the chain is updated and every kstat read again: a kstat
# created, one deleted and a value written after the first report show in
# the second
"$KSTAT" -p 'ktest:*:vd?:lo' ktest:0:knobs:hist_value 3 2 >"$TMP/chain.out" 2>&1 &
kpid=$!
for _i in $(seq 1 50); do
	[ -s "$TMP/chain.out" ] && break
	sleep 0.05
done
keyed 7 vdc 1 1 1 1 1 1 1 1 1 1
bpftool map delete pinned "$PIN/ktest/ktest_keyed" key $(le 4 10)
check $? "bpftool map delete ktest_keyed 10"
run "$KSTAT" -w ktest:0:knobs:hist_value=2000
expect_rc 0 "kstat -w ktest:0:knobs:hist_value=2000 between the reports"
wait_kstat ktest:7:vdc
wait $kpid
check $? "kstat -p ... 3 2 exits 0"
cat >"$TMP/expected" <<EOF
ktest:2:vda:lo	7
ktest:10:vdb:lo	2
ktest:0:knobs:hist_value	1000

ktest:2:vda:lo	7
ktest:7:vdc:lo	1
ktest:0:knobs:hist_value	2000
EOF
same "$TMP/expected" "$TMP/chain.out" "  the second report has ktest:7:vdc, not ktest:10:vdb, and the new value"

# -T u: seconds since the epoch before each report
t0=$(date +%s)
run "$KSTAT" -T u -p ktest:0:knobs:hist_value 1 2
t1=$(date +%s)
expect_rc 0 "kstat -T u ... 1 2"
awk -v t0="$t0" -v t1="$t1" -v tab="$TAB" '
	NR == 1 { a = $0 } NR == 4 { b = $0 }
	NR == 2 || NR == 5 { ok += $0 == "ktest:0:knobs:hist_value" tab "2000" }
	NR == 3 { ok += $0 == "" }
	END { exit !(NR == 5 && ok == 3 && a ~ /^[0-9]+$/ && a >= t0 && b <= t1 &&
		(b - a == 1 || b - a == 2)) }' "$_out"
check $? "  a timestamp line before each report, a second apart, between $t0 and $t1"

# -T d: the date as date(1) prints it
TZ=UTC LC_ALL=C date >"$TMP/date0"
run env TZ=UTC LC_ALL=C "$KSTAT" -T d -p ktest:0:knobs:hist_value
TZ=UTC LC_ALL=C date >"$TMP/date1"
expect_rc 0 "kstat -T d"
stamp=$(head -1 "$_out")
echo "$stamp" | grep -qE '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} UTC [0-9]{4}$'
check $? "  a date line first: $stamp"
[ "$stamp" = "$(cat "$TMP/date0")" ] || [ "$stamp" = "$(cat "$TMP/date1")" ]
check $? "  the same as date(1) at that moment"
[ "$(sed -n 2p "$_out")" = "ktest:0:knobs:hist_value${TAB}2000" ] && [ "$(wc -l <"$_out")" -eq 2 ]
check $? "  then the report"
stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
