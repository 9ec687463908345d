# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Helpers for the tests of build/kstat (tests/test_kstat_*.sh), sourced
# after tests/lib.sh: a kstatd of the test's own serving the ktest provider,
# known values in ktest's kstats, and byte-for-byte comparison of outputs
# in which only crtime and snaptime are replaced.
KSTAT=$OUTPUT/kstat
TMP=$(mktemp -d)
chmod 755 "$TMP"
PIN=/sys/fs/bpf/kstatd-test-$$
trap 'kill_daemons; rm -rf "$TMP" "$PIN"' EXIT
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
TAB=$(printf '\t')

# le BYTES VALUE: VALUE as BYTES little-endian bytes, the way bpftool takes them
le() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		printf '%d ' $((($2 >> (8 * _i)) & 255))
		_i=$((_i + 1))
	done
}

# cstr BYTES STRING: STRING padded with NULs to BYTES bytes
cstr() {
	_n=$(printf '%s' "$2" | wc -c)
	printf '%s ' $(printf '%s' "$2" | od -An -tu1 -v)
	while [ "$_n" -lt "$1" ]; do
		printf '0 '
		_n=$((_n + 1))
	done
}

# bpftool writes one value to every possible CPU; per-CPU sums count them all
NCPU=$(awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-");
	c += n == 2 ? r[2] - r[1] + 1 : 1 } } END { print c }' /sys/devices/system/cpu/possible)

# start_ktest: kstatd with the ktest provider on a socket and pin path of this test
start_ktest() {
	start_daemon "$(dirname "$0")/kstatd-test" --socket "$TMP/kstat.sock" --pin-path "$PIN" --reset \
		--provider "$OUTPUT/tests/ktest.bpf.o" --provider-dir= --sync-interval 100
	export KSTAT_SOCKET="$TMP/kstat.sock"
}

# map_put MAP KEY-BYTES... -- VALUE-BYTES...: one entry of a pinned ktest map
map_put() {
	_map=$1
	shift
	_key=
	while [ "$1" != -- ]; do _key="$_key $1"; shift; done
	shift
	bpftool map update pinned "$PIN/ktest/$_map" key $_key value "$@"
	check $? "bpftool map update $_map"
}

# keyed KEY NAME EVENTS BYTES LEVEL LO HI LAT0 LAT1 LAT2 LAT3 SMALL: a ktest_keyed entry
keyed() {
	map_put ktest_keyed $(le 4 "$1") -- $(le 8 "$3") $(le 8 "$4") $(le 8 "$5") $(le 8 "$6") \
		$(le 8 "$7") $(le 8 "$8") $(le 8 "$9") $(le 8 "${10}") $(le 8 "${11}") \
		$(le 4 "${12}") $(le 4 0) $(cstr 16 "$2")
}

# wait_kstat SELECTOR: until kstatd serves a kstat it selects (its map entry was seen)
wait_kstat() {
	for _i in $(seq 1 50); do
		"$KSTAT" -q "$1" && return 0
		sleep 0.1
	done
	check 1 "kstat $1 appeared"
}

# ktest_values: known values in every ktest kstat.  Per CPU: bpftool copies a
# per-CPU value to each CPU, so sums are NCPU times the value.
ktest_values() {
	# a tgid that cannot exist: no fork ever counts into ktest_keyed
	run "$KSTAT" -w ktest:0:knobs:track_tgid=4242424242 -w ktest:0:knobs:hist_value=1000
	expect_rc 0 "kstat -w sets ktest:0:knobs"
	keyed 2 vda 5 4096 -3 7 9 1 2 3 4 8
	keyed 10 vdb 1 512 4 2 2 0 0 0 1 1
	# nread nwritten reads writes wtime wlentime wlastupdate rtime rlentime
	# rlastupdate wcnt rcnt: no I/O in flight, so reads add no queue time
	map_put ktest_io $(le 4 3) -- $(le 8 4096) $(le 8 8192) $(le 4 1) $(le 4 2) $(le 8 30) \
		$(le 8 31) $(le 8 32) $(le 8 40) $(le 8 50) $(le 8 51) $(le 4 0) $(le 4 0) \
		$(cstr 16 vdz)
	map_put ktest_intr $(le 4 0) -- $(le 4 1) $(le 4 2) $(le 4 3) $(le 4 4) $(le 4 5)
	# num_events elapsed_time min_time max_time start_time stop_time
	map_put ktest_timer $(le 4 0) -- $(le 8 2) $(le 8 30) $(le 8 10) $(le 8 20) $(le 8 100) \
		$(le 8 120)
	wait_kstat ktest:2:vda
	wait_kstat ktest:10:vdb
	wait_kstat ktest:3:vdz
}

# norm: crtime and snaptime values (seconds with nine decimals, or 0) become T
norm() {
	sed -E "/(crtime|snaptime)/ s/(^|[ :$TAB])(0|[0-9]+\.[0-9]{9})(,?)\$/\1T\3/"
}

# eol: drop the | that marks where a line of expected text ends in blanks
eol() {
	sed 's/|$//'
}

# same EXPECTED ACTUAL WHAT: the files are equal byte for byte; a diff if not
same() {
	cmp -s "$1" "$2"
	check $? "$3"
	cmp -s "$1" "$2" || diff "$1" "$2" | head -20 | sed 's/^/    | /'
}

# out_is EXPECTED-FILE WHAT: the last run's stdout, with times replaced, is EXPECTED
out_is() {
	norm <"$_out" >"$TMP/actual"
	same "$1" "$TMP/actual" "$2"
}

# json_ok FILE WHAT: FILE is one valid JSON document (python3's json)
json_ok() {
	/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$1"
	check $? "$2"
}
