#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Hold a report against the example of its man page, column for column.

Usage: man_format.py MANPAGE COMMAND HEADER_RE REPORT [ROW_RE]
Takes the example that follows "$ COMMAND" in MANPAGE's EXAMPLES (troff
escapes undone): its header line (the first matching HEADER_RE) and the
data line after it. In REPORT, the header must be that line exactly, and
every data line under it must end each column where the example's does
(numbers are right-aligned; the last column, a name, may be longer);
with ROW_RE, only the data lines it matches are held.
Prints what differs; exits 1 if anything does.
"""
import re
import sys

man, command, header_re, report = sys.argv[1:5]
row_re = sys.argv[5] if len(sys.argv) > 5 else ""
text = open(man).read().replace("\\-", "-").split("\n")
start = text.index("$ " + command)
example = []
for line in text[start + 1:]:
    if line.startswith("$ ") or line.startswith("."):
        break
    example.append(line)
head = next(i for i, l in enumerate(example) if re.search(header_re, l))
want_head, want_row = example[head], example[head + 1]


def ends(line):
    """Where each field of a line ends, but the last one's"""
    return [m.end() for m in re.finditer(r"\S+", line)][:-1]


bad = []
lines = open(report).read().split("\n")
heads = [i for i, l in enumerate(lines) if re.search(header_re, l)]
if not heads:
    bad.append("no header like %r" % want_head)
rows = 0
for h in heads:
    if lines[h] != want_head:
        bad.append("header %r, the man page has %r" % (lines[h], want_head))
    for row in lines[h + 1:]:
        # a row may start with a value wider than its column (a device
        # made a moment ago has a huge rate since): only a blank line or
        # the next header ends the report
        if not row.strip() or re.search(header_re, row):
            break
        if not re.search(row_re, row):
            continue
        rows += 1
        if ends(row) != ends(want_row):
            bad.append("row %r: columns end at %s, the man page's at %s" %
                       (row, ends(row), ends(want_row)))
if not rows:
    bad.append("no row under the header")
print("; ".join(bad[:3]) if bad else "%d rows as %s shows them" % (rows, man))
sys.exit(1 if bad else 0)
