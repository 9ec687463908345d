// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kiostat: illumos iostat -x from the disk kstats kstatd serves
 * (KSTAT_TYPE_IO of class "disk" or "stacked", and "partition" with -p,
 * as iostat -xp), read through libkstat.  The first report covers
 * the time since each kstat was created, the next ones each interval.
 * Disks that appear or go between reports come and go with the chain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kstat.h>

#include "ksreport.h"

struct dev {
	kid_t kid;
	char name[KSTAT_STRLEN];
	kstat_io_t io;
	hrtime_t snap;
	long seen;
	struct ks_iostat x;
};

static struct dev *devs;
static int partitions; /* -p */
static size_t ndevs, cap;

static void usage(void)
{
	fprintf(stderr, "usage: kiostat [-xp] [interval [count]]\n");
}

/* The device of a kstat, new ones starting from zero at their creation */
static struct dev *dev_of(const kstat_t *ksp)
{
	for (size_t i = 0; i < ndevs; i++)
		if (devs[i].kid == ksp->ks_kid)
			return &devs[i];
	if (ndevs == cap) {
		size_t nc = cap ? cap * 2 : 16;
		struct dev *nd = realloc(devs, nc * sizeof(*nd));

		if (!nd)
			return NULL;
		devs = nd;
		cap = nc;
	}
	memset(&devs[ndevs], 0, sizeof(devs[ndevs]));
	devs[ndevs].kid = ksp->ks_kid;
	snprintf(devs[ndevs].name, sizeof(devs[ndevs].name), "%s", ksp->ks_name);
	devs[ndevs].snap = ksp->ks_crtime;
	return &devs[ndevs++];
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dev *)a)->name, ((const struct dev *)b)->name);
}

static int report(kstat_ctl_t *kc, long gen)
{
	size_t kept = 0;

	if (kstat_chain_update(kc) == -1)
		return -1;
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		kstat_io_t io;
		struct dev *d;

		if (ksp->ks_type != KSTAT_TYPE_IO ||
		    (strcmp(ksp->ks_class, "disk") && strcmp(ksp->ks_class, "stacked") &&
		     (!partitions || strcmp(ksp->ks_class, "partition"))))
			continue;
		if (kstat_read(kc, ksp, &io) == -1)
			continue; /* it went: the next chain update drops it */
		d = dev_of(ksp);
		if (!d)
			return -1;
		ks_iostat(&d->io, &io, ksp->ks_snaptime - d->snap, &d->x);
		d->io = io;
		d->snap = ksp->ks_snaptime;
		d->seen = gen;
	}
	for (size_t i = 0; i < ndevs; i++)
		if (devs[i].seen == gen)
			devs[kept++] = devs[i];
	ndevs = kept;
	qsort(devs, ndevs, sizeof(*devs), by_name);
	printf("%*s extended device statistics\n", 17, "");
	printf("%-10s %7s %7s %8s %8s %5s %5s %7s %3s %3s\n", "device", "r/s", "w/s", "kr/s",
	       "kw/s", "wait", "actv", "svc_t", "%w", "%b");
	for (size_t i = 0; i < ndevs; i++) {
		const struct ks_iostat *x = &devs[i].x;

		printf("%-10s %7.1f %7.1f %8.1f %8.1f %5.1f %5.1f %7.1f %3.0f %3.0f\n",
		       devs[i].name, x->rps, x->wps, x->krps, x->kwps, x->wait, x->actv, x->svc_t,
		       x->pct_w, x->pct_b);
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int opt, interval, ret;
	long count;

	while ((opt = getopt(argc, argv, "xp")) != -1) {
		if (opt == 'p') {
			partitions = 1;
		} else if (opt != 'x') {
			usage();
			return 2;
		}
	}
	if (!ks_parse_interval(argc - optind, argv + optind, &interval, &count)) {
		usage();
		return 2;
	}
	ret = ks_report_loop("kiostat", interval, count, report);
	free(devs);
	return ret;
}
