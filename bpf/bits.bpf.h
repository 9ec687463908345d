/* SPDX-License-Identifier: GPL-2.0 */
/* Bit arithmetic of the built-in providers */
#ifndef __KSTATD_BITS_BPF_H
#define __KSTATD_BITS_BPF_H

#include "kstat.bpf.h"

/* The slot of v in a log2 histogram of nslots (KSTAT_HIST): the last takes all beyond */
static __always_inline __u32 log2_slot(__u64 v, __u32 nslots)
{
	__u32 b = kstat_log2(v);

	return b < nslots ? b : nslots - 1;
}

#endif /* __KSTATD_BITS_BPF_H */
