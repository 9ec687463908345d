/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef __KSTATD_LOG_H
#define __KSTATD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Parse "error", "warn", "info" or "debug"; returns -EINVAL otherwise. */
int log_parse_level(const char *s);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_dbg(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* __KSTATD_LOG_H */
