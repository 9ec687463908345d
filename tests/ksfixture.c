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
 * Usage: ksfixture SOCKET; prints "ksfixture ready invalid_kid=N", stops
 * on SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ioctl_compat.h"
#include "snapshot.h"

#define BIG_LONG 0x100000005LL
#define BIG_ULONG 0x1FFFFFFFFULL

static kstat_named_t strings_data[4], rw_data[3], broken_data[1];
static kstat_named_t rw32_data[3], escapes_data[12], sort_data[5][7];
static char label[] = "fixture";

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

int main(int argc, char **argv)
{
	struct ioc_server *srv = NULL;
	kstat_t *ksp, *invalid;
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

	if (add_escapes(s) || add_sort(s))
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
	snap_free(s);
	return 0;
}
