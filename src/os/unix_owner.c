// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unix_owner.h"

/* 0 with *uid, -ENOENT when this message is of another socket */
static int match(const struct nlmsghdr *h, const char *name, size_t len, uid_t *uid)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	int rest = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	bool named = false, owned = false;
	uint32_t owner = 0;

	for (const struct rtattr *a = (const void *)(m + 1); RTA_OK(a, rest);
	     a = RTA_NEXT(a, rest)) {
		const char *v = RTA_DATA(a);
		size_t vlen = RTA_PAYLOAD(a);

		if (a->rta_type == UNIX_DIAG_NAME)
			named = vlen == len + 1 && v[0] == '\0' && memcmp(v + 1, name, len) == 0;
		else if (a->rta_type == UNIX_DIAG_UID && vlen >= sizeof(owner)) {
			memcpy(&owner, v, sizeof(owner));
			owned = true;
		}
	}
	if (!named)
		return -ENOENT;
	if (!owned)
		return -EOPNOTSUPP; /* before 5.3 */
	*uid = owner;
	return 0;
}

int unix_owner_abstract(const char *name, size_t len, uid_t *uid)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = AF_UNIX,
		       .udiag_states = ~0U,
		       .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_UID },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, err = -ENOENT;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto out;
	}
	/* read the whole dump, so that the answer is the last word */
	while (!done) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		size_t got, off;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			goto out;
		}
		got = (size_t)r;
		for (off = 0; off + sizeof(struct nlmsghdr) <= got && !done;) {
			const struct nlmsghdr *h = (const void *)(buf + off);

			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > got - off)
				break;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				err = e->error ? e->error : -EIO;
				goto out;
			} else if (err == -ENOENT && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
				err = match(h, name, len, uid);
			}
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
out:
	close(fd);
	return err;
}
