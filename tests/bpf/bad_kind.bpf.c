// SPDX-License-Identifier: GPL-2.0
/* Breaks the convention: a statistic kind kstatd does not know. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct bad_kind {
	__u64 ok KSTAT_COUNTER(count, "Fine");
	__u64 lo __kstat_tag("kstat.stat=minimum,ns,Not a kind");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bad_kind);
} bad_kind SEC(".maps") KSTAT_NAMED_MAP("bad", "kind", "misc", single);

char LICENSE[] SEC("license") = "GPL";
