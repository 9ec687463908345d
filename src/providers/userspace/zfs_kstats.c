// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * /proc/spl/kstat/<module>/<name> as <module>:0:<name>: the instance is
 * always 0 (the SPL allows no other), a module with '/' is a directory
 * per level (zfs/<pool>).  The files carry no class: an IO kstat (a
 * pool's) is class disk, a dataset's objset-* class dataset, as OpenZFS
 * creates them, the rest misc.  Names illumos cannot hold (30 characters)
 * are left out, said once.  Each read reads the file again; a file whose
 * shape changed (other statistics) fails its reads with EAGAIN until the
 * next sync makes a new kstat of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os/log.h"
#include "os/readall.h"
#include "engine/snapshot.h"
#include "spl_parse.h"
#include "zfs_kstats.h"

#define FILE_MAX_BYTES (16U << 20)
#define MAX_DEPTH 4

struct zk_file {
	struct zfs_kstats *zk;
	char *rel; /* module/name under the directory */
	char module[KSTAT_STRLEN], name[KSTAT_STRLEN];
	kstat_t *ksp; /* NULL: none (yet) */
	struct spl_kstat cur;
	struct snap_stat_meta *meta; /* NAMED: a unit from each name's suffix */
	bool stale;                  /* the shape changed: recreate at the next sync */
	bool seen;
	bool named; /* module and name fit illumos's */
	bool said;  /* why it has no kstat, logged */
};

struct zfs_kstats {
	struct snap *snap;
	char *dir;
	struct zk_file **files; /* sorted by rel */
	size_t n, cap;
	bool said_missing;
};

/* The whole file; 0 or -errno */
static int read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = readall(fd, FILE_MAX_BYTES, buf, len);
	close(fd);
	return err;
}

static int load(const struct zk_file *f, struct spl_kstat *k)
{
	char path[PATH_MAX], *text;
	size_t len;
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", f->zk->dir, f->rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = read_file(path, &text, &len);
	if (err)
		return err;
	err = spl_parse(text, len, k);
	free(text);
	return err;
}

/* Point the kstat at cur (with the kstat locked, or not yet installed) */
static void expose(struct zk_file *f)
{
	f->ksp->ks_data = f->cur.data;
	f->ksp->ks_ndata = f->cur.type == KSTAT_TYPE_RAW ? (uint_t)f->cur.size : f->cur.ndata;
	f->ksp->ks_data_size = f->cur.size;
}

static int zk_update(kstat_t *ksp, int rw)
{
	struct zk_file *f = ksp->ks_private;
	struct spl_kstat k;
	int err;

	if (rw == KSTAT_WRITE)
		return EACCES;
	if (f->stale)
		return EAGAIN;
	err = load(f, &k);
	if (err == -ENOENT)
		return ENXIO; /* the file went: so does the kstat, at the next sync */
	if (err)
		return EIO;
	if (!spl_same_shape(&f->cur, &k)) {
		spl_kstat_free(&k);
		f->stale = true;
		return EAGAIN;
	}
	spl_kstat_free(&f->cur);
	f->cur = k;
	expose(f);
	return 0;
}

/*
 * The queue times of an IO kstat are the SPL's gethrtime(), the raw
 * monotonic clock: the work still queued is added up to now on that clock.
 */
static int zk_io_snapshot(kstat_t *ksp, void *buf, int rw)
{
	kstat_io_t *kio = buf;
	struct timespec ts;
	hrtime_t now;

	if (rw == KSTAT_WRITE)
		return EACCES;
	ksp->ks_snaptime = snap_read_time();
	memcpy(buf, ksp->ks_data, sizeof(*kio));
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	now = (hrtime_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (kio->wcnt && now > kio->wlastupdate) {
		kio->wtime += now - kio->wlastupdate;
		kio->wlentime += (hrtime_t)kio->wcnt * (now - kio->wlastupdate);
		kio->wlastupdate = now;
	}
	if (kio->rcnt && now > kio->rlastupdate) {
		kio->rtime += now - kio->rlastupdate;
		kio->rlentime += (hrtime_t)kio->rcnt * (now - kio->rlastupdate);
		kio->rlastupdate = now;
	}
	return 0;
}

/*
 * The SPL says nothing of kinds or units; a name's suffix gives the unit
 * (max_completion_us), so that Prometheus gets base units.
 */
static struct snap_stat_meta *named_meta(const struct spl_kstat *k)
{
	static const char *const units[][2] = {
		{ "_ns", "ns" },
		{ "_us", "us" },
		{ "_ms", "ms" },
		{ "_bytes", "bytes" },
	};
	struct snap_stat_meta *meta = calloc(k->ndata ? k->ndata : 1, sizeof(*meta));
	const kstat_named_t *kn = k->data;

	for (uint_t i = 0; meta && i < k->ndata; i++) {
		size_t len = strlen(kn[i].name);

		meta[i].kind = SNAP_UNTYPED;
		meta[i].help = "OpenZFS statistic, from /proc/spl/kstat";
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
			size_t sl = strlen(units[u][0]);

			if (len > sl && strcmp(kn[i].name + len - sl, units[u][0]) == 0)
				meta[i].unit = units[u][1];
		}
	}
	return meta;
}

static const char *class_of(const struct zk_file *f)
{
	if (f->cur.type == KSTAT_TYPE_IO)
		return "disk";
	return strncmp(f->name, "objset-", 7) == 0 ? "dataset" : "misc";
}

/* Make f's kstat from the file as it is now: 0, or -errno (f stays without one) */
static int create(struct zk_file *f)
{
	uchar_t flags = KSTAT_FLAG_VIRTUAL;
	uint_t ndata;
	int err;

	spl_kstat_free(&f->cur);
	err = load(f, &f->cur);
	if (err)
		return err;
	if (f->cur.skipped)
		log_info("%s/%s: %u statistics left out: their names are longer than 30 "
			 "characters",
			 f->zk->dir, f->rel, f->cur.skipped);
	if (f->cur.type == KSTAT_TYPE_NAMED || f->cur.type == KSTAT_TYPE_RAW)
		flags |= KSTAT_FLAG_VAR_SIZE;
	ndata = f->cur.type == KSTAT_TYPE_RAW ? (uint_t)f->cur.size : f->cur.ndata;
	f->ksp = snap_create(f->zk->snap, f->module, 0, f->name, class_of(f), f->cur.type, ndata,
			     flags);
	if (!f->ksp)
		return -errno;
	/* when the SPL created it: the counters began then */
	if (f->cur.crtime > 0 && f->cur.crtime < f->ksp->ks_crtime)
		f->ksp->ks_crtime = f->cur.crtime;
	f->ksp->ks_private = f;
	f->ksp->ks_update = zk_update;
	if (f->cur.type == KSTAT_TYPE_IO)
		f->ksp->ks_snapshot = zk_io_snapshot;
	if (f->cur.type == KSTAT_TYPE_NAMED && (f->meta = named_meta(&f->cur)))
		snap_set_meta(f->ksp, f->meta);
	expose(f);
	snap_install(f->zk->snap, f->ksp);
	return 0;
}

static void drop(struct zk_file *f)
{
	if (f->ksp)
		snap_delete(f->zk->snap, f->ksp);
	f->ksp = NULL;
	free(f->meta);
	f->meta = NULL;
	f->stale = false;
	spl_kstat_free(&f->cur);
}

static size_t find(const struct zfs_kstats *zk, const char *rel, bool *found)
{
	size_t lo = 0, hi = zk->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(zk->files[mid]->rel, rel);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* A file seen: 1 if its kstat was created or recreated, 0, or -ENOMEM */
static int visit(struct zfs_kstats *zk, const char *module, const char *name)
{
	char rel[PATH_MAX];
	struct zk_file *f;
	bool found, stale;
	size_t at;
	int err, changes = 0;

	if (snprintf(rel, sizeof(rel), "%s/%s", module, name) >= (int)sizeof(rel))
		return 0;
	at = find(zk, rel, &found);
	if (found) {
		f = zk->files[at];
		f->seen = true;
		if (!f->named)
			return 0;
		if (f->ksp) {
			snap_ks_lock(f->ksp);
			stale = f->stale;
			snap_ks_unlock(f->ksp);
			if (!stale)
				return 0;
			drop(f);
			changes++;
		}
	} else {
		struct zk_file **nf;

		if (zk->n == zk->cap) {
			nf = realloc(zk->files, (zk->cap ? zk->cap * 2 : 64) * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			zk->files = nf;
			zk->cap = zk->cap ? zk->cap * 2 : 64;
		}
		f = calloc(1, sizeof(*f));
		if (!f || !(f->rel = strdup(rel))) {
			free(f);
			return -ENOMEM;
		}
		f->zk = zk;
		f->seen = true;
		memmove(&zk->files[at + 1], &zk->files[at], (zk->n - at) * sizeof(*zk->files));
		zk->files[at] = f;
		zk->n++;
		if (strlen(module) >= KSTAT_STRLEN || strlen(name) >= KSTAT_STRLEN) {
			log_info("%s/%s: no kstat: illumos names have at most 30 characters",
				 zk->dir, rel);
			return 0;
		}
		strcpy(f->module, module);
		strcpy(f->name, name);
		f->named = true;
	}
	/* a file that could not be read or parsed is tried again each sync */
	err = create(f);
	if (err) {
		if (!f->said)
			log_warn("%s/%s: no kstat: %s", zk->dir, rel,
				 err == -EINVAL ? "not in the SPL kstat format" : strerror(-err));
		f->said = true;
		return changes;
	}
	f->said = false;
	return changes + 1;
}

/* The files under dir/module, to depth; returns kstats created, or -errno */
static int walk(struct zfs_kstats *zk, const char *module, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	int changes = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", zk->dir, module[0] ? "/" : "", module);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		unsigned char type = de->d_type;
		char sub[PATH_MAX];
		struct stat st;
		int r;

		if (de->d_name[0] == '.')
			continue;
		if (type == DT_UNKNOWN && fstatat(dirfd(d), de->d_name, &st, 0) == 0)
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : type;
		if (type == DT_DIR && depth < MAX_DEPTH) {
			if (snprintf(sub, sizeof(sub), "%s%s%s", module, module[0] ? "/" : "",
				     de->d_name) >= (int)sizeof(sub))
				continue;
			r = walk(zk, sub, depth + 1);
		} else if (type == DT_REG && module[0]) {
			r = visit(zk, module, de->d_name);
		} else {
			continue;
		}
		if (r < 0) {
			closedir(d);
			return r;
		}
		changes += r;
	}
	closedir(d);
	return changes;
}

int zfs_kstats_sync(struct zfs_kstats *zk)
{
	struct stat st;
	size_t kept = 0;
	int changes;

	for (size_t i = 0; i < zk->n; i++)
		zk->files[i]->seen = false;
	if (stat(zk->dir, &st) != 0 && !zk->said_missing) {
		zk->said_missing = true;
		log_info("%s: %s: no ZFS kstats until it appears", zk->dir, strerror(errno));
	}
	changes = walk(zk, "", 0);
	if (changes < 0)
		return changes;
	for (size_t i = 0; i < zk->n; i++) {
		struct zk_file *f = zk->files[i];

		if (f->seen) {
			zk->files[kept++] = f;
			continue;
		}
		changes += f->ksp != NULL;
		drop(f);
		free(f->rel);
		free(f);
	}
	zk->n = kept;
	return changes;
}

struct zfs_kstats *zfs_kstats_new(struct snap *s, const char *dir)
{
	struct zfs_kstats *zk = calloc(1, sizeof(*zk));

	if (!zk)
		return NULL;
	zk->snap = s;
	zk->dir = strdup(dir);
	if (!zk->dir) {
		free(zk);
		errno = ENOMEM;
		return NULL;
	}
	return zk;
}

void zfs_kstats_free(struct zfs_kstats *zk)
{
	if (!zk)
		return;
	for (size_t i = 0; i < zk->n; i++) {
		drop(zk->files[i]);
		free(zk->files[i]->rel);
		free(zk->files[i]);
	}
	free(zk->files);
	free(zk->dir);
	free(zk);
}
