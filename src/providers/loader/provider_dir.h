/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The provider directory (/etc/kstatd/providers.d by default): which
 * provider files are there, watched with inotify, and which were refused
 * (not looked at again until they change).  The loader decides what to
 * load and unload from what a scan finds.
 */
#ifndef __KSTATD_PROVIDER_DIR_H
#define __KSTATD_PROVIDER_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct pdir;

/* A provider file (*.bpf.o) as a scan found it, not followed if a link */
struct pdir_file {
	char *path;
	struct stat st;
};

/*
 * Watch dir.  NULL with errno: ENOENT when it is not a directory,
 * ENOMEM.  Without inotify it is still scanned (a warning says so).
 */
struct pdir *pdir_open(const char *dir);
/* NULL is accepted. */
void pdir_free(struct pdir *d);

/* The inotify descriptor to poll, or -1; pdir_drain() once it is readable. */
int pdir_fd(const struct pdir *d);
void pdir_drain(struct pdir *d);

/*
 * The provider files in the directory now, but those refused that have
 * not changed since; forgets refusals of files that went.  0, or -errno
 * (logged) when the directory cannot be read or anyone but root may
 * write to it.  Free the files with pdir_files_free().
 */
int pdir_scan(struct pdir *d, struct pdir_file **files, size_t *n);
void pdir_files_free(struct pdir_file *files, size_t n);

/* Refuse a file (logged, counted) until it changes */
void pdir_refuse(struct pdir *d, const char *path, const struct stat *st, const char *why);
/* Files refused so far; 0 for NULL */
uint64_t pdir_refusals(const struct pdir *d);

/* The same file, unchanged: device, inode, size and modification time */
bool pdir_same_file(const struct stat *a, const struct stat *b);

#endif /* __KSTATD_PROVIDER_DIR_H */
