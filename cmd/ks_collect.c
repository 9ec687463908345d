// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One report's data: every selected kstat of the chain, read once, with
 * its statistics as kstat(1M) lists them.  Ordering follows illumos: kstats
 * by module (ignoring case), numeric instance, then name; statistics by
 * name ignoring case; an equal key goes before the ones already there.
 * Pseudo-statistics: crtime always, class with -p/-l/-C, snaptime once the
 * read succeeded.  kstat_* kstats (kid 0, kid 1) and RAW kstats other than
 * those ks_raw.c reads are left out.
 *
 * A report of 100k kstats has 700k statistics, and memory touched for the
 * first time is what such a report costs most.  So a report copies no
 * kstat: it points into the chain's headers and data, which stay as the
 * read left them until the chain is updated, and the statistics of each
 * kstat are built from them when it is printed, one kstat at a time.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/kstat_types.h"
#include "ks.h"

/* The copies of a report are kept in blocks of this size, or one each if larger */
#define KS_COPIES_BLOCK 65536
/* Statistics of a kstat sorted by insertion, with no call per comparison */
#define KS_NV_FEW 32

struct ks_copies {
	struct ks_copies *next;
	size_t len;
	size_t cap;
	alignas(max_align_t) char buf[];
};

/* A distinct string of one field of the kstats, ignoring case */
struct ks_distinct {
	const char *s;
	uint32_t id;
};

/* The place of a kstat in the report's order: module, instance, name, kid */
struct ks_order {
	uint64_t hi; /* rank of the module, instance */
	uint64_t lo; /* rank of the name, kid from the last */
	size_t at;   /* its index before the sort */
};

/* Bytes as strcasecmp compares them: tolower() of the locale (ks_fold_init) */
static unsigned char ks_fold[UCHAR_MAX + 1];

/* Out of memory is fatal, as in illumos kstat */
static void *ks_alloc_or_die(void *p)
{
	if (!p) {
		perror("kstat");
		exit(KS_EXIT_FATAL);
	}
	return p;
}

/* len bytes the report keeps until it is freed, aligned for any type */
static void *ks_keep(struct ks_report *r, size_t len)
{
	struct ks_copies *b = r->copies;
	size_t at;

	len = (len + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (!b || b->cap - b->len < len) {
		size_t cap = len < KS_COPIES_BLOCK ? KS_COPIES_BLOCK : len;

		b = ks_alloc_or_die(malloc(sizeof(*b) + cap));
		b->next = r->copies;
		b->len = 0;
		b->cap = cap;
		r->copies = b;
	}
	at = b->len;
	b->len += len;
	return b->buf + at;
}

/* Does a name end within KSTAT_STRLEN bytes?  Else only KSTAT_STRLEN - 1 count */
static bool ks_name_ends(const char *src)
{
	return memchr(src, '\0', KSTAT_STRLEN) != NULL;
}

/* A name of a kstat's header, of at most KSTAT_STRLEN - 1 bytes */
static const char *ks_header_name(struct ks_report *r, const char *src)
{
	char *copy;

	if (ks_name_ends(src))
		return src;
	copy = ks_keep(r, KSTAT_STRLEN);
	memcpy(copy, src, KSTAT_STRLEN - 1);
	copy[KSTAT_STRLEN - 1] = '\0';
	return copy;
}

/* The decimal digits of v in buf (12 bytes at least), as "%d" writes them */
static void ks_number(char *buf, int v)
{
	unsigned int u = v < 0 ? 0U - (unsigned int)v : (unsigned int)v;
	char tmp[12];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[sizeof(tmp) - ++n] = '-';
	memcpy(buf, tmp + sizeof(tmp) - n, n);
	buf[n] = '\0';
}

/* A name of a record of the kstat being built, of at most KSTAT_STRLEN - 1 bytes */
static const char *ks_stat_name(struct ks_stats *s, const char *src)
{
	char *copy;

	if (ks_name_ends(src))
		return src;
	/* one copy a statistic at most: the room never moves while one is built */
	if (s->nnames == 0 && s->names_cap < s->cap) {
		free(s->names);
		s->names = ks_alloc_or_die(malloc(s->cap * sizeof(*s->names)));
		s->names_cap = s->cap;
	}
	copy = s->names[s->nnames++];
	memcpy(copy, src, KSTAT_STRLEN - 1);
	copy[KSTAT_STRLEN - 1] = '\0';
	return copy;
}

/* Append a statistic to s, which has room for it; the caller sets its value */
static struct ks_nvpair *ks_nv_add(struct ks_stats *s, const char *name, uchar_t type)
{
	struct ks_nvpair *nv;

	/* never: the room is what ks_nv_room() counted */
	if (s->n >= s->cap)
		abort();
	nv = &s->nv[s->n];
	memset(nv, 0, sizeof(*nv));
	nv->name = name;
	nv->data_type = type;
	nv->seq = (unsigned int)s->n++;
	return nv;
}

/* A UINT64 statistic; IO and TIMER times too, integer nanoseconds as illumos prints them */
static void ks_nv_u64(struct ks_stats *s, const char *name, uint64_t v)
{
	ks_nv_add(s, name, KSTAT_DATA_UINT64)->value.ui64 = v;
}

/* A UINT32 statistic */
static void ks_nv_u32(struct ks_stats *s, const char *name, uint32_t v)
{
	ks_nv_add(s, name, KSTAT_DATA_UINT32)->value.ui32 = v;
}

/* crtime and snaptime, printed as seconds */
static void ks_nv_hrtime(struct ks_stats *s, const char *name, hrtime_t v)
{
	ks_nv_add(s, name, KS_DATA_HRTIME)->value.i64 = v;
}

/* A string, which lives as long as the report */
static void ks_nv_str(struct ks_stats *s, const char *name, const char *str)
{
	ks_nv_add(s, name, KSTAT_DATA_STRING)->str = str;
}

/*
 * The string of a named record, checked to lie in the data section after
 * the records and to end there; anything else reads as the empty string.
 */
static void ks_save_string(struct ks_stats *s, const kstat_t *ksp, const char *name,
			   const kstat_named_t *kn)
{
	const char *base = ksp->ks_data, *p = KSTAT_NAMED_STR_PTR(kn);
	size_t lo = ksp->ks_ndata * sizeof(kstat_named_t), len = 0;

	if (p && p >= base + lo && p < base + ksp->ks_data_size) {
		size_t room = ksp->ks_data_size - (size_t)(p - base);

		len = strnlen(p, room);
		if (len == room)
			len = 0;
	}
	ks_nv_str(s, name, len ? p : "");
}

/* The records of a NAMED kstat, as many as its data section holds */
static void ks_save_named(struct ks_stats *s, const kstat_t *ksp)
{
	const kstat_named_t *kn = ksp->ks_data;
	struct ks_nvpair *nv;
	const char *name;

	if (ksp->ks_ndata > ksp->ks_data_size / sizeof(kstat_named_t))
		return;
	for (uint_t i = 0; i < ksp->ks_ndata; i++, kn++) {
		/* illumos skips records a driver left without a name */
		if (kn->name[0] == '\0')
			continue;
		name = ks_stat_name(s, kn->name);
		switch (kn->data_type) {
		case KSTAT_DATA_CHAR:
			nv = ks_nv_add(s, name, KSTAT_DATA_CHAR);
			memcpy(nv->value.c, kn->value.c, sizeof(nv->value.c));
			break;
		case KSTAT_DATA_INT32:
			ks_nv_add(s, name, KSTAT_DATA_INT32)->value.i32 = kn->value.i32;
			break;
		case KSTAT_DATA_UINT32:
			ks_nv_u32(s, name, kn->value.ui32);
			break;
		case KSTAT_DATA_INT64:
			ks_nv_add(s, name, KSTAT_DATA_INT64)->value.i64 = kn->value.i64;
			break;
		case KSTAT_DATA_UINT64:
			ks_nv_u64(s, name, kn->value.ui64);
			break;
		case KSTAT_DATA_STRING:
			ks_save_string(s, ksp, name, kn);
			break;
		default:
			/* the obsolete FLOAT and DOUBLE: illumos has no format for them */
			break;
		}
	}
}

/*
 * The fields of an IO or INTR kstat, or of the first timer of a TIMER
 * kstat (illumos shows no more), under illumos kstat's names
 */
static void ks_save_fixed(struct ks_stats *s, const kstat_t *ksp)
{
	const struct kt_type *kt = kt_type(ksp->ks_type);

	if ((ksp->ks_type == KSTAT_TYPE_TIMER && ksp->ks_ndata < 1) || ksp->ks_data_size < kt->size)
		return;
	if (ksp->ks_type == KSTAT_TYPE_TIMER) {
		const kstat_timer_t *t = ksp->ks_data;

		ks_nv_str(s, "name", ks_stat_name(s, t->name));
	}
	for (unsigned int i = 0; i < kt->nfields; i++) {
		const struct kt_field *f = &kt->fields[i];

		if (f->size == 4)
			ks_nv_u32(s, f->name, (uint32_t)kt_get(ksp->ks_data, f));
		else
			ks_nv_u64(s, f->name, kt_get(ksp->ks_data, f));
	}
}

/* The members of a RAW kstat of a known kind, if it has its struct's size */
static void ks_save_raw(struct ks_stats *s, const kstat_t *ksp, const struct ks_raw *raw)
{
	const char *base = ksp->ks_data;

	if (ksp->ks_data_size != raw->size)
		return;
	for (size_t i = 0; i < raw->nfields; i++) {
		const struct ks_raw_field *f = &raw->fields[i];
		uint32_t v32;
		uint64_t v64;

		if (f->data_type == KSTAT_DATA_UINT64) {
			memcpy(&v64, base + f->offset, sizeof(v64));
			ks_nv_u64(s, f->name, v64);
			continue;
		}
		memcpy(&v32, base + f->offset, sizeof(v32));
		if (f->data_type == KSTAT_DATA_INT32)
			ks_nv_add(s, f->name, KSTAT_DATA_INT32)->value.i32 = (int32_t)v32;
		else
			ks_nv_u32(s, f->name, v32);
	}
}

/* At most how many statistics the data of a read kstat gives: what ks_save_*() add */
static size_t ks_nv_room(const kstat_t *ksp)
{
	const struct ks_raw *raw;

	switch (ksp->ks_type) {
	case KSTAT_TYPE_NAMED:
		if (ksp->ks_ndata > ksp->ks_data_size / sizeof(kstat_named_t))
			return 0;
		return ksp->ks_ndata;
	case KSTAT_TYPE_RAW:
		raw = ks_raw_lookup(ksp->ks_module, ksp->ks_name);
		return raw ? raw->nfields : 0;
	case KSTAT_TYPE_INTR:
	case KSTAT_TYPE_IO:
	case KSTAT_TYPE_TIMER:
		return kt_type(ksp->ks_type)->nfields + 1;
	}
	return 0;
}

/* Order of statistics: name ignoring case, the later insertion first */
static int ks_nv_cmp(const void *a, const void *b)
{
	const struct ks_nvpair *l = a, *r = b;
	int rc = strcasecmp(l->name, r->name);

	if (rc)
		return rc;
	return l->seq < r->seq ? 1 : -1;
}

static void ks_fold_init(void)
{
	for (int c = 0; c <= UCHAR_MAX; c++)
		ks_fold[c] = (unsigned char)tolower(c);
}

/* The first 8 bytes of s as strcasecmp compares them, in one number */
static uint64_t ks_nv_key(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t key = 0;

	for (int i = 0; i < 8 && u[i]; i++)
		key |= (uint64_t)ks_fold[u[i]] << (56 - 8 * i);
	return key;
}

/*
 * Sort the statistics of a kstat as ks_nv_cmp() orders them.  Few: by
 * insertion, in the order they were added (seq), each before the equal
 * ones already there, comparing first the 8 bytes of ks_nv_key().
 */
static void ks_nv_sort(struct ks_nvpair *nv, size_t n)
{
	uint64_t key[KS_NV_FEW];

	if (n > KS_NV_FEW) {
		qsort(nv, n, sizeof(*nv), ks_nv_cmp);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ks_nvpair x = nv[i];
		uint64_t k = ks_nv_key(x.name);
		size_t j = i;

		for (; j > 0; j--) {
			if (key[j - 1] < k ||
			    (key[j - 1] == k && strcasecmp(nv[j - 1].name, x.name) < 0))
				break;
			nv[j] = nv[j - 1];
			key[j] = key[j - 1];
		}
		nv[j] = x;
		key[j] = k;
	}
}

size_t ks_stats_build(struct ks_stats *s, const struct ks_cfg *cfg, const struct ks_instance *ksi)
{
	const kstat_t *ksp = ksi->ksp;
	size_t room = 1 + cfg->pflg + (ksi->read ? 1 + ks_nv_room(ksp) : 0);

	s->n = 0;
	s->nnames = 0;
	if (room > s->cap) {
		free(s->nv);
		s->cap = room > 2 * s->cap ? room : 2 * s->cap;
		s->nv = ks_alloc_or_die(reallocarray(NULL, s->cap, sizeof(*s->nv)));
	}
	ks_nv_hrtime(s, "crtime", ksp->ks_crtime);
	if (cfg->pflg)
		ks_nv_str(s, "class", ksi->class);
	if (ksi->read) {
		ks_nv_hrtime(s, "snaptime", ksp->ks_snaptime);
		switch (ksp->ks_type) {
		case KSTAT_TYPE_NAMED:
			ks_save_named(s, ksp);
			break;
		case KSTAT_TYPE_RAW:
			ks_save_raw(s, ksp, ks_raw_lookup(ksp->ks_module, ksp->ks_name));
			break;
		case KSTAT_TYPE_INTR:
		case KSTAT_TYPE_IO:
		case KSTAT_TYPE_TIMER:
			ks_save_fixed(s, ksp);
			break;
		}
	}
	ks_nv_sort(s->nv, s->n);
	return s->n;
}

void ks_stats_free(struct ks_stats *s)
{
	free(s->nv);
	free(s->names);
	memset(s, 0, sizeof(*s));
}

/* Order of distinct strings: ignoring case (no two are equal so) */
static int ks_distinct_cmp(const void *a, const void *b)
{
	const struct ks_distinct *l = a, *r = b;

	return strcasecmp(l->s, r->s);
}

/* A hash of s folded to lower case, as strcasecmp compares it */
static uint32_t ks_fold_hash(const char *s)
{
	uint32_t h = 2166136261U;

	for (; *s; s++)
		h = (h ^ ks_fold[(unsigned char)*s]) * 16777619U;
	return h;
}

/*
 * The ranks of one field (module or name, at offset field) of the kstats
 * of r in strcasecmp's order, strings equal ignoring case sharing one:
 * comparing ranks then orders kstats as comparing the strings would.  The
 * distinct strings are few, and found by hashing.
 */
static void ks_rank(const struct ks_report *r, size_t field, uint32_t *rank)
{
	struct ks_distinct *d = ks_alloc_or_die(malloc(16 * sizeof(*d)));
	size_t nd = 0, dcap = 16, mask = 63;
	uint32_t *slot = ks_alloc_or_die(calloc(mask + 1, sizeof(*slot))), *pos;
	const char *prev = NULL;
	uint32_t id = 0;

	for (size_t i = 0; i < r->n; i++) {
		const char *s = *(const char *const *)((const char *)&r->ksi[i] + field);
		size_t j;

		/* neighbours in the chain mostly share their module */
		if (prev && (s == prev || strcmp(s, prev) == 0)) {
			rank[i] = id;
			continue;
		}
		for (j = ks_fold_hash(s) & mask; slot[j]; j = (j + 1) & mask)
			if (strcasecmp(d[slot[j] - 1].s, s) == 0)
				break;
		if (slot[j]) {
			id = slot[j] - 1;
		} else {
			if (nd == dcap) {
				dcap *= 2;
				d = ks_alloc_or_die(reallocarray(d, dcap, sizeof(*d)));
			}
			id = (uint32_t)nd;
			d[nd++] = (struct ks_distinct){ .s = s, .id = id };
			slot[j] = id + 1;
			if (nd * 2 > mask) {
				/* kept at most half full: twice the slots, filled again */
				mask = mask * 2 + 1;
				free(slot);
				slot = ks_alloc_or_die(calloc(mask + 1, sizeof(*slot)));
				for (size_t k = 0; k < nd; k++) {
					for (j = ks_fold_hash(d[k].s) & mask; slot[j];
					     j = (j + 1) & mask)
						;
					slot[j] = (uint32_t)k + 1;
				}
			}
		}
		rank[i] = id;
		prev = s;
	}
	free(slot);
	qsort(d, nd, sizeof(*d), ks_distinct_cmp);
	pos = ks_alloc_or_die(malloc((nd + 1) * sizeof(*pos)));
	for (size_t k = 0; k < nd; k++)
		pos[d[k].id] = (uint32_t)k;
	for (size_t i = 0; i < r->n; i++)
		rank[i] = pos[rank[i]];
	free(pos);
	free(d);
}

/* Does l go before r? */
static bool ks_order_less(const struct ks_order *l, const struct ks_order *r)
{
	return l->hi < r->hi || (l->hi == r->hi && l->lo < r->lo);
}

/*
 * Sort ord[0..n) by ks_order_less, with tmp room for n / 2 of them: a
 * merge sort, its comparisons inline, that merges no run already in order
 */
static void ks_order_sort(struct ks_order *ord, struct ks_order *tmp, size_t n)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n <= 8) {
		for (size_t a = 1; a < n; a++) {
			struct ks_order x = ord[a];
			size_t b = a;

			for (; b > 0 && ks_order_less(&x, &ord[b - 1]); b--)
				ord[b] = ord[b - 1];
			ord[b] = x;
		}
		return;
	}
	ks_order_sort(ord, tmp, h);
	ks_order_sort(ord + h, tmp, n - h);
	if (!ks_order_less(&ord[h], &ord[h - 1]))
		return;
	memcpy(tmp, ord, h * sizeof(*ord));
	while (i < h && j < n)
		ord[k++] = ks_order_less(&ord[j], &tmp[i]) ? ord[j++] : tmp[i++];
	while (i < h)
		ord[k++] = tmp[i++];
}

/*
 * The order of the kstats of r: module ignoring case, instance, name
 * ignoring case, the later kid first.  The strings are compared once, to
 * rank them; the kstats are sorted by numbers, and stay where they are.
 */
static void ks_instance_sort(struct ks_report *r)
{
	struct ks_order *ord = ks_alloc_or_die(malloc((r->n + 1) * sizeof(*ord))), *tmp;
	uint32_t *mrank = ks_alloc_or_die(malloc((r->n + 1) * sizeof(*mrank)));
	uint32_t *nrank = ks_alloc_or_die(malloc((r->n + 1) * sizeof(*nrank)));

	ks_rank(r, offsetof(struct ks_instance, module), mrank);
	ks_rank(r, offsetof(struct ks_instance, name), nrank);
	for (size_t i = 0; i < r->n; i++) {
		/* signed to unsigned, keeping the order */
		uint32_t inst = (uint32_t)r->ksi[i].instance ^ 0x80000000U;
		uint32_t kid = (uint32_t)r->ksi[i].kid ^ 0x80000000U;

		ord[i].hi = (uint64_t)mrank[i] << 32 | inst;
		ord[i].lo = (uint64_t)nrank[i] << 32 | (UINT32_MAX - kid);
		ord[i].at = i;
	}
	free(nrank);
	free(mrank);
	tmp = ks_alloc_or_die(malloc((r->n / 2 + 1) * sizeof(*tmp)));
	ks_order_sort(ord, tmp, r->n);
	free(tmp);
	for (size_t i = 0; i < r->n; i++)
		r->sorted[i] = &r->ksi[ord[i].at];
	free(ord);
}

/* Could any selector pick this kstat?  Statistics are matched when printing */
static bool ks_wanted(const struct ks_cfg *cfg, const struct ks_instance *ksi)
{
	for (size_t i = 0; i < cfg->nsel; i++)
		if (ks_selector_kstat(&cfg->sel[i], &cfg->class, ksi))
			return true;
	return false;
}

/* A new instance for ksp, or NULL when no selector can match it */
static struct ks_instance *ks_instance_new(const struct ks_cfg *cfg, struct ks_report *r,
					   const kstat_t *ksp)
{
	struct ks_instance *ksi = &r->ksi[r->n];

	ksi->module = ks_header_name(r, ksp->ks_module);
	ksi->name = ks_header_name(r, ksp->ks_name);
	ksi->class = ks_header_name(r, ksp->ks_class);
	ksi->ksp = ksp;
	ksi->snaptime = ksp->ks_snaptime;
	ksi->kid = ksp->ks_kid;
	ksi->instance = ksp->ks_instance;
	ks_number(ksi->number, ksp->ks_instance);
	ksi->type = ksp->ks_type;
	ksi->read = false;
	if (!ks_wanted(cfg, ksi))
		return NULL;
	r->n++;
	return ksi;
}

/*
 * A copy of the kstat of ksi, header and data read, for ksi: before a
 * chain update frees what the report points to.  String pointers of named
 * records are moved into the copy of the data, or cleared where they did
 * not point into it (ks_save_string reads both as it did before).
 */
static void ks_instance_keep(struct ks_report *r, struct ks_instance *ksi)
{
	const kstat_t *ksp = ksi->ksp;
	kstat_t *copy = ks_keep(r, sizeof(*copy));
	char *data = NULL;

	*copy = *ksp;
	copy->ks_next = NULL;
	if (ksi->read && ksp->ks_data && ksp->ks_data_size) {
		data = ks_keep(r, ksp->ks_data_size);
		memcpy(data, ksp->ks_data, ksp->ks_data_size);
	}
	copy->ks_data = data;
	if (data && ksp->ks_type == KSTAT_TYPE_NAMED &&
	    ksp->ks_ndata <= ksp->ks_data_size / sizeof(kstat_named_t)) {
		const char *base = ksp->ks_data;
		kstat_named_t *kn = (kstat_named_t *)data;

		for (uint_t i = 0; i < ksp->ks_ndata; i++, kn++) {
			const char *p = KSTAT_NAMED_STR_PTR(kn);

			if (kn->data_type != KSTAT_DATA_STRING)
				continue;
			if (p >= base && p < base + ksp->ks_data_size)
				KSTAT_NAMED_STR_PTR(kn) = data + (p - base);
			else
				KSTAT_NAMED_STR_PTR(kn) = NULL;
		}
	}
	if (ksi->module == ksp->ks_module)
		ksi->module = copy->ks_module;
	if (ksi->name == ksp->ks_name)
		ksi->name = copy->ks_name;
	if (ksi->class == ksp->ks_class)
		ksi->class = copy->ks_class;
	ksi->ksp = copy;
}

/*
 * Read the selected kstats of the chain into r.  A kstat that cannot be
 * read keeps its crtime (and class), as in illumos.  -1 when kstatd itself
 * has gone: a read failed with EIO and so does the chain update after it.
 */
int ks_collect(kstat_ctl_t *kc, const struct ks_cfg *cfg, struct ks_report *r)
{
	kstat_t **ksps;
	bool eio = false;
	size_t nk = 0;
	int *errs;

	memset(r, 0, sizeof(*r));
	ks_fold_init();
	/* sized for the whole chain at once: no copies of 100k instances while growing */
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next)
		r->cap++;
	r->ksi = ks_alloc_or_die(malloc((r->cap + 1) * sizeof(*r->ksi)));
	ksps = ks_alloc_or_die(malloc((r->cap + 1) * sizeof(*ksps)));
	r->cap++;
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		if (strncmp(ksp->ks_name, "kstat_", 6) == 0)
			continue;
		if (ksp->ks_type >= KSTAT_NUM_TYPES)
			continue;
		if (ksp->ks_type == KSTAT_TYPE_RAW && !ks_raw_lookup(ksp->ks_module, ksp->ks_name))
			continue;
		if (ks_instance_new(cfg, r, ksp))
			ksps[nk++] = ksp;
	}
	/* only the selected kstats are read: in batches when kstatd offers them */
	errs = ks_alloc_or_die(calloc(nk + 1, sizeof(*errs)));
	if (nk > INT_MAX || kstat_read_batch(kc, ksps, (int)nk, errs) == -1)
		ks_alloc_or_die(NULL);
	for (size_t i = 0; i < nk; i++) {
		r->ksi[i].read = !errs[i];
		eio |= errs[i] == EIO;
	}
	free(errs);
	free(ksps);
	r->sorted = ks_alloc_or_die(malloc((r->n + 1) * sizeof(*r->sorted)));
	ks_instance_sort(r);
	/* a provider's update may fail with EIO too: only a dead link is fatal */
	if (eio) {
		for (size_t i = 0; i < r->n; i++)
			ks_instance_keep(r, &r->ksi[i]);
		if (kstat_chain_update(kc) == -1)
			return -1;
	}
	return 0;
}

void ks_report_free(struct ks_report *r)
{
	struct ks_copies *b, *next;

	for (b = r->copies; b; b = next) {
		next = b->next;
		free(b);
	}
	free(r->sorted);
	free(r->ksi);
	memset(r, 0, sizeof(*r));
}
