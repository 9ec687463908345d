// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `kstat -j` over HTTP.  The layout is illumos kstat(1M)'s, byte for byte
 * ("[{\n\t\"module\": ...", ", " between kstats, "]\n" at the end), with
 * the pseudo-statistics crtime and snaptime in each kstat's data, written
 * by common/jsonw.c as the kstat command writes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jsonw.h"
#include "common/kstat_types.h"
#include "common/outbuf.h"
#include "engine/snapshot.h"
#include "json_render.h"

enum jkind {
	J_U64,
	J_I64,
	J_STR,
	J_HRTIME, /* nanoseconds, printed as seconds with 9 decimals */
};

struct jent {
	const char *name;
	size_t idx; /* keeps the sort stable */
	enum jkind kind;
	uint64_t v;
	const char *str;
	size_t len;
};

struct jrender {
	const struct json_query *q;
	const kstat_t **kstats; /* the walk's copies, in kid order */
	size_t nkstats, capkstats;
	struct jent *ents;
	size_t capents;
	int err;
};

bool json_glob(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* greedy with one backtrack point: O(len(pat) * len(s)) at worst */
	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

bool json_pattern_ok(const char *pat)
{
	size_t n = strnlen(pat, JSON_PATTERN_MAX + 1);

	if (n == 0 || n > JSON_PATTERN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)pat[i] < 0x20 || pat[i] == 0x7f)
			return false;
	return true;
}

/* A pattern that matches one string only: itself */
static bool literal(const char *pat)
{
	return pat && !strpbrk(pat, "*?");
}

static bool match(const char *pat, const char *s)
{
	return !pat || json_glob(pat, s);
}

static bool want(const kstat_t *hdr, void *arg)
{
	struct jrender *r = arg;
	char inst[16];

	if (hdr->ks_type == KSTAT_TYPE_RAW || strncmp(hdr->ks_name, "kstat_", 6) == 0)
		return false;
	snprintf(inst, sizeof(inst), "%d", hdr->ks_instance);
	return match(r->q->module, hdr->ks_module) && match(r->q->name, hdr->ks_name) &&
	       match(r->q->instance, inst) && match(r->q->ks_class, hdr->ks_class);
}

static struct jent *add_ent(struct jrender *r, size_t *n, const char *name, enum jkind kind,
			    uint64_t v)
{
	struct jent *e;

	if (r->q->statistic && !json_glob(r->q->statistic, name))
		return NULL;
	if (*n == r->capents) {
		size_t ncap = r->capents ? r->capents * 2 : 64;
		struct jent *ne = realloc(r->ents, ncap * sizeof(*ne));

		if (!ne) {
			r->err = -ENOMEM;
			return NULL;
		}
		r->ents = ne;
		r->capents = ncap;
	}
	e = &r->ents[*n];
	e->name = name;
	e->idx = *n;
	e->kind = kind;
	e->v = v;
	e->str = NULL;
	e->len = 0;
	(*n)++;
	return e;
}

static void named_ents(struct jrender *r, const kstat_t *ks, size_t *n)
{
	const kstat_named_t *kn = ks->ks_data;

	for (uint_t i = 0; i < ks->ks_ndata; i++) {
		const char *name = kn[i].name;
		struct jent *e;

		if (!name[0])
			continue;
		switch (kn[i].data_type) {
		case KSTAT_DATA_CHAR:
			e = add_ent(r, n, name, J_STR, 0);
			if (e) {
				e->str = kn[i].value.c;
				e->len = strnlen(kn[i].value.c, sizeof(kn[i].value.c));
			}
			break;
		case KSTAT_DATA_INT32:
			add_ent(r, n, name, J_I64, (uint64_t)(int64_t)kn[i].value.i32);
			break;
		case KSTAT_DATA_UINT32:
			add_ent(r, n, name, J_U64, kn[i].value.ui32);
			break;
		case KSTAT_DATA_INT64:
			add_ent(r, n, name, J_I64, (uint64_t)kn[i].value.i64);
			break;
		case KSTAT_DATA_UINT64:
			add_ent(r, n, name, J_U64, kn[i].value.ui64);
			break;
		case KSTAT_DATA_STRING:
			e = add_ent(r, n, name, J_STR, 0);
			if (e && KSTAT_NAMED_STR_PTR(&kn[i])) {
				e->str = KSTAT_NAMED_STR_PTR(&kn[i]);
				e->len = strnlen(e->str, KSTAT_NAMED_STR_BUFLEN(&kn[i]));
			}
			break;
		default:
			break;
		}
	}
}

/* IO, INTR and TIMER: their fields, as common/kstat_types.h names them */
static void typed_ents(struct jrender *r, const kstat_t *ks, size_t *n)
{
	const struct kt_type *kt = kt_type(ks->ks_type);

	if (!kt || ks->ks_ndata == 0 || ks->ks_data_size < kt->size)
		return;
	/* kstat(1M) shows only the first record of a timer kstat */
	if (ks->ks_type == KSTAT_TYPE_TIMER) {
		const kstat_timer_t *t = ks->ks_data;
		struct jent *e = add_ent(r, n, "name", J_STR, 0);

		if (e) {
			e->str = t->name;
			e->len = strnlen(t->name, sizeof(t->name));
		}
	}
	for (unsigned int i = 0; i < kt->nfields; i++)
		add_ent(r, n, kt->fields[i].name, J_U64, kt_get(ks->ks_data, &kt->fields[i]));
}

static int cmp_ent(const void *a, const void *b)
{
	const struct jent *ea = a, *eb = b;
	int c = strcasecmp(ea->name, eb->name);

	if (c)
		return c;
	return ea->idx < eb->idx ? -1 : ea->idx > eb->idx;
}

static void put_ent(struct outbuf *ob, const struct jent *e, size_t i)
{
	jsonw_stat(ob, e->name, i);
	switch (e->kind) {
	case J_U64:
		outbuf_u64(ob, e->v);
		break;
	case J_I64:
		outbuf_i64(ob, (int64_t)e->v);
		break;
	case J_STR:
		jsonw_string(ob, e->str ? e->str : "", e->len);
		break;
	case J_HRTIME:
		outbuf_hrtime(ob, (int64_t)e->v);
		break;
	}
}

/* Under the chain lock: only note the kstat; its copy outlives the walk */
static int emit(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct jrender *r = arg;

	(void)meta;
	if (r->nkstats == r->capkstats) {
		size_t ncap = r->capkstats ? r->capkstats * 2 : 64;
		const kstat_t **nk = realloc(r->kstats, ncap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		r->kstats = nk;
		r->capkstats = ncap;
	}
	r->kstats[r->nkstats++] = ks;
	return 0;
}

/* One kstat's object, if any of its statistics matched (as kstat(1M) prints) */
static int put_kstat(struct jrender *r, const kstat_t *ks, struct outbuf *ob, bool first)
{
	size_t n = 0;

	if (ks->ks_type == KSTAT_TYPE_NAMED)
		named_ents(r, ks, &n);
	else
		typed_ents(r, ks, &n);
	add_ent(r, &n, "crtime", J_HRTIME, (uint64_t)ks->ks_crtime);
	add_ent(r, &n, "snaptime", J_HRTIME, (uint64_t)ks->ks_snaptime);
	if (r->err || n == 0)
		return r->err ? r->err : 0;
	qsort(r->ents, n, sizeof(*r->ents), cmp_ent);
	if (!first)
		outbuf_put(ob, ", ", 2);
	jsonw_kstat_begin(ob, ks->ks_module, ks->ks_instance, ks->ks_name, ks->ks_class,
			  ks->ks_type, ks->ks_snaptime);
	for (size_t i = 0; i < n; i++)
		put_ent(ob, &r->ents[i], i);
	jsonw_kstat_end(ob, n);
	return 1;
}

static int cmp_kstat(const void *a, const void *b)
{
	const kstat_t *ka = *(const kstat_t *const *)a, *kb = *(const kstat_t *const *)b;
	int c = strcasecmp(ka->ks_module, kb->ks_module);

	if (c)
		return c;
	if (ka->ks_instance != kb->ks_instance)
		return ka->ks_instance < kb->ks_instance ? -1 : 1;
	return strcasecmp(ka->ks_name, kb->ks_name);
}

int json_render(struct snap *s, const struct json_query *q, struct outbuf *ob)
{
	struct jrender r = { .q = q };
	struct snap_select sel = { 0 };
	struct snap_keep keep = { 0 };
	bool first = true;
	int ret;

	/* a literal module or class: the walk visits its kstats alone */
	if (literal(q->module)) {
		sel.modules = &q->module;
		sel.nmodules = 1;
	} else if (literal(q->ks_class)) {
		sel.classes = &q->ks_class;
		sel.nclasses = 1;
	}
	/* the text is written from the walk's copies, with no lock held */
	ret = snap_walk_keep(s, sel.nmodules + sel.nclasses ? &sel : NULL, want, emit, &r, &keep);
	if (ret < 0)
		goto free_kstats;
	if (r.nkstats)
		qsort(r.kstats, r.nkstats, sizeof(*r.kstats), cmp_kstat);
	outbuf_putc(ob, '[');
	for (size_t i = 0; i < r.nkstats && ret >= 0; i++) {
		ret = put_kstat(&r, r.kstats[i], ob, first);
		first &= ret == 0;
	}
	if (ret < 0)
		goto free_kstats;
	outbuf_put(ob, "]\n", 2);
	ret = ob->failed ? -ENOMEM : 0;
free_kstats:
	free(r.kstats);
	free(r.ents);
	snap_keep_free(&keep);
	return ret;
}
