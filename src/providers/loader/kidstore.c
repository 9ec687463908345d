// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "engine/snapshot.h"
#include "kidstore.h"
#include "os/log.h"

/* Kids recorded ahead of use: one map update per block of creates and deletes */
#define KID_BLOCK 4096

struct kidstore {
	struct snap *snap;
	int fd;
	bool warned;
};

static int store(struct kidstore *ks, uint64_t val)
{
	uint32_t key = 0;

	return bpf_map_update_elem(ks->fd, &key, &val, BPF_ANY) ? -errno : 0;
}

static kid_t reserve(void *ctx, kid_t next)
{
	uint64_t limit = (uint64_t)next + KID_BLOCK;
	struct kidstore *ks = ctx;
	int err;

	if (limit > INT_MAX)
		return next; /* the counter wraps to 2 soon: nothing left to keep */
	err = store(ks, limit);
	if (err) {
		if (!ks->warned)
			log_warn("%s: cannot record kids: %s: a restart may reuse them",
				 KIDSTORE_PIN, strerror(-err));
		ks->warned = true;
		return next;
	}
	return (kid_t)limit;
}

/* The pinned counter, created empty (0) the first time */
static int open_pin(const char *path)
{
	int fd = bpf_obj_get(path), err;

	if (fd >= 0 || errno != ENOENT)
		return fd;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "kstatd_kids", sizeof(uint32_t), sizeof(uint64_t),
			    1, NULL);
	if (fd < 0)
		return -1;
	if (bpf_obj_pin(fd, path)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

struct kidstore *kidstore_open(struct snap *s, const char *pin_path)
{
	uint64_t first = 0;
	struct kidstore *ks;
	char path[PATH_MAX];
	uint32_t key = 0;
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", pin_path, KIDSTORE_PIN) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return NULL;
	ks->snap = s;
	ks->fd = open_pin(path);
	if (ks->fd < 0 || bpf_map_lookup_elem(ks->fd, &key, &first)) {
		err = errno;
		goto err_free;
	}
	if (first < 2 || first > INT_MAX - KID_BLOCK)
		first = 2;
	err = -store(ks, first + KID_BLOCK);
	if (err)
		goto err_free;
	snap_set_kid_reserve(s, (kid_t)first, (kid_t)(first + KID_BLOCK), reserve, ks);
	return ks;

err_free:
	if (ks->fd >= 0)
		close(ks->fd);
	free(ks);
	errno = err;
	return NULL;
}

void kidstore_free(struct kidstore *ks)
{
	if (!ks)
		return;
	snap_set_kid_reserve(ks->snap, 0, 0, NULL, NULL);
	close(ks->fd);
	free(ks);
}
