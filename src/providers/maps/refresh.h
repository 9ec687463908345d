/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A provider's refresh programs: SEC("syscall") programs kstatd never
 * attaches but runs (BPF_PROG_RUN) right before it reads the provider's
 * maps, so that they copy numbers the kernel keeps anyway into them
 * (bpf/kstat_refresh.bpf.h, docs/providers.md).  At most one run per
 * snapshot walk; runs are serialised, so a map never goes back to what an
 * earlier run wrote.
 */
#ifndef __KSTATD_REFRESH_H
#define __KSTATD_REFRESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;
struct refresh;
struct schema;
struct pmap_info;

/* Is prog a refresh program (never attached)? */
bool refresh_is_prog(const struct bpf_program *prog);

/*
 * The refresh programs of obj, loaded as prog_fds (the i-th program's
 * descriptor, -1 if unloaded): those tagged KSTAT_REFRESH_SHARED
 * (they fill maps obj shares from other providers) when shared, the
 * others when not; each run once now: a run that fails, or returns
 * non-zero, refuses the provider (err says why).  0 with *out NULL when
 * obj has none.  Returns 0 or -errno: -ENODATA when a program said the
 * kernel does not keep what it reads.
 */
int refresh_new(struct bpf_object *obj, const int *prog_fds, const char *prov, bool shared,
		struct refresh **out, char *err, size_t errlen);

/*
 * Statistics of a NAMED map (described by sc, read through info) that the
 * first run marked KSTAT_ABSENT are taken out of sc, with a log line: the
 * kernel does not keep them.  Returns how many, or -errno.
 */
int refresh_trim(const struct refresh *r, struct schema *sc, const struct pmap_info *info);

/*
 * Run the programs, unless they ran already for walk generation gen (0:
 * always run).  0, or -errno (logged when it starts failing) when a run
 * fails: the maps then hold old numbers, which must not be served.
 */
int refresh_run(struct refresh *r, uint64_t gen);

void refresh_free(struct refresh *r);

#endif /* __KSTATD_REFRESH_H */
