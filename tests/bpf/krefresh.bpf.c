// SPDX-License-Identifier: GPL-2.0
/*
 * A drop-in provider with a refresh program, for tests: each CPU's copy
 * filled from that CPU's run queue and kstat at read time, the read-only
 * facts kstatd fills in echoed back, and two statistics marked absent (a
 * per-CPU variable no kernel has, and a 32-bit one on purpose).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "kstat_refresh.bpf.h"

KSTAT_PERCPU(kstat);
KSTAT_PERCPU(no_such_percpu_variable);

struct books {
	__u64 cpu KSTAT_GAUGE(count, "1000 + the CPU whose run queue this copy came from");
	__u64 switches KSTAT_COUNTER(count, "The run queue's nr_switches");
	__u64 irqs KSTAT_COUNTER(count, "kstat.irqs_sum");
	__u64 page KSTAT_GAUGE(bytes, "1 << kstat_page_shift");
	__u64 missing KSTAT_COUNTER(count, "From a per-CPU variable no kernel has");
	__u32 narrow KSTAT_COUNTER(count, "A 32-bit statistic marked absent");
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct books);
} books SEC(".maps") KSTAT_NAMED_MAP("krefresh", "books", "test", cpu);

static int one_cpu(__u32 cpu, struct kstat_books *b)
{
	struct books *v;
	struct kernel_stat *ks;
	struct rq *rq;
	__u32 zero = 0;

	v = bpf_map_lookup_percpu_elem(&books, &zero, cpu);
	rq = kstat_books_rq(b, cpu);
	if (!v || !rq)
		return 1;
	v->cpu = 1000 + cpu;
	v->switches = BPF_CORE_READ(rq, nr_switches);
	ks = kstat_percpu_ptr(rq, kstat);
	v->irqs = ks ? BPF_CORE_READ(ks, irqs_sum) : KSTAT_ABSENT;
	v->page = 1ULL << kstat_page_shift;
	v->missing = kstat_percpu_ptr(rq, no_such_percpu_variable) ? 1 : KSTAT_ABSENT;
	v->narrow = KSTAT_ABSENT32;
	return 0;
}

SEC("syscall")
int refresh_books(void *ctx)
{
	struct kstat_books b;

	if (kstat_books_open(&b) < 0)
		return -2;
	bpf_loop(kstat_nr_cpus, one_cpu, &b, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
