// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The refresh-program convention for drop-in providers (docs/providers.md):
 * a file provider's SEC("syscall") program fills every CPU's copy from the
 * kernel's books at read time, the read-only facts kstatd fills in by name
 * arrive, statistics marked absent at the first run are left out, and a
 * refresh program that fails its first run refuses its provider.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "loader.h"
#include "snapshot.h"

static struct snap *s;
static struct loader *ld;
static int ncpus;

static void setup(void)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .reset = true, .no_builtin = true };
	char err[512];

	require_bpf();
	s = snap_new();
	ld = loader_new(s, &o);
	cr_assert(ld);
	cr_assert_eq(loader_add_file(ld, test_obj("krefresh.bpf.o"), true, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_geq(loader_sync(ld), 0);
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static void teardown(void)
{
	loader_free(ld);
	snap_free(s);
	remove_pin_path();
}

TestSuite(refresh, .init = setup, .fini = teardown, .timeout = 60);

static uint64_t ctxt(void)
{
	char line[4096];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/stat", "re");

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ctxt %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static uint64_t switches(void)
{
	uint64_t sum = 0;

	for (int c = 0; c < ncpus; c++)
		sum += read_u64(s, "krefresh", c, "books", "switches");
	return sum;
}

Test(refresh, each_cpus_copy_comes_from_that_cpus_books)
{
	long page = sysconf(_SC_PAGESIZE);

	for (int c = 0; c < ncpus; c++) {
		cr_expect_eq(read_u64(s, "krefresh", c, "books", "cpu"), 1000 + (uint64_t)c);
		cr_expect_gt(read_u64(s, "krefresh", c, "books", "irqs"), 0,
			     "kstat_percpu_kstat was filled in");
		cr_expect_eq(read_u64(s, "krefresh", c, "books", "page"), (uint64_t)page,
			     "kstat_page_shift was filled in");
	}
}

Test(refresh, a_read_runs_the_program_first)
{
	uint64_t pa, p0, p1, pb, k0, k1;
	int fd[2];
	char c = 0;

	pa = ctxt();
	k0 = switches();
	p0 = ctxt();
	cr_assert_eq(pipe(fd), 0);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(write(fd[1], &c, 1), 1);
		cr_assert_eq(read(fd[0], &c, 1), 1);
		usleep(100); /* a switch to idle and back */
	}
	close(fd[0]);
	close(fd[1]);
	p1 = ctxt();
	k1 = switches();
	pb = ctxt();
	cr_assert_gt(p1 - p0, 1000);
	cr_expect(k1 - k0 >= p1 - p0 && k1 - k0 <= pb - pa, "switches %llu, /proc/stat %llu..%llu",
		  (unsigned long long)(k1 - k0), (unsigned long long)(p1 - p0),
		  (unsigned long long)(pb - pa));
}

Test(refresh, statistics_marked_absent_are_left_out)
{
	kid_t kid = find_kid(s, "krefresh", 0, "books");
	struct snap_rhdr hdr;
	void *data;

	cr_assert_geq(kid, 0);
	cr_assert_eq(read_kid(s, kid, &data, &hdr), 0);
	cr_expect_eq(hdr.ks_ndata, 4, "cpu, switches, irqs, page");
	cr_expect(named_find(data, hdr.ks_ndata, "switches"));
	cr_expect_null(named_find(data, hdr.ks_ndata, "missing"), "no such per-CPU variable");
	cr_expect_null(named_find(data, hdr.ks_ndata, "narrow"), "32 bits of ones");
	free(data);
}

Test(refresh, a_program_that_fails_its_first_run_refuses_its_provider)
{
	char err[512] = "";

	cr_expect_neq(loader_add_file(ld, test_obj("krefresh_bad.bpf.o"), true, err, sizeof(err)),
		      0);
	cr_expect(strstr(err, "refresh program refresh_bad: returns -95"), "%s", err);
	cr_expect_eq(loader_attached(ld, "krefresh_bad"), -ENOENT);
	cr_expect_lt(find_kid(s, "kbadrefresh", 0, "bad"), 0);
}

/* A SEC("syscall") program has no hook: the provider attaches with no link */
Test(refresh, a_provider_of_refresh_programs_only_attaches)
{
	cr_expect_eq(loader_attached(ld, "krefresh"), 1);
	cr_assert_eq(loader_set_enabled(ld, "krefresh", false), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(loader_attached(ld, "krefresh"), 0);
	cr_expect_lt(find_kid(s, "krefresh", 0, "books"), 0, "detached: its kstats go");
	cr_assert_eq(loader_set_enabled(ld, "krefresh", true), 0);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(loader_attached(ld, "krefresh"), 1);
	cr_expect_eq(read_u64(s, "krefresh", 0, "books", "cpu"), 1000);
}
