// SPDX-License-Identifier: GPL-2.0
/*
 * A provider whose programs add to ktest's maps (KSTAT_SHARED): attached
 * and detached on its own, its counts show up in ktest's kstats.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

struct ktest_val {
	__u64 events, bytes;
	__s64 level;
	__u64 lo, hi, lat[4];
	__u32 small, pad;
	char name[16];
};

struct ktest_knobs {
	__u64 track_tgid, hist_value;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct ktest_val);
} ktest_keyed SEC(".maps") KSTAT_SHARED("ktest", "ktest_keyed");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ktest_knobs);
} ktest_knobs SEC(".maps") KSTAT_SHARED("ktest", "ktest_knobs");

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork_bytes, struct task_struct *parent, struct task_struct *child)
{
	__u32 zero = 0, tgid = BPF_CORE_READ(parent, tgid);
	struct ktest_knobs *k = bpf_map_lookup_elem(&ktest_knobs, &zero);
	struct ktest_val *v;

	if (!k || k->track_tgid != tgid)
		return 0;
	v = bpf_map_lookup_elem(&ktest_keyed, &tgid);
	if (v)
		v->bytes += 1000;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
