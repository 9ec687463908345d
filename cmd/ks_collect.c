// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One report's data: every selected kstat of the chain, read once, with
 * its statistics as kstat(1M) lists them.  Ordering follows illumos: kstats
 * by module (ignoring case), numeric instance, then name; statistics by
 * name ignoring case; an equal key goes before the ones already there.
 * Pseudo-statistics: crtime always, class with -p/-l/-C, snaptime once the
 * read succeeded.  kstat_* kstats (kid 0, kid 1) and RAW kstats other than
 * those ks_raw.c reads are left out.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/kstat_types.h"
#include "ks.h"

/* Out of memory is fatal, as in illumos kstat */
static void *ks_alloc_or_die(void *p)
{
	if (!p) {
		perror("kstat");
		exit(KS_EXIT_FATAL);
	}
	return p;
}

/* Grow an array of elem-sized entries so that one more fits */
static void *ks_grow(void *base, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return base;
	*cap = *cap ? *cap * 2 : 16;
	return ks_alloc_or_die(reallocarray(base, *cap, elem));
}

/* Copy a name of at most KSTAT_STRLEN - 1 bytes, even if src lacks its NUL */
static void ks_name_copy(char *dst, const char *src)
{
	size_t len = strnlen(src, KSTAT_STRLEN - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Append a statistic to ksi; the caller sets its value */
static struct ks_nvpair *ks_nv_add(struct ks_instance *ksi, const char *name, uchar_t type)
{
	struct ks_nvpair *nv;

	ksi->nv = ks_grow(ksi->nv, ksi->nnv, &ksi->nvcap, sizeof(*ksi->nv));
	nv = &ksi->nv[ksi->nnv];
	memset(nv, 0, sizeof(*nv));
	ks_name_copy(nv->name, name);
	nv->data_type = type;
	nv->seq = (unsigned)ksi->nnv++;
	return nv;
}

/* A UINT64 statistic; IO and TIMER times too, integer nanoseconds as illumos prints them */
static void ks_nv_u64(struct ks_instance *ksi, const char *name, uint64_t v)
{
	ks_nv_add(ksi, name, KSTAT_DATA_UINT64)->value.ui64 = v;
}

/* A UINT32 statistic */
static void ks_nv_u32(struct ks_instance *ksi, const char *name, uint32_t v)
{
	ks_nv_add(ksi, name, KSTAT_DATA_UINT32)->value.ui32 = v;
}

/* crtime and snaptime, printed as seconds */
static void ks_nv_hrtime(struct ks_instance *ksi, const char *name, hrtime_t v)
{
	ks_nv_add(ksi, name, KS_DATA_HRTIME)->value.i64 = v;
}

/* A string of len bytes, copied */
static void ks_nv_str(struct ks_instance *ksi, const char *name, const char *s, size_t len)
{
	ks_nv_add(ksi, name, KSTAT_DATA_STRING)->str = ks_alloc_or_die(strndup(s, len));
}

/*
 * The string of a named record, checked to lie in the data section after
 * the records and to end there; anything else reads as the empty string.
 */
static void ks_save_string(struct ks_instance *ksi, const kstat_t *ksp, const kstat_named_t *kn)
{
	const char *base = ksp->ks_data, *p = KSTAT_NAMED_STR_PTR(kn);
	size_t lo = ksp->ks_ndata * sizeof(kstat_named_t), len = 0;

	if (p && p >= base + lo && p < base + ksp->ks_data_size) {
		size_t room = ksp->ks_data_size - (size_t)(p - base);

		len = strnlen(p, room);
		if (len == room)
			len = 0;
	}
	ks_nv_str(ksi, kn->name, len ? p : "", len);
}

/* The records of a NAMED kstat, as many as its data section holds */
static void ks_save_named(struct ks_instance *ksi, const kstat_t *ksp)
{
	const kstat_named_t *kn = ksp->ks_data;
	struct ks_nvpair *nv;

	if (ksp->ks_ndata > ksp->ks_data_size / sizeof(kstat_named_t))
		return;
	for (uint_t i = 0; i < ksp->ks_ndata; i++, kn++) {
		/* illumos skips records a driver left without a name */
		if (kn->name[0] == '\0')
			continue;
		switch (kn->data_type) {
		case KSTAT_DATA_CHAR:
			nv = ks_nv_add(ksi, kn->name, KSTAT_DATA_CHAR);
			memcpy(nv->value.c, kn->value.c, sizeof(nv->value.c));
			break;
		case KSTAT_DATA_INT32:
			ks_nv_add(ksi, kn->name, KSTAT_DATA_INT32)->value.i32 = kn->value.i32;
			break;
		case KSTAT_DATA_UINT32:
			ks_nv_u32(ksi, kn->name, kn->value.ui32);
			break;
		case KSTAT_DATA_INT64:
			ks_nv_add(ksi, kn->name, KSTAT_DATA_INT64)->value.i64 = kn->value.i64;
			break;
		case KSTAT_DATA_UINT64:
			ks_nv_u64(ksi, kn->name, kn->value.ui64);
			break;
		case KSTAT_DATA_STRING:
			ks_save_string(ksi, ksp, kn);
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
static void ks_save_fixed(struct ks_instance *ksi, const kstat_t *ksp)
{
	const struct kt_type *kt = kt_type(ksp->ks_type);

	if ((ksp->ks_type == KSTAT_TYPE_TIMER && ksp->ks_ndata < 1) || ksp->ks_data_size < kt->size)
		return;
	if (ksp->ks_type == KSTAT_TYPE_TIMER) {
		const kstat_timer_t *t = ksp->ks_data;

		ks_nv_str(ksi, "name", t->name, strnlen(t->name, KSTAT_STRLEN - 1));
	}
	for (unsigned int i = 0; i < kt->nfields; i++) {
		const struct kt_field *f = &kt->fields[i];

		if (f->size == 4)
			ks_nv_u32(ksi, f->name, (uint32_t)kt_get(ksp->ks_data, f));
		else
			ks_nv_u64(ksi, f->name, kt_get(ksp->ks_data, f));
	}
}

/* The members of a RAW kstat of a known kind, if it has its struct's size */
static void ks_save_raw(struct ks_instance *ksi, const kstat_t *ksp, const struct ks_raw *raw)
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
			ks_nv_u64(ksi, f->name, v64);
			continue;
		}
		memcpy(&v32, base + f->offset, sizeof(v32));
		if (f->data_type == KSTAT_DATA_INT32)
			ks_nv_add(ksi, f->name, KSTAT_DATA_INT32)->value.i32 = (int32_t)v32;
		else
			ks_nv_u32(ksi, f->name, v32);
	}
}

/* Could any selector pick this kstat?  Statistics are matched when printing */
static bool ks_wanted(const struct ks_cfg *cfg, const struct ks_instance *ksi)
{
	for (size_t i = 0; i < cfg->nsel; i++)
		if (ks_selector_kstat(&cfg->sel[i], &cfg->class, ksi))
			return true;
	return false;
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

/* Order of kstats: module ignoring case, instance, name ignoring case, later kid first */
static int ks_instance_cmp(const void *a, const void *b)
{
	const struct ks_instance *l = a, *r = b;
	int rc = strcasecmp(l->module, r->module);

	if (rc)
		return rc;
	if (l->instance != r->instance)
		return l->instance < r->instance ? -1 : 1;
	rc = strcasecmp(l->name, r->name);
	if (rc)
		return rc;
	return l->kid < r->kid ? 1 : -1;
}

/* A new instance for ksp, or NULL when no selector can match it */
static struct ks_instance *ks_instance_new(const struct ks_cfg *cfg, struct ks_report *r,
					   const kstat_t *ksp)
{
	struct ks_instance *ksi;

	r->ksi = ks_grow(r->ksi, r->n, &r->cap, sizeof(*r->ksi));
	ksi = &r->ksi[r->n];
	memset(ksi, 0, sizeof(*ksi));
	ks_name_copy(ksi->module, ksp->ks_module);
	ks_name_copy(ksi->name, ksp->ks_name);
	ks_name_copy(ksi->class, ksp->ks_class);
	snprintf(ksi->number, sizeof(ksi->number), "%d", ksp->ks_instance);
	ksi->instance = ksp->ks_instance;
	ksi->type = ksp->ks_type;
	ksi->kid = ksp->ks_kid;
	ksi->snaptime = ksp->ks_snaptime;
	if (!ks_wanted(cfg, ksi))
		return NULL;
	r->n++;
	return ksi;
}

/*
 * Read the selected kstats of the chain into r.  A kstat that cannot be
 * read keeps its crtime (and class), as in illumos.  -1 when kstatd itself
 * has gone: a read failed with EIO and so does the chain update after it.
 */
int ks_collect(kstat_ctl_t *kc, const struct ks_cfg *cfg, struct ks_report *r)
{
	kstat_t **ksps = NULL;
	size_t nk = 0, kcap = 0;
	bool eio = false;
	int *errs;

	memset(r, 0, sizeof(*r));
	/* sized for the whole chain at once: no copies of 100k instances while growing */
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next)
		r->cap++;
	r->ksi = ks_alloc_or_die(malloc((r->cap + 1) * sizeof(*r->ksi)));
	r->cap++;
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		const struct ks_raw *raw;
		struct ks_instance *ksi;

		if (strncmp(ksp->ks_name, "kstat_", 6) == 0)
			continue;
		if (ksp->ks_type >= KSTAT_NUM_TYPES)
			continue;
		raw = ksp->ks_type == KSTAT_TYPE_RAW ? ks_raw_lookup(ksp->ks_module, ksp->ks_name)
						     : NULL;
		if (ksp->ks_type == KSTAT_TYPE_RAW && !raw)
			continue;
		ksi = ks_instance_new(cfg, r, ksp);
		if (!ksi)
			continue;
		/* room for its statistics and the pseudo ones at once: no doubling */
		ksi->nvcap = (ksp->ks_type == KSTAT_TYPE_NAMED ? ksp->ks_ndata : 15) + 3;
		if (raw)
			ksi->nvcap = raw->nfields + 3;
		ksi->nv = ks_alloc_or_die(calloc(ksi->nvcap, sizeof(*ksi->nv)));
		ks_nv_hrtime(ksi, "crtime", ksp->ks_crtime);
		if (cfg->pflg)
			ks_nv_str(ksi, "class", ksi->class, strlen(ksi->class));
		ksps = ks_grow(ksps, nk, &kcap, sizeof(*ksps));
		ksps[nk++] = ksp;
	}
	/* only the selected kstats are read: in batches when kstatd offers them */
	errs = ks_alloc_or_die(calloc(nk + 1, sizeof(*errs)));
	if (nk > INT_MAX || kstat_read_batch(kc, ksps, (int)nk, errs) == -1)
		ks_alloc_or_die(NULL);
	for (size_t i = 0; i < nk; i++) {
		struct ks_instance *ksi = &r->ksi[i];
		kstat_t *ksp = ksps[i];

		if (errs[i]) {
			eio |= errs[i] == EIO;
			continue;
		}
		ks_nv_hrtime(ksi, "snaptime", ksp->ks_snaptime);
		switch (ksp->ks_type) {
		case KSTAT_TYPE_NAMED:
			ks_save_named(ksi, ksp);
			break;
		case KSTAT_TYPE_RAW:
			ks_save_raw(ksi, ksp, ks_raw_lookup(ksp->ks_module, ksp->ks_name));
			break;
		case KSTAT_TYPE_INTR:
		case KSTAT_TYPE_IO:
		case KSTAT_TYPE_TIMER:
			ks_save_fixed(ksi, ksp);
			break;
		}
	}
	free(errs);
	free(ksps);
	if (r->n)
		qsort(r->ksi, r->n, sizeof(*r->ksi), ks_instance_cmp);
	for (size_t i = 0; i < r->n; i++)
		if (r->ksi[i].nnv)
			qsort(r->ksi[i].nv, r->ksi[i].nnv, sizeof(*r->ksi[i].nv), ks_nv_cmp);
	/* a provider's update may fail with EIO too: only a dead link is fatal */
	if (eio && kstat_chain_update(kc) == -1)
		return -1;
	return 0;
}

void ks_report_free(struct ks_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->ksi[i].nnv; j++)
			free(r->ksi[i].nv[j].str);
		free(r->ksi[i].nv);
	}
	free(r->ksi);
	memset(r, 0, sizeof(*r));
}
