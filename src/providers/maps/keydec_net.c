// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * netdev: network interfaces, which live in network namespaces: the same
 * ifindex, even the same name ("lo"), exists once per namespace.  A key's
 * high 32 bits are the inode of the interface's namespace (what lsns and
 * /proc/<pid>/ns/net show), its low 32 bits the ifindex.
 *
 * The namespaces are netns.h's: the kstat instance is the namespace's (0
 * for kstatd's own, then 1, 2, ... in the order kstatd met them), the
 * same as the net provider's link kstats have.  An interface is named from
 * its namespace's links, listed through the netlink socket kstatd holds
 * inside.  A namespace that neither the last look nor a fresh one finds
 * (no process, no mount) is gone, and so are its interfaces; where kstatd
 * has no way in, it keeps them, named if<ifindex>.
 *
 * The kernel hands a freed namespace inode to the next namespace made, at
 * once: a new namespace at an old one's inode is another instance, and
 * the old one's entries are deleted when kstatd finds it gone.  Packets of
 * the new one counted before that pass went to the old entries.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keydec.h"
#include "providers/books/netns.h"

/* Refreshes closer together than this share one look (the net provider's, say) */
#define REFRESH_AGE_MS 250

struct ns_link {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
};

/* One namespace's interfaces, listed once per pass */
struct ns_links {
	uint32_t ino;
	struct netns *ns; /* NULL: gone */
	int instance;
	bool listed;
	size_t n, cap;
	struct ns_link *v;
};

struct net_pass {
	bool refreshed; /* looked again for a namespace not known */
	uint32_t own;
	size_t nns;
	struct ns_links *ns;
};

int keydec_net_state(uint32_t ino)
{
	return netns_state(ino);
}

static int add_link(const struct nl_link *l, void *arg)
{
	struct ns_links *nl = arg;

	if (nl->n == nl->cap) {
		size_t nc = nl->cap ? nl->cap * 2 : 16;
		struct ns_link *nv = realloc(nl->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		nl->v = nv;
		nl->cap = nc;
	}
	nl->v[nl->n].ifindex = l->ifindex;
	memcpy(nl->v[nl->n].name, l->name, IF_NAMESIZE);
	nl->n++;
	return 0;
}

static struct ns_links *links_of(struct net_pass *p, uint32_t ino)
{
	struct ns_links *nv, *l;
	struct netns_id id;

	if (ino == 0) /* a kernel without network namespaces */
		ino = p->own;
	for (size_t i = 0; i < p->nns; i++)
		if (p->ns[i].ino == ino)
			return &p->ns[i];
	nv = realloc(p->ns, (p->nns + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	p->ns = nv;
	l = &p->ns[p->nns++];
	*l = (struct ns_links){ .ino = ino };
	l->ns = netns_get_ino(ino);
	if (!l->ns && !p->refreshed) {
		p->refreshed = true;
		(void)netns_refresh(0);
		l->ns = netns_get_ino(ino);
	}
	if (!l->ns)
		return l;
	netns_ident(l->ns, &id);
	l->instance = id.instance;
	l->listed = netns_links(l->ns, add_link, l) == 0;
	return l;
}

static void *net_begin(void)
{
	struct net_pass *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	(void)netns_refresh(REFRESH_AGE_MS);
	p->own = netns_own_ino();
	return p;
}

static int net_decode(void *pass, uint64_t key, struct keydec_ent *out)
{
	uint32_t ino = (uint32_t)(key >> 32), ifindex = (uint32_t)key;
	struct ns_links *l = links_of(pass, ino);

	if (l && !l->ns)
		return KD_GONE;
	out->instance = l ? l->instance : 0;
	if (!l || !l->listed) {
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

/* The interfaces of every namespace kstatd can read */
static int net_enumerate(void *pass, uint64_t **keys)
{
	struct net_pass *p = pass;
	struct netns **v;
	size_t n = netns_list(&v), nk = 0, cap = 0;
	int err = 0;

	*keys = NULL;
	for (size_t i = 0; !err && i < n; i++) {
		struct netns_id id;
		struct ns_links *l;

		netns_ident(v[i], &id);
		l = links_of(p, id.ino);
		if (!l) {
			err = -ENOMEM;
			break;
		}
		for (size_t j = 0; !err && l->listed && j < l->n; j++)
			err = keydec_push(keys, &nk, &cap,
					  (uint64_t)id.ino << 32 | l->v[j].ifindex);
	}
	netns_list_free(v, n);
	if (err) {
		free(*keys);
		*keys = NULL;
		return err;
	}
	return (int)nk;
}

static void net_end(void *pass)
{
	struct net_pass *p = pass;

	if (!p)
		return;
	for (size_t i = 0; i < p->nns; i++) {
		netns_put(p->ns[i].ns);
		free(p->ns[i].v);
	}
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
