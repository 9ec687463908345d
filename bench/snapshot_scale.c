// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Snapshot scaling: serve the synthetic provider with N entries and time
 * full walks of every kstat (what each scrape does), and the sync that
 * looks for new and vanished entries: when nothing changed, and when the
 * map's kstat_keys_gen moved (its keys are read).  One line per size:
 *	N kstats walk_ms_median walk_ms_min walk_ms_max ns_per_kstat sync_ms_median
 *	sync_read_ms_median cold_walk_ms_median
 *
 * The walks run back to back, the kstats and the map in the caches where
 * they fit; the cold walks each come after reading more memory than the
 * caches hold, as a walk finds them when scrapes are seconds apart.
 *
 *	snapshot_scale OBJ PIN_PATH REPS N...	OBJ: synth.bpf.o (a per-CPU
 *						hash) or synth_array.bpf.o
 *	snapshot_scale --fill PIN_PATH N	keys 1..N of a running kstatd's
 *						synth map
 *
 * The synth map is kstat.tracked: like any userspace writer of such a map,
 * fill adds 1 to the object's kstat_keys_gen after its inserts.  (The
 * array's syncs read every entry whether or not the count moved.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "snapshot.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Bigger than any last-level cache this runs on: reading it leaves none
 * of the kstats' or the map's memory cached, as the seconds between two
 * scrapes do
 */
#define EVICT_BYTES (256u << 20)

static void evict_caches(volatile unsigned char *buf)
{
	unsigned long sum = 0;

	for (size_t i = 0; i < EVICT_BYTES; i += 64)
		sum += buf[i];
	buf[0] = (unsigned char)sum;
}

/* What a scrape wants: everything but kid 0 and kid 1 */
static bool want_data(const kstat_t *h, void *arg)
{
	(void)arg;
	return strcmp(h->ks_class, "kstat") != 0;
}

static int count(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	(void)ks;
	(void)meta;
	(*(long *)arg)++;
	return 0;
}

/* The .bss of provider prov's object loaded last: its map id, or 0 */
static __u32 prov_bss(const char *prov, struct bpf_map_info *info)
{
	__u32 id = 0, found = 0;
	char name[BPF_OBJ_NAME_LEN];

	snprintf(name, sizeof(name), "%.8s.bss", prov); /* libbpf keeps 8 of the name */

	while (!bpf_map_get_next_id(id, &id)) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &len) && strcmp(mi.name, name) == 0) {
			found = id;
			*info = mi;
		}
		close(fd);
	}
	return found;
}

/*
 * Add 1 to kstat_keys_gen in prov's .bss, found through the map's own BTF:
 * atomically, on the .bss mapped writable, as programs may move it too
 */
static int bump_keys_gen(const char *prov)
{
	struct bpf_map_info info = {};
	__u32 id = prov_bss(prov, &info);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	size_t len = 0;
	struct btf *btf;
	void *base = MAP_FAILED;
	int fd = -1, ret = -1;

	if (!id || !info.btf_id || !(btf = btf__load_from_kernel_by_id(info.btf_id))) {
		errno = ENOENT;
		return -1;
	}
	len = ((size_t)info.value_size + 4095) & ~(size_t)4095;
	sec = btf__type_by_id(btf, info.btf_value_type_id);
	if (!sec || !btf_is_datasec(sec) || (fd = bpf_map_get_fd_by_id(id)) < 0 ||
	    (base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		goto out;
	vs = btf_var_secinfos(sec);
	errno = ENOENT;
	for (int i = 0; i < btf_vlen(sec); i++) {
		const struct btf_type *var = btf__type_by_id(btf, vs[i].type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), "kstat_keys_gen") == 0 &&
		    vs[i].offset + sizeof(uint64_t) <= info.value_size) {
			__atomic_fetch_add((uint64_t *)((char *)base + vs[i].offset), 1,
					   __ATOMIC_SEQ_CST);
			ret = 0;
			break;
		}
	}
out:
	if (base != MAP_FAILED)
		munmap(base, len);
	if (fd >= 0)
		close(fd);
	btf__free(btf);
	return ret;
}

/*
 * n entries in provider prov's map of the same name: keys 1..n of the hash,
 * entries 0..n-1 of the array (every one non-zero: a zero one has no kstat)
 */
static int fill(const char *pin_path, const char *prov, long n)
{
	int ncpus = libbpf_num_possible_cpus(), fd;
	uint64_t *v = calloc((size_t)ncpus * 4, sizeof(*v));
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), first;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", pin_path, prov, prov);
	fd = bpf_obj_get(path);
	if (fd < 0 || !v || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		free(v);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	first = info.type == BPF_MAP_TYPE_PERCPU_ARRAY ? 0 : 1;
	for (uint32_t k = first; k < first + (uint32_t)n; k++) {
		v[0] = k + 1;
		if (bpf_map_update_elem(fd, &k, v, BPF_ANY)) {
			free(v);
			close(fd);
			return -1;
		}
	}
	free(v);
	close(fd);
	return bump_keys_gen(prov);
}

int main(int argc, char **argv)
{
	unsigned char *evict;
	const char *base;
	char prov[64];
	int reps;

	if (argc == 4 && strcmp(argv[1], "--fill") == 0) {
		if (atol(argv[3]) < 1 || atol(argv[3]) > 100000) {
			fprintf(stderr, "snapshot_scale: --fill: 1 to 100000 keys, not %s\n",
				argv[3]);
			return 2;
		}
		if (fill(argv[2], "synth", atol(argv[3]))) {
			fprintf(stderr, "snapshot_scale: fill %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		return 0;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: snapshot_scale OBJ PIN_PATH REPS N...\n");
		return 2;
	}
	reps = atoi(argv[3]);
	evict = malloc(EVICT_BYTES);
	if (!evict) {
		fprintf(stderr, "snapshot_scale: %s\n", strerror(errno));
		return 1;
	}
	memset(evict, 1, EVICT_BYTES);
	base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	snprintf(prov, sizeof(prov), "%.*s", (int)strcspn(base, "."), base);
	log_set_level(LOG_LVL_WARN);
	for (int a = 4; a < argc; a++) {
		struct loader_opts o = { .pin_path = argv[2], .reset = true, .no_builtin = true };
		long n = atol(argv[a]), kstats = 0;
		double *t = calloc((size_t)reps, sizeof(*t)), s0, sync_ms, sync_read_ms;
		double walk_ms, walk_min, walk_max;
		struct snap *s = snap_new();
		struct loader *ld = loader_new(s, &o);
		char err[256];

		err[0] = '\0';
		if (!ld || loader_add_file(ld, argv[1], true, err, sizeof(err)) ||
		    loader_sync(ld) < 0 || fill(argv[2], prov, n)) {
			fprintf(stderr, "snapshot_scale: setup for %ld failed: %s\n", n,
				err[0] ? err : strerror(errno));
			return 1;
		}
		loader_sync(ld);                 /* creates the kstats */
		for (int r = 0; r < reps; r++) { /* nothing changed: the steady-state cost */
			s0 = now_ms();
			loader_sync(ld);
			t[r] = now_ms() - s0;
		}
		qsort(t, (size_t)reps, sizeof(*t), cmp_double);
		sync_ms = t[reps / 2];
		for (int r = 0; r < reps; r++) { /* the count moved: every key is read */
			if (bump_keys_gen(prov)) {
				fprintf(stderr, "snapshot_scale: kstat_keys_gen: %s\n",
					strerror(errno));
				return 1;
			}
			s0 = now_ms();
			loader_sync(ld);
			t[r] = now_ms() - s0;
		}
		qsort(t, (size_t)reps, sizeof(*t), cmp_double);
		sync_read_ms = t[reps / 2];
		for (int i = 0; i < 2; i++) /* warm up: first touch of buffers */
			snap_walk(s, want_data, count, &kstats);
		for (int r = 0; r < reps; r++) {
			kstats = 0;
			s0 = now_ms();
			snap_walk(s, want_data, count, &kstats);
			t[r] = now_ms() - s0;
		}
		qsort(t, (size_t)reps, sizeof(*t), cmp_double);
		walk_ms = t[reps / 2];
		walk_min = t[0];
		walk_max = t[reps - 1];
		for (int r = 0; r < reps; r++) { /* after the caches forgot it all */
			long cold = 0;

			evict_caches(evict);
			s0 = now_ms();
			snap_walk(s, want_data, count, &cold);
			t[r] = now_ms() - s0;
		}
		qsort(t, (size_t)reps, sizeof(*t), cmp_double);
		printf("%ld %ld %.3f %.3f %.3f %.1f %.3f %.3f %.3f\n", n, kstats, walk_ms, walk_min,
		       walk_max, walk_ms * 1e6 / (double)kstats, sync_ms, sync_read_ms,
		       t[reps / 2]);
		fflush(stdout);
		loader_free(ld);
		snap_free(s);
		free(t);
	}
	return 0;
}
