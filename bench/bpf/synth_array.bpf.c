// SPDX-License-Identifier: GPL-2.0
/*
 * The synthetic provider of snapshot scaling laid out as a per-CPU array:
 * one kstat per entry that is not all zeros, the layout a provider whose
 * keys are a dense index (system call, IRQ, CPU) uses.  The benchmark
 * fills it from userspace.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"
#include "synth.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYNTH_ENTRIES);
	__type(key, __u32);
	__type(value, struct synth);
} synth_array SEC(".maps") KSTAT_MODULE("synth") KSTAT_CLASS("bench") KSTAT_INSTANCE(key);

char LICENSE[] SEC("license") = "GPL";
