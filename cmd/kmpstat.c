// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kmpstat: an illumos mpstat-style report from cpu:N:sys and cpu:N:vm,
 * read through libkstat: per CPU and per second, page faults (minf) and
 * major ones (mjf), cross-calls (xcal), interrupts, context switches (csw)
 * and involuntary ones (icsw), migrations (migr: both 0 unless kstatd's
 * sched provider is attached), system calls (syscl: 0 unless the syscall
 * provider is),
 * forks and execs; and the shares of time in user mode (usr), in the
 * kernel and its interrupts (sys), waiting for I/O (wt) and idle (idl).
 * The first report covers the time since each kstat was created, the
 * next ones each interval.
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
	printf("%3s %7s %5s %6s %7s %7s %6s %5s %8s %5s %5s %3s %3s %3s %3s\n", "CPU", "minf",
	       "mjf", "xcal", "intr", "csw", "icsw", "migr", "syscl", "fork", "exec", "usr", "sys",
	       "wt", "idl");
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
		ks_mpstat(c->v, v, ksp->ks_snaptime - c->snap, &m);
		memcpy(c->v, v, sizeof(v));
		c->snap = ksp->ks_snaptime;
		printf("%3d %7.0f %5.0f %6.0f %7.0f %7.0f %6.0f %5.0f %8.0f %5.0f %5.0f %3.0f "
		       "%3.0f "
		       "%3.0f %3.0f\n",
		       ksp->ks_instance, m.minf, m.mjf, m.xcal, m.intr, m.csw, m.icsw, m.migr,
		       m.syscl, m.fork, m.exec, m.usr, m.sys, m.wt, m.idl);
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
