#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Hold what tests/illumos/ks_consumers printed against Linux's own books.

Usage: catalogue_check.py OUTPUT BEFORE AFTER ARCSTATS [PREV_OUTPUT PREV_BEFORE PREV_AFTER]
BEFORE_DIR and AFTER_DIR hold copies of /proc/stat, /proc/meminfo,
/proc/cpuinfo, net/<if>/<counter> (and ifindex; BEFORE's net/<if>/settled
when the interface had that ifindex a second earlier) and block/<dev>/stat
taken just before and just after the client ran (see tests/test_catalogue.sh); the PREV_
arguments are an earlier run's, for rates.  Prints one
line per check: "0<TAB>what" when it holds, "1<TAB>what (details)" when not.
"""
import os
import sys

out_path, before, after, arcstats = sys.argv[1:5]
prev = sys.argv[5:8]
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
M32 = 1 << 32


def check(ok, what):
    print("%d\t%s" % (0 if ok else 1, what))


def lines(path):
    with open(path) as f:
        return f.read().split("\n")


def proc_stat(d):
    cpus, misc = {}, {}
    for line in lines(os.path.join(d, "stat")):
        w = line.split()
        if not w:
            continue
        if w[0].startswith("cpu") and w[0] != "cpu":
            cpus[int(w[0][3:])] = [int(x) for x in w[1:]]
        elif len(w) == 2:
            misc[w[0]] = int(w[1])
    return cpus, misc


def meminfo(d):
    m = {}
    for line in lines(os.path.join(d, "meminfo")):
        w = line.split()
        if len(w) >= 2:
            m[w[0].rstrip(":")] = int(w[1])
    return m


def counter(d, *path):
    """A copied counter file's words; None if the copy is missing or empty
    (the device went while it was copied: other suites tear theirs down)"""
    try:
        with open(os.path.join(d, *path)) as f:
            return f.read().split() or None
    except OSError:
        return None


def between(v, lo, hi, slack=0):
    return lo - slack <= v <= hi + slack


def parse(path):
    c = {}
    for line in lines(path):
        w = line.split()
        if not w:
            continue
        key = tuple(w[:2]) if w[0] in ("cpu", "cpufreq", "cpu_stat", "interface", "disk") else (w[0],)
        rest = w[len(key):]
        c[key] = {rest[i]: int(rest[i + 1]) for i in range(0, len(rest) - 1, 2)}
    return c


client = parse(out_path)
if prev:
    prev_client, prev_before, prev_after = parse(prev[0]), prev[1], prev[2]

cpus0, misc0 = proc_stat(before)
cpus1, misc1 = proc_stat(after)

# node_exporter: cpu:N:sys ticks are /proc/stat's (USER_HZ = 100 = illumos's 10 ms ticks)
ncpu = 0
for n in sorted(cpus0):
    k = client.get(("cpu", str(n)))
    check(k is not None, "node_exporter reads cpu:%d:sys" % n)
    if not k:
        continue
    ncpu += 1
    # user nice system idle iowait irq softirq steal
    p0, p1 = cpus0[n], cpus1[n]
    check(between(k["cpu_ticks_idle"], p0[3], p1[3], 2),
          "cpu %d: cpu_ticks_idle %d within /proc/stat idle %d..%d" % (n, k["cpu_ticks_idle"], p0[3], p1[3]))
    check(between(k["cpu_ticks_wait"], p0[4], p1[4], 2),
          "cpu %d: cpu_ticks_wait %d within /proc/stat iowait %d..%d" % (n, k["cpu_ticks_wait"], p0[4], p1[4]))
    check(between(k["cpu_ticks_user"], p0[0], p1[0] + p1[1], 2),
          "cpu %d: cpu_ticks_user %d within /proc/stat user(+nice) %d..%d" % (n, k["cpu_ticks_user"], p0[0], p1[0] + p1[1]))
    check(between(k["cpu_ticks_kernel"], p0[2], p1[2] + p1[5] + p1[6], 2),
          "cpu %d: cpu_ticks_kernel %d within /proc/stat system(+irq+softirq) %d..%d"
          % (n, k["cpu_ticks_kernel"], p0[2], p1[2] + p1[5] + p1[6]))
    # collectd: the RAW cpu_stat_t holds the same books, cut to 32 bits
    r = client.get(("cpu_stat", str(n)), {})
    for a, b in (("idle", "cpu_ticks_idle"), ("kernel", "cpu_ticks_kernel"),
                 ("user", "cpu_ticks_user"), ("wait", "cpu_ticks_wait")):
        check(a in r and between(r[a], k[b] % M32, k[b] % M32 + 25),
              "cpu %d: cpu_stat %s %s is cpu:%d:sys %s %d (read just before)" % (n, a, r.get(a), n, b, k[b]))
    check(r.get("nthreads", -1) >= k["nthreads"] % M32, "cpu %d: cpu_stat nthreads follows cpu:N:sys's" % n)
    f = client.get(("cpufreq", str(n)), {})
    check(f.get("current_clock_Hz", 0) > 0 and abs(f["current_clock_Hz"] // 1000000 - f.get("clock_MHz", 0)) <= f.get("clock_MHz", 0) // 2,
          "cpu %d: cpufreq current_clock_Hz %s and clock_MHz %s" % (n, f.get("current_clock_Hz"), f.get("clock_MHz")))
check(ncpu == len(cpus0) and ncpu > 0, "a cpu:N:sys for each of /proc/stat's %d CPUs" % len(cpus0))
# fork rate: nthreads count from the provider's start (the kernel keeps no
# per-CPU total), so its rate between two runs is /proc/stat's processes'
if prev:
    def forks(c):
        return sum(v["nthreads"] for k, v in c.items() if k[0] == "cpu")
    d = forks(client) - forks(prev_client)
    lo = misc0["processes"] - proc_stat(prev_after)[1]["processes"]
    hi = misc1["processes"] - proc_stat(prev_before)[1]["processes"]
    check(between(d, lo, hi), "fork rate: nthreads summed rose %d, /proc/stat processes %d..%d" % (d, lo, hi))

# collectd memory: system_pages in pages
m0, m1 = meminfo(before), meminfo(after)
mem = client.get(("memory",), {})
check(mem.get("physmem") == m0["MemTotal"] // PAGE_KB, "physmem %s is MemTotal %d kB in pages" % (mem.get("physmem"), m0["MemTotal"]))
check(mem.get("pagestotal") == mem.get("physmem"), "pagestotal is physmem")
lo, hi = sorted((m0["MemFree"] // PAGE_KB, m1["MemFree"] // PAGE_KB))
check(between(mem.get("pagesfree", -1), lo, hi, m0["MemTotal"] // PAGE_KB // 100),
      "pagesfree %s within 1%% of MemFree %d..%d pages" % (mem.get("pagesfree"), lo, hi))
lo, hi = sorted((m0["Unevictable"] // PAGE_KB, m1["Unevictable"] // PAGE_KB))
check(mem.get("pageslocked", -1) >= lo, "pageslocked %s holds Unevictable %d pages" % (mem.get("pageslocked"), lo))
size = None
for line in lines(arcstats)[2:]:
    w = line.split()
    if len(w) == 3 and w[0] == "size":
        size = int(w[2])
check(size is not None and client.get(("arc",), {}).get("size") == size,
      "ARC size %s is the SPL file's %s" % (client.get(("arc",), {}).get("size"), size))

# collectd interface: the 32-bit names, /sys/class/net's counters cut to 32 bits
nif = 0
for key, k in client.items():
    if key[0] != "interface":
        continue
    name = key[1]
    for stat, sysname in (("rbytes", "rx_bytes"), ("obytes", "tx_bytes"), ("ipackets", "rx_packets"),
                          ("opackets", "tx_packets"), ("ierrors", "rx_errors"), ("oerrors", "tx_errors")):
        a, b = counter(before, "net", name, sysname), counter(after, "net", name, sysname)
        if a is None or b is None:
            continue
        a, b = int(a[0]), int(b[0])
        if a // M32 != b // M32:
            continue  # wrapped in between: nothing to compare
        # made again under its name since a sync before the client ran (other
        # suites churn theirs): kstatd may still hold the one before
        if not os.path.exists(os.path.join(before, "net", name, "settled")) or \
                counter(before, "net", name, "ifindex") != counter(after, "net", name, "ifindex"):
            continue
        nif += stat == "rbytes"
        check(between(k[stat], a % M32, b % M32),
              "interface %s: %s %d within %s %d..%d (mod 2^32)" % (name, stat, k[stat], sysname, a % M32, b % M32))
check(nif > 0 and ("interface", "lo") in client, "collectd's interfaces include lo (%d compared)" % nif)

# collectd disk: /sys/class/block/<name>/stat
ndisk = 0
for key, k in client.items():
    if key[0] != "disk":
        continue
    a, b = counter(before, "block", key[1], "stat"), counter(after, "block", key[1], "stat")
    if a is None or b is None:
        continue
    ndisk += 1
    a, b = [int(x) for x in a], [int(x) for x in b]
    check(between(k["reads"], a[0] % M32, b[0] % M32) and between(k["writes"], a[4] % M32, b[4] % M32),
          "disk %s: reads %d writes %d within /sys stat %d..%d, %d..%d" % (key[1], k["reads"], k["writes"], a[0], b[0], a[4], b[4]))
    check(between(k["nread"], a[2] * 512, b[2] * 512) and between(k["nwritten"], a[6] * 512, b[6] * 512),
          "disk %s: nread %d nwritten %d are its sectors' bytes" % (key[1], k["nread"], k["nwritten"]))
check(ndisk > 0, "collectd's disks include a block device of this machine (%d)" % ndisk)

# collectd uptime
boot = client.get(("uptime",), {}).get("boot_time", -1)
check(abs(boot - misc0["btime"]) <= 1, "boot_time %d is /proc/stat btime %d" % (boot, misc0["btime"]))
