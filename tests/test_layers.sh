#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# The daemon's layers (docs/architecture.md), from its sources and the
# objects of the build: includes and calls go only downward, no directory
# includes another's private header, no call cycle between modules, and
# exported functions carry their file's prefix (scripts/layers.py).
set -u
. "$(dirname "$0")/lib.sh"

run /usr/bin/python3 scripts/layers.py "$OUTPUT"
while IFS= read -r line; do
	case $line in
	"ok   "*) check 0 "${line#ok   }" ;;
	"FAIL: "*) check 1 "${line#FAIL: }" ;;
	*) echo "$line" ;;
	esac
done <"$_out"
expect_rc 0 "scripts/layers.py finds nothing"
finish
