/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Engine internals shared by snapshot.c and snap_rw.c; nothing else includes this. */
#ifndef __KSTATD_SNAPSHOT_IMPL_H
#define __KSTATD_SNAPSHOT_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* What the engine keeps around a provider's kstat_t (illumos's ekstat_t) */
struct ekstat {
	kstat_t ks;           /* first: a kstat_t * is an ekstat * */
	pthread_mutex_t lock; /* serialises update and snapshot */
	struct ekstat *hnext; /* name hash chain */
	uint64_t hash;
	uint64_t fresh_gen;                /* walk generation whose source refreshed the data */
	hrtime_t fresh_at;                 /* when that collect began: the data's snaptime */
	void *owned_data;                  /* ks_data when the engine allocated it */
	const struct snap_stat_meta *meta; /* NAMED: per-record meaning, for exporters */
	struct snap_source *src;           /* refreshes it in walks, or NULL */
	struct snap_tag *tags[2];          /* its module's and its class's */
};

/*
 * The kstats of one module or of one class, sorted by kid, INVALID ones
 * included: a walk that selects modules or classes visits these alone.
 */
enum { SNAP_TAG_MODULE, SNAP_TAG_CLASS };
struct snap_tag {
	struct snap_tag *hnext;
	uint64_t hash;
	int kind; /* SNAP_TAG_* */
	char name[KSTAT_STRLEN];
	struct ekstat **v;
	size_t n, cap;
};
#define SNAP_TAG_BUCKETS 256

struct snap {
	pthread_rwlock_t chain_lock;
	kid_t chain_id;
	kid_t kid_limit; /* reserve() is asked before chain_id gets here */
	snap_kid_reserve_fn *kid_reserve;
	void *kid_ctx;
	struct ekstat **bykid; /* sorted by kid, INVALID ones included */
	size_t n, cap;
	struct ekstat **names; /* hash by module, instance, name */
	size_t nbuckets;
	struct snap_tag *tags[SNAP_TAG_BUCKETS]; /* by module and by class */
	size_t nvalid, ninvalid;
	bool seen_invalid; /* the chain was read while some kstat was INVALID */
	struct snap_source *sources;
	uint64_t gen;
	struct snap_stats stats;
	kstat_named_t types_data[KSTAT_NUM_TYPES];
};

static inline struct ekstat *ekstat_of(kstat_t *ksp)
{
	return (struct ekstat *)ksp;
}

struct ekstat *snap_find_kid(struct snap *s, kid_t kid);
int snap_ks_update(kstat_t *ksp, int rw);
int snap_ks_snapshot(kstat_t *ksp, void *buf, int rw);
/* A read's snapshot of data its source collected at read_at (0: read now) */
int snap_ks_snapshot_at(kstat_t *ksp, void *buf, hrtime_t read_at);
void snap_note_chain_seen(struct snap *s);
void snap_named_retype_lp64(kstat_named_t *kn, uint_t n);
/* The gen its read session began at, while this thread runs a read batch; else 0 */
extern __thread uint64_t snap_batch_gen;

#endif /* __KSTATD_SNAPSHOT_IMPL_H */
