// SPDX-License-Identifier: GPL-2.0
/*
 * System calls timed: syscall_time:<nr>:<name>, one KSTAT_TYPE_TIMER kstat
 * per system call used (num_events, elapsed_time, min_time, max_time,
 * start_time and stop_time of the last call that returned), and
 * syscall:0:latency, the log2 histogram of all their times.  The entry
 * time waits in the task's own storage: one clock read at each edge, one
 * per-CPU slot per system call, no hash.  syscall:0:filter narrows the
 * timing to one process (tgid) or one thread (tid).
 *
 * Detached by default, as any program on the system-call tracepoints
 * costs every system call: kstat -w kstatd:0:config:syscall_time=1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "bits.bpf.h"
#include "syscall.bpf.h"

#define LAT_SLOTS 36 /* up to 2^35 ns, 34 s */

struct sys_timer {
	__u64 num_events, elapsed_time, min_time, max_time, start_time, stop_time;
};

/* An array cannot lose an entry: a slot no call has used yet has no kstat */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, struct sys_timer);
} syscall_time SEC(".maps") KSTAT_MODULE("syscall_time") KSTAT_TYPE(timer) KSTAT_INSTANCE(key)
	KSTAT_KEY(syscall_slot);

struct sys_latency {
	__u64 lat[LAT_SLOTS] KSTAT_HIST(ns, "System calls by time from entry to return");
	__u64 lat_sum KSTAT_COUNTER(ns, "Time of all those system calls");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sys_latency);
} latency SEC(".maps") KSTAT_NAMED_MAP("syscall", "latency", "misc", single);

struct sys_filter {
	__u64 tgid KSTAT_GAUGE(count, "Time only this process's system calls; 0: every process");
	__u64 tid KSTAT_GAUGE(count, "Time only this thread's system calls; 0: every thread");
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sys_filter);
} filter SEC(".maps") KSTAT_NAMED_MAP("syscall", "filter", "misc", single) KSTAT_WRITABLE;

/* The call a thread is in, and since when; since 0: none being timed */
struct in_call {
	__u64 since;
	__u32 slot;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct in_call);
} in_call SEC(".maps");

static __always_inline bool wanted(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct sys_filter *f = bpf_map_lookup_elem(&filter, &zero);

	if (!f)
		return false;
	return (!f->tgid || f->tgid == id >> 32) && (!f->tid || f->tid == (__u32)id);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct in_call *c;

	if (!wanted())
		return 0;
	c = bpf_task_storage_get(&in_call, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		return 0;
	c->slot = syscall_slot(id);
	c->since = bpf_ktime_get_ns();
	return 0;
}

/*
 * A call is timed if the filter took it at both ends: calls in flight
 * when the filter changed, stamped under the old one, are not.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct in_call *c = bpf_task_storage_get(&in_call, bpf_get_current_task_btf(), 0, 0);
	struct sys_latency *l;
	struct sys_timer *tm;
	__u64 now, d, since;
	__u32 zero = 0;

	if (!c || !c->since)
		return 0;
	if (!wanted()) {
		c->since = 0;
		return 0;
	}
	now = bpf_ktime_get_ns();
	since = c->since;
	c->since = 0;
	d = now > since ? now - since : 0;
	tm = bpf_map_lookup_elem(&syscall_time, &c->slot);
	if (tm) {
		/* kstat_timer_stop(), on this CPU's copy */
		if (!tm->num_events || d < tm->min_time)
			tm->min_time = d;
		if (d > tm->max_time)
			tm->max_time = d;
		tm->elapsed_time += d;
		tm->num_events++;
		tm->start_time = since;
		tm->stop_time = now;
	} else {
		__sync_fetch_and_add(&kstat_map_drops, 1); /* no slot: x32, or a newer table */
	}
	l = bpf_map_lookup_elem(&latency, &zero);
	if (l) {
		l->lat[log2_slot(d, LAT_SLOTS)]++;
		l->lat_sum += d;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
