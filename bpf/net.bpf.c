// SPDX-License-Identifier: GPL-2.0
/*
 * link:<netns>:<ifname>, one NAMED kstat per network interface, with the
 * illumos link statistics the tracepoints can give: packets and bytes
 * each way, broadcast and multicast received, transmit errors, drops.
 *
 * Received is what a driver hands to the stack (netif_receive_skb, once
 * per packet, before GRO merges nothing further), sent what a driver
 * accepted (net_dev_xmit).  Bytes include the link-layer header, as the
 * drivers' own counters do.  A GSO or GRO super-packet counts once, as
 * virtual devices (veth, virtio) count it; a physical NIC counts the
 * segments it puts on the wire.
 *
 * Keys are (network namespace, ifindex): the same ifindex exists in every
 * namespace.  kstatd names them and notices interfaces that went (there
 * is no tracepoint for that) from the netdev key decoder.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"

#define MAX_LINKS 4096
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2
#define NETDEV_TX_BUSY 0x10
#define NET_XMIT_CN 2

struct link {
	__u64 ipackets64 KSTAT_COUNTER(count, "Packets received");
	__u64 rbytes64 KSTAT_COUNTER(bytes, "Bytes received, link-layer headers included");
	__u64 brdcstrcv KSTAT_COUNTER(count, "Broadcast packets received");
	__u64 multircv KSTAT_COUNTER(count, "Multicast packets received");
	__u64 opackets64 KSTAT_COUNTER(count, "Packets the driver accepted to send");
	__u64 obytes64 KSTAT_COUNTER(bytes, "Bytes sent, link-layer headers included");
	__u64 oerrors KSTAT_COUNTER(count, "Packets the driver refused with an error");
	__u64 drops KSTAT_COUNTER(count,
				  "Packets the kernel dropped while they were on this interface");
};

/* Entries are made once per interface: not preallocated, as per-CPU values multiply by CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_LINKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* netns inode << 32 | ifindex */
	__type(value, struct link);
} link SEC(".maps") KSTAT_MODULE("link") KSTAT_CLASS("net") KSTAT_INSTANCE(key) KSTAT_KEY(netdev);

static const struct link zero_link;

/*
 * dev comes from a tracepoint's typed arguments: its fields, and the chain
 * to its namespace, are read directly (BTF pointers), no probe read on a
 * per-packet path.
 */
static __always_inline struct link *link_of(struct net_device *dev)
{
	__u32 ino = 0;
	__u64 key;

	/* without CONFIG_NET_NS there is one namespace, which the decoder reads as 0 */
	if (bpf_core_field_exists(dev->nd_net.net)) {
		struct net *net = dev->nd_net.net;

		if (net)
			ino = net->ns.inum;
	}
	key = (__u64)ino << 32 | (__u32)dev->ifindex;
	return kstat_lookup_or_init(&link, &key, &zero_link);
}

/*
 * The driver pulled the link-layer header already: its bytes are counted
 * back from the tracepoint's own sk_buff, read directly (tp_btf arguments
 * are typed and trusted).
 */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(handle_netif_receive_skb, struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	__u64 head, data, mac;
	__u8 type;
	struct link *l;

	if (!dev || !(l = link_of(dev)))
		return 0;
	/* the driver pulled the link-layer header already: count it back */
	head = (__u64)skb->head;
	data = (__u64)skb->data;
	mac = skb->mac_header;
	type = BPF_CORE_READ_BITFIELD(skb, pkt_type);
	l->ipackets64++;
	l->rbytes64 += skb->len;
	if (mac != (__u16)~0U && data >= head + mac)
		l->rbytes64 += data - (head + mac);
	if (type == PACKET_BROADCAST)
		l->brdcstrcv++;
	else if (type == PACKET_MULTICAST)
		l->multircv++;
	return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(handle_net_dev_xmit, struct sk_buff *skb, int rc, struct net_device *dev,
	     unsigned int skb_len)
{
	struct link *l;

	/* busy: the packet stays queued and comes back */
	if (rc == NETDEV_TX_BUSY || !dev || !(l = link_of(dev)))
		return 0;
	if (rc == NETDEV_TX_OK || rc == NET_XMIT_CN) {
		l->opackets64++;
		l->obytes64 += skb_len;
	} else {
		l->oerrors++;
	}
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(handle_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct net_device *dev = skb->dev;
	struct link *l;

	if (reason == SKB_CONSUMED || !dev || !(l = link_of(dev)))
		return 0;
	l->drops++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
