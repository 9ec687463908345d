// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * unix:0:system_pages and unix:0:vminfo, in pages, from /proc/meminfo and
 * the zones' watermarks in /proc/zoneinfo.
 *
 * illumos counts locked pages as availrmem's shortfall (pageslocked =
 * availrmem_initial - availrmem) and the kernel's pages among them;
 * Linux locks user pages (Unevictable: mlock, ramfs, SHM_LOCK) and never
 * pages out its own, so pageslocked is both and availrmem what is left.
 * The pageout thresholds are the zones' watermarks: kswapd wakes below
 * low (desfree) and sleeps above high (lotsfree); min is the reserve only
 * the kernel's own allocations may use (minfree).
 *
 * vminfo's swap sums follow Linux's reservation books, the overcommit
 * accounting: memory processes committed (Committed_AS) is reserved swap,
 * what strict overcommit would still grant (CommitLimit - Committed_AS)
 * is available; allocated and free are the swap devices' own.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "engine/snapshot.h"
#include "os/tick.h"
#include "unix_kstats.h"

#define MEMINFO "/proc/meminfo"
#define ZONEINFO "/proc/zoneinfo"

/* The /proc/meminfo lines read, in kB */
enum mi {
	MI_MEMTOTAL,
	MI_MEMFREE,
	MI_UNEVICTABLE,
	MI_SRECLAIMABLE,
	MI_SUNRECLAIM,
	MI_KERNELSTACK,
	MI_PAGETABLES,
	MI_SECPAGETABLES,
	MI_PERCPU,
	MI_SWAPTOTAL,
	MI_SWAPFREE,
	MI_COMMITLIMIT,
	MI_COMMITTED_AS,
	MI_N,
};

static const char *const mi_keys[MI_N] = {
	"MemTotal",    "MemFree",     "Unevictable",   "SReclaimable", "SUnreclaim",
	"KernelStack", "PageTables",  "SecPageTables", "Percpu",       "SwapTotal",
	"SwapFree",    "CommitLimit", "Committed_AS",
};

enum sp {
	SP_PHYSMEM,
	SP_FREEMEM,
	SP_AVAILRMEM,
	SP_LOTSFREE,
	SP_DESFREE,
	SP_MINFREE,
	SP_PP_KERNEL,
	SP_PAGESFREE,
	SP_PAGESLOCKED,
	SP_PAGESTOTAL,
	SP_N,
};

static const char *const sp_names[SP_N] = {
	"physmem", "freemem",   "availrmem", "lotsfree",    "desfree",
	"minfree", "pp_kernel", "pagesfree", "pageslocked", "pagestotal",
};

static const struct snap_stat_meta sp_meta[SP_N] = {
	{ SNAP_GAUGE, "pages", "Memory the kernel manages (MemTotal)", NULL, 0 },
	{ SNAP_GAUGE, "pages", "Free memory (MemFree)", NULL, 0 },
	{ SNAP_GAUGE, "pages", "Memory that could still be locked: physmem - pageslocked", NULL,
	  0 },
	{ SNAP_GAUGE, "pages", "Free memory above which reclaim stops (zones' high watermarks)",
	  NULL, 0 },
	{ SNAP_GAUGE, "pages", "Free memory below which kswapd reclaims (zones' low watermarks)",
	  NULL, 0 },
	{ SNAP_GAUGE, "pages", "Memory kept for the kernel's own allocations (min watermarks)",
	  NULL, 0 },
	{ SNAP_GAUGE, "pages", "Kernel memory: slab, stacks, page tables, per-CPU areas", NULL, 0 },
	{ SNAP_GAUGE, "pages", "Free memory (MemFree)", NULL, 0 },
	{ SNAP_GAUGE, "pages", "Memory that cannot be paged out: pp_kernel + Unevictable", NULL,
	  0 },
	{ SNAP_GAUGE, "pages", "Memory the kernel manages (MemTotal)", NULL, 0 },
};

struct unix_kstats {
	struct snap *snap;
	kstat_t *pages, *vm;
	kstat_named_t pages_data[SP_N];
	vminfo_t vminfo;
	long kb_per_page;
	bool ticking;
};

/* /proc/meminfo in kB; lines this kernel lacks read 0.  0 or -errno */
static int read_meminfo(uint64_t *kb)
{
	char line[256], key[64];
	unsigned long long v;
	int found = 0;
	FILE *f = fopen(MEMINFO, "re");

	if (!f)
		return -errno;
	memset(kb, 0, MI_N * sizeof(*kb));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %llu", key, &v) != 2)
			continue;
		for (int i = 0; i < MI_N; i++)
			if (strcmp(key, mi_keys[i]) == 0) {
				kb[i] = v;
				found |= i == MI_MEMTOTAL;
			}
	}
	fclose(f);
	return found ? 0 : -EIO;
}

/* The min, low and high watermarks summed over the zones that manage pages */
static int read_watermarks(uint64_t *min, uint64_t *low, uint64_t *high)
{
	unsigned long long zmin = 0, zlow = 0, zhigh = 0, v;
	char line[256], key[32];
	FILE *f = fopen(ZONEINFO, "re");

	if (!f)
		return -errno;
	*min = *low = *high = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %31s %llu", key, &v) != 2)
			continue;
		if (strcmp(key, "min") == 0) {
			zmin = v;
		} else if (strcmp(key, "low") == 0) {
			zlow = v;
		} else if (strcmp(key, "high") == 0) {
			zhigh = v;
		} else if (strcmp(key, "managed") == 0 && v > 0) {
			/* each zone lists its watermarks before its managed pages */
			*min += zmin;
			*low += zlow;
			*high += zhigh;
		}
	}
	fclose(f);
	return 0;
}

static uint64_t pages(const struct unix_kstats *uk, uint64_t kb)
{
	return kb / (uint64_t)uk->kb_per_page;
}

static int pages_update(kstat_t *ksp, int rw)
{
	struct unix_kstats *uk = ksp->ks_private;
	kstat_named_t *kn = ksp->ks_data;
	uint64_t kb[MI_N], min = 0, low = 0, high = 0, kernel, locked, total;
	int err;

	if (rw == KSTAT_WRITE)
		return EACCES;
	err = read_meminfo(kb);
	if (!err)
		err = read_watermarks(&min, &low, &high);
	if (err)
		return EIO;
	total = pages(uk, kb[MI_MEMTOTAL]);
	kernel = pages(uk, kb[MI_SRECLAIMABLE] + kb[MI_SUNRECLAIM] + kb[MI_KERNELSTACK] +
				   kb[MI_PAGETABLES] + kb[MI_SECPAGETABLES] + kb[MI_PERCPU]);
	locked = kernel + pages(uk, kb[MI_UNEVICTABLE]);
	kn[SP_PHYSMEM].value.ul = total;
	kn[SP_FREEMEM].value.ul = pages(uk, kb[MI_MEMFREE]);
	kn[SP_AVAILRMEM].value.ul = total > locked ? total - locked : 0;
	kn[SP_LOTSFREE].value.ul = high;
	kn[SP_DESFREE].value.ul = low;
	kn[SP_MINFREE].value.ul = min;
	kn[SP_PP_KERNEL].value.ul = kernel;
	kn[SP_PAGESFREE].value.ul = kn[SP_FREEMEM].value.ul;
	kn[SP_PAGESLOCKED].value.ul = locked;
	kn[SP_PAGESTOTAL].value.ul = total;
	return 0;
}

void unix_kstats_tick(void *arg)
{
	struct unix_kstats *uk = arg;
	uint64_t kb[MI_N], resv, limit;

	if (read_meminfo(kb))
		return;
	resv = pages(uk, kb[MI_COMMITTED_AS]);
	limit = pages(uk, kb[MI_COMMITLIMIT]);
	snap_ks_lock(uk->vm);
	uk->vminfo.freemem += pages(uk, kb[MI_MEMFREE]);
	uk->vminfo.swap_resv += resv;
	uk->vminfo.swap_alloc += pages(uk, kb[MI_SWAPTOTAL] - kb[MI_SWAPFREE]);
	uk->vminfo.swap_avail += limit > resv ? limit - resv : 0;
	uk->vminfo.swap_free += pages(uk, kb[MI_SWAPFREE]);
	uk->vminfo.updates++;
	snap_ks_unlock(uk->vm);
}

static int vminfo_update(kstat_t *ksp, int rw)
{
	(void)ksp;
	return rw == KSTAT_WRITE ? EACCES : 0;
}

struct unix_kstats *unix_kstats_new(struct snap *s)
{
	struct unix_kstats *uk = calloc(1, sizeof(*uk));
	int err;

	if (!uk)
		return NULL;
	uk->snap = s;
	uk->kb_per_page = sysconf(_SC_PAGESIZE) / 1024;
	if (uk->kb_per_page <= 0)
		uk->kb_per_page = 4;
	/* ULONG as illumos has them: 64 bits to LP64 readers, 32 to ILP32 ones */
	uk->pages = snap_create(s, "unix", 0, "system_pages", "pages", KSTAT_TYPE_NAMED, SP_N,
				KSTAT_FLAG_VIRTUAL);
	uk->vm = snap_create(s, "unix", 0, "vminfo", "vm", KSTAT_TYPE_RAW, sizeof(vminfo_t),
			     KSTAT_FLAG_VIRTUAL);
	if (!uk->pages || !uk->vm)
		goto err_free;
	for (int i = 0; i < SP_N; i++)
		snap_named_init(&uk->pages_data[i], sp_names[i], KS_DATA_KULONG);
	uk->pages->ks_data = uk->pages_data;
	uk->pages->ks_private = uk;
	uk->pages->ks_update = pages_update;
	snap_set_meta(uk->pages, sp_meta);
	uk->vm->ks_data = &uk->vminfo;
	uk->vm->ks_update = vminfo_update;
	err = tick_add(unix_kstats_tick, uk);
	if (err) {
		errno = -err;
		goto err_free;
	}
	uk->ticking = true;
	snap_install(s, uk->pages);
	snap_install(s, uk->vm);
	return uk;

err_free:
	err = errno;
	unix_kstats_free(uk);
	errno = err;
	return NULL;
}

void unix_kstats_free(struct unix_kstats *uk)
{
	if (!uk)
		return;
	if (uk->ticking)
		tick_remove(unix_kstats_tick, uk);
	if (uk->pages)
		snap_delete(uk->snap, uk->pages);
	if (uk->vm)
		snap_delete(uk->snap, uk->vm);
	free(uk);
}
