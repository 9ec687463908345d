// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target for content negotiation: the input is an Accept value,
 * then after the first newline an Accept-Encoding value, each given to
 * the parser as libmicrohttpd would (a NUL-terminated string of exactly
 * its length, so that ASan sees any read past it).
 */
#include <stdlib.h>
#include <string.h>

#include "http_neg.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char *dup_bytes(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const unsigned char *nl = memchr(data, '\n', size);
	size_t alen = nl ? (size_t)(nl - data) : size;
	char *accept = dup_bytes(data, alen);
	char *enc = nl ? dup_bytes(nl + 1, size - alen - 1) : NULL;
	enum prom_format f = http_neg_format(accept);

	if (f != PROM_FMT_TEXT && f != PROM_FMT_OPENMETRICS)
		abort();
	/* a header that does not mention openmetrics never gets it */
	if (f == PROM_FMT_OPENMETRICS && !strcasestr(accept, "openmetrics"))
		abort();
	if (http_neg_gzip(enc) && !strcasestr(enc, "gzip"))
		abort();
	free(accept);
	free(enc);
	return 0;
}
