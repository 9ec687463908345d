// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Logging to stderr, one line per message, prefixed with the level, in the
 * logfmt-free style of bpftool: "kstatd: error: attach sched_switch: ...".
 * A whole line goes out in one write so that threads never interleave.
 * Control bytes in a message (a name from a hostile provider object or an
 * interface a user named) go out as \xNN: one message, one line, and no
 * terminal escape reaches whoever reads the log.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

int log_parse_level(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[1024], line[1024 * 4 + 64];
	size_t n;
	int m;

	if (lvl > cur_level)
		return;
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (m < 0)
		return;
	n = (size_t)snprintf(line, sizeof(line), "kstatd: %s: ", level_names[lvl]);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		/* libbpf messages carry their own newline */
		if (*p == '\n' && !p[1])
			break;
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "\\x%02x", *p);
		else
			line[n++] = (char)*p;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
