// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Block devices from sysfs and their books from /proc/diskstats.  The
 * names follow illumos (sd:0:sd0): the module is the driver, the
 * instance a small number of the driver's, the name the kernel's; see
 * docs/kstats.md for the mapping.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk_dev.h"
#include "os/readall.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Drivers (their sysfs names) whose illumos name differs */
static const struct {
	const char *linux_name, *module;
} driver_names[] = {
	{ "virtio_blk", "vd" }, /* illumos vioblk disks are vd */
	{ "vbd", "xdf" },       /* Xen's blkfront, illumos xdf */
	{ "xen_blkfront", "xdf" },
};

/* Devices whose I/O goes on to other block devices or files */
static const char *const stacking_drivers[] = { "dm", "md", "loop", "bcache", "drbd" };

/*
 * Modules disks get, present or not: those above, what find_driver() makes
 * of the usual block drivers' sysfs names and of the name prefixes of
 * devices without a driver link, and its fallback.
 */
static const char *const disk_modules[] = {
	"vd",       "xdf",    "dm",    "md",   "loop", "bcache", "drbd",    "sd",   "sr",
	"nvme",     "mmcblk", "zram",  "nbd",  "ram",  "rbd",    "nd_pmem", "pmem", "nullb",
	"null_blk", "ubd",    "ublkb", "ublk", "xvd",  "blkdev", "aoeblk",  "sx8",  "mtdblock",
};

const char *const *disk_dev_modules(size_t *n)
{
	*n = ARRAY_SIZE(disk_modules);
	return disk_modules;
}

const char *disk_class_name(enum disk_class c)
{
	switch (c) {
	case DISK_PART:
		return "partition";
	case DISK_STACKED:
		return "stacked";
	default:
		return "disk";
	}
}

static bool exists(const char *root, const char *name, const char *what)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/class/block/%s/%s", root, name, what);
	return access(path, F_OK) == 0;
}

static int read_attr(const char *root, const char *name, const char *what, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/class/block/%s/%s", root, name, what);
	return readall_small(path, buf, len);
}

/* A kstat module from a driver name: [a-z0-9_] only */
static void set_module(char *out, const char *name)
{
	size_t n = 0;

	for (; *name && n < KSTAT_STRLEN - 1; name++)
		out[n++] =
			isalnum((unsigned char)*name) ? (char)tolower((unsigned char)*name) : '_';
	out[n] = '\0';
}

/*
 * The driver of a whole disk: dm and md by their sysfs directories, then
 * the device's driver link, then the letters its name begins with (loop,
 * zram, nbd, nvme, mmcblk, ...).
 */
static void find_driver(const char *root, struct disk_dev *d)
{
	char path[PATH_MAX], link[PATH_MAX], prefix[KSTAT_STRLEN];
	const char *base;
	size_t n = 0;
	ssize_t len;

	if (exists(root, d->name, "dm")) {
		strcpy(d->driver, "dm");
		return;
	}
	if (exists(root, d->name, "md")) {
		strcpy(d->driver, "md");
		return;
	}
	snprintf(path, sizeof(path), "%s/class/block/%s/device/driver", root, d->name);
	len = readlink(path, link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		base = strrchr(link, '/');
		base = base ? base + 1 : link;
		for (size_t i = 0; i < ARRAY_SIZE(driver_names); i++) {
			if (strcmp(base, driver_names[i].linux_name) == 0) {
				strcpy(d->driver, driver_names[i].module);
				return;
			}
		}
		set_module(d->driver, base);
		return;
	}
	while (n < sizeof(prefix) - 1 && isalpha((unsigned char)d->name[n])) {
		prefix[n] = d->name[n];
		n++;
	}
	prefix[n] = '\0';
	set_module(d->driver, n ? prefix : "blkdev");
}

/*
 * The instance a name implies: the number ending "loop3", "zram0", "md127"
 * or "dm-2", the letters ending "sdc", "vdb" or "xvdaa" (a = 0, z = 25,
 * aa = 26), else -1 and one is allocated.
 */
static int name_instance(const char *name)
{
	static const char *const lettered[] = { "sd", "vd", "xvd", "hd" };
	size_t len = strlen(name), i = len;
	long v = 0;

	while (i > 0 && isdigit((unsigned char)name[i - 1]))
		i--;
	if (i < len) {
		/* nvme0n1, mmcblk0p1: a number inside is not the instance */
		for (size_t j = 0; j < i; j++)
			if (isdigit((unsigned char)name[j]))
				return -1;
		return i > 0 && len - i < 7 ? (int)strtol(name + i, NULL, 10) : -1;
	}
	for (size_t k = 0; k < ARRAY_SIZE(lettered); k++) {
		size_t pl = strlen(lettered[k]);

		if (strncmp(name, lettered[k], pl) != 0 || len == pl || len - pl > 4)
			continue;
		/* bijective base 26: a = 1 ... z = 26, so "aa" follows "z" */
		for (const char *c = name + pl; *c; c++) {
			if (*c < 'a' || *c > 'z')
				return -1;
			v = v * 26 + (*c - 'a' + 1);
		}
		return (int)(v - 1);
	}
	return -1;
}

/* ks_name of a dm device: its mapper name, when it fits and has no ':' */
static void dm_name(const char *root, struct disk_dev *d)
{
	char buf[256];
	size_t len;

	if (read_attr(root, d->name, "dm/name", buf, sizeof(buf)) || !buf[0])
		return;
	len = strlen(buf);
	if (len >= sizeof(d->ksname) || strchr(buf, ':'))
		return;
	memcpy(d->ksname, buf, len + 1);
}

static bool has_slaves(const char *root, const char *name)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/class/block/%s/slaves", root, name);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!any && (de = readdir(dir)))
		any = de->d_name[0] != '.';
	closedir(dir);
	return any;
}

/* A partition's disk: the directory its sysfs entry sits in */
static int find_parent(const char *root, struct disk_dev *d)
{
	char path[PATH_MAX], link[PATH_MAX], *slash;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/class/block/%s", root, d->name);
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return -ENOENT;
	link[len] = '\0';
	slash = strrchr(link, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	slash = strrchr(link, '/');
	slash = slash ? slash + 1 : link;
	if (strlen(slash) >= sizeof(d->parent))
		return -ENAMETOOLONG;
	strcpy(d->parent, slash);
	return 0;
}

/* One device: false if it has no medium or cannot be read */
static bool describe(const char *root, struct disk_dev *d)
{
	char buf[64];

	/* size first: unused loop devices (no medium) cost one read a scan */
	if (read_attr(root, d->name, "size", buf, sizeof(buf)) || strtoull(buf, NULL, 10) == 0)
		return false;
	if (read_attr(root, d->name, "dev", buf, sizeof(buf)) ||
	    sscanf(buf, "%u:%u", &d->major, &d->minor) != 2)
		return false;
	snprintf(d->ksname, sizeof(d->ksname), "%.*s", KSTAT_STRLEN - 1, d->name);
	if (strlen(d->name) >= KSTAT_STRLEN)
		return false;
	d->name_instance = -1;
	if (!read_attr(root, d->name, "partition", buf, sizeof(buf))) {
		d->partno = (uint32_t)strtoul(buf, NULL, 10);
		d->klass = DISK_PART;
		return find_parent(root, d) == 0;
	}
	d->dmajor = d->major;
	d->dminor = d->minor;
	if (!read_attr(root, d->name, "diskseq", buf, sizeof(buf)))
		d->diskseq = strtoull(buf, NULL, 10);
	d->mq = exists(root, d->name, "mq");
	find_driver(root, d);
	d->name_instance = name_instance(d->name);
	d->klass = has_slaves(root, d->name) ? DISK_STACKED : DISK_WHOLE;
	for (size_t i = 0; i < ARRAY_SIZE(stacking_drivers); i++)
		if (strcmp(d->driver, stacking_drivers[i]) == 0)
			d->klass = DISK_STACKED;
	if (strcmp(d->driver, "dm") == 0)
		dm_name(root, d);
	return true;
}

static int by_kind_then_name(const void *a, const void *b)
{
	const struct disk_dev *x = a, *y = b;

	if ((x->partno != 0) != (y->partno != 0))
		return x->partno != 0 ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Partitions take their disk's driver, diskseq and queue kind */
static void inherit(struct disk_dev *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!v[i].partno)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (v[j].partno || strcmp(v[j].name, v[i].parent))
				continue;
			strcpy(v[i].driver, v[j].driver);
			v[i].dmajor = v[j].major;
			v[i].dminor = v[j].minor;
			v[i].diskseq = v[j].diskseq;
			v[i].mq = v[j].mq;
			break;
		}
	}
}

int disk_dev_scan(const char *root, struct disk_dev **out)
{
	char path[PATH_MAX];
	struct disk_dev *v = NULL;
	size_t n = 0, cap = 0, kept = 0;
	struct dirent *de;
	DIR *dir;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/class/block", root);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= DISK_NAME_MAX)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct disk_dev *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				closedir(dir);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		memset(&v[n], 0, sizeof(v[n]));
		strcpy(v[n].name, de->d_name);
		if (describe(root, &v[n]))
			n++;
	}
	closedir(dir);
	qsort(v, n, sizeof(*v), by_kind_then_name);
	inherit(v, n);
	/* a partition whose disk was not listed (no medium) goes too */
	for (size_t i = 0; i < n; i++)
		if (!v[i].partno || v[i].driver[0])
			v[kept++] = v[i];
	*out = v;
	return (int)kept;
}

static int cmp_books(const void *a, const void *b)
{
	const struct disk_books *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

int disk_books_parse(const char *text, size_t len, struct disk_books **out)
{
	const char *p = text, *end = text + len;
	struct disk_books *v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		unsigned long long f[17] = { 0 };
		char line[512];
		struct disk_books b;
		size_t ll = (size_t)((nl ? nl : end) - p);
		int got;

		if (ll >= sizeof(line))
			ll = sizeof(line) - 1;
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl ? nl + 1 : end;
		memset(&b, 0, sizeof(b));
		got = sscanf(
			line,
			"%u %u %*s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
			"%llu %llu %llu %llu %llu",
			&b.major, &b.minor, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
			&f[8], &f[9], &f[10], &f[11], &f[12], &f[13], &f[14], &f[15], &f[16]);
		if (got < 13)
			continue;
		b.reads = f[0];
		b.rsect = f[2];
		b.writes = f[4];
		b.wsect = f[6];
		b.in_flight = (uint32_t)f[8];
		b.io_ticks = (uint32_t)f[9];
		b.tiq = (uint32_t)f[10];
		b.discards = f[11];
		b.dsect = f[13];
		b.flushes = f[15];
		b.fms = (uint32_t)f[16];
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct disk_books *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		v[n++] = b;
	}
	qsort(v, n, sizeof(*v), cmp_books);
	*out = v;
	return (int)n;
}

int disk_books_read(const char *path, struct disk_books **out)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);
	int fd, ret;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	ret = disk_books_parse(buf, len, out);
out:
	close(fd);
	free(buf);
	return ret;
}

const struct disk_books *disk_books_find(const struct disk_books *b, size_t n, unsigned int major,
					 unsigned int minor)
{
	struct disk_books key = { .major = major, .minor = minor };

	return b ? bsearch(&key, b, n, sizeof(*b), cmp_books) : NULL;
}

int disk_inflight(const char *root, const char *name, uint32_t *out)
{
	unsigned long long r, w;
	char buf[64];
	int err = read_attr(root, name, "inflight", buf, sizeof(buf));

	if (err)
		return err;
	if (sscanf(buf, "%llu %llu", &r, &w) != 2)
		return -EINVAL;
	*out = (uint32_t)(r + w);
	return 0;
}
