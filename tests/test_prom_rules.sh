#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# deploy/prometheus: promtool checks the scrape config and the rule files
# and runs the rules' unit tests (tests/prometheus/*.test.yml); every
# alert says what it is about; and every metric name the rules and alerts
# use is one a real kstatd serves, or a rule records.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
D=deploy/prometheus
PIN=/sys/fs/bpf/kstatd-rules-test-$$
TMP=$(mktemp -d)
trap 'kill_daemons; rm -rf "$PIN" "$TMP"' EXIT
PY=/usr/bin/python3

command -v promtool >/dev/null
check $? "promtool is installed (Debian's prometheus, scripts/deps.sh test)"

run promtool check config "$D/prometheus.yml"
expect_rc 0 "promtool check config $D/prometheus.yml"
expect_out "SUCCESS: 2 rule files found" "  it loads both rule files"
! grep -q WARNING "$_out" "$_err"
check $? "  without a warning"

run promtool check rules "$D/kstatd.rules.yml" "$D/kstatd.alerts.yml"
expect_rc 0 "promtool check rules"
NREC=$(sed -n '1,/alerts/s/.*SUCCESS: \([0-9]*\) rules found/\1/p' "$_out" | head -1)
NALERT=$(sed -n 's/.*SUCCESS: \([0-9]*\) rules found/\1/p' "$_out" | sed -n 2p)
[ "${NREC:-0}" -ge 40 ] && [ "${NALERT:-0}" -ge 15 ]
check $? "  $NREC recording rules, $NALERT alerts"

run promtool test rules tests/prometheus/kstatd.rules.test.yml
expect_rc 0 "promtool test rules: the recording rules compute and the alerts fire as tested"
grep -E 'FAILED|exp:|got:' "$_out" "$_err" | head -10 | sed 's/^/    | /'
NTESTS=$(grep -c '^  - interval:' tests/prometheus/kstatd.rules.test.yml)
NALERTS_TESTED=$(grep -o 'alertname: [A-Za-z]*' tests/prometheus/kstatd.rules.test.yml | sort -u | wc -l)
[ "$NALERTS_TESTED" -eq "$NALERT" ]
check $? "  $NTESTS test groups; each of the $NALERT alerts is tested ($NALERTS_TESTED)"
# a wrong expectation fails: the tests test something
sed 's/value: 80$/value: 81/' tests/prometheus/kstatd.rules.test.yml >tests/prometheus/.wrong.test.yml
run promtool test rules tests/prometheus/.wrong.test.yml
rm -f tests/prometheus/.wrong.test.yml
[ "$_rc" -ne 0 ] && grep -q 'job:kstat_cpu_pswitch:rate1m' "$_out" "$_err"
check $? "  and a wrong expected fleet rate (81 for 80) fails them"

"$PY" - "$D/kstatd.alerts.yml" >"$_out" <<'PY'
import sys, yaml
bad = 0
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        a = r.get("annotations", {})
        if not a.get("summary") or not a.get("description") or \
                r.get("labels", {}).get("severity") not in ("info", "warning", "critical"):
            print("alert %s lacks a summary, description or severity" % r["alert"])
            bad += 1
sys.exit(bad)
PY
check $? "every alert has a severity, a summary and a description"
sed 's/^/    | /' "$_out"

require_root
# the run-queue rules need the sched provider, detached by default
start_daemon "$KSTATD" --pin-path "$PIN" --socket "$TMP/kstat.sock" --enable=sched
curl -s "$(daemon_url)/metrics" >"$TMP/metrics"
stop_daemon
run "$PY" tests/promql_names.py check "$TMP/metrics" "$D/kstatd.rules.yml" "$D/kstatd.alerts.yml"
expect_rc 0 "every metric the rules and alerts use is one kstatd serves or a rule records"
sed 's/^/    | /' "$_out" | head -10
printf 'groups:\n- name: x\n  rules:\n  - record: a:b:c\n    expr: rate(kstat_cpu_pswitchh_total[1m])\n' \
	>"$TMP/typo.yml"
run "$PY" tests/promql_names.py check "$TMP/metrics" "$TMP/typo.yml"
[ "$_rc" -eq 1 ] && grep -q "kstat_cpu_pswitchh_total is neither" "$_out"
check $? "  and a misspelt metric is caught"
finish
