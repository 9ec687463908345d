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
#include <errno.h>
#include <langinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/outbuf.h"
#include "ks.h"
#include "ksreport.h"

/* A report's text goes out in writes of about this size */
#define KS_OUT_SIZE 65536

/*
 * The text of a report, gathered here and handed to stdio in large
 * writes rather than a call for each field.  Those writes bypass stdio's
 * buffer, so one that failed leaves nothing for fflush() to fail on: err
 * keeps its errno for the caller, who checks ferror().
 */
struct ks_out {
	FILE *fp;
	int err;
	struct outbuf ob;
};

/* Hand what o holds to the stream, keeping the errno of the first write that fails */
static void ks_out_flush(struct ks_out *o)
{
	if (o->ob.failed) {
		perror("kstat");
		exit(KS_EXIT_FATAL);
	}
	if (o->ob.len && fwrite(o->ob.buf, 1, o->ob.len, o->fp) != o->ob.len && !o->err)
		o->err = errno ? errno : EIO;
	o->ob.len = 0;
}

/* At the end of a line: a full buffer goes out */
static void ks_out_line(struct ks_out *o)
{
	outbuf_putc(&o->ob, '\n');
	if (o->ob.len >= KS_OUT_SIZE)
		ks_out_flush(o);
}

/* s as "%-*.*s" prints it: at most prec bytes, padded with spaces to width */
static void ks_out_field(struct ks_out *o, const char *s, size_t prec, size_t width)
{
	size_t n = strnlen(s, prec);

	outbuf_put(&o->ob, s, n);
	for (; n < width; n++)
		outbuf_putc(&o->ob, ' ');
}

/* The value of a statistic as illumos prints it */
static void ks_value_put(struct outbuf *ob, const struct ks_nvpair *nv)
{
	switch (nv->data_type) {
	case KSTAT_DATA_CHAR:
		/* "%.*s" of its 16 bytes */
		outbuf_put(ob, nv->value.c, strnlen(nv->value.c, sizeof(nv->value.c)));
		break;
	case KSTAT_DATA_INT32:
		outbuf_i64(ob, nv->value.i32);
		break;
	case KSTAT_DATA_UINT32:
		outbuf_u64(ob, nv->value.ui32);
		break;
	case KSTAT_DATA_INT64:
		outbuf_i64(ob, nv->value.i64);
		break;
	case KSTAT_DATA_UINT64:
		outbuf_u64(ob, nv->value.ui64);
		break;
	case KSTAT_DATA_STRING:
		outbuf_puts(ob, nv->str);
		break;
	case KS_DATA_HRTIME:
		outbuf_hrtime(ob, nv->value.i64);
		break;
	}
}

/* What ks_value_put() or outbuf_hrtime() wrote into ob, to out */
static void ks_print_outbuf(FILE *out, struct outbuf *ob)
{
	fwrite(ob->buf, 1, ob->len, out);
	outbuf_free(ob);
}

/* Nanoseconds as seconds with nine decimals, "0" for 0 (common/outbuf.h) */
void ks_hrtime_print(FILE *out, int64_t ns)
{
	struct outbuf ob;

	outbuf_init(&ob, 32);
	outbuf_hrtime(&ob, ns);
	ks_print_outbuf(out, &ob);
}

void ks_value_print(FILE *out, const struct ks_nvpair *nv)
{
	struct outbuf ob;

	outbuf_init(&ob, 32);
	ks_value_put(&ob, nv);
	ks_print_outbuf(out, &ob);
}

/* -T u: seconds since the epoch; -T d: date(1)'s format in the user's locale */
void ks_timestamp_print(FILE *out, enum ks_date date)
{
	if (date != KS_NODATE)
		ks_date_print(out, date == KS_UDATE ? 'u' : 'd');
}

/* The width (and precision) of names in the default format */
#define KS_DFLT_WIDTH 30
/* module:instance:name: of -p, of names shorter than KSTAT_STRLEN (ks_collect.c) */
#define KS_PREFIX_MAX (2 * KSTAT_STRLEN + 12 + 3)

/* Bytes of s up to its NUL, at most max */
static size_t ks_copy(char *dst, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	memcpy(dst, s, n);
	return n;
}

/* The -p prefix of every statistic of ksi in buf (KS_PREFIX_MAX bytes): its length */
static size_t ks_prefix(char *buf, const struct ks_instance *ksi)
{
	size_t n = ks_copy(buf, ksi->module, KSTAT_STRLEN - 1);

	buf[n++] = ':';
	n += ks_copy(buf + n, ksi->number, sizeof(ksi->number) - 1);
	buf[n++] = ':';
	n += ks_copy(buf + n, ksi->name, KSTAT_STRLEN - 1);
	buf[n++] = ':';
	return n;
}

/*
 * One kstat in the default format, illumos's
 *	"module: %-30.30s  instance: %-6d\n"
 *	"name:   %-30.30s  class:    %-.30s\n"
 * then "\t%-30s  " and the value a statistic, or -p's "%s:%d:%s:%s" of
 * module, instance, name and statistic, a tab (-C: a colon) and the value,
 * or -l's names alone
 */
static void ks_text_kstat(struct ks_out *o, const struct ks_cfg *cfg, const struct ks_instance *ksi,
			  const struct ks_nvpair *const *nv, size_t n)
{
	char sep = cfg->cflg ? ':' : '\t', prefix[KS_PREFIX_MAX];
	struct outbuf *ob = &o->ob;
	size_t plen = 0;

	if (cfg->pflg) {
		plen = ks_prefix(prefix, ksi);
	} else {
		outbuf_put(ob, "module: ", 8);
		ks_out_field(o, ksi->module, KS_DFLT_WIDTH, KS_DFLT_WIDTH);
		outbuf_put(ob, "  instance: ", 12);
		ks_out_field(o, ksi->number, SIZE_MAX, 6);
		outbuf_put(ob, "\nname:   ", 9);
		ks_out_field(o, ksi->name, KS_DFLT_WIDTH, KS_DFLT_WIDTH);
		outbuf_put(ob, "  class:    ", 12);
		ks_out_field(o, ksi->class, KS_DFLT_WIDTH, 0);
		ks_out_line(o);
	}
	for (size_t i = 0; i < n; i++) {
		if (cfg->pflg) {
			outbuf_put(ob, prefix, plen);
			outbuf_puts(ob, nv[i]->name);
			if (!cfg->lflg)
				outbuf_putc(ob, sep);
		} else {
			outbuf_putc(ob, '\t');
			ks_out_field(o, nv[i]->name, SIZE_MAX, KS_DFLT_WIDTH);
			outbuf_put(ob, "  ", 2);
		}
		if (!cfg->lflg)
			ks_value_put(ob, nv[i]);
		ks_out_line(o);
	}
	if (!cfg->pflg)
		ks_out_line(o);
}

/*
 * Print one report: for each selector in turn, each kstat it matches with
 * the statistics it matches.  Nothing with -q.  Returns whether any
 * statistic matched, which decides the exit status; after a write that
 * failed, ferror(out) is set and errno says why.
 */
bool ks_report_print(FILE *out, const struct ks_cfg *cfg, const struct ks_report *r)
{
	const struct ks_nvpair **nv = NULL;
	bool matched = false, first = true;
	struct ks_stats stats = { 0 };
	size_t nvcap = 0;
	struct ks_out o = { .fp = out };

	outbuf_init(&o.ob, KS_OUT_SIZE + 4096);
	if (!cfg->qflg)
		ks_timestamp_print(out, cfg->date);
	if (!cfg->qflg && cfg->jflg)
		fputc('[', out);
	for (size_t s = 0; s < cfg->nsel; s++) {
		const struct ks_selector *sel = &cfg->sel[s];

		for (size_t k = 0; k < r->n; k++) {
			const struct ks_instance *ksi = r->sorted[k];
			size_t all, n = 0;

			if (!ks_selector_kstat(sel, &cfg->class, ksi))
				continue;
			all = ks_stats_build(&stats, cfg, ksi);
			if (all > nvcap) {
				nvcap = all > 2 * nvcap ? all : 2 * nvcap;
				free(nv);
				nv = calloc(nvcap, sizeof(*nv));
				if (!nv) {
					perror("kstat");
					exit(KS_EXIT_FATAL);
				}
			}
			for (size_t i = 0; i < all; i++)
				if (ks_match(&sel->statistic, stats.nv[i].name))
					nv[n++] = &stats.nv[i];
			if (!n)
				continue;
			matched = true;
			if (cfg->qflg)
				continue;
			if (cfg->jflg)
				ks_json_kstat(out, ksi, nv, n, first);
			else
				ks_text_kstat(&o, cfg, ksi, nv, n);
			first = false;
		}
	}
	ks_out_flush(&o);
	outbuf_free(&o.ob);
	if (!cfg->qflg && cfg->jflg)
		fputs("]\n", out);
	ks_stats_free(&stats);
	free(nv);
	if (o.err)
		errno = o.err;
	return matched;
}
