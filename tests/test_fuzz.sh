#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# The libFuzzer target for the socket request decoder (tests/fuzz_ioc.c),
# run briefly: FUZZ_SECONDS (default 15) of random and mutated frames
# against an engine holding every kind of kstat, under ASan and UBSan.
set -u
. "$(dirname "$0")/lib.sh"
FUZZ=$OUTPUT/tests/fuzz_ioc
CORPUS=$(mktemp -d)
trap 'rm -rf "$CORPUS"' EXIT

run "$FUZZ" -max_total_time="${FUZZ_SECONDS:-15}" -rss_limit_mb=2048 "$CORPUS"
expect_rc 0 "the request decoder survives ${FUZZ_SECONDS:-15} s of fuzzing"
expect_err "Done [0-9]+ runs" "the fuzzer ran"
runs=$(sed -n 's/.*Done \([0-9]*\) runs.*/\1/p' "$_err")
[ "${runs:-0}" -gt 10000 ]
check $? "more than 10000 inputs tried (${runs:-0})"
[ "$(ls "$CORPUS" | wc -l)" -gt 10 ]
check $? "it found more than 10 distinct paths ($(ls "$CORPUS" | wc -l))"
grep -E "ERROR: |runtime error:" "$_err" | head -5
finish
