/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Network interfaces as the kernel's rtnetlink describes them: each one's
 * rtnl_link_stats64 (what RTM_GETLINK's IFLA_STATS64 carries: the
 * driver's ndo_get_stats64 plus the core's counts, the numbers
 * /sys/class/net/<if>/statistics shows), its flags, state and kind.  On a
 * NETLINK_ROUTE socket of the interface's namespace, which any user may
 * read; ethtool's speed and duplex through the same socket.
 */
#ifndef __KSTATD_NL_LINK_H
#define __KSTATD_NL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/if_link.h>
#include <net/if.h>

#define NL_KIND_LEN 16

/* RFC 2863 operational states, as <linux/if.h> has them (it clashes with <net/if.h>) */
enum nl_oper {
	NL_OPER_UNKNOWN = 0,
	NL_OPER_NOTPRESENT = 1,
	NL_OPER_DOWN = 2,
	NL_OPER_LOWERLAYERDOWN = 3,
	NL_OPER_TESTING = 4,
	NL_OPER_DORMANT = 5,
	NL_OPER_UP = 6,
};

struct nl_link {
	uint32_t ifindex;
	uint32_t flags;           /* IFF_* (ifi_flags) */
	uint16_t type;            /* ARPHRD_* */
	uint8_t operstate;        /* enum nl_oper; NL_OPER_UNKNOWN when not said */
	bool has_stats;           /* IFLA_STATS64 was there */
	uint32_t carrier_changes; /* IFLA_CARRIER_CHANGES, 0 where not said */
	char name[IF_NAMESIZE];
	char kind[NL_KIND_LEN]; /* IFLA_INFO_KIND ("veth", "bridge", ...), "" for none */
	struct rtnl_link_stats64 st;
};

/* Called per interface; a non-zero return stops the walk and is returned */
typedef int (*nl_link_fn)(const struct nl_link *l, void *arg);

/* An rtnetlink socket with a receive timeout: -errno on failure */
int nl_link_socket(void);
/* Every interface of fd's namespace (RTM_GETLINK dump); 0 or -errno */
int nl_link_dump(int fd, nl_link_fn fn, void *arg);
/* One interface by ifindex: 0, -ENODEV if it is gone, or -errno */
int nl_link_get(int fd, uint32_t ifindex, nl_link_fn fn, void *arg);

/*
 * Parse one buffer of netlink messages of sequence seq: fn per RTM_NEWLINK.
 * Returns 1 at NLMSG_DONE (or after a single answer when !dump), 0 when
 * more is to come, or -errno (an NLMSG_ERROR's, or -EBADMSG).  Untrusted
 * bytes are safe here (tests/fuzz).
 */
int nl_link_parse(const void *buf, size_t len, uint32_t seq, bool dump, nl_link_fn fn, void *arg);

/*
 * Drain a socket subscribed to RTNLGRP_LINK (non-blocking): true if the
 * kernel announced any change of a link (or dropped announcements) since
 * the last call.
 */
bool nl_link_changed(int fd);

/* ethtool's speed (bits/s, 0 unknown) and duplex (illumos: 0 unknown, 1 half, 2 full) */
int nl_link_ethtool(int fd, const char *ifname, uint64_t *speed, uint32_t *duplex);

#endif /* __KSTATD_NL_LINK_H */
