// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstat(1M) over kstatd: the options, operands, output formats and exit
 * codes of illumos usr/src/cmd/stat/kstat, on libkstat.  Additions: -w
 * writes a statistic; unknown options are a bad command line (exit 2);
 * every JSON report is valid JSON on its own.
 *
 *	kstat [-Cjlpq] [-T u|d] [-c class] [-m module] [-i instance]
 *	      [-n name] [-s statistic] [interval [count]]
 *	kstat [-Cjlpq] [-T u|d] [-c class]
 *	      [module[:instance[:name[:statistic]]]]... [interval [count]]
 *	kstat -w module:instance:name:statistic=value...
 */
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kstat_wire.h"
#include "ks.h"

/*
 * The room the heap gets before kstat_open() reads the chain, whose size
 * it does not know yet: a chain of 100k kstats is 100k small allocations,
 * 10k page faults that cost more than the rest of kstat -p together.  It
 * is address space, touched as used: a chain of a few hundred kstats stays
 * in 4 KiB pages below the room's first 2 MiB boundary (ks_heap.c).
 */
#define KS_OPEN_KSTATS 65536
/* illumos kstat retries kstat_open() on EAGAIN this often */
#define KS_OPEN_RETRY_MS 200
#define KS_NSEC_PER_SEC 1000000000LL

void ks_usage(void)
{
	fputs("Usage:\n"
	      "kstat [ -Cjlpq ] [ -T d|u ] [ -c class ]\n"
	      "      [ -m module ] [ -i instance ] [ -n name ] [ -s statistic ]\n"
	      "      [ interval [ count ] ]\n"
	      "kstat [ -Cjlpq ] [ -T d|u ] [ -c class ]\n"
	      "      [ module[:instance[:name[:statistic]]] ... ]\n"
	      "      [ interval [ count ] ]\n"
	      "kstat -w module:instance:name:statistic=value ...\n",
	      stderr);
}

const char *ks_socket_path(void)
{
	const char *path = getenv(KSW_SOCKET_ENV);

	return path && *path ? path : KSW_DEFAULT_SOCKET;
}

/* Why kstat_open() failed, and what to do about it */
static void ks_open_error(int err)
{
	const char *path = ks_socket_path();

	if (err == ENOENT || err == ECONNREFUSED) {
		fprintf(stderr, "kstat: kstatd is not running: cannot connect to %s: %s\n", path,
			strerror(err));
		fprintf(stderr, "kstat: start it as root with 'kstatd' ('make run' in its source "
				"tree), or set KSTAT_SOCKET to the socket of a running kstatd\n");
	} else {
		fprintf(stderr, "kstat: cannot open the kstat chain of kstatd at %s: %s\n", path,
			strerror(err));
	}
}

/* CLOCK_MONOTONIC in nanoseconds, the clock of the sleeps between reports */
static int64_t ks_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * KS_NSEC_PER_SEC + ts.tv_nsec;
}

/*
 * Sleep to the next multiple of the period after the first report, so
 * reports do not drift by the time each takes.  After a stop (SIGSTOP, a
 * suspended machine) of more than a period the cadence starts again now
 * rather than printing the missed reports back to back.
 */
static void ks_sleep_until(int64_t *wakeup, int64_t period)
{
	struct timespec ts;

	*wakeup += period;
	if (ks_now_ns() - *wakeup >= period) {
		*wakeup = ks_now_ns();
		return;
	}
	ts.tv_sec = (time_t)(*wakeup / KS_NSEC_PER_SEC);
	ts.tv_nsec = (long)(*wakeup % KS_NSEC_PER_SEC);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The reports, count of them interval seconds apart; returns the exit status */
static int ks_reports(kstat_ctl_t *kc, const struct ks_cfg *cfg)
{
	int64_t wakeup = ks_now_ns(), period = (int64_t)cfg->interval * KS_NSEC_PER_SEC;
	bool matched = false;
	long left = cfg->count;

	/*
	 * kstatd may restart under a long interval run: libkstat connects
	 * again by itself, so a report that fails is skipped, said once, and
	 * the next one tries again.  Failing the first report or the last is
	 * fatal.
	 */
	bool lost = false;
	size_t nkstats = 0;

	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next)
		nkstats++;
	ks_heap_reserve(nkstats);
	for (bool first = true;; first = false) {
		struct ks_report r;
		int err = 0;

		if (!first) {
			ks_sleep_until(&wakeup, period);
			if (kstat_chain_update(kc) == -1)
				err = errno;
		}
		if (!err && ks_collect(kc, cfg, &r)) {
			err = errno;
			ks_report_free(&r);
		}
		if (err) {
			if (!lost)
				fprintf(stderr, "kstat: lost kstatd at %s: %s%s\n",
					ks_socket_path(), strerror(err), first ? "" : ": retrying");
			if (first)
				return KS_EXIT_FATAL;
			lost = true;
			if (left > 0 && --left == 0)
				break;
			continue;
		}
		if (lost)
			fprintf(stderr, "kstat: kstatd is back at %s\n", ks_socket_path());
		lost = false;
		matched |= ks_report_print(stdout, cfg, &r);
		ks_report_free(&r);
		/* a large write that failed leaves nothing behind for fflush to fail on */
		if (fflush(stdout) == EOF || ferror(stdout)) {
			perror("kstat: stdout");
			return KS_EXIT_FATAL;
		}
		if (!cfg->interval || (left > 0 && --left == 0))
			break;
		if (!cfg->qflg)
			putchar('\n');
	}
	if (lost)
		return KS_EXIT_FATAL;
	return matched ? KS_EXIT_MATCH : KS_EXIT_NOMATCH;
}

int main(int argc, char **argv)
{
	struct ks_cfg cfg;
	struct ks_args a;
	kstat_ctl_t *kc;
	bool help = false;
	int rc = KS_EXIT_USAGE;

	/* -T d prints the date in the user's locale; everything else stays "C" */
	setlocale(LC_TIME, "");
	if (ks_args_init(&a, &cfg, argc)) {
		perror("kstat");
		rc = KS_EXIT_FATAL;
		goto out_free;
	}
	if (!ks_args_parse(argc, argv, &a, &cfg, &help)) {
		ks_usage();
		goto out_free;
	}
	if (help) {
		ks_usage();
		rc = KS_EXIT_MATCH;
		goto out_free;
	}

	ks_heap_reserve(KS_OPEN_KSTATS);
	while (!(kc = kstat_open())) {
		if (errno != EAGAIN) {
			ks_open_error(errno);
			rc = KS_EXIT_FATAL;
			goto out_free;
		}
		(void)poll(NULL, 0, KS_OPEN_RETRY_MS);
	}
	if (a.nwrites) {
		rc = KS_EXIT_MATCH;
		for (size_t i = 0; i < a.nwrites && rc == KS_EXIT_MATCH; i++)
			rc = ks_write(kc, a.writes[i]);
	} else {
		rc = ks_reports(kc, &cfg);
	}
	(void)kstat_close(kc);
out_free:
	ks_args_free(&a, &cfg);
	return rc;
}
