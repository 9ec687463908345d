// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstat -j: the layout of illumos kstat's JSON, byte for byte, through
 * the writer kstatd's /kstat uses too (common/jsonw.c).  Where illumos
 * writes invalid JSON we do not follow: it puts a comma after the last
 * statistic when -s or an operand leaves out the kstat's last one, and
 * starts a second interval's array with "[, {".  Here every report is an
 * array of its own.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/jsonw.h"
#include "common/outbuf.h"
#include "ks.h"

/* Out of memory is fatal, as in illumos kstat */
static void ks_json_flush(FILE *out, struct outbuf *ob)
{
	if (ob->failed) {
		perror("kstat");
		exit(KS_EXIT_FATAL);
	}
	fwrite(ob->buf, 1, ob->len, out);
	outbuf_free(ob);
}

void ks_json_string(FILE *out, const char *s, size_t len)
{
	struct outbuf ob;

	outbuf_init(&ob, 0);
	jsonw_string(&ob, s, len);
	ks_json_flush(out, &ob);
}

/* A statistic's value as JSON: strings and chars quoted, numbers bare */
static void ks_json_value(struct outbuf *ob, const struct ks_nvpair *nv)
{
	switch (nv->data_type) {
	case KSTAT_DATA_CHAR:
		jsonw_string(ob, nv->value.c, sizeof(nv->value.c));
		break;
	case KSTAT_DATA_INT32:
		outbuf_i64(ob, nv->value.i32);
		break;
	case KSTAT_DATA_UINT32:
		outbuf_u64(ob, nv->value.ui32);
		break;
	case KSTAT_DATA_INT64:
		outbuf_i64(ob, nv->value.i64);
		break;
	case KSTAT_DATA_UINT64:
		outbuf_u64(ob, nv->value.ui64);
		break;
	case KSTAT_DATA_STRING:
		jsonw_string(ob, nv->str, SIZE_MAX);
		break;
	case KS_DATA_HRTIME:
		outbuf_hrtime(ob, nv->value.i64);
		break;
	}
}

/*
 * One kstat object of a -j report; all but the first follow ", ".  The
 * header's snaptime is the one the chain had before this report's read,
 * as in illumos; data's snaptime is the read's.
 */
void ks_json_kstat(FILE *out, const struct ks_instance *ksi, const struct ks_nvpair *const *nv,
		   size_t n, bool first)
{
	struct outbuf ob;

	outbuf_init(&ob, 0);
	if (!first)
		outbuf_put(&ob, ", ", 2);
	jsonw_kstat_begin(&ob, ksi->module, ksi->instance, ksi->name, ksi->class, ksi->type,
			  ksi->snaptime);
	for (size_t i = 0; i < n; i++) {
		jsonw_stat(&ob, nv[i]->name, i);
		ks_json_value(&ob, nv[i]);
	}
	jsonw_kstat_end(&ob, n);
	ks_json_flush(out, &ob);
}
