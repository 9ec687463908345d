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
		grep -q "ready" "$DAEMON_LOG" && return 0
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
}

kill_daemons() {
	for p in $DAEMON_PIDS; do kill -KILL "$p" 2>/dev/null; done
}

finish() {
	rm -f "$_out" "$_err"
	echo "$_checks checks, $_fails failed"
	[ "$_fails" -eq 0 ] && exit 0
	exit 1
}
