// SPDX-License-Identifier: GPL-2.0
/*
 * irq:<n>:<handler>, one KSTAT_TYPE_INTR kstat per IRQ, and cpu:N:softirq,
 * each CPU's softirqs by vector as /proc/softirqs counts them.
 *
 * An interrupt runs every handler registered on its line, each between
 * irq_handler_entry and irq_handler_exit; the last handler of the chain
 * ends it.  hard counts interrupts (as /proc/interrupts), spurious those
 * no handler claimed, multiple_service those more than one handler of a
 * shared line claimed.  soft and watchdog stay 0: Linux has no per-device
 * soft interrupts or watchdog interrupts to count.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

#define MAX_IRQS 4096
#define IRQ_CLAIMED (IRQ_HANDLED | IRQ_WAKE_THREAD)

struct irq_intr {
	__u32 hard, soft, watchdog, spurious, multiple_service;
};

/* Entries are made once per IRQ: not preallocated, as per-CPU values multiply by CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_IRQS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct irq_intr);
} irq SEC(".maps") KSTAT_MODULE("irq") KSTAT_CLASS("controller") KSTAT_TYPE(intr)
	KSTAT_INSTANCE(key) KSTAT_KEY(irq);

/* Handlers of the interrupt this CPU is serving that claimed it so far */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} claimed SEC(".maps");

struct softirq {
	__u64 hi KSTAT_COUNTER(count, "HI softirqs (high-priority tasklets)");
	__u64 timer KSTAT_COUNTER(count, "TIMER softirqs");
	__u64 net_tx KSTAT_COUNTER(count, "NET_TX softirqs");
	__u64 net_rx KSTAT_COUNTER(count, "NET_RX softirqs");
	__u64 block KSTAT_COUNTER(count, "BLOCK softirqs");
	__u64 irq_poll KSTAT_COUNTER(count, "IRQ_POLL softirqs");
	__u64 tasklet KSTAT_COUNTER(count, "TASKLET softirqs");
	__u64 sched KSTAT_COUNTER(count, "SCHED softirqs");
	__u64 hrtimer KSTAT_COUNTER(count, "HRTIMER softirqs");
	__u64 rcu KSTAT_COUNTER(count, "RCU softirqs");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct softirq);
} softirq SEC(".maps") KSTAT_NAMED_MAP("cpu", "softirq", "misc", cpu);

static const struct irq_intr zero_intr;

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(handle_irq_handler_exit, int irqn, struct irqaction *action, int ret)
{
	__u32 zero = 0, key = irqn, *c = bpf_map_lookup_elem(&claimed, &zero);
	struct irq_intr *v;

	if (!c)
		return 0;
	if (ret & IRQ_CLAIMED)
		(*c)++;
	if (action->next)
		return 0; /* more handlers of this line to come */
	v = kstat_lookup_or_init(&irq, &key, &zero_intr);
	if (v) {
		v->hard++;
		if (*c == 0)
			v->spurious++;
		else if (*c > 1)
			v->multiple_service++;
	}
	*c = 0;
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(handle_softirq_entry, unsigned int vec)
{
	__u32 zero = 0;
	struct softirq *s = bpf_map_lookup_elem(&softirq, &zero);

	if (!s || vec >= sizeof(*s) / sizeof(__u64))
		return 0;
	((__u64 *)s)[vec]++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
