/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The fields of the fixed kstat types, kstat_io_t, kstat_intr_t and
 * kstat_timer_t, described once: their names (kstat(1M)'s, and the member
 * names a provider's value struct must use), where they are, how per-CPU
 * copies combine, and what /metrics makes of them.  The schema, the
 * provider maps, the renderers and the kstat command all read these tables.
 */
#ifndef __KSTATD_KSTAT_TYPES_H
#define __KSTATD_KSTAT_TYPES_H

#include <stdint.h>

#include <sys/kstat.h>

enum kt_io {
	KT_IO_NREAD,
	KT_IO_NWRITTEN,
	KT_IO_READS,
	KT_IO_WRITES,
	KT_IO_WTIME, /* wtime, wlentime and wlastupdate follow each other, as rtime's */
	KT_IO_WLENTIME,
	KT_IO_WLASTUPDATE,
	KT_IO_RTIME,
	KT_IO_RLENTIME,
	KT_IO_RLASTUPDATE,
	KT_IO_WCNT,
	KT_IO_RCNT,
	KT_IO_NFIELDS,
};

enum kt_timer {
	KT_TIMER_NUM_EVENTS,
	KT_TIMER_ELAPSED_TIME,
	KT_TIMER_MIN_TIME,
	KT_TIMER_MAX_TIME,
	KT_TIMER_START_TIME,
	KT_TIMER_STOP_TIME,
	KT_TIMER_NFIELDS,
};

#define KT_INTR_NFIELDS KSTAT_NUM_INTRS
#define KT_MAX_FIELDS KT_IO_NFIELDS

/* How the per-CPU copies of a field make one value */
enum kt_combine {
	KT_SUM,
	KT_MAX, /* timestamps and maxima */
	KT_MIN, /* the least among CPUs that saw any event */
};

/* What /metrics makes of a field */
enum kt_prom {
	KT_PROM_NONE, /* left out: a timestamp */
	KT_PROM_COUNTER,
	KT_PROM_GAUGE,
};

struct kt_field {
	const char *name;      /* "nread" */
	uint16_t off;          /* in the kstat_*_t */
	uint8_t size;          /* 4 or 8 bytes */
	uint8_t combine;       /* enum kt_combine */
	uint8_t prom;          /* enum kt_prom */
	const char *unit;      /* "bytes", "ns", or NULL for a count */
	const char *prom_stat; /* the statistic's name in /metrics */
	const char *help;
};

struct kt_type {
	const char *tag; /* as KSTAT_TYPE() writes it: "io", "intr", "timer" */
	const struct kt_field *fields;
	unsigned int nfields;
	size_t size; /* of one record */
};

/* KSTAT_TYPE_IO, _INTR or _TIMER; NULL for the others */
const struct kt_type *kt_type(uchar_t ks_type);

/* A field of one record, widened to 64 bits, or set from them */
uint64_t kt_get(const void *rec, const struct kt_field *f);
void kt_set(void *rec, const struct kt_field *f, uint64_t v);

#endif /* __KSTATD_KSTAT_TYPES_H */
