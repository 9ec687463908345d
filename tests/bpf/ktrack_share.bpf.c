// SPDX-License-Identifier: GPL-2.0
/*
 * Asks to share ktrack's kstat.tracked map: refused, since its inserts
 * would move this object's kstat_keys_gen, which kstatd does not watch
 * for that map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct ktrack_child {
	__u64 forks;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct ktrack_child);
} ktrack_child SEC(".maps") KSTAT_SHARED("ktrack", "ktrack_child");

char LICENSE[] SEC("license") = "GPL";
