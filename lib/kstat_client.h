/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The one client of kstatd's socket, shared by libkstat and the preload
 * shim: connect, and ioctl(kd, KSTAT_IOC_*, ksp) with the driver's
 * semantics for this build's data model.  Hidden in both libraries.
 */
#ifndef __KSTATD_KSTAT_CLIENT_H
#define __KSTATD_KSTAT_CLIENT_H

#define KCL_HIDDEN __attribute__((visibility("hidden")))

/*
 * Connect to kstatd: $KSTAT_SOCKET, or /run/kstatd/kstat.sock.  Returns a
 * close-on-exec stream socket whose sends and receives time out after
 * $KSTAT_TIMEOUT_MS (default 10 s; 0 never), or -1 with errno:
 * ENAMETOOLONG (the path does not fit a socket address), ETIMEDOUT (kstatd
 * accepts nothing), or what socket(2) or connect(2) said (ENOENT,
 * ECONNREFUSED: kstatd is not running).
 */
KCL_HIDDEN int kcl_connect(void);

/*
 * ioctl(fd, cmd, arg) for /dev/kstat: arg is the caller's kstat_t (NULL
 * for KSTAT_IOC_CHAIN_ID).  Returns the kstat chain id, or -1 with errno
 * as the driver sets it: ENXIO, EAGAIN, ENOMEM (ks_data_size then says
 * how much is needed), EACCES, EPERM, EINVAL, EOVERFLOW, EFAULT (a NULL
 * kstat_t, or a NULL buffer with a non-zero size).  When the connection
 * is gone (kstatd restarted), fd is connected again in place and the
 * request asked once more; EIO when kstatd cannot be reached or breaks
 * the protocol, ETIMEDOUT when it does not answer within the timeout.
 * Either leaves fd to connect again at the next call.  Callers on one
 * descriptor are serialised.
 */
KCL_HIDDEN int kcl_ioctl(int fd, unsigned long cmd, void *arg);

/*
 * For the batch client (kstat_batch.c): the lock that serialises fd's
 * exchanges, whole sends and receives (-1 with errno), a broken exchange
 * (shuts fd down, sets *lost; -1 with ETIMEDOUT or EIO) and a new
 * connection in place of fd.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
KCL_HIDDEN pthread_mutex_t *kcl_lock_of(int fd);
KCL_HIDDEN int kcl_send(int fd, const void *hdr, size_t hlen, const void *body, size_t blen);
KCL_HIDDEN int kcl_recv(int fd, void *buf, size_t len);
KCL_HIDDEN int kcl_broken(int fd, bool *lost);
KCL_HIDDEN int kcl_reconnect(int fd);

#endif /* __KSTATD_KSTAT_CLIENT_H */
