// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The registry of network namespaces (netns.h).  A refresh runs on the
 * loader's thread; scrapes read namespaces' books on theirs, each holding
 * a reference, so descriptors close only when the last reader is done.
 *
 * Lock order: refresh_lock, then reg_lock (the list, names), then a
 * namespace's io lock (its descriptors).  Entering a new namespace (a
 * question to the helper, up to seconds) holds refresh_lock only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/net.h"
#include "netns.h"
#include "os/log.h"
#include "os/readall.h"
#include "os/netns_enter.h"
#include "os/nshelper.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#define MAX_TOMBS 64
#define RETRY_NS (5ULL * 1000000000ULL) /* a namespace not entered is tried again after */
#define MIB_BUF (64 * 1024)
#define MOUNTINFO "/proc/self/mountinfo"

struct netns {
	int refs;           /* atomic; the registry holds one while it is alive */
	struct netns_id id; /* names under reg_lock */
	uint32_t pid;       /* a process inside, as kstatd's pid namespace numbers it, or 0 */
	bool own;
	uint64_t retry_at; /* not readable: when to try entering again */
	int enter_err;     /* the last failure to enter, said once */
	pthread_mutex_t io;
	bool readable; /* under io */
	int fds[NETNS_NFDS];
};

/* A namespace found alive in this refresh */
struct found {
	uint32_t ino, pid;
	uint64_t cookie;
	char name[NETNS_NAME_LEN];
	struct netns *ns; /* the known one it is */
};

struct tomb {
	uint32_t ino;
	uint64_t cookie;
};

static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct netns **alive;
static size_t nalive, alive_cap;
static struct tomb tombs[MAX_TOMBS];
static size_t ntombs, tomb_next;
static int next_instance = 1;
static uint64_t last_refresh;
static int iter_fd = -1;
static struct netns_stats stats;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void netns_set_iter(int link_fd)
{
	pthread_mutex_lock(&refresh_lock);
	iter_fd = link_fd;
	pthread_mutex_unlock(&refresh_lock);
}

uint32_t netns_own_ino(void)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) && stat("/proc/self/ns/net", &st))
		return 0;
	return (uint32_t)st.st_ino;
}

void netns_clean(char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
			*s = '_';
}

static uint64_t sock_cookie(int fd)
{
	socklen_t len = sizeof(uint64_t);
	uint64_t cookie = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) || len != sizeof(cookie))
		return 0;
	return cookie;
}

/* A path component naming a container: [runtime-]<64 hex>[.scope] */
static bool container_of(const char *c, size_t len, char *out, size_t olen)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-",
						"containerd-" };
	size_t n;

	if (len > 6 && memcmp(c + len - 6, ".scope", 6) == 0)
		len -= 6;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (len > pl && memcmp(c, prefixes[i], pl) == 0) {
			c += pl;
			len -= pl;
			break;
		}
	}
	if (len != 64 || olen <= 64)
		return false;
	for (n = 0; n < len; n++)
		if (!((c[n] >= '0' && c[n] <= '9') || (c[n] >= 'a' && c[n] <= 'f')))
			return false;
	memcpy(out, c, len);
	out[len] = '\0';
	return true;
}

/* ...pod<uid>..., the uid's dashes written as _ under systemd's cgroup driver */
static bool pod_of(const char *c, size_t len, char *out, size_t olen)
{
	for (size_t i = 0; i + 3 + 36 <= len; i++) {
		const char *u = c + i + 3;
		size_t n;

		if (memcmp(c + i, "pod", 3) != 0 || olen <= 36)
			continue;
		for (n = 0; n < 36; n++) {
			bool dash = n == 8 || n == 13 || n == 18 || n == 23;

			if (dash ? (u[n] != '-' && u[n] != '_')
				 : !((u[n] >= '0' && u[n] <= '9') || (u[n] >= 'a' && u[n] <= 'f')))
				break;
		}
		if (n < 36)
			continue;
		for (n = 0; n < 36; n++)
			out[n] = u[n] == '_' ? '-' : u[n];
		out[36] = '\0';
		return true;
	}
	return false;
}

void netns_cgroup_ids(const char *text, char *container, size_t clen, char *pod, size_t plen)
{
	const char *line = text, *path = NULL, *end;

	container[0] = pod[0] = '\0';
	/* cgroup v2's line (0::/path); else the first hierarchy's */
	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *nl = strchr(line, '\n');

		if (!c2 || (nl && c2 > nl))
			continue;
		if (!path || strncmp(line, "0::", 3) == 0)
			path = c2 + 1;
		if (strncmp(line, "0::", 3) == 0)
			break;
	}
	if (!path)
		return;
	end = strchr(path, '\n');
	if (!end)
		end = path + strlen(path);
	for (const char *c = path; c < end;) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t len = slash ? (size_t)(slash - c) : (size_t)(end - c);
		char tmp[NETNS_ID_LEN];

		if (container_of(c, len, tmp, sizeof(tmp)))
			snprintf(container, clen, "%s", tmp);
		if (pod_of(c, len, tmp, sizeof(tmp)))
			snprintf(pod, plen, "%s", tmp);
		c += len + 1;
	}
}

static void read_cgroup_ids(uint32_t pid, struct netns_id *id)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	id->container[0] = id->pod[0] = '\0';
	if (!pid)
		return;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	netns_cgroup_ids(buf, id->container, sizeof(id->container), id->pod, sizeof(id->pod));
}

static int add_found(struct found **v, size_t *n, size_t *cap, const struct found *f)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct found *nv = realloc(*v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *f;
	return 0;
}

/* The processes whose namespace is not their parent's, from the iterator */
static int from_iter(int link_fd, struct found **v, size_t *n, size_t *cap)
{
	int fd = bpf_iter_create(link_fd), err;
	size_t len = 0;
	char *buf = NULL;

	if (fd < 0)
		return -errno;
	/* one record per namespace-changing process: well under 64 MiB */
	err = readall(fd, 64 << 20, &buf, &len);
	close(fd);
	for (size_t off = 0; !err && off + sizeof(struct netns_rec) <= len;
	     off += sizeof(struct netns_rec)) {
		struct netns_rec r;
		struct found f = { 0 };

		memcpy(&r, buf + off, sizeof(r));
		f.ino = r.ino;
		f.pid = r.pid;
		f.cookie = r.cookie;
		err = add_found(v, n, cap, &f);
	}
	free(buf);
	return err;
}

/* Without the iterator: every process kstatd may look at */
static int from_proc(struct found **v, size_t *n, size_t *cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		struct found f = { 0 };
		char path[300];
		struct stat st;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st))
			continue;
		f.ino = (uint32_t)st.st_ino;
		f.pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		err = add_found(v, n, cap, &f);
	}
	closedir(d);
	return err;
}

/* ip netns's name for a mount point under /run/netns, or "" */
static void netns_name_of(const char *mnt, char *name, size_t len)
{
	static const char *const dirs[] = { "/run/netns/", "/var/run/netns/" };

	name[0] = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t dl = strlen(dirs[i]);

		if (strncmp(mnt, dirs[i], dl) == 0 && mnt[dl] && !strchr(mnt + dl, '/')) {
			size_t n = strnlen(mnt + dl, len - 1); /* a longer one is cut short */

			memcpy(name, mnt + dl, n);
			name[n] = '\0';
			netns_clean(name);
			return;
		}
	}
}

/* Namespaces kept by a bind mount (ip netns add, container runtimes) */
static int from_mounts(struct found **v, size_t *n, size_t *cap)
{
	FILE *f = fopen(MOUNTINFO, "re");
	char *line = NULL, mnt[4096];
	size_t lcap = 0;
	int err = 0;

	if (!f)
		return -errno;
	while (!err && getline(&line, &lcap, f) > 0) {
		struct found fo = { 0 };

		if (!netns_mountinfo_line(line, &fo.ino, mnt, sizeof(mnt)))
			continue;
		netns_name_of(mnt, fo.name, sizeof(fo.name));
		err = add_found(v, n, cap, &fo);
	}
	free(line);
	fclose(f);
	return err;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* One entry per inode: the first pid and cookie met, a name if any mount has one */
static size_t merge(struct found *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_found);
	for (size_t i = 0; i < n; i++) {
		struct found *o = out ? &v[out - 1] : NULL;

		if (!o || o->ino != v[i].ino) {
			v[out++] = v[i];
			continue;
		}
		if (!o->pid)
			o->pid = v[i].pid;
		if (!o->cookie)
			o->cookie = v[i].cookie;
		if (!o->name[0])
			memcpy(o->name, v[i].name, sizeof(o->name));
	}
	return out;
}

static int discover(uint32_t own, struct found **v, size_t *n)
{
	struct found me = { .ino = own, .pid = (uint32_t)getpid() };
	size_t cap = 0;
	int err;

	*v = NULL;
	*n = 0;
	err = add_found(v, n, &cap, &me);
	if (!err && iter_fd >= 0) {
		err = from_iter(iter_fd, v, n, &cap);
		if (err)
			log_dbg("netns: task iterator: %s: looking through /proc", strerror(-err));
	}
	if (iter_fd < 0 || err)
		err = from_proc(v, n, &cap);
	if (!err)
		err = from_mounts(v, n, &cap);
	if (err) {
		free(*v);
		*v = NULL;
		*n = 0;
		return err;
	}
	*n = merge(*v, *n);
	return 0;
}

static struct found *find_found(struct found *v, size_t n, uint32_t ino)
{
	struct found key = { .ino = ino };

	return bsearch(&key, v, n, sizeof(*v), cmp_found);
}

void netns_put(struct netns *ns)
{
	if (!ns || __atomic_sub_fetch(&ns->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	netns_enter_close(ns->fds);
	pthread_mutex_destroy(&ns->io);
	free(ns);
}

/* The question to the namespace helper: arg, a netns inode; arg2, a pid inside or 0 */
#define NSH_NETNS_OPEN 2

_Static_assert(NETNS_NFDS <= NSH_MAX_FDS, "the helper passes every way into a namespace");

/* In the helper: the ways into namespace ino */
static int32_t helper_open(uint32_t ino, uint32_t pid, int *fds, uint32_t *nfds)
{
	int32_t err = netns_enter_open(ino, pid, fds);

	*nfds = err ? 0 : NETNS_NFDS;
	return err;
}

int netns_helper_register(void)
{
	return nshelper_register(NSH_NETNS_OPEN, helper_open);
}

/* Open a way into ns: through the helper, or here without one */
static void enter(struct netns *ns, uint64_t want_cookie)
{
	int fds[NETNS_NFDS], err;
	int32_t status = 0;
	size_t nfds = 0;
	uint64_t cookie;

	for (int i = 0; i < NETNS_NFDS; i++)
		fds[i] = -1;
	if (ns->own) {
		err = netns_enter_own(fds);
	} else {
		err = nshelper_call(NSH_NETNS_OPEN, ns->id.ino, ns->pid, &status, fds, NETNS_NFDS,
				    &nfds);
		if (err == -ENOSYS)
			err = netns_enter_open(ns->id.ino, ns->pid, fds);
		else if (!err && status)
			err = status;
		else if (!err && nfds != NETNS_NFDS)
			err = -EPROTO;
	}
	cookie = err ? 0 : sock_cookie(fds[NETNS_FD_RTNL]);
	/* the way in led to another namespace at the same inode: try again later */
	if (!err && want_cookie && cookie && cookie != want_cookie)
		err = -ESTALE;
	if (err) {
		netns_enter_close(fds);
		if (err != ns->enter_err)
			log_info("netns: cannot enter network namespace %u: %s: its links and "
				 "MIB-II counters have no kstats",
				 ns->id.ino, strerror(-err));
		ns->enter_err = err;
		ns->retry_at = now_ns() + RETRY_NS;
		return;
	}
	if (ns->enter_err)
		log_info("netns: network namespace %u entered", ns->id.ino);
	ns->enter_err = 0;
	pthread_mutex_lock(&ns->io);
	memcpy(ns->fds, fds, sizeof(fds));
	ns->readable = true;
	pthread_mutex_unlock(&ns->io);
	pthread_mutex_lock(&reg_lock);
	if (cookie)
		ns->id.cookie = cookie;
	pthread_mutex_unlock(&reg_lock);
	__atomic_fetch_add(&stats.entered, 1, __ATOMIC_RELAXED);
}

static struct netns *ns_new(const struct found *f, bool own)
{
	struct netns *ns = calloc(1, sizeof(*ns));

	if (!ns)
		return NULL;
	ns->refs = 1;
	ns->own = own;
	ns->id.ino = f->ino;
	ns->id.cookie = f->cookie;
	ns->id.instance = -1;
	ns->pid = f->pid;
	memcpy(ns->id.name, f->name, sizeof(ns->id.name));
	if (!own)
		read_cgroup_ids(f->pid, &ns->id);
	for (int i = 0; i < NETNS_NFDS; i++)
		ns->fds[i] = -1;
	pthread_mutex_init(&ns->io, NULL);
	return ns;
}

static void bury(struct netns *ns)
{
	tombs[tomb_next] = (struct tomb){ ns->id.ino, ns->id.cookie };
	tomb_next = (tomb_next + 1) % MAX_TOMBS;
	if (ntombs < MAX_TOMBS)
		ntombs++;
	__atomic_fetch_add(&stats.gone, 1, __ATOMIC_RELAXED);
}

/*
 * Match what was found with what is known (under reg_lock): the known
 * ones not found, or found with another cookie, are gone (into gone[]).
 */
static size_t match_known(struct found *v, size_t n, struct netns **gone)
{
	size_t kept = 0, ngone = 0;

	for (size_t i = 0; i < nalive; i++) {
		struct netns *ns = alive[i];
		struct found *f = find_found(v, n, ns->id.ino);

		if (!ns->own &&
		    (!f || (f->cookie && ns->id.cookie && f->cookie != ns->id.cookie))) {
			gone[ngone++] = ns;
			bury(ns);
			continue;
		}
		alive[kept++] = ns;
		if (!f)
			continue;
		f->ns = ns;
		if (f->cookie && !ns->id.cookie)
			ns->id.cookie = f->cookie;
		memcpy(ns->id.name, f->name, sizeof(ns->id.name));
		if (f->pid && f->pid != ns->pid && !ns->own) {
			ns->pid = f->pid;
			read_cgroup_ids(f->pid, &ns->id);
		}
	}
	nalive = kept;
	return ngone;
}

static int add_alive(struct netns *ns)
{
	if (nalive == alive_cap) {
		size_t nc = alive_cap ? alive_cap * 2 : 16;
		struct netns **na = realloc(alive, nc * sizeof(*na));

		if (!na)
			return -ENOMEM;
		alive = na;
		alive_cap = nc;
	}
	ns->id.instance = ns->own ? 0 : next_instance++;
	alive[nalive++] = ns;
	return 0;
}

int netns_refresh(unsigned int min_age_ms)
{
	uint64_t t0 = now_ns();
	struct netns **gone = NULL, **retry = NULL;
	struct found *v = NULL;
	size_t n = 0, ngone, nretry = 0, unreadable = 0;
	uint32_t own = netns_own_ino();
	int changed = 0, err;

	pthread_mutex_lock(&refresh_lock);
	if (min_age_ms && last_refresh && t0 - last_refresh < min_age_ms * 1000000ULL) {
		pthread_mutex_unlock(&refresh_lock);
		return 0;
	}
	err = discover(own, &v, &n);
	if (err)
		goto out;
	pthread_mutex_lock(&reg_lock);
	gone = calloc(nalive + 1, sizeof(*gone));
	retry = calloc(nalive + 1, sizeof(*retry));
	if (!gone || !retry) {
		pthread_mutex_unlock(&reg_lock);
		err = -ENOMEM;
		goto out;
	}
	ngone = match_known(v, n, gone);
	for (size_t i = 0; i < nalive; i++) {
		if (!netns_readable(alive[i]) && t0 >= alive[i]->retry_at) {
			__atomic_add_fetch(&alive[i]->refs, 1, __ATOMIC_RELAXED);
			retry[nretry++] = alive[i];
		}
	}
	pthread_mutex_unlock(&reg_lock);
	changed = ngone > 0;
	for (size_t i = 0; i < ngone; i++) {
		log_dbg("netns: network namespace %u (instance %d) is gone", gone[i]->id.ino,
			gone[i]->id.instance);
		netns_put(gone[i]);
	}
	for (size_t i = 0; i < nretry; i++) {
		enter(retry[i], 0);
		netns_put(retry[i]);
	}
	/* new ones, met in inode order within a refresh */
	for (size_t i = 0; i < n; i++) {
		struct netns *ns;

		if (v[i].ns)
			continue;
		ns = ns_new(&v[i], v[i].ino == own);
		if (!ns) {
			err = -ENOMEM;
			break;
		}
		enter(ns, v[i].cookie);
		pthread_mutex_lock(&reg_lock);
		err = add_alive(ns);
		pthread_mutex_unlock(&reg_lock);
		if (err) {
			netns_put(ns);
			break;
		}
		log_dbg("netns: network namespace %u is instance %d", ns->id.ino, ns->id.instance);
		changed = 1;
	}
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < nalive; i++)
		unreadable += !netns_readable(alive[i]);
	stats.alive = nalive;
	stats.unreadable = unreadable;
	pthread_mutex_unlock(&reg_lock);
out:
	last_refresh = now_ns();
	__atomic_fetch_add(&stats.refreshes, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats.refresh_ns, last_refresh - t0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&refresh_lock);
	free(v);
	free(gone);
	free(retry);
	return err ? err : changed;
}

size_t netns_list(struct netns ***out)
{
	struct netns **v;
	size_t n;

	pthread_mutex_lock(&reg_lock);
	v = calloc(nalive + 1, sizeof(*v));
	n = v ? nalive : 0;
	for (size_t i = 0; i < n; i++) {
		v[i] = alive[i];
		__atomic_add_fetch(&v[i]->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&reg_lock);
	*out = v;
	return n;
}

void netns_list_free(struct netns **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		netns_put(v[i]);
	free(v);
}

struct netns *netns_get_ino(uint32_t ino)
{
	struct netns *ns = NULL;

	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < nalive && !ns; i++)
		if (alive[i]->id.ino == ino)
			ns = alive[i];
	if (ns)
		__atomic_add_fetch(&ns->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&reg_lock);
	return ns;
}

int netns_state(uint32_t ino)
{
	int state = 0;

	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < nalive && !state; i++)
		if (alive[i]->id.ino == ino)
			state = 1;
	for (size_t i = 0; i < ntombs && !state; i++)
		if (tombs[i].ino == ino)
			state = -1;
	pthread_mutex_unlock(&reg_lock);
	return state;
}

void netns_ident(struct netns *ns, struct netns_id *out)
{
	pthread_mutex_lock(&reg_lock);
	*out = ns->id;
	pthread_mutex_unlock(&reg_lock);
}

bool netns_readable(struct netns *ns)
{
	bool r;

	pthread_mutex_lock(&ns->io);
	r = ns->readable;
	pthread_mutex_unlock(&ns->io);
	return r;
}

int netns_links(struct netns *ns, nl_link_fn fn, void *arg)
{
	int err = -ENOTCONN;

	pthread_mutex_lock(&ns->io);
	if (ns->readable)
		err = nl_link_dump(ns->fds[NETNS_FD_RTNL], fn, arg);
	pthread_mutex_unlock(&ns->io);
	return err;
}

int netns_link(struct netns *ns, uint32_t ifindex, nl_link_fn fn, void *arg)
{
	int err = -ENOTCONN;

	pthread_mutex_lock(&ns->io);
	if (ns->readable)
		err = nl_link_get(ns->fds[NETNS_FD_RTNL], ifindex, fn, arg);
	pthread_mutex_unlock(&ns->io);
	return err;
}

bool netns_links_changed(struct netns *ns)
{
	bool changed = true;

	pthread_mutex_lock(&ns->io);
	if (ns->readable)
		changed = nl_link_changed(ns->fds[NETNS_FD_NOTIFY]);
	pthread_mutex_unlock(&ns->io);
	return changed;
}

int netns_ethtool(struct netns *ns, const char *ifname, uint64_t *speed, uint32_t *duplex)
{
	int err = -ENOTCONN;

	*speed = 0;
	*duplex = 0;
	pthread_mutex_lock(&ns->io);
	if (ns->readable)
		err = nl_link_ethtool(ns->fds[NETNS_FD_RTNL], ifname, speed, duplex);
	pthread_mutex_unlock(&ns->io);
	return err;
}

/* A whole /proc file from offset 0 (a seq_file starts over there) */
static ssize_t read_whole(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int netns_mib(struct netns *ns, struct mib2_values *out)
{
	static const enum netns_fd files[] = { NETNS_FD_SNMP, NETNS_FD_NETSTAT };
	char *buf = malloc(MIB_BUF);
	int found = 0, err = 0;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return -ENOMEM;
	pthread_mutex_lock(&ns->io);
	if (!ns->readable)
		err = -ENOTCONN;
	for (size_t i = 0; !err && i < sizeof(files) / sizeof(files[0]); i++) {
		ssize_t n = read_whole(ns->fds[files[i]], buf, MIB_BUF);

		if (n < 0)
			err = (int)n;
		else
			found += mib2_parse(buf, (size_t)n, out);
	}
	pthread_mutex_unlock(&ns->io);
	free(buf);
	return err ? err : found;
}

void netns_get_stats(struct netns_stats *st)
{
	pthread_mutex_lock(&reg_lock);
	*st = stats;
	pthread_mutex_unlock(&reg_lock);
	st->refreshes = __atomic_load_n(&stats.refreshes, __ATOMIC_RELAXED);
	st->refresh_ns = __atomic_load_n(&stats.refresh_ns, __ATOMIC_RELAXED);
}

void netns_reset(void)
{
	struct netns **v;
	size_t n;

	pthread_mutex_lock(&refresh_lock);
	pthread_mutex_lock(&reg_lock);
	v = alive;
	n = nalive;
	alive = NULL;
	nalive = alive_cap = 0;
	ntombs = tomb_next = 0;
	next_instance = 1;
	last_refresh = 0;
	memset(&stats, 0, sizeof(stats));
	pthread_mutex_unlock(&reg_lock);
	pthread_mutex_unlock(&refresh_lock);
	netns_list_free(v, n);
}
