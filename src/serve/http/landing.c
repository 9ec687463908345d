// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The landing page: links to the telemetry path and /kstat, the providers
 * (from their kstatd:0:<provider> kstats), the modules with per-module
 * scrape links, and every kstat.  Everything that comes from a kstat is
 * HTML-escaped, and URL-encoded inside links.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/outbuf.h"
#include "engine/snapshot.h"
#include "landing.h"

#define MAX_MODULES 256

struct module_row {
	char name[KSTAT_STRLEN];
	unsigned int kstats;
};

struct landing {
	struct outbuf provs, rows;
	struct module_row mods[MAX_MODULES];
	size_t nmods;
	unsigned int nkstats;
};

static const char *const type_names[KSTAT_NUM_TYPES] = { "raw", "named", "intr", "io", "timer" };

static void put_html(struct outbuf *ob, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	while (n) {
		size_t seq = outbuf_utf8_seq(p, n);

		if (seq == 0) {
			outbuf_puts(ob, "&#xfffd;");
			seq = 1;
		} else if (*p == '<') {
			outbuf_puts(ob, "&lt;");
		} else if (*p == '>') {
			outbuf_puts(ob, "&gt;");
		} else if (*p == '&') {
			outbuf_puts(ob, "&amp;");
		} else if (*p == '"') {
			outbuf_puts(ob, "&quot;");
		} else if (*p == '\'') {
			outbuf_puts(ob, "&#39;");
		} else {
			outbuf_put(ob, p, seq);
		}
		p += seq;
		n -= seq;
	}
}

/* Percent-encode all but the unreserved characters of RFC 3986 */
static void put_url(struct outbuf *ob, const char *s, size_t max)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strnlen(s, max);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			outbuf_putc(ob, (char)c);
		} else {
			outbuf_putc(ob, '%');
			outbuf_putc(ob, hex[c >> 4]);
			outbuf_putc(ob, hex[c & 15]);
		}
	}
}

static void note_module(struct landing *l, const char *module)
{
	for (size_t i = 0; i < l->nmods; i++) {
		if (strcmp(l->mods[i].name, module) == 0) {
			l->mods[i].kstats++;
			return;
		}
	}
	if (l->nmods == MAX_MODULES)
		return;
	snprintf(l->mods[l->nmods].name, KSTAT_STRLEN, "%s", module);
	l->mods[l->nmods++].kstats = 1;
}

static bool want(const kstat_t *hdr, void *arg)
{
	struct landing *l = arg;
	struct outbuf *ob = &l->rows;

	if (strcmp(hdr->ks_class, "kstat") == 0)
		return false;
	note_module(l, hdr->ks_module);
	l->nkstats++;
	outbuf_puts(ob, "<tr><td><a href=\"/kstat?module=");
	put_url(ob, hdr->ks_module, KSTAT_STRLEN);
	outbuf_printf(ob, "&amp;instance=%d&amp;name=", hdr->ks_instance);
	put_url(ob, hdr->ks_name, KSTAT_STRLEN);
	outbuf_puts(ob, "\">");
	put_html(ob, hdr->ks_module, KSTAT_STRLEN);
	outbuf_printf(ob, ":%d:", hdr->ks_instance);
	put_html(ob, hdr->ks_name, KSTAT_STRLEN);
	outbuf_puts(ob, "</a></td><td>");
	put_html(ob, hdr->ks_class, KSTAT_STRLEN);
	outbuf_printf(ob, "</td><td>%s</td></tr>\n",
		      hdr->ks_type < KSTAT_NUM_TYPES ? type_names[hdr->ks_type] : "?");
	return strcmp(hdr->ks_module, "kstatd") == 0 && strcmp(hdr->ks_class, "provider") == 0;
}

static uint64_t stat_u64(const kstat_t *ks, const char *name)
{
	const kstat_named_t *kn = ks->ks_data;

	for (uint_t i = 0; i < ks->ks_ndata; i++) {
		if (strcmp(kn[i].name, name) != 0)
			continue;
		return kn[i].data_type == KSTAT_DATA_UINT32 ? kn[i].value.ui32 : kn[i].value.ui64;
	}
	return 0;
}

static int emit(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct landing *l = arg;
	struct outbuf *ob = &l->provs;

	(void)meta;
	if (ks->ks_type != KSTAT_TYPE_NAMED)
		return 0;
	outbuf_puts(ob, "<tr><td><a href=\"/kstat?module=kstatd&amp;name=");
	put_url(ob, ks->ks_name, KSTAT_STRLEN);
	outbuf_puts(ob, "\">");
	put_html(ob, ks->ks_name, KSTAT_STRLEN);
	outbuf_printf(ob,
		      "</a></td><td>%s</td><td>%llu</td><td>%llu</td><td>%llu</td>"
		      "<td>%llu</td></tr>\n",
		      stat_u64(ks, "attached") ? "yes" : "no",
		      (unsigned long long)stat_u64(ks, "kstats"),
		      (unsigned long long)stat_u64(ks, "programs"),
		      (unsigned long long)stat_u64(ks, "run_count"),
		      (unsigned long long)stat_u64(ks, "map_drops"));
	return ob->failed ? -ENOMEM : 0;
}

int landing_render(struct snap *s, const struct landing_info *li, struct outbuf *ob)
{
	struct landing l = { .nmods = 0 };
	int ret;

	outbuf_init(&l.provs, 0);
	outbuf_init(&l.rows, 0);
	ret = snap_walk(s, want, emit, &l);
	if (ret < 0)
		goto free_parts;

	outbuf_puts(ob, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<title>kstatd</title>\n</head>\n<body>\n<h1>kstatd</h1>\n"
			"<p>illumos kstats for Linux, counted by eBPF. Version ");
	put_html(ob, li->version, 64);
	outbuf_puts(ob, ".</p>\n<ul>\n<li><a href=\"");
	put_html(ob, li->telemetry_path, 256);
	outbuf_puts(ob, "\">");
	put_html(ob, li->telemetry_path, 256);
	outbuf_puts(ob, "</a>: Prometheus text format 0.0.4, or OpenMetrics 1.0.0 when "
			"asked for; <code>?collect[]=module</code> or "
			"<code>?exclude[]=module</code> select kstat modules</li>\n"
			"<li><a href=\"/kstat\">/kstat</a>: the kstats as <code>kstat -j</code> "
			"prints them; <code>?module=&amp;instance=&amp;name=&amp;statistic=&amp;"
			"class=</code> select with * and ? patterns</li>\n</ul>\n");
	outbuf_puts(ob, "<h2>Providers</h2>\n<table>\n<tr><th>provider</th><th>attached</th>"
			"<th>kstats</th><th>programs</th><th>BPF runs</th><th>map-full drops</th>"
			"</tr>\n");
	outbuf_put(ob, l.provs.buf, l.provs.len);
	outbuf_puts(ob, "</table>\n<h2>Modules</h2>\n<table>\n<tr><th>module</th><th>kstats</th>"
			"<th>metrics</th></tr>\n");
	for (size_t i = 0; i < l.nmods; i++) {
		outbuf_puts(ob, "<tr><td><a href=\"/kstat?module=");
		put_url(ob, l.mods[i].name, KSTAT_STRLEN);
		outbuf_puts(ob, "\">");
		put_html(ob, l.mods[i].name, KSTAT_STRLEN);
		outbuf_printf(ob, "</a></td><td>%u</td><td><a href=\"", l.mods[i].kstats);
		put_html(ob, li->telemetry_path, 256);
		outbuf_puts(ob, "?collect%5B%5D=");
		put_url(ob, l.mods[i].name, KSTAT_STRLEN);
		outbuf_puts(ob, "\">metrics</a></td></tr>\n");
	}
	outbuf_printf(ob,
		      "</table>\n<h2>kstats (%u)</h2>\n<table>\n<tr><th>kstat</th>"
		      "<th>class</th><th>type</th></tr>\n",
		      l.nkstats);
	outbuf_put(ob, l.rows.buf, l.rows.len);
	outbuf_puts(ob, "</table>\n</body>\n</html>\n");
	ret = ob->failed || l.rows.failed || l.provs.failed ? -ENOMEM : 0;
free_parts:
	outbuf_free(&l.provs);
	outbuf_free(&l.rows);
	return ret;
}
