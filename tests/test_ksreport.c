// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What kiostat and kmpstat derive from two readings of a kstat, against
 * figures worked out by hand from illumos iostat's definitions: rates from
 * counters, queue lengths and busy percentages from the Riemann sums,
 * svc_t by Little's law; and the interval operands as illumos parses them.
 */
#include <math.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include "ksreport.h"

#define SEC 1000000000LL

static void expect_near(double got, double want, const char *what)
{
	cr_expect(fabs(got - want) < 1e-9, "%s: %.12g, want %.12g", what, got, want);
}

Test(ksreport, iostat_x_as_illumos_derives_it)
{
	kstat_io_t a = { .nread = 4096, .reads = 1, .rtime = SEC, .rlentime = SEC };
	kstat_io_t b = a;
	struct ks_iostat x;

	/* over 2 s: 200 reads and 100 writes of 4 KiB; busy 1 s with 2 running on
	 * average while busy; something waiting for 0.5 s, 1.5 waiting then */
	b.reads += 200;
	b.writes += 100;
	b.nread += 200 * 4096;
	b.nwritten += 100 * 4096;
	b.rtime += SEC;
	b.rlentime += 2 * SEC;
	b.wtime += SEC / 2;
	b.wlentime += 3 * SEC / 4;
	ks_iostat(&a, &b, 2 * SEC, &x);
	expect_near(x.rps, 100, "r/s");
	expect_near(x.wps, 50, "w/s");
	expect_near(x.krps, 400, "kr/s");
	expect_near(x.kwps, 200, "kw/s");
	expect_near(x.actv, 1.0, "actv: 2 s of request-time over 2 s");
	expect_near(x.wait, 0.375, "wait");
	expect_near(x.pct_b, 50, "%b");
	expect_near(x.pct_w, 25, "%w");
	/* (0.75 + 2) s of queue time over 300 I/Os: 9.1666 ms each */
	expect_near(x.svc_t, 2750.0 / 300, "svc_t in ms");
}

Test(ksreport, an_idle_disk_and_an_empty_interval_are_zero)
{
	kstat_io_t a = { .reads = 5, .rtime = SEC };
	struct ks_iostat x;

	ks_iostat(&a, &a, SEC, &x);
	expect_near(x.rps + x.wps + x.krps + x.kwps + x.wait + x.actv + x.pct_b + x.pct_w, 0,
		    "all");
	expect_near(x.svc_t, 0, "no I/O: no service time, not a division by zero");
	ks_iostat(&a, &a, 0, &x);
	expect_near(x.rps, 0, "an interval of 0");
}

Test(ksreport, mpstat_rates_and_shares)
{
	uint64_t a[KS_MP_NSTATS] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 0, 0, 0, 0, 0, 0 };
	uint64_t b[KS_MP_NSTATS] = { 110, 220,  330,      440,     550,      660,      770,     880,
				     990, 1100, SEC / 10, SEC / 5, SEC / 10, SEC / 10, SEC / 2, 0 };
	struct ks_mpstat m;

	cr_assert_str_eq(ks_mp_stats[0], "as_fault");
	cr_assert_str_eq(ks_mp_stats[KS_MP_NVM], "xcalls");
	cr_assert_str_eq(ks_mp_stats[9], "cpumigrate");
	cr_assert_str_eq(ks_mp_stats[10], "cpu_nsec_user");
	ks_mpstat(a, b, 2 * SEC, &m);
	expect_near(m.minf, 50, "minf");
	expect_near(m.mjf, 100, "mjf");
	expect_near(m.xcal, 150, "xcal");
	expect_near(m.intr, 200, "intr");
	expect_near(m.csw, 250, "csw");
	expect_near(m.icsw, 300, "icsw");
	expect_near(m.syscl, 350, "syscl");
	expect_near(m.fork, 400, "fork");
	expect_near(m.exec, 450, "exec");
	expect_near(m.migr, 500, "migr");
	expect_near(m.usr, 10, "usr");
	expect_near(m.sys, 30, "sys: kernel and interrupts");
	expect_near(m.wt, 10, "wt");
	expect_near(m.idl, 50, "idl");
}

Test(ksreport, interval_and_count_as_illumos_parses_them)
{
	char *one[] = { "2" }, *two[] = { "1", "3" }, *zero[] = { "0" }, *junk[] = { "1x" };
	char *three[] = { "1", "2", "3" }, *big[] = { "99999999999999999999" };
	long count;
	int interval;

	cr_expect(ks_parse_interval(0, NULL, &interval, &count));
	cr_expect_eq(count, 1, "no operand: one report");
	cr_expect(ks_parse_interval(1, one, &interval, &count));
	cr_expect_eq(interval, 2);
	cr_expect_eq(count, -1, "an interval alone: forever");
	cr_expect(ks_parse_interval(2, two, &interval, &count));
	cr_expect_eq(count, 3);
	cr_expect_not(ks_parse_interval(1, zero, &interval, &count));
	cr_expect_not(ks_parse_interval(1, junk, &interval, &count));
	cr_expect_not(ks_parse_interval(3, three, &interval, &count));
	cr_expect_not(ks_parse_interval(1, big, &interval, &count));
}
