// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for fuzz_schema: maps only, no programs, so that the object is a
 * few KiB.  SEED picks a set: 0 NAMED maps of every instance policy (with
 * a histogram, an open interval, a writable and a shared map), 1 the IO,
 * INTR and TIMER types.  Built into tests/fuzz/corpus/schema/ by
 * `tests/fuzz/run.sh seeds` (see tests/fuzz/README.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

#if SEED == 0
struct seed_val {
	__u64 events KSTAT_COUNTER(count, "Events");
	__s64 level KSTAT_GAUGE(count, "A level");
	__u64 lo KSTAT_MIN(ns, "Smallest");
	__u64 hi KSTAT_MAX(ns, "Largest");
	__u64 lat[4] KSTAT_HIST(ns, "Log2 histogram");
	__u32 small KSTAT_COUNTER(bytes, "A 32-bit counter");
	__u32 pad;
	char name[16] KSTAT_NAME_FIELD;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct seed_val);
} seed_keyed SEC(".maps") KSTAT_MODULE("seed") KSTAT_NAME("keyed") KSTAT_CLASS("test")
	KSTAT_INSTANCE(key) KSTAT_NAME_FROM(field) KSTAT_TRACKED;

struct seed_open {
	__u64 busy KSTAT_COUNTER(ns, "Time still accruing") KSTAT_OPEN(since, on);
	__u32 on; /* before since: see KSTAT_OPEN in docs/providers.md */
	__u32 pad;
	__u64 since;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seed_open);
} seed_cpu SEC(".maps") KSTAT_NAMED_MAP("seed", "cpu", "misc", cpu);

struct seed_knobs {
	__u64 on KSTAT_GAUGE(count, "A knob");
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seed_knobs);
} seed_knobs SEC(".maps") KSTAT_NAMED_MAP("seed", "knobs", "misc", single) KSTAT_WRITABLE;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seed_knobs);
} seed_shared SEC(".maps") KSTAT_SHARED("other", "knobs");
#else
struct seed_io {
	__u64 nread, nwritten;
	__u32 reads, writes;
	__u64 wtime, wlentime, wlastupdate, rtime, rlentime, rlastupdate;
	__u32 wcnt, rcnt;
	char name[16] KSTAT_NAME_FIELD;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct seed_io);
} seed_io SEC(".maps") KSTAT_MODULE("seed") KSTAT_CLASS("disk") KSTAT_TYPE(io) KSTAT_INSTANCE(key)
	KSTAT_NAME_FROM(field);

struct seed_intr {
	__u32 hard, soft, watchdog, spurious, multiple_service;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seed_intr);
} seed_intr SEC(".maps") KSTAT_MODULE("seed") KSTAT_NAME("intr") KSTAT_TYPE(intr);

struct seed_timer {
	__u64 num_events, elapsed_time, min_time, max_time, start_time, stop_time;
	char name[8] KSTAT_NAME_FIELD;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seed_timer);
} seed_timer SEC(".maps") KSTAT_MODULE("seed") KSTAT_NAME("timer") KSTAT_TYPE(timer);
#endif

char LICENSE[] SEC("license") = "GPL";
