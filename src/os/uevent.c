// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "uevent.h"

/* The kernel's own events; udev's re-broadcasts are group 2 */
#define UEVENT_KERNEL_GROUP 1
#define UEVENT_MAX 8192 /* UEVENT_BUFFER_SIZE is 2048 */

int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = UEVENT_KERNEL_GROUP };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* "action@devpath", then KEY=value strings, each ending in a NUL */
static bool of_subsystem(const char *msg, size_t len, const char *subsystem)
{
	size_t want = strlen(subsystem);

	for (size_t off = strnlen(msg, len) + 1; off < len;
	     off += strnlen(msg + off, len - off) + 1)
		if (len - off > 10 + want && memcmp(msg + off, "SUBSYSTEM=", 10) == 0 &&
		    memcmp(msg + off + 10, subsystem, want) == 0 && msg[off + 10 + want] == '\0')
			return true;
	return false;
}

bool uevent_seen(int fd, const char *subsystem)
{
	char msg[UEVENT_MAX];
	bool seen = false;

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n =
			recvfrom(fd, msg, sizeof(msg), MSG_TRUNC, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return seen || errno != EAGAIN;
		/* only the kernel's: a process could send to the group; one cut short may be any */
		if (from.nl_pid == 0 &&
		    ((size_t)n > sizeof(msg) || of_subsystem(msg, (size_t)n, subsystem)))
			seen = true;
	}
}
