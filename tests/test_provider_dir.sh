#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Drop-in providers through build/kstatd: --provider and --provider-dir
# as a user meets them, refusals logged while the daemon keeps serving.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PIN=/sys/fs/bpf/kstatd-pdir-test-$$
TMP=$(mktemp -d)
trap 'kill_daemons; rm -rf "$PIN"; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
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

# --- what is not a root-owned regular file is refused, each with a word, once
mkdir -m 1777 "$TMP/userdir"
cp "$OUTPUT/examples/signals.bpf.o" "$TMP/userdir/root-owned.bpf.o"
ln -s "$TMP/userdir/root-owned.bpf.o" "$TMP/prov/linked.bpf.o"
mkfifo "$TMP/prov/fifo.bpf.o"
ln -s /dev/zero "$TMP/prov/zero.bpf.o"
cp "$OUTPUT/tests/bad_prog.bpf.o" "$TMP/prov/"
# nobody swaps its own object and the root-owned one under the link, in its directory
cp "$OUTPUT/examples/cgroup_stats.bpf.o" "$TMP/userdir/mine.bpf.o"
chown 65534 "$TMP/userdir/mine.bpf.o"
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c 'import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1].encode()
a, b = d + b"/root-owned.bpf.o", d + b"/mine.bpf.o"
end = time.monotonic() + 3
while time.monotonic() < end:
    libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE
' "$TMP/userdir" &
SWAP=$!
for _i in $(seq 1 30); do touch "$TMP/prov"; sleep 0.1; done
wait $SWAP
for _i in $(seq 1 30); do
	grep -q "bad_prog.bpf.o refused" "$DAEMON_LOG" && break
	sleep 0.1
done
expect_file "$DAEMON_LOG" "linked.bpf.o refused: a symbolic link" "a symbolic link is refused, saying so"
! grep -qE "(linked|root-owned|mine).*(loaded|attached)" "$DAEMON_LOG"
check $? "  and nothing behind it is ever loaded while its target is swapped (3 s of renameat2)"
[ "$(grep -c 'linked.bpf.o refused' "$DAEMON_LOG")" -eq 1 ]
check $? "  said once, not at every rescan"
expect_file "$DAEMON_LOG" "fifo.bpf.o refused: not a regular file" "a FIFO is refused, saying so (and kstatd does not block on it)"
expect_file "$DAEMON_LOG" "zero.bpf.o refused: a symbolic link" "a link to /dev/zero too"
expect_file "$DAEMON_LOG" "bad_prog.bpf.o refused: load:" "a provider the verifier refuses is refused"
[ ! -e "$PIN/bad_prog" ]
check $? "  and leaves no pin directory behind"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" = 200 ]
check $? "kstatd keeps serving"

stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
