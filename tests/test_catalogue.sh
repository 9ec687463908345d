#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# The illumos catalogue as its consumers read it.  tests/illumos/ks_consumers,
# written against the illumos API only and built 64-bit and 32-bit, reads
# what node_exporter's and collectd's illumos code read (cpu:N:sys ticks,
# cpu_info clocks, the RAW cpu_stat, unix:0:system_pages, class net and
# disk kstats, boot_time, nthreads); tests/catalogue_check.py holds each
# value between Linux's own books read just before and just after.  Then
# OpenZFS's kstats from a fixture tree in the SPL's format
# (tests/spl/kstat, --spl-kstat-dir), and unix:0:sysinfo and vminfo, which
# sum once a second.
set -u
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d)
chmod 755 "$TMP"
PIN=/sys/fs/bpf/kstatd-catalogue-test-$$
SPL=$(cd "$(dirname "$0")/spl/kstat" && pwd)
trap 'kill_daemons; rm -rf "$TMP" "$PIN"' EXIT
require_root

run "$OUTPUT/kstatd" --spl-kstat-dir relative/dir --socket "$TMP/x.sock"
expect_rc 2 "--spl-kstat-dir takes only an absolute path"
expect_err "absolute path" "and says so"

export KSTAT_SOCKET="$TMP/kstat.sock"
start_daemon "$(dirname "$0")/kstatd-test" --socket "$KSTAT_SOCKET" --pin-path "$PIN" \
	--spl-kstat-dir "$SPL"

# books DIR: what the client's values are held against
books() {
	mkdir -p "$1/net" "$1/block"
	cp /proc/stat /proc/meminfo "$1/"
	for i in /sys/class/net/*/statistics; do
	 	n=$(basename "$(dirname "$i")")
		mkdir -p "$1/net/$n"
		for c in rx_bytes tx_bytes rx_packets tx_packets rx_errors tx_errors; do
			cat "$i/$c" >"$1/net/$n/$c" 2>/dev/null
		done
		cat "$i/../ifindex" >"$1/net/$n/ifindex" 2>/dev/null
	done
	for b in /sys/class/block/*/stat; do
		n=$(basename "$(dirname "$b")")
		mkdir -p "$1/block/$n"
		cat "$b" >"$1/block/$n/stat"
	done
}

QEMU32=
"$OUTPUT/tests/illumos/ks_consumers32" </dev/null >/dev/null 2>&1
[ $? -eq 126 ] && QEMU32=$(command -v qemu-i386 || echo qemu-i386-missing)
for model in 64 32; do
	prog=$OUTPUT/tests/illumos/ks_consumers
	[ "$model" = 32 ] && prog="$QEMU32 ${prog}32"
	rm -rf "$TMP/early.$model" "$TMP/before.$model" "$TMP/after.$model"
	# an interface compared must have been there a sync before: other suites
	# make and delete theirs many times a second, under the same names
	books "$TMP/early.$model"
	sleep 1
	books "$TMP/before.$model"
	for n in "$TMP/before.$model"/net/*; do
		cmp -s "$n/ifindex" "$TMP/early.$model/net/$(basename "$n")/ifindex" 2>/dev/null &&
			: >"$n/settled"
	done
	run $prog
	books "$TMP/after.$model"
	expect_rc 0 "ks_consumers ($model-bit): every lookup and read of the consumers' kstats succeeds"
	grep '^FAIL' "$_err" | head -5 | sed 's/^/    /'
	cp "$_out" "$TMP/client.$model"
	# the 32-bit run's rates are taken since the 64-bit run
	prev=
	[ "$model" = 32 ] && prev="$TMP/client.64 $TMP/before.64 $TMP/after.64"
	/usr/bin/python3 "$(dirname "$0")/catalogue_check.py" "$TMP/client.$model" "$TMP/before.$model" \
		"$TMP/after.$model" "$SPL/zfs/arcstats" $prev >"$TMP/checks" 2>&1
	check $? "the client's values were compared ($model-bit)"
	while IFS="$(printf '\t')" read -r rc what; do
		check "$rc" "$model-bit: $what"
	done <"$TMP/checks"
done

# OpenZFS: every statistic of each SPL file, as its file has it
run "$OUTPUT/kstat" -p zfs:0:arcstats zfs:0:zfetchstats zfs/tank:0:io zfs/tank:0:objset-0x36
expect_rc 0 "kstat reads the SPL's kstats"
/usr/bin/python3 - "$SPL" "$_out" >"$TMP/zfs" <<'PY'
import sys
spl, out = sys.argv[1:]
got = {}
for line in open(out):
    k, _, v = line.rstrip("\n").partition("\t")
    got[k] = v
want = {}
for mod, name in (("zfs", "arcstats"), ("zfs", "zfetchstats"), ("zfs/tank", "objset-0x36")):
    rows = open("%s/%s/%s" % (spl, mod, name)).read().split("\n")[2:]
    for row in rows:
        w = row.split(None, 2)
        if len(w) == 3:
            want["%s:0:%s:%s" % (mod, name, w[0])] = w[2].strip()
io = open(spl + "/zfs/tank/io").read().split("\n")
for k, v in zip(io[1].split(), io[2].split()):
    k = {"wupdate": "wlastupdate", "rupdate": "rlastupdate"}.get(k, k)
    want["zfs/tank:0:io:" + k] = v
bad = [k for k in want if got.get(k) != want[k]]
print(len(want), len(bad), " ".join("%s=%s(want %s)" % (k, got.get(k), want[k]) for k in bad[:5]))
PY
read -r nwant nbad detail <"$TMP/zfs"
[ "${nwant:-0}" -gt 40 ] && [ "${nbad:-1}" -eq 0 ]
check $? "every SPL statistic is served as its file has it (${nwant:-0} compared) ${detail:-}"
run "$OUTPUT/kstat" -p -c disk zfs/tank:0:io:class
expect_out "zfs/tank:0:io:class	disk" "a pool's io kstat is class disk, as OpenZFS creates it"
run "$OUTPUT/kstat" -p zfs/tank:0:objset-0x36:dataset_name
expect_out "	tank/home$" "a dataset's name is a string statistic"

# unix:0:sysinfo and vminfo: sums taken once a second
run "$OUTPUT/kstat" -p unix:0:sysinfo:updates unix:0:vminfo:updates unix:0:vminfo:freemem
s0=$(awk '/sysinfo:updates/ { print $2 }' "$_out")
v0=$(awk '/vminfo:updates/ { print $2 }' "$_out")
f0=$(awk '/vminfo:freemem/ { print $2 }' "$_out")
sleep 3
run "$OUTPUT/kstat" -p unix:0:sysinfo:updates unix:0:vminfo:updates unix:0:vminfo:freemem
s1=$(awk '/sysinfo:updates/ { print $2 }' "$_out")
v1=$(awk '/vminfo:updates/ { print $2 }' "$_out")
f1=$(awk '/vminfo:freemem/ { print $2 }' "$_out")
[ $((s1 - s0)) -ge 2 ] && [ $((s1 - s0)) -le 4 ]
check $? "sysinfo:updates counts seconds (+$((s1 - s0)) in 3 s)"
[ $((v1 - v0)) -ge 2 ] && [ $((v1 - v0)) -le 4 ]
check $? "vminfo:updates counts seconds (+$((v1 - v0)) in 3 s)"
free=$(awk '/^MemFree:/ { print int($2 * 1024 / '"$(getconf PAGESIZE)"') }' /proc/meminfo)
per=$(( (f1 - f0) / (v1 - v0) ))
[ "$per" -gt $((free * 9 / 10)) ] && [ "$per" -lt $((free * 11 / 10)) ]
check $? "vminfo:freemem adds the free pages each second ($per a second, MemFree $free pages)"
stop_daemon
expect_rc 0 "kstatd stops cleanly"
finish
