#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# The man pages kstat(1), libkstat(3) and kstatd(8): groff -ww and
# man --warnings find nothing to say, each carries kstatd's version, and
# they stay complete: every option of `kstatd --help` is in kstatd(8),
# every function libkstat.so exports is in libkstat(3), every option
# letter kstat accepts is in kstat(1).
set -u
. "$(dirname "$0")/lib.sh"
PAGES="docs/kstat.1 docs/khist.1 docs/kiostat.1 docs/kmpstat.1 docs/libkstat.3 docs/kstatd.8"
VERSION=$("$OUTPUT/kstatd" --version | cut -d' ' -f2)

for p in $PAGES; do
	run groff -ww -man -z "$p"
	[ "$_rc" -eq 0 ] && [ ! -s "$_err" ]
	check $? "groff -ww finds nothing in $p"
	sed 's/^/    | /' "$_err" | head -5
	run env MANWIDTH=80 man --warnings -l "$p"
	[ "$_rc" -eq 0 ] && [ ! -s "$_err" ] && [ "$(wc -l <"$_out")" -gt 40 ]
	check $? "man --warnings -l $p renders $(wc -l <"$_out") lines, no warning"
	sed 's/^/    | /' "$_err" | head -5
	grep -q "^\.TH [A-Z]* [138] [0-9]* \"kstatd $VERSION\"" "$p"
	check $? "$p is of kstatd $VERSION"
done

# a page with a mistake does make groff speak: the check above can fail
printf '.TH X 1\n.SH NAME\nx\n.XY undefined macro\n' >"$_out.bad"
[ -n "$(groff -ww -man -z "$_out.bad" 2>&1)" ]
check $? "groff -ww reports an undefined macro"
rm -f "$_out.bad"

MISSING=
NOPT=0
for o in $("$OUTPUT/kstatd" --help | grep -oE '^ +(-[a-zA-Z?], )?--[a-z.-]+' | grep -oE -- '--[a-z.-]+$'); do
	case $o in --usage) continue ;; esac
	NOPT=$((NOPT + 1))
	pat=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -- "$pat" docs/kstatd.8 || MISSING="$MISSING $o"
done
[ -z "$MISSING" ] && [ "$NOPT" -ge 15 ]
check $? "kstatd(8) documents each of the $NOPT options of kstatd --help${MISSING:+ (missing:$MISSING)}"

MISSING=
for f in $(nm -D --defined-only "$OUTPUT/libkstat.so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }'); do
	grep -q "^\.BI\? .*$f" docs/libkstat.3 || MISSING="$MISSING $f"
done
N=$(nm -D --defined-only "$OUTPUT/libkstat.so" | awk '$2 == "T"' | wc -l)
[ -z "$MISSING" ] && [ "$N" -eq 8 ]
check $? "libkstat(3) has each of the $N functions libkstat.so exports${MISSING:+ (missing:$MISSING)}"

MISSING=
for l in C j l p q T c m i n s w; do
	grep -q -- "\\\\-$l" docs/kstat.1 || MISSING="$MISSING -$l"
	"$OUTPUT/kstat" -"$l" 2>&1 | grep -q "illegal option\|invalid option" && MISSING="$MISSING (kstat rejects -$l)"
done
[ -z "$MISSING" ]
check $? "kstat(1) has every option letter${MISSING:+ (missing:$MISSING)}"
finish
