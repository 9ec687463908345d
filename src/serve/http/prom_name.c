// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstat statistic names as Prometheus family names.  promtool's lint is
 * the judge: snake case (no camelCase), base units named as a suffix, no
 * abbreviated unit tokens (_ns, _ms, ...), _total only on counters.
 */
#include <stdbool.h>
#include <string.h>

#include "prom_name.h"

struct unit_map {
	const char *unit;
	const char *suffix;
	unsigned int decimals;
};

static const struct unit_map units[] = {
	{ "ns", "seconds", 9 },    { "nsec", "seconds", 9 }, { "us", "seconds", 6 },
	{ "usec", "seconds", 6 },  { "ms", "seconds", 3 },   { "msec", "seconds", 3 },
	{ "s", "seconds", 0 },     { "sec", "seconds", 0 },  { "seconds", "seconds", 0 },
	{ "bytes", "bytes", 0 },   { "byte", "bytes", 0 },   { "Hz", "hertz", 0 },
	{ "MHz", "megahertz", 0 },
};

/* Tokens a statistic's name may use for the unit it is now converted from */
static const char *const time_tokens[] = {
	"ns",   "nsec",  "nsecs",        "nanosec", "nanosecs", "nanoseconds", "us",
	"usec", "usecs", "microseconds", "ms",      "msec",     "msecs",       "milliseconds",
	"s",    "sec",   "secs",         "second",  "seconds",
};

static const char *const byte_tokens[] = { "byte", "bytes" };

/* MHz in snake case is m_hz: both tokens go, as a name never says hz of hertz */
static const char *const freq_tokens[] = { "hz", "m", "mhz" };

void prom_name_unit(const char *unit, struct prom_unit *u)
{
	u->suffix = NULL;
	u->decimals = 0;
	if (!unit)
		return;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) == 0) {
			u->suffix = units[i].suffix;
			u->decimals = units[i].decimals;
			return;
		}
	}
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int prom_name_snake(char *out, size_t pos, size_t len, const char *s)
{
	size_t start = pos;

	if (pos >= len)
		return -1;

	for (size_t i = 0; s[i]; i++) {
		char c = s[i], o;
		bool hump = false;

		if (is_upper(c) && i > 0) {
			char prev = s[i - 1], next = s[i + 1];

			/* fooBar, foo2Bar, and the last capital of HTTPServer */
			hump = is_lower(prev) || is_digit(prev) ||
			       (is_upper(prev) && is_lower(next));
		}
		o = is_upper(c) ? (char)(c - 'A' + 'a') : c;
		if (!is_lower(o) && !is_digit(o))
			o = '_';
		if (hump && pos > start && out[pos - 1] != '_') {
			if (pos + 1 >= len)
				return -1;
			out[pos++] = '_';
		}
		if (o == '_' && (pos == start || out[pos - 1] == '_'))
			continue;
		if (pos + 1 >= len)
			return -1;
		out[pos++] = o;
	}
	while (pos > start && out[pos - 1] == '_')
		pos--;
	out[pos] = '\0';
	return (int)pos;
}

static bool token_in(const char *tok, size_t n, const char *const *set, size_t nset)
{
	for (size_t i = 0; i < nset; i++)
		if (strlen(set[i]) == n && memcmp(tok, set[i], n) == 0)
			return true;
	return false;
}

/* Drop the tokens of snake[0..n) that are in set (and a last "total"); returns the new length */
static size_t drop_tokens(char *snake, size_t n, const char *const *set, size_t nset)
{
	size_t r = 0, w = 0;

	while (r < n) {
		size_t end = r;

		while (end < n && snake[end] != '_')
			end++;
		if (!token_in(snake + r, end - r, set, nset) &&
		    !(end == n && end - r == 5 && memcmp(snake + r, "total", 5) == 0)) {
			if (w)
				snake[w++] = '_';
			memmove(snake + w, snake + r, end - r);
			w += end - r;
		}
		r = end + 1;
	}
	snake[w] = '\0';
	return w;
}

/*
 * The statistic's name says its module again (cpu:N:sys's cpu_nsec_idle,
 * link's link_state): drop the module's words from its front, when
 * something is left.  prefix is "kstat_<module>".
 */
static size_t drop_module(char *snake, size_t n, const char *prefix)
{
	size_t ml;

	if (strncmp(prefix, "kstat_", 6) != 0)
		return n;
	prefix += 6;
	ml = strlen(prefix);
	if (!ml || n <= ml + 1 || memcmp(snake, prefix, ml) != 0 || snake[ml] != '_')
		return n;
	memmove(snake, snake + ml + 1, n - ml);
	return n - ml - 1;
}

/* Does a token of snake[0..n) end with word, after something (rbytes: bytes)? */
static bool token_ends_with(const char *snake, size_t n, const char *word)
{
	size_t wl = strlen(word);

	for (size_t end = 0, start = 0; end <= n; end++) {
		if (end < n && snake[end] != '_')
			continue;
		if (end - start > wl && memcmp(snake + end - wl, word, wl) == 0)
			return true;
		start = end + 1;
	}
	return false;
}

size_t prom_name_family(char *out, size_t len, const char *prefix, const char *stat,
			struct prom_unit *u)
{
	char snake[PROM_NAME_MAX];
	int sn = prom_name_snake(snake, 0, sizeof(snake), stat);
	size_t n, pos;

	if (sn < 0)
		return 0;
	n = (size_t)sn;
	if (u->suffix && strcmp(u->suffix, "seconds") == 0)
		n = drop_tokens(snake, n, time_tokens,
				sizeof(time_tokens) / sizeof(time_tokens[0]));
	else if (u->suffix && strcmp(u->suffix, "bytes") == 0)
		n = drop_tokens(snake, n, byte_tokens, 2);
	else if (u->suffix && strcmp(u->suffix, "hertz") == 0)
		n = drop_tokens(snake, n, freq_tokens, 1);
	else if (u->suffix)
		n = drop_tokens(snake, n, freq_tokens, 3);
	else
		n = drop_tokens(snake, n, NULL, 0);
	n = drop_module(snake, n, prefix);
	/* illumos's rbytes and obytes say their unit already: no _bytes_bytes */
	if (u->suffix && token_ends_with(snake, n, u->suffix))
		u->suffix = NULL;

	pos = strlen(prefix);
	if (pos + 1 >= len)
		return 0;
	memcpy(out, prefix, pos);
	if (n) {
		if (pos + 1 + n + 1 > len)
			return 0;
		out[pos++] = '_';
		memcpy(out + pos, snake, n);
		pos += n;
	}
	if (u->suffix) {
		size_t sl = strlen(u->suffix);

		if (pos + 1 + sl + 1 > len)
			return 0;
		out[pos++] = '_';
		memcpy(out + pos, u->suffix, sl);
		pos += sl;
	}
	out[pos] = '\0';
	return pos;
}
