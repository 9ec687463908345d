// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Pinned maps: what makes counters survive a restart.  A provider's kstat
 * maps live at <pin path>/<provider>/<map>; a pin is reused only when the
 * map it holds has the same shape and the same value layout, and the pin
 * path is locked so that two daemons never add to the same counters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kidstore.h"
#include "os/log.h"
#include "os/mkdirs.h"
#include "os/since.h"
#include "os/unix_owner.h"
#include "pins.h"
#include "providers/maps/schema.h"

int pins_mkdir(const char *path)
{
	return mkdirs(path, 0755);
}

/* Remove everything below dir (pins and sub-directories) but dir and keep */
static int remove_tree(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (keep && strcmp(de->d_name, keep) == 0))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path)) {
			err = -ENAMETOOLONG;
			continue;
		}
		if (de->d_type == DT_DIR) {
			int e = remove_tree(path, NULL);

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
		const char *na = btf__name_by_offset(a, ma->name_off);
		const char *nb = btf__name_by_offset(b, mb->name_off);
		const struct btf_type *ra, *rb;
		__s64 sa, sb;

		if (!na || !nb || strcmp(na, nb) ||
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

bool pins_is_kstat_map(const struct bpf_object *obj, const struct bpf_map *map)
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
		    btf__name_by_offset(btf, t->name_off) &&
		    strncmp(btf__name_by_offset(btf, t->name_off), "kstat.", 6) == 0)
			return true;
	}
	return false;
}

/* Is there a map of obj that pins_reuse() pins, called name? */
static bool pinned_by(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map;
	char why[128];

	bpf_object__for_each_map(map, obj)
		if (strcmp(bpf_map__name(map), name) == 0 && pins_is_kstat_map(obj, map) &&
		    !schema_shared(bpf_object__btf(obj), map, why, sizeof(why)))
			return true;
	return false;
}

void pins_remove_orphans(struct bpf_object *obj, const char *name, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pinned_by(obj, de->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (unlink(path) == 0)
			log_info("%s: removed %s: the provider has no such map now", name, path);
	}
	closedir(d);
}

/* Re-use the pins of a provider's kstat maps; replace those that no longer fit */
int pins_reuse(struct bpf_object *obj, const char *name, const char *dir)
{
	struct bpf_map *map;
	int err;

	err = pins_mkdir(dir);
	if (err)
		return err;
	bpf_object__for_each_map(map, obj) {
		char path[PATH_MAX], why[128];
		int fd;

		/* a KSTAT_SHARED map is its owner's, pinned under the owner */
		if (!pins_is_kstat_map(obj, map) ||
		    schema_shared(bpf_object__btf(obj), map, why, sizeof(why)))
			continue;
		/* a name like "../x" would reach other programs' pins */
		if (!schema_valid_map_name(bpf_map__name(map)))
			return -EINVAL;
		if (snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map)) >=
		    (int)sizeof(path))
			return -ENAMETOOLONG;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue; /* first run: libbpf pins it at load */
		if (pin_compatible(fd, obj, map, why, sizeof(why))) {
			err = bpf_map__reuse_fd(map, fd);
			close(fd);
			if (err)
				return err;
			log_dbg("%s: map %s: counters continue from %s", name, bpf_map__name(map),
				path);
			continue;
		}
		close(fd);
		log_warn("%s: pinned map %s no longer matches (%s): replacing it, its counters "
			 "restart at 0",
			 name, path, why);
		if (unlink(path))
			return -errno;
	}
	return 0;
}

/*
 * The pin path's name, held as an abstract unix socket for as long as
 * this process lives.  The flock goes with the directory's inode: after an
 * rm -rf and a new mkdir a second kstatd would find the path free, but no
 * file system operation can take an abstract name away.  `ss -xlp` shows
 * who holds it; a path too long for sun_path is named by its FNV-1a hash.
 * Any local user may bind an abstract name: one held by a user other than
 * root is not a kstatd's, and kstatd goes on with the flock alone (-1)
 * rather than let that user keep it from starting.
 */
static int pins_lock_name(const char *pin_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const size_t room = sizeof(sa.sun_path) - 1;
	uint64_t h = 14695981039346656037ULL;
	char real[PATH_MAX];
	int fd, len;

	if (!realpath(pin_path, real))
		return -errno;
	len = snprintf(sa.sun_path + 1, room, "kstatd-pin-path:%s", real);
	if (len < 0 || (size_t)len >= room) {
		for (const char *p = real; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		len = snprintf(sa.sun_path + 1, room, "kstatd-pin-path:#%016llx",
			       (unsigned long long)h);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len))) {
		int err = errno == EADDRINUSE ? -EBUSY : -errno;
		uid_t owner;

		close(fd);
		if (err == -EBUSY &&
		    unix_owner_abstract(sa.sun_path + 1, (size_t)len, &owner) == 0 && owner != 0) {
			log_warn("the pin path's name @%s is held by uid %u, not by a kstatd: "
				 "going on "
				 "with the directory's lock alone",
				 sa.sun_path + 1, (unsigned int)owner);
			return -1;
		}
		return err;
	}
	return fd;
}

int pins_take(const char *pin_path, bool reset, int *name_fd)
{
	int err = pins_mkdir(pin_path), fd;

	if (err) {
		log_err("cannot create pin path %s: %s (is bpffs mounted? mount -t bpf bpf "
			"/sys/fs/bpf)",
			pin_path, strerror(-err));
		return err;
	}
	fd = open(pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_err("open pin path %s: %s", pin_path, strerror(errno));
		return err;
	}
	/* two daemons adding to the same pinned counters would double count */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		close(fd);
		if (errno == EWOULDBLOCK)
			log_err("another kstatd is running with pin path %s: stop it, or give this "
				"one its own --pin-path",
				pin_path);
		else
			log_err("lock pin path %s: %s", pin_path, strerror(errno));
		return err == -EWOULDBLOCK ? -EBUSY : err;
	}
	*name_fd = pins_lock_name(pin_path);
	if (*name_fd < -1) {
		err = *name_fd;
		close(fd);
		if (err == -EBUSY)
			log_err("another kstatd is running with pin path %s (its directory was "
				"removed and made again): stop it, or give this one its own "
				"--pin-path",
				pin_path);
		else
			log_err("lock pin path %s: %s", pin_path, strerror(-err));
		return err;
	}
	if (reset) {
		/* not the kid counter: kids stay unique for clients that outlive us */
		err = remove_tree(pin_path, KIDSTORE_PIN);
		if (err) {
			log_err("--reset: cannot clear %s: %s", pin_path, strerror(-err));
			close(*name_fd);
			close(fd);
			return err;
		}
		log_info("--reset: removed the pinned maps under %s: counters start at 0",
			 pin_path);
	}
	return fd;
}

int64_t pins_since(const char *path)
{
	return since_ctime(path);
}

int pins_remove(const char *dir)
{
	int err = remove_tree(dir, NULL);

	if (err)
		return err;
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}
