#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Before and after of a provider's programs, on the same events: attach
# the programs of two builds of one object side by side (A first, then B
# first, as the first to run on a hook may warm the cache for the other),
# run a workload, and print each program's run time per run from
# kernel.bpf_stats_enabled.  Needs root and make bench-bins.
#   bench/ab.sh A.bpf.o B.bpf.o "PROG..." WORKLOAD N [ROUNDS]
#   bench/ab.sh /tmp/old/cpu_sys.bpf.o build/bpf/cpu_sys.bpf.o \
#	handle_sched_switch pingpong 50000
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
A=$1 B=$2 PROGS=$3 W=$4 N=$5 ROUNDS=${6:-3}
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
TMP=$(mktemp -d)
PA= PB= LOOPDEV=
cleanup() {
	for p in $PA $PB; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PA $PB; do wait "$p" 2>/dev/null || true; done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$W" = blkio ]; then
	truncate -s 64M "$TMP/disk.img"
	LOOPDEV=$(losetup -f --show "$TMP/disk.img")
fi

# attach OBJ LOG: the programs of OBJ, PID of the holder in $!
attach() {
	# shellcheck disable=SC2086 # one argument per program
	"$OUTPUT/bench/attach_empty" -o "$1" $PROGS >"$2" 2>&1 &
	for _ in $(seq 1 100); do
		grep -q attached "$2" && return 0
		sleep 0.05
	done
	cat "$2" >&2
	exit 1
}

snap() { # PID: id name run_cnt run_time_ns of its programs
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* | awk '{ print $2 }' | sort -u | xargs)
	bpftool -j prog show | python3 -c '
import json, sys
want = set(sys.argv[1].split())
for p in json.load(sys.stdin):
    if str(p["id"]) in want:
        print(p["id"], p["name"], p.get("run_cnt", 0), p.get("run_time_ns", 0))
' "$ids" | sort
}

sysctl -qw kernel.bpf_stats_enabled=1
for r in $(seq 1 "$ROUNDS"); do
	for order in AB BA; do
		if [ $order = AB ]; then
			attach "$A" "$TMP/a" && PA=$! && attach "$B" "$TMP/b" && PB=$!
		else
			attach "$B" "$TMP/b" && PB=$! && attach "$A" "$TMP/a" && PA=$!
		fi
		snap "$PA" >"$TMP/a0"
		snap "$PB" >"$TMP/b0"
		"$OUTPUT/bench/ev_loop" "$W" "$N" 1 ${LOOPDEV:+"$LOOPDEV"} >/dev/null
		snap "$PA" >"$TMP/a1"
		snap "$PB" >"$TMP/b1"
		kill -TERM $PA $PB
		wait $PA $PB 2>/dev/null || true
		PA= PB=
		for x in a b; do
			join "$TMP/${x}0" "$TMP/${x}1" | awk -v x="$x" -v o="$order" -v r="$r" \
				'{ n = $6 - $3; printf "%s %s %s %s %d %.1f\n", r, o, x == "a" ? "A" : "B",
				   $2, n, n ? ($7 - $4) / n : 0 }'
		done
	done
done | tee "$TMP/all"
echo "# median ns per run, each build in each position (first or second on the hook)"
awk '{ print substr($2, 1, 1) == $3 ? "first" : "second", $3, $4, $6 }' "$TMP/all" |
	sort -k1,3 -k4g | awk '{ k = $1 " " $2 " " $3; v[k, ++n[k]] = $4 }
	END { for (k in n) { m = n[k]; h = int((m + 1) / 2); print k, v[k, h] } }' | sort
