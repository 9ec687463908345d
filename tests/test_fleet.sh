#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# A fleet end to end: three kstatd "hosts", each in a network namespace
# of its own with its own address (a veth pair to this namespace), its
# own socket and pin path, scraped by one real Prometheus that runs the
# shipped deploy/prometheus directory as it is (prometheus.yml, the
# recording rules and the alerts), with a targets file naming the three.
# The fleet-level series Prometheus records (job:..., e.g. context
# switches per second across the hosts) equal the sum of the three hosts'
# own (instance:...) at the same evaluation, and each host's equals what
# Prometheus computes from that host's raw counters; every shipped rule
# evaluates without error; every expression of the Grafana dashboard
# returns data from this fleet; a host that goes away leaves the fleet
# count.
set -u
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
TMP=$(mktemp -d)
N=3
PORT=28738
PROM_PID=
IO_PID=
NIC_PID=
cleanup() {
	kill_daemons
	kill_ours $IO_PID $NIC_PID $PROM_PID
	wait 2>/dev/null
	for i in $(seq 1 $N); do
		ip netns del "kfleet-$$-$i" 2>/dev/null
		ip link del "kf$$r$i" 2>/dev/null
		rm -rf "/sys/fs/bpf/kstatd-fleet-$$-$i"
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
require_root
command -v prometheus >/dev/null && command -v nsenter >/dev/null
check $? "prometheus and nsenter are installed"

# a /24 per host in 198.18.0.0/15 (RFC 2544 test networks), unused here
NET=
for try in 0 1 2 3 4 5 6 7; do
	o=$(((($$ + try * 17) % 60) * 4))
	ip -4 route | grep -qE "^198\.18\.($o|$((o + 1))|$((o + 2))|$((o + 3)))\." || { NET=$o; break; }
done
[ -n "$NET" ]
check $? "a free test subnet (198.18.$NET.0/22)"

TARGETS=
for i in $(seq 1 $N); do
	ns=kfleet-$$-$i r=kf$$r$i n=kf$$n$i a=198.18.$((NET + i - 1))
	ip netns add "$ns" && ip link add "$r" type veth peer name "$n" &&
		ip link set "$n" netns "$ns" && ip addr add "$a.1/24" dev "$r" && ip link set "$r" up &&
		ip -n "$ns" addr add "$a.2/24" dev "$n" && ip -n "$ns" link set "$n" up &&
		ip -n "$ns" link set lo up
	check $? "host $i: namespace $ns, address $a.2, a veth pair to this namespace"
	start_daemon nsenter --net="/run/netns/$ns" "$OUTPUT/kstatd" --web.listen-address "$a.2:$PORT" \
		--socket "$TMP/host$i.sock" --pin-path "/sys/fs/bpf/kstatd-fleet-$$-$i" --provider-dir=
	eval "PID$i=\$DAEMON_PID"
	curl -s --max-time 3 "http://$a.2:$PORT/metrics" | grep -q '^kstat_cpu_pswitch_total{'
	check $? "  kstatd serves on http://$a.2:$PORT, reached through the veth"
	TARGETS="$TARGETS${TARGETS:+, }'$a.2:$PORT'"
done
# host 1 also counts and times system calls and run queues (detached by default), for the dashboard
KSTAT_SOCKET="$TMP/host1.sock" "$OUTPUT/kstat" -w kstatd:0:config:syscall=1 \
	-w kstatd:0:config:syscall_time=1 -w kstatd:0:config:sched=1
check $? "host 1 attaches its syscall, syscall_time and sched providers"
# some direct disk I/O while Prometheus scrapes, for the disk panels
sh -c "while :; do dd if=/dev/zero of='$TMP/io' bs=64k count=16 oflag=direct 2>/dev/null; sleep 1; done" &
IO_PID=$!
# and a datagram a second to the default gateway's discard port, so that
# this machine's NIC (a "device", which the fleet's network total counts)
# carries traffic; without a default route the total may read zero
GW=$(ip -4 route show default | sed -n 's/.* via \([0-9.]*\).*/\1/p' | head -1)
if [ -n "$GW" ]; then
	"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    s.sendto(b"k" * 1000, (sys.argv[1], 9))
    time.sleep(1)' "$GW" &
	NIC_PID=$!
fi
# the host addresses live in their namespaces only
! ip -4 addr | grep -q "198\.18\.$NET\.2/"
check $? "the hosts' addresses are not this namespace's"

# the shipped directory, as a user installs it, with our hosts as targets
cp -r deploy/prometheus "$TMP/prom"
rm -f "$TMP/prom/targets/"*.yml
printf -- "- targets: [%s]\n" "$TARGETS" >"$TMP/prom/targets/fleet.yml"
PPORT=$(free_port)
prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
API=http://127.0.0.1:$PPORT/api/v1

# query EXPR [TIME]: "labels value" per series of an instant query, sorted
query() {
	curl -s --max-time 5 --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} "$API/query" |
		"$PY" -c 'import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m = r["metric"]
    print(",".join("%s=%s" % (k, m[k]) for k in sorted(m) if k != "__name__"), r["value"][1])' \
		2>/dev/null | sort
}

UP=
for _i in $(seq 1 120); do
	UP=$(query 'count(up{job="kstatd"} == 1)' | cut -d' ' -f2)
	[ "$UP" = $N ] && break
	sleep 0.5
done
[ "$UP" = $N ]
check $? "Prometheus scrapes all $N hosts (up == 1 for $UP)"
if [ "$UP" != $N ]; then
	tail -5 "$TMP/prometheus.log" | sed 's/^/    | /'
	finish
fi
query 'up{job="kstatd"}' | cut -d' ' -f1 >"$TMP/instances"
[ "$(grep -c "instance=198\.18\.[0-9]*\.2:$PORT" "$TMP/instances")" -eq $N ]
check $? "each host is its own instance, by its own address"

# wait for an evaluation that recorded every host (rate needs two scrapes)
T=
for _i in $(seq 1 150); do
	T=$(query 'timestamp(job:kstat_cpu_pswitch:rate1m)' | cut -d' ' -f2)
	if [ -n "$T" ] && [ "$(query 'count(instance:kstat_cpu_pswitch:rate1m)' "$T" | cut -d' ' -f2)" = $N ]; then
		break
	fi
	T=
	sleep 0.5
done
[ -n "$T" ]
check $? "the recording rules ran on all $N hosts (evaluation at $T)"
[ -n "$T" ] || finish

# next_eval RULE COUNT_RULE: T becomes the next evaluation of RULE's group
# (after the T it had) at which COUNT_RULE has all N hosts
next_eval() {
	_was=$T
	for _i in $(seq 1 80); do
		T=$(query "timestamp($1)" | cut -d' ' -f2)
		[ -n "$T" ] && [ "$T" != "$_was" ] &&
			[ "$(query "count($2)" "$T" | cut -d' ' -f2)" = $N ] && return 0
		sleep 0.5
	done
	return 1
}

# A scrape that ends after the rules ran at T appends samples stamped
# before T (Prometheus stamps a scrape with its start): the raw series at T
# then hold what the rules did not see.  The phase between a target's
# scrapes and a rule group's evaluations stays the same run long, so a
# host whose scrape was still running at T is left out of the comparison
# with its raw series (never more than N-1 hosts), and a comparison that
# fails is made again at the next evaluations (3 in all).
TRIES=3

# late_hosts: the instances whose last scrape at or before T ended later
# than 50 ms before T
late_hosts() {
	query 'max by (instance) (timestamp(scrape_duration_seconds{job="kstatd"}) + scrape_duration_seconds{job="kstatd"})' "$T" |
		"$PY" -c 'import sys
t = float(sys.argv[1])
for l in sys.stdin:
    k, v = l.rsplit(" ", 1)
    if float(v) > t - 0.05:
        print(k.replace("instance=", ""))' "$T"
}

# same_sum WHAT JOB_RULE INSTANCE_RULE RAW [ZERO_OK]: at an evaluation of
# the group of JOB_RULE (groups run apart), the fleet's = the sum of the
# hosts' (each above zero unless ZERO_OK)
same_sum() {
	for _try in $(seq 1 $TRIES); do
		next_eval "$2" "$3"
		sum_at_t "$@" && break
	done
	check $? "$1: fleet $(cat "$_out")"
}

sum_at_t() {
	FLEET=$(query "$2" "$T" | cut -d' ' -f2)
	query "$3" "$T" >"$TMP/hosts"
	query "sum by (instance) ($4)" "$T" >"$TMP/raw"
	late_hosts >"$TMP/late"
	"$PY" - "$FLEET" "$TMP/hosts" "$TMP/raw" "$N" "${5:-}" "$TMP/late" >"$_out" <<'PY'
import sys
fleet, n, zero_ok = float(sys.argv[1]), int(sys.argv[4]), sys.argv[5] == "zero_ok"
late = set(open(sys.argv[6]).read().split())
hosts = dict(l.rsplit(" ", 1) for l in open(sys.argv[2]).read().splitlines())
raw = {k.replace("instance=", ""): float(v) for k, v in
       (l.rsplit(" ", 1) for l in open(sys.argv[3]).read().splitlines())}
vals = {k.split("instance=")[1].split(",")[0]: float(v) for k, v in hosts.items()}
assert len(vals) == n and all(v > 0 or zero_ok and v == 0 for v in vals.values()), vals
assert abs(fleet - sum(vals.values())) <= 1e-9 * fleet, (fleet, vals)
assert len(late & set(vals)) < n, ("every host's scrape ran at the evaluation", late)
for k, v in vals.items():
    assert k in late or abs(raw[k] - v) <= 1e-9 * max(v, 1e-9), (k, raw[k], v)
print("%.3f = %s%s" % (fleet, " + ".join("%.3f" % vals[k] for k in sorted(vals)),
      "".join(" (%s: scrape ran at the evaluation, not compared with its raw series)" % k
              for k in sorted(late & set(vals)))))
PY
}
same_sum "context switches per second" 'job:kstat_cpu_pswitch:rate1m' \
	'instance:kstat_cpu_pswitch:rate1m' 'rate(kstat_cpu_pswitch_total{job="kstatd"}[1m])'
same_sum "forks per second" 'job:kstat_cpu_sysfork:rate1m' \
	'instance:kstat_cpu_sysfork:rate1m' 'rate(kstat_cpu_sysfork_total{job="kstatd"}[1m])'
same_sum "CPU seconds busy per second" 'job:kstat_cpu_busy_seconds:rate1m' \
	'instance:kstat_cpu_busy_seconds:rate1m' \
	'rate(kstat_cpu_user_seconds_total{job="kstatd"}[1m]) + rate(kstat_cpu_kernel_seconds_total{job="kstatd"}[1m]) + rate(kstat_cpu_intr_seconds_total{job="kstatd"}[1m])'
# network: devices only; the scrapes cross the hosts' veth pairs, which the
# fleet must not count
same_sum "network bytes per second on devices" 'job:kstat_link_bytes:rate1m' \
	'sum by (job, instance) (instance_link:kstat_link_rbytes:rate1m{kind="device"}) + on (job, instance) sum by (job, instance) (instance_link:kstat_link_obytes:rate1m{kind="device"})' \
	'rate(kstat_link_rbytes_total{job="kstatd",kind="device"}[1m]) + rate(kstat_link_obytes_total{job="kstatd",kind="device"}[1m])' "$([ -n "$GW" ] || echo zero_ok)"
VETH=$(query 'sum(instance_link:kstat_link_rbytes:rate1m{kind="veth"})' "$T" | cut -d' ' -f2)
"$PY" -c 'import sys; sys.exit(not float(sys.argv[1]) > 0)' "${VETH:-0}"
check $? "the scrapes' veth traffic ($VETH B/s received) is recorded per link but left out of the fleet's"
same_sum "online CPUs" 'job:kstat_unix_ncpus:sum' 'instance:kstat_unix_ncpus:sum' \
	'kstat_unix_ncpus{job="kstatd"}'
# disks: the fleet counts whole disks only (ks_class="disk"), never the same
# I/O again through a partition or a stacked device
for _try in $(seq 1 $TRIES); do
	next_eval 'job:kstat_disk_bytes:rate1m' 'instance:kstat_cpu_pswitch:rate1m'
	FLEET=$(query 'job:kstat_disk_bytes:rate1m' "$T" | cut -d' ' -f2)
	RAW=$(query 'sum(rate(kstat_disk_nread_bytes_total{job="kstatd",ks_class="disk"}[1m]) + on (instance, driver, ks_name) rate(kstat_disk_nwritten_bytes_total{job="kstatd",ks_class="disk"}[1m]))' "$T" | cut -d' ' -f2)
	"$PY" -c 'import sys; f, r = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(f - r) > 1e-9 * max(f, 1))' \
		"${FLEET:-nan}" "${RAW:-0}" && break
done
check $? "disk bytes per second: fleet $FLEET = the whole disks' $RAW"
[ -z "$(query 'count(kstat_disk_reads_total{job="kstatd",ks_class=""})')" ] &&
	[ -n "$(query 'count(kstat_disk_reads_total{job="kstatd",ks_class="disk"})')" ]
check $? "every disk series says its class"

curl -s "$API/rules" | "$PY" -c 'import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
bad = [r["name"] + ": " + r.get("lastError", "") for r in rules if r["health"] != "ok"]
print(len(groups), len(rules), "; ".join(bad))
sys.exit(1 if bad or not rules else 0)' >"$_out"
check $? "every shipped rule evaluates cleanly on real data: $(cat "$_out") (groups, rules)"
FIRING=$(curl -s "$API/alerts" | "$PY" -c 'import json, sys
print(" ".join(sorted({a["labels"]["alertname"] for a in json.load(sys.stdin)["data"]["alerts"] if a["state"] == "firing"})))')
[ -z "$FIRING" ]
check $? "no alert fires on a healthy fleet${FIRING:+ ($FIRING)}"

# every expression of the Grafana dashboard, as Grafana sends it for all hosts
"$PY" tests/promql_names.py --var job=kstatd --var instance='.*' --var disk='.*' --var nic='.*' \
	exprs deploy/grafana/kstatd.json >"$TMP/dash-exprs"
# (each rule group runs on its own schedule: give the last one an evaluation)
NDASH=$(wc -l <"$TMP/dash-exprs")
cp "$TMP/dash-exprs" "$TMP/empty"
for _i in $(seq 1 40); do
	: >"$TMP/still"
	while IFS= read -r e; do
		[ -z "$(query "$e")" ] && printf '%s\n' "$e" >>"$TMP/still"
	done <"$TMP/empty"
	mv "$TMP/still" "$TMP/empty"
	[ -s "$TMP/empty" ] || break
	sleep 1
done
EMPTY=$(wc -l <"$TMP/empty")
sed 's/^/    | no data: /' "$TMP/empty"
[ "$EMPTY" -eq 0 ] && [ "$NDASH" -ge 50 ]
check $? "each of the $NDASH dashboard expressions returns data from the fleet ($EMPTY without)"

# a host goes away: the fleet's count of hosts up follows
kill -TERM "$PID3"
for _i in $(seq 1 100); do
	[ "$(query 'job:kstatd_targets_up:sum' | cut -d' ' -f2)" = 2 ] && break
	sleep 0.5
done
V=$(query 'job:kstatd_targets_up:sum' | cut -d' ' -f2)
[ "$V" = 2 ]
check $? "a host stopped: job:kstatd_targets_up:sum is $V"
finish
