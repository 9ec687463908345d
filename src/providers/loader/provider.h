/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A provider: one BPF object (built in, or a .bpf.o file) whose kstat
 * maps are served as kstats, one pmap each (providers/maps/pmap.h).
 * Opening reads and checks the object; loading pins its maps under
 * <pin path>/<provider>/<map> and has the kernel verify its programs;
 * attaching and detaching are separate, since an attached program costs
 * on every event even when it does nothing.  The loader (loader.h) holds
 * the set of providers; a provider knows nothing of it.
 */
#ifndef __KSTATD_PROVIDER_H
#define __KSTATD_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <sys/kstat.h>

#include "os/bpf_apart.h"

struct bpf_object;
struct bpf_link;
struct btf;
struct pmap;
struct provider_ext;
struct refresh;
struct snap;
struct snap_stat_meta;

enum provider_self_stat {
	SELF_ATTACHED,
	SELF_KSTATS,
	SELF_MAPS,
	SELF_PROGRAMS,
	SELF_RUN_COUNT,
	SELF_RUN_TIME,
	SELF_RUN_MISSES,
	SELF_MAP_DROPS,
	SELF_MAP_ENTRIES,
	SELF_MAP_CAPACITY,
	SELF_NSTATS,
};

/* An attached program: libbpf's link, or a descriptor (loaded apart) */
struct provider_link {
	struct bpf_link *lib;
	int fd;
};

struct provider {
	char name[KSTAT_STRLEN];
	char *path;     /* NULL for a built-in */
	bool from_dir;  /* found in the provider directory */
	struct stat st; /* the file as it was loaded */
	struct bpf_object *obj;
	struct snap *snap; /* where its kstats are, once loaded */
	struct pmap **pmaps;
	size_t npmaps;
	int *prog_fds; /* the i-th program's, -1 if unloaded */
	size_t nprogs;
	bool prepared; /* what its load needs of the kernel's BTF is done */
	bool apart;    /* loaded in a child (os/bpf_apart.h): prog_fds are ours, obj unloaded */
	struct provider_link *links;
	size_t nlinks;
	struct refresh *refresh; /* its refresh programs (providers/maps/refresh.h), or NULL */
	struct refresh *refresh_shared;    /* those for maps it shares (KSTAT_REFRESH_SHARED) */
	bool attached;                     /* the sync thread's view */
	bool want;                         /* the loader's, under its lock */
	const volatile uint64_t *drops;    /* kstat_map_drops in the mmapped .bss */
	const volatile uint64_t *keys_gen; /* kstat_keys_gen there */
	void *bss;
	size_t bss_size;
	kstat_t *self;
	kstat_named_t *self_data; /* SELF_NSTATS, then the extension's */
	struct snap_stat_meta *self_meta;
	const struct provider_ext *ext; /* a built-in's own userspace, or NULL */
	void *ext_priv;
};

/* What loading a provider needs of what is around it */
struct provider_env {
	struct snap *snap;
	const char *pin_path;    /* bpffs directory; NULL: no pinning */
	unsigned int max_kstats; /* per map */
	unsigned int sync_pace;  /* pmap_info's */
	/* the providers loaded before: kstat.shared maps are theirs */
	struct provider *const *loaded;
	size_t nloaded;
};

/*
 * Open a provider from a file, once and without following a link when it
 * comes from the provider directory; NULL with err filled on failure.
 */
struct provider *provider_open_file(const char *path, bool enabled, bool from_dir, char *err,
				    size_t errlen);
/* Open a built-in from its ELF bytes; NULL with errno set on failure. */
struct provider *provider_open_mem(const char *name, const void *bytes, size_t size, bool enabled);
/* Owned by root and writable by no one else: BPF programs run in the kernel */
bool provider_safe_owner(const struct stat *st);

#define PROVIDER_ERRLEN BPF_APART_ERRLEN

/*
 * Prepare ps[0..n) for their loads in one child process, from one parse
 * of the kernel's BTF: tracepoints the kernel lacks, per-CPU facts, a
 * built-in's own choices.  rets[i] is 0 or -errno, errs[i] says why.  A
 * provider that child did not get to (it could not start, or died) is
 * left unprepared with rets[i] 0: it prepares where it loads.
 */
void provider_prepare_all(struct provider *const *ps, size_t n, int *rets,
			  char (*errs)[PROVIDER_ERRLEN]);

/*
 * Check, pin and load p and make a pmap of each kstat map; its kstats
 * appear at the next pmap_reconcile().  The load, and its prepare where
 * provider_prepare_all() did not do it, happen in a child process
 * (os/bpf_apart.h) when every program can be attached from its
 * descriptor, in kstatd otherwise.  On failure nothing of it stays
 * pinned that was not before, and err says why.  Returns 0 or -errno.
 */
int provider_load(struct provider *p, const struct provider_env *env, char *err, size_t errlen);
/* Attach every program it loaded; 0 or -errno (then nothing is attached). */
int provider_attach(struct provider *p);
void provider_detach(struct provider *p);
/* Delete its kstats, detach and close it; its pins stay.  NULL is accepted. */
void provider_free(struct provider *p);

/* provider_self.c: kstatd:0:<provider>, what a provider costs and holds */
int provider_self_create(struct provider *p);

/*
 * p's refresh programs run before each read of the maps it shares from
 * providers among loaded (KSTAT_SHARED: the statistics it fills there),
 * while it is attached: add registers them with those maps, !add takes
 * them back before p goes.
 */
void provider_share_refresh(struct provider *p, struct provider *const *loaded, size_t n, bool add);

#endif /* __KSTATD_PROVIDER_H */
