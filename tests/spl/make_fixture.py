#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Write tests/spl/kstat: a /proc/spl/kstat tree as OpenZFS's SPL prints it.

The formats are those of module/os/linux/spl/spl-kstat.c: the header
"%d %d 0x%02x %d %d %lld %lld" (kid type flags ndata data_size crtime
snaptime), then per type its column line and rows.  SPL's kstat_named_t is
272 bytes (KSTAT_STRLEN 255), which data_size counts.  Run it again to
regenerate; the tests read the files, never these numbers.
"""
import os
import sys

NAMED_SIZE = 272
CRTIME = 5143502001
SNAPTIME = 912345678901


def header(kid, ktype, flags, ndata, size):
    return "%d %d 0x%02x %d %d %d %d\n" % (kid, ktype, flags, ndata, size, CRTIME + kid, SNAPTIME)


def named(kid, rows, flags=0x01):
    out = header(kid, 1, flags, len(rows), len(rows) * NAMED_SIZE)
    out += "%-31s %-4s %s\n" % ("name", "type", "data")
    for name, dtype, value in rows:
        out += "%-31s %-4d " % (name, dtype)
        out += ("%-16s" % value) if dtype == 0 else str(value)
        out += "\n"
    return out


def io(kid, v):
    out = header(kid, 3, 0x00, 1, 80)
    out += ("%-8s " * 11 + "%-8s\n") % ("nread", "nwritten", "reads", "writes", "wtime",
                                         "wlentime", "wupdate", "rtime", "rlentime",
                                         "rupdate", "wcnt", "rcnt")
    out += ("%-8d " * 11 + "%-8d\n") % tuple(v)
    return out


ARCSTATS = [
    ("hits", 4, 18342713), ("iohits", 4, 10712), ("misses", 4, 410023),
    ("demand_data_hits", 4, 9022144), ("demand_data_iohits", 4, 3120),
    ("demand_data_misses", 4, 120331), ("demand_metadata_hits", 4, 9102456),
    ("demand_metadata_misses", 4, 50219), ("prefetch_data_hits", 4, 1022),
    ("prefetch_data_misses", 4, 233001), ("mru_hits", 4, 4410233), ("mfu_hits", 4, 13714322),
    ("deleted", 4, 290233), ("evict_skip", 4, 12), ("hash_elements", 4, 201544),
    ("hash_collisions", 4, 40122), ("p", 4, 4169039360), ("c", 4, 8338078720),
    ("c_min", 4, 520992768), ("c_max", 4, 8338078720), ("size", 4, 6102229504),
    ("data_size", 4, 5011234816), ("metadata_size", 4, 890023936),
    ("arc_meta_used", 4, 1090994688), ("memory_throttle_count", 4, 0),
    ("memory_available_bytes", 3, -12582912), ("arc_no_grow", 2, 0),
    ("arc_tempreserve", 6, 0), ("arc_loaned_bytes", 6, 0),
]

ZFETCHSTATS = [("hits", 4, 302110), ("misses", 4, 40221), ("max_streams", 4, 39211),
               ("max_completion_us", 4, 8120), ("last_completion_us", 4, 44),
               ("max_hidden_skips", 4, 0), ("io_issued", 4, 1022013)]

OBJSET = [("dataset_name", 7, "tank/home"), ("writes", 4, 20411), ("nwritten", 4, 8310112256),
          ("reads", 4, 101223), ("nread", 4, 30201147392), ("nunlinks", 4, 1022),
          ("nunlinked", 4, 1019)]

TXGS_HEAD = "%-16s %-16s %-4s %-12s %-12s %-12s %-8s %-8s %-12s %-12s %-12s %-12s\n" % (
    "txg", "birth", "state", "ndirty", "nread", "nwritten", "reads", "writes", "otime",
    "qtime", "wtime", "stime")
TXGS_ROWS = [(4102, 18230123001, "C", 1179648, 0, 2244608, 0, 41, 5001203112, 21023, 40212,
              12033011),
             (4103, 23231326113, "O", 0, 0, 0, 0, 0, 0, 0, 0, 0)]


def main(root):
    files = {
        "zfs/arcstats": named(7, ARCSTATS),
        "zfs/zfetchstats": named(9, ZFETCHSTATS),
        "zfs/tank/io": io(31, [30201147392, 8310112256, 101223, 20411, 21042301, 40133212,
                               912345601233, 188230101233, 244120333101, 912345677011, 0, 0]),
        "zfs/tank/objset-0x36": named(33, OBJSET),
        "zfs/tank/txgs": header(32, 0, 0x01, 1, 0) + TXGS_HEAD + "".join(
            "%-16d %-16d %-4s %-12d %-12d %-12d %-8d %-8d %-12d %-12d %-12d %-12d\n" % r
            for r in TXGS_ROWS),
        "zfs/tank/state": "ONLINE\n",
    }
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "kstat"))
