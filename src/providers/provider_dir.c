// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The provider directory (/etc/kstatd/providers.d by default): drop a
 * .bpf.o in and it is verified, loaded and attached; remove it and it is
 * detached, its kstats deleted and its pins removed; replace it and it is
 * reloaded (its pins reused if the layout still fits).  inotify only says
 * that something changed; a rescan compares each file with what was
 * loaded, so a burst of events costs one rescan and a half-written file
 * is simply looked at again when it changes.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader_impl.h"
#include "log.h"
#include "pins.h"

#define DIR_EVENTS                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | \
	 IN_MOVE_SELF)

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A refused file is looked at again only once it changed (content or mode) */
static struct refusal *find_refusal(struct loader *ld, const char *path, const struct stat *st)
{
	for (size_t i = 0; i < ld->nrefused; i++)
		if (strcmp(ld->refused[i].path, path) == 0 &&
		    (!st || (same_file(&ld->refused[i].st, st) &&
			     ld->refused[i].st.st_ctim.tv_sec == st->st_ctim.tv_sec &&
			     ld->refused[i].st.st_ctim.tv_nsec == st->st_ctim.tv_nsec)))
			return &ld->refused[i];
	return NULL;
}

static void forget_refusal(struct loader *ld, struct refusal *r)
{
	free(r->path);
	*r = ld->refused[--ld->nrefused];
}

static void refuse(struct loader *ld, const char *path, const struct stat *st, const char *why)
{
	struct refusal *r = find_refusal(ld, path, NULL), *nr;

	log_err("provider %s refused: %s", path, why);
	__atomic_add_fetch(&ld->nrefusals, 1, __ATOMIC_RELAXED);
	if (r) {
		r->st = *st;
		return;
	}
	nr = realloc(ld->refused, (ld->nrefused + 1) * sizeof(*nr));
	if (!nr)
		return;
	ld->refused = nr;
	nr[ld->nrefused].path = strdup(path);
	nr[ld->nrefused].st = *st;
	if (nr[ld->nrefused].path)
		ld->nrefused++;
}

static void unload(struct loader *ld, struct provider *p, const char *why)
{
	char pins[PATH_MAX];
	int err;

	log_info("%s: %s: unloading it", p->name, why);
	snprintf(pins, sizeof(pins), "%s/%s", ld->pin_path ? ld->pin_path : "", p->name);
	loader_drop(ld, p);
	if (ld->pin_path && (err = pins_remove(pins)))
		log_warn("cannot remove the pins under %s: %s", pins, strerror(-err));
}

static void consider(struct loader *ld, const char *path, const struct stat *st)
{
	char err[512];
	int ret;

	for (size_t i = 0; i < ld->nprovs; i++) {
		struct provider *p = ld->provs[i];

		if (!p->from_dir || strcmp(p->path, path) != 0)
			continue;
		if (same_file(&p->st, st))
			return;
		/* replaced: reload, keeping the pins so counters continue if they fit */
		log_info("%s: %s changed: reloading it", p->name, path);
		loader_drop(ld, p);
		break;
	}
	if (find_refusal(ld, path, st))
		return;
	if (!S_ISREG(st->st_mode)) {
		refuse(ld, path, st,
		       S_ISLNK(st->st_mode)
			       ? "a symbolic link: a provider in the directory must be a regular "
				 "file (copy it in)"
			       : "not a regular file (a FIFO, device or directory)");
		return;
	}
	if (!loader_safe_owner(st)) {
		refuse(ld, path, st, "writable by a user other than root: fix its owner and mode");
		return;
	}
	ret = loader_load_file(ld, path, true, true, err, sizeof(err));
	if (ret) {
		refuse(ld, path, st, err);
		return;
	}
	log_info("provider %s loaded from the provider directory", path);
}

void dir_rescan(struct loader *ld)
{
	struct stat dst;
	struct dirent *de;
	DIR *d;

	if (!ld->dir)
		return;
	d = opendir(ld->dir);
	if (!d || fstat(dirfd(d), &dst)) {
		log_warn("provider directory %s: %s", ld->dir, strerror(errno));
		if (d)
			closedir(d);
		return;
	}
	if (!loader_safe_owner(&dst)) {
		log_err("provider directory %s is writable by a user other than root: not loading "
			"from it",
			ld->dir);
		closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		size_t len = strlen(de->d_name);
		struct stat st;

		if (len <= 6 || strcmp(de->d_name + len - 6, ".bpf.o") != 0 || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", ld->dir, de->d_name) >=
			    (int)sizeof(path) ||
		    lstat(path, &st))
			continue;
		consider(ld, path, &st);
	}
	closedir(d);

	for (size_t i = ld->nprovs; i-- > 0;) {
		struct provider *p = ld->provs[i];
		struct stat st;

		if (!p->from_dir)
			continue;
		if (lstat(p->path, &st) != 0)
			unload(ld, p, "its file was removed");
		else if (!S_ISREG(st.st_mode))
			unload(ld, p, "its file was replaced by a link or a special file");
	}
	for (size_t i = ld->nrefused; i-- > 0;) {
		struct stat st;

		if (lstat(ld->refused[i].path, &st) != 0)
			forget_refusal(ld, &ld->refused[i]);
	}
}

int loader_watch_dir(struct loader *ld, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	ld->dir = strdup(dir);
	if (!ld->dir)
		return -ENOMEM;
	ld->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ld->watch_fd < 0 || inotify_add_watch(ld->watch_fd, dir, DIR_EVENTS) < 0) {
		/* still scanned once; without inotify changes need a restart */
		log_warn("cannot watch %s: %s: new providers there need a restart", dir,
			 strerror(errno));
		if (ld->watch_fd >= 0)
			close(ld->watch_fd);
		ld->watch_fd = -1;
	}
	ld->rescan = true;
	return 0;
}

bool loader_safe_owner(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

void dir_free(struct loader *ld)
{
	if (ld->watch_fd >= 0)
		close(ld->watch_fd);
	ld->watch_fd = -1;
	for (size_t i = 0; i < ld->nrefused; i++)
		free(ld->refused[i].path);
	free(ld->refused);
	ld->refused = NULL;
	ld->nrefused = 0;
	free(ld->dir);
	ld->dir = NULL;
}
