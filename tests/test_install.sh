#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# make install into a DESTDIR: exactly the expected tree (binaries,
# libkstat with its soname links, archives and kstat.pc for 64 and 32
# bits, the headers, the preload shim, man pages, examples, the systemd
# unit), and every piece of it works from there: the installed kstatd
# serves, the installed kstat reads it, the example program of
# libkstat(3) and an illumos program build against the installed headers
# with `pkg-config --cflags --libs kstat` and run against it, the shim
# answers, an installed example provider loads and its source compiles
# with the installed kstat.bpf.h.  make uninstall removes exactly that.
set -u
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d)
ROOT=$TMP/root
PIN=/sys/fs/bpf/kstatd-install-test-$$
trap 'kill_daemons; rm -rf "$TMP" "$PIN"' EXIT
P=/usr/local
MAKE="make -s --no-print-directory"

# something of someone else's, which uninstall must leave alone
mkdir -p "$ROOT$P/lib" "$ROOT$P/include/sys"
echo other >"$ROOT$P/lib/libother.so.1"
echo other >"$ROOT$P/include/sys/other.h"

run $MAKE install DESTDIR="$ROOT"
expect_rc 0 "make install DESTDIR=... (PREFIX $P)"

cat >"$TMP/want" <<EOF2
bin/khist
bin/kiostat
bin/kmpstat
bin/kstat
include/kstat.h
include/kstatd/kstat.bpf.h
include/sys/kstat.h
include/sys/other.h
include/sys/sysinfo.h
lib/kstat_preload.so
lib/libkstat.a
lib/libkstat.so -> libkstat.so.1
lib/libkstat.so.1 -> libkstat.so.1.0.0
lib/libkstat.so.1.0.0
lib/libother.so.1
lib/pkgconfig/kstat.pc
lib/systemd/system/kstatd.service
lib32/kstat_preload.so
lib32/libkstat.a
lib32/libkstat.so -> libkstat.so.1
lib32/libkstat.so.1 -> libkstat.so.1.0.0
lib32/libkstat.so.1.0.0
lib32/pkgconfig/kstat.pc
sbin/kstatd
share/kstatd/examples/cgroup_stats.bpf.c
share/kstatd/examples/cgroup_stats.bpf.o
share/kstatd/examples/signals.bpf.c
share/kstatd/examples/signals.bpf.o
share/man/man1/khist.1
share/man/man1/kiostat.1
share/man/man1/kmpstat.1
share/man/man1/kstat.1
share/man/man3/kstat_chain_update.3
share/man/man3/kstat_close.3
share/man/man3/kstat_data_lookup.3
share/man/man3/kstat_lookup.3
share/man/man3/kstat_open.3
share/man/man3/kstat_read.3
share/man/man3/kstat_write.3
share/man/man3/libkstat.3
share/man/man8/kstatd.8
EOF2
(cd "$ROOT$P" && find . \( -type f -o -type l \) -printf '%P' \
	\( -type l -printf ' -> %l' , -true \) -printf '\n' | sort) >"$TMP/got"
diff "$TMP/want" "$TMP/got" >"$TMP/diff"
check $? "the installed tree is exactly the expected one ($(wc -l <"$TMP/got") files)"
sed 's/^/    | /' "$TMP/diff" | head -20
[ "$(find "$ROOT" -mindepth 1 -maxdepth 1)" = "$ROOT/usr" ]
check $? "nothing outside PREFIX"

[ "$(stat -c %a "$ROOT$P/sbin/kstatd")" = 755 ] && [ "$(stat -c %a "$ROOT$P/include/kstat.h")" = 644 ] &&
	[ "$(stat -c %a "$ROOT$P/lib/libkstat.so.1.0.0")" = 755 ]
check $? "binaries and libraries 0755, headers 0644"
SONAME=$(readelf -d "$ROOT$P/lib/libkstat.so.1.0.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
SONAME32=$(readelf -d "$ROOT$P/lib32/libkstat.so.1.0.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$SONAME" = libkstat.so.1 ] && [ "$SONAME32" = libkstat.so.1 ]
check $? "libkstat's soname is libkstat.so.1, 64 and 32 bits ($SONAME, $SONAME32)"
readelf -h "$ROOT$P/lib32/libkstat.so.1.0.0" | grep -q 'ELF32' &&
	readelf -h "$ROOT$P/lib32/kstat_preload.so" | grep -q 'ELF32'
check $? "lib32 holds 32-bit objects"
grep -qx "ExecStart=$P/sbin/kstatd --socket=/run/kstatd/kstat.sock \$KSTATD_ARGS" \
	"$ROOT$P/lib/systemd/system/kstatd.service"
check $? "the installed unit starts the installed kstatd"

export PKG_CONFIG_PATH="$ROOT$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$ROOT"
PC=$(echo $(pkg-config --cflags --libs kstat))
[ "$PC" = "-I$ROOT$P/include -L$ROOT$P/lib -lkstat" ]
check $? "pkg-config --cflags --libs kstat: $PC"
[ "$(pkg-config --modversion kstat)" = "$("$OUTPUT/kstatd" --version | cut -d' ' -f2)" ]
check $? "kstat.pc has kstatd's version ($(pkg-config --modversion kstat))"

require_root
LIBD="$ROOT$P/lib"
run "$ROOT$P/sbin/kstatd" --version
expect_rc 0 "the installed kstatd runs"
start_daemon "$ROOT$P/sbin/kstatd" --socket "$TMP/kstat.sock" --pin-path "$PIN" \
	--web.listen-address 127.0.0.1:0 --provider-dir= \
	--provider "$ROOT$P/share/kstatd/examples/signals.bpf.o"
expect_file "$DAEMON_LOG" "providers attached: .*signals" \
	"the installed kstatd serves, with the installed example provider"
export KSTAT_SOCKET="$TMP/kstat.sock"
run "$ROOT$P/bin/kstat" -p cpu:0:sys:pswitch
expect_rc 0 "the installed kstat reads it"
BEFORE=$(cut -f2 "$_out")

# the EXAMPLES program of libkstat(3), as a user would copy it
sed -n '/^\.SH EXAMPLES/,/^\.SH/p' "$ROOT$P/share/man/man3/libkstat.3" |
	sed -n '/^#include/,/^}/p' | sed 's/\\e/\\/g' >"$TMP/pswitch.c"
grep -q kstat_lookup "$TMP/pswitch.c"
check $? "libkstat(3) has an example program"
# shellcheck disable=SC2086 # $PC is a list of flags
run cc -std=c11 -Wall -Wextra -Werror "$TMP/pswitch.c" $PC -o "$TMP/pswitch"
expect_rc 0 "it builds with the installed <kstat.h> and pkg-config --libs kstat"
ldd "$TMP/pswitch" | grep -q "libkstat.so.1 => not found"
check $? "and needs libkstat.so.1, not found outside the DESTDIR"
run env LD_LIBRARY_PATH="$LIBD" "$TMP/pswitch"
expect_rc 0 "it runs against kstatd with the installed libkstat.so.1"
AFTER=$("$ROOT$P/bin/kstat" -p cpu:0:sys:pswitch | cut -f2)
V=$(cat "$_out")
[ -n "$V" ] && [ "$BEFORE" -le "$V" ] && [ "$V" -le "$AFTER" ]
check $? "and prints cpu:0:sys:pswitch as kstat reads it ($BEFORE <= $V <= $AFTER)"
env LD_LIBRARY_PATH="$LIBD" ldd "$TMP/pswitch" | grep -q "libkstat.so.1 => $LIBD/libkstat.so.1"
check $? "from the installed library"

# shellcheck disable=SC2086
run cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Itests/illumos tests/illumos/ks_lib.c $PC \
	-o "$TMP/ks_lib"
expect_rc 0 "an illumos libkstat program builds against the installed header"
run env LD_LIBRARY_PATH="$LIBD" "$TMP/ks_lib" walk
expect_rc 0 "and walks the whole chain"
PC32=$(echo $(PKG_CONFIG_PATH="$ROOT$P/lib32/pkgconfig" pkg-config --cflags --libs kstat))
# shellcheck disable=SC2086
run cc -m32 -std=c11 -D_GNU_SOURCE -Wall -Werror -Itests/illumos tests/illumos/ks_lib.c $PC32 \
	-o "$TMP/ks_lib32"
expect_rc 0 "and 32-bit against the installed lib32 ($PC32)"
run env LD_PRELOAD="$LIBD/kstat_preload.so" "$OUTPUT/tests/illumos/ks_ioctl" walk
expect_rc 0 "an illumos program doing its own ioctls runs with the installed shim"

ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
run clang -g -O2 -target bpf -D__TARGET_ARCH_$ARCH -I"$OUTPUT" -I"$ROOT$P/include/kstatd" \
	-c "$ROOT$P/share/kstatd/examples/signals.bpf.c" -o "$TMP/signals.bpf.o"
expect_rc 0 "the installed example source compiles with the installed kstat.bpf.h"
stop_daemon
expect_rc 0 "the installed kstatd stops cleanly"

MANP="$ROOT$P/share/man"
man -M "$MANP" kstat_read 2>/dev/null | grep -q "kstat_chain_update"
check $? "man kstat_read finds libkstat(3)"
man -M "$MANP" 8 kstatd 2>/dev/null | grep -q "keep-caps"
check $? "man 8 kstatd finds kstatd(8)"

run $MAKE uninstall DESTDIR="$ROOT"
expect_rc 0 "make uninstall"
LEFT=$(cd "$ROOT$P" && find . \( -type f -o -type l \) -printf '%P\n' | sort | tr '\n' ' ')
[ "$LEFT" = "include/sys/other.h lib/libother.so.1 " ]
check $? "removes exactly what install put there ($LEFT left)"
[ ! -e "$ROOT$P/share/kstatd" ] && [ ! -e "$ROOT$P/include/kstatd" ] && [ -d "$ROOT$P/include/sys" ]
check $? "and kstatd's own directories, not the shared ones"

run $MAKE install DESTDIR="$ROOT/2" PREFIX=/usr
expect_rc 0 "make install PREFIX=/usr"
grep -q "^ExecStart=/usr/sbin/kstatd " "$ROOT/2/usr/lib/systemd/system/kstatd.service" &&
	grep -qx "libdir=/usr/lib" "$ROOT/2/usr/lib/pkgconfig/kstat.pc" &&
	grep -qx "libdir=/usr/lib32" "$ROOT/2/usr/lib32/pkgconfig/kstat.pc"
check $? "PREFIX reaches the unit's ExecStart and kstat.pc"
finish
