#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Check that the daemon's layers call only downward (docs/architecture.md).

  scripts/layers.py [OUTPUT]

Reads the sources of common/ and src/ and the objects the build left in
OUTPUT/obj (default build), and checks, printing one "ok"/"FAIL" line each:
  - every #include of a project header names one of the same directory or
    one of a layer below (LAYERS);
  - no file includes another directory's private header (*_impl.h);
  - every symbol an object takes from another object of the daemon is
    defined in the same directory or a layer below;
  - no call cycle between modules (a module: x.c with x.h, the x_*.c
    beside an x.c and files that share a private x_impl.h);
  - every public function of a file carries the file's prefix (PREFIXES
    lists the few documented otherwise).
Exits 1 if anything failed.
"""
import os
import re
import subprocess
import sys

# each directory and those it may use; kstatd.c (src/) may use them all
LAYERS = {
    "common": [],
    "src/os": ["common"],
    "src/engine": ["src/os", "common"],
    "src/providers/books": ["src/engine", "src/os", "common"],
    "src/providers/maps": ["src/providers/books", "src/engine", "src/os", "common"],
    "src/providers/builtin": ["src/providers/maps", "src/providers/books", "src/engine", "src/os",
                              "common"],
    "src/providers/loader": ["src/providers/builtin", "src/providers/maps", "src/providers/books",
                             "src/engine", "src/os", "common"],
    "src/providers/userspace": ["src/providers/loader", "src/providers/builtin",
                                "src/providers/maps", "src/providers/books", "src/engine",
                                "src/os", "common"],
    "src/serve/ioctl": ["src/engine", "src/os", "common"],
    "src/serve/http": ["src/engine", "src/os", "common"],
}
LAYERS["src"] = list(LAYERS)
# the clients: libkstat and the shim, and the commands on top of it
LAYERS["lib"] = []
LAYERS["cmd"] = ["lib", "common"]

# prefixes other than the file's name, as STYLE.md and the headers document them
PREFIXES = {
    "snapshot": ["snap_"], "snap_rw": ["snap_"],
    "ioctl_compat": ["ioc_"], "ioc_request": ["ioc_"],
    "pmap_fill": ["pmap_"], "keydec_net": ["keydec_net_"],
    "kstatd": ["main", "argp_program_"],
    "provider_self": ["provider_self_"], "provider_dir": ["pdir_"],
    "builtin": ["builtin"], "json_render": ["json_"], "http_export": ["http_"],
    "http_listen": ["http_"], "prom_group": ["prom_group_"], "prom_render": ["prom_"],
    "prom_name": ["prom_name_"], "web_config": ["web_config_", "wc_"],
    "kstat_types": ["kstat_types_", "kt_"],
    # the disk and net providers' userspace: disk_*, net_* (their ext tables, the disks' books)
    "disk_dev": ["disk_"], "disk_kstats": ["disk_"], "net_kstats": ["net_"],
    "keydec_drop": ["keydec_"], "netns_enter": ["netns_"],
    # the cpu_sys provider's RAW kstats (cpu_stat_ext); the SPL's text formats (spl_kstat_*, spl_*)
    "cpu_stat_raw": ["cpu_stat_"], "spl_parse": ["spl_"],
}

fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL: ") + what)
    if not ok:
        fails += 1


def sources():
    out = []
    for top in ("common", "src", "lib", "cmd"):
        for d, _, fs in os.walk(top):
            out += [os.path.join(d, f) for f in fs if f.endswith((".c", ".h"))]
    return sorted(out)


def module_dir(path):
    return os.path.dirname(path)


def resolve(inc, src):
    """The project file an #include "inc" of src names, or None (generated, lib/, include/)."""
    for cand in (os.path.join(os.path.dirname(src), inc), os.path.join("src", inc), inc):
        if os.path.isfile(cand) and cand.startswith(("src/", "common/", "lib/", "cmd/")):
            return os.path.normpath(cand)
    return None


def check_includes(files):
    bad, private = [], []
    for f in files:
        for m in re.finditer(r'^#include "([^"]+)"', open(f).read(), re.M):
            h = resolve(m.group(1), f)
            if not h:
                continue
            d, hd = module_dir(f), module_dir(h)
            if hd != d and hd not in LAYERS[d]:
                bad.append("%s includes %s" % (f, h))
            if hd != d and h.endswith("_impl.h"):
                private.append("%s includes %s" % (f, h))
    check(not bad, "every include names its own directory or a layer below" +
          "".join("\n    " + b for b in bad))
    check(not private, "no file includes another directory's private header" +
          "".join("\n    " + b for b in private))


def nm_all(objs):
    """object -> (defined global symbols, undefined symbols), from one run of nm"""
    out = subprocess.run(["nm", "-A", "-g"] + sorted(objs), capture_output=True,
                         text=True).stdout
    syms = {o: (set(), set()) for o in objs}
    for ln in out.splitlines():
        obj, _, rest = ln.partition(":")
        parts = rest.split()
        if obj not in syms or len(parts) < 2:
            continue
        # the sanitizers' own (__odr_asan.*, __asan_*, __ubsan_*): not the file's
        if parts[-1].startswith("__"):
            continue
        syms[obj][1 if parts[-2] == "U" else 0].add(parts[-1])
    return syms


def modules(files):
    """source -> module: x.c with x.h, the x_*.c beside an x.c, files sharing a private x_impl.h"""
    mod = {}
    for f in files:
        if not f.endswith(".c"):
            continue
        stem = os.path.splitext(os.path.basename(f))[0]
        mod[f] = stem
        head = stem.split("_")[0]
        if head != stem and os.path.isfile(os.path.join(os.path.dirname(f), head + ".c")):
            mod[f] = head
        for m in re.finditer(r'^#include "([a-z_]+)_impl\.h"', open(f).read(), re.M):
            mod[f] = m.group(1)
    return mod


def check_objects(files, out):
    objs = {f: os.path.join(out, "obj", os.path.splitext(f)[0] + ".o")
            for f in files if f.endswith(".c")}
    # the reports (kiostat, kmpstat) build from their sources with no object of their own;
    # libkstat's names are illumos's and the shim's libc's: their includes are checked only
    objs = {f: o for f, o in objs.items()
            if not f.startswith("lib/") and (not f.startswith("cmd/") or os.path.isfile(o))}
    missing = [o for o in objs.values() if not os.path.isfile(o)]
    if missing:
        check(False, "objects built (make): missing %s" % ", ".join(missing))
        return
    syms = nm_all(objs.values())
    defined = {}
    for f, o in objs.items():
        for s in syms[o][0]:
            defined[s] = f
    mod = modules(files)
    bad, edges = [], {}
    for f, o in objs.items():
        for s in syms[o][1]:
            g = defined.get(s)
            if not g or g == f:
                continue
            d, gd = module_dir(f), module_dir(g)
            if gd != d and gd not in LAYERS[d]:
                bad.append("%s calls %s (%s)" % (f, s, g))
            if mod[f] != mod[g]:
                edges.setdefault(mod[f], set()).add(mod[g])
    check(not bad, "every call goes to its own directory or a layer below" +
          "".join("\n    " + b for b in sorted(set(bad))))
    cycles = sccs(edges)
    check(not cycles, "no call cycle between modules" +
          "".join("\n    " + " <-> ".join(sorted(c)) for c in cycles))
    wrong = []
    for f, o in objs.items():
        stem = os.path.splitext(os.path.basename(f))[0]
        ok = [stem + "_", stem] + PREFIXES.get(stem, [])
        if f.startswith("cmd/"):
            ok += ["ks_", "main"]  # the kstat command's, as illumos's
        for s in sorted(syms[o][0]):
            if not any(s == p or s.startswith(p) for p in ok):
                wrong.append("%s exports %s" % (f, s))
    check(not wrong, "every exported symbol carries its file's prefix" +
          "".join("\n    " + w for w in wrong))


def sccs(edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(edges) | {n for v in edges.values() for n in v}
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build"
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    files = sources()
    unknown = sorted({module_dir(f) for f in files} - set(LAYERS))
    check(not unknown, "every directory has its place in the layers" +
          "".join("\n    " + u for u in unknown))
    check_includes(files)
    check_objects(files, out)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
