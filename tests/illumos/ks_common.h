/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Shared by the illumos-style test programs (ks_lib: libkstat, ks_ioctl:
 * raw ioctls on /dev/kstat through the preload shim).  Both are built
 * 64-bit and 32-bit from the same source and print the same listing, so
 * the tests can compare them line for line; checks go to stderr as
 * "ok ..." or "FAIL ...", and the exit code is the number of failures.
 */
#ifndef __KSTATD_TEST_KS_COMMON_H
#define __KSTATD_TEST_KS_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/kstat.h>

/* kid 0 records are LP64 kstat_t in kstatd's size, whatever the caller's model */
#define LP64_KSTAT_SIZE 184
/* A long that a 32-bit caller sees truncated */
#define BIG_LONG 0x100000005LL
#define BIG_ULONG 0x1FFFFFFFFULL

static int ks_fails __attribute__((unused));

#include <stdarg.h>
static inline void ks_report(int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void ks_report(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		fprintf(stderr, "ok   %s\n", what);
		return;
	}
	ks_fails++;
	fprintf(stderr, "FAIL %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* The condition runs first; the message, only on failure, sees its errno */
#define ks_check(cond, what, ...)                        \
	do {                                             \
		int ok_ = (cond), errno_ = errno;        \
                                                         \
		errno = errno_;                          \
		if (ok_)                                 \
			ks_report(1, what, "%s", "");    \
		else                                     \
			ks_report(0, what, __VA_ARGS__); \
		errno = errno_;                          \
	} while (0)

/* errno as its name, so a failure says which one it got */
static inline const char *ks_errname(int e)
{
	switch (e) {
	case 0:
		return "0";
	case ENXIO:
		return "ENXIO";
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EINVAL:
		return "EINVAL";
	case EIO:
		return "EIO";
	case ENOENT:
		return "ENOENT";
	case EFAULT:
		return "EFAULT";
	case EBADF:
		return "EBADF";
	case ENOTTY:
		return "ENOTTY";
	default:
		return strerror(e);
	}
}

/* One line per kstat: what must be identical across models and APIs */
static inline void ks_print_header(const kstat_t *ksp)
{
	printf("%d %s:%d:%s class=%s type=%u flags=0x%02x ndata=%u", (int)ksp->ks_kid,
	       ksp->ks_module, ksp->ks_instance, ksp->ks_name, ksp->ks_class,
	       (unsigned int)ksp->ks_type, (unsigned int)ksp->ks_flags,
	       (unsigned int)ksp->ks_ndata);
	if (!(ksp->ks_flags & KSTAT_FLAG_VAR_SIZE))
		printf(" size=%lu", (unsigned long)ksp->ks_data_size);
}

static inline void ks_print_data(const kstat_t *ksp)
{
	const kstat_named_t *kn = ksp->ks_data;

	if (ksp->ks_type == KSTAT_TYPE_NAMED)
		for (unsigned int i = 0; i < ksp->ks_ndata; i++)
			printf(" %s", kn[i].name);
	printf("\n");
}

static inline const kstat_named_t *ks_named(const kstat_t *ksp, const char *name)
{
	const kstat_named_t *kn = ksp->ks_data;

	for (unsigned int i = 0; kn && i < ksp->ks_ndata; i++)
		if (strcmp(kn[i].name, name) == 0)
			return &kn[i];
	return NULL;
}

/* kid 1: ULONG records as this caller's long, values 0..4 */
static inline void ks_check_types(const kstat_t *ksp)
{
	const kstat_named_t *kn = ksp->ks_data;
	int good = ksp->ks_ndata == KSTAT_NUM_TYPES;

	for (unsigned int i = 0; good && i < ksp->ks_ndata; i++)
		good = kn[i].data_type == KSTAT_DATA_ULONG && kn[i].value.ul == i;
	ks_check(good, "unix:0:kstat_types: ULONG records in this model, values 0..4",
		 "ndata %u, type of record 0 %u", ksp->ks_ndata, kn ? kn[0].data_type : 99);
}

/* The string and long records of the fixture's test:0:strings, read into buf */
static inline void ks_check_strings(const kstat_t *ksp, const void *buf, const char *how)
{
	const kstat_named_t *kn = buf;
	const char *lo = (const char *)buf + ksp->ks_ndata * sizeof(kstat_named_t);
	const char *hi = (const char *)buf + ksp->ks_data_size;
	static const char *const want[2] = { "hello, kstat",
					     "a string longer than the sixteen bytes of c[]" };
	const char *names[2] = { "greeting", "motto" };
	char what[128];

	for (int s = 0; s < 2; s++) {
		const kstat_named_t *k = NULL;
		const char *p;

		for (unsigned int i = 0; i < ksp->ks_ndata; i++)
			if (strcmp(kn[i].name, names[s]) == 0)
				k = &kn[i];
		snprintf(what, sizeof(what), "%s: string %s lies in the caller's buffer", how,
			 names[s]);
		p = k ? KSTAT_NAMED_STR_PTR(k) : NULL;
		ks_check(k && k->data_type == KSTAT_DATA_STRING && p >= lo &&
				 p + KSTAT_NAMED_STR_BUFLEN(k) <= hi,
			 what, "pointer %p, buffer strings at [%p, %p)", (const void *)p,
			 (const void *)lo, (const void *)hi);
		snprintf(what, sizeof(what), "%s: string %s reads back", how, names[s]);
		ks_check(k && p >= lo && p < hi && strcmp(p, want[s]) == 0 &&
				 KSTAT_NAMED_STR_BUFLEN(k) == strlen(want[s]) + 1,
			 what, "got '%s'", p >= lo && p < hi ? p : "(outside)");
	}
	for (unsigned int i = 0; i < ksp->ks_ndata; i++) {
		if (strcmp(kn[i].name, "big") == 0) {
			snprintf(what, sizeof(what), "%s: a LONG is this caller's long", how);
			ks_check(kn[i].data_type == KSTAT_DATA_LONG &&
					 kn[i].value.l == (long)BIG_LONG,
				 what, "type %u value %ld", kn[i].data_type, kn[i].value.l);
		} else if (strcmp(kn[i].name, "ubig") == 0) {
			snprintf(what, sizeof(what), "%s: a ULONG is this caller's unsigned long",
				 how);
			ks_check(kn[i].data_type == KSTAT_DATA_ULONG &&
					 kn[i].value.ul == (unsigned long)BIG_ULONG,
				 what, "type %u value %lu", kn[i].data_type, kn[i].value.ul);
		}
	}
}

#endif /* __KSTATD_TEST_KS_COMMON_H */
