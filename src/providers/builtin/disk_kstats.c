// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Disk kstats from the kernel's books and the disk program's time sums.
 *
 * What the kernel counts exactly is read, never counted again: reads,
 * writes and bytes (/proc/diskstats), busy time (io_ticks: rtime), the
 * requests in flight (/proc/diskstats field 9: wcnt + rcnt) and in the
 * driver (/sys/class/block/<dev>/inflight: rcnt).  So none of these can
 * drift.  The program adds each request's waiting and running time at its
 * completion (wlentime, rlentime); a completion it does not see (detached,
 * no slot, kstatd down, a run the kernel skipped) shows as a request the
 * kernel counted and the program did not, and the time the kernel's
 * time_in_queue then has more is added to rlentime: kstatd:0:disk counts
 * these corrections.  Devices
 * the program cannot time (bio-based: zram, dm, md; partitions past the
 * slots) take rlentime from time_in_queue alone.
 *
 * The books are read before the map, so the map holds every request the
 * books do (the tracepoint fires before the kernel accounts).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/disk.h"
#include "disk_dev.h"
#include "disk_kstats.h"
#include "os/log.h"
#include "os/readall.h"
#include "os/since.h"
#include "os/uevent.h"
#include "providers/maps/schema.h"
#include "engine/snapshot.h"

#define SYSFS "/sys"
#define DISKSTATS "/proc/diskstats"
#define NSEC_PER_MSEC 1000000ULL
#define SECTOR 512ULL

enum info_stat {
	INFO_MAJOR,
	INFO_MINOR,
	INFO_DISKSEQ,
	INFO_PARTITION,
	INFO_DISCARDS,
	INFO_NDISCARDED,
	INFO_FLUSHES,
	INFO_NBASE,
	/* then, on disks the program times: read_lat slots, read_lat_sum, write_lat ... */
	INFO_NHIST = INFO_NBASE + 2 * (DISK_LAT_SLOTS + 1),
};

enum src_stat {
	DS_RECONCILED,
	DS_RECONCILED_TIME,
	DS_MISSED,
	DS_UNTIMED,
	DS_BOOKS_ONLY,
	DS_SCANS,
	DS_NSTATS,
};

struct disk_src {
	struct snap_source src; /* first: the engine hands it back to collect() */
	struct snap *snap;
	pthread_mutex_t lock; /* the device list */
	struct dk **v;
	size_t n;
	int q_fd, part_fd, off_fd;
	const volatile struct disk_queue *queues; /* disk_queues, mapped read-only */
	size_t queues_size;
	int ncpus;
	size_t qstride, pstride; /* one CPU's copy of a value */
	uint64_t reconciled, reconciled_ns, missed;
	/* the block devices' uevents (-1: none), and the last scan of sysfs (0: none yet) */
	int uev_fd;
	hrtime_t scanned_at;
	uint64_t parts_hash; /* of /proc/partitions at the last sync */
	uint64_t scans;      /* atomic */
};

/*
 * A sync scans sysfs only when the block devices may have changed: after
 * a uevent of theirs (added, removed, resized, renamed), or a change of
 * /proc/partitions (every device with a medium and its size: a device
 * given its first sectors, as zram is, sends no uevent).  An idle kstatd
 * opened 14 sysfs files per sync here, for 8 loop devices and a disk.  A
 * change that neither shows is still found by a scan this often.
 */
#define DISK_RESCAN_NS ((hrtime_t)(10 * 1000 * NSEC_PER_MSEC))

/* One device: its IO kstat and the NAMED companion */
struct dk {
	struct disk_src *src;
	struct disk_dev dev;
	uint64_t ident; /* its disk's, as the program writes it */
	int instance;
	bool seen;
	kstat_t *io, *info;
	/* under io's lock */
	bool started;
	uint32_t tiq_raw, ticks_raw, fms_raw;
	uint64_t tiq_ms, ticks_ms, fms_ms; /* the books' 32-bit ms counters, unwrapped */
	uint64_t off_r;                    /* added to rlentime: time before us, and reconciled */
	int64_t max_gap;                   /* most requests the books had over the program */
	int64_t off_slot;                  /* where off_r was last saved (disk_off), or -1 */
	uint64_t off_saved;
	kstat_io_t last;
	uint64_t untimed; /* atomic */
};

static const char *const ds_names[DS_NSTATS] = {
	"reconciled", "reconciled_time", "missed", "untimed", "books_only", "scans",
};

static const struct snap_stat_meta ds_meta[DS_NSTATS] = {
	{ SNAP_COUNTER, "count",
	  "Times a disk's rlentime was raised to the kernel's time_in_queue after missed requests",
	  NULL, 0 },
	{ SNAP_COUNTER, "ns", "Queue time so added from the kernel's books", NULL, 0 },
	{ SNAP_COUNTER, "count",
	  "Requests the kernel accounted that the disk program did not time (detached, no slot)",
	  NULL, 0 },
	{ SNAP_GAUGE, "count",
	  "Requests timed without an issue time (queue without QUEUE_FLAG_STATS): all running",
	  NULL, 0 },
	{ SNAP_GAUGE, "count",
	  "Devices whose queue time comes from the books alone (bio-based, partitions past 15)",
	  NULL, 0 },
	{ SNAP_COUNTER, "count",
	  "Looks for block devices in sysfs: after a block uevent, else every 10 s", NULL, 0 },
};

static struct snap_stat_meta info_meta[INFO_NHIST];
static pthread_once_t info_meta_once = PTHREAD_ONCE_INIT;

static void info_meta_init(void)
{
	static const struct snap_stat_meta base[INFO_NBASE] = {
		{ SNAP_GAUGE, "count", "Major device number", NULL, 0 },
		{ SNAP_GAUGE, "count", "Minor device number", NULL, 0 },
		{ SNAP_GAUGE, "count", "Disk sequence number (changes with the medium)", NULL, 0 },
		{ SNAP_GAUGE, "count", "Partition number, 0 for a whole disk", NULL, 0 },
		{ SNAP_COUNTER, "count", "Discard operations (/proc/diskstats)", NULL, 0 },
		{ SNAP_COUNTER, "bytes", "Bytes discarded (/proc/diskstats)", NULL, 0 },
		{ SNAP_COUNTER, "count", "Flush operations (/proc/diskstats)", NULL, 0 },
	};
	struct snap_stat_meta *m = info_meta;

	memcpy(m, base, sizeof(base));
	m += INFO_NBASE;
	for (int h = 0; h < 2; h++) {
		for (int i = 0; i < DISK_LAT_SLOTS; i++, m++) {
			m->kind = SNAP_HIST;
			m->unit = "ns";
			m->help = h ? "Writes by time from issue to completion"
				    : "Reads by time from issue to completion";
			m->hist = h ? "write_lat" : "read_lat";
			m->le = i + 1 == DISK_LAT_SLOTS ? UINT64_MAX : 1ULL << (i + 1);
		}
		m->kind = SNAP_COUNTER;
		m->unit = "ns";
		m->help = h ? "Time of all writes from issue to completion"
			    : "Time of all reads from issue to completion";
		m++;
	}
}

static bool timed(const struct dk *d)
{
	return d->dev.mq && d->dev.partno < DISK_PARTS;
}

static bool has_hist(const struct dk *d)
{
	return d->dev.mq && d->dev.partno == 0;
}

/* The queue id the program last saw this disk's requests on, or -1 */
static int find_qid(const struct disk_src *ds, uint64_t ident)
{
	for (int i = 0; i < DISK_QUEUES; i++)
		if (ds->queues[i].ident == ident)
			return i;
	return -1;
}

struct qsum {
	uint64_t wlentime, rlentime, done, untimed;
};

/*
 * A queue's sums (partno 0, with its histograms into hist if not NULL) or
 * one of its partitions', over the CPUs whose copies hold this disk's
 * requests.  All zero when the program has timed none.
 */
static void read_sums(const struct disk_src *ds, int qid, uint32_t partno, uint64_t ident,
		      struct qsum *out, kstat_named_t *hist)
{
	size_t stride = partno ? ds->pstride : ds->qstride;
	uint32_t key = (uint32_t)qid * (partno ? DISK_PARTS : 1) + partno;
	char *vals;

	memset(out, 0, sizeof(*out));
	if (qid < 0 || !(vals = malloc(stride * (size_t)ds->ncpus)))
		return;
	if (bpf_map_lookup_elem(partno ? ds->part_fd : ds->q_fd, &key, vals))
		goto out_free;
	if (hist)
		for (int i = 0; i < 2 * (DISK_LAT_SLOTS + 1); i++)
			hist[i].value.ui64 = 0;
	for (int c = 0; c < ds->ncpus; c++) {
		const void *v = vals + (size_t)c * stride;
		const struct disk_part *p = v;
		const struct disk_q *q = v;

		if (partno && p->ident == ident) {
			out->wlentime += p->wlentime;
			out->rlentime += p->rlentime;
			out->done += p->done;
		}
		if (partno || q->ident != ident)
			continue;
		out->wlentime += q->wlentime;
		out->rlentime += q->rlentime;
		out->done += q->done;
		out->untimed += q->untimed;
		for (int i = 0; hist && i < DISK_LAT_SLOTS; i++) {
			hist[i].value.ui64 += q->read[i];
			hist[DISK_LAT_SLOTS + 1 + i].value.ui64 += q->write[i];
		}
		if (hist) {
			hist[DISK_LAT_SLOTS].value.ui64 += q->read_sum;
			hist[2 * DISK_LAT_SLOTS + 1].value.ui64 += q->write_sum;
		}
	}
out_free:
	free(vals);
}

/* off_r as a kstatd before this one left it, for the same disk */
static uint64_t off_load(const struct disk_src *ds, int64_t slot, uint64_t ident)
{
	struct disk_off o;
	uint32_t key = (uint32_t)slot;

	if (slot < 0 || bpf_map_lookup_elem(ds->off_fd, &key, &o) || o.ident != ident)
		return 0;
	return o.off;
}

static void off_save(struct dk *d, int64_t slot)
{
	struct disk_off o = { .ident = d->ident, .off = d->off_r };
	uint32_t key = (uint32_t)slot;

	if (slot < 0 || (slot == d->off_slot && d->off_r == d->off_saved))
		return;
	if (bpf_map_update_elem(d->src->off_fd, &key, &o, BPF_ANY) == 0) {
		d->off_slot = slot;
		d->off_saved = d->off_r;
	}
}

/* Widen a 32-bit ms counter of the books */
static void unwrap(uint32_t *raw, uint64_t *acc, uint32_t now, bool started)
{
	*acc = started ? *acc + (uint32_t)(now - *raw) : now;
	*raw = now;
}

static uint64_t at_least(uint64_t v, uint64_t last)
{
	return v > last ? v : last;
}

static uint64_t at_most(uint64_t v, uint64_t bound)
{
	return v < bound ? v : bound;
}

/* The queue time sums, reconciled with the books; call with io's lock held */
static void lentimes(struct dk *d, const struct disk_books *b, uint64_t *wl, uint64_t *rl)
{
	struct disk_src *ds = d->src;
	uint64_t kernel, flush = d->fms_ms * NSEC_PER_MSEC, ours, kios;
	int qid = find_qid(ds, d->ident);
	int64_t gap, slot = qid < 0 ? -1 : (int64_t)qid * DISK_PARTS + d->dev.partno;
	struct qsum t;

	if (!timed(d)) {
		*wl = 0;
		*rl = d->tiq_ms * NSEC_PER_MSEC;
		return;
	}
	/* the program leaves flushes to the books, which time them apart */
	kernel = d->tiq_ms > d->fms_ms ? (d->tiq_ms - d->fms_ms) * NSEC_PER_MSEC : 0;
	read_sums(ds, qid, d->dev.partno, d->ident, &t, NULL);
	__atomic_store_n(&d->untimed, t.untimed, __ATOMIC_RELAXED);
	kios = b->reads + b->writes + b->discards;
	gap = (int64_t)(kios - t.done);
	ours = t.wlentime + t.rlentime;
	if (!d->started) {
		/*
		 * What an earlier kstatd added goes on; what the kernel timed
		 * while none watched (before, or between two) counts as running
		 */
		d->off_r = off_load(ds, slot, d->ident);
		if (kernel > ours + d->off_r)
			d->off_r = kernel - ours;
		d->max_gap = gap;
	} else if (gap > d->max_gap) {
		uint64_t have = ours + d->off_r;

		__atomic_fetch_add(&ds->missed, (uint64_t)(gap - d->max_gap), __ATOMIC_RELAXED);
		d->max_gap = gap;
		/* beyond the books' millisecond: the requests the program missed */
		if (kernel > have + NSEC_PER_MSEC) {
			d->off_r += kernel - have;
			__atomic_fetch_add(&ds->reconciled, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&ds->reconciled_ns, kernel - have, __ATOMIC_RELAXED);
		}
	}
	off_save(d, slot);
	*wl = t.wlentime;
	*rl = t.rlentime + d->off_r + flush;
}

static void fill_io(struct dk *d, const struct disk_books *b, uint32_t in_driver, uint64_t now)
{
	kstat_io_t *io = d->io->ks_data;
	uint64_t wl, rl, busy, wait, last_w;

	unwrap(&d->tiq_raw, &d->tiq_ms, b->tiq, d->started);
	unwrap(&d->ticks_raw, &d->ticks_ms, b->io_ticks, d->started);
	unwrap(&d->fms_raw, &d->fms_ms, b->fms, d->started);
	lentimes(d, b, &wl, &rl);
	d->started = true;
	busy = d->ticks_ms * NSEC_PER_MSEC;
	io->nread = at_least(b->rsect * SECTOR, d->last.nread);
	io->nwritten = at_least(b->wsect * SECTOR, d->last.nwritten);
	io->reads = (uint_t)b->reads;
	io->writes = (uint_t)b->writes;
	io->rtime = (hrtime_t)at_least(busy, (uint64_t)d->last.rtime);
	io->wlentime = (hrtime_t)at_least(wl, (uint64_t)d->last.wlentime);
	io->rlentime = (hrtime_t)at_least(rl, (uint64_t)d->last.rlentime);
	/*
	 * Time waiting is at most the wait sum and at most the busy time, in
	 * every interval too: the books' busy time (io_ticks) runs from a
	 * request's start, its wait included, and where they missed some
	 * (a whole disk's, once, while its partition worked) waiting cannot
	 * have happened outside it.  Bounding only the totals is not enough:
	 * a wtime held below wl by the busy time would catch up later, in an
	 * interval whose wait sum grew less (the program detached, say).
	 */
	last_w = (uint64_t)d->last.wtime;
	wait = at_most(wl, busy);
	wait = at_most(wait, last_w + ((uint64_t)io->rtime - (uint64_t)d->last.rtime));
	wait = at_most(wait, last_w + ((uint64_t)io->wlentime - (uint64_t)d->last.wlentime));
	io->wtime = (hrtime_t)at_least(wait, last_w);
	io->rcnt = in_driver < b->in_flight ? in_driver : b->in_flight;
	io->wcnt = b->in_flight - io->rcnt;
	io->wlastupdate = io->rlastupdate = (hrtime_t)now;
	d->last = *io;
}

static void fill_info(struct dk *d, const struct disk_books *b)
{
	kstat_named_t *kn = d->info->ks_data;
	struct qsum ignored;

	kn[INFO_MAJOR].value.ui64 = d->dev.major;
	kn[INFO_MINOR].value.ui64 = d->dev.minor;
	kn[INFO_DISKSEQ].value.ui64 = d->dev.diskseq;
	kn[INFO_PARTITION].value.ui64 = d->dev.partno;
	kn[INFO_DISCARDS].value.ui64 = b->discards;
	kn[INFO_NDISCARDED].value.ui64 = b->dsect * SECTOR;
	kn[INFO_FLUSHES].value.ui64 = b->flushes;
	if (has_hist(d))
		read_sums(d->src, find_qid(d->src, d->ident), 0, d->ident, &ignored,
			  kn + INFO_NBASE);
}

/* Refresh one of a device's kstats on its own (a read by kid); its lock is held */
static int dk_update(kstat_t *ksp, int rw)
{
	struct dk *d = ksp->ks_private;
	const struct disk_books *b;
	struct disk_books *books;
	uint64_t now = (uint64_t)snap_now();
	uint32_t in_driver = 0;
	int n;

	if (rw == KSTAT_WRITE)
		return EACCES;
	n = disk_books_read(DISKSTATS, &books);
	if (n < 0)
		return -n;
	b = disk_books_find(books, (size_t)n, d->dev.major, d->dev.minor);
	if (!b) {
		free(books);
		return ENXIO;
	}
	if (ksp == d->io) {
		(void)disk_inflight(SYSFS, d->dev.name, &in_driver);
		fill_io(d, b, in_driver, now);
	} else {
		fill_info(d, b);
	}
	free(books);
	return 0;
}

/* The data as filled: the books' values are current, nothing accrues between reads */
static int io_snapshot(kstat_t *ksp, void *buf, int rw)
{
	if (rw == KSTAT_WRITE)
		return EACCES;
	ksp->ks_snaptime = snap_read_time();
	memcpy(buf, ksp->ks_data, ksp->ks_data_size);
	return 0;
}

static int disk_collect(struct snap_source *src, uint64_t gen)
{
	struct disk_src *ds = (struct disk_src *)src;
	struct disk_books *books = NULL;
	uint64_t now;
	int n = 0;

	pthread_mutex_lock(&ds->lock);
	if (ds->n == 0)
		goto out_unlock;
	now = (uint64_t)snap_now();
	n = disk_books_read(DISKSTATS, &books);
	if (n < 0)
		goto out_unlock;
	for (size_t i = 0; i < ds->n; i++) {
		struct dk *d = ds->v[i];
		const struct disk_books *b =
			disk_books_find(books, (size_t)n, d->dev.major, d->dev.minor);
		uint32_t in_driver = 0;

		if (!b)
			continue; /* gone: the next sync deletes it */
		(void)disk_inflight(SYSFS, d->dev.name, &in_driver);
		snap_ks_lock(d->io);
		fill_io(d, b, in_driver, now);
		snap_mark_fresh(d->io, gen);
		snap_ks_unlock(d->io);
		snap_ks_lock(d->info);
		fill_info(d, b);
		snap_mark_fresh(d->info, gen);
		snap_ks_unlock(d->info);
	}
out_unlock:
	pthread_mutex_unlock(&ds->lock);
	free(books);
	return n < 0 ? n : 0;
}

static bool same_dev(const struct disk_dev *a, const struct disk_dev *b)
{
	return a->major == b->major && a->minor == b->minor && a->diskseq == b->diskseq &&
	       a->partno == b->partno && a->klass == b->klass && !strcmp(a->name, b->name) &&
	       !strcmp(a->ksname, b->ksname) && !strcmp(a->driver, b->driver);
}

static bool instance_used(struct dk **v, size_t n, const struct disk_dev *dev, int cand)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->dev.partno == 0 && v[i]->instance == cand &&
		    strcmp(v[i]->dev.driver, dev->driver) == 0)
			return true;
	return false;
}

/*
 * An instance for a whole device: the one its name implies if free, else
 * the driver's lowest free one.  live and fresh are the devices that have
 * kstats and those made in this pass.
 */
static int pick_instance(struct dk **live, size_t nlive, struct dk **fresh, size_t nfresh,
			 const struct disk_dev *dev)
{
	int cand = dev->name_instance;

	if (cand >= 0 && !instance_used(live, nlive, dev, cand) &&
	    !instance_used(fresh, nfresh, dev, cand))
		return cand;
	for (cand = 0;; cand++)
		if (!instance_used(live, nlive, dev, cand) &&
		    !instance_used(fresh, nfresh, dev, cand))
			return cand;
}

static void dk_free(struct disk_src *ds, struct dk *d)
{
	if (d->io)
		snap_delete(ds->snap, d->io);
	if (d->info)
		snap_delete(ds->snap, d->info);
	free(d);
}

static struct dk *dk_new(struct disk_src *ds, const struct disk_dev *dev, int instance)
{
	char module[KSTAT_STRLEN + 8], path[sizeof(SYSFS "/class/block/") + DISK_NAME_MAX];
	struct dk *d = calloc(1, sizeof(*d));
	int64_t born;
	uint_t ninfo;
	kstat_named_t *kn;

	if (!d)
		return NULL;
	pthread_once(&info_meta_once, info_meta_init);
	d->src = ds;
	d->dev = *dev;
	d->instance = instance;
	d->off_slot = -1;
	d->ident = (uint64_t)dev->diskseq << 32 | (uint32_t)(dev->dmajor << 20 | dev->dminor);
	d->io = snap_create(ds->snap, dev->driver, instance, dev->ksname,
			    disk_class_name(dev->klass), KSTAT_TYPE_IO, 1, 0);
	if (!d->io)
		goto err_free;
	snprintf(module, sizeof(module), "%sinfo", dev->driver);
	ninfo = has_hist(d) ? INFO_NHIST : INFO_NBASE;
	d->info = snap_create(ds->snap, module, instance, dev->ksname, "disk_info",
			      KSTAT_TYPE_NAMED, ninfo, 0);
	if (!d->info)
		goto err_free;
	/* a walk reads /proc/diskstats once for all of them (disk_collect) */
	snap_set_source(d->io, &ds->src);
	snap_set_source(d->info, &ds->src);
	/*
	 * The counts are the kernel's, since the device came to be: so is
	 * crtime, so that a first report's rates (kiostat) are right
	 */
	snprintf(path, sizeof(path), SYSFS "/class/block/%s", dev->name);
	born = since_ctime(path);
	if (born)
		d->io->ks_crtime = d->info->ks_crtime = born;
	kn = d->info->ks_data;
	for (uint_t i = 0; i < ninfo; i++) {
		static const char *const names[INFO_NBASE] = {
			"major",    "minor",      "diskseq", "partition",
			"discards", "ndiscarded", "flushes",
		};
		char nm[KSTAT_STRLEN];
		uint_t h = (i - INFO_NBASE) % (DISK_LAT_SLOTS + 1);
		const char *hist = i - INFO_NBASE < DISK_LAT_SLOTS + 1 ? "read_lat" : "write_lat";

		if (i < INFO_NBASE)
			snprintf(nm, sizeof(nm), "%s", names[i]);
		else if (h == DISK_LAT_SLOTS)
			snprintf(nm, sizeof(nm), "%s_sum", hist);
		else
			schema_slot_name(hist, h, DISK_LAT_SLOTS, nm, sizeof(nm));
		snap_named_init(&kn[i], nm, KSTAT_DATA_UINT64);
	}
	snap_set_meta(d->info, info_meta);
	d->io->ks_private = d->info->ks_private = d;
	d->io->ks_update = d->info->ks_update = dk_update;
	d->io->ks_snapshot = io_snapshot;
	return d;

err_free:
	log_warn("%s:%d:%s: cannot create kstat: %s", dev->driver, instance, dev->ksname,
		 strerror(errno));
	dk_free(ds, d);
	return NULL;
}

/* Take the devices that went (all when detached) out of the list, into *gone */
static size_t take_gone(struct disk_src *ds, struct dk **gone)
{
	size_t ngone = 0, kept = 0;

	for (size_t i = 0; i < ds->n; i++) {
		if (ds->v[i]->seen)
			ds->v[kept++] = ds->v[i];
		else
			gone[ngone++] = ds->v[i];
	}
	ds->n = kept;
	return ngone;
}

/* A hash of /proc/partitions, or 0 if it cannot be read */
static uint64_t partitions_hash(void)
{
	int fd = open("/proc/partitions", O_RDONLY | O_CLOEXEC);
	uint64_t h = 14695981039346656037ULL;
	size_t len;
	char *buf;

	if (fd < 0)
		return 0;
	if (readall(fd, 1 << 20, &buf, &len) == 0) {
		for (size_t i = 0; i < len; i++)
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
		free(buf);
	} else {
		h = 0;
	}
	close(fd);
	return h;
}

/* Whether a sync must scan sysfs (every time where there are no uevents) */
static bool must_scan(struct disk_src *ds, hrtime_t now)
{
	bool seen;
	uint64_t h;

	if (ds->uev_fd < 0)
		return true;
	seen = uevent_seen(ds->uev_fd, "block");
	h = partitions_hash();
	seen |= h == 0 || h != ds->parts_hash;
	ds->parts_hash = h;
	return seen || !ds->scanned_at || now - ds->scanned_at >= DISK_RESCAN_NS;
}

static int disk_sync(void *priv, bool attached)
{
	struct disk_src *ds = priv;
	struct disk_dev *devs = NULL;
	struct dk **gone = NULL, **add = NULL, **nv;
	size_t ngone, nadd = 0;
	int ndev = 0, changes = 0, err = 0;
	bool retry = false;

	if (attached) {
		hrtime_t now = snap_now();

		if (!must_scan(ds, now))
			return 0;
		ndev = disk_dev_scan(SYSFS, &devs);
		__atomic_add_fetch(&ds->scans, 1, __ATOMIC_RELAXED);
		ds->scanned_at = ndev < 0 ? 0 : now;
		if (ndev < 0)
			return ndev;
	} else {
		ds->scanned_at = 0; /* attached again: scan at once */
		if (ds->uev_fd >= 0)
			(void)uevent_seen(ds->uev_fd, "block"); /* no queue builds up meanwhile */
	}
	pthread_mutex_lock(&ds->lock);
	gone = calloc(ds->n + 1, sizeof(*gone));
	add = calloc((size_t)ndev + 1, sizeof(*add));
	if (!gone || !add) {
		pthread_mutex_unlock(&ds->lock);
		err = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < ds->n; i++) {
		ds->v[i]->seen = false;
		for (int j = 0; j < ndev && !ds->v[i]->seen; j++)
			if (same_dev(&ds->v[i]->dev, &devs[j])) {
				ds->v[i]->seen = true;
				devs[j].name[0] = '\0'; /* has its kstats */
			}
	}
	ngone = take_gone(ds, gone);
	pthread_mutex_unlock(&ds->lock);

	/* the engine's chain lock comes before ours: none of ours held here */
	for (size_t i = 0; i < ngone; i++, changes += 2)
		dk_free(ds, gone[i]);
	for (int j = 0; j < ndev; j++) {
		struct dk *d, *parent = NULL;
		int instance;

		if (!devs[j].name[0])
			continue;
		pthread_mutex_lock(&ds->lock);
		for (size_t i = 0; i < ds->n && devs[j].partno && !parent; i++)
			if (!ds->v[i]->dev.partno && !strcmp(ds->v[i]->dev.name, devs[j].parent))
				parent = ds->v[i];
		for (size_t i = 0; i < nadd && devs[j].partno && !parent; i++)
			if (!add[i]->dev.partno && !strcmp(add[i]->dev.name, devs[j].parent))
				parent = add[i];
		if (devs[j].partno)
			instance = parent ? parent->instance : -1;
		else
			instance = pick_instance(ds->v, ds->n, add, nadd, &devs[j]);
		pthread_mutex_unlock(&ds->lock);
		if (instance < 0)
			continue;
		d = dk_new(ds, &devs[j], instance);
		if (!d) {
			retry = true;
			continue;
		}
		snap_ks_lock(d->io);
		(void)dk_update(d->io, KSTAT_READ);
		snap_ks_unlock(d->io);
		snap_ks_lock(d->info);
		(void)dk_update(d->info, KSTAT_READ);
		snap_ks_unlock(d->info);
		add[nadd++] = d;
	}
	pthread_mutex_lock(&ds->lock);
	nv = realloc(ds->v, (ds->n + nadd + 1) * sizeof(*nv));
	if (nv) {
		ds->v = nv;
		for (size_t i = 0; i < nadd; i++) {
			add[i]->seen = true;
			ds->v[ds->n++] = add[i];
		}
	}
	pthread_mutex_unlock(&ds->lock);
	for (size_t i = 0; i < nadd; i++) {
		if (!nv) {
			dk_free(ds, add[i]);
			continue;
		}
		snap_install(ds->snap, add[i]->io);
		snap_install(ds->snap, add[i]->info);
		changes += 2;
	}
	if (!nv)
		err = -ENOMEM;
out_free:
	if (err || retry)
		ds->scanned_at = 0; /* what failed is tried again at the next sync */
	free(devs);
	free(gone);
	free(add);
	return err ? err : changes;
}

static uint32_t disk_count(void *priv)
{
	struct disk_src *ds = priv;
	uint32_t n;

	pthread_mutex_lock(&ds->lock);
	n = (uint32_t)ds->n * 2;
	pthread_mutex_unlock(&ds->lock);
	return n;
}

static void disk_stats(void *priv, uint64_t *out)
{
	struct disk_src *ds = priv;
	uint64_t untimed = 0, books_only = 0;

	pthread_mutex_lock(&ds->lock);
	for (size_t i = 0; i < ds->n; i++) {
		untimed += __atomic_load_n(&ds->v[i]->untimed, __ATOMIC_RELAXED);
		books_only += !timed(ds->v[i]);
	}
	pthread_mutex_unlock(&ds->lock);
	out[DS_RECONCILED] = __atomic_load_n(&ds->reconciled, __ATOMIC_RELAXED);
	out[DS_RECONCILED_TIME] = __atomic_load_n(&ds->reconciled_ns, __ATOMIC_RELAXED);
	out[DS_MISSED] = __atomic_load_n(&ds->missed, __ATOMIC_RELAXED);
	out[DS_UNTIMED] = untimed;
	out[DS_BOOKS_ONLY] = books_only;
	out[DS_SCANS] = __atomic_load_n(&ds->scans, __ATOMIC_RELAXED);
}

static void disk_close(void *priv)
{
	struct disk_src *ds = priv;

	if (!ds)
		return;
	(void)disk_sync(ds, false);
	snap_source_remove(ds->snap, &ds->src);
	if (ds->queues)
		munmap((void *)ds->queues, ds->queues_size);
	if (ds->uev_fd >= 0)
		close(ds->uev_fd);
	pthread_mutex_destroy(&ds->lock);
	free(ds->v);
	free(ds);
}

/* One program: where the kernel accounts a request's end, or the completion before it */
static void disk_prepare(struct bpf_object *obj, const struct btf *vmlinux)
{
	struct bpf_program *done = bpf_object__find_program_by_name(obj, "handle_block_io_done"),
			   *complete = bpf_object__find_program_by_name(obj,
									"handle_block_rq_complete");
	bool have = vmlinux && btf__find_by_name_kind(vmlinux, "btf_trace_block_io_done",
						      BTF_KIND_TYPEDEF) >= 0;

	if (!done || !complete)
		return;
	if (have) {
		bpf_program__set_autoload(complete, false);
		return;
	}
	log_warn("disk: no tracepoint block_io_done (kernels before 6.5): requests are timed at "
		 "block_rq_complete, before their bios end, a little short of the kernel's times");
	bpf_program__set_autoload(done, false);
}

static void *disk_open(struct snap *s, struct bpf_object *obj, const int *prog_fds)
{
	struct bpf_map *qm = bpf_object__find_map_by_name(obj, "disk_q"),
		       *pm = bpf_object__find_map_by_name(obj, "disk_part"),
		       *fm = bpf_object__find_map_by_name(obj, "disk_off"),
		       *om = bpf_object__find_map_by_name(obj, "disk_queues");
	struct disk_src *ds;
	void *q;

	(void)prog_fds; /* maps only */

	if (!qm || !pm || !om || !fm) {
		errno = ENOENT;
		return NULL;
	}
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return NULL;
	ds->snap = s;
	ds->ncpus = libbpf_num_possible_cpus();
	ds->q_fd = bpf_map__fd(qm);
	ds->part_fd = bpf_map__fd(pm);
	ds->off_fd = bpf_map__fd(fm);
	ds->qstride = (bpf_map__value_size(qm) + 7) & ~(size_t)7;
	ds->pstride = (bpf_map__value_size(pm) + 7) & ~(size_t)7;
	ds->queues_size = (size_t)DISK_QUEUES * sizeof(struct disk_queue);
	q = mmap(NULL, ds->queues_size, PROT_READ, MAP_SHARED, bpf_map__fd(om), 0);
	if (ds->ncpus <= 0 || q == MAP_FAILED) {
		int err = ds->ncpus <= 0 ? -ds->ncpus : errno;

		free(ds);
		errno = err;
		return NULL;
	}
	ds->queues = q;
	ds->uev_fd = uevent_open();
	if (ds->uev_fd < 0)
		log_dbg("disk: no uevents (%s): block devices are scanned on every sync",
			strerror(-ds->uev_fd));
	pthread_mutex_init(&ds->lock, NULL);
	ds->src.collect = disk_collect;
	snap_source_add(s, &ds->src);
	return ds;
}

const struct provider_ext disk_ext = {
	.prepare = disk_prepare,
	.open = disk_open,
	.sync = disk_sync,
	.close = disk_close,
	.count = disk_count,
	.nstats = DS_NSTATS,
	.stat_names = ds_names,
	.stat_meta = ds_meta,
	.stats = disk_stats,
};
