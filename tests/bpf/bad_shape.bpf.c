// SPDX-License-Identifier: GPL-2.0
/* Breaks the convention: one kstat per CPU asked of a hash map. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct bad_shape {
	__u64 events KSTAT_COUNTER(count, "Events");
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct bad_shape);
} bad_shape SEC(".maps") KSTAT_NAMED_MAP("bad", "shape", "misc", cpu);

char LICENSE[] SEC("license") = "GPL";
