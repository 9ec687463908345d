// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Four readers (single reads, kid 0, walks) while map entries, and so
 * kstats, are created, changed and deleted for ten seconds.  Allowed
 * errors are the documented ones for a chain that moves under a reader:
 * ENXIO (the kstat went) and EAGAIN (not installed yet).  Every value read
 * must be consistent: the writer keeps nwritten == 2 * nread in each entry
 * of ktest's IO map.  (A plain hash: an update replaces the element
 * whole.  A per-CPU map is updated in place, so a reader may catch one
 * field new and the next old; that tearing is the kernel's, not ours.)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ktest.h"

#define READERS 4
#define KEYS 16 /* ktest_io holds 16 */
#define RUN_SECONDS 10

static struct ktest_fx fx;
static atomic_int stop;

struct reader {
	pthread_t thread;
	unsigned int seed;
	uint64_t reads, walks, enxio, eagain, torn, other;
};

static void setup(void)
{
	ktest_start(&fx, true);
}

static void teardown(void)
{
	ktest_stop(&fx);
	remove_pin_path();
}

TestSuite(concurrency, .init = setup, .fini = teardown, .timeout = 60);

static void check_entry(struct reader *r, const kstat_t *h, const void *data)
{
	const kstat_io_t *kio = data;

	if (strcmp(h->ks_module, "ktest") || h->ks_type != KSTAT_TYPE_IO)
		return;
	if (kio->nwritten != 2 * kio->nread)
		r->torn++;
}

static int walk_emit(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	(void)meta;
	check_entry(arg, ks, ks->ks_data);
	return 0;
}

static void *reader_run(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&stop)) {
		uint_t n;
		kstat_t *h = read_headers(fx.s, &n);
		kstat_t *pick = &h[rand_r(&r->seed) % n];
		struct snap_rhdr hdr;
		void *data;
		int err;

		if (rand_r(&r->seed) % 8 == 0) {
			cr_expect_eq(snap_walk(fx.s, NULL, walk_emit, r), 0);
			r->walks++;
		}
		err = read_kid(fx.s, pick->ks_kid, &data, &hdr);
		r->reads++;
		if (err == 0)
			check_entry(r, pick, data);
		else if (err == ENXIO)
			r->enxio++;
		else if (err == EAGAIN)
			r->eagain++;
		else if (err)
			r->other++;
		free(data);
		free(h);
	}
	return NULL;
}

static void put(int fd, uint32_t key, uint64_t n)
{
	struct ktest_io v = { .nread = n, .nwritten = 2 * n };

	snprintf(v.name, sizeof(v.name), "k%u", key);
	cr_assert_eq(bpf_map_update_elem(fd, &key, &v, BPF_ANY), 0);
}

Test(concurrency, readers_never_see_torn_data_while_the_chain_churns)
{
	struct reader r[READERS] = {};
	uint64_t reads = 0, syncs = 0, changes = 0;
	unsigned int seed = 1;
	int fd = ktest_map("ktest_io");
	time_t end = time(NULL) + RUN_SECONDS;
	uint_t n;
	kstat_t *h;
	int live = 0;

	atomic_store(&stop, 0);
	for (int i = 0; i < READERS; i++) {
		r[i].seed = (unsigned int)i + 1;
		pthread_create(&r[i].thread, NULL, reader_run, &r[i]);
	}
	while (time(NULL) < end) {
		for (int i = 0; i < 8; i++) {
			uint32_t key = 1 + (uint32_t)(rand_r(&seed) % KEYS);

			if (rand_r(&seed) % 3 == 0)
				bpf_map_delete_elem(fd, &key);
			else
				put(fd, key, (uint64_t)rand_r(&seed));
		}
		int c = loader_sync(fx.ld);

		cr_assert_geq(c, 0);
		changes += (uint64_t)c;
		syncs++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++) {
		pthread_join(r[i].thread, NULL);
		reads += r[i].reads;
		cr_expect_eq(r[i].torn, 0, "reader %d saw inconsistent data", i);
		cr_expect_eq(r[i].other, 0, "reader %d got an undocumented error", i);
		fprintf(stderr, "reader %d: %llu reads, %llu walks, %llu ENXIO, %llu EAGAIN\n", i,
			(unsigned long long)r[i].reads, (unsigned long long)r[i].walks,
			(unsigned long long)r[i].enxio, (unsigned long long)r[i].eagain);
	}
	fprintf(stderr, "%llu syncs made %llu kstat changes; %llu reads\n",
		(unsigned long long)syncs, (unsigned long long)changes, (unsigned long long)reads);
	cr_expect_gt(changes, 1000, "the chain really churned");
	cr_expect_gt(reads, 1000);

	/* once the writer stops, the chain matches the map exactly */
	cr_assert_geq(loader_sync(fx.ld), 0);
	for (uint32_t k = 1; k <= KEYS; k++) {
		struct ktest_io v;

		live += bpf_map_lookup_elem(fd, &k, &v) == 0;
	}
	h = read_headers(fx.s, &n);
	for (uint_t i = 0; i < n; i++)
		live -= strcmp(h[i].ks_module, "ktest") == 0 && h[i].ks_type == KSTAT_TYPE_IO;
	free(h);
	cr_expect_eq(live, 0, "one kstat per live entry");
	close(fd);
}
