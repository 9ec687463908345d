// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The set of providers: the built-ins and those added by file or found
 * in the provider directory, the wanted state of each (kstatd:0:config,
 * --enable, --disable), and the sync that attaches, detaches and brings
 * every provider's kstats in step with its maps.
 *
 * Lock order: the engine's chain lock, a kstat's lock, then ld->lock,
 * which guards the provider array and the wanted states.  Only the sync
 * thread changes the array, and it never holds ld->lock across an engine
 * call.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "engine/snapshot.h"
#include "kidstore.h"
#include "loader.h"
#include "os/log.h"
#include "pins.h"
#include "provider.h"
#include "provider_dir.h"
#include "providers/builtin/builtin.h"
#include "providers/builtin/provider_ext.h"
#include "providers/maps/pmap.h"
#include "providers/maps/refresh.h"
#include "providers/maps/schema.h"

struct preference {
	char name[KSTAT_STRLEN];
	bool enabled;
};

struct loader {
	struct snap *snap;
	char *pin_path;
	int pin_lock_fd;
	int pin_name_fd;         /* the pin path's name, held (pins_take) */
	unsigned int max_kstats; /* per map */
	unsigned int sync_pace;
	struct kidstore *kids; /* kids unique across restarts */
	pthread_mutex_t lock;
	int kick_fd;              /* eventfd: wakes loader_wait() */
	struct pdir *dir;         /* the provider directory, or NULL */
	bool rescan;              /* the directory changed: look again */
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

/* Route libbpf's messages into our log: warnings as warnings, the rest as debug */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	log_vmsg(level == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

struct provider *loader_find(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->nprovs; i++)
		if (strcmp(ld->provs[i]->name, name) == 0)
			return ld->provs[i];
	return NULL;
}

/*
 * The statistics a provider fills in others' maps (KSTAT_FROM: sched's
 * and syscall's in cpu:N:sys) follow whether it is attached; on the sync
 * thread, which alone changes the list and the attachments.
 */
static void announce(struct loader *ld, const struct provider *p)
{
	for (size_t i = 0; i < ld->nprovs; i++)
		for (size_t m = 0; m < ld->provs[i]->npmaps; m++)
			pmap_set_attached(ld->provs[i]->pmaps[m], p->name, p->attached);
}

/* A provider just loaded learns which of those already attached fill its statistics */
static void learn_attached(struct loader *ld, struct provider *p)
{
	for (size_t i = 0; i < ld->nprovs; i++)
		for (size_t m = 0; m < p->npmaps; m++)
			pmap_set_attached(p->pmaps[m], ld->provs[i]->name, ld->provs[i]->attached);
}

/* Load p and make it part of the loader; on failure err says why. */
static int loader_add(struct loader *ld, struct provider *p, char *err, size_t errlen)
{
	struct provider_env env = {
		.snap = ld->snap,
		.pin_path = ld->pin_path,
		.max_kstats = ld->max_kstats,
		.sync_pace = ld->sync_pace,
		.loaded = ld->provs,
		.nloaded = ld->nprovs,
	};
	struct provider **np;
	int ret;

	if (loader_find(ld, p->name)) {
		snprintf(err, errlen, "a provider called %s is already loaded", p->name);
		return -EEXIST;
	}
	ret = provider_load(p, &env, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < ld->nprefs; i++)
		if (strcmp(ld->prefs[i].name, p->name) == 0)
			p->want = ld->prefs[i].enabled;
	ret = provider_self_create(p);
	if (ret) {
		snprintf(err, errlen, "kstatd:0:%s: %s", p->name, strerror(-ret));
		return ret;
	}
	learn_attached(ld, p);
	pthread_mutex_lock(&ld->lock);
	np = realloc(ld->provs, (ld->nprovs + 1) * sizeof(*np));
	if (np) {
		ld->provs = np;
		ld->provs[ld->nprovs++] = p;
		ld->cfg_stale = true;
	}
	pthread_mutex_unlock(&ld->lock);
	if (!np) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* p fills maps it shares, and a drop-in owner loaded again is filled by its sharers */
	provider_share_refresh(p, ld->provs, ld->nprovs, true);
	for (size_t i = 0; i + 1 < ld->nprovs; i++)
		provider_share_refresh(ld->provs[i], &p, 1, true);
	return 0;
}

/* Open and add a provider file; -errno with err filled on failure. */
static int load_file(struct loader *ld, const char *path, bool enabled, bool from_dir, char *err,
		     size_t errlen)
{
	struct provider *p = provider_open_file(path, enabled, from_dir, err, errlen);
	int ret;

	if (!p)
		return -EINVAL;
	p->from_dir = from_dir;
	ret = loader_add(ld, p, err, errlen);
	if (ret)
		provider_free(p);
	return ret;
}

int loader_add_file(struct loader *ld, const char *path, bool enabled, char *err, size_t errlen)
{
	return load_file(ld, path, enabled, false, err, errlen);
}

/* Open a built-in provider; NULL (said) on failure */
static struct provider *open_builtin(const struct builtin *b)
{
	const void *bytes;
	struct provider *p;
	size_t size;

	bytes = b->elf_bytes(&size);
	p = provider_open_mem(b->name, bytes, size, b->default_on);
	if (!p) {
		log_err("%s: open: %s", b->name, strerror(errno));
		return NULL;
	}
	p->ext = builtin_ext(b->name);
	return p;
}

/* Add a built-in provider, opened and prepared (ret: how its prepare went, err why) */
static int add_builtin(struct loader *ld, const struct builtin *b, struct provider *p, int ret,
		       char *err, size_t errlen)
{
	if (!ret)
		ret = loader_add(ld, p, err, errlen);
	if (ret) {
		log_err("%s: %s", b->name, err);
		provider_free(p);
	}
	/*
	 * The kernel has none of the books a refresh program reads (or the
	 * provider whose map this one shares was left out for that): serve
	 * the rest.
	 */
	if (ret == -ENODATA || (ret == -ENOENT && strstr(err, "kstat.shared"))) {
		log_err("%s: not loaded: its kstats are absent on this kernel", b->name);
		ret = 0;
	}
	return ret;
}

/* Take p out of the loader, detach it and free it. */
static void loader_drop(struct loader *ld, struct provider *p)
{
	pthread_mutex_lock(&ld->lock);
	for (size_t i = 0; i < ld->nprovs; i++) {
		if (ld->provs[i] == p) {
			memmove(&ld->provs[i], &ld->provs[i + 1],
				(ld->nprovs - i - 1) * sizeof(*ld->provs));
			ld->nprovs--;
			ld->cfg_stale = true;
			break;
		}
	}
	pthread_mutex_unlock(&ld->lock);
	if (p->attached) {
		provider_detach(p);
		announce(ld, p);
	}
	provider_share_refresh(p, ld->provs, ld->nprovs, false);
	provider_free(p);
}

static const struct snap_stat_meta cfg_stat_meta = {
	SNAP_GAUGE, "bool", "1 attaches the provider, 0 detaches it (writable)", NULL, 0,
};

/* kstatd:0:config reads the wanted states, and a write changes them */
static int cfg_update(kstat_t *ksp, int rw)
{
	struct loader *ld = ksp->ks_private;
	kstat_named_t *kn = ksp->ks_data;
	int err = 0;

	pthread_mutex_lock(&ld->lock);
	for (uint_t i = 0; i < ksp->ks_ndata && rw == KSTAT_WRITE; i++)
		if (kn[i].value.ui64 > 1)
			err = EINVAL;
	for (uint_t i = 0; i < ksp->ks_ndata; i++) {
		struct provider *p = loader_find(ld, kn[i].name);

		if (!p)
			continue;
		if (rw == KSTAT_WRITE && !err)
			p->want = kn[i].value.ui64 == 1;
		kn[i].value.ui64 = p->want;
	}
	pthread_mutex_unlock(&ld->lock);
	if (rw == KSTAT_WRITE && !err)
		loader_kick(ld);
	return err;
}

/* Recreate kstatd:0:config after providers came or went */
static int cfg_rebuild(struct loader *ld)
{
	struct snap_stat_meta *meta;
	kstat_named_t *data;
	kstat_t *ksp;
	size_t n;

	if (ld->cfg) {
		snap_delete(ld->snap, ld->cfg);
		ld->cfg = NULL;
	}
	free(ld->cfg_data);
	free(ld->cfg_meta);
	ld->cfg_data = NULL;
	ld->cfg_meta = NULL;
	pthread_mutex_lock(&ld->lock);
	n = ld->nprovs;
	data = calloc(n ? n : 1, sizeof(*data));
	meta = calloc(n ? n : 1, sizeof(*meta));
	for (size_t i = 0; meta && i < n; i++)
		meta[i] = cfg_stat_meta;
	for (size_t i = 0; data && i < n; i++) {
		snap_named_init(&data[i], ld->provs[i]->name, KSTAT_DATA_UINT64);
		data[i].value.ui64 = ld->provs[i]->want;
	}
	pthread_mutex_unlock(&ld->lock);
	if (!data || !meta) {
		free(data);
		free(meta);
		return -ENOMEM;
	}
	ksp = snap_create(ld->snap, "kstatd", 0, "config", "misc", KSTAT_TYPE_NAMED, (uint_t)n,
			  KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_WRITABLE);
	if (!ksp) {
		free(data);
		free(meta);
		return -errno;
	}
	ksp->ks_data = data;
	ksp->ks_private = ld;
	ksp->ks_update = cfg_update;
	snap_set_meta(ksp, meta);
	/* only now: a failed rebuild is tried again at the next sync */
	pthread_mutex_lock(&ld->lock);
	ld->cfg_stale = false;
	pthread_mutex_unlock(&ld->lock);
	ld->cfg = ksp;
	ld->cfg_data = data;
	ld->cfg_meta = meta;
	ld->cfg_n = n;
	snap_install(ld->snap, ksp);
	return 0;
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

static void consider(struct loader *ld, const struct pdir_file *f)
{
	char err[512];
	int ret;

	for (size_t i = 0; i < ld->nprovs; i++) {
		struct provider *p = ld->provs[i];

		if (!p->from_dir || strcmp(p->path, f->path) != 0)
			continue;
		if (pdir_same_file(&p->st, &f->st))
			return;
		/* replaced: reload, keeping the pins so counters continue if they fit */
		log_info("%s: %s changed: reloading it", p->name, f->path);
		loader_drop(ld, p);
		break;
	}
	if (!S_ISREG(f->st.st_mode)) {
		pdir_refuse(
			ld->dir, f->path, &f->st,
			S_ISLNK(f->st.st_mode)
				? "a symbolic link: a provider in the directory must be a regular "
				  "file (copy it in)"
				: "not a regular file (a FIFO, device or directory)");
		return;
	}
	if (!provider_safe_owner(&f->st)) {
		pdir_refuse(ld->dir, f->path, &f->st,
			    "writable by a user other than root: fix its owner and mode");
		return;
	}
	ret = load_file(ld, f->path, true, true, err, sizeof(err));
	if (ret) {
		pdir_refuse(ld->dir, f->path, &f->st, err);
		return;
	}
	log_info("provider %s loaded from the provider directory", f->path);
}

/* Bring the providers in step with the provider directory */
static void rescan(struct loader *ld)
{
	struct pdir_file *files;
	size_t n;

	if (!ld->dir || pdir_scan(ld->dir, &files, &n))
		return;
	for (size_t i = 0; i < n; i++)
		consider(ld, &files[i]);
	pdir_files_free(files, n);
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
}

int loader_watch_dir(struct loader *ld, const char *dir)
{
	ld->dir = pdir_open(dir);
	if (!ld->dir)
		return -errno;
	ld->rescan = true;
	return 0;
}

int loader_remove(struct loader *ld, const char *name)
{
	struct provider *p = loader_find(ld, name);

	if (!p)
		return -ENOENT;
	loader_drop(ld, p);
	return 0;
}

int loader_prefer(struct loader *ld, const char *name, bool enabled)
{
	struct preference *np;

	if (strlen(name) == 0 || strlen(name) >= KSTAT_STRLEN)
		return -EINVAL;
	np = realloc(ld->prefs, (ld->nprefs + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	ld->prefs = np;
	snprintf(np[ld->nprefs].name, sizeof(np->name), "%s", name);
	np[ld->nprefs++].enabled = enabled;
	(void)loader_set_enabled(ld, name, enabled);
	return 0;
}

int loader_set_enabled(struct loader *ld, const char *name, bool enabled)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&ld->lock);
	for (size_t i = 0; i < ld->nprovs; i++) {
		if (strcmp(ld->provs[i]->name, name) == 0) {
			ld->provs[i]->want = enabled;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&ld->lock);
	return ret;
}

int loader_sync(struct loader *ld)
{
	int changes = 0, ret = 0;
	bool stale;

	if (ld->rescan) {
		ld->rescan = false;
		rescan(ld);
	}
	pthread_mutex_lock(&ld->lock);
	stale = ld->cfg_stale;
	pthread_mutex_unlock(&ld->lock);
	if (stale) {
		ret = cfg_rebuild(ld);
		if (ret)
			log_err("kstatd:0:config: %s", strerror(-ret));
	}
	for (size_t i = 0; i < ld->nprovs; i++) {
		struct provider *p = ld->provs[i];
		bool want;

		pthread_mutex_lock(&ld->lock);
		want = p->want;
		pthread_mutex_unlock(&ld->lock);
		if (want && !p->attached) {
			if (provider_attach(p) < 0) {
				/* keep serving the rest; the wish stays until the next write */
				pthread_mutex_lock(&ld->lock);
				p->want = false;
				pthread_mutex_unlock(&ld->lock);
			}
			announce(ld, p);
		} else if (!want && p->attached) {
			provider_detach(p);
			announce(ld, p);
		}
		/* keyed maps get their entries, and 32-bit counts are widened in time */
		if (p->attached && p->refresh)
			(void)refresh_run(p->refresh, 0);
		for (size_t m = 0; m < p->npmaps; m++) {
			int r = pmap_reconcile(p->pmaps[m], p->attached);

			if (r < 0) {
				log_warn("%s: map %s: %s", p->name,
					 pmap_schema(p->pmaps[m])->map_name, strerror(-r));
				ret = r;
			} else {
				changes += r;
			}
		}
		if (p->ext) {
			int r = p->ext->sync(p->ext_priv, p->attached);

			if (r < 0) {
				log_warn("%s: %s", p->name, strerror(-r));
				ret = r;
			} else {
				changes += r;
			}
		}
	}
	return ret < 0 && changes == 0 ? ret : changes;
}

void loader_wait(struct loader *ld, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = ld->kick_fd, .events = POLLIN },
		{ .fd = pdir_fd(ld->dir), .events = POLLIN },
	};
	uint64_t v;

	if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, timeout_ms) <= 0)
		return;
	if (pfd[0].revents & POLLIN)
		(void)!read(ld->kick_fd, &v, sizeof(v));
	if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN)) {
		pdir_drain(ld->dir);
		ld->rescan = true;
	}
}

void loader_kick(struct loader *ld)
{
	uint64_t one = 1;

	(void)!write(ld->kick_fd, &one, sizeof(one));
}

int loader_attached(struct loader *ld, const char *name)
{
	struct provider *p = loader_find(ld, name);

	return p ? (int)__atomic_load_n(&p->attached, __ATOMIC_RELAXED) : -ENOENT;
}

size_t loader_count(struct loader *ld)
{
	return ld->nprovs;
}

const char *loader_name(struct loader *ld, size_t i)
{
	return i < ld->nprovs ? ld->provs[i]->name : NULL;
}

uint64_t loader_refusals(struct loader *ld)
{
	return pdir_refusals(ld->dir);
}

uint64_t loader_map_drops(struct loader *ld)
{
	uint64_t sum = 0;

	pthread_mutex_lock(&ld->lock);
	for (size_t i = 0; i < ld->nprovs; i++)
		sum += ld->provs[i]->drops ? *ld->provs[i]->drops : 0;
	pthread_mutex_unlock(&ld->lock);
	return sum;
}

/* Every built-in provider, all prepared in one child from one parse of the kernel's BTF */
static int add_builtins(struct loader *ld)
{
	struct provider **p = calloc(builtin_count, sizeof(*p));
	char(*errs)[PROVIDER_ERRLEN] = calloc(builtin_count, sizeof(*errs));
	int *prep = calloc(builtin_count, sizeof(*prep)), ret = 0;

	if (!p || !errs || !prep) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; !ret && i < builtin_count; i++)
		if (!(p[i] = open_builtin(&builtins[i])))
			ret = -EINVAL;
	if (!ret)
		provider_prepare_all(p, builtin_count, prep, errs);
	for (size_t i = 0; !ret && i < builtin_count; i++) {
		ret = add_builtin(ld, &builtins[i], p[i], prep[i], errs[i], sizeof(errs[i]));
		p[i] = NULL; /* the loader's, or freed */
	}
out:
	for (size_t i = 0; p && i < builtin_count; i++)
		provider_free(p[i]);
	free(p);
	free(errs);
	free(prep);
	return ret;
}

struct loader *loader_new(struct snap *s, const struct loader_opts *opts)
{
	struct loader *ld = calloc(1, sizeof(*ld));
	int err = 0;

	if (!ld)
		return NULL;
	libbpf_set_print(libbpf_print);
	ld->snap = s;
	ld->max_kstats = opts->max_kstats ? opts->max_kstats : LOADER_MAX_KSTATS;
	ld->sync_pace = opts->sync_pace;
	ld->kick_fd = -1;
	ld->pin_lock_fd = -1;
	ld->pin_name_fd = -1;
	ld->cfg_stale = true;
	pthread_mutex_init(&ld->lock, NULL);
	ld->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ld->kick_fd < 0) {
		err = -errno;
		goto err_free;
	}
	if (opts->pin_path) {
		ld->pin_path = strdup(opts->pin_path);
		if (!ld->pin_path) {
			err = -ENOMEM;
			goto err_free;
		}
		ld->pin_lock_fd = pins_take(opts->pin_path, opts->reset, &ld->pin_name_fd);
		if (ld->pin_lock_fd < 0) {
			err = ld->pin_lock_fd;
			goto err_free;
		}
		ld->kids = kidstore_open(s, opts->pin_path);
		if (!ld->kids)
			log_warn("%s/%s: %s: kids restart at 2, and clients that outlive this "
				 "kstatd may mistake new kstats for old ones",
				 opts->pin_path, KIDSTORE_PIN, strerror(errno));
	}
	if (!opts->no_builtin) {
		err = add_builtins(ld);
		if (err)
			goto err_free;
	}
	return ld;

err_free:
	loader_free(ld);
	errno = -err;
	return NULL;
}

void loader_free(struct loader *ld)
{
	if (!ld)
		return;
	for (size_t i = ld->nprovs; i-- > 0;) {
		if (ld->provs[i]->attached)
			provider_detach(ld->provs[i]);
		/* its owners loaded before it */
		provider_share_refresh(ld->provs[i], ld->provs, i, false);
		provider_free(ld->provs[i]);
	}
	if (ld->cfg)
		snap_delete(ld->snap, ld->cfg);
	free(ld->cfg_data);
	free(ld->cfg_meta);
	free(ld->provs);
	pdir_free(ld->dir);
	free(ld->prefs);
	kidstore_free(ld->kids);
	if (ld->pin_lock_fd >= 0)
		close(ld->pin_lock_fd);
	if (ld->pin_name_fd >= 0)
		close(ld->pin_name_fd);
	if (ld->kick_fd >= 0)
		close(ld->kick_fd);
	free(ld->pin_path);
	pthread_mutex_destroy(&ld->lock);
	free(ld);
}
