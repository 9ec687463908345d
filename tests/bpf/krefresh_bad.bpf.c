// SPDX-License-Identifier: GPL-2.0
/* A provider whose refresh program says it cannot read its books: refused */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct bad {
	__u64 n KSTAT_COUNTER(count, "Never served");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bad);
} bad SEC(".maps") KSTAT_NAMED_MAP("kbadrefresh", "bad", "test", cpu);

SEC("syscall")
int refresh_bad(void *ctx)
{
	return -95; /* EOPNOTSUPP */
}

char LICENSE[] SEC("license") = "GPL";
