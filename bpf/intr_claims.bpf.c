// SPDX-License-Identifier: GPL-2.0
/*
 * spurious and multiple_service of irq:<n>:<handler>, which the kernel
 * does not count: its irqs_unhandled restarts with every burst and every
 * 100000 interrupts (note_interrupt()), so it cannot be read as a counter.
 * They need a program on every handler's return, so this provider is
 * detached by default: attach it with kstat -w kstatd:0:config:intr_claims=1.
 *
 * An interrupt runs every handler registered on its line, each between
 * irq_handler_entry and irq_handler_exit; the last handler of the chain
 * ends it.  spurious counts interrupts no handler claimed,
 * multiple_service those more than one handler of a shared line claimed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kstat.bpf.h"
#include "intr.h"

#define IRQ_CLAIMED (IRQ_HANDLED | IRQ_WAKE_THREAD)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_IRQS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct irq_intr);
} irq SEC(".maps") KSTAT_SHARED("intr", "irq");

/* Handlers of the interrupt this CPU is serving that claimed it so far */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} claimed SEC(".maps");

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
	/* the intr provider makes the entry of every IRQ with a handler */
	v = bpf_map_lookup_elem(&irq, &key);
	if (v) {
		if (*c == 0)
			v->spurious++;
		else if (*c > 1)
			v->multiple_service++;
	}
	*c = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
