// SPDX-License-Identifier: GPL-2.0
/*
 * skb_drop:0:<reason>: packets the kernel dropped, by the reason
 * kfree_skb gives (enum skb_drop_reason, 5.17 and later): no_socket,
 * tcp_csum, netfilter_drop, ...; subsystems' own reasons (mac80211, ovs)
 * and any past this build's table count under skb_drop:0:other.
 *
 * These are not an interface's drops, which the interface counts itself
 * (link:<netns>:<if>:drops, from the kernel's books): most of these never
 * reached an interface's queue, such as a datagram to a port no socket
 * listens on.
 *
 * A program runs for every packet dropped, so this provider is detached
 * by default: attach it with kstat -w kstatd:0:config:skb_drop=1.  One
 * per-CPU array slot per reason: a lookup and an add.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

#define DROP_SLOTS 256 /* the last one (or the table's end, if sooner) is "other" */

struct drop {
	__u64 packets KSTAT_COUNTER(count, "Packets the kernel dropped for this reason");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_SLOTS);
	__type(key, __u32);
	__type(value, struct drop);
} skb_drop SEC(".maps") KSTAT_MODULE("skb_drop") KSTAT_CLASS("net") KSTAT_INSTANCE(key)
	KSTAT_KEY(skb_drop_reason);

SEC("tp_btf/kfree_skb")
int BPF_PROG(handle_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	/* constants once loaded: this kernel's values (CO-RE) */
	__u32 other = bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_MAX);
	__u32 slot = reason;
	struct drop *d;

	/* kernels before 6.0 report a freed packet here too; later ones on consume_skb */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	if (other > DROP_SLOTS - 1)
		other = DROP_SLOTS - 1;
	if (slot > other)
		slot = other;
	d = bpf_map_lookup_elem(&skb_drop, &slot);
	if (d)
		d->packets++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
