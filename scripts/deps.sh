#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Install the Debian packages kstatd needs, only those missing.  One dpkg
# query when everything is there, so `make run` and `make test` stay fast.
#   scripts/deps.sh build|test|bench
set -e
BUILD="make gcc gcc-multilib clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
	libmicrohttpd-dev libgnutls28-dev libyaml-dev libcrypt-dev libdeflate-dev"
TEST="$BUILD libcriterion-dev libclang-rt-14-dev qemu-user iproute2 curl prometheus
	python3-prometheus-client clang-format cppcheck kmod util-linux openssl strace wrk
	python3-yaml procps groff-base man-db systemd"
BENCH="$TEST hyperfine bpftrace prometheus-node-exporter gnuplot-nox"

case "${1:-build}" in
build) want=$BUILD ;;
test) want=$TEST ;;
bench) want=$BENCH ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

# The deployment tests validate manifests with npm packages: Debian's
# nodejs and npm, unless a node with its npm is there already
if [ "${1:-build}" != build ] && ! command -v npm >/dev/null 2>&1; then
	want="$want nodejs npm"
fi

installed=" $(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $want 2>/dev/null |
	awk '$2 == "ii" { printf "%s ", $1 }')"
missing=
for p in $want; do
	case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
missing=$(echo $missing)
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages: $missing" >&2
	echo "deps: run as root, or: sudo apt-get install $missing" >&2
	exit 1
fi
echo "deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
