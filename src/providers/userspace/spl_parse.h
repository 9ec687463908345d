/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * One /proc/spl/kstat file, as OpenZFS's Solaris Porting Layer prints a
 * kstat (module/os/linux/spl/spl-kstat.c), turned back into illumos kstat
 * data.  The first line is "kid type flags ndata data_size crtime
 * snaptime"; then, by type: NAMED a "name type data" header and a
 * "name type value" row per statistic (SPL's data types: 0 char, 1 int32,
 * 2 uint32, 3 int64, 4 uint64, 5 long, 6 ulong, 7 string); INTR and IO a
 * header and a row of numbers; TIMER a header and a row per timer; RAW
 * "raw data" and a hex dump, or text of the kstat's own.  A file without
 * the first line (KSTAT_FLAG_NO_HEADERS, or a file that is no kstat) is
 * RAW text.
 */
#ifndef __KSTATD_SPL_PARSE_H
#define __KSTATD_SPL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/kstat.h>

struct spl_kstat {
	uchar_t type;     /* KSTAT_TYPE_* (the same numbers in SPL and illumos) */
	bool headers;     /* the file had its first line */
	int64_t crtime;   /* SPL's, nanoseconds since boot; 0 without headers */
	uint_t ndata;     /* records: statistics, timers; bytes for RAW */
	size_t size;      /* ks_data_size: named records and their strings, or bytes */
	void *data;       /* malloc'd; NAMED string pointers point into it */
	uint32_t skipped; /* statistics left out: a name longer than illumos's 30 characters */
};

/*
 * Parse len bytes of text (need not be NUL-terminated).  0, or -EINVAL for
 * text that claims a kstat header and breaks its format (or -ENOMEM);
 * *out is then empty.
 */
int spl_parse(const char *text, size_t len, struct spl_kstat *out);

/* Same type and records: the values of b fit a kstat made from a */
bool spl_same_shape(const struct spl_kstat *a, const struct spl_kstat *b);

/* Free the data; NULL is accepted */
void spl_kstat_free(struct spl_kstat *k);

#endif /* __KSTATD_SPL_PARSE_H */
