/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * For the provider suites: the kernel's own books (small /proc and /sys
 * files), shell commands whose output the test needs, kstats found by
 * ks_name, writes of writable statistics, and log2 histograms.
 */
#ifndef __KSTATD_TEST_SYSFS_H
#define __KSTATD_TEST_SYSFS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Run a shell command; its first line of output in out (may be NULL) */
static inline int sh(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024], line[512] = "";
	va_list ap;
	FILE *p;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	cr_assert(p, "popen %s", cmd);
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	while (fgetc(p) != EOF)
		;
	rc = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	if (out)
		snprintf(out, len, "%s", line);
	return rc;
}

/* A small file's number (a /sys/class/net statistic, say) */
static inline uint64_t file_u64(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "re");

	cr_assert(f, "open %s", path);
	cr_assert_eq(fscanf(f, "%llu", &v), 1, "read %s", path);
	fclose(f);
	return v;
}

/* The kid of the kstat of module whose ks_name is name (any instance), or -1 */
static inline kid_t find_named(struct snap *s, const char *module, const char *name, int *instance)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);
	kid_t kid = -1;

	for (uint_t i = 0; i < n; i++) {
		if (strcmp(h[i].ks_module, module) == 0 && strcmp(h[i].ks_name, name) == 0) {
			kid = h[i].ks_kid;
			if (instance)
				*instance = h[i].ks_instance;
		}
	}
	free(h);
	return kid;
}

/* Read a kstat of module and ks_name into a malloc'd buffer; fails the test if absent */
static inline void *read_named(struct snap *s, const char *module, const char *name,
			       struct snap_rhdr *hdr)
{
	kid_t kid = find_named(s, module, name, NULL);
	void *data;
	int err;

	cr_assert_geq(kid, 0, "no kstat %s:*:%s", module, name);
	err = read_kid(s, kid, &data, hdr);
	cr_assert_eq(err, 0, "read %s:*:%s: %s", module, name, strerror(err));
	return data;
}

/* One NAMED statistic of module:*:name */
static inline uint64_t named_stat(struct snap *s, const char *module, const char *name,
				  const char *stat)
{
	struct snap_rhdr hdr;
	void *data = read_named(s, module, name, &hdr);
	const kstat_named_t *kn = named_find(data, hdr.ks_ndata, stat);
	uint64_t v;

	cr_assert(kn, "no statistic %s in %s:*:%s", stat, module, name);
	v = kn->data_type == KSTAT_DATA_UINT32 ? kn->value.ui32 : kn->value.ui64;
	free(data);
	return v;
}

/* Set one UINT64 statistic of a writable NAMED kstat (kstatd:0:config, say) */
static inline void write_stat(struct snap *s, const char *module, int instance, const char *name,
			      const char *stat, uint64_t value)
{
	kid_t kid = find_kid(s, module, instance, name), kcid;
	struct snap_rhdr hdr;
	kstat_named_t *kn;
	int err;

	cr_assert_geq(kid, 0, "no kstat %s:%d:%s", module, instance, name);
	cr_assert_eq(read_kid(s, kid, (void **)&kn, &hdr), 0);
	for (uint_t i = 0; i < hdr.ks_ndata; i++)
		if (strcmp(kn[i].name, stat) == 0)
			kn[i].value.ui64 = value;
	err = snap_write(s, kid, SNAP_MODEL_LP64, kn, hdr.ks_data_size, hdr.ks_ndata,
			 (uint64_t)(uintptr_t)kn, true, &kcid);
	cr_assert_eq(err, 0, "write %s:%d:%s:%s: %s", module, instance, name, stat, strerror(err));
	free(kn);
}

/*
 * A log2 histogram of a NAMED kstat: its slots <hist>_NN_lt_<bound> and
 * <hist>_NN_inf, in slot order (NN), and its <hist>_sum
 */
struct hist {
	int n;
	uint64_t le[64]; /* exclusive upper bound; 0 for the last, open slot */
	uint64_t slot[64];
	uint64_t sum;
};

static inline struct hist hist_read(const void *data, uint_t n, const char *name)
{
	const kstat_named_t *kn = data;
	struct hist h = { 0 };
	char sum[KSTAT_STRLEN];
	size_t len = strlen(name);

	for (uint_t i = 0; i < n && h.n < 64; i++) {
		const char *b = kn[i].name + len + 1;
		unsigned int nn;
		int end = 0;

		if (strncmp(kn[i].name, name, len) || kn[i].name[len] != '_' ||
		    sscanf(b, "%2u%n", &nn, &end) != 1 || end != 2)
			continue;
		cr_assert_eq(nn, (unsigned int)h.n, "%s: slot %u where %d was due", kn[i].name, nn,
			     h.n);
		if (strcmp(b + 2, "_inf") == 0)
			h.le[h.n] = 0;
		else if (strncmp(b + 2, "_lt_", 4) == 0)
			h.le[h.n] = strtoull(b + 6, NULL, 10);
		else
			continue;
		h.slot[h.n++] = kn[i].value.ui64;
	}
	cr_assert_gt(h.n, 1, "no histogram %s", name);
	snprintf(sum, sizeof(sum), "%s_sum", name);
	kn = named_find(data, n, sum);
	cr_assert(kn, "histogram %s has no %s", name, sum);
	h.sum = kn->value.ui64;
	return h;
}

/*
 * The events between two reads of a histogram; checks that the growth of
 * its sum lies within what the slots allow (slot [le/2, le), the first
 * also holding 0, the last open).
 */
static inline uint64_t hist_events(const struct hist *a, const struct hist *b, const char *what)
{
	uint64_t count = 0, lo = 0, hi = 0, sum = b->sum - a->sum;
	bool open = false;

	for (int i = 0; i < b->n; i++) {
		uint64_t d = b->slot[i] - a->slot[i];

		count += d;
		lo += d * (b->le[i] > 2 ? b->le[i] / 2 : 0);
		hi += d * b->le[i];
		open |= d && !b->le[i];
	}
	cr_expect_geq(sum, lo, "%s: sum %llu below its slots' %llu", what, (unsigned long long)sum,
		      (unsigned long long)lo);
	if (!open)
		cr_expect_leq(sum, hi, "%s: sum %llu above its slots' %llu", what,
			      (unsigned long long)sum, (unsigned long long)hi);
	return count;
}

#endif /* __KSTATD_TEST_SYSFS_H */
