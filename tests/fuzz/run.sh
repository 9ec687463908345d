#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Run the libFuzzer targets (make fuzz-build builds them into FUZZ_OUT):
#   tests/fuzz/run.sh [TARGET...]   fuzz each FUZZ_SECONDS (default 60) from
#                                   its committed corpus; a new input
#                                   found goes to a scratch directory
#   tests/fuzz/run.sh replay        run every committed input once
#   tests/fuzz/run.sh seeds         rebuild the schema seeds from source
# A crash, leak, timeout or sanitizer report fails the run and leaves the
# input in FUZZ_OUT/artifacts/.  FUZZ_JOBS=2 runs two targets at once.
# One line per target: time, runs, exec/s, coverage, corpus size.
set -u
cd "$(dirname "$0")/../.." || exit 1
FUZZ_OUT=${FUZZ_OUT:-build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
ALL="ioc http http_neg web_config kstat_args schema"

max_len() {
	case $1 in
	schema) echo 16384 ;;
	http_neg | kstat_args) echo 1024 ;;
	*) echo 4096 ;;
	esac
}

# fuzz_one TARGET: fuzz it, print its summary line; non-zero on a finding
fuzz_one() {
	t=$1
	bin=$FUZZ_OUT/fuzz_$t
	work=$(mktemp -d)
	log=$FUZZ_OUT/fuzz_$t.log
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	mkdir -p "$FUZZ_OUT/artifacts"
	# shellcheck disable=SC2086 # $dict is one word or none
	"$bin" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" -timeout=10 \
		-rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 $dict \
		-artifact_prefix="$FUZZ_OUT/artifacts/$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|deadly signal' "$log" && rc=1
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		printf 'PASS fuzz_%-11s %4ss %10s runs %7s exec/s  %s\n' "$t" "$SECONDS_EACH" \
			"${runs:-?}" "${eps:-?}" "$cov"
	else
		printf 'FAIL fuzz_%-11s (log: %s)\n' "$t" "$log"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written|deadly' "$log" | head -8 |
			sed 's/^/    /'
	fi
	rm -rf "$work"
	return $rc
}

replay() {
	fails=0
	for t in $ALL; do
		mkdir -p "$FUZZ_OUT/artifacts"
		"$FUZZ_OUT/fuzz_$t" -runs=0 -max_len="$(max_len "$t")" \
			-artifact_prefix="$FUZZ_OUT/artifacts/$t-" "tests/fuzz/corpus/$t" \
			>"$FUZZ_OUT/replay_$t.log" 2>&1
		rc=$?
		grep -qE 'ERROR: |runtime error:|deadly signal' "$FUZZ_OUT/replay_$t.log" && rc=1
		n=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
		if [ $rc -eq 0 ]; then
			echo "ok   fuzz_$t replays its $n committed inputs"
		else
			echo "FAIL: fuzz_$t on its committed inputs (log: $FUZZ_OUT/replay_$t.log)"
			grep -E 'ERROR|runtime error|SUMMARY' "$FUZZ_OUT/replay_$t.log" | head -5
			fails=$((fails + 1))
		fi
	done
	return $fails
}

seeds() {
	out=tests/fuzz/corpus/schema
	for n in 0 1; do
		clang -g -O2 -Wall -Werror=undef -target bpf -D__TARGET_ARCH_x86 -DSEED=$n \
			-Ibuild -Ibpf -c tests/fuzz/schema_seeds.bpf.c -o "$out/seed$n.elf" &&
			llvm-strip -g "$out/seed$n.elf" || return 1
	done
	for o in ktest_v2 bad_kind bad_shape; do
		llvm-strip -g "build/tests/$o.bpf.o" -o "$out/$o.elf" || return 1
	done
}

case "${1:-}" in
replay) replay; exit $? ;;
seeds) seeds; exit $? ;;
esac

targets=${*:-$ALL}
failed=
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
	n=0
	sum=$(mktemp -d)
	for t in $targets; do
		(fuzz_one "$t" >"$sum/$t" || touch "$sum/$t.failed") &
		n=$((n + 1))
		[ $((n % FUZZ_JOBS)) -eq 0 ] && wait
	done
	wait
	for t in $targets; do
		cat "$sum/$t"
		[ -e "$sum/$t.failed" ] && failed="$failed $t"
	done
	rm -rf "$sum"
else
	for t in $targets; do
		fuzz_one "$t" || failed="$failed $t"
	done
fi
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed"
	exit 1
fi
echo "fuzz: no finding in $(echo "$targets" | wc -w) targets, ${SECONDS_EACH} s each"
