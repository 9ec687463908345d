/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A growable output buffer for the HTTP renderers: appends never fail
 * one by one; the first allocation failure makes the buffer sticky-bad
 * (outbuf_failed()), so a renderer checks once at the end.  The bytes are
 * handed to libmicrohttpd with outbuf_take(), without another copy.
 */
#ifndef __KSTATD_OUTBUF_H
#define __KSTATD_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct outbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool failed; /* an append could not allocate: the content is incomplete */
};

/* Longest text outbuf_double() and outbuf_fmt_double() write, with the NUL */
#define OUTBUF_DOUBLE_MAX 32

/* Start empty with room for hint bytes (0: allocate on first append). */
void outbuf_init(struct outbuf *ob, size_t hint);
void outbuf_free(struct outbuf *ob);
/* Make room for more bytes; false (and failed set) if it cannot. */
bool outbuf_reserve(struct outbuf *ob, size_t more);
/*
 * Hand the bytes over, to be freed with hugemem_free(); *len gets their
 * count.  NULL if failed.  A buffer of megabytes is a mapping of its own
 * in huge pages (common/hugemem.h), not malloc's.
 */
char *outbuf_take(struct outbuf *ob, size_t *len);

/* Appends, inline while there is room: a renderer makes millions of them */
static inline void outbuf_put(struct outbuf *ob, const void *p, size_t n)
{
	if (n == 0 || (ob->cap - ob->len < n && !outbuf_reserve(ob, n)))
		return;
	memcpy(ob->buf + ob->len, p, n);
	ob->len += n;
}

static inline void outbuf_puts(struct outbuf *ob, const char *s)
{
	outbuf_put(ob, s, strlen(s));
}

static inline void outbuf_putc(struct outbuf *ob, char c)
{
	if (ob->len == ob->cap && !outbuf_reserve(ob, 1))
		return;
	ob->buf[ob->len++] = c;
}
void outbuf_printf(struct outbuf *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void outbuf_u64(struct outbuf *ob, uint64_t v);
void outbuf_i64(struct outbuf *ob, int64_t v);

/*
 * v / 10^decimals written exactly in decimal, trailing zeros dropped:
 * 1500000000 with 9 decimals is "1.5", 2000000000 is "2".  Nanoseconds
 * become seconds without a rounding step.
 */
void outbuf_scaled_u64(struct outbuf *ob, uint64_t v, unsigned int decimals);
void outbuf_scaled_i64(struct outbuf *ob, int64_t v, unsigned int decimals);

/*
 * Nanoseconds as kstat(1M) prints crtime and snaptime: seconds with all
 * nine decimals, "0" for 0.  illumos divides a double, which rounds the
 * last digit once the value passes 2^52 ns (52 days); this is exact.
 */
void outbuf_hrtime(struct outbuf *ob, int64_t ns);

/*
 * The shortest text that reads back as v, laid out as Go's
 * strconv.FormatFloat(v, 'g', -1, 64) does (an exponent when the decimal
 * exponent is below -4 or 6 and more), which Prometheus and OpenMetrics
 * treat as canonical: 1e-05, 0.001, 100000, 1e+06, +Inf, -Inf, NaN.
 * Returns the length written to buf (at least OUTBUF_DOUBLE_MAX bytes).
 */
size_t outbuf_fmt_double(char *buf, double v);
void outbuf_double(struct outbuf *ob, double v);

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 if the
 * bytes there are not one (overlong, surrogate, truncated, beyond U+10FFFF).
 */
size_t outbuf_utf8_seq(const unsigned char *p, size_t n);

#endif /* __KSTATD_OUTBUF_H */
