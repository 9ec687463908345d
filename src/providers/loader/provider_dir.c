// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The provider directory: drop a .bpf.o in and the loader verifies,
 * loads and attaches it; remove it and it is detached, its kstats deleted
 * and its pins removed; replace it and it is reloaded (its pins reused if
 * the layout still fits).  inotify only says that something changed; a
 * scan lists what is there, so a burst of events costs one scan and a
 * half-written file is simply looked at again when it changes.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "os/log.h"
#include "provider.h"
#include "provider_dir.h"

#define DIR_EVENTS                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | \
	 IN_MOVE_SELF)

/* A provider file that was refused, as it was when refused */
struct refusal {
	char *path;
	struct stat st;
};

struct pdir {
	char *dir;
	int watch_fd; /* inotify, or -1 */
	struct refusal *refused;
	size_t nrefused;
	uint64_t nrefusals;
};

bool pdir_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A refused file is looked at again only once it changed (content or mode) */
static struct refusal *find_refusal(struct pdir *d, const char *path, const struct stat *st)
{
	for (size_t i = 0; i < d->nrefused; i++)
		if (strcmp(d->refused[i].path, path) == 0 &&
		    (!st || (pdir_same_file(&d->refused[i].st, st) &&
			     d->refused[i].st.st_ctim.tv_sec == st->st_ctim.tv_sec &&
			     d->refused[i].st.st_ctim.tv_nsec == st->st_ctim.tv_nsec)))
			return &d->refused[i];
	return NULL;
}

static void forget_refusal(struct pdir *d, struct refusal *r)
{
	free(r->path);
	*r = d->refused[--d->nrefused];
}

void pdir_refuse(struct pdir *d, const char *path, const struct stat *st, const char *why)
{
	struct refusal *r = find_refusal(d, path, NULL), *nr;

	log_err("provider %s refused: %s", path, why);
	__atomic_add_fetch(&d->nrefusals, 1, __ATOMIC_RELAXED);
	if (r) {
		r->st = *st;
		return;
	}
	nr = realloc(d->refused, (d->nrefused + 1) * sizeof(*nr));
	if (!nr)
		return;
	d->refused = nr;
	nr[d->nrefused].path = strdup(path);
	nr[d->nrefused].st = *st;
	if (nr[d->nrefused].path)
		d->nrefused++;
}

uint64_t pdir_refusals(const struct pdir *d)
{
	return d ? __atomic_load_n(&d->nrefusals, __ATOMIC_RELAXED) : 0;
}

static int add_file(struct pdir_file **files, size_t *n, size_t *cap, const char *path,
		    const struct stat *st)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct pdir_file *nf = realloc(*files, ncap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		*files = nf;
		*cap = ncap;
	}
	(*files)[*n].path = strdup(path);
	if (!(*files)[*n].path)
		return -ENOMEM;
	(*files)[(*n)++].st = *st;
	return 0;
}

int pdir_scan(struct pdir *d, struct pdir_file **files, size_t *n)
{
	size_t cap = 0;
	struct stat dst;
	struct dirent *de;
	int err = 0;
	DIR *dir;

	*files = NULL;
	*n = 0;
	dir = opendir(d->dir);
	if (!dir || fstat(dirfd(dir), &dst)) {
		err = -errno;
		log_warn("provider directory %s: %s", d->dir, strerror(errno));
		if (dir)
			closedir(dir);
		return err;
	}
	if (!provider_safe_owner(&dst)) {
		log_err("provider directory %s is writable by a user other than root: not loading "
			"from it",
			d->dir);
		closedir(dir);
		return -EPERM;
	}
	while (!err && (de = readdir(dir))) {
		char path[PATH_MAX];
		size_t len = strlen(de->d_name);
		struct stat st;

		if (len <= 6 || strcmp(de->d_name + len - 6, ".bpf.o") != 0 || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", d->dir, de->d_name) >=
			    (int)sizeof(path) ||
		    lstat(path, &st) || find_refusal(d, path, &st))
			continue;
		err = add_file(files, n, &cap, path, &st);
	}
	closedir(dir);
	for (size_t i = d->nrefused; i-- > 0;) {
		struct stat st;

		if (lstat(d->refused[i].path, &st) != 0)
			forget_refusal(d, &d->refused[i]);
	}
	if (err) {
		pdir_files_free(*files, *n);
		*files = NULL;
		*n = 0;
	}
	return err;
}

void pdir_files_free(struct pdir_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
}

struct pdir *pdir_open(const char *dir)
{
	struct pdir *d;
	struct stat st;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		errno = ENOENT;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !(d->dir = strdup(dir))) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->watch_fd < 0 || inotify_add_watch(d->watch_fd, dir, DIR_EVENTS) < 0) {
		/* still scanned once; without inotify changes need a restart */
		log_warn("cannot watch %s: %s: new providers there need a restart", dir,
			 strerror(errno));
		if (d->watch_fd >= 0)
			close(d->watch_fd);
		d->watch_fd = -1;
	}
	return d;
}

int pdir_fd(const struct pdir *d)
{
	return d ? d->watch_fd : -1;
}

void pdir_drain(struct pdir *d)
{
	char buf[4096];

	/* what changed does not matter: the scan compares files */
	while (d->watch_fd >= 0 && read(d->watch_fd, buf, sizeof(buf)) > 0)
		;
}

void pdir_free(struct pdir *d)
{
	if (!d)
		return;
	if (d->watch_fd >= 0)
		close(d->watch_fd);
	for (size_t i = 0; i < d->nrefused; i++)
		free(d->refused[i].path);
	free(d->refused);
	free(d->dir);
	free(d);
}
