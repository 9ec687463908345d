/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Bytes and descriptors over a unix stream socket: the namespace helper's
 * answers and the objects a loading process hands back (bpf_apart.h).
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

#endif /* __KSTATD_FDPASS_H */
