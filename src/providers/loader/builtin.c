// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stddef.h>

#include <bpf/libbpf.h>

#include "builtin.h"
#include "cpu_sys.skel.h"
#include "disk.skel.h"
#include "intr.skel.h"
#include "net.skel.h"
#include "sched.skel.h"
#include "syscall.skel.h"

const struct builtin builtins[] = {
	{ "cpu_sys", cpu_sys_bpf__elf_bytes, true },
	{ "disk", disk_bpf__elf_bytes, true },
	{ "net", net_bpf__elf_bytes, true },
	{ "intr", intr_bpf__elf_bytes, true },
	{ "sched", sched_bpf__elf_bytes, true },
	/* system-call tracepoints slow every system call: attached on demand */
	{ "syscall", syscall_bpf__elf_bytes, false },
};
const size_t builtin_count = sizeof(builtins) / sizeof(builtins[0]);
