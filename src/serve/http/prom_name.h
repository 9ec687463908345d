/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Prometheus names for kstat statistics (docs/metrics.md): family
 * kstat_<module>_<statistic> in snake case, in base units, the unit named
 * at the end.  Pure string work, shared by the renderer and its tests.
 */
#ifndef __KSTATD_PROM_NAME_H
#define __KSTATD_PROM_NAME_H

#include <stddef.h>

/* Longest family name, without _total, _bucket and the like */
#define PROM_NAME_MAX 160

struct prom_unit {
	const char *suffix;    /* base unit named last ("seconds", "bytes"), or NULL */
	unsigned int decimals; /* the value divided by 10^decimals is in that unit */
};

/*
 * The base unit of a provider's unit word: ns, us, ms and s become seconds
 * (9, 6, 3 and 0 decimals), bytes stays bytes; count, bool, pages and
 * anything unknown name no unit and keep their value.  NULL is no unit.
 */
void prom_name_unit(const char *unit, struct prom_unit *u);

/*
 * Write s at out + pos in snake case, with only [a-z0-9_]: camelCase and
 * HTTPServer split at their humps, anything else becomes '_', runs of '_'
 * fold into one and none is left at either end.  Returns the new length
 * of out, or -1 if it would not fit in len bytes with its NUL.
 */
int prom_name_snake(char *out, size_t pos, size_t len, const char *s);

/*
 * The family name prefix_<stat>_<unit suffix>: stat in snake case, without
 * a trailing "total" token, without the tokens that named its own unit
 * (nsec in cpu_nsec_idle, which is exported in seconds), and without the
 * module's words in front (prefix kstat_cpu: cpu_nsec_idle is idle); no
 * suffix when a token already ends with it (rbytes), and u->suffix is
 * then NULL.  Counters get their _total from the renderer.  Returns the
 * length, or 0 if the name does not fit in len bytes.
 */
size_t prom_name_family(char *out, size_t len, const char *prefix, const char *stat,
			struct prom_unit *u);

#endif /* __KSTATD_PROM_NAME_H */
