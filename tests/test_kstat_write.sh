#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# kstat -w module:instance:name:statistic=value, against a real kstatd with
# the ktest provider (its WRITABLE ktest:0:knobs is a BPF array the BPF
# program reads) and against tests/ksfixture for 32-bit, CHAR and string
# statistics: writes as root, EPERM for uid 65534, EACCES on kstats that
# are not writable, EINVAL when kstatd refuses the value, values that do
# not parse or do not fit the statistic's type, no such kstat or
# statistic.  Exit 0 written, 1 nothing to write, 2 a bad value, 3 refused.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"

require_root
start_ktest
# uid 65534 runs a copy: the checkout may be where it cannot go
nobody_bin "$TMP/bin" kstat

# value_is SELECTOR VALUE WHAT: kstat -p prints exactly that value
value_is() {
	run "$KSTAT" -p "$1"
	[ "$(cat "$_out")" = "$1$TAB$2" ]
	check $? "$3"
}

# refused WHAT CODE STDERR-REGEX ARGS...: exit CODE, the message, no output
refused() {
	_what=$1 _code=$2 _msg=$3
	shift 3
	run "$@"
	expect_rc "$_code" "$_what"
	expect_err "$_msg" "  says: $_msg"
	[ ! -s "$_out" ]
	check $? "  prints nothing on stdout"
}

run "$KSTAT" -w ktest:0:knobs:hist_value=123
expect_rc 0 "root writes ktest:0:knobs:hist_value"
[ ! -s "$_out" ] && [ ! -s "$_err" ]
check $? "  silently"
value_is ktest:0:knobs:hist_value 123 "  and reads it back"
run "$KSTAT" -w ktest:0:knobs:hist_value=0x10 -w ktest:0:knobs:track_tgid=18446744073709551615
expect_rc 0 "two -w in one command, one in hex, one the largest UINT64"
value_is ktest:0:knobs:hist_value 16 "  0x10 is 16"
value_is ktest:0:knobs:track_tgid 18446744073709551615 "  and the other one is written too"

# The BPF program reads what kstat -w wrote: forks of the tracked tgid
# count.  Between the two writes this shell forks three times, and once
# more to start the kstat -w that stops the counting (no run(): it forks)
keyed $$ me 0 0 0 0 0 0 0 0 0 0
wait_kstat "ktest:$$:me"
"$KSTAT" -w "ktest:0:knobs:track_tgid=$$"
rc1=$?
for i in 1 2 3; do /bin/true & wait $!; done
"$KSTAT" -w ktest:0:knobs:track_tgid=0
rc2=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
check $? "kstat -w ktest:0:knobs:track_tgid=\$\$, then =0"
value_is "ktest:$$:me:events" 4 "  the BPF program counted the four forks in between"

refused "uid 65534 writes: EPERM" 3 \
	"cannot write ktest:0:knobs:hist_value=5: permission denied: writing needs root or CAP_SYS_ADMIN \(EPERM\)" \
	$NOBODY "$TMP/bin/kstat" -w ktest:0:knobs:hist_value=5
value_is ktest:0:knobs:hist_value 16 "  the value is unchanged"
run $NOBODY "$TMP/bin/kstat" -p ktest:0:knobs:hist_value
expect_rc 0 "uid 65534 reads it"

refused "a named kstat that is not writable: EACCES" 3 \
	"cannot write ktest:0:open:busy=1: ktest:0:open is not a writable kstat \(EACCES\)" \
	"$KSTAT" -w ktest:0:open:busy=1
refused "cpu:0:sys: EACCES" 3 "cpu:0:sys is not a writable kstat \(EACCES\)" \
	"$KSTAT" -w cpu:0:sys:pswitch=0
refused "an interrupt kstat: EACCES" 3 "ktest:0:intr is not a writable kstat \(EACCES\)" \
	"$KSTAT" -w ktest:0:intr:hard=1
refused "kstatd:0:config takes 0 or 1: EINVAL" 3 \
	"cannot write kstatd:0:config:ktest=2: kstatd refused the value 2 \(EINVAL\)" \
	"$KSTAT" -w kstatd:0:config:ktest=2
value_is kstatd:0:config:ktest 1 "  the provider stays attached"

refused "a negative UINT64" 2 \
	"cannot write ktest:0:knobs:hist_value=-1: '-1' is not a 64-bit unsigned integer" \
	"$KSTAT" -w ktest:0:knobs:hist_value=-1
refused "a UINT64 beyond 2^64-1" 2 "'18446744073709551616' is not a 64-bit unsigned integer" \
	"$KSTAT" -w ktest:0:knobs:hist_value=18446744073709551616
refused "a word for a UINT64" 2 "'many' is not a 64-bit unsigned integer" \
	"$KSTAT" -w ktest:0:knobs:hist_value=many
refused "a fraction for a UINT64" 2 "'1.5' is not" "$KSTAT" -w ktest:0:knobs:hist_value=1.5
refused "a leading blank" 2 "' 5' is not" "$KSTAT" -w 'ktest:0:knobs:hist_value= 5'
value_is ktest:0:knobs:hist_value 16 "  none of them changed the value"

refused "no such kstat" 1 "cannot write ktest:0:nosuch:x=1: no kstat ktest:0:nosuch" \
	"$KSTAT" -w ktest:0:nosuch:x=1
refused "no such statistic" 1 "cannot write ktest:0:knobs:nosuch=1: ktest:0:knobs has no statistic nosuch" \
	"$KSTAT" -w ktest:0:knobs:nosuch=1
run "$KSTAT" -w ktest:0:knobs:hist_value=7 -w ktest:0:knobs:nosuch=1 -w ktest:0:knobs:hist_value=8
expect_rc 1 "-w stops at the first that fails"
value_is ktest:0:knobs:hist_value 7 "  after writing the ones before it"
stop_daemon
expect_rc 0 "kstatd stops cleanly"

# 32-bit integers, CHAR, LONG and strings, from the fixture
start_daemon "$OUTPUT/tests/ksfixture" "$TMP/fixture.sock"
export KSTAT_SOCKET="$TMP/fixture.sock"
run "$KSTAT" -w test:0:rw32:i32=-2147483648 -w test:0:rw32:u32=4294967295 \
	-w test:0:rw32:c=0123456789abcdef -w test:0:rw:lval=-7
expect_rc 0 "INT32, UINT32, CHAR and LONG at their limits"
run "$KSTAT" -p test:0:rw32:i32 test:0:rw32:u32 test:0:rw32:c test:0:rw:lval
printf 'test:0:rw32:i32\t-2147483648\ntest:0:rw32:u32\t4294967295\ntest:0:rw32:c\t0123456789abcdef\ntest:0:rw:lval\t-7\n' \
	>"$TMP/expected"
same "$TMP/expected" "$_out" "  read back"
refused "an INT32 beyond its range" 2 "'2147483648' is not a 32-bit signed integer" \
	"$KSTAT" -w test:0:rw32:i32=2147483648
refused "a UINT32 beyond its range" 2 "'4294967296' is not a 32-bit unsigned integer" \
	"$KSTAT" -w test:0:rw32:u32=4294967296
refused "a CHAR of 17 bytes" 2 "'0123456789abcdefg' is not at most 16 characters" \
	"$KSTAT" -w test:0:rw32:c=0123456789abcdefg
refused "a string" 3 "cannot write test:0:rw:label=x: strings cannot be written" \
	"$KSTAT" -w test:0:rw:label=x
stop_daemon
expect_rc 0 "ksfixture stops cleanly"
finish
