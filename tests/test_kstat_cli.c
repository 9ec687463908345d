// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The pieces of the kstat command (cmd/) that the shell tests cannot
 * reach byte by byte: the JSON string writer on every kind of malformed
 * UTF-8, nanoseconds as seconds at the limits of hrtime_t, values of each
 * type, the parsing of patterns and operands, and the order of kstats no
 * kstatd serves (one name twice: illumos and kstatd refuse to create it).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <criterion/criterion.h>

#include "ks.h"

/* What fn wrote to a stream, as a string the caller frees */
#define CAPTURE(buf, call)                                 \
	do {                                               \
		size_t _len;                               \
		FILE *out = open_memstream(&(buf), &_len); \
		cr_assert(out);                            \
		call;                                      \
		cr_assert_eq(fclose(out), 0);              \
	} while (0)

static void expect_json(const char *in, size_t len, const char *want)
{
	char *got;

	CAPTURE(got, ks_json_string(out, in, len));
	cr_expect_str_eq(got, want, "JSON of \"%s\"", in);
	free(got);
}

Test(kstat_cli, json_escapes_quotes_backslashes_and_control_characters)
{
	expect_json("say \"hi\"", SIZE_MAX, "\"say \\\"hi\\\"\"");
	expect_json("C:\\k", SIZE_MAX, "\"C:\\\\k\"");
	expect_json("a\tb\nc", SIZE_MAX, "\"a\\tb\\nc\"");
	expect_json("\x01\x1f\x7f\r\b\f", SIZE_MAX,
		    "\"\\u0001\\u001f\\u007f\\u000d\\u0008\\u000c\"");
	expect_json("what? /", SIZE_MAX, "\"what? /\"");
	expect_json("", SIZE_MAX, "\"\"");
}

Test(kstat_cli, json_keeps_valid_utf8_up_to_four_bytes)
{
	expect_json("\xc3\xa9", SIZE_MAX, "\"\xc3\xa9\"");
	expect_json("\xe4\xb8\xad", SIZE_MAX, "\"\xe4\xb8\xad\"");
	expect_json("\xef\xbf\xbd", SIZE_MAX, "\"\xef\xbf\xbd\"");
	expect_json("\xf0\x9f\x98\x80", SIZE_MAX, "\"\xf0\x9f\x98\x80\"");
	expect_json("\xf4\x8f\xbf\xbf", SIZE_MAX, "\"\xf4\x8f\xbf\xbf\"");
}

Test(kstat_cli, json_replaces_each_byte_that_is_not_utf8)
{
	expect_json("\x80", SIZE_MAX, "\"\\ufffd\"");
	expect_json("\xc0\x80", SIZE_MAX, "\"\\ufffd\\ufffd\"");            /* overlong NUL */
	expect_json("\xe0\x80\xaf", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\""); /* overlong / */
	expect_json("\xed\xa0\x80", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
	expect_json("\xf4\x90\x80\x80", SIZE_MAX,
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
	expect_json("\xf5\xff", SIZE_MAX, "\"\\ufffd\\ufffd\"");
	expect_json("a\xe2\x9c", SIZE_MAX, "\"a\\ufffd\\ufffd\""); /* cut short */
	expect_json("\xe2\x9c"
		    "a",
		    SIZE_MAX, "\"\\ufffd\\ufffda\"");
}

Test(kstat_cli, json_stops_at_the_length_of_a_char_array)
{
	expect_json("0123456789abcdefXYZ", 16, "\"0123456789abcdef\"");
	/* a sequence the length cuts is not read past it */
	expect_json("ab\xe4\xb8\xad", 4, "\"ab\\ufffd\\ufffd\"");
	expect_json("ab\0cd", 5, "\"ab\"");
}

static void expect_hrtime(int64_t ns, const char *want)
{
	char *got;

	CAPTURE(got, ks_hrtime_print(out, ns));
	cr_expect_str_eq(got, want, "%lld ns", (long long)ns);
	free(got);
}

Test(kstat_cli, hrtime_prints_seconds_with_nine_decimals_exactly)
{
	expect_hrtime(0, "0");
	expect_hrtime(1, "0.000000001");
	expect_hrtime(1000000000, "1.000000000");
	expect_hrtime(1234567890123LL, "1234.567890123");
	/* past 2^53 ns a double loses the last digits; integers do not */
	expect_hrtime(9007199254740993LL, "9007199.254740993");
	expect_hrtime(INT64_MAX, "9223372036.854775807");
	expect_hrtime(-1, "-0.000000001");
	expect_hrtime(INT64_MIN, "-9223372036.854775808");
}

static void expect_value(const struct ks_nvpair *nv, const char *want)
{
	char *got;

	CAPTURE(got, ks_value_print(out, nv));
	cr_expect_str_eq(got, want);
	free(got);
}

Test(kstat_cli, values_print_as_illumos_kstat_prints_them)
{
	struct ks_nvpair nv = { .data_type = KSTAT_DATA_INT32, .value.i32 = INT32_MIN };

	expect_value(&nv, "-2147483648");
	nv.data_type = KSTAT_DATA_UINT32;
	nv.value.ui32 = UINT32_MAX;
	expect_value(&nv, "4294967295");
	nv.data_type = KSTAT_DATA_INT64;
	nv.value.i64 = INT64_MIN;
	expect_value(&nv, "-9223372036854775808");
	nv.data_type = KSTAT_DATA_UINT64;
	nv.value.ui64 = UINT64_MAX;
	expect_value(&nv, "18446744073709551615");
	nv.data_type = KSTAT_DATA_CHAR;
	memcpy(nv.value.c, "0123456789abcdef", 16);
	expect_value(&nv, "0123456789abcdef");
	nv.data_type = KSTAT_DATA_STRING;
	nv.str = "a string";
	expect_value(&nv, "a string");
	nv.data_type = KS_DATA_HRTIME;
	nv.value.i64 = 5;
	expect_value(&nv, "0.000000005");
}

Test(kstat_cli, a_glob_matches_the_whole_string_a_regex_anywhere)
{
	struct ks_pattern p;

	cr_assert_eq(ks_pattern_init(&p, "sd?"), 0);
	cr_expect(ks_match(&p, "sd1"));
	cr_expect_not(ks_match(&p, "sd10"));
	cr_expect_not(ks_match(&p, "xsd1"));
	ks_pattern_fini(&p);
	cr_assert_eq(ks_pattern_init(&p, "/sd[0-9]/"), 0);
	cr_expect(ks_match(&p, "xsd10"));
	cr_expect_not(ks_match(&p, "sdx"));
	ks_pattern_fini(&p);
	cr_assert_eq(ks_pattern_init(&p, "/^(a|b)+$/"), 0);
	cr_expect(ks_match(&p, "abba"));
	cr_expect_not(ks_match(&p, "abc"));
	ks_pattern_fini(&p);
	/* a lone slash is a glob; two are the empty regex, matching anything */
	cr_assert_eq(ks_pattern_init(&p, "/"), 0);
	cr_expect(ks_match(&p, "/"));
	cr_expect_not(ks_match(&p, "a"));
	ks_pattern_fini(&p);
	cr_assert_eq(ks_pattern_init(&p, "//"), 0);
	cr_expect(ks_match(&p, "anything"));
	ks_pattern_fini(&p);
	cr_assert_eq(ks_pattern_init(&p, NULL), 0);
	cr_expect(ks_match(&p, "anything"));
	ks_pattern_fini(&p);
}

Test(kstat_cli, a_bad_regex_is_refused)
{
	struct ks_pattern p;

	cr_expect_eq(ks_pattern_init(&p, "/(/"), -1);
	cr_expect_eq(ks_pattern_init(&p, "/a{1/"), -1);
}

Test(kstat_cli, operands_split_into_four_patterns_empty_ones_match_all)
{
	struct ks_instance ksi = {
		.module = "cpu", .name = "sys", .class = "misc", .number = "12"
	};
	struct ks_pattern any;
	struct ks_selector s;
	char op1[] = "cpu::sys", op2[] = "cpu:1:sys", op3[] = "a:b:c:d:e", op4[] = "",
	     op5[] = "/c/:/^1/:sys:pswitch";

	cr_assert_eq(ks_pattern_init(&any, NULL), 0);
	cr_assert_eq(ks_selector_init(&s, op1), 0);
	cr_expect(ks_selector_kstat(&s, &any, &ksi));
	cr_expect(ks_match(&s.statistic, "anything"));
	ks_selector_fini(&s);
	cr_assert_eq(ks_selector_init(&s, op2), 0);
	cr_expect_not(ks_selector_kstat(&s, &any, &ksi), "instance 1 is not 12");
	ks_selector_fini(&s);
	cr_expect_eq(ks_selector_init(&s, op3), -1);
	cr_assert_eq(ks_selector_init(&s, op4), 0);
	cr_expect(ks_selector_kstat(&s, &any, &ksi));
	ks_selector_fini(&s);
	cr_assert_eq(ks_selector_init(&s, op5), 0);
	cr_expect(ks_selector_kstat(&s, &any, &ksi));
	cr_expect(ks_match(&s.statistic, "pswitch"));
	cr_expect_not(ks_match(&s.statistic, "pswitches"));
	ks_selector_fini(&s);
	ks_pattern_fini(&any);
}

/* Minor faults of this process so far */
static long minor_faults(void)
{
	struct rusage ru;

	cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/* Is transparent huge page backing on, always or for regions that ask? */
static bool thp_allowed(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
	}
	return strstr(mode, "[always]") || strstr(mode, "[madvise]");
}

Test(kstat_cli, a_big_report_s_small_allocations_fault_in_a_few_huge_pages)
{
	enum { NKSTATS = 10000, PIECES = 100000, PIECE = 96 };
	static void *piece[PIECES];
	long before, faults;

	if (!thp_allowed())
		cr_skip_test("transparent huge pages are off here");
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("ASan's allocator keeps its own heap");
#endif
	ks_heap_reserve(NKSTATS);
	before = minor_faults();
	for (int i = 0; i < PIECES; i++) {
		piece[i] = malloc(PIECE);
		cr_assert(piece[i]);
		memset(piece[i], 0xa5, PIECE);
	}
	faults = minor_faults() - before;
	/*
	 * 9.6 MB in 4 KiB pages is 2344 faults and more; in huge pages, a few,
	 * and up to 512 small ones before the first 2 MiB boundary of the room
	 */
	cr_expect_lt(faults, 1000, "%ld faults for %d bytes", faults, PIECES * PIECE);
	for (int i = 0; i < PIECES; i++)
		free(piece[i]);
}

Test(kstat_cli, a_small_report_leaves_the_heap_as_it_is)
{
	void *p;
	long before;

	ks_heap_reserve(100);
	before = minor_faults();
	p = malloc(8u << 20); /* above the default mmap threshold: its own mapping */
	cr_assert(p);
	memset(p, 1, 8u << 20);
	cr_expect_gt(minor_faults() - before, 1000, "4 KiB pages, as without the reserve");
	free(p);
}

/*
 * In place of libkstat's, which asks kstatd: every kstat reads as the test
 * made it.  ks_collect() is the only caller here.
 */
int kstat_read_batch(kstat_ctl_t *kc, kstat_t **ksps, int n, int *errs)
{
	(void)kc;
	(void)ksps;
	for (int i = 0; i < n; i++)
		errs[i] = 0;
	return n;
}

Test(kstat_cli, kstats_of_one_name_sort_the_later_kid_first)
{
	/* more than the 8 a merge sort leaves to insertion, in chain (kid) order */
	static const struct {
		const char *module, *name;
		int instance;
	} ks[] = {
		{ "dup", "same", 0 },  { "dup", "same", 1 }, { "DUP", "same", 0 },
		{ "dup", "other", 0 }, { "dup", "same", 0 }, { "dup", "SAME", 0 },
		{ "dup", "same", 1 },  { "dup", "same", 0 }, { "Dup", "same", 0 },
		{ "dup", "same", 0 },  { "dup", "same", 0 }, { "dup", "same", 1 },
	};
	enum { N = sizeof(ks) / sizeof(ks[0]) };
	/* illumos: strcasecmp of modules, instance, strcasecmp of names, later kid first */
	static const char want[] = "dup:0:other:value\t3\n"
				   "dup:0:same:value\t10\n"
				   "dup:0:same:value\t9\n"
				   "Dup:0:same:value\t8\n"
				   "dup:0:same:value\t7\n"
				   "dup:0:SAME:value\t5\n"
				   "dup:0:same:value\t4\n"
				   "DUP:0:same:value\t2\n"
				   "dup:0:same:value\t0\n"
				   "dup:1:same:value\t11\n"
				   "dup:1:same:value\t6\n"
				   "dup:1:same:value\t1\n";
	static kstat_named_t data[N];
	static kstat_t chain[N];
	char op[] = "[dD][uU][pP]:::value";
	kstat_ctl_t kc = { .kc_chain = chain, .kc_kd = -1 };
	struct ks_cfg cfg = { .pflg = true, .nsel = 1 };
	struct ks_selector sel;
	struct ks_report r;
	char *got;

	for (int i = 0; i < N; i++) {
		strcpy(chain[i].ks_module, ks[i].module);
		strcpy(chain[i].ks_name, ks[i].name);
		strcpy(chain[i].ks_class, "misc");
		chain[i].ks_instance = ks[i].instance;
		chain[i].ks_kid = 100 + i;
		chain[i].ks_type = KSTAT_TYPE_NAMED;
		chain[i].ks_ndata = 1;
		chain[i].ks_data_size = sizeof(data[i]);
		chain[i].ks_data = &data[i];
		chain[i].ks_next = i + 1 < N ? &chain[i + 1] : NULL;
		strcpy(data[i].name, "value");
		data[i].data_type = KSTAT_DATA_UINT32;
		data[i].value.ui32 = (uint32_t)i;
	}
	cr_assert_eq(ks_pattern_init(&cfg.class, NULL), 0);
	cr_assert_eq(ks_selector_init(&sel, op), 0);
	cfg.sel = &sel;
	cr_assert_eq(ks_collect(&kc, &cfg, &r), 0);
	cr_expect_eq(r.n, (size_t)N);
	CAPTURE(got, ks_report_print(out, &cfg, &r));
	cr_expect_str_eq(got, want);
	free(got);
	ks_report_free(&r);
	ks_selector_fini(&sel);
	ks_pattern_fini(&cfg.class);
}
