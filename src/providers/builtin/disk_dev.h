/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Block devices as the kernel lists them (/sys/class/block), named the
 * way illumos names disks (driver, instance, name), and their books:
 * /proc/diskstats and each device's inflight file.
 */
#ifndef __KSTATD_DISK_DEV_H
#define __KSTATD_DISK_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/kstat.h>

#define DISK_NAME_MAX 64

enum disk_class {
	DISK_WHOLE,   /* class "disk": no block device below it */
	DISK_PART,    /* class "partition" */
	DISK_STACKED, /* class "stacked": dm, md, loop, or slaves below it */
};

struct disk_dev {
	char name[DISK_NAME_MAX];   /* the kernel's: vda, vda1, dm-0, loop3 */
	char ksname[KSTAT_STRLEN];  /* ks_name: the kernel's, a dm device's mapper name */
	char driver[KSTAT_STRLEN];  /* ks_module */
	char parent[DISK_NAME_MAX]; /* a partition's disk */
	unsigned int major, minor;
	unsigned int dmajor, dminor; /* its disk's (a whole disk: its own) */
	uint64_t diskseq;            /* the disk's (a partition's disk's); 0 where none */
	uint32_t partno;             /* 0: a whole disk */
	int name_instance;           /* the instance its name implies, or -1 */
	enum disk_class klass;       /* ks_class */
	bool mq;                     /* request-based: the disk program times its requests */
};

/*
 * The modules disks get (their drivers'), whether or not such a disk is
 * here yet: no provider from a file may take one.  *n is set.
 */
const char *const *disk_dev_modules(size_t *n);

/* "disk", "partition", "stacked" */
const char *disk_class_name(enum disk_class c);

/*
 * Every block device with a medium, whole disks before partitions.
 * root is the sysfs mount ("/sys").  Returns the count (*out malloc'd),
 * or -errno.
 */
int disk_dev_scan(const char *root, struct disk_dev **out);

/* The kernel's counters of one device, from one /proc/diskstats line */
struct disk_books {
	unsigned int major, minor;
	uint64_t reads, rsect, writes, wsect, discards, dsect, flushes;
	uint32_t in_flight; /* field 9: from accounting start to completion */
	uint32_t io_ticks;  /* field 10, ms, wraps at 2^32 */
	uint32_t tiq;       /* field 11, ms, wraps at 2^32 */
	uint32_t fms;       /* field 17: flushing, ms */
};

/*
 * Parse /proc/diskstats text (len bytes) into *out (malloc'd, sorted by
 * dev_t).  Returns the count or -errno.
 */
int disk_books_parse(const char *text, size_t len, struct disk_books **out);
/* Read and parse path; as disk_books_parse */
int disk_books_read(const char *path, struct disk_books **out);
/* The entry of major:minor in a sorted table, or NULL */
const struct disk_books *disk_books_find(const struct disk_books *b, size_t n, unsigned int major,
					 unsigned int minor);
/*
 * Requests in the driver, from <root>/class/block/<name>/inflight (read
 * and write summed).  Returns 0 or -errno.
 */
int disk_inflight(const char *root, const char *name, uint32_t *out);

#endif /* __KSTATD_DISK_DEV_H */
