#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# deploy/grafana/kstatd.json, without a Grafana (none is packaged here):
# its structure is one Grafana loads (unique panel ids, grid positions
# inside 24 columns, a Prometheus data source variable on every target,
# heatmaps fed by histogram buckets by le), every variable it uses is
# defined, promtool parses every expression (with Grafana's variables
# replaced), and every metric they name is one a real kstatd serves, with
# its syscall, syscall_time and sched providers attached, or a rule deploy/prometheus records.
# tests/test_fleet.sh runs every expression against a fleet's Prometheus.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
DASH=deploy/grafana/kstatd.json
PIN=/sys/fs/bpf/kstatd-grafana-test-$$
TMP=$(mktemp -d)
trap 'kill_daemons; rm -rf "$PIN" "$TMP"' EXIT
PY=/usr/bin/python3

run "$PY" - "$DASH" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
need(d.get("uid") == "kstatd-fleet" and d.get("title"), "uid and title")
need(d.get("schemaVersion", 0) >= 36, "schemaVersion >= 36 (Grafana 9+)")
variables = {v["name"]: v for v in d["templating"]["list"]}
need(variables.get("datasource", {}).get("type") == "datasource" and
     variables["datasource"].get("query") == "prometheus", "a Prometheus data source variable")
ids, used, ntargets, kinds = set(), set(), 0, {}
for p in d["panels"]:
    need(p["id"] not in ids, "unique panel id %s" % p["id"])
    ids.add(p["id"])
    g = p.get("gridPos", {})
    need(all(k in g for k in "hwxy") and g["x"] + g["w"] <= 24 and g["w"] > 0 and g["h"] > 0,
         "panel %s fits the 24-column grid" % p["title"])
    kinds[p["type"]] = kinds.get(p["type"], 0) + 1
    need(p["type"] in ("row", "timeseries", "stat", "heatmap"), "panel %s has a known type" % p["title"])
    if p["type"] == "row":
        continue
    need(p.get("datasource") == {"type": "prometheus", "uid": "${datasource}"},
         "panel %s uses the data source variable" % p["title"])
    refs = [t["refId"] for t in p["targets"]]
    need(p["targets"] and len(refs) == len(set(refs)), "panel %s has targets with distinct refIds" % p["title"])
    for t in p["targets"]:
        ntargets += 1
        need(t.get("datasource") == p["datasource"] and t.get("expr"), "target of %s" % p["title"])
        used |= set(re.findall(r"\$(\w+)", t["expr"]))
        if p["type"] == "heatmap":
            need(t.get("format") == "heatmap" and "_bucket" in t["expr"] and "by (le)" in t["expr"],
                 "heatmap %s sums histogram buckets by le" % p["title"])
for v in variables.values():
    used |= set(re.findall(r"\$(\w+)", str(v.get("query", ""))))
missing = {u for u in used if u not in variables and not u.startswith("__")}
need(not missing, "variables defined: %s" % sorted(missing))
print("%d panels (%s), %d targets, variables %s" % (len(ids), ", ".join(
    "%d %s" % (n, k) for k, n in sorted(kinds.items())), ntargets, " ".join(sorted(variables))))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
expect_rc 0 "the dashboard is well formed: $(cat "$_out")"
grep FAIL "$_out" | head -5 | sed 's/^/    | /'
grep -q '"heatmap"' "$DASH" && [ "$(grep -c '"type": "heatmap"' "$DASH")" -ge 4 ]
check $? "it has latency heatmaps (run queue, disk reads and writes, system calls)"

# every expression parses: each becomes a recording rule promtool checks
"$PY" tests/promql_names.py exprs "$DASH" >"$TMP/exprs"
NEXPR=$(wc -l <"$TMP/exprs")
"$PY" - "$TMP/exprs" >"$TMP/dash-rules.yml" <<'PY'
import sys, yaml
rules = [{"record": "dashboard:expr_%d" % i, "expr": e}
         for i, e in enumerate(open(sys.argv[1]).read().splitlines())]
print(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
PY
run promtool check rules "$TMP/dash-rules.yml"
expect_rc 0 "promtool parses each of the $NEXPR expressions"
sed 's/^/    | /' "$_err" | head -5
sed '1s/$/)/' "$TMP/exprs" >"$TMP/bad-exprs"
"$PY" -c 'import sys, yaml; print(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"record": "x:y", "expr": l} for l in open(sys.argv[1]).read().splitlines()[:1]]}]}))' \
	"$TMP/bad-exprs" >"$TMP/bad.yml"
run promtool check rules "$TMP/bad.yml"
[ "$_rc" -ne 0 ]
check $? "  and a broken one would not parse"

require_root
start_daemon "$KSTATD" --pin-path "$PIN" --socket "$TMP/kstat.sock"
# the system-call and run-queue panels need the syscall, syscall_time and sched providers,
# detached by default
KSTAT_SOCKET="$TMP/kstat.sock" "$OUTPUT/kstat" -w kstatd:0:config:syscall=1 \
	-w kstatd:0:config:syscall_time=1 -w kstatd:0:config:sched=1
for _i in $(seq 1 30); do
	curl -s "$(daemon_url)/metrics" >"$TMP/metrics"
	grep -q '^kstat_syscall_lat_seconds_bucket' "$TMP/metrics" &&
		grep -q '^kstat_cpu_runq_lat_seconds_bucket' "$TMP/metrics" && break
	sleep 0.1
done
curl -s "$(daemon_url)/metrics" >"$TMP/metrics"
stop_daemon
run "$PY" tests/promql_names.py --rules deploy/prometheus/kstatd.rules.yml check "$TMP/metrics" "$DASH"
expect_rc 0 "every metric the dashboard uses is one kstatd serves or a shipped rule records"
sed 's/^/    | /' "$_out" | head -10
finish
