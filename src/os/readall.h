/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* A descriptor read to its end, and a small file read whole */
#ifndef __KSTATD_READALL_H
#define __KSTATD_READALL_H

#include <stddef.h>

/*
 * Read fd to its end into *buf (malloc'd, one NUL after the *len bytes),
 * at least 4096 bytes at a time (a BPF iterator's read wants room for a
 * record), at most max bytes.  0, or -errno (-EFBIG past max).
 */
int readall(int fd, size_t max, char **buf, size_t *len);

/* A small sysfs or procfs file into buf (len bytes), without its trailing newline; 0 or -errno */
int readall_small(const char *path, char *buf, size_t len);

#endif /* __KSTATD_READALL_H */
