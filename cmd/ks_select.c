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
 * A pattern from str (NULL matches everything).  A regex that does not
 * compile is reported on stderr; the caller treats it as a bad command line.
 */
int ks_pattern_init(struct ks_pattern *p, const char *str)
{
	char *body, errbuf[256];
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
	rc = regcomp(&p->re, body, REG_EXTENDED | REG_NOSUB);
	free(body);
	if (rc) {
		regerror(rc, &p->re, errbuf, sizeof(errbuf));
		fprintf(stderr, "kstat: %s: %s\n", str, errbuf);
		return -1;
	}
	p->is_re = true;
	return 0;
}

void ks_pattern_fini(struct ks_pattern *p)
{
	if (p->is_re)
		regfree(&p->re);
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
