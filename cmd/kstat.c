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
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kstat_wire.h"
#include "ks.h"

/* illumos kstat retries kstat_open() on EAGAIN this often */
#define KS_OPEN_RETRY_MS 200
#define KS_NSEC_PER_SEC 1000000000LL

/* The command line before its patterns are compiled */
struct ks_args {
	const char *module, *instance, *name, *statistic, *class;
	char **operands;
	size_t noperands;
	const char **writes;
	size_t nwrites;
	bool others; /* any option but -w */
};

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

/* Is s an integer, so the interval or the count rather than a selector? */
static bool ks_is_number(const char *s)
{
	s += *s == '+' || *s == '-';
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The interval (n == 0) or count (n == 1) operand; -1 after a message */
static long ks_number(const char *s, int n)
{
	const char *what = n == 0 ? "Interval" : "Count";
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE || v > INT_MAX) {
		fprintf(stderr, "kstat: %s is too large\n", what);
		return -1;
	}
	if (*end || v < 1) {
		fprintf(stderr, "kstat: %s must be an integer >= 1\n", what);
		return -1;
	}
	return v;
}

/* Options into a and cfg; false for a bad command line, *help for -h or -? */
static bool ks_options(int argc, char **argv, struct ks_args *a, struct ks_cfg *cfg, bool *help)
{
	int c;

	opterr = 0;
	for (;;) {
		optopt = 0;
		c = getopt(argc, argv, ":h?CqjlpT:m:i:n:s:c:w:");
		if (c == -1)
			break;
		a->others |= c != 'w';
		switch (c) {
		case 'h':
			*help = true;
			return true;
		case '?':
			if (!optopt) {
				*help = true;
				return true;
			}
			fprintf(stderr, "kstat: unknown option -%c\n", optopt);
			return false;
		case ':':
			fprintf(stderr, "kstat: option -%c needs an argument\n", optopt);
			return false;
		case 'C':
			cfg->pflg = cfg->cflg = true;
			break;
		case 'q':
			cfg->qflg = true;
			break;
		case 'j':
			cfg->jflg = true;
			break;
		case 'l':
			cfg->pflg = cfg->lflg = true;
			break;
		case 'p':
			cfg->pflg = true;
			break;
		case 'T':
			if (strcmp(optarg, "u") && strcmp(optarg, "d")) {
				fprintf(stderr, "kstat: -T %s: the timestamp is u or d\n", optarg);
				return false;
			}
			cfg->date = *optarg == 'u' ? KS_UDATE : KS_DDATE;
			break;
		case 'm':
			a->module = optarg;
			break;
		case 'i':
			a->instance = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 's':
			a->statistic = optarg;
			break;
		case 'c':
			a->class = optarg;
			break;
		case 'w':
			if (ks_write_check(optarg))
				return false;
			a->writes[a->nwrites++] = optarg;
			break;
		}
	}
	if (cfg->qflg && (cfg->jflg || cfg->pflg)) {
		fprintf(stderr, "kstat: -q and -Cjlp are mutually exclusive\n");
		return false;
	}
	return true;
}

/* Operands: selectors, then at most an interval and a count */
static bool ks_operands(int argc, char **argv, struct ks_args *a, struct ks_cfg *cfg)
{
	int numbers = 0;

	for (int i = optind; i < argc; i++) {
		long v;

		if (!ks_is_number(argv[i])) {
			a->operands[a->noperands++] = argv[i];
			continue;
		}
		if (numbers == 2) {
			fprintf(stderr, "kstat: %s: only an interval and a count may follow\n",
				argv[i]);
			return false;
		}
		v = ks_number(argv[i], numbers);
		if (v < 0)
			return false;
		if (numbers++ == 0) {
			cfg->interval = (unsigned long)v;
			cfg->count = -1;
		} else {
			cfg->count = v;
		}
	}
	if (a->nwrites && (a->others || argc > optind)) {
		fprintf(stderr, "kstat: -w takes no other options or operands\n");
		return false;
	}
	if (a->noperands && (a->module || a->instance || a->name || a->statistic)) {
		fprintf(stderr, "kstat: [module[:instance[:name[:statistic]]]] and -m -i -n -s are "
				"mutually exclusive\n");
		return false;
	}
	return true;
}

/* Compile the selectors: one per operand, else one of -m -i -n -s */
static bool ks_selectors(struct ks_args *a, struct ks_cfg *cfg)
{
	const char *opts[KS_FIELDS] = { a->module, a->instance, a->name, a->statistic };

	if (ks_pattern_init(&cfg->class, a->class))
		return false;
	if (!a->noperands) {
		if (ks_selector_set(&cfg->sel[0], opts))
			return false;
		cfg->nsel = 1;
		return true;
	}
	for (size_t i = 0; i < a->noperands; i++) {
		if (ks_selector_init(&cfg->sel[cfg->nsel], a->operands[i]))
			return false;
		cfg->nsel++;
	}
	return true;
}

/* The compiled patterns and the selectors */
static void ks_cfg_free(struct ks_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nsel; i++)
		ks_selector_fini(&cfg->sel[i]);
	ks_pattern_fini(&cfg->class);
	free(cfg->sel);
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

	for (;;) {
		struct ks_report r;

		if (ks_collect(kc, cfg, &r)) {
			int err = errno;

			ks_report_free(&r);
			fprintf(stderr, "kstat: lost kstatd at %s: %s\n", ks_socket_path(),
				strerror(err));
			return KS_EXIT_FATAL;
		}
		matched |= ks_report_print(stdout, cfg, &r);
		ks_report_free(&r);
		if (fflush(stdout) == EOF) {
			perror("kstat: stdout");
			return KS_EXIT_FATAL;
		}
		if (!cfg->interval || (left > 0 && --left == 0))
			break;
		ks_sleep_until(&wakeup, period);
		if (kstat_chain_update(kc) == -1) {
			fprintf(stderr, "kstat: lost kstatd at %s: %s\n", ks_socket_path(),
				strerror(errno));
			return KS_EXIT_FATAL;
		}
		if (!cfg->qflg)
			putchar('\n');
	}
	return matched ? KS_EXIT_MATCH : KS_EXIT_NOMATCH;
}

int main(int argc, char **argv)
{
	struct ks_cfg cfg = { .count = 1 };
	struct ks_args a = { 0 };
	kstat_ctl_t *kc;
	bool help = false;
	int rc = KS_EXIT_USAGE;

	/* -T d prints the date in the user's locale; everything else stays "C" */
	setlocale(LC_TIME, "");
	a.operands = calloc((size_t)argc, sizeof(*a.operands));
	a.writes = calloc((size_t)argc, sizeof(*a.writes));
	cfg.sel = calloc((size_t)argc + 1, sizeof(*cfg.sel));
	if (!a.operands || !a.writes || !cfg.sel) {
		perror("kstat");
		rc = KS_EXIT_FATAL;
		goto out_free;
	}
	if (!ks_options(argc, argv, &a, &cfg, &help) ||
	    (!help && !ks_operands(argc, argv, &a, &cfg)) || (!help && !ks_selectors(&a, &cfg))) {
		ks_usage();
		goto out_free;
	}
	if (help) {
		ks_usage();
		rc = KS_EXIT_MATCH;
		goto out_free;
	}

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
	ks_cfg_free(&cfg);
	free(a.writes);
	free(a.operands);
	return rc;
}
