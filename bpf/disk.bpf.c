// SPDX-License-Identifier: GPL-2.0
/*
 * disk:<dev>:<name>, one KSTAT_TYPE_IO kstat per disk with illumos's wait
 * and run queue accounting, and disk_lat:<dev>:<name>, the log2 histogram
 * of each disk's read and write service times.
 *
 * A request enters the wait queue when the block layer inserts it (into
 * an I/O scheduler or a software queue), moves to the run queue when it is
 * issued to the driver, and leaves at its last completion.  Requests
 * issued directly (no scheduler, nothing queued) enter the run queue at
 * issue; a requeued one goes back to the wait queue, and is not counted
 * twice when the block layer inserts it again; one merged into another
 * leaves its queue.  So each request's place is kept, in a table indexed
 * by a hash of its address: request structs are preallocated per tag and
 * reused, and the table is claimed and released with compare-and-swap, no
 * map update per I/O.  The queue state of a disk is shared by every CPU
 * that inserts, issues or completes its requests: it alone takes a
 * bpf_spin_lock.  While the programs are detached, requests end unseen:
 * kstatd closes the queues at the detach (and zeroes what a crashed run
 * left before the attach), and a slot still holding such a request is
 * taken as new when its struct is inserted or issued again.
 *
 * reads, writes, nread and nwritten follow /proc/diskstats to the request:
 * bytes at every completion of a request the block layer accounts
 * (RQF_IO_STAT), operations at its last, except within a flush sequence;
 * discards and passthrough commands are left out, as there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "kstat.bpf.h"
#include "bits.bpf.h"
#include "core_fixes.bpf.h"

#define MAX_DISKS 1024
#define RQ_SLOTS (1 << 14) /* requests in flight on all disks at once */
#define RQ_PROBES 8
#define LAT_SLOTS 36 /* up to 2^35 ns, 34 s */
#define REQ_OP_MASK 0xff
#define DEV_MINORBITS 20

struct disk_io {
	__u64 nread, nwritten;
	__u32 reads, writes;
	__u64 wtime, wlentime, wlastupdate, rtime, rlentime, rlastupdate;
	__u32 wcnt, rcnt;
	struct bpf_spin_lock lock;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_DISKS);
	__type(key, __u64); /* diskseq << 32 | dev_t */
	__type(value, struct disk_io);
} disk_io SEC(".maps") KSTAT_MODULE("disk") KSTAT_CLASS("disk") KSTAT_TYPE(io) KSTAT_INSTANCE(key)
	KSTAT_KEY(blkdev);

struct disk_lat {
	__u64 read[LAT_SLOTS] KSTAT_HIST(ns, "Reads by time from issue to completion");
	__u64 read_sum KSTAT_COUNTER(ns, "Time of all reads from issue to completion");
	__u64 write[LAT_SLOTS] KSTAT_HIST(ns, "Writes by time from issue to completion");
	__u64 write_sum KSTAT_COUNTER(ns, "Time of all writes from issue to completion");
};

/* Entries are made once per disk: not preallocated, as per-CPU values multiply by CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_DISKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct disk_lat);
} disk_lat SEC(".maps") KSTAT_MODULE("disk_lat") KSTAT_CLASS("disk") KSTAT_INSTANCE(key)
	KSTAT_KEY(blkdev);

enum rq_queue {
	RQ_NONE,
	RQ_WAITQ,
	RQ_REQUEUED, /* waiting again, back from the driver: may be inserted again */
	RQ_RUNQ,
};

struct rq_slot {
	__u64 rq;     /* the request's address; 0: free */
	__u64 disk;   /* its disk's key */
	__u64 issued; /* when it went to the driver */
	__u32 queue;  /* enum rq_queue */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RQ_SLOTS);
	__type(key, __u32);
	__type(value, struct rq_slot);
} rq_slots SEC(".maps");

static const struct disk_lat zero_lat;

static __always_inline __u64 disk_key(struct gendisk *disk)
{
	__u32 major = disk->major, minor = disk->first_minor;

	return disk_seq(disk) << 32 | (__u64)(major << DEV_MINORBITS | minor);
}

static __always_inline struct disk_io *disk_of(struct request *rq, __u64 *key)
{
	struct gendisk *disk = rq_disk(rq);
	struct disk_io zero = {};

	if (!disk)
		return NULL;
	*key = disk_key(disk);
	return kstat_lookup_or_init(&disk_io, key, &zero);
}

/*
 * The request's address as a number, its identity in rq_slots: a typed
 * pointer stays opaque to the verifier, the tracepoint's raw argument not.
 */
static __always_inline __u64 rq_addr(unsigned long long *ctx)
{
	__u64 a = 0;

	bpf_probe_read_kernel(&a, sizeof(a), ctx);
	return a;
}

static __always_inline __u32 slot_hash(__u64 rq, __u32 probe)
{
	return (__u32)(((rq >> 6) * 0x9E3779B97F4A7C15ULL) >> 50) + probe;
}

static __always_inline struct rq_slot *slot_find(__u64 rq)
{
	for (__u32 i = 0; i < RQ_PROBES; i++) {
		__u32 idx = slot_hash(rq, i) & (RQ_SLOTS - 1);
		struct rq_slot *s = bpf_map_lookup_elem(&rq_slots, &idx);

		if (s && s->rq == rq)
			return s;
	}
	return NULL;
}

static __always_inline struct rq_slot *slot_claim(__u64 rq)
{
	for (__u32 i = 0; i < RQ_PROBES; i++) {
		__u32 idx = slot_hash(rq, i) & (RQ_SLOTS - 1);
		struct rq_slot *s = bpf_map_lookup_elem(&rq_slots, &idx);

		if (s && !s->rq && __sync_val_compare_and_swap(&s->rq, 0, rq) == 0) {
			s->queue = RQ_NONE;
			return s;
		}
	}
	__sync_fetch_and_add(&kstat_map_drops, 1);
	return NULL;
}

/* One queue's Riemann sums up to now, as illumos's kstat_waitq_enter & co */
static __always_inline void q_advance(__u64 *time, __u64 *lentime, __u64 *last, __u32 cnt,
				      __u64 now)
{
	/* now was read before the lock: another CPU may have moved past it */
	if (now <= *last)
		return;
	if (cnt) {
		*time += now - *last;
		*lentime += (now - *last) * cnt;
	}
	*last = now;
}

/* Move one request between queues (RQ_NONE: in or out of both); call locked */
static __always_inline void q_move(struct disk_io *d, __u32 from, __u32 to, __u64 now)
{
	if (from == RQ_REQUEUED)
		from = RQ_WAITQ;
	if (from == RQ_WAITQ || to == RQ_WAITQ)
		q_advance(&d->wtime, &d->wlentime, &d->wlastupdate, d->wcnt, now);
	if (from == RQ_RUNQ || to == RQ_RUNQ)
		q_advance(&d->rtime, &d->rlentime, &d->rlastupdate, d->rcnt, now);
	if (from == RQ_WAITQ && d->wcnt)
		d->wcnt--;
	else if (from == RQ_RUNQ && d->rcnt)
		d->rcnt--;
	if (to == RQ_WAITQ)
		d->wcnt++;
	else if (to == RQ_RUNQ)
		d->rcnt++;
}

/* A slot left by a request of another disk (its completion was missed) */
static __always_inline void slot_disown(struct rq_slot *s, __u64 key, __u64 now)
{
	struct disk_io *old;
	__u64 okey = s->disk;

	if (okey == key)
		return;
	old = bpf_map_lookup_elem(&disk_io, &okey);
	if (old && s->queue != RQ_NONE) {
		bpf_spin_lock(&old->lock);
		q_move(old, s->queue, RQ_NONE, now);
		bpf_spin_unlock(&old->lock);
	}
	s->queue = RQ_NONE;
	s->disk = key;
}

/* The request enters queue to: insert (RQ_WAITQ), issue (RQ_RUNQ) */
static __always_inline int enter(unsigned long long *ctx, struct request *rq, __u32 to)
{
	__u64 addr = rq_addr(ctx);
	__u64 key, now = bpf_ktime_get_ns();
	struct disk_io *d = disk_of(rq, &key);
	struct rq_slot *s;
	__u32 from;

	if (!d)
		return 0;
	s = slot_find(addr);
	if (s)
		slot_disown(s, key, now);
	else if ((s = slot_claim(addr)))
		s->disk = key;
	else
		return 0;
	from = s->queue;
	if (to == RQ_WAITQ && from == RQ_REQUEUED) {
		s->queue = RQ_WAITQ; /* inserted again after a requeue: it waits already */
		return 0;
	}
	/*
	 * Otherwise a request is inserted once and issued once: a slot that
	 * says it is there already is left from an earlier life of this request
	 * struct whose end was not seen (the provider was detached), and its
	 * count went when the queues were closed at the attach.
	 */
	if (from == to || (to == RQ_WAITQ && from == RQ_RUNQ))
		from = RQ_NONE;
	s->queue = to;
	if (to == RQ_RUNQ)
		s->issued = now;
	bpf_spin_lock(&d->lock);
	q_move(d, from, to, now);
	bpf_spin_unlock(&d->lock);
	return 0;
}

static __always_inline void add_latency(__u64 key, bool write, __u64 ns)
{
	struct disk_lat *l = kstat_lookup_or_init(&disk_lat, &key, &zero_lat);
	__u32 b = log2_slot(ns, LAT_SLOTS);

	if (!l)
		return;
	if (write) {
		l->write[b]++;
		l->write_sum += ns;
	} else {
		l->read[b]++;
		l->read_sum += ns;
	}
}

/*
 * Programs attach in the order they appear here: first those that take a
 * request out of its queue, last those that put it in, so that while a
 * provider attaches no request enters a queue whose exit is not watched
 * yet (a fast disk completes hundreds of requests meanwhile).
 */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(handle_block_rq_complete, struct request *rq, blk_status_t error,
	     unsigned int nr_bytes)
{
	__u32 flags = rq->rq_flags, op = rq->cmd_flags & REQ_OP_MASK;
	__u64 key, now = bpf_ktime_get_ns(), issued = 0;
	bool last = nr_bytes >= rq->__data_len;
	__u32 io_stat = rqf_io_stat(), from = RQ_NONE;
	struct disk_io *d = disk_of(rq, &key);
	bool write = op & 1, counted, done;
	struct rq_slot *s = NULL;

	if (!d)
		return 0;
	/* op_stat_group(): discards apart; the rest by op_is_write() */
	counted = (!io_stat || (flags & io_stat)) && op != REQ_OP_DISCARD && op != REQ_OP_DRV_IN &&
		  op != REQ_OP_DRV_OUT;
	done = counted && last && !(flags & rqf_flush_seq());
	if (last && (s = slot_find(rq_addr(ctx)))) {
		slot_disown(s, key, now);
		from = s->queue;
		issued = s->issued;
		s->rq = 0;
	}
	bpf_spin_lock(&d->lock);
	if (from != RQ_NONE)
		q_move(d, from, RQ_NONE, now);
	if (counted) {
		if (write)
			d->nwritten += nr_bytes & ~511U;
		else
			d->nread += nr_bytes & ~511U;
		if (done) {
			if (write)
				d->writes++;
			else
				d->reads++;
		}
	}
	bpf_spin_unlock(&d->lock);
	if (done && from == RQ_RUNQ)
		add_latency(key, write, now - issued);
	return 0;
}

/* rq was merged into another request and is freed without completing */
SEC("tp_btf/block_rq_merge")
int BPF_PROG(handle_block_rq_merge, struct request *rq)
{
	struct rq_slot *s = slot_find(rq_addr(ctx));
	__u64 now = bpf_ktime_get_ns();
	struct disk_io *d;
	__u32 from;

	if (!s)
		return 0;
	from = s->queue;
	d = bpf_map_lookup_elem(&disk_io, &s->disk);
	s->rq = 0;
	if (!d || from == RQ_NONE)
		return 0;
	bpf_spin_lock(&d->lock);
	q_move(d, from, RQ_NONE, now);
	bpf_spin_unlock(&d->lock);
	return 0;
}

/* Back from the driver to the wait queue; the block layer may insert it again */
SEC("tp_btf/block_rq_requeue")
int BPF_PROG(handle_block_rq_requeue, struct request *rq)
{
	struct rq_slot *s = slot_find(rq_addr(ctx));
	__u64 now = bpf_ktime_get_ns();
	struct disk_io *d;

	if (!s || s->queue != RQ_RUNQ)
		return 0;
	s->queue = RQ_REQUEUED;
	d = bpf_map_lookup_elem(&disk_io, &s->disk);
	if (!d)
		return 0;
	bpf_spin_lock(&d->lock);
	q_move(d, RQ_RUNQ, RQ_WAITQ, now);
	bpf_spin_unlock(&d->lock);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(handle_block_rq_insert, struct request *rq)
{
	return enter(ctx, rq, RQ_WAITQ);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(handle_block_rq_issue, struct request *rq)
{
	return enter(ctx, rq, RQ_RUNQ);
}

char LICENSE[] SEC("license") = "GPL";
