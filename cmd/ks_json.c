// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstat -j: the layout of illumos kstat's JSON, byte for byte, through an
 * escaping writer.  Where illumos writes invalid JSON we do not follow:
 * it escapes '?' as "\?", prints CHAR values unquoted, puts a comma after
 * the last statistic when -s or an operand leaves out the kstat's last
 * one, and starts a second interval's array with "[, {".  Here every
 * string is a JSON string (valid UTF-8 kept, control characters escaped,
 * a byte that is not UTF-8 becomes U+FFFD) and every report is an array
 * of its own.
 */
#include <stdint.h>

#include "ks.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid */
static size_t ks_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* s as a JSON string, stopping at len bytes or a NUL */
void ks_json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', out);
	while (i < len && p[i]) {
		size_t n = ks_utf8_len(p + i, len - i);

		if (n == 0) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		if (n > 1) {
			fwrite(p + i, 1, n, out);
			i += n;
			continue;
		}
		switch (p[i]) {
		case '"':
		case '\\':
			fputc('\\', out);
			fputc(p[i], out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f)
				fprintf(out, "\\u%04x", p[i]);
			else
				fputc(p[i], out);
		}
		i++;
	}
	fputc('"', out);
}

/* A statistic's value as JSON: strings and chars quoted, numbers bare */
static void ks_json_value(FILE *out, const struct ks_nvpair *nv)
{
	if (nv->data_type == KSTAT_DATA_STRING)
		ks_json_string(out, nv->str, SIZE_MAX);
	else if (nv->data_type == KSTAT_DATA_CHAR)
		ks_json_string(out, nv->value.c, sizeof(nv->value.c));
	else
		ks_value_print(out, nv);
}

/*
 * One kstat object of a -j report; all but the first follow ", ".  The
 * header's snaptime is the one the chain had before this report's read,
 * as in illumos; data's snaptime is the read's.
 */
void ks_json_kstat(FILE *out, const struct ks_instance *ksi, const struct ks_nvpair *const *nv,
		   size_t n, bool first)
{
	if (!first)
		fputs(", ", out);
	fputs("{\n\t\"module\": ", out);
	ks_json_string(out, ksi->module, SIZE_MAX);
	fprintf(out, ",\n\t\"instance\": %d,\n\t\"name\": ", ksi->instance);
	ks_json_string(out, ksi->name, SIZE_MAX);
	fputs(",\n\t\"class\": ", out);
	ks_json_string(out, ksi->class, SIZE_MAX);
	fprintf(out, ",\n\t\"type\": %d,\n\t\"snaptime\": ", ksi->type);
	ks_hrtime_print(out, ksi->snaptime);
	fputs(",\n\t\"data\": {\n", out);
	for (size_t i = 0; i < n; i++) {
		fputs("\t\t", out);
		ks_json_string(out, nv[i]->name, SIZE_MAX);
		fputs(": ", out);
		ks_json_value(out, nv[i]);
		fputs(i + 1 < n ? ",\n" : "\n", out);
	}
	fputs("\t}\n}", out);
}
