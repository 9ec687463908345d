// SPDX-License-Identifier: GPL-2.0
/*
 * A provider for tests: every kstat type and instance policy of the
 * convention, fed by a real tracepoint (sched_process_fork, filtered on a
 * tgid the test writes through the writable kstat) and by values the test
 * writes into the maps directly.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

#define HIST_SLOTS 4

struct ktest_val {
	__u64 events KSTAT_COUNTER(count, "Forks by the tracked process");
	__u64 bytes KSTAT_COUNTER(bytes, "Bytes the test wrote here");
	__s64 level KSTAT_GAUGE(count, "A level that goes up and down");
	__u64 lo KSTAT_MIN(ns, "Smallest value seen on any CPU");
	__u64 hi KSTAT_MAX(ns, "Largest value seen on any CPU");
	__u64 lat[HIST_SLOTS] KSTAT_HIST(ns, "Log2 histogram");
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

struct ktest_knobs {
	__u64 track_tgid KSTAT_GAUGE(count, "The tgid whose forks are counted");
	__u64 hist_value KSTAT_GAUGE(ns, "Value added to the histogram per fork");
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ktest_knobs);
} ktest_knobs SEC(".maps") KSTAT_NAMED_MAP("ktest", "knobs", "test", single) KSTAT_WRITABLE;

/* A map too small on purpose: the third child overflows it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} ktest_small SEC(".maps");

struct ktest_io {
	__u64 nread, nwritten;
	__u32 reads, writes;
	__u64 wtime, wlentime, wlastupdate, rtime, rlentime, rlastupdate;
	__u32 wcnt, rcnt;
	char name[16] KSTAT_NAME_FIELD;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct ktest_io);
} ktest_io SEC(".maps") KSTAT_MODULE("ktest") KSTAT_CLASS("disk") KSTAT_TYPE(io) KSTAT_INSTANCE(key)
	KSTAT_NAME_FROM(field);

struct ktest_intr {
	__u32 hard, soft, watchdog, spurious, multiple_service;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ktest_intr);
} ktest_intr SEC(".maps") KSTAT_MODULE("ktest") KSTAT_NAME("intr") KSTAT_CLASS("controller")
	KSTAT_TYPE(intr);

struct ktest_timer {
	__u64 num_events, elapsed_time, min_time, max_time, start_time, stop_time;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ktest_timer);
} ktest_timer SEC(".maps") KSTAT_MODULE("ktest") KSTAT_NAME("timer") KSTAT_TYPE(timer);

struct ktest_open {
	__u64 busy KSTAT_COUNTER(ns, "Time in a state that is still accruing")
		KSTAT_OPEN(since, on);
	__u32 on; /* before since: see KSTAT_OPEN in docs/providers.md */
	__u32 pad;
	__u64 since;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ktest_open);
} ktest_open SEC(".maps") KSTAT_NAMED_MAP("ktest", "open", "test", single);

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 zero = 0, tgid = BPF_CORE_READ(parent, tgid), pid = BPF_CORE_READ(child, pid);
	struct ktest_knobs *k = bpf_map_lookup_elem(&ktest_knobs, &zero);
	struct ktest_val *v;
	__u64 one = 1;

	if (!k || !k->track_tgid || k->track_tgid != tgid)
		return 0;
	v = bpf_map_lookup_elem(&ktest_keyed, &tgid);
	if (v) {
		v->events++;
		v->lat[kstat_log2(k->hist_value) < HIST_SLOTS ? kstat_log2(k->hist_value)
							      : HIST_SLOTS - 1]++;
	}
	kstat_lookup_or_init(&ktest_small, &pid, &one);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
