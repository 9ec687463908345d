// SPDX-License-Identifier: GPL-2.0
/*
 * A program the kernel must skip: on each fork, krecurse_fork prints a
 * line, whose bpf_trace_printk event runs krecurse_printk, which prints
 * one more.  That second event finds krecurse_printk already running on
 * its CPU: the kernel skips the run and counts it in the program's
 * recursion_misses, which kstatd serves as kstatd:0:krecurse:run_misses.
 * Kernels before 6.1 have no such guard for tracepoint programs, and the
 * nested bpf_printk deadlocks on trace_printk_lock: the test skips there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kstat.bpf.h"

struct krecurse_runs {
	__u64 fork KSTAT_COUNTER(count, "Runs of the fork program");
	__u64 printk KSTAT_COUNTER(count, "Runs of the printk program");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct krecurse_runs);
} krecurse SEC(".maps") KSTAT_NAMED_MAP("krecurse", "runs", "test", single);

static __always_inline struct krecurse_runs *runs(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&krecurse, &zero);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(krecurse_fork, struct task_struct *parent, struct task_struct *child)
{
	struct krecurse_runs *r = runs();

	if (r)
		r->fork++;
	bpf_printk("krecurse: fork");
	return 0;
}

SEC("tp_btf/bpf_trace_printk")
int BPF_PROG(krecurse_printk, const char *text)
{
	struct krecurse_runs *r = runs();

	if (r)
		r->printk++;
	bpf_printk("krecurse: again");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
