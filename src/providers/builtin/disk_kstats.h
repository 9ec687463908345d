/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The disk provider's kstats: one KSTAT_TYPE_IO kstat per block device
 * and partition, <driver>:<instance>:<name> as illumos names them, and a
 * NAMED companion <driver>info:<instance>:<name> (dev_t, diskseq, the
 * service time histograms).  Counts, bytes, busy time and queue lengths
 * come from the kernel's books when a kstat is read; the queue time sums
 * from bpf/disk.bpf.c, reconciled with the books (kstatd:0:disk).
 */
#ifndef __KSTATD_DISK_KSTATS_H
#define __KSTATD_DISK_KSTATS_H

#include "provider_ext.h"

extern const struct provider_ext disk_ext;

#endif /* __KSTATD_DISK_KSTATS_H */
