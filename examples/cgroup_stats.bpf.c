// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup:<id>:<name>, one NAMED kstat per cgroup (v2, the default
 * hierarchy): CPU time of its tasks, and the block I/O they submit.
 * A drop-in provider: this file is all there is.
 *
 *	make build/examples/cgroup_stats.bpf.o
 *	cp build/examples/cgroup_stats.bpf.o /etc/kstatd/providers.d/
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

#define MAX_CGROUPS 1024
#define REQ_OP_MASK 0xff /* the operation is the low bits of bi_opf */

struct cgroup_stats {
	__u64 cpu_time KSTAT_COUNTER(ns, "CPU time of the cgroup's tasks");
	__u64 switches KSTAT_COUNTER(count, "Times one of its tasks left a CPU");
	__u64 rbytes KSTAT_COUNTER(bytes, "Bytes its tasks submitted to block devices to read");
	__u64 wbytes KSTAT_COUNTER(bytes, "Bytes its tasks submitted to block devices to write");
	__u64 reads KSTAT_COUNTER(count, "Read bios its tasks submitted");
	__u64 writes KSTAT_COUNTER(count, "Write bios its tasks submitted");
	char name[32] KSTAT_NAME_FIELD;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct cgroup_stats);
} cgroup_stats SEC(".maps") KSTAT_MODULE("cgroup") KSTAT_CLASS("cgroup") KSTAT_INSTANCE(key)
	KSTAT_NAME_FROM(field) KSTAT_TRACKED;

/*
 * The task now on this CPU, and its runtime when it got the CPU.  The
 * runtime is the scheduler's own (se.sum_exec_runtime, what cpu.stat's
 * usage_usec adds up): unlike a clock read here, it leaves out time
 * stolen by the hypervisor and is current when sched_switch fires.
 */
struct oncpu {
	__u64 task;
	__u64 runtime;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oncpu);
} oncpu SEC(".maps");

#define SCHED_NORMAL 0
#define SCHED_BATCH 3
#define SCHED_IDLE 5

/*
 * prev's time on this CPU.  A switch in may go unseen: the program
 * attached while prev ran, or the kernel traced no sched_switch for it
 * (seen here for another process's threads).  The fair class still knows
 * where its slice began (set_next_entity() keeps it); the other classes
 * do not, and such a slice of theirs is left out.
 */
static __always_inline __u64 slice_time(const struct oncpu *on, const struct task_struct *prev)
{
	__u64 now = prev->se.sum_exec_runtime, began = prev->se.prev_sum_exec_runtime;

	if (on->task == (__u64)prev)
		return now - on->runtime;
	if (prev->policy != SCHED_NORMAL && prev->policy != SCHED_BATCH &&
	    prev->policy != SCHED_IDLE)
		return 0;
	return now - began;
}

/* The current task's cgroup entry; named after the cgroup the first time */
static __always_inline struct cgroup_stats *current_cgroup(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	struct cgroup_stats *cs = bpf_map_lookup_elem(&cgroup_stats, &id), init = {};
	struct task_struct *task;
	const char *name;

	if (cs)
		return cs;
	task = bpf_get_current_task_btf();
	name = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name);
	bpf_probe_read_kernel_str(init.name, sizeof(init.name), name);
	if (!init.name[0])
		init.name[0] = '/'; /* the root cgroup's node has no name */
	return kstat_lookup_or_init(&cgroup_stats, &id, &init);
}

/* The tracepoint runs before the switch: current is still prev */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct oncpu *on = bpf_map_lookup_elem(&oncpu, &zero);
	struct cgroup_stats *cs;

	if (!on)
		return 0;
	if ((cs = current_cgroup())) {
		cs->cpu_time += slice_time(on, prev);
		cs->switches++;
	}
	on->task = (__u64)next;
	on->runtime = next->se.sum_exec_runtime;
	return 0;
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(handle_block_bio_queue, struct bio *bio)
{
	struct cgroup_stats *cs = current_cgroup();
	__u32 op = BPF_CORE_READ(bio, bi_opf) & REQ_OP_MASK;
	__u64 bytes = BPF_CORE_READ(bio, bi_iter.bi_size);

	if (!cs)
		return 0;
	if (op == REQ_OP_READ) {
		cs->rbytes += bytes;
		cs->reads++;
	} else if (op == REQ_OP_WRITE) {
		cs->wbytes += bytes;
		cs->writes++;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
