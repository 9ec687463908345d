// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Growable output buffer and the number formats the exporters need:
 * integers without printf, exact decimal scaling (nanoseconds to seconds)
 * and Go's shortest float layout, which Prometheus calls canonical.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hugemem.h"
#include "outbuf.h"

#define OUTBUF_MIN 4096

static const uint64_t pow10_u64[] = {
	1ULL,           10ULL,           100ULL,           1000ULL,      10000ULL,
	100000ULL,      1000000ULL,      10000000ULL,      100000000ULL, 1000000000ULL,
	10000000000ULL, 100000000000ULL, 1000000000000ULL,
};

void outbuf_init(struct outbuf *ob, size_t hint)
{
	ob->buf = NULL;
	ob->len = 0;
	ob->cap = 0;
	ob->failed = false;
	if (hint)
		(void)outbuf_reserve(ob, hint);
}

void outbuf_free(struct outbuf *ob)
{
	hugemem_free(ob->buf);
	ob->buf = NULL;
	ob->len = 0;
	ob->cap = 0;
}

bool outbuf_reserve(struct outbuf *ob, size_t more)
{
	size_t ncap;
	char *nb;

	if (ob->failed)
		return false;
	if (more <= ob->cap - ob->len)
		return true;
	ncap = ob->cap ? ob->cap : OUTBUF_MIN;
	while (ncap - ob->len < more) {
		if (ncap > SIZE_MAX / 2) {
			ob->failed = true;
			return false;
		}
		ncap *= 2;
	}
	nb = hugemem_realloc(ob->buf, ncap);
	if (!nb) {
		ob->failed = true;
		return false;
	}
	ob->buf = nb;
	ob->cap = ncap;
	return true;
}

char *outbuf_take(struct outbuf *ob, size_t *len)
{
	char *b = ob->buf;

	if (ob->failed || !b) {
		outbuf_free(ob);
		*len = 0;
		return NULL;
	}
	*len = ob->len;
	ob->buf = NULL;
	ob->len = 0;
	ob->cap = 0;
	return b;
}

void outbuf_printf(struct outbuf *ob, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ob->buf ? ob->buf + ob->len : NULL, ob->cap - ob->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		ob->failed = true;
		return;
	}
	if ((size_t)n < ob->cap - ob->len) {
		ob->len += (size_t)n;
		return;
	}
	if (!outbuf_reserve(ob, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(ob->buf + ob->len, ob->cap - ob->len, fmt, ap);
	va_end(ap);
	ob->len += (size_t)n;
}

/* Two decimal digits at a time: half the divisions of one at a time */
static const char digits2[] = "00010203040506070809"
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
static char *fmt_u64(char *end, uint64_t v)
{
	while (v >= 100) {
		unsigned int d = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--end = digits2[d + 1];
		*--end = digits2[d];
	}
	if (v >= 10) {
		*--end = digits2[v * 2 + 1];
		*--end = digits2[v * 2];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

void outbuf_u64(struct outbuf *ob, uint64_t v)
{
	char tmp[20], *p = fmt_u64(tmp + sizeof(tmp), v);

	outbuf_put(ob, p, (size_t)(tmp + sizeof(tmp) - p));
}

void outbuf_i64(struct outbuf *ob, int64_t v)
{
	if (v < 0) {
		outbuf_putc(ob, '-');
		outbuf_u64(ob, (uint64_t)0 - (uint64_t)v);
		return;
	}
	outbuf_u64(ob, (uint64_t)v);
}

void outbuf_scaled_u64(struct outbuf *ob, uint64_t v, unsigned int decimals)
{
	uint64_t div, frac;
	char tmp[12];
	unsigned int n;

	if (decimals == 0 || decimals >= sizeof(pow10_u64) / sizeof(pow10_u64[0])) {
		outbuf_u64(ob, v);
		return;
	}
	div = pow10_u64[decimals];
	outbuf_u64(ob, v / div);
	frac = v % div;
	if (!frac)
		return;
	for (n = decimals; n > 0; n--) {
		tmp[n - 1] = (char)('0' + frac % 10);
		frac /= 10;
	}
	n = decimals;
	while (n > 0 && tmp[n - 1] == '0')
		n--;
	outbuf_putc(ob, '.');
	outbuf_put(ob, tmp, n);
}

void outbuf_scaled_i64(struct outbuf *ob, int64_t v, unsigned int decimals)
{
	if (v < 0) {
		outbuf_putc(ob, '-');
		outbuf_scaled_u64(ob, (uint64_t)0 - (uint64_t)v, decimals);
		return;
	}
	outbuf_scaled_u64(ob, (uint64_t)v, decimals);
}

/* "%.*e" of v with p significant digits; true if it reads back as v */
static bool round_trips(double v, int p, char *buf, size_t len)
{
	snprintf(buf, len, "%.*e", p - 1, v);
	return strtod(buf, NULL) == v;
}

size_t outbuf_fmt_double(char *buf, double v)
{
	char e[OUTBUF_DOUBLE_MAX], digits[20];
	int lo = 1, hi = 17, nd = 0, exp, dp;
	char *p = buf, *q;

	if (isnan(v))
		return (size_t)sprintf(buf, "NaN");
	if (isinf(v))
		return (size_t)sprintf(buf, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return (size_t)sprintf(buf, signbit(v) ? "-0" : "0");

	/* round-tripping only gets easier with more digits: bisect */
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (round_trips(v, mid, e, sizeof(e)))
			hi = mid;
		else
			lo = mid + 1;
	}
	round_trips(v, lo, e, sizeof(e));

	q = e;
	if (*q == '-') {
		*p++ = '-';
		q++;
	}
	for (; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9')
			digits[nd++] = *q;
	exp = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;

	if (exp < -4 || exp >= 6) {
		*p++ = digits[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, digits + 1, (size_t)nd - 1);
			p += nd - 1;
		}
		p += sprintf(p, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return (size_t)(p - buf);
	}
	dp = exp + 1;
	if (dp <= 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -dp; i++)
			*p++ = '0';
		memcpy(p, digits, (size_t)nd);
		p += nd;
	} else if (dp >= nd) {
		memcpy(p, digits, (size_t)nd);
		p += nd;
		for (int i = nd; i < dp; i++)
			*p++ = '0';
	} else {
		memcpy(p, digits, (size_t)dp);
		p += dp;
		*p++ = '.';
		memcpy(p, digits + dp, (size_t)(nd - dp));
		p += nd - dp;
	}
	*p = '\0';
	return (size_t)(p - buf);
}

void outbuf_hrtime(struct outbuf *ob, int64_t ns)
{
	uint64_t abs = ns < 0 ? -(uint64_t)ns : (uint64_t)ns, frac = abs % 1000000000;
	char tmp[32], *end = tmp + sizeof(tmp), *p = end;

	if (ns == 0) {
		outbuf_putc(ob, '0');
		return;
	}
	for (int i = 0; i < 9; i++, frac /= 10)
		*--p = (char)('0' + frac % 10);
	*--p = '.';
	p = fmt_u64(p, abs / 1000000000);
	if (ns < 0)
		*--p = '-';
	outbuf_put(ob, p, (size_t)(end - p));
}

void outbuf_double(struct outbuf *ob, double v)
{
	char tmp[OUTBUF_DOUBLE_MAX];
	size_t n = outbuf_fmt_double(tmp, v);

	outbuf_put(ob, tmp, n);
}

size_t outbuf_utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}
