#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Run every test: the criterion suites and the shell integration tests,
# JOBS (default 3) at a time, longest first (as the last run timed them).
# Suites share nothing but the machine: each takes its own pin path,
# socket, port, namespaces and devices.  Prints one line per suite as it
# ends, then the checks counted and a summary; exits non-zero if any
# failed.  Suites that time themselves (latency under load, clients riding
# out restarts) run alone, first.  TESTS="test_engine test_cpu_sys.sh"
# runs only some; JOBS=1 runs them one at a time.  test_fuzz.sh runs only when named (make fuzz runs
# the fuzzers, and make test does not build them).
set -u
OUTPUT=${OUTPUT:-build}
JOBS=${JOBS:-3}
# pass/fail on how long something took: nothing else may run beside them
SOLO=" test_load.sh test_reconnect.sh test_security.sh "
export OUTPUT
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] && scripts/bpf-mounts.sh

all_tests=$(
	find "$OUTPUT/tests" -maxdepth 1 -type f -name 'test_*' ! -name '*.*' | sort
	ls tests/test_*.sh 2>/dev/null | grep -v '/test_fuzz\.sh$'
)

path_of() {
	case "$1" in
	*/*) echo "$1" ;;
	*.sh) echo "tests/$1" ;;
	*) echo "$OUTPUT/tests/$1" ;;
	esac
}

# the last run's seconds of a suite, or a guess for one never timed
last_secs() {
	cat "$OUTPUT/tests/$1.secs" 2>/dev/null || echo 30
}

# run_one PATH: run a suite into its log; its line goes to $OUTPUT/tests/NAME.result
run_one() {
	local path=$1 name log start rc secs summary
	name=$(basename "$path")
	log=$OUTPUT/tests/$name.log
	start=$(date +%s)
	case "$path" in
	*.sh) sh "$path" >"$log" 2>&1 ;;
	*) "$path" --jobs=1 --timeout=120 --no-early-exit >"$log" 2>&1 ;;
	esac
	rc=$?
	# sanitizer reports from test workers do not always reach the exit code
	grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" && rc=1
	secs=$(($(date +%s) - start))
	echo "$secs" >"$OUTPUT/tests/$name.secs"
	if [ $rc -eq 0 ]; then
		summary=$(grep -E '^\[====\] Synthesis|^[0-9]+ checks' "$log" | sed 's/.*Synthesis: //')
		printf 'PASS %-22s %3ss  %s\n' "$name" "$secs" "$summary"
	else
		printf 'FAIL %-22s %3ss  (log: %s)\n' "$name" "$secs" "$log"
		grep -E '\[FAIL\]|\[----\]|FAIL:|error' "$log" | head -20 | sed 's/^/    /'
	fi >"$OUTPUT/tests/$name.result"
	return $rc
}

# longest first, so that the pool does not end waiting on one long suite
queue=$(for t in ${TESTS:-$all_tests}; do
	p=$(path_of "$t")
	echo "$(last_secs "$(basename "$p")") $p"
done | sort -k1,1nr -k2 | cut -d' ' -f2)

failed=""
n=0
declare -A running=()
start_all=$(date +%s)

# reap: wait for one suite to end, print its line, note a failure
reap() {
	local pid rc name
	wait -n -p pid "${!running[@]}"
	rc=$?
	name=${running[$pid]}
	unset "running[$pid]"
	cat "$OUTPUT/tests/$name.result"
	[ $rc -eq 0 ] || failed="$failed $name"
}

# run PATH: start a suite in the pool
run() {
	n=$((n + 1))
	rm -f "$OUTPUT/tests/$(basename "$1").result"
	run_one "$1" &
	running[$!]=$(basename "$1")
}

for p in $queue; do
	case "$SOLO" in *" $(basename "$p") "*) ;; *) continue ;; esac
	run "$p"
	reap
done
for p in $queue; do
	case "$SOLO" in *" $(basename "$p") "*) continue ;; esac
	while [ ${#running[@]} -ge "$JOBS" ]; do reap; done
	run "$p"
done
while [ ${#running[@]} -gt 0 ]; do reap; done

# checks: criterion's tests and assertions are not counted alike, so both kinds are summed apart
tests=0
checks=0
for p in $queue; do
	log=$OUTPUT/tests/$(basename "$p").log
	c=$(sed -n 's/^\([0-9]*\) checks, .*/\1/p' "$log" | tail -1)
	t=$(sed -n 's/.*Synthesis: Tested: \([0-9]*\).*/\1/p' "$log" | tail -1)
	checks=$((checks + ${c:-0}))
	tests=$((tests + ${t:-0}))
done
echo "$n suites: $tests criterion tests, $checks shell checks, $(($(date +%s) - start_all)) s"
if [ -n "$failed" ]; then
	echo "FAILED:$failed"
	exit 1
fi
echo "all $n test suites passed"
