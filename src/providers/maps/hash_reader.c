// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hash_reader.h"
#include "hash_reader.skel.h"

struct hash_reader {
	struct hash_reader_bpf *skel;
	void *recs;
	size_t len; /* of the mapping */
	size_t step, cap;
};

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

struct hash_reader *hash_reader_new(int map_fd, const struct bpf_map_info *info, size_t cap,
				    int ncpus, char *err, size_t errlen)
{
	size_t stride = ((size_t)info->value_size + 7) & ~(size_t)7;
	long page = sysconf(_SC_PAGESIZE);
	struct hash_reader *r = calloc(1, sizeof(*r));
	const char *what = "open";
	int ret = -ENOMEM;

	if (!r)
		goto fail;
	r->cap = cap;
	r->step = 8 + (is_percpu(info->type) ? (size_t)ncpus * stride : stride);
	r->len = (r->step * cap + (size_t)page - 1) & ~((size_t)page - 1);
	if (info->key_size > 8 || cap == 0 || cap > UINT32_MAX || r->step > UINT32_MAX ||
	    ncpus < 1) {
		ret = -EINVAL;
		what = "size";
		goto fail;
	}
	r->recs = MAP_FAILED;
	if (!(r->skel = hash_reader_bpf__open())) {
		ret = -errno;
		goto fail;
	}
	r->skel->rodata->key_bytes = info->key_size;
	r->skel->rodata->val_bytes = info->value_size;
	r->skel->rodata->val_stride = (uint32_t)stride;
	r->skel->rodata->ncpus = is_percpu(info->type) ? (uint32_t)ncpus : 0;
	what = "load";
	if ((ret = bpf_map__reuse_fd(r->skel->maps.src, map_fd)) ||
	    (ret = bpf_map__set_value_size(r->skel->maps.out, (uint32_t)r->step)) ||
	    (ret = bpf_map__set_max_entries(r->skel->maps.out, (uint32_t)cap)) ||
	    (ret = hash_reader_bpf__load(r->skel)))
		goto fail;
	what = "mmap";
	r->recs = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(r->skel->maps.out), 0);
	if (r->recs == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	return r;
fail:
	snprintf(err, errlen, "hash reader: %s: %s", what, strerror(-ret));
	hash_reader_free(r);
	errno = -ret;
	return NULL;
}

long hash_reader_read(struct hash_reader *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(r->skel->progs.read_hash), &opts))
		return -errno;
	return opts.retval <= r->cap ? (long)opts.retval : -EOVERFLOW;
}

void *hash_reader_records(const struct hash_reader *r)
{
	return r->recs;
}

size_t hash_reader_step(const struct hash_reader *r)
{
	return r->step;
}

size_t hash_reader_cap(const struct hash_reader *r)
{
	return r->cap;
}

void hash_reader_free(struct hash_reader *r)
{
	if (!r)
		return;
	if (r->recs && r->recs != MAP_FAILED)
		munmap(r->recs, r->len);
	hash_reader_bpf__destroy(r->skel);
	free(r);
}
