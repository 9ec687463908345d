// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * unix:0:sysinfo as illumos's clock() keeps it: once a second, updates
 * goes up by one, runque by the threads queued to run and runocc by one
 * if there were any, waiting by the threads waiting for I/O.  Linux swaps
 * pages, never whole processes out: swpque and swpocc stay 0, as on
 * illumos since it stopped swapping processes.  The sums are 32 bits and
 * wrap, as illumos's do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "engine/snapshot.h"
#include "os/tick.h"
#include "unix_sysinfo.h"

struct unix_sysinfo {
	struct snap *snap;
	kstat_t *ksp;
	unix_sysinfo_sample_fn *sample;
	void *ctx;
	sysinfo_t si;
};

void unix_sysinfo_tick(void *arg)
{
	struct unix_sysinfo *usi = arg;
	uint64_t queued = 0, iowait = 0;

	if (usi->sample(usi->ctx, &queued, &iowait) < 0)
		return;
	snap_ks_lock(usi->ksp);
	usi->si.updates++;
	usi->si.runque += (uint_t)queued;
	usi->si.runocc += queued > 0;
	usi->si.waiting += (uint_t)iowait;
	snap_ks_unlock(usi->ksp);
}

static int sysinfo_update(kstat_t *ksp, int rw)
{
	(void)ksp;
	return rw == KSTAT_WRITE ? EACCES : 0;
}

struct unix_sysinfo *unix_sysinfo_new(struct snap *s, unix_sysinfo_sample_fn *sample, void *ctx)
{
	struct unix_sysinfo *usi = calloc(1, sizeof(*usi));
	int err;

	if (!usi)
		return NULL;
	usi->snap = s;
	usi->sample = sample;
	usi->ctx = ctx;
	usi->ksp = snap_create(s, "unix", 0, "sysinfo", "misc", KSTAT_TYPE_RAW, sizeof(sysinfo_t),
			       KSTAT_FLAG_VIRTUAL);
	if (!usi->ksp) {
		err = errno;
		goto err_free;
	}
	usi->ksp->ks_data = &usi->si;
	usi->ksp->ks_update = sysinfo_update;
	err = -tick_add(unix_sysinfo_tick, usi);
	if (err) {
		snap_delete(s, usi->ksp);
		goto err_free;
	}
	snap_install(s, usi->ksp);
	return usi;

err_free:
	free(usi);
	errno = err;
	return NULL;
}

void unix_sysinfo_free(struct unix_sysinfo *usi)
{
	if (!usi)
		return;
	tick_remove(unix_sysinfo_tick, usi);
	snap_delete(usi->snap, usi->ksp);
	free(usi);
}
