// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Where illumos kstat writes invalid JSON we do not follow: it escapes
 * '?' as "\?", prints CHAR values unquoted and raw bytes as they are.
 */
#include <string.h>

#include "jsonw.h"
#include "outbuf.h"

void jsonw_string(struct outbuf *ob, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	outbuf_putc(ob, '"');
	while (n) {
		size_t seq, run = 0;

		/* the plain bytes up to the next one to escape, at once */
		while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
		       p[run] != '\\')
			run++;
		if (run) {
			outbuf_put(ob, p, run);
			p += run;
			n -= run;
			continue;
		}
		seq = outbuf_utf8_seq(p, n);
		if (seq == 0) {
			outbuf_puts(ob, "\\ufffd");
			seq = 1;
		} else if (*p == '"' || *p == '\\') {
			outbuf_putc(ob, '\\');
			outbuf_putc(ob, (char)*p);
		} else if (*p == '\n') {
			outbuf_puts(ob, "\\n");
		} else if (*p == '\t') {
			outbuf_puts(ob, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			outbuf_printf(ob, "\\u%04x", *p);
		} else {
			outbuf_put(ob, p, seq);
		}
		p += seq;
		n -= seq;
	}
	outbuf_putc(ob, '"');
}

void jsonw_kstat_begin(struct outbuf *ob, const char *module, int instance, const char *name,
		       const char *ks_class, int type, int64_t snaptime)
{
	outbuf_puts(ob, "{\n\t\"module\": ");
	jsonw_string(ob, module, SIZE_MAX);
	outbuf_puts(ob, ",\n\t\"instance\": ");
	outbuf_i64(ob, instance);
	outbuf_puts(ob, ",\n\t\"name\": ");
	jsonw_string(ob, name, SIZE_MAX);
	outbuf_puts(ob, ",\n\t\"class\": ");
	jsonw_string(ob, ks_class, SIZE_MAX);
	outbuf_puts(ob, ",\n\t\"type\": ");
	outbuf_i64(ob, type);
	outbuf_puts(ob, ",\n\t\"snaptime\": ");
	outbuf_hrtime(ob, snaptime);
	outbuf_puts(ob, ",\n\t\"data\": {\n");
}

void jsonw_stat(struct outbuf *ob, const char *name, size_t i)
{
	outbuf_puts(ob, i ? ",\n\t\t" : "\t\t");
	jsonw_string(ob, name, SIZE_MAX);
	outbuf_put(ob, ": ", 2);
}

void jsonw_kstat_end(struct outbuf *ob, size_t n)
{
	outbuf_puts(ob, n ? "\n\t}\n}" : "\t}\n}");
}
