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

#include "ks.h"
#include "ksreport.h"

/* A report's text goes out in writes of this size */
#define KS_OUT_SIZE 65536
/* The longest value ks_value_fmt() writes: INT64_MIN ns as seconds is 21 */
#define KS_VALUE_MAX 32
/* NSEC per second, and the digits of a nanosecond fraction */
#define KS_NSEC 1000000000U
#define KS_NSEC_DIGITS 9

/*
 * The text of a report, gathered here and handed to stdio in large
 * writes rather than a call for each field.  Those writes bypass stdio's
 * buffer, so one that failed leaves nothing for fflush() to fail on: err
 * keeps its errno for the caller, who checks ferror().
 */
struct ks_out {
	FILE *fp;
	size_t len;
	int err;
	char buf[KS_OUT_SIZE];
};

static const char ks_digits2[] = "00010203040506070809"
				 "10111213141516171819"
				 "20212223242526272829"
				 "30313233343536373839"
				 "40414243444546474849"
				 "50515253545556575859"
				 "60616263646566676869"
				 "70717273747576777879"
				 "80818283848586878889"
				 "90919293949596979899";

/* v in decimal, written backwards to end; returns where it starts */
static char *ks_u64_fmt(char *end, uint64_t v)
{
	while (v >= 100) {
		unsigned int d = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--end = ks_digits2[d + 1];
		*--end = ks_digits2[d];
	}
	if (v >= 10) {
		*--end = ks_digits2[v * 2 + 1];
		*--end = ks_digits2[v * 2];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

/* v in decimal with its sign, written backwards to end */
static char *ks_i64_fmt(char *end, int64_t v)
{
	char *p = ks_u64_fmt(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	return p;
}

/*
 * Nanoseconds as seconds with nine decimals, "0" for 0, written backwards
 * to end: exact where illumos divides a double, as common/outbuf.h does
 */
static char *ks_hrtime_fmt(char *end, int64_t ns)
{
	uint64_t abs = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	uint32_t frac = (uint32_t)(abs % KS_NSEC);
	char *p = end;

	if (ns == 0) {
		*--p = '0';
		return p;
	}
	for (int i = 0; i < KS_NSEC_DIGITS; i++, frac /= 10)
		*--p = (char)('0' + frac % 10);
	*--p = '.';
	p = ks_u64_fmt(p, abs / KS_NSEC);
	if (ns < 0)
		*--p = '-';
	return p;
}

/* The value of a statistic other than a string, as illumos prints it: its length in buf */
static size_t ks_value_fmt(char *buf, const struct ks_nvpair *nv)
{
	char tmp[KS_VALUE_MAX], *end = tmp + sizeof(tmp), *p;
	size_t n;

	switch (nv->data_type) {
	case KSTAT_DATA_CHAR:
		/* "%.*s" of its 16 bytes */
		n = strnlen(nv->value.c, sizeof(nv->value.c));
		memcpy(buf, nv->value.c, n);
		return n;
	case KSTAT_DATA_INT32:
		p = ks_i64_fmt(end, nv->value.i32);
		break;
	case KSTAT_DATA_UINT32:
		p = ks_u64_fmt(end, nv->value.ui32);
		break;
	case KSTAT_DATA_INT64:
		p = ks_i64_fmt(end, nv->value.i64);
		break;
	case KSTAT_DATA_UINT64:
		p = ks_u64_fmt(end, nv->value.ui64);
		break;
	case KS_DATA_HRTIME:
		p = ks_hrtime_fmt(end, nv->value.i64);
		break;
	default:
		return 0;
	}
	n = (size_t)(end - p);
	memcpy(buf, p, n);
	return n;
}

void ks_hrtime_print(FILE *out, int64_t ns)
{
	char tmp[KS_VALUE_MAX], *end = tmp + sizeof(tmp), *p = ks_hrtime_fmt(end, ns);

	fwrite(p, 1, (size_t)(end - p), out);
}

void ks_value_print(FILE *out, const struct ks_nvpair *nv)
{
	char buf[KS_VALUE_MAX];
	size_t n;

	if (nv->data_type == KSTAT_DATA_STRING) {
		fputs(nv->str, out);
		return;
	}
	n = ks_value_fmt(buf, nv);
	fwrite(buf, 1, n, out);
}

/* Write n bytes to the stream, keeping the errno of the first write that fails */
static void ks_out_write(struct ks_out *o, const char *p, size_t n)
{
	if (fwrite(p, 1, n, o->fp) != n && !o->err)
		o->err = errno ? errno : EIO;
}

/* Hand what o holds to the stream */
static void ks_out_flush(struct ks_out *o)
{
	if (o->len)
		ks_out_write(o, o->buf, o->len);
	o->len = 0;
}

/* n bytes at the end of the text */
static void ks_out_put(struct ks_out *o, const char *p, size_t n)
{
	if (KS_OUT_SIZE - o->len < n) {
		ks_out_flush(o);
		if (n > KS_OUT_SIZE) {
			ks_out_write(o, p, n);
			return;
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* One byte at the end of the text */
static void ks_out_putc(struct ks_out *o, char c)
{
	if (o->len == KS_OUT_SIZE)
		ks_out_flush(o);
	o->buf[o->len++] = c;
}

/* A string: copied as far as its NUL, faster than strlen() and a copy for names */
static void ks_out_str(struct ks_out *o, const char *s)
{
	char *p = o->buf + o->len, *end = o->buf + KS_OUT_SIZE;

	for (; *s; s++) {
		if (p == end) {
			o->len = KS_OUT_SIZE;
			ks_out_flush(o);
			p = o->buf;
		}
		*p++ = *s;
	}
	o->len = (size_t)(p - o->buf);
}

/* s as "%-*.*s" prints it: at most prec bytes, padded with spaces to width */
static void ks_out_field(struct ks_out *o, const char *s, size_t prec, size_t width)
{
	size_t n = strnlen(s, prec);

	ks_out_put(o, s, n);
	for (; n < width; n++)
		ks_out_putc(o, ' ');
}

/* A statistic's value */
static void ks_out_value(struct ks_out *o, const struct ks_nvpair *nv)
{
	if (nv->data_type == KSTAT_DATA_STRING) {
		ks_out_str(o, nv->str);
		return;
	}
	if (KS_OUT_SIZE - o->len < KS_VALUE_MAX)
		ks_out_flush(o);
	o->len += ks_value_fmt(o->buf + o->len, nv);
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
	size_t plen = 0;

	if (cfg->pflg) {
		plen = ks_prefix(prefix, ksi);
	} else {
		ks_out_put(o, "module: ", 8);
		ks_out_field(o, ksi->module, KS_DFLT_WIDTH, KS_DFLT_WIDTH);
		ks_out_put(o, "  instance: ", 12);
		ks_out_field(o, ksi->number, SIZE_MAX, 6);
		ks_out_put(o, "\nname:   ", 9);
		ks_out_field(o, ksi->name, KS_DFLT_WIDTH, KS_DFLT_WIDTH);
		ks_out_put(o, "  class:    ", 12);
		ks_out_field(o, ksi->class, KS_DFLT_WIDTH, 0);
		ks_out_putc(o, '\n');
	}
	for (size_t i = 0; i < n; i++) {
		if (cfg->pflg) {
			ks_out_put(o, prefix, plen);
			ks_out_str(o, nv[i]->name);
			if (!cfg->lflg)
				ks_out_putc(o, sep);
		} else {
			ks_out_putc(o, '\t');
			ks_out_field(o, nv[i]->name, SIZE_MAX, KS_DFLT_WIDTH);
			ks_out_put(o, "  ", 2);
		}
		if (!cfg->lflg)
			ks_out_value(o, nv[i]);
		ks_out_putc(o, '\n');
	}
	if (!cfg->pflg)
		ks_out_putc(o, '\n');
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
	struct ks_out *o;

	o = malloc(sizeof(*o));
	if (!o) {
		perror("kstat");
		exit(KS_EXIT_FATAL);
	}
	o->fp = out;
	o->len = 0;
	o->err = 0;
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
				ks_text_kstat(o, cfg, ksi, nv, n);
			first = false;
		}
	}
	ks_out_flush(o);
	if (!cfg->qflg && cfg->jflg)
		fputs("]\n", out);
	ks_stats_free(&stats);
	free(nv);
	if (o->err)
		errno = o->err;
	free(o);
	return matched;
}
