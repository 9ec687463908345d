#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Run every test: the criterion suites, then the shell integration tests.
# Prints one line per suite and a summary; exits non-zero if any failed.
# Set TESTS="test_engine test_cpu_sys" to run only some.
set -u
OUTPUT=${OUTPUT:-build}
export OUTPUT
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] && scripts/bpf-mounts.sh

all_tests=$(find "$OUTPUT/tests" -maxdepth 1 -type f -name 'test_*' ! -name '*.*' | sort
	ls tests/test_*.sh 2>/dev/null)
failed=""
n=0
for t in ${TESTS:-$all_tests}; do
	case "$t" in
	*/*) path=$t ;;
	*.sh) path=tests/$t ;;
	*) path=$OUTPUT/tests/$t ;;
	esac
	name=$(basename "$path")
	n=$((n + 1))
	start=$(date +%s)
	log=$OUTPUT/tests/$name.log
	case "$path" in
	*.sh) sh "$path" >"$log" 2>&1 ;;
	*) "$path" --jobs=1 --timeout=120 --no-early-exit >"$log" 2>&1 ;;
	esac
	rc=$?
	# sanitizer reports from test workers do not always reach the exit code
	grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" && rc=1
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		summary=$(grep -E '^\[====\] Synthesis|^[0-9]+ checks' "$log" | sed 's/.*Synthesis: //')
		printf 'PASS %-22s %3ss  %s\n' "$name" "$secs" "$summary"
	else
		printf 'FAIL %-22s %3ss  (log: %s)\n' "$name" "$secs" "$log"
		grep -E '\[FAIL\]|\[----\]|FAIL:|error' "$log" | head -20 | sed 's/^/    /'
		failed="$failed $name"
	fi
done
if [ -n "$failed" ]; then
	echo "FAILED:$failed"
	exit 1
fi
echo "all $n test suites passed"
