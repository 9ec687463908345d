/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The derived figures of kiostat and kmpstat, from two readings of the
 * same kstat: what illumos iostat -x and mpstat print, computed the same
 * way, plus the interval loop both share.
 */
#ifndef __KSTATD_KSREPORT_H
#define __KSTATD_KSREPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <kstat.h>

/* illumos iostat -x, one device over an interval */
struct ks_iostat {
	double rps, wps;   /* reads and writes per second */
	double krps, kwps; /* KiB read and written per second */
	double wait, actv; /* mean wait and run queue lengths */
	double svc_t;      /* mean response time (wait + run) of an I/O, ms */
	double wsvc_t;     /* of which waiting, ms (iostat -xn) */
	double asvc_t;     /* of which running: active service time, ms */
	bool idle;         /* nothing counted at all over the interval (-z) */
	double pct_w;      /* % of the time something waited */
	double pct_b;      /* % of the time something ran: busy */
};

/* a: the earlier reading (zeroes for "since the kstat was created"); dt in ns */
void ks_iostat(const kstat_io_t *a, const kstat_io_t *b, hrtime_t dt, struct ks_iostat *out);

/* mpstat's per-CPU figures from two readings of cpu:N:vm and cpu:N:sys */
struct ks_mpstat {
	double minf, mjf, xcal, intr, csw, icsw, syscl, fork, exec, migr; /* per second */
	double usr, sys, wt, idl; /* % of the CPU's time; sys includes interrupts */
};

/*
 * The values mpstat needs, in the order ks_mpstat wants them: the first
 * KS_MP_NVM from cpu:N:vm, the rest from cpu:N:sys.
 */
#define KS_MP_NSTATS 16
#define KS_MP_NVM 2
extern const char *const ks_mp_stats[KS_MP_NSTATS];

void ks_mpstat(const uint64_t *a, const uint64_t *b, hrtime_t dt, struct ks_mpstat *out);

/* -T's timestamp line: 'u' seconds since the epoch, 'd' in date(1)'s format */
void ks_date_print(FILE *out, char how);

/*
 * Parse [interval [count]] as illumos does: an interval alone repeats
 * forever (count -1).  false with a message on stderr for a bad operand.
 */
bool ks_parse_interval(int argc, char **argv, int *interval, long *count);
/* Sleep until the next multiple of interval seconds after start: no drift */
void ks_sleep_until(const struct timespec *start, int interval, long n);

/*
 * A report's life: reach kstatd, call report(kc, n) count times (n from
 * 1; count -1: forever) every interval seconds, a blank line between two,
 * and say what went wrong as prog.  Returns the exit status: 0, or 1 when
 * kstatd cannot be reached or a report fails (report returns -1, errno set).
 */
int ks_report_loop(const char *prog, int interval, long count,
		   int (*report)(kstat_ctl_t *kc, long n));

#endif /* __KSTATD_KSREPORT_H */
