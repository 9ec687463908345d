// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* kstatd:0:<provider>: what a provider costs and holds */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "engine/snapshot.h"
#include "provider.h"
#include "providers/builtin/provider_ext.h"
#include "providers/maps/pmap.h"
#include "providers/maps/schema.h"

static const char *const self_names[SELF_NSTATS] = {
	"attached", "kstats",     "maps",      "programs",    "run_count",
	"run_time", "run_misses", "map_drops", "map_entries", "map_capacity",
};

static const struct snap_stat_meta self_meta[SELF_NSTATS] = {
	{ SNAP_GAUGE, "bool", "1 when the provider's programs are attached", NULL, 0 },
	{ SNAP_GAUGE, "count", "kstats the provider serves", NULL, 0 },
	{ SNAP_GAUGE, "count", "Maps with kstat tags", NULL, 0 },
	{ SNAP_GAUGE, "count", "BPF programs loaded", NULL, 0 },
	{ SNAP_COUNTER, "count", "BPF program runs (counted while kernel.bpf_stats_enabled=1)",
	  NULL, 0 },
	{ SNAP_COUNTER, "ns", "BPF program run time (counted while kernel.bpf_stats_enabled=1)",
	  NULL, 0 },
	{ SNAP_COUNTER, "count",
	  "BPF program runs the kernel skipped: the program was already running on that CPU", NULL,
	  0 },
	{ SNAP_COUNTER, "count", "Entries dropped because a map was full", NULL, 0 },
	{ SNAP_GAUGE, "count", "Entries in the provider's keyed maps", NULL, 0 },
	{ SNAP_GAUGE, "count", "Entries the provider's keyed maps can hold", NULL, 0 },
};

static int self_update(kstat_t *ksp, int rw)
{
	struct provider *p = ksp->ks_private;
	kstat_named_t *kn = ksp->ks_data;
	uint64_t runs = 0, run_ns = 0, misses = 0, kstats = 0, nprogs = 0, entries = 0,
		 capacity = 0;

	if (rw == KSTAT_WRITE)
		return EACCES;
	for (size_t i = 0; i < p->npmaps; i++) {
		const struct schema *sc = pmap_schema(p->pmaps[i]);
		const struct bpf_map *map;

		kstats += pmap_count(p->pmaps[i]);
		if (sc->instance != SI_KEY)
			continue;
		/* a keyed map has one kstat per entry */
		entries += pmap_count(p->pmaps[i]);
		map = bpf_object__find_map_by_name(p->obj, sc->map_name);
		capacity += map ? bpf_map__max_entries(map) : 0;
	}
	for (size_t i = 0; i < p->nprogs; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = p->prog_fds[i];

		if (fd < 0)
			continue;
		nprogs++;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			runs += info.run_cnt;
			run_ns += info.run_time_ns;
			misses += info.recursion_misses;
		}
	}
	if (p->ext)
		kstats += p->ext->count(p->ext_priv);
	kn[SELF_ATTACHED].value.ui64 = __atomic_load_n(&p->attached, __ATOMIC_RELAXED);
	kn[SELF_KSTATS].value.ui64 = kstats;
	kn[SELF_MAPS].value.ui64 = p->npmaps;
	kn[SELF_PROGRAMS].value.ui64 = nprogs;
	kn[SELF_RUN_COUNT].value.ui64 = runs;
	kn[SELF_RUN_TIME].value.ui64 = run_ns;
	kn[SELF_RUN_MISSES].value.ui64 = misses;
	kn[SELF_MAP_DROPS].value.ui64 = p->drops ? *p->drops : 0;
	kn[SELF_MAP_ENTRIES].value.ui64 = entries;
	kn[SELF_MAP_CAPACITY].value.ui64 = capacity;
	if (p->ext && p->ext->nstats) {
		uint64_t v[p->ext->nstats];

		p->ext->stats(p->ext_priv, v);
		for (uint32_t i = 0; i < p->ext->nstats; i++)
			kn[SELF_NSTATS + i].value.ui64 = v[i];
	}
	return 0;
}

int provider_self_create(struct provider *p)
{
	uint32_t next = p->ext ? p->ext->nstats : 0, n = SELF_NSTATS + next;
	kstat_t *ksp;

	p->self_data = calloc(n, sizeof(*p->self_data));
	p->self_meta = calloc(n, sizeof(*p->self_meta));
	if (!p->self_data || !p->self_meta)
		return -ENOMEM;
	ksp = snap_create(p->snap, "kstatd", 0, p->name, "provider", KSTAT_TYPE_NAMED, n,
			  KSTAT_FLAG_VIRTUAL);
	if (!ksp)
		return -errno;
	for (uint32_t i = 0; i < n; i++) {
		bool own = i < SELF_NSTATS;

		snap_named_init(&p->self_data[i],
				own ? self_names[i] : p->ext->stat_names[i - SELF_NSTATS],
				KSTAT_DATA_UINT64);
		p->self_meta[i] = own ? self_meta[i] : p->ext->stat_meta[i - SELF_NSTATS];
	}
	ksp->ks_data = p->self_data;
	ksp->ks_private = p;
	ksp->ks_update = self_update;
	snap_set_meta(ksp, p->self_meta);
	p->self = ksp;
	snap_install(p->snap, ksp);
	return 0;
}
