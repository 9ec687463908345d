// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstat -w module:instance:name:statistic=value, which illumos kstat does
 * not have: read the named kstat, set one statistic, write the kstat back
 * with kstat_write().  kstatd lets only root or CAP_SYS_ADMIN write, and
 * only WRITABLE kstats.  Returns an exit status: 0 written, 1 no such
 * kstat or statistic, 2 a value that does not parse or does not fit the
 * statistic, 3 a write kstatd refused or could not do.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ks.h"

struct ks_assign {
	char module[KSTAT_STRLEN];
	char name[KSTAT_STRLEN];
	char stat[KSTAT_STRLEN];
	int instance;
	const char *value;
};

/* Copy one field of the assignment, [s, end), if it is a valid kstat name */
static int ks_field(char *dst, const char *s, const char *end, const char *arg)
{
	size_t len = (size_t)(end - s);

	if (len == 0 || len >= KSTAT_STRLEN) {
		fprintf(stderr, "kstat: -w %s: %s field\n", arg,
			len ? "a name longer than 30 characters in a" : "an empty");
		return -1;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* Split module:instance:name:statistic=value; -1 with a message if malformed */
static int ks_assign_parse(const char *arg, struct ks_assign *a)
{
	const char *f[4], *eq = strchr(arg, '='), *p = arg;
	char num[KSTAT_STRLEN], *end;
	long inst;

	for (int i = 0; i < 4; i++) {
		f[i] = p;
		p = i < 3 ? strchr(p, ':') : eq;
		if (!p || (eq && p > eq)) {
			fprintf(stderr, "kstat: -w %s: not module:instance:name:statistic=value\n",
				arg);
			return -1;
		}
		p++;
	}
	if (ks_field(a->module, f[0], f[1] - 1, arg) || ks_field(num, f[1], f[2] - 1, arg) ||
	    ks_field(a->name, f[2], f[3] - 1, arg) || ks_field(a->stat, f[3], eq, arg))
		return -1;
	if (strchr(a->stat, ':')) {
		fprintf(stderr, "kstat: -w %s: not module:instance:name:statistic=value\n", arg);
		return -1;
	}
	errno = 0;
	inst = strtol(num, &end, 10);
	if (*end || errno || inst < INT_MIN || inst > INT_MAX) {
		fprintf(stderr, "kstat: -w %s: instance %s is not an integer\n", arg, num);
		return -1;
	}
	a->instance = (int)inst;
	a->value = eq + 1;
	if (!*a->value) {
		fprintf(stderr, "kstat: -w %s: no value\n", arg);
		return -1;
	}
	return 0;
}

int ks_write_check(const char *assignment)
{
	struct ks_assign a;

	return ks_assign_parse(assignment, &a);
}

/* The base of an integer written in decimal or as 0x hex, after its sign */
static int ks_base(const char *digits)
{
	return digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') ? 16 : 10;
}

/* s as a signed integer in [min, max] */
static bool ks_parse_signed(const char *s, int64_t min, int64_t max, int64_t *v)
{
	const char *digits = s + (*s == '-' || *s == '+');
	long long n;
	char *end;

	if (*digits < '0' || *digits > '9')
		return false;
	errno = 0;
	n = strtoll(s, &end, ks_base(digits));
	if (*end || errno || n < min || n > max)
		return false;
	*v = n;
	return true;
}

/* s as an unsigned integer up to max: no minus sign, which strtoull would wrap */
static bool ks_parse_unsigned(const char *s, uint64_t max, uint64_t *v)
{
	const char *digits = s + (*s == '+');
	unsigned long long n;
	char *end;

	if (*digits < '0' || *digits > '9')
		return false;
	errno = 0;
	n = strtoull(s, &end, ks_base(digits));
	if (*end || errno || n > max)
		return false;
	*v = n;
	return true;
}

/*
 * Set kn from the text value: 0, or an exit status after a message,
 * KS_EXIT_USAGE for a value that does not fit the statistic's type and
 * KS_EXIT_FATAL for a type kstatd does not write (strings keep the value
 * their provider gives them).
 */
static int ks_set_value(kstat_named_t *kn, const char *value, const char *arg)
{
	const char *what;
	uint64_t u;
	int64_t i;

	switch (kn->data_type) {
	case KSTAT_DATA_INT32:
		what = "a 32-bit signed integer (-2147483648 to 2147483647)";
		if (!ks_parse_signed(value, INT32_MIN, INT32_MAX, &i))
			break;
		kn->value.i32 = (int32_t)i;
		return 0;
	case KSTAT_DATA_UINT32:
		what = "a 32-bit unsigned integer (0 to 4294967295)";
		if (!ks_parse_unsigned(value, UINT32_MAX, &u))
			break;
		kn->value.ui32 = (uint32_t)u;
		return 0;
	case KSTAT_DATA_INT64:
		what = "a 64-bit signed integer";
		if (!ks_parse_signed(value, INT64_MIN, INT64_MAX, &i))
			break;
		kn->value.i64 = i;
		return 0;
	case KSTAT_DATA_UINT64:
		what = "a 64-bit unsigned integer (0 to 18446744073709551615)";
		if (!ks_parse_unsigned(value, UINT64_MAX, &u))
			break;
		kn->value.ui64 = u;
		return 0;
	case KSTAT_DATA_CHAR:
		what = "at most 16 characters";
		if (strlen(value) > sizeof(kn->value.c))
			break;
		memset(kn->value.c, 0, sizeof(kn->value.c));
		memcpy(kn->value.c, value, strlen(value));
		return 0;
	default:
		if (kn->data_type == KSTAT_DATA_STRING)
			fprintf(stderr, "kstat: cannot write %s: strings cannot be written\n", arg);
		else
			fprintf(stderr,
				"kstat: cannot write %s: statistics of data type %u cannot be "
				"written\n",
				arg, kn->data_type);
		return KS_EXIT_FATAL;
	}
	fprintf(stderr, "kstat: cannot write %s: '%s' is not %s\n", arg, value, what);
	return KS_EXIT_USAGE;
}

/* The first record of a named kstat called stat */
static kstat_named_t *ks_named_find(const kstat_t *ksp, const char *stat)
{
	kstat_named_t *kn = ksp->ks_data;

	if (ksp->ks_ndata > ksp->ks_data_size / sizeof(*kn))
		return NULL;
	for (uint_t i = 0; i < ksp->ks_ndata; i++)
		if (strncmp(kn[i].name, stat, KSTAT_STRLEN) == 0)
			return &kn[i];
	return NULL;
}

/* Why kstatd refused a write, in words an operator can act on */
static void ks_write_error(const char *arg, const struct ks_assign *a, int err)
{
	fprintf(stderr, "kstat: cannot write %s: ", arg);
	switch (err) {
	case EPERM:
		fprintf(stderr, "permission denied: writing needs root or CAP_SYS_ADMIN (EPERM)\n");
		break;
	case EACCES:
		fprintf(stderr, "%s:%d:%s is not a writable kstat (EACCES)\n", a->module,
			a->instance, a->name);
		break;
	case EINVAL:
		fprintf(stderr, "kstatd refused the value %s (EINVAL)\n", a->value);
		break;
	case ENXIO:
		fprintf(stderr, "the kstat went away (ENXIO)\n");
		break;
	default:
		fprintf(stderr, "%s\n", strerror(err));
	}
}

int ks_write(kstat_ctl_t *kc, const char *arg)
{
	struct ks_assign a;
	kstat_named_t *kn;
	kstat_t *ksp;
	int rc;

	if (ks_assign_parse(arg, &a))
		return KS_EXIT_USAGE;
	ksp = kstat_lookup(kc, a.module, a.instance, a.name);
	if (!ksp) {
		fprintf(stderr, "kstat: cannot write %s: no kstat %s:%d:%s\n", arg, a.module,
			a.instance, a.name);
		return KS_EXIT_NOMATCH;
	}
	if (ksp->ks_type != KSTAT_TYPE_NAMED) {
		ks_write_error(arg, &a, EACCES);
		return KS_EXIT_FATAL;
	}
	if (kstat_read(kc, ksp, NULL) == -1) {
		fprintf(stderr, "kstat: cannot read %s:%d:%s: %s\n", a.module, a.instance, a.name,
			strerror(errno));
		return KS_EXIT_FATAL;
	}
	kn = ks_named_find(ksp, a.stat);
	if (!kn) {
		fprintf(stderr, "kstat: cannot write %s: %s:%d:%s has no statistic %s\n", arg,
			a.module, a.instance, a.name, a.stat);
		return KS_EXIT_NOMATCH;
	}
	rc = ks_set_value(kn, a.value, arg);
	if (rc)
		return rc;
	if (kstat_write(kc, ksp, NULL) == -1) {
		ks_write_error(arg, &a, errno);
		return KS_EXIT_FATAL;
	}
	return KS_EXIT_MATCH;
}
