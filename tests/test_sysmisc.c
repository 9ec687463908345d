// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* unix:0:system_misc and kstatd:0:engine against what the system says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "sysmisc.h"

static struct snap *s;
static struct sysmisc *sm;

static void setup(void)
{
	s = snap_new();
	sm = sysmisc_new(s, NULL);
	cr_assert(sm);
}

static void teardown(void)
{
	sysmisc_free(sm);
	snap_free(s);
}

TestSuite(sysmisc, .init = setup, .fini = teardown);

/* Seconds since boot, from /proc/uptime */
static double uptime(void)
{
	double up = 0;
	FILE *f = fopen("/proc/uptime", "re");

	cr_assert(f);
	cr_assert_eq(fscanf(f, "%lf", &up), 1);
	fclose(f);
	return up;
}

static uint64_t misc(const char *stat)
{
	return read_u64(s, "unix", 0, "system_misc", stat);
}

Test(sysmisc, system_misc_agrees_with_proc)
{
	char line[256];
	unsigned long long btime = 0;
	double load[3];
	FILE *f = fopen("/proc/stat", "re");
	int nproc_proc = 0;

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	cr_expect_eq(misc("boot_time"), btime);
	cr_expect_eq(misc("ncpus"), (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	cr_expect_gt(misc("lbolt"), 0);
	/* illumos's clk_intr is lbolt: uptime = clk_intr / hz, as libuv computes it */
	cr_expect_leq(llabs((long long)misc("clk_intr") - (long long)misc("lbolt")), 1,
		      "clk_intr counts the clock's ticks");
	cr_expect_leq(llabs((long long)(misc("clk_intr") / (uint64_t)sysconf(_SC_CLK_TCK)) -
			    (long long)uptime()),
		      2, "clk_intr / hz is the uptime");

	f = popen("ls /proc | grep -c '^[0-9]'", "r");
	cr_assert(f);
	cr_assert_eq(fscanf(f, "%d", &nproc_proc), 1);
	pclose(f);
	cr_expect_leq(llabs((long long)misc("nproc") - nproc_proc), 20, "nproc %llu vs %d",
		      (unsigned long long)misc("nproc"), nproc_proc);

	cr_assert_eq(getloadavg(load, 3), 3);
	/* FSCALE 256 fixed point: within one unit of rounding of /proc/loadavg */
	cr_expect_leq(llabs((long long)misc("avenrun_1min") - (long long)(load[0] * 256)), 3);
	cr_expect_leq(llabs((long long)misc("avenrun_15min") - (long long)(load[2] * 256)), 3);
}

Test(sysmisc, system_misc_is_uint32_like_illumos)
{
	kid_t kid = find_kid(s, "unix", 0, "system_misc");
	struct snap_rhdr hdr;
	kstat_named_t *kn;

	cr_assert_eq(read_kid(s, kid, (void **)&kn, &hdr), 0);
	for (uint_t i = 0; i < hdr.ks_ndata; i++)
		cr_expect_eq(kn[i].data_type, KSTAT_DATA_UINT32, "%s", kn[i].name);
	free(kn);
}

static int nothing(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	(void)ks;
	(void)meta;
	(void)arg;
	return 0;
}

Test(sysmisc, engine_counts_its_own_work)
{
	uint64_t walks = read_u64(s, "kstatd", 0, "engine", "snapshots");
	uint64_t reads = read_u64(s, "kstatd", 0, "engine", "reads");
	uint_t n;
	kstat_t *h;

	cr_assert_eq(snap_walk(s, NULL, nothing, NULL), 0);
	cr_assert_eq(snap_walk(s, NULL, nothing, NULL), 0);
	cr_expect_eq(read_u64(s, "kstatd", 0, "engine", "snapshots"), walks + 2);
	cr_expect_gt(read_u64(s, "kstatd", 0, "engine", "snapshot_time"), 0);
	cr_expect_gt(read_u64(s, "kstatd", 0, "engine", "reads"), reads);
	h = read_headers(s, &n);
	free(h);
	cr_expect_eq(read_u64(s, "kstatd", 0, "engine", "kstats"), n);
}
