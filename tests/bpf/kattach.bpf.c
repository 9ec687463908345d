// SPDX-License-Identifier: GPL-2.0
/*
 * One counter per kind of program that kstatd attaches from its
 * descriptor when the object loads apart (src/os/bpf_apart.h): a
 * tracepoint, a raw tracepoint and a BTF tracepoint, each counting forks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kstat.bpf.h"

struct kattach_forks {
	__u64 tracepoint KSTAT_COUNTER(count, "Forks seen by a tracepoint program");
	__u64 raw_tp KSTAT_COUNTER(count, "Forks seen by a raw tracepoint program");
	__u64 tp_btf KSTAT_COUNTER(count, "Forks seen by a BTF tracepoint program");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kattach_forks);
} kattach SEC(".maps") KSTAT_NAMED_MAP("kattach", "forks", "test", single);

static __always_inline struct kattach_forks *forks(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kattach, &zero);
}

SEC("tracepoint/sched/sched_process_fork")
int kattach_tp(void *ctx)
{
	struct kattach_forks *f = forks();

	if (f)
		f->tracepoint++;
	return 0;
}

SEC("raw_tp/sched_process_fork")
int kattach_raw(void *ctx)
{
	struct kattach_forks *f = forks();

	if (f)
		f->raw_tp++;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(kattach_btf, struct task_struct *parent, struct task_struct *child)
{
	struct kattach_forks *f = forks();

	if (f)
		f->tp_btf++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
