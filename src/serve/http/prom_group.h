/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The middle of a scrape: kstats, as a walk hands them over in kid order,
 * sorted into metric families (one type each, samples in kid order) so
 * that each family can be written as one contiguous group.  A sample
 * holds its value and points at its kstat's names, which the group keeps
 * for itself (a few bytes a kstat): the walk needs no copy of the kstats
 * that outlives it, and the text is written once it has let go of the
 * chain lock.  Only prom_render.c and the tests include this.
 */
#ifndef __KSTATD_PROM_GROUP_H
#define __KSTATD_PROM_GROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/outbuf.h"
#include "engine/snapshot.h"
#include "prom_name.h"

#define PG_NONE UINT32_MAX

enum pg_type {
	PG_UNTYPED,
	PG_COUNTER,
	PG_GAUGE,
	PG_HISTOGRAM,
	PG_INFO,
};

enum pg_labels {
	PG_LABELS_KS,       /* ks_instance, ks_name */
	PG_LABELS_PROVIDER, /* provider (kstatd's own kstats) */
	PG_LABELS_NONE,
	PG_LABELS_DISK, /* ks_instance, ks_name, driver, ks_class (block devices) */
};

struct pg_family {
	char name[PROM_NAME_MAX]; /* without _total, _info, _bucket */
	uint32_t help;            /* offset of its text in strings */
	const char *unit;         /* "seconds", "bytes" or NULL */
	enum pg_type type;
	uint32_t first, last; /* samples, linked through next */
	uint32_t hash;
	uint8_t labels;            /* enum pg_labels: one kind per family */
	char module[KSTAT_STRLEN]; /* the one module whose kstats a kstat_<module>_ family holds */
};

/*
 * A value, widened to 64 bits as its type (KSTAT_DATA_INT32, UINT32,
 * INT64 or UINT64) says: the signed ones sign-extended.  Any other type is
 * an unsigned value of kstatd's own (self metrics, a histogram's +Inf).
 */
struct pg_value {
	uint64_t v;
	uint8_t type;
};

/* One bucket: le is inclusive, in the provider's unit; UINT64_MAX is +Inf.  Its own count. */
struct pg_bucket {
	uint64_t le;
	struct pg_value n;
};

/*
 * A network namespace's labels (docs/metrics.md): its inode, and offsets
 * in strings of its names and the link's kind, PG_NONE where empty
 */
struct pg_netns {
	uint64_t ino;
	uint32_t name, container, pod, kind;
};

/* The extra label a sample may carry (pg_sample.xname) */
enum pg_xname {
	PG_XNAME_NONE,
	PG_XNAME_TIMER,   /* a TIMER kstat's record */
	PG_XNAME_INTR,    /* an INTR kstat's field */
	PG_XNAME_VERSION, /* kstatd_build_info */
};

/* The label's name; NULL for PG_XNAME_NONE */
const char *prom_group_xname(enum pg_xname x);

/* 72 bytes: a scrape of 100k kstats makes 400k of them, in memory the kernel must clear */
struct pg_sample {
	uint32_t next;
	uint32_t netns; /* in netns[], or PG_NONE */
	kid_t kid;
	int instance;
	uint8_t labels;       /* enum pg_labels */
	uint8_t decimals;     /* the value / 10^decimals is in base units */
	uint8_t has_sum;      /* histograms: val is the sum */
	uint8_t sum_decimals; /* histograms: val / 10^sum_decimals is the sum in base units */
	struct pg_value val;
	/*
	 * ks_name, or the provider: its first KSTAT_STRLEN - 1 bytes, kept by
	 * the group; for PG_LABELS_DISK the module follows it (after its NUL)
	 */
	const char *name;
	const char *xval;          /* the xname label's value: its first KSTAT_STRLEN - 1 bytes */
	uint32_t bucket, nbuckets; /* histograms: in buckets */
	uint8_t xname;             /* enum pg_xname */
	uint8_t driver_len; /* PG_LABELS_DISK: the driver is the module's first driver_len bytes */
	uint8_t kclass;     /* PG_LABELS_DISK: 1 + the class's index in the disk classes, or 0 */
};

/* A disk sample's ks_class, or NULL */
const char *prom_group_kclass(const struct pg_sample *sm);

/* A disk sample's driver: its first sm->driver_len bytes */
static inline const char *pg_driver(const struct pg_sample *sm)
{
	return sm->name + strlen(sm->name) + 1;
}

/* The value; *is_signed says whether as an int64_t */
static inline uint64_t pg_value(const struct pg_value *pv, bool *is_signed)
{
	*is_signed = pv->type == KSTAT_DATA_INT32 || pv->type == KSTAT_DATA_INT64;
	return pv->v;
}

struct prom_group {
	struct pg_family *fams;
	uint32_t nfams, capfams;
	uint32_t *tab; /* open addressing: family index + 1, 0 is empty */
	uint32_t tabsize;
	struct pg_sample *samples;
	uint32_t nsamples, capsamples;
	struct pg_bucket *buckets;
	uint32_t nbuckets, capbuckets;
	struct outbuf strings;
	struct snap_keep names; /* the kstats' names the samples point at: they never move */
	const char *last_name;  /* the name kept last: the next kstat's is often the same */
	bool last_has_module;
	struct pg_netns *netns;
	uint32_t nnetns, capnetns;
	uint32_t cur_netns; /* the current kstat's, or PG_NONE */
	uint8_t *used;      /* per record of the current kstat: taken by a histogram */
	size_t capused;
	/* the families of the last NAMED kstat, reused by the next with the same schema */
	const struct snap_stat_meta *memo_meta;
	char memo_prefix[PROM_NAME_MAX];
	struct pg_memo {
		uint32_t fam; /* PG_NONE: not yet */
		struct prom_unit unit;
	} * memo; /* per record */
	uint32_t memo_n, memo_cap;
	uint64_t dropped; /* samples left out: their family has another type */
	bool failed;      /* out of memory */
};

void prom_group_init(struct prom_group *g);
void prom_group_free(struct prom_group *g);

/*
 * A block device's kstat (docs/metrics.md): its families are kstat_disk_*,
 * whatever its driver, labelled driver and ks_class
 */
bool prom_group_is_disk(const kstat_t *ks);
/* The classes a block device's kstats may have (a superset of is_disk's): *classes, their count */
size_t prom_group_disk_classes(const char *const **classes);
/*
 * Add every statistic of one kstat, as a walk emits it: ks need not
 * outlive the call.  -ENOMEM
 */
int prom_group_kstat(struct prom_group *g, const kstat_t *ks, const struct snap_stat_meta *meta);

/*
 * Find or make family name of type t.  PG_NONE when it exists with
 * another type (counted in dropped) or memory ran out.
 */
uint32_t prom_group_family(struct prom_group *g, const char *name, enum pg_type t, const char *unit,
			   const char *help);

/* Append an unlabelled sample to family fam (kstatd's self metrics); NULL on failure */
struct pg_sample *prom_group_self(struct prom_group *g, uint32_t fam);

static inline const char *prom_group_help(const struct prom_group *g, const struct pg_family *f)
{
	return g->strings.buf + f->help;
}

#endif /* __KSTATD_PROM_GROUP_H */
