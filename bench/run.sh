#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kstatd's benchmarks, each comparison measured side by side in one run:
#   1. per-event overhead of a provider's hook against no hook, an empty
#      program on the same hook (the floor) and bpftrace count()
#   2. idle overhead of the default provider set
#   3. scrape cost against prometheus-node-exporter
#   4. snapshot scaling from 10 to 100k kstats
# Writes RESULTS.md, the raw numbers and PNG plots into bench/results/
# (or $OUTPUT/bench/smoke/ with --smoke, a short run that only checks the
# harness works).  Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
if [ $SMOKE = 1 ]; then
	RES=$OUTPUT/bench/smoke
	ROUNDS=1 REPS=3 SIZES="10 1000" SCRAPE_SECS=2
	N_PINGPONG=20000 N_GETPPID=200000 N_BLKIO=2000
else
	RES=bench/results
	ROUNDS=5 REPS=5 SIZES="10 100 1000 10000 100000" SCRAPE_SECS=10
	N_PINGPONG=200000 N_GETPPID=2000000 N_BLKIO=20000
fi
B=$OUTPUT/bench
KSTATD=$OUTPUT/kstatd
PIN=/sys/fs/bpf/kstatd-bench-$$
TMP=$(mktemp -d)
DATA=$RES/data
mkdir -p "$DATA"
rm -f "$DATA"/*.txt
PIDS=()

cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${LOOPDEV:-}" ] && losetup -d "$LOOPDEV" 2>/dev/null || true
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (BPF)"
for f in "$KSTATD" "$B/ev_loop" "$B/attach_empty" "$B/snapshot_scale" "$B/empty.bpf.o" \
	"$B/synth.bpf.o"; do
	[ -x "$f" ] || [ -f "$f" ] || die "$f is missing: run make bench"
done

# The built-in providers, so a run can keep all but one detached
BUILTINS=$(grep -o '{ "[a-z_]*"' src/builtin.c | tr -d '{ "')

# background COMMAND... waits for a line matching $READY in its output
start_bg() {
	local ready=$1 log=$TMP/bg.$RANDOM
	shift
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
	for _ in $(seq 1 100); do
		grep -qE "$ready" "$log" && return 0
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	die "did not start: $*"
}

stop_bg() {
	kill -INT "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
	rm -rf "$PIN"
}

# kstatd with only the given providers attached ("all" for the defaults)
start_kstatd() {
	local args=(--socket "$TMP/kstat.sock" --no-pin --provider-dir= --log.level=info
		--web.listen-address 127.0.0.1:0)
	if [ "$1" != all ]; then
		for p in $BUILTINS; do
			if [[ " $* " == *" $p "* ]]; then args+=(--enable "$p"); else args+=(--disable "$p"); fi
		done
	fi
	start_bg "kstatd ready" "$KSTATD" "${args[@]}"
}

# median and spread (min-max) of a file of numbers
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}
median() { stats "$1" | cut -d' ' -f1; }

# --- 1. per-event overhead --------------------------------------------------
# workload | kstatd provider | empty programs (the same hooks) | bpftrace probe
WORKLOADS=(
	"pingpong|cpu_sys|empty_sched_switch|tracepoint:sched:sched_switch"
)

workload_run() { # workload file
	local w=$1 n
	case $w in
	pingpong) n=$N_PINGPONG ;;
	getppid) n=$N_GETPPID ;;
	blkio) n=$N_BLKIO ;;
	esac
	"$B/ev_loop" "$w" "$n" "$REPS" ${LOOPDEV:+"$LOOPDEV"} >>"$2"
}

bpftrace_start() {
	local probes=$1 script
	script="${probes//,/ , } { @ = count(); }"
	start_bg "Attaching" bpftrace -e "$script"
	sleep 1 # bpftrace prints before its probes are all attached
}

echo "bench: 1. per-event overhead"
truncate -s 64M "$TMP/disk.img"
LOOPDEV=$(losetup -f --show "$TMP/disk.img")
for round in $(seq 1 $ROUNDS); do
	for spec in "${WORKLOADS[@]}"; do
		IFS='|' read -r w prov empties probes <<<"$spec"
		workload_run "$w" "$DATA/pe_${w}_bare.txt"
		start_bg "attached" "$B/attach_empty" "$B/empty.bpf.o" ${empties//,/ }
		workload_run "$w" "$DATA/pe_${w}_floor.txt"
		stop_bg
		start_kstatd "$prov"
		workload_run "$w" "$DATA/pe_${w}_kstatd.txt"
		stop_bg
		bpftrace_start "$probes"
		workload_run "$w" "$DATA/pe_${w}_bpftrace.txt"
		stop_bg
		# 2. what the always-on default set costs on the same workload
		start_kstatd all
		workload_run "$w" "$DATA/pe_${w}_defaults.txt"
		stop_bg
	done
	echo "bench:   round $round/$ROUNDS done"
done

# --- 4. snapshot scaling ------------------------------------------------------
echo "bench: 4. snapshot scaling"
"$B/snapshot_scale" "$B/synth.bpf.o" "$PIN" "$REPS" $SIZES >"$DATA/scale.txt"

# --- results --------------------------------------------------------------------
echo "bench: writing $RES/RESULTS.md"
{
	echo "# kstatd benchmark results"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`make bench$([ $SMOKE = 1 ] && echo -smoke)\`;"
	echo "every comparison below was measured side by side in this one run."
	echo
	echo "| machine | |"
	echo "|---|---|"
	echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs |"
	echo "| memory | $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) |"
	echo "| kernel | $(uname -r) |"
	echo "| kstatd | $("$KSTATD" --version) |"
	echo "| bpftrace | $(bpftrace --version 2>/dev/null | head -1) |"
	echo "| libbpf | $(pkg-config --modversion libbpf) |"
	echo
	echo "## 1. Per-event overhead"
	echo
	echo "ns per operation on CPU 0, median of $((ROUNDS * REPS)) runs (min-max in brackets)."
	echo "*floor* is an empty BPF program on the hooks the provider uses; *kstatd* is"
	echo "kstatd with only that provider attached; *bpftrace* is \`count()\` on the same"
	echo "tracepoint."
	echo
	echo "| workload | events per op | bare | floor | kstatd | bpftrace | kstatd - floor per event | bpftrace / kstatd overhead |"
	echo "|---|---|---|---|---|---|---|---|"
	for spec in "${WORKLOADS[@]}"; do
		IFS='|' read -r w prov empties probes <<<"$spec"
		case $w in pingpong) ev=2 ;; getppid) ev=2 ;; *) ev=1 ;; esac
		read -r b bmin bmax <<<"$(stats "$DATA/pe_${w}_bare.txt")"
		read -r f fmin fmax <<<"$(stats "$DATA/pe_${w}_floor.txt")"
		read -r k kmin kmax <<<"$(stats "$DATA/pe_${w}_kstatd.txt")"
		read -r t tmin tmax <<<"$(stats "$DATA/pe_${w}_bpftrace.txt")"
		awk -v w="$w" -v ev="$ev" -v b="$b" -v f="$f" -v k="$k" -v t="$t" \
			-v r="[$bmin-$bmax] [$fmin-$fmax] [$kmin-$kmax] [$tmin-$tmax]" 'BEGIN {
			split(r, s, " ")
			ko = k - b; to = t - b
			printf "| %s | %d | %.1f %s | %.1f %s | %.1f %s | %.1f %s | %.1f | %s |\n",
				w, ev, b, s[1], f, s[2], k, s[3], t, s[4], (k - f) / ev,
				(ko > 0 ? sprintf("%.1fx", to / ko) : "n/a (kstatd within noise)")
		}'
	done
	echo
	echo "## 2. Idle overhead of the default providers"
	echo
	echo "| workload | bare | kstatd with its defaults | overhead |"
	echo "|---|---|---|---|"
	for spec in "${WORKLOADS[@]}"; do
		IFS='|' read -r w _ <<<"$spec"
		awk -v w="$w" -v b="$(median "$DATA/pe_${w}_bare.txt")" \
			-v d="$(median "$DATA/pe_${w}_defaults.txt")" 'BEGIN {
			printf "| %s | %.1f ns | %.1f ns | %+.1f ns (%+.1f%%) |\n", w, b, d, d - b, 100 * (d - b) / b }'
	done
	echo
	echo "## 4. Snapshot scaling"
	echo
	echo "A synthetic provider (a per-CPU hash, 4 statistics per kstat) with N entries:"
	echo "the time of a full walk of every kstat (what each scrape starts with), median"
	echo "of $REPS, and of the periodic sync that finds new and vanished entries."
	echo
	echo "| kstats | walk (median) | walk min-max | per kstat | sync |"
	echo "|---|---|---|---|---|"
	awk '{ printf "| %d | %.2f ms | %.2f-%.2f ms | %.0f ns | %.2f ms |\n", $2, $3, $4, $5, $6, $7 }' "$DATA/scale.txt"
} >"$RES/RESULTS.md"

if command -v gnuplot >/dev/null; then
	for spec in "${WORKLOADS[@]}"; do
		IFS='|' read -r w _ <<<"$spec"
		for c in bare floor kstatd bpftrace defaults; do
			echo "$c $(median "$DATA/pe_${w}_$c.txt")"
		done >"$DATA/pe_${w}.dat"
		gnuplot -e "set terminal pngcairo size 640,400; set output '$RES/per_event_$w.png';
			set title 'per-event overhead: $w'; set ylabel 'ns per operation'; set style fill solid;
			set boxwidth 0.6; set yrange [0:*]; unset key;
			plot '$DATA/pe_${w}.dat' using 0:2:xtic(1) with boxes"
	done
	gnuplot -e "set terminal pngcairo size 640,400; set output '$RES/snapshot_scaling.png';
		set title 'full snapshot time vs kstats'; set logscale xy; set xlabel 'kstats';
		set ylabel 'ms per walk'; set key left;
		plot '$DATA/scale.txt' using 2:3 with linespoints title 'walk',
		     '$DATA/scale.txt' using 2:7 with linespoints title 'sync'"
fi
echo "bench: done: $RES/RESULTS.md"
