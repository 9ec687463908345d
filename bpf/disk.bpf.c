// SPDX-License-Identifier: GPL-2.0
/*
 * The time request-based disks spend on their requests, added up at
 * completion from the request's own timestamps: start_time_ns (when the
 * block layer began to account it) to io_start_time_ns (when it went to
 * the driver) is waiting, from there to now running.  By Little's law,
 * the sums over requests are illumos's wlentime and rlentime.  The
 * counts, bytes, busy time and queue lengths are the kernel's own books
 * (/proc/diskstats, /sys/block/<disk>/inflight): kstatd reads them when a
 * kstat is read (src/providers/builtin/disk_kstats.c) and reconciles these sums with them.
 *
 * One program, no per-request state, no lock: a per-CPU array indexed by
 * the request queue's dense id (the kernel's ida allocator gives the
 * lowest free one), and one of partitions beside it.  Each CPU's copy of a
 * slot says whose it is (the disk's diskseq and dev_t), so that a queue id
 * reused by a new disk starts from zero on each CPU as the new disk's
 * first requests complete there; kstatd sums only the copies of the disk
 * it serves.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "bits.bpf.h"
#include "core_fixes.bpf.h"
#include "disk.h"

#define REQ_OP_MASK 0xff
#define DEV_MINORBITS 20

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DISK_QUEUES);
	__type(key, __u32);
	__type(value, struct disk_q);
} disk_q SEC(".maps") KSTAT_PINNED;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DISK_QUEUES *DISK_PARTS);
	__type(key, __u32);
	__type(value, struct disk_part);
} disk_part SEC(".maps") KSTAT_PINNED;

/* Whose each queue id is: written when a CPU's copy changes hands, read by kstatd in place */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DISK_QUEUES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct disk_queue);
} disk_queues SEC(".maps") KSTAT_PINNED;

/* kstatd's own: the time it added to each queue's and partition's rlentime (no program writes) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DISK_QUEUES *DISK_PARTS);
	__type(key, __u32);
	__type(value, struct disk_off);
} disk_off SEC(".maps") KSTAT_PINNED;

static __always_inline void part_add(__u32 qid, __u32 part, __u64 ident, __u64 wait, __u64 run)
{
	__u32 idx = qid * DISK_PARTS + part;
	struct disk_part *p = bpf_map_lookup_elem(&disk_part, &idx);

	if (!p)
		return;
	if (p->ident != ident) {
		__builtin_memset(p, 0, sizeof(*p));
		p->ident = ident;
	}
	p->wlentime += wait;
	p->rlentime += run;
	p->done++;
}

/*
 * Requests are taken as /proc/diskstats times them (blk_account_io_done()):
 * those the block layer accounts (RQF_IO_STAT) outside a flush sequence.
 * Flush requests are accounted apart (blk_account_io_flush()): kstatd
 * takes their time from the books.
 */
static __always_inline int account(struct request *rq)
{
	__u32 flags = rq->rq_flags, io_stat = rqf_io_stat(), fseq = rqf_flush_seq();
	__u32 op = rq->cmd_flags & REQ_OP_MASK, qid, part = 0, b;
	__u64 start = rq->start_time_ns, issue, now, ident, run;
	struct gendisk *disk = rq_disk(rq);
	struct disk_q *q;

	if (!start || !disk || (flags & fseq))
		return 0;
	if (io_stat ? !(flags & io_stat) : op == REQ_OP_FLUSH)
		return 0;
	qid = rq->q->id;
	q = bpf_map_lookup_elem(&disk_q, &qid);
	if (!q) {
		__sync_fetch_and_add(&kstat_map_drops, 1); /* past DISK_QUEUES */
		return 0;
	}
	ident = disk_seq(disk) << 32 |
		(__u64)((__u32)disk->major << DEV_MINORBITS | disk->first_minor);
	if (q->ident != ident) {
		struct disk_queue *owner = bpf_map_lookup_elem(&disk_queues, &qid);

		__builtin_memset(q, 0, sizeof(*q));
		q->ident = ident;
		if (owner)
			owner->ident = ident;
	}
	now = bpf_ktime_get_ns();
	issue = rq_io_start(rq);
	/* no issue time (the queue keeps no stats, see docs/kstats.md): all of it ran */
	if (issue < start || issue > now) {
		issue = start;
		q->untimed++;
	}
	run = now - issue;
	q->wlentime += issue - start;
	q->rlentime += run;
	q->done++;
	b = log2_slot(run, DISK_LAT_SLOTS);
	/* discards are in the sums, as in time_in_queue, not in the histograms */
	if (op != REQ_OP_DISCARD && (op & 1)) {
		q->write[b]++;
		q->write_sum += run;
	} else if (op != REQ_OP_DISCARD) {
		q->read[b]++;
		q->read_sum += run;
	}
	if (rq->part)
		part = bdev_partno(rq->part);
	/* partitions past the slots are timed with their disk only */
	if (part && part < DISK_PARTS)
		part_add(qid, part, ident, issue - start, run);
	return 0;
}

/*
 * Where the kernel accounts a request's end (6.5 on), after its bios
 * ended: the time then is the kernel's own.  kstatd attaches this one or,
 * on older kernels, the next (src/providers/builtin/disk_kstats.c), never both.
 */
SEC("tp_btf/block_io_done")
int BPF_PROG(handle_block_io_done, struct request *rq)
{
	return account(rq);
}

/* Before the request's bios end: each time reads a little short (waking their waiters) */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(handle_block_rq_complete, struct request *rq, blk_status_t error,
	     unsigned int nr_bytes)
{
	if (nr_bytes < rq->__data_len)
		return 0;
	return account(rq);
}

char LICENSE[] SEC("license") = "GPL";
