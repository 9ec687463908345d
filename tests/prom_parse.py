#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Read a kstatd scrape in both formats with python3-prometheus-client's
parsers, the way a third-party consumer would, and check that:
  - every family parses, in text 0.0.4 and in OpenMetrics 1.0.0;
  - both formats hold the same families, types and samples;
  - the families named on the command line are there, with their types.

  prom_parse.py TEXT_FILE OM_FILE [family:type]...

Runs under /usr/bin/python3: the Debian package installs the module there
only.  Exits 0 when every check holds, 1 with the failures listed.
"""
import sys

from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

# samples whose value changes between two scrapes
MOVING = ("kstatd_scrape_duration_seconds", "kstat_cpu_", "kstatd_engine_",
          "kstat_unix_", "kstatd_provider_run_", "kstat_khist_", "kstat_ktest_",
          "kstat_disk_", "kstat_link_", "kstat_irq_", "kstat_syscall_",
          "kstat_ip_", "kstat_icmp_", "kstat_tcp_", "kstat_udp_",
          # the disk and net providers' books: requests untimed and reconciled,
          # namespaces met, links read
          "kstatd_provider_untimed", "kstatd_provider_reconciled", "kstatd_provider_missed",
          "kstatd_provider_entered", "kstatd_provider_discover", "kstatd_provider_namespaces",
          "kstatd_provider_links", "kstatd_provider_kstats", "kstatd_provider_map_entries",
          "kstat_zfs", "kstat_cpu_stat")


def families(parse, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = {}
    for fam in parse(text):
        if fam.name in out:
            raise ValueError("%s: family %s appears twice" % (path, fam.name))
        out[fam.name] = fam
    return out


def base(name, typ):
    """The family name OpenMetrics uses: no _total or _info"""
    for suffix, t in (("_total", "counter"), ("_info", "info")):
        if typ == t and name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def main():
    fails = []
    text = families(text_parse, sys.argv[1])
    om = families(om_parse, sys.argv[2])
    # the text parser keeps _total on counters in some versions, strips it in others
    text_by_base = {}
    for name, fam in text.items():
        typ = fam.type
        if typ == "gauge" and name.endswith("_info"):
            typ = "info"
        text_by_base[base(name, "counter" if typ == "counter" else typ)] = (typ, fam)

    if set(text_by_base) != set(om):
        fails.append("families differ: text only %s, OpenMetrics only %s"
                     % (sorted(set(text_by_base) - set(om)), sorted(set(om) - set(text_by_base))))
    for name, fam in om.items():
        if name not in text_by_base:
            continue
        ttyp, tfam = text_by_base[name]
        if ttyp != fam.type:
            fails.append("%s: %s in text, %s in OpenMetrics" % (name, ttyp, fam.type))
        tsamples = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in tfam.samples}
        osamples = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in fam.samples}
        if set(tsamples) != set(osamples):
            fails.append("%s: series differ between the formats" % name)
            continue
        if name.startswith(MOVING):
            continue
        for key, v in tsamples.items():
            if osamples[key] != v:
                fails.append("%s: %s in text, %s in OpenMetrics" % (key, v, osamples[key]))
        if not fam.samples:
            fails.append("%s: no samples" % name)

    for want in sys.argv[3:]:
        name, typ = want.split(":")
        if name not in om:
            fails.append("missing family %s" % name)
        elif om[name].type != typ:
            fails.append("%s is %s, not %s" % (name, om[name].type, typ))

    for name, fam in om.items():
        if fam.type != "histogram":
            continue
        series = {}
        for s in fam.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, []).append(s)
        for key, samples in series.items():
            buckets = [s for s in samples if s.name.endswith("_bucket")]
            counts = [s.value for s in buckets]
            if counts != sorted(counts) or buckets[-1].labels["le"] != "+Inf":
                fails.append("%s%s: buckets not cumulative up to +Inf" % (name, key))
            total = [s.value for s in samples if s.name.endswith("_count")]
            if total and total[0] != counts[-1]:
                fails.append("%s%s: _count %s but +Inf bucket %s" % (name, key, total[0], counts[-1]))

    print("%d families in text, %d in OpenMetrics" % (len(text), len(om)))
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
