// SPDX-License-Identifier: GPL-2.0
/*
 * What only a program on every context switch can see, opt-in because
 * any program there costs every switch (one empty one about 150 ns here):
 * cpu:N:sys:inv_swtch, the involuntary switches, and cpu:N:runq, the log2
 * histogram of run-queue latency on each CPU: how long a task that became
 * runnable (woken, or preempted while still runnable) waited before it
 * ran.  Both from one program; and cpu:N:sys:cpumigrate, from a second on
 * sched_migrate_task.  Attach with kstat -w kstatd:0:config:sched=1.
 *
 * The scheduler keeps that time itself (CONFIG_SCHED_INFO, the books of
 * /proc/<pid>/schedstat): sched_info.last_queued is the run-queue clock
 * when the task was queued, and sched_info_arrive() turns it into
 * run_delay right after this tracepoint, at the same rq->clock.  So one
 * program on sched_switch reads both and adds the wait here: no program on
 * the wakeups, no task storage, no clock read of its own.  A wait the
 * scheduler splits, when the task migrates before it runs, counts from its
 * arrival on the CPU it runs on.  The run queue is found through the
 * task's CFS queue, as the per-CPU runqueues symbol needs KALLSYMS_ALL:
 * without CONFIG_SCHED_INFO or CONFIG_FAIR_GROUP_SCHED (distribution
 * kernels have both) the histogram stays empty.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "bits.bpf.h"
#include "cpu_sys.h"

#define LAT_SLOTS 36 /* up to 2^35 ns, 34 s */

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
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_sys);
} cpu_sys SEC(".maps") KSTAT_SHARED("cpu_sys", "cpu_sys");

#define KSTAT_PF_IDLE 0x00000002 /* include/linux/sched.h: a #define, not in BTF */

/*
 * prev_state is the tracepoint's own argument since Linux 5.18 (commit
 * fa2c3254d7cf): the state prev had when it called into the scheduler.
 * A switch is involuntary when prev was preempted or still runnable, the
 * rule that feeds nivcsw in /proc/<pid>/status.  An idle task yielding
 * its CPU is not one: idle tasks (and only they, with play_idle()'s
 * threads) carry PF_IDLE, in the cache line of prev the scheduler just
 * used.
 */
static __always_inline void count_involuntary(bool preempt, struct task_struct *prev,
					      unsigned int prev_state)
{
	struct cpu_sys *cs;
	__u32 zero = 0;

	if (!preempt && prev_state != 0)
		return;
	if (prev->flags & KSTAT_PF_IDLE)
		return;
	cs = bpf_map_lookup_elem(&cpu_sys, &zero);
	if (cs)
		cs->inv_swtch++;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(handle_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 queued, now, lat;
	__u32 zero = 0, b;
	struct cfs_rq *cfs;
	struct runq *r;

	count_involuntary(preempt, prev, prev_state);
	if (!bpf_core_field_exists(next->sched_info) || !bpf_core_field_exists(struct cfs_rq, rq))
		return 0;
	/* 0: not queued (the idle task; or it ran since, as schedstat saw) */
	queued = next->sched_info.last_queued;
	if (!queued)
		return 0;
	/* this CPU's run queue, next's now whatever its class (set_task_rq()) */
	cfs = next->se.cfs_rq;
	if (!cfs)
		return 0;
	now = cfs->rq->clock;
	lat = now > queued ? now - queued : 0;
	r = bpf_map_lookup_elem(&runq, &zero);
	if (!r)
		return 0;
	b = log2_slot(lat, LAT_SLOTS);
	r->runq_lat[b]++;
	r->runq_lat_sum += lat;
	return 0;
}

/*
 * cpu:N:sys:cpumigrate.  Without CONFIG_SCHEDSTATS the kernel counts
 * migrations only per task (se.nr_migrations), so a program counts them,
 * on the CPU that moves the task (the waker's, or the one balancing
 * load): this CPU's copy, with no atomic.  illumos counts each on the CPU
 * the thread moves to; the total is the same.
 */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(handle_sched_migrate_task, struct task_struct *p, int dest_cpu)
{
	__u32 zero = 0;
	struct cpu_sys *cs = bpf_map_lookup_elem(&cpu_sys, &zero);

	if (cs)
		cs->cpumigrate++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
