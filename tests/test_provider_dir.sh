#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Drop-in providers through build/kstatd: --provider and --provider-dir
# as a user meets them, refusals logged while the daemon keeps serving.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$OUTPUT/kstatd
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
expect_file "$DAEMON_LOG" "providers attached: cpu_sys signals" "and attached before ready"

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
[ -e "$PIN/cpu_sys/cpu_sys" ]
check $? "other providers' pins stay"

stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
