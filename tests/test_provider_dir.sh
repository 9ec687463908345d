#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Drop-in providers through build/kstatd: --provider and --provider-dir
# as a user meets them, refusals logged while the daemon keeps serving.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PIN=/sys/fs/bpf/kstatd-pdir-test-$$
TMP=$(mktemp -d)
trap 'kill_daemons; rm -rf "$PIN" "$TMP"' EXIT
require_root

run "$KSTATD" --socket "$TMP/kstat.sock" --pin-path "$PIN" --provider-dir "$TMP/missing"
expect_rc 1 "an explicit provider directory that does not exist"
expect_err "provider-dir .*missing" "names the directory"

printf 'not an ELF object\n' >"$TMP/junk.bpf.o"
run "$KSTATD" --socket "$TMP/kstat.sock" --pin-path "$PIN" --provider "$TMP/junk.bpf.o"
expect_rc 1 "a --provider that is not BPF"
expect_err "provider .*junk.bpf.o refused: not a BPF object file" "says why"

run "$KSTATD" --socket "$TMP/kstat.sock" --pin-path "$PIN" --provider "$OUTPUT/tests/bad_kind.bpf.o"
expect_rc 1 "a --provider breaking the convention"
expect_err "member lo: unknown kind 'minimum'" "names the map, member and problem"

mkdir "$TMP/prov"
cp "$TMP/junk.bpf.o" "$OUTPUT/examples/signals.bpf.o" "$TMP/prov/"
start_daemon "$KSTATD" --socket "$TMP/kstat.sock" --pin-path "$PIN" --provider-dir "$TMP/prov"
expect_file "$DAEMON_LOG" "junk.bpf.o refused: not a BPF object file" "a broken file in the directory is refused"
expect_file "$DAEMON_LOG" "signals.bpf.o loaded from the provider directory" "the good one is loaded"
expect_file "$DAEMON_LOG" "providers attached: cpu_sys( [a-z_]+)* signals" "and attached before ready"

URL=$(daemon_url)
metrics() { curl -s "$URL/metrics"; }
metrics | grep -q '^kstatd_engine_providers_refused_total 1$'
check $? "the refusal is counted in /metrics"

# a child that blocks SIGRTMIN+7, so the signals we send queue up
/usr/bin/python3 -c 'import signal, time
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGRTMIN + 7])
time.sleep(60)' &
CHILD=$!
DAEMON_PIDS="$DAEMON_PIDS $CHILD"
sleep 0.3
SIG=$(/usr/bin/python3 -c 'import signal; print(signal.SIGRTMIN + 7)')
/usr/bin/python3 -c 'import os, sys
for _ in range(25): os.kill(int(sys.argv[1]), int(sys.argv[2]))' "$CHILD" "$SIG"
kill "$CHILD"
for _i in $(seq 1 30); do
	metrics | grep -q "kstat_signal_generated_total{.*ks_instance=\"$SIG\"" && break
	sleep 0.1
done
metrics | grep -qE "^kstat_signal_generated_total\{ks_instance=\"$SIG\",ks_name=\"sig$SIG\"\} 25$"
check $? "a drop-in provider's metrics count exactly what was done (25 signals)"
metrics | grep -qE '^kstatd_provider_attached\{provider="signals"\} 1$'
check $? "and its self metrics are there"

cp "$OUTPUT/examples/cgroup_stats.bpf.o" "$TMP/prov/"
for _i in $(seq 1 30); do
	grep -q "cgroup_stats: attached" "$DAEMON_LOG" && break
	sleep 0.1
done
expect_file "$DAEMON_LOG" "cgroup_stats.bpf.o loaded from the provider directory" "a file copied in is loaded live"
expect_file "$DAEMON_LOG" "cgroup_stats: attached" "and attached"

rm "$TMP/prov/signals.bpf.o"
for _i in $(seq 1 30); do
	grep -q "signals: detached" "$DAEMON_LOG" && break
	sleep 0.1
done
expect_file "$DAEMON_LOG" "signals: its file was removed: unloading it" "a removed file is unloaded live"
[ ! -e "$PIN/signals" ]
check $? "its pins are removed"
! metrics | grep -q '^kstat_signal_'
check $? "its metrics are gone"
[ -e "$PIN/cpu_sys/cpu_sys" ]
check $? "other providers' pins stay"

stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
