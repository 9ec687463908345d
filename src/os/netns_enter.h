/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Ways into a network namespace: descriptors opened inside it, through
 * which a process without privileges reads its books.  Opening them takes
 * CAP_SYS_ADMIN (setns) and, to find a process inside, CAP_SYS_PTRACE:
 * the namespace helper (nshelper.h) does it and hands them to kstatd.
 */
#ifndef __KSTATD_NETNS_ENTER_H
#define __KSTATD_NETNS_ENTER_H

#include <stddef.h>
#include <stdint.h>

enum netns_fd {
	NETNS_FD_RTNL,    /* NETLINK_ROUTE: RTM_GETLINK dumps, ethtool ioctls */
	NETNS_FD_NOTIFY,  /* NETLINK_ROUTE bound to RTNLGRP_LINK, non-blocking: links changed */
	NETNS_FD_SNMP,    /* /proc/net/snmp of the namespace */
	NETNS_FD_NETSTAT, /* /proc/net/netstat */
	NETNS_NFDS,
};

/*
 * Open the descriptors inside network namespace ino, found through
 * /proc/<pid>/ns/net when pid is not 0, else among nsfs mounts and
 * processes.  A thread of its own enters the namespace, so the caller's
 * threads never do.  0 with every fds[] open, or -errno (-ENOENT: no way
 * in found); nothing stays open on failure.
 */
int netns_enter_open(uint32_t ino, uint32_t pid, int fds[NETNS_NFDS]);

/* The same descriptors, for the calling thread's own namespace */
int netns_enter_own(int fds[NETNS_NFDS]);

/* Close what is open (>= 0) and set -1 */
void netns_enter_close(int fds[NETNS_NFDS]);

/*
 * An nsfs mount of a network namespace, one line of a mountinfo text:
 * its inode and mount point (octal escapes decoded).  0 if the line is
 * not one; untrusted text is safe here.
 */
int netns_mountinfo_line(const char *line, uint32_t *ino, char *mnt, size_t mntlen);

#endif /* __KSTATD_NETNS_ENTER_H */
