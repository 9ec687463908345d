// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The Prometheus renderer: names, units, types, histograms, labels and
 * escaping, both formats, module filters and self metrics, on kstats
 * made in-process; then on the ktest provider's real BPF maps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hugemem.h"
#include "ktest.h"
#include "outbuf.h"
#include "prom_fx.h"
#include "prom_name.h"
#include "prom_render.h"

static struct snap *s;

static void setup(void)
{
	s = snap_new();
	cr_assert(s);
}

static void teardown(void)
{
	snap_free(s);
	s = NULL;
}

TestSuite(prom, .init = setup, .fini = teardown);

static const struct snap_stat_meta busy_meta[] = {
	{ SNAP_COUNTER, "ns", "Time busy", NULL, 0 },
	{ SNAP_COUNTER, "bytes", "Bytes moved", NULL, 0 },
	{ SNAP_COUNTER, "count", "Things done", NULL, 0 },
	{ SNAP_GAUGE, "count", "A level", NULL, 0 },
};
static const char *const busy_names[] = { "cpu_nsec_busy", "rbytes", "opsDone", "level" };

static char *scrape(enum prom_format fmt)
{
	int err;
	char *out = fx_render(s, fmt, NULL, -1, &err, NULL);

	cr_assert_eq(err, 0, "render: %s", strerror(-err));
	return out;
}

static void name_is(const char *prefix, const char *stat, const char *unit, const char *want)
{
	char out[PROM_NAME_MAX];
	struct prom_unit u;

	prom_name_unit(unit, &u);
	cr_expect_gt(prom_name_family(out, sizeof(out), prefix, stat, &u), 0);
	cr_expect_str_eq(out, want, "%s + %s (%s)", prefix, stat, unit ? unit : "none");
}

Test(prom, names_are_snake_case_in_base_units)
{
	name_is("kstat_cpu", "cpu_nsec_idle", "ns", "kstat_cpu_idle_seconds");
	name_is("kstat_cpu", "pswitch", "count", "kstat_cpu_pswitch");
	/* no word twice: the module's, the unit's */
	name_is("kstat_cpu", "cpu_ticks_idle", "count", "kstat_cpu_ticks_idle");
	name_is("kstat_link", "link_state", NULL, "kstat_link_state");
	name_is("kstat_cpu", "cpumigrate", "count", "kstat_cpu_cpumigrate");
	name_is("kstat_tcp", "tcp", NULL, "kstat_tcp_tcp");
	name_is("kstat_link", "rbytes", "bytes", "kstat_link_rbytes");
	name_is("kstat_sd", "nread", "bytes", "kstat_sd_nread_bytes");
	name_is("kstat_m", "bytes", "bytes", "kstat_m_bytes");
	name_is("kstat_m", "rxBytes", "bytes", "kstat_m_rx_bytes");
	name_is("kstat_m", "HTTPServerErrors", NULL, "kstat_m_http_server_errors");
	name_is("kstat_m", "wait_ms", "ms", "kstat_m_wait_seconds");
	name_is("kstat_m", "boot_time", "s", "kstat_m_boot_time_seconds");
	name_is("kstat_m", "drops_total", "count", "kstat_m_drops");
	name_is("kstat_m", "odd-name.x", NULL, "kstat_m_odd_name_x");
	name_is("kstat_m", "__x__y__", NULL, "kstat_m_x_y");
	name_is("kstat_m", "avenrun_1min", "fscale", "kstat_m_avenrun_1min");
	name_is("kstat_cpu_info", "clock_MHz", "MHz", "kstat_cpu_info_clock_megahertz");
	name_is("kstat_cpu_info", "current_clock_Hz", "Hz", "kstat_cpu_info_current_clock_hertz");
	name_is("kstat_m", "mtu", "count", "kstat_m_mtu");
}

Test(prom, numbers_are_canonical)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 1e-05, "1e-05" },
		{ 0.001, "0.001" },
		{ 100000, "100000" },
		{ 1e6, "1e+06" },
		{ 1.023e-06, "1.023e-06" },
		{ 0.1, "0.1" },
		{ 1, "1" },
		{ 1234567, "1.234567e+06" },
		{ 0, "0" },
		{ 1.0 / 0.0, "+Inf" },
		{ -2.5, "-2.5" },
		{ 18446744073709551615.0, "1.8446744073709552e+19" },
	};
	char buf[OUTBUF_DOUBLE_MAX];
	struct outbuf ob;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		outbuf_fmt_double(buf, cases[i].v);
		cr_expect_str_eq(buf, cases[i].s);
	}
	outbuf_init(&ob, 0);
	outbuf_scaled_u64(&ob, 1500000000, 9);
	outbuf_putc(&ob, ' ');
	outbuf_scaled_u64(&ob, 15, 9);
	outbuf_putc(&ob, ' ');
	outbuf_scaled_u64(&ob, 2000000000, 9);
	outbuf_putc(&ob, ' ');
	outbuf_scaled_i64(&ob, -1500, 3);
	outbuf_putc(&ob, ' ');
	outbuf_scaled_u64(&ob, UINT64_MAX, 0);
	outbuf_putc(&ob, '\0');
	cr_expect_str_eq(ob.buf, "1.5 0.000000015 2 -1.5 18446744073709551615");
	outbuf_free(&ob);
}

Test(prom, text_has_types_units_and_labels)
{
	const uint64_t vals[] = { 2500000000ULL, 4096, 7, 3 };
	char *out;

	fx_named(s, "tm", 3, "busy", "misc", 4, busy_names, busy_meta, vals);
	out = scrape(PROM_FMT_TEXT);
	cr_expect(fx_has_line(out, "# HELP kstat_tm_cpu_busy_seconds_total Time busy"), "%s", out);
	cr_expect(fx_has_line(out, "# TYPE kstat_tm_cpu_busy_seconds_total counter"));
	cr_expect(fx_has_line(
		out, "kstat_tm_cpu_busy_seconds_total{ks_instance=\"3\",ks_name=\"busy\"} 2.5"));
	cr_expect(fx_has_line(out, "kstat_tm_rbytes_total{ks_instance=\"3\",ks_name=\"busy\"} "
				   "4096"),
		  "the unit is named even when the name has it inside a word");
	cr_expect(fx_has_line(out, "# TYPE kstat_tm_ops_done_total counter"));
	cr_expect(fx_has_line(out, "# TYPE kstat_tm_level gauge"));
	cr_expect(fx_has_line(out, "kstat_tm_level{ks_instance=\"3\",ks_name=\"busy\"} 3"));
	cr_expect(fx_has_line(out, "kstatd_build_info{version=\"9.9.9\"} 1"));
	cr_expect(strstr(out, "\nkstatd_scrape_duration_seconds "), "%s", out);
	cr_expect_null(strstr(out, "# EOF"));
	cr_expect_null(strstr(out, "kstatd_bpf_stats_enabled"), "left out when unknown");
	free(out);
}

Test(prom, openmetrics_names_counters_without_total_and_ends_with_eof)
{
	const uint64_t vals[] = { 1, 2, 3, 4 };
	char *out;
	size_t n;

	fx_named(s, "tm", 0, "busy", "misc", 4, busy_names, busy_meta, vals);
	out = scrape(PROM_FMT_OPENMETRICS);
	cr_expect(fx_has_line(out, "# TYPE kstat_tm_cpu_busy_seconds counter"), "%s", out);
	cr_expect(fx_has_line(out, "# UNIT kstat_tm_cpu_busy_seconds seconds"));
	cr_expect(fx_has_line(out, "# HELP kstat_tm_cpu_busy_seconds Time busy"));
	cr_expect(fx_has_line(out,
			      "kstat_tm_cpu_busy_seconds_total{ks_instance=\"0\",ks_name=\"busy\"} "
			      "0.000000001"));
	cr_expect(fx_has_line(out, "# TYPE kstatd_build info"));
	cr_expect(fx_has_line(out, "kstatd_build_info{version=\"9.9.9\"} 1"));
	n = strlen(out);
	cr_assert_geq(n, 6);
	cr_expect_str_eq(out + n - 6, "# EOF\n");
	/* TYPE, UNIT, HELP in that order */
	cr_expect_lt(strstr(out, "# TYPE kstat_tm_cpu_busy_seconds "),
		     strstr(out, "# UNIT kstat_tm_cpu_busy_seconds "));
	cr_expect_lt(strstr(out, "# UNIT kstat_tm_cpu_busy_seconds "),
		     strstr(out, "# HELP kstat_tm_cpu_busy_seconds "));
	free(out);
}

static const struct snap_stat_meta hist_meta[] = {
	{ SNAP_HIST, "ns", "Latency", "lat", 2 },
	{ SNAP_HIST, "ns", "Latency", "lat", 4 },
	{ SNAP_HIST, "ns", "Latency", "lat", 8 },
	{ SNAP_HIST, "ns", "Latency", "lat", UINT64_MAX },
	{ SNAP_COUNTER, "ns", "Latency sum", NULL, 0 },
	{ SNAP_COUNTER, "count", "Calls", NULL, 0 },
};
static const char *const hist_names[] = {
	"lat_2", "lat_4", "lat_8", "lat_inf", "lat_sum", "calls"
};

Test(prom, histograms_are_cumulative_with_sum_and_count)
{
	const uint64_t vals[] = { 1, 2, 3, 4, 1500000000ULL, 10 };
	char *out;

	fx_named(s, "th", 0, "io", "misc", 6, hist_names, hist_meta, vals);
	out = scrape(PROM_FMT_TEXT);
	cr_expect(fx_has_line(out, "# TYPE kstat_th_lat_seconds histogram"), "%s", out);
	/* slot i holds [2^i, 2^(i+1)): integers up to 2^(i+1) - 1 ns */
	cr_expect(fx_has_line(out, "kstat_th_lat_seconds_bucket{ks_instance=\"0\",ks_name=\"io\","
				   "le=\"1e-09\"} 1"));
	cr_expect(fx_has_line(out, "kstat_th_lat_seconds_bucket{ks_instance=\"0\",ks_name=\"io\","
				   "le=\"3e-09\"} 3"));
	cr_expect(fx_has_line(out, "kstat_th_lat_seconds_bucket{ks_instance=\"0\",ks_name=\"io\","
				   "le=\"7e-09\"} 6"));
	cr_expect(fx_has_line(out, "kstat_th_lat_seconds_bucket{ks_instance=\"0\",ks_name=\"io\","
				   "le=\"+Inf\"} 10"));
	cr_expect(
		fx_has_line(out, "kstat_th_lat_seconds_sum{ks_instance=\"0\",ks_name=\"io\"} 1.5"));
	cr_expect(fx_has_line(out,
			      "kstat_th_lat_seconds_count{ks_instance=\"0\",ks_name=\"io\"} 10"));
	cr_expect_null(strstr(out, "lat_sum_seconds"), "the sum counter is the histogram's _sum");
	cr_expect(fx_has_line(out, "kstat_th_calls_total{ks_instance=\"0\",ks_name=\"io\"} 10"));
	/* text format: _sum before _count */
	cr_expect_lt(strstr(out, "kstat_th_lat_seconds_sum"),
		     strstr(out, "kstat_th_lat_seconds_count"));
	free(out);

	out = scrape(PROM_FMT_OPENMETRICS);
	cr_expect(fx_has_line(out, "kstat_th_lat_seconds_bucket{ks_instance=\"0\",ks_name=\"io\","
				   "le=\"1e-09\"} 1"),
		  "%s", out);
	cr_expect(fx_has_line(out, "kstat_th_lat_seconds_bucket{ks_instance=\"0\",ks_name=\"io\","
				   "le=\"+Inf\"} 10"));
	/* OpenMetrics: _count before _sum */
	cr_expect_lt(strstr(out, "kstat_th_lat_seconds_count"),
		     strstr(out, "kstat_th_lat_seconds_sum"));
	free(out);
}

Test(prom, openmetrics_le_is_canonical)
{
	static const struct snap_stat_meta m[] = {
		{ SNAP_HIST, "count", "Sizes", "size", 2 },
		{ SNAP_HIST, "count", "Sizes", "size", 1ULL << 20 },
		{ SNAP_HIST, "count", "Sizes", "size", UINT64_MAX },
	};
	static const char *const names[] = { "size_2", "size_1048576", "size_inf" };
	const uint64_t vals[] = { 1, 1, 1 };
	char *out;

	fx_named(s, "tc", 0, "sz", "misc", 3, names, m, vals);
	out = scrape(PROM_FMT_OPENMETRICS);
	cr_expect(strstr(out,
			 "kstat_tc_size_bucket{ks_instance=\"0\",ks_name=\"sz\",le=\"1.0\"} 1\n"),
		  "%s", out);
	cr_expect(strstr(out, "le=\"1.048575e+06\"} 2\n"), "%s", out);
	cr_expect_null(strstr(out, "kstat_tc_size_count"), "no _sum, so no _count either");
	free(out);
	out = scrape(PROM_FMT_TEXT);
	cr_expect(
		strstr(out, "kstat_tc_size_bucket{ks_instance=\"0\",ks_name=\"sz\",le=\"1\"} 1\n"),
		"%s", out);
	free(out);
}

Test(prom, labels_and_help_are_escaped)
{
	static const struct snap_stat_meta m[] = {
		{ SNAP_GAUGE, "count", "A \"quoted\" back\\slash\nand a line", NULL, 0 },
	};
	static const char *const names[] = { "v" };
	const uint64_t vals[] = { 1 };
	char *out;

	fx_named(s, "te", 0, "a\"b\\c\nd\xff", "misc", 1, names, m, vals);
	out = scrape(PROM_FMT_TEXT);
	cr_expect(
		fx_has_line(
			out,
			"kstat_te_v{ks_instance=\"0\",ks_name=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"} 1"),
		"%s", out);
	cr_expect(fx_has_line(out, "# HELP kstat_te_v A \"quoted\" back\\\\slash\\nand a line"));
	free(out);
	out = scrape(PROM_FMT_OPENMETRICS);
	cr_expect(fx_has_line(out, "# HELP kstat_te_v A \\\"quoted\\\" back\\\\slash\\nand a line"),
		  "%s", out);
	free(out);
}

Test(prom, kid0_kid1_raw_and_strings_are_not_exported)
{
	kstat_t *raw = snap_create(s, "tr", 0, "blob", "misc", KSTAT_TYPE_RAW, 16, 0);
	kstat_t *str = snap_create(s, "tr", 0, "strs", "misc", KSTAT_TYPE_NAMED, 1,
				   KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE);
	kstat_named_t kn;
	char *out;

	cr_assert(raw && str);
	fx_named(s, "tr", 1, "empty", "misc", 0, NULL, NULL, NULL);
	snap_install(s, raw);
	snap_named_init(&kn, "model", KSTAT_DATA_STRING);
	snap_named_setstr(&kn, "disk");
	str->ks_data = &kn;
	snap_install(s, str);
	out = scrape(PROM_FMT_TEXT);
	cr_expect_null(strstr(out, "kstat_unix"), "%s", out);
	cr_expect_null(strstr(out, "kstat_tr"), "%s", out);
	free(out);
	snap_delete(s, str);
}

Test(prom, io_intr_and_timer_kstats_have_their_families)
{
	kstat_t *io = snap_create(s, "sd", 1, "sd1", "disk", KSTAT_TYPE_IO, 1, 0);
	kstat_t *in = snap_create(s, "tq", 0, "irq9", "controller", KSTAT_TYPE_INTR, 1, 0);
	kstat_t *tm = snap_create(s, "tq", 0, "tick", "misc", KSTAT_TYPE_TIMER, 1, 0);
	kstat_io_t *kio;
	kstat_intr_t *ki;
	kstat_timer_t *kt;
	char *out;

	cr_assert(io && in && tm);
	kio = io->ks_data;
	kio->nread = 512;
	kio->reads = 2;
	kio->rtime = 3000000000LL;
	kio->rlentime = 4500000000LL;
	kio->wcnt = 1;
	kio->wlastupdate = snap_now();
	ki = in->ks_data;
	ki->intrs[KSTAT_INTR_HARD] = 7;
	ki->intrs[KSTAT_INTR_SPURIOUS] = 1;
	kt = tm->ks_data;
	snprintf(kt->name, sizeof(kt->name), "tick");
	kt->num_events = 4;
	kt->elapsed_time = 2000;
	kt->min_time = 100;
	kt->max_time = 900;
	snap_install(s, io);
	snap_install(s, in);
	snap_install(s, tm);

	out = scrape(PROM_FMT_TEXT);
	/* a disk: the families of every driver's disks, labelled with the driver and class */
	cr_expect(fx_has_line(out, "kstat_disk_nread_bytes_total{ks_instance=\"1\",ks_name=\"sd1\","
				   "driver=\"sd\",ks_class=\"disk\"} 512"),
		  "%s", out);
	cr_expect(fx_has_line(out, "kstat_disk_reads_total{ks_instance=\"1\",ks_name=\"sd1\","
				   "driver=\"sd\",ks_class=\"disk\"} 2"));
	cr_expect(fx_has_line(out,
			      "kstat_disk_rtime_seconds_total{ks_instance=\"1\",ks_name=\"sd1\","
			      "driver=\"sd\",ks_class=\"disk\"} 3"));
	cr_expect(fx_has_line(out, "kstat_disk_rlentime_seconds_total{ks_instance=\"1\","
				   "ks_name=\"sd1\",driver=\"sd\",ks_class=\"disk\"} 4.5"));
	cr_expect(fx_has_line(out,
			      "kstat_disk_wcnt{ks_instance=\"1\",ks_name=\"sd1\",driver=\"sd\","
			      "ks_class=\"disk\"} 1"));
	cr_expect(fx_has_line(out, "# TYPE kstat_disk_wcnt gauge"));
	cr_expect_null(strstr(out, "kstat_sd_"), "no family per driver");
	cr_expect_null(strstr(out, "lastupdate"), "timestamps are not exported");
	cr_expect(fx_has_line(out, "kstat_tq_interrupts_total{ks_instance=\"0\",ks_name=\"irq9\","
				   "intr=\"hard\"} 7"));
	cr_expect(fx_has_line(out, "kstat_tq_interrupts_total{ks_instance=\"0\",ks_name=\"irq9\","
				   "intr=\"spurious\"} 1"));
	cr_expect(fx_has_line(out, "kstat_tq_timer_events_total{ks_instance=\"0\",ks_name=\"tick\","
				   "timer=\"tick\"} 4"));
	cr_expect(fx_has_line(out, "kstat_tq_timer_elapsed_seconds_total{ks_instance=\"0\","
				   "ks_name=\"tick\",timer=\"tick\"} 0.000002"));
	cr_expect(fx_has_line(out, "kstat_tq_timer_max_seconds{ks_instance=\"0\",ks_name=\"tick\","
				   "timer=\"tick\"} 0.0000009"));
	free(out);
}

/*
 * A sample keeps its value and its kstat's names (the walk's copy of the
 * kstat is gone by the time the text is written): signed values stay
 * signed, each TIMER record keeps its own name, and a disk named like the
 * kstat before it still gets its own driver
 */
Test(prom, samples_keep_values_and_names)
{
	static const struct snap_stat_meta lm[] = {
		{ SNAP_GAUGE, "count", "Small", NULL, 0 },
		{ SNAP_GAUGE, "count", "Big", NULL, 0 },
		{ SNAP_COUNTER, "count", "Wide", NULL, 0 },
	};
	kstat_t *lv = snap_create(s, "misc", 0, "sd1", "misc", KSTAT_TYPE_NAMED, 3, 0);
	kstat_t *io = snap_create(s, "sd", 1, "sd1", "disk", KSTAT_TYPE_IO, 1, 0);
	kstat_t *tm = snap_create(s, "tq", 0, "clocks", "misc", KSTAT_TYPE_TIMER, 2, 0);
	kstat_named_t *kn;
	kstat_timer_t *kt;
	char *out;

	cr_assert(lv && io && tm);
	snap_set_meta(lv, lm);
	kn = lv->ks_data;
	snap_named_init(&kn[0], "small", KSTAT_DATA_INT32);
	snap_named_init(&kn[1], "big", KSTAT_DATA_INT64);
	snap_named_init(&kn[2], "wide", KSTAT_DATA_UINT32);
	kn[0].value.i32 = -5;
	kn[1].value.i64 = -7000000000LL;
	kn[2].value.ui32 = 4000000000u;
	((kstat_io_t *)io->ks_data)->reads = 6;
	kt = tm->ks_data;
	snprintf(kt[0].name, sizeof(kt[0].name), "tick");
	snprintf(kt[1].name, sizeof(kt[1].name), "tock");
	kt[0].num_events = 1;
	kt[1].num_events = 2;
	snap_install(s, lv);
	snap_install(s, io);
	snap_install(s, tm);

	out = scrape(PROM_FMT_TEXT);
	cr_expect(fx_has_line(out, "kstat_misc_small{ks_instance=\"0\",ks_name=\"sd1\"} -5"), "%s",
		  out);
	cr_expect(
		fx_has_line(out, "kstat_misc_big{ks_instance=\"0\",ks_name=\"sd1\"} -7000000000"));
	cr_expect(fx_has_line(out, "kstat_misc_wide_total{ks_instance=\"0\",ks_name=\"sd1\"} "
				   "4000000000"));
	cr_expect(fx_has_line(out, "kstat_disk_reads_total{ks_instance=\"1\",ks_name=\"sd1\","
				   "driver=\"sd\",ks_class=\"disk\"} 6"));
	cr_expect(fx_has_line(out,
			      "kstat_tq_timer_events_total{ks_instance=\"0\",ks_name=\"clocks\","
			      "timer=\"tick\"} 1"));
	cr_expect(fx_has_line(out,
			      "kstat_tq_timer_events_total{ks_instance=\"0\",ks_name=\"clocks\","
			      "timer=\"tock\"} 2"));
	free(out);
}

/* Which labels a kstat of module kstatd gets: its name as the provider's, a disk's driver */
Test(prom, kstatd_kstats_named_like_self_metrics_keep_their_labels)
{
	static const struct snap_stat_meta pm[] = {
		{ SNAP_COUNTER, "count", "BPF program runs", NULL, 0 },
	};
	kstat_t *prov = snap_create(s, "kstatd", 0, "engine", "provider", KSTAT_TYPE_NAMED, 1, 0);
	kstat_t *io = snap_create(s, "kstatd", 0, "kd0", "disk", KSTAT_TYPE_IO, 1, 0);
	kstat_named_t *kn;
	char *out;

	cr_assert(prov && io);
	snap_set_meta(prov, pm);
	kn = prov->ks_data;
	snap_named_init(kn, "run_count", KSTAT_DATA_UINT64);
	kn->value.ui64 = 9;
	((kstat_io_t *)io->ks_data)->reads = 3;
	snap_install(s, prov);
	snap_install(s, io);

	out = scrape(PROM_FMT_TEXT);
	cr_expect(fx_has_line(out, "kstatd_provider_run_count_total{provider=\"engine\"} 9"), "%s",
		  out);
	cr_expect(fx_has_line(out, "kstat_disk_reads_total{ks_instance=\"0\",ks_name=\"kd0\","
				   "driver=\"kstatd\",ks_class=\"disk\"} 3"));
	free(out);
}

Test(prom, kstatd_module_becomes_self_metrics)
{
	static const struct snap_stat_meta pm[] = {
		{ SNAP_COUNTER, "count", "BPF program runs", NULL, 0 },
		{ SNAP_COUNTER, "ns", "BPF program run time", NULL, 0 },
		{ SNAP_COUNTER, "count", "Map-full drops", NULL, 0 },
	};
	static const struct snap_stat_meta cm[] = {
		{ SNAP_GAUGE, "bool", "on", NULL, 0 },
		{ SNAP_GAUGE, "bool", "on", NULL, 0 },
	};
	static const char *const pn[] = { "run_count", "run_time", "map_drops" };
	static const char *const cn[] = { "cpu_sys", "tcp" };
	const uint64_t pv[] = { 10, 2000000000ULL, 3 }, cv[] = { 1, 0 }, ev[] = { 5, 1, 2 };
	char *out;

	fx_named(s, "kstatd", 0, "cpu_sys", "provider", 3, pn, pm, pv);
	fx_named(s, "kstatd", 0, "config", "misc", 2, cn, cm, cv);
	fx_named(s, "kstatd", 0, "engine", "misc", 3, pn, pm, ev);
	out = scrape(PROM_FMT_TEXT);
	cr_expect(fx_has_line(out, "kstatd_provider_run_count_total{provider=\"cpu_sys\"} 10"),
		  "%s", out);
	cr_expect(
		fx_has_line(out, "kstatd_provider_run_time_seconds_total{provider=\"cpu_sys\"} 2"));
	cr_expect(fx_has_line(out, "kstatd_provider_map_drops_total{provider=\"cpu_sys\"} 3"));
	cr_expect(fx_has_line(out, "kstatd_provider_enabled{provider=\"cpu_sys\"} 1"));
	cr_expect(fx_has_line(out, "kstatd_provider_enabled{provider=\"tcp\"} 0"));
	cr_expect(fx_has_line(out, "kstatd_engine_map_drops_total 2"),
		  "the total is its own family");
	cr_expect_null(strstr(out, "kstat_kstatd"));
	free(out);
}

Test(prom, module_filters_select_and_reject)
{
	static const char *const n1[] = { "v" };
	static const struct snap_stat_meta m[] = { { SNAP_GAUGE, "count", "v", NULL, 0 } };
	const uint64_t v[] = { 1 };
	struct prom_filter f = { .modules = { "fa" }, .n = 1 };
	const char *unknown;
	char *out;
	int err;

	fx_named(s, "fa", 0, "x", "misc", 1, n1, m, v);
	fx_named(s, "fb", 0, "x", "misc", 1, n1, m, v);
	out = fx_render(s, PROM_FMT_TEXT, &f, -1, &err, &unknown);
	cr_expect_eq(err, 0);
	cr_expect(strstr(out, "kstat_fa_v"));
	cr_expect_null(strstr(out, "kstat_fb_v"));
	cr_expect(strstr(out, "kstatd_scrape_duration_seconds"), "self metrics stay");
	free(out);

	f.exclude = true;
	out = fx_render(s, PROM_FMT_TEXT, &f, -1, &err, &unknown);
	cr_expect_eq(err, 0);
	cr_expect_null(strstr(out, "kstat_fa_v"));
	cr_expect(strstr(out, "kstat_fb_v"));
	free(out);

	f.modules[1] = "nosuch";
	f.n = 2;
	out = fx_render(s, PROM_FMT_TEXT, &f, -1, &err, &unknown);
	cr_expect_eq(err, -ENOENT);
	cr_expect_str_eq(unknown, "nosuch");
	free(out);
}

Test(prom, a_family_keeps_one_type)
{
	static const char *const n1[] = { "v" };
	static const struct snap_stat_meta counter[] = { { SNAP_COUNTER, NULL, "c", NULL, 0 } };
	static const struct snap_stat_meta gauge[] = { { SNAP_GAUGE, NULL, "g", NULL, 0 } };
	const uint64_t v[] = { 1 };
	char *out;

	fx_named(s, "tt", 0, "a", "misc", 1, n1, counter, v);
	fx_named(s, "tt", 1, "b", "misc", 1, n1, gauge, v);
	out = scrape(PROM_FMT_OPENMETRICS);
	cr_expect(fx_has_line(out, "# TYPE kstat_tt_v counter"), "%s", out);
	cr_expect_null(strstr(out, "# TYPE kstat_tt_v gauge"));
	cr_expect_null(strstr(out, "ks_name=\"b\""));
	cr_expect(fx_has_line(out, "kstatd_scrape_dropped_series 1"));
	free(out);
}

/* kstat_cpu_x_y is module cpu_x's y and module cpu's x_y: the series stay the first module's */
Test(prom, a_family_keeps_one_module)
{
	static const char *const real[] = { "x_y" }, *const fake[] = { "y" },
				 *const dk[] = { "reads" };
	static const struct snap_stat_meta m[] = { { SNAP_COUNTER, "count", "c", NULL, 0 } };
	const uint64_t rv[] = { 7 }, fv[] = { 666 };
	kstat_t *vda = snap_create(s, "vd", 0, "vda", "disk", KSTAT_TYPE_IO, 1, 0);
	char *out;

	cr_assert(vda);
	((kstat_io_t *)vda->ks_data)->reads = 5;
	snap_install(s, vda);
	fx_named(s, "cpu", 0, "sys", "misc", 1, real, m, rv);
	fx_named(s, "cpu_x", 0, "sys", "misc", 1, fake, m, fv);
	fx_named(s, "disk", 0, "vda", "misc", 1, dk, m, fv);
	out = scrape(PROM_FMT_OPENMETRICS);
	cr_expect(fx_has_line(out, "kstat_cpu_x_y_total{ks_instance=\"0\",ks_name=\"sys\"} 7"),
		  "%s", out);
	cr_expect(fx_has_line(out, "kstat_disk_reads_total{ks_instance=\"0\",ks_name=\"vda\","
				   "driver=\"vd\",ks_class=\"disk\"} 5"),
		  "%s", out);
	cr_expect_null(strstr(out, " 666"), "no other module's value under its name: %s", out);
	cr_expect(fx_has_line(out, "kstatd_scrape_dropped_series 2"), "%s", out);
	free(out);
}

/* Families are contiguous: every sample belongs to the family of the last TYPE line */
Test(prom, families_are_contiguous_and_sorted)
{
	const uint64_t vals[] = { 1, 2, 3, 4 };
	char fam[PROM_NAME_MAX] = "", prev[PROM_NAME_MAX] = "";
	char *out, *line, *save;

	for (int i = 0; i < 4; i++)
		fx_named(s, i % 2 ? "zz" : "aa", i, "busy", "misc", 4, busy_names, busy_meta, vals);
	out = scrape(PROM_FMT_TEXT);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			sscanf(line + 7, "%159s", fam);
			if (strcmp(fam, "kstatd_scrape_duration_seconds") != 0)
				cr_expect_gt(strcmp(fam, prev), 0, "%s after %s", fam, prev);
			snprintf(prev, sizeof(prev), "%s", fam);
		} else if (line[0] != '#') {
			cr_expect_eq(strncmp(line, fam, strlen(fam)), 0, "%s outside %s", line,
				     fam);
		}
	}
	free(out);
}

Test(prom, bpf_stats_enabled_is_reported)
{
	int err;
	char *out = fx_render(s, PROM_FMT_TEXT, NULL, 1, &err, NULL);

	cr_expect(fx_has_line(out, "kstatd_bpf_stats_enabled 1"), "%s", out);
	free(out);
}

/* The ktest provider's real maps, per-CPU values summed by the engine */
static struct ktest_fx kfx;

static void bpf_setup(void)
{
	ktest_start(&kfx, true);
}

static void bpf_teardown(void)
{
	ktest_stop(&kfx);
	remove_pin_path();
}

TestSuite(prom_bpf, .init = bpf_setup, .fini = bpf_teardown, .timeout = 60);

Test(prom_bpf, ktest_maps_render_with_their_sums)
{
	struct ktest_val *vals = calloc((size_t)kfx.ncpus, sizeof(*vals));
	int fd = ktest_map("ktest_keyed"), err;
	uint32_t key = 42;
	char line[256], *out;

	cr_assert(vals);
	for (int c = 0; c < kfx.ncpus; c++) {
		vals[c].events = 10;
		vals[c].bytes = 1000;
		vals[c].level = -2;
		vals[c].lat[0] = 1;
		vals[c].lat[2] = 2;
		snprintf(vals[c].name, sizeof(vals[c].name), "prom");
	}
	cr_assert_eq(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0);
	close(fd);
	free(vals);
	cr_assert_geq(loader_sync(kfx.ld), 0);

	out = fx_render(kfx.s, PROM_FMT_TEXT, NULL, -1, &err, NULL);
	cr_assert_eq(err, 0);
	snprintf(line, sizeof(line),
		 "kstat_ktest_events_total{ks_instance=\"42\",ks_name=\"prom\"} %d",
		 10 * kfx.ncpus);
	cr_expect(fx_has_line(out, line), "%s\n%s", line, out);
	snprintf(line, sizeof(line),
		 "kstat_ktest_bytes_total{ks_instance=\"42\",ks_name=\"prom\"} %d",
		 1000 * kfx.ncpus);
	cr_expect(fx_has_line(out, line), "%s", line);
	snprintf(line, sizeof(line), "kstat_ktest_level{ks_instance=\"42\",ks_name=\"prom\"} %d",
		 -2 * kfx.ncpus);
	cr_expect(fx_has_line(out, line), "%s", line);
	snprintf(line, sizeof(line),
		 "kstat_ktest_lat_seconds_bucket{ks_instance=\"42\",ks_name=\"prom\",le=\"7e-09\"} "
		 "%d",
		 3 * kfx.ncpus);
	cr_expect(fx_has_line(out, line), "%s", line);
	cr_expect(fx_has_line(out, "kstatd_provider_attached{provider=\"ktest\"} 1"));
	cr_expect(strstr(out, "kstat_ktest_nread_bytes_total") == NULL, "no IO entry written yet");
	free(out);
}

Test(prom, one_snapshot_per_scrape)
{
	const uint64_t vals[] = { 1, 2, 3, 4 };
	struct snap_stats before, after;
	char *out;

	for (int i = 0; i < 20; i++)
		fx_named(s, "tw", i, "busy", "misc", 4, busy_names, busy_meta, vals);
	snap_get_stats(s, &before);
	out = scrape(PROM_FMT_OPENMETRICS);
	snap_get_stats(s, &after);
	cr_expect_eq(after.walks, before.walks + 1, "%llu walks for one scrape",
		     (unsigned long long)(after.walks - before.walks));
	cr_expect_eq(after.reads, before.reads, "and no kstat read on its own");
	free(out);
}

Test(prom, disk_companions_join_their_disks_and_other_io_kstats_keep_their_module)
{
	kstat_t *info = snap_create(s, "vdinfo", 0, "vda", "disk_info", KSTAT_TYPE_NAMED, 1, 0);
	kstat_t *part = snap_create(s, "vd", 0, "vda1", "partition", KSTAT_TYPE_IO, 1, 0);
	kstat_t *nfs = snap_create(s, "nfs", 3, "nfs3", "nfs", KSTAT_TYPE_IO, 1, 0);
	kstat_named_t *kn;
	char *out;

	cr_assert(info && part && nfs);
	kn = info->ks_data;
	snap_named_init(kn, "major", KSTAT_DATA_UINT64);
	kn->value.ui64 = 254;
	((kstat_io_t *)part->ks_data)->reads = 5;
	((kstat_io_t *)nfs->ks_data)->reads = 6;
	snap_install(s, info);
	snap_install(s, part);
	snap_install(s, nfs);
	out = scrape(PROM_FMT_TEXT);
	cr_expect(fx_has_line(out,
			      "kstat_disk_major{ks_instance=\"0\",ks_name=\"vda\",driver=\"vd\"} "
			      "254"),
		  "%s", out);
	cr_expect(fx_has_line(out, "kstat_disk_reads_total{ks_instance=\"0\",ks_name=\"vda1\","
				   "driver=\"vd\",ks_class=\"partition\"} 5"));
	cr_expect(fx_has_line(out, "kstat_nfs_reads_total{ks_instance=\"3\",ks_name=\"nfs3\"} 6"),
		  "an IO kstat of another class keeps the general rule");
	free(out);
	{
		struct prom_filter f = { .modules = { "disk" }, .n = 1 };
		int err;

		out = fx_render(s, PROM_FMT_TEXT, &f, -1, &err, NULL);
		cr_expect_eq(err, 0, "collect[]=disk: every block device, whatever its driver");
		cr_expect_not_null(strstr(out, "ks_name=\"vda1\""), "%s", out);
		cr_expect_not_null(strstr(out, "kstat_disk_major{"));
		cr_expect_null(strstr(out, "kstat_nfs_"));
		free(out);
	}
	snap_delete(s, info);
	snap_delete(s, part);
	snap_delete(s, nfs);
}

/* The mapping of /proc/self/maps that holds p: its length, 0 if none; *start its start */
static size_t mapping_of(const void *p, uintptr_t *start)
{
	unsigned long lo, hi;
	size_t len = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)p >= lo &&
		    (uintptr_t)p < hi) {
			len = hi - lo;
			*start = lo;
		}
	fclose(f);
	return len;
}

Test(hugemem, a_buffer_grown_past_the_threshold_keeps_its_bytes_in_a_mapping_its_free_unmaps)
{
	size_t small = 1u << 20, big = HUGEMEM_MIN + 1, bigger = 3 * HUGEMEM_MIN;
	unsigned char *p, *q;
	uintptr_t start = 0;

	/* glibc now takes blocks up to 16 MB from its heap, and keeps them */
	p = malloc(16u << 20);
	cr_assert(p);
	p[0] = 1;
	free(p);
	p = hugemem_realloc(NULL, small);
	cr_assert(p);
	for (size_t i = 0; i < small; i++)
		p[i] = (unsigned char)(i * 7);
	q = hugemem_realloc(p, big); /* from malloc into a mapping: copied */
	cr_assert(q);
	cr_expect_geq(mapping_of(q, &start), big);
	cr_expect_eq(start + 16, (uintptr_t)q, "a mapping of its own, not malloc's heap");
	for (size_t i = 0; i < small; i++)
		cr_assert_eq(q[i], (unsigned char)(i * 7), "byte %zu", i);
	memset(q + small, 0xa5, big - small);
	p = hugemem_realloc(q, bigger); /* a mapping grown: moved, not copied */
	cr_assert(p);
	for (size_t i = 0; i < big; i++)
		cr_assert_eq(p[i], i < small ? (unsigned char)(i * 7) : 0xa5, "byte %zu", i);
	p[bigger - 1] = 1;
	cr_expect_eq(hugemem_realloc(p, big), p, "shrinking keeps the mapping");
	hugemem_free(p);
	cr_expect_eq(mapping_of(p, &start), 0, "free unmaps it: no arena keeps its pages");
	hugemem_free(NULL);
	cr_expect_null(hugemem_realloc(NULL, SIZE_MAX - 8));
}

/*
 * A scrape of megabytes: its keep, samples and text take the mapped path,
 * and every kstat's series is there, in order, as in a small one
 */
Test(prom, a_scrape_of_megabytes_has_every_series)
{
	static const char *const names[] = { "alpha", "beta" };
	const int n = 40000;
	uint64_t vals[2];
	char want[128], *out, *p;
	int found = 0;

	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "big%d", i);
		vals[0] = (uint64_t)i;
		vals[1] = (uint64_t)i * 3;
		fx_named(s, "bigmod", i, name, "misc", 2, names, NULL, vals);
	}
	out = scrape(PROM_FMT_TEXT);
	cr_assert_gt(strlen(out), (size_t)HUGEMEM_MIN, "the text passed the threshold");
	p = out;
	for (int i = 0; i < n; i++) {
		snprintf(want, sizeof(want),
			 "kstat_bigmod_beta{ks_instance=\"%d\",ks_name=\"big%d\"} %d\n", i, i,
			 i * 3);
		p = strstr(p, want);
		if (!p)
			break;
		found++;
	}
	cr_expect_eq(found, n, "series %d of %d found in order", found, n);
	free(out);
}
