// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * netdev: network interfaces, which live in network namespaces: the same
 * ifindex, even the same name ("lo"), exists once per namespace.  A key's
 * high 32 bits are the inode of the interface's namespace (what lsns and
 * /proc/<pid>/ns/net show), its low 32 bits the ifindex.
 *
 * The kstat instance is the namespace: 0 for kstatd's own, then 1, 2, ...
 * in the order kstatd first meets them, never reused while it runs (as
 * illumos numbers zones).  A namespace found gone leaves a tombstone (a
 * bounded number of them), so that the table stays as small as the
 * namespaces alive.
 *
 * The kernel hands a freed namespace inode to the next namespace made, at
 * once: a container that replaces another gets its inode, and the new
 * namespace's loopback its ifindex 1, so the same key.  What tells them
 * apart is the namespace cookie (SO_NETNS_COOKIE, 5.14), which is never
 * reused: kstatd reads it each time it enters, and a namespace whose
 * cookie changed is the old one gone (its entries and kstats deleted) and
 * a new one, met afresh at its next packet.  Its packets before that pass
 * went to the old entries.  To list another namespace's interfaces kstatd
 * needs a way in: a bind mount under /run/netns (ip netns) or a process
 * inside (/proc/<pid>/ns/net); a short-lived thread enters it with setns()
 * and asks netlink.  A namespace with neither no longer exists, or cannot
 * be told from one that does not; its interfaces count as gone.  Where
 * kstatd may not look (a process it may not inspect, no CAP_SYS_ADMIN to
 * enter) at a namespace it never entered, it cannot tell: it keeps the
 * interfaces, named if<ifindex>.
 *
 * Entering takes CAP_SYS_ADMIN and finding a process inside CAP_SYS_PTRACE,
 * which kstatd drops once it serves: then its namespace helper
 * (nshelper.h), which keeps those two, lists them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keydec.h"
#include "os/nshelper.h"

#define NETNS_RUN_DIR "/run/netns"
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

enum ns_state { NS_FOUND, NS_GONE, NS_UNKNOWN };

/* The question to the namespace helper: arg, a netns inode; status, an enum ns_state; payload, cookie and links */
#define NSH_NETNS_LINKS 1

struct ns_link {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
};

/* One namespace's interfaces, listed once per pass */
struct ns_links {
	uint32_t ino;
	enum ns_state state;
	uint64_t cookie; /* 0: the kernel does not say */
	size_t n;
	struct ns_link *v;
};

struct net_pass {
	uint32_t own;
	size_t nns;
	struct ns_links *ns;
};

/*
 * Namespaces met so far: their instance, and a path that led into them.
 * A namespace found gone stays as a tombstone, so that a late packet of
 * its (devices are torn down after the last reference goes) is still
 * known gone where kstatd cannot look at every process; the oldest go
 * beyond MAX_TOMBS.  A namespace found at a tombstone's inode is new.
 */
#define MAX_TOMBS 64
static pthread_mutex_t ns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ns_known {
	uint32_t ino;
	int id;
	uint64_t cookie; /* of the namespace met at this inode; 0 until known */
	uint64_t gone;   /* 0 alive, else the order it went in */
	char path[64];
} * known;
static size_t nknown, known_cap, ntombs;
static int next_id = 1;
static uint64_t burials;

static uint32_t path_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* The entry of inode ino; with add, alive (made, or a tombstone revived as a new namespace) */
static struct ns_known *known_find(uint32_t ino, bool add)
{
	for (size_t i = 0; i < nknown; i++) {
		struct ns_known *k = &known[i];

		if (k->ino != ino)
			continue;
		if (add && k->gone) {
			*k = (struct ns_known){ .ino = ino, .id = next_id++ };
			ntombs--;
		}
		return k;
	}
	if (!add)
		return NULL;
	if (nknown == known_cap) {
		size_t nc = known_cap ? known_cap * 2 : 16;
		struct ns_known *nk = realloc(known, nc * sizeof(*nk));

		if (!nk)
			return NULL;
		known = nk;
		known_cap = nc;
	}
	known[nknown] = (struct ns_known){ .ino = ino, .id = next_id++ };
	return &known[nknown++];
}

/* A namespace that is gone: its inode may come back as another's */
static void known_bury(uint32_t ino)
{
	struct ns_known *k, *oldest = NULL;

	pthread_mutex_lock(&ns_lock);
	k = known_find(ino, false);
	if (k && !k->gone) {
		*k = (struct ns_known){ .ino = ino, .gone = ++burials };
		ntombs++;
	}
	for (size_t i = 0; ntombs > MAX_TOMBS && i < nknown; i++)
		if (known[i].gone && (!oldest || known[i].gone < oldest->gone))
			oldest = &known[i];
	if (oldest) {
		*oldest = known[--nknown];
		ntombs--;
	}
	pthread_mutex_unlock(&ns_lock);
}

int keydec_net_state(uint32_t ino)
{
	struct ns_known *k;
	int state;

	pthread_mutex_lock(&ns_lock);
	k = known_find(ino, false);
	state = !k ? 0 : k->gone ? -1 : 1;
	pthread_mutex_unlock(&ns_lock);
	return state;
}

/*
 * Look for a way into namespace ino among dir/<entry><suffix>: ip netns's
 * mounts, or processes (/proc/<pid>/ns/net)
 */
static bool scan_dir(const char *dir, const char *suffix, bool pids, uint32_t ino, char *path,
		     size_t len, bool *denied)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' || (pids && (de->d_name[0] < '0' || de->d_name[0] > '9')))
			continue;
		if (snprintf(path, len, "%s/%s%s", dir, de->d_name, suffix) >= (int)len)
			continue;
		if (stat(path, &st) == 0)
			found = (uint32_t)st.st_ino == ino;
		else if (errno == EACCES || errno == EPERM)
			*denied = true; /* another user's process: it may be in there */
	}
	closedir(d);
	return found;
}

/*
 * 1 with a path into namespace ino, 0 if it does not exist, -1 if kstatd
 * cannot tell: it was never found, and some process could not be looked
 * at.  A namespace found before and not now is gone: whatever held it let
 * go.
 */
static int find_ns_path(uint32_t ino, char *path, size_t len)
{
	bool found, denied = false, before;
	struct ns_known *k;

	pthread_mutex_lock(&ns_lock);
	k = known_find(ino, false);
	if (k && k->path[0] && path_ino(k->path) == ino) {
		snprintf(path, len, "%s", k->path);
		pthread_mutex_unlock(&ns_lock);
		return 1;
	}
	before = k && (k->path[0] || k->gone);
	pthread_mutex_unlock(&ns_lock);
	found = scan_dir(NETNS_RUN_DIR, "", false, ino, path, len, &denied) ||
		scan_dir("/proc", "/ns/net", true, ino, path, len, &denied);
	pthread_mutex_lock(&ns_lock);
	k = found ? known_find(ino, true) : NULL;
	if (k && strlen(path) < sizeof(k->path))
		snprintf(k->path, sizeof(k->path), "%s", path);
	pthread_mutex_unlock(&ns_lock);
	return found ? 1 : denied && !before ? -1 : 0;
}

static int ns_instance(const struct net_pass *p, uint32_t ino)
{
	struct ns_known *k;
	int id;

	if (ino == p->own || ino == 0) /* 0: a kernel without network namespaces */
		return 0;
	pthread_mutex_lock(&ns_lock);
	k = known_find(ino, true);
	id = k ? k->id : -1;
	pthread_mutex_unlock(&ns_lock);
	return id;
}

static int copy_links(struct ns_links *l, struct if_nameindex *ifs)
{
	size_t n = 0;

	for (struct if_nameindex *i = ifs; i->if_index; i++)
		n++;
	l->v = calloc(n ? n : 1, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (struct if_nameindex *i = ifs; i->if_index; i++, l->n++) {
		l->v[l->n].ifindex = i->if_index;
		snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", i->if_name);
	}
	return 0;
}

struct dump_job {
	const char *path;
	uint32_t ino;
	struct if_nameindex *ifs;
	uint64_t cookie;
	int err;
};

/* The cookie of the calling thread's network namespace, 0 if unknown */
static uint64_t netns_cookie(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(uint64_t);
	uint64_t cookie = 0;

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) || len != sizeof(cookie))
		cookie = 0;
	close(fd);
	return cookie;
}

/* A thread of its own enters the namespace, so kstatd's threads never do */
static void *dump_in_ns(void *arg)
{
	struct dump_job *j = arg;
	int fd = open(j->path, O_RDONLY | O_CLOEXEC);

	struct stat st;

	if (fd < 0) {
		j->err = -errno;
		return NULL;
	}
	/* the path was found a moment ago: it may name another namespace now */
	if (fstat(fd, &st) || (uint32_t)st.st_ino != j->ino) {
		j->err = -ENOENT;
		close(fd);
		return NULL;
	}
	if (setns(fd, CLONE_NEWNET)) {
		j->err = -errno;
		close(fd);
		return NULL;
	}
	close(fd);
	j->cookie = netns_cookie();
	j->ifs = if_nameindex();
	if (!j->ifs)
		j->err = -errno;
	return NULL;
}

/* List namespace l->ino's interfaces, entering it: sets l->state and l->v */
static void list_ns(struct ns_links *l)
{
	struct dump_job j = {};
	char path[300];
	pthread_t t;
	int found;

	l->state = NS_UNKNOWN;
	if ((found = find_ns_path(l->ino, path, sizeof(path))) <= 0) {
		l->state = found == 0 ? NS_GONE : NS_UNKNOWN;
		if (found == 0)
			known_bury(l->ino);
		return;
	}
	j.path = path;
	j.ino = l->ino;
	if (pthread_create(&t, NULL, dump_in_ns, &j))
		return;
	pthread_join(t, NULL);
	if (!j.err && copy_links(l, j.ifs) == 0)
		l->state = NS_FOUND;
	l->cookie = j.cookie;
	if (j.ifs)
		if_freenameindex(j.ifs);
}

/*
 * In the helper: namespace ino's interfaces, as the namespace's cookie
 * (u64) and then its links
 */
static int32_t net_links(uint32_t ino, void **payload, size_t *len)
{
	struct ns_links l = { .ino = ino };
	char *p = NULL;

	list_ns(&l);
	if (l.state == NS_FOUND && (p = malloc(sizeof(l.cookie) + l.n * sizeof(*l.v)))) {
		memcpy(p, &l.cookie, sizeof(l.cookie));
		memcpy(p + sizeof(l.cookie), l.v, l.n * sizeof(*l.v));
	}
	free(l.v);
	*payload = p;
	*len = p ? sizeof(l.cookie) + l.n * sizeof(*l.v) : 0;
	return p || l.state != NS_FOUND ? l.state : NS_UNKNOWN;
}

/* Ask the helper; false when there is none */
static bool helper_list(struct ns_links *l)
{
	int32_t status;
	size_t len;
	void *v;
	int err;

	err = nshelper_call(NSH_NETNS_LINKS, l->ino, &status, &v, &len);
	if (err == -ENOSYS)
		return false;
	l->state = NS_UNKNOWN;
	if (err || status < NS_FOUND || status > NS_UNKNOWN ||
	    (status == NS_FOUND &&
	     (len < sizeof(l->cookie) || (len - sizeof(l->cookie)) % sizeof(*l->v)))) {
		free(v);
		return true;
	}
	l->state = (enum ns_state)status;
	if (status != NS_FOUND) {
		free(v);
		return true;
	}
	memcpy(&l->cookie, v, sizeof(l->cookie));
	len -= sizeof(l->cookie);
	memmove(v, (char *)v + sizeof(l->cookie), len);
	l->v = v;
	l->n = len / sizeof(*l->v);
	for (size_t i = 0; i < l->n; i++)
		l->v[i].name[IF_NAMESIZE - 1] = '\0';
	return true;
}

static void dump_ns(const struct net_pass *p, struct ns_links *l)
{
	struct if_nameindex *ifs;

	l->state = NS_UNKNOWN;
	if (l->ino == p->own || l->ino == 0) {
		ifs = if_nameindex();
		if (ifs && copy_links(l, ifs) == 0)
			l->state = NS_FOUND;
		if (ifs)
			if_freenameindex(ifs);
		return;
	}
	if (!helper_list(l))
		list_ns(l);
}

/*
 * The namespace at l->ino is not the one met there before: that one is
 * gone.  The first cookie seen at an inode is the one it is held to.
 */
static bool replaced(const struct ns_links *l)
{
	struct ns_known *k;
	bool other = false;

	if (l->state != NS_FOUND || !l->cookie)
		return false;
	pthread_mutex_lock(&ns_lock);
	k = known_find(l->ino, true);
	if (k && !k->cookie)
		k->cookie = l->cookie;
	else if (k)
		other = k->cookie != l->cookie;
	pthread_mutex_unlock(&ns_lock);
	return other;
}

static struct ns_links *links_of(struct net_pass *p, uint32_t ino)
{
	struct ns_links *nv;

	for (size_t i = 0; i < p->nns; i++)
		if (p->ns[i].ino == ino)
			return &p->ns[i];
	nv = realloc(p->ns, (p->nns + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	p->ns = nv;
	p->ns[p->nns] = (struct ns_links){ .ino = ino };
	dump_ns(p, &p->ns[p->nns]);
	if (ino != p->own && ino != 0 && replaced(&p->ns[p->nns])) {
		free(p->ns[p->nns].v);
		p->ns[p->nns].v = NULL;
		p->ns[p->nns].n = 0;
		p->ns[p->nns].state = NS_GONE;
	}
	return &p->ns[p->nns++];
}

static void *net_begin(void)
{
	struct net_pass *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->own = path_ino("/proc/thread-self/ns/net");
	if (!p->own)
		p->own = path_ino("/proc/self/ns/net");
	return p;
}

static int net_decode(void *pass, uint64_t key, struct keydec_ent *out)
{
	struct net_pass *p = pass;
	uint32_t ino = (uint32_t)(key >> 32), ifindex = (uint32_t)key;
	struct ns_links *l = links_of(p, ino);

	if (l && l->state == NS_GONE) {
		known_bury(ino); /* its entries go now: a new instance if the inode comes back */
		return KD_GONE;
	}
	out->instance = ns_instance(p, ino);
	if (!l || out->instance < 0 || l->state == NS_UNKNOWN) {
		snprintf(out->name, sizeof(out->name), "if%u", ifindex);
		return KD_UNKNOWN;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].ifindex == ifindex) {
			snprintf(out->name, sizeof(out->name), "%s", l->v[i].name);
			return KD_ALIVE;
		}
	}
	return KD_GONE;
}

/* kstatd's own interfaces, and those of every namespace seen in this pass */
static int net_enumerate(void *pass, uint64_t **keys)
{
	struct net_pass *p = pass;
	size_t n = 0, cap = 0;

	*keys = NULL;
	if (p->own && !links_of(p, p->own))
		return -ENOMEM;
	for (size_t i = 0; i < p->nns; i++) {
		const struct ns_links *l = &p->ns[i];

		for (size_t j = 0; l->state == NS_FOUND && j < l->n; j++) {
			if (keydec_push(keys, &n, &cap, (uint64_t)l->ino << 32 | l->v[j].ifindex)) {
				free(*keys);
				*keys = NULL;
				return -ENOMEM;
			}
		}
	}
	return (int)n;
}

static void net_end(void *pass)
{
	struct net_pass *p = pass;

	if (!p)
		return;
	for (size_t i = 0; i < p->nns; i++)
		free(p->ns[i].v);
	free(p->ns);
	free(p);
}

const struct keydec_ops keydec_netdev = {
	.name = "netdev",
	.key_size = 8,
	.begin = net_begin,
	.decode = net_decode,
	.enumerate = net_enumerate,
	.end = net_end,
};

int keydec_net_register(void)
{
	return nshelper_register(NSH_NETNS_LINKS, net_links);
}
