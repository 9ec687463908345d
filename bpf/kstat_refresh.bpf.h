/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Refresh programs: kstats whose numbers the kernel already keeps, read
 * from the kernel's own books when kstatd reads them, so that nothing runs
 * on any hot path.  See "Refresh programs" in docs/providers.md.
 *
 * A SEC("syscall") program in a provider is a refresh program: kstatd
 * never attaches it, but runs it (BPF_PROG_RUN, one system call) before it
 * reads that provider's maps, at each snapshot and each sync.  It returns
 * 0, having stored KSTAT_ABSENT in every statistic the running kernel
 * cannot give; anything else at its first run refuses the provider.
 *
 * Per-CPU kernel variables are reached from each CPU's run queue (struct
 * rq, the per-CPU variable runqueues), found through the task group of
 * the task running the program: tg->cfs_rq[cpu]->rq.  Every other per-CPU
 * variable lies at a fixed distance from it within the CPU's per-CPU area.
 * Declare KSTAT_PERCPU(var) and kstatd fills in that distance from the
 * kernel's BTF (its .data..percpu section) before loading, or leaves it
 * KSTAT_PERCPU_NONE when the kernel has no such variable.  (The per-CPU
 * symbols themselves, extern __ksym, need CONFIG_KALLSYMS_ALL.)
 *
 * Include vmlinux.h, bpf_helpers.h and bpf_core_read.h first.
 */
#ifndef __KSTAT_REFRESH_BPF_H
#define __KSTAT_REFRESH_BPF_H

/*
 * On a refresh program that fills only maps this provider shares from
 * another (KSTAT_SHARED): it runs before reads of those, while this
 * provider is attached, and not before reads of the provider's own maps,
 * whose counters then count from their pin as any program's do.
 */
#define KSTAT_REFRESH_SHARED __attribute__((btf_decl_tag("kstat.refresh=shared")))

/* A statistic this kernel does not keep: kstatd leaves it out of the kstat */
#define KSTAT_ABSENT (~0ULL)
#define KSTAT_ABSENT32 (~0U)

/* A per-CPU variable this kernel does not have */
#define KSTAT_PERCPU_NONE (-0x7fffffffffffffffLL - 1)

/* Distance of per-CPU variable var from runqueues, filled in by kstatd */
#define KSTAT_PERCPU(var) const volatile __s64 kstat_percpu_##var = KSTAT_PERCPU_NONE

/* Possible CPUs (nr_cpu_ids), filled in by kstatd */
const volatile __u32 kstat_nr_cpus = 0;

/* log2 of the page size (PAGE_SHIFT), filled in by kstatd */
const volatile __u32 kstat_page_shift = 12;

/* This CPU's copy of per-CPU variable var, or NULL if the kernel lacks it */
#define kstat_percpu_ptr(rq, var)                            \
	(kstat_percpu_##var == KSTAT_PERCPU_NONE ? (void *)0 \
						 : (void *)((char *)(rq) + kstat_percpu_##var))

/* Where each CPU's run queue is found: the current task group's CFS queues */
struct kstat_books {
	struct cfs_rq **cfs_rq;
	__u64 now; /* bpf_ktime_get_ns() when the books were opened */
};

/*
 * 0, or -ENOENT where the kernel has no per-CPU CFS queues of a task group
 * (CONFIG_FAIR_GROUP_SCHED, which distribution kernels have).
 */
static __always_inline int kstat_books_open(struct kstat_books *b)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_group *tg;

	if (!bpf_core_field_exists(struct sched_entity, cfs_rq) ||
	    !bpf_core_field_exists(struct cfs_rq, tg) || !bpf_core_field_exists(struct cfs_rq, rq))
		return -2;
	tg = BPF_CORE_READ(t, se.cfs_rq, tg);
	if (!tg)
		return -2;
	b->cfs_rq = BPF_CORE_READ(tg, cfs_rq);
	b->now = bpf_ktime_get_ns();
	return b->cfs_rq ? 0 : -2;
}

/* The run queue of cpu, checked against its own idea of its CPU; NULL if none */
static __always_inline struct rq *kstat_books_rq(const struct kstat_books *b, __u32 cpu)
{
	struct cfs_rq *cfs = NULL;
	struct rq *rq;

	if (bpf_probe_read_kernel(&cfs, sizeof(cfs), &b->cfs_rq[cpu]) || !cfs)
		return (void *)0;
	rq = BPF_CORE_READ(cfs, rq);
	if (!rq || BPF_CORE_READ(rq, cpu) != (int)cpu)
		return (void *)0;
	return rq;
}

/* A kernel u32 counter as a u64 that does not wrap: *last keeps the raw value */
static __always_inline void kstat_widen32(__u64 *stat, __u32 *last, __u32 raw, bool seeded)
{
	if (seeded)
		*stat += (__u32)(raw - *last);
	else
		*stat = raw;
	*last = raw;
}

#endif /* __KSTAT_REFRESH_BPF_H */
