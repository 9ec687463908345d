// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * khist: percentiles of kstatd's log2 histograms, read through libkstat.
 * A histogram is the run of statistics <hist>_NN_lt_<bound> ...
 * <hist>_NN_inf of a NAMED kstat, with its <hist>_sum (the disks'
 * read_lat and write_lat, cpu:N:runq's runq_lat, syscall:0:latency's
 * lat).  Each line gives the events, their mean and the percentiles asked
 * for, in the histogram's unit (ns for kstatd's own).  A percentile is
 * interpolated within its slot [bound/2, bound), as Prometheus's
 * histogram_quantile() does; one that falls in the last, open slot is
 * printed as ">" its lower bound, and so is max.  The first report covers
 * the time since each kstat was created, the next ones each interval.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kstat.h>

#include "ksreport.h"

#define MAX_SLOTS 64
#define MAX_PCTS 8
#define MAX_OPERANDS 32

/* One histogram seen in the last report, for the next one's deltas */
struct seen {
	kid_t kid;
	char hist[KSTAT_STRLEN];
	uint64_t slot[MAX_SLOTS], sum;
	bool read; /* by an earlier report */
};

static struct {
	double pct[MAX_PCTS];
	int npct;
	bool zero; /* -z: leave out histograms with no events in the interval */
	char *op[MAX_OPERANDS][4];
	int nop;
	struct seen *seen;
	size_t nseen, capseen;
} opt;

static void usage(void)
{
	fprintf(stderr, "Usage: khist [-z] [-p percentile[,percentile...]]\n"
			"             [module[:instance[:name[:histogram]]] ...] "
			"[interval [count]]\n");
}

/* A histogram's slots as read: values, exclusive upper bounds (0: open) */
struct hist {
	char name[KSTAT_STRLEN];
	int n;
	uint64_t le[MAX_SLOTS], slot[MAX_SLOTS], sum;
};

/* Is this record slot NN of a histogram?  Its name's length before "_NN" */
static size_t slot_of(const char *name, unsigned int *nn, uint64_t *le)
{
	size_t len = strnlen(name, KSTAT_STRLEN);

	for (size_t i = len; i-- > 3;) {
		const char *p = name + i;

		if (p[0] != '_' || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
			continue;
		*nn = (unsigned int)((p[1] - '0') * 10 + (p[2] - '0'));
		if (strcmp(p + 3, "_inf") == 0) {
			*le = 0;
			return i;
		}
		if (strncmp(p + 3, "_lt_", 4) == 0 && isdigit((unsigned char)p[7])) {
			char *end;

			*le = strtoull(p + 7, &end, 10);
			if (!*end)
				return i;
		}
	}
	return 0;
}

/* The histograms of a read NAMED kstat, in record order; how many */
static int find_hists(const kstat_t *ksp, struct hist *h, int max)
{
	const kstat_named_t *kn = ksp->ks_data;
	int n = 0;

	for (uint_t i = 0; i < ksp->ks_ndata; i++) {
		unsigned int nn;
		uint64_t le;
		size_t len = slot_of(kn[i].name, &nn, &le);
		struct hist *c;

		if (!len || kn[i].data_type != KSTAT_DATA_UINT64)
			continue;
		c = n ? &h[n - 1] : NULL;
		if (nn == 0) {
			if (n == max)
				break;
			c = &h[n++];
			memset(c, 0, sizeof(*c));
			memcpy(c->name, kn[i].name, len);
		} else if (!c || (int)nn != c->n || c->n == MAX_SLOTS ||
			   strncmp(c->name, kn[i].name, len) || c->name[len]) {
			continue; /* a slot out of its run: not a histogram of ours */
		}
		c->le[c->n] = le;
		c->slot[c->n++] = kn[i].value.ui64;
	}
	for (int j = 0; j < n; j++) {
		char sum[KSTAT_STRLEN + 8];
		kstat_named_t *s;

		snprintf(sum, sizeof(sum), "%.30s_sum", h[j].name);
		s = kstat_data_lookup((kstat_t *)ksp, sum);
		h[j].sum = s && s->data_type == KSTAT_DATA_UINT64 ? s->value.ui64 : 0;
	}
	return n;
}

/* "module:instance:name:hist" against the operands (empty or * matches anything) */
static bool wanted(const kstat_t *ksp, const char *hist)
{
	char inst[16];
	const char *f[4] = { ksp->ks_module, inst, ksp->ks_name, hist };

	if (!opt.nop)
		return true;
	snprintf(inst, sizeof(inst), "%d", ksp->ks_instance);
	for (int i = 0; i < opt.nop; i++) {
		bool ok = true;

		for (int j = 0; j < 4 && ok && f[j]; j++)
			ok = !opt.op[i][j] || !*opt.op[i][j] || strcmp(opt.op[i][j], "*") == 0 ||
			     strcmp(opt.op[i][j], f[j]) == 0;
		if (ok)
			return true;
	}
	return false;
}

static struct seen *seen_find(kid_t kid, const char *hist)
{
	for (size_t i = 0; i < opt.nseen; i++)
		if (opt.seen[i].kid == kid && strcmp(opt.seen[i].hist, hist) == 0)
			return &opt.seen[i];
	if (opt.nseen == opt.capseen) {
		size_t cap = opt.capseen ? 2 * opt.capseen : 16;
		struct seen *s = realloc(opt.seen, cap * sizeof(*s));

		if (!s)
			return NULL;
		opt.seen = s;
		opt.capseen = cap;
	}
	memset(&opt.seen[opt.nseen], 0, sizeof(opt.seen[0]));
	opt.seen[opt.nseen].kid = kid;
	snprintf(opt.seen[opt.nseen].hist, KSTAT_STRLEN, "%.30s", hist);
	return &opt.seen[opt.nseen++];
}

/* A value of the histogram's unit; an open slot's as ">" its lower bound */
static void print_value(double v, bool open)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s%.0f", open ? ">" : "", v);
	printf(" %12s", buf);
}

/* The pct-th percentile of d[0..n): interpolated within its slot */
static void print_pct(const struct hist *h, const uint64_t *d, uint64_t count, double pct)
{
	double rank = pct / 100.0 * (double)count, cum = 0;

	for (int i = 0; i < h->n; i++) {
		double lo = i ? (double)h->le[i - 1] : 0;

		if (!d[i] || cum + (double)d[i] < rank) {
			cum += (double)d[i];
			continue;
		}
		if (!h->le[i]) {
			print_value(lo, true);
			return;
		}
		print_value(lo + ((double)h->le[i] - lo) * (rank - cum) / (double)d[i], false);
		return;
	}
	print_value(0, false);
}

static void print_hist(const kstat_t *ksp, const struct hist *h, const struct seen *prev)
{
	uint64_t d[MAX_SLOTS], count = 0;
	int top = -1;
	char id[4 * KSTAT_STRLEN + 24];

	for (int i = 0; i < h->n; i++) {
		d[i] = h->slot[i] - (prev ? prev->slot[i] : 0);
		count += d[i];
		if (d[i])
			top = i;
	}
	if (opt.zero && !count)
		return;
	snprintf(id, sizeof(id), "%.30s:%d:%.30s:%.30s", ksp->ks_module, ksp->ks_instance,
		 ksp->ks_name, h->name);
	printf("%-40s %10llu", id, (unsigned long long)count);
	print_value(count ? (double)(h->sum - (prev ? prev->sum : 0)) / (double)count : 0, false);
	for (int p = 0; p < opt.npct; p++)
		print_pct(h, d, count, opt.pct[p]);
	if (top < 0)
		print_value(0, false);
	else if (!h->le[top])
		print_value(top ? (double)h->le[top - 1] : 0, true);
	else
		print_value((double)h->le[top], false);
	printf("\n");
}

static int report(kstat_ctl_t *kc, long n)
{
	if (n && kstat_chain_update(kc) == -1)
		return -1;
	printf("%-40s %10s %12s", "HISTOGRAM", "count", "mean");
	for (int p = 0; p < opt.npct; p++) {
		char head[16];

		snprintf(head, sizeof(head), "p%g", opt.pct[p]);
		printf(" %12s", head);
	}
	printf(" %12s\n", "max");
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		struct hist h[8];
		int nh;

		if (ksp->ks_type != KSTAT_TYPE_NAMED || !wanted(ksp, NULL) ||
		    kstat_read(kc, ksp, NULL) == -1)
			continue;
		nh = find_hists(ksp, h, 8);
		for (int i = 0; i < nh; i++) {
			struct seen *s;

			if (!wanted(ksp, h[i].name))
				continue;
			s = seen_find(ksp->ks_kid, h[i].name);
			if (!s)
				return -1;
			/* one that appeared since the last report: since its creation */
			print_hist(ksp, &h[i], s->read ? s : NULL);
			memcpy(s->slot, h[i].slot, sizeof(s->slot));
			s->sum = h[i].sum;
			s->read = true;
		}
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static bool parse_pcts(char *arg)
{
	opt.npct = 0;
	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		char *end;
		double v;

		errno = 0;
		v = strtod(tok, &end);
		if (errno || end == tok || *end || !(v > 0 && v <= 100) || opt.npct == MAX_PCTS) {
			fprintf(stderr, "khist: -p takes 1 to %d percentiles in (0, 100]: '%s'\n",
				MAX_PCTS, tok);
			return false;
		}
		opt.pct[opt.npct++] = v;
	}
	return opt.npct > 0;
}

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	static char defaults[] = "50,90,99";
	int interval, i = 1, first_num;
	long count;

	parse_pcts(defaults);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-z") == 0) {
			opt.zero = true;
		} else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
			if (!parse_pcts(argv[++i]))
				return 2;
		} else if (strncmp(argv[i], "-p", 2) == 0 && argv[i][2]) {
			if (!parse_pcts(argv[i] + 2))
				return 2;
		} else {
			if (strcmp(argv[i], "-h") && strcmp(argv[i], "--help"))
				fprintf(stderr, "khist: unknown option '%s'\n", argv[i]);
			usage();
			return strcmp(argv[i], "-h") && strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	first_num = argc;
	while (first_num > i && first_num > argc - 2 && numeric(argv[first_num - 1]))
		first_num--;
	for (; i < first_num; i++) {
		char *s = argv[i];

		if (opt.nop == MAX_OPERANDS) {
			fprintf(stderr, "khist: at most %d operands\n", MAX_OPERANDS);
			return 2;
		}
		for (int f = 0; f < 4 && s; f++) {
			opt.op[opt.nop][f] = s;
			s = strchr(s, ':');
			if (s)
				*s++ = '\0';
		}
		if (s) {
			fprintf(stderr, "khist: '%s': at most module:instance:name:histogram\n",
				argv[i]);
			return 2;
		}
		opt.nop++;
	}
	if (!ks_parse_interval(argc - first_num, argv + first_num, &interval, &count)) {
		usage();
		return 2;
	}
	return ks_report_loop("khist", interval, count, report);
}
