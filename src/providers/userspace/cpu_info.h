/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpu_info:N:cpu_infoN, illumos's description of each CPU (brand, vendor,
 * family, model, stepping, clock, chip and core), from /proc/cpuinfo and
 * sysfs: one NAMED kstat per CPU online when kstatd starts.
 */
#ifndef __KSTATD_CPU_INFO_H
#define __KSTATD_CPU_INFO_H

struct snap;
struct cpu_info;

/* Create the kstats; NULL with errno set on failure. */
struct cpu_info *cpu_info_new(struct snap *s);
/* Delete them; NULL is accepted. */
void cpu_info_free(struct cpu_info *ci);

#endif /* __KSTATD_CPU_INFO_H */
