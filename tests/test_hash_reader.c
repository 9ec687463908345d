// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A hash read by a program (src/providers/maps/hash_reader.h): for each
 * kind of hash, key size and value size no multiple of 8, its records
 * hold byte for byte what a batch read returns, in the batch's order; a
 * reader with less room stops at its room; an entry deleted while it is
 * copied is left out, never read as zeros; what it cannot read is refused
 * with a reason.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "helpers.h"
#include "providers/maps/hash_reader.h"

TestSuite(hash_reader, .init = require_bpf, .timeout = 60);

#define ENTRIES 3000

struct batch {
	unsigned char *keys, *vals;
	size_t n;
};

/* Every entry by batch reads */
static struct batch batch_read(int fd, uint32_t ksz, size_t vsz)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct batch b = { malloc(ENTRIES * 2 * ksz), malloc(ENTRIES * 2 * vsz), 0 };
	uint64_t in = 0, out = 0;
	bool first = true;

	cr_assert(b.keys && b.vals);
	for (;;) {
		__u32 cnt = (__u32)(ENTRIES * 2 - b.n);
		int err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, b.keys + b.n * ksz,
					       b.vals + b.n * vsz, &cnt, &opts);

		b.n += cnt;
		if (err) {
			cr_assert_eq(errno, ENOENT, "batch read: %s", strerror(errno));
			return b;
		}
		in = out;
		first = false;
	}
}

/*
 * A hash of type with ksz-byte keys and 12-byte values, ENTRIES of them,
 * every byte of each CPU's copy set, against a reader of cap records
 */
static void check_type(enum bpf_map_type type, uint32_t ksz, size_t cap)
{
	bool percpu = type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	int ncpus = libbpf_num_possible_cpus(), copies = percpu ? ncpus : 1;
	size_t vsz = (size_t)copies * 16; /* 12 bytes rounded up, per copy */
	int fd = bpf_map_create(type, "hr_test", ksz, 12, ENTRIES * 2, NULL);
	unsigned char *v = calloc((size_t)copies, 16);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct hash_reader *r;
	struct batch b;
	char err[256];
	long n;

	cr_assert_geq(fd, 0, "map: %s", strerror(errno));
	cr_assert(v);
	for (uint64_t k = 1; k <= ENTRIES; k++) {
		for (int c = 0; c < copies; c++)
			for (int i = 0; i < 12; i++)
				v[c * (percpu ? 16 : 12) + i] =
					(unsigned char)(k * 31 + (uint64_t)c * 7 + (uint64_t)i);
		cr_assert_eq(bpf_map_update_elem(fd, &k, v, BPF_ANY), 0, "%s", strerror(errno));
	}
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	r = hash_reader_new(fd, &info, cap, ncpus, err, sizeof(err));
	cr_assert(r, "reader of map type %u: %s", type, err);
	b = batch_read(fd, ksz, percpu ? vsz : 12);
	cr_assert_eq(b.n, ENTRIES);
	n = hash_reader_read(r);
	cr_assert_eq(n, (long)(cap < ENTRIES ? cap : ENTRIES), "type %u: %ld records", type, n);
	for (long i = 0; i < n; i++) {
		const unsigned char *rec = (const unsigned char *)hash_reader_records(r) +
					   (size_t)i * hash_reader_step(r);

		cr_assert_eq(memcmp(rec, b.keys + (size_t)i * ksz, ksz), 0,
			     "type %u: key %ld is the batch's", type, i);
		if (percpu)
			for (int c = 0; c < ncpus; c++)
				cr_assert_eq(memcmp(rec + 8 + c * 16,
						    b.vals + (size_t)i * vsz + c * 16, 12),
					     0, "type %u: entry %ld, CPU %d", type, i, c);
		else
			cr_assert_eq(memcmp(rec + 8, b.vals + (size_t)i * 12, 12), 0,
				     "type %u: entry %ld", type, i);
	}
	hash_reader_free(r);
	free(b.keys);
	free(b.vals);
	free(v);
	close(fd);
}

Test(hash_reader, a_per_cpu_hash_reads_as_a_batch_does)
{
	check_type(BPF_MAP_TYPE_PERCPU_HASH, 4, ENTRIES * 2);
	check_type(BPF_MAP_TYPE_PERCPU_HASH, 8, ENTRIES * 2);
}

Test(hash_reader, plain_and_lru_hashes_read_as_a_batch_does)
{
	check_type(BPF_MAP_TYPE_HASH, 4, ENTRIES * 2);
	check_type(BPF_MAP_TYPE_LRU_HASH, 8, ENTRIES * 2);
	check_type(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, ENTRIES * 2);
}

Test(hash_reader, a_reader_stops_at_its_room)
{
	check_type(BPF_MAP_TYPE_PERCPU_HASH, 4, 1000);
}

Test(hash_reader, what_it_cannot_read_is_refused_with_a_reason)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "hr_wide", 16, 8, 16, NULL);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char err[256] = "";

	cr_assert_geq(fd, 0);
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	cr_expect_null(hash_reader_new(fd, &info, 16, 1, err, sizeof(err)));
	cr_expect_eq(errno, EINVAL);
	cr_expect(strstr(err, "hash reader"), "%s", err);
	close(fd);
	/* an array is no hash: the kernel's verifier refuses the walk's lookups */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hr_arr", 4, 8, 16, NULL);
	cr_assert_geq(fd, 0);
	len = sizeof(info);
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	info.type = BPF_MAP_TYPE_PERCPU_HASH; /* as if it were one */
	cr_expect_null(hash_reader_new(fd, &info, 16, 2, err, sizeof(err)));
	cr_expect(strstr(err, "load"), "%s", err);
	close(fd);
}

Test(hash_reader, an_empty_hash_reads_no_record)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "hr_empty", 4, 8, 64, NULL);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct hash_reader *r;
	char err[256];

	cr_assert_geq(fd, 0);
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	r = hash_reader_new(fd, &info, 64, libbpf_num_possible_cpus(), err, sizeof(err));
	cr_assert(r, "%s", err);
	cr_expect_eq(hash_reader_read(r), 0);
	hash_reader_free(r);
	close(fd);
}

/* Deletes and puts back every key of a per-CPU hash until told to stop */
struct churn {
	int fd, ncpus;
	volatile bool stop;
	long rounds;
};

static uint64_t churn_value(uint32_t key, int cpu)
{
	return (uint64_t)key * 64 + (uint64_t)cpu + 1;
}

static void *churn(void *arg)
{
	struct churn *c = arg;
	uint64_t *v = calloc((size_t)c->ncpus, sizeof(*v));

	while (v && !c->stop) {
		for (uint32_t k = 1; k <= ENTRIES && !c->stop; k++) {
			for (int cpu = 0; cpu < c->ncpus; cpu++)
				v[cpu] = churn_value(k, cpu);
			(void)bpf_map_delete_elem(c->fd, &k);
			(void)bpf_map_update_elem(c->fd, &k, v, BPF_ANY);
		}
		c->rounds++;
	}
	free(v);
	return NULL;
}

Test(hash_reader, an_entry_deleted_while_copied_is_left_out_not_read_as_zeros)
{
	struct churn c = { .ncpus = libbpf_num_possible_cpus() };
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	long reads = 0, records = 0, bad = 0;
	struct hash_reader *r;
	pthread_t tid;
	char err[256];

	c.fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "hr_churn", 4, 8, ENTRIES * 2, NULL);
	cr_assert_geq(c.fd, 0);
	cr_assert_eq(bpf_obj_get_info_by_fd(c.fd, &info, &len), 0);
	r = hash_reader_new(c.fd, &info, ENTRIES * 2, c.ncpus, err, sizeof(err));
	cr_assert(r, "%s", err);
	cr_assert_eq(pthread_create(&tid, NULL, churn, &c), 0);
	while (reads < 3000 || c.rounds < 3) {
		long n = hash_reader_read(r);

		cr_assert_geq(n, 0);
		for (long i = 0; i < n; i++) {
			const unsigned char *rec = (const unsigned char *)hash_reader_records(r) +
						   (size_t)i * hash_reader_step(r);
			uint32_t k;

			memcpy(&k, rec, 4);
			for (int cpu = 0; cpu < c.ncpus; cpu++) {
				uint64_t v;

				memcpy(&v, rec + 8 + cpu * 8, 8);
				bad += v != churn_value(k, cpu);
			}
		}
		records += n;
		reads++;
	}
	c.stop = true;
	pthread_join(tid, NULL);
	cr_log_info("%ld reads, %ld records, %ld rounds of churn", reads, records, c.rounds);
	cr_expect_eq(bad, 0, "%ld copies of %ld records read as another's or as zeros", bad,
		     records);
	cr_expect_gt(records, 0);
	hash_reader_free(r);
	close(c.fd);
}
