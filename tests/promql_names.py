#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""The metric names PromQL expressions use, and whether they exist.

    promql_names.py [--var NAME=VALUE]... exprs FILE...
                                           print every expression, one per line
    promql_names.py check METRICS FILE...  every name used must be served

FILE is a Prometheus rules file (the expr of every rule) or a Grafana
dashboard (the expr of every target, its template variables' queries).
Grafana's variables are replaced by values PromQL parses ($__rate_interval
by 1m, every other by .* unless --var gives its value).  METRICS is a scrape of kstatd's /metrics: a name
is served if it is a family there (with _bucket, _sum, _count for
histograms), the record of a rule in the FILEs given or in the files
named by --rules, or one of Prometheus's own (up, scrape_*).  `check`
prints each unknown name with the expression using it and exits 1.
"""
import json
import re
import sys

import yaml

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan", "atan2", "le"}
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                  "scrape_samples_post_metric_relabeling", "scrape_series_added", "ALERTS"}


def grafana_exprs(d):
    out = []

    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("expr"), str):
                out.append(o["expr"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(d.get("panels", []))
    for v in d.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and isinstance(q, str):
            m = re.match(r"label_values\((.*),\s*\w+\)$", q.strip())
            out.append(m.group(1) if m else q)
    return out


def load(path):
    """(expressions, recorded names) of a rules file or a dashboard"""
    if path.endswith(".json"):
        return grafana_exprs(json.load(open(path))), set()
    doc = yaml.safe_load(open(path))
    exprs, records = [], set()
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            exprs.append(r["expr"])
            if "record" in r:
                records.add(r["record"])
    return exprs, records


VARS = {}


def grafana_to_promql(e):
    e = e.replace("$__rate_interval", "1m").replace("$__interval", "1m")
    e = e.replace("$__range", "1h")
    e = re.sub(r"\$\{(\w+)(:\w+)?\}", lambda m: VARS.get(m.group(1), ".*"), e)
    return re.sub(r"\$(\w+)", lambda m: VARS.get(m.group(1), ".*"), e)


def names(expr):
    e = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    found = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        tok, rest = m.group(0), e[m.end():]
        if tok.lower() in KEYWORDS or re.match(r"\s*\(", rest):
            continue
        if re.match(r"^\d", tok) or re.match(r"^[0-9.]+[smhdwy]$", tok):
            continue
        found.add(tok)
    return found


def served(metrics_text):
    fams, kinds = set(), {}
    for line in metrics_text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            fams.add(m.group(1))
            kinds[m.group(1)] = m.group(2)
    for f, k in kinds.items():
        if k in ("histogram", "summary"):
            fams |= {f + "_bucket", f + "_sum", f + "_count"}
    return fams


def main(argv):
    rules = []
    while len(argv) > 2 and argv[1] in ("--rules", "--var"):
        if argv[1] == "--rules":
            rules.append(argv[2])
        else:
            k, _, v = argv[2].partition("=")
            VARS[k] = v
        argv = argv[:1] + argv[3:]
    if len(argv) >= 3 and argv[1] == "exprs":
        for f in argv[2:]:
            for e in load(f)[0]:
                print(" ".join(grafana_to_promql(e).split()))
        return 0
    if len(argv) < 4 or argv[1] != "check":
        print(__doc__, file=sys.stderr)
        return 2
    known = served(open(argv[2]).read()) | PROMETHEUS_OWN
    for f in rules + argv[3:]:
        known |= load(f)[1]
    bad, used, nexpr = 0, set(), 0
    for f in argv[3:]:
        for e in load(f)[0]:
            nexpr += 1
            for n in sorted(names(grafana_to_promql(e))):
                used.add(n)
                if n not in known:
                    bad += 1
                    print("%s: %s is neither served nor recorded, in: %s" %
                          (f, n, " ".join(e.split())))
    print("%d expressions use %d names: %s" % (nexpr, len(used), "all known" if not bad else
                                               "%d unknown" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
