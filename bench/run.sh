#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kstatd's benchmarks, each comparison measured side by side in one run:
#   1. per-event overhead of a provider's hooks against no hook, empty
#      programs on the same hooks (the floor) and bpftrace count(), by wall
#      clock, then by the kernel's own accounting of each program's run
#      time (kernel.bpf_stats_enabled, in a separate pass)
#   2. idle overhead of the default provider set on the same workloads
#   3. scrape cost against prometheus-node-exporter
#   4. snapshot scaling from 10 to 100k kstats: walk, scrape, kstat -p
# Writes RESULTS.md, the raw numbers (data/) and PNG plots into
# bench/results/, or into $OUTPUT/bench/smoke/ with --smoke: a short run
# that checks the harness works, not the numbers.  Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
if [ $SMOKE = 1 ]; then
	RES=$OUTPUT/bench/smoke
	ROUNDS=1 REPS=2 SIZES="10 1000" SCALE_REPS=2 SCRAPE_SECS=1
	N_GETPPID=100000 N_PINGPONG=3000 N_BLKIO=1000
	# every kstatd start loads all providers, seconds on a busy machine
	DEFAULTS_IN="pingpong" STATS_CONFIGS="floor kstatd bpftrace"
else
	RES=${RES:-bench/results}
	ROUNDS=${ROUNDS:-7} REPS=3 SIZES="10 100 1000 10000 100000" SCALE_REPS=5 SCRAPE_SECS=10
	N_GETPPID=1000000 N_PINGPONG=30000 N_BLKIO=10000
	DEFAULTS_IN="getppid pingpong blkio" STATS_CONFIGS="floor kstatd bpftrace defaults"
fi
B=$OUTPUT/bench
KSTATD=$OUTPUT/kstatd
KSTAT=$OUTPUT/kstat
PIN=/sys/fs/bpf/kstatd-bench-$$
TMP=$(mktemp -d)
DATA=$RES/data
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
PIDS=()
LOOPDEV=
T_START=$(date +%s)
mkdir -p "$DATA"
rm -f "$DATA"/*

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" || true
	[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { echo "bench: $*"; }

[ "$(id -u)" = 0 ] || die "needs root (BPF)"
for f in "$KSTATD" "$KSTAT" "$B/ev_loop" "$B/attach_empty" "$B/snapshot_scale" "$B/empty.bpf.o" \
	"$B/synth.bpf.o"; do
	[ -e "$f" ] || die "$f is missing: run make bench"
done
for c in bpftrace wrk prometheus-node-exporter curl bpftool python3; do
	command -v "$c" >/dev/null || die "$c is missing: run scripts/deps.sh bench"
done

# The built-in providers, so a run can keep all but some detached
BUILTINS=$(grep -o '{ "[a-z_]*"' src/providers/builtin.c | tr -d '{ "')

# start_bg READY_REGEX COMMAND...: run it in the background until a line
# of its output matches; BG_PID, BG_LOG
start_bg() {
	local ready=$1 i
	shift
	BG_LOG=$TMP/bg.$RANDOM
	"$@" >"$BG_LOG" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
	for i in $(seq 1 200); do
		grep -qE "$ready" "$BG_LOG" && return 0
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$BG_LOG" >&2
	die "did not start: $*"
}

# stop_bg: SIGTERM (background jobs of a script ignore SIGINT unless they
# catch it, and bpftrace and node_exporter do not), SIGKILL after 5 s
stop_bg() {
	local i
	kill -TERM "$BG_PID" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
	# forget it: its PID may be another process's by the time of cleanup
	for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$BG_PID" ] && unset 'PIDS[i]'; done
	rm -rf "$PIN"
}

# start_kstatd all|PROVIDER...  [-- MORE ARGS]: kstatd with only these
# providers attached ("all": the defaults), on its own socket and port
start_kstatd() {
	local args=(--socket "$TMP/kstat.sock" --pin-path "$PIN" --reset --provider-dir=
		--log.level=info --web.listen-address 127.0.0.1:0) want=() p
	while [ $# -gt 0 ] && [ "$1" != -- ]; do want+=("$1") && shift; done
	[ $# -gt 0 ] && shift
	if [ "${want[*]}" != all ]; then
		for p in $BUILTINS; do
			if [[ " ${want[*]} " == *" $p "* ]]; then args+=(--enable "$p"); else args+=(--disable "$p"); fi
		done
	fi
	start_bg "kstatd ready" "$KSTATD" "${args[@]}" "$@"
	KURL=$(grep -o 'http: serving [^ ]*' "$BG_LOG" | head -1 | sed -e 's/^http: serving //' -e 's|/metrics$||')
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The CPU the workloads run on in this round: the idler of the last 0.3 s
idle_cpu() {
	local a b
	a=$(grep '^cpu[0-9]' /proc/stat)
	sleep 0.3
	b=$(grep '^cpu[0-9]' /proc/stat)
	paste <(echo "$a") <(echo "$b") | awk '{ n = (NF / 2); busy = 0
		for (i = 2; i <= 4; i++) busy += $(n + i) - $i
		busy += $(n + 7) - $7 + $(n + 8) - $8 + $(n + 9) - $9
		c = substr($1, 4); if (best == "" || busy < min) { min = busy; best = c } }
		END { print best }'
}

# --- the workloads and their hooks ----------------------------------------
# workload | kstatd providers | empty programs on the same hooks |
# bpftrace probes (count() on each) | hook events per operation
WORKLOADS=(
	"getppid|syscall|sys_enter sys_exit|raw_syscalls:sys_enter raw_syscalls:sys_exit|sys_enter:1 sys_exit:1"
	"pingpong|cpu_sys sched|sched_switch sched_switch irq_handler_entry sched_process_fork sched_process_exec page_fault_user page_fault_kernel|sched:sched_switch irq:irq_handler_entry sched:sched_process_fork sched:sched_process_exec exceptions:page_fault_user exceptions:page_fault_kernel|sched_switch:2"
	"blkio|disk|block_io_done|block:block_io_done|block_io_done:1"
)
CONFIGS=(bare floor kstatd bpftrace defaults)

# workload_run WORKLOAD N REPS CPU: one line per rep, ns per operation
workload_run() {
	BENCH_CPU=$4 "$B/ev_loop" "$1" "$2" "$3" ${LOOPDEV:+"$LOOPDEV"}
}

n_of() {
	case $1 in
	getppid) echo "$N_GETPPID" ;;
	pingpong) echo "$N_PINGPONG" ;;
	blkio) echo "$N_BLKIO" ;;
	esac
}

# foreign_links TRACEPOINT...: BPF links others have on these hooks now
foreign_links() {
	local re
	re=$(echo "$@" | sed 's/ /|/g')
	bpftool link show 2>/dev/null | grep -cE "tp '($re)'" || true
}

# start_config CONFIG PROVIDERS EMPTIES PROBES: what runs beside the workload
start_config() {
	local probes script p
	case $1 in
	bare) BG_PID= ;;
	floor)
		# shellcheck disable=SC2086 # one argument per program
		start_bg "attached" "$B/attach_empty" "$B/empty.bpf.o" $(printf 'empty_%s ' $3)
		;;
	kstatd)
		# shellcheck disable=SC2086 # one argument per provider
		start_kstatd $2
		;;
	defaults) start_kstatd all ;;
	bpftrace)
		script=
		for p in $4; do script="${script:+$script, }tracepoint:$p"; done
		start_bg "Attaching" bpftrace -e "$script { @ = count(); }"
		# it says Attaching before it attaches: wait until every probe is
		for _ in $(seq 1 100); do
			[ "$(grep -c '^prog_id' /proc/"$BG_PID"/fdinfo/* 2>/dev/null |
				awk -F: '{ s += $2 } END { print s + 0 }')" -ge "$(echo "$4" | wc -w)" ] && break
			sleep 0.05
		done
		;;
	esac
	sleep 0.3 # let a daemon's start settle, and bare wait as long
}

stop_config() {
	[ -n "$BG_PID" ] && stop_bg
	BG_PID=
}

# prog_snap PID: "id run_cnt run_time_ns" of each BPF program PID holds,
# from the fdinfo of its program fds (no bpftool: it is fast and exact)
prog_snap() {
	awk 'function out() { if (id != "" && c != "") print id, c, t; id = c = t = "" }
		FNR == 1 { out() } /^prog_id:/ { id = $2 } /^run_time_ns:/ { t = $2 }
		/^run_cnt:/ { c = $2 } END { out() }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u
}

# prog_names PID: "id name" of each, from one bpftool call
prog_names() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | xargs)
	bpftool -j prog show | python3 -c '
import json, sys
want = set(sys.argv[1].split())
for p in json.load(sys.stdin):
    if str(p["id"]) in want:
        print(p["id"], p.get("name", "?"))
' "$ids" | sort
}

truncate -s 64M "$TMP/disk.img"
LOOPDEV=$(losetup -f --show "$TMP/disk.img")
dd if=/dev/zero of="$LOOPDEV" bs=1M count=4 oflag=direct status=none # real blocks to read

# --- 1 and 2. per-event overhead by wall clock ---------------------------
# Rounds interleave every configuration, in an order rotated each round;
# the overheads are then taken per round (paired), medians across rounds.
say "1. per-event overhead, wall clock: $ROUNDS rounds of $REPS reps"
echo "# workload config round cpu rep ns_per_op foreign_links" >"$DATA/per_event.txt"
for round in $(seq 1 "$ROUNDS"); do
	cpu=$(idle_cpu)
	for spec in "${WORKLOADS[@]}"; do
		IFS='|' read -r w provs empties probes _ <<<"$spec"
		n=$(n_of "$w")
		for i in "${!CONFIGS[@]}"; do
			c=${CONFIGS[$(((i + round) % ${#CONFIGS[@]}))]}
			[ "$c" = defaults ] && [[ " $DEFAULTS_IN " != *" $w "* ]] && continue
			# shellcheck disable=SC2086 # the hooks, one word each
			fl=$(foreign_links $(echo $empties | tr ' ' '\n' | sort -u))
			start_config "$c" "$provs" "$empties" "$probes"
			rep=0
			workload_run "$w" "$n" "$REPS" "$cpu" | while read -r ns; do
				rep=$((rep + 1))
				echo "$w $c $round $cpu $rep $ns $fl"
			done >>"$DATA/per_event.txt"
			stop_config
		done
	done
	say "  round $round/$ROUNDS done ($(($(date +%s) - T_START)) s)"
done

# --- 1b. the same, by the kernel's accounting of each program ------------
say "1b. per-event program cost with kernel.bpf_stats_enabled=1 ($(($(date +%s) - T_START)) s)"
sysctl -qw kernel.bpf_stats_enabled=1
echo "# workload config prog_id name run_cnt run_time_ns ops" >"$DATA/progstats.txt"
cpu=$(idle_cpu)
for spec in "${WORKLOADS[@]}"; do
	IFS='|' read -r w provs empties probes _ <<<"$spec"
	n=$(n_of "$w")
	for c in $STATS_CONFIGS; do
		start_config "$c" "$provs" "$empties" "$probes"
		prog_snap "$BG_PID" >"$TMP/before"
		workload_run "$w" "$n" "$REPS" "$cpu" >/dev/null
		prog_snap "$BG_PID" >"$TMP/after"
		prog_names "$BG_PID" >"$TMP/names"
		stop_config
		join "$TMP/before" "$TMP/after" | join "$TMP/names" - | awk -v w="$w" -v c="$c" \
			-v ops="$((n * REPS))" '{ print w, c, $1, $2, $5 - $3, $6 - $4, ops }' \
			>>"$DATA/progstats.txt"
	done
done
sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
losetup -d "$LOOPDEV"
LOOPDEV=

# --- 3. scrape cost ---------------------------------------------------------
ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk "/^$2:/ { print \$2 }" "/proc/$1/status"; }

# to_ms 295.00us|2.19ms|1.01s
to_ms() {
	echo "$1" | awk '/us$/ { printf "%.3f", $1 / 1000; next } /ms$/ { printf "%.3f", $1 + 0; next }
		/s$/ { printf "%.3f", $1 * 1000; next } { print "nan" }'
}

# scrape NAME PID URL: one line per connection count
scrape() {
	local series plain gz t0 t1 conns reqs
	curl -s "$3" >"$TMP/body"
	series=$(grep -vc '^#' "$TMP/body" || true)
	plain=$(wc -c <"$TMP/body")
	gz=$(curl -s -H 'Accept-Encoding: gzip' -H "Accept: $ACCEPT" "$3" | wc -c)
	for conns in 1 8; do
		t0=$(cpu_ticks "$2")
		wrk -t"$((conns > 1 ? 2 : 1))" -c"$conns" -d"${SCRAPE_SECS}s" --latency \
			-H 'Accept-Encoding: gzip' -H "Accept: $ACCEPT" "$3" >"$TMP/wrk.out"
		t1=$(cpu_ticks "$2")
		reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
		echo "$1" "$conns" "$series" "$plain" "$gz" "$reqs" \
			"$(awk '/^Requests\/sec/ { print $2 }' "$TMP/wrk.out")" \
			"$(to_ms "$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.out")")" \
			"$(to_ms "$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.out")")" \
			"$(awk -v t="$((t1 - t0))" -v r="$reqs" -v hz="$(getconf CLK_TCK)" \
				'BEGIN { printf "%.3f", r ? t / hz * 1000 / r : 0 }')" \
			"$(rss_kb "$2" VmRSS)" "$(rss_kb "$2" VmHWM)" \
			"$(grep -c 'Non-2xx\|Socket errors' "$TMP/wrk.out" || true)"
	done
}

# wait_kstats N: until the synth provider serves N kstats
wait_kstats() {
	local i
	for i in $(seq 1 600); do
		[ "$(KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p kstatd:0:synth:kstats 2>/dev/null |
			awk '{ print $2 }')" = "$1" ] && return 0
		sleep 0.1
	done
	die "synth did not reach $1 kstats"
}

say "3. scrape: kstatd against prometheus-node-exporter, ${SCRAPE_SECS} s per run ($(($(date +%s) - T_START)) s)"
echo "# exporter conns series bytes bytes_gzip requests rps p50_ms p99_ms cpu_s_per_1000 rss_kb hwm_kb errors" \
	>"$DATA/scrape.txt"
NE_PORT=$(free_port)
start_bg "Listening on" prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT"
NE_PID=$BG_PID
sleep 0.5
NE_SERIES=$(curl -s "http://127.0.0.1:$NE_PORT/metrics" | grep -vc '^#')
NE_VERSION=$(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }')
scrape node_exporter "$NE_PID" "http://127.0.0.1:$NE_PORT/metrics" >>"$DATA/scrape.txt"
stop_bg

# memory with the default providers alone, after as many scrapes as wrk made
# of node_exporter: steady (VmRSS) and peak (VmHWM), beside node_exporter's
start_kstatd all
for _ in $(seq 1 50); do curl -s -o /dev/null "$KURL/metrics"; done
KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p >/dev/null
echo "# exporter rss_kb hwm_kb" >"$DATA/memory.txt"
echo "kstatd $(rss_kb "$BG_PID" VmRSS) $(rss_kb "$BG_PID" VmHWM)" >>"$DATA/memory.txt"
stop_bg
awk '$1 == "node_exporter" { r = $11; h = $12 } END { print "node_exporter", r, h }' \
	"$DATA/scrape.txt" >>"$DATA/memory.txt"

start_kstatd all -- --provider "$B/synth.bpf.o"
KPID=$BG_PID
wait_kstats 0
scrape kstatd "$KPID" "$KURL/metrics" >>"$DATA/scrape.txt"
# as many series as node_exporter's, or more: synthetic kstats of 4 each
# (the default kstats vary a little: disks, links and IRQs come and go)
NSYNTH=0
for _ in 1 2 3 4 5; do
	K_SERIES=$(curl -s "$KURL/metrics" | grep -vc '^#')
	[ "$K_SERIES" -ge "$NE_SERIES" ] && [ "$NSYNTH" -gt 0 ] && break
	NSYNTH=$((NSYNTH + (NE_SERIES - K_SERIES) / 4 + 8))
	"$B/snapshot_scale" --fill "$PIN" "$NSYNTH"
	wait_kstats "$NSYNTH"
done
scrape "kstatd+$NSYNTH" "$KPID" "$KURL/metrics" >>"$DATA/scrape.txt"
stop_bg

# --- 4. snapshot scaling ------------------------------------------------------
say "4. snapshot scaling: $SIZES kstats ($(($(date +%s) - T_START)) s)"
# the walk alone, in process
"$B/snapshot_scale" "$B/synth.bpf.o" "$PIN" "$SCALE_REPS" $SIZES >"$DATA/scale_walk.txt"
# a scrape and a kstat -p, of a kstatd serving only the synthetic provider
echo "# kstats what rep ms bytes" >"$DATA/scale_serve.txt"
start_kstatd none -- --provider "$B/synth.bpf.o"
for n in $SIZES; do
	"$B/snapshot_scale" --fill "$PIN" "$n"
	wait_kstats "$n"
	for rep in $(seq 1 "$SCALE_REPS"); do
		curl -s -o "$TMP/body" -w "$n scrape $rep %{time_total} %{size_download}\n" "$KURL/metrics" |
			awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, $4 * 1000, $5 }' >>"$DATA/scale_serve.txt"
		# one module among n synthetic kstats: what kstatd:0:* costs alone
		curl -sg -o "$TMP/body" -w "$n scrape_kstatd $rep %{time_total} %{size_download}\n" \
			"$KURL/metrics?collect[]=kstatd" |
			awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, $4 * 1000, $5 }' >>"$DATA/scale_serve.txt"
		t0=$EPOCHREALTIME
		KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p >"$TMP/body"
		t1=$EPOCHREALTIME
		echo "$n kstat_p $rep $t0 $t1 $(wc -c <"$TMP/body")" |
			awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, ($5 - $4) * 1000, $6 }' \
				>>"$DATA/scale_serve.txt"
		# the same, one round trip per kstat (KSTAT_BATCH=0): 100k take seconds
		[ "$n" -le 10000 ] || [ "$rep" -eq 1 ] || continue
		t0=$EPOCHREALTIME
		KSTAT_BATCH=0 KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p >"$TMP/body"
		t1=$EPOCHREALTIME
		echo "$n kstat_p_single $rep $t0 $t1 $(wc -c <"$TMP/body")" |
			awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, ($5 - $4) * 1000, $6 }' \
				>>"$DATA/scale_serve.txt"
	done
done
stop_bg

# --- results --------------------------------------------------------------------
{
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "smoke $SMOKE"
	echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "ncpus $(nproc)"
	echo "mem $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel $(uname -r)"
	echo "os $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "kstatd $("$KSTATD" --version)"
	echo "bpftrace $(bpftrace --version 2>/dev/null | head -1)"
	echo "node_exporter $NE_VERSION"
	echo "wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
	echo "libbpf $(pkg-config --modversion libbpf)"
	echo "clang $(clang --version | head -1)"
	echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "rounds $ROUNDS"
	echo "reps $REPS"
	echo "scale_reps $SCALE_REPS"
	echo "scrape_secs $SCRAPE_SECS"
	echo "n getppid $N_GETPPID"
	echo "n pingpong $N_PINGPONG"
	echo "n blkio $N_BLKIO"
	echo "seconds $(($(date +%s) - T_START))"
	for spec in "${WORKLOADS[@]}"; do
		IFS='|' read -r w provs _ _ events <<<"$spec"
		echo "workload $w|$provs|$events"
	done
} >"$DATA/meta.txt"
say "writing $RES/RESULTS.md"
python3 bench/report.py "$RES"
say "done in $(($(date +%s) - T_START)) s: $RES/RESULTS.md"
