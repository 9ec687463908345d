#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstatd as a user meets it: --help, bad flags (exit 2), missing
# privileges or bpffs (exit 1, one line saying what to do), a clean start
# with its "ready" line and a clean stop on SIGTERM, and one daemon per
# pin path.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$OUTPUT/kstatd
PIN=/sys/fs/bpf/kstatd-daemon-test-$$
trap 'kill_daemons; rm -rf "$PIN" "$TMP"' EXIT
TMP=$(mktemp -d)

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
run "$KSTATD" --pin-path relative/dir
expect_rc 2 "a relative pin path"
run "$KSTATD" extra
expect_rc 2 "a stray argument"

require_root
run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$KSTATD" --pin-path "$PIN"
expect_rc 1 "no privileges"
expect_err "needs CAP_BPF and CAP_PERFMON" "missing privileges are named"
expect_err "setcap" "and how to grant them"
expect_lines 1 "one line, not a cascade"

run "$KSTATD" --pin-path "$TMP/pins"
expect_rc 1 "a pin path off bpffs"
expect_err "is not on a bpffs" "a pin path off bpffs is explained"

start_daemon "$KSTATD" --pin-path "$PIN" --web.listen-address 127.0.0.1:0
expect_file "$DAEMON_LOG" "kstatd ready: .* providers attached: cpu_sys" "ready line names the providers"
expect_file "$DAEMON_LOG" "cpu_sys: attached 6 programs" "attach is logged"

run "$KSTATD" --pin-path "$PIN" --web.listen-address 127.0.0.1:0
expect_rc 1 "a second daemon on the same pin path"
expect_err "another kstatd is running with pin path" "the second daemon says why"

stop_daemon
expect_rc 0 "SIGTERM stops kstatd cleanly"
expect_file "$DAEMON_LOG" "cpu_sys: detached" "providers are detached on the way out"
[ -e "$PIN/cpu_sys/cpu_sys" ]
check $? "the counters stay pinned for the next start"

finish
