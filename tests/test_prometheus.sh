#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# A real Prometheus server (the Debian package) scrapes a real kstatd
# every second on loopback: its query API must report up == 1 (its strict
# OpenMetrics parser took every scrape), a counter counted in BPF must
# come out exactly as kstatd serves it, and a moving counter must agree
# with reads through libkstat taken around it, that is within one scrape.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PY=/usr/bin/python3
PIN=/sys/fs/bpf/kstatd-test-$$
TMP=$(mktemp -d)
PROM_PID=
trap 'kill_daemons; [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$PIN" "$TMP"' EXIT

command -v prometheus >/dev/null
check $? "the prometheus server is installed (scripts/deps.sh test)"
require_root

start_daemon "$KSTATD" --pin-path "$PIN" --reset --provider "$OUTPUT/tests/ktest.bpf.o" \
	--provider "$OUTPUT/tests/khist.bpf.o" --web.listen-address 127.0.0.1:0 \
	--socket "$TMP/kstat.sock"
export KSTAT_SOCKET="$TMP/kstat.sock"
URL=$(daemon_url 1)
TARGET=${URL#http://}

# 40 forks by one process, counted by ktest's tracepoint program
mkfifo "$TMP/go"
sh -c "read x <'$TMP/go'; i=0; while [ \$i -lt 40 ]; do /bin/true; i=\$((i + 1)); done" &
FORKER=$!
bpftool map update pinned "$PIN/ktest/ktest_keyed" key hex $(le32 "$FORKER") \
	value hex $(le64 0 0 0 0 0 0 0 0 0 0 0 0) &&
	bpftool map update pinned "$PIN/ktest/ktest_knobs" key hex 00 00 00 00 \
		value hex $(le64 "$FORKER" 5)
check $? "ktest tracks a forker"
echo go >"$TMP/go"
wait "$FORKER"

PPORT=$(free_port)
cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kstatd
    static_configs:
      - targets: ['$TARGET']
YML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
API=http://127.0.0.1:$PPORT/api/v1

# query EXPR: the value of the first series of an instant query, or nothing
query() {
	curl -s --max-time 5 --data-urlencode "query=$1" "$API/query" |
		"$PY" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
}

UP=
for _i in $(seq 1 60); do
	UP=$(query "up{job=\"kstatd\"}")
	[ "$UP" = 1 ] && break
	sleep 0.5
done
[ "$UP" = 1 ]
check $? "Prometheus reports up == 1 for kstatd (got '$UP')"
if [ "$UP" != 1 ]; then
	tail -5 "$TMP/prometheus.log" | sed 's/^/    | /'
	curl -s "$API/targets" | head -c 600
	finish
fi

SERIES=$(query 'scrape_samples_scraped{job="kstatd"}')
[ "${SERIES:-0}" -gt 50 ]
check $? "every scrape brings the samples ($SERIES)"

DIRECT=$(curl -s "$URL/kstat?module=ktest&instance=$FORKER&statistic=events" |
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["data"]["events"])')
[ "$DIRECT" = 40 ]
check $? "kstatd counted the 40 forks ($DIRECT)"
PROM=
for _i in $(seq 1 20); do
	PROM=$(query "kstat_ktest_events_total{ks_instance=\"$FORKER\"}")
	[ -n "$PROM" ] && break
	sleep 0.5
done
[ "$PROM" = "$DIRECT" ]
check $? "Prometheus has the same value as a direct read ($PROM)"
# and as libkstat reads it (build/kstat is libkstat's client)
LIBKSTAT=$("$OUTPUT/kstat" -p "ktest:$FORKER::events" | cut -f2)
[ "$PROM" = "$LIBKSTAT" ]
check $? "Prometheus has the same value as libkstat ($PROM, kstat -p: $LIBKSTAT)"

# ktest put every fork in the slot of 5 ns, [4, 8): le=7e-09 in seconds, 3e-09 below it
LE=$(query "kstat_ktest_lat_seconds_bucket{ks_instance=\"$FORKER\",le=\"7e-09\"}")
LO=$(query "kstat_ktest_lat_seconds_bucket{ks_instance=\"$FORKER\",le=\"3e-09\"}")
[ "$LE" = 40 ] && [ "$LO" = 0 ]
check $? "histogram buckets reach Prometheus with their le in seconds ($LO, $LE)"
Q=$(query "histogram_quantile(0.5, kstat_ktest_lat_seconds_bucket{ks_instance=\"$FORKER\"})")
"$PY" -c 'import sys; q = float(sys.argv[1]); assert 3e-09 < q <= 7e-09, q' "${Q:-nan}"
check $? "histogram_quantile works on them ($Q)"

# a moving counter: direct reads before and after bracket what Prometheus scraped
BEFORE=$(curl -s "$URL/kstat?module=cpu&instance=0&statistic=pswitch" |
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["data"]["pswitch"])')
sleep 2.5
PROM=$(query 'kstat_cpu_pswitch_total{ks_instance="0"}')
AFTER=$("$OUTPUT/kstat" -p cpu:0:sys:pswitch | cut -f2)
[ -n "$PROM" ] && [ "$BEFORE" -le "$PROM" ] && [ "$PROM" -le "$AFTER" ]
check $? "cpu:0:sys:pswitch agrees with libkstat within one scrape ($BEFORE <= $PROM <= $AFTER)"

D=$(query 'kstatd_scrape_duration_seconds')
"$PY" -c 'import sys; assert 0 < float(sys.argv[1]) < 1' "${D:-0}"
check $? "kstatd_scrape_duration_seconds is stored ($D s)"
V=$(query 'kstatd_build_info')
[ "$V" = 1 ]
check $? "kstatd_build_info is stored"

kill "$PROM_PID"
wait "$PROM_PID" 2>/dev/null
PROM_PID=
stop_daemon
expect_rc 0 "kstatd stops cleanly after being scraped"
finish
