// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Accept and Accept-Encoding, as RFC 9110 writes them: comma-separated
 * elements, each a value and ;-separated parameters, q between 0 and 1
 * with at most three decimals.  Prometheus 2 asks for
 *   application/openmetrics-text;version=1.0.0,application/openmetrics-text;
 *   version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5
 * and any type at q=0.1; Prometheus 3 adds escaping= parameters and
 * text/plain;version=1.0.0.
 * Only the two formats kstatd writes can win; OpenMetrics 0.0.1 and text
 * 1.0.0 are passed over.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_neg.h"

#define ELEM_MAX 256

struct elem {
	char value[ELEM_MAX]; /* lower case, without spaces */
	char version[32];
	int q; /* thousandths; -1 when malformed */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 lets lists hold empty elements: "a, , b" */
static bool blank(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p == end;
}

/* q is 0, 1, 0.d, 0.dd, 0.ddd or 1.000 (RFC 9110 12.4.2); -1 otherwise */
static int parse_q(const char *s, size_t n)
{
	int q, scale = 100;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* Parse the element in [p, end); false if it is malformed */
static bool parse_elem(const char *p, const char *end, struct elem *e)
{
	const char *semi;
	size_t n;

	e->value[0] = '\0';
	e->version[0] = '\0';
	e->q = 1000;
	while (p < end && is_space(*p))
		p++;
	semi = memchr(p, ';', (size_t)(end - p));
	if (!semi)
		semi = end;
	n = (size_t)(semi - p);
	while (n && is_space(p[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(e->value))
		return false;
	for (size_t i = 0; i < n; i++)
		e->value[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
	e->value[n] = '\0';

	for (p = semi; p < end;) {
		const char *k, *v, *next;
		size_t kl, vl;

		p++; /* the ';' */
		next = memchr(p, ';', (size_t)(end - p));
		if (!next)
			next = end;
		while (p < next && is_space(*p))
			p++;
		k = p;
		v = memchr(k, '=', (size_t)(next - k));
		if (!v)
			return false;
		kl = (size_t)(v - k);
		while (kl && is_space(k[kl - 1]))
			kl--;
		v++;
		while (v < next && is_space(*v))
			v++;
		vl = (size_t)(next - v);
		while (vl && is_space(v[vl - 1]))
			vl--;
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v++;
			vl -= 2;
		}
		if (kl == 1 && (k[0] == 'q' || k[0] == 'Q')) {
			e->q = parse_q(v, vl);
			if (e->q < 0)
				return false;
		} else if (kl == 7 && strncasecmp(k, "version", 7) == 0) {
			if (vl >= sizeof(e->version))
				return false;
			memcpy(e->version, v, vl);
			e->version[vl] = '\0';
		}
		p = next;
	}
	return true;
}

enum prom_format http_neg_format(const char *accept)
{
	enum prom_format best = PROM_FMT_TEXT;
	int best_q = 0;
	const char *p = accept;

	if (!accept)
		return PROM_FMT_TEXT;
	while (*p) {
		const char *end = strchr(p, ',');
		enum prom_format fmt;
		struct elem e;

		if (!end)
			end = p + strlen(p);
		if (blank(p, end)) {
			p = *end ? end + 1 : end;
			continue;
		}
		if (!parse_elem(p, end, &e))
			return PROM_FMT_TEXT;
		p = *end ? end + 1 : end;
		if (strcmp(e.value, "application/openmetrics-text") == 0 &&
		    (!e.version[0] || strcmp(e.version, "1.0.0") == 0))
			fmt = PROM_FMT_OPENMETRICS;
		else if ((strcmp(e.value, "text/plain") == 0 &&
			  (!e.version[0] || strcmp(e.version, "0.0.4") == 0)) ||
			 strcmp(e.value, "text/*") == 0 || strcmp(e.value, "*/*") == 0)
			fmt = PROM_FMT_TEXT;
		else
			continue;
		if (e.q > best_q) {
			best = fmt;
			best_q = e.q;
		}
	}
	return best;
}

bool http_neg_gzip(const char *accept_encoding)
{
	const char *p = accept_encoding;

	if (!p)
		return false;
	while (*p) {
		const char *end = strchr(p, ',');
		struct elem e;

		if (!end)
			end = p + strlen(p);
		if (parse_elem(p, end, &e) && e.q > 0 &&
		    (strcmp(e.value, "gzip") == 0 || strcmp(e.value, "x-gzip") == 0))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}
