#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# illumos programs, unchanged, against a real kstatd: one written with
# libkstat (ks_lib), one with raw ioctls on /dev/kstat under the preload
# shim (ks_ioctl), each built 64-bit and 32-bit from the same source.
# All four must list the same chain and pass every errno check; another
# uid reads everything and gets EPERM on every write; CAP_SYS_ADMIN may
# write.  tests/ksfixture adds what kstatd's providers lack: strings,
# longs beyond 32 bits, an INVALID and a failing kstat.  Also: the
# library's soname, static archive and pkg-config file.
set -u
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d)
chmod 755 "$TMP"
PIN=/sys/fs/bpf/kstatd-test-$$
trap 'kill_daemons; rm -rf "$TMP" "$PIN"' EXIT
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
# uid 65534 runs these: copies where it can reach them, with their libraries
# where their rpath ($ORIGIN/../..) looks
nobody_bin "$TMP/bin" libkstat.so.1 lib32/libkstat.so.1 kstat_preload.so lib32/kstat_preload.so \
	tests/illumos/ks_lib tests/illumos/ks_lib32 tests/illumos/ks_ioctl tests/illumos/ks_ioctl32
check $? "the programs copied where uid 65534 may run them"
B=$TMP/bin/tests/illumos

# Where this kernel runs no 32-bit programs (ia32_emulation=off), qemu-i386 does
"$B/ks_ioctl32" probe >/dev/null 2>&1
if [ $? -eq 126 ]; then
	QEMU32=$(command -v qemu-i386 || true)
	[ -n "$QEMU32" ]
	check $? "32-bit programs run natively or under qemu-i386 (scripts/deps.sh test installs it)"
	echo "note: this kernel does not run 32-bit programs; running them under $QEMU32"
else
	QEMU32=
fi

# prog MODEL PRELOAD|- [AS...] -- PROGRAM ARGS...: run a test program of one data model
prog() {
	_model=$1 _pre=$2
	shift 2
	_as=
	while [ "$1" != -- ]; do _as="$_as $1"; shift; done
	shift
	if [ "$_model" = 32 ] && [ -n "$QEMU32" ]; then
		if [ "$_pre" = - ]; then
			run $_as "$QEMU32" "$@"
		else
			run $_as "$QEMU32" -E LD_PRELOAD="$_pre" "$@"
		fi
	elif [ "$_pre" = - ]; then
		run $_as "$@"
	else
		run $_as env LD_PRELOAD="$_pre" "$@"
	fi
}
shim() { [ "$1" = 32 ] && echo "$TMP/bin/lib32/kstat_preload.so" || echo "$TMP/bin/kstat_preload.so"; }
bin() { [ "$2" = 32 ] && echo "$B/${1}32" || echo "$B/$1"; }

# The library as a user builds against it
readelf -d "$OUTPUT/libkstat.so" | grep -q 'SONAME.*\[libkstat.so.1\]'
check $? "libkstat.so has the soname libkstat.so.1"
readelf -d "$OUTPUT/lib32/libkstat.so" | grep -q 'SONAME.*\[libkstat.so.1\]'
check $? "the 32-bit libkstat.so too"
[ "$(nm -D --defined-only "$OUTPUT/libkstat.so" | grep -c ' T .*@@KSTAT_1$')" -eq 7 ]
check $? "libkstat.so exports the seven kstat(3KSTAT) functions as KSTAT_1"
[ "$(nm -D --defined-only "$OUTPUT/libkstat.so" | awk '$2 == "T" && $3 !~ /@@KSTAT_1$/ { print $3 }')" = \
	"kstat_read_batch@@KSTATD_1" ]
check $? "and nothing else but kstatd's kstat_read_batch, as KSTATD_1"
run env PKG_CONFIG_PATH="$OUTPUT" pkg-config --cflags --libs kstat
expect_rc 0 "pkg-config --cflags --libs kstat"
expect_out "-I.*/include" "it gives the include directory"
expect_out "-L.*$OUTPUT -lkstat" "and the library"
run sh -c "cc tests/illumos/ks_lib.c \$(PKG_CONFIG_PATH='$OUTPUT' pkg-config --cflags --libs kstat) \
	-o '$TMP/ks_pc'"
expect_rc 0 "an illumos program builds with pkg-config's flags"
run cc -Iinclude tests/illumos/ks_lib.c "$OUTPUT/libkstat.a" -o "$TMP/ks_static"
expect_rc 0 "and links libkstat.a statically"

require_root
# without the providers whose kstats follow devices, which tests running
# beside this one create and remove: the listings compared below are of one chain
start_daemon "$(dirname "$0")/kstatd-test" --socket "$TMP/kstat.sock" --pin-path "$PIN" --reset \
	--disable disk --disable net
export KSTAT_SOCKET="$TMP/kstat.sock"

for m in 64 32; do
	prog $m - -- "$(bin ks_lib $m)" walk
	expect_rc 0 "$m-bit libkstat program walks and reads every kstat"
	cp "$_out" "$TMP/lib$m"
	prog $m "$(shim $m)" -- "$(bin ks_ioctl $m)" walk
	expect_rc 0 "$m-bit raw-ioctl program under the shim walks and reads every kstat"
	cp "$_out" "$TMP/ioctl$m"
done
grep -q "^[0-9]* cpu:0:sys class=misc type=1 .* pswitch" "$TMP/lib64"
check $? "the listing has cpu:0:sys and its statistics"
cmp -s "$TMP/lib64" "$TMP/lib32" && cmp -s "$TMP/lib64" "$TMP/ioctl64" &&
	cmp -s "$TMP/lib64" "$TMP/ioctl32"
check $? "64-bit and 32-bit, libkstat and raw ioctls: the same chain, line for line"
run env LD_LIBRARY_PATH="$OUTPUT" "$TMP/ks_pc" walk
expect_rc 0 "the pkg-config build runs"
cmp -s "$_out" "$TMP/lib64"
check $? "and lists the same chain"
run "$TMP/ks_static" walk
expect_rc 0 "the static build runs"

for m in 64 32; do
	prog $m - -- "$(bin ks_lib $m)" errno
	expect_rc 0 "$m-bit libkstat: every errno of lookup, read and write"
	[ "$_rc" -eq 0 ] || grep FAIL "$_err"
	prog $m "$(shim $m)" -- "$(bin ks_ioctl $m)" errno
	expect_rc 0 "$m-bit raw ioctls: every errno of the ioctls, other descriptors untouched"
	[ "$_rc" -eq 0 ] || grep FAIL "$_err"
	prog $m - $NOBODY -- "$(bin ks_lib $m)" unpriv
	expect_rc 0 "$m-bit libkstat as uid 65534: reads everything, EPERM on every write"
	prog $m "$(shim $m)" $NOBODY -- "$(bin ks_ioctl $m)" unpriv
	expect_rc 0 "$m-bit raw ioctls as uid 65534: reads everything, EPERM on every write"
done

run $NOBODY "$(bin ks_lib 64)" cfg cpu_sys 1
expect_out "write: EPERM" "uid 65534 cannot write kstatd:0:config"
run $NOBODY --inh-caps=+sys_admin --ambient-caps=+sys_admin "$(bin ks_lib 64)" cfg cpu_sys 1
expect_out "write: ok" "uid 65534 with CAP_SYS_ADMIN can"
run env LD_PRELOAD="$OUTPUT/kstat_preload.so" sh -c 'cat /etc/hostname >/dev/null && echo fine'
expect_out "fine" "the shim leaves other programs' files alone"
stop_daemon
expect_rc 0 "kstatd stops cleanly"

start_daemon "$OUTPUT/tests/ksfixture" "$TMP/fixture.sock"
INVALID=$(sed -n 's/.*invalid_kid=\([0-9]*\).*/\1/p' "$DAEMON_LOG")
export KSTAT_SOCKET="$TMP/fixture.sock"
for m in 64 32; do
	prog $m - -- "$(bin ks_lib $m)" fixture
	expect_rc 0 "$m-bit libkstat: strings in the caller's buffer, longs, EIO, writes"
	[ "$_rc" -eq 0 ] || grep FAIL "$_err"
	prog $m "$(shim $m)" -- "$(bin ks_ioctl $m)" fixture "$INVALID"
	expect_rc 0 "$m-bit raw ioctls: strings, longs, EAGAIN, EIO, string pointer checks"
	[ "$_rc" -eq 0 ] || grep FAIL "$_err"
done
stop_daemon
finish
