// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What illumos iostat -x and mpstat derive from kstats.  iostat: rates
 * from the counters, queue lengths and busy percentages from the Riemann
 * sums of kstat_io_t over the interval (wlentime / dt is the mean number
 * waiting, rtime / dt the fraction of time busy), svc_t the mean time an
 * I/O spent queued and running (Little's law: length / throughput).
 */
#include <errno.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksreport.h"

#define NS_PER_S 1e9

void ks_iostat(const kstat_io_t *a, const kstat_io_t *b, hrtime_t dt, struct ks_iostat *out)
{
	double secs = dt > 0 ? (double)dt / NS_PER_S : 1.0, ns = dt > 0 ? (double)dt : 1.0;
	double ios = (double)(b->reads - a->reads) + (double)(b->writes - a->writes);
	double queued = (double)(b->wlentime - a->wlentime) + (double)(b->rlentime - a->rlentime);

	out->rps = (double)(b->reads - a->reads) / secs;
	out->wps = (double)(b->writes - a->writes) / secs;
	out->krps = (double)(b->nread - a->nread) / 1024.0 / secs;
	out->kwps = (double)(b->nwritten - a->nwritten) / 1024.0 / secs;
	out->wait = (double)(b->wlentime - a->wlentime) / ns;
	out->actv = (double)(b->rlentime - a->rlentime) / ns;
	out->svc_t = ios > 0 ? queued / ios / 1e6 : 0.0;
	out->wsvc_t = ios > 0 ? (double)(b->wlentime - a->wlentime) / ios / 1e6 : 0.0;
	out->asvc_t = ios > 0 ? (double)(b->rlentime - a->rlentime) / ios / 1e6 : 0.0;
	out->idle = ios == 0 && queued == 0 && b->wtime == a->wtime && b->rtime == a->rtime &&
		    b->nread == a->nread && b->nwritten == a->nwritten;
	out->pct_w = (double)(b->wtime - a->wtime) / ns * 100.0;
	out->pct_b = (double)(b->rtime - a->rtime) / ns * 100.0;
	if (out->pct_w > 100.0)
		out->pct_w = 100.0;
	if (out->pct_b > 100.0)
		out->pct_b = 100.0;
}

const char *const ks_mp_stats[KS_MP_NSTATS] = {
	"as_fault",      "maj_fault",     "xcalls",        "intr",
	"pswitch",       "inv_swtch",     "syscall",       "sysfork",
	"sysexec",       "cpumigrate",    "cpu_nsec_user", "cpu_nsec_kernel",
	"cpu_nsec_intr", "cpu_nsec_wait", "cpu_nsec_idle", "cpu_nsec_steal",
};

#define KS_MP_NRATES 10

/*
 * illumos's minf counts the faults its address-space layer handled, the
 * major ones among them too; Linux's page fault count (as_fault) is that.
 * mpstat has no column for interrupt time: it is in sys, as in illumos
 * where interrupt threads' time is kernel time.  Stolen time is in none.
 */
void ks_mpstat(const uint64_t *a, const uint64_t *b, hrtime_t dt, struct ks_mpstat *out)
{
	double secs = dt > 0 ? (double)dt / NS_PER_S : 1.0, t[6], total = 0;
	double *rates[KS_MP_NRATES] = {
		&out->minf, &out->mjf,   &out->xcal, &out->intr, &out->csw,
		&out->icsw, &out->syscl, &out->fork, &out->exec, &out->migr
	};

	for (int i = 0; i < KS_MP_NRATES; i++)
		*rates[i] = (double)(b[i] - a[i]) / secs;
	for (int i = 0; i < 6; i++) {
		t[i] = (double)(b[KS_MP_NRATES + i] - a[KS_MP_NRATES + i]);
		total += t[i];
	}
	if (total <= 0)
		total = 1;
	out->usr = 100.0 * t[0] / total;
	out->sys = 100.0 * (t[1] + t[2]) / total;
	out->wt = 100.0 * t[3] / total;
	out->idl = 100.0 * t[4] / total;
}

static bool operand(const char *arg, const char *what, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno == ERANGE) {
		fprintf(stderr, "%s is too large\n", what);
		return false;
	}
	if (end == arg || *end || v < 1) {
		fprintf(stderr, "%s must be an integer >= 1\n", what);
		return false;
	}
	*out = v;
	return true;
}

void ks_date_print(FILE *out, char how)
{
	time_t now = time(NULL);
	struct tm tm;
	char buf[128];

	if (how == 'u') {
		fprintf(out, "%lld\n", (long long)now);
	} else if (localtime_r(&now, &tm) &&
		   strftime(buf, sizeof(buf), nl_langinfo(_DATE_FMT), &tm) > 0) {
		fprintf(out, "%s\n", buf);
	}
}

bool ks_parse_interval(int argc, char **argv, int *interval, long *count)
{
	long v;

	*interval = 0;
	*count = 1;
	if (argc > 2)
		return false;
	if (argc >= 1) {
		if (!operand(argv[0], "Interval", &v) || v > 86400)
			return false;
		*interval = (int)v;
		*count = -1;
	}
	if (argc == 2 && !operand(argv[1], "Count", count))
		return false;
	return true;
}

void ks_sleep_until(const struct timespec *start, int interval, long n)
{
	struct timespec t = *start;

	t.tv_sec += (time_t)interval * n;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

int ks_report_loop(const char *prog, int interval, long count,
		   int (*report)(kstat_ctl_t *kc, long n))
{
	struct timespec start;
	kstat_ctl_t *kc;

	kc = kstat_open();
	if (!kc) {
		fprintf(stderr, "%s: cannot reach kstatd: %s (is it running? KSTAT_SOCKET)\n", prog,
			strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long n = 0; count < 0 || n < count; n++) {
		if (n) {
			ks_sleep_until(&start, interval, n);
			putchar('\n');
		}
		if (report(kc, n + 1)) {
			fprintf(stderr, "%s: %s\n", prog, strerror(errno));
			kstat_close(kc);
			return 1;
		}
	}
	kstat_close(kc);
	return 0;
}
