#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Write deploy/kubernetes/prometheusrule.yaml: the groups of
deploy/prometheus/kstatd.rules.yml and kstatd.alerts.yml as one
PrometheusRule of the Prometheus Operator.
    scripts/prometheusrule.py RULES ALERTS > prometheusrule.yaml"""
import sys

import yaml

HEAD = """# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# deploy/prometheus/kstatd.rules.yml and kstatd.alerts.yml for the
# Prometheus Operator; tests/test_kubernetes.sh checks they are the same
# rules.  Regenerate with: make deploy/kubernetes/prometheusrule.yaml
"""

groups = []
for path in sys.argv[1:]:
    groups += yaml.safe_load(open(path))["groups"]
doc = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
       "metadata": {"name": "kstatd", "namespace": "kstatd",
                    "labels": {"app.kubernetes.io/name": "kstatd",
                               "release": "kube-prometheus-stack"}},
       "spec": {"groups": groups}}
sys.stdout.write(HEAD + yaml.safe_dump(doc, sort_keys=False, width=100))
