// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kmpstat: an illumos mpstat-style report from cpu:N:sys, read through
 * libkstat: per CPU and per second, page faults (flt: minor and major
 * together, Linux's tracepoints do not tell them apart), device
 * interrupts, context switches (csw) and involuntary ones (icsw), system
 * calls (syscl: 0 unless kstatd's syscall provider is attached), forks
 * and execs, and the share of time busy and idle.  The first report
 * covers the time since each kstat was created, the next ones each
 * interval.
 */
#include <errno.h>
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

static void usage(void)
{
	fprintf(stderr, "usage: kmpstat [interval [count]]\n");
}

static int report(kstat_ctl_t *kc, long n)
{
	(void)n;
	if (kstat_chain_update(kc) == -1)
		return -1;
	printf("%3s %7s %7s %7s %7s %8s %6s %6s %4s %4s\n", "CPU", "flt", "intr", "csw", "icsw",
	       "syscl", "fork", "exec", "busy", "idl");
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		uint64_t v[KS_MP_NSTATS] = { 0 };
		struct ks_mpstat m;
		struct cpu *c;

		if (strcmp(ksp->ks_module, "cpu") || strcmp(ksp->ks_name, "sys") ||
		    ksp->ks_instance < 0 || ksp->ks_instance >= MAX_CPUS ||
		    kstat_read(kc, ksp, NULL) == -1)
			continue;
		for (int i = 0; i < KS_MP_NSTATS; i++) {
			const kstat_named_t *kn = kstat_data_lookup(ksp, ks_mp_stats[i]);

			v[i] = kn ? kn->value.ui64 : 0;
		}
		c = &cpus[ksp->ks_instance];
		if (c->kid != ksp->ks_kid) { /* a CPU that came online: from its creation */
			memset(c, 0, sizeof(*c));
			c->kid = ksp->ks_kid;
			c->snap = ksp->ks_crtime;
		}
		ks_mpstat(c->v, v, ksp->ks_snaptime - c->snap, &m);
		memcpy(c->v, v, sizeof(v));
		c->snap = ksp->ks_snaptime;
		printf("%3d %7.0f %7.0f %7.0f %7.0f %8.0f %6.0f %6.0f %4.0f %4.0f\n",
		       ksp->ks_instance, m.flt, m.intr, m.csw, m.icsw, m.syscl, m.fork, m.exec,
		       m.busy, m.idle);
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int interval;
	long count;

	if (argc > 1 && argv[1][0] == '-') {
		usage();
		return 2;
	}
	if (!ks_parse_interval(argc - 1, argv + 1, &interval, &count)) {
		usage();
		return 2;
	}
	return ks_report_loop("kmpstat", interval, count, report);
}
