// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Pinned maps across restarts: counters never go backwards, --reset
 * starts clean, a pin whose layout changed is replaced, and two daemons
 * never share a pin path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ktest.h"

static void cleanup(void)
{
	remove_pin_path();
}

TestSuite(restart, .fini = cleanup, .timeout = 60);

struct counters {
	int n;
	char key[128][128];
	uint64_t val[128];
};

/* Every UINT64 statistic of cpu:*:sys and ktest keyed kstats */
static bool want_counters(const kstat_t *h, void *arg)
{
	(void)arg;
	return (strcmp(h->ks_module, "cpu") == 0 && strcmp(h->ks_name, "sys") == 0) ||
	       (strcmp(h->ks_module, "ktest") == 0 && strcmp(h->ks_class, "test") == 0 &&
		h->ks_instance > 0);
}

static int save_counters(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct counters *c = arg;
	const kstat_named_t *kn = ks->ks_data;

	for (uint_t i = 0; i < ks->ks_ndata && c->n < 128; i++) {
		/* a gauge (cpu:N:sys:iowait, the tasks waiting now) may go down */
		if (kn[i].data_type != KSTAT_DATA_UINT64 || (meta && meta[i].kind == SNAP_GAUGE))
			continue;
		snprintf(c->key[c->n], sizeof(c->key[0]), "%s:%d:%s:%s", ks->ks_module,
			 ks->ks_instance, ks->ks_name, kn[i].name);
		c->val[c->n++] = kn[i].value.ui64;
	}
	return 0;
}

static void start(struct snap **s, struct loader **ld, bool reset, bool builtin)
{
	struct loader_opts o = { .pin_path = test_pin_path(),
				 .reset = reset,
				 .no_builtin = !builtin };
	char err[512];

	*s = snap_new();
	*ld = loader_new(*s, &o);
	cr_assert(*ld, "loader_new: %s", strerror(errno));
	cr_assert_eq(loader_add_file(*ld, test_obj("ktest.bpf.o"), true, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_geq(loader_sync(*ld), 0);
}

static void stop(struct snap *s, struct loader *ld)
{
	loader_free(ld);
	snap_free(s);
}

static void seed_keyed(uint32_t key, uint64_t events)
{
	int fd = ktest_map("ktest_keyed");
	int ncpus = libbpf_num_possible_cpus();
	struct ktest_val *v = calloc((size_t)ncpus, sizeof(*v));

	v[0].events = events;
	strcpy(v[0].name, "seeded");
	cr_assert_eq(bpf_map_update_elem(fd, &key, v, BPF_ANY), 0);
	free(v);
	close(fd);
}

Test(restart, counters_after_a_restart_are_at_least_what_they_were)
{
	struct counters before = {}, after = {};
	struct snap *s;
	struct loader *ld;
	int matched = 0;

	require_bpf();
	start(&s, &ld, true, true);
	seed_keyed(9, 1234);
	/* at least ktest:9: disks and interfaces of other tests may come and go too */
	cr_assert_geq(loader_sync(ld), 1);
	cr_assert_geq(find_kid(s, "ktest", 9, "seeded"), 0);
	usleep(200000);
	cr_assert_eq(snap_walk(s, want_counters, save_counters, &before), 0);
	cr_assert_gt(before.n, 8);
	stop(s, ld);

	start(&s, &ld, false, true);
	cr_assert_eq(snap_walk(s, want_counters, save_counters, &after), 0);
	for (int i = 0; i < before.n; i++) {
		for (int j = 0; j < after.n; j++) {
			if (strcmp(before.key[i], after.key[j]))
				continue;
			matched++;
			cr_expect_geq(after.val[j], before.val[i],
				      "%s went backwards: %llu -> %llu", before.key[i],
				      (unsigned long long)before.val[i],
				      (unsigned long long)after.val[j]);
		}
	}
	cr_expect_eq(matched, before.n, "every counter is there after the restart");
	cr_expect_eq(read_u64(s, "ktest", 9, "seeded", "events"), 1234);
	stop(s, ld);
}

Test(restart, reset_starts_every_counter_at_zero)
{
	struct snap *s;
	struct loader *ld;

	require_bpf();
	start(&s, &ld, true, false);
	seed_keyed(9, 1234);
	stop(s, ld);
	start(&s, &ld, true, false);
	cr_expect_eq(find_kid(s, "ktest", 9, "seeded"), -1, "the pinned entry is gone");
	stop(s, ld);
}

Test(restart, a_pin_whose_layout_changed_is_replaced)
{
	char dir[] = "/tmp/kstatd-v2-XXXXXX", path[256], cmd[1024], err[512];
	struct loader_opts o = { .pin_path = test_pin_path(), .no_builtin = true };
	struct snap *s;
	struct loader *ld;

	require_bpf();
	start(&s, &ld, true, false);
	seed_keyed(9, 1234);
	stop(s, ld);

	/* the upgraded provider keeps its name: same pin directory */
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ktest.bpf.o", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", test_obj("ktest_v2.bpf.o"), path);
	cr_assert_eq(system(cmd), 0);
	s = snap_new();
	ld = loader_new(s, &o);
	cr_assert(ld);
	cr_assert_eq(loader_add_file(ld, path, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(loader_sync(ld), 0);
	cr_expect_eq(find_kid(s, "ktest", 9, "seeded"), -1,
		     "the old entries were not read through the new layout");
	stop(s, ld);
	unlink(path);
	rmdir(dir);
}

Test(restart, a_second_daemon_on_the_same_pin_path_is_refused)
{
	struct loader_opts o = { .pin_path = test_pin_path(), .no_builtin = true };
	struct snap *s = snap_new();
	struct loader *a, *b;

	require_bpf();
	a = loader_new(s, &o);
	cr_assert(a);
	b = loader_new(s, &o);
	cr_expect_null(b);
	cr_expect_eq(errno, EBUSY);
	loader_free(a);
	b = loader_new(s, &o);
	cr_expect(b, "free again once the first one is gone");
	loader_free(b);
	snap_free(s);
}
