/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A pmap: one BPF map of a provider turned into kstats: one kstat per CPU, per key or a
 * single one, as its schema says.  Individual reads look up one key;
 * walks read the whole map with one batch lookup.
 */
#ifndef __KSTATD_PMAP_H
#define __KSTATD_PMAP_H

#include <stdbool.h>
#include <stdint.h>

struct snap;
struct schema;
struct pmap;
struct refresh;

struct pmap_info {
	int fd;
	uint32_t map_type; /* enum bpf_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	/* when the map's counters began (its pin's time, CLOCK_MONOTONIC ns); 0 unknown */
	int64_t counters_since;
	uint32_t max_kstats; /* entries beyond this many get no kstat; 0: no limit */
	/*
	 * A reconcile that finds the map still present waits sync_pace times
	 * as long as the last one's reading of every key took (99: at most 1%
	 * of a CPU); 0: never
	 */
	uint32_t sync_pace;
	/*
	 * A kstat.tracked map's kstat_keys_gen (in its object's mmapped .bss):
	 * while it stays the same, a reconcile of the still present map reads
	 * no keys.  NULL: every reconcile reads them.
	 */
	const volatile uint64_t *keys_gen;
};

/*
 * Serve map (described by sc, which the pmap takes over) as kstats in s.
 * No kstat exists until pmap_reconcile().  NULL with errno on failure.
 */
struct pmap *pmap_new(struct snap *s, struct schema *sc, const struct pmap_info *info);
/*
 * Create the kstats of entries that appeared and delete those of entries
 * that went (all of them when present is false: the provider's programs
 * are detached, and an IO map's queues are closed too).  Returns the
 * number of kstats created plus deleted, or -errno.  One caller at a time.
 * With info.sync_pace, a call too soon after the last, with present
 * unchanged, does nothing and returns 0; so does one with info.keys_gen
 * where it has not moved since the last.
 */
int pmap_reconcile(struct pmap *pm, bool present);
/*
 * Before the provider's programs attach: commit every KSTAT_OPEN interval
 * (add now - since to its counter and clear since).  Time accrues only
 * while the programs run; after a detach or a restart the state they left
 * is stale, and without this the first event would hand the whole gap to
 * whatever was running, taking it back from the statistic readers saw it
 * in.  Likewise an IO map's wait and run queue counts that a kstatd which
 * did not stop cleanly left behind are zeroed.  Returns 0 or -errno.
 */
int pmap_close_open(struct pmap *pm);

/* Run the refresh programs r (src/providers/maps/refresh.h) before each read of this map. */
void pmap_set_refresh(struct pmap *pm, struct refresh *r);
/*
 * Provider prov shares this map (KSTAT_SHARED): its refresh programs r
 * run after the map's own before each read, while prov is attached
 * (pmap_set_attached).  -ENOSPC beyond PMAP_MAX_SHARERS.
 */
int pmap_add_sharer(struct pmap *pm, const char *prov, struct refresh *r, bool attached);
/* r's provider is going: r runs no more */
void pmap_remove_sharer(struct pmap *pm, const struct refresh *r);
/*
 * Run the map's refresh programs, then those of the attached providers
 * that share it, unless they ran already for walk generation gen (0:
 * always).  0, or -errno when the map's own fail: its numbers are old.
 */
int pmap_refresh(struct pmap *pm, uint64_t gen);

/* Number of kstats currently served */
uint32_t pmap_count(const struct pmap *pm);
const struct schema *pmap_schema(const struct pmap *pm);
/*
 * provider was attached or detached: the statistics it fills (KSTAT_FROM)
 * are present in exports, or absent, from now on
 */
void pmap_set_attached(struct pmap *pm, const char *provider, bool attached);
/* Delete every kstat and free; NULL is accepted. */
void pmap_free(struct pmap *pm);

#endif /* __KSTATD_PMAP_H */
