/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* When a file came to be, on the kstat engine's clock */
#ifndef __KSTATD_SINCE_H
#define __KSTATD_SINCE_H

#include <stdint.h>

/*
 * The inode change time of path, in CLOCK_MONOTONIC ns (the engine's
 * clock, crtime's): 1 for a time before boot, 0 when unknown.
 */
int64_t since_ctime(const char *path);

#endif /* __KSTATD_SINCE_H */
