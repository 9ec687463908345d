// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpu_info:N:cpu_infoN against what Linux says of each CPU: /proc/cpuinfo
 * (brand, vendor, family, model, stepping, clock) and the CPU's topology
 * in sysfs (chip, core); read as node_exporter's illumos cpu and cpufreq
 * collectors read it, by name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cpu_info.h"
#include "helpers.h"
#include "snapshot.h"

static struct snap *s;
static struct cpu_info *ci;

static void setup(void)
{
	s = snap_new();
	cr_assert(s);
	ci = cpu_info_new(s);
	cr_assert(ci, "cpu_info_new: %s", strerror(errno));
}

static void teardown(void)
{
	cpu_info_free(ci);
	snap_free(s);
}

TestSuite(cpu_info, .init = setup, .fini = teardown, .timeout = 30);

struct proc_cpu {
	char vendor[64], brand[160];
	int family, model, stepping;
	double mhz;
};

/* /proc/cpuinfo's block for processor cpu, with sscanf on its lines */
static void proc_cpuinfo(int cpu, struct proc_cpu *p)
{
	char line[1024];
	int cur = -1;
	FILE *f = fopen("/proc/cpuinfo", "re");

	cr_assert(f);
	memset(p, 0, sizeof(*p));
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		const char *v = colon ? colon + 2 : "";

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "processor : %d", &cur) == 1 || cur != cpu || !colon)
			continue;
		if (strncmp(line, "vendor_id", 9) == 0)
			snprintf(p->vendor, sizeof(p->vendor), "%s", v);
		else if (strncmp(line, "model name", 10) == 0)
			snprintf(p->brand, sizeof(p->brand), "%s", v);
		else if (strncmp(line, "cpu family", 10) == 0)
			p->family = atoi(v);
		else if (strncmp(line, "model\t", 6) == 0)
			p->model = atoi(v);
		else if (strncmp(line, "stepping", 8) == 0)
			p->stepping = atoi(v);
		else if (strncmp(line, "cpu MHz", 7) == 0)
			p->mhz = atof(v);
	}
	fclose(f);
}

static long long sysfs_ll(int cpu, const char *rel)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/%s", cpu, rel);
	f = fopen(path, "re");
	if (f && fscanf(f, "%lld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static const kstat_named_t *stat_of(const void *data, uint_t n, const char *name, uchar_t type)
{
	const kstat_named_t *kn = named_find(data, n, name);

	cr_assert(kn, "no %s", name);
	cr_expect_eq(kn->data_type, type, "%s has type %d", name, kn->data_type);
	return kn;
}

Test(cpu_info, each_online_cpu_is_described_as_linux_describes_it)
{
	int ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);

	for (int c = 0; c < ncpus; c++) {
		char name[KSTAT_STRLEN];
		kid_t kid;
		struct snap_rhdr hdr;
		struct proc_cpu p;
		void *data;
		uint_t n;

		snprintf(name, sizeof(name), "cpu_info%d", c);
		kid = find_kid(s, "cpu_info", c, name);
		cr_assert_geq(kid, 0, "no cpu_info:%d:%s", c, name);
		cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
		n = hdr.ks_ndata;
		proc_cpuinfo(c, &p);
		cr_expect_str_eq(KSTAT_NAMED_STR_PTR(stat_of(data, n, "state", KSTAT_DATA_STRING)),
				 "on-line");
		cr_expect_str_eq(KSTAT_NAMED_STR_PTR(stat_of(data, n, "brand", KSTAT_DATA_STRING)),
				 p.brand);
		cr_expect_str_eq(
			KSTAT_NAMED_STR_PTR(stat_of(data, n, "vendor_id", KSTAT_DATA_STRING)),
			p.vendor);
		cr_expect_eq(stat_of(data, n, "family", KSTAT_DATA_INT32)->value.i32, p.family);
		cr_expect_eq(stat_of(data, n, "model", KSTAT_DATA_INT32)->value.i32, p.model);
		cr_expect_eq(stat_of(data, n, "stepping", KSTAT_DATA_INT32)->value.i32, p.stepping);
		cr_expect_eq(stat_of(data, n, "chip_id", KSTAT_DATA_INT64)->value.i64,
			     sysfs_ll(c, "topology/physical_package_id"));
		cr_expect_eq(stat_of(data, n, "core_id", KSTAT_DATA_INT64)->value.i64,
			     sysfs_ll(c, "topology/core_id"));
		/* the clock moves where cpufreq manages it: within a factor of 2 */
		if (p.mhz > 0) {
			double hz = (double)stat_of(data, n, "current_clock_Hz", KSTAT_DATA_UINT64)
					    ->value.ui64;
			int64_t mhz = stat_of(data, n, "clock_MHz", KSTAT_DATA_INT64)->value.i64;

			cr_expect(hz > p.mhz * 1e6 / 2 && hz < p.mhz * 1e6 * 2,
				  "current_clock_Hz %.0f, /proc/cpuinfo %.3f MHz", hz, p.mhz);
			cr_expect(mhz > 0, "clock_MHz %lld", (long long)mhz);
		}
		cr_expect_neq(strlen(KSTAT_NAMED_STR_PTR(stat_of(
				      data, n, "supported_frequencies_Hz", KSTAT_DATA_STRING))),
			      0);
		free(data);
	}
}
