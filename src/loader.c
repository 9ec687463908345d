// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Providers: open, pin, load, attach, detach.  A provider is one BPF
 * object; its kstat maps (those with kstat tags) are pinned under
 * <pin path>/<provider>/<map>, so a restarted kstatd finds its counters
 * where it left them.  A disabled provider is detached, not merely
 * flagged: an attached program costs on every event even when empty.
 *
 * Lock order: the engine's chain lock, a kstat's lock, then ld->lock,
 * which guards the provider array and the wanted states.  Only the sync
 * thread changes the array, and it never holds ld->lock across an engine
 * call.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_check.h"
#include "builtin.h"
#include "loader_impl.h"
#include "kidstore.h"
#include "log.h"
#include "percpu_btf.h"
#include "pins.h"
#include "provider.h"
#include "refresh.h"
#include "provider_ext.h"
#include "schema.h"
#include "snapshot.h"

#define DROPS_VAR "kstat_map_drops"
/* Providers are a few hundred KiB: anything much larger is not one */
#define PROVIDER_FILE_MAX (64 << 20)

/* kstatd:0:<provider> would clash with these, <pin path>/<provider> with the kid counter */
static const char *reserved_names[] = { "config", "engine", KIDSTORE_PIN };

/* Route libbpf's messages into our log: warnings as warnings, the rest as debug */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	log_vmsg(level == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

/*
 * Maps tagged KSTAT_SHARED("prov", "map") are that provider's map: its
 * kstats stay where they are while this provider's programs, attached and
 * detached on their own, add to it.  The owner must be loaded first.
 */
static int share_maps(struct loader *ld, struct provider *p, char *err, size_t errlen)
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
		owner = loader_find(ld, target);
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
		ret = bpf_map__reuse_fd(map, bpf_map__fd(theirs));
		if (ret) {
			snprintf(err, errlen, "map %s: share %s/%s: %s", bpf_map__name(map), target,
				 slash + 1, strerror(-ret));
			return ret;
		}
	}
	return 0;
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
 * Map the object's .bss read-only, for kstat_map_drops: reading it is a
 * memory load, not a syscall.  (libbpf 1.1 maps .bss over its initial
 * image only for skeletons, so this is done here.)
 */
static void find_drops(struct provider *p)
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
		for (int i = 0; i < btf_vlen(sec); i++) {
			const struct btf_type *var = btf__type_by_id(btf, vs[i].type);

			if (strcmp(schema_btf_str(btf, var->name_off), DROPS_VAR) != 0 ||
			    vs[i].offset + sizeof(uint64_t) > size)
				continue;
			p->bss_size = (size + (size_t)page - 1) & ~((size_t)page - 1);
			base = mmap(NULL, p->bss_size, PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);
			if (base == MAP_FAILED) {
				log_warn("%s: cannot map .bss for kstat_map_drops: %s", p->name,
					 strerror(errno));
				return;
			}
			p->bss = base;
			p->drops = (const volatile uint64_t *)((char *)base + vs[i].offset);
		}
	}
}

static void provider_free(struct loader *ld, struct provider *p)
{
	if (!p)
		return;
	if (p->self)
		snap_delete(ld->snap, p->self);
	free(p->self_data);
	free(p->self_meta);
	if (p->ext)
		p->ext->close(p->ext_priv);
	for (size_t i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	for (size_t i = 0; i < p->npmaps; i++)
		pmap_free(p->pmaps[i]);
	refresh_free(p->refresh);
	free(p->links);
	free(p->pmaps);
	if (p->bss)
		munmap(p->bss, p->bss_size);
	bpf_object__close(p->obj);
	free(p->path);
	free(p);
}

static bool valid_provider_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= KSTAT_STRLEN)
		return false;
	for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
		if (strcmp(name, reserved_names[i]) == 0)
			return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			return false;
	return true;
}

/*
 * An array has every entry it declares, each a kstat when keyed: one that
 * declares more than the budget is refused rather than truncated (a
 * keyed array of 2^18 entries made 262144 kstats and 308 MB).  A hash
 * holds what its programs put in: it is truncated at the budget instead.
 */
static int over_budget(const struct loader *ld, const struct bpf_map *map, const struct schema *sc,
		       char *err, size_t errlen)
{
	enum bpf_map_type t = bpf_map__type(map);

	if (sc->instance != SI_KEY || (t != BPF_MAP_TYPE_ARRAY && t != BPF_MAP_TYPE_PERCPU_ARRAY) ||
	    bpf_map__max_entries(map) <= ld->max_kstats)
		return 0;
	snprintf(err, errlen,
		 "map %s: a keyed array of %u entries would make as many kstats, more than the "
		 "budget of %u (--provider-max-kstats)",
		 bpf_map__name(map), bpf_map__max_entries(map), ld->max_kstats);
	return -E2BIG;
}

/*
 * A provider from a file may not add to a module another provider serves:
 * its kstats would pass for theirs (a fake cpu:0:sys beside the real one)
 * and its statistics could give a metric family a second type.  Built-in
 * providers share modules among themselves (cpu, for one).
 */
static int module_taken(struct loader *ld, const struct provider *p, const char *module, char *err,
			size_t errlen)
{
	if (!p->path)
		return 0;
	for (size_t i = 0; i < ld->nprovs; i++) {
		const struct provider *o = ld->provs[i];

		if (o == p || strcmp(o->name, p->name) == 0)
			continue;
		for (size_t j = 0; j < o->npmaps; j++) {
			if (strcmp(pmap_schema(o->pmaps[j])->module, module) != 0)
				continue;
			snprintf(err, errlen,
				 "module '%s' is provider %s's: use a module of its own", module,
				 o->name);
			return -EEXIST;
		}
	}
	return 0;
}

/*
 * Open, check, pin and load one provider; its kstats appear at the next
 * sync.  On failure nothing of it remains and err says why.
 */
static int provider_load(struct loader *ld, struct provider *p, char *err, size_t errlen)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	size_t nmaps = 0, nshared = 0;
	char target[96], dir[PATH_MAX];
	bool new_dir = false;
	struct bpf_map *map;
	int ret;

	skip_missing_tracepoints(p, vmlinux);
	ret = percpu_btf_fill(p->obj, vmlinux, p->name);
	if (p->ext && p->ext->prepare)
		p->ext->prepare(p->obj);
	btf__free(vmlinux);
	if (ret < 0) {
		snprintf(err, errlen, "refresh programs' kernel facts: %s", strerror(-ret));
		return ret;
	}

	bpf_object__for_each_map(map, p->obj) {
		struct schema *sc;

		ret = schema_parse(bpf_object__btf(p->obj), map, &sc, err, errlen);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			nmaps++;
			ret = over_budget(ld, map, sc, err, errlen);
			if (!ret)
				ret = module_taken(ld, p, sc->module, err, errlen);
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
	ret = share_maps(ld, p, err, errlen);
	if (ret)
		return ret;
	if (ld->pin_path) {
		snprintf(dir, sizeof(dir), "%s/%s", ld->pin_path, p->name);
		new_dir = access(dir, F_OK) != 0;
		ret = pins_reuse(p->obj, p->name, dir);
		if (ret) {
			snprintf(err, errlen, "pin maps under %s: %s", dir, strerror(-ret));
			goto err_unpin;
		}
	}
	ret = bpf_object__load(p->obj);
	if (ret) {
		snprintf(err, errlen,
			 "load: %s (run with --log.level=debug for the verifier's log)",
			 strerror(-ret));
		goto err_unpin;
	}
	ret = refresh_new(p->obj, p->name, &p->refresh, err, errlen);
	if (ret)
		return ret;
	p->pmaps = calloc(nmaps ? nmaps : 1, sizeof(*p->pmaps));
	if (!p->pmaps) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	bpf_object__for_each_map(map, p->obj) {
		struct pmap_info info = {
			.fd = bpf_map__fd(map),
			.map_type = bpf_map__type(map),
			.key_size = bpf_map__key_size(map),
			.value_size = bpf_map__value_size(map),
			.max_entries = bpf_map__max_entries(map),
			.counters_since = pins_since(bpf_map__pin_path(map)),
			.max_kstats = ld->max_kstats,
		};
		struct schema *sc;

		if (schema_parse(bpf_object__btf(p->obj), map, &sc, err, errlen) <= 0)
			continue;
		/* copies of the kernel's books count since boot, not since the pin */
		if (p->refresh)
			info.counters_since = 1;
		if (refresh_trim(p->refresh, sc, &info) > 0 && sc->nstats == 0) {
			log_info("%s: %s:*:%s is absent: this kernel keeps none of its statistics",
				 p->name, sc->module, sc->name);
			schema_free(sc);
			continue;
		}
		p->pmaps[p->npmaps] = pmap_new(ld->snap, sc, &info);
		if (!p->pmaps[p->npmaps]) {
			ret = -errno;
			schema_free(sc);
			snprintf(err, errlen, "map %s: %s", bpf_map__name(map), strerror(errno));
			goto err_unpin;
		}
		pmap_set_refresh(p->pmaps[p->npmaps], p->refresh);
		p->npmaps++;
	}
	find_drops(p);
	if (p->ext && !(p->ext_priv = p->ext->open(ld->snap, p->obj))) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		goto err_unpin;
	}
	return 0;

err_unpin:
	/* a provider refused on its first load leaves no pins (nor their directory) */
	if (new_dir)
		(void)pins_remove(dir);
	return ret;
}

static int provider_attach(struct provider *p)
{
	struct bpf_program *prog;
	size_t n = 0;

	for (size_t i = 0; i < p->npmaps; i++) {
		int err = pmap_close_open(p->pmaps[i]);

		if (err)
			log_warn("%s: map %s: cannot close accruing intervals: %s", p->name,
				 pmap_schema(p->pmaps[i])->map_name, strerror(-err));
	}
	bpf_object__for_each_program(prog, p->obj)
		n++;
	p->links = calloc(n ? n : 1, sizeof(*p->links));
	if (!p->links)
		return -ENOMEM;
	bpf_object__for_each_program(prog, p->obj) {
		struct bpf_link *link;

		/* refresh programs run on demand; iterators are read by their provider's userspace */
		if (!bpf_program__autoload(prog) || refresh_is_prog(prog) ||
		    (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING &&
		     bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			int err = -errno;

			log_err("%s: attach %s: %s", p->name, bpf_program__name(prog),
				strerror(errno));
			for (size_t i = 0; i < p->nlinks; i++)
				bpf_link__destroy(p->links[i]);
			free(p->links);
			p->links = NULL;
			p->nlinks = 0;
			return err;
		}
		p->links[p->nlinks++] = link;
	}
	__atomic_store_n(&p->attached, true, __ATOMIC_RELAXED);
	log_info("%s: attached %zu program%s", p->name, p->nlinks, p->nlinks == 1 ? "" : "s");
	return 0;
}

static void provider_detach(struct provider *p)
{
	for (size_t i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	p->links = NULL;
	p->nlinks = 0;
	__atomic_store_n(&p->attached, false, __ATOMIC_RELAXED);
	log_info("%s: detached", p->name);
}

struct provider *loader_find(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->nprovs; i++)
		if (strcmp(ld->provs[i]->name, name) == 0)
			return ld->provs[i];
	return NULL;
}

int loader_add(struct loader *ld, struct provider *p, char *err, size_t errlen)
{
	struct provider **np;
	int ret;

	if (loader_find(ld, p->name)) {
		snprintf(err, errlen, "a provider called %s is already loaded", p->name);
		return -EEXIST;
	}
	ret = provider_load(ld, p, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < ld->nprefs; i++)
		if (strcmp(ld->prefs[i].name, p->name) == 0)
			p->want = ld->prefs[i].enabled;
	ret = self_create(ld, p);
	if (ret) {
		snprintf(err, errlen, "kstatd:0:%s: %s", p->name, strerror(-ret));
		return ret;
	}
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
	return 0;
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
struct provider *loader_open_file(const char *path, bool enabled, bool from_dir, char *err,
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
	if (from_dir && !loader_safe_owner(&p->st)) {
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

int loader_add_file(struct loader *ld, const char *path, bool enabled, char *err, size_t errlen)
{
	return loader_load_file(ld, path, enabled, false, err, errlen);
}

int loader_load_file(struct loader *ld, const char *path, bool enabled, bool from_dir, char *err,
		     size_t errlen)
{
	struct provider *p = loader_open_file(path, enabled, from_dir, err, errlen);
	int ret;

	if (!p)
		return -EINVAL;
	p->from_dir = from_dir;
	ret = loader_add(ld, p, err, errlen);
	if (ret)
		provider_free(ld, p);
	return ret;
}

static int add_builtin(struct loader *ld, const struct builtin *b)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = b->name);
	struct provider *p = calloc(1, sizeof(*p));
	char err[256];
	const void *bytes;
	size_t size;
	int ret;

	if (!p)
		return -ENOMEM;
	snprintf(p->name, sizeof(p->name), "%s", b->name);
	p->want = b->default_on;
	p->ext = builtin_ext(b->name);
	bytes = b->elf_bytes(&size);
	p->obj = bpf_object__open_mem(bytes, size, &opts);
	if (!p->obj) {
		ret = -errno;
		log_err("%s: open: %s", b->name, strerror(errno));
		free(p);
		return ret;
	}
	ret = loader_add(ld, p, err, sizeof(err));
	if (ret) {
		log_err("%s: %s", b->name, err);
		provider_free(ld, p);
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

void loader_drop(struct loader *ld, struct provider *p)
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
	if (p->attached)
		provider_detach(p);
	provider_free(ld, p);
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
		dir_rescan(ld);
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
		if (want && !p->attached && provider_attach(p) < 0) {
			/* keep serving the rest; the wish stays until the next write */
			pthread_mutex_lock(&ld->lock);
			p->want = false;
			pthread_mutex_unlock(&ld->lock);
		} else if (!want && p->attached) {
			provider_detach(p);
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
		{ .fd = ld->watch_fd, .events = POLLIN },
	};
	char buf[4096];
	uint64_t v;

	if (poll(pfd, ld->watch_fd >= 0 ? 2 : 1, timeout_ms) <= 0)
		return;
	if (pfd[0].revents & POLLIN)
		(void)!read(ld->kick_fd, &v, sizeof(v));
	if (ld->watch_fd >= 0 && (pfd[1].revents & POLLIN)) {
		/* what changed does not matter: the rescan compares files */
		while (read(ld->watch_fd, buf, sizeof(buf)) > 0)
			;
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
	return __atomic_load_n(&ld->nrefusals, __ATOMIC_RELAXED);
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

struct loader *loader_new(struct snap *s, const struct loader_opts *opts)
{
	struct loader *ld = calloc(1, sizeof(*ld));
	int err = 0;

	if (!ld)
		return NULL;
	libbpf_set_print(libbpf_print);
	ld->snap = s;
	ld->max_kstats = opts->max_kstats ? opts->max_kstats : LOADER_MAX_KSTATS;
	ld->kick_fd = -1;
	ld->pin_lock_fd = -1;
	ld->watch_fd = -1;
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
		ld->pin_lock_fd = pins_take(opts->pin_path, opts->reset);
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
	for (size_t i = 0; !opts->no_builtin && i < nbuiltins; i++) {
		err = add_builtin(ld, &builtins[i]);
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
		provider_free(ld, ld->provs[i]);
	}
	if (ld->cfg)
		snap_delete(ld->snap, ld->cfg);
	free(ld->cfg_data);
	free(ld->cfg_meta);
	free(ld->provs);
	dir_free(ld);
	free(ld->prefs);
	kidstore_free(ld->kids);
	if (ld->pin_lock_fd >= 0)
		close(ld->pin_lock_fd);
	if (ld->kick_fd >= 0)
		close(ld->kick_fd);
	free(ld->pin_path);
	pthread_mutex_destroy(&ld->lock);
	free(ld);
}
