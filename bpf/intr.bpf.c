// SPDX-License-Identifier: GPL-2.0
/*
 * irq:<n>:<handler>, one KSTAT_TYPE_INTR kstat per IRQ with a handler:
 * hard is the kernel's own count of the IRQ, as /proc/interrupts shows it
 * (irq_desc.tot_count, or the per-CPU counts it sums where the IRQ is
 * per-CPU).  refresh_irq copies it when kstatd reads: no program runs per
 * interrupt.  spurious and multiple_service are counted by the opt-in
 * intr_claims provider, which needs a program on every handler's return;
 * soft and watchdog stay 0: Linux has no per-device soft interrupts or
 * watchdog interrupts.
 *
 * The IRQ descriptors are found where x86 delivers interrupts from: each
 * CPU's vector_irq table (vector to descriptor).  Every IRQ that can fire
 * has a vector on the CPUs it is routed to.  On kernels without that
 * table (other architectures) there is nothing to read from and the
 * provider is refused, with the reason in the log.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "kstat_refresh.bpf.h"
#include "intr.h"

#define NR_VECTORS 256
/* include/linux/irq.h and kernel/irq/internals.h: #defines and enumerators BTF lacks */
#define KSTAT_IRQ_PER_CPU (1U << 9)
#define KSTAT_IRQ_PER_CPU_DEVID (1U << 17)
#define KSTAT_IRQS_NMI 0x00002000U

KSTAT_PERCPU(vector_irq);
KSTAT_PERCPU(this_cpu_off);

/* Entries are made once per IRQ: not preallocated, as per-CPU values multiply by CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_IRQS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct irq_intr);
} irq SEC(".maps") KSTAT_MODULE("irq") KSTAT_CLASS("controller") KSTAT_TYPE(intr)
	KSTAT_INSTANCE(key) KSTAT_KEY(irq);

static const struct irq_intr zero_intr;

/* One CPU's vector table, as last read (refresh runs one at a time) */
struct irq_desc *vectors[NR_VECTORS];

struct refresh_ctx {
	struct kstat_books books;
	struct irq_desc *desc;
	__u32 sum;
};

/* The IRQ's count on one CPU, for IRQs the kernel counts only per CPU */
static int add_cpu(__u32 cpu, struct refresh_ctx *c)
{
	struct irq_desc *d = c->desc;
	struct irqstat *st = BPF_CORE_READ(d, kstat_irqs);
	unsigned long *off;
	unsigned long o = 0;
	unsigned int cnt = 0;
	struct rq *rq;

	rq = kstat_books_rq(&c->books, cpu);
	off = rq ? kstat_percpu_ptr(rq, this_cpu_off) : (void *)0;
	if (!off || !st || bpf_probe_read_kernel(&o, sizeof(o), off))
		return 0;
	bpf_probe_read_kernel(&cnt, sizeof(cnt), (char *)st + o);
	c->sum += cnt;
	return 0;
}

/* As kstat_irqs_desc(), what /proc/interrupts adds up for the IRQ */
static __always_inline int irq_count(struct refresh_ctx *c, struct irq_desc *d, __u32 *count)
{
	__u32 status = BPF_CORE_READ(d, status_use_accessors);
	__u32 istate = BPF_CORE_READ(d, core_internal_state__do_not_mess_with_it);

	if (!(status & (KSTAT_IRQ_PER_CPU | KSTAT_IRQ_PER_CPU_DEVID)) &&
	    !(istate & KSTAT_IRQS_NMI)) {
		*count = BPF_CORE_READ(d, tot_count);
		return 0;
	}
	if (kstat_percpu_this_cpu_off == KSTAT_PERCPU_NONE)
		return -1;
	c->desc = d;
	c->sum = 0;
	bpf_loop(kstat_nr_cpus, add_cpu, c, 0);
	*count = c->sum;
	return 0;
}

static int one_vector(__u32 v, struct refresh_ctx *c)
{
	struct irq_desc *d = vectors[v & (NR_VECTORS - 1)];
	struct irq_intr *val;
	__u32 n, count;

	/* unused, shut down or being moved: NULL or an ERR_PTR */
	if (!d || (unsigned long)d >= (unsigned long)-4095)
		return 0;
	if (!BPF_CORE_READ(d, action) || irq_count(c, d, &count))
		return 0;
	n = BPF_CORE_READ(d, irq_data.irq);
	val = bpf_map_lookup_percpu_elem(&irq, &n, 0);
	if (!val) {
		if (bpf_map_update_elem(&irq, &n, &zero_intr, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&irq, &n))
			__sync_fetch_and_add(&kstat_map_drops, 1);
		val = bpf_map_lookup_percpu_elem(&irq, &n, 0);
		if (!val)
			return 0;
	}
	/* the total in CPU 0's copy: the other copies hold 0 there */
	val->hard = count;
	return 0;
}

static int one_cpu(__u32 cpu, struct refresh_ctx *c)
{
	struct rq *rq = kstat_books_rq(&c->books, cpu);
	void *tab;

	if (!rq)
		return 0;
	tab = kstat_percpu_ptr(rq, vector_irq);
	if (!tab || bpf_probe_read_kernel(vectors, sizeof(vectors), tab))
		return 0;
	bpf_loop(NR_VECTORS, one_vector, c, 0);
	return 0;
}

SEC("syscall")
int refresh_irq(void *ctx)
{
	struct refresh_ctx c = {};

	if (kstat_percpu_vector_irq == KSTAT_PERCPU_NONE)
		return -95; /* EOPNOTSUPP: no vector tables to find IRQs in */
	if (kstat_books_open(&c.books) < 0)
		return -2; /* ENOENT: no run queues to find the tables from */
	bpf_loop(kstat_nr_cpus, one_cpu, &c, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
