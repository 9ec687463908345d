#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstatd as a user meets it: --help, bad flags (exit 2), missing
# privileges or bpffs (exit 1, one line saying what to do), a clean start
# with its "ready" line only once its socket accepts, a clean stop on
# SIGTERM, one daemon per pin path (even after rm -rf of it) and per
# socket, and a stale socket of a killed daemon replaced.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
PIN=/sys/fs/bpf/kstatd-daemon-test-$$
SQUAT=
trap 'kill_daemons; kill_ours $SQUAT; rm -rf "$PIN" "$PIN-2" "$PIN-3" "$PIN-4" "$TMP"' EXIT
TMP=$(mktemp -d)
chmod 755 "$TMP"

run "$KSTATD" --help
expect_rc 0 "--help"
expect_out "USAGE: kstatd" "--help prints the usage"
expect_out "EXAMPLES" "--help prints examples"
run "$KSTATD" --version
expect_rc 0 "--version"
expect_out "kstatd [0-9]" "--version prints the version"

run "$KSTATD" --bogus
expect_rc 2 "an unknown flag"
expect_err "unrecognized option" "an unknown flag is named"
run "$KSTATD" --log.level=loud
expect_rc 2 "a bad log level"
expect_err "not error, warn, info or debug" "a bad log level is explained"
run "$KSTATD" --sync-interval=5x
expect_rc 2 "a bad sync interval"
run "$KSTATD" --sync-cpu-max=0
expect_rc 2 "a sync share of no CPU"
expect_err "not a percentage in 1..100" "a bad sync share is explained"
run "$KSTATD" --pin-path relative/dir
expect_rc 2 "a relative pin path"
run "$KSTATD" extra
expect_rc 2 "a stray argument"
run "$KSTATD" --socket "/tmp/$(printf '%0120d' 0).sock"
expect_rc 2 "a socket path longer than sun_path"
expect_err "longer than 107 bytes" "a long socket path is refused, not truncated"

require_root
SOCK=$TMP/run/kstat.sock
# uid 65534 runs a copy: the checkout may be where it cannot go
nobody_bin "$TMP/bin" kstatd
run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/bin/kstatd" \
	--pin-path "$PIN" --socket "$SOCK" --web.listen-address 127.0.0.1:0 --provider-dir=
expect_rc 1 "no privileges"
expect_err "needs CAP_BPF and CAP_PERFMON" "missing privileges are named"
expect_err "setcap" "and how to grant them"
expect_lines 1 "one line, not a cascade"

run "$KSTATD" --pin-path "$TMP/pins" --socket "$SOCK"
expect_rc 1 "a pin path off bpffs"
expect_err "is not on a bpffs" "a pin path off bpffs is explained"

start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK" --web.listen-address 127.0.0.1:0
expect_file "$DAEMON_LOG" "kstatd ready: .* providers attached: cpu_sys" "ready line names the providers"
expect_file "$DAEMON_LOG" "cpu_sys: attached 2 programs" "attach is logged"
expect_file "$DAEMON_LOG" "ready: .*socket $SOCK" "the ready line names the socket"
[ -S "$SOCK" ] && [ "$(stat -c %a "$SOCK")" = 666 ]
check $? "the socket (in a directory kstatd made) is world-connectable, like /dev/kstat"
run env KSTAT_SOCKET="$SOCK" LD_PRELOAD="$OUTPUT/kstat_preload.so" \
	"$OUTPUT/tests/illumos/ks_ioctl" walk
expect_rc 0 "the socket serves the ioctls as soon as the ready line is out"

run "$KSTATD" --pin-path "$PIN" --socket "$TMP/other.sock" --web.listen-address 127.0.0.1:0
expect_rc 1 "a second daemon on the same pin path"
expect_err "another kstatd is running with pin path" "the second daemon says why"
run "$KSTATD" --pin-path "$PIN-2" --socket "$SOCK"
expect_rc 1 "a second daemon on the same socket"
expect_err "another kstatd is serving it" "the second daemon says why"
rm -rf "$PIN-2"

stop_daemon
expect_rc 0 "SIGTERM stops kstatd cleanly"
expect_file "$DAEMON_LOG" "cpu_sys: detached" "providers are detached on the way out"
[ -e "$PIN/cpu_sys/cpu_sys" ]
check $? "the counters stay pinned for the next start"
[ ! -e "$SOCK" ]
check $? "the socket is removed on the way out"

start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
[ -S "$SOCK" ]
check $? "a killed daemon leaves its socket behind"
start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK"
expect_file "$DAEMON_LOG" "replacing the stale socket" "the next one replaces the stale socket"
stop_daemon
expect_rc 0 "and stops cleanly"

# the pin path's name is held as well as its directory: rm -rf frees neither
start_daemon "$KSTATD" --pin-path "$PIN-3" --socket "$TMP/3.sock"
ss -xl | grep -qF "@kstatd-pin-path:$PIN-3 "
check $? "the pin path's name is held as an abstract socket"
rm -rf "$PIN-3"
run "$KSTATD" --pin-path "$PIN-3" --socket "$TMP/4.sock"
expect_rc 1 "a second daemon on a pin path removed and made again"
expect_err "another kstatd is running with pin path .*removed and made again" "says why"
stop_daemon
expect_rc 0 "the first stops cleanly without its pin path"
start_daemon "$KSTATD" --pin-path "$PIN-3" --socket "$TMP/4.sock"
check 0 "once it stopped, the pin path is free"
stop_daemon

# any user may bind an abstract name: a user's squat on it does not keep kstatd from starting
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0kstatd-pin-path:" + sys.argv[1])
print("bound", flush=True)
time.sleep(60)' "$PIN-4" >"$TMP/squat.out" 2>&1 &
SQUAT=$!
for _ in $(seq 1 50); do grep -q bound "$TMP/squat.out" && break; sleep 0.1; done
grep -q bound "$TMP/squat.out"
check $? "nobody binds the name of pin path $PIN-4 first"
start_daemon "$KSTATD" --pin-path "$PIN-4" --socket "$TMP/5.sock"
check 0 "kstatd starts on that pin path all the same"
expect_file "$DAEMON_LOG" "pin path's name @kstatd-pin-path:$PIN-4 is held by uid 65534, not by a kstatd" \
	"  and says who holds its name"
run "$KSTATD" --pin-path "$PIN-4" --socket "$TMP/6.sock"
expect_rc 1 "  and a second kstatd there is still refused (the directory's lock)"
stop_daemon
kill_ours "$SQUAT"

finish
