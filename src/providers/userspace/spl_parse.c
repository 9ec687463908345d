// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * SPL kstat text back into kstat data.  The text comes from a directory
 * an administrator names, so it is checked as input: every number must
 * parse whole and fit its type, every line its format, or the file is
 * refused (-EINVAL) rather than served half-read.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/snapshot.h"
#include "spl_parse.h"

#define LINE_MAX_LEN 4096
#define SPL_NTYPES 8 /* SPL's data types 0..7 */

/* SPL's data types as illumos numbers them (LONG and ULONG: a 64-bit kernel's) */
static const uchar_t spl_to_illumos[SPL_NTYPES] = {
	KSTAT_DATA_CHAR,   KSTAT_DATA_INT32, KSTAT_DATA_UINT32, KSTAT_DATA_INT64,
	KSTAT_DATA_UINT64, KS_DATA_KLONG,    KS_DATA_KULONG,    KSTAT_DATA_STRING,
};

struct cursor {
	const char *p, *end;
	char line[LINE_MAX_LEN];
	size_t len;
};

/* The next line into c->line, NUL-terminated; false at the end or if too long */
static bool next_line(struct cursor *c, bool *too_long)
{
	const char *nl;

	*too_long = false;
	if (c->p >= c->end)
		return false;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	c->len = (size_t)((nl ? nl : c->end) - c->p);
	if (c->len >= sizeof(c->line)) {
		*too_long = true;
		return false;
	}
	memcpy(c->line, c->p, c->len);
	c->line[c->len] = '\0';
	c->p = nl ? nl + 1 : c->end;
	return true;
}

static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* The whitespace-separated words of line are exactly those of want */
static bool words_are(const char *line, const char *want)
{
	for (;;) {
		size_t lw, ww;

		while (isspace((unsigned char)*line))
			line++;
		while (*want == ' ')
			want++;
		if (!*line || !*want)
			return !*line && !*want;
		lw = strcspn(line, " \t\r");
		ww = strcspn(want, " ");
		if (lw != ww || strncmp(line, want, lw) != 0)
			return false;
		line += lw;
		want += ww;
	}
}

/* Unsigned decimal number at *s, whole up to whitespace; advances *s */
static bool take_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	errno = 0;
	*v = strtoull(p, &end, 10);
	if (errno || (*end && !isspace((unsigned char)*end)))
		return false;
	*s = end;
	return true;
}

static bool take_i64(const char **s, int64_t *v)
{
	const char *p = *s;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p) && !(*p == '-' && isdigit((unsigned char)p[1])))
		return false;
	errno = 0;
	*v = strtoll(p, &end, 10);
	if (errno || (*end && !isspace((unsigned char)*end)))
		return false;
	*s = end;
	return true;
}

/* A word at *s, at most max bytes (longer ones are reported, not copied) */
static size_t take_word(const char **s, char *out, size_t max, size_t *len)
{
	const char *p = *s;

	while (isspace((unsigned char)*p))
		p++;
	*len = strcspn(p, " \t\r");
	if (*len && *len <= max) {
		memcpy(out, p, *len);
		out[*len] = '\0';
	}
	*s = p + *len;
	return *len;
}

/* Records parsed, before they are packed into one buffer */
struct acc {
	kstat_named_t *kn;
	char **str; /* each STRING record's text */
	uint_t n, cap;
	size_t strbytes;
};

static int acc_push(struct acc *a, const kstat_named_t *kn, const char *str)
{
	if (a->n == a->cap) {
		uint_t cap = a->cap ? a->cap * 2 : 64;
		kstat_named_t *nk = realloc(a->kn, cap * sizeof(*nk));
		char **ns = nk ? realloc(a->str, cap * sizeof(*ns)) : NULL;

		if (nk)
			a->kn = nk;
		if (!nk || !ns)
			return -ENOMEM;
		a->str = ns;
		a->cap = cap;
	}
	a->kn[a->n] = *kn;
	a->str[a->n] = str ? strdup(str) : NULL;
	if (str && !a->str[a->n])
		return -ENOMEM;
	a->strbytes += str ? strlen(str) + 1 : 0;
	a->n++;
	return 0;
}

static void acc_free(struct acc *a)
{
	for (uint_t i = 0; i < a->n; i++)
		free(a->str[i]);
	free(a->kn);
	free(a->str);
}

/* One "name type value" row; 1 if its name is too long for illumos, 0, or -EINVAL */
static int named_row(const char *line, kstat_named_t *kn, char *str, size_t strmax)
{
	const char *p = line, *digits;
	size_t len, ndig;
	uint64_t t, u;
	int64_t i;
	int too_long;

	memset(kn, 0, sizeof(*kn));
	str[0] = '\0';
	if (!take_word(&p, kn->name, KSTAT_STRLEN - 1, &len))
		return -EINVAL;
	too_long = len > KSTAT_STRLEN - 1;
	while (*p == ' ')
		p++;
	digits = p;
	if (!take_u64(&p, &t) || t >= SPL_NTYPES)
		return -EINVAL;
	kn->data_type = spl_to_illumos[t];
	ndig = (size_t)(p - digits);
	/* "%-4d ": the type padded to four, then one space, then the value */
	for (size_t pad = ndig; pad < 4 && *p == ' '; pad++)
		p++;
	if (*p == ' ')
		p++;
	switch (t) {
	case 0: /* "%-16s" of c[16] */
		len = strlen(p);
		while (len && p[len - 1] == ' ')
			len--;
		if (len >= sizeof(kn->value.c))
			return -EINVAL;
		memcpy(kn->value.c, p, len);
		break;
	case 1:
	case 3:
	case 5:
		if (!take_i64(&p, &i) || (t == 1 && (i < INT32_MIN || i > INT32_MAX)))
			return -EINVAL;
		if (t == 1)
			kn->value.i32 = (int32_t)i;
		else
			kn->value.i64 = i;
		break;
	case 2:
	case 4:
	case 6:
		if (!take_u64(&p, &u) || (t == 2 && u > UINT32_MAX))
			return -EINVAL;
		if (t == 2)
			kn->value.ui32 = (uint32_t)u;
		else
			kn->value.ui64 = u;
		break;
	case 7:
		len = strlen(p);
		while (len && p[len - 1] == '\r')
			len--;
		if (len >= strmax)
			return -EINVAL;
		memcpy(str, p, len);
		str[len] = '\0';
		return too_long;
	}
	if (t != 0 && !blank(p))
		return -EINVAL;
	return too_long;
}

static int parse_named(struct cursor *c, struct spl_kstat *out)
{
	struct acc a = {};
	char str[LINE_MAX_LEN];
	kstat_named_t kn;
	bool too_long;
	char *buf, *sp;
	int err = 0;

	if (!next_line(c, &too_long) || !words_are(c->line, "name type data"))
		return -EINVAL;
	while (!err && next_line(c, &too_long)) {
		int r;

		if (blank(c->line))
			continue;
		r = named_row(c->line, &kn, str, sizeof(str));
		if (r < 0)
			err = r;
		else if (r > 0)
			out->skipped++;
		else
			err = acc_push(&a, &kn, kn.data_type == KSTAT_DATA_STRING ? str : NULL);
	}
	if (!err && too_long)
		err = -EINVAL;
	if (err)
		goto out_free;
	out->ndata = a.n;
	out->size = a.n * sizeof(kstat_named_t) + a.strbytes;
	buf = malloc(out->size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_free;
	}
	memcpy(buf, a.kn, a.n * sizeof(kstat_named_t));
	sp = buf + a.n * sizeof(kstat_named_t);
	for (uint_t i = 0; i < a.n; i++) {
		kstat_named_t *k = (kstat_named_t *)buf + i;

		if (!a.str[i])
			continue;
		strcpy(sp, a.str[i]);
		snap_named_setstr(k, sp);
		sp += strlen(sp) + 1;
	}
	out->data = buf;
out_free:
	acc_free(&a);
	return err;
}

static int parse_numbers(struct cursor *c, const char *header, uint64_t *v, int n)
{
	const char *p;
	bool too_long;

	if (!next_line(c, &too_long) || !words_are(c->line, header))
		return -EINVAL;
	if (!next_line(c, &too_long))
		return -EINVAL;
	p = c->line;
	for (int i = 0; i < n; i++)
		if (!take_u64(&p, &v[i]))
			return -EINVAL;
	return blank(p) ? 0 : -EINVAL;
}

static int parse_io(struct cursor *c, struct spl_kstat *out)
{
	uint64_t v[12];
	kstat_io_t *io;
	int err = parse_numbers(c,
				"nread nwritten reads writes wtime wlentime wupdate rtime "
				"rlentime rupdate wcnt rcnt",
				v, 12);

	if (err)
		return err;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->nread = v[0];
	io->nwritten = v[1];
	io->reads = (uint_t)v[2];
	io->writes = (uint_t)v[3];
	io->wtime = (hrtime_t)v[4];
	io->wlentime = (hrtime_t)v[5];
	io->wlastupdate = (hrtime_t)v[6];
	io->rtime = (hrtime_t)v[7];
	io->rlentime = (hrtime_t)v[8];
	io->rlastupdate = (hrtime_t)v[9];
	io->wcnt = (uint_t)v[10];
	io->rcnt = (uint_t)v[11];
	out->data = io;
	out->ndata = 1;
	out->size = sizeof(*io);
	return 0;
}

static int parse_intr(struct cursor *c, struct spl_kstat *out)
{
	uint64_t v[KSTAT_NUM_INTRS];
	kstat_intr_t *ki;
	int err = parse_numbers(c, "hard soft watchdog spurious multsvc", v, KSTAT_NUM_INTRS);

	if (err)
		return err;
	ki = calloc(1, sizeof(*ki));
	if (!ki)
		return -ENOMEM;
	for (int i = 0; i < KSTAT_NUM_INTRS; i++)
		ki->intrs[i] = (uint_t)v[i];
	out->data = ki;
	out->ndata = 1;
	out->size = sizeof(*ki);
	return 0;
}

static int parse_timer(struct cursor *c, struct spl_kstat *out)
{
	kstat_timer_t *t = NULL, *nt;
	uint_t n = 0, cap = 0;
	bool too_long;

	if (!next_line(c, &too_long) ||
	    !words_are(c->line, "name events elapsed min max start stop"))
		return -EINVAL;
	while (next_line(c, &too_long)) {
		const char *p = c->line;
		uint64_t v[6];
		kstat_timer_t kt = {};
		size_t len;

		if (blank(p))
			continue;
		if (!take_word(&p, kt.name, KSTAT_STRLEN - 1, &len))
			goto err_inval;
		for (int i = 0; i < 6; i++)
			if (!take_u64(&p, &v[i]))
				goto err_inval;
		if (!blank(p))
			goto err_inval;
		if (len > KSTAT_STRLEN - 1) {
			out->skipped++;
			continue;
		}
		kt.num_events = v[0];
		kt.elapsed_time = (hrtime_t)v[1];
		kt.min_time = (hrtime_t)v[2];
		kt.max_time = (hrtime_t)v[3];
		kt.start_time = (hrtime_t)v[4];
		kt.stop_time = (hrtime_t)v[5];
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nt = realloc(t, cap * sizeof(*t));
			if (!nt) {
				free(t);
				return -ENOMEM;
			}
			t = nt;
		}
		t[n++] = kt;
	}
	if (too_long)
		goto err_inval;
	out->data = t ? t : calloc(1, 1);
	out->ndata = n;
	out->size = n * sizeof(*t);
	return out->data ? 0 : -ENOMEM;

err_inval:
	free(t);
	return -EINVAL;
}

/* "raw data" and a hex dump ("%03x:" then " %02x" per byte, 16 a line) */
static int parse_hexdump(struct cursor *c, struct spl_kstat *out)
{
	size_t max = (size_t)(c->end - c->p) / 3 + 1, n = 0;
	unsigned char *b = malloc(max);
	bool too_long;

	if (!b)
		return -ENOMEM;
	while (next_line(c, &too_long)) {
		const char *p = c->line;
		unsigned int off, byte;
		int used;

		if (blank(p))
			continue;
		if (sscanf(p, "%x:%n", &off, &used) != 1 || (size_t)off * 16 != n)
			goto err_inval;
		for (p += used; *p;) {
			if (*p != ' ' || sscanf(p, " %2x%n", &byte, &used) != 1 || used != 3 ||
			    n >= max)
				goto err_inval;
			b[n++] = (unsigned char)byte;
			p += used;
		}
	}
	if (too_long)
		goto err_inval;
	out->data = b;
	out->ndata = (uint_t)n;
	out->size = n;
	return 0;

err_inval:
	free(b);
	return -EINVAL;
}

/* The rest of the text as it is: a RAW kstat that prints its own text */
static int raw_text(const char *p, const char *end, struct spl_kstat *out)
{
	size_t n = (size_t)(end - p);

	if (n > UINT_MAX)
		return -EINVAL;
	out->data = malloc(n + 1);
	if (!out->data)
		return -ENOMEM;
	memcpy(out->data, p, n);
	out->ndata = (uint_t)n;
	out->size = n;
	return 0;
}

int spl_parse(const char *text, size_t len, struct spl_kstat *out)
{
	struct cursor *c = malloc(sizeof(*c));
	long long crtime, snaptime;
	int kid, type, ndata, size, used = -1, err;
	unsigned int flags;
	bool too_long;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -ENOMEM;
	c->p = text;
	c->end = text + len;
	if (!next_line(c, &too_long) ||
	    sscanf(c->line, "%d %d 0x%x %d %d %lld %lld%n", &kid, &type, &flags, &ndata, &size,
		   &crtime, &snaptime, &used) != 7 ||
	    !blank(c->line + used)) {
		/* no kstat header: text of its own (KSTAT_FLAG_NO_HEADERS) */
		out->type = KSTAT_TYPE_RAW;
		err = raw_text(text, text + len, out);
		goto out;
	}
	out->headers = true;
	out->crtime = crtime > 0 ? crtime : 0;
	out->type = (uchar_t)type;
	switch (type) {
	case KSTAT_TYPE_NAMED:
		err = parse_named(c, out);
		break;
	case KSTAT_TYPE_INTR:
		err = parse_intr(c, out);
		break;
	case KSTAT_TYPE_IO:
		err = parse_io(c, out);
		break;
	case KSTAT_TYPE_TIMER:
		err = parse_timer(c, out);
		break;
	case KSTAT_TYPE_RAW: {
		const char *body = c->p;

		if (next_line(c, &too_long) && words_are(c->line, "raw data"))
			err = parse_hexdump(c, out);
		else
			err = raw_text(body, c->end, out);
		break;
	}
	default:
		err = -EINVAL;
	}
out:
	free(c);
	if (err)
		spl_kstat_free(out);
	return err;
}

bool spl_same_shape(const struct spl_kstat *a, const struct spl_kstat *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case KSTAT_TYPE_NAMED:
		if (a->ndata != b->ndata)
			return false;
		for (uint_t i = 0; i < a->ndata; i++) {
			const kstat_named_t *x = (const kstat_named_t *)a->data + i;
			const kstat_named_t *y = (const kstat_named_t *)b->data + i;

			if (x->data_type != y->data_type || strcmp(x->name, y->name) != 0)
				return false;
		}
		return true;
	case KSTAT_TYPE_TIMER:
		if (a->ndata != b->ndata)
			return false;
		for (uint_t i = 0; i < a->ndata; i++)
			if (strcmp(((const kstat_timer_t *)a->data)[i].name,
				   ((const kstat_timer_t *)b->data)[i].name) != 0)
				return false;
		return true;
	default:
		/* RAW sizes vary by nature; INTR and IO have one record */
		return true;
	}
}

void spl_kstat_free(struct spl_kstat *k)
{
	if (!k)
		return;
	free(k->data);
	memset(k, 0, sizeof(*k));
}
