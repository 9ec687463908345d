#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# build/kstat on what no BPF provider serves yet, from tests/ksfixture (the
# real engine and socket server, no BPF, no root): strings and longs beyond
# 32 bits in every format, JSON escaping, CHAR and the integer extremes,
# the sort orders (module and name ignoring case, instance as a number,
# statistics ignoring case, ties as illumos breaks them, few statistics and
# many), a kstat whose read fails, one whose failed read comes with a
# change of the chain, RAW and INVALID kstats.  Lines marked | end in
# blanks.
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

# Modules and names equal but for case are one to the sort: fold, FOLD and
# Fold interleave by instance, and equal names go the later kid first
# (Fold:0:NAME, FOLD:0:name, fold:0:Name were created last to first).
# Case is folded as strcasecmp folds it, to lower case: '_' goes before
# every letter (fold_a before foldB, name_b before nameA), which neither
# strcmp nor folding to upper case would give.
cat >"$TMP/expected" <<EOF
Fold:0:NAME:value	6
FOLD:0:name:value	1
fold:0:Name:value	0
Fold:1:name:value	2
fold:1:name_b:value	5
FOLD:1:nameA:value	4
fold:2:NAME:value	3
fold_a:0:x:value	7
foldB:0:x:value	8
EOF
run "$KSTAT" -p '[fF][oO][lL][dD]*:::value'
expect_rc 0 "kstat -p of the fold modules"
out_is "$TMP/expected" "modules and names equal but for case sort as one: by instance, later kid first"

# Statistics as strcasecmp orders them, the later record first on a tie
# (the records CLASS, crtimE and Snaptime before the pseudo-statistics):
# with -p, stats:0:few has 32, as many as kstat sorts by insertion, and
# stats:0:many 44, which it sorts with qsort.  Names share their first 8
# bytes and differ after them, in case too (counter__x, counter_alpha,
# counter_Beta).
cat >"$TMP/expected" <<EOF
stats:0:few:a_b	16
stats:0:few:ab	18
stats:0:few:aB	17
stats:0:few:alpha	26
stats:0:few:CLASS	20
stats:0:few:class	test
stats:0:few:counter_	12
stats:0:few:counter__x	11
stats:0:few:counter_alpha	10
stats:0:few:counter_Beta	9
stats:0:few:crtimE	27
stats:0:few:crtime	T
stats:0:few:DUP	15
stats:0:few:dup	14
stats:0:few:Dup	13
stats:0:few:long_name_x_	23
stats:0:few:LONG_NAME_X_y	22
stats:0:few:long_name_x_Y	21
stats:0:few:long_name_x_Z	24
stats:0:few:prefix	8
stats:0:few:prefix_	6
stats:0:few:Prefix_a	1
stats:0:few:prefix_a_	4
stats:0:few:PREFIX_AB	3
stats:0:few:prefix_ab	2
stats:0:few:prefix_aZ	5
stats:0:few:prefix_b	0
stats:0:few:prefixes	7
stats:0:few:Snaptime	19
stats:0:few:snaptime	T
stats:0:few:z	28
stats:0:few:Zeta	25
EOF
run "$KSTAT" -p stats:0:few
expect_rc 0 "kstat -p stats:0:few"
out_is "$TMP/expected" "32 statistics sort ignoring case, the later record first on a tie"
cat >"$TMP/expected" <<EOF
stats:0:many:a_b	16
stats:0:many:ab	18
stats:0:many:aB	17
stats:0:many:alpha	26
stats:0:many:CLASS	20
stats:0:many:class	test
stats:0:many:counter_	12
stats:0:many:counter__x	11
stats:0:many:counter_alpha	10
stats:0:many:counter_BETA	31
stats:0:many:counter_Beta	9
stats:0:many:crtimE	27
stats:0:many:crtime	T
stats:0:many:dUp	32
stats:0:many:DUP	15
stats:0:many:dup	14
stats:0:many:Dup	13
stats:0:many:long_name_x_	23
stats:0:many:LONG_NAME_X_y	22
stats:0:many:long_name_x_Y	21
stats:0:many:long_name_x_Z	24
stats:0:many:M	34
stats:0:many:m	33
stats:0:many:N	36
stats:0:many:n_	35
stats:0:many:prefix	8
stats:0:many:prefix_	6
stats:0:many:Prefix_a	1
stats:0:many:prefix_a_	4
stats:0:many:Prefix_aaaaaaaaaaaaaaaaaaaaaaA	38
stats:0:many:prefix_aaaaaaaaaaaaaaaaaaaaaaa	37
stats:0:many:PREFIX_AB	3
stats:0:many:prefix_ab	2
stats:0:many:prefix_aZ	5
stats:0:many:PREFIX_B	30
stats:0:many:prefix_b	0
stats:0:many:prefix_b_	29
stats:0:many:prefixes	7
stats:0:many:Snaptime	19
stats:0:many:snaptime	T
stats:0:many:Y	40
stats:0:many:y	39
stats:0:many:z	28
stats:0:many:Zeta	25
EOF
run "$KSTAT" -p stats:0:many
expect_rc 0 "kstat -p stats:0:many"
out_is "$TMP/expected" "44 statistics sort as 32 do"

# The chain changes between the reads and kstat's chain update: the read
# of churn:0:trigger fails with EIO, and before kstat updates its chain
# (which that EIO makes it do) the fixture deletes churn:0:recreated and
# creates it again, so libkstat frees what the report read of it.  The
# report prints what it read all the same.
cat >"$TMP/expected" <<EOF
churn:0:recreated:a_first	1
churn:0:recreated:class	test
churn:0:recreated:crtime	T
churn:0:recreated:label	kept by the report past the chain update
churn:0:recreated:snaptime	T
churn:0:recreated:value	81985529216486895
churn:0:stays:class	test
churn:0:stays:crtime	T
churn:0:stays:snaptime	T
churn:0:stays:value	7
churn:0:trigger:class	test
churn:0:trigger:crtime	T
EOF
run "$KSTAT" -p churn:0
expect_rc 0 "kstat -p churn:0, whose chain changes after an EIO"
out_is "$TMP/expected" "prints the kstats it read before the chain update"
crtime1=$(grep '^churn:0:recreated:crtime' "$_out")
cat >"$TMP/expected" <<'EOF'
[{
	"module": "churn",
	"instance": 0,
	"name": "recreated",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"a_first": 1,
		"crtime": T,
		"label": "kept by the report past the chain update",
		"snaptime": T,
		"value": 81985529216486895
	}
}, {
	"module": "churn",
	"instance": 0,
	"name": "stays",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"crtime": T,
		"snaptime": T,
		"value": 7
	}
}, {
	"module": "churn",
	"instance": 0,
	"name": "trigger",
	"class": "test",
	"type": 1,
	"snaptime": T,
	"data": {
		"crtime": T
	}
}]
EOF
run "$KSTAT" -j churn:0
expect_rc 0 "kstat -j churn:0"
out_is "$TMP/expected" "-j too"
run "$KSTAT" -p churn:0:recreated:crtime
[ -n "$crtime1" ] && ! grep -qxF "$crtime1" "$_out"
check $? "churn:0:recreated was created again: a new crtime"

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
