// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Values into kstat data.  BPF programs only add to their own CPU's copy
 * of a value; here those copies are combined (summed in u64, or min/max
 * where the schema says so) into NAMED records, kstat_io_t, kstat_intr_t
 * or kstat_timer_t (common/kstat_types.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pmap_impl.h"

uint64_t pmap_rd_field(const void *base, const struct schema_field *f)
{
	const unsigned char *p = (const unsigned char *)base + f->off;

	switch (f->size) {
	case 1:
		return f->is_signed ? (uint64_t)(int64_t) * (const int8_t *)p : *p;
	case 2: {
		uint16_t v;

		memcpy(&v, p, 2);
		return f->is_signed ? (uint64_t)(int64_t)(int16_t)v : v;
	}
	case 4: {
		uint32_t v;

		memcpy(&v, p, 4);
		return f->is_signed ? (uint64_t)(int64_t)(int32_t)v : v;
	}
	default: {
		uint64_t v;

		memcpy(&v, p, 8);
		return v;
	}
	}
}

void pmap_wr_field(void *base, const struct schema_field *f, uint64_t v)
{
	unsigned char *p = (unsigned char *)base + f->off;
	uint32_t v32 = (uint32_t)v;
	uint16_t v16 = (uint16_t)v;

	switch (f->size) {
	case 1:
		*p = (unsigned char)v;
		break;
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

/* One CPU's value of a statistic, with time still accruing added in */
static uint64_t stat_value(const struct schema_stat *st, const void *v, uint32_t elem, uint64_t now)
{
	struct schema_field f = st->f;
	uint64_t val;

	f.off += elem * f.size;
	val = pmap_rd_field(v, &f);
	if (st->open && pmap_rd_field(v, &st->flag)) {
		uint64_t since = pmap_rd_field(v, &st->since);

		if (since && now > since)
			val += now - since;
	}
	return val;
}

static uint64_t combine(const struct pmap *pm, const struct schema_stat *st, const void *vals,
			int ncv, uint32_t elem, uint64_t now)
{
	uint64_t acc = 0;
	bool any = false;

	for (int c = 0; c < ncv; c++) {
		uint64_t v = stat_value(st, pmap_slot(pm, vals, c), elem, now);

		switch (st->kind) {
		case SK_MIN:
			/* CPUs that never saw the event hold 0, which is not a minimum */
			if (v &&
			    (!any || (st->f.is_signed ? (int64_t)v < (int64_t)acc : v < acc))) {
				acc = v;
				any = true;
			}
			break;
		case SK_MAX:
			if (st->f.is_signed ? (int64_t)v > (int64_t)acc || !any : v > acc)
				acc = v;
			any = true;
			break;
		default:
			acc += v;
			break;
		}
	}
	return acc;
}

static void store_named(kstat_named_t *kn, uint64_t v)
{
	switch (kn->data_type) {
	case KSTAT_DATA_INT32:
		kn->value.i32 = (int32_t)v;
		break;
	case KSTAT_DATA_UINT32:
		kn->value.ui32 = (uint32_t)v;
		break;
	default:
		kn->value.ui64 = v;
		break;
	}
}

/*
 * Whether a record may never serve less than before.  A KSTAT_OPEN copy
 * taken while a program is recording a switch may read low (programs
 * order their stores so that it never reads high: see KSTAT_OPEN in
 * docs/providers.md), and the next read would come out lower; only what
 * the map holds survives a restart, so a high read served here would go
 * backwards then.  And where refresh programs run, two readers may store
 * what they read in either order: the kernel's books never go back, so
 * neither may a counter filled from them.
 */
static bool keeps_up(const struct pmap *pm, const struct schema_stat *st)
{
	return st->open || (pm->refresh && st->kind == SK_COUNTER);
}

/*
 * Most schemas (counters, gauges and histograms of 64-bit words, no
 * KSTAT_OPEN, no min or max) need none of the above: each record is a sum
 * of one word of each CPU's copy.  Their records' offsets, found once,
 * save the walk a schema's worth of branches per kstat.
 */
int pmap_plan(struct pmap *pm)
{
	const struct schema *sc = pm->sc;
	uint32_t k = 0;

	if (sc->type != KSTAT_TYPE_NAMED)
		return 0;
	for (uint32_t i = 0; i < sc->nstats; i++) {
		const struct schema_stat *st = &sc->stats[i];

		if (st->open || st->f.size != 8 || st->kind == SK_MIN || st->kind == SK_MAX ||
		    (st->data_type != KSTAT_DATA_UINT64 && st->data_type != KSTAT_DATA_INT64))
			return 0;
	}
	if (!(pm->plain = malloc((sc->ndata ? sc->ndata : 1) * sizeof(*pm->plain))))
		return -ENOMEM;
	for (uint32_t i = 0; i < sc->nstats; i++)
		for (uint32_t e = 0; e < sc->stats[i].nelem; e++)
			pm->plain[k++] =
				(struct pmap_plain){ sc->stats[i].f.off + e * 8, &sc->stats[i] };
	return 0;
}

static void fill_plain(const struct inst *in, const void *vals, int ncv)
{
	const struct pmap *pm = in->pm;
	kstat_named_t *kn = in->ksp->ks_data;

	for (uint32_t r = 0; r < pm->sc->ndata; r++) {
		uint64_t v = 0;

		for (int c = 0; c < ncv; c++) {
			uint64_t w;

			memcpy(&w, (const char *)pmap_slot(pm, vals, c) + pm->plain[r].off, 8);
			v += w;
		}
		if (keeps_up(pm, pm->plain[r].st) && v < kn[r].value.ui64)
			v = kn[r].value.ui64;
		kn[r].value.ui64 = v;
	}
}

static void fill_named(const struct inst *in, const void *vals, int ncv, uint64_t now)
{
	const struct pmap *pm = in->pm;
	kstat_named_t *kn = in->ksp->ks_data;

	if (pm->plain && in->cpu < 0) {
		fill_plain(in, vals, ncv);
		return;
	}
	for (uint32_t i = 0; i < pm->sc->nstats; i++) {
		const struct schema_stat *st = &pm->sc->stats[i];

		for (uint32_t e = 0; e < st->nelem; e++, kn++) {
			uint64_t v = in->cpu >= 0
					     ? stat_value(st, pmap_slot(pm, vals, in->cpu), e, now)
					     : combine(pm, st, vals, ncv, e, now);

			if (keeps_up(pm, st) && v < kn->value.ui64)
				v = kn->value.ui64;
			store_named(kn, v);
		}
	}
}

/*
 * As illumos's default_kstat_snapshot(): the copy a reader gets counts the
 * queue time still accruing up to now; the map is left as it is.
 */
void pmap_io_catch_up(uint64_t *f, enum kt_io time, uint64_t cnt, uint64_t now)
{
	uint64_t last = f[time + 2];

	if (!cnt || now <= last)
		return;
	f[time] += now - last;
	f[time + 1] += cnt * (now - last);
	f[time + 2] = now;
}

/*
 * An IO, INTR or TIMER record from the CPUs' copies, each field combined
 * as common/kstat_types.h says: summed, the greatest, or the least among
 * the CPUs that counted an event (the first field, num_events).  An IO
 * copy first counts the queue time accruing up to now.
 */
static void fill_fixed(const struct inst *in, const void *vals, int ncv, uint64_t now)
{
	const struct pmap *pm = in->pm;
	const struct kt_type *kt = kt_type(pm->sc->type);
	uint64_t v[KT_MAX_FIELDS] = { 0 };
	bool any[KT_MAX_FIELDS] = { false };

	for (int c = 0; c < ncv; c++) {
		uint64_t f[KT_MAX_FIELDS];

		for (unsigned int i = 0; i < kt->nfields; i++)
			f[i] = pmap_rd_field(pmap_slot(pm, vals, c), &pm->sc->fields[i]);
		if (pm->sc->type == KSTAT_TYPE_IO) {
			pmap_io_catch_up(f, KT_IO_WTIME, f[KT_IO_WCNT], now);
			pmap_io_catch_up(f, KT_IO_RTIME, f[KT_IO_RCNT], now);
		}
		for (unsigned int i = 0; i < kt->nfields; i++) {
			switch (kt->fields[i].combine) {
			case KT_MAX:
				v[i] = f[i] > v[i] ? f[i] : v[i];
				break;
			case KT_MIN:
				if (f[0] && (!any[i] || f[i] < v[i])) {
					v[i] = f[i];
					any[i] = true;
				}
				break;
			default:
				v[i] += f[i];
				break;
			}
		}
	}
	for (unsigned int i = 0; i < kt->nfields; i++)
		kt_set(in->ksp->ks_data, &kt->fields[i], v[i]);
}

void pmap_fill(const struct inst *in, const void *vals, uint64_t now)
{
	int ncv = in->pm->percpu ? in->pm->ncpus : 1;

	/* one kstat per CPU: IO, INTR and TIMER see only that CPU's copy */
	if (in->cpu >= 0 && in->ksp->ks_type != KSTAT_TYPE_NAMED) {
		vals = pmap_slot(in->pm, vals, in->cpu);
		ncv = 1;
	}

	if (in->ksp->ks_type == KSTAT_TYPE_NAMED)
		fill_named(in, vals, ncv, now);
	else
		fill_fixed(in, vals, ncv, now);
}
