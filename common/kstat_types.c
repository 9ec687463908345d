// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stddef.h>
#include <string.h>

#include "kstat_types.h"

#define F(type, member, combine, prom, unit, stat, help)                                           \
	{                                                                                          \
#member, offsetof(type, member), sizeof(((type *)0)->member), combine, prom, unit, \
			stat, help                                                                 \
	}

static const struct kt_field io_fields[KT_IO_NFIELDS] = {
	[KT_IO_NREAD] =
		F(kstat_io_t, nread, KT_SUM, KT_PROM_COUNTER, "bytes", "nread", "Bytes read"),
	[KT_IO_NWRITTEN] = F(kstat_io_t, nwritten, KT_SUM, KT_PROM_COUNTER, "bytes", "nwritten",
			     "Bytes written"),
	[KT_IO_READS] =
		F(kstat_io_t, reads, KT_SUM, KT_PROM_COUNTER, NULL, "reads", "Read operations"),
	[KT_IO_WRITES] =
		F(kstat_io_t, writes, KT_SUM, KT_PROM_COUNTER, NULL, "writes", "Write operations"),
	[KT_IO_WTIME] = F(kstat_io_t, wtime, KT_SUM, KT_PROM_COUNTER, "ns", "wtime",
			  "Time the wait queue was not empty (its rate is the fraction of time "
			  "spent waiting)"),
	[KT_IO_WLENTIME] = F(kstat_io_t, wlentime, KT_SUM, KT_PROM_COUNTER, "ns", "wlentime",
			     "Wait queue length integrated over time (its rate is the average "
			     "wait queue length)"),
	[KT_IO_WLASTUPDATE] = F(kstat_io_t, wlastupdate, KT_MAX, KT_PROM_NONE, "ns", NULL, NULL),
	[KT_IO_RTIME] = F(kstat_io_t, rtime, KT_SUM, KT_PROM_COUNTER, "ns", "rtime",
			  "Time the run queue was not empty (its rate is the utilisation, iostat "
			  "%b)"),
	[KT_IO_RLENTIME] = F(kstat_io_t, rlentime, KT_SUM, KT_PROM_COUNTER, "ns", "rlentime",
			     "Run queue length integrated over time (its rate is the average "
			     "number of active requests, iostat actv)"),
	[KT_IO_RLASTUPDATE] = F(kstat_io_t, rlastupdate, KT_MAX, KT_PROM_NONE, "ns", NULL, NULL),
	[KT_IO_WCNT] = F(kstat_io_t, wcnt, KT_SUM, KT_PROM_GAUGE, NULL, "wcnt",
			 "Requests in the wait queue"),
	[KT_IO_RCNT] = F(kstat_io_t, rcnt, KT_SUM, KT_PROM_GAUGE, NULL, "rcnt",
			 "Requests in the run queue"),
};

#define INTR(i, name)                                                                       \
	{                                                                                   \
		name, offsetof(kstat_intr_t, intrs) + (i) * sizeof(uint_t), sizeof(uint_t), \
			KT_SUM, KT_PROM_COUNTER, NULL, "interrupts",                        \
			"Interrupts by kind (kstat_intr_t)"                                 \
	}

/* /metrics: one family, kstat_<module>_interrupts_total, labelled intr="<name>" */
static const struct kt_field intr_fields[KT_INTR_NFIELDS] = {
	[KSTAT_INTR_HARD] = INTR(KSTAT_INTR_HARD, "hard"),
	[KSTAT_INTR_SOFT] = INTR(KSTAT_INTR_SOFT, "soft"),
	[KSTAT_INTR_WATCHDOG] = INTR(KSTAT_INTR_WATCHDOG, "watchdog"),
	[KSTAT_INTR_SPURIOUS] = INTR(KSTAT_INTR_SPURIOUS, "spurious"),
	[KSTAT_INTR_MULTSVC] = INTR(KSTAT_INTR_MULTSVC, "multiple_service"),
};

/* /metrics: labelled timer="<the record's name>" */
static const struct kt_field timer_fields[KT_TIMER_NFIELDS] = {
	[KT_TIMER_NUM_EVENTS] = F(kstat_timer_t, num_events, KT_SUM, KT_PROM_COUNTER, NULL,
				  "timer_events", "Timed events"),
	[KT_TIMER_ELAPSED_TIME] = F(kstat_timer_t, elapsed_time, KT_SUM, KT_PROM_COUNTER, "ns",
				    "timer_elapsed", "Time spent in timed events"),
	[KT_TIMER_MIN_TIME] = F(kstat_timer_t, min_time, KT_MIN, KT_PROM_GAUGE, "ns", "timer_min",
				"Shortest timed event"),
	[KT_TIMER_MAX_TIME] = F(kstat_timer_t, max_time, KT_MAX, KT_PROM_GAUGE, "ns", "timer_max",
				"Longest timed event"),
	[KT_TIMER_START_TIME] =
		F(kstat_timer_t, start_time, KT_MAX, KT_PROM_NONE, "ns", NULL, NULL),
	[KT_TIMER_STOP_TIME] = F(kstat_timer_t, stop_time, KT_MAX, KT_PROM_NONE, "ns", NULL, NULL),
};

static const struct kt_type types[] = {
	{ "io", io_fields, KT_IO_NFIELDS, sizeof(kstat_io_t) },
	{ "intr", intr_fields, KT_INTR_NFIELDS, sizeof(kstat_intr_t) },
	{ "timer", timer_fields, KT_TIMER_NFIELDS, sizeof(kstat_timer_t) },
};

const struct kt_type *kt_type(uchar_t ks_type)
{
	switch (ks_type) {
	case KSTAT_TYPE_IO:
		return &types[0];
	case KSTAT_TYPE_INTR:
		return &types[1];
	case KSTAT_TYPE_TIMER:
		return &types[2];
	}
	return NULL;
}

uint64_t kt_get(const void *rec, const struct kt_field *f)
{
	const char *p = (const char *)rec + f->off;
	uint32_t v32;
	uint64_t v64;

	if (f->size == 4) {
		memcpy(&v32, p, 4);
		return v32;
	}
	memcpy(&v64, p, 8);
	return v64;
}

void kt_set(void *rec, const struct kt_field *f, uint64_t v)
{
	char *p = (char *)rec + f->off;
	uint32_t v32 = (uint32_t)v;

	if (f->size == 4)
		memcpy(p, &v32, 4);
	else
		memcpy(p, &v, 8);
}
