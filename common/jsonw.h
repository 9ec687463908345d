/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The JSON of `kstat -j`, written into an outbuf: strings escaped the one
 * way (valid UTF-8 kept, control characters escaped, a byte that is not
 * UTF-8 becomes U+FFFD) and the layout of one kstat object as illumos
 * kstat(1M) prints it.  The kstat command and kstatd's /kstat both write
 * through this.
 *
 *   {
 *   	"module": "cpu",
 *   	"instance": 0,
 *   	"name": "sys",
 *   	"class": "misc",
 *   	"type": 1,
 *   	"snaptime": 12.000000001,
 *   	"data": {
 *   		"crtime": 1.5,
 *   		"pswitch": 42
 *   	}
 *   }
 */
#ifndef __KSTATD_JSONW_H
#define __KSTATD_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf;

/* s as a JSON string, up to max bytes or its NUL */
void jsonw_string(struct outbuf *ob, const char *s, size_t max);

/* A kstat object up to its data's opening brace */
void jsonw_kstat_begin(struct outbuf *ob, const char *module, int instance, const char *name,
		       const char *ks_class, int type, int64_t snaptime);
/* A statistic's name, before its value (the caller writes it); i counts from 0 */
void jsonw_stat(struct outbuf *ob, const char *name, size_t i);
/* Close the object after n statistics */
void jsonw_kstat_end(struct outbuf *ob, size_t n);

#endif /* __KSTATD_JSONW_H */
