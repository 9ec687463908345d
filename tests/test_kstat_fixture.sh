#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstat on what no BPF provider serves yet, from tests/ksfixture (the
# real engine and socket server, no BPF, no root): strings and longs beyond
# 32 bits in every format, JSON escaping, CHAR and the integer extremes,
# the sort orders (module and name ignoring case, instance as a number,
# statistics ignoring case, ties as illumos breaks them), a kstat whose
# read fails, RAW and INVALID kstats.  Lines marked | end in blanks.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"

start_daemon "$OUTPUT/tests/ksfixture" "$TMP/fixture.sock"
export KSTAT_SOCKET="$TMP/fixture.sock"

eol >"$TMP/expected" <<EOF
module: test                            instance: 0     |
name:   strings                         class:    test
	big                             4294967301
	crtime                          T
	greeting                        hello, kstat
	motto                           a string longer than the sixteen bytes of c[]
	snaptime                        T
	ubig                            8589934591

EOF
run "$KSTAT" test:0:strings
expect_rc 0 "kstat test:0:strings"
out_is "$TMP/expected" "default format: strings, a LONG and a ULONG beyond 32 bits"

cat >"$TMP/expected" <<EOF
test:0:strings:big:4294967301
test:0:strings:class:test
test:0:strings:crtime:T
test:0:strings:greeting:hello, kstat
test:0:strings:motto:a string longer than the sixteen bytes of c[]
test:0:strings:snaptime:T
test:0:strings:ubig:8589934591
EOF
run "$KSTAT" -C test:0:strings
out_is "$TMP/expected" "-C format with strings and longs"

# Every string a JSON string: quotes, backslashes and control characters
# escaped, '?' left alone (illumos writes \?), UTF-8 kept, other bytes
# U+FFFD; CHAR quoted, all 16 bytes of c[] even without a NUL; the record
# without a name left out
cat >"$TMP/expected" <<'EOF'
[{
	"module": "test",
	"instance": 0,
	"name": "escapes",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"backslash": "C:\\kstat\\",
		"chars": "0123456789abcdef",
		"control": "tab\there\nline\u0001\u001f\u007f",
		"crtime": T,
		"i32": -2147483648,
		"i64": -9223372036854775808,
		"not_utf8": "\ufffd\ufffd|\ufffd(|\ufffd\ufffd\ufffd|\ufffd\ufffd",
		"question": "what?",
		"quote": "say \"hi\"",
		"snaptime": T,
		"u32": 4294967295,
		"u64": 18446744073709551615,
		"utf8": "héllo ✓ 中"
	}
}]
EOF
run "$KSTAT" -j test:0:escapes
expect_rc 0 "kstat -j test:0:escapes"
out_is "$TMP/expected" "-j escapes strings as JSON, byte for byte"
/usr/bin/python3 - "$_out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))[0]["data"]
want = {"quote": 'say "hi"', "backslash": "C:\\kstat\\", "question": "what?",
        "control": "tab\there\nline\x01\x1f\x7f", "utf8": "h\u00e9llo \u2713 \u4e2d",
        "chars": "0123456789abcdef", "i64": -2**63, "u64": 2**64 - 1}
bad = {k: d.get(k) for k in want if d.get(k) != want[k]}
if bad or "" in d:
    print("    | differs:", bad, "unnamed record:", "" in d)
    sys.exit(1)
EOF
check $? "python's json reads back every string and integer as the fixture has it"

# The text formats print strings as they are (illumos does not escape them)
run "$KSTAT" -p test:0:escapes:question test:0:escapes:control
printf 'test:0:escapes:question\twhat?\ntest:0:escapes:control\ttab\there\nline\001\037\177\n' \
	>"$TMP/expected"
out_is "$TMP/expected" "-p prints strings raw, in operand order"

# Sorting: modules ignoring case (alpha before Beta), instances as numbers
# (2 before 10), names ignoring case with the later kid first on a tie
# (test:2:SORT was created after test:2:sort), statistics ignoring case
# with the later one first on a tie (the record Crtime before the pseudo
# statistic crtime)
cat >"$TMP/expected" <<EOF
alpha:0:a:value	40
Beta:0:b:value	30
EOF
run "$KSTAT" -p '*:0:[ab]:value'
out_is "$TMP/expected" "modules sort ignoring case"
cat >"$TMP/expected" <<EOF
test:2:SORT:alpha	21
test:2:SORT:avenrun_15min	26
test:2:SORT:avenrun_1min	25
test:2:SORT:avenrun_5min	24
test:2:SORT:Beta	22
test:2:SORT:class	test
test:2:SORT:Crtime	23
test:2:SORT:crtime	T
test:2:SORT:snaptime	T
test:2:SORT:Zeta	20
test:2:sort:alpha	11
test:2:sort:avenrun_15min	16
test:2:sort:avenrun_1min	15
test:2:sort:avenrun_5min	14
test:2:sort:Beta	12
test:2:sort:class	test
test:2:sort:Crtime	13
test:2:sort:crtime	T
test:2:sort:snaptime	T
test:2:sort:Zeta	10
test:10:sort:alpha	1
test:10:sort:avenrun_15min	6
test:10:sort:avenrun_1min	5
test:10:sort:avenrun_5min	4
test:10:sort:Beta	2
test:10:sort:class	test
test:10:sort:Crtime	3
test:10:sort:crtime	T
test:10:sort:snaptime	T
test:10:sort:Zeta	0
EOF
run "$KSTAT" -p 'test:*:[sS][oO][rR][tT]'
expect_rc 0 "kstat -p test:*:[sS][oO][rR][tT]"
out_is "$TMP/expected" "instances as numbers, names and statistics ignoring case, ties as illumos"

# A kstat whose read fails (its provider says EIO) keeps its crtime, as in
# illumos; a RAW kstat has no reader and an INVALID one is not in the chain
eol >"$TMP/expected" <<EOF
module: test                            instance: 0     |
name:   broken                          class:    test
	crtime                          T

EOF
run "$KSTAT" test:0:broken
expect_rc 0 "kstat test:0:broken, whose reads fail with EIO"
out_is "$TMP/expected" "shows crtime alone, and kstat carries on"
run "$KSTAT" test:0:fixed
expect_rc 1 "the RAW test:0:fixed is skipped: nothing matched"
[ ! -s "$_out" ]
check $? "and nothing printed"
run "$KSTAT" -l test:0:invalid
expect_rc 1 "the INVALID test:0:invalid is not shown"
run "$KSTAT" -l test:0
[ "$(cut -d: -f3 "$_out" | sort -u | tr '\n' ' ')" = "broken escapes rw rw32 strings " ]
check $? "test:0 lists broken, escapes, rw, rw32 and strings: no fixed, no invalid"

stop_daemon
expect_rc 0 "ksfixture stops cleanly"
finish
