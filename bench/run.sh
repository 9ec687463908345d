#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kstatd's benchmarks, each comparison measured side by side in one run:
#   1. per-event cost of each provider's programs against an empty program
#      on the same hook, by the kernel's accounting (BPF_ENABLE_STATS),
#      with bpftrace's programs for the same data beside them
#   2. what the system-call providers and bpftrace add to a getppid, by
#      the wall clock and in CPU time
#   3. what the default provider set adds to ping-pong, direct reads and
#      getppid: many short rounds, with and without, paired
#   4. scrape cost against prometheus-node-exporter
#   5. snapshot scaling from 10 to 100k kstats: walk, scrape, kstat -p
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
	STATS_ROUNDS=2 SYS_ROUNDS=1 SYS_REPS=1 DEF_PAIRS=2 IDLE_SECS=1
	SIZES="10 1000" SCALE_REPS=2 SCRAPE_SECS=1
	N_GETPPID=50000 N_PINGPONG=2000 N_BLKIO=500 N_IRQIO=200
else
	RES=${RES:-bench/results}
	STATS_ROUNDS=${STATS_ROUNDS:-6} SYS_ROUNDS=${SYS_ROUNDS:-8} SYS_REPS=3
	DEF_PAIRS=${DEF_PAIRS:-60} IDLE_SECS=10
	SIZES="10 100 1000 10000 100000" SCALE_REPS=5 SCRAPE_SECS=10
	N_GETPPID=300000 N_PINGPONG=20000 N_BLKIO=10000 N_IRQIO=3000
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
IRQFILE=
T_START=$(date +%s)
mkdir -p "$DATA"
rm -f "$DATA"/*

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" || true
	[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV" 2>/dev/null
	[ -n "$IRQFILE" ] && rm -f "$IRQFILE"
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
for f in "$KSTATD" "$KSTAT" "$B/ev_loop" "$B/attach_empty" "$B/snapshot_scale" "$B/synth.bpf.o" \
	"$B/synth_array.bpf.o"; do
	[ -e "$f" ] || die "$f is missing: run make bench"
done
for c in bpftrace wrk prometheus-node-exporter curl bpftool python3; do
	command -v "$c" >/dev/null || die "$c is missing: run scripts/deps.sh bench"
done

# The built-in providers, so a run can keep all but some detached
BUILTINS=$(grep -o '{ "[a-z_]*"' src/providers/builtin/builtin.c | tr -d '{ "')

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
	local args=(--socket "${KSOCK:-$TMP/kstat.sock}" --pin-path "$PIN" --reset --provider-dir=
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


# --- the workloads --------------------------------------------------------------
# getppid: a system call per op (sys_enter, sys_exit); pingpong: a pipe round
# trip between two processes on one CPU (two context switches); blkio: a
# 4 KiB O_DIRECT read of a loop device (block_rq_* and block_io_done);
# irqio: a 4 KiB O_DIRECT read of a file on the disk the bench runs from
# (one device interrupt each, where that disk has interrupts)
n_of() {
	case $1 in
	getppid) echo "$N_GETPPID" ;;
	pingpong) echo "$N_PINGPONG" ;;
	blkio) echo "$N_BLKIO" ;;
	irqio) echo "$N_IRQIO" ;;
	esac
}

# workload_run WORKLOAD N REPS CPU: one line per rep, "wall_ns cpu_ns" per op
workload_run() {
	local dev=
	case $1 in
	blkio) dev=$LOOPDEV ;;
	irqio) dev=$IRQFILE ;;
	esac
	BENCH_CPU=$4 "$B/ev_loop" "${1/irqio/blkio}" "$2" "$3" ${dev:+"$dev"}
}

truncate -s 64M "$TMP/disk.img"
LOOPDEV=$(losetup -f --show "$TMP/disk.img")
dd if=/dev/zero of="$LOOPDEV" bs=1M count=4 oflag=direct status=none # real blocks to read
# outside tmpfs: a disk with interrupts, if the bench runs from one
IRQFILE=$(mktemp -p /var/tmp kstatd-bench-irq.XXXXXX)
dd if=/dev/urandom of="$IRQFILE" bs=1M count=4 oflag=direct status=none

# hold ARGS...: attach_empty ARGS in the background until it has attached;
# its PID in HELD
hold() {
	local log=$TMP/hold.$RANDOM i
	"$B/attach_empty" "$@" >"$log" 2>&1 &
	HELD=$!
	PIDS+=("$HELD")
	for i in $(seq 1 200); do
		grep -q '^attached' "$log" && return 0
		kill -0 "$HELD" 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2
	die "attach_empty $* did not attach"
}

# bpftrace_hold SCRIPT NPROBES: bpftrace running SCRIPT, every probe attached; PID in HELD
bpftrace_hold() {
	local log=$TMP/bt.$RANDOM i
	bpftrace -e "$1" >"$log" 2>&1 &
	HELD=$!
	PIDS+=("$HELD")
	# it says Attaching before it attaches: wait until every probe is
	for i in $(seq 1 200); do
		[ "$(bpftool perf show 2>/dev/null | grep -c "^pid $HELD ")" -ge "$2" ] && return 0
		kill -0 "$HELD" 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2
	die "bpftrace did not attach: $1"
}

# release PID...: stop holders (SIGTERM; bpftrace prints its maps, which go to
# its log, and may miss a signal that comes early: again, then SIGKILL)
release() {
	local p i
	for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "$@"; do
		for i in $(seq 1 100); do
			kill -0 "$p" 2>/dev/null || break
			[ $((i % 20)) = 0 ] && kill -TERM "$p" 2>/dev/null
			sleep 0.05
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$p" ] && unset 'PIDS[i]'; done
	done
	return 0
}

# prog_snap PID: "id run_cnt run_time_ns" of each BPF program PID holds,
# from the fdinfo of its program fds (no bpftool: it is fast and exact)
prog_snap() {
	awk 'function out() { if (id != "" && c != "") print id, c, t; id = c = t = "" }
		FNR == 1 { out() } /^prog_id:/ { id = $2 } /^run_time_ns:/ { t = $2 }
		/^run_cnt:/ { c = $2 } END { out() }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u
}

# prog_hooks: "pid prog_id hook" of every program attached to a tracepoint
prog_hooks() {
	bpftool perf show 2>/dev/null | awk '{ sub(":", "", $4); print $2, $6, $NF }' | sort -u
}

# The system-call data of the comparisons, from bpftrace: its probe type is
# tracepoint:, as bpftrace 0.17's rawtracepoint: fails to parse here
# ("Invalid probe type made it to attachpoint parser")
BT_COUNT='tracepoint:raw_syscalls:sys_enter { @[args->id] = count(); }'
BT_HIST='tracepoint:raw_syscalls:sys_enter { @start[tid] = nsecs; }
tracepoint:raw_syscalls:sys_exit /@start[tid]/ { @ns[args->id] = hist(nsecs - @start[tid]); delete(@start[tid]); }'

# --- 1. per-event cost of each program, by the kernel's accounting ---------------
# group | workload | the programs: obj:PROVIDER[,PROVIDER...][:HOOK,...] (the
# programs of build/bpf/PROVIDER.bpf.o, those on HOOKs if given; providers
# this tree does not have are left out) or bt:SCRIPT_VAR:HOOK,...
PROG_GROUPS=(
	"syscall|getppid|obj:syscall"
	"syscall_time|getppid|obj:syscall_time"
	"bpftrace_count|getppid|bt:BT_COUNT:sys_enter"
	"bpftrace_hist|getppid|bt:BT_HIST:sys_enter,sys_exit"
	"sched|pingpong|obj:sched:sched_switch"
	"disk|blkio|obj:disk"
	"irq|irqio|obj:intr_claims,intr,cpu_sys:irq_handler_entry,irq_handler_exit"
)

# group_hooks SPEC: the hooks of a group's programs, one word each
group_hooks() {
	local kind=${1%%:*} rest=${1#*:} provs hooks p
	if [ "$kind" = bt ]; then
		echo "${rest#*:}" | tr ',' ' '
		return
	fi
	provs=${rest%%:*}
	hooks=
	[ "$rest" != "$provs" ] && hooks=${rest#*:}
	for p in ${provs//,/ }; do
		[ -e "$OUTPUT/bpf/$p.bpf.o" ] || continue
		# shellcheck disable=SC2046 # one argument per hook
		"$B/attach_empty" -l -o "$OUTPUT/bpf/$p.bpf.o" $(echo "$hooks" | tr ',' ' ') |
			awk '{ print $1 }'
	done | sort -u | xargs
}

# hold_group SPEC: the group's programs attached; their holders' PIDs in GROUP_PIDS
hold_group() {
	local kind=${1%%:*} rest=${1#*:} provs hooks p var
	GROUP_PIDS=
	if [ "$kind" = bt ]; then
		var=${rest%%:*}
		bpftrace_hold "${!var}" "$(echo "${rest#*:}" | tr ',' ' ' | wc -w)"
		GROUP_PIDS=$HELD
		return
	fi
	provs=${rest%%:*}
	hooks=
	[ "$rest" != "$provs" ] && hooks=${rest#*:}
	for p in ${provs//,/ }; do
		[ -e "$OUTPUT/bpf/$p.bpf.o" ] || continue
		# shellcheck disable=SC2046 # one argument per hook
		hold -o "$OUTPUT/bpf/$p.bpf.o" $(echo "$hooks" | tr ',' ' ')
		GROUP_PIDS="$GROUP_PIDS $HELD"
	done
}

# Each round: empty programs on the group's hooks first (the first program
# on a hook pays its cold misses), then the group's programs and a second
# set of empty programs, in turn one before the other.  Every program's
# run_cnt and run_time_ns around one run of the workload.
say "1. per-event cost by bpf_stats: $STATS_ROUNDS rounds per group"
echo "# group workload round order role pid prog_id hook run_cnt run_time_ns ops" >"$DATA/progstats.txt"
for spec in "${PROG_GROUPS[@]}"; do
	IFS='|' read -r g w progs <<<"$spec"
	hooks=$(group_hooks "$progs")
	if [ -z "$hooks" ]; then
		say "  $g: no such programs in this tree, left out"
		echo "# $g $w none" >>"$DATA/progstats.txt"
		continue
	fi
	n=$(n_of "$w")
	for round in $(seq 1 "$STATS_ROUNDS"); do
		order=$([ $((round % 2)) = 1 ] && echo PE || echo EP)
		# shellcheck disable=SC2086 # one argument per hook
		hold -s $hooks
		first=$HELD
		if [ "$order" = PE ]; then
			hold_group "$progs"
			# shellcheck disable=SC2086
			hold $hooks
			empty=$HELD
		else
			# shellcheck disable=SC2086
			hold $hooks
			empty=$HELD
			hold_group "$progs"
		fi
		sleep 0.2
		prog_hooks >"$TMP/hooks"
		for p in $first $empty $GROUP_PIDS; do prog_snap "$p" | sed "s/^/$p /"; done >"$TMP/before"
		workload_run "$w" "$n" 1 "$(idle_cpu)" >/dev/null
		for p in $first $empty $GROUP_PIDS; do prog_snap "$p" | sed "s/^/$p /"; done >"$TMP/after"
		# shellcheck disable=SC2086 # PIDs
		release $first $empty $GROUP_PIDS
		paste -d' ' "$TMP/before" "$TMP/after" | awk -v g="$g" -v w="$w" -v r="$round" \
			-v o="$order" -v f="$first" -v e="$empty" -v n="$n" -v hf="$TMP/hooks" '
			BEGIN { while ((getline l < hf) > 0) { split(l, a, " "); hook[a[1] " " a[2]] = a[3] } }
			{ role = $1 == f ? "first" : $1 == e ? "empty" : "prog"
			  h = hook[$1 " " $2]; if (h == "") h = "?"
			  print g, w, r, o, role, $1, $2, h, $7 - $3, $8 - $4, n }' \
			>>"$DATA/progstats.txt"
	done
	say "  $g ($hooks) done ($(($(date +%s) - T_START)) s)"
done

# --- 2. system calls: kstatd's providers against bpftrace, wall clock -------------
# Rounds interleave every configuration, in an order rotated each round;
# overheads are paired per round, medians across rounds.
SYS_CONFIGS=(bare floor_enter floor syscall syscall_time bpftrace_count bpftrace_hist)

sys_config() {
	case $1 in
	bare) HELD= ;;
	floor_enter) hold sys_enter ;;
	floor) hold sys_enter sys_exit ;;
	syscall | syscall_time) hold -o "$OUTPUT/bpf/$1.bpf.o" ;;
	bpftrace_count) bpftrace_hold "$BT_COUNT" 1 ;;
	bpftrace_hist) bpftrace_hold "$BT_HIST" 2 ;;
	esac
}

say "2. system calls, wall clock: $SYS_ROUNDS rounds of $SYS_REPS reps ($(($(date +%s) - T_START)) s)"
echo "# config round cpu rep wall_ns cpu_ns" >"$DATA/syscall.txt"
for round in $(seq 1 "$SYS_ROUNDS"); do
	cpu=$(idle_cpu)
	for i in "${!SYS_CONFIGS[@]}"; do
		c=${SYS_CONFIGS[$(((i + round) % ${#SYS_CONFIGS[@]}))]}
		sys_config "$c"
		sleep 0.2
		workload_run getppid "$N_GETPPID" "$SYS_REPS" "$cpu" | awk -v c="$c" -v r="$round" \
			-v cpu="$cpu" '{ print c, r, cpu, NR, $1, $2 }' >>"$DATA/syscall.txt"
		[ -n "$HELD" ] && release "$HELD"
	done
done

# --- 3. the default providers, always on ------------------------------------------
# One kstatd with its defaults; each pair of runs has them attached for one
# and detached (kstatd:0:config) for the other, in turn first and second,
# on the CPU that was idler just before.
say "3. default providers: $DEF_PAIRS pairs per workload ($(($(date +%s) - T_START)) s)"
start_kstatd all
KPID=$BG_PID
DEFAULTS=$(KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p kstatd:0:config | awk -F'[:\t]' '$5 == 1 { print $4 }' | xargs)

# defaults_set 0|1: attach or detach them all, and wait until kstatd has
defaults_set() {
	local p i
	for p in $DEFAULTS; do
		KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -w "kstatd:0:config:$p=$1" >/dev/null
	done
	for p in $DEFAULTS; do
		for i in $(seq 1 200); do
			[ "$(KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p "kstatd:0:$p:attached" | cut -f2)" = "$1" ] &&
				break
			sleep 0.02
		done
	done
}

echo "# workload pair cpu config wall_ns cpu_ns" >"$DATA/defaults.txt"
for w in getppid pingpong blkio; do
	n=$(n_of "$w")
	for pair in $(seq 1 "$DEF_PAIRS"); do
		cpu=$(idle_cpu)
		for on in $([ $((pair % 2)) = 1 ] && echo "1 0" || echo "0 1"); do
			defaults_set "$on"
			workload_run "$w" $((n / 10)) 1 "$cpu" >/dev/null # warm-up
			workload_run "$w" "$n" 1 "$cpu" | awk -v w="$w" -v p="$pair" -v cpu="$cpu" \
				-v c="$([ "$on" = 1 ] && echo defaults || echo bare)" \
				'{ print w, p, cpu, c, $1, $2 }' >>"$DATA/defaults.txt"
		done
	done
	say "  $w done ($(($(date +%s) - T_START)) s)"
done
# what kstatd itself spends, idle with its defaults (no scrapes)
defaults_set 1
t0=$(awk '{ print $14 + $15 }' "/proc/$KPID/stat")
sleep "$IDLE_SECS"
t1=$(awk '{ print $14 + $15 }' "/proc/$KPID/stat")
echo "$IDLE_SECS $((t1 - t0)) $(getconf CLK_TCK)" >"$DATA/kstatd_idle.txt"
stop_bg
losetup -d "$LOOPDEV"
LOOPDEV=
rm -f "$IRQFILE"
IRQFILE=

# --- 4. scrape cost ---------------------------------------------------------
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
		[ "$(KSTAT_SOCKET=${KSOCK:-$TMP/kstat.sock} "$KSTAT" -p kstatd:0:synth:kstats 2>/dev/null |
			awk '{ print $2 }')" = "$1" ] && return 0
		sleep 0.1
	done
	die "synth did not reach $1 kstats"
}

say "4. scrape: kstatd against prometheus-node-exporter, ${SCRAPE_SECS} s per run ($(($(date +%s) - T_START)) s)"
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
	# (kstatd alone may have more already: a few synthetic kstats all the same)
	MORE=$(((NE_SERIES - K_SERIES) / 4))
	[ "$MORE" -gt 0 ] || MORE=0
	NSYNTH=$((NSYNTH + MORE + 8))
	"$B/snapshot_scale" --fill "$PIN" "$NSYNTH"
	wait_kstats "$NSYNTH"
done
scrape "kstatd+$NSYNTH" "$KPID" "$KURL/metrics" >>"$DATA/scrape.txt"
stop_bg

# --- 5. snapshot scaling ------------------------------------------------------
say "5. snapshot scaling: $SIZES kstats ($(($(date +%s) - T_START)) s)"
# the walk alone, in process
"$B/snapshot_scale" "$B/synth.bpf.o" "$PIN" "$SCALE_REPS" $SIZES >"$DATA/scale_walk.txt"
# the same kstats laid out as a per-CPU array (keys that are a dense index)
"$B/snapshot_scale" "$B/synth_array.bpf.o" "$PIN" "$SCALE_REPS" $SIZES >"$DATA/scale_walk_array.txt"
# a scrape and a kstat -p, of a kstatd serving only the synthetic provider
echo "# kstats what rep ms bytes" >"$DATA/scale_serve.txt"
start_kstatd none -- --provider "$B/synth.bpf.o"
for n in $SIZES; do
	"$B/snapshot_scale" --fill "$PIN" "$n"
	wait_kstats "$n"
	for rep in $(seq 1 "$SCALE_REPS"); do
		# bodies to /dev/null: curl truncates an output file as it writes, and
		# freeing the last scrape's 25 MB of page cache would count as this one's
		curl -s -o /dev/null -w "$n scrape $rep %{time_total} %{size_download}\n" "$KURL/metrics" |
			awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, $4 * 1000, $5 }' >>"$DATA/scale_serve.txt"
		# one module among n synthetic kstats: what kstatd:0:* costs alone, 9
		# back to back (a millisecond each: one alone is the host's noise)
		for _ in 1 2 3 4 5 6 7 8 9; do
			curl -sg -o /dev/null -w "$n scrape_kstatd $rep %{time_total} %{size_download}\n" \
				"$KURL/metrics?collect[]=kstatd"
		done | awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, $4 * 1000, $5 }' >>"$DATA/scale_serve.txt"
		rm -f "$TMP/body"
		t0=$EPOCHREALTIME
		KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p >"$TMP/body"
		t1=$EPOCHREALTIME
		echo "$n kstat_p $rep $t0 $t1 $(wc -c <"$TMP/body")" |
			awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, ($5 - $4) * 1000, $6 }' \
				>>"$DATA/scale_serve.txt"
		# the same, one round trip per kstat (KSTAT_BATCH=0): 100k take seconds
		[ "$n" -le 10000 ] || [ "$rep" -eq 1 ] || continue
		rm -f "$TMP/body"
		t0=$EPOCHREALTIME
		KSTAT_BATCH=0 KSTAT_SOCKET=$TMP/kstat.sock "$KSTAT" -p >"$TMP/body"
		t1=$EPOCHREALTIME
		echo "$n kstat_p_single $rep $t0 $t1 $(wc -c <"$TMP/body")" |
			awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, ($5 - $4) * 1000, $6 }' \
				>>"$DATA/scale_serve.txt"
	done
done
# collect[] of one module beside the most synthetic kstats against beside
# 10, from two kstatds side by side, in rounds whose order turns: measured
# minutes apart (above), the host's drift alone moves it by a fifth
BIG_PID=$BG_PID BIG_URL=$KURL BIG_PIN=$PIN BIG_N=${SIZES##* }
PIN=$BIG_PIN-ref KSOCK=$TMP/ref.sock
start_kstatd none -- --provider "$B/synth.bpf.o"
"$B/snapshot_scale" --fill "$PIN" 10
wait_kstats 10
for round in $(seq 1 $((SCALE_REPS * 3))); do
	pair=("$BIG_N $BIG_URL" "10 $KURL")
	[ $((round % 2)) -eq 0 ] && pair=("10 $KURL" "$BIG_N $BIG_URL")
	for side in "${pair[@]}"; do
		set -- $side
		for _ in 1 2 3 4 5 6 7 8 9; do
			curl -sg -o /dev/null -w "$1 collect_pair $round %{time_total} %{size_download}\n" \
				"$2/metrics?collect[]=kstatd"
		done | awk '{ printf "%s %s %s %.3f %s\n", $1, $2, $3, $4 * 1000, $5 }' >>"$DATA/scale_serve.txt"
	done
done
stop_bg
BG_PID=$BIG_PID PIN=$BIG_PIN KSOCK=
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
	echo "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	echo "meltdown $(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null)"
	echo "pcid $(grep -qw pcid /proc/cpuinfo && echo yes || echo no)"
	echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "stats_rounds $STATS_ROUNDS"
	echo "sys_rounds $SYS_ROUNDS"
	echo "sys_reps $SYS_REPS"
	echo "def_pairs $DEF_PAIRS"
	echo "defaults $DEFAULTS"
	echo "scale_reps $SCALE_REPS"
	echo "scrape_secs $SCRAPE_SECS"
	echo "n getppid $N_GETPPID"
	echo "n pingpong $N_PINGPONG"
	echo "n blkio $N_BLKIO"
	echo "n irqio $N_IRQIO"
	echo "seconds $(($(date +%s) - T_START))"
	for spec in "${PROG_GROUPS[@]}"; do
		echo "group $spec"
	done
	echo "bt_count $BT_COUNT"
	echo "bt_hist $(echo "$BT_HIST" | tr '\n' ' ')"
} >"$DATA/meta.txt"
say "writing $RES/RESULTS.md"
python3 bench/report.py "$RES"
say "done in $(($(date +%s) - T_START)) s: $RES/RESULTS.md"
