// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Drop-in providers: files appearing in, vanishing from and replaced in
 * the provider directory while the loader runs, and objects that must be
 * refused (not BPF, breaking the convention, writable by others) while
 * everything else keeps serving.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ktest.h"

static struct snap *s;
static struct loader *ld;
static struct sysmisc *sm;
static char dir[64];

static void setup(void)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .reset = true };

	require_bpf();
	s = snap_new();
	ld = loader_new(s, &o);
	cr_assert(ld, "loader_new: %s", strerror(errno));
	sm = sysmisc_new(s, ld);
	strcpy(dir, "/tmp/kstatd-pdir-XXXXXX");
	cr_assert(mkdtemp(dir));
	cr_assert_eq(loader_watch_dir(ld, dir), 0);
	cr_assert_geq(loader_sync(ld), 0);
}

static void teardown(void)
{
	char cmd[128];

	sysmisc_free(sm);
	loader_free(ld);
	snap_free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	remove_pin_path();
}

TestSuite(provider_dir, .init = setup, .fini = teardown, .timeout = 60);

/* Copy a file into the directory the way an operator would: write, then rename */
static void drop_in(const char *src, const char *name, mode_t mode)
{
	char tmp[256], dst[256], cmd[2048];

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod %o '%s' && mv '%s' '%s'", src, tmp,
		 (unsigned)mode, tmp, tmp, dst);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void write_file(const char *name, const char *content, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	fchmod(fd, mode);
	close(fd);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the daemon's loop (wait for a change, sync) until cond holds, up to 5 s */
#define SYNC_UNTIL(cond)                              \
	({                                            \
		double t0 = now_s();                  \
		while (!(cond) && now_s() - t0 < 5) { \
			loader_wait(ld, 200);         \
			loader_sync(ld);              \
		}                                     \
		now_s() - t0;                         \
	})

static bool config_has(const char *stat)
{
	struct snap_rhdr hdr;
	void *data;
	bool has;

	cr_assert_eq(read_kid(s, find_kid(s, "kstatd", 0, "config"), &data, &hdr), 0);
	has = named_find(data, hdr.ks_ndata, stat) != NULL;
	free(data);
	return has;
}

Test(provider_dir, a_dropped_in_provider_is_loaded_and_attached_live)
{
	kid_t chain = snap_chain_id(s), cpu_kid = find_kid(s, "cpu", 0, "sys");
	double secs;

	drop_in(test_obj("ktest.bpf.o"), "ktest.bpf.o", 0644);
	secs = SYNC_UNTIL(find_kid(s, "ktest", 0, "knobs") >= 0);
	fprintf(stderr, "drop-in to kstats: %.3f s\n", secs);
	cr_assert_geq(find_kid(s, "ktest", 0, "knobs"), 0, "ktest's kstats appeared");
	cr_expect_gt(snap_chain_id(s), chain);
	cr_expect_eq(loader_attached(ld, "ktest"), 1);
	cr_expect(config_has("ktest"), "kstatd:0:config lists it");
	cr_expect_eq(read_u64(s, "kstatd", 0, "ktest", "attached"), 1);
	cr_expect_eq(read_u64(s, "kstatd", 0, "ktest", "map_capacity"), 256 + 16,
		     "keyed maps: ktest_keyed and ktest_io");
	cr_expect_eq(find_kid(s, "cpu", 0, "sys"), cpu_kid, "other providers are untouched");
}

Test(provider_dir, a_removed_file_is_detached_deleted_and_unpinned)
{
	char path[256], pins[256];
	struct stat st;

	drop_in(test_obj("ktest.bpf.o"), "ktest.bpf.o", 0644);
	SYNC_UNTIL(find_kid(s, "ktest", 0, "knobs") >= 0);
	cr_assert_geq(find_kid(s, "ktest", 0, "knobs"), 0);
	snprintf(pins, sizeof(pins), "%s/ktest", test_pin_path());
	cr_assert_eq(stat(pins, &st), 0, "pinned while loaded");

	snprintf(path, sizeof(path), "%s/ktest.bpf.o", dir);
	cr_assert_eq(unlink(path), 0);
	SYNC_UNTIL(find_kid(s, "ktest", 0, "knobs") < 0);
	cr_expect_eq(find_kid(s, "ktest", 0, "knobs"), -1);
	cr_expect_eq(find_kid(s, "kstatd", 0, "ktest"), -1, "its self kstat went too");
	cr_expect_eq(loader_attached(ld, "ktest"), -ENOENT);
	cr_expect_not(config_has("ktest"));
	cr_expect_neq(stat(pins, &st), 0, "its pins are gone");
	cr_expect_eq(loader_attached(ld, "cpu_sys"), 1);
}

Test(provider_dir, a_replaced_file_is_reloaded_and_its_counters_continue)
{
	struct ktest_val *v = calloc((size_t)libbpf_num_possible_cpus(), sizeof(*v));
	kid_t cpu_kid = find_kid(s, "cpu", 0, "sys"), old;
	uint32_t key = 9;
	int fd;

	drop_in(test_obj("ktest.bpf.o"), "ktest.bpf.o", 0644);
	SYNC_UNTIL(find_kid(s, "ktest", 0, "knobs") >= 0);
	fd = ktest_map("ktest_keyed");
	v[0].events = 1234;
	strcpy(v[0].name, "seeded");
	cr_assert_eq(bpf_map_update_elem(fd, &key, v, BPF_ANY), 0);
	close(fd);
	free(v);
	cr_assert_eq(loader_sync(ld), 1);
	old = find_kid(s, "ktest", 9, "seeded");
	cr_assert_geq(old, 0);

	drop_in(test_obj("ktest.bpf.o"), "ktest.bpf.o", 0644); /* a new inode, same content */
	SYNC_UNTIL(find_kid(s, "ktest", 9, "seeded") > old);
	cr_assert_gt(find_kid(s, "ktest", 9, "seeded"), old, "reloaded: new kstats, new kids");
	cr_expect_eq(read_u64(s, "ktest", 9, "seeded", "events"), 1234,
		     "the pins were reused: counters continue");
	cr_expect_eq(find_kid(s, "cpu", 0, "sys"), cpu_kid, "other providers are untouched");
	cr_expect_eq(loader_attached(ld, "ktest"), 1);
}

Test(provider_dir, a_file_that_is_not_bpf_is_refused_counted_and_not_retried)
{
	uint64_t pswitch = read_u64(s, "cpu", 0, "sys", "pswitch");

	write_file("broken.bpf.o", "this is not an ELF object\n", 0644);
	SYNC_UNTIL(loader_refusals(ld) == 1);
	cr_assert_eq(loader_refusals(ld), 1);
	cr_expect_eq(read_u64(s, "kstatd", 0, "engine", "providers_refused"), 1);
	cr_expect_eq(loader_attached(ld, "broken"), -ENOENT);
	for (int i = 0; i < 3; i++)
		loader_sync(ld);
	write_file("other.txt", "a change that triggers a rescan", 0644);
	for (int i = 0; i < 4; i++) {
		loader_wait(ld, 200);
		loader_sync(ld);
	}
	cr_expect_eq(loader_refusals(ld), 1, "an unchanged refused file is not retried");
	cr_expect_gt(read_u64(s, "cpu", 0, "sys", "pswitch"), pswitch,
		     "everything else keeps counting");

	drop_in(build_obj_path("examples/signals.bpf.o"), "broken.bpf.o", 0644);
	SYNC_UNTIL(loader_attached(ld, "broken") == 1);
	cr_expect_eq(loader_attached(ld, "broken"), 1, "fixed in place, it loads");
}

Test(provider_dir, a_file_writable_by_others_is_refused)
{
	drop_in(test_obj("ktest.bpf.o"), "ktest.bpf.o", 0666);
	SYNC_UNTIL(loader_refusals(ld) == 1);
	cr_expect_eq(loader_refusals(ld), 1);
	cr_expect_eq(loader_attached(ld, "ktest"), -ENOENT);
}

Test(provider_dir, objects_breaking_the_convention_are_refused_with_a_clear_reason)
{
	char err[512];

	cr_expect_eq(loader_add_file(ld, test_obj("bad_kind.bpf.o"), true, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "map bad_kind: member lo: unknown kind 'minimum' "
			      "(counter, gauge, min, max, hist)");
	cr_expect_eq(loader_add_file(ld, test_obj("bad_shape.bpf.o"), true, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "map bad_shape: kstat.instance=cpu needs a one-entry PERCPU_ARRAY");
	cr_expect_lt(loader_add_file(ld, "/nonexistent/x.bpf.o", true, err, sizeof(err)), 0);
	cr_expect(strstr(err, "No such file"), "%s", err);

	drop_in(test_obj("bad_kind.bpf.o"), "bad_kind.bpf.o", 0644);
	SYNC_UNTIL(loader_refusals(ld) == 1);
	cr_expect_eq(loader_refusals(ld), 1);
	cr_expect_eq(loader_attached(ld, "cpu_sys"), 1);
}
