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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "builtin.h"
#include "loader.h"
#include "log.h"
#include "provider.h"
#include "schema.h"
#include "snapshot.h"

#define DROPS_VAR "kstat_map_drops"

enum self_stat {
	SELF_ATTACHED,
	SELF_KSTATS,
	SELF_MAPS,
	SELF_PROGRAMS,
	SELF_RUN_COUNT,
	SELF_RUN_TIME,
	SELF_MAP_DROPS,
	SELF_NSTATS,
};

static const char *const self_names[SELF_NSTATS] = {
	"attached", "kstats", "maps", "programs", "run_count", "run_time", "map_drops",
};

static const struct snap_stat_meta self_meta[SELF_NSTATS] = {
	{ SNAP_GAUGE, "bool", "1 when the provider's programs are attached", NULL, 0 },
	{ SNAP_GAUGE, "count", "kstats the provider serves", NULL, 0 },
	{ SNAP_GAUGE, "count", "Maps with kstat tags", NULL, 0 },
	{ SNAP_GAUGE, "count", "BPF programs loaded", NULL, 0 },
	{ SNAP_COUNTER, "count", "BPF program runs (counted while kernel.bpf_stats_enabled=1)",
	  NULL, 0 },
	{ SNAP_COUNTER, "ns", "BPF program run time (counted while kernel.bpf_stats_enabled=1)",
	  NULL, 0 },
	{ SNAP_COUNTER, "count", "Entries dropped because a map was full", NULL, 0 },
};

static const struct snap_stat_meta cfg_stat_meta = {
	SNAP_GAUGE, "bool", "1 attaches the provider, 0 detaches it (writable)", NULL, 0,
};

struct provider {
	char name[KSTAT_STRLEN];
	char *path; /* NULL for a built-in */
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
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kicked;
	struct provider **provs;
	size_t nprovs;
	bool cfg_stale; /* the provider set changed */
	kstat_t *cfg;
	kstat_named_t *cfg_data;
	struct snap_stat_meta *cfg_meta;
	size_t cfg_n;
};

static const char *reserved_names[] = { "config", "engine" };

/* Route libbpf's messages into our log: warnings as warnings, the rest as debug */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	log_vmsg(level == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Remove everything below dir (pins and sub-directories), keeping dir */
static int remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path)) {
			err = -ENAMETOOLONG;
			continue;
		}
		if (de->d_type == DT_DIR) {
			int e = remove_tree(path);

			if (e || rmdir(path))
				err = e ? e : -errno;
		} else if (unlink(path)) {
			err = -errno;
		}
	}
	closedir(d);
	return err;
}

static bool members_match(const struct btf *a, const struct btf_type *ta, const struct btf *b,
			  const struct btf_type *tb)
{
	const struct btf_member *ma = btf_members(ta), *mb = btf_members(tb);

	if (ta->size != tb->size || btf_vlen(ta) != btf_vlen(tb))
		return false;
	for (int i = 0; i < btf_vlen(ta); i++, ma++, mb++) {
		const struct btf_type *ra, *rb;
		__s64 sa, sb;

		if (strcmp(btf__name_by_offset(a, ma->name_off),
			   btf__name_by_offset(b, mb->name_off)) ||
		    btf_member_bit_offset(ta, (__u32)i) != btf_member_bit_offset(tb, (__u32)i) ||
		    btf_member_bitfield_size(ta, (__u32)i) !=
			    btf_member_bitfield_size(tb, (__u32)i))
			return false;
		ra = btf__type_by_id(a, (__u32)btf__resolve_type(a, ma->type));
		rb = btf__type_by_id(b, (__u32)btf__resolve_type(b, mb->type));
		sa = btf__resolve_size(a, ma->type);
		sb = btf__resolve_size(b, mb->type);
		if (!ra || !rb || btf_kind(ra) != btf_kind(rb) || sa != sb)
			return false;
	}
	return true;
}

/*
 * Can a pinned map be reused for this one?  Same shape, and a value struct
 * with the same members at the same offsets: a reordered or retyped struct
 * of the same size would otherwise be read as garbage.
 */
static bool pin_compatible(int fd, const struct bpf_object *obj, const struct bpf_map *map,
			   char *why, size_t len)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	const struct btf *ours = bpf_object__btf(obj);
	const struct btf_type *ta, *tb;
	struct btf *theirs;
	bool ok;

	if (bpf_obj_get_info_by_fd(fd, &info, &ilen)) {
		snprintf(why, len, "cannot inspect it: %s", strerror(errno));
		return false;
	}
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) ||
	    info.map_flags != bpf_map__map_flags(map)) {
		snprintf(why, len, "type, key, value size, entries or flags differ");
		return false;
	}
	if (!info.btf_id || !ours) {
		snprintf(why, len, "no BTF to compare layouts");
		return false;
	}
	theirs = btf__load_from_kernel_by_id(info.btf_id);
	if (!theirs) {
		snprintf(why, len, "cannot load its BTF: %s", strerror(errno));
		return false;
	}
	ta = btf__type_by_id(ours, (__u32)btf__resolve_type(ours, bpf_map__btf_value_type_id(map)));
	tb = btf__type_by_id(theirs, (__u32)btf__resolve_type(theirs, info.btf_value_type_id));
	ok = ta && tb && btf_is_struct(ta) && btf_is_struct(tb) &&
	     members_match(ours, ta, theirs, tb);
	btf__free(theirs);
	if (!ok)
		snprintf(why, len, "the value struct's layout changed");
	return ok;
}

static bool is_kstat_map(const struct bpf_object *obj, const struct bpf_map *map)
{
	const struct btf *btf = bpf_object__btf(obj);
	int var_id;
	__u32 n;

	if (!btf || bpf_map__is_internal(map))
		return false;
	var_id = btf__find_by_name_kind(btf, bpf_map__name(map), BTF_KIND_VAR);
	if (var_id < 0)
		return false;
	n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_decl_tag(t) && t->type == (__u32)var_id &&
		    strncmp(btf__name_by_offset(btf, t->name_off), "kstat.", 6) == 0)
			return true;
	}
	return false;
}

/* Re-use the pins of a provider's kstat maps; replace those that no longer fit */
static int reuse_pins(struct loader *ld, struct provider *p)
{
	struct bpf_map *map;
	char dir[PATH_MAX];
	int err;

	if (snprintf(dir, sizeof(dir), "%s/%s", ld->pin_path, p->name) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	err = mkdir_p(dir);
	if (err)
		return err;
	bpf_object__for_each_map(map, p->obj)
	{
		char path[PATH_MAX], why[128];
		int fd;

		if (!is_kstat_map(p->obj, map))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map)) >=
		    (int)sizeof(path))
			return -ENAMETOOLONG;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue; /* first run: libbpf pins it at load */
		if (pin_compatible(fd, p->obj, map, why, sizeof(why))) {
			err = bpf_map__reuse_fd(map, fd);
			close(fd);
			if (err)
				return err;
			log_dbg("%s: map %s: counters continue from %s", p->name,
				bpf_map__name(map), path);
			continue;
		}
		close(fd);
		log_warn("%s: pinned map %s no longer matches (%s): replacing it, its counters "
			 "restart at 0",
			 p->name, path, why);
		if (unlink(path))
			return -errno;
	}
	return 0;
}

static struct provider *find_provider(struct loader *ld, const char *name);

/*
 * Maps tagged KSTAT_SHARED("prov", "map") are that provider's map: its
 * kstats stay where they are while this provider's programs, attached and
 * detached on their own, add to it.  The owner must be loaded first.
 */
static int share_maps(struct loader *ld, struct provider *p, char *err, size_t errlen)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, p->obj)
	{
		char target[96], *slash;
		struct provider *owner;
		struct bpf_map *theirs;
		int ret;

		if (!schema_shared(bpf_object__btf(p->obj), map, target, sizeof(target)))
			continue;
		slash = strchr(target, '/');
		*slash = '\0';
		owner = find_provider(ld, target);
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

	bpf_object__for_each_program(prog, p->obj)
	{
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
	bpf_object__for_each_map(map, p->obj)
	{
		const char *name = bpf_map__name(map);
		size_t len = strlen(name), size = bpf_map__value_size(map);
		long page = sysconf(_SC_PAGESIZE);
		void *base;

		if (!bpf_map__is_internal(map) || len < 4 || strcmp(name + len - 4, ".bss") != 0 ||
		    !(bpf_map__map_flags(map) & BPF_F_MMAPABLE))
			continue;
		for (int i = 0; i < btf_vlen(sec); i++) {
			const struct btf_type *var = btf__type_by_id(btf, vs[i].type);

			if (strcmp(btf__name_by_offset(btf, var->name_off), DROPS_VAR) != 0 ||
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

static int self_update(kstat_t *ksp, int rw)
{
	struct provider *p = ksp->ks_private;
	kstat_named_t *kn = ksp->ks_data;
	struct bpf_program *prog;
	uint64_t runs = 0, run_ns = 0, kstats = 0, nprogs = 0;

	if (rw == KSTAT_WRITE)
		return EACCES;
	for (size_t i = 0; i < p->npmaps; i++)
		kstats += pmap_count(p->pmaps[i]);
	bpf_object__for_each_program(prog, p->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		nprogs++;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			runs += info.run_cnt;
			run_ns += info.run_time_ns;
		}
	}
	kn[SELF_ATTACHED].value.ui64 = __atomic_load_n(&p->attached, __ATOMIC_RELAXED);
	kn[SELF_KSTATS].value.ui64 = kstats;
	kn[SELF_MAPS].value.ui64 = p->npmaps;
	kn[SELF_PROGRAMS].value.ui64 = nprogs;
	kn[SELF_RUN_COUNT].value.ui64 = runs;
	kn[SELF_RUN_TIME].value.ui64 = run_ns;
	kn[SELF_MAP_DROPS].value.ui64 = p->drops ? *p->drops : 0;
	return 0;
}

static void provider_free(struct loader *ld, struct provider *p)
{
	if (!p)
		return;
	if (p->self)
		snap_delete(ld->snap, p->self);
	for (size_t i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	for (size_t i = 0; i < p->npmaps; i++)
		pmap_free(p->pmaps[i]);
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
 * Open, check, pin and load one provider; its kstats appear at the next
 * sync.  On failure nothing of it remains and err says why.
 */
static int provider_load(struct loader *ld, struct provider *p, char *err, size_t errlen)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	size_t nmaps = 0, nshared = 0;
	struct bpf_map *map;
	char target[96];
	int ret;

	skip_missing_tracepoints(p, vmlinux);
	btf__free(vmlinux);

	bpf_object__for_each_map(map, p->obj)
	{
		struct schema *sc;

		ret = schema_parse(bpf_object__btf(p->obj), map, &sc, err, errlen);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			nmaps++;
			schema_free(sc);
		} else if (schema_shared(bpf_object__btf(p->obj), map, target, sizeof(target))) {
			nshared++;
		}
	}
	if (nmaps + nshared == 0) {
		snprintf(err, errlen,
			 "no map carries kstat tags (KSTAT_MODULE, KSTAT_SHARED, ...): not a kstat "
			 "provider");
		return -EINVAL;
	}
	ret = share_maps(ld, p, err, errlen);
	if (ret)
		return ret;
	if (ld->pin_path) {
		ret = reuse_pins(ld, p);
		if (ret) {
			snprintf(err, errlen, "pin maps under %s: %s", ld->pin_path,
				 strerror(-ret));
			return ret;
		}
	}
	ret = bpf_object__load(p->obj);
	if (ret) {
		snprintf(err, errlen,
			 "load: %s (run with --log.level=debug for the verifier's log)",
			 strerror(-ret));
		return ret;
	}
	p->pmaps = calloc(nmaps ? nmaps : 1, sizeof(*p->pmaps));
	if (!p->pmaps)
		return -ENOMEM;
	bpf_object__for_each_map(map, p->obj)
	{
		struct pmap_info info = {
			.fd = bpf_map__fd(map),
			.map_type = bpf_map__type(map),
			.key_size = bpf_map__key_size(map),
			.value_size = bpf_map__value_size(map),
			.max_entries = bpf_map__max_entries(map),
		};
		struct schema *sc;

		if (schema_parse(bpf_object__btf(p->obj), map, &sc, err, errlen) <= 0)
			continue;
		p->pmaps[p->npmaps] = pmap_new(ld->snap, sc, &info);
		if (!p->pmaps[p->npmaps]) {
			schema_free(sc);
			snprintf(err, errlen, "map %s: %s", bpf_map__name(map), strerror(errno));
			return -errno;
		}
		p->npmaps++;
	}
	find_drops(p);
	return 0;
}

static int provider_attach(struct provider *p)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, p->obj) n++;
	p->links = calloc(n ? n : 1, sizeof(*p->links));
	if (!p->links)
		return -ENOMEM;
	bpf_object__for_each_program(prog, p->obj)
	{
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
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

static struct provider *find_provider(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->nprovs; i++)
		if (strcmp(ld->provs[i]->name, name) == 0)
			return ld->provs[i];
	return NULL;
}

static int add_provider(struct loader *ld, struct provider *p, char *err, size_t errlen)
{
	struct provider **np;
	kstat_t *ksp;
	int ret;

	if (find_provider(ld, p->name)) {
		snprintf(err, errlen, "a provider called %s is already loaded", p->name);
		return -EEXIST;
	}
	ret = provider_load(ld, p, err, errlen);
	if (ret)
		return ret;
	ksp = snap_create(ld->snap, "kstatd", 0, p->name, "provider", KSTAT_TYPE_NAMED, SELF_NSTATS,
			  KSTAT_FLAG_VIRTUAL);
	if (!ksp) {
		snprintf(err, errlen, "kstatd:0:%s: %s", p->name, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < SELF_NSTATS; i++)
		snap_named_init(&p->self_data[i], self_names[i], KSTAT_DATA_UINT64);
	ksp->ks_data = p->self_data;
	ksp->ks_private = p;
	ksp->ks_update = self_update;
	snap_set_meta(ksp, self_meta);
	p->self = ksp;
	snap_install(ld->snap, ksp);

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

int loader_add_file(struct loader *ld, const char *path, bool enabled, char *err, size_t errlen)
{
	struct provider *p = calloc(1, sizeof(*p));
	const char *base = strrchr(path, '/');
	size_t len;
	int ret;

	if (!p)
		return -ENOMEM;
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
		return -EINVAL;
	}
	p->path = strdup(path);
	p->want = enabled;
	p->obj = bpf_object__open_file(path, NULL);
	if (!p->path || !p->obj) {
		ret = p->obj ? -ENOMEM : -errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(-ret));
		p->obj = NULL;
		provider_free(ld, p);
		return ret;
	}
	ret = add_provider(ld, p, err, errlen);
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
	bytes = b->elf_bytes(&size);
	p->obj = bpf_object__open_mem(bytes, size, &opts);
	if (!p->obj) {
		ret = -errno;
		log_err("%s: open: %s", b->name, strerror(errno));
		free(p);
		return ret;
	}
	ret = add_provider(ld, p, err, sizeof(err));
	if (ret) {
		log_err("%s: %s", b->name, err);
		provider_free(ld, p);
	}
	return ret;
}

int loader_remove(struct loader *ld, const char *name)
{
	struct provider *p = NULL;

	pthread_mutex_lock(&ld->lock);
	for (size_t i = 0; i < ld->nprovs; i++) {
		if (strcmp(ld->provs[i]->name, name) == 0) {
			p = ld->provs[i];
			memmove(&ld->provs[i], &ld->provs[i + 1],
				(ld->nprovs - i - 1) * sizeof(*ld->provs));
			ld->nprovs--;
			ld->cfg_stale = true;
			break;
		}
	}
	pthread_mutex_unlock(&ld->lock);
	if (!p)
		return -ENOENT;
	if (p->attached)
		provider_detach(p);
	provider_free(ld, p);
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
		struct provider *p = find_provider(ld, kn[i].name);

		if (!p)
			continue;
		if (rw == KSTAT_WRITE && !err)
			p->want = kn[i].value.ui64 == 1;
		kn[i].value.ui64 = p->want;
	}
	if (rw == KSTAT_WRITE && !err) {
		ld->kicked = true;
		pthread_cond_signal(&ld->cond);
	}
	pthread_mutex_unlock(&ld->lock);
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
	ld->cfg_stale = false;
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
	ld->cfg = ksp;
	ld->cfg_data = data;
	ld->cfg_meta = meta;
	ld->cfg_n = n;
	snap_install(ld->snap, ksp);
	return 0;
}

int loader_sync(struct loader *ld)
{
	int changes = 0, ret = 0;
	bool stale;

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
	}
	return ret < 0 && changes == 0 ? ret : changes;
}

void loader_wait(struct loader *ld, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ld->lock);
	while (!ld->kicked)
		if (pthread_cond_timedwait(&ld->cond, &ld->lock, &ts) == ETIMEDOUT)
			break;
	ld->kicked = false;
	pthread_mutex_unlock(&ld->lock);
}

void loader_kick(struct loader *ld)
{
	pthread_mutex_lock(&ld->lock);
	ld->kicked = true;
	pthread_cond_signal(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
}

int loader_attached(struct loader *ld, const char *name)
{
	struct provider *p = find_provider(ld, name);

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

uint64_t loader_map_drops(struct loader *ld)
{
	uint64_t sum = 0;

	pthread_mutex_lock(&ld->lock);
	for (size_t i = 0; i < ld->nprovs; i++)
		sum += ld->provs[i]->drops ? *ld->provs[i]->drops : 0;
	pthread_mutex_unlock(&ld->lock);
	return sum;
}

static int take_pin_path(struct loader *ld, const struct loader_opts *opts)
{
	int err = mkdir_p(opts->pin_path);

	if (err) {
		log_err("cannot create pin path %s: %s (is bpffs mounted? mount -t bpf bpf "
			"/sys/fs/bpf)",
			opts->pin_path, strerror(-err));
		return err;
	}
	ld->pin_lock_fd = open(opts->pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ld->pin_lock_fd < 0) {
		err = -errno;
		log_err("open pin path %s: %s", opts->pin_path, strerror(errno));
		return err;
	}
	/* two daemons adding to the same pinned counters would double count */
	if (flock(ld->pin_lock_fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		if (errno == EWOULDBLOCK)
			log_err("another kstatd is running with pin path %s: stop it, or give this "
				"one its own --pin-path",
				opts->pin_path);
		else
			log_err("lock pin path %s: %s", opts->pin_path, strerror(errno));
		return err == -EWOULDBLOCK ? -EBUSY : err;
	}
	if (opts->reset) {
		err = remove_tree(opts->pin_path);
		if (err) {
			log_err("--reset: cannot clear %s: %s", opts->pin_path, strerror(-err));
			return err;
		}
		log_info("--reset: removed the pinned maps under %s: counters start at 0",
			 opts->pin_path);
	}
	return 0;
}

struct loader *loader_new(struct snap *s, const struct loader_opts *opts)
{
	struct loader *ld = calloc(1, sizeof(*ld));
	int err = 0;

	if (!ld)
		return NULL;
	libbpf_set_print(libbpf_print);
	ld->snap = s;
	ld->pin_lock_fd = -1;
	ld->cfg_stale = true;
	pthread_mutex_init(&ld->lock, NULL);
	pthread_cond_init(&ld->cond, NULL);
	if (opts->pin_path) {
		ld->pin_path = strdup(opts->pin_path);
		if (!ld->pin_path) {
			err = -ENOMEM;
			goto err_free;
		}
		err = take_pin_path(ld, opts);
		if (err)
			goto err_free;
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
	if (ld->pin_lock_fd >= 0)
		close(ld->pin_lock_fd);
	free(ld->pin_path);
	pthread_cond_destroy(&ld->cond);
	pthread_mutex_destroy(&ld->lock);
	free(ld);
}
