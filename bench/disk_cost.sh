#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# The disk program's cost per request beside an empty program on the same
# hook (block_io_done), from kernel.bpf_stats_enabled: 4 KiB O_DIRECT
# reads of a loop device (mq-deadline), each program first on the hook in
# turn.  Needs root and make bench-bins.
#   bench/disk_cost.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
B=$OUTPUT/bench
N=${1:-100000} ROUNDS=${2:-3}
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
TMP=$(mktemp -d)
PE= PD= LOOPDEV=
cleanup() {
	for p in $PE $PD; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PE $PD; do wait "$p" 2>/dev/null || true; done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

truncate -s 64M "$TMP/disk.img"
LOOPDEV=$(losetup -f --show "$TMP/disk.img")
echo mq-deadline >"/sys/block/${LOOPDEV#/dev/}/queue/scheduler"

# attach OBJ PROG LOG: hold PROG of OBJ attached, PID in $!
attach() {
	"$B/attach_empty" "$1" "$2" >"$3" 2>&1 &
	for _ in $(seq 1 100); do
		grep -q attached "$3" && return 0
		sleep 0.05
	done
	cat "$3" >&2
	exit 1
}

stats() { # name run_cnt run_time_ns of the two programs
	bpftool -j prog show | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name") in ("empty_block_io_done", "handle_block_io_done"):
        print(p["name"], p.get("run_cnt", 0), p.get("run_time_ns", 0))' | sort
}

sysctl -qw kernel.bpf_stats_enabled=1
echo "# round order program runs ns/run ns/read"
for r in $(seq 1 "$ROUNDS"); do
	for order in empty-first disk-first; do
		if [ $order = empty-first ]; then
			attach "$B/empty.bpf.o" empty_block_io_done "$TMP/e" && PE=$!
			attach "$OUTPUT/bpf/disk.bpf.o" handle_block_io_done "$TMP/d" && PD=$!
		else
			attach "$OUTPUT/bpf/disk.bpf.o" handle_block_io_done "$TMP/d" && PD=$!
			attach "$B/empty.bpf.o" empty_block_io_done "$TMP/e" && PE=$!
		fi
		stats >"$TMP/s0"
		ns=$("$B/ev_loop" blkio "$N" 1 "$LOOPDEV")
		stats >"$TMP/s1"
		kill -TERM $PE $PD
		wait $PE $PD 2>/dev/null || true
		PE= PD=
		join "$TMP/s0" "$TMP/s1" | awk -v r="$r" -v o="$order" -v ns="$ns" \
			'{ n = $4 - $2; printf "%s %s %s %d %.1f %s\n", r, o, $1, n, n ? ($5 - $3) / n : 0, ns }'
	done
done
