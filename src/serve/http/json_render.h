/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The /kstat view: the kstats a query selects, laid out as `kstat -j`
 * prints them (illumos kstat(1M)), from one snapshot.
 */
#ifndef __KSTATD_JSON_RENDER_H
#define __KSTATD_JSON_RENDER_H

#include <stdbool.h>

struct snap;
struct outbuf;

#define JSON_CT "application/json; charset=utf-8"

/* Longest pattern a query may give */
#define JSON_PATTERN_MAX 64

/*
 * Patterns with * and ? (no brackets, no regular expressions: they are
 * hostile input); NULL matches everything.  instance is matched against
 * the instance in decimal.
 */
struct json_query {
	const char *module;
	const char *instance;
	const char *name;
	const char *statistic;
	const char *ks_class;
};

/*
 * Write the selected kstats, sorted as kstat(1M) sorts them (module,
 * instance, name; statistics by name), as its -j output: "[]\n" when none
 * matches.  RAW kstats and those named kstat_* (kid 0 and 1) are left
 * out, as kstat(1M) does.  Returns 0 or -ENOMEM.
 */
int json_render(struct snap *s, const struct json_query *q, struct outbuf *ob);

/*
 * Does s match pat (* any run, ? one byte)?  One backtrack point: at worst
 * the product of the lengths, whatever the pattern.
 */
bool json_glob(const char *pat, const char *s);

/* A usable pattern: at most JSON_PATTERN_MAX bytes of printable ASCII */
bool json_pattern_ok(const char *pat);

#endif /* __KSTATD_JSON_RENDER_H */
