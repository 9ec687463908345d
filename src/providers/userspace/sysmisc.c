// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * unix:0:system_misc as illumos has it (UINT32 values, load averages in
 * FSCALE 256 fixed point), from what Linux offers closest, and
 * kstatd:0:engine.  Both are updated on read: nothing runs between reads.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "engine/snapshot.h"
#include "providers/loader/loader.h"
#include "sysmisc.h"

/* illumos keeps load averages with 8 fraction bits; sysinfo() with 16 */
#define FSHIFT 8

enum misc_stat {
	MISC_NCPUS,
	MISC_LBOLT,
	MISC_CLK_INTR,
	MISC_NPROC,
	MISC_AVENRUN_1MIN,
	MISC_AVENRUN_5MIN,
	MISC_AVENRUN_15MIN,
	MISC_BOOT_TIME,
	MISC_NSTATS,
};

static const char *const misc_names[MISC_NSTATS] = {
	"ncpus",        "lbolt",        "clk_intr",      "nproc",
	"avenrun_1min", "avenrun_5min", "avenrun_15min", "boot_time",
};

static const struct snap_stat_meta misc_meta[MISC_NSTATS] = {
	{ SNAP_GAUGE, "count", "Online CPUs", NULL, 0 },
	{ SNAP_COUNTER, "ticks", "Clock ticks since boot (sysconf(_SC_CLK_TCK) per second)", NULL,
	  0 },
	{ SNAP_COUNTER, "ticks", "Clock ticks since boot, as lbolt (what illumos's clock() counts)",
	  NULL, 0 },
	{ SNAP_GAUGE, "count", "Processes", NULL, 0 },
	{ SNAP_GAUGE, "fscale", "1-minute load average times 256", NULL, 0 },
	{ SNAP_GAUGE, "fscale", "5-minute load average times 256", NULL, 0 },
	{ SNAP_GAUGE, "fscale", "15-minute load average times 256", NULL, 0 },
	{ SNAP_GAUGE, "s", "Boot time, seconds since the epoch", NULL, 0 },
};

enum engine_stat {
	ENG_SNAPSHOTS,
	ENG_SNAPSHOT_TIME,
	ENG_READS,
	ENG_WRITES,
	ENG_KSTATS,
	ENG_CREATES,
	ENG_DELETES,
	ENG_MAP_DROPS,
	ENG_PROVIDERS_REFUSED,
	ENG_CREATE_FAILURES,
	ENG_NSTATS,
};

static const char *const engine_names[ENG_NSTATS] = {
	"snapshots",       "snapshot_time", "reads",
	"writes",          "kstats",        "creates",
	"deletes",         "map_drops",     "providers_refused",
	"create_failures",
};

static const struct snap_stat_meta engine_meta[ENG_NSTATS] = {
	{ SNAP_COUNTER, "count", "Full snapshots of every kstat (walks)", NULL, 0 },
	{ SNAP_COUNTER, "ns", "Time spent taking full snapshots", NULL, 0 },
	{ SNAP_COUNTER, "count", "Single kstat reads", NULL, 0 },
	{ SNAP_COUNTER, "count", "kstat writes", NULL, 0 },
	{ SNAP_GAUGE, "count", "kstats in the chain", NULL, 0 },
	{ SNAP_COUNTER, "count", "kstats created", NULL, 0 },
	{ SNAP_COUNTER, "count", "kstats deleted", NULL, 0 },
	{ SNAP_COUNTER, "count", "Map entries providers could not insert because a map was full",
	  NULL, 0 },
	{ SNAP_COUNTER, "count",
	  "Provider files refused (not BPF, breaking the convention, unsafe)", NULL, 0 },
	{ SNAP_COUNTER, "count",
	  "kstats that could not be created (a name taken, over a budget), each try", NULL, 0 },
};

struct sysmisc {
	struct snap *snap;
	struct loader *ld;
	kstat_t *misc, *engine;
	uint32_t boot_time; /* from /proc/stat (long to read) when the clock was stepped */
	kstat_named_t misc_data[MISC_NSTATS];
	kstat_named_t engine_data[ENG_NSTATS];
};

/* Seconds since the epoch when the system booted, from /proc/stat btime */
static uint32_t boot_time(void)
{
	char line[256];
	unsigned long long bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &bt) == 1)
			break;
	fclose(f);
	return (uint32_t)bt;
}

static uint32_t count_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	uint32_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

static int misc_update(kstat_t *ksp, int rw)
{
	struct sysmisc *sm = ksp->ks_private;
	kstat_named_t *kn = ksp->ks_data;
	struct timespec real, boot;
	long hz = sysconf(_SC_CLK_TCK);
	struct sysinfo si;

	if (rw == KSTAT_WRITE)
		return EACCES;
	if (sysinfo(&si))
		return errno;
	if (hz <= 0)
		hz = 100;
	kn[MISC_NCPUS].value.ui32 = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	kn[MISC_LBOLT].value.ui32 = (uint32_t)(snap_now() / (1000000000LL / hz));
	/* illumos counts its clock's runs, one a tick: uptime is clk_intr / hz (libuv) */
	kn[MISC_CLK_INTR].value.ui32 = kn[MISC_LBOLT].value.ui32;
	kn[MISC_NPROC].value.ui32 = count_processes();
	kn[MISC_AVENRUN_1MIN].value.ui32 = (uint32_t)(si.loads[0] >> (SI_LOAD_SHIFT - FSHIFT));
	kn[MISC_AVENRUN_5MIN].value.ui32 = (uint32_t)(si.loads[1] >> (SI_LOAD_SHIFT - FSHIFT));
	kn[MISC_AVENRUN_15MIN].value.ui32 = (uint32_t)(si.loads[2] >> (SI_LOAD_SHIFT - FSHIFT));
	/* btime is the wall clock less the time since boot: it moves with a step */
	if (!clock_gettime(CLOCK_REALTIME, &real) && !clock_gettime(CLOCK_BOOTTIME, &boot) &&
	    llabs((long long)real.tv_sec - boot.tv_sec - sm->boot_time) > 1)
		sm->boot_time = boot_time();
	kn[MISC_BOOT_TIME].value.ui32 = sm->boot_time;
	return 0;
}

static int engine_update(kstat_t *ksp, int rw)
{
	struct sysmisc *sm = ksp->ks_private;
	kstat_named_t *kn = ksp->ks_data;
	struct snap_stats st;

	if (rw == KSTAT_WRITE)
		return EACCES;
	snap_get_stats(sm->snap, &st);
	kn[ENG_SNAPSHOTS].value.ui64 = st.walks;
	kn[ENG_SNAPSHOT_TIME].value.ui64 = st.walk_nsec;
	kn[ENG_READS].value.ui64 = st.reads;
	kn[ENG_WRITES].value.ui64 = st.writes;
	kn[ENG_KSTATS].value.ui64 = st.kstats;
	kn[ENG_CREATES].value.ui64 = st.creates;
	kn[ENG_DELETES].value.ui64 = st.deletes;
	kn[ENG_MAP_DROPS].value.ui64 = sm->ld ? loader_map_drops(sm->ld) : 0;
	kn[ENG_PROVIDERS_REFUSED].value.ui64 = sm->ld ? loader_refusals(sm->ld) : 0;
	kn[ENG_CREATE_FAILURES].value.ui64 = st.create_failures;
	return 0;
}

static kstat_t *create_named(struct sysmisc *sm, const char *module, const char *name,
			     kstat_named_t *data, const char *const *names,
			     const struct snap_stat_meta *meta, int n, uchar_t type,
			     int (*update)(kstat_t *, int))
{
	kstat_t *ksp = snap_create(sm->snap, module, 0, name, "misc", KSTAT_TYPE_NAMED, (uint_t)n,
				   KSTAT_FLAG_VIRTUAL);

	if (!ksp)
		return NULL;
	for (int i = 0; i < n; i++)
		snap_named_init(&data[i], names[i], type);
	ksp->ks_data = data;
	ksp->ks_private = sm;
	ksp->ks_update = update;
	snap_set_meta(ksp, meta);
	snap_install(sm->snap, ksp);
	return ksp;
}

struct sysmisc *sysmisc_new(struct snap *s, struct loader *ld)
{
	struct sysmisc *sm = calloc(1, sizeof(*sm));

	if (!sm)
		return NULL;
	sm->snap = s;
	sm->ld = ld;
	sm->boot_time = boot_time();
	sm->misc = create_named(sm, "unix", "system_misc", sm->misc_data, misc_names, misc_meta,
				MISC_NSTATS, KSTAT_DATA_UINT32, misc_update);
	sm->engine = create_named(sm, "kstatd", "engine", sm->engine_data, engine_names,
				  engine_meta, ENG_NSTATS, KSTAT_DATA_UINT64, engine_update);
	if (!sm->misc || !sm->engine) {
		int err = errno;

		sysmisc_free(sm);
		errno = err;
		return NULL;
	}
	return sm;
}

void sysmisc_free(struct sysmisc *sm)
{
	if (!sm)
		return;
	if (sm->misc)
		snap_delete(sm->snap, sm->misc);
	if (sm->engine)
		snap_delete(sm->snap, sm->engine);
	free(sm);
}
