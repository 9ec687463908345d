#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kstatd killed with SIGKILL in the middle of scrapes and libkstat writes,
# then restarted on the same pin path, ROUNDS times (3; LONG=1: 10):
#   - no counter goes backwards: every sample of every counter and
#     histogram family (kstat_*, the pinned ones; kstatd_* are the
#     process's own) scraped just before the kill is at most the same
#     sample after the restart;
#   - no map leaks: the pins stay the same maps (same ids, same count),
#     every map the killed daemon held is pinned or gone, and all of them
#     are gone once the pins are removed;
#   - a second kstatd on the same pin path refuses to start, saying why.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
ROUNDS=${RESTART_ROUNDS:-3}
[ "${LONG:-0}" = 1 ] && ROUNDS=10
PIN=/sys/fs/bpf/kstatd-kill-test-$$
TMP=$(mktemp -d)
SOCK=$TMP/kstat.sock
BG=
trap 'kill $BG 2>/dev/null; kill_daemons; rm -rf "$PIN" "$TMP"' EXIT
require_root
export KSTAT_SOCKET=$SOCK

start() {
	start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK" \
		--provider "$OUTPUT/tests/ktest.bpf.o"
	URL=$(daemon_url)
}

# map ids of bpf map fds a process holds
held_maps() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n 's/^map_id:[[:space:]]*//p' | sort -un
}

# "path id" of every pin under PIN
pins() {
	find "$PIN" -type f | sort | while read -r f; do
		echo "$f $(bpftool -j map show pinned "$f" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')"
	done
}

map_gone() { ! bpftool map show id "$1" >/dev/null 2>&1; }

# wait_gone ID...: the maps are freed (RCU may take a moment)
wait_gone() {
	for _ in $(seq 1 50); do
		left=
		for id in "$@"; do map_gone "$id" || left="$left $id"; done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "    maps still there:$left"
	return 1
}

# Load while it is killed: scrapes, and writes of a writable kstat
load() {
	(while :; do curl -s -o /dev/null "$URL/metrics"; done) &
	BG="$BG $!"
	(
		i=0
		while :; do
			i=$((i + 1))
			"$OUTPUT/kstat" -w "ktest:0:knobs:hist_value=$i" 2>/dev/null
		done
	) &
	BG="$BG $!"
}

stop_load() {
	kill $BG 2>/dev/null
	wait $BG 2>/dev/null
	BG=
}

start
pins >"$TMP/pins0"
[ "$(wc -l <"$TMP/pins0")" -ge 5 ]
check $? "the providers' maps are pinned ($(wc -l <"$TMP/pins0") pins)"
all_maps=$(held_maps "$DAEMON_PID")
nheld0=$(echo "$all_maps" | wc -w)

for round in $(seq 1 "$ROUNDS"); do
	load
	sleep 1
	curl -s "$URL/metrics" >"$TMP/before"
	held=$(held_maps "$DAEMON_PID")
	all_maps="$all_maps $held"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	stop_load
	pinned=$(awk '{print $2}' "$TMP/pins0")
	unpinned=
	for id in $held; do
		echo "$pinned" | grep -qx "$id" || unpinned="$unpinned $id"
	done
	# shellcheck disable=SC2086 # a list of ids
	wait_gone $unpinned
	check $? "round $round: the maps of the killed kstatd that were not pinned are freed"

	start
	curl -s "$URL/metrics" >"$TMP/after"
	run python3 - "$TMP/before" "$TMP/after" <<'PY'
import re
import sys
def samples(path):
    types, out = {}, {}
    for line in open(path, encoding="utf-8"):
        if line.startswith("# TYPE "):
            _, _, fam, typ = line.split()
            types[fam] = typ
        elif line.strip() and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return types, out
types, before = samples(sys.argv[1])
_, after = samples(sys.argv[2])
counters = [f for f, t in types.items() if t in ("counter", "histogram") and f.startswith("kstat_")]
def medium(name):
    # a disk's labels: a loop device another test set up anew in between is another disk
    labels = name[name.find("{"):]
    return re.sub(r',?le="[^"]*"', "", labels)
def diskseqs(s):
    return {medium(k): v for k, v in s.items() if k.startswith("kstat_disk_diskseq{")}
seq0, seq1 = diskseqs(before), diskseqs(after)
n = back = 0
for name, v in before.items():
    m = medium(name)
    if m in seq0 and seq1.get(m) != seq0[m]:
        continue
    fam = name.split("{")[0]
    for suffix in ("_total", "_bucket", "_count", "_sum", "_created"):
        if fam.endswith(suffix) and fam[:-len(suffix)] in types:
            fam = fam[:-len(suffix)]
    if fam not in counters and name.split("{")[0] not in counters:
        continue
    if name not in after:
        continue
    n += 1
    if after[name] < v:
        back += 1
        print("went back: %s %r -> %r" % (name, v, after[name]), file=sys.stderr)
print("compared %d samples of %d counter and histogram families, %d went back" % (n, len(counters), back))
sys.exit(1 if back or n < 100 else 0)
PY
	expect_rc 0 "round $round: no counter went backwards across SIGKILL and restart"
	sed 's/^/    /' "$_out"
	head -5 "$_err" | sed 's/^/    | /'
	pins >"$TMP/pins"
	cmp -s "$TMP/pins0" "$TMP/pins"
	check $? "round $round: the same pins hold the same maps after the restart"
	nheld=$(held_maps "$DAEMON_PID" | wc -w)
	[ "$nheld" -eq "$nheld0" ]
	check $? "round $round: the new kstatd holds as many maps as the first ($nheld, $nheld0)"
done

run "$KSTATD" --pin-path "$PIN" --socket "$TMP/other.sock"
expect_rc 1 "a second kstatd on the same pin path refuses to start"
expect_err "another kstatd is running with pin path $PIN" "and says why"
[ "$(wc -l <"$_err")" -le 2 ]
check $? "in a line or two, not a cascade"
kill -0 "$DAEMON_PID"
check $? "the first kstatd keeps running"
run "$OUTPUT/kstat" -p ktest:0:knobs:hist_value
expect_rc 0 "and serving"

all_maps="$all_maps $(held_maps "$DAEMON_PID")"
stop_daemon
expect_rc 0 "the last kstatd stops cleanly"
rm -rf "$PIN"
# shellcheck disable=SC2086 # a list of ids
wait_gone $(echo "$all_maps" | tr ' ' '\n' | sort -un)
check $? "once the pins are removed, every map any of the kstatds held is freed"
finish
