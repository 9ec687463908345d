#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# What a scrape costs: kstatd (default providers; then with 256 keyed
# kstats of the ktest provider) against prometheus-node-exporter on its
# defaults, on this machine.  For each: series, bytes plain and gzipped,
# latency percentiles from wrk (one connection, back to back, gzip asked
# as Prometheus asks), and CPU time of the exporter per scrape.
#   bench/scrape.sh [SECONDS]     (root; scripts/deps.sh bench installs wrk)
set -eu
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
SECS=${1:-10}
PIN=/sys/fs/bpf/kstatd-bench-$$
TMP=$(mktemp -d)
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$PIN" "$TMP"' EXIT
. tests/lib.sh
ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure NAME PID URL
measure() {
	series=$(curl -s "$3" | grep -vc '^#')
	plain=$(curl -s "$3" | wc -c)
	gz=$(curl -s -H 'Accept-Encoding: gzip' -H "Accept: $ACCEPT" "$3" | wc -c)
	t0=$(cpu_ticks "$2")
	wrk -t1 -c1 -d"${SECS}s" --latency -H 'Accept-Encoding: gzip' -H "Accept: $ACCEPT" "$3" \
		>"$TMP/wrk.out"
	t1=$(cpu_ticks "$2")
	reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
	p50=$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.out")
	p99=$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.out")
	cpu=$(awk -v t="$((t1 - t0))" -v r="$reqs" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f", t * 1000 / hz / r }')
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$series" "$plain" "$gz" \
		"$reqs" "$p50" "$p99" "$cpu"
}

echo "| exporter | series | bytes | bytes gzip+OM | scrapes in ${SECS}s | p50 | p99 | CPU ms/scrape |"
echo "|---|---|---|---|---|---|---|---|"

"$OUTPUT/kstatd" --pin-path "$PIN" --reset --web.listen-address 127.0.0.1:0 \
	--provider "$OUTPUT/tests/ktest.bpf.o" >"$TMP/kstatd.log" 2>&1 &
KPID=$!
PIDS="$PIDS $KPID"
for _i in $(seq 1 100); do grep -q ready "$TMP/kstatd.log" && break; sleep 0.1; done
DAEMON_LOG=$TMP/kstatd.log
URL=$(daemon_url 1)/metrics
measure "kstatd, default providers" "$KPID" "$URL?exclude[]=ktest"

# 256 keyed kstats of 12 statistics each (a 4-slot histogram among them)
keyed_batch "$PIN/ktest/ktest_keyed" 1 256 >"$TMP/batch"
bpftool batch file "$TMP/batch" >/dev/null
sleep 1
measure "kstatd, + 256 keyed kstats" "$KPID" "$URL"

PORT=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$PORT" >"$TMP/ne.log" 2>&1 &
NPID=$!
PIDS="$PIDS $NPID"
sleep 1
measure "node_exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }')" \
	"$NPID" "http://127.0.0.1:$PORT/metrics"
