/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef __KSTATD_MKDIRS_H
#define __KSTATD_MKDIRS_H

#include <sys/types.h>

/*
 * mkdir -p dir, each directory it creates getting mode whatever the umask
 * (clients must reach kstatd's socket, docs/security.md); those that
 * exist are left as they are.  0 or -errno.
 */
int mkdirs(const char *dir, mode_t mode);

#endif /* __KSTATD_MKDIRS_H */
