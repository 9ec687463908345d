// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Selecting kstats: module:instance:name:statistic operands whose fields
 * are shell globs, or extended regular expressions written /re/ that
 * match anywhere in the string, as kstat(1M) has them.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ks.h"

/* Is str written as /re/? */
static bool ks_is_regex(const char *str)
{
	size_t len = strlen(str);

	return len >= 2 && str[0] == '/' && str[len - 1] == '/';
}

/*
 * glibc's regcomp copies a repeated atom once per repetition, nested
 * repetitions multiply, a repeated atom that can match the empty string
 * costs the square of its copies in epsilon closures, and it is all done
 * and allocated at once: /a++++++/ or /((x*)+)+.../ of a few dozen
 * characters take gigabytes and minutes.  Patterns whose cost passes
 * this bound are refused instead; (x{255}){255} still fits.
 */
#define KS_RE_MAX_COST 100000
/*
 * And what every pattern compiled at once may cost together: 32 operands
 * of four patterns each, every one just under the bound, took more than
 * 2 GB (found by tests/fuzz).
 */
#define KS_RE_MAX_LIVE (2 * KS_RE_MAX_COST)

static size_t ks_re_live; /* the cost of the patterns compiled and not freed */

/* What scanning an ERE found */
struct ks_ere {
	size_t cost;   /* a bound of what regcomp builds: copies of atoms */
	bool nullable; /* it can match the empty string */
	bool stacked;  /* a repetition of a repetition (a**, a+{2}): undefined in POSIX */
};

/* Skip a bracket expression at *p ('['), "[]a]", "[^]a]" and "[[:alpha:]]" included */
static void ks_ere_bracket(const char **p)
{
	const char *s = *p + 1;

	s += *s == '^';
	s += *s == ']';
	while (*s && *s != ']') {
		if (s[0] == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
			const char *end = strchr(s + 2, s[1]);

			while (end && end[1] != ']')
				end = strchr(end + 1, s[1]);
			if (!end)
				break;
			s = end + 2;
		} else {
			s++;
		}
	}
	*p = *s ? s + 1 : s;
}

/*
 * Past an interval {n}, {n,}, {,m} or {n,m} at *p: a bound of the copies
 * regcomp makes, 0 if it is not one; *lo is its n.  Optional copies
 * ({n,m}) nest in glibc and cost the square of their number.
 */
static size_t ks_ere_interval(const char **p, unsigned long *lo)
{
	const char *s = *p + 1, *close = strchr(s, '}');
	unsigned long hi = 0, n;
	char *end = (char *)s;

	/* glibc reads {\,9998} as {,9998}: an escape in a count is refused, not guessed at */
	if (close && memchr(s, '\\', (size_t)(close - s))) {
		*p = close + 1;
		*lo = 0;
		return KS_RE_MAX_COST + 1;
	}
	*lo = 0;
	if (*s >= '0' && *s <= '9')
		*lo = strtoul(s, &end, 10);
	n = *lo + 1;
	if (*end == ',' && end[1] >= '0' && end[1] <= '9') {
		hi = strtoul(end + 1, &end, 10);
		if (hi > *lo)
			n = hi - *lo > KS_RE_MAX_COST ? KS_RE_MAX_COST + 1
						      : *lo + (hi - *lo) * (hi - *lo);
	} else if (*end == ',') {
		end++;
	}
	if (*end != '}' || end == *p + 1)
		return 0; /* not an interval: regcomp takes or refuses it as such */
	*p = end + 1;
	return n < KS_RE_MAX_COST ? n : KS_RE_MAX_COST + 1;
}

static size_t ks_mul(size_t a, size_t b)
{
	return a > KS_RE_MAX_COST || b > KS_RE_MAX_COST || a * b > KS_RE_MAX_COST
		       ? KS_RE_MAX_COST + 1
		       : a * b;
}

/* Scan the ERE at *p up to ')' or its end into r (stacked is only ever set) */
static void ks_ere_scan(const char **p, int depth, struct ks_ere *r)
{
	bool seq_nullable = true, any_nullable = false;
	size_t total = 0;

	while (**p && **p != ')' && total <= KS_RE_MAX_COST) {
		size_t atom = 1, n;
		bool nullable = false;
		unsigned long lo;
		int reps = 0;

		if (**p == '|') {
			any_nullable |= seq_nullable;
			seq_nullable = true;
			(*p)++;
			continue;
		}
		if (**p == '(' && depth < 64) {
			struct ks_ere in = { .stacked = false };

			(*p)++;
			ks_ere_scan(p, depth + 1, &in);
			r->stacked |= in.stacked;
			atom = in.cost + 1;
			nullable = in.nullable;
			*p += **p == ')';
		} else if (**p == '[') {
			ks_ere_bracket(p);
		} else {
			nullable = **p == '^' || **p == '$';
			*p += (*p)[0] == '\\' && (*p)[1] ? 2 : 1;
		}
		for (;; reps++) {
			size_t f;

			if (**p == '*' || **p == '?') {
				f = 1;
				lo = 0;
				(*p)++;
			} else if (**p == '+') {
				f = 2;
				lo = 1;
				(*p)++;
			} else if (**p == '{' && (n = ks_ere_interval(p, &lo)) > 0) {
				f = n;
			} else {
				break;
			}
			r->stacked |= reps > 0;
			atom = ks_mul(atom, nullable ? ks_mul(f, f) : f);
			nullable |= lo == 0;
		}
		total += atom;
		seq_nullable &= nullable;
	}
	r->cost = total;
	r->nullable = any_nullable || seq_nullable;
}

/* Why regcomp should not see re, or NULL with *cost set */
static const char *ks_ere_refuse(const char *re, size_t *cost)
{
	struct ks_ere r = { .stacked = false };
	size_t total = 0;

	while (total <= KS_RE_MAX_COST) {
		ks_ere_scan(&re, 0, &r);
		total += r.cost;
		if (!*re)
			break;
		re++; /* an unmatched ')' */
	}
	if (r.stacked)
		return "a repetition of a repetition (a**, a+{2}) is undefined in POSIX";
	if (total > KS_RE_MAX_COST)
		return "its repetitions would cost regcomp gigabytes";
	if (ks_re_live + total > KS_RE_MAX_LIVE)
		return "with the other patterns, its repetitions would cost regcomp gigabytes";
	*cost = total;
	return NULL;
}

/*
 * A pattern from str (NULL matches everything).  A regex that does not
 * compile is reported on stderr; the caller treats it as a bad command line.
 */
int ks_pattern_init(struct ks_pattern *p, const char *str)
{
	char *body, errbuf[256];
	const char *why;
	size_t len;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!str)
		str = "*";
	if (!ks_is_regex(str)) {
		p->glob = str;
		return 0;
	}
	len = strlen(str) - 2;
	body = strndup(str + 1, len);
	if (!body) {
		perror("kstat: strndup");
		return -1;
	}
	why = ks_ere_refuse(body, &p->cost);
	if (why) {
		fprintf(stderr, "kstat: %s: %s\n", str, why);
		free(body);
		return -1;
	}
	rc = regcomp(&p->re, body, REG_EXTENDED | REG_NOSUB);
	free(body);
	if (rc) {
		regerror(rc, &p->re, errbuf, sizeof(errbuf));
		fprintf(stderr, "kstat: %s: %s\n", str, errbuf);
		return -1;
	}
	p->is_re = true;
	ks_re_live += p->cost;
	return 0;
}

void ks_pattern_fini(struct ks_pattern *p)
{
	if (p->is_re) {
		regfree(&p->re);
		ks_re_live -= p->cost;
	}
	p->is_re = false;
}

bool ks_match(const struct ks_pattern *p, const char *str)
{
	if (p->is_re)
		return regexec(&p->re, str, 0, NULL, 0) == 0;
	return fnmatch(p->glob, str, 0) == 0;
}

/* A selector from its four patterns, module to statistic (NULL: anything) */
int ks_selector_set(struct ks_selector *s, const char *const str[KS_FIELDS])
{
	struct ks_pattern *field[KS_FIELDS] = { &s->module, &s->instance, &s->name, &s->statistic };

	memset(s, 0, sizeof(*s));
	for (int n = 0; n < KS_FIELDS; n++) {
		if (ks_pattern_init(field[n], str[n])) {
			while (n-- > 0)
				ks_pattern_fini(field[n]);
			return -1;
		}
	}
	return 0;
}

/*
 * A selector from an operand, split in place at ':'; an empty or missing
 * field matches everything.  -1 for more than four fields or a bad regex.
 */
int ks_selector_init(struct ks_selector *s, char *operand)
{
	const char *str[KS_FIELDS] = { NULL };
	char *rest = operand, *tok;
	int n = 0;

	for (const char *c = operand; *c; c++)
		n += *c == ':';
	if (n >= KS_FIELDS) {
		fprintf(stderr, "kstat: %s: more fields than module:instance:name:statistic\n",
			operand);
		return -1;
	}
	for (n = 0; (tok = strsep(&rest, ":")) != NULL; n++)
		str[n] = *tok ? tok : NULL;
	return ks_selector_set(s, str);
}

void ks_selector_fini(struct ks_selector *s)
{
	ks_pattern_fini(&s->module);
	ks_pattern_fini(&s->instance);
	ks_pattern_fini(&s->name);
	ks_pattern_fini(&s->statistic);
}

/* Does the kstat itself (not yet its statistics) match s and the -c class? */
bool ks_selector_kstat(const struct ks_selector *s, const struct ks_pattern *class,
		       const struct ks_instance *ksi)
{
	return ks_match(&s->module, ksi->module) && ks_match(&s->name, ksi->name) &&
	       ks_match(&s->instance, ksi->number) && ks_match(class, ksi->class);
}
