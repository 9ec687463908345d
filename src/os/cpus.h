/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef __KSTATD_CPUS_H
#define __KSTATD_CPUS_H

#include <stdbool.h>

/* Online CPUs: fills online[0..n) from /sys/devices/system/cpu/online; 0 or -errno. */
int cpus_online(bool *online, int n);

#endif /* __KSTATD_CPUS_H */
