/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The cpu_sys provider's userspace: the RAW kstats illumos derives from
 * the same per-CPU books as cpu:N:sys and cpu:N:vm, cpu_stat:N:cpu_statN
 * (cpu_stat_t, <sys/sysinfo.h>) and unix:0:sysinfo (sysinfo_t, its
 * runque and waiting sums).  They come and go with the provider.
 */
#ifndef __KSTATD_CPU_STAT_RAW_H
#define __KSTATD_CPU_STAT_RAW_H

#include "provider_ext.h"

extern const struct provider_ext cpu_stat_ext;

#endif /* __KSTATD_CPU_STAT_RAW_H */
