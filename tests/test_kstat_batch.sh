#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstat reads its selection in batches when kstatd offers them, one
# kstat at a time when it does not (KSTATD_BATCH=0: a daemon without the
# extension) or when told not to (KSTAT_BATCH=0): the output is the same
# in all three, in every format, on the fixture (strings, longs, a kstat
# whose read fails) and on a real kstatd with the ktest provider's known
# values.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"

# outputs NAME ARGS...: the kstat command's output, batched and not, times as T
outputs() {
	_name=$1
	shift
	run "$KSTAT" "$@"
	norm <"$_out" >"$TMP/$_name.batch"
	_rc_batch=$_rc
	run env KSTAT_BATCH=0 "$KSTAT" "$@"
	norm <"$_out" >"$TMP/$_name.single"
	[ "$_rc" -eq "$_rc_batch" ]
	check $? "$_name: same exit code batched and one at a time ($_rc_batch, $_rc)"
	same "$TMP/$_name.single" "$TMP/$_name.batch" "$_name: same output batched and one at a time"
	[ -s "$TMP/$_name.batch" ]
	check $? "$_name: prints something"
}

start_daemon "$OUTPUT/tests/ksfixture" "$TMP/fixture.sock"
export KSTAT_SOCKET="$TMP/fixture.sock"
outputs fixture-p -p
outputs fixture-default
outputs fixture-j -j
outputs fixture-select -p 'test:0:/s/' test:0:broken
cp "$TMP/fixture-p.batch" "$TMP/fixture-p.offered"
stop_daemon

export KSTATD_BATCH=0
start_daemon "$OUTPUT/tests/ksfixture" "$TMP/fixture.sock"
unset KSTATD_BATCH
outputs fixture-p -p
same "$TMP/fixture-p.offered" "$TMP/fixture-p.batch" \
	"a daemon without the offer prints what one with it does"
stop_daemon

require_root
start_ktest
ktest_values
outputs ktest-p -p ktest
outputs ktest-j -j ktest
cp "$TMP/ktest-p.batch" "$TMP/ktest-p.offered"
stop_daemon
rm -rf "$PIN"

export KSTATD_BATCH=0
start_ktest
unset KSTATD_BATCH
ktest_values
outputs ktest-p -p ktest
same "$TMP/ktest-p.offered" "$TMP/ktest-p.batch" \
	"kstatd without the offer: kstat prints the same known values"
stop_daemon
rm -rf "$PIN"
finish
