// SPDX-License-Identifier: GPL-2.0
/*
 * ktest's keyed map after an "upgrade" that reordered its value struct:
 * same map name, same sizes, different layout.  A pin left by ktest must
 * be replaced, not reused.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct ktest_val {
	__u64 bytes KSTAT_COUNTER(bytes, "Bytes, now first");
	__u64 events KSTAT_COUNTER(count, "Events, now second");
	__s64 level KSTAT_GAUGE(count, "A level");
	__u64 lo KSTAT_MIN(ns, "Smallest");
	__u64 hi KSTAT_MAX(ns, "Largest");
	__u64 lat[4] KSTAT_HIST(ns, "Log2 histogram");
	__u32 small KSTAT_COUNTER(count, "A 32-bit counter");
	__u32 pad;
	char name[16] KSTAT_NAME_FIELD;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct ktest_val);
} ktest_keyed SEC(".maps") KSTAT_MODULE("ktest") KSTAT_NAME("keyed") KSTAT_CLASS("test")
	KSTAT_INSTANCE(key) KSTAT_NAME_FROM(field);

char LICENSE[] SEC("license") = "GPL";
