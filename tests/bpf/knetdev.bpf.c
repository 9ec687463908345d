// SPDX-License-Identifier: GPL-2.0
/*
 * A drop-in keyed by network interface (KSTAT_KEY(netdev)): frames sent,
 * per interface of every namespace.  Tests only: a program per packet.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

struct knet {
	__u64 sent KSTAT_COUNTER(count, "Frames the driver accepted");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* netns inode << 32 | ifindex */
	__type(value, struct knet);
} knetdev SEC(".maps") KSTAT_MODULE("knetdev") KSTAT_CLASS("net") KSTAT_INSTANCE(key)
	KSTAT_KEY(netdev);

static const struct knet zero_knet;

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(handle_net_dev_xmit, struct sk_buff *skb, int rc, struct net_device *dev,
	     unsigned int skb_len)
{
	struct net *net = dev->nd_net.net;
	__u64 key = (__u64)net->ns.inum << 32 | (__u32)dev->ifindex;
	struct knet *k;

	if (rc != 0)
		return 0;
	k = kstat_lookup_or_init(&knetdev, &key, &zero_knet);
	if (k)
		k->sent++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
