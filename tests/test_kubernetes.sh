#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# deploy/kubernetes and deploy/Dockerfile, validated client-side: there is
# no cluster here and no docker engine, and Debian's kubectl needs a
# server even for --dry-run=client.  tests/k8s/validate.js (npm packages
# pinned by tests/k8s/package-lock.json) checks each object against the
# OpenAPI schema of its kind (kubernetes-models, prometheus-operator's
# models), type-checks them as TypeScript literals (unknown fields), the
# objects against each other and against what kstatd needs, and lints the
# Dockerfile (dockerfile-utils, its stages).  Mistakes of each kind are
# caught.  The image's runtime packages are those of the libraries kstatd
# and kstat link.  Then kstatd runs with the DaemonSet's arguments and
# the container's privileges (uid 0, CAP_BPF and CAP_PERFMON,
# no_new_privs), and its probes answer 200.
# Not covered: a real API server's admission, a docker build.
set -u
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d)
PIN=/sys/fs/bpf/kstatd-k8s-test-$$
trap 'kill_daemons; rm -rf "$TMP" "$PIN"' EXIT
K=deploy/kubernetes
RULES="deploy/prometheus/kstatd.rules.yml deploy/prometheus/kstatd.alerts.yml"
VERSION=$("$OUTPUT/kstatd" --version | cut -d' ' -f2)

command -v node >/dev/null && command -v npm >/dev/null
check $? "node and npm are installed (scripts/deps.sh test)"
V=$OUTPUT/k8s-validate
if ! cmp -s tests/k8s/package-lock.json "$V/package-lock.json" || [ ! -d "$V/node_modules" ]; then
	rm -rf "$V" && mkdir -p "$V" && cp tests/k8s/package.json tests/k8s/package-lock.json "$V/"
	run sh -c "cd '$V' && npm ci --no-audit --no-fund --loglevel=error"
	expect_rc 0 "npm ci: the validators, as tests/k8s/package-lock.json pins them"
fi
cp tests/k8s/validate.js "$V/"

# shellcheck disable=SC2086 # two rule files
run node "$V/validate.js" check "$K" deploy/Dockerfile $RULES "$VERSION"
expect_rc 0 "deploy/kubernetes and deploy/Dockerfile pass $(grep -c '^ok' "$_out") checks"
grep -v '^ok' "$_out" | sed 's/^/    | /' | head -20
sed 's/^ok  /    /' "$_out" | grep -v failed

# mistake MESSAGE-REGEX WHAT SED-SCRIPT FILE: a copy with that mistake fails as it should
mistake() {
	rm -rf "$TMP/k" && cp -r "$K" "$TMP/k" && sed -i "$3" "$TMP/k/$4"
	# shellcheck disable=SC2086
	run node "$V/validate.js" check "$TMP/k" deploy/Dockerfile $RULES "$VERSION"
	[ "$_rc" -eq 1 ] && grep -q "FAIL: .*$1" "$_out"
	check $? "  and catches $2"
}
mistake "does not exist in type 'IPodSpec'" "an unknown field (hostPid)" 's/hostPID: true/hostPid: true/' daemonset.yaml
mistake "must be boolean" "a field of the wrong type" 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: "yes"/' daemonset.yaml
mistake "must have required property name" "a container without a name" 's/- name: kstatd$/- nombre: kstatd/' daemonset.yaml
mistake "the Service selects" "a Service selecting nothing" 's/^    app.kubernetes.io\/name: kstatd$/    app.kubernetes.io\/name: kstat/' service.yaml
mistake "add BPF and PERFMON only" "an extra capability" 's/add: \[BPF, PERFMON\]/add: [BPF, PERFMON, SYS_ADMIN]/' daemonset.yaml
mistake "PrometheusRule holds exactly" "a PrometheusRule out of step with the rule files" 's/for: 5m/for: 6m/' prometheusrule.yaml
cp deploy/Dockerfile "$TMP/Dockerfile"
sed -i 's/^EXPOSE 8738/EXPOSE eighty/' "$TMP/Dockerfile"
# shellcheck disable=SC2086
run node "$V/validate.js" check "$K" "$TMP/Dockerfile" $RULES "$VERSION"
[ "$_rc" -eq 1 ] && grep -q "FAIL: dockerfile-utils finds nothing in the Dockerfile: Invalid containerPort" "$_out"
check $? "  and a Dockerfile mistake"

# the runtime stage installs what kstatd and kstat link, besides libc (and
# the sanitizers' runtimes of make test-asan: the image is no such build)
# (the dynamic loader, NEEDED by TLS code built -fPIC, is libc6's too;
# ldd names it by path, which the lookup below would not find)
for lib in $(readelf -d "$OUTPUT/kstatd" "$OUTPUT/kstat" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
	grep -v '^ld-linux' | sort -u); do
	p=$(ldd "$OUTPUT/kstatd" "$OUTPUT/kstat" | awk -v l="$lib" '$1 == l { print $3; exit }')
	p=$(readlink -f "$p")
	dpkg -S "$p" 2>/dev/null || dpkg -S "/usr$p" 2>/dev/null || dpkg -S "${p#/usr}"
done | cut -d: -f1 | grep -vE '^(libc6|libasan[0-9]*|libubsan[0-9]*)$' | sort -u >"$TMP/need"
node "$V/validate.js" packages deploy/Dockerfile | sort >"$TMP/have"
cmp -s "$TMP/need" "$TMP/have"
check $? "the image installs exactly the libraries' packages: $(paste -sd' ' "$TMP/have")"
diff "$TMP/need" "$TMP/have" | sed 's/^/    | /'

require_root
# kstatd with the DaemonSet's arguments, as the container runs it
PORT=$(free_port)
mkdir -p "$TMP/run"
node "$V/validate.js" args "$K" | sed -e 's/\$(HOST_IP)/127.0.0.1/' -e "s/:8738\$/:$PORT/" \
	-e "s|^--socket=/run/kstatd/|--socket=$TMP/run/|" -e "s|^--pin-path=/sys/fs/bpf/kstatd\$|--pin-path=$PIN|" \
	>"$TMP/args"
grep -q "^--pin-path=$PIN\$" "$TMP/args" && grep -q "^--web.listen-address=127.0.0.1:$PORT\$" "$TMP/args"
check $? "the DaemonSet's arguments, with this test's port, socket and pin path: $(paste -sd' ' "$TMP/args")"
# shellcheck disable=SC2046 # one argument per line, none with spaces
start_daemon setpriv --bounding-set=-all,+bpf,+perfmon --inh-caps=-all --no-new-privs \
	"$OUTPUT/kstatd" $(cat "$TMP/args")
expect_file "$DAEMON_LOG" "providers attached: cpu_sys" "kstatd starts with the container's privileges"
[ "$(awk '$1 == "CapEff:" { print $2 }' /proc/"$DAEMON_PID"/status)" = 000000c000000000 ]
check $? "  with CAP_BPF and CAP_PERFMON only"
node "$V/validate.js" probes "$K" >"$TMP/probes"
while read -r probe path; do
	CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT$path")
	[ "$CODE" = 200 ]
	check $? "  its $probe (GET $path) answers $CODE"
done <"$TMP/probes"
stop_daemon
expect_rc 0 "  and it stops cleanly"
finish
