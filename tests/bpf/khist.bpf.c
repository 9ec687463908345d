// SPDX-License-Identifier: GPL-2.0
/*
 * A provider for the exporter tests: a histogram with its <hist>_sum
 * counter (so Prometheus gets _sum and _count), counters and gauges in
 * nanoseconds and bytes, and a name in camelCase.  Fed by forks of a
 * tracked process, like ktest, and by values the tests write directly.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

#define LAT_SLOTS 8

struct khist_val {
	__u64 lat[LAT_SLOTS] KSTAT_HIST(ns, "Time between a tracked process's forks");
	__u64 lat_sum KSTAT_COUNTER(ns, "Sum of the times in lat");
	__u64 forks KSTAT_COUNTER(count, "Forks by the tracked process");
	__u64 rxBytes KSTAT_COUNTER(bytes, "Bytes the test says it received");
	__u64 queue_ns KSTAT_GAUGE(ns, "A wait the test sets");
	/* private */
	__u64 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct khist_val);
} khist SEC(".maps") KSTAT_NAMED_MAP("khist", "lat", "test", single);

struct khist_knobs {
	__u64 track_tgid KSTAT_GAUGE(count, "The tgid whose forks are timed");
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct khist_knobs);
} khist_knobs SEC(".maps") KSTAT_NAMED_MAP("khist", "knobs", "test", single) KSTAT_WRITABLE;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 zero = 0, tgid = BPF_CORE_READ(parent, tgid), slot;
	struct khist_knobs *k = bpf_map_lookup_elem(&khist_knobs, &zero);
	struct khist_val *v;
	__u64 now, d;

	if (!k || !k->track_tgid || k->track_tgid != tgid)
		return 0;
	v = bpf_map_lookup_elem(&khist, &zero);
	if (!v)
		return 0;
	now = bpf_ktime_get_ns();
	v->forks++;
	if (v->last) {
		d = now - v->last;
		slot = kstat_log2(d);
		if (slot >= LAT_SLOTS)
			slot = LAT_SLOTS - 1;
		v->lat[slot]++;
		v->lat_sum += d;
	}
	v->last = now;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
