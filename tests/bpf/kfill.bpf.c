// SPDX-License-Identifier: GPL-2.0
/*
 * Shapes whose combination across CPUs is easy to get wrong: a signed
 * minimum, and INTR kstats one per CPU.  The test writes the per-CPU
 * values; there are no programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct kfill_min {
	__s64 smin KSTAT_MIN(count, "The smallest value of any CPU, signed");
	__s64 smax KSTAT_MAX(count, "The largest value of any CPU, signed");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kfill_min);
} kfill_min SEC(".maps") KSTAT_NAMED_MAP("kfill", "min", "test", single);

struct kfill_intr {
	__u32 hard, soft, watchdog, spurious, multiple_service;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kfill_intr);
} kfill_intr SEC(".maps") KSTAT_MODULE("kfill") KSTAT_NAME("intr") KSTAT_TYPE(intr)
	KSTAT_INSTANCE(cpu);

char LICENSE[] SEC("license") = "GPL";
