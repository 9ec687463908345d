/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel layouts that changed, read the CO-RE way: each helper works on
 * the kernels before and after the commit it names.
 */
#ifndef __KSTAT_CORE_FIXES_BPF_H
#define __KSTAT_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/*
 * commit d152c682f03c ("block: add an explicit ->disk backpointer to the
 * request_queue", 5.15) and commit f3fa33acca9f ("block: remove the
 * ->rq_disk field in struct request", 5.16): a request's disk is found
 * through its queue now, in struct request itself before.
 */
struct request_queue___x {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct request___x {
	struct request_queue___x *q;
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

/* rq: a tp_btf argument, read directly (no probe read) on current kernels */
static __always_inline struct gendisk *rq_disk(struct request *rq)
{
	struct request___x *r = (void *)rq;

	if (bpf_core_field_exists(r->rq_disk))
		return BPF_CORE_READ(r, rq_disk);
	return rq->q->disk;
}

/*
 * commit cf179948554a ("block: add disk sequence number", 5.15) numbers
 * each medium a disk holds; before it every disk reads as 0, as sysfs has
 * no diskseq file to compare with.
 */
struct gendisk___x {
	u64 diskseq;
} __attribute__((preserve_access_index));

static __always_inline u64 disk_seq(struct gendisk *disk)
{
	struct gendisk___x *d = (void *)disk;

	if (bpf_core_field_exists(d->diskseq))
		return d->diskseq;
	return 0;
}

/*
 * The request flags became an enum of bit numbers in 6.11 (commit
 * 5f89154e8e9e, "block: Use enum to define RQF_x bit indexes"); before
 * it they were #defines that BTF does not carry, and these return 0: the
 * disk provider then counts every read and write it sees complete.
 */
static __always_inline u32 rqf_io_stat(void)
{
	if (bpf_core_enum_value_exists(enum rqf_flags, __RQF_IO_STAT))
		return 1U << bpf_core_enum_value(enum rqf_flags, __RQF_IO_STAT);
	return 0;
}

static __always_inline u32 rqf_flush_seq(void)
{
	if (bpf_core_enum_value_exists(enum rqf_flags, __RQF_FLUSH_SEQ))
		return 1U << bpf_core_enum_value(enum rqf_flags, __RQF_FLUSH_SEQ);
	return 0;
}

/*
 * commit "bdev: infrastructure for flags" (6.10) moved the partition
 * number into the low byte of __bd_flags, a u8 bd_partno before it.
 * bdev: reached from a tp_btf argument, read directly (no probe read).
 */
struct block_device___x {
	u8 bd_partno;
	atomic_t __bd_flags;
} __attribute__((preserve_access_index));

static __always_inline u32 bdev_partno(struct block_device *bdev)
{
	struct block_device___x *b = (void *)bdev;

	if (bpf_core_field_exists(b->bd_partno))
		return b->bd_partno;
	return b->__bd_flags.counter & 0xff;
}

/*
 * When a request went to the driver: blk_mq_start_request() stamps it
 * only on queues that keep I/O statistics (QUEUE_FLAG_STATS: writeback
 * throttling, blk-iolatency, ...), 0 elsewhere; a kernel without the
 * field reads as 0 too.
 */
static __always_inline u64 rq_io_start(struct request *rq)
{
	if (bpf_core_field_exists(rq->io_start_time_ns))
		return rq->io_start_time_ns;
	return 0;
}

#endif /* __KSTAT_CORE_FIXES_BPF_H */
