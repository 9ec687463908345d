// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One scrape: one walk into families (prom_group.c), then, the
 * chain lock let go, each family written as one group, sorted by name, in
 * text format 0.0.4 or OpenMetrics 1.0.0.  The formats differ in the metadata lines (OpenMetrics
 * has TYPE, UNIT, HELP, in that order, names counters without _total and
 * escapes '"' in HELP), the type names (untyped/unknown, gauge/info), the
 * order of a histogram's _sum and _count, canonical 'le' values ("1.0"
 * rather than "1") and the final "# EOF".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outbuf.h"
#include "engine/snapshot.h"
#include "prom_group.h"
#include "prom_render.h"

static const double pow10_d[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };

/*
 * le texts by value: every series of a histogram family repeats the same
 * bounds, and every scrape the same families, so the cache outlives a
 * scrape (one per thread of the pool: no lock).  Bounds are mostly powers
 * of two, hence a multiplicative hash: a plain modulus sends them all to
 * one slot.
 */
#define LE_CACHE_BITS 8

struct le_text {
	uint64_t le;
	uint8_t decimals;
	uint8_t fmt;
	uint8_t len; /* 0: empty slot */
	char s[OUTBUF_DOUBLE_MAX + 2];
};

static __thread struct le_text le_cache[1 << LE_CACHE_BITS]
	__attribute__((tls_model("initial-exec")));

struct writer {
	struct outbuf *ob;
	enum prom_format fmt;
	const struct prom_group *g;
};

struct render {
	struct prom_group g;
	const struct prom_filter *f;
	bool seen[PROM_FILTER_MAX];
	int err;
};

static bool want(const kstat_t *hdr, void *arg)
{
	struct render *r = arg;
	bool listed = false;

	for (size_t i = 0; i < r->f->n; i++) {
		/* disks' modules are their drivers: "disk" is every block device's */
		if (strcmp(hdr->ks_module, r->f->modules[i]) == 0 ||
		    (strcmp(r->f->modules[i], "disk") == 0 && prom_group_is_disk(hdr))) {
			r->seen[i] = true;
			listed = true;
		}
	}
	if (strcmp(hdr->ks_class, "kstat") == 0 || hdr->ks_type == KSTAT_TYPE_RAW)
		return false;
	return r->f->n == 0 || listed != r->f->exclude;
}

/*
 * collect[]: the walk visits the listed modules' kstats alone, and every
 * block device's for "disk" (their modules are their drivers).  exclude[]
 * and no filter walk every kstat.
 */
static bool select_of(const struct prom_filter *f, struct snap_select *sel)
{
	*sel = (struct snap_select){ .modules = f->modules, .nmodules = f->n };
	if (f->n == 0 || f->exclude)
		return false;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->modules[i], "disk") == 0)
			sel->nclasses = prom_group_disk_classes(&sel->classes);
	return true;
}

static int emit(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct render *r = arg;

	r->err = prom_group_kstat(&r->g, ks, meta);
	return r->err;
}

/* Label values and HELP: escape \ and newline (and " where asked); invalid UTF-8 becomes U+FFFD */
static void put_escaped(struct outbuf *ob, const char *s, size_t max, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	while (n) {
		size_t run = 0, seq;

		while (run < n && p[run] != '\\' && p[run] != '\n' && !(quote && p[run] == '"') &&
		       (seq = outbuf_utf8_seq(p + run, n - run)) > 0)
			run += seq;
		outbuf_put(ob, p, run);
		p += run;
		n -= run;
		if (!n)
			break;
		if (*p == '\\')
			outbuf_put(ob, "\\\\", 2);
		else if (*p == '\n')
			outbuf_put(ob, "\\n", 2);
		else if (*p == '"')
			outbuf_put(ob, "\\\"", 2);
		else
			outbuf_put(ob, "\xef\xbf\xbd", 3);
		p++;
		n--;
	}
}

static void put_label(struct outbuf *ob, bool *first, const char *name, const char *val, size_t max)
{
	outbuf_putc(ob, *first ? '{' : ',');
	*first = false;
	outbuf_puts(ob, name);
	outbuf_put(ob, "=\"", 2);
	put_escaped(ob, val, max, true);
	outbuf_putc(ob, '"');
}

static void put_le(struct writer *w, bool *first, const struct pg_bucket *b, unsigned int dec)
{
	uint64_t h = (b->le ^ (uint64_t)dec << 56 ^ (uint64_t)w->fmt << 48) * 0x9e3779b97f4a7c15ULL;
	struct le_text *t = &le_cache[h >> (64 - LE_CACHE_BITS)];
	size_t n;

	if (!t->len || t->le != b->le || t->decimals != dec || t->fmt != (uint8_t)w->fmt) {
		if (b->le == UINT64_MAX) {
			n = (size_t)sprintf(t->s, "+Inf");
		} else {
			n = outbuf_fmt_double(t->s, (double)b->le / pow10_d[dec < 10 ? dec : 0]);
			/* OpenMetrics' canonical form of an integral float: 1.0 */
			if (w->fmt == PROM_FMT_OPENMETRICS && !strpbrk(t->s, ".eIN"))
				n += (size_t)sprintf(t->s + n, ".0");
		}
		t->le = b->le;
		t->decimals = (uint8_t)dec;
		t->fmt = (uint8_t)w->fmt;
		t->len = (uint8_t)n;
	}
	outbuf_putc(w->ob, *first ? '{' : ',');
	*first = false;
	outbuf_put(w->ob, "le=\"", 4);
	outbuf_put(w->ob, t->s, t->len);
	outbuf_putc(w->ob, '"');
}

/* A network namespace's labels (prom_group.h) */
static void put_netns(struct writer *w, bool *first, const struct pg_netns *ns)
{
	static const char *const names[] = { "ks_netns_name", "ks_container", "ks_pod", "kind" };
	const uint32_t offs[] = { ns->name, ns->container, ns->pod, ns->kind };
	char ino[24];

	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)ns->ino);
	put_label(w->ob, first, "ks_netns", ino, sizeof(ino));
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] != PG_NONE)
			put_label(w->ob, first, names[i], w->g->strings.buf + offs[i], SIZE_MAX);
}

/* name + suffix + labels (and le) + ' ' */
static void put_series(struct writer *w, const char *name, const char *suffix,
		       const struct pg_sample *sm, const struct pg_bucket *le)
{
	struct outbuf *ob = w->ob;
	bool first = true;

	outbuf_puts(ob, name);
	outbuf_puts(ob, suffix);
	switch (sm->labels) {
	case PG_LABELS_KS:
		outbuf_put(ob, "{ks_instance=\"", 14);
		outbuf_i64(ob, sm->instance);
		outbuf_putc(ob, '"');
		first = false;
		put_label(ob, &first, "ks_name", sm->name, KSTAT_STRLEN - 1);
		break;
	case PG_LABELS_DISK:
		outbuf_put(ob, "{ks_instance=\"", 14);
		outbuf_i64(ob, sm->instance);
		outbuf_putc(ob, '"');
		first = false;
		put_label(ob, &first, "ks_name", sm->name, KSTAT_STRLEN - 1);
		put_label(ob, &first, "driver", pg_driver(sm), sm->driver_len);
		if (sm->kclass)
			put_label(ob, &first, "ks_class", prom_group_kclass(sm), KSTAT_STRLEN);
		break;
	case PG_LABELS_PROVIDER:
		put_label(ob, &first, "provider", sm->name, KSTAT_STRLEN - 1);
		break;
	default:
		break;
	}
	if (sm->netns != PG_NONE)
		put_netns(w, &first, &w->g->netns[sm->netns]);
	if (sm->xname)
		put_label(ob, &first, prom_group_xname(sm->xname), sm->xval, KSTAT_STRLEN - 1);
	if (le)
		put_le(w, &first, le, sm->decimals);
	if (!first)
		outbuf_putc(ob, '}');
	outbuf_putc(ob, ' ');
}

static void put_value(struct outbuf *ob, uint64_t v, bool is_signed, unsigned int decimals)
{
	if (is_signed)
		outbuf_scaled_i64(ob, (int64_t)v, decimals);
	else
		outbuf_scaled_u64(ob, v, decimals);
	outbuf_putc(ob, '\n');
}

static const char *type_name(enum pg_type t, enum prom_format fmt)
{
	switch (t) {
	case PG_COUNTER:
		return "counter";
	case PG_GAUGE:
		return "gauge";
	case PG_HISTOGRAM:
		return "histogram";
	case PG_INFO:
		return fmt == PROM_FMT_OPENMETRICS ? "info" : "gauge";
	default:
		return fmt == PROM_FMT_OPENMETRICS ? "unknown" : "untyped";
	}
}

/* The suffix samples carry, and in text format the metadata lines too */
static const char *sample_suffix(enum pg_type t)
{
	switch (t) {
	case PG_COUNTER:
		return "_total";
	case PG_INFO:
		return "_info";
	default:
		return "";
	}
}

static void put_meta(struct outbuf *ob, const struct prom_group *g, const struct pg_family *f,
		     enum prom_format fmt)
{
	const char *meta_suffix = fmt == PROM_FMT_OPENMETRICS ? "" : sample_suffix(f->type);
	const char *help = prom_group_help(g, f);

	if (fmt == PROM_FMT_TEXT) {
		outbuf_printf(ob, "# HELP %s%s ", f->name, meta_suffix);
		put_escaped(ob, help, SIZE_MAX, false);
		outbuf_printf(ob, "\n# TYPE %s%s %s\n", f->name, meta_suffix,
			      type_name(f->type, fmt));
		return;
	}
	outbuf_printf(ob, "# TYPE %s %s\n", f->name, type_name(f->type, fmt));
	if (f->unit)
		outbuf_printf(ob, "# UNIT %s %s\n", f->name, f->unit);
	if (*help) {
		outbuf_printf(ob, "# HELP %s ", f->name);
		put_escaped(ob, help, SIZE_MAX, true);
		outbuf_putc(ob, '\n');
	}
}

static void put_hist(struct writer *w, const struct prom_group *g, const struct pg_family *f,
		     const struct pg_sample *sm)
{
	const struct pg_bucket *b = &g->buckets[sm->bucket];
	uint64_t count = 0, sum;
	bool is_signed;

	/* cumulative, as Prometheus wants them, from each slot's own count */
	for (uint32_t i = 0; i < sm->nbuckets; i++) {
		count += pg_value(&b[i].n, &is_signed);
		put_series(w, f->name, "_bucket", sm, &b[i]);
		put_value(w->ob, count, false, 0);
	}
	/* OpenMetrics: _count if and only if _sum */
	if (!sm->has_sum)
		return;
	if (w->fmt == PROM_FMT_OPENMETRICS) {
		put_series(w, f->name, "_count", sm, NULL);
		put_value(w->ob, count, false, 0);
	}
	sum = pg_value(&sm->val, &is_signed);
	put_series(w, f->name, "_sum", sm, NULL);
	put_value(w->ob, sum, is_signed, sm->sum_decimals);
	if (w->fmt == PROM_FMT_TEXT) {
		put_series(w, f->name, "_count", sm, NULL);
		put_value(w->ob, count, false, 0);
	}
}

static void put_family(struct writer *w, const struct prom_group *g, const struct pg_family *f)
{
	const char *suffix = sample_suffix(f->type);

	if (f->first == PG_NONE)
		return;
	put_meta(w->ob, g, f, w->fmt);
	for (uint32_t i = f->first; i != PG_NONE; i = g->samples[i].next) {
		const struct pg_sample *sm = &g->samples[i];
		uint64_t v;
		bool is_signed;

		if (f->type == PG_HISTOGRAM) {
			put_hist(w, g, f, sm);
			continue;
		}
		v = pg_value(&sm->val, &is_signed);
		put_series(w, f->name, suffix, sm, NULL);
		put_value(w->ob, v, is_signed, sm->decimals);
	}
}

static int cmp_family(const void *a, const void *b)
{
	const struct pg_family *const *fa = a, *const *fb = b;

	return strcmp((*fa)->name, (*fb)->name);
}

static void add_self(struct prom_group *g, const struct prom_self *self)
{
	uint64_t dropped = g->dropped;
	struct pg_sample *sm;
	uint32_t fam;

	fam = prom_group_family(g, "kstatd_build", PG_INFO, NULL,
				"kstatd's version; the value is always 1");
	sm = prom_group_self(g, fam);
	if (sm) {
		sm->xname = PG_XNAME_VERSION;
		sm->xval = self->version ? self->version : "";
		sm->val.v = 1;
	}
	if (self->bpf_stats_enabled >= 0) {
		fam = prom_group_family(g, "kstatd_bpf_stats_enabled", PG_GAUGE, NULL,
					"1 when kernel.bpf_stats_enabled=1: only then do BPF "
					"programs count their run time");
		sm = prom_group_self(g, fam);
		if (sm)
			sm->val.v = (uint64_t)self->bpf_stats_enabled;
	}
	fam = prom_group_family(g, "kstatd_scrape_dropped_series", PG_GAUGE, NULL,
				"Series left out of this scrape: their name is taken by a family "
				"of another type, or repeats within one kstat");
	sm = prom_group_self(g, fam);
	if (sm)
		sm->val.v = dropped;
}

int prom_render(struct snap *s, enum prom_format fmt, const struct prom_filter *f,
		const struct prom_self *self, struct outbuf *ob, const char **unknown)
{
	static const struct prom_filter none = { .n = 0 };
	struct render r = { .f = f ? f : &none };
	hrtime_t t0 = snap_now();
	const struct pg_family **order = NULL;
	struct writer w = { .ob = ob, .fmt = fmt, .g = &r.g };
	struct snap_select sel;
	int ret;

	*unknown = NULL;
	prom_group_init(&r.g);
	/* the samples hold what they write: the text is written with no lock held */
	ret = snap_walk_keep(s, select_of(r.f, &sel) ? &sel : NULL, want, emit, &r, NULL);
	if (ret < 0)
		goto free_group;
	for (size_t i = 0; i < r.f->n; i++) {
		if (!r.seen[i]) {
			*unknown = r.f->modules[i];
			ret = -ENOENT;
			goto free_group;
		}
	}
	add_self(&r.g, self);
	if (r.g.failed) {
		ret = -ENOMEM;
		goto free_group;
	}

	order = malloc(((size_t)r.g.nfams + 1) * sizeof(*order));
	if (!order) {
		ret = -ENOMEM;
		goto free_group;
	}
	for (uint32_t i = 0; i < r.g.nfams; i++)
		order[i] = &r.g.fams[i];
	qsort(order, r.g.nfams, sizeof(*order), cmp_family);
	for (uint32_t i = 0; i < r.g.nfams; i++)
		put_family(&w, &r.g, order[i]);

	/* last, so that it covers the walk and the writing */
	if (fmt == PROM_FMT_TEXT)
		outbuf_puts(ob, "# HELP kstatd_scrape_duration_seconds Time this scrape took to "
				"snapshot every kstat and write it out\n"
				"# TYPE kstatd_scrape_duration_seconds gauge\n");
	else
		outbuf_puts(ob, "# TYPE kstatd_scrape_duration_seconds gauge\n"
				"# UNIT kstatd_scrape_duration_seconds seconds\n"
				"# HELP kstatd_scrape_duration_seconds Time this scrape took to "
				"snapshot every kstat and write it out\n");
	outbuf_puts(ob, "kstatd_scrape_duration_seconds ");
	put_value(ob, (uint64_t)(snap_now() - t0), false, 9);
	if (fmt == PROM_FMT_OPENMETRICS)
		outbuf_puts(ob, "# EOF\n");
	ret = ob->failed ? -ENOMEM : 0;

free_group:
	free(order);
	prom_group_free(&r.g);
	return ret;
}
