#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstat's output formats, byte for byte, against a real kstatd whose
# ktest provider (real BPF maps) holds known values: the writable
# ktest:0:knobs set with kstat -w, NAMED keyed entries, an IO, an INTR and
# a TIMER kstat written into the pinned maps with bpftool.  The expected
# text follows illumos kstat's printf formats; only crtime and snaptime
# values are replaced (by T, and only where they have the form %.9f).
# Lines marked | at the end end in blanks.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"

require_root
start_ktest
ktest_values
N=$NCPU

# The default format: module:/name: header, tab-indented statistics, a blank line
eol >"$TMP/expected" <<EOF
module: ktest                           instance: 0     |
name:   intr                            class:    controller
	crtime                          T
	hard                            $N
	multiple_service                $((5 * N))
	snaptime                        T
	soft                            $((2 * N))
	spurious                        $((4 * N))
	watchdog                        $((3 * N))

module: ktest                           instance: 0     |
name:   knobs                           class:    test
	crtime                          T
	hist_value                      1000
	snaptime                        T
	track_tgid                      4242424242

module: ktest                           instance: 0     |
name:   open                            class:    test
	busy                            0
	crtime                          T
	snaptime                        T

module: ktest                           instance: 0     |
name:   timer                           class:    misc
	crtime                          T
	elapsed_time                    $((30 * N))
	max_time                        20
	min_time                        10
	name                            timer
	num_events                      $((2 * N))
	snaptime                        T
	start_time                      100
	stop_time                       120

module: ktest                           instance: 2     |
name:   vda                             class:    test
	bytes                           $((4096 * N))
	crtime                          T
	events                          $((5 * N))
	hi                              9
	lat_00_lt_2                     $N
	lat_01_lt_4                     $((2 * N))
	lat_02_lt_8                     $((3 * N))
	lat_03_inf                      $((4 * N))
	level                           $((-3 * N))
	lo                              7
	small                           $((8 * N))
	snaptime                        T

module: ktest                           instance: 3     |
name:   vdz                             class:    disk
	crtime                          T
	nread                           4096
	nwritten                        8192
	rcnt                            0
	reads                           1
	rlastupdate                     51
	rlentime                        50
	rtime                           40
	snaptime                        T
	wcnt                            0
	wlastupdate                     32
	wlentime                        31
	writes                          2
	wtime                           30

module: ktest                           instance: 10    |
name:   vdb                             class:    test
	bytes                           $((512 * N))
	crtime                          T
	events                          $N
	hi                              2
	lat_00_lt_2                     0
	lat_01_lt_4                     0
	lat_02_lt_8                     0
	lat_03_inf                      $N
	level                           $((4 * N))
	lo                              2
	small                           $N
	snaptime                        T

EOF
run "$KSTAT" ktest
expect_rc 0 "kstat ktest"
out_is "$TMP/expected" "default format: NAMED, IO, INTR and TIMER kstats, sorted, byte for byte"

# -p: module:instance:name:statistic, a tab, the value; class is a statistic
cat >"$TMP/expected" <<EOF
ktest:0:intr:class	controller
ktest:0:intr:crtime	T
ktest:0:intr:hard	$N
ktest:0:intr:multiple_service	$((5 * N))
ktest:0:intr:snaptime	T
ktest:0:intr:soft	$((2 * N))
ktest:0:intr:spurious	$((4 * N))
ktest:0:intr:watchdog	$((3 * N))
ktest:0:knobs:class	test
ktest:0:knobs:crtime	T
ktest:0:knobs:hist_value	1000
ktest:0:knobs:snaptime	T
ktest:0:knobs:track_tgid	4242424242
ktest:0:open:busy	0
ktest:0:open:class	test
ktest:0:open:crtime	T
ktest:0:open:snaptime	T
ktest:0:timer:class	misc
ktest:0:timer:crtime	T
ktest:0:timer:elapsed_time	$((30 * N))
ktest:0:timer:max_time	20
ktest:0:timer:min_time	10
ktest:0:timer:name	timer
ktest:0:timer:num_events	$((2 * N))
ktest:0:timer:snaptime	T
ktest:0:timer:start_time	100
ktest:0:timer:stop_time	120
ktest:2:vda:bytes	$((4096 * N))
ktest:2:vda:class	test
ktest:2:vda:crtime	T
ktest:2:vda:events	$((5 * N))
ktest:2:vda:hi	9
ktest:2:vda:lat_00_lt_2	$N
ktest:2:vda:lat_01_lt_4	$((2 * N))
ktest:2:vda:lat_02_lt_8	$((3 * N))
ktest:2:vda:lat_03_inf	$((4 * N))
ktest:2:vda:level	$((-3 * N))
ktest:2:vda:lo	7
ktest:2:vda:small	$((8 * N))
ktest:2:vda:snaptime	T
ktest:3:vdz:class	disk
ktest:3:vdz:crtime	T
ktest:3:vdz:nread	4096
ktest:3:vdz:nwritten	8192
ktest:3:vdz:rcnt	0
ktest:3:vdz:reads	1
ktest:3:vdz:rlastupdate	51
ktest:3:vdz:rlentime	50
ktest:3:vdz:rtime	40
ktest:3:vdz:snaptime	T
ktest:3:vdz:wcnt	0
ktest:3:vdz:wlastupdate	32
ktest:3:vdz:wlentime	31
ktest:3:vdz:writes	2
ktest:3:vdz:wtime	30
ktest:10:vdb:bytes	$((512 * N))
ktest:10:vdb:class	test
ktest:10:vdb:crtime	T
ktest:10:vdb:events	$N
ktest:10:vdb:hi	2
ktest:10:vdb:lat_00_lt_2	0
ktest:10:vdb:lat_01_lt_4	0
ktest:10:vdb:lat_02_lt_8	0
ktest:10:vdb:lat_03_inf	$N
ktest:10:vdb:level	$((4 * N))
ktest:10:vdb:lo	2
ktest:10:vdb:small	$N
ktest:10:vdb:snaptime	T
EOF
run "$KSTAT" -p ktest
expect_rc 0 "kstat -p ktest"
out_is "$TMP/expected" "-p format, with the class pseudo-statistic, byte for byte"

# -C: a colon instead of the tab; -l: the names alone
sed "s/$TAB/:/" "$TMP/expected" >"$TMP/expected.C"
run "$KSTAT" -C ktest
expect_rc 0 "kstat -C ktest"
out_is "$TMP/expected.C" "-C format, byte for byte"
cut -f1 "$TMP/expected" >"$TMP/expected.l"
run "$KSTAT" -l ktest
expect_rc 0 "kstat -l ktest"
out_is "$TMP/expected.l" "-l format, byte for byte"

# -j: illumos's keys and layout, valid JSON
cat >"$TMP/expected" <<EOF
[{
	"module": "ktest",
	"instance": 0,
	"name": "intr",
	"class": "controller",
	"type": 2,
	"snaptime": T,
	"data": {
		"crtime": T,
		"hard": $N,
		"multiple_service": $((5 * N)),
		"snaptime": T,
		"soft": $((2 * N)),
		"spurious": $((4 * N)),
		"watchdog": $((3 * N))
	}
}, {
	"module": "ktest",
	"instance": 0,
	"name": "knobs",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"crtime": T,
		"hist_value": 1000,
		"snaptime": T,
		"track_tgid": 4242424242
	}
}, {
	"module": "ktest",
	"instance": 0,
	"name": "open",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"busy": 0,
		"crtime": T,
		"snaptime": T
	}
}, {
	"module": "ktest",
	"instance": 0,
	"name": "timer",
	"class": "misc",
	"type": 4,
	"snaptime": T,
	"data": {
		"crtime": T,
		"elapsed_time": $((30 * N)),
		"max_time": 20,
		"min_time": 10,
		"name": "timer",
		"num_events": $((2 * N)),
		"snaptime": T,
		"start_time": 100,
		"stop_time": 120
	}
}, {
	"module": "ktest",
	"instance": 2,
	"name": "vda",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"bytes": $((4096 * N)),
		"crtime": T,
		"events": $((5 * N)),
		"hi": 9,
		"lat_00_lt_2": $N,
		"lat_01_lt_4": $((2 * N)),
		"lat_02_lt_8": $((3 * N)),
		"lat_03_inf": $((4 * N)),
		"level": $((-3 * N)),
		"lo": 7,
		"small": $((8 * N)),
		"snaptime": T
	}
}, {
	"module": "ktest",
	"instance": 3,
	"name": "vdz",
	"class": "disk",
	"type": 3,
	"snaptime": T,
	"data": {
		"crtime": T,
		"nread": 4096,
		"nwritten": 8192,
		"rcnt": 0,
		"reads": 1,
		"rlastupdate": 51,
		"rlentime": 50,
		"rtime": 40,
		"snaptime": T,
		"wcnt": 0,
		"wlastupdate": 32,
		"wlentime": 31,
		"writes": 2,
		"wtime": 30
	}
}, {
	"module": "ktest",
	"instance": 10,
	"name": "vdb",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"bytes": $((512 * N)),
		"crtime": T,
		"events": $N,
		"hi": 2,
		"lat_00_lt_2": 0,
		"lat_01_lt_4": 0,
		"lat_02_lt_8": 0,
		"lat_03_inf": $N,
		"level": $((4 * N)),
		"lo": 2,
		"small": $N,
		"snaptime": T
	}
}]
EOF
run "$KSTAT" -j ktest
expect_rc 0 "kstat -j ktest"
out_is "$TMP/expected" "-j format, byte for byte"
json_ok "$_out" "-j output is valid JSON"

# -j -p adds class to data; a statistic selector that leaves out the last
# statistic leaves no comma behind (illumos prints one: invalid JSON)
cat >"$TMP/expected" <<EOF
[{
	"module": "ktest",
	"instance": 0,
	"name": "knobs",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"class": "test",
		"hist_value": 1000
	}
}]
EOF
run "$KSTAT" -j -p 'ktest:0:knobs:/^(class|hist)/'
expect_rc 0 "kstat -j -p with a statistic regex"
out_is "$TMP/expected" "-j -p: class among the data; no comma after the last statistic printed"
json_ok "$_out" "and it is valid JSON"
run "$KSTAT" -j ktest:0:nosuch
expect_rc 1 "kstat -j with no match exits 1"
printf '[]\n' >"$TMP/expected"
out_is "$TMP/expected" "and prints an empty array"

# kid 0 and kid 1 (unix:0:kstat_headers, unix:0:kstat_types) are never shown
run "$KSTAT" -l 'unix:0:kstat_*'
expect_rc 1 "unix:0:kstat_* selects nothing"
[ ! -s "$_out" ]
check $? "and prints nothing"
run "$KSTAT" -l unix
grep -q '^unix:0:system_misc:' "$_out" && ! grep -q '^unix:0:kstat_' "$_out"
check $? "module unix shows system_misc and the rest, never kstat_headers or kstat_types"

# crtime and snaptime: seconds of CLOCK_MONOTONIC, crtime first
run "$KSTAT" -p ktest:2:vda:crtime ktest:2:vda:snaptime
now=$(/usr/bin/python3 -c 'import time; print(time.monotonic())')
awk -v now="$now" 'NR == 1 { c = $2 } NR == 2 { s = $2 }
	END { exit !(NR == 2 && c > 0 && c <= s && s - now < 5 && now - s < 5) }' "$_out"
check $? "crtime <= snaptime, and snaptime is the monotonic clock now, in seconds"
stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
