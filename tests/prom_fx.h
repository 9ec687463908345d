/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Shared by the exporter suites: kstats made in-process with the schema
 * metadata a provider would give them (no BPF needed), and a scrape
 * rendered into a NUL-terminated string.
 */
#ifndef __KSTATD_TEST_PROM_FX_H
#define __KSTATD_TEST_PROM_FX_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hugemem.h"
#include "outbuf.h"
#include "prom_render.h"
#include "snapshot.h"

/* A NAMED kstat with UINT64 records names[i] = vals[i], meta may be NULL */
static inline kstat_t *fx_named(struct snap *s, const char *module, int inst, const char *name,
				const char *cls, uint_t n, const char *const *names,
				const struct snap_stat_meta *meta, const uint64_t *vals)
{
	kstat_t *ksp = snap_create(s, module, inst, name, cls, KSTAT_TYPE_NAMED, n, 0);
	kstat_named_t *kn;

	cr_assert(ksp, "create %s:%d:%s: %s", module, inst, name, strerror(errno));
	kn = ksp->ks_data;
	for (uint_t i = 0; i < n; i++) {
		snap_named_init(&kn[i], names[i], KSTAT_DATA_UINT64);
		kn[i].value.ui64 = vals[i];
	}
	if (meta)
		snap_set_meta(ksp, meta);
	snap_install(s, ksp);
	return ksp;
}

/* Render a scrape; returns a malloc'd string and the render's return value in *err */
static inline char *fx_render(struct snap *s, enum prom_format fmt, const struct prom_filter *f,
			      int bpf_stats, int *err, const char **unknown)
{
	struct prom_self self = { .version = "9.9.9", .bpf_stats_enabled = bpf_stats };
	const char *u = NULL;
	struct outbuf ob;
	char *taken, *out;
	size_t len;

	outbuf_init(&ob, 0);
	*err = prom_render(s, fmt, f, &self, &ob, &u);
	if (unknown)
		*unknown = u;
	outbuf_putc(&ob, '\0');
	taken = outbuf_take(&ob, &len);
	cr_assert(taken);
	out = strdup(taken);
	hugemem_free(taken);
	cr_assert(out);
	return out;
}

/* Does text have a line that is exactly line? */
static inline bool fx_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

#endif /* __KSTATD_TEST_PROM_FX_H */
