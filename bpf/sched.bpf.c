// SPDX-License-Identifier: GPL-2.0
/*
 * cpu:N:runq, the log2 histogram of run-queue latency on each CPU: how
 * long a task that became runnable (woken, or preempted while still
 * runnable) waited before it ran.  The time it became runnable is kept in
 * the task's own storage, created once per task, not in a map updated per
 * event; the histogram is this CPU's copy of a per-CPU array.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "idle.bpf.h"

#define LAT_SLOTS 36 /* up to 2^35 ns, 34 s */
#define TASK_RUNNING 0

struct runq {
	__u64 runq_lat[LAT_SLOTS] KSTAT_HIST(
		ns, "Tasks by time they waited runnable before they ran here");
	__u64 runq_lat_sum KSTAT_COUNTER(ns, "Time all those tasks waited");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct runq);
} runq SEC(".maps") KSTAT_NAMED_MAP("cpu", "runq", "misc", cpu);

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64); /* when it became runnable; 0 while it runs or sleeps */
} runnable_since SEC(".maps");

static __always_inline int mark_runnable(struct task_struct *p, __u64 now)
{
	__u64 *since;

	if (kstat_is_idle(p))
		return 0; /* the idle task does not queue */
	since = bpf_task_storage_get(&runnable_since, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (since)
		*since = now;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_sched_wakeup, struct task_struct *p)
{
	return mark_runnable(p, bpf_ktime_get_ns());
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(handle_sched_wakeup_new, struct task_struct *p)
{
	return mark_runnable(p, bpf_ktime_get_ns());
}

/* One clock read per switch, shared by the task going and the task coming */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 *since, now = 0, lat;
	__u32 zero = 0, b;
	struct runq *r;

	if (prev_state == TASK_RUNNING && !kstat_is_idle(prev)) {
		now = bpf_ktime_get_ns();
		mark_runnable(prev, now); /* preempted: back on the run queue */
	}
	if (kstat_is_idle(next))
		return 0;
	since = bpf_task_storage_get(&runnable_since, next, 0, 0);
	if (!since || !*since)
		return 0;
	if (!now)
		now = bpf_ktime_get_ns();
	lat = now > *since ? now - *since : 0;
	*since = 0;
	r = bpf_map_lookup_elem(&runq, &zero);
	if (!r)
		return 0;
	b = kstat_log2(lat);
	if (b >= LAT_SLOTS)
		b = LAT_SLOTS - 1;
	r->runq_lat[b]++;
	r->runq_lat_sum += lat;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
