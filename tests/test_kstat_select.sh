#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Which kstats and statistics build/kstat prints, against a real kstatd
# with the ktest provider holding known values: shell globs (whole string)
# against /regex/ (extended, matching anywhere), empty fields, several
# operands (OR'ed, output grouped in command-line order, a kstat two
# operands match printed twice), -c -m -i -n -s, -q, exit 0 and 1.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"

require_root
start_ktest
ktest_values
N=$NCPU

# selects WHAT EXPECTED-LINES ARGS...: exit 0 and exactly these -p lines
selects() {
	_what=$1
	printf '%s' "$2" >"$TMP/expected"
	shift 2
	run "$KSTAT" "$@"
	expect_rc 0 "$_what"
	out_is "$TMP/expected" "  prints exactly what it selects"
}

# selects_nothing WHAT ARGS...: exit 1, no output
selects_nothing() {
	_what=$1
	shift
	run "$KSTAT" "$@"
	expect_rc 1 "$_what"
	[ ! -s "$_out" ]
	check $? "  and prints nothing"
}

# Globs match the whole string: ? is one character, so instance 10 is out
selects "glob ktest:?:vd?:lo" "ktest:2:vda:lo${TAB}7
" -p 'ktest:?:vd?:lo'
selects "glob ktest:*:vd?:lo" "ktest:2:vda:lo${TAB}7
ktest:10:vdb:lo${TAB}2
" -p 'ktest:*:vd?:lo'
selects "glob with a bracket and a star on instance and statistic" "ktest:10:vdb:lat_00_lt_2${TAB}0
ktest:10:vdb:lat_01_lt_4${TAB}0
ktest:10:vdb:lat_02_lt_8${TAB}0
ktest:10:vdb:lat_03_inf${TAB}$N
ktest:10:vdb:level${TAB}$((4 * N))
ktest:10:vdb:lo${TAB}2
" -p 'ktest:1*:vd[b-c]:l*'
selects_nothing "a glob is anchored: v is not vda" -p 'ktest::v:lo'
selects_nothing "a glob has no alternation" -p 'ktest::vda|vdb:lo'

# Regexes are extended and unanchored
selects "regex /v/ matches anywhere in the name" "ktest:2:vda:lo${TAB}7
ktest:10:vdb:lo${TAB}2
" -p 'ktest::/v/:lo'
selects "regex with alternation and anchors" "ktest:2:vda:level${TAB}$((-3 * N))
ktest:2:vda:lo${TAB}7
ktest:10:vdb:level${TAB}$((4 * N))
ktest:10:vdb:lo${TAB}2
" -p 'ktest::/^vd[ab]$/:/^l(o|evel)$/'
selects "regex on the instance, as a decimal string" "ktest:10:vdb:events${TAB}$N
" -p 'ktest:/^1/::events'
selects "regex on the module" "ktest:3:vdz:nread${TAB}4096
" -p '/^kt/:3::nread'
selects_nothing "the same text as a glob matches nothing" -p 'ktest:^1::events'

# Empty and missing fields match everything
selects "empty fields" "ktest:3:vdz:nwritten${TAB}8192
" -p ktest::vdz:nwritten
run "$KSTAT" -l ktest:3
expect_rc 0 "module:instance alone"
[ "$(wc -l <"$_out")" -eq 15 ]
check $? "  lists all 15 statistics of ktest:3:vdz"

# Several operands: OR'ed, grouped in command-line order, repeats included
selects "operands print in command-line order, not sorted" "ktest:10:vdb:lo${TAB}2
ktest:2:vda:lo${TAB}7
ktest:0:knobs:hist_value${TAB}1000
" -p ktest:10:vdb:lo ktest:2:vda:lo ktest:0:knobs:hist_value
selects "a kstat two operands match prints twice" "ktest:2:vda:hi${TAB}9
ktest:2:vda:hi${TAB}9
ktest:10:vdb:hi${TAB}2
" -p ktest:2:vda:hi 'ktest:*:*:hi'
selects_nothing "operands that all match nothing" -p ktest:2:vda:nosuch 'ktest:99'
selects "one operand of two matching" "ktest:2:vda:hi${TAB}9
" -p ktest:2:vda:nosuch ktest:2:vda:hi
eol >"$TMP/expected" <<EOF
module: ktest                           instance: 2     |
name:   vda                             class:    test
	lo                              7

module: ktest                           instance: 2     |
name:   vda                             class:    test
	hi                              9

EOF
run "$KSTAT" ktest:2:vda:lo ktest:2:vda:hi
expect_rc 0 "default format, two operands on one kstat"
out_is "$TMP/expected" "  one block per operand, each with its header"

# -m -i -n -s select like an operand; -c filters the class, with operands too
selects "-m -i -n -s" "ktest:2:vda:small${TAB}$((8 * N))
" -p -m ktest -i 2 -n vda -s small
selects "-m with a -s regex" "ktest:0:timer:name${TAB}timer
ktest:0:timer:num_events${TAB}$((2 * N))
ktest:3:vdz:nread${TAB}4096
ktest:3:vdz:nwritten${TAB}8192
" -p -m ktest -s '/^n/'
selects "-i alone with -m" "ktest:10:vdb:hi${TAB}2
" -p -m ktest -i 10 -s hi
selects "-c disk" "ktest:3:vdz:class:disk
" -C -c disk -m ktest -s class
selects "-c with a regex" "ktest:0:intr:class${TAB}controller
ktest:3:vdz:class${TAB}disk
" -p -c '/^(disk|controller)$/' -m ktest -s class
selects "-c with operands" "ktest:2:vda:lo${TAB}7
ktest:10:vdb:lo${TAB}2
" -p -c test 'ktest:*:*:lo' ktest:0:timer
selects_nothing "-c that no selected kstat has" -p -c disk 'ktest:*:*:lo'
selects_nothing "-n that matches nothing" -p -m ktest -n nosuch

# -q: no output at all, only the exit status (even with -T)
run "$KSTAT" -q ktest:2:vda
expect_rc 0 "-q with a match exits 0"
[ ! -s "$_out" ] && [ ! -s "$_err" ]
check $? "  and prints nothing"
run "$KSTAT" -q -T u ktest:99
expect_rc 1 "-q -T u without a match exits 1"
[ ! -s "$_out" ]
check $? "  and prints nothing, not even the timestamp"
stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
