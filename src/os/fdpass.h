/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Bytes and descriptors over a unix stream socket, and the child processes
 * on its other end: the namespace helper and the processes that load BPF
 * objects (bpf_apart.h).
 */
#ifndef __KSTATD_FDPASS_H
#define __KSTATD_FDPASS_H

#include <stdbool.h>
#include <stddef.h>

/* The most descriptors one fdpass_send() carries (the kernel takes 253) */
#define FDPASS_MAX_FDS 64

/* All of len bytes out (out) or in; 0, or -errno (-EPIPE at the end) */
int fdpass_io(int sock, void *buf, size_t len, bool out);

/* len bytes, with nfds (at most FDPASS_MAX_FDS) descriptors on the first */
int fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/*
 * len bytes and the descriptors that came with them: at most maxfds kept
 * in fds (close-on-exec, *nfds of them), the rest closed.
 */
int fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds);

/*
 * A child process on the other end of a unix stream socketpair: *sock is
 * the caller's end (close-on-exec) in each.  The child dies with kstatd
 * (PR_SET_PDEATHSIG), and takes signals as any process does: kstatd
 * blocks SIGINT and SIGTERM for its signal thread and ignores SIGPIPE.
 * Returns the child's pid in the parent, 0 in the child, -errno.
 */
int fdpass_fork(int *sock);

#endif /* __KSTATD_FDPASS_H */
