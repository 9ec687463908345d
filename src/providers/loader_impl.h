/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The loader's internals, shared by loader.c, loader_kstats.c and provider_dir.c. */
#ifndef __KSTATD_LOADER_IMPL_H
#define __KSTATD_LOADER_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "loader.h"
#include "snapshot.h"

enum self_stat {
	SELF_ATTACHED,
	SELF_KSTATS,
	SELF_MAPS,
	SELF_PROGRAMS,
	SELF_RUN_COUNT,
	SELF_RUN_TIME,
	SELF_MAP_DROPS,
	SELF_MAP_ENTRIES,
	SELF_MAP_CAPACITY,
	SELF_NSTATS,
};

struct provider {
	char name[KSTAT_STRLEN];
	char *path;     /* NULL for a built-in */
	bool from_dir;  /* found in the provider directory */
	struct stat st; /* the file as it was loaded */
	struct bpf_object *obj;
	struct pmap **pmaps;
	size_t npmaps;
	struct bpf_link **links;
	size_t nlinks;
	bool attached;                  /* sync thread's view */
	bool want;                      /* under ld->lock */
	const volatile uint64_t *drops; /* kstat_map_drops in the mmapped .bss */
	void *bss;
	size_t bss_size;
	kstat_t *self;
	kstat_named_t self_data[SELF_NSTATS];
};

struct loader {
	struct snap *snap;
	char *pin_path;
	int pin_lock_fd;
	struct kidstore *kids; /* kids unique across restarts */
	pthread_mutex_t lock;
	int kick_fd;             /* eventfd: wakes loader_wait() */
	int watch_fd;            /* inotify on the provider directory, or -1 */
	char *dir;               /* the provider directory, or NULL */
	bool rescan;             /* the directory changed: look again */
	struct refusal *refused; /* files refused, so they are not retried unchanged */
	size_t nrefused;
	uint64_t nrefusals;
	struct preference *prefs; /* --enable/--disable, by provider name */
	size_t nprefs;
	struct provider **provs;
	size_t nprovs;
	bool cfg_stale; /* the provider set changed */
	kstat_t *cfg;
	kstat_named_t *cfg_data;
	struct snap_stat_meta *cfg_meta;
	size_t cfg_n;
};

struct preference {
	char name[KSTAT_STRLEN];
	bool enabled;
};

/* A provider file that was refused, as it was when refused */
struct refusal {
	char *path;
	struct stat st;
};

struct provider *loader_find(struct loader *ld, const char *name);
/* Load p and make it part of the loader; on failure err says why. */
int loader_add(struct loader *ld, struct provider *p, char *err, size_t errlen);
/* Take p out of the loader, detach it and free it. */
void loader_drop(struct loader *ld, struct provider *p);
/* Open a provider from a file; NULL with err filled on failure. */
struct provider *loader_open_file(const char *path, bool enabled, bool from_dir, char *err,
				  size_t errlen);
/* Owned by root and writable by no one else: BPF programs run in the kernel */
bool loader_safe_owner(const struct stat *st);
/* Open and add a provider file; -errno with err filled on failure. */
int loader_load_file(struct loader *ld, const char *path, bool enabled, bool from_dir, char *err,
		     size_t errlen);

/* kstatd:0:<provider> */
int self_create(struct loader *ld, struct provider *p);
/* kstatd:0:config, recreated whenever providers come or go */
int cfg_rebuild(struct loader *ld);

/* The provider directory: rescan it and bring the providers in step */
void dir_rescan(struct loader *ld);
void dir_free(struct loader *ld);

#endif /* __KSTATD_LOADER_IMPL_H */
