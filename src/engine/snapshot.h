/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The kstat engine: the registry of kstats, kid and chain-id assignment,
 * and the read and write rules of the illumos /dev/kstat driver.
 *
 * A kstat here is a kstat_t, exactly as an illumos provider sees one: the
 * provider fills ks_data (or lets the engine allocate it), and may set
 * ks_update, ks_snapshot and ks_private.  The engine serialises update and
 * snapshot per kstat and hands front ends (socket, HTTP) consistent copies;
 * front ends never see provider memory.
 *
 * Lock order: the chain lock (read or write) first.  A bulk source's
 * collect() holds its own lock while it takes kstats' locks, so a
 * ks_update must never take a source's lock; the loader's lock (wanted
 * states) may be taken under a kstat's lock, never the other way.
 * ks_update and ks_snapshot run with the chain lock held for reading and
 * the kstat's lock held, so they must not create or delete kstats.
 */
#ifndef __KSTATD_SNAPSHOT_H
#define __KSTATD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/kstat.h>

/*
 * LONG and ULONG as an LP64 kernel stores them.  A provider that wants
 * illumos's "long" statistics uses these; readers never see them: they get
 * INT64/UINT64 (LP64 callers) or truncated INT32/UINT32 (ILP32 callers).
 */
#define KS_DATA_KLONG 7
#define KS_DATA_KULONG 8

/* Data model of a reader or writer, as the ioctl's FMODELS flag says */
enum snap_model {
	SNAP_MODEL_LP64 = 0,
	SNAP_MODEL_ILP32 = 1,
};

struct snap;

/* Header fields a read returns, even when it fails with ENOMEM */
struct snap_rhdr {
	uint_t ks_ndata;
	size_t ks_data_size;
	uchar_t ks_flags;
	hrtime_t ks_snaptime;
};

/* Engine counters, for kstatd:0:engine */
struct snap_stats {
	uint64_t reads;
	uint64_t writes;
	uint64_t walks;
	uint64_t walk_nsec;
	uint64_t kstats;
	uint64_t creates;
	uint64_t deletes;
	uint64_t create_failures; /* snap_create refused: a name taken, a bad name, memory */
};

/*
 * Create the registry with kid 0 (unix:0:kstat_headers) and kid 1
 * (unix:0:kstat_types).  Returns NULL with errno set on failure.
 */
struct snap *snap_new(void);
/* Delete every kstat and free the registry; NULL is accepted. */
void snap_free(struct snap *s);

/*
 * Create a kstat as illumos kstat_create() does: the kstat is INVALID (in
 * the registry, invisible in kid 0, reads get EAGAIN) until snap_install().
 * Its kid comes from the chain-id counter, which bumps.  name NULL means
 * "<module><instance>".  Strings longer than KSTAT_STRLEN-1 are refused
 * (EINVAL) rather than silently truncated.  A PERSISTENT kstat found
 * DORMANT under the same name, class, type and ndata is revived with its
 * kid and data.  Unless VIRTUAL, ks_data is allocated and zeroed here.
 * Returns NULL with errno: EINVAL (bad type, flags, ndata or name), EEXIST
 * (name collision), ENOMEM.
 */
kstat_t *snap_create(struct snap *s, const char *module, int instance, const char *name,
		     const char *ks_class, uchar_t type, uint_t ndata, uchar_t flags);
/* Make a created kstat visible. */
void snap_install(struct snap *s, kstat_t *ksp);
/*
 * Remove a kstat (the chain id bumps) and free it, or, if PERSISTENT, keep
 * it readable as DORMANT with its last data (the chain id does not move).
 */
void snap_delete(struct snap *s, kstat_t *ksp);

/* Count n kstats a caller gave up creating (a budget): kstatd:0:engine shows them */
void snap_count_create_failures(struct snap *s, uint64_t n);

/* The current kstat chain id (KSTAT_IOC_CHAIN_ID). */
kid_t snap_chain_id(struct snap *s);

/*
 * Kids unique across restarts.  The counter (kids and chain id) moves up
 * to first at once, and before it reaches limit, reserve(ctx, next) is
 * called (under the chain lock) to record kids from next on as taken
 * where a later run will see them; it returns the new limit.  A reserve
 * that cannot record returns next, and the counter goes on unrecorded.
 * Set before any kstat beyond kid 1 is created.
 */
typedef kid_t snap_kid_reserve_fn(void *ctx, kid_t next);
void snap_set_kid_reserve(struct snap *s, kid_t first, kid_t limit, snap_kid_reserve_fn *reserve,
			  void *ctx);

/*
 * KSTAT_IOC_READ: read kid into buf of bufsize bytes, for a caller of the
 * given data model whose buffer lives at user address ubase (string
 * pointers in the data are rebased onto it).  Returns 0 or a positive
 * errno: ENXIO (no such kid), EAGAIN (INVALID), ENOMEM (bufsize too small:
 * hdr says how much is needed), EOVERFLOW (ILP32 caller, size beyond 4 GiB)
 * or what the provider's update returned.  hdr is filled on success and on
 * ENOMEM; *kcid gets the chain id.  *copied is the number of bytes of buf
 * that hold data (less than ks_data_size for kid 0 read by ILP32 callers).
 */
int snap_read(struct snap *s, kid_t kid, enum snap_model model, void *buf, size_t bufsize,
	      uint64_t ubase, struct snap_rhdr *hdr, size_t *copied, kid_t *kcid);

/*
 * KSTAT_IOC_WRITE: write buf (bufsize bytes, ndata records, string pointers
 * relative to user address ubase) to kid.  Returns 0 or a positive errno:
 * EPERM (not privileged), ENXIO, EAGAIN, EACCES (not WRITABLE), EINVAL
 * (size, ndata, data type or string pointer mismatch), or the provider's.
 * buf is modified (pointers rebased).  *kcid gets the chain id.
 */
int snap_write(struct snap *s, kid_t kid, enum snap_model model, void *buf, size_t bufsize,
	       uint_t ndata, uint64_t ubase, bool privileged, kid_t *kcid);

/*
 * A bulk source refreshes many kstats at once (one batch map lookup
 * instead of one syscall per kstat).  A walk asks a source to collect
 * when it meets the first kstat it wants of those the source set itself
 * on (snap_set_source()), once per walk: a walk that wants none of them
 * costs the source nothing.  collect() runs with the chain lock held for
 * reading; it calls snap_mark_fresh() under each kstat's lock for the
 * kstats it refreshed.  Once snap_source_remove() returns, no walk is in
 * its collect().
 */
struct snap_source {
	int (*collect)(struct snap_source *src, uint64_t gen);
	struct snap_source *next; /* owned by the engine */
	size_t nkstats;           /* owned by the engine: kstats set on it */
	uint64_t collect_gen;     /* owned by the engine: the latest gen it collected for */
};
void snap_source_add(struct snap *s, struct snap_source *src);
void snap_source_remove(struct snap *s, struct snap_source *src);
/* Before snap_install(): src refreshes this kstat in walks */
void snap_set_source(kstat_t *ksp, struct snap_source *src);

/*
 * A read session: the read batches one client call sends (libkstat's
 * kstat_read_batch() of 100k kstats is 37 requests of 2730).  A source
 * collects at most once in a session, when the session asks for at least
 * 1/SNAP_BATCH_SHARE of its kstats, counting the items the client says
 * are still to come in proportion to this batch's; a kstat its source
 * refreshed after the session began is read as that collect left it, its
 * snaptime the collect's.  One bulk map read then serves every batch of
 * the call instead of one map lookup per kstat; a few kstats of a big map
 * are still read one by one.  A session older than SNAP_SESSION_MAX_NS
 * begins afresh, so no call reads numbers older than that from it.
 */
#define SNAP_BATCH_SHARE 8
#define SNAP_SESSION_MAX_NS (1000 * 1000 * 1000LL)
struct snap_session {
	uint64_t gen; /* the walk generation it began at; 0 before the first batch */
	hrtime_t began;
};
/*
 * A batch of reads on this thread: kids are its items, ahead how many more
 * items the session's later batches will ask for (a hint).  snap_read() on
 * this thread follows the session's rules until snap_read_batch_end().
 */
void snap_read_batch_begin(struct snap *s, struct snap_session *ss, const kid_t *kids, size_t n,
			   uint64_t ahead);
void snap_read_batch_end(void);

/* Lock and unlock one kstat's data, for sources refreshing it. */
void snap_ks_lock(kstat_t *ksp);
void snap_ks_unlock(kstat_t *ksp);
/* Called with the kstat locked: its data is current for walk generation gen. */
void snap_mark_fresh(kstat_t *ksp, uint64_t gen);

/*
 * What a statistic means, for exporters (Prometheus types, units, HELP):
 * one entry per data record of a NAMED kstat, from the provider's schema.
 * The records of a histogram are consecutive, share hist (the base name)
 * and carry their bucket's exclusive upper bound in le (UINT64_MAX for the
 * last, open bucket); their values are per-bucket counts, not cumulative.
 */
enum snap_kind {
	SNAP_UNTYPED = 0,
	SNAP_COUNTER, /* only goes up */
	SNAP_GAUGE,   /* goes up and down (also min and max) */
	SNAP_HIST,    /* one bucket of a log2 histogram */
	/*
	 * kept by a provider that is detached now: exporters leave it out
	 * rather than show a count nobody keeps as a zero (its meta's kind
	 * changes as the provider comes and goes: read it atomically)
	 */
	SNAP_ABSENT,
};

struct snap_stat_meta {
	enum snap_kind kind;
	const char *unit; /* "count", "ns", "bytes", ...; NULL if unknown */
	const char *help; /* one sentence; NULL if none */
	const char *hist; /* SNAP_HIST: the histogram's name */
	uint64_t le;      /* SNAP_HIST: bucket upper bound, exclusive */
};

/*
 * Attach meta (ks_ndata entries, owned by the provider and alive as long
 * as the kstat) to a NAMED kstat, before snap_install().
 */
void snap_set_meta(kstat_t *ksp, const struct snap_stat_meta *meta);

/*
 * Walk every valid kstat in kid order with consistent data: sources collect
 * first, then each kstat not refreshed by a source is updated on its own.
 * want() (may be NULL) filters on the header before any update is done.
 * emit() gets a private header (ks_data pointing at a snapshot of the data,
 * LONG/ULONG already INT64/UINT64, string pointers valid until emit
 * returns) and the kstat's meta (NULL when it has none); it may return
 * non-zero to stop.  Returns 0, the first non-zero emit() value, or -errno.
 */
typedef bool (*snap_want_fn)(const kstat_t *hdr, void *arg);
typedef int (*snap_emit_fn)(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg);
int snap_walk(struct snap *s, snap_want_fn want, snap_emit_fn emit, void *arg);

/*
 * Where snap_walk_keep() keeps the headers and data it emits: they stay
 * where they are (emit may keep pointers into them) until
 * snap_keep_free().  Start zeroed.
 */
struct snap_keep {
	struct snap_keep_block *blocks;
};
/* len bytes of k, 16-byte aligned, that stay where they are; NULL if memory ran out */
void *snap_keep_alloc(struct snap_keep *k, size_t len);
void snap_keep_free(struct snap_keep *k);

/*
 * A walk's selection: only the kstats whose module is one of modules or
 * whose class is one of classes.  The engine keeps each module's and each
 * class's kstats apart, so a walk of one module among 100k kstats costs
 * what that module's kstats cost.
 */
struct snap_select {
	const char *const *modules;
	size_t nmodules;
	const char *const *classes;
	size_t nclasses;
};

/*
 * snap_walk() of the kstats sel selects (every kstat when sel is NULL),
 * each kstat's header and snapshot copied once, into keep (when not NULL),
 * where they outlive the walk: emit (under the chain lock) may only take
 * note of what it needs, and the caller render it after the walk, with no
 * lock held.  meta is the provider's: it lives only until emit returns.
 */
int snap_walk_keep(struct snap *s, const struct snap_select *sel, snap_want_fn want,
		   snap_emit_fn emit, void *arg, struct snap_keep *keep);

/* Number of valid kstats, and engine counters. */
void snap_get_stats(struct snap *s, struct snap_stats *st);

/* CLOCK_MONOTONIC in nanoseconds: the clock of bpf_ktime_get_ns() */
hrtime_t snap_now(void);
/*
 * For a kstat's own ks_snapshot: the snaptime of the copy being taken,
 * its source's collect time when it is served as collected, else now
 */
hrtime_t snap_read_time(void);

/* Size of one data record of a type, as ks_data_size = ndata * size. */
size_t snap_type_elem_size(uchar_t type);

/* kstat_named_init(): name a record and set its type, zeroing the value. */
void snap_named_init(kstat_named_t *kn, const char *name, uchar_t data_type);
/* kstat_named_setstr(): point a STRING record at str (NULL clears it). */
void snap_named_setstr(kstat_named_t *kn, const char *str);

#endif /* __KSTATD_SNAPSHOT_H */
