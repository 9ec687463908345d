/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The kstat(1M) command: selectors, the instances one report collects and
 * the printers, shared by the files of cmd/.  Output formats, ordering and
 * pseudo-statistics follow illumos usr/src/cmd/stat/kstat.
 */
#ifndef __KSTATD_KS_H
#define __KSTATD_KS_H

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>

#include <kstat.h>

/* crtime and snaptime: printed as seconds, "%.9f", or "0" */
#define KS_DATA_HRTIME (KSTAT_DATA_STRING + 1)

/* Exit codes of kstat(1M) */
#define KS_EXIT_MATCH 0
#define KS_EXIT_NOMATCH 1
#define KS_EXIT_USAGE 2
#define KS_EXIT_FATAL 3

/* A shell glob (fnmatch) or, written /re/, an unanchored extended regex */
struct ks_pattern {
	const char *glob;
	regex_t re;
	size_t cost; /* of the regex: a bound of what regcomp built */
	bool is_re;
	/* what fnmatch would answer, without it (single-byte locales only) */
	bool any;     /* the glob is "*": every string */
	bool literal; /* no *, ?, [ or \ in the glob: that string alone */
};

/* Fields of a selector: module, instance, name, statistic */
#define KS_FIELDS 4

struct ks_selector {
	struct ks_pattern module;
	struct ks_pattern instance;
	struct ks_pattern name;
	struct ks_pattern statistic;
};

/*
 * One statistic of a kstat as printed: a record, or crtime, snaptime,
 * class.  Its name and string are not copies: they point into the kstat's
 * header and data (or copies of them, struct ks_stats), or are literals.
 */
struct ks_nvpair {
	const char *name;
	uchar_t data_type;
	union {
		char c[16];
		int32_t i32;
		uint32_t ui32;
		int64_t i64;
		uint64_t ui64;
	} value;
	const char *str; /* KSTAT_DATA_STRING: never NULL */
	unsigned seq;    /* order of insertion, for ties in the sort */
};

/*
 * One kstat of a report.  Its names point into its header in the chain,
 * as its statistics are built from the header and the data read
 * (ks_stats_build) when printed: a report holds no copy of 100k kstats.
 */
struct ks_instance {
	const char *module; /* at most KSTAT_STRLEN - 1 bytes, as the name and class */
	const char *name;
	const char *class;
	const kstat_t *ksp; /* the chain's kstat, or the report's copy of it */
	hrtime_t snaptime;  /* the header's, before the read: -j's "snaptime" */
	kid_t kid;
	int instance;
	char number[12]; /* the instance in decimal, what -i patterns match */
	uchar_t type;
	bool read; /* the read succeeded: ksp has data and its snaptime */
};

/* A RAW kstat kstat(1M) can read (ks_raw.c): its struct's size and members */
struct ks_raw_field {
	const char *name;
	size_t offset;
	uchar_t data_type; /* KSTAT_DATA_INT32, UINT32 or UINT64 */
};
struct ks_raw {
	const char *key; /* module:name without digits, as illumos matches them */
	size_t size;
	const struct ks_raw_field *fields;
	size_t nfields;
};

/* The reader of a RAW kstat of this module and name, or NULL */
const struct ks_raw *ks_raw_lookup(const char *module, const char *name);

/* Copies a report keeps, of names and of kstats: see ks_collect() */
struct ks_copies;

struct ks_report {
	struct ks_instance *ksi;     /* in the chain's order */
	struct ks_instance **sorted; /* the same, in the report's */
	size_t n;
	size_t cap;
	struct ks_copies *copies;
};

/* The statistics of one kstat at a time, sorted (ks_stats_build) */
struct ks_stats {
	struct ks_nvpair *nv;
	size_t n;
	size_t cap;
	char (*names)[KSTAT_STRLEN]; /* copies of record names that lack their NUL */
	size_t nnames;
	size_t names_cap;
};

enum ks_date { KS_NODATE, KS_UDATE, KS_DDATE };

/* The command line, parsed */
struct ks_cfg {
	bool cflg; /* -C: ':' before the value */
	bool jflg; /* -j */
	bool lflg; /* -l */
	bool pflg; /* -p, also set by -C and -l: adds the class pseudo-statistic */
	bool qflg; /* -q */
	enum ks_date date;
	struct ks_pattern class;
	struct ks_selector *sel; /* operands in command-line order, or the -m -i -n -s one */
	size_t nsel;
	unsigned long interval; /* seconds; 0 for one report */
	long count;             /* reports; -1 for no end */
};

/* The command line before its patterns are compiled */
struct ks_args {
	const char *module, *instance, *name, *statistic, *class;
	char **operands;
	size_t noperands;
	const char **writes;
	size_t nwrites;
	bool others; /* any option but -w */
};

/* ks_args.c */
/* Arrays for argc arguments in a and cfg; -1 when out of memory (free them all the same) */
int ks_args_init(struct ks_args *a, struct ks_cfg *cfg, int argc);
/*
 * Parse argv (getopt: optind must be 1, or 0 to start over) into a and
 * cfg; false after a message on stderr for a bad command line.  *help is
 * set for -h and -?.
 */
bool ks_args_parse(int argc, char **argv, struct ks_args *a, struct ks_cfg *cfg, bool *help);
void ks_args_free(struct ks_args *a, struct ks_cfg *cfg);

/* ks_select.c */
int ks_pattern_init(struct ks_pattern *p, const char *str);
void ks_pattern_fini(struct ks_pattern *p);
bool ks_match(const struct ks_pattern *p, const char *str);
int ks_selector_set(struct ks_selector *s, const char *const str[KS_FIELDS]);
int ks_selector_init(struct ks_selector *s, char *operand);
void ks_selector_fini(struct ks_selector *s);
bool ks_selector_kstat(const struct ks_selector *s, const struct ks_pattern *class,
		       const struct ks_instance *ksi);

/* ks_heap.c: room for a report of nkstats kstats, in huge pages if the kernel allows */
void ks_heap_reserve(size_t nkstats);

/* ks_collect.c */
/*
 * Select and read the kstats of a report; it lives until the chain is
 * updated.  0, or -1 with errno when kstatd has gone.
 */
int ks_collect(kstat_ctl_t *kc, const struct ks_cfg *cfg, struct ks_report *r);
void ks_report_free(struct ks_report *r);
/*
 * The statistics of a kstat of the report, sorted, into s->nv: their
 * count.  They stay until the next call with s; s starts zeroed.
 */
size_t ks_stats_build(struct ks_stats *s, const struct ks_cfg *cfg, const struct ks_instance *ksi);
void ks_stats_free(struct ks_stats *s);

/* ks_print.c */
void ks_hrtime_print(FILE *out, int64_t ns);
void ks_value_print(FILE *out, const struct ks_nvpair *nv);
void ks_timestamp_print(FILE *out, enum ks_date date);
bool ks_report_print(FILE *out, const struct ks_cfg *cfg, const struct ks_report *r);

/* ks_json.c */
void ks_json_string(FILE *out, const char *s, size_t len);
void ks_json_kstat(FILE *out, const struct ks_instance *ksi, const struct ks_nvpair *const *nv,
		   size_t n, bool first);

/* ks_write.c */
int ks_write(kstat_ctl_t *kc, const char *assignment);
int ks_write_check(const char *assignment);
int ks_set_value(kstat_named_t *kn, const char *value, const char *arg);

/* kstat.c */
void ks_usage(void);
const char *ks_socket_path(void);

#endif /* __KSTATD_KS_H */
