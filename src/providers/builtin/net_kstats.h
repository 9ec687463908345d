/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The net provider's kstats, every one from the kernel's own books and
 * per network namespace (instance: netns.h):
 *
 *	link:<netns>:<ifname>	illumos's link statistics, from each
 *				interface's rtnl_link_stats64 (netlink)
 *	ip:<netns>:ip, icmp:<netns>:icmp, tcp:<netns>:tcp, udp:<netns>:udp
 *				MIB-II, from /proc/net/snmp and netstat
 *
 * each carrying its namespace's identity (netns, netns_cookie,
 * netns_name, container, pod).  Nothing runs on a packet path: the
 * provider's one program is a task iterator that finds the namespaces.
 */
#ifndef __KSTATD_NET_KSTATS_H
#define __KSTATD_NET_KSTATS_H

#include "provider_ext.h"

extern const struct provider_ext net_ext;

#endif /* __KSTATD_NET_KSTATS_H */
