// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstats into Prometheus families, as docs/metrics.md lays down:
 *
 *   NAMED	one family per statistic, kstat_<module>_<statistic>, typed by
 *		the schema's kind; histogram slots become one histogram
 *   IO		one family per kstat_io_t field (nread, reads, wtime, ...)
 *   INTR	kstat_<module>_interrupts_total{intr="hard"|...}
 *   TIMER	kstat_<module>_timer_{events,elapsed_seconds}_total and
 *		_timer_{min,max}_seconds, labelled timer="<record>"
 *
 * labelled ks_instance and ks_name, and the kstats of a network namespace
 * (a numeric statistic "netns") with its identity: ks_netns and, where
 * they are set, ks_netns_name, ks_container, ks_pod and kind, which are
 * then not series of their own.  Block devices (IO kstats of class
 * disk, partition or stacked, and their NAMED <driver>info companions of
 * class disk_info) share the families kstat_disk_*, labelled with their
 * driver (the module) and class too.  kstatd's own kstats become the
 * exporter's self metrics: kstatd_provider_*{provider}, kstatd_engine_*.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hugemem.h"
#include "common/kstat_types.h"
#include "prom_group.h"

#define TAB_MIN 256

#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct pg_sample) == 72, "a sample grew: the scrape clears it 400k times");
#endif

void prom_group_init(struct prom_group *g)
{
	memset(g, 0, sizeof(*g));
	g->cur_netns = PG_NONE;
	outbuf_init(&g->strings, 0);
}

void prom_group_free(struct prom_group *g)
{
	hugemem_free(g->fams);
	free(g->tab);
	hugemem_free(g->samples);
	hugemem_free(g->buckets);
	free(g->used);
	hugemem_free(g->memo);
	hugemem_free(g->netns);
	outbuf_free(&g->strings);
	snap_keep_free(&g->names);
	memset(g, 0, sizeof(*g));
}

/* Grow *p (of *cap elements of size sz) to hold need; false on ENOMEM */
static bool grow(void **p, uint32_t *cap, uint32_t need, size_t sz)
{
	uint32_t ncap = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return true;
	while (ncap < need) {
		if (ncap > UINT32_MAX / 2)
			return false;
		ncap *= 2;
	}
	np = hugemem_realloc(*p, (size_t)ncap * sz);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool tab_grow(struct prom_group *g)
{
	uint32_t nsize = g->tabsize ? g->tabsize * 2 : TAB_MIN;
	uint32_t *nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return false;
	for (uint32_t i = 0; i < g->nfams; i++) {
		uint32_t slot = g->fams[i].hash & (nsize - 1);

		while (nt[slot])
			slot = (slot + 1) & (nsize - 1);
		nt[slot] = i + 1;
	}
	free(g->tab);
	g->tab = nt;
	g->tabsize = nsize;
	return true;
}

uint32_t prom_group_family(struct prom_group *g, const char *name, enum pg_type t, const char *unit,
			   const char *help)
{
	uint32_t h = name_hash(name), slot, idx;
	struct pg_family *f;

	if (g->failed)
		return PG_NONE;
	if ((g->nfams + 1) * 2 > g->tabsize && !tab_grow(g))
		goto err_nomem;
	for (slot = h & (g->tabsize - 1); g->tab[slot]; slot = (slot + 1) & (g->tabsize - 1)) {
		f = &g->fams[g->tab[slot] - 1];
		if (f->hash != h || strcmp(f->name, name) != 0)
			continue;
		if (f->type == t)
			return g->tab[slot] - 1;
		g->dropped++;
		return PG_NONE;
	}
	if (!grow((void **)&g->fams, &g->capfams, g->nfams + 1, sizeof(*g->fams)))
		goto err_nomem;
	idx = g->nfams++;
	f = &g->fams[idx];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->hash = h;
	f->type = t;
	f->unit = unit;
	f->first = PG_NONE;
	f->last = PG_NONE;
	/* the schema's text lives only as long as its kstat: keep a copy */
	f->help = (uint32_t)g->strings.len;
	outbuf_puts(&g->strings, help ? help : "");
	outbuf_putc(&g->strings, '\0');
	if (g->strings.failed || g->strings.len > UINT32_MAX)
		goto err_nomem;
	g->tab[slot] = idx + 1;
	return idx;

err_nomem:
	g->failed = true;
	return PG_NONE;
}

static void copy_str(char *dst, const char *src, size_t max)
{
	size_t n = strnlen(src, max - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * name (its first KSTAT_STRLEN - 1 bytes), then module if not NULL, kept
 * for the samples: the kstat they come from is gone once it is emitted.
 * The last kept is shared when the same again.  NULL on ENOMEM.
 */
static const char *keep_name(struct prom_group *g, const char *name, const char *module)
{
	size_t nl = strnlen(name, KSTAT_STRLEN - 1);
	size_t ml = module ? strnlen(module, KSTAT_STRLEN - 1) : 0;
	const char *last = g->last_name;
	char *p;

	if (last && strncmp(last, name, nl) == 0 && last[nl] == '\0' &&
	    (!module || (g->last_has_module && strncmp(last + nl + 1, module, ml) == 0 &&
			 last[nl + 1 + ml] == '\0')))
		return last;
	p = snap_keep_alloc(&g->names, nl + ml + 2);
	if (!p) {
		g->failed = true;
		return NULL;
	}
	memcpy(p, name, nl);
	p[nl] = '\0';
	if (module) {
		memcpy(p + nl + 1, module, ml);
		p[nl + 1 + ml] = '\0';
	}
	g->last_name = p;
	g->last_has_module = module != NULL;
	return p;
}

const char *prom_group_xname(enum pg_xname x)
{
	static const char *const names[] = { NULL, "timer", "intr", "version" };

	return (size_t)x < sizeof(names) / sizeof(names[0]) ? names[x] : NULL;
}

/* The classes of block devices' kstats: IO ones, and disk_info last */
static const char *const disk_classes[] = { "disk", "partition", "stacked", "disk_info" };
#define NDISK_IO_CLASSES 3

/* The class of a block device's IO kstat: 1 + its index in disk_classes; 0 for any other */
static uint8_t disk_class_of(const kstat_t *ks)
{
	if (ks->ks_type != KSTAT_TYPE_IO)
		return 0;
	for (uint8_t i = 0; i < NDISK_IO_CLASSES; i++)
		if (strcmp(ks->ks_class, disk_classes[i]) == 0)
			return i + 1;
	return 0;
}

const char *prom_group_kclass(const struct pg_sample *sm)
{
	return sm->kclass && sm->kclass <= NDISK_IO_CLASSES ? disk_classes[sm->kclass - 1] : NULL;
}

/* Append a sample to fam; NULL if it repeats the last one of that kstat or on ENOMEM */
static struct pg_sample *add_sample(struct prom_group *g, uint32_t fam, const kstat_t *ks,
				    enum pg_labels labels, const char *lname, enum pg_xname xname,
				    const char *xval)
{
	struct pg_family *f;
	struct pg_sample *sm;
	uint32_t idx;

	if (fam == PG_NONE || g->failed)
		return NULL;
	f = &g->fams[fam];
	if (f->last != PG_NONE) {
		const struct pg_sample *last = &g->samples[f->last];

		/* two statistics of one kstat whose names fold into one family name */
		if (ks && last->kid == ks->ks_kid &&
		    strncmp(last->xval, xval ? xval : "", KSTAT_STRLEN - 1) == 0 &&
		    strncmp(last->name, lname ? lname : "", KSTAT_STRLEN - 1) == 0) {
			g->dropped++;
			return NULL;
		}
	}
	/*
	 * kstat_<module>_<statistic> is one name for module cpu_x's y and
	 * module cpu's x_y, and a module "disk" could name the block devices'
	 * families: a family's series are labelled alike and, for a module's
	 * own, come from the module that gave its first, so no kstat of
	 * another can pass for theirs
	 */
	if (f->last == PG_NONE) {
		f->labels = (uint8_t)labels;
		if (labels == PG_LABELS_KS)
			copy_str(f->module, ks->ks_module, sizeof(f->module));
	} else if (f->labels != labels ||
		   (labels == PG_LABELS_KS &&
		    strncmp(f->module, ks->ks_module, sizeof(f->module) - 1) != 0)) {
		g->dropped++;
		return NULL;
	}
	if (!grow((void **)&g->samples, &g->capsamples, g->nsamples + 1, sizeof(*g->samples))) {
		g->failed = true;
		return NULL;
	}
	idx = g->nsamples++;
	sm = &g->samples[idx];
	memset(sm, 0, sizeof(*sm));
	sm->next = PG_NONE;
	sm->netns = ks ? g->cur_netns : PG_NONE;
	sm->kid = ks ? ks->ks_kid : -1;
	sm->instance = ks ? ks->ks_instance : 0;
	sm->labels = (uint8_t)labels;
	sm->name = lname ? lname : "";
	sm->xname = (uint8_t)xname;
	sm->xval = xval ? xval : "";
	if (labels == PG_LABELS_DISK) {
		bool info = strcmp(ks->ks_class, "disk_info") == 0;
		size_t ml = strnlen(ks->ks_module, KSTAT_STRLEN - 1);

		sm->driver_len = (uint8_t)(info && ml > 4 ? ml - 4 : ml); /* <driver>info */
		sm->kclass = info ? 0 : disk_class_of(ks);
	}
	if (f->last == PG_NONE)
		f->first = idx;
	else
		g->samples[f->last].next = idx;
	f->last = idx;
	return sm;
}

struct pg_sample *prom_group_self(struct prom_group *g, uint32_t fam)
{
	return add_sample(g, fam, NULL, PG_LABELS_NONE, NULL, PG_XNAME_NONE, NULL);
}

/* Where a kstat's families live and how its samples are labelled */
struct kctx {
	const kstat_t *ks;
	char prefix[PROM_NAME_MAX];
	enum pg_labels labels;
	const char *lname; /* kept: keep_name() */
	bool config;       /* kstatd:0:config: one family, a provider per statistic */
};

/*
 * kstatd's own kstats (kstatd:0:<provider> of class provider,
 * kstatd:0:config, kstatd:0:engine) are the exporter's self metrics; any
 * other kstat, one a provider put in module "kstatd" included, follows
 * the general rule and cannot take a self metric's name.  -ENAMETOOLONG
 * (the kstat is left out) or -ENOMEM.
 */
static int kctx_init(struct prom_group *g, struct kctx *k, const kstat_t *ks)
{
	bool own = strcmp(ks->ks_module, "kstatd") == 0 && ks->ks_instance == 0;

	memset(k, 0, sizeof(*k));
	k->ks = ks;
	k->labels = PG_LABELS_PROVIDER;
	if (own && strcmp(ks->ks_class, "provider") == 0) {
		snprintf(k->prefix, sizeof(k->prefix), "kstatd_provider");
	} else if (own && strcmp(ks->ks_name, "config") == 0) {
		snprintf(k->prefix, sizeof(k->prefix), "kstatd_provider_enabled");
		k->config = true;
	} else if (own && strcmp(ks->ks_name, "engine") == 0) {
		snprintf(k->prefix, sizeof(k->prefix), "kstatd_engine");
		k->labels = PG_LABELS_NONE;
		return 0; /* no label names it */
	} else if (prom_group_is_disk(ks)) {
		k->labels = PG_LABELS_DISK;
		snprintf(k->prefix, sizeof(k->prefix), "kstat_disk");
	} else {
		k->labels = PG_LABELS_KS;
		memcpy(k->prefix, "kstat_", 7);
		if (prom_name_snake(k->prefix, 6, sizeof(k->prefix), ks->ks_module) < 0)
			return -ENAMETOOLONG;
	}
	k->lname = keep_name(g, ks->ks_name, k->labels == PG_LABELS_DISK ? ks->ks_module : NULL);
	return k->lname ? 0 : -ENOMEM;
}

size_t prom_group_disk_classes(const char *const **classes)
{
	*classes = disk_classes;
	return sizeof(disk_classes) / sizeof(disk_classes[0]);
}

bool prom_group_is_disk(const kstat_t *ks)
{
	size_t ml = strnlen(ks->ks_module, KSTAT_STRLEN);

	if (ks->ks_type == KSTAT_TYPE_NAMED)
		return strcmp(ks->ks_class, disk_classes[NDISK_IO_CLASSES]) == 0 && ml > 4 &&
		       strcmp(ks->ks_module + ml - 4, "info") == 0;
	return disk_class_of(ks) != 0;
}

/* Family of one statistic in k's prefix; PG_NONE when its name does not fit */
static uint32_t stat_family(struct prom_group *g, const struct kctx *k, const char *stat,
			    const char *unit, enum pg_type t, const char *help, struct prom_unit *u)
{
	char name[PROM_NAME_MAX];

	prom_name_unit(unit, u);
	if (k->config) {
		u->suffix = NULL;
		u->decimals = 0;
		return prom_group_family(
			g, k->prefix, PG_GAUGE, NULL,
			"1 when the provider is wanted attached (kstatd:0:config)");
	}
	if (!prom_name_family(name, sizeof(name), k->prefix, stat, u)) {
		g->dropped++;
		return PG_NONE;
	}
	return prom_group_family(g, name, t, u->suffix, help);
}

/* A numeric record's value */
static struct pg_value named_value(const kstat_named_t *kn)
{
	struct pg_value v = { .type = kn->data_type };

	switch (kn->data_type) {
	case KSTAT_DATA_INT32:
		v.v = (uint64_t)(int64_t)kn->value.i32;
		break;
	case KSTAT_DATA_UINT32:
		v.v = kn->value.ui32;
		break;
	default:
		v.v = kn->value.ui64;
		break;
	}
	return v;
}

static bool numeric(const kstat_named_t *kn)
{
	switch (kn->data_type) {
	case KSTAT_DATA_INT32:
	case KSTAT_DATA_UINT32:
	case KSTAT_DATA_INT64:
	case KSTAT_DATA_UINT64:
		return true;
	}
	return false;
}

/* g->used[i]: a record exported under another's name, or under its own without "64" */
#define PG_USED 1
#define PG_TWIN64 2

/*
 * illumos keeps a counter twice, X in 32 bits and X64 whole (link's
 * rbytes and rbytes64): Prometheus gets one family, X, from X64's value.
 */
static void mark_twins(struct prom_group *g, const kstat_named_t *kn, uint_t n)
{
	for (uint_t i = 0; i < n; i++) {
		size_t len = strnlen(kn[i].name, KSTAT_STRLEN);

		if (len < 3 || strcmp(kn[i].name + len - 2, "64") || g->used[i])
			continue;
		for (uint_t j = 0; j < n; j++)
			if (j != i && strncmp(kn[j].name, kn[i].name, len - 2) == 0 &&
			    kn[j].name[len - 2] == '\0' && numeric(&kn[j])) {
				g->used[j] = PG_USED;
				g->used[i] = PG_TWIN64;
				break;
			}
	}
}

static enum pg_type kind_type(const struct snap_stat_meta *m)
{
	if (!m)
		return PG_UNTYPED;
	switch (m->kind) {
	case SNAP_COUNTER:
		return PG_COUNTER;
	case SNAP_GAUGE:
		return PG_GAUGE;
	default:
		return PG_UNTYPED;
	}
}

static bool same_hist(const struct snap_stat_meta *a, const struct snap_stat_meta *b)
{
	return a->kind == SNAP_HIST && b->kind == SNAP_HIST && a->hist && b->hist &&
	       (a->hist == b->hist || strcmp(a->hist, b->hist) == 0);
}

/* The record of the counter <hist>_sum in the histogram's unit, or -1 */
static int find_sum(const kstat_named_t *kn, const struct snap_stat_meta *meta, uint_t n,
		    const struct snap_stat_meta *hm)
{
	struct prom_unit hu, su;
	size_t hl = strlen(hm->hist);

	prom_name_unit(hm->unit, &hu);
	for (uint_t j = 0; j < n; j++) {
		if (meta[j].kind != SNAP_COUNTER || !numeric(&kn[j]) ||
		    strncmp(kn[j].name, hm->hist, hl) != 0 || strcmp(kn[j].name + hl, "_sum") != 0)
			continue;
		prom_name_unit(meta[j].unit, &su);
		if (su.suffix == hu.suffix)
			return (int)j;
	}
	return -1;
}

/* Records first..end-1 are the slots of one histogram */
static int add_hist(struct prom_group *g, const struct kctx *k, const kstat_named_t *kn,
		    const struct snap_stat_meta *meta, uint_t first, uint_t end, int sum)
{
	const struct snap_stat_meta *hm = &meta[first];
	struct prom_unit u;
	struct pg_sample *sm;
	uint32_t fam;

	fam = stat_family(g, k, hm->hist, hm->unit, PG_HISTOGRAM, hm->help, &u);
	sm = add_sample(g, fam, k->ks, k->labels, k->lname, PG_XNAME_NONE, NULL);
	if (!sm)
		return g->failed ? -ENOMEM : 0;
	if (!grow((void **)&g->buckets, &g->capbuckets, g->nbuckets + (end - first) + 1,
		  sizeof(*g->buckets))) {
		g->failed = true;
		return -ENOMEM;
	}
	sm->decimals = (uint8_t)u.decimals;
	sm->bucket = g->nbuckets;
	for (uint_t i = first; i < end; i++) {
		struct pg_bucket *b = &g->buckets[g->nbuckets++];

		/* integer values below an exclusive bound are at most bound - 1 */
		b->le = meta[i].le == UINT64_MAX ? UINT64_MAX : meta[i].le - 1;
		b->n = named_value(&kn[i]);
	}
	if (g->buckets[g->nbuckets - 1].le != UINT64_MAX) {
		g->buckets[g->nbuckets].le = UINT64_MAX;
		g->buckets[g->nbuckets++].n = (struct pg_value){ .v = 0 };
	}
	sm->nbuckets = g->nbuckets - sm->bucket;
	if (sum >= 0) {
		struct prom_unit su;

		prom_name_unit(meta[sum].unit, &su);
		sm->has_sum = 1;
		sm->val = named_value(&kn[sum]);
		sm->sum_decimals = (uint8_t)su.decimals;
	}
	return 0;
}

/* A string record's text into strings: its offset, or PG_NONE when empty */
static uint32_t put_str(struct prom_group *g, const kstat_named_t *kn)
{
	const char *p = KSTAT_NAMED_STR_PTR(kn);
	size_t len = p ? strnlen(p, KSTAT_NAMED_STR_BUFLEN(kn)) : 0;
	uint32_t off = (uint32_t)g->strings.len;

	if (!len)
		return PG_NONE;
	outbuf_put(&g->strings, p, len);
	outbuf_putc(&g->strings, '\0');
	if (g->strings.failed || g->strings.len > UINT32_MAX) {
		g->failed = true;
		return PG_NONE;
	}
	return off;
}

/*
 * A kstat of a network namespace carries its identity (a numeric
 * statistic netns): those statistics become labels, not series.  Returns
 * the labels' index in netns[], or PG_NONE.
 */
static uint32_t netns_labels(struct prom_group *g, const kstat_named_t *kn, uint_t n)
{
	struct pg_netns ns = { 0, PG_NONE, PG_NONE, PG_NONE, PG_NONE };
	bool has = false;

	for (uint_t i = 0; i < n && !has; i++)
		if (numeric(&kn[i]) && strncmp(kn[i].name, "netns", KSTAT_STRLEN) == 0) {
			ns.ino = kn[i].value.ui64;
			has = true;
		}
	if (!has)
		return PG_NONE;
	for (uint_t i = 0; i < n; i++) {
		const char *name = kn[i].name;

		if (numeric(&kn[i]) && (strncmp(name, "netns", KSTAT_STRLEN) == 0 ||
					strncmp(name, "netns_cookie", KSTAT_STRLEN) == 0))
			g->used[i] = 1;
		if (kn[i].data_type != KSTAT_DATA_STRING)
			continue;
		if (strncmp(name, "netns_name", KSTAT_STRLEN) == 0)
			ns.name = put_str(g, &kn[i]);
		else if (strncmp(name, "container", KSTAT_STRLEN) == 0)
			ns.container = put_str(g, &kn[i]);
		else if (strncmp(name, "pod", KSTAT_STRLEN) == 0)
			ns.pod = put_str(g, &kn[i]);
		else if (strncmp(name, "kind", KSTAT_STRLEN) == 0)
			ns.kind = put_str(g, &kn[i]);
	}
	if (!grow((void **)&g->netns, &g->capnetns, g->nnetns + 1, sizeof(*g->netns))) {
		g->failed = true;
		return PG_NONE;
	}
	g->netns[g->nnetns] = ns;
	return g->nnetns++;
}

static bool memo_hit(struct prom_group *g, const struct kctx *k, const struct snap_stat_meta *meta,
		     uint_t n)
{
	return meta && !k->config && g->memo_meta == meta && g->memo_n == n &&
	       strcmp(g->memo_prefix, k->prefix) == 0;
}

static int group_named(struct prom_group *g, const struct kctx *k,
		       const struct snap_stat_meta *meta)
{
	const kstat_named_t *kn = k->ks->ks_data;
	uint_t n = k->ks->ks_ndata;
	bool hit = memo_hit(g, k, meta, n);

	if (n == 0)
		return 0;
	if (n > g->capused) {
		uint8_t *nu = realloc(g->used, n);

		if (!nu)
			return -ENOMEM;
		g->used = nu;
		g->capused = n;
	}
	if (!hit) {
		if (!grow((void **)&g->memo, &g->memo_cap, n + 1, sizeof(*g->memo)))
			return -ENOMEM;
		for (uint_t i = 0; i < n; i++)
			g->memo[i].fam = PG_NONE;
		g->memo_meta = meta;
		g->memo_n = n;
		snprintf(g->memo_prefix, sizeof(g->memo_prefix), "%s", k->prefix);
	}
	memset(g->used, 0, n);
	g->cur_netns = netns_labels(g, kn, n);
	for (uint_t i = 0; meta && i < n; i++)
		if (meta[i].kind == SNAP_HIST && (i == 0 || !same_hist(&meta[i - 1], &meta[i]))) {
			int sum = find_sum(kn, meta, n, &meta[i]);

			if (sum >= 0)
				g->used[sum] = 1;
		}
	mark_twins(g, kn, n);

	for (uint_t i = 0; i < n; i++) {
		const struct snap_stat_meta *m = meta ? &meta[i] : NULL;
		struct prom_unit u = { NULL, 0 };
		struct pg_sample *sm;
		const char *lname;
		uint32_t fam;

		if (g->used[i] == PG_USED || !numeric(&kn[i]) || !kn[i].name[0])
			continue;
		/* its provider is detached: no count is kept, and 0 would say there was none */
		if (m && __atomic_load_n(&m->kind, __ATOMIC_RELAXED) == SNAP_ABSENT)
			continue;
		if (m && m->kind == SNAP_HIST && m->hist) {
			uint_t end = i + 1;
			int err;

			while (end < n && same_hist(m, &meta[end]))
				end++;
			err = add_hist(g, k, kn, meta, i, end, find_sum(kn, meta, n, m));
			if (err)
				return err;
			i = end - 1;
			continue;
		}
		if (hit && g->memo[i].fam != PG_NONE) {
			fam = g->memo[i].fam;
			u = g->memo[i].unit;
		} else {
			char stat[KSTAT_STRLEN];

			copy_str(stat, kn[i].name, sizeof(stat));
			if (g->used[i] == PG_TWIN64)
				stat[strlen(stat) - 2] = '\0';
			fam = stat_family(g, k, stat, m ? m->unit : NULL, kind_type(m),
					  m && m->help ? m->help : "kstat statistic without help",
					  &u);
			g->memo[i] = (struct pg_memo){ .fam = fam, .unit = u };
		}
		lname = k->lname;
		if (k->config && !(lname = keep_name(g, kn[i].name, NULL)))
			return -ENOMEM;
		sm = add_sample(g, fam, k->ks, k->labels, lname, PG_XNAME_NONE, NULL);
		if (sm) {
			sm->val = named_value(&kn[i]);
			sm->decimals = (uint8_t)u.decimals;
		}
	}
	return g->failed ? -ENOMEM : 0;
}

static void put_u(struct prom_group *g, const struct kctx *k, const char *stat, const char *unit,
		  enum pg_type t, const char *help, enum pg_xname xname, const char *xval,
		  struct pg_value val)
{
	struct prom_unit u;
	uint32_t fam = stat_family(g, k, stat, unit, t, help, &u);
	struct pg_sample *sm = add_sample(g, fam, k->ks, k->labels, k->lname, xname, xval);

	if (!sm)
		return;
	sm->val = val;
	sm->decimals = (uint8_t)u.decimals;
}

/*
 * IO, INTR and TIMER kstats: a family per field common/kstat_types.h
 * exports.  INTR fields share one family, told apart by an intr label;
 * each record of a TIMER kstat is labelled timer="<its name>".
 */
static void group_fixed(struct prom_group *g, const struct kctx *k)
{
	const struct kt_type *kt = kt_type(k->ks->ks_type);
	const char *rec = k->ks->ks_data;

	for (uint_t r = 0; r < k->ks->ks_ndata; r++, rec += kt->size) {
		enum pg_xname xname = PG_XNAME_NONE;
		const char *xval = NULL;

		if ((size_t)(r + 1) * kt->size > k->ks->ks_data_size)
			break;
		if (k->ks->ks_type == KSTAT_TYPE_TIMER) {
			xname = PG_XNAME_TIMER;
			if (!(xval = keep_name(g, ((const kstat_timer_t *)rec)->name, NULL)))
				return;
		}
		for (unsigned int i = 0; i < kt->nfields; i++) {
			const struct kt_field *f = &kt->fields[i];
			struct pg_value val = {
				.v = kt_get(rec, f),
				.type = f->size == 4 ? KSTAT_DATA_UINT32 : KSTAT_DATA_UINT64,
			};

			if (f->prom == KT_PROM_NONE)
				continue;
			if (k->ks->ks_type == KSTAT_TYPE_INTR) {
				xname = PG_XNAME_INTR;
				xval = f->name;
			}
			put_u(g, k, f->prom_stat, f->unit,
			      f->prom == KT_PROM_COUNTER ? PG_COUNTER : PG_GAUGE, f->help, xname,
			      xval, val);
		}
	}
}

int prom_group_kstat(struct prom_group *g, const kstat_t *ks, const struct snap_stat_meta *meta)
{
	struct kctx k;

	g->cur_netns = PG_NONE;
	if (kctx_init(g, &k, ks) < 0) {
		if (g->failed)
			return -ENOMEM;
		g->dropped++;
		return 0;
	}
	switch (ks->ks_type) {
	case KSTAT_TYPE_NAMED:
		return group_named(g, &k, meta);
	case KSTAT_TYPE_IO:
	case KSTAT_TYPE_INTR:
	case KSTAT_TYPE_TIMER:
		group_fixed(g, &k);
		break;
	}
	return g->failed ? -ENOMEM : 0;
}
