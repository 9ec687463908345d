#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# The libFuzzer targets (tests/fuzz/, built by `make tests`), briefly: each
# replays its committed corpus (seeds and the inputs of bugs found before),
# then fuzzes for FUZZ_SECONDS (default 4) under ASan and UBSan.  `make
# fuzz` runs them for longer (tests/fuzz/README.md).
set -u
. "$(dirname "$0")/lib.sh"
FUZZ_OUT=${FUZZ_OUT:-build/fuzz}
export FUZZ_OUT

run tests/fuzz/run.sh replay
expect_rc 0 "every target runs its committed inputs without a finding"
sed 's/^/    /' "$_out"

run env FUZZ_SECONDS="${FUZZ_SECONDS:-4}" tests/fuzz/run.sh
expect_rc 0 "no finding in ${FUZZ_SECONDS:-4} s of fuzzing per target"
sed 's/^/    /' "$_out"
for t in ioc http http_neg web_config kstat_args schema; do
	runs=$(sed -n "s/^PASS fuzz_$t *[0-9]*s *\([0-9]*\) runs.*/\1/p" "$_out")
	[ "${runs:-0}" -gt 100 ]
	check $? "fuzz_$t ran more than 100 inputs (${runs:-0})"
done
finish
