/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Shared by the criterion suites: privilege gating (a skip becomes a
 * failure under REQUIRE_BPF=1), per-test pin paths, and in-process kstat
 * lookups through the engine's own read path.
 */
#ifndef __KSTATD_TEST_HELPERS_H
#define __KSTATD_TEST_HELPERS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "pins.h"
#include "snapshot.h"

#ifndef OUTPUT_DIR
#define OUTPUT_DIR "build"
#endif

/* Where the test BPF objects are: $OUTPUT/tests, as the Makefile builds them */
static inline const char *test_obj(const char *name)
{
	static __thread char path[512];
	const char *out = getenv("OUTPUT");

	snprintf(path, sizeof(path), "%s/tests/%s", out && *out ? out : OUTPUT_DIR, name);
	return path;
}

/* A file of the build: $OUTPUT/<rel> */
static inline const char *build_obj_path(const char *rel)
{
	static __thread char path[512];
	const char *out = getenv("OUTPUT");

	snprintf(path, sizeof(path), "%s/%s", out && *out ? out : OUTPUT_DIR, rel);
	return path;
}

/* BPF tests need root; without it they skip, unless REQUIRE_BPF=1 */
static inline void require_bpf(void)
{
	const char *req = getenv("REQUIRE_BPF");

	if (geteuid() == 0)
		return;
	if (req && strcmp(req, "1") == 0)
		cr_assert_fail("REQUIRE_BPF=1 but not running as root: BPF tests cannot run");
	cr_skip_test("needs root to load BPF programs (set REQUIRE_BPF=1 to make this a failure)");
}

/* Is the running kernel major.minor or later? */
static inline bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* A pin path of this test's own, so parallel tests never share counters */
static inline const char *test_pin_path(void)
{
	static char path[128];

	if (!path[0])
		snprintf(path, sizeof(path), "/sys/fs/bpf/kstatd-test-%d", (int)getpid());
	return path;
}

/*
 * Criterion runs no fini after a test skips itself: undo the suite's
 * setup (its pins, devices, namespaces) first, so that a skip leaves
 * nothing behind.  fini must then be safe to run twice.
 */
#define skip_after(fini, ...)              \
	do {                               \
		fini();                    \
		cr_skip_test(__VA_ARGS__); \
	} while (0)

/* In process: a test that denied itself fork() must clean up too */
static inline void remove_pin_path(void)
{
	int err = pins_remove(test_pin_path());

	if (err)
		fprintf(stderr, "cannot remove %s: %s\n", test_pin_path(), strerror(-err));
}

/* Read kid 0 (sizing the buffer as libkstat does) into a malloc'd array */
static inline kstat_t *read_headers(struct snap *s, uint_t *n)
{
	struct snap_rhdr hdr = {};
	size_t size = 0, copied;
	kstat_t *buf = NULL;
	kid_t kcid;
	int err;

	for (;;) {
		err = snap_read(s, 0, SNAP_MODEL_LP64, buf, size, (uint64_t)(uintptr_t)buf, &hdr,
				&copied, &kcid);
		if (err != ENOMEM)
			break;
		free(buf);
		size = hdr.ks_data_size;
		buf = malloc(size + 1);
	}
	cr_assert_eq(err, 0, "read kid 0: %s", strerror(err));
	*n = hdr.ks_ndata;
	return buf;
}

/* The kid of module:instance:name, or -1 */
static inline kid_t find_kid(struct snap *s, const char *module, int instance, const char *name)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	kid_t kid = -1;

	for (uint_t i = 0; i < n; i++)
		if (strcmp(h[i].ks_module, module) == 0 && h[i].ks_instance == instance &&
		    strcmp(h[i].ks_name, name) == 0)
			kid = h[i].ks_kid;
	free(h);
	return kid;
}

/* Read a kstat's data into a malloc'd buffer; returns the errno of the read */
static inline int read_kid(struct snap *s, kid_t kid, void **data, struct snap_rhdr *hdr)
{
	size_t size = 0, copied;
	kid_t kcid;
	int err;

	*data = NULL;
	for (;;) {
		err = snap_read(s, kid, SNAP_MODEL_LP64, *data, size, (uint64_t)(uintptr_t)*data,
				hdr, &copied, &kcid);
		if (err != ENOMEM || size >= hdr->ks_data_size)
			return err;
		free(*data);
		size = hdr->ks_data_size;
		*data = malloc(size + 1);
	}
}

static inline const kstat_named_t *named_find(const void *data, uint_t n, const char *stat)
{
	const kstat_named_t *kn = data;

	for (uint_t i = 0; i < n; i++)
		if (strcmp(kn[i].name, stat) == 0)
			return &kn[i];
	return NULL;
}

/* The UINT64 statistic module:instance:name:stat; fails the test if absent */
struct one_read {
	const char *module_prefix; /* the kstats of modules that begin so */
	hrtime_t snaptime;         /* the first one's */
	int n, other;              /* kstats seen, and those of another snaptime */
};

static inline bool one_read_want(const kstat_t *h, void *arg)
{
	const struct one_read *o = arg;

	return strncmp(h->ks_module, o->module_prefix, strlen(o->module_prefix)) == 0;
}

static inline int one_read_emit(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct one_read *o = arg;

	(void)meta;
	if (o->n++ == 0)
		o->snaptime = ks->ks_snaptime;
	else
		o->other += ks->ks_snaptime != o->snaptime;
	return 0;
}

/*
 * One walk of the kstats of modules that begin with prefix: a provider
 * whose source refreshes them all at once (snap_set_source()) stamps them
 * with one snaptime, where each kstat read on its own gets its own
 */
static inline struct one_read walk_one_read(struct snap *s, const char *prefix)
{
	struct one_read o = { .module_prefix = prefix };

	cr_assert_eq(snap_walk(s, one_read_want, one_read_emit, &o), 0);
	return o;
}

static inline uint64_t read_u64(struct snap *s, const char *module, int instance, const char *name,
				const char *stat)
{
	kid_t kid = find_kid(s, module, instance, name);
	const kstat_named_t *kn;
	struct snap_rhdr hdr;
	uint64_t v;
	void *data;
	int err;

	cr_assert_geq(kid, 0, "no kstat %s:%d:%s", module, instance, name);
	err = read_kid(s, kid, &data, &hdr);
	cr_assert_eq(err, 0, "read %s:%d:%s: %s", module, instance, name, strerror(err));
	kn = named_find(data, hdr.ks_ndata, stat);
	cr_assert(kn, "no statistic %s in %s:%d:%s", stat, module, instance, name);
	v = kn->data_type == KSTAT_DATA_UINT32 ? kn->value.ui32 : kn->value.ui64;
	free(data);
	return v;
}

#endif /* __KSTATD_TEST_HELPERS_H */
