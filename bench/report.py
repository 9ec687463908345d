#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Turn the raw numbers bench/run.sh wrote into RES/RESULTS.md and PNG
plots (gnuplot).  Usage: bench/report.py RES [NOTES.md]

RES/data/ holds meta.txt, per_event.txt, progstats.txt, scrape.txt,
scale_walk.txt and scale_serve.txt.  An optional NOTES.md (the analysis of
a run, written by hand) is appended after the tables."""
import math
import os
import shutil
import statistics
import subprocess
import sys

RES = sys.argv[1]
DATA = os.path.join(RES, "data")
NOTES = sys.argv[2] if len(sys.argv) > 2 else os.path.join(RES, "NOTES.md")
CONFIGS = ["bare", "floor", "kstatd", "bpftrace", "defaults"]


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


meta, workloads = {}, []
with open(os.path.join(DATA, "meta.txt")) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition(" ")
        if k == "workload":
            w, provs, events = v.split("|")
            ev = {e.split(":")[0]: int(e.split(":")[1]) for e in events.split()}
            workloads.append((w, provs, ev))
        elif k == "n":
            meta["n_" + v.split()[0]] = int(v.split()[1])
        else:
            meta[k] = v
smoke = meta.get("smoke") == "1"
out = []
p = out.append

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
p(f"| kstatd | {meta['kstatd']} (gcc -O2; BPF by {meta['clang']}) |")
p(f"| bpftrace | {meta['bpftrace']} |")
p(f"| node_exporter | {meta['node_exporter']} (Debian package, default collectors) |")
p(f"| wrk, libbpf | {meta['wrk']}, {meta['libbpf']} |")
p(f"| load average at the end | {meta['load']} |")

# --- 1. per-event, wall clock -------------------------------------------------
pe = rows("per_event.txt")
# per (workload, config, round): the median of its reps
per_round, allruns, foreign = {}, {}, {}
for w, c, rnd, cpu, rep, ns, fl in pe:
    per_round.setdefault((w, c, int(rnd)), []).append(float(ns))
    allruns.setdefault((w, c), []).append(float(ns))
    foreign.setdefault(w, []).append(int(fl))
per_round = {k: med(v) for k, v in per_round.items()}
rounds = sorted({k[2] for k in per_round})


def paired(w, a, b):
    """a - b per round, the rounds both ran in"""
    return [per_round[(w, a, r)] - per_round[(w, b, r)] for r in rounds
            if (w, a, r) in per_round and (w, b, r) in per_round]


p("")
p("## 1. Per-event overhead")
p("")
p(f"Each workload runs pinned to one CPU (the idler of the two at the start of each round), "
  f"{meta['reps']} reps per configuration in each of {meta['rounds']} rounds; the configurations "
  "of a round run one after the other in an order rotated every round. Operations per rep: "
  f"getppid {meta['n_getppid']}, ping-pong round trips {meta['n_pingpong']}, "
  f"4 KiB O_DIRECT reads {meta['n_blkio']}.")
p("")
p("- *bare*: nothing of ours attached; *floor*: empty BPF programs (`tp_btf`) on exactly "
  "the hooks the provider(s) attach, as many per hook; *kstatd*: kstatd with only the "
  "workload's provider(s) attached; *bpftrace*: `count()` on the same tracepoints "
  "(`tracepoint:` probes, as 0.17 has no working `rawtracepoint`); *defaults*: kstatd with "
  "its default providers (cpu_sys, sched, net, intr, disk).")
p("- Workloads and hooks: **getppid** (a system call loop; syscall provider: "
  "sys_enter, sys_exit: 2 events per op), **pingpong** (a pipe round trip between two "
  "processes on one CPU; cpu_sys and sched providers, whose hook that fires is "
  "sched_switch, with a program of each: 2 switches per op), **blkio** "
  "(a 4 KiB O_DIRECT read of a loop device, mq-deadline; disk provider: block_io_done, "
  "one per op).")
p("")
p("ns per operation, median of all reps [min-max]:")
p("")
p("| workload | " + " | ".join(CONFIGS) + " |")
p("|---|" + "---|" * len(CONFIGS))
for w, provs, ev in workloads:
    p(f"| {w} | " + " | ".join(spread(allruns.get((w, c), []), 0) for c in CONFIGS) + " |")
p("")
p("Overheads, ns per operation: the difference to *bare* (or *floor*) in each round, "
  "median across rounds [min-max]; per event divides by the hook events of one operation:")
p("")
p("| workload | events/op | floor - bare | kstatd - bare | bpftrace - bare | "
  "**kstatd - floor per event** | bpftrace / kstatd overhead |")
p("|---|---|---|---|---|---|---|")
wall = {}
for w, provs, ev in workloads:
    evn = sum(ev.values())
    fb, kb, tb, kf = (paired(w, "floor", "bare"), paired(w, "kstatd", "bare"),
                      paired(w, "bpftrace", "bare"), paired(w, "kstatd", "floor"))
    kfe = [x / evn for x in kf]
    ratio = med(tb) / med(kb) if kb and med(kb) > 0 else math.nan
    wall[w] = (med(kfe), ratio, med(kb), med(tb))
    p(f"| {w} | {evn} | {spread(fb)} | {spread(kb)} | {spread(tb)} | {spread(kfe)} | "
      f"{fmt(ratio) + 'x' if not math.isnan(ratio) else 'n/a (kstatd within noise)'} |")
p("")
p("Noise: BPF links other users of this machine had on the same hooks while a "
  "configuration ran (other engineers' kstatd test instances): " +
  ", ".join(f"{w} {min(v)}-{max(v)}" for w, v in foreign.items()) + ". "
  "Spread of *bare* across rounds: " +
  ", ".join(f"{w} {fmt(min(v), 0)}-{fmt(max(v), 0)} ns"
            for w, v in ((w, [per_round[k] for k in per_round if k[0] == w and k[1] == 'bare'])
                         for w, _, _ in workloads) if v) + ".")

# --- 1b. per-event, bpf_stats ---------------------------------------------------
ps = rows("progstats.txt")


def hook_of(name, hooks):
    for pre in ("handle_", "empty_"):
        if name.startswith(pre):
            name = name[len(pre):]
    for h in hooks:
        if h == name or (len(name) >= 15 and h.startswith(name)):
            return h
    return None


# (workload, config, hook) -> [(runs, ns)] one per program
prog = {}
progall = {}
for w, c, pid, name, cnt, t, ops in ps:
    cnt, t = int(cnt), int(t)
    allhooks = [h for _, _, ev in workloads for h in ev] + [
        "sched_switch", "sched_wakeup", "sched_wakeup_new", "irq_handler_entry",
        "irq_handler_exit", "softirq_entry", "sched_process_fork", "sched_process_exec",
        "page_fault_user", "page_fault_kernel", "block_rq_merge", "block_rq_requeue",
        "netif_receive_skb", "net_dev_xmit", "kfree_skb", "sys_enter", "sys_exit"]
    h = hook_of(name, allhooks)
    prog.setdefault((w, c, h), []).append((cnt, t, int(ops), int(pid)))
    if c == "defaults":
        a = progall.setdefault(name, [0, 0])
        a[0] += cnt
        a[1] += t


def per_run(w, c, h):
    """ns per run of each program on hook h (list), runs per op of the hook"""
    v = sorted(prog.get((w, c, h), []), key=lambda x: x[3])  # load order: provider order
    return [t / n for n, t, _, _ in v if n > 0], (max((n / o for n, _, o, _ in v), default=0))


p("")
p("### By the kernel's accounting (`kernel.bpf_stats_enabled=1`)")
p("")
p("A separate pass with BPF statistics on: each configuration once more beside each "
  "workload, and each program's `run_time_ns / run_cnt` over the run. This times the "
  "program body only, precisely and regardless of noise elsewhere; it includes the ~20 ns "
  "per run the statistics themselves cost, which cancels in *kstatd - floor* (both sides "
  "run the same number of programs per event). It leaves out the hook's own dispatch, "
  "which the wall clock includes: for bpftrace's `tracepoint:` programs that is the perf "
  "event path, which fills a trace record before the program runs, so its body cost here "
  "is not its overhead.")
p("")
p("| workload | hook | events/op | programs | floor ns/run | kstatd ns/event (each "
  "program, in provider order) | bpftrace ns/run | **kstatd - floor per event** |")
p("|---|---|---|---|---|---|---|---|")
precise = {}
for w, provs, ev in workloads:
    tot, evn = 0.0, 0
    for h, k in ev.items():
        f, fr = per_run(w, "floor", h)
        ks, kr = per_run(w, "kstatd", h)
        bt, _ = per_run(w, "bpftrace", h)
        if not f or not ks:
            p(f"| {w} | {h} | {k} | - | - | - | - | - |")
            continue
        fe = med(f)  # one empty program, linked once per kstatd program
        kev = sum(ks)
        d = kev - len(ks) * fe
        tot += k * d
        evn += k
        p(f"| {w} | {h} | {k} | {len(ks)} | {fmt(fe)} | {fmt(kev)}"
          f"{' (' + ' + '.join(fmt(x) for x in ks) + ')' if len(ks) > 1 else ''} | "
          f"{fmt(med(bt)) if bt else '-'} | {fmt(d)} |")
    precise[w] = tot / evn if evn else math.nan
    p(f"| {w} | **per event, weighted** | {evn} | | | | | **{fmt(precise[w])}** |")
p("")
p("Every default-on program, in the *defaults* configuration of this pass (all three "
  "workloads; runs are system-wide):")
p("")
p("| program | runs | ns per run |")
p("|---|---|---|")
for name, (n, t) in sorted(progall.items()):
    p(f"| {name} | {n} | {fmt(t / n) if n else '-'} |")

# --- 2. idle overhead of the defaults -----------------------------------------------
p("")
p("## 2. Idle overhead of the default providers")
p("")
p("*defaults* against *bare* in the same rounds (median across rounds [min-max]):")
p("")
p("| workload | bare ns/op | defaults - bare ns/op | relative |")
p("|---|---|---|---|")
for w, _, _ in workloads:
    bare = [per_round[k] for k in per_round if k[0] == w and k[1] == "bare"]
    d = paired(w, "defaults", "bare")
    p(f"| {w} | {fmt(med(bare), 0)} | {spread(d)} | "
      f"{fmt(100 * med(d) / med(bare)) if bare and d else '-'}% |")

# --- 3. scrape ------------------------------------------------------------------------
sc = rows("scrape.txt")
p("")
p("## 3. Scrape cost against node_exporter")
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

# --- 4. scaling -------------------------------------------------------------------------
sw = rows("scale_walk.txt")
ss = rows("scale_serve.txt")
p("")
p("## 4. Snapshot scaling")
p("")
p("The synthetic provider (a per-CPU hash, 4 statistics per kstat) with N entries. "
  "*walk*: one full snapshot of every kstat in process (`bench/snapshot_scale.c`, "
  "what each scrape and each `kstat` read starts from); *sync*: the periodic look for new "
  "and vanished entries when nothing changed; *scrape*: `curl` of the whole `/metrics` of a "
  "kstatd serving the synthetic provider only (plain text, no gzip); *kstat -p*: the CLI "
  "printing every kstat through libkstat and the socket. Medians of "
  f"{meta['scale_reps']} [min-max], ms.")
p("")
p("*collect[]*: a scrape of `collect[]=kstatd`, one small module among N synthetic kstats; "
  "*kstat -p single*: the CLI with `KSTAT_BATCH=0`, one round trip per kstat (one rep at "
  "100k), against *kstat -p* in batches.")
p("")
p("| kstats | walk | per kstat | sync | scrape | bytes | collect[] | kstat -p | bytes "
  "| kstat -p single |")
p("|---|---|---|---|---|---|---|---|---|---|")
serve = {}
for n, what, rep, ms, b in ss:
    s = serve.setdefault((int(n), what), [[], 0])
    s[0].append(float(ms))
    s[1] = int(b)
walk = {}
for n, kst, m, mn, mx, per, sync in sw:
    walk[int(n)] = (int(kst), float(m), float(sync))
    sc_ = serve.get((int(n), "scrape"), [[], 0])
    kp = serve.get((int(n), "kstat_p"), [[], 0])
    fl = serve.get((int(n), "scrape_kstatd"), [[], 0])
    k1 = serve.get((int(n), "kstat_p_single"), [[], 0])
    p(f"| {n} | {fmt(float(m), 2)} [{fmt(float(mn), 2)}-{fmt(float(mx), 2)}] | {per} ns | "
      f"{fmt(float(sync), 2)} | {spread(sc_[0], 2)} | {sc_[1]} | {spread(fl[0], 2)} | "
      f"{spread(kp[0], 2)} | {kp[1]} | {spread(k1[0], 2)} |")


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
p("")
p("## Goals")
p("")
p("| goal | measured | met |")
p("|---|---|---|")
for w, _, _ in workloads:
    pr = precise.get(w, math.nan)
    p(f"| {w}: kstatd - floor <= 10 ns per event | {fmt(pr)} ns (bpf_stats), "
      f"{fmt(wall[w][0])} ns (wall clock) | {'yes' if pr <= 10 else 'no'} |")
for w, _, _ in workloads:
    r = wall[w][1]
    p(f"| {w}: bpftrace count() overhead >= 3x kstatd's | "
      f"{fmt(r) + 'x' if not math.isnan(r) else 'kstatd within noise'} "
      f"({fmt(wall[w][3])} against {fmt(wall[w][2])} ns/op) | "
      f"{'yes' if (not math.isnan(r) and r >= 3) or (math.isnan(r) and wall[w][3] > 0) else 'no'} |")
ne = scr.get(("node_exporter", 1))
kb = [e for (e, c) in scr if e.startswith("kstatd+") and c == 1]
if ne and kb:
    k1 = scr[(kb[0], 1)]
    p(f"| scrape p50 <= 1/10 of node_exporter's at no fewer series | {kb[0]} "
      f"({k1['series']} series) {k1['p50']} ms, node_exporter ({ne['series']}) {ne['p50']} ms: "
      f"1/{fmt(ne['p50'] / k1['p50'])} | {'yes' if k1['p50'] * 10 <= ne['p50'] else 'no'} |")
    k8 = scr.get((kb[0], 8), k1)
    ne8 = scr.get(("node_exporter", 8), ne)
mem = {e: (int(r), int(h)) for e, r, h in rows("memory.txt")} \
    if os.path.exists(f"{DATA}/memory.txt") else {}
if "kstatd" in mem and "node_exporter" in mem:
    (kr, kh), (nr, nh) = mem["kstatd"], mem["node_exporter"]
    p(f"| RSS <= 1/3 of node_exporter's, steady (default providers) | {kr / 1024:.1f} MiB "
      f"against {nr / 1024:.1f} MiB: 1/{fmt(nr / kr)} | {'yes' if kr * 3 <= nr else 'no'} |")
    p(f"| RSS <= 1/3 of node_exporter's, peak (VmHWM) | {kh / 1024:.1f} MiB against "
      f"{nh / 1024:.1f} MiB: 1/{fmt(nh / kh)} | {'yes' if kh * 3 <= nh else 'no'} |")


def goal_ms(what, n, limit, label):
    v = serve.get((n, what), [[], 0])[0]
    if v:
        p(f"| {label} <= {limit} ms | {fmt(med(v), 1)} ms | {'yes' if med(v) <= limit else 'no'} |")


if 100000 in walk:
    p(f"| 100k kstats: full walk <= 25 ms | {fmt(walk[100000][1], 1)} ms | "
      f"{'yes' if walk[100000][1] <= 25 else 'no'} |")
    p(f"| 100k kstats: sync with nothing changed <= 10 ms | {fmt(walk[100000][2], 1)} ms | "
      f"{'yes' if walk[100000][2] <= 10 else 'no'} |")
goal_ms("scrape", 100000, 150, "100k kstats: scrape")
goal_ms("kstat_p", 10000, 100, "10k kstats: kstat -p")
goal_ms("kstat_p", 100000, 1000, "100k kstats: kstat -p")
fl = {n: med(v[0]) for (n, w_), v in serve.items() if w_ == "scrape_kstatd"}
if fl and max(fl) > min(fl):
    lo, hi = fl[min(fl)], fl[max(fl)]
    p(f"| collect[] of one module among {max(fl)} kstats within 20% of it among "
      f"{min(fl)} | {fmt(hi, 2)} against {fmt(lo, 2)} ms: {fmt(100 * (hi / lo - 1), 0)}% | "
      f"{'yes' if hi <= lo * 1.2 else 'no'} |")
for what in ("walk", "scrape", "kstat_p"):
    if what in lin and not math.isnan(lin[what][3]):
        g = lin[what][3]
        p(f"| {what.replace('_', ' -')}: linear from 10k to 100k (time x <= 12) | x{fmt(g, 1)} "
          f"| {'yes' if g <= 12 else 'no'} |")

if os.path.exists(NOTES):
    p("")
    with open(NOTES) as f:
        p(f.read().rstrip("\n"))

p("")
p("## Files")
p("")
p("`data/` holds the raw numbers these tables come from (`per_event.txt`, `progstats.txt`, "
  "`scrape.txt`, `scale_walk.txt`, `scale_serve.txt`, `meta.txt`); the plots are "
  "`per_event.png`, `bpf_stats.png`, `scrape.png` and `snapshot_scaling.png`. "
  "`make bench` remakes all of it (see `bench/README.md`).")

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
# per-event overheads, one panel per workload, with the spread across rounds
panels = []
for w, _, ev in workloads:
    evn = sum(ev.values())
    lines = []
    for c in ("floor", "kstatd", "bpftrace", "defaults"):
        d = [x / evn for x in paired(w, c, "bare")]
        if d:
            lines.append(f"{c} {med(d):.1f} {min(d):.1f} {max(d):.1f}")
    if lines:
        path = dat(f"plot_per_event_{w}.dat", lines)
        panels.append(f"""set title '{w} ({evn} hook events per op)'
plot '{path}' using 0:2:(0.6):xtic(1) with boxes notitle, '' using 0:2:3:4 with yerrorbars lc black pt 0 notitle""")
if panels:
    gnuplot(ROUND.replace("900,480", "1100,420") + f"""set output '{RES}/per_event.png'
set termoption noenhanced
set multiplot layout 1,{len(panels)} title 'Wall-clock overhead per hook event against bare: median of rounds, bars min-max (ns)'
set style fill solid 0.7 border -1
set grid ytics
set xrange [-0.6:3.6]
set ylabel 'ns per event'
""" + "\n".join(panels) + "\nunset multiplot\n")
# bpf_stats: kstatd - floor and bpftrace body per event, each hook
lines = []
for w, _, ev in workloads:
    for h in ev:
        f, _ = per_run(w, "floor", h)
        ks, _ = per_run(w, "kstatd", h)
        bt, _ = per_run(w, "bpftrace", h)
        if f and ks:
            lines.append(f"{h} {med(f):.1f} {sum(ks):.1f} {med(bt) if bt else 0:.1f}")
if lines:
    bs_dat = dat("plot_bpf_stats.dat", lines)
    gnuplot(ROUND + f"""set output '{RES}/bpf_stats.png'
set title 'Program run time per hook event, kernel.bpf_stats_enabled=1 (includes ~20 ns of stats per program)'
set ylabel 'ns per event'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -20
set key top left
set grid ytics
plot '{bs_dat}' using 2:xtic(1) title 'empty program(s)', '' using 3 title 'kstatd', \
     '' using 4 title 'bpftrace count() (body only)'
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
    k, m, sync = walk[n]
    sc_ = serve.get((n, "scrape"), [[], 0])[0]
    kp = serve.get((n, "kstat_p"), [[], 0])[0]
    k1 = serve.get((n, "kstat_p_single"), [[], 0])[0]
    fl = serve.get((n, "scrape_kstatd"), [[], 0])[0]
    lines.append(f"{k} {m} {med(sc_) if sc_ else 'NaN'} {med(kp) if kp else 'NaN'} {sync} "
                 f"{med(k1) if k1 else 'NaN'} {med(fl) if fl else 'NaN'}")
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
     '' using 1:3 with linespoints lw 2 title 'scrape (/metrics)', \
     '' using 1:4 with linespoints lw 2 title 'kstat -p (libkstat, batched)', \
     '' using 1:6 with linespoints title 'kstat -p, one round trip per kstat', \
     '' using 1:7 with linespoints title 'scrape of collect[]=kstatd', \
     '' using 1:5 with linespoints title 'sync (nothing changed)', \
     '' using 1:($1 * 0.0004) with lines dt 2 lc rgb 'gray' title '400 ns per kstat'
""")
