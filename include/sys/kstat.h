/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The illumos kstat ABI as seen by user programs, for x86_64 (LP64) and
 * i386 (ILP32) builds.  Field order, types and constant values follow
 * illumos <sys/kstat.h> so that code written against /dev/kstat or
 * libkstat compiles unchanged; kstatd serves the same structures over a
 * local socket.
 */
#ifndef __KSTATD_SYS_KSTAT_H
#define __KSTATD_SYS_KSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int kid_t;          /* unique kstat id */
typedef long long hrtime_t; /* nanoseconds, CLOCK_MONOTONIC on Linux */
#ifndef _KSTATD_UCHAR_T
#define _KSTATD_UCHAR_T
typedef unsigned char uchar_t;
typedef unsigned int uint_t;
typedef unsigned long ulong_t;
typedef long long longlong_t;
typedef unsigned long long u_longlong_t;
#endif

/*
 * Kstat ioctls, as in illumos: the kstat chain id is the ioctl's return value.
 *	kcid = ioctl(kd, KSTAT_IOC_CHAIN_ID, NULL);
 *	kcid = ioctl(kd, KSTAT_IOC_READ, kstat_t *);
 *	kcid = ioctl(kd, KSTAT_IOC_WRITE, kstat_t *);
 */
#define KSTAT_IOC_BASE (('K' << 8))
#define KSTAT_IOC_CHAIN_ID (KSTAT_IOC_BASE | 0x01)
#define KSTAT_IOC_READ (KSTAT_IOC_BASE | 0x02)
#define KSTAT_IOC_WRITE (KSTAT_IOC_BASE | 0x03)

/* 30 characters and a NUL; illumos requires 16*n-1 */
#define KSTAT_STRLEN 31

/* The rw argument of a provider's update and snapshot routines */
#define KSTAT_READ 0
#define KSTAT_WRITE 1

typedef struct kstat {
	/* Fields relevant to both kernel and user */
	hrtime_t ks_crtime;           /* creation time */
	struct kstat *ks_next;        /* kstat chain linkage */
	kid_t ks_kid;                 /* unique kstat ID */
	char ks_module[KSTAT_STRLEN]; /* provider module name */
	uchar_t ks_resv;              /* reserved */
	int ks_instance;              /* provider module's instance */
	char ks_name[KSTAT_STRLEN];   /* kstat name */
	uchar_t ks_type;              /* kstat data type */
	char ks_class[KSTAT_STRLEN];  /* kstat class */
	uchar_t ks_flags;             /* kstat flags */
	void *ks_data;                /* kstat type-specific data */
	uint_t ks_ndata;              /* # of type-specific data records */
	size_t ks_data_size;          /* total size of kstat data section */
	hrtime_t ks_snaptime;         /* time of last data snapshot */
	/* Fields relevant to the provider only: opaque to users */
	int (*ks_update)(struct kstat *, int);
	void *ks_private;
	int (*ks_snapshot)(struct kstat *, void *, int);
	void *ks_lock;
} kstat_t;

/*
 * The header as an ILP32 program lays it out: what a 32-bit caller
 * exchanges with kstatd whatever kstatd's own data model is.
 */
typedef int32_t kid32_t;
typedef uint32_t caddr32_t;
typedef uint32_t size32_t;

typedef struct kstat32 {
	hrtime_t ks_crtime;
	caddr32_t ks_next;
	kid32_t ks_kid;
	char ks_module[KSTAT_STRLEN];
	uint8_t ks_resv;
	int32_t ks_instance;
	char ks_name[KSTAT_STRLEN];
	uint8_t ks_type;
	char ks_class[KSTAT_STRLEN];
	uint8_t ks_flags;
	caddr32_t ks_data;
	uint32_t ks_ndata;
	size32_t ks_data_size;
	hrtime_t ks_snaptime;
	int32_t _ks_update;
	caddr32_t _ks_private;
	int32_t _ks_snapshot;
	caddr32_t _ks_lock;
} kstat32_t;

/* ks_type */
#define KSTAT_TYPE_RAW 0   /* can be anything; ks_ndata >= 1 */
#define KSTAT_TYPE_NAMED 1 /* name/value pairs; ks_ndata >= 1 */
#define KSTAT_TYPE_INTR 2  /* interrupt statistics; ks_ndata == 1 */
#define KSTAT_TYPE_IO 3    /* I/O statistics; ks_ndata == 1 */
#define KSTAT_TYPE_TIMER 4 /* event timer; ks_ndata >= 1 */
#define KSTAT_NUM_TYPES 5

/* ks_flags */
#define KSTAT_FLAG_VIRTUAL 0x01
#define KSTAT_FLAG_VAR_SIZE 0x02
#define KSTAT_FLAG_WRITABLE 0x04
#define KSTAT_FLAG_PERSISTENT 0x08
#define KSTAT_FLAG_DORMANT 0x10
#define KSTAT_FLAG_INVALID 0x20
#define KSTAT_FLAG_LONGSTRINGS 0x40

/* Named statistics */
typedef struct kstat_named {
	char name[KSTAT_STRLEN]; /* name of counter */
	uchar_t data_type;       /* data type */
	union {
		char c[16]; /* enough for 128-bit ints */
		int32_t i32;
		uint32_t ui32;
		struct {
			union {
				char *ptr;     /* NULL-terminated string */
				char __pad[8]; /* 64-bit padding */
			} addr;
			uint32_t len; /* length of string, with NUL */
		} str;
		int64_t i64;
		uint64_t ui64;
		long l;
		ulong_t ul;
		/* These fields are obsolete, and may be removed */
		longlong_t ll;
		u_longlong_t ull;
		float f;
		double d;
	} value; /* value of counter */
} kstat_named_t;

#define KSTAT_DATA_CHAR 0
#define KSTAT_DATA_INT32 1
#define KSTAT_DATA_UINT32 2
#define KSTAT_DATA_INT64 3
#define KSTAT_DATA_UINT64 4
#if defined(__LP64__) || defined(_LP64)
#define KSTAT_DATA_LONG KSTAT_DATA_INT64
#define KSTAT_DATA_ULONG KSTAT_DATA_UINT64
#else
#define KSTAT_DATA_LONG KSTAT_DATA_INT32
#define KSTAT_DATA_ULONG KSTAT_DATA_UINT32
#endif
/* Obsolete types, kept for source compatibility */
#define KSTAT_DATA_FLOAT 5
#define KSTAT_DATA_DOUBLE 6
#define KSTAT_DATA_STRING 9
/* Compatibility names */
#define KSTAT_DATA_LONGLONG KSTAT_DATA_INT64
#define KSTAT_DATA_ULONGLONG KSTAT_DATA_UINT64

/* Access to KSTAT_DATA_STRING values */
#define KSTAT_NAMED_PTR(kptr) ((kstat_named_t *)(kptr)->ks_data)
#define KSTAT_NAMED_STR_PTR(knptr) ((knptr)->value.str.addr.ptr)
#define KSTAT_NAMED_STR_BUFLEN(knptr) ((knptr)->value.str.len)

/* Interrupt statistics */
#define KSTAT_INTR_HARD 0
#define KSTAT_INTR_SOFT 1
#define KSTAT_INTR_WATCHDOG 2
#define KSTAT_INTR_SPURIOUS 3
#define KSTAT_INTR_MULTSVC 4
#define KSTAT_NUM_INTRS 5

typedef struct kstat_intr {
	uint_t intrs[KSTAT_NUM_INTRS]; /* interrupt counters */
} kstat_intr_t;

#define KSTAT_INTR_PTR(kptr) ((kstat_intr_t *)(kptr)->ks_data)

/*
 * I/O statistics.  The queue-length integrals (wlentime, rlentime) and
 * busy times (wtime, rtime) are Riemann sums updated at every queue
 * transition; readers derive utilisation and average queue lengths from
 * their deltas over ks_snaptime.
 */
typedef struct kstat_io {
	u_longlong_t nread;    /* number of bytes read */
	u_longlong_t nwritten; /* number of bytes written */
	uint_t reads;          /* number of read operations */
	uint_t writes;         /* number of write operations */
	hrtime_t wtime;        /* cumulative wait (pre-service) time */
	hrtime_t wlentime;     /* cumulative wait length*time product */
	hrtime_t wlastupdate;  /* last time wait queue changed */
	hrtime_t rtime;        /* cumulative run (service) time */
	hrtime_t rlentime;     /* cumulative run length*time product */
	hrtime_t rlastupdate;  /* last time run queue changed */
	uint_t wcnt;           /* count of elements in wait state */
	uint_t rcnt;           /* count of elements in run state */
} kstat_io_t;

#define KSTAT_IO_PTR(kptr) ((kstat_io_t *)(kptr)->ks_data)

/* Event timer statistics */
typedef struct kstat_timer {
	char name[KSTAT_STRLEN]; /* event name */
	uchar_t resv;            /* reserved */
	u_longlong_t num_events; /* number of events */
	hrtime_t elapsed_time;   /* cumulative elapsed time */
	hrtime_t min_time;       /* shortest event duration */
	hrtime_t max_time;       /* longest event duration */
	hrtime_t start_time;     /* previous event start time */
	hrtime_t stop_time;      /* previous event stop time */
} kstat_timer_t;

#define KSTAT_TIMER_PTR(kptr) ((kstat_timer_t *)(kptr)->ks_data)

/*
 * The layout is the ABI: any change here breaks every compiled client.
 * kstat_t is 184 bytes on LP64 and 152 bytes on ILP32; kstat32_t is
 * 152 bytes in both.
 */
#if defined(__LP64__) || defined(_LP64)
_Static_assert(sizeof(kstat_t) == 184, "kstat_t is 184 bytes on LP64");
_Static_assert(offsetof(kstat_t, ks_kid) == 16, "ks_kid offset");
_Static_assert(offsetof(kstat_t, ks_module) == 20, "ks_module offset");
_Static_assert(offsetof(kstat_t, ks_instance) == 52, "ks_instance offset");
_Static_assert(offsetof(kstat_t, ks_name) == 56, "ks_name offset");
_Static_assert(offsetof(kstat_t, ks_type) == 87, "ks_type offset");
_Static_assert(offsetof(kstat_t, ks_class) == 88, "ks_class offset");
_Static_assert(offsetof(kstat_t, ks_flags) == 119, "ks_flags offset");
_Static_assert(offsetof(kstat_t, ks_data) == 120, "ks_data offset");
_Static_assert(offsetof(kstat_t, ks_ndata) == 128, "ks_ndata offset");
_Static_assert(offsetof(kstat_t, ks_data_size) == 136, "ks_data_size offset");
_Static_assert(offsetof(kstat_t, ks_snaptime) == 144, "ks_snaptime offset");
_Static_assert(offsetof(kstat_t, ks_lock) == 176, "ks_lock offset");
#else
_Static_assert(sizeof(kstat_t) == 152, "kstat_t is 152 bytes on ILP32");
_Static_assert(offsetof(kstat_t, ks_data) == 116, "ks_data offset");
_Static_assert(offsetof(kstat_t, ks_snaptime) == 128, "ks_snaptime offset");
#endif
_Static_assert(sizeof(kstat32_t) == 152, "kstat32_t is 152 bytes");
_Static_assert(offsetof(kstat32_t, ks_kid) == 12, "kstat32_t ks_kid offset");
_Static_assert(offsetof(kstat32_t, ks_data) == 116, "kstat32_t ks_data offset");
_Static_assert(offsetof(kstat32_t, ks_ndata) == 120, "kstat32_t ks_ndata offset");
_Static_assert(offsetof(kstat32_t, ks_data_size) == 124, "kstat32_t ks_data_size offset");
_Static_assert(offsetof(kstat32_t, ks_snaptime) == 128, "kstat32_t ks_snaptime offset");
_Static_assert(sizeof(kstat_named_t) == 48, "kstat_named_t is 48 bytes");
_Static_assert(offsetof(kstat_named_t, value) == 32, "kstat_named_t value offset");
_Static_assert(sizeof(kstat_io_t) == 80, "kstat_io_t is 80 bytes");
_Static_assert(sizeof(kstat_intr_t) == 20, "kstat_intr_t is 20 bytes");
_Static_assert(sizeof(kstat_timer_t) == 80, "kstat_timer_t is 80 bytes");

#ifdef __cplusplus
}
#endif

#endif /* __KSTATD_SYS_KSTAT_H */
