// SPDX-License-Identifier: GPL-2.0
/*
 * A kstat.tracked map: one kstat per live child of the process named in
 * ktrack_parent, inserted at its fork and deleted at its exit through the
 * helpers that move kstat_keys_gen, so that kstatd reads the keys only
 * after they changed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ktrack_parent SEC(".maps") KSTAT_PINNED;

struct ktrack_child {
	__u64 forks KSTAT_COUNTER(count, "Forks that made this child");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct ktrack_child);
} ktrack_child SEC(".maps") KSTAT_NAMED_MAP("ktrack", "child", "test", key) KSTAT_TRACKED;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ktrack_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 zero = 0, pid = BPF_CORE_READ(child, pid);
	__u32 *want = bpf_map_lookup_elem(&ktrack_parent, &zero);
	struct ktrack_child init = {}, *v;

	if (!want || !*want || *want != BPF_CORE_READ(parent, tgid))
		return 0;
	v = kstat_lookup_or_init(&ktrack_child, &pid, &init);
	if (v)
		v->forks++;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ktrack_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);

	if (bpf_map_lookup_elem(&ktrack_child, &pid))
		kstat_delete_key(&ktrack_child, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
