/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The disk provider's maps, as bpf/disk.bpf.c fills them and src/disk_kstats.c reads them. */
#ifndef __KSTAT_DISK_H
#define __KSTAT_DISK_H

#define DISK_QUEUES 256  /* request queue ids timed; higher ones count as map drops */
#define DISK_PARTS 16    /* slots per queue: the whole disk (0) and partitions 1-15 */
#define DISK_LAT_SLOTS 36 /* up to 2^35 ns, 34 s */

/* One queue's (or partition's) requests as timed on one CPU */
struct disk_time {
	__u64 ident;    /* the disk's diskseq << 32 | dev_t (major << 20 | minor) */
	__u64 wlentime; /* waiting: start_time_ns to io_start_time_ns, summed */
	__u64 rlentime; /* running: io_start_time_ns to completion, summed */
	__u64 done;     /* requests timed */
	__u64 untimed;  /* of which had no io_start_time_ns: all counted running */
};

/* A request queue's read and write service times (issue to completion) on one CPU */
struct disk_lat {
	__u64 ident;
	__u64 read[DISK_LAT_SLOTS];
	__u64 read_sum;
	__u64 write[DISK_LAT_SLOTS];
	__u64 write_sum;
};

#endif /* __KSTAT_DISK_H */
