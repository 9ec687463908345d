// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One provider: open, check, pin, load, attach, detach.  Its kstat maps
 * (those with kstat tags) are pinned under <pin path>/<provider>/<map>,
 * so a restarted kstatd finds its counters where it left them.  A
 * disabled provider is detached, not merely flagged: an attached program
 * costs on every event even when empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "engine/snapshot.h"
#include "kidstore.h"
#include "os/bpf_apart.h"
#include "os/log.h"
#include "percpu_btf.h"
#include "pins.h"
#include "provider.h"
#include "providers/builtin/disk_dev.h"
#include "providers/builtin/provider_ext.h"
#include "providers/maps/btf_check.h"
#include "providers/maps/pmap.h"
#include "providers/maps/refresh.h"
#include "providers/maps/schema.h"

#define DROPS_VAR "kstat_map_drops"
#define KEYS_GEN_VAR "kstat_keys_gen"
/* Providers are a few hundred KiB: anything much larger is not one */
#define PROVIDER_FILE_MAX (64 << 20)

/* kstatd:0:<provider> would clash with these, <pin path>/<provider> with the kid counter */
static const char *reserved_names[] = { "config", "engine", KIDSTORE_PIN };

/*
 * Maps tagged KSTAT_SHARED("prov", "map") are that provider's map: its
 * kstats stay where they are while this provider's programs, attached and
 * detached on their own, add to it.  The owner must be loaded first.
 */
static struct provider *find_loaded(const struct provider_env *env, const char *name)
{
	for (size_t i = 0; i < env->nloaded; i++)
		if (strcmp(env->loaded[i]->name, name) == 0)
			return env->loaded[i];
	return NULL;
}

/* Is owner's map called name kstat.tracked?  Another object's writes would not move its count. */
static bool tracked(const struct provider *owner, const char *name)
{
	for (size_t i = 0; i < owner->npmaps; i++) {
		const struct schema *sc = pmap_schema(owner->pmaps[i]);

		if (strcmp(sc->map_name, name) == 0)
			return sc->tracked;
	}
	return false;
}

static int share_maps(const struct provider_env *env, struct provider *p, char *err, size_t errlen)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, p->obj) {
		char target[96], *slash;
		struct provider *owner;
		struct bpf_map *theirs;
		int ret;

		if (!schema_shared(bpf_object__btf(p->obj), map, target, sizeof(target)))
			continue;
		slash = strchr(target, '/');
		*slash = '\0';
		owner = find_loaded(env, target);
		theirs = owner ? bpf_object__find_map_by_name(owner->obj, slash + 1) : NULL;
		if (!theirs) {
			snprintf(err, errlen,
				 "map %s: kstat.shared names %s/%s, which is not loaded",
				 bpf_map__name(map), target, slash + 1);
			return -ENOENT;
		}
		if (bpf_map__type(theirs) != bpf_map__type(map) ||
		    bpf_map__key_size(theirs) != bpf_map__key_size(map) ||
		    bpf_map__value_size(theirs) != bpf_map__value_size(map) ||
		    bpf_map__max_entries(theirs) != bpf_map__max_entries(map)) {
			snprintf(err, errlen, "map %s: not the same type and sizes as %s/%s",
				 bpf_map__name(map), target, slash + 1);
			return -EINVAL;
		}
		if (tracked(owner, slash + 1)) {
			snprintf(err, errlen,
				 "map %s: %s/%s is kstat.tracked: only its own provider writes its "
				 "keys",
				 bpf_map__name(map), target, slash + 1);
			return -EINVAL;
		}
		ret = bpf_map__reuse_fd(map, bpf_map__fd(theirs));
		if (ret) {
			snprintf(err, errlen, "map %s: share %s/%s: %s", bpf_map__name(map), target,
				 slash + 1, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void provider_share_refresh(struct provider *p, struct provider *const *loaded, size_t n, bool add)
{
	struct bpf_map *map;

	if (!p->refresh_shared)
		return;
	bpf_object__for_each_map(map, p->obj) {
		char target[96], *slash;

		if (!schema_shared(bpf_object__btf(p->obj), map, target, sizeof(target)))
			continue;
		slash = strchr(target, '/');
		*slash++ = '\0';
		for (size_t i = 0; i < n; i++) {
			if (loaded[i] == p || strcmp(loaded[i]->name, target) != 0)
				continue;
			for (size_t j = 0; j < loaded[i]->npmaps; j++) {
				struct pmap *pm = loaded[i]->pmaps[j];

				if (strcmp(pmap_schema(pm)->map_name, slash) != 0)
					continue;
				if (!add)
					pmap_remove_sharer(pm, p->refresh_shared);
				else if (pmap_add_sharer(pm, p->name, p->refresh_shared,
							 p->attached))
					log_warn("%s: map %s/%s has too many sharers: the refresh "
						 "programs of this one do not run before its reads",
						 p->name, target, slash);
			}
		}
	}
}

/* Programs whose tracepoint this kernel lacks are left out, with a note */
static void skip_missing_tracepoints(struct provider *p, const struct btf *vmlinux)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->obj) {
		const char *sec = bpf_program__section_name(prog);
		char tname[160];

		if (!vmlinux || strncmp(sec, "tp_btf/", 7) != 0)
			continue;
		snprintf(tname, sizeof(tname), "btf_trace_%s", sec + 7);
		if (btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF) >= 0)
			continue;
		log_info("%s: this kernel has no tracepoint %s: %s stays unloaded", p->name,
			 sec + 7, bpf_program__name(prog));
		bpf_program__set_autoload(prog, false);
	}
}

/*
 * Map the object's .bss read-only, for kstat_map_drops and kstat_keys_gen
 * (bpf/kstat.bpf.h): reading them is a memory load, not a syscall.
 * (libbpf 1.1 maps .bss over its initial image only for skeletons, so
 * this is done here.)
 */
static void map_bss(struct provider *p)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map;
	int sec_id;

	if (!btf || (sec_id = btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC)) < 0)
		return;
	sec = btf__type_by_id(btf, (__u32)sec_id);
	vs = btf_var_secinfos(sec);
	bpf_object__for_each_map(map, p->obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name), size = bpf_map__value_size(map);
		long page = sysconf(_SC_PAGESIZE);
		void *base;

		if (!bpf_map__is_internal(map) || len < 4 || strcmp(name + len - 4, ".bss") != 0 ||
		    !(bpf_map__map_flags(map) & BPF_F_MMAPABLE))
			continue;
		p->bss_size = (size + (size_t)page - 1) & ~((size_t)page - 1);
		base = mmap(NULL, p->bss_size, PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);
		if (base == MAP_FAILED) {
			log_warn("%s: cannot map .bss: %s", p->name, strerror(errno));
			return;
		}
		p->bss = base;
		for (int i = 0; i < btf_vlen(sec); i++) {
			const struct btf_type *var = btf__type_by_id(btf, vs[i].type);
			const char *vname = schema_btf_str(btf, var->name_off);
			const volatile uint64_t *at =
				(const volatile uint64_t *)((char *)base + vs[i].offset);

			if (vs[i].offset + sizeof(uint64_t) > size)
				continue;
			if (strcmp(vname, DROPS_VAR) == 0)
				p->drops = at;
			else if (strcmp(vname, KEYS_GEN_VAR) == 0)
				p->keys_gen = at;
		}
		return;
	}
}

static void link_destroy(struct provider_link *l)
{
	if (l->lib)
		bpf_link__destroy(l->lib);
	else if (l->fd >= 0)
		close(l->fd);
}

static void links_destroy(struct provider *p)
{
	for (size_t i = 0; i < p->nlinks; i++)
		link_destroy(&p->links[i]);
	free(p->links);
	p->links = NULL;
	p->nlinks = 0;
}

void provider_free(struct provider *p)
{
	if (!p)
		return;
	if (p->self)
		snap_delete(p->snap, p->self);
	free(p->self_data);
	free(p->self_meta);
	if (p->ext)
		p->ext->close(p->ext_priv);
	links_destroy(p);
	for (size_t i = 0; i < p->npmaps; i++)
		pmap_free(p->pmaps[i]);
	refresh_free(p->refresh);
	refresh_free(p->refresh_shared);
	for (size_t i = 0; p->apart && i < p->nprogs; i++)
		if (p->prog_fds[i] >= 0)
			close(p->prog_fds[i]);
	free(p->prog_fds);
	free(p->pmaps);
	if (p->bss)
		munmap(p->bss, p->bss_size);
	bpf_object__close(p->obj);
	free(p->path);
	free(p);
}

static bool valid_provider_name(const char *name)
{
	for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
		if (strcmp(name, reserved_names[i]) == 0)
			return false;
	return schema_valid_provider(name);
}

/*
 * An array has every entry it declares, each a kstat when keyed: one that
 * declares more than the budget is refused rather than truncated (a
 * keyed array of 2^18 entries made 262144 kstats and 308 MB).  A hash
 * holds what its programs put in: it is truncated at the budget instead.
 */
static int over_budget(const struct provider_env *env, const struct bpf_map *map,
		       const struct schema *sc, char *err, size_t errlen)
{
	enum bpf_map_type t = bpf_map__type(map);

	if (sc->instance != SI_KEY || (t != BPF_MAP_TYPE_ARRAY && t != BPF_MAP_TYPE_PERCPU_ARRAY) ||
	    bpf_map__max_entries(map) <= env->max_kstats)
		return 0;
	snprintf(err, errlen,
		 "map %s: a keyed array of %u entries would make as many kstats, more than the "
		 "budget of %u (--provider-max-kstats)",
		 bpf_map__name(map), bpf_map__max_entries(map), env->max_kstats);
	return -E2BIG;
}

/* a and b name the same Prometheus families: kstat_cpu_x_y is cpu_x's y and cpu's x_y */
static bool modules_fold(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > lb)
		return strncmp(a, b, lb) == 0 && a[lb] == '_';
	if (lb > la)
		return strncmp(b, a, la) == 0 && b[la] == '_';
	return strcmp(a, b) == 0;
}

/* A module in the chain already whose metric names fold into the one sought */
struct fold_seek {
	const char *module;
	char found[KSTAT_STRLEN];
};

static bool fold_want(const kstat_t *hdr, void *arg)
{
	struct fold_seek *f = arg;

	if (!f->found[0] && modules_fold(hdr->ks_module, f->module))
		snprintf(f->found, sizeof(f->found), "%s", hdr->ks_module);
	return false;
}

static int fold_emit(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	(void)ks;
	(void)meta;
	(void)arg;
	return 0;
}

/*
 * A provider from a file may not add to a module another provider serves,
 * nor take one whose metric names fold into theirs: its kstats would pass
 * for theirs (a fake cpu:0:sys beside the real one) and its statistics
 * could give a metric family a second type.  Built-in providers share
 * modules among themselves (cpu, for one).
 */
static int module_taken(const struct provider_env *env, const struct provider *p,
			const char *module, char *err, size_t errlen)
{
	if (!p->path)
		return 0;
	for (size_t i = 0; i < env->nloaded; i++) {
		const struct provider *o = env->loaded[i];

		if (o == p || strcmp(o->name, p->name) == 0)
			continue;
		for (size_t j = 0; j < o->npmaps; j++) {
			const char *theirs = pmap_schema(o->pmaps[j])->module;

			if (!modules_fold(theirs, module))
				continue;
			if (strcmp(theirs, module) == 0)
				snprintf(err, errlen,
					 "module '%s' is provider %s's: use a module of its own",
					 module, o->name);
			else
				snprintf(err, errlen,
					 "module '%s' and provider %s's '%s' fold into the same "
					 "metric names: use a module of its own",
					 module, o->name, theirs);
			return -EEXIST;
		}
	}
	/* nor to a disk driver's, before or after its first disk comes */
	{
		size_t n;
		const char *const *disks = disk_dev_modules(&n);

		for (size_t i = 0; i < n; i++) {
			if (!modules_fold(disks[i], module))
				continue;
			snprintf(err, errlen,
				 "module '%s' would pass for the disks of driver %s: use a module "
				 "of "
				 "its own",
				 module, disks[i]);
			return -EEXIST;
		}
	}
	/* nor to one kstatd fills from userspace (link, tcp, cpu_info) */
	{
		struct fold_seek f = { .module = module };

		(void)snap_walk(env->snap, fold_want, fold_emit, &f);
		if (f.found[0]) {
			snprintf(err, errlen,
				 "module '%s' would pass for kstatd's own %s:*:*: use a module of "
				 "its own",
				 module, f.found);
			return -EEXIST;
		}
	}
	return 0;
}

/* What the load needs to know of the kernel, from its BTF (NULL if it has none) */
static int prepare_with(struct provider *p, const struct btf *vmlinux, char *err, size_t errlen)
{
	int ret;

	skip_missing_tracepoints(p, vmlinux);
	ret = percpu_btf_fill(p->obj, vmlinux, p->name);
	if (p->ext && p->ext->prepare)
		p->ext->prepare(p->obj, vmlinux);
	if (ret < 0)
		snprintf(err, errlen, "refresh programs' kernel facts: %s", strerror(-ret));
	p->prepared = ret >= 0;
	return ret < 0 ? ret : 0;
}

static struct btf *vmlinux_parse(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();

	if (!vmlinux)
		log_dbg("the kernel's BTF: %s", strerror(errno));
	return vmlinux;
}

/*
 * prepare_with() as a bpf_apart_prep_fn, which runs only in the children
 * of os/bpf_apart.h: the kernel's BTF is parsed at its first use in a
 * child, shared by the objects that child prepares, and gone with it.
 */
static int prepare_apart(struct bpf_object *obj, void *arg, char *err, size_t errlen)
{
	static struct btf *vmlinux;
	static bool parsed;

	(void)obj;
	if (!parsed) {
		vmlinux = vmlinux_parse();
		parsed = true;
	}
	return prepare_with(arg, vmlinux, err, errlen);
}

void provider_prepare_all(struct provider *const *ps, size_t n, int *rets,
			  char (*errs)[PROVIDER_ERRLEN])
{
	struct bpf_object **objs = calloc(n ? n : 1, sizeof(*objs));
	void **args = calloc(n ? n : 1, sizeof(*args));
	size_t done;

	if (!objs || !args) {
		for (size_t i = 0; i < n; i++) {
			rets[i] = -ENOMEM;
			snprintf(errs[i], PROVIDER_ERRLEN, "out of memory");
		}
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		objs[i] = ps[i]->obj;
		args[i] = ps[i];
	}
	done = (size_t)bpf_apart_prepare(objs, args, n, prepare_apart, rets, errs);
	for (size_t i = 0; i < n; i++)
		ps[i]->prepared = i < done && rets[i] == 0;
	/* the others prepare where they load */
	if (done < n)
		log_warn("%s: each provider left prepares where it loads", errs[done]);
	for (size_t i = done; i < n; i++)
		rets[i] = 0;
out:
	free(objs);
	free(args);
}

static bool attachable_apart(const struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (!bpf_apart_attachable(prog))
			return false;
	return true;
}

/* Load p's object, apart where its programs allow; 0 or -errno, err filled */
static int load_object(struct provider *p, char *err, size_t errlen)
{
	struct bpf_program *prog;
	size_t i = 0;
	int ret;

	p->nprogs = bpf_apart_nprogs(p->obj);
	p->prog_fds = calloc(p->nprogs ? p->nprogs : 1, sizeof(*p->prog_fds));
	if (!p->prog_fds) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->apart = attachable_apart(p->obj);
	if (p->apart) {
		ret = bpf_apart_load(p->obj, p->prepared ? NULL : prepare_apart, p, p->prog_fds,
				     err, errlen);
		if (ret != -ECHILD)
			return ret;
		log_warn("%s: %s: loading it in kstatd, whose memory then holds libbpf's parse of "
			 "the kernel's BTF for a while",
			 p->name, err);
		p->apart = false;
	}
	if (!p->prepared) {
		struct btf *vmlinux = vmlinux_parse();

		ret = prepare_with(p, vmlinux, err, errlen);
		btf__free(vmlinux);
		if (ret)
			return ret;
	}
	ret = bpf_object__load(p->obj);
	if (ret) {
		snprintf(err, errlen, "load: %s", strerror(-ret));
		return ret;
	}
	bpf_object__for_each_program(prog, p->obj)
		p->prog_fds[i++] = bpf_program__fd(prog);
	return 0;
}

int provider_load(struct provider *p, const struct provider_env *env, char *err, size_t errlen)
{
	size_t nmaps = 0, nshared = 0;
	char target[96], dir[PATH_MAX];
	bool new_dir = false;
	struct bpf_map *map;
	int ret;

	p->snap = env->snap;

	bpf_object__for_each_map(map, p->obj) {
		struct schema *sc;

		ret = schema_parse(bpf_object__btf(p->obj), map, &sc, err, errlen);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			nmaps++;
			ret = over_budget(env, map, sc, err, errlen);
			if (!ret)
				ret = module_taken(env, p, sc->module, err, errlen);
			schema_free(sc);
			if (ret)
				return ret;
		} else if (schema_shared(bpf_object__btf(p->obj), map, target, sizeof(target))) {
			nshared++;
		}
	}
	if (nmaps + nshared == 0 && !p->ext) {
		snprintf(err, errlen,
			 "no map carries kstat tags (KSTAT_MODULE, KSTAT_SHARED, ...): not a kstat "
			 "provider");
		return -EINVAL;
	}
	ret = share_maps(env, p, err, errlen);
	if (ret)
		return ret;
	if (env->pin_path) {
		snprintf(dir, sizeof(dir), "%s/%s", env->pin_path, p->name);
		new_dir = access(dir, F_OK) != 0;
		ret = pins_reuse(p->obj, p->name, dir);
		if (ret) {
			snprintf(err, errlen, "pin maps under %s: %s", dir, strerror(-ret));
			goto err_unpin;
		}
	}
	ret = load_object(p, err, errlen);
	if (ret) {
		size_t len = strlen(err);

		if (strncmp(err, "load:", 5) == 0)
			snprintf(err + len, errlen - len,
				 " (run with --log.level=debug for libbpf's and the verifier's "
				 "log)");
		goto err_unpin;
	}
	ret = refresh_new(p->obj, p->prog_fds, p->name, false, &p->refresh, err, errlen);
	if (!ret)
		ret = refresh_new(p->obj, p->prog_fds, p->name, true, &p->refresh_shared, err,
				  errlen);
	if (ret)
		return ret;
	p->pmaps = calloc(nmaps ? nmaps : 1, sizeof(*p->pmaps));
	if (!p->pmaps) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	map_bss(p);
	bpf_object__for_each_map(map, p->obj) {
		struct pmap_info info = {
			.fd = bpf_map__fd(map),
			.map_type = bpf_map__type(map),
			.key_size = bpf_map__key_size(map),
			.value_size = bpf_map__value_size(map),
			.max_entries = bpf_map__max_entries(map),
			.counters_since = pins_since(bpf_map__pin_path(map)),
			.max_kstats = env->max_kstats,
			.sync_pace = env->sync_pace,
		};
		struct schema *sc;

		if (schema_parse(bpf_object__btf(p->obj), map, &sc, err, errlen) <= 0)
			continue;
		if (sc->tracked && !(info.keys_gen = p->keys_gen))
			log_warn("%s: map %s is kstat.tracked, but its object has no %s to read: "
				 "every sync reads its keys",
				 p->name, bpf_map__name(map), KEYS_GEN_VAR);
		/* copies of the kernel's books count since boot, not since the pin */
		if (p->refresh)
			info.counters_since = 1;
		if (refresh_trim(p->refresh, sc, &info) > 0 && sc->nstats == 0) {
			log_info("%s: %s:*:%s is absent: this kernel keeps none of its statistics",
				 p->name, sc->module, sc->name);
			schema_free(sc);
			continue;
		}
		p->pmaps[p->npmaps] = pmap_new(env->snap, sc, &info);
		if (!p->pmaps[p->npmaps]) {
			ret = -errno;
			schema_free(sc);
			snprintf(err, errlen, "map %s: %s", bpf_map__name(map), strerror(errno));
			goto err_unpin;
		}
		pmap_set_refresh(p->pmaps[p->npmaps], p->refresh);
		p->npmaps++;
	}
	if (p->ext && !(p->ext_priv = p->ext->open(env->snap, p->obj, p->prog_fds))) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		goto err_unpin;
	}
	if (p->ext && p->ext->use_pmaps)
		p->ext->use_pmaps(p->ext_priv, p->pmaps, p->npmaps);
	if (env->pin_path)
		pins_remove_orphans(p->obj, p->name, dir);
	return 0;

err_unpin:
	/* a provider refused on its first load leaves no pins (nor their directory) */
	if (new_dir)
		(void)pins_remove(dir);
	return ret;
}

int provider_attach(struct provider *p)
{
	struct bpf_program *prog;
	size_t i = 0;

	for (size_t m = 0; m < p->npmaps; m++) {
		int err = pmap_close_open(p->pmaps[m]);

		if (err)
			log_warn("%s: map %s: cannot close accruing intervals: %s", p->name,
				 pmap_schema(p->pmaps[m])->map_name, strerror(-err));
	}
	p->links = calloc(p->nprogs ? p->nprogs : 1, sizeof(*p->links));
	if (!p->links)
		return -ENOMEM;
	bpf_object__for_each_program(prog, p->obj) {
		struct provider_link l = { .fd = -1 };
		int fd = p->prog_fds[i++], err;

		/* refresh programs run on demand; iterators are read by their provider's userspace */
		if (fd < 0 || refresh_is_prog(prog) ||
		    (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING &&
		     bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER))
			continue;
		if (p->apart)
			err = (l.fd = bpf_apart_attach(prog, fd)) < 0 ? l.fd : 0;
		else
			err = (l.lib = bpf_program__attach(prog)) ? 0 : -errno;
		if (err) {
			log_err("%s: attach %s: %s", p->name, bpf_program__name(prog),
				strerror(-err));
			links_destroy(p);
			return err;
		}
		p->links[p->nlinks++] = l;
	}
	__atomic_store_n(&p->attached, true, __ATOMIC_RELAXED);
	log_info("%s: attached %zu program%s", p->name, p->nlinks, p->nlinks == 1 ? "" : "s");
	return 0;
}

void provider_detach(struct provider *p)
{
	links_destroy(p);
	__atomic_store_n(&p->attached, false, __ATOMIC_RELAXED);
	log_info("%s: detached", p->name);
}

/*
 * Read a provider file (fd, whose fstat is st) whole, check its BTF
 * (libbpf 1.1 trusts it) and open it from memory, where libbpf takes
 * nothing more from the file.
 */
static struct bpf_object *open_checked(int fd, const char *path, const char *name,
				       const struct stat *st, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	struct bpf_object *obj = NULL;
	size_t len = 0;
	char *buf;

	if (!S_ISREG(st->st_mode) || st->st_size > PROVIDER_FILE_MAX) {
		snprintf(err, errlen, "not a regular file of at most %d MiB",
			 PROVIDER_FILE_MAX >> 20);
		return NULL;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		goto err_free;
	}
	while (len <= (size_t)st->st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st->st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto err_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st->st_size) {
		snprintf(err, errlen, "%s: it grows while kstatd reads it", path);
		goto err_free;
	}
	if (btf_check_elf(buf, len, err, errlen))
		goto err_free;
	obj = bpf_object__open_mem(buf, len, &opts);
	if (!obj) {
		char why[128];

		libbpf_strerror(errno, why, sizeof(why));
		snprintf(err, errlen, "not a BPF object file (%s)", why);
	}
err_free:
	free(buf);
	return obj;
}

/*
 * The file is opened once and everything is checked on what was opened:
 * from the provider directory without following a symbolic link and
 * owned by root, writable by no one else (a check by path, then an open by
 * path, could be raced with a rename).  A file named on the command line
 * is root's own choice, links and all.
 */
struct provider *provider_open_file(const char *path, bool enabled, bool from_dir, char *err,
				    size_t errlen)
{
	struct provider *p = calloc(1, sizeof(*p));
	const char *base = strrchr(path, '/');
	size_t len;
	int fd = -1;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 6 && strcmp(base + len - 6, ".bpf.o") == 0)
		len -= 6;
	else if (len > 2 && strcmp(base + len - 2, ".o") == 0)
		len -= 2;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)len, base);
	if (len >= KSTAT_STRLEN || !valid_provider_name(p->name)) {
		snprintf(err, errlen,
			 "provider name '%.*s' (from the file name) must be 1 to %d letters, "
			 "digits, '_' or '-', and not config or engine",
			 (int)len, base, KSTAT_STRLEN - 1);
		free(p);
		return NULL;
	}
	p->want = enabled;
	p->path = strdup(path);
	if (!p->path) {
		snprintf(err, errlen, "out of memory");
		goto err_free;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (from_dir ? O_NOFOLLOW : 0));
	if (fd < 0 || fstat(fd, &p->st)) {
		if (errno == ELOOP && from_dir)
			snprintf(err, errlen,
				 "a symbolic link: a provider in the directory must be "
				 "a regular file (copy it in)");
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto err_close;
	}
	if (from_dir && !provider_safe_owner(&p->st)) {
		snprintf(err, errlen, "writable by a user other than root: fix its owner and mode");
		goto err_close;
	}
	p->obj = open_checked(fd, path, p->name, &p->st, err, errlen);
	if (!p->obj)
		goto err_close;
	close(fd);
	return p;

err_close:
	if (fd >= 0)
		close(fd);
err_free:
	free(p->path);
	free(p);
	return NULL;
}

struct provider *provider_open_mem(const char *name, const void *bytes, size_t size, bool enabled)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	struct provider *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->want = enabled;
	p->obj = bpf_object__open_mem(bytes, size, &opts);
	if (!p->obj) {
		err = errno;
		free(p);
		errno = err;
		return NULL;
	}
	return p;
}

bool provider_safe_owner(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}
