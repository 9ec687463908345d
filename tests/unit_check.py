#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Check an strace -f log of kstatd against what a systemd unit allows.

    unit_check.py UNIT TRACE EXE RUNTIME_DIR

Everything kstatd did after its execve of EXE must pass the unit's
sandbox: each system call in SystemCallFilter= (groups expanded with
systemd-analyze), each socket of a family in RestrictAddressFamilies=,
no writable and executable mapping and no mapping made executable later
(MemoryDenyWriteExecute=), no device but the ones PrivateDevices= keeps,
nothing in ProtectHome=, ProtectKernelModules= or InaccessiblePaths=,
and every write (open for writing, mkdir, unlink, rename, chmod, bind,
BPF_OBJ_PIN) under RuntimeDirectory= (RUNTIME_DIR stands for it here),
ReadWritePaths= or PrivateTmp='s /tmp.  Prints one line per problem and
a summary; exits 1 if there was a problem.
"""
import re
import subprocess
import sys


def unit_values(path, key):
    vals = []
    for line in open(path):
        line = line.strip()
        if line.startswith(key + "="):
            vals.extend(line[len(key) + 1:].split())
    return vals


def syscall_groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True,
                         text=True, check=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = groups.setdefault(line.strip(), [])
        elif line.startswith("    ") and cur is not None and not line.strip().startswith("#"):
            cur.append(line.strip())
        elif line.strip() and not line.startswith(" "):
            cur = None
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            out |= expand(groups[n], groups, seen)
        else:
            out.add(n)
    return out


def main():
    unit, trace, exe, rundir = sys.argv[1:5]
    groups = syscall_groups()
    allowed = expand(unit_values(unit, "SystemCallFilter"), groups)
    families = set(unit_values(unit, "RestrictAddressFamilies"))
    rw = [p.lstrip("-") for p in unit_values(unit, "ReadWritePaths")]
    rw += [rundir, "/tmp/", "/var/tmp/", "/dev/null"]
    hidden = ["/home/", "/root/", "/run/user/", "/usr/lib/modules", "/lib/modules",
              "/proc/kmsg", "/dev/kmsg"]
    hidden += [p.lstrip("-") for p in unit_values(unit, "InaccessiblePaths")]
    devices = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}

    lines = open(trace).read().splitlines()
    start = next((i for i, l in enumerate(lines)
                  if re.search(r'execve\("%s"' % re.escape(exe), l) and l.endswith("= 0")),
                 None)
    if start is None:
        print("FAIL: no execve of %s in the trace" % exe)
        return 1
    lines = lines[start + 1:]
    problems, calls, writes = [], {}, 0

    def problem(msg):
        if msg not in problems:
            problems.append(msg)

    for l in lines:
        m = re.match(r"\d+ +(?:<\.\.\. (\w+) resumed>|(\w+)\()", l)
        if not m:
            continue
        name = m.group(1) or m.group(2)
        calls[name] = calls.get(name, 0) + 1
        if m.group(1):
            continue
        if name not in allowed:
            problem("system call %s is not in SystemCallFilter=" % name)
        if name == "socket":
            fam = re.match(r"\d+ +socket\((\w+)", l).group(1)
            if fam not in families:
                problem("socket(%s) is not in RestrictAddressFamilies=" % fam)
        if name in ("mmap", "mmap2") and "PROT_WRITE" in l and "PROT_EXEC" in l:
            problem("writable and executable mapping: " + l)
        if name in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in l:
            problem("mapping made executable: " + l)
        paths = re.findall(r'(?:pathname|sun_path)="([^"]*)"|"(/[^"]*)"', l)
        paths = [a or b for a, b in paths]
        # readlink's second string is what the link holds, not a path it touched
        # (/proc/self/exe: the checkout's build, where the unit runs /usr/sbin/kstatd)
        if name in ("readlink", "readlinkat") and len(paths) > 1:
            paths = paths[:1]
        for p in paths:
            if any(p == h.rstrip("/") or p.startswith(h) for h in hidden):
                problem("%s touches %s, which the unit hides" % (name, p))
            if p.startswith("/dev/") and p not in devices and not p.startswith("/dev/shm/"):
                problem("%s opens device %s, which PrivateDevices= hides" % (name, p))
        write = (name in ("openat", "open", "creat") and re.search(r"O_WRONLY|O_RDWR|O_CREAT", l)) \
            or name in ("mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename",
                        "renameat", "renameat2", "chmod", "fchmodat", "bind", "symlink",
                        "link", "truncate") \
            or (name == "bpf" and "BPF_OBJ_PIN" in l)
        if write and paths and not l.endswith("EEXIST (File exists)"):
            writes += 1
            for p in paths:
                if not any(p.startswith(w) for w in rw):
                    problem("%s writes %s, outside RuntimeDirectory=, ReadWritePaths= "
                            "and PrivateTmp=" % (name, p))
    for p in problems:
        print("FAIL:", p)
    print("%d system calls of %d kinds, %d writes, all within the unit: %s" %
          (sum(calls.values()), len(calls), writes, "no" if problems else "yes"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
