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
 * costs the square of its copies, and it is all done and allocated at
 * once: /a++++++/ or /((x*)+)+.../ of a few dozen characters take
 * gigabytes and minutes.  Patterns whose cost passes this bound are
 * refused instead; (x{255}){255} still fits.
 */
#define KS_RE_MAX_COST 100000
/*
 * And what every pattern compiled at once may cost together: 32 operands
 * of four patterns each, every one just under the bound, took more than
 * 2 GB (found by tests/fuzz).
 */
#define KS_RE_MAX_LIVE (2 * KS_RE_MAX_COST)
/*
 * The epsilon closures cost as much.  Every node that reads no character
 * (an alternative, a repetition, an anchor, an empty group) keeps the set
 * of the nodes it reaches without reading one: a run of n of them that
 * reach one another costs n^2 elements.  And an anchor (^ $ \b \B \< \>
 * \` \') copies the part of the run it reaches, with the closures of the
 * copies, once for every combination of the anchors on the way: 1000
 * bytes of ^, 120 of \b, or \b\b\b\b before 1000 x? take 0.2 to 1.3 GB.
 * A run is weighed n^2 + (l + 1) * sum(r^2), where r is what each anchor
 * reaches and l how many anchors reach something, over 32: an element of
 * a closure costs regcomp 8 bytes, a copy of an atom 200 or so.
 * ^(a|b|...)$ of 1000 names, ^a$|^b$|... of 780 or 1700 x? in a row still
 * fit; 57 ^ or 24 \b in a row do not.
 */
#define KS_RE_CLOSURE_SHIFT 5
/* Groups nested deeper are refused: glibc's parser recurses into each */
#define KS_RE_MAX_DEPTH 64
/* Where the counts below stop: far past the bounds, far from overflowing */
#define KS_RE_SAT (1ULL << 40)

static size_t ks_re_live; /* the cost of the patterns compiled and not freed */

/* Epsilon nodes that reach one another: a run of them in regcomp's NFA */
struct ks_eps {
	unsigned long long nodes;   /* alternatives, repetitions, anchors, ends of groups */
	unsigned long long anchors; /* the anchors among them (\b and \B are two) */
	unsigned long long live;    /* the anchors that reach other nodes of the run */
	unsigned long long reach;   /* the sum of the nodes each anchor reaches */
	unsigned long long reach2;  /* and of their squares */
};

/* What scanning an ERE, or one atom of it, found */
struct ks_ere {
	unsigned long long copies;   /* a bound of the atoms regcomp builds */
	unsigned long long closures; /* of the runs closed inside it, weighed */
	struct ks_eps head; /* the run it starts with, open: what comes before reaches it */
	struct ks_eps tail; /* the run it ends with, open: it reaches what follows */
	bool nullable;      /* it can match the empty string (then head is tail, the whole) */
	bool stacked;       /* a repetition of a repetition (a**, a+{2}): undefined in POSIX */
	bool deep;          /* groups nested deeper than KS_RE_MAX_DEPTH */
};

/* A repetition: *, +, ?, {n}, {n,}, {,m} or {n,m} */
struct ks_rep {
	unsigned long long factor;   /* what it multiplies copies by (optional ones nest) */
	unsigned long long copies;   /* how many copies of the atom regcomp makes */
	unsigned long long optional; /* the alternatives or star among them */
	unsigned long long lo;       /* the copies that must match */
};

/* a, a + b and a * b, KS_RE_SAT past it */
static unsigned long long ks_sat(unsigned long long a)
{
	return a > KS_RE_SAT ? KS_RE_SAT : a;
}

static unsigned long long ks_add(unsigned long long a, unsigned long long b)
{
	return a > KS_RE_SAT || b > KS_RE_SAT - a ? KS_RE_SAT : a + b;
}

static unsigned long long ks_mul(unsigned long long a, unsigned long long b)
{
	if (a == 0 || b == 0)
		return 0;
	return a > KS_RE_SAT || b > KS_RE_SAT / a ? KS_RE_SAT : a * b;
}

/* The run r followed by s: r's anchors reach s's nodes */
static struct ks_eps ks_eps_then(struct ks_eps r, struct ks_eps s)
{
	return (struct ks_eps){
		.nodes = ks_add(r.nodes, s.nodes),
		.anchors = ks_add(r.anchors, s.anchors),
		.live = ks_add(s.nodes ? r.anchors : r.live, s.live),
		.reach = ks_add(ks_add(r.reach, ks_mul(r.anchors, s.nodes)), s.reach),
		.reach2 = ks_add(ks_add(r.reach2, ks_mul(ks_mul(2, s.nodes), r.reach)),
				 ks_add(ks_mul(r.anchors, ks_mul(s.nodes, s.nodes)), s.reach2)),
	};
}

/* Runs side by side, alternatives of one another */
static struct ks_eps ks_eps_or(struct ks_eps r, struct ks_eps s)
{
	return (struct ks_eps){
		.nodes = ks_add(r.nodes, s.nodes),
		.anchors = ks_add(r.anchors, s.anchors),
		.live = ks_add(r.live, s.live),
		.reach = ks_add(r.reach, s.reach),
		.reach2 = ks_add(r.reach2, s.reach2),
	};
}

/* n copies of run r and k more nodes that loop back: every anchor reaches everything */
static struct ks_eps ks_eps_loop(struct ks_eps r, unsigned long long n, unsigned long long k)
{
	r.nodes = ks_add(ks_mul(r.nodes, n), k);
	r.anchors = r.live = ks_mul(r.anchors, n);
	r.reach = ks_mul(r.anchors, r.nodes);
	r.reach2 = ks_mul(r.reach, r.nodes);
	return r;
}

/* n nodes that are no anchors */
static struct ks_eps ks_eps_nodes(unsigned long long n)
{
	return (struct ks_eps){ .nodes = n };
}

/* What the closures of a run cost, weighed */
static unsigned long long ks_eps_cost(struct ks_eps e)
{
	return ks_add(ks_mul(e.nodes, e.nodes), ks_mul(ks_add(e.live, 1), e.reach2)) >>
	       KS_RE_CLOSURE_SHIFT;
}

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
 * Past an interval {n}, {n,}, {,m} or {n,m} at *p: false if it is not
 * one (regcomp takes or refuses it as such).  Optional copies ({n,m})
 * nest in glibc and cost the square of their number.
 */
static bool ks_ere_interval(const char **p, struct ks_rep *rep)
{
	const char *s = *p + 1, *close = strchr(s, '}');
	unsigned long long lo = 0, hi;
	bool bounded = true;
	char *end = (char *)s;

	/* glibc reads {\,9998} as {,9998}: an escape in a count is refused, not guessed at */
	if (close && memchr(s, '\\', (size_t)(close - s))) {
		*p = close + 1;
		*rep = (struct ks_rep){ KS_RE_SAT, KS_RE_SAT, KS_RE_SAT, 0 };
		return true;
	}
	if (*s >= '0' && *s <= '9')
		lo = ks_sat(strtoull(s, &end, 10));
	hi = lo;
	if (*end == ',' && end[1] >= '0' && end[1] <= '9') {
		hi = ks_sat(strtoull(end + 1, &end, 10));
	} else if (*end == ',') {
		end++;
		bounded = false;
	}
	if (*end != '}' || end == *p + 1)
		return false;
	*p = end + 1;
	if (!bounded) /* n copies, then a star */
		*rep = (struct ks_rep){ ks_add(lo, 1), ks_add(lo, 1), 1, lo };
	else if (hi > lo) /* n copies, then m - n nested optional ones */
		*rep = (struct ks_rep){ ks_add(lo, ks_mul(hi - lo, hi - lo)), hi, hi - lo, lo };
	else /* {n}, or {n,m} with m < n that regcomp refuses */
		*rep = (struct ks_rep){ ks_add(lo, 1), lo, 0, lo };
	return true;
}

/* Past a repetition operator at *p: false if there is none */
static bool ks_ere_rep(const char **p, struct ks_rep *rep)
{
	switch (**p) {
	case '*':
	case '?':
		*rep = (struct ks_rep){ .factor = 1, .copies = 1, .optional = 1, .lo = 0 };
		break;
	case '+': /* glibc: a+ is aa* */
		*rep = (struct ks_rep){ .factor = 2, .copies = 2, .optional = 1, .lo = 1 };
		break;
	case '{':
		return ks_ere_interval(p, rep);
	default:
		return false;
	}
	(*p)++;
	return true;
}

/* Atom a repeated as rep says */
static void ks_ere_repeat(struct ks_ere *a, const struct ks_rep *rep)
{
	a->copies = ks_mul(a->copies, a->nullable ? ks_mul(rep->factor, rep->factor) : rep->factor);
	a->closures = ks_mul(a->closures, rep->copies);
	if (a->nullable || rep->lo == 0) {
		/* every copy reaches the next without reading: one run */
		struct ks_eps all = a->nullable ? a->head : ks_eps_or(a->head, a->tail);

		a->head = a->tail = ks_eps_loop(all, rep->copies, rep->optional);
		a->nullable = true;
	} else {
		/* the tail of a copy that must match and the head of the next: a run */
		struct ks_eps joint = ks_eps_then(a->tail, a->head);

		a->closures = ks_add(a->closures, ks_mul(rep->lo - 1, ks_eps_cost(joint)));
		/* and the optional copies after them reach one another */
		if (rep->optional)
			a->tail = ks_eps_then(
				a->tail, ks_eps_loop(joint, rep->copies - rep->lo, rep->optional));
	}
}

static void ks_ere_scan(const char **p, int depth, struct ks_ere *r);

/* The atom at *p into a: a group, a bracket expression, an anchor, a character */
static void ks_ere_atom(const char **p, int depth, struct ks_ere *a)
{
	static const struct ks_eps anchor = { .nodes = 1, .anchors = 1 };
	const char *s = *p;

	memset(a, 0, sizeof(*a));
	if (*s == '(') {
		if (depth >= KS_RE_MAX_DEPTH) {
			a->deep = true;
			return;
		}
		(*p)++;
		ks_ere_scan(p, depth + 1, a);
		*p += **p == ')';
		a->copies = ks_add(a->copies, 1);
		/* where the group opens and closes (regcomp keeps them if it is empty) */
		a->head = ks_eps_then(ks_eps_nodes(1), a->head);
		a->tail = ks_eps_then(a->nullable ? a->head : a->tail, ks_eps_nodes(1));
		if (a->nullable)
			a->head = a->tail;
		return;
	}
	a->copies = 1;
	if (*s == '[') {
		ks_ere_bracket(p);
		return;
	}
	*p += s[0] == '\\' && s[1] ? 2 : 1;
	if (*s == '^' || *s == '$') {
		a->head = anchor;
	} else if (*s == '\\' && (s[1] == 'b' || s[1] == 'B')) {
		/* glibc: an alternative of two anchors, either end of a word */
		a->head = (struct ks_eps){ .nodes = 3, .anchors = 2 };
		a->copies = 3;
	} else if (*s == '\\' && s[1] && strchr("<>`'", s[1])) {
		a->head = anchor;
	} else if (*s == '\\' && s[1] >= '1' && s[1] <= '9') {
		a->head = ks_eps_nodes(1); /* a back-reference may match nothing */
	} else {
		return; /* a character (an unmatched ')' too, as glibc has it), '.', \w ... */
	}
	a->tail = a->head;
	a->nullable = true;
}

/*
 * Scan the ERE at *p up to its end, or up to the ')' that closes the group
 * it is in at depth > 0, into r (stacked and deep are only ever set)
 */
static void ks_ere_scan(const char **p, int depth, struct ks_ere *r)
{
	struct ks_eps heads = { 0 }, tails = { 0 }, empties = { 0 }, run = { 0 }, head = { 0 };
	unsigned long long copies = 0, closures = 0, alternatives = 0;
	bool passable = true, any_nullable = false;

	for (;;) {
		bool over = ks_add(copies, closures) > KS_RE_MAX_COST;
		struct ks_ere a;
		struct ks_rep rep;
		int reps = 0;

		if (!**p || (**p == ')' && depth > 0) || **p == '|' || r->deep || over) {
			/* the end of a branch: its runs join the group's */
			if (passable) {
				empties = ks_eps_or(empties, run);
				any_nullable = true;
			} else {
				heads = ks_eps_or(heads, head);
				tails = ks_eps_or(tails, run);
			}
			if (**p != '|' || r->deep || over)
				break;
			alternatives++;
			run = head = (struct ks_eps){ 0 };
			passable = true;
			(*p)++;
			continue;
		}
		ks_ere_atom(p, depth, &a);
		r->stacked |= a.stacked;
		r->deep |= a.deep;
		for (; ks_ere_rep(p, &rep); reps++) {
			r->stacked |= reps > 0;
			ks_ere_repeat(&a, &rep);
		}
		copies = ks_add(copies, a.copies);
		closures = ks_add(closures, a.closures);
		run = ks_eps_then(run, a.head);
		if (!a.nullable) {
			/* a character ends the run; the branch's first stays open */
			if (passable)
				head = run;
			else
				closures = ks_add(closures, ks_eps_cost(run));
			run = a.tail;
			passable = false;
		}
	}
	r->copies = copies;
	r->closures = closures;
	r->nullable = any_nullable;
	/* the alternatives reach the heads of all branches */
	r->head = ks_eps_then(ks_eps_nodes(alternatives), heads);
	r->tail = tails;
	if (any_nullable) /* and through an empty one, everything */
		r->head = r->tail = ks_eps_then(ks_eps_then(r->head, empties), tails);
}

/* Why regcomp should not see re, or NULL with *cost set */
static const char *ks_ere_refuse(const char *re, size_t *cost)
{
	struct ks_ere r = { .stacked = false, .deep = false };
	unsigned long long total;

	ks_ere_scan(&re, 0, &r);
	if (r.deep)
		return "groups nested more than 64 deep";
	if (r.stacked)
		return "a repetition of a repetition (a**, a+{2}) is undefined in POSIX";
	if (r.copies > KS_RE_MAX_COST)
		return "its repetitions would cost regcomp gigabytes";
	total = ks_add(ks_add(r.copies, r.closures), ks_eps_cost(r.head));
	if (!r.nullable)
		total = ks_add(total, ks_eps_cost(r.tail));
	if (total > KS_RE_MAX_COST)
		return "its anchors and optional parts would cost regcomp gigabytes";
	if (ks_re_live + total > KS_RE_MAX_LIVE)
		return "with the other patterns, its repetitions would cost regcomp gigabytes";
	*cost = (size_t)total;
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
		/* in a multibyte locale fnmatch fails on a string it cannot decode */
		if (MB_CUR_MAX == 1) {
			p->any = strcmp(str, "*") == 0;
			p->literal = !strpbrk(str, "*?[\\");
		}
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
	if (p->any)
		return true;
	if (p->literal)
		return strcmp(p->glob, str) == 0;
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
