// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kiostat: illumos iostat -x from the disk kstats kstatd serves
 * (KSTAT_TYPE_IO of class "disk" or "stacked", and "partition" with -p,
 * as iostat -xp), read through libkstat, with iostat's -n -z -M -e -r
 * and -T u|d (kiostat(1)).  The first report covers the time since each
 * kstat was created, the next ones each interval.  Disks that appear or
 * go between reports come and go with the chain.
 */
#include <errno.h>
#include <stdbool.h>
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
static size_t ndevs, cap;

/* The options, as illumos iostat spells them */
static struct {
	bool partitions; /* -p: partitions too */
	bool names;      /* -n: the -xn layout, device last, wsvc_t and asvc_t */
	bool zero;       /* -z: no line for a device with nothing counted */
	bool mega;       /* -M: MB/s, not KB/s */
	bool errors;     /* -e: the error columns */
	bool comma;      /* -r: comma-separated */
	char date;       /* -T u|d: a timestamp before each report; 0: none */
} o;

static void usage(void)
{
	fprintf(stderr, "Usage: kiostat [-enprxzM] [-T u|d] [interval [count]]\n");
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

/* One column: numbers to the right, a name first to the left; -r: commas */
static void col(int width, const char *text, bool first)
{
	if (o.comma)
		printf("%s%s", first ? "" : ",", text);
	else if (first && !o.names)
		printf("%-*s", width, text);
	else
		printf(first ? "%*s" : " %*s", width, text);
}

static void num(int width, int decimals, double v, bool first)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	col(width, buf, first);
}

/* The error columns: Linux keeps no per-device soft, hard or transport error counts */
static void errors(bool header)
{
	static const char *const names[] = { "s/w", "h/w", "trn", "tot" };

	for (int i = 0; i < 4; i++)
		col(3, header ? names[i] : "-", false);
}

static void print_header(void)
{
	if (!o.comma)
		printf("%*s extended device statistics%s\n", o.names ? 20 : 17, "",
		       o.errors ? "       ---- errors ---" : "");
	if (!o.names)
		col(10, "device", true);
	col(7, "r/s", !o.names ? false : true);
	col(7, "w/s", false);
	col(8, o.mega ? "Mr/s" : "kr/s", false);
	col(8, o.mega ? "Mw/s" : "kw/s", false);
	col(5, "wait", false);
	col(5, "actv", false);
	if (o.names) {
		col(7, "wsvc_t", false);
		col(7, "asvc_t", false);
	} else {
		col(7, "svc_t", false);
	}
	col(3, "%w", false);
	col(3, "%b", false);
	if (o.errors)
		errors(true);
	if (o.names)
		col(0, "device", false);
	printf("\n");
}

static void print_dev(const struct dev *d)
{
	const struct ks_iostat *x = &d->x;
	double div = o.mega ? 1024.0 : 1.0;

	if (!o.names)
		col(10, d->name, true);
	num(7, 1, x->rps, !o.names ? false : true);
	num(7, 1, x->wps, false);
	num(8, 1, x->krps / div, false);
	num(8, 1, x->kwps / div, false);
	num(5, 1, x->wait, false);
	num(5, 1, x->actv, false);
	/* ms to the microsecond: a fast device's service time is not 0.1 */
	if (o.names) {
		num(7, 3, x->wsvc_t, false);
		num(7, 3, x->asvc_t, false);
	} else {
		num(7, 3, x->svc_t, false);
	}
	num(3, 0, x->pct_w, false);
	num(3, 0, x->pct_b, false);
	if (o.errors)
		errors(false);
	if (o.names)
		col(0, d->name, false);
	printf("\n");
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
		     (!o.partitions || strcmp(ksp->ks_class, "partition"))))
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
	if (o.date)
		ks_date_print(stdout, o.date);
	print_header();
	for (size_t i = 0; i < ndevs; i++)
		if (!o.zero || !devs[i].x.idle)
			print_dev(&devs[i]);
	return fflush(stdout) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int opt, interval, ret;
	long count;

	while ((opt = getopt(argc, argv, "enprxzMT:")) != -1) {
		switch (opt) {
		case 'e':
			o.errors = true;
			break;
		case 'n':
			o.names = true;
			break;
		case 'p':
			o.partitions = true;
			break;
		case 'r':
			o.comma = true;
			break;
		case 'x':
			break; /* the extended report is the only one */
		case 'z':
			o.zero = true;
			break;
		case 'M':
			o.mega = true;
			break;
		case 'T':
			if ((optarg[0] != 'u' && optarg[0] != 'd') || optarg[1]) {
				fprintf(stderr, "kiostat: -T takes u or d\n");
				usage();
				return 2;
			}
			o.date = optarg[0];
			break;
		default:
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
