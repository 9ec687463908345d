#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Turn the raw numbers bench/run.sh wrote into RES/RESULTS.md and PNG
plots (gnuplot).  Usage: bench/report.py RES [NOTES.md]

RES/data/ holds meta.txt, progstats.txt, syscall.txt, defaults.txt,
kstatd_idle.txt, scrape.txt, scale_walk*.txt and scale_serve.txt.  An
optional NOTES.md (the analysis of a run, written by hand) is appended
after the tables."""
import math
import os
import random
import shutil
import statistics
import subprocess
import sys

RES = sys.argv[1]
DATA = os.path.join(RES, "data")
NOTES = sys.argv[2] if len(sys.argv) > 2 else os.path.join(RES, "NOTES.md")
# the goals of issue 18
GOAL_PROG_NS = 10      # a counting program above an empty one, per event
GOAL_PAIR_NS = 60      # syscall TIMER + histogram, per enter+exit pair
GOAL_BPFTRACE_X = 3    # bpftrace's cost for the same data over kstatd's
GOAL_DEFAULTS_PCT = 1  # the default providers on each workload
# The hooks of the per-event goal: the first with programs of the group
GOAL_HOOKS = [("sys_enter", "syscall", ["sys_enter"]),
              ("sched_switch", "sched", ["sched_switch"]),
              ("block completion", "disk", ["block_io_done", "block_rq_complete"]),
              ("IRQ entry", "irq", ["irq_handler_entry", "irq_handler_exit"])]
# Which measure of section 3 judges each workload: CPU time where every hook
# runs in the workload's own processes, the wall clock where the work is
# done elsewhere (the loop device's worker, softirqs)
DEFAULTS_BY = {"getppid": "cpu", "pingpong": "cpu", "blkio": "wall"}


def rows(name):
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.split() for l in f if l.strip() and not l.startswith("#")]


def med(v):
    return statistics.median(v) if v else math.nan


def fmt(x, d=1):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"


def spread(v, d=1):
    return f"{fmt(med(v), d)} [{fmt(min(v), d)}-{fmt(max(v), d)}]" if v else "-"


def quantile(v, q):
    s = sorted(v)
    if not s:
        return math.nan
    i = q * (len(s) - 1)
    lo = int(math.floor(i))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (i - lo)


def median_ci(v, n=2000):
    """95% bootstrap interval of the median (fixed seed: the report is reproducible)"""
    if len(v) < 2:
        return math.nan, math.nan
    rng = random.Random(1)
    meds = sorted(statistics.median(rng.choices(v, k=len(v))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]


def met(ok):
    return "**met**" if ok else "not met"


meta, groups = {}, []
with open(os.path.join(DATA, "meta.txt")) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition(" ")
        if k == "group":
            g, w, progs = v.split("|")
            groups.append((g, w, progs))
        elif k == "n":
            meta["n_" + v.split()[0]] = int(v.split()[1])
        else:
            meta[k] = v
smoke = meta.get("smoke") == "1"
out = []
p = out.append
goals = []  # (goal, measured, ok)

p("# kstatd benchmark results")
p("")
p(f"Measured {meta['date']} by `make bench{'-smoke' if smoke else ''}` in "
  f"{int(meta['seconds']) // 60} min {int(meta['seconds']) % 60} s; every comparison "
  "below was measured side by side in this one run, its configurations interleaved.")
if smoke:
    p("")
    p("**A smoke run: too short for its numbers to mean anything.**")
p("")
p("| machine | |")
p("|---|---|")
p(f"| CPU | {meta['cpu']}, {meta['ncpus']} vCPUs (a VM) |")
p(f"| memory | {meta['mem']} |")
p(f"| OS, kernel | {meta['os']}, Linux {meta['kernel']} |")
p(f"| clock, page tables | clocksource {meta.get('clocksource', '?')}; Meltdown: "
  f"{meta.get('meltdown', '?')}; PCID: {meta.get('pcid', '?')} |")
p(f"| kstatd | {meta['kstatd']} (gcc -O2; BPF by {meta['clang']}) |")
p(f"| bpftrace | {meta['bpftrace']} |")
p(f"| node_exporter | {meta['node_exporter']} (Debian package, default collectors) |")
p(f"| wrk, libbpf | {meta['wrk']}, {meta['libbpf']} |")
p(f"| load average at the end | {meta['load']} |")

# --- 1. per-event cost by bpf_stats -------------------------------------------------
ps = rows("progstats.txt")
# (group, round) -> {"order": o, (role, hook): [ns per run of each program], "runs": {hook: n}}
per = {}
for g, w, rnd, order, role, pid, pid_, hook, cnt, t, ops in ps:
    cnt, t = int(cnt), int(t)
    if cnt == 0:
        continue
    r = per.setdefault((g, int(rnd)), {"order": order, "ops": int(ops), "runs": {}})
    r.setdefault((role, hook), []).append(t / cnt)
    if role == "prog":
        r["runs"][hook] = max(r["runs"].get(hook, 0), cnt)


def group_hooks(g):
    hs = []
    for (g_, _), r in per.items():
        if g_ == g:
            for k in r:
                if isinstance(k, tuple) and k[0] == "prog" and k[1] not in hs:
                    hs.append(k[1])
    return sorted(hs)


def above_empty(g, h):
    """per round: the group's programs on h minus as many empty ones, ns per event"""
    d, by = [], {"PE": [], "EP": []}
    for (g_, _), r in sorted(per.items()):
        if g_ != g or ("prog", h) not in r or ("empty", h) not in r:
            continue
        x = sum(r[("prog", h)]) - len(r[("prog", h)]) * r[("empty", h)][0]
        d.append(x)
        by[r["order"]].append(x)
    return d, by


def col(g, role, h):
    return [sum(r[(role, h)]) for (g_, _), r in sorted(per.items())
            if g_ == g and (role, h) in r]


p("")
p("## 1. Per-event cost of each program, by the kernel's accounting")
p("")
p("The kernel's own accounting of BPF programs (`BPF_ENABLE_STATS`: `run_cnt` and "
  "`run_time_ns` of every program) around one run of a workload, in "
  f"{meta['stats_rounds']} rounds per group. On each hook sit, in this order: an empty "
  "program (*first*: the first program on a hook pays its cold cache and TLB misses), then "
  "the group's programs and a second empty program (*empty*), the one before the other in "
  "turn (*PE*: programs first; *EP*: empty first). *above empty* is, per round, the "
  "group's programs on the hook minus as many empty programs, median across rounds "
  "[min-max]. The accounting times the program body only, and adds its own two clock "
  "reads to every program alike: they cancel in *above empty*. The providers' programs "
  "are those of the object files kstatd embeds (`build/bpf/*.bpf.o`), attached by "
  "`bench/attach_empty` without kstatd around them; bpftrace runs the one-liners below. "
  "bpftrace's `tracepoint:` programs run after the perf event path has filled a trace "
  "record, which this accounting does not see: section 2 measures all of it.")
p("")
p(f"- bpftrace count: `{meta.get('bt_count', '')}`")
p(f"- bpftrace histogram: `{meta.get('bt_hist', '').strip()}`")
p("")
p("| group | workload | hook | runs per op | first ns/run | empty ns/run | programs ns/run "
  "| **above empty, ns per event** | PE | EP |")
p("|---|---|---|---|---|---|---|---|---|---|")
cost = {}
for g, w, progs in groups:
    hs = group_hooks(g)
    if not hs:
        p(f"| {g} | {w} | (no such programs in this tree) | | | | | | | |")
        continue
    for h in hs:
        d, by = above_empty(g, h)
        cost[(g, h)] = d
        runs = [r["runs"].get(h, 0) / r["ops"] for (g_, _), r in per.items() if g_ == g]
        p(f"| {g} | {w} | {h} | {fmt(med(runs), 2)} | {fmt(med(col(g, 'first', h)))} | "
          f"{fmt(med(col(g, 'empty', h)))} | {fmt(med(col(g, 'prog', h)))} | "
          f"**{spread(d)}** | {fmt(med(by['PE']))} | {fmt(med(by['EP']))} |")


def pair_cost(g):
    """sys_enter + sys_exit above empty, per round (rounds with both)"""
    e = {r: x for r, x in enumerate(cost.get((g, "sys_enter"), []))}
    x = {r: v for r, v in enumerate(cost.get((g, "sys_exit"), []))}
    return [e[r] + x[r] for r in e if r in x]


pair = {g: pair_cost(g) for g in ("syscall", "syscall_time", "bpftrace_hist")}
p("")
p("Per system call (enter + exit, above two empty programs): "
  f"`syscall` (counting) {spread(pair['syscall'])} ns, `syscall_time` (TIMER + histogram) "
  f"{spread(pair['syscall_time'])} ns, bpftrace's histogram one-liner "
  f"{spread(pair['bpftrace_hist'])} ns (its programs' bodies only).")
for label, g, hooks in GOAL_HOOKS:
    h = next((h for h in hooks if cost.get((g, h))), None)
    if h is None:
        goals.append((f"counting program <= {GOAL_PROG_NS} ns above an empty one per event, "
                      f"{label}", f"no {g} program on {' or '.join(hooks)} in this tree", None))
        continue
    v = med(cost[(g, h)])
    goals.append((f"counting program <= {GOAL_PROG_NS} ns above an empty one per event, "
                  f"{label}", f"{g} on {h}: {fmt(v)} ns (bpf_stats)", v <= GOAL_PROG_NS))
v = med(pair["syscall_time"])
goals.append((f"syscall TIMER + histogram <= {GOAL_PAIR_NS} ns per enter+exit pair above the "
              "floor", f"{fmt(v)} ns (bpf_stats; wall clock and CPU time in section 2)",
              v <= GOAL_PAIR_NS))

# --- 2. system calls, wall clock ----------------------------------------------------
sc = rows("syscall.txt")
SYS = ["bare", "floor_enter", "floor", "syscall", "syscall_time", "bpftrace_count",
       "bpftrace_hist"]
sround = {}  # (config, round, metric) -> median of reps
for c, rnd, cpu, rep, wall, cput in sc:
    for m, v in (("wall", wall), ("cpu", cput)):
        sround.setdefault((c, int(rnd), m), []).append(float(v))
sround = {k: med(v) for k, v in sround.items()}
srounds = sorted({k[1] for k in sround})


def spaired(a, b, m):
    return [sround[(a, r, m)] - sround[(b, r, m)] for r in srounds
            if (a, r, m) in sround and (b, r, m) in sround]


p("")
p("## 2. System calls: kstatd's providers against bpftrace")
p("")
p(f"`getppid` in a loop pinned to one CPU, {meta['n_getppid']} calls per rep, "
  f"{meta['sys_reps']} reps per configuration in each of {meta['sys_rounds']} rounds, the "
  "configurations of a round in an order rotated every round. *bare*: nothing attached; "
  "*floor_enter*, *floor*: an empty `tp_btf` program on `sys_enter` (and `sys_exit`); "
  "*syscall*, *syscall_time*: the providers' programs; *bpftrace_count*, *bpftrace_hist*: "
  "the one-liners of section 1. bpftrace's probes are `tracepoint:raw_syscalls:*`: "
  "`rawtracepoint:` (what kstatd's `tp_btf` programs are) fails to parse in bpftrace 0.17 "
  "here, so `tracepoint:` is what a bpftrace user gets, perf event path included. Each "
  "tool's cost is taken above the floor of the hooks it uses (any program on a system-call "
  "tracepoint sends every system call through the slow path: that is the floor, the same "
  "for both). *CPU* is the loop's own CPU time per call (all of the hooks' work runs in "
  "it), which leaves out the time other users of the machine took the CPU; *wall* "
  "includes it. Paired per round, median across rounds [min-max], ns per call:")
p("")
p("| configuration | wall ns/call | CPU ns/call | wall - bare | CPU - bare | CPU above floor |")
p("|---|---|---|---|---|---|")
floor_of = {"syscall": "floor", "syscall_time": "floor", "bpftrace_count": "floor_enter",
            "bpftrace_hist": "floor"}
above = {}
for c in SYS:
    allw = [v for (c_, r, m), v in sround.items() if c_ == c and m == "wall"]
    allc = [v for (c_, r, m), v in sround.items() if c_ == c and m == "cpu"]
    af = spaired(c, floor_of[c], "cpu") if c in floor_of else []
    above[c] = af
    p(f"| {c} | {fmt(med(allw), 0)} | {fmt(med(allc), 0)} | {spread(spaired(c, 'bare', 'wall'))} "
      f"| {spread(spaired(c, 'bare', 'cpu'))} | {spread(af) if af else '-'} |")


def ratio(a, b):
    """
    bpftrace's (a) median cost above the floor over kstatd's (b), and what
    it was taken against.  Where kstatd's median is at or below zero (its
    cost within this run's noise), against its costliest round: a lower
    bound of the ratio.
    """
    if not above.get(b):
        return math.nan, ""
    if med(above[b]) > 0:
        return med(above[a]) / med(above[b]), f"{fmt(med(above[b]))} ns"
    hi = max(above[b])
    if hi <= 0:
        return math.nan, f"{fmt(med(above[b]))} ns, within this run's noise in every round"
    return med(above[a]) / hi, (f"{fmt(hi)} ns (its costliest round: its median, "
                                f"{fmt(med(above[b]))} ns, is within this run's noise, so the "
                                "ratio is a lower bound)")


(rc, rc_of), (rt, rt_of) = ratio("bpftrace_count", "syscall"), ratio("bpftrace_hist", "syscall_time")
p("")
p(f"bpftrace's cost over kstatd's, CPU above the floor: counting {fmt(rc)}x "
  f"(bpftrace `count()` per system call number against the `syscall` provider's {rc_of}), "
  f"timing {fmt(rt)}x (bpftrace's per-syscall latency histograms against `syscall_time`'s "
  f"{rt_of}).")
goals.append((f"syscall TIMER + histogram >= {GOAL_BPFTRACE_X}x cheaper than bpftrace's "
               "per-syscall latency histogram",
               f"{fmt(rt)}x ({fmt(med(above['bpftrace_hist']))} against {rt_of}; per call "
               "above the floor, CPU time)",
               not math.isnan(rt) and rt >= GOAL_BPFTRACE_X))
goals.append((f"counting provider >= {GOAL_BPFTRACE_X}x cheaper than bpftrace count() on the "
               "same hook",
               f"{fmt(rc)}x ({fmt(med(above['bpftrace_count']))} against {rc_of}; per call "
               "above the floor, CPU time)",
               not math.isnan(rc) and rc >= GOAL_BPFTRACE_X))

# --- 3. the default providers ---------------------------------------------------------
df = rows("defaults.txt")
pairs = {}  # (workload, pair) -> {config: (wall, cpu)}
for w, pr, cpu, c, wall, cput in df:
    pairs.setdefault((w, int(pr)), {})[c] = (float(wall), float(cput))
p("")
p("## 3. The default providers, always on")
p("")
p(f"One kstatd with its default providers ({meta.get('defaults', '?')}); "
  f"{meta['def_pairs']} pairs of runs per workload, one with the providers attached and "
  "one with them detached (`kstatd:0:config`), in turn first and second, each pair on the "
  "CPU that was idler just before, each run after a short warm-up. Per pair the relative "
  "difference *defaults / bare - 1*; below, their median, interquartile range and a 95% "
  "bootstrap interval of the median. Ops per run: getppid "
  f"{meta['n_getppid']}, ping-pong round trips {meta['n_pingpong']}, 4 KiB O_DIRECT reads "
  f"of a loop device {meta['n_blkio']}. The judging measure: the workload's CPU time where "
  "all of the hooks' work runs in its own processes (getppid, pingpong), so that others' "
  "use of the shared CPU drops out; the wall clock for blkio, whose completions run in the "
  "loop device's worker and in softirqs, outside the workload's CPU time.")
p("")
p("| workload | bare ns/op | measure | median | IQR | 95% interval | by the other measure |")
p("|---|---|---|---|---|---|---|")
rel = {}
for w in ("getppid", "pingpong", "blkio"):
    ks = [k for k in pairs if k[0] == w and "bare" in pairs[k] and "defaults" in pairs[k]]
    if not ks:
        continue
    m = DEFAULTS_BY[w]
    i, j = (1, 0) if m == "cpu" else (0, 1)
    r = [100 * (pairs[k]["defaults"][i] / pairs[k]["bare"][i] - 1) for k in ks]
    o = [100 * (pairs[k]["defaults"][j] / pairs[k]["bare"][j] - 1) for k in ks]
    bare = med([pairs[k]["bare"][i] for k in ks])
    lo, hi = median_ci(r)
    rel[w] = (m, r, o)
    p(f"| {w} | {fmt(bare, 0)} | {m} | **{fmt(med(r), 2)}%** | {fmt(quantile(r, .25), 2)} to "
      f"{fmt(quantile(r, .75), 2)}% | {fmt(lo, 2)} to {fmt(hi, 2)}% | "
      f"{'wall' if m == 'cpu' else 'cpu'} {fmt(med(o), 2)}% |")
    goals.append((f"default providers add <= {GOAL_DEFAULTS_PCT}% to {w}",
                  f"{fmt(med(r), 2)}% ({m}; 95% interval {fmt(lo, 2)} to {fmt(hi, 2)}%)",
                  med(r) <= GOAL_DEFAULTS_PCT))
idle = rows("kstatd_idle.txt")
if idle:
    secs, ticks, hz = (float(x) for x in idle[0])
    p("")
    p(f"kstatd itself, idle with its defaults (no scrapes) for {fmt(secs, 0)} s: "
      f"{fmt(ticks / hz / secs * 1000, 1)} ms of CPU per second (its sync thread; at the "
      f"clock tick's resolution, {fmt(1000 / hz, 0)} ms).")
# --- 4. scrape ------------------------------------------------------------------------
sc = rows("scrape.txt")
p("")
p("## 4. Scrape cost against node_exporter")
p("")
p(f"wrk for {meta['scrape_secs']} s per line, back to back, asking for gzip and "
  "OpenMetrics as Prometheus does; *CPU s / 1000* is the exporter's utime + stime over the "
  "run per 1000 scrapes; RSS at the end of the run, and its peak (VmHWM). *kstatd* serves "
  "its default providers; *kstatd+N* adds N synthetic kstats of 4 statistics each "
  "(`bench/bpf/synth.bpf.c`), so that it serves at least as many series as node_exporter.")
p("")
p("| exporter | conns | series | bytes | gzip bytes | scrapes | per second | p50 ms | p99 ms "
  "| CPU s / 1000 | RSS MiB | peak MiB |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|")
scr = {}
for e, c, series, b, gz, reqs, rps, p50, p99, cpu, rss, hwm, errs in sc:
    scr[(e, int(c))] = dict(series=int(series), p50=float(p50), p99=float(p99),
                            cpu=float(cpu), rss=int(rss), hwm=int(hwm), rps=float(rps))
    p(f"| {e} | {c} | {series} | {b} | {gz} | {reqs} | {rps} | {p50} | {p99} | {cpu} | "
      f"{int(rss) / 1024:.1f} | {int(hwm) / 1024:.1f} |")

# --- 5. scaling -------------------------------------------------------------------------
sw = rows("scale_walk.txt")
ss = rows("scale_serve.txt")
p("")
p("## 5. Snapshot scaling")
p("")
p("The synthetic provider (a per-CPU hash, 4 statistics per kstat) with N entries. "
  "*walk*: one full snapshot of every kstat in process (`bench/snapshot_scale.c`, "
  "what each scrape and each `kstat` read starts from), walks back to back, so that "
  "what fits in the caches stays there; *cold walk*: the same after reading 256 MB, which "
  "leaves none of the kstats or the map cached, as the seconds between two scrapes do; *sync*: the periodic look for new "
  "and vanished entries when nothing changed (the map is `KSTAT_TRACKED`: its "
  "`kstat_keys_gen` did not move, so no key is read); *keys read*: the same sync after that "
  "count moved, reading every key (what an untracked map's sync costs each time); *scrape*: `curl` of the whole `/metrics` of a "
  "kstatd serving the synthetic provider only (plain text, no gzip); *kstat -p*: the CLI "
  "printing every kstat through libkstat and the socket. Medians of "
  f"{meta['scale_reps']} [min-max], ms.")
p("")
p("*collect[]*: a scrape of `collect[]=kstatd`, one small module among N synthetic kstats, "
  "9 back to back per rep (median and range of all; the goal's comparison is made "
  "apart, by two kstatds serving the most and 10 synthetic kstats side by side, 9 scrapes "
  "of each in turn per round); "
  "*kstat -p single*: the CLI with `KSTAT_BATCH=0`, one round trip per kstat (one rep at "
  "100k), against *kstat -p* in batches.")
p("")
p("| kstats | walk | per kstat | cold walk | sync | keys read | scrape | bytes | collect[] "
  "| kstat -p | bytes | kstat -p single |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|")
serve = {}
for n, what, rep, ms, b in ss:
    s = serve.setdefault((int(n), what), [[], 0])
    s[0].append(float(ms))
    s[1] = int(b)
walk, walk_cold = {}, {}
for n, kst, m, mn, mx, per, sync, sync_read, *cold in sw:
    walk[int(n)] = (int(kst), float(m), float(sync), float(sync_read))
    if cold:
        walk_cold[int(n)] = float(cold[0])
    sc_ = serve.get((int(n), "scrape"), [[], 0])
    kp = serve.get((int(n), "kstat_p"), [[], 0])
    fl = serve.get((int(n), "scrape_kstatd"), [[], 0])
    k1 = serve.get((int(n), "kstat_p_single"), [[], 0])
    p(f"| {n} | {fmt(float(m), 2)} [{fmt(float(mn), 2)}-{fmt(float(mx), 2)}] | {per} ns | "
      f"{fmt(walk_cold[int(n)], 2) if int(n) in walk_cold else '-'} | "
      f"{fmt(float(sync), 3)} | {fmt(float(sync_read), 2)} | {spread(sc_[0], 2)} | {sc_[1]} | {spread(fl[0], 2)} | "
      f"{spread(kp[0], 2)} | {kp[1]} | {spread(k1[0], 2)} |")

swa = rows("scale_walk_array.txt")
walk_array = {}
if swa:
    p("")
    p("The same kstats laid out as a per-CPU array of 100k entries (`bench/bpf/synth_array.bpf.c`: "
      "keys that are a dense index, as system call and IRQ numbers are), one kstat per entry "
      "that is not all zeros. Its batch read takes no bucket locks, but it reads every entry "
      "the array declares, used or not, and so does each sync, which finds the used ones "
      "(an array is never tracked). In process, medians of "
      f"{meta['scale_reps']} [min-max], ms:")
    p("")
    p("| kstats | walk | per kstat | sync |")
    p("|---|---|---|---|")
    for n, kst, m, mn, mx, per, sync, sync_read, *_ in swa:
        walk_array[int(n)] = (int(kst), float(m), float(sync))
        p(f"| {n} | {fmt(float(m), 2)} [{fmt(float(mn), 2)}-{fmt(float(mx), 2)}] | {per} ns | "
          f"{fmt(float(sync), 2)} |")


def fit(xs, ys):
    """least squares y = a + b x; b, a, r^2"""
    n = len(xs)
    if n < 2:
        return math.nan, math.nan, math.nan
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx else math.nan
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return b, a, 1 - ss_res / ss_tot if ss_tot else math.nan


p("")
p("Cost per kstat, from a least-squares line through all sizes (time = fixed + slope x "
  "kstats), and the growth of the last decade against linear:")
p("")
p("| | ns per kstat (slope) | fixed ms | r^2 | time x from 10k to 100k kstats |")
p("|---|---|---|---|---|")
lin = {}
series_fit = [("walk", {n: v[1] for n, v in walk.items()}, {n: v[0] for n, v in walk.items()})]
if walk_cold:
    series_fit.append(("walk (cold)", walk_cold, {n: walk[n][0] for n in walk_cold}))
for what in ("scrape", "kstat_p", "kstat_p_single"):
    series_fit.append((what, {n: med(v[0]) for (n, w_), v in serve.items() if w_ == what},
                       {n: walk.get(n, (n,))[0] for (n, w_) in serve if w_ == what}))
for what, t, kst in series_fit:
    ns = sorted(t)
    b, a, r2 = fit([kst[n] for n in ns], [t[n] for n in ns])
    g = t[100000] / t[10000] if 100000 in t and 10000 in t and t[10000] > 0 else math.nan
    lin[what] = (b, a, r2, g)
    p(f"| {what.replace('_', ' -')} | {fmt(b * 1e6, 0)} | {fmt(a, 2)} | {fmt(r2, 4)} | "
      f"{fmt(g, 1) + ' (linear: 10.0)' if not math.isnan(g) else '-'} |")

# --- goals ------------------------------------------------------------------------------
ne = scr.get(("node_exporter", 1))
kb = [e for (e, c) in scr if e.startswith("kstatd+") and c == 1]
if ne and kb:
    k1 = scr[(kb[0], 1)]
    goals.append(("scrape p50 <= 1/10 of node_exporter's at no fewer series",
                  f"{kb[0]} ({k1['series']} series) {k1['p50']} ms, node_exporter "
                  f"({ne['series']}) {ne['p50']} ms: 1/{fmt(ne['p50'] / k1['p50'])}",
                  k1["p50"] * 10 <= ne["p50"]))
    k8 = scr.get((kb[0], 8), k1)
    ne8 = scr.get(("node_exporter", 8), ne)
    km, nm = max(k1["hwm"], k8["hwm"]), max(ne["hwm"], ne8["hwm"])
    goals.append(("RSS <= 1/3 of node_exporter's", f"peak {km / 1024:.1f} MiB against "
                  f"{nm / 1024:.1f} MiB: 1/{fmt(nm / km)}", km * 3 <= nm))
mem = {e: (int(r), int(h)) for e, r, h in rows("memory.txt")} \
    if os.path.exists(f"{DATA}/memory.txt") else {}
if "kstatd" in mem and "node_exporter" in mem:
    (kr, kh), (nr, nh) = mem["kstatd"], mem["node_exporter"]
    goals.append(("RSS <= 1/3 of node_exporter's, steady (default providers)",
                  f"{kr / 1024:.1f} MiB against {nr / 1024:.1f} MiB: 1/{fmt(nr / kr)}",
                  kr * 3 <= nr))
    goals.append(("RSS <= 1/3 of node_exporter's, peak (VmHWM)",
                  f"{kh / 1024:.1f} MiB against {nh / 1024:.1f} MiB: 1/{fmt(nh / kh)}",
                  kh * 3 <= nh))


def goal_ms(what, n, limit, label):
    v = serve.get((n, what), [[], 0])[0]
    if v:
        goals.append((f"{label} <= {limit} ms", f"{fmt(med(v), 1)} ms", med(v) <= limit))


if 100000 in walk:
    goals.append(("100k kstats: full walk <= 25 ms, per-CPU hash",
                  f"{fmt(walk[100000][1], 1)} ms", walk[100000][1] <= 25))
if 100000 in walk_array:
    goals.append(("100k kstats: full walk <= 25 ms, per-CPU array (a dense index)",
                  f"{fmt(walk_array[100000][1], 1)} ms", walk_array[100000][1] <= 25))
if 100000 in walk:
    goals.append(("100k kstats: sync with nothing changed <= 10 ms",
                  f"{fmt(walk[100000][2], 3)} ms (tracked map; {fmt(walk[100000][3], 1)} ms "
                  "when its keys are read)", walk[100000][2] <= 10))
goal_ms("scrape", 100000, 150, "100k kstats: scrape")
goal_ms("kstat_p", 10000, 100, "10k kstats: kstat -p")
goal_ms("kstat_p", 100000, 1000, "100k kstats: kstat -p")
# from the two kstatds side by side, in turn (the table's column was measured
# minutes apart, size after size)
fl = {n: med(v[0]) for (n, w_), v in serve.items() if w_ == "collect_pair"}
if fl and max(fl) > min(fl):
    lo, hi = fl[min(fl)], fl[max(fl)]
    goals.append((f"collect[] of one module among {max(fl)} kstats within 20% of it among "
                  f"{min(fl)}", f"{fmt(hi, 2)} against {fmt(lo, 2)} ms: "
                  f"{fmt(100 * (hi / lo - 1), 0)}% (two kstatds side by side, "
                  f"{len(serve[(max(fl), 'collect_pair')][0])} scrapes each, in turn)",
                  hi <= lo * 1.2))
for what in ("walk", "walk (cold)", "scrape", "kstat_p"):
    if what in lin and not math.isnan(lin[what][3]):
        g = lin[what][3]
        goals.append((f"{what.replace('_', ' -')}: linear from 10k to 100k (time x <= 12)",
                      f"x{fmt(g, 1)}", g <= 12))
p("")
p("## Goals")
p("")
p("The goals of issues 16 and 18 (and the scrape goals before them), each with what this "
  "run measured.")
p("")
p("| goal | measured | met |")
p("|---|---|---|")
for goal, measured, ok in goals:
    p(f"| {goal} | {measured} | {'n/a' if ok is None else met(ok)} |")

if os.path.exists(NOTES):
    p("")
    with open(NOTES) as f:
        p(f.read().rstrip("\n"))

p("")
p("## Files")
p("")
p("`data/` holds the raw numbers these tables come from (`progstats.txt`, `syscall.txt`, "
  "`defaults.txt`, `kstatd_idle.txt`, `scrape.txt`, `scale_walk.txt`, `scale_walk_array.txt`, `scale_serve.txt`, "
  "`meta.txt`); the plots are `bpf_stats.png`, `syscall.png`, `defaults.png`, `scrape.png` "
  "and `snapshot_scaling.png`. `make bench` remakes all of it (see `bench/README.md`).")

with open(os.path.join(RES, "RESULTS.md"), "w") as f:
    f.write("\n".join(out) + "\n")

# --- plots ------------------------------------------------------------------------------
if not shutil.which("gnuplot"):
    sys.exit(0)


def dat(name, lines):
    path = os.path.join(DATA, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


ROUND = "set terminal pngcairo size 900,480 font 'sans,10'\nset termoption noenhanced\n"
# bpf_stats: each group's programs above an empty one, per hook, with the spread
lines = [f'"{g} {h}" {med(d):.1f} {min(d):.1f} {max(d):.1f}' for (g, h), d in cost.items() if d]
if lines:
    path = dat("plot_bpf_stats.dat", lines)
    gnuplot(ROUND.replace("900,480", "1100,480") + f"""set output '{RES}/bpf_stats.png'
set title 'Programs above an empty one on the same hook, bpf_stats: median of rounds, bars min-max'
set ylabel 'ns per event'
set style fill solid 0.7 border -1
set boxwidth 0.6
set grid ytics
set xtics rotate by -30 font ',8'
set yrange [0:*]
plot '{path}' using 0:2:xtic(1) with boxes notitle, '' using 0:2:3:4 with yerrorbars lc black pt 0 notitle, \
     {GOAL_PROG_NS} with lines dt 2 lc rgb 'red' title 'goal for counting: {GOAL_PROG_NS} ns'
""")
# system calls: CPU above bare per configuration
lines = []
for c in SYS[1:]:
    d = spaired(c, "bare", "cpu")
    if d:
        lines.append(f"{c} {med(d):.1f} {min(d):.1f} {max(d):.1f}")
if lines:
    path = dat("plot_syscall.dat", lines)
    gnuplot(ROUND + f"""set output '{RES}/syscall.png'
set title 'getppid: CPU time added per call against bare, median of rounds, bars min-max'
set ylabel 'ns per call'
set style fill solid 0.7 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
plot '{path}' using 0:2:xtic(1) with boxes notitle, '' using 0:2:3:4 with yerrorbars lc black pt 0 notitle
""")
# defaults: per-pair relative differences
lines = []
for w, (m, r, o) in rel.items():
    lines.append(f"{w}({m}) {med(r):.3f} {quantile(r, .25):.3f} {quantile(r, .75):.3f} "
                 f"{min(r):.3f} {max(r):.3f}")
if lines:
    path = dat("plot_defaults.dat", lines)
    gnuplot(ROUND + f"""set output '{RES}/defaults.png'
set title 'Default providers: defaults / bare - 1 per pair of runs (box: IQR, whiskers: min-max)'
set ylabel '%'
set style fill solid 0.5 border -1
set boxwidth 0.4
set grid ytics
set xrange [-0.6:{len(lines) - 0.4}]
plot '{path}' using 0:3:5:6:4:xtic(1) with candlesticks notitle whiskerbars 0.5, \
     '' using 0:2:2:2:2 with candlesticks lt -1 lw 2 notitle, \
     {GOAL_DEFAULTS_PCT} with lines dt 2 lc rgb 'red' title 'goal: {GOAL_DEFAULTS_PCT}%'
""")
# scrape
lines = []
for e in dict.fromkeys(e for e, _ in scr):
    a, b = scr.get((e, 1)), scr.get((e, 8))
    lines.append(f'"{e} ({a["series"]} series)" {a["p50"]} {a["p99"]} {b["p50"] if b else 0} '
                 f'{b["p99"] if b else 0} {a["cpu"]}')
if lines:
    sc_dat = dat("plot_scrape.dat", lines)
    gnuplot(ROUND + f"""set output '{RES}/scrape.png'
set multiplot layout 1,2 title 'Scrape: kstatd against node_exporter (wrk)'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set grid ytics
set xtics rotate by -15 font ',8'
set key top left font ',8'
set ylabel 'ms'
set title 'latency'
plot '{sc_dat}' using 2:xtic(1) title 'p50, 1 conn', '' using 3 title 'p99, 1 conn', \
     '' using 4 title 'p50, 8 conns', '' using 5 title 'p99, 8 conns'
set ylabel 'CPU s per 1000 scrapes'
set title 'CPU'
plot '{sc_dat}' using 6:xtic(1) title '1 conn' lc 4
unset multiplot
""")
# scaling
lines = []
for n in sorted(walk):
    k, m, sync, sync_read = walk[n]
    sc_ = serve.get((n, "scrape"), [[], 0])[0]
    kp = serve.get((n, "kstat_p"), [[], 0])[0]
    k1 = serve.get((n, "kstat_p_single"), [[], 0])[0]
    fl = serve.get((n, "scrape_kstatd"), [[], 0])[0]
    lines.append(f"{k} {m} {med(sc_) if sc_ else 'NaN'} {med(kp) if kp else 'NaN'} {sync_read} "
                 f"{med(k1) if k1 else 'NaN'} {med(fl) if fl else 'NaN'} "
                 f"{walk_cold.get(n, 'NaN')}")
if lines:
    sl_dat = dat("plot_scaling.dat", lines)
    gnuplot(ROUND + f"""set output '{RES}/snapshot_scaling.png'
set title 'Time against kstats (log-log; a linear cost is a line of slope 1)'
set logscale xy
set xlabel 'kstats'
set ylabel 'ms'
set key top left opaque box
set grid
plot '{sl_dat}' using 1:2 with linespoints lw 2 title 'full snapshot (walk)', \
     '' using 1:8 with linespoints title 'full snapshot, cold caches', \
     '' using 1:3 with linespoints lw 2 title 'scrape (/metrics)', \
     '' using 1:4 with linespoints lw 2 title 'kstat -p (libkstat, batched)', \
     '' using 1:6 with linespoints title 'kstat -p, one round trip per kstat', \
     '' using 1:7 with linespoints title 'scrape of collect[]=kstatd', \
     '' using 1:5 with linespoints title 'sync reading every key', \
     '' using 1:($1 * 0.0004) with lines dt 2 lc rgb 'gray' title '400 ns per kstat'
""")
