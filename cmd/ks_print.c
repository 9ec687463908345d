// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The text formats of kstat(1M), with the printf formats of illumos
 * usr/src/cmd/stat/kstat/kstat.h: the default layout (a module:/name:
 * header, then one tab-indented statistic a line, then an empty line),
 * -p (module:instance:name:statistic, a tab, the value), -C (a colon
 * instead of the tab) and -l (the names alone).  Output is grouped by
 * selector in command-line order, so a kstat two selectors match prints
 * twice.
 */
#include <inttypes.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/outbuf.h"
#include "ks.h"
#include "ksreport.h"

#define KS_DFLT_FMT                          \
	"module: %-30.30s  instance: %-6d\n" \
	"name:   %-30.30s  class:    %-.30s\n"
#define KS_DFMT "\t%-30s  "
#define KS_PFMT "%s:%d:%s:%s"

/* Nanoseconds as seconds with nine decimals, "0" for 0 (common/outbuf.h) */
void ks_hrtime_print(FILE *out, int64_t ns)
{
	struct outbuf ob;

	outbuf_init(&ob, 32);
	outbuf_hrtime(&ob, ns);
	fwrite(ob.buf, 1, ob.len, out);
	outbuf_free(&ob);
}

void ks_value_print(FILE *out, const struct ks_nvpair *nv)
{
	switch (nv->data_type) {
	case KSTAT_DATA_CHAR:
		fprintf(out, "%.*s", (int)sizeof(nv->value.c), nv->value.c);
		break;
	case KSTAT_DATA_INT32:
		fprintf(out, "%" PRId32, nv->value.i32);
		break;
	case KSTAT_DATA_UINT32:
		fprintf(out, "%" PRIu32, nv->value.ui32);
		break;
	case KSTAT_DATA_INT64:
		fprintf(out, "%" PRId64, nv->value.i64);
		break;
	case KSTAT_DATA_UINT64:
		fprintf(out, "%" PRIu64, nv->value.ui64);
		break;
	case KSTAT_DATA_STRING:
		fputs(nv->str, out);
		break;
	case KS_DATA_HRTIME:
		ks_hrtime_print(out, nv->value.i64);
		break;
	}
}

/* -T u: seconds since the epoch; -T d: date(1)'s format in the user's locale */
void ks_timestamp_print(FILE *out, enum ks_date date)
{
	if (date != KS_NODATE)
		ks_date_print(out, date == KS_UDATE ? 'u' : 'd');
}

/* One kstat in the default, -p, -C or -l format */
static void ks_text_kstat(FILE *out, const struct ks_cfg *cfg, const struct ks_instance *ksi,
			  const struct ks_nvpair *const *nv, size_t n)
{
	if (!cfg->pflg)
		fprintf(out, KS_DFLT_FMT, ksi->module, ksi->instance, ksi->name, ksi->class);
	for (size_t i = 0; i < n; i++) {
		if (cfg->pflg) {
			fprintf(out, KS_PFMT, ksi->module, ksi->instance, ksi->name, nv[i]->name);
			if (!cfg->lflg)
				fputc(cfg->cflg ? ':' : '\t', out);
		} else {
			fprintf(out, KS_DFMT, nv[i]->name);
		}
		if (!cfg->lflg)
			ks_value_print(out, nv[i]);
		fputc('\n', out);
	}
	if (!cfg->pflg)
		fputc('\n', out);
}

/*
 * Print one report: for each selector in turn, each kstat it matches with
 * the statistics it matches.  Nothing with -q.  Returns whether any
 * statistic matched, which decides the exit status.
 */
bool ks_report_print(FILE *out, const struct ks_cfg *cfg, const struct ks_report *r)
{
	const struct ks_nvpair **nv;
	bool matched = false, first = true;
	size_t most = 1;

	for (size_t k = 0; k < r->n; k++)
		most = r->ksi[k].nnv > most ? r->ksi[k].nnv : most;
	nv = calloc(most, sizeof(*nv));
	if (!nv) {
		perror("kstat");
		exit(KS_EXIT_FATAL);
	}
	if (!cfg->qflg)
		ks_timestamp_print(out, cfg->date);
	if (!cfg->qflg && cfg->jflg)
		fputc('[', out);
	for (size_t s = 0; s < cfg->nsel; s++) {
		const struct ks_selector *sel = &cfg->sel[s];

		for (size_t k = 0; k < r->n; k++) {
			const struct ks_instance *ksi = &r->ksi[k];
			size_t n = 0;

			if (!ks_selector_kstat(sel, &cfg->class, ksi))
				continue;
			for (size_t i = 0; i < ksi->nnv; i++)
				if (ks_match(&sel->statistic, ksi->nv[i].name))
					nv[n++] = &ksi->nv[i];
			if (!n)
				continue;
			matched = true;
			if (cfg->qflg)
				continue;
			if (cfg->jflg)
				ks_json_kstat(out, ksi, nv, n, first);
			else
				ks_text_kstat(out, cfg, ksi, nv, n);
			first = false;
		}
	}
	if (!cfg->qflg && cfg->jflg)
		fputs("]\n", out);
	free(nv);
	return matched;
}
