// SPDX-License-Identifier: GPL-2.0
/*
 * A synthetic provider for snapshot scaling: one kstat per entry of a
 * per-CPU hash the benchmark fills from userspace (up to 100k entries).
 * Tracked: the benchmark adds 1 to kstat_keys_gen after each fill.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"
#include "synth.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SYNTH_ENTRIES);
	__type(key, __u32);
	__type(value, struct synth);
} synth SEC(".maps") KSTAT_MODULE("synth") KSTAT_CLASS("bench") KSTAT_INSTANCE(key) KSTAT_TRACKED;

char LICENSE[] SEC("license") = "GPL";
