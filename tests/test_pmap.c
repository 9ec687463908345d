// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Provider maps as kstats, with the ktest provider: keyed instances that
 * come and go with their map entries, per-CPU combination, the IO, INTR
 * and TIMER types, writable maps, exact counting from a tracepoint, map
 * full drops, and detaching through kstatd:0:config.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ktest.h"

static struct ktest_fx fx;

static void setup(void)
{
	ktest_start(&fx, true);
}

static void teardown(void)
{
	ktest_stop(&fx);
	remove_pin_path();
}

TestSuite(pmap, .init = setup, .fini = teardown, .timeout = 60);

/* Put one keyed entry, the same value on every CPU, or one per CPU */
static void put_keyed(uint32_t key, const struct ktest_val *per_cpu, bool same)
{
	int fd = ktest_map("ktest_keyed");
	struct ktest_val *vals = calloc((size_t)fx.ncpus, sizeof(*vals));

	for (int c = 0; c < fx.ncpus; c++)
		vals[c] = same ? per_cpu[0] : per_cpu[c];
	cr_assert_eq(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0, "%s", strerror(errno));
	free(vals);
	close(fd);
}

static void del_keyed(uint32_t key)
{
	int fd = ktest_map("ktest_keyed");

	cr_assert_eq(bpf_map_delete_elem(fd, &key), 0);
	close(fd);
}

static void write_knobs(uint64_t tgid, uint64_t hist_value)
{
	kid_t kid = find_kid(fx.s, "ktest", 0, "knobs"), kcid;
	kstat_named_t buf[2];
	struct snap_rhdr hdr;
	size_t copied;

	cr_assert_geq(kid, 0);
	cr_assert_eq(snap_read(fx.s, kid, SNAP_MODEL_LP64, buf, sizeof(buf),
			       (uint64_t)(uintptr_t)buf, &hdr, &copied, &kcid),
		     0);
	buf[0].value.ui64 = tgid;
	buf[1].value.ui64 = hist_value;
	cr_assert_eq(snap_write(fx.s, kid, SNAP_MODEL_LP64, buf, sizeof(buf), 2,
				(uint64_t)(uintptr_t)buf, true, &kcid),
		     0);
}

static void fork_children(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
}

Test(pmap, the_schema_decides_names_types_and_classes)
{
	uint_t n;
	kstat_t *h = read_headers(fx.s, &n);
	int seen = 0;

	for (uint_t i = 0; i < n; i++) {
		if (strcmp(h[i].ks_module, "ktest"))
			continue;
		seen++;
		if (strcmp(h[i].ks_name, "knobs") == 0) {
			cr_expect_eq(h[i].ks_type, KSTAT_TYPE_NAMED);
			cr_expect_eq(h[i].ks_flags & KSTAT_FLAG_WRITABLE, KSTAT_FLAG_WRITABLE);
			cr_expect_str_eq(h[i].ks_class, "test");
			cr_expect_eq(h[i].ks_ndata, 2);
		} else if (strcmp(h[i].ks_name, "intr") == 0) {
			cr_expect_eq(h[i].ks_type, KSTAT_TYPE_INTR);
			cr_expect_str_eq(h[i].ks_class, "controller");
			cr_expect_eq(h[i].ks_data_size, sizeof(kstat_intr_t));
		} else if (strcmp(h[i].ks_name, "open") == 0) {
			cr_expect_eq(h[i].ks_type, KSTAT_TYPE_NAMED);
		} else if (strcmp(h[i].ks_name, "timer") == 0) {
			cr_expect_eq(h[i].ks_type, KSTAT_TYPE_TIMER);
			cr_expect_str_eq(h[i].ks_class, "misc", "the default class");
		} else {
			cr_expect_fail("unexpected kstat ktest:%d:%s", h[i].ks_instance,
				       h[i].ks_name);
		}
	}
	free(h);
	cr_expect_eq(seen, 4, "keyed maps have no kstats until they have entries");
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "ktest", "attached"), 1);
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "ktest", "programs"), 1);
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "config", "ktest"), 1);
}

Test(pmap, entries_become_kstats_and_go_with_chain_id_bumps)
{
	struct ktest_val v = { .events = 5 };
	kid_t chain, kid;

	strcpy(v.name, "alpha");
	chain = snap_chain_id(fx.s);
	put_keyed(42, &v, true);
	cr_assert_eq(loader_sync(fx.ld), 1, "one kstat created");
	kid = find_kid(fx.s, "ktest", 42, "alpha");
	cr_assert_geq(kid, 0, "the key is the instance, the name field the name");
	cr_expect_gt(snap_chain_id(fx.s), chain);
	cr_expect_eq(read_u64(fx.s, "ktest", 42, "alpha", "events"), 5ULL * (uint64_t)fx.ncpus);

	chain = snap_chain_id(fx.s);
	cr_expect_eq(loader_sync(fx.ld), 0, "nothing changed, nothing happens");
	cr_expect_eq(snap_chain_id(fx.s), chain);

	del_keyed(42);
	cr_assert_eq(loader_sync(fx.ld), 1, "one kstat deleted");
	cr_expect_eq(find_kid(fx.s, "ktest", 42, "alpha"), -1);
	cr_expect_eq(snap_chain_id(fx.s), chain + 1);

	put_keyed(42, &v, true);
	cr_assert_eq(loader_sync(fx.ld), 1);
	cr_expect_gt(find_kid(fx.s, "ktest", 42, "alpha"), kid, "kids are never reused");
}

Test(pmap, per_cpu_copies_combine_by_kind)
{
	struct ktest_val v[2] = {};
	const kstat_named_t *kn;
	struct snap_rhdr hdr;
	void *data;

	cr_assert_geq(fx.ncpus, 2, "needs two CPUs");
	v[0] = (struct ktest_val){ .events = 3,
				   .bytes = 1000,
				   .level = -5,
				   .lo = 0,
				   .hi = 4,
				   .lat = { 1, 2, 0, 0 },
				   .small = 7 };
	v[1] = (struct ktest_val){ .events = 4,
				   .bytes = 24,
				   .level = 2,
				   .lo = 9,
				   .hi = 9,
				   .lat = { 0, 1, 0, 5 },
				   .small = 1 };
	strcpy(v[1].name, "second"); /* only the CPU that made an entry has its name */
	put_keyed(7, v, false);
	cr_assert_eq(loader_sync(fx.ld), 1);
	cr_assert_eq(read_kid(fx.s, find_kid(fx.s, "ktest", 7, "second"), &data, &hdr), 0);
	cr_expect_eq(hdr.ks_ndata, 10, "7 statistics, the histogram as 4 records");
	kn = named_find(data, hdr.ks_ndata, "events");
	cr_expect_eq(kn->data_type, KSTAT_DATA_UINT64);
	cr_expect_eq(kn->value.ui64, 7, "counters sum");
	cr_expect_eq(named_find(data, hdr.ks_ndata, "bytes")->value.ui64, 1024);
	kn = named_find(data, hdr.ks_ndata, "level");
	cr_expect_eq(kn->data_type, KSTAT_DATA_INT64);
	cr_expect_eq(kn->value.i64, -3, "signed gauges sum as signed");
	cr_expect_eq(named_find(data, hdr.ks_ndata, "lo")->value.ui64, 9, "min ignores CPUs at 0");
	cr_expect_eq(named_find(data, hdr.ks_ndata, "hi")->value.ui64, 9, "max");
	cr_expect_eq(named_find(data, hdr.ks_ndata, "lat_00_lt_2")->value.ui64, 1);
	cr_expect_eq(named_find(data, hdr.ks_ndata, "lat_01_lt_4")->value.ui64, 3);
	cr_expect_eq(named_find(data, hdr.ks_ndata, "lat_02_lt_8")->value.ui64, 0);
	cr_expect_eq(named_find(data, hdr.ks_ndata, "lat_03_inf")->value.ui64, 5);
	kn = named_find(data, hdr.ks_ndata, "small");
	cr_expect_eq(kn->data_type, KSTAT_DATA_UINT32);
	cr_expect_eq(kn->value.ui32, 8);
	cr_expect_null(named_find(data, hdr.ks_ndata, "name"), "the name field is not a statistic");
	cr_expect_null(named_find(data, hdr.ks_ndata, "pad"), "untagged members are private");
	free(data);
}

Test(pmap, io_intr_and_timer_kstats_carry_the_illumos_structs)
{
	struct ktest_io io = { .nread = 4096,
			       .nwritten = 8192,
			       .reads = 1,
			       .writes = 2,
			       .wtime = 30,
			       .rtime = 40,
			       .rlentime = 50 };
	/* per-CPU values travel at a stride of the value size rounded up to 8 */
	struct {
		struct ktest_intr v;
		uint32_t pad;
	} in[2] = { { { 1, 2, 3, 4, 5 }, 0 }, { { 10, 20, 30, 40, 50 }, 0 } };
	struct ktest_timer tm[2] = { { 2, 30, 10, 20, 100, 120 }, { 1, 5, 5, 5, 200, 205 } };
	uint32_t key = 0, iokey = 3;
	struct snap_rhdr hdr;
	kstat_timer_t *kt;
	kstat_intr_t *ki;
	kstat_io_t *kio;
	int fd;

	strcpy(io.name, "vdz");
	fd = ktest_map("ktest_io");
	cr_assert_eq(bpf_map_update_elem(fd, &iokey, &io, BPF_ANY), 0);
	close(fd);
	fd = ktest_map("ktest_intr");
	cr_assert_eq(bpf_map_update_elem(fd, &key, in, BPF_ANY), 0);
	close(fd);
	fd = ktest_map("ktest_timer");
	cr_assert_eq(bpf_map_update_elem(fd, &key, tm, BPF_ANY), 0);
	close(fd);
	cr_assert_eq(loader_sync(fx.ld), 1, "the io entry appeared");

	cr_assert_eq(read_kid(fx.s, find_kid(fx.s, "ktest", 3, "vdz"), (void **)&kio, &hdr), 0);
	cr_expect_eq(hdr.ks_data_size, sizeof(kstat_io_t));
	cr_expect_eq(kio->nread, 4096);
	cr_expect_eq(kio->nwritten, 8192);
	cr_expect_eq(kio->reads, 1);
	cr_expect_eq(kio->writes, 2);
	cr_expect_eq(kio->wtime, 30);
	cr_expect_eq(kio->rtime, 40);
	cr_expect_eq(kio->rlentime, 50);
	free(kio);

	cr_assert_eq(read_kid(fx.s, find_kid(fx.s, "ktest", 0, "intr"), (void **)&ki, &hdr), 0);
	for (int i = 0; i < KSTAT_NUM_INTRS; i++)
		cr_expect_eq(ki->intrs[i], 11u * (unsigned)(i + 1), "interrupts sum across CPUs");
	free(ki);

	cr_assert_eq(read_kid(fx.s, find_kid(fx.s, "ktest", 0, "timer"), (void **)&kt, &hdr), 0);
	cr_expect_str_eq(kt->name, "timer");
	cr_expect_eq(kt->num_events, 3);
	cr_expect_eq(kt->elapsed_time, 35);
	cr_expect_eq(kt->min_time, 5, "the shortest event of any CPU");
	cr_expect_eq(kt->max_time, 20);
	cr_expect_eq(kt->start_time, 200, "the latest start");
	cr_expect_eq(kt->stop_time, 205);
	free(kt);
}

Test(pmap, a_tracepoint_counts_exactly_what_the_test_does)
{
	struct ktest_val v = {};
	uint32_t me = (uint32_t)getpid();

	strcpy(v.name, "self");
	put_keyed(me, &v, true);
	cr_assert_eq(loader_sync(fx.ld), 1);
	write_knobs(me, 100); /* the writable kstat arms the filter */
	cr_expect_eq(read_u64(fx.s, "ktest", 0, "knobs", "track_tgid"), me,
		     "the write reached the BPF array");
	fork_children(50);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "events"), 50);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "lat_03_inf"), 50,
		     "100 is beyond the last slot");
	write_knobs(0, 0);
	fork_children(5);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "events"), 50);
}

Test(pmap, a_full_map_counts_drops)
{
	write_knobs((uint64_t)getpid(), 1);
	fork_children(6);
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "ktest", "map_drops"), 4,
		     "ktest_small holds 2 of 6 children");
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "engine", "map_drops"), 4);
}

struct walk_check {
	int keyed;
	uint64_t events;
	hrtime_t first, last; /* the least and the greatest ks_snaptime */
};

static bool want_ktest(const kstat_t *h, void *arg)
{
	(void)arg;
	return strcmp(h->ks_module, "ktest") == 0 && strcmp(h->ks_class, "test") == 0 &&
	       h->ks_instance > 0;
}

static int sum_events(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct walk_check *w = arg;
	(void)meta;

	w->keyed++;
	w->events += named_find(ks->ks_data, ks->ks_ndata, "events")->value.ui64;
	if (!w->first || ks->ks_snaptime < w->first)
		w->first = ks->ks_snaptime;
	if (ks->ks_snaptime > w->last)
		w->last = ks->ks_snaptime;
	return 0;
}

Test(pmap, walks_read_the_map_in_one_batch_and_agree_with_single_reads)
{
	struct walk_check w = {}, again;
	struct snap_stats st0, st1;
	uint64_t single = 0;
	hrtime_t t0, t1;

	for (uint32_t k = 1; k <= 100; k++) {
		struct ktest_val v = { .events = k };

		snprintf(v.name, sizeof(v.name), "e%u", k);
		put_keyed(k, &v, true);
	}
	cr_assert_eq(loader_sync(fx.ld), 100);
	snap_get_stats(fx.s, &st0);
	t0 = snap_now();
	cr_assert_eq(snap_walk(fx.s, want_ktest, sum_events, &w), 0);
	t1 = snap_now();
	snap_get_stats(fx.s, &st1);
	cr_expect_eq(w.keyed, 100);
	cr_expect_eq(w.events, 5050ULL * (uint64_t)fx.ncpus);
	cr_expect_eq(st1.walks, st0.walks + 1);
	/* every kstat's numbers are as of the one read: its end is their snaptime */
	cr_expect_eq(w.first, w.last, "one read, one ks_snaptime (%lld..%lld)", (long long)w.first,
		     (long long)w.last);
	cr_expect(w.first > t0 && w.first < t1, "the read was made during the walk");
	again = (struct walk_check){ 0 };
	cr_assert_eq(snap_walk(fx.s, want_ktest, sum_events, &again), 0);
	cr_expect_eq(again.first, again.last);
	cr_expect_gt(again.first, t1, "the next walk reads again");
	for (uint32_t k = 1; k <= 100; k++) {
		char name[16];

		snprintf(name, sizeof(name), "e%u", k);
		single += read_u64(fx.s, "ktest", (int)k, name, "events");
	}
	cr_expect_eq(single, w.events);
}

/* A large hash's kstats, against what the test put in (kbig.bpf.c) */
struct big_check {
	int ncpus;
	uint64_t bump; /* added to every pc value on CPU 0 since the fill */
	int pc, lru, wrong;
};

static bool want_kbig(const kstat_t *h, void *arg)
{
	(void)arg;
	return strcmp(h->ks_module, "kbig") == 0;
}

static int check_big(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	const kstat_named_t *kn = ks->ks_data;
	struct big_check *w = arg;
	uint64_t k = (uint64_t)ks->ks_instance, n = (uint64_t)w->ncpus, tri = n * (n - 1) / 2;

	(void)meta;
	if (strcmp(ks->ks_name, "pc") == 0) {
		w->pc++;
		w->wrong += kn[0].value.ui32 != (uint32_t)(k * n * n + tri + w->bump) ||
			    kn[1].value.ui32 != (uint32_t)(3 * k * n + tri) ||
			    kn[2].value.ui32 != (uint32_t)k;
	} else {
		w->lru++;
		w->wrong += kn[0].value.ui64 != 7 * (k - 1000000);
	}
	return 0;
}

/* Does a reader program (hash_reader.bpf.c) hold the map behind fd? */
static bool reader_holds(int fd)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), id = 0;
	bool found = false;

	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &mi, &len), 0);
	while (!found && bpf_prog_get_next_id(id, &id) == 0) {
		__u32 ids[4] = { 0 };
		struct bpf_prog_info pi = { .nr_map_ids = 4, .map_ids = (uintptr_t)ids };
		int pfd = bpf_prog_get_fd_by_id(id);

		len = sizeof(pi);
		if (pfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(pfd, &pi, &len) == 0 &&
		    strcmp(pi.name, "read_hash") == 0)
			for (__u32 i = 0; i < pi.nr_map_ids && i < 4; i++)
				found |= ids[i] == mi.id;
		close(pfd);
	}
	return found;
}

Test(pmap, a_large_hash_is_read_by_a_program_and_agrees_with_what_was_put)
{
	struct kbig_pc {
		uint32_t a, b, c;
	} *v = calloc((size_t)fx.ncpus, 16);
	struct big_check w = { .ncpus = fx.ncpus };
	char err[256];
	int pc, lru;

	cr_assert_eq(loader_add_file(fx.ld, test_obj("kbig.bpf.o"), true, err, sizeof(err)), 0,
		     "%s", err);
	pc = pinned_map("kbig", "kbig_pc");
	lru = pinned_map("kbig", "kbig_lru");
	for (uint32_t k = 1; k <= 17000; k++) {
		for (int c = 0; c < fx.ncpus; c++)
			*(struct kbig_pc *)((char *)v + c * 16) =
				(struct kbig_pc){ k * (uint32_t)fx.ncpus + (uint32_t)c,
						  3 * k + (uint32_t)c, c ? 0 : k };
		cr_assert_eq(bpf_map_update_elem(pc, &k, v, BPF_ANY), 0, "%s", strerror(errno));
	}
	for (uint64_t k = 1000001; k <= 1010000; k++) {
		uint64_t x = 7 * (k - 1000000);

		cr_assert_eq(bpf_map_update_elem(lru, &k, &x, BPF_ANY), 0, "%s", strerror(errno));
	}
	cr_assert_geq(loader_sync(fx.ld), 27000);
	cr_assert_eq(snap_walk(fx.s, want_kbig, check_big, &w), 0);
	cr_expect_eq(w.pc, 17000);
	cr_expect_eq(w.lru, 10000);
	cr_expect_eq(w.wrong, 0, "%d kstats disagree with the map", w.wrong);
	cr_expect(reader_holds(pc), "a reader program reads kbig_pc");
	cr_expect(reader_holds(lru), "a reader program reads kbig_lru");
	w = (struct big_check){ .ncpus = fx.ncpus };
	cr_assert_eq(snap_walk(fx.s, want_kbig, check_big, &w), 0);
	cr_expect_eq(w.pc + w.lru, 27000, "a second walk, all by the readers");
	cr_expect_eq(w.wrong, 0);

	/* half go, the rest count on, and the LRU hash outgrows its reader's room */
	for (uint64_t k = 1010001; k <= 1015000; k++) {
		uint64_t x = 7 * (k - 1000000);

		cr_assert_eq(bpf_map_update_elem(lru, &k, &x, BPF_ANY), 0, "%s", strerror(errno));
	}
	for (uint32_t k = 1; k <= 17000; k++) {
		if (k % 2) {
			cr_assert_eq(bpf_map_delete_elem(pc, &k), 0);
			continue;
		}
		cr_assert_eq(bpf_map_lookup_elem(pc, &k, v), 0);
		((struct kbig_pc *)v)->a += 5;
		cr_assert_eq(bpf_map_update_elem(pc, &k, v, BPF_EXIST), 0);
	}
	loader_sync(fx.ld);
	w = (struct big_check){ .ncpus = fx.ncpus, .bump = 5 };
	cr_assert_eq(snap_walk(fx.s, want_kbig, check_big, &w), 0);
	cr_expect_eq(w.pc, 8500);
	cr_expect_eq(w.lru, 15000);
	cr_expect_eq(w.wrong, 0, "%d kstats disagree with the map after the change", w.wrong);
	w = (struct big_check){ .ncpus = fx.ncpus, .bump = 5 };
	cr_assert_eq(snap_walk(fx.s, want_kbig, check_big, &w), 0);
	cr_expect_eq(w.pc + w.lru, 8500 + 15000);
	cr_expect_eq(w.wrong, 0);
	cr_expect(reader_holds(lru), "a reader with more room reads kbig_lru");
	free(v);
	close(pc);
	close(lru);
}

struct meta_check {
	int checked;
};

static bool want_keyed_7(const kstat_t *h, void *arg)
{
	(void)arg;
	return strcmp(h->ks_module, "ktest") == 0 && h->ks_instance == 7;
}

static int check_meta(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	const kstat_named_t *kn = ks->ks_data;
	struct meta_check *c = arg;

	cr_assert(meta, "provider kstats carry their schema");
	for (uint_t i = 0; i < ks->ks_ndata; i++) {
		const struct snap_stat_meta *m = &meta[i];

		if (strcmp(kn[i].name, "events") == 0) {
			cr_expect_eq(m->kind, SNAP_COUNTER);
			cr_expect_str_eq(m->unit, "count");
			cr_expect_str_eq(m->help, "Forks by the tracked process");
		} else if (strcmp(kn[i].name, "level") == 0 || strcmp(kn[i].name, "lo") == 0 ||
			   strcmp(kn[i].name, "hi") == 0) {
			cr_expect_eq(m->kind, SNAP_GAUGE, "%s is a gauge", kn[i].name);
		} else if (strncmp(kn[i].name, "lat_", 4) == 0) {
			cr_expect_eq(m->kind, SNAP_HIST);
			cr_expect_str_eq(m->hist, "lat");
			cr_expect_str_eq(m->unit, "ns");
		}
		c->checked++;
	}
	cr_expect_eq(meta[5].le, 2);
	cr_expect_eq(meta[6].le, 4);
	cr_expect_eq(meta[7].le, 8);
	cr_expect_eq(meta[8].le, UINT64_MAX, "the last bucket is open");
	return 0;
}

Test(pmap, walks_hand_exporters_each_statistics_kind_unit_and_help)
{
	struct ktest_val v = { .events = 1 };
	struct meta_check c = {};

	strcpy(v.name, "m");
	put_keyed(7, &v, true);
	cr_assert_eq(loader_sync(fx.ld), 1);
	cr_assert_eq(snap_walk(fx.s, want_keyed_7, check_meta, &c), 0);
	cr_expect_eq(c.checked, 10);
}

static void write_config(uint64_t ktest, int expect_err)
{
	kid_t kid = find_kid(fx.s, "kstatd", 0, "config"), kcid;
	struct snap_rhdr hdr;
	kstat_named_t *kn;
	size_t copied;

	cr_assert_geq(kid, 0);
	cr_assert_eq(read_kid(fx.s, kid, (void **)&kn, &hdr), 0);
	cr_assert_eq(hdr.ks_ndata, 1);
	cr_assert_str_eq(kn[0].name, "ktest");
	kn[0].value.ui64 = ktest;
	cr_expect_eq(snap_write(fx.s, kid, SNAP_MODEL_LP64, kn, hdr.ks_data_size, hdr.ks_ndata,
				(uint64_t)(uintptr_t)kn, true, &kcid),
		     expect_err);
	(void)copied;
	free(kn);
}

Test(pmap, config_detaches_and_reattaches_and_counters_continue)
{
	struct ktest_val v = {};
	uint32_t me = (uint32_t)getpid();
	kid_t chain;

	strcpy(v.name, "self");
	put_keyed(me, &v, true);
	cr_assert_eq(loader_sync(fx.ld), 1);
	write_knobs(me, 1);
	fork_children(10);
	cr_assert_eq(read_u64(fx.s, "ktest", (int)me, "self", "events"), 10);

	write_config(2, EINVAL);
	chain = snap_chain_id(fx.s);
	write_config(0, 0);
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "config", "ktest"), 0, "the wish reads back");
	cr_assert_eq(loader_sync(fx.ld), 5, "its five kstats deleted");
	cr_expect_eq(loader_attached(fx.ld, "ktest"), 0);
	cr_expect_eq(find_kid(fx.s, "ktest", (int)me, "self"), -1);
	cr_expect_eq(find_kid(fx.s, "ktest", 0, "knobs"), -1);
	cr_expect_eq(snap_chain_id(fx.s), chain + 5);
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "ktest", "attached"), 0);
	fork_children(10); /* detached: nothing counts these */

	write_config(1, 0);
	cr_assert_eq(loader_sync(fx.ld), 5);
	cr_expect_eq(loader_attached(fx.ld, "ktest"), 1);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "events"), 10,
		     "counters continue where they were");
	fork_children(3);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "events"), 13);
}

Test(pmap, a_provider_can_count_into_another_providers_map)
{
	struct ktest_val v = {};
	uint32_t me = (uint32_t)getpid();
	char err[512];

	cr_assert_eq(loader_add_file(fx.ld, test_obj("ktest_share.bpf.o"), true, err, sizeof(err)),
		     0, "%s", err);
	strcpy(v.name, "self");
	put_keyed(me, &v, true);
	cr_assert_geq(loader_sync(fx.ld), 1);
	cr_expect_eq(loader_attached(fx.ld, "ktest_share"), 1);
	write_knobs(me, 1);
	fork_children(4);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "events"), 4, "ktest's own program");
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "bytes"), 4000,
		     "ktest_share's program, through the shared map");
	cr_expect_eq(read_u64(fx.s, "kstatd", 0, "ktest_share", "kstats"), 0,
		     "a shared map has no kstats of its own");

	cr_assert_eq(loader_set_enabled(fx.ld, "ktest_share", false), 0);
	cr_assert_geq(loader_sync(fx.ld), 0);
	fork_children(2);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "events"), 6);
	cr_expect_eq(read_u64(fx.s, "ktest", (int)me, "self", "bytes"), 4000,
		     "detached on its own");
}

Test(pmap, a_shared_map_needs_its_owner_loaded_first)
{
	struct loader_opts o = { .no_builtin = true };
	struct snap *s2 = snap_new();
	struct loader *ld2 = loader_new(s2, &o);
	char err[512];

	cr_assert(ld2);
	cr_expect_eq(loader_add_file(ld2, test_obj("ktest_share.bpf.o"), true, err, sizeof(err)),
		     -ENOENT);
	cr_expect(strstr(err, "kstat.shared names ktest/ktest_keyed, which is not loaded"), "%s",
		  err);
	loader_free(ld2);
	snap_free(s2);
}

Test(pmap, accruing_time_is_committed_at_attach_so_it_never_goes_back)
{
	struct ktest_open v[2] = {};
	uint64_t before, after, later;
	uint32_t zero = 0;
	int fd = ktest_map("ktest_open");

	cr_assert_leq(fx.ncpus, 2);
	/* a state entered 2 s ago on CPU 0, still on: reads show it accruing */
	v[0].since = (uint64_t)snap_now() - 2000000000ULL;
	v[0].on = 1;
	cr_assert_eq(bpf_map_update_elem(fd, &zero, v, BPF_ANY), 0);
	before = read_u64(fx.s, "ktest", 0, "open", "busy");
	cr_expect_geq(before, 2000000000ULL, "the open interval is counted");
	cr_expect_lt(before, 3000000000ULL);

	write_config(0, 0);
	cr_assert_geq(loader_sync(fx.ld), 1);
	usleep(100000);
	write_config(1, 0);
	cr_assert_geq(loader_sync(fx.ld), 1);
	after = read_u64(fx.s, "ktest", 0, "open", "busy");
	cr_expect_geq(after, before, "committed at attach, not lost");
	usleep(100000);
	later = read_u64(fx.s, "ktest", 0, "open", "busy");
	cr_expect_eq(later, after, "and no longer accruing until the programs say so");
	cr_assert_eq(bpf_map_lookup_elem(fd, &zero, v), 0);
	cr_expect_eq(v[0].since, 0);
	close(fd);
}

Test(pmap, signed_minima_and_per_cpu_interrupts_combine_right)
{
	struct {
		int64_t smin, smax;
	} mm[2] = { { -5, -5 }, { 3, 3 } };
	struct {
		uint32_t v[5], pad;
	} in[2] = { { { 10, 1, 0, 0, 0 }, 0 }, { { 11, 2, 0, 0, 0 }, 0 } };
	uint32_t zero = 0;
	struct snap_rhdr hdr;
	kstat_intr_t *ki;
	kstat_named_t *kn;
	char err[512], path[256];
	int fd;

	cr_assert_eq(fx.ncpus, 2, "written for two CPUs");
	cr_assert_eq(loader_add_file(fx.ld, test_obj("kfill.bpf.o"), true, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_geq(loader_sync(fx.ld), 3);
	snprintf(path, sizeof(path), "%s/kfill/kfill_min", test_pin_path());
	fd = bpf_obj_get(path);
	cr_assert_eq(bpf_map_update_elem(fd, &zero, mm, BPF_ANY), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/kfill/kfill_intr", test_pin_path());
	fd = bpf_obj_get(path);
	cr_assert_eq(bpf_map_update_elem(fd, &zero, in, BPF_ANY), 0);
	close(fd);

	cr_assert_eq(read_kid(fx.s, find_kid(fx.s, "kfill", 0, "min"), (void **)&kn, &hdr), 0);
	cr_expect_eq(named_find(kn, hdr.ks_ndata, "smin")->value.i64, -5, "signed: -5 < 3");
	cr_expect_eq(named_find(kn, hdr.ks_ndata, "smax")->value.i64, 3);
	free(kn);
	for (int c = 0; c < 2; c++) {
		cr_assert_eq(read_kid(fx.s, find_kid(fx.s, "kfill", c, "intr"), (void **)&ki, &hdr),
			     0);
		cr_expect_eq(ki->intrs[KSTAT_INTR_HARD], 10u + (unsigned)c, "cpu %d: its own copy",
			     c);
		cr_expect_eq(ki->intrs[KSTAT_INTR_SOFT], 1u + (unsigned)c);
		free(ki);
	}
}

Test(pmap, accruing_time_never_reads_lower_than_before)
{
	struct ktest_open v[2] = {};
	uint64_t first, second;
	uint32_t zero = 0;
	int fd = ktest_map("ktest_open");

	/* as a program would leave it: 1 s accruing since `since` */
	v[0].since = (uint64_t)snap_now() - 1000000000ULL;
	v[0].on = 1;
	cr_assert_eq(bpf_map_update_elem(fd, &zero, v, BPF_ANY), 0);
	first = read_u64(fx.s, "ktest", 0, "open", "busy");
	/* a copy caught between "since = now" and "busy += ...": lower if taken raw */
	v[0].since = (uint64_t)snap_now();
	cr_assert_eq(bpf_map_update_elem(fd, &zero, v, BPF_ANY), 0);
	second = read_u64(fx.s, "ktest", 0, "open", "busy");
	cr_expect_geq(second, first, "a counter never reads lower (%llu then %llu)",
		      (unsigned long long)first, (unsigned long long)second);
	close(fd);
}

static void paced_setup(void)
{
	/* a sync of 10 us waits 10 s: every sync after the first is too soon */
	ktest_start_opts(&fx, (struct loader_opts){ .reset = true, .sync_pace = 1000000 });
}

TestSuite(pmap_paced, .init = paced_setup, .fini = teardown, .timeout = 60);

Test(pmap_paced, a_paced_map_waits_for_new_entries_but_never_for_detach_or_attach)
{
	struct ktest_val v = { .events = 3 };

	strcpy(v.name, "late");
	put_keyed(7, &v, true);
	cr_expect_eq(loader_sync(fx.ld), 0, "too soon after the last sync: paced");
	cr_expect_eq(find_kid(fx.s, "ktest", 7, "late"), -1);

	write_config(0, 0);
	cr_expect_eq(loader_sync(fx.ld), 4, "detaching deletes at once");
	cr_expect_eq(find_kid(fx.s, "ktest", 0, "knobs"), -1);
	write_config(1, 0);
	cr_expect_eq(loader_sync(fx.ld), 5, "attaching reads every map at once, the new entry too");
	cr_expect_eq(read_u64(fx.s, "ktest", 7, "late", "events"), 3ULL * (uint64_t)fx.ncpus,
		     "and its kstat reads the map");
	v.events = 4;
	put_keyed(7, &v, true);
	cr_expect_eq(read_u64(fx.s, "ktest", 7, "late", "events"), 4ULL * (uint64_t)fx.ncpus,
		     "an existing kstat is read fresh, paced or not");
}

Test(pmap_paced, a_sync_waits_in_proportion_to_its_own_cost)
{
	struct ktest_val v = { .events = 1 };

	/* the same provider, pins kept, loaded again with a pace of 1 */
	ktest_stop(&fx);
	ktest_start_opts(&fx, (struct loader_opts){ .sync_pace = 1 });
	usleep(200000); /* far more than that sync took */
	strcpy(v.name, "soon");
	put_keyed(8, &v, true);
	cr_expect_eq(loader_sync(fx.ld), 1,
		     "a sync as long after the last as it took is not paced");
	cr_expect_geq(find_kid(fx.s, "ktest", 8, "soon"), 0);
}

/* A child of this process that lives until wfd's pipe closes */
static pid_t held_child(int fds[2])
{
	pid_t pid = fork();
	char c;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[1]);
		_exit(read(fds[0], &c, 1) < 0);
	}
	return pid;
}

Test(pmap, a_tracked_map_is_read_only_after_its_keys_change)
{
	uint32_t zero = 0, me = (uint32_t)getpid(), stray = 4242;
	uint64_t *vals = calloc((size_t)fx.ncpus, sizeof(*vals));
	char err[512], path[256];
	int fds[2], fd;
	pid_t a, b;

	cr_assert_eq(loader_add_file(fx.ld, test_obj("ktrack.bpf.o"), true, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(loader_sync(fx.ld), 0, "no children yet");
	snprintf(path, sizeof(path), "%s/ktrack/ktrack_parent", test_pin_path());
	fd = bpf_obj_get(path);
	cr_assert_eq(bpf_map_update_elem(fd, &zero, &me, BPF_ANY), 0);
	close(fd);
	cr_assert_eq(pipe(fds), 0);

	a = held_child(fds);
	cr_expect_eq(loader_sync(fx.ld), 1, "the child's insertion moved kstat_keys_gen");
	cr_expect_eq(read_u64(fx.s, "ktrack", a, "child", "forks"), 1);

	/* written around the helpers: the count does not move, the keys are not read */
	snprintf(path, sizeof(path), "%s/ktrack/ktrack_child", test_pin_path());
	fd = bpf_obj_get(path);
	cr_assert_eq(bpf_map_update_elem(fd, &stray, vals, BPF_NOEXIST), 0);
	close(fd);
	cr_expect_eq(loader_sync(fx.ld), 0, "no key changed as far as kstat_keys_gen says");
	cr_expect_eq(find_kid(fx.s, "ktrack", (int)stray, "child"), -1);

	b = held_child(fds);
	cr_expect_eq(loader_sync(fx.ld), 2, "b moved the count: the keys are read, the stray too");
	cr_expect_geq(find_kid(fx.s, "ktrack", b, "child"), 0);
	cr_expect_geq(find_kid(fx.s, "ktrack", (int)stray, "child"), 0);

	close(fds[1]);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	close(fds[0]);
	cr_expect_eq(loader_sync(fx.ld), 2, "their exits deleted their keys");
	cr_expect_eq(find_kid(fx.s, "ktrack", a, "child"), -1);
	cr_expect_geq(find_kid(fx.s, "ktrack", (int)stray, "child"), 0);
	free(vals);

	cr_expect_eq(loader_add_file(fx.ld, test_obj("ktrack_share.bpf.o"), true, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "map ktrack_child: ktrack/ktrack_child is kstat.tracked: only its "
			      "own provider writes its keys");
}

Test(pmap, a_pin_of_a_map_the_provider_no_longer_has_is_removed_at_its_next_load)
{
	char gone[256], kept[256];
	int fd;

	/* what a map renamed in a newer version of the provider leaves */
	ktest_stop(&fx);
	snprintf(gone, sizeof(gone), "%s/ktest/renamed_since", test_pin_path());
	snprintf(kept, sizeof(kept), "%s/ktest/ktest_keyed", test_pin_path());
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "renamed_since", 4, 8, 1, NULL);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	cr_assert_eq(bpf_obj_pin(fd, gone), 0, "%s", strerror(errno));
	close(fd);
	ktest_start(&fx, false);
	cr_expect_neq(access(gone, F_OK), 0, "the stray pin is gone");
	cr_expect_eq(access(kept, F_OK), 0, "the provider's own pins stay");
}
