/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The disk provider's maps, as bpf/disk.bpf.c fills them and src/providers/builtin/disk_kstats.c reads them. */
#ifndef __KSTAT_DISK_H
#define __KSTAT_DISK_H

#define DISK_QUEUES 256   /* request queue ids timed; higher ones count as map drops */
#define DISK_PARTS 16     /* partitions 1-15 of each queue are timed on their own */
#define DISK_LAT_SLOTS 36 /* up to 2^35 ns, 34 s */

/*
 * One request queue's requests as timed on one CPU: everything a
 * completion touches in its first 64 bytes, then the histogram slots.
 */
struct disk_q {
	__u64 ident;    /* the disk's diskseq << 32 | dev_t (major << 20 | minor) */
	__u64 wlentime; /* waiting: start_time_ns to io_start_time_ns, summed */
	__u64 rlentime; /* running: io_start_time_ns to completion, summed */
	__u64 done;     /* requests timed */
	__u64 read_sum; /* service times (issue to completion) of reads, summed */
	__u64 write_sum;
	__u64 untimed; /* requests without io_start_time_ns: all counted running */
	__u64 pad;
	__u64 read[DISK_LAT_SLOTS]; /* log2 histograms of the service times */
	__u64 write[DISK_LAT_SLOTS];
};

/* Whose a queue id is (a struct: kstatd checks a pinned map's layout by its BTF) */
struct disk_queue {
	__u64 ident;
};

/* A partition's share of its queue's (slot qid * DISK_PARTS + partno), on one CPU */
struct disk_part {
	__u64 ident;
	__u64 wlentime, rlentime, done;
};

/*
 * What kstatd added to rlentime from the books (the time before the
 * program, and reconciled), slot qid * DISK_PARTS + partno: pinned with the
 * sums, so that both go on across a restart
 */
struct disk_off {
	__u64 ident;
	__u64 off;
};

#endif /* __KSTAT_DISK_H */
