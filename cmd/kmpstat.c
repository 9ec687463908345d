// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kmpstat: illumos mpstat from cpu:N:sys and cpu:N:vm, read through
 * libkstat, in mpstat's columns and format (kmpstat(1)): per CPU, or per
 * set with -a, and per second, page faults (minf) and major ones (mjf),
 * cross-calls (xcal), interrupts, context switches (csw) and involuntary
 * ones (icsw), migrations (migr: both 0 unless kstatd's sched provider is
 * attached), system calls (syscl: 0 unless the syscall provider is); and
 * the shares of time in user mode (usr), in the kernel and its interrupts
 * (sys), waiting for I/O (wt) and idle (idl).  The first report covers
 * the time since each kstat was created (boot: their counts are the
 * kernel's), the next ones each interval.
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

#define MAX_CPUS 4096

struct cpu {
	uint64_t v[KS_MP_NSTATS];
	hrtime_t snap;
	kid_t kid;
};

static struct cpu cpus[MAX_CPUS];

static struct {
	bool aggregate; /* -a: one line for all CPUs */
	char date;      /* -T u|d */
} o;

static void usage(void)
{
	fprintf(stderr, "Usage: kmpstat [-aq] [-T u|d] [interval [count]]\n");
}

static void header(void)
{
	printf("%3s %5s %4s %5s %6s %5s %6s %5s %5s %5s %4s %6s %4s %4s %4s %4s%s\n",
	       o.aggregate ? "SET" : "CPU", "minf", "mjf", "xcal", "intr", "ithr", "csw", "icsw",
	       "migr", "smtx", "srw", "syscl", "usr", "sys", "wt", "idl",
	       o.aggregate ? "  sze" : "");
}

/*
 * One line in mpstat's format.  ithr, smtx and srw are "-": Linux counts
 * no interrupt threads, mutex spins or reader/writer lock misses per CPU.
 */
static void line(int id, const struct ks_mpstat *m, int sze)
{
	printf("%3d %5.0f %4.0f %5.0f %6.0f %5s %6.0f %5.0f %5.0f %5s %4s %6.0f %4.0f %4.0f %4.0f "
	       "%4.0f",
	       id, m->minf, m->mjf, m->xcal, m->intr, "-", m->csw, m->icsw, m->migr, "-", "-",
	       m->syscl, m->usr, m->sys, m->wt, m->idl);
	if (o.aggregate)
		printf(" %4d", sze);
	printf("\n");
}

static int report(kstat_ctl_t *kc, long n)
{
	uint64_t sum_a[KS_MP_NSTATS] = { 0 }, sum_b[KS_MP_NSTATS] = { 0 };
	hrtime_t dt = 0;
	int ncpu = 0;

	(void)n;
	if (kstat_chain_update(kc) == -1)
		return -1;
	if (o.date)
		ks_date_print(stdout, o.date);
	header();
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		uint64_t v[KS_MP_NSTATS] = { 0 };
		struct ks_mpstat m;
		kstat_t *vm;
		struct cpu *c;

		if (strcmp(ksp->ks_module, "cpu") || strcmp(ksp->ks_name, "sys") ||
		    ksp->ks_instance < 0 || ksp->ks_instance >= MAX_CPUS ||
		    kstat_read(kc, ksp, NULL) == -1)
			continue;
		vm = kstat_lookup(kc, "cpu", ksp->ks_instance, "vm");
		if (vm && kstat_read(kc, vm, NULL) == -1)
			vm = NULL;
		for (int i = 0; i < KS_MP_NSTATS; i++) {
			const kstat_named_t *kn =
				i < KS_MP_NVM ? (vm ? kstat_data_lookup(vm, ks_mp_stats[i]) : NULL)
					      : kstat_data_lookup(ksp, ks_mp_stats[i]);

			v[i] = kn ? kn->value.ui64 : 0;
		}
		c = &cpus[ksp->ks_instance];
		if (c->kid != ksp->ks_kid) { /* a CPU that came online: from its creation */
			memset(c, 0, sizeof(*c));
			c->kid = ksp->ks_kid;
			c->snap = ksp->ks_crtime;
		}
		if (o.aggregate) {
			for (int i = 0; i < KS_MP_NSTATS; i++) {
				sum_a[i] += c->v[i];
				sum_b[i] += v[i];
			}
			if (ksp->ks_snaptime - c->snap > dt)
				dt = ksp->ks_snaptime - c->snap;
			ncpu++;
		} else {
			ks_mpstat(c->v, v, ksp->ks_snaptime - c->snap, &m);
			line(ksp->ks_instance, &m, 0);
		}
		memcpy(c->v, v, sizeof(v));
		c->snap = ksp->ks_snaptime;
	}
	if (o.aggregate && ncpu) {
		struct ks_mpstat m;

		/* rates add up over the set; its times' shares are of all its CPUs' time */
		ks_mpstat(sum_a, sum_b, dt, &m);
		line(0, &m, ncpu);
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int interval, opt;
	long count;

	while ((opt = getopt(argc, argv, "aqT:")) != -1) {
		switch (opt) {
		case 'a':
			o.aggregate = true;
			break;
		case 'q':
			break; /* kmpstat prints no messages about CPUs changing state */
		case 'T':
			if ((optarg[0] != 'u' && optarg[0] != 'd') || optarg[1]) {
				fprintf(stderr, "kmpstat: -T takes u or d\n");
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
	return ks_report_loop("kmpstat", interval, count, report);
}
