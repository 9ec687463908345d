#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# deploy/systemd/kstatd.service, checked offline (no systemd runs here):
# `systemd-analyze verify` of the unit as make install puts it, with its
# man pages, says nothing; `systemd-analyze security --offline` rates it
# OK; its privileges are CAP_BPF and CAP_PERFMON alone.  Then kstatd runs
# as the unit would run it: root's uid with the unit's capability bounding
# and ambient sets, no_new_privs, its socket in a runtime directory, and
# NOTIFY_SOCKET: it gets ready, says READY=1, serves, re-attaches a
# provider and stops with STOPPING=1, while strace -f records every
# system call, which tests/unit_check.py holds against the unit's system
# call filter, address families, MemoryDenyWriteExecute=, PrivateDevices=
# and the paths it may write (ProtectSystem=strict).
set -u
. "$(dirname "$0")/lib.sh"
UNIT=deploy/systemd/kstatd.service
TMP=$(mktemp -d)
PIN=/sys/fs/bpf/kstatd-systemd-test-$$
RUNDIR=/run/kstatd-systemd-test-$$
LISTENER=
trap 'kill_daemons; [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null; rm -rf "$TMP" "$PIN" "$RUNDIR"' EXIT
PY=/usr/bin/python3
value() { sed -n "s/^$1=//p" "$UNIT" | tr '\n' ' ' | sed 's/ $//'; }

run make -s --no-print-directory install PREFIX="$TMP/p"
expect_rc 0 "make install PREFIX=$TMP/p"
IUNIT=$TMP/p/lib/systemd/system/kstatd.service
run env MANPATH="$TMP/p/share/man" systemd-analyze verify "$IUNIT"
[ "$_rc" -eq 0 ] && [ ! -s "$_out" ] && [ ! -s "$_err" ]
check $? "systemd-analyze verify of the installed unit says nothing (exit $_rc)"
sed 's/^/    | /' "$_err" | head -5
sed 's/^ProtectHome=/ProtectHomee=/' "$IUNIT" >"$TMP/typo.service"
run env MANPATH="$TMP/p/share/man" systemd-analyze verify "$TMP/typo.service"
grep -q "Unknown key 'ProtectHomee'" "$_err"
check $? "and it would speak of a mistake (a misspelt directive)"

run systemd-analyze security --offline=yes "$IUNIT"
EXPOSURE=$(sed -n 's/.*Overall exposure level for kstatd.service: \([0-9.]*\) .*/\1/p' "$_out")
"$PY" -c 'import sys; assert 0 < float(sys.argv[1]) <= 3.0' "${EXPOSURE:-0}"
check $? "systemd-analyze security --offline: exposure $EXPOSURE of 10, at most 3.0 (OK)"
for d in 'NoNewPrivileges=' 'CapabilityBoundingSet=~CAP_SYS_ADMIN' 'CapabilityBoundingSet=~CAP_NET_ADMIN' \
	'CapabilityBoundingSet=~CAP_(DAC_\*|FOWNER|IPC_OWNER)' 'CapabilityBoundingSet=~CAP_SYS_PTRACE' \
	'PrivateDevices=' 'PrivateTmp=' 'ProtectHome=' 'ProtectSystem=' 'MemoryDenyWriteExecute=' \
	'RestrictNamespaces=~user' 'ProtectKernelModules=' 'SystemCallArchitectures='; do
	grep -q "✓ $d " "$_out"
	check $? "  passes $d"
done

CAPS=$(value CapabilityBoundingSet)
[ "$CAPS" = "CAP_BPF CAP_PERFMON" ] && [ "$(value AmbientCapabilities)" = "$CAPS" ]
check $? "the unit grants CAP_BPF and CAP_PERFMON, nothing else ($CAPS)"
[ "$(value Type)" = notify ] && [ "$(value RuntimeDirectory)" = kstatd ] &&
	value ExecStart | grep -q -- '--socket=/run/kstatd/kstat.sock'
check $? "Type=notify, and the socket in its RuntimeDirectory= /run/kstatd"
! systemd-analyze syscall-filter @system-service | grep -qwE 'bpf|perf_event_open' &&
	value SystemCallFilter | grep -qw bpf && value SystemCallFilter | grep -qw perf_event_open
check $? "@system-service lacks bpf and perf_event_open; the filter names them"
value ReadWritePaths | grep -qw /sys/fs/bpf && [ "$(value ProtectKernelTunables)" != yes ] &&
	value ReadOnlyPaths | grep -qw /sys
check $? "bpffs writable (ReadWritePaths=, not ProtectKernelTunables=), the rest of /sys read-only"

require_root
# kstatd as the unit runs it: root, the unit's capability sets, no_new_privs
SETPRIV_CAPS=$(echo "$CAPS" | tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd, -)
mkdir -m 0755 "$RUNDIR"
"$PY" - "$TMP/notify" "$TMP/notified" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w") as out:
    while True:
        msg = s.recv(4096).decode()
        out.write(msg + "\n")
        out.flush()
        if "STOPPING=1" in msg:
            break
PY
LISTENER=$!
for _i in $(seq 1 50); do [ -S "$TMP/notify" ] && break; sleep 0.1; done
# (LeakSanitizer, in make test-asan, cannot run under ptrace and would fail the exit)
start_daemon strace -f -qq -o "$TMP/trace" env NOTIFY_SOCKET="$TMP/notify" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	setpriv --bounding-set="-all,$SETPRIV_CAPS" --inh-caps="-all,$SETPRIV_CAPS" \
	--ambient-caps="-all,$SETPRIV_CAPS" --no-new-privs \
	"$OUTPUT/kstatd" --socket "$RUNDIR/kstat.sock" --pin-path "$PIN" \
	--web.listen-address 127.0.0.1:0 --provider-dir=
KPID=$(pgrep -P "$DAEMON_PID")
expect_file "$DAEMON_LOG" "providers attached: cpu_sys" "kstatd starts and attaches with the unit's privileges ($SETPRIV_CAPS)"
[ "$(awk '$1 == "CapEff:" { print $2 }' /proc/"$KPID"/status)" = 000000c000000000 ]
check $? "  its effective set is CAP_BPF and CAP_PERFMON"
for _i in $(seq 1 50); do grep -q READY=1 "$TMP/notified" 2>/dev/null && break; sleep 0.1; done
grep -q '^READY=1$' "$TMP/notified"
check $? "  it sends READY=1 to NOTIFY_SOCKET (Type=notify)"
URL=$(daemon_url)
curl -s "$URL/metrics" | grep -q '^kstatd_provider_attached{provider="cpu_sys"} 1$'
check $? "  it serves /metrics"
export KSTAT_SOCKET="$RUNDIR/kstat.sock"
[ "$(stat -c %a "$RUNDIR/kstat.sock")" = 666 ] && "$OUTPUT/kstat" -q cpu:0:sys:pswitch
check $? "  its socket in the runtime directory serves kstat"
"$OUTPUT/kstat" -w kstatd:0:config:cpu_sys=0 && sleep 0.3 && "$OUTPUT/kstat" -w kstatd:0:config:cpu_sys=1
for _i in $(seq 1 30); do "$OUTPUT/kstat" -q cpu:0:sys:pswitch && break; sleep 0.1; done
"$OUTPUT/kstat" -q cpu:0:sys:pswitch && [ "$(grep -c 'cpu_sys: attached 2 programs' "$DAEMON_LOG")" -eq 2 ]
check $? "  a kstatd:0:config write detaches and re-attaches cpu_sys"
kill -TERM "$KPID"
stop_daemon_wait() {
	for _i in $(seq 1 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$DAEMON_PID"
	_rc=$?
}
stop_daemon_wait
expect_rc 0 "  SIGTERM stops it cleanly"
wait "$LISTENER" 2>/dev/null
LISTENER=
grep -q '^STOPPING=1$' "$TMP/notified"
check $? "  it sends STOPPING=1"

run "$PY" tests/unit_check.py "$UNIT" "$TMP/trace" "$OUTPUT/kstatd" "$RUNDIR/"
expect_rc 0 "every system call, socket, mapping and write of kstatd is within the unit"
sed 's/^/    | /' "$_out"
# the check can fail: a filter without bpf, or without AF_NETLINK, rejects this very trace
sed -e 's/^SystemCallFilter=.*/SystemCallFilter=@system-service/' \
	-e 's/^RestrictAddressFamilies=.*/RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6/' \
	"$UNIT" >"$TMP/narrow.service"
run "$PY" tests/unit_check.py "$TMP/narrow.service" "$TMP/trace" "$OUTPUT/kstatd" "$RUNDIR/"
[ "$_rc" -eq 1 ] && grep -q "system call bpf is not in" "$_out" && grep -q "socket(AF_NETLINK)" "$_out"
check $? "and the same trace fails a unit without bpf and AF_NETLINK"
finish
