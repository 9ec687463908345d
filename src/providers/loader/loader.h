/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Providers: BPF objects (built in, or .bpf.o files) whose kstat maps the
 * loader opens, pins, loads and attaches, and whose kstats it keeps in
 * step with the maps.  Also kstatd:0:config (one UINT64 per provider:
 * 1 attached, 0 detached) and each provider's self statistics.
 */
#ifndef __KSTATD_LOADER_H
#define __KSTATD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct snap;
struct loader;
struct provider;

struct loader_opts {
	const char *pin_path;    /* bpffs directory; NULL: no pinning */
	bool reset;              /* remove pinned maps first: counters start at 0 */
	bool no_builtin;         /* only the providers added by file */
	unsigned int max_kstats; /* per map of a provider; 0: LOADER_MAX_KSTATS */
	unsigned int sync_pace;  /* a map's sync waits this many times its last; 0: never */
};

/* kstats one map may have: a map that declares more is refused, one that holds more truncated */
#define LOADER_MAX_KSTATS 131072

/*
 * Take the pin path (one kstatd per pin path), load the built-in
 * providers and create kstatd:0:config.  Nothing is attached until
 * loader_sync().  NULL with errno set, and a logged reason, on failure.
 */
struct loader *loader_new(struct snap *s, const struct loader_opts *opts);
/* Detach everything and free; pinned maps stay.  NULL is accepted. */
void loader_free(struct loader *ld);

/*
 * Add a provider from a .bpf.o file; enabled says whether it attaches at
 * the next sync.  Returns 0, or -errno with a message in err.
 */
int loader_add_file(struct loader *ld, const char *path, bool enabled, char *err, size_t errlen);
/*
 * Watch dir for provider files (*.bpf.o): the next syncs load new ones,
 * unload removed ones (and their pins) and reload replaced ones.  A file
 * that is not a provider, or is writable by anyone but root, is refused
 * with a logged reason and counted, and not retried until it changes.
 * -ENOENT if dir does not exist (nothing is watched then).
 */
int loader_watch_dir(struct loader *ld, const char *dir);
/* Provider files refused so far */
uint64_t loader_refusals(struct loader *ld);

/* Remove a provider and its kstats; -ENOENT if there is none by that name. */
int loader_remove(struct loader *ld, const char *name);

/*
 * Whether the provider called name, loaded now or later (from the
 * provider directory), starts attached.  -EINVAL for a bad name.
 */
int loader_prefer(struct loader *ld, const char *name, bool enabled);

/* Ask for a provider to be attached (true) or detached at the next sync. */
int loader_set_enabled(struct loader *ld, const char *name, bool enabled);

/*
 * Apply wanted attach states and bring every provider's kstats in step
 * with its maps (entries that appeared or went).  Returns the number of
 * kstats created or deleted, or -errno.  One caller at a time.
 */
int loader_sync(struct loader *ld);

/* Block until a config write asks for a sync or timeout_ms passes. */
void loader_wait(struct loader *ld, int timeout_ms);
/* Wake loader_wait() (for shutdown). */
void loader_kick(struct loader *ld);

/*
 * For tests: the provider called name (provider.h), or NULL.  Only the
 * sync thread may use it: it alone changes the set.
 */
struct provider *loader_find(struct loader *ld, const char *name);
/* For tests and logs: is a provider attached now?  -ENOENT if unknown. */
int loader_attached(struct loader *ld, const char *name);
/* Number of providers, and the name of the i-th (NULL past the end). */
size_t loader_count(struct loader *ld);
const char *loader_name(struct loader *ld, size_t i);
/* Entries all providers dropped because a map was full */
uint64_t loader_map_drops(struct loader *ld);

#endif /* __KSTATD_LOADER_H */
