#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Selections pushed down (a walk reads only the maps of the kstats it
# wants) print exactly what the unfiltered path prints for the same
# kstats: /metrics?collect[]=ktest against the ktest families of a whole
# scrape, /kstat?module=ktest against the ktest kstats of /kstat, and
# kstat -p ktest against the ktest lines of kstat -p; the ktest provider
# holds known values, so that two reads agree.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kstat_lib.sh"
PY=${PYTHON:-python3}

require_root
start_ktest
ktest_values
URL=$(daemon_url)

# ktest's samples of a scrape: its own families, and the shared ones
# (kstat_disk_* of its IO kstat) where driver="ktest" says whose they are
ktest_samples() {
	grep -E '^kstat_ktest_|^kstat_[a-z0-9_]+\{(.*,)?driver="ktest"' "$1"
}

curl -sf -o "$TMP/all.txt" "$URL/metrics"
check $? "a whole scrape"
curl -sfg -o "$TMP/some.txt" "$URL/metrics?collect[]=ktest"
check $? "a scrape of collect[]=ktest"
ktest_samples "$TMP/all.txt" >"$TMP/all.ktest"
ktest_samples "$TMP/some.txt" >"$TMP/some.ktest"
[ -s "$TMP/all.ktest" ]
check $? "the whole scrape has ktest samples"
same "$TMP/all.ktest" "$TMP/some.ktest" "collect[]=ktest: the ktest samples of a whole scrape"
grep -E '^kstat_' "$TMP/some.txt" >"$TMP/some.kstat"
same "$TMP/some.ktest" "$TMP/some.kstat" "collect[]=ktest: no other module's kstats"

# collect[]=disk: every block device's series (their modules are their
# drivers), found through the classes of their kstats; values may move
# between two scrapes of real disks, so the series are compared, not values.
# Other suites set loop devices up and tear them down meanwhile: the
# filtered scrape counts when the whole scrapes around it agree.
disk_series() {
	grep -E '^kstat_disk_' "$1" | sed 's/ [^ ]*$//' | sort
}
for _ in 1 2 3 4 5; do
	curl -sf -o "$TMP/all.txt" "$URL/metrics"
	curl -sfg -o "$TMP/disk.txt" "$URL/metrics?collect[]=disk"
	rc=$?
	curl -sf -o "$TMP/all2.txt" "$URL/metrics"
	disk_series "$TMP/all.txt" >"$TMP/all.disk"
	disk_series "$TMP/all2.txt" >"$TMP/all2.disk"
	cmp -s "$TMP/all.disk" "$TMP/all2.disk" && break
	sleep 0.5
done
check $rc "a scrape of collect[]=disk"
disk_series "$TMP/disk.txt" >"$TMP/some.disk"
grep -q 'driver="ktest"' "$TMP/some.disk"
check $? "collect[]=disk has ktest's IO kstat"
same "$TMP/all.disk" "$TMP/some.disk" "collect[]=disk: the kstat_disk series of a whole scrape"
grep -E '^kstat_' "$TMP/disk.txt" | grep -vE '^kstat_disk_' >"$TMP/disk.other"
[ ! -s "$TMP/disk.other" ]
check $? "collect[]=disk: no other family"

# /kstat: the same kstats and values, times left out (each read stamps its own)
curl -sf -o "$TMP/all.json" "$URL/kstat"
curl -sf -o "$TMP/some.json" "$URL/kstat?module=ktest"
"$PY" - "$TMP/all.json" "$TMP/some.json" <<'PYEOF'
import json, sys

def ktest(path, only):
    out = []
    for k in json.load(open(path)):
        if only and k["module"] != "ktest":
            continue
        assert k["module"] == "ktest", k["module"]
        k.pop("snaptime", None)
        if isinstance(k.get("data"), dict):
            k["data"].pop("snaptime", None)
        out.append(k)
    return out

a, b = ktest(sys.argv[1], True), ktest(sys.argv[2], False)
assert a, "no ktest kstats in /kstat"
assert a == b, (a, b)
PYEOF
check $? "/kstat?module=ktest: the ktest kstats of /kstat"

run "$KSTAT" -p
norm <"$_out" | grep '^ktest:' >"$TMP/all.p"
run "$KSTAT" -p ktest
norm <"$_out" >"$TMP/some.p"
[ -s "$TMP/some.p" ]
check $? "kstat -p ktest prints"
same "$TMP/all.p" "$TMP/some.p" "kstat -p ktest: the ktest lines of kstat -p"
stop_daemon
rm -rf "$PIN"
finish
