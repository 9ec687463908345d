#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstatd's HTTP side as users and scrapers meet it, with real BPF:
# the web flags (bad values exit 2, a bad web config exits 1 with one
# line), HTTP answering by the time "ready" is printed, IPv4 and IPv6
# listeners, promtool check metrics, python3-prometheus-client's parsers
# on both formats, values that agree between /metrics and /kstat, gzip,
# content negotiation, 400/404/405, clients that hog connections, TLS with
# client certificates and basic auth with curl, one snapshot and no
# system call per series for a scrape, and a clean SIGTERM.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PY=/usr/bin/python3
PIN=/sys/fs/bpf/kstatd-test-$$
TMP=$(mktemp -d)
trap 'kill_daemons; rm -rf "$PIN" "$TMP"' EXIT
PROM2_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
ALICE_HASH='$2y$06$fZ6JWXZg5Z2BLTgbo796HuC0Jzyh2sCjdALFYHx/tamYKrUpU79rC'

code() { curl -sg -o /dev/null -w '%{http_code}' "$@"; }
expect_code() { # want what curl-args...
	_want=$1 _what=$2
	shift 2
	_got=$(code "$@")
	[ "$_got" = "$_want" ]
	check $? "$_what (HTTP $_got, want $_want)"
}

# --- flags: no privileges needed to refuse them
run "$KSTATD" --web.listen-address 127.0.0.1:70000
expect_rc 2 "a port beyond 65535"
expect_err "port must be a number" "the bad port is explained"
run "$KSTATD" --web.listen-address ::1:8738
expect_rc 2 "an IPv6 address without brackets"
expect_err "brackets" "and how to write it"
run "$KSTATD" --web.telemetry-path metrics
expect_rc 2 "a telemetry path without /"
run "$KSTATD" --web.telemetry-path /kstat
expect_rc 2 "a telemetry path that hides /kstat"
run "$KSTATD" --web.max-requests lots
expect_rc 2 "a max-requests that is not a number"
printf 'tls_server_config:\n  cert_file: a.crt\n  bogus: 1\n' >"$TMP/bad.yml"
run "$KSTATD" --web.config.file "$TMP/bad.yml"
expect_rc 1 "a web config with an unknown key"
expect_err "bad.yml:3:3: unknown key 'bogus' in tls_server_config" "names file, line, column and key"
expect_lines 1 "in one line"
run "$KSTATD" --web.config.file "$TMP/nosuch.yml"
expect_rc 1 "a missing web config"
expect_err "nosuch.yml: No such file or directory" "is named"

require_root

# --- a kstatd with the test providers, on IPv4 and (when there is one) IPv6 loopback
V6=
have_ipv6 && V6="--web.listen-address [::1]:0"
# shellcheck disable=SC2086
export KSTAT_SOCKET="$TMP/kstat.sock"
start_daemon "$KSTATD" --pin-path "$PIN" --reset --provider "$OUTPUT/tests/ktest.bpf.o" \
	--provider "$OUTPUT/tests/khist.bpf.o" --web.listen-address 127.0.0.1:0 $V6 \
	--socket "$KSTAT_SOCKET"
URL=$(daemon_url 1)
curl -sf -o "$TMP/first.txt" "$URL/metrics"
check $? "HTTP answers as soon as 'ready' is printed ($URL)"
if [ -n "$V6" ]; then
	expect_code 200 "the IPv6 listener answers too" "$(daemon_url 2)/metrics"
fi

# a process that forks 25 times once the providers track it
mkfifo "$TMP/go"
sh -c "read x <'$TMP/go'; i=0; while [ \$i -lt 25 ]; do /bin/true; i=\$((i + 1)); done" &
FORKER=$!
# ktest counts into an entry that exists (96 bytes of struct ktest_val, name empty)
bpftool map update pinned "$PIN/ktest/ktest_keyed" key hex $(le32 "$FORKER") \
	value hex $(le64 0 0 0 0 0 0 0 0 0 0 0 0)
check $? "ktest has an entry for the forker"
bpftool map update pinned "$PIN/ktest/ktest_knobs" key hex 00 00 00 00 \
	value hex $(le64 "$FORKER" 5)
check $? "ktest tracks the forker"
bpftool map update pinned "$PIN/khist/khist_knobs" key hex 00 00 00 00 value hex $(le64 "$FORKER")
check $? "khist tracks the forker"
echo go >"$TMP/go"
wait "$FORKER"
# the keyed entry became a kstat at the last --sync-interval
for _i in $(seq 1 50); do
	curl -s "$URL/kstat?module=ktest&instance=$FORKER" | grep -q events && break
	sleep 0.1
done

curl -sf -o "$TMP/text.txt" "$URL/metrics"
_rc=$?
check $_rc "a text scrape"
[ $_rc -eq 0 ] || tail -20 "$DAEMON_LOG" | sed 's/^/    | /'
curl -sf -H "Accept: $PROM2_ACCEPT" -D "$TMP/om.head" -o "$TMP/om.txt" "$URL/metrics"
check $? "an OpenMetrics scrape"

run promtool check metrics <"$TMP/text.txt"
expect_rc 0 "promtool check metrics is clean"
[ ! -s "$_out" ] && [ ! -s "$_err" ]
check $? "promtool has nothing to say"
sed 's/^/    | /' "$_out" "$_err" | head -5

run "$PY" tests/prom_parse.py "$TMP/text.txt" "$TMP/om.txt" kstat_ktest_events:counter \
	kstat_ktest_lat_seconds:histogram kstat_khist_lat_seconds:histogram \
	kstat_khist_queue_seconds:gauge kstat_khist_rx_bytes:counter kstat_ktest_level:gauge \
	kstat_ktest_interrupts:counter kstat_ktest_timer_elapsed_seconds:counter \
	kstat_cpu_pswitch:counter kstat_cpu_idle_seconds:counter kstat_unix_nproc:gauge \
	kstatd_provider_run_count:counter kstatd_provider_run_time_seconds:counter \
	kstatd_provider_map_drops:counter kstatd_engine_map_drops:counter kstatd_build:info \
	kstatd_scrape_duration_seconds:gauge
expect_rc 0 "prometheus_client parses every family of both formats, and they agree"
sed 's/^/    | /' "$_out" | head -10

# no word twice (docs/metrics.md): no family repeats its module or a unit,
# and a counter kept twice by illumos (X, X64) is one family, X
/usr/bin/python3 - "$TMP/text.txt" <<'PY' >"$TMP/stutter"
import re, sys
fams = {l.split()[2] for l in open(sys.argv[1]) if l.startswith("# TYPE ")}
bad = [f for f in fams if re.match(r"kstat_([a-z0-9_]+?)_\1_", f) or
       re.search(r"_(bytes|seconds)_\1(_|$)|bytes_bytes|64(_|$)", f)]
print(len(fams), " ".join(sorted(set(bad))[:5]))
PY
read -r nfam bad <"$TMP/stutter"
[ "${nfam:-0}" -gt 50 ] && [ -z "$bad" ]
check $? "no family of the scrape says a word twice (${nfam:-0} families) $bad"

# a statistic of a detached provider is absent, not 0 (docs/metrics.md)
families() { curl -s "$URL/metrics" | grep -c "^kstat_cpu_\($1\)_total{"; }
[ "$(families 'syscall\|cpumigrate\|inv_swtch')" -eq 0 ] && [ "$(families pswitch)" -gt 0 ]
check $? "syscall and sched detached: cpu:N:sys's syscall, cpumigrate and inv_swtch are absent from /metrics"
"$OUTPUT/kstat" -w kstatd:0:config:syscall=1
n=0
for _i in $(seq 1 50); do
	n=$(families syscall)
	[ "$n" -gt 0 ] && break
	sleep 0.1
done
[ "$n" -gt 0 ] && [ "$(families 'cpumigrate\|inv_swtch')" -eq 0 ]
check $? "  syscall attached: its statistics are there ($n series), sched's still not"
"$OUTPUT/kstat" -w kstatd:0:config:syscall=0
for _i in $(seq 1 50); do
	n=$(families syscall)
	[ "$n" -eq 0 ] && break
	sleep 0.1
done
[ "$n" -eq 0 ] && "$OUTPUT/kstat" -p cpu:0:sys:syscall | grep -q "^cpu:0:sys:syscall	[0-9]"
check $? "  detached again: absent again from /metrics, while kstat -p shows the kstat whole"

grep -qx "kstat_ktest_events_total{ks_instance=\"$FORKER\",ks_name=\"keyed\"} 25" "$TMP/text.txt"
check $? "25 forks counted in BPF reach /metrics exactly"
grep -qx "kstat_khist_forks_total{ks_instance=\"0\",ks_name=\"lat\"} 25" "$TMP/text.txt"
check $? "and khist's"
grep -q "^kstat_khist_lat_seconds_sum{ks_instance=\"0\",ks_name=\"lat\"} 0\.[0-9]" "$TMP/text.txt"
check $? "the histogram's _sum comes from lat_sum, in seconds"
grep -q "^kstat_khist_lat_seconds_count{ks_instance=\"0\",ks_name=\"lat\"} [1-9]" "$TMP/text.txt"
check $? "and its _count from the buckets"

curl -sf -o "$TMP/ktest.json" "$URL/kstat?module=ktest&instance=$FORKER&name=keyed"
"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d) == 1 and d[0]["data"]["events"] == 25, d' "$TMP/ktest.json"
check $? "/kstat is valid JSON and agrees with /metrics"
curl -sf "$URL/kstat" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); assert {"cpu", "unix", "kstatd", "ktest", "khist"} <= {k["module"] for k in d}'
check $? "/kstat lists every module"
curl -sf "$URL/" | grep -q "href=\"/kstat?module=khist&amp;instance=0&amp;name=lat\""
check $? "the landing page links every kstat"

grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/om.head"
check $? "Prometheus's Accept header gets OpenMetrics 1.0.0"
[ "$(tail -n 1 "$TMP/om.txt")" = "# EOF" ]
check $? "which ends with # EOF"
curl -sf -D "$TMP/gz.head" -H 'Accept-Encoding: gzip' -o "$TMP/gz.bin" "$URL/metrics"
grep -qi '^Content-Encoding: gzip' "$TMP/gz.head" && grep -qi '^Vary: Accept, Accept-Encoding' "$TMP/gz.head"
check $? "gzip when asked, with Vary"
gzip -dc <"$TMP/gz.bin" | promtool check metrics
check $? "the gzipped scrape decompresses to a clean one"

expect_code 404 "an unknown path" "$URL/nope"
expect_code 405 "POST" -X POST "$URL/metrics"
expect_code 400 "collect[] with exclude[]" "$URL/metrics?collect[]=cpu&exclude[]=unix"
expect_code 400 "an unknown module" "$URL/metrics?collect[]=nosuch"
curl -sfg -o "$TMP/cpu.txt" "$URL/metrics?collect[]=cpu"
check $? "collect[] of one module"
grep -q '^kstat_cpu_pswitch_total' "$TMP/cpu.txt" && ! grep -q '^kstat_ktest' "$TMP/cpu.txt"
check $? "collect[]=cpu has cpu and nothing of ktest"

# one address takes its 16 connections and more: another is still served at once
"$PY" - "${URL##*:}" >"$TMP/hog.out" 2>&1 <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
socks = []
for i in range(40):
    s = socket.socket()
    s.bind(("127.0.0.3", 0))
    s.connect(("127.0.0.1", port))
    if i % 2:
        s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    socks.append(s)
print("hogging", flush=True)
time.sleep(5)
EOF
HOG=$!
for _i in $(seq 1 50); do grep -q hogging "$TMP/hog.out" && break; sleep 0.1; done
expect_code 200 "a scrape while another client hogs connections" --interface 127.0.0.2 \
	--max-time 5 "$URL/metrics"
kill "$HOG" 2>/dev/null
wait "$HOG" 2>/dev/null

# --- one snapshot per scrape, and no system call per series
# scrape_syscalls: system calls kstatd makes (all threads) around one scrape
scrape_syscalls() {
	strace -f -c -U name,calls -o "$TMP/strace.out" -p "$DAEMON_PID" 2>"$TMP/strace.err" &
	_st=$!
	for _i in $(seq 1 50); do grep -q attached "$TMP/strace.err" && break; sleep 0.1; done
	curl -s -o "$TMP/scrape.txt" "$URL/metrics"
	kill -INT "$_st"
	wait "$_st"
	awk '$1 == "total" { print $2 }' "$TMP/strace.out"
}
series() { grep -vc '^#' "$TMP/scrape.txt"; }
SMALL=$(scrape_syscalls)
SMALL_SERIES=$(series)
keyed_batch "$PIN/ktest/ktest_keyed" 1000001 250 >"$TMP/batch"
bpftool batch file "$TMP/batch" >/dev/null
check $? "250 more ktest entries"
for _i in $(seq 1 50); do
	[ "$(curl -s "$URL/kstat?module=ktest&instance=1000250")" != "[]" ] && break
	sleep 0.1
done
BIG=$(scrape_syscalls)
BIG_SERIES=$(series)
[ -n "$SMALL" ] && [ -n "$BIG" ] && [ "$BIG_SERIES" -gt $((SMALL_SERIES + 2000)) ] &&
	[ $((BIG - SMALL)) -lt $(((BIG_SERIES - SMALL_SERIES) / 20)) ]
check $? "no system call per series: $SMALL calls for $SMALL_SERIES series, $BIG for $BIG_SERIES"
S1=$(curl -s "$URL/metrics" | awk '$1 == "kstatd_engine_snapshots_total" { print $2 }')
S2=$(curl -s "$URL/metrics" | awk '$1 == "kstatd_engine_snapshots_total" { print $2 }')
[ -n "$S1" ] && [ "$S2" -eq $((S1 + 1)) ]
check $? "one snapshot per scrape (kstatd_engine_snapshots_total $S1, then $S2)"

stop_daemon
expect_rc 0 "SIGTERM stops kstatd cleanly"

# --- TLS with client certificates, and basic auth
tests/make_certs.sh "$TMP/pki"
check $? "a throwaway PKI"
cat >"$TMP/web.yml" <<EOF
tls_server_config:
  cert_file: pki/server.crt
  key_file: pki/server.key
  client_ca_file: pki/ca.crt
  client_auth_type: RequireAndVerifyClientCert
basic_auth_users:
  alice: $ALICE_HASH
EOF
start_daemon "$KSTATD" --pin-path "$PIN" --web.listen-address 127.0.0.1:0 \
	--web.config.file "$TMP/web.yml"
URL=$(grep -o 'https://[^ /]*' "$DAEMON_LOG" | head -1)
P=$TMP/pki
CA="--cacert $P/ca.crt"
ME="--cert $P/client.crt --key $P/client.key"
# shellcheck disable=SC2086
{
	expect_code 403 "TLS without a client certificate" $CA "$URL/metrics"
	expect_code 403 "a client certificate from another CA" $CA --cert "$P/rogue.crt" \
		--key "$P/rogue.key" -u alice:s3cret "$URL/metrics"
	expect_code 401 "a client certificate but no credentials" $CA $ME "$URL/metrics"
	expect_code 401 "a wrong password" $CA $ME -u alice:wrong "$URL/metrics"
	expect_code 401 "an unknown user" $CA $ME -u mallory:s3cret "$URL/metrics"
	expect_code 200 "the right user and password" $CA $ME -u alice:s3cret "$URL/metrics"
	curl -s -D - -o /dev/null $CA $ME "$URL/metrics" | grep -qi '^WWW-Authenticate: Basic realm="kstatd"'
	check $? "401 says how to authenticate"
	curl -s $CA $ME -u alice:s3cret "$URL/metrics" | promtool check metrics
	check $? "the TLS scrape is clean"
}
expect_code 000 "plain HTTP to the TLS port gets nothing" "http://${URL#https://}/metrics"
stop_daemon
expect_rc 0 "SIGTERM stops the TLS kstatd cleanly"

# TLS 1.3 only, basic auth without client certificates
cat >"$TMP/web13.yml" <<EOF
tls_server_config:
  cert_file: $P/server.crt
  key_file: $P/server.key
  min_version: TLS13
basic_auth_users:
  alice: $ALICE_HASH
EOF
start_daemon "$KSTATD" --pin-path "$PIN" --web.listen-address 127.0.0.1:0 \
	--web.config.file "$TMP/web13.yml"
URL=$(grep -o 'https://[^ /]*' "$DAEMON_LOG" | head -1)
expect_code 401 "basic auth: no credentials" --cacert "$P/ca.crt" "$URL/metrics"
expect_code 401 "basic auth: a wrong password" --cacert "$P/ca.crt" -u alice:nope "$URL/metrics"
expect_code 200 "basic auth: the right password" --cacert "$P/ca.crt" -u alice:s3cret "$URL/metrics"
expect_code 000 "TLS 1.2 is refused under min_version: TLS13" --cacert "$P/ca.crt" \
	--tls-max 1.2 -u alice:s3cret "$URL/metrics"
stop_daemon
expect_rc 0 "and stops cleanly"

finish
