#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstat's command line and exit codes, no root needed: every bad
# command line exits 2 with the usage on stderr and nothing on stdout,
# before any connection (KSTAT_SOCKET names no socket here); -h and -?
# exit 0; with kstatd not running, stopped, or gone in the middle of a run
# it exits 3 and says which socket it tried and how to start kstatd.
# tests/ksfixture stands in for kstatd.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"
export KSTAT_SOCKET="$TMP/none.sock"

# usage_error WHAT STDERR-REGEX ARGS...: exit 2, the message, the usage, no output
usage_error() {
	_what=$1 _msg=$2
	shift 2
	run "$KSTAT" "$@"
	expect_rc 2 "$_what"
	expect_err "$_msg" "  it says why: $_msg"
	expect_err "^Usage:" "  and prints the usage on stderr"
	[ ! -s "$_out" ]
	check $? "  and nothing on stdout"
}

usage_error "an unknown option (illumos exits 0 here)" "unknown option -x" -x
usage_error "an unknown option after valid ones" "unknown option -Z" -p -Z cpu
usage_error "-T without its argument" "-T needs an argument" -T
usage_error "-T x" "-T x: the timestamp is u or d" -T x
usage_error "-T ud" "-T ud" -T ud
usage_error "-m without its argument" "-m needs an argument" cpu -m
for f in -p -j -l -C; do
	usage_error "-q with $f" "-q and -Cjlp are mutually exclusive" -q $f
done
usage_error "interval 0" "Interval must be an integer >= 1" 0
usage_error "a negative interval" "Interval must be an integer >= 1" -- -1
usage_error "count 0" "Count must be an integer >= 1" cpu 1 0
usage_error "an interval beyond int" "Interval is too large" 2147483648
usage_error "an interval beyond long" "Interval is too large" 99999999999999999999999
usage_error "a count beyond int" "Count is too large" 1 2147483648
usage_error "a third number" "only an interval and a count" 1 2 3
usage_error "five fields" "more fields than module:instance:name:statistic" a:b:c:d:e
usage_error "operands with -m" "mutually exclusive" -m cpu cpu:0
usage_error "operands with -s" "mutually exclusive" cpu -s pswitch
usage_error "a bad regex in an operand" "kstat: /\[/: Invalid regular expression" '/[/'
usage_error "a bad regex in the statistic field" "kstat: /\(/: Unmatched" 'cpu:0:sys:/(/'
usage_error "a bad regex in -c" "kstat: /a\{1/: Unmatched" -c '/a{1/'
usage_error "a repetition of a repetition" "a repetition of a repetition .* undefined in POSIX" \
	'/a++++++++++++++++++++++++++++++/'
usage_error "nested intervals past the bound" "would cost regcomp gigabytes" '/((a{255}){255}){2}/'
usage_error "nested repetitions of what matches nothing" "would cost regcomp gigabytes" \
	'/((((((((((((x*)+)+)+)+)+)+)+)+)+)+)+)+/'
usage_error "patterns each under the bound, past it together" \
	"with the other patterns, its repetitions would cost regcomp gigabytes" \
	'/(a{255}){255}/:/(b{255}){255}/:/(c{255}){255}/:/(d{255}){255}/'
# glibc reads an unmatched ) as a character that repetitions apply to:
# /}*){,88}{958}/ took 711 MB (found by tests/fuzz)
usage_error "an unmatched ) repeated" "its repetitions would cost regcomp gigabytes" '/x){,400}/'
usage_error "an unmatched ) repeated twice" "a repetition of a repetition" '/}*){,88}{958}/'
# Epsilon closures: 1000 bytes of ^ took 1.3 GB, 40 \b 260 MB, 4 \b before 1000 x? 160 MB
usage_error "a run of anchors" "its anchors and optional parts would cost regcomp gigabytes" \
	"/$(printf '^%.0s' $(seq 100))/"
usage_error "a run of word boundaries" \
	"its anchors and optional parts would cost regcomp gigabytes" "/$(printf '\\b%.0s' $(seq 40))/"
usage_error "word boundaries before a run of optional atoms" \
	"its anchors and optional parts would cost regcomp gigabytes" \
	"/\\b\\b\\b\\b$(printf 'x?%.0s' $(seq 1000))/"
usage_error "a run of optional atoms past the bound" \
	"its anchors and optional parts would cost regcomp gigabytes" "/$(printf 'x?%.0s' $(seq 2000))/"
usage_error "groups nested more than 64 deep" "groups nested more than 64 deep" \
	"/$(printf '(%.0s' $(seq 65))a$(printf ')%.0s' $(seq 65))/"
# As long but cheap: past the checks, kstat finds no kstatd (exit 3)
passes() { # what regex
	run "$KSTAT" -p "$2"
	expect_rc 3 "$1 passes the checks"
}
passes "^(n1|...|n500)\$" "/^($(seq -s '|' -f 'n%g' 500))\$/"
passes "^n1\$|...|^n500\$" "/^$(seq -s '$|^' -f 'n%g' 500)\$/"
passes "1000 x? in a row" "/$(printf 'x?%.0s' $(seq 1000))/"
passes "20 ^ in a row" "/$(printf '^%.0s' $(seq 20))/"
passes "groups nested 64 deep" "/$(printf '(%.0s' $(seq 64))a$(printf ')%.0s' $(seq 64))/"
passes "word boundaries" '/\<(cpu|disk)\b/'
passes "an unmatched ) as a character" '/)a{2}/'
usage_error "-w without =" "not module:instance:name:statistic=value" -w ktest:0:knobs:x
usage_error "-w with three fields" "not module:instance:name:statistic=value" -w ktest:0:x=1
usage_error "-w with five fields" "not module:instance:name:statistic=value" -w a:0:b:c:d=1
usage_error "-w with an instance that is no number" "instance x is not an integer" -w a:x:b:c=1
usage_error "-w with an instance beyond int" "instance 2147483648 is not an integer" \
	-w a:2147483648:b:c=1
usage_error "-w without a value" "no value" -w a:0:b:c=
usage_error "-w with an empty field" "an empty field" -w a:0::c=1
usage_error "-w with a name longer than 30" "longer than 30" \
	-w a:0:b:abcdefghijabcdefghijabcdefghijk=1
usage_error "-w with another option" "-w takes no other options or operands" -p -w a:0:b:c=1
usage_error "-w with an operand" "-w takes no other options or operands" -w a:0:b:c=1 cpu

for h in -h -?; do
	run "$KSTAT" $h
	expect_rc 0 "kstat $h"
	expect_err "^kstat \[ -Cjlpq \] \[ -T d\|u \] \[ -c class \]" "  prints the usage on stderr"
	expect_err "^kstat -w module:instance:name:statistic=value" "  with -w"
done

# No kstatd: exit 3, naming the socket tried and how to start kstatd
for args in "-p" "-w a:0:b:c=1"; do
	run "$KSTAT" $args
	expect_rc 3 "kstat $args with no kstatd"
	expect_err "kstatd is not running: cannot connect to $TMP/none.sock" "  names the socket"
	expect_err "start it as root with 'kstatd'" "  and says how to start kstatd"
	expect_err "KSTAT_SOCKET" "  and how to point kstat at another socket"
done

start_daemon "$OUTPUT/tests/ksfixture" "$TMP/fixture.sock"
export KSTAT_SOCKET="$TMP/fixture.sock"
run "$KSTAT" -p test:0:strings:big
expect_rc 0 "with kstatd running, kstat exits 0"

# kstatd gone while kstat waits between reports: exit 3, not a hang or a crash
"$KSTAT" -p test:0:strings:big 1 5 >"$TMP/run.out" 2>"$TMP/run.err" &
kpid=$!
for _i in $(seq 1 50); do
	[ -s "$TMP/run.out" ] && break
	sleep 0.1
done
stop_daemon
expect_rc 0 "ksfixture stops"
wait $kpid
_rc=$?
expect_rc 3 "kstat loses kstatd between reports"
expect_file "$TMP/run.err" "kstat: lost kstatd at $TMP/fixture.sock" "  and says so"
sed 's/^/    | /' "$TMP/run.err"
[ "$(head -1 "$TMP/run.out")" = "test:0:strings:big${TAB}4294967301" ]
check $? "  after printing the report it had"

run "$KSTAT" -p test:0:strings:big
expect_rc 3 "kstat with kstatd stopped (its socket removed)"
expect_err "kstatd is not running: cannot connect to $TMP/fixture.sock" "  names the socket"

# killed: its socket is left behind and refuses connections
start_daemon "$OUTPUT/tests/ksfixture" "$TMP/fixture.sock"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
[ -S "$TMP/fixture.sock" ]
check $? "a killed kstatd leaves its socket"
run "$KSTAT" -p test:0:strings:big
expect_rc 3 "kstat with kstatd killed"
expect_err "kstatd is not running: .*Connection refused" "  says kstatd is not running"
finish
