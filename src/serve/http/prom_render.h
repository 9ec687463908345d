/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A Prometheus scrape: one snapshot of every kstat, grouped into metric
 * families (docs/metrics.md) and written as text format 0.0.4 or
 * OpenMetrics 1.0.0 into one buffer.
 */
#ifndef __KSTATD_PROM_RENDER_H
#define __KSTATD_PROM_RENDER_H

#include <stdbool.h>
#include <stddef.h>

struct snap;
struct outbuf;

enum prom_format {
	PROM_FMT_TEXT,        /* text/plain; version=0.0.4 */
	PROM_FMT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

#define PROM_CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define PROM_CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Most modules one collect[] or exclude[] list may name */
#define PROM_FILTER_MAX 32

/* collect[] (only these kstat modules) or exclude[] (all but these) */
struct prom_filter {
	const char *modules[PROM_FILTER_MAX];
	size_t n; /* 0: every module */
	bool exclude;
};

/* What the exporter says about itself besides its kstats */
struct prom_self {
	const char *version;   /* kstatd_build_info{version} */
	int bpf_stats_enabled; /* kernel.bpf_stats_enabled: 0, 1, or -1 if unreadable */
};

/*
 * Render one scrape into ob: a single snap_walk, every kstat but those of
 * class "kstat" (kid 0 and 1), RAW kstats and the modules the filter
 * leaves out, then kstatd's self metrics, the scrape's duration last.
 * Returns 0; -ENOENT with *unknown set when a module of the filter is not
 * the module of any kstat (ob then holds nothing useful); -ENOMEM.
 */
int prom_render(struct snap *s, enum prom_format fmt, const struct prom_filter *f,
		const struct prom_self *self, struct outbuf *ob, const char **unknown);

#endif /* __KSTATD_PROM_RENDER_H */
