// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * rtnetlink's RTM_GETLINK, read for the statistics the kernel keeps for
 * each interface (nl_link.h).  The answers come from the kernel, but
 * are parsed as if they did not: every length is checked.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "nl_link.h"

#define NL_BUF (64 * 1024)
#define NL_TIMEOUT_S 2

static uint32_t next_seq;

int nl_link_socket(void)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void copy_attr_str(char *dst, size_t len, const struct rtattr *rta)
{
	size_t n = RTA_PAYLOAD(rta);
	const char *s = RTA_DATA(rta);

	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	dst[strnlen(dst, n)] = '\0';
}

static void parse_linkinfo(struct nl_link *l, const struct rtattr *info)
{
	int len = (int)RTA_PAYLOAD(info);

	for (const struct rtattr *a = RTA_DATA(info); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == IFLA_INFO_KIND)
			copy_attr_str(l->kind, sizeof(l->kind), a);
}

static int parse_newlink(const struct nlmsghdr *h, nl_link_fn fn, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nl_link l = { 0 };
	const struct rtattr *a;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -EBADMSG;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	l.ifindex = (uint32_t)ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	l.type = ifi->ifi_type;
	l.operstate = NL_OPER_UNKNOWN;
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a);

		switch (a->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME:
			copy_attr_str(l.name, sizeof(l.name), a);
			break;
		case IFLA_STATS64:
			/* older kernels send a shorter struct: the rest stays 0 */
			memcpy(&l.st, RTA_DATA(a), n < sizeof(l.st) ? n : sizeof(l.st));
			l.has_stats = true;
			break;
		case IFLA_OPERSTATE:
			if (n >= 1)
				l.operstate = *(const uint8_t *)RTA_DATA(a);
			break;
		case IFLA_CARRIER_CHANGES:
			if (n >= 4)
				memcpy(&l.carrier_changes, RTA_DATA(a), 4);
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(&l, a);
			break;
		}
	}
	if (!l.ifindex || !l.name[0])
		return 0;
	return fn(&l, arg);
}

int nl_link_parse(const void *buf, size_t len, uint32_t seq, bool dump, nl_link_fn fn, void *arg)
{
	const char *p = buf;

	for (size_t off = 0; off + sizeof(struct nlmsghdr) <= len;) {
		const struct nlmsghdr *h = (const void *)(p + off);
		size_t mlen = h->nlmsg_len;
		int err;

		if (mlen < sizeof(*h) || mlen > len - off)
			return -EBADMSG;
		off += NLMSG_ALIGN(mlen);

		if (h->nlmsg_seq != seq)
			continue; /* an answer to a question given up on */
		switch (h->nlmsg_type) {
		case NLMSG_DONE:
			return 1;
		case NLMSG_ERROR: {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error < 0 ? e->error : 1;
		}
		case RTM_NEWLINK:
			err = parse_newlink(h, fn, arg);
			if (err)
				return err;
			if (!dump)
				return 1;
			break;
		}
	}
	return 0;
}

static int ask(int fd, uint32_t ifindex, bool dump, nl_link_fn fn, void *arg)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { 0 };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_RELAXED);
	char *buf;
	int ret = 0;

	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	req.h.nlmsg_seq = seq;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)ifindex;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	buf = malloc(NL_BUF);
	if (!buf)
		return -ENOMEM;
	while (ret == 0) {
		struct iovec iov = { buf, NL_BUF };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &m, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EPIPE;
			break;
		}
		if (m.msg_flags & MSG_TRUNC) {
			ret = -EMSGSIZE;
			break;
		}
		ret = nl_link_parse(buf, (size_t)n, seq, dump, fn, arg);
	}
	free(buf);
	return ret < 0 ? ret : 0;
}

int nl_link_dump(int fd, nl_link_fn fn, void *arg)
{
	return ask(fd, 0, true, fn, arg);
}

int nl_link_get(int fd, uint32_t ifindex, nl_link_fn fn, void *arg)
{
	return ask(fd, ifindex, false, fn, arg);
}

bool nl_link_changed(int fd)
{
	char buf[8192];
	bool any = false;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* ENOBUFS: the kernel dropped some: anything may have changed */
			any |= errno == ENOBUFS;
			break;
		}
		any = true;
	}
	return any;
}

int nl_link_ethtool(int fd, const char *ifname, uint64_t *speed, uint32_t *duplex)
{
	struct ethtool_cmd cmd = { .cmd = ETHTOOL_GSET };
	struct ifreq ifr = { 0 };
	uint32_t mbps;

	*speed = 0;
	*duplex = 0;
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (char *)&cmd;
	/* a netlink socket passes device ioctls to its namespace's device layer */
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -errno;
	/* not ethtool_cmd_speed(): its speed_hi << 16 overflows an int for SPEED_UNKNOWN */
	mbps = (uint32_t)cmd.speed_hi << 16 | cmd.speed;
	if (mbps != (uint32_t)SPEED_UNKNOWN && mbps != 0)
		*speed = (uint64_t)mbps * 1000000;
	*duplex = cmd.duplex == DUPLEX_FULL ? 2 : cmd.duplex == DUPLEX_HALF ? 1 : 0;
	return 0;
}
