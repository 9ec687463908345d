/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Bit arithmetic of the providers' programs.  Include kstat.bpf.h first. */
#ifndef __KSTAT_BITS_BPF_H
#define __KSTAT_BITS_BPF_H

/* The log2 histogram slot of v among nslots: the last one takes everything above */
static __always_inline __u32 kstat_log2_slot(__u64 v, __u32 nslots)
{
	__u32 b = kstat_log2(v);

	return b < nslots ? b : nslots - 1;
}

#endif /* __KSTAT_BITS_BPF_H */
