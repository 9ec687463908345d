/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Inside a pmap (pmap.c, pmap_fill.c): its kstats (instances) and how values become their data. */
#ifndef __KSTATD_PMAP_IMPL_H
#define __KSTATD_PMAP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/snapshot.h"
#include "pmap.h"
#include "schema.h"

/* One record of a plain schema (pmap_plan()): the word each CPU's copy adds */
struct pmap_plain {
	uint32_t off;
	const struct schema_stat *st;
};

struct inst {
	kstat_t *ksp;
	struct pmap *pm;
	uint64_t key;
	int instance;
	int cpu;           /* this CPU's copy, or -1 for all combined */
	uint64_t seen;     /* reconcile generation */
	struct inst *next; /* hash chain */
};

#define PMAP_SAID_MAX 64
#define PMAP_MAX_SHARERS 8

/* A provider that shares the map, and its refresh programs */
struct pmap_sharer {
	struct refresh *r;
	char prov[KSTAT_STRLEN];
	bool on; /* attached: its programs write the map, its refresh runs */
};

struct pmap {
	struct snap_source src; /* first: the engine hands it back to collect() */
	struct snap *snap;
	struct schema *sc;
	struct pmap_info info;
	bool percpu;
	uint64_t lookup_flags; /* BPF_F_LOCK for values with a bpf_spin_lock */
	int ncpus;
	size_t vstride;              /* one CPU's copy: value size rounded up to 8 */
	size_t vsize;                /* one entry as the kernel returns it */
	struct snap_stat_meta *meta; /* NAMED: one per record, shared by all kstats */
	pthread_mutex_t lock;        /* the instance table and the batch buffers */
	struct inst **tab;
	size_t nbuckets, ninst;
	uint64_t rgen;
	bool no_batch; /* kernel without batch ops for this map type */
	bool fresh;    /* the next reconcile's kstats count since info.counters_since */
	/* entries whose kstat could not be created, said once each (kstatd:0:engine counts) */
	uint64_t said[PMAP_SAID_MAX];
	size_t nsaid;
	bool over_budget; /* said once */
	/* the last read: entry i's key at keys + i * kstep, its values at vals + i * vstep */
	void *keys, *vals;
	size_t kstep, vstep;
	void *bkeys, *bvals; /* batch buffers, cap entries each */
	size_t cap;
	struct hash_reader *rd; /* a large hash's reader (hash_reader.h), or NULL */
	size_t rd_held;         /* entries at the last batch read of a hash */
	bool rd_off;            /* the kernel refused a reader: batch reads only */
	struct inst **hint;     /* the instance of each entry of the last read, nhint of them */
	size_t nhint;
	struct pmap_plain *plain; /* NAMED, every record a sum of 64-bit words: sc->ndata of them */
	struct refresh *refresh;  /* the provider's refresh programs, run before a read */
	pthread_mutex_t sh_lock;  /* the sharers (taken after pm->lock or a kstat's, alone) */
	struct pmap_sharer sharers[PMAP_MAX_SHARERS];
	size_t nsharers;
	bool was_present;       /* at the last reconcile */
	hrtime_t scan_ns;       /* the last reconcile's reading of every key */
	hrtime_t paced_until;   /* info.sync_pace: no reconcile of a present map before */
	uint64_t keys_gen_seen; /* info.keys_gen when the last reconcile read the keys */
	bool keys_current;      /* and it made a kstat of every entry that needed one */
};

/* One CPU's copy of a per-CPU value, as the kernel lays them out */
static inline const void *pmap_slot(const struct pmap *pm, const void *vals, int cpu)
{
	return (const char *)vals + (size_t)cpu * pm->vstride;
}

/* One integer field of a value, widened to 64 bits (sign-extended if signed) */
uint64_t pmap_rd_field(const void *base, const struct schema_field *f);
void pmap_wr_field(void *base, const struct schema_field *f, uint64_t v);
/* Add the queue time accrued since the last update to f[time], f[time + 1] (kstat_io_t's order) */
void pmap_io_catch_up(uint64_t *f, enum kt_io time, uint64_t cnt, uint64_t now);

/* Set pm->plain where the schema allows (0, or -ENOMEM) */
int pmap_plan(struct pmap *pm);
/* Refresh an instance's kstat data from its entry's value (all CPUs' copies) at now */
void pmap_fill(const struct inst *in, const void *vals, uint64_t now);

#endif /* __KSTATD_PMAP_IMPL_H */
