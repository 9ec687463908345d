// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stddef.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "builtin.h"
#include "cpu_stat_raw.h"
#include "disk_kstats.h"
#include "net_kstats.h"
#include "cpu_sys.skel.h"
#include "disk.skel.h"
#include "intr.skel.h"
#include "intr_claims.skel.h"
#include "net.skel.h"
#include "sched.skel.h"
#include "skb_drop.skel.h"
#include "syscall.skel.h"
#include "syscall_time.skel.h"

const struct builtin builtins[] = {
	{ "cpu_sys", cpu_sys_bpf__elf_bytes, true },
	{ "disk", disk_bpf__elf_bytes, true },
	{ "net", net_bpf__elf_bytes, true },
	{ "intr", intr_bpf__elf_bytes, true },
	/* a program on every interrupt handler's return: attached on demand */
	{ "intr_claims", intr_claims_bpf__elf_bytes, false },
	/* a program on every context switch: attached on demand */
	{ "sched", sched_bpf__elf_bytes, false },
	/* system-call tracepoints slow every system call: attached on demand */
	{ "syscall", syscall_bpf__elf_bytes, false },
	{ "syscall_time", syscall_time_bpf__elf_bytes, false },
	/* a program on every dropped packet: attached on demand */
	{ "skb_drop", skb_drop_bpf__elf_bytes, false },
};
const size_t builtin_count = sizeof(builtins) / sizeof(builtins[0]);

const struct provider_ext *builtin_ext(const char *name)
{
	if (strcmp(name, "cpu_sys") == 0)
		return &cpu_stat_ext;
	if (strcmp(name, "disk") == 0)
		return &disk_ext;
	return strcmp(name, "net") == 0 ? &net_ext : NULL;
}
