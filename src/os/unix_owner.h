/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Who holds a unix socket's abstract name, as the kernel books it */
#ifndef __KSTATD_UNIX_OWNER_H
#define __KSTATD_UNIX_OWNER_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The uid that made the socket bound to the abstract name (len bytes
 * from name, without the leading NUL) in this network namespace, through
 * sock_diag (NETLINK_SOCK_DIAG, UDIAG_SHOW_UID, Linux 5.3).  0 with *uid
 * set, -ENOENT if no socket holds it, or -errno.
 */
int unix_owner_abstract(const char *name, size_t len, uid_t *uid);

#endif /* __KSTATD_UNIX_OWNER_H */
