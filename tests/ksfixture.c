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
 * Usage: ksfixture SOCKET; prints "ksfixture ready invalid_kid=N", stops
 * on SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ioctl_compat.h"
#include "snapshot.h"

#define BIG_LONG 0x100000005LL
#define BIG_ULONG 0x1FFFFFFFFULL

static kstat_named_t strings_data[4], rw_data[3], broken_data[1];
static char label[] = "fixture";

static int broken_update(kstat_t *ksp, int rw)
{
	(void)ksp;
	(void)rw;
	return EIO;
}

static kstat_t *named(struct snap *s, const char *name, kstat_named_t *data, uint_t n,
		      uchar_t flags)
{
	kstat_t *ksp = snap_create(s, "test", 0, name, "test", KSTAT_TYPE_NAMED, n,
				   KSTAT_FLAG_VIRTUAL | flags);

	if (ksp)
		ksp->ks_data = data;
	return ksp;
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
