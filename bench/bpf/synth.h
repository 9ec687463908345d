/* SPDX-License-Identifier: GPL-2.0 */
/* The value of the synthetic providers (synth.bpf.c, synth_array.bpf.c): 4 statistics */
#ifndef __KSTATD_BENCH_SYNTH_H
#define __KSTATD_BENCH_SYNTH_H

#define SYNTH_ENTRIES 100000

struct synth {
	__u64 events KSTAT_COUNTER(count, "Events");
	__u64 bytes KSTAT_COUNTER(bytes, "Bytes");
	__u64 busy KSTAT_COUNTER(ns, "Busy time");
	__s64 level KSTAT_GAUGE(count, "A level");
};

#endif /* __KSTATD_BENCH_SYNTH_H */
