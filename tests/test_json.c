// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * /kstat: kstat -j's layout byte for byte, its sorting, selection by
 * patterns and JSON-correct escaping; and the landing page's escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "json_render.h"
#include "landing.h"
#include "prom_fx.h"

static struct snap *s;

static void setup(void)
{
	s = snap_new();
	cr_assert(s);
}

static void teardown(void)
{
	snap_free(s);
}

TestSuite(json, .init = setup, .fini = teardown);

/* Times change at every snapshot: "T" in their place */
static void mask_times(char *out)
{
	static const char *const keys[] = { "\"snaptime\": ", "\"crtime\": " };

	for (size_t k = 0; k < 2; k++) {
		char *p = out;

		while ((p = strstr(p, keys[k])) != NULL) {
			char *v = p + strlen(keys[k]), *e = v + strspn(v, "0123456789.");

			*v = 'T';
			memmove(v + 1, e, strlen(e) + 1);
			p = v;
		}
	}
}

static char *render(const struct json_query *q)
{
	struct outbuf ob;
	size_t len;
	char *taken, *out;

	outbuf_init(&ob, 0);
	cr_assert_eq(json_render(s, q, &ob), 0);
	outbuf_putc(&ob, '\0');
	taken = outbuf_take(&ob, &len);
	cr_assert(taken);
	out = strdup(taken);
	hugemem_free(taken);
	cr_assert(out);
	mask_times(out);
	return out;
}

static const char *const names3[] = { "zeta", "Alpha", "mid" };
static const uint64_t vals3[] = { 3, 1, 2 };

Test(json, layout_is_kstat_j)
{
	struct json_query q = { .module = "tj" };
	char *out;

	fx_named(s, "tj", 0, "one", "misc", 3, names3, NULL, vals3);
	out = render(&q);
	cr_expect_str_eq(out, "[{\n"
			      "\t\"module\": \"tj\",\n"
			      "\t\"instance\": 0,\n"
			      "\t\"name\": \"one\",\n"
			      "\t\"class\": \"misc\",\n"
			      "\t\"type\": 1,\n"
			      "\t\"snaptime\": T,\n"
			      "\t\"data\": {\n"
			      "\t\t\"Alpha\": 1,\n"
			      "\t\t\"crtime\": T,\n"
			      "\t\t\"mid\": 2,\n"
			      "\t\t\"snaptime\": T,\n"
			      "\t\t\"zeta\": 3\n"
			      "\t}\n"
			      "}]\n");
	free(out);
}

Test(json, kstats_are_sorted_as_kstat_sorts_them)
{
	struct json_query q = { .statistic = "mid" };
	char *out, *a, *b, *c;

	fx_named(s, "tj", 10, "a", "misc", 3, names3, NULL, vals3);
	fx_named(s, "tj", 2, "b", "misc", 3, names3, NULL, vals3);
	fx_named(s, "Ta", 0, "c", "misc", 3, names3, NULL, vals3);
	out = render(&q);
	a = strstr(out, "\"name\": \"a\"");
	b = strstr(out, "\"name\": \"b\"");
	c = strstr(out, "\"name\": \"c\"");
	cr_assert(a && b && c, "%s", out);
	cr_expect(c < b && b < a, "Ta:0 < tj:2 < tj:10:\n%s", out);
	cr_expect(strstr(out, "\n}, {\n"), "kstats joined by ', '");
	cr_expect_null(strstr(out, "zeta"), "only the statistic asked for");
	cr_expect_null(strstr(out, "kstat_types"), "kid 1 is left out, as kstat(1M) does");
	free(out);
}

Test(json, selectors_are_patterns)
{
	struct json_query q = { .module = "t?", .instance = "1*", .ks_class = "disk" };
	char *out;

	fx_named(s, "tj", 1, "x", "misc", 3, names3, NULL, vals3);
	fx_named(s, "tj", 12, "y", "disk", 3, names3, NULL, vals3);
	fx_named(s, "tk", 3, "z", "disk", 3, names3, NULL, vals3);
	out = render(&q);
	cr_expect(strstr(out, "\"name\": \"y\""), "%s", out);
	cr_expect_null(strstr(out, "\"name\": \"x\""));
	cr_expect_null(strstr(out, "\"name\": \"z\""));
	free(out);
	q.statistic = "nothing*";
	out = render(&q);
	cr_expect_str_eq(out, "[]\n");
	free(out);
}

Test(json, strings_are_json_escaped)
{
	static const char *const names[] = { "v" };
	const uint64_t vals[] = { 1 };
	struct json_query q = { .module = "te" };
	char *out;

	fx_named(s, "te", 0,
		 "a\"b\\c\nd\te\x01"
		 "f\xff",
		 "misc", 1, names, NULL, vals);
	out = render(&q);
	cr_expect(strstr(out, "\"name\": \"a\\\"b\\\\c\\nd\\te\\u0001f\\ufffd\""), "%s", out);
	free(out);
}

Test(json, io_intr_and_timer_data)
{
	kstat_t *io = snap_create(s, "sd", 0, "sd0", "disk", KSTAT_TYPE_IO, 1, 0);
	kstat_t *in = snap_create(s, "tq", 0, "irq", "controller", KSTAT_TYPE_INTR, 1, 0);
	kstat_t *tm = snap_create(s, "tq", 0, "tick", "misc", KSTAT_TYPE_TIMER, 1, 0);
	struct json_query q = { .ks_class = "*" };
	char *out;

	cr_assert(io && in && tm);
	((kstat_io_t *)io->ks_data)->nread = 4096;
	((kstat_intr_t *)in->ks_data)->intrs[KSTAT_INTR_MULTSVC] = 5;
	snprintf(((kstat_timer_t *)tm->ks_data)->name, KSTAT_STRLEN, "tick");
	((kstat_timer_t *)tm->ks_data)->num_events = 9;
	snap_install(s, io);
	snap_install(s, in);
	snap_install(s, tm);
	out = render(&q);
	cr_expect(strstr(out, "\t\t\"nread\": 4096,\n"), "%s", out);
	cr_expect(strstr(out, "\t\t\"wlastupdate\": 0,\n"));
	cr_expect(strstr(out, "\t\t\"multiple_service\": 5,\n"));
	cr_expect(strstr(out, "\t\t\"name\": \"tick\",\n"));
	cr_expect(strstr(out, "\t\t\"num_events\": 9,\n"));
	free(out);
}

Test(json, globs_are_linear)
{
	char s30[31], pat[JSON_PATTERN_MAX + 1];
	clock_t t0;

	cr_expect(json_glob("*", ""));
	cr_expect(json_glob("a*c", "abbbc"));
	cr_expect(json_glob("a?c", "abc"));
	cr_expect_not(json_glob("a?c", "ac"));
	cr_expect(json_glob("*sys*", "cpu_sys"));
	cr_expect_not(json_glob("sys", "cpu_sys"));
	cr_expect(json_glob("**a**", "a"));
	memset(s30, 'a', 30);
	s30[30] = '\0';
	for (int i = 0; i < JSON_PATTERN_MAX; i++)
		pat[i] = i % 2 ? 'a' : '*';
	pat[JSON_PATTERN_MAX - 1] = 'b';
	pat[JSON_PATTERN_MAX] = '\0';
	t0 = clock();
	for (int i = 0; i < 1000; i++)
		cr_assert_not(json_glob(pat, s30));
	cr_expect_lt(clock() - t0, CLOCKS_PER_SEC, "a hostile pattern stays cheap");
	cr_expect(json_pattern_ok("cpu*"));
	cr_expect_not(json_pattern_ok(""));
	cr_expect_not(json_pattern_ok("a\nb"));
}

Test(json, landing_page_escapes_and_links)
{
	static const char *const names[] = { "v" };
	const uint64_t vals[] = { 1 };
	struct landing_info li = { .telemetry_path = "/metrics", .version = "1.2.3" };
	struct outbuf ob;
	size_t len;
	char *out;

	fx_named(s, "tl", 0, "<script>&", "misc", 1, names, NULL, vals);
	outbuf_init(&ob, 0);
	cr_assert_eq(landing_render(s, &li, &ob), 0);
	outbuf_putc(&ob, '\0');
	out = outbuf_take(&ob, &len);
	cr_expect_null(strstr(out, "<script>"), "%s", out);
	cr_expect(strstr(out, ">tl:0:&lt;script&gt;&amp;</a>"), "%s", out);
	cr_expect(strstr(out, "href=\"/kstat?module=tl&amp;instance=0&amp;name=%3Cscript%3E%26\""));
	cr_expect(strstr(out, "href=\"/metrics\""));
	cr_expect(strstr(out, "Version 1.2.3."));
	hugemem_free(out);
}
