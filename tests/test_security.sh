#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# What an unprivileged user and a hostile HTTP client can do, as
# docs/security.md says:
#   - uid 65534 reads every kstat and gets EPERM on every write, through
#     kstat -w, libkstat and the preload shim, and the values stay;
#   - privilege is the peer's at connect time: a connection kept by one
#     process while the one that connected execs a setuid program stays
#     unprivileged; CAP_SYS_ADMIN of a non-root peer counts, the root of a
#     user namespace of its own does not;
#   - four users holding 300 idle connections each lock nobody out: root
#     and other users still read at once, the users themselves too;
#   - the socket is 0666 in a root-owned 0755 directory (under umask 077
#     too); the pin path and
#     its directories are root's 0755, the pins 0600: nobody may open,
#     add or remove any of them;
#   - basic auth answers a wrong password and an unknown user alike (the
#     same 401 on every path, in the same time, whatever each user's bcrypt
#     cost); a flood of wrong passwords (48 connections from 3 addresses)
#     leaves a scraper with the right password under 1 s at p99;
#   - huge, broken and endless requests get an error or a closed
#     connection, kstatd keeps answering, and its memory stays put.
set -u
. "$(dirname "$0")/lib.sh"
KSTATD=$(dirname "$0")/kstatd-test
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
PIN=/sys/fs/bpf/kstatd-sec-test-$$
TMP=$(mktemp -d)
chmod 755 "$TMP"
SOCK=$TMP/run/kstat.sock
trap 'kill_daemons; rm -rf "$PIN" "$TMP"' EXIT
require_root
export KSTAT_SOCKET=$SOCK
# what nobody runs, where nobody can reach it (the checkout may be in a 0700 home)
nobody_bin "$TMP/bin" kstat kstat_preload.so tests/illumos/ks_ioctl tests/peer_race
KSTAT=$TMP/bin/kstat

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# under ASan (make test-asan) freed memory waits in a quarantine of 256 MiB
# that the RSS checks would take for a leak: keep it at 16 MiB
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
mode() { stat -c '%a %U' "$1"; }

UMASK=$(umask)
umask 077
start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK" --provider "$OUTPUT/tests/ktest.bpf.o"
umask "$UMASK"

# --- permissions of what kstatd creates
[ "$(mode "$SOCK")" = "666 root" ]
check $? "the socket is 0666 root: every local user may connect ($(mode "$SOCK"))"
[ "$(mode "$TMP/run")" = "755 root" ]
check $? "in a directory kstatd made 0755 root ($(mode "$TMP/run"))"
$NOBODY rm -f "$SOCK" 2>/dev/null
[ -S "$SOCK" ]
check $? "nobody cannot remove or replace the socket"
[ "$(mode "$PIN")" = "755 root" ]
check $? "the pin path is 0755 root ($(mode "$PIN"))"
bad=$(find "$PIN" -mindepth 1 \( -type d ! -perm 755 -o -type f ! -perm 600 -o ! -user root \) | head -3)
[ -z "$bad" ] && [ "$(find "$PIN" -type f | wc -l)" -ge 5 ]
check $? "its directories are 0755 and its pins 0600, all root's${bad:+: $bad}"
pin=$(find "$PIN" -type f | head -1)
$NOBODY cat "$pin" >/dev/null 2>&1
[ $? -ne 0 ]
check $? "nobody cannot open a pin"
$NOBODY touch "$PIN/intruder" 2>/dev/null
[ ! -e "$PIN/intruder" ]
check $? "nobody cannot add to the pin path"
$NOBODY rm -f "$pin" 2>/dev/null
[ -e "$pin" ]
check $? "nobody cannot remove a pin"

# --- reads: everything; writes: EPERM
list_same() {
	for _ in 1 2 3; do
		"$KSTAT" -l | cut -d: -f1-3 | sort -u >"$TMP/root.l"
		$NOBODY "$KSTAT" -l | cut -d: -f1-3 | sort -u >"$TMP/nobody.l"
		cmp -s "$TMP/root.l" "$TMP/nobody.l" && return 0
		sleep 0.2 # a disk or NIC of another test came or went
	done
	return 1
}
list_same
check $? "nobody lists the same $(wc -l <"$TMP/root.l") kstats as root"
run $NOBODY "$KSTAT" -p
expect_rc 0 "nobody reads every kstat with kstat -p"
[ "$(grep -c . "$_out")" -gt 100 ]
check $? "and gets their statistics ($(grep -c . "$_out") lines)"
run $NOBODY env LD_PRELOAD="$TMP/bin/kstat_preload.so" "$TMP/bin/tests/illumos/ks_ioctl" unpriv
expect_rc 0 "nobody's ioctl()s through the shim read every kstat and get EPERM on every write"

"$KSTAT" -p 'kstatd:0:config' 'ktest:0:knobs' | grep -v snaptime >"$TMP/before"
writable=$(cut -f1 "$TMP/before" | grep -vE ':(class|crtime|snaptime)$')
n=0 eperm=0
for s in $writable cpu:0:sys:pswitch unix:0:system_misc:nproc; do
	n=$((n + 1))
	$NOBODY "$KSTAT" -w "$s=0" 2>"$TMP/w.err"
	rc=$?
	if [ $rc -eq 3 ] && grep -q "permission denied.*(EPERM)" "$TMP/w.err"; then
		eperm=$((eperm + 1))
	else
		echo "    | $s: exit $rc: $(cat "$TMP/w.err")"
	fi
done
[ "$n" -ge 8 ] && [ "$eperm" -eq "$n" ]
check $? "kstat -w as nobody: EPERM for each of $n statistics, writable or not ($eperm)"
"$KSTAT" -p 'kstatd:0:config' 'ktest:0:knobs' | grep -v snaptime >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after"
check $? "and every value stayed as it was"
run "$KSTAT" -w ktest:0:knobs:hist_value=7
expect_rc 0 "root may write"
run $NOBODY --inh-caps=+sys_admin --ambient-caps=+sys_admin "$KSTAT" -w ktest:0:knobs:hist_value=8
expect_rc 0 "nobody with CAP_SYS_ADMIN may write"
run $NOBODY unshare -U -r "$KSTAT" -w ktest:0:knobs:hist_value=9
expect_rc 3 "nobody as root of a user namespace of its own may not"
[ "$("$KSTAT" -p ktest:0:knobs:hist_value | cut -f2)" = 8 ]
check $? "and the value is the one the privileged writer wrote"

# --- the privilege race: connect, keep the connection in a child, exec su
SU=$(command -v su)
if [ -u "$SU" ]; then
	"$TMP/bin/tests/peer_race" --busy 200 >"$TMP/busy.out" 2>&1 &
	BUSY=$!
	for _ in $(seq 1 50); do grep -q '^busy 200' "$TMP/busy.out" && break; sleep 0.1; done
	run $NOBODY "$TMP/bin/tests/peer_race" 100 "$SU" root -c true
	kill "$BUSY"
	wait "$BUSY" 2>/dev/null
	sed 's/^/    /' "$_out"
	expect_out '^accepted 0, refused 100 \(EPERM\), other 0, of 100 tries$' \
		"a peer that execs su after connecting never writes (100 tries, 200 busy connections)"
else
	check 1 "a setuid-root su for the privilege race ($SU)"
fi

# --- four users, 300 idle connections each: nobody is locked out
cat >"$TMP/bin/hold.py" <<'PY'
import socket, sys, time
conns = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
print("connected", len(conns), flush=True)
time.sleep(float(sys.argv[3]))
PY
chmod 644 "$TMP/bin/hold.py"
HOLDERS=
for u in 60001 60002 60003 60004; do
	setpriv --reuid=$u --regid=$u --clear-groups /usr/bin/python3 "$TMP/bin/hold.py" "$SOCK" 300 30 \
		>"$TMP/hold.$u" 2>&1 &
	HOLDERS="$HOLDERS $!"
done
for _ in $(seq 1 100); do
	[ "$(cat "$TMP"/hold.* | grep -c '^connected 300')" -eq 4 ] && break
	sleep 0.1
done
[ "$(cat "$TMP"/hold.* | grep -c '^connected 300')" -eq 4 ]
check $? "four users made 300 connections each"
t0=$(date +%s%N)
"$KSTAT" -p unix:0:system_misc:lbolt >/dev/null
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" -eq 0 ] && [ "$ms" -lt 1000 ]
check $? "root still reads, in $ms ms (exit $rc)"
run $NOBODY "$KSTAT" -p unix:0:system_misc:lbolt
expect_rc 0 "another user still reads"
run setpriv --reuid=60001 --regid=60001 --clear-groups "$KSTAT" -p unix:0:system_misc:lbolt
expect_rc 0 "and so does one of the four (its oldest idle connection makes room)"
kill $HOLDERS 2>/dev/null
wait $HOLDERS 2>/dev/null

# --- hostile HTTP
URL=$(daemon_url)
PORT=${URL##*:}
for _ in 1 2 3; do curl -s -o /dev/null "$URL/metrics"; done
rss0=$(rss_kb "$DAEMON_PID")
run python3 "$(dirname "$0")/loadgen.py" hostile 127.0.0.1 "$PORT"
expect_rc 0 "kstatd answers after each of the hostile requests"
sed 's/^/    /' "$_out"
run python3 "$(dirname "$0")/loadgen.py" hostile 127.0.0.1 "$PORT"
rss1=$(rss_kb "$DAEMON_PID")
echo "    RSS ${rss0} kB before, ${rss1} kB after two rounds"
[ "$rss1" -lt $((rss0 + 16384)) ]
check $? "no hostile request makes kstatd keep memory (RSS grew $((rss1 - rss0)) kB)"
stop_daemon
expect_rc 0 "kstatd stops cleanly after them"
expect_no_sanitizer_report "$DAEMON_LOG" "no sanitizer report"

# --- basic auth: a wrong password and an unknown user look the same
HASH='$2y$06$fZ6JWXZg5Z2BLTgbo796HuC0Jzyh2sCjdALFYHx/tamYKrUpU79rC' # s3cret
printf 'basic_auth_users:\n  alice: %s\n' "$HASH" >"$TMP/web.yml"
start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK" --web.config.file "$TMP/web.yml"
URL=$(daemon_url)
answer() { # user:password path -> status, headers but Date, body
	curl -s -D - -u "$1" "$URL$2" | tr -d '\r' | grep -v '^Date:'
}
same=0 total=0
for path in / /metrics "/kstat?module=cpu" /nothing; do
	for cred in alice:wrong mallory:s3cret mallory:wrong alice: :s3cret \
		"$(printf 'a%.0s' $(seq 1 3000)):x"; do
		total=$((total + 1))
		answer "$cred" "$path" >"$TMP/a"
		answer alice:nope "$path" >"$TMP/b"
		head -1 "$TMP/a" | grep -q ' 401' && cmp -s "$TMP/a" "$TMP/b" && same=$((same + 1))
	done
done
[ "$same" -eq "$total" ]
check $? "the same 401 for wrong passwords, unknown users and empty names on every path ($same of $total)"
expect_file "$TMP/a" 'WWW-Authenticate: Basic realm="kstatd"' "the 401 says how to authenticate"
[ "$(curl -s -o /dev/null -w '%{http_code}' -u alice:s3cret "$URL/metrics")" = 200 ]
check $? "the right password gets in"
t_wrong=$(python3 - "$URL" <<'PY'
import base64, statistics, sys, time, urllib.request, urllib.error
def t(cred):
    r = urllib.request.Request(sys.argv[1] + "/metrics",
                               headers={"Authorization": "Basic " + base64.b64encode(cred).decode()})
    t0 = time.monotonic()
    try:
        urllib.request.urlopen(r, timeout=10)
    except urllib.error.HTTPError:
        pass
    return time.monotonic() - t0
w = statistics.median(t(b"alice:wrong%d" % i) for i in range(15))
u = statistics.median(t(b"mallory%d:wrong" % i) for i in range(15))
print("%.2f %.2f" % (w * 1000, u * 1000))
PY
)
echo "    median 401 time: wrong password ${t_wrong% *} ms, unknown user ${t_wrong#* } ms"
awk -v w="${t_wrong% *}" -v u="${t_wrong#* }" 'BEGIN { exit !(u > w / 3 && u < w * 3) }'
check $? "an unknown user costs a bcrypt as a wrong password does (within a factor of 3)"
# --- a flood of wrong passwords against bcrypt cost 10, and users of mixed cost
stop_daemon
printf 'basic_auth_users:\n  alice: %s\n  carol: %s\n' \
	'$2b$10$ofnF2YzoVTVM9BWdGWmis.6kDi1Q0jQtDPLCPYBlBqtGP7H.g1f16' \
	'$2b$04$d1vHAori0gGG2zXK75Olhu5TGDJMDmmJKKB6dN0Owym2ghyU/gukm' >"$TMP/web.yml"
start_daemon "$KSTATD" --pin-path "$PIN" --socket "$SOCK" --web.config.file "$TMP/web.yml"
URL=$(daemon_url)
run /usr/bin/python3 - "${URL##*:}" <<'PY'
import base64, http.client, statistics, sys, threading, time
port = int(sys.argv[1])
def get(cred, src="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(src, 0))
    c.request("GET", "/metrics", headers={"Authorization": "Basic " + base64.b64encode(cred).decode()})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status
def timed(cred):
    t0 = time.monotonic()
    st = get(cred)
    return st, time.monotonic() - t0
# the same refusal time for an unknown user and for a cheap user's wrong password
# interleaved, so that both see the same load
pairs = [(timed(b"mallory%d:x" % i)[1], timed(b"carol:wrong%d" % i)[1]) for i in range(11)]
unknown = statistics.median(p[0] for p in pairs)
cheap = statistics.median(p[1] for p in pairs)
print("refusal: unknown user %.1f ms, cost-4 user %.1f ms" % (unknown * 1000, cheap * 1000))
assert timed(b"alice:s3cret")[0] == 200 and timed(b"carol:hunter2")[0] == 200
stop = time.monotonic() + 8
seen = {}
def flood(src):
    while time.monotonic() < stop:
        try:
            st = get(b"alice:guess", src)
        except Exception as e:
            st = type(e).__name__
        seen[st] = seen.get(st, 0) + 1
threads = [threading.Thread(target=flood, args=("127.0.0.%d" % (2 + i % 3),)) for i in range(48)]
for t in threads:
    t.start()
lat = []
while time.monotonic() < stop:
    st, dt = timed(b"alice:s3cret")
    assert st == 200, st
    lat.append(dt)
for t in threads:
    t.join()
lat.sort()
p99 = lat[int(len(lat) * 0.99)]
print("flood answers %s; %d right-password scrapes: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (seen, len(lat), statistics.median(lat) * 1000, p99 * 1000, lat[-1] * 1000))
print("RESULT %d %.3f %.3f %.3f" % (len(lat), p99, unknown, cheap))
PY
sed 's/^/    /' "$_out"
sed 's/^/    | /' "$_err" | tail -5
read -r _ n p99 unknown cheap <<EOF2
$(grep '^RESULT' "$_out")
EOF2
[ "$_rc" -eq 0 ] && awk -v n="${n:-0}" -v p="${p99:-9}" 'BEGIN { exit !(n >= 20 && p < 1) }'
check $? "right-password scrapes during a 48-connection wrong-password flood: p99 under 1 s"
awk -v u="${unknown:-0}" -v c="${cheap:-9}" 'BEGIN { exit !(c > u * 0.7 && c < u * 1.4) }'
check $? "a cost-4 user's wrong password takes as long as an unknown user ($cheap s, $unknown s)"
stop_daemon
expect_rc 0 "kstatd with basic auth stops cleanly"
finish
