/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What bpf/net.bpf.c's iterator writes, as src/providers/books/netns.c reads it. */
#ifndef __KSTAT_NET_H
#define __KSTAT_NET_H

/* One process whose network namespace is not its parent's */
struct netns_rec {
	__u64 cookie; /* the namespace's cookie, 0 where the kernel has none yet */
	__u32 ino;    /* its inode (lsns, /proc/PID/ns/net) */
	__u32 pid;    /* the process, as the reader's pid namespace numbers it; 0 if unseen there */
};

#endif /* __KSTAT_NET_H */
