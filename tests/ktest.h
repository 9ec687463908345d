/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The value layouts of tests/bpf/ktest.bpf.c, and a fixture that serves
 * that provider from its .bpf.o file with maps pinned under the test's
 * own pin path.
 */
#ifndef __KSTATD_TEST_KTEST_H
#define __KSTATD_TEST_KTEST_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "helpers.h"
#include "loader.h"
#include "snapshot.h"
#include "sysmisc.h"

struct ktest_val {
	uint64_t events, bytes;
	int64_t level;
	uint64_t lo, hi;
	uint64_t lat[4];
	uint32_t small, pad;
	char name[16];
};

struct ktest_knobs {
	uint64_t track_tgid, hist_value;
};

struct ktest_io {
	uint64_t nread, nwritten;
	uint32_t reads, writes;
	uint64_t wtime, wlentime, wlastupdate, rtime, rlentime, rlastupdate;
	uint32_t wcnt, rcnt;
	char name[16];
};

struct ktest_intr {
	uint32_t hard, soft, watchdog, spurious, multiple_service;
};

struct ktest_timer {
	uint64_t num_events, elapsed_time, min_time, max_time, start_time, stop_time;
};

struct ktest_open {
	uint64_t busy;
	uint32_t on, pad;
	uint64_t since;
};

struct ktest_fx {
	struct snap *s;
	struct loader *ld;
	struct sysmisc *sm;
	int ncpus;
};

/* The ktest provider alone, loaded with o (its pin path and no_builtin are set here) */
static inline void ktest_start_opts(struct ktest_fx *fx, struct loader_opts o)
{
	char err[512];

	o.pin_path = test_pin_path();
	o.no_builtin = true;
	require_bpf();
	fx->s = snap_new();
	cr_assert(fx->s);
	fx->ld = loader_new(fx->s, &o);
	cr_assert(fx->ld, "loader_new: %s", strerror(errno));
	cr_assert_eq(loader_add_file(fx->ld, test_obj("ktest.bpf.o"), true, err, sizeof(err)), 0,
		     "add ktest: %s", err);
	fx->sm = sysmisc_new(fx->s, fx->ld);
	cr_assert(fx->sm);
	cr_assert_geq(loader_sync(fx->ld), 0);
	fx->ncpus = libbpf_num_possible_cpus();
}

static inline void ktest_start(struct ktest_fx *fx, bool reset)
{
	ktest_start_opts(fx, (struct loader_opts){ .reset = reset });
}

static inline void ktest_stop(struct ktest_fx *fx)
{
	sysmisc_free(fx->sm);
	loader_free(fx->ld);
	snap_free(fx->s);
	fx->sm = NULL;
	fx->ld = NULL;
	fx->s = NULL;
}

/* The fd of one of provider prov's pinned maps (the caller closes it) */
static inline int pinned_map(const char *prov, const char *map)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", test_pin_path(), prov, map);
	fd = bpf_obj_get(path);
	cr_assert_geq(fd, 0, "open pinned map %s: %s", path, strerror(errno));
	return fd;
}

static inline int ktest_map(const char *map)
{
	return pinned_map("ktest", map);
}

#endif /* __KSTATD_TEST_KTEST_H */
