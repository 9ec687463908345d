#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Histograms people can read, on the test's own loop device: kstat lists
# a histogram's slots in slot order (read_lat_00_lt_2 ... read_lat_35_inf,
# then read_lat_sum), each bound twice the one before; khist prints its
# events, mean and percentiles as a separate computation from the same
# slots gives them, and over an interval exactly the reads the test made.
set -u
. "$(dirname "$0")/lib.sh"
PIN=/sys/fs/bpf/kstatd-hist-test-$$
TMP=$(mktemp -d)
LOOP=
cleanup() {
	kill_daemons
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT

KHIST=$OUTPUT/khist
run "$KHIST" -p 0
expect_rc 2 "khist -p 0: a percentile out of (0, 100]"
expect_err "percentiles in \(0, 100\]" "is explained"
run "$KHIST" -x
expect_rc 2 "khist: an unknown option"
run "$KHIST" a:b:c:d:e
expect_rc 2 "khist: an operand of five fields"
KSTAT_SOCKET=$TMP/none run "$KHIST"
expect_rc 1 "khist without kstatd"
expect_err "cannot reach kstatd" "says so"

require_root
truncate -s 16M "$TMP/disk"
LOOP=$(losetup -f --show "$TMP/disk")
NAME=${LOOP#/dev/}
export KSTAT_SOCKET="$TMP/kstat.sock"
start_daemon "$(dirname "$0")/kstatd-test" --socket "$KSTAT_SOCKET" --pin-path "$PIN" --reset \
	--sync-interval 100
reads() { dd if="$LOOP" of=/dev/null bs=4k count="$1" skip="$2" iflag=direct status=none; }
for _ in $(seq 1 30); do
	"$OUTPUT/kstat" -p ":::read_lat_00_lt_2" | grep -q ":$NAME:" && break
	sleep 0.1
done
reads 500 0
# the info kstat of the loop device: <driver>info:<instance>:<name>
INFO=$("$OUTPUT/kstat" -p ":::read_lat_00_lt_2" | grep ":$NAME:read_lat" | cut -d: -f1-3)
[ -n "$INFO" ]
check $? "the loop device has a histogram kstat ($INFO)"

run "$OUTPUT/kstat" -p "$INFO:/^read_lat_/"
cp "$_out" "$TMP/slots"
/usr/bin/python3 - "$TMP/slots" <<'PY' >"$TMP/order"
import re, sys
names = [l.split("\t")[0].split(":")[3] for l in open(sys.argv[1]) if l.strip()]
slots = [n for n in names if n != "read_lat_sum"]
ok = names[-1] == "read_lat_sum" and len(slots) == 36
for i, n in enumerate(slots):
    m = re.fullmatch(r"read_lat_(\d\d)_(?:lt_(\d+)|inf)", n)
    ok = ok and m is not None and int(m.group(1)) == i
    ok = ok and (m.group(2) is None if i == len(slots) - 1 else int(m.group(2)) == 2 ** (i + 1))
print("ok" if ok else "bad " + " ".join(names[:5]))
PY
[ "$(cat "$TMP/order")" = ok ]
check $? "kstat lists the slots in slot order, each bound twice the last, then the sum ($(cat "$TMP/order"))"

# khist against the same slots, read while the device is idle
run "$KHIST" -p 50,90,99 "$INFO:read_lat"
expect_rc 0 "khist of the loop device's reads"
cp "$_out" "$TMP/khist"
run "$OUTPUT/kstat" -p "$INFO:/^read_lat_/"
/usr/bin/python3 - "$_out" "$TMP/khist" <<'PY' >"$TMP/pct"
import sys
vals = {}
for l in open(sys.argv[1]):
    k, v = l.rstrip("\n").split("\t")
    vals[k.split(":")[3]] = int(v)
slots = [(n, vals[n]) for n in sorted(vals) if n != "read_lat_sum"]
le = [2 ** (i + 1) for i in range(len(slots) - 1)] + [None]
count = sum(v for _, v in slots)
def pct(p):
    rank, cum = p / 100 * count, 0
    for i, (_, v) in enumerate(slots):
        if v and cum + v >= rank:
            lo = le[i - 1] if i else 0
            if le[i] is None:
                return ">%d" % lo
            return "%.0f" % (lo + (le[i] - lo) * (rank - cum) / v)
        cum += v
    return "0"
top = max(i for i, (_, v) in enumerate(slots) if v)
want = [str(count), "%.0f" % (vals["read_lat_sum"] / count), pct(50), pct(90), pct(99),
        str(le[top]) if le[top] else ">%d" % le[top - 1]]
row = [l.split() for l in open(sys.argv[2]) if l.split() and l.split()[0].endswith(":read_lat")]
print("ok" if row and row[0][1:] == want else "want %s got %s" % (want, row[0][1:] if row else None))
PY
[ "$(cat "$TMP/pct")" = ok ]
check $? "khist's count, mean, p50, p90, p99 and max are the slots' ($(cat "$TMP/pct"))"
count=$(awk '$1 ~ /:read_lat$/ { print $2 }' "$TMP/khist")
[ "${count:-0}" -ge 500 ]
check $? "and the count holds the test's 500 reads (${count:-0})"

# over an interval: exactly the reads made in it
("$KHIST" -z "$INFO:read_lat" 1 2 >"$TMP/interval" 2>&1) &
KH=$!
sleep 0.4
reads 200 1000
wait "$KH"
check $? "khist 1 2 exits 0"
second=$(awk '/^HISTOGRAM/ { n++ } n == 2 && $1 ~ /:read_lat$/ { print $2 }' "$TMP/interval")
[ "${second:-0}" = 200 ]
check $? "the second report counts exactly the 200 reads made in its interval (${second:-none})"
run "$KHIST" -z "$INFO:write_lat"
! grep -q ":write_lat" "$_out"
check $? "-z leaves out a histogram with no events (no writes)"

stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
