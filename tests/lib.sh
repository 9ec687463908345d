# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Helpers for the shell integration tests: run a command and check its
# exit code and output, start and stop a daemon, and count failures.
# A test that needs root skips without it, and fails under REQUIRE_BPF=1.
OUTPUT=${OUTPUT:-build}
_fails=0
_checks=0
_out=$(mktemp)
_err=$(mktemp)
DAEMON_PIDS=
SANITIZER_REPORT='ERROR: (Address|Leak)Sanitizer|runtime error:'

check() { # rc what
	_checks=$((_checks + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok   $2"
	else
		echo "FAIL: $2"
		_fails=$((_fails + 1))
	fi
}

run() {
	"$@" >"$_out" 2>"$_err"
	_rc=$?
	# sanitizer reports into the log, where tests/run.sh finds them; no fork
	while IFS= read -r _l; do
		case $_l in
		*"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | *"runtime error:"*)
			echo "    | $_l"
			;;
		esac
	done <"$_err"
}

expect_rc() { # code what
	[ "$_rc" -eq "$1" ]
	check $? "$2 (exit $_rc, want $1)"
	[ "$_rc" -eq "$1" ] || sed 's/^/    | /' "$_err" | head -5
}

expect_out() { grep -qE -- "$1" "$_out"; check $? "$2"; }
expect_err() { grep -qE -- "$1" "$_err"; check $? "$2"; }
expect_file() { grep -qE -- "$2" "$1"; check $? "$3"; }
# expect_no_sanitizer_report FILE what: ASan, LSan or UBSan said nothing in FILE
expect_no_sanitizer_report() {
	grep -E "$SANITIZER_REPORT" "$1" | head -3 | sed 's/^/    | /'
	! grep -qE "$SANITIZER_REPORT" "$1"
	check $? "$2"
}
expect_lines() { [ "$(wc -l <"$_err")" -eq "$1" ]; check $? "$2"; }

require_root() {
	[ "$(id -u)" = 0 ] && return 0
	if [ "${REQUIRE_BPF:-0}" = 1 ]; then
		check 1 "REQUIRE_BPF=1 but not root: the BPF part of this test cannot run"
		finish
	fi
	echo "skip: the rest needs root (REQUIRE_BPF=1 makes this a failure)"
	finish
}

# start_daemon CMD...: start in the background, wait for its ready line
start_daemon() {
	DAEMON_LOG=$(mktemp)
	"$@" >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	for _i in $(seq 1 100); do
		grep -qE "^(kstatd|ksfixture) ready" "$DAEMON_LOG" && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	check 1 "daemon did not get ready: $*"
	sed 's/^/    | /' "$DAEMON_LOG" | tail -20
	finish
}

stop_daemon() {
	kill -TERM "$DAEMON_PID"
	for _i in $(seq 1 50); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$DAEMON_PID"
	_rc=$?
	# reaped: its pid may soon be another suite's process
	DAEMON_PIDS=$(echo " $DAEMON_PIDS " | sed "s/ $DAEMON_PID / /")
}

# Kill what this shell started and is still its child.  pid_max may be
# 32768: a pid reaped long ago can be another suite's kstatd by now.
kill_daemons() {
	kill_ours -KILL $DAEMON_PIDS
}

# kill_ours [-SIG] PID...: signal those PIDs that are still this shell's children
kill_ours() {
	_sig=-TERM
	case "${1:-}" in -*) _sig=$1 && shift ;; esac
	for _p in "$@"; do
		[ "$(awk '{ print $4 }' "/proc/$_p/stat" 2>/dev/null)" = "$$" ] && kill "$_sig" "$_p" 2>/dev/null
	done
	return 0
}

finish() {
	rm -f "$_out" "$_err"
	echo "$_checks checks, $_fails failed"
	[ "$_fails" -eq 0 ] && exit 0
	exit 1
}

# nobody_bin DIR FILE...: copies of build files (paths under $OUTPUT) under
# DIR, keeping those paths, for what a test runs as another uid: the
# checkout may lie in a home that no one else may enter (root's is 0700).
# DIR and the directories above it must be open to all (mktemp -d, chmod 755).
nobody_bin() {
	_nbd=$1
	shift
	for _f in "$@"; do
		mkdir -p "$_nbd/$(dirname "$_f")" && cp "$OUTPUT/$_f" "$_nbd/$_f" || return 1
	done
	chmod -R a+rX "$_nbd"
}

# daemon_url [N]: the N-th (default 1st) URL kstatd logged as "http: serving URL/path"
daemon_url() {
	grep -o 'http: serving [^ ]*' "$DAEMON_LOG" | sed -n "${1:-1}p" |
		sed -e 's/^http: serving //' -e 's|\(https\?://[^/]*\).*|\1|'
}

# free_port: a TCP port nobody listens on now, for servers that cannot take port 0
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# have_ipv6: is there an IPv6 loopback to listen on?
have_ipv6() {
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# le64 V...: the little-endian bytes of 64-bit values, as bpftool takes them
le64() {
	/usr/bin/python3 -c 'import struct, sys; print(" ".join("%02x" % b for v in sys.argv[1:] for b in struct.pack("<Q", int(v))))' "$@"
}

# le32 V...: the same for 32-bit values (map keys)
le32() {
	/usr/bin/python3 -c 'import struct, sys; print(" ".join("%02x" % b for v in sys.argv[1:] for b in struct.pack("<I", int(v))))' "$@"
}

# keyed_batch MAP FIRST N: a bpftool batch file that puts N ktest_keyed
# entries (keys FIRST.., 96-byte values with a 4-slot histogram) in MAP
keyed_batch() {
	/usr/bin/python3 - "$@" <<'PY'
import struct, sys
path, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    key = " ".join("%02x" % b for b in struct.pack("<I", first + i))
    val = struct.pack("<QQqQQ4QII16s", i, i * 512, 3, 100, 200, 1, 2, 3, 4, 7, 0, b"")
    print("map update pinned %s key hex %s value hex %s" % (path, key, " ".join("%02x" % b for b in val)))
PY
}
