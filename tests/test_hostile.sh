#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Providers and names that ask for more than they may (docs/security.md):
#   - a drop-in that adds to another provider's module (a fake cpu:N:sys2
#     beside cpu_sys's), or takes one whose metric names fold into its
#     (cpu_x), or is named after a built-in provider (cpu_sys.bpf.o), is
#     refused, naming its file and the owner;
#   - a keyed array declaring 2^18 entries (as many kstats) is refused;
#   - a hash declaring 2^24 entries and holding 16 costs 16 entries of
#     memory, and unloads in under 1 s;
#   - entries whose kstats cannot be created are logged once, counted in
#     kstatd:0:engine:create_failures at every try;
#   - an interface a user names with terminal escapes in a network
#     namespace of its own reaches kstat -p and /metrics with no control
#     byte.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PIN=/sys/fs/bpf/kstatd-hostile-test-$$
TMP=$(mktemp -d)
chmod 755 "$TMP"
export KSTAT_SOCKET=$TMP/kstat.sock
trap 'kill_daemons; kill_ours $HOLD; rm -rf "$PIN"; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
HOLD=
require_root

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

mkdir "$TMP/prov"
start_daemon "$KSTATD" --socket "$KSTAT_SOCKET" --pin-path "$PIN" --provider-dir "$TMP/prov" \
	--sync-interval 100
URL=$(daemon_url)
rss0=$(rss_kb "$DAEMON_PID")

cp "$OUTPUT/tests/hostile_squat.bpf.o" "$OUTPUT/tests/hostile_fold.bpf.o" \
	"$OUTPUT/tests/hostile_link.bpf.o" "$OUTPUT/tests/hostile_disk.bpf.o" \
	"$OUTPUT/tests/hostile_array.bpf.o" "$TMP/prov/"
for _ in $(seq 1 50); do
	[ "$(grep -c 'hostile_\(squat\|fold\|link\|disk\|array\).bpf.o refused' "$DAEMON_LOG")" -eq 5 ] && break
	sleep 0.1
done
expect_file "$DAEMON_LOG" "hostile_squat.bpf.o refused: module 'cpu' is provider cpu_sys's" \
	"a drop-in adding to cpu_sys's module is refused, naming its file and the owner"
! "$OUTPUT/kstat" -q cpu:0:sys2
check $? "  and no cpu:0:sys2 appears"
expect_file "$DAEMON_LOG" \
	"hostile_fold.bpf.o refused: module 'cpu_x' and provider cpu_sys's 'cpu' fold into the same metric names" \
	"a drop-in whose module folds into cpu_sys's metric names (cpu_x) is refused, naming both"
! "$OUTPUT/kstat" -q cpu_x:::
check $? "  and no cpu_x kstat appears"
expect_file "$DAEMON_LOG" "hostile_link.bpf.o refused: module 'link' would pass for kstatd's own link:\*:\*" \
	"a drop-in in a module kstatd fills itself (link, from netlink) is refused, naming it"
! "$OUTPUT/kstat" -q link:0:eth9
check $? "  and no link:0:eth9 appears"
expect_file "$DAEMON_LOG" \
	"hostile_disk.bpf.o refused: module 'nvme' would pass for the disks of driver nvme" \
	"a drop-in in a disk driver's module is refused though no such disk is here yet"
! "$OUTPUT/kstat" -q kstatd:0:hostile_disk
check $? "  and it is not loaded (a host with NVMe disks has nvme kstats of its own)"
# a drop-in named after a built-in provider: kstatd:0:cpu_sys stays the real one's
cp "$OUTPUT/tests/hostile_squat.bpf.o" "$TMP/prov/cpu_sys.bpf.o"
for _ in $(seq 1 50); do
	grep -q 'cpu_sys.bpf.o refused' "$DAEMON_LOG" && break
	sleep 0.1
done
expect_file "$DAEMON_LOG" "cpu_sys.bpf.o refused: a provider called cpu_sys is already loaded" \
	"a drop-in named after a built-in provider is refused, naming its file"
[ "$(curl -s "$URL/metrics" | grep -c '^kstatd_provider_attached{provider="cpu_sys"} 1$')" -eq 1 ]
check $? "  and kstatd_provider_attached has the one cpu_sys, attached"
expect_file "$DAEMON_LOG" \
	"hostile_array.bpf.o refused: map wide: a keyed array of 262144 entries would make as many kstats, more than the budget of 131072" \
	"a keyed array of 2^18 entries is refused against the budget"
[ ! -e "$PIN/hostile_array" ] && [ ! -e "$PIN/hostile_squat" ] && [ ! -e "$PIN/hostile_fold" ] &&
	[ ! -e "$PIN/hostile_link" ] && [ ! -e "$PIN/hostile_disk" ]
check $? "  and none of them leaves pins behind"

cp "$OUTPUT/tests/hostile_hash.bpf.o" "$TMP/prov/"
for _ in $(seq 1 50); do
	[ -e "$PIN/hostile_hash/deep" ] && break
	sleep 0.1
done
for k in $(seq 1 16); do
	bpftool map update pinned "$PIN/hostile_hash/deep" key hex $(le32 "$k") \
		value hex $(le64 "$k")
done
for _ in $(seq 1 50); do
	[ "$("$OUTPUT/kstat" -l deep | grep -c ':events$')" -eq 16 ] && break
	sleep 0.1
done
[ "$("$OUTPUT/kstat" -l deep | grep -c ':events$')" -eq 16 ]
check $? "a hash declaring 2^24 entries serves the 16 it holds"
# a walk reads so sparse a map by key, not by a batch over 2^24 buckets
deep_sum() {
	curl -sg "$URL/metrics?collect[]=deep" | awk '/^kstat_deep_events(_total)?[{ ]/ { s += $NF } END { print s + 0 }'
}
[ "$(deep_sum)" = 136 ]
check $? "  a scrape reads each of its 16 entries (events sum $(deep_sum), want 136)"
bpftool map update pinned "$PIN/hostile_hash/deep" key hex $(le32 1) value hex $(le64 100)
[ "$(deep_sum)" = 235 ]
check $? "  and the next scrape sees an entry change (events sum $(deep_sum), want 235)"
rss1=$(rss_kb "$DAEMON_PID")
[ "$rss1" -lt $((rss0 + 16384)) ]
check $? "  and kstatd's memory follows what it holds (RSS $rss0 -> $rss1 kB)"
t0=$(date +%s%N)
rm "$TMP/prov/hostile_hash.bpf.o"
for _ in $(seq 1 100); do
	"$OUTPUT/kstat" -q deep || break
	sleep 0.01
done
ms=$((($(date +%s%N) - t0) / 1000000))
! "$OUTPUT/kstat" -q deep && [ "$ms" -lt 1000 ]
check $? "  and unloads in under 1 s ($ms ms)"

# an interface named with terminal escapes, in a namespace of its own
NAME=$(printf 'x\033[1A\033[2Kp')
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn sh -c '
	ip link set lo name "$1" && ip link set "$1" up &&
	/usr/bin/python3 -c "import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(40):
    s.sendto(b\"x\", (\"127.0.0.1\", 9)); time.sleep(0.1)"; sleep 2' sh "$NAME" &
HOLD=$!
sleep 4
"$OUTPUT/kstat" -p link >"$TMP/link.txt"
curl -s "$URL/metrics" >"$TMP/metrics.txt"
kill $HOLD 2>/dev/null
wait $HOLD 2>/dev/null
HOLD=
! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$TMP/link.txt" "$TMP/metrics.txt"
check $? "no control byte reaches kstat -p or /metrics"
grep -q 'x__1A__2Kp' "$TMP/link.txt"
check $? "  the interface is there under its name made safe (x__1A__2Kp)"
! grep -q "$(printf '\033')" "$DAEMON_LOG"
check $? "  and none reaches the log"

# entries whose kstats cannot be made (keys alike in their low 32 bits, the
# instance): each said once, counted at every sync
cp "$OUTPUT/tests/hostile_widekey.bpf.o" "$TMP/prov/"
for _ in $(seq 1 50); do
	[ -e "$PIN/hostile_widekey/same" ] && break
	sleep 0.1
done
for k in 7 $(((1 << 32) + 7)) $(((2 << 32) + 7)); do
	bpftool map update pinned "$PIN/hostile_widekey/same" key hex $(le64 "$k") value hex $(le64 1)
done
cf0=$("$OUTPUT/kstat" -p kstatd:0:engine:create_failures | cut -f2)
sleep 2 # 20 syncs
cf1=$("$OUTPUT/kstat" -p kstatd:0:engine:create_failures | cut -f2)
"$OUTPUT/kstat" -q same:7
check $? "one of the three alike entries has its kstat"
n=$(grep -c 'same:7:same: cannot create kstat' "$DAEMON_LOG")
[ "$n" -eq 2 ]
check $? "  the other two are said once each over 20 syncs ($n lines)"
[ "$cf1" -ge $((cf0 + 20)) ]
check $? "  and counted at every try in kstatd:0:engine:create_failures ($cf0 -> $cf1)"

stop_daemon
expect_rc 0 "kstatd stops cleanly"
expect_no_sanitizer_report "$DAEMON_LOG" "no sanitizer report"
finish
