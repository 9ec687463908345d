// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A kstatd without BPF for the illumos-program tests: the real engine and
 * socket server, serving the kstats the built-in providers lack.
 *   test:0:strings  NAMED, LONGSTRINGS: two strings, a LONG and a ULONG
 *                   beyond 32 bits
 *   test:0:rw       NAMED, WRITABLE: a UINT64, a LONG and a STRING
 *   test:0:fixed    RAW, 100 bytes
 *   test:0:broken   NAMED whose update fails with EIO
 *   test:0:invalid  created and never installed: reads get EAGAIN
 * and, for the kstat command's output:
 *   test:0:rw32     NAMED, WRITABLE: an INT32, a UINT32 and a CHAR
 *   test:0:escapes  NAMED: strings JSON must escape, a CHAR filling all of
 *                   c[16], the extremes of the integer types, a record
 *                   without a name
 *   test:10:sort, test:2:sort, test:2:SORT, alpha:0:a, Beta:0:b
 *                   NAMED, created out of order: kstats sort by module and
 *                   name ignoring case, by instance as a number, and
 *                   statistics by name ignoring case
 *   fold:0:Name, FOLD:0:name, Fold:1:name, ..., fold_a:0:x, foldB:0:x
 *                   NAMED: modules and names equal but for case, and '_'
 *                   against letters of either case (add_fold)
 *   stats:0:few, stats:0:many
 *                   NAMED, 29 and 41 records (32 statistics with -p, and
 *                   more): names sharing 8 bytes, or equal but for case
 *   churn:0:stays, churn:0:recreated, churn:0:trigger
 *                   NAMED; a read of trigger fails with EIO, and deletes
 *                   and creates recreated and trigger again before the
 *                   reader can update its chain (add_churn)
 * Usage: ksfixture SOCKET; prints "ksfixture ready invalid_kid=N", stops
 * on SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ioctl_compat.h"
#include "snapshot.h"

#define BIG_LONG 0x100000005LL
#define BIG_ULONG 0x1FFFFFFFFULL
/* Records of stats:0:few (with crtime, class and snaptime: KS_NV_FEW of cmd/) and :many */
#define FEW_STATS 29
#define MANY_STATS 41
/* How long a read of churn:0:trigger lets the churn queue for the chain lock */
#define CHURN_QUEUE_MS 10

static kstat_named_t strings_data[4], rw_data[3], broken_data[1];
static kstat_named_t rw32_data[3], escapes_data[12], sort_data[5][7], fold_data[9];
static kstat_named_t few_data[FEW_STATS], many_data[MANY_STATS];
static kstat_named_t stays_data[1], recreated_data[3], trigger_data[1];
static char label[] = "fixture";

/* The churn of churn:0:*: a thread of its own, as kstats cannot be deleted in a read */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	kstat_t *recreated, *trigger;
	unsigned long asked;   /* reads of the trigger */
	unsigned long started; /* of them, the churns begun */
	bool stop;
} churn = { .lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* name, value: strings a JSON writer must escape, or keep */
static const char *const escapes[][2] = {
	{ "quote", "say \"hi\"" },
	{ "backslash", "C:\\kstat\\" },
	{ "control", "tab\there\nline\x01\x1f\x7f" },
	{ "question", "what?" },
	{ "utf8", "h\xc3\xa9llo \xe2\x9c\x93 \xe4\xb8\xad" },
	{ "not_utf8", "\xff\xfe|\xc3(|\xed\xa0\x80|\xe2\x9c" },
};

static int broken_update(kstat_t *ksp, int rw)
{
	(void)ksp;
	(void)rw;
	return EIO;
}

static kstat_t *named_at(struct snap *s, const char *module, int instance, const char *name,
			 kstat_named_t *data, uint_t n, uchar_t flags)
{
	kstat_t *ksp = snap_create(s, module, instance, name, "test", KSTAT_TYPE_NAMED, n,
				   KSTAT_FLAG_VIRTUAL | flags);

	if (ksp)
		ksp->ks_data = data;
	return ksp;
}

static kstat_t *named(struct snap *s, const char *name, kstat_named_t *data, uint_t n,
		      uchar_t flags)
{
	return named_at(s, "test", 0, name, data, n, flags);
}

static int add_escapes(struct snap *s)
{
	kstat_named_t *kn = escapes_data;
	kstat_t *ksp;
	int i;

	for (i = 0; i < 6; i++, kn++) {
		snap_named_init(kn, escapes[i][0], KSTAT_DATA_STRING);
		snap_named_setstr(kn, escapes[i][1]);
	}
	snap_named_init(kn, "chars", KSTAT_DATA_CHAR);
	memcpy(kn++->value.c, "0123456789abcdef", 16);
	snap_named_init(kn, "i32", KSTAT_DATA_INT32);
	kn++->value.i32 = INT32_MIN;
	snap_named_init(kn, "u32", KSTAT_DATA_UINT32);
	kn++->value.ui32 = UINT32_MAX;
	snap_named_init(kn, "i64", KSTAT_DATA_INT64);
	kn++->value.i64 = INT64_MIN;
	snap_named_init(kn, "u64", KSTAT_DATA_UINT64);
	kn++->value.ui64 = UINT64_MAX;
	snap_named_init(kn, "", KSTAT_DATA_UINT64);
	ksp = named(s, "escapes", escapes_data, 12, KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS);
	if (!ksp)
		return -1;
	snap_install(s, ksp);
	return 0;
}

/* In creation order, which is kid order; the values are the kstat's position in it */
static int add_sort(struct snap *s)
{
	static const char *const stats[] = { "Zeta",         "alpha",        "Beta",
					     "Crtime",       "avenrun_5min", "avenrun_1min",
					     "avenrun_15min" };
	static const struct {
		const char *module, *name;
		int instance;
	} ks[] = {
		{ "test", "sort", 10 }, { "test", "sort", 2 }, { "test", "SORT", 2 },
		{ "Beta", "b", 0 },     { "alpha", "a", 0 },
	};

	for (int k = 0; k < 5; k++) {
		kstat_named_t *kn = sort_data[k];
		uint_t n = k < 3 ? 7 : 1;
		kstat_t *ksp;

		for (uint_t i = 0; i < n; i++) {
			snap_named_init(&kn[i], n > 1 ? stats[i] : "value", KSTAT_DATA_UINT32);
			kn[i].value.ui32 = (uint32_t)(10 * k + (int)i);
		}
		ksp = named_at(s, ks[k].module, ks[k].instance, ks[k].name, kn, n, 0);
		if (!ksp)
			return -1;
		snap_install(s, ksp);
	}
	return 0;
}

/*
 * In creation order (kid order); the value is the position in it.  Sorted
 * as strcasecmp orders (tolower, so '_' before every letter) the modules
 * fold, FOLD and Fold are one, their kstats ordered by instance, then by
 * name, then the later kid first.
 */
static int add_fold(struct snap *s)
{
	static const struct {
		const char *module, *name;
		int instance;
	} ks[] = {
		{ "fold", "Name", 0 }, { "FOLD", "name", 0 },  { "Fold", "name", 1 },
		{ "fold", "NAME", 2 }, { "FOLD", "nameA", 1 }, { "fold", "name_b", 1 },
		{ "Fold", "NAME", 0 }, { "fold_a", "x", 0 },   { "foldB", "x", 0 },
	};

	for (int k = 0; k < 9; k++) {
		kstat_t *ksp;

		snap_named_init(&fold_data[k], "value", KSTAT_DATA_UINT32);
		fold_data[k].value.ui32 = (uint32_t)k;
		ksp = named_at(s, ks[k].module, ks[k].instance, ks[k].name, &fold_data[k], 1, 0);
		if (!ksp)
			return -1;
		snap_install(s, ksp);
	}
	return 0;
}

/*
 * Statistics in insertion order, each valued its position: the first
 * FEW_STATS for stats:0:few, all for stats:0:many.  Names that share their
 * first 8 bytes (what cmd/ sorts a few by) and differ after them in case,
 * names equal but for case (the later one first), and names equal to
 * crtime, class and snaptime but for case.
 */
static const char *const stat_names[MANY_STATS] = {
	"prefix_b",
	"Prefix_a",
	"prefix_ab",
	"PREFIX_AB",
	"prefix_a_",
	"prefix_aZ",
	"prefix_",
	"prefixes",
	"prefix",
	"counter_Beta",
	"counter_alpha",
	"counter__x",
	"counter_",
	"Dup",
	"dup",
	"DUP",
	"a_b",
	"aB",
	"ab",
	"Snaptime",
	"CLASS",
	"long_name_x_Y",
	"LONG_NAME_X_y",
	"long_name_x_",
	"long_name_x_Z",
	"Zeta",
	"alpha",
	"crtimE",
	"z",
	/* stats:0:many only */
	"prefix_b_",
	"PREFIX_B",
	"counter_BETA",
	"dUp",
	"m",
	"M",
	"n_",
	"N",
	"prefix_aaaaaaaaaaaaaaaaaaaaaaa",
	"Prefix_aaaaaaaaaaaaaaaaaaaaaaA",
	"y",
	"Y",
};

static int add_stats(struct snap *s, const char *name, kstat_named_t *kn, uint_t n)
{
	kstat_t *ksp;

	for (uint_t i = 0; i < n; i++) {
		snap_named_init(&kn[i], stat_names[i], KSTAT_DATA_UINT32);
		kn[i].value.ui32 = i;
	}
	ksp = named_at(s, "stats", 0, name, kn, n, 0);
	if (!ksp)
		return -1;
	snap_install(s, ksp);
	return 0;
}

/* Tell the churn of a read of churn:0:trigger, and fail it */
static int churn_trigger_update(kstat_t *ksp, int rw)
{
	unsigned long want;

	(void)ksp;
	(void)rw;
	pthread_mutex_lock(&churn.lock);
	want = ++churn.asked;
	pthread_cond_broadcast(&churn.cv);
	while (churn.started < want && !churn.stop)
		pthread_cond_wait(&churn.cv, &churn.lock);
	pthread_mutex_unlock(&churn.lock);
	/*
	 * The churn waits now for the chain lock this read holds: once it
	 * queues there, the engine's writer preference has it change the
	 * chain before the reader's next request (its chain update) is served
	 */
	(void)poll(NULL, 0, CHURN_QUEUE_MS);
	return EIO;
}

/* churn:0:recreated, then churn:0:trigger: the trigger is read after it */
static int churn_create(struct snap *s)
{
	churn.recreated = named_at(s, "churn", 0, "recreated", recreated_data, 3,
				   KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS);
	if (!churn.recreated)
		return -1;
	/* sized with its string from the start: no second read, after the trigger's */
	churn.recreated->ks_data_size =
		sizeof(recreated_data) + KSTAT_NAMED_STR_BUFLEN(&recreated_data[1]);
	snap_install(s, churn.recreated);
	churn.trigger = named_at(s, "churn", 0, "trigger", trigger_data, 1, 0);
	if (!churn.trigger)
		return -1;
	churn.trigger->ks_update = churn_trigger_update;
	snap_install(s, churn.trigger);
	return 0;
}

/* Delete churn:0:recreated and churn:0:trigger and create them again, for each read */
static void *churn_run(void *arg)
{
	struct snap *s = arg;

	pthread_mutex_lock(&churn.lock);
	for (;;) {
		while (churn.started == churn.asked && !churn.stop)
			pthread_cond_wait(&churn.cv, &churn.lock);
		if (churn.stop)
			break;
		churn.started = churn.asked;
		pthread_cond_broadcast(&churn.cv);
		pthread_mutex_unlock(&churn.lock);
		snap_delete(s, churn.recreated);
		snap_delete(s, churn.trigger);
		if (churn_create(s))
			perror("ksfixture: create churn:0:*");
		pthread_mutex_lock(&churn.lock);
	}
	pthread_mutex_unlock(&churn.lock);
	return NULL;
}

/*
 * churn:0:stays, which stays, and churn:0:recreated, read before the
 * trigger: a kstat report holds both when the trigger's EIO makes it
 * update its chain, which by then has lost recreated (libkstat frees it)
 */
static int add_churn(struct snap *s)
{
	kstat_t *ksp;

	snap_named_init(&stays_data[0], "value", KSTAT_DATA_UINT64);
	stays_data[0].value.ui64 = 7;
	ksp = named_at(s, "churn", 0, "stays", stays_data, 1, 0);
	if (!ksp)
		return -1;
	snap_install(s, ksp);
	snap_named_init(&recreated_data[0], "a_first", KSTAT_DATA_UINT64);
	recreated_data[0].value.ui64 = 1;
	snap_named_init(&recreated_data[1], "label", KSTAT_DATA_STRING);
	snap_named_setstr(&recreated_data[1], "kept by the report past the chain update");
	snap_named_init(&recreated_data[2], "value", KSTAT_DATA_UINT64);
	recreated_data[2].value.ui64 = 0x0123456789abcdefULL;
	snap_named_init(&trigger_data[0], "never", KSTAT_DATA_UINT64);
	return churn_create(s);
}

int main(int argc, char **argv)
{
	struct ioc_server *srv = NULL;
	kstat_t *ksp, *invalid;
	pthread_t churner;
	struct snap *s;
	sigset_t set;
	int sig;

	if (argc != 2) {
		fprintf(stderr, "usage: ksfixture SOCKET\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	s = snap_new();
	if (!s)
		return 1;

	snap_named_init(&strings_data[0], "greeting", KSTAT_DATA_STRING);
	snap_named_setstr(&strings_data[0], "hello, kstat");
	snap_named_init(&strings_data[1], "big", KS_DATA_KLONG);
	strings_data[1].value.l = (long)BIG_LONG;
	snap_named_init(&strings_data[2], "motto", KSTAT_DATA_STRING);
	snap_named_setstr(&strings_data[2], "a string longer than the sixteen bytes of c[]");
	snap_named_init(&strings_data[3], "ubig", KS_DATA_KULONG);
	strings_data[3].value.ul = (ulong_t)BIG_ULONG;
	ksp = named(s, "strings", strings_data, 4, KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS);
	if (!ksp)
		return 1;
	snap_install(s, ksp);

	snap_named_init(&rw_data[0], "value", KSTAT_DATA_UINT64);
	snap_named_init(&rw_data[1], "lval", KS_DATA_KLONG);
	snap_named_init(&rw_data[2], "label", KSTAT_DATA_STRING);
	snap_named_setstr(&rw_data[2], label);
	ksp = named(s, "rw", rw_data, 3, KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_WRITABLE);
	if (!ksp)
		return 1;
	snap_install(s, ksp);

	ksp = snap_create(s, "test", 0, "fixed", "test", KSTAT_TYPE_RAW, 100, 0);
	if (!ksp)
		return 1;
	memset(ksp->ks_data, 0xab, 100);
	snap_install(s, ksp);

	snap_named_init(&broken_data[0], "never", KSTAT_DATA_UINT64);
	ksp = named(s, "broken", broken_data, 1, 0);
	if (!ksp)
		return 1;
	ksp->ks_update = broken_update;
	snap_install(s, ksp);

	snap_named_init(&rw32_data[0], "i32", KSTAT_DATA_INT32);
	snap_named_init(&rw32_data[1], "u32", KSTAT_DATA_UINT32);
	snap_named_init(&rw32_data[2], "c", KSTAT_DATA_CHAR);
	ksp = named(s, "rw32", rw32_data, 3, KSTAT_FLAG_WRITABLE);
	if (!ksp)
		return 1;
	snap_install(s, ksp);

	if (add_escapes(s) || add_sort(s) || add_fold(s) ||
	    add_stats(s, "few", few_data, FEW_STATS) ||
	    add_stats(s, "many", many_data, MANY_STATS) || add_churn(s))
		return 1;
	if (pthread_create(&churner, NULL, churn_run, s))
		return 1;

	invalid = snap_create(s, "test", 0, "invalid", "test", KSTAT_TYPE_RAW, 8, 0);
	if (!invalid)
		return 1;

	srv = ioc_new(s, argv[1]);
	if (!srv || ioc_start(srv))
		return 1;
	printf("ksfixture ready invalid_kid=%d\n", (int)invalid->ks_kid);
	fflush(stdout);
	sigwait(&set, &sig);
	ioc_free(srv);
	pthread_mutex_lock(&churn.lock);
	churn.stop = true;
	pthread_cond_broadcast(&churn.cv);
	pthread_mutex_unlock(&churn.lock);
	pthread_join(churner, NULL);
	snap_free(s);
	return 0;
}
