// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstat's command line: options, operands (selectors, then an interval
 * and a count) and the patterns they compile to.  Everything here takes
 * argv and nothing else, so that tests/fuzz/fuzz_kstat_args.c can feed
 * it any bytes.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ks.h"

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

int ks_args_init(struct ks_args *a, struct ks_cfg *cfg, int argc)
{
	memset(a, 0, sizeof(*a));
	memset(cfg, 0, sizeof(*cfg));
	cfg->count = 1;
	a->operands = calloc((size_t)argc, sizeof(*a->operands));
	a->writes = calloc((size_t)argc, sizeof(*a->writes));
	cfg->sel = calloc((size_t)argc + 1, sizeof(*cfg->sel));
	return a->operands && a->writes && cfg->sel ? 0 : -1;
}

bool ks_args_parse(int argc, char **argv, struct ks_args *a, struct ks_cfg *cfg, bool *help)
{
	return ks_options(argc, argv, a, cfg, help) &&
	       (*help || (ks_operands(argc, argv, a, cfg) && ks_selectors(a, cfg)));
}

void ks_args_free(struct ks_args *a, struct ks_cfg *cfg)
{
	ks_cfg_free(cfg);
	free(a->writes);
	free(a->operands);
}
