// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * link, ip, icmp, tcp and udp kstats from the kernel's books, per network
 * namespace (net_kstats.h).
 *
 * The loader's thread (sync) alone adds and removes kstats and changes
 * the lists; scrapes (collect) and single reads (ks_update) only read the
 * books into kstats that exist.  The lists change under src->lock, and
 * kstats are created and deleted outside it: a scrape holds the engine's
 * chain lock while it takes src->lock.
 *
 * A namespace's links are listed again only when its RTNLGRP_LINK socket
 * says something changed (a link came, went, was renamed, or changed
 * state), so a sync costs one non-blocking read per namespace.
 */
#include <errno.h>
#include <net/if_arp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "os/bpf_apart.h"
#include "os/log.h"
#include "providers/books/mib2.h"
#include "net_kstats.h"
#include "providers/books/netns.h"
#include "providers/maps/schema.h"
#include "engine/snapshot.h"

/* IFF_LOWER_UP is in <linux/if.h>, which clashes with <net/if.h> */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

/* More links than this across namespaces get no kstat (counted as create failures) */
#define NET_MAX_LINKS 16384

enum lk_stat {
	LK_IPACKETS,
	LK_RBYTES,
	LK_OPACKETS,
	LK_OBYTES,
	LK_IPACKETS64,
	LK_RBYTES64,
	LK_OPACKETS64,
	LK_OBYTES64,
	LK_IERRORS,
	LK_OERRORS,
	LK_COLLISIONS,
	LK_NORCVBUF,
	LK_NOXMTBUF,
	LK_MULTIRCV,
	LK_DROPS,
	LK_IFSPEED,
	LK_LINK_STATE,
	LK_LINK_UP,
	LK_LINK_DUPLEX,
	LK_IFINDEX,
	LK_KIND,
	LK_NBASE,
};

/* Every per-namespace kstat ends with these */
enum id_stat {
	ID_NETNS,
	ID_COOKIE,
	ID_NAME,
	ID_CONTAINER,
	ID_POD,
	ID_NSTATS,
};

#define LK_NSTATS (LK_NBASE + ID_NSTATS)

struct nk_stat {
	const char *name;
	uchar_t type;
	struct snap_stat_meta meta;
};

#define NKC(n, t, unit, help)                             \
	{                                                 \
		n, t,                                     \
		{                                         \
			SNAP_COUNTER, unit, help, NULL, 0 \
		}                                         \
	}
#define NKG(n, t, unit, help)                           \
	{                                               \
		n, t,                                   \
		{                                       \
			SNAP_GAUGE, unit, help, NULL, 0 \
		}                                       \
	}
#define NKS(n, help)                                      \
	{                                                 \
		n, KSTAT_DATA_STRING,                     \
		{                                         \
			SNAP_UNTYPED, NULL, help, NULL, 0 \
		}                                         \
	}

static const struct nk_stat lk_stats[LK_NBASE] = {
	NKC("ipackets", KSTAT_DATA_UINT32, "count", "Packets received, modulo 2^32 (rx_packets)"),
	NKC("rbytes", KSTAT_DATA_UINT32, "bytes", "Bytes received, modulo 2^32 (rx_bytes)"),
	NKC("opackets", KSTAT_DATA_UINT32, "count", "Packets sent, modulo 2^32 (tx_packets)"),
	NKC("obytes", KSTAT_DATA_UINT32, "bytes", "Bytes sent, modulo 2^32 (tx_bytes)"),
	NKC("ipackets64", KSTAT_DATA_UINT64, "count", "Packets received (rx_packets)"),
	NKC("rbytes64", KSTAT_DATA_UINT64, "bytes", "Bytes received (rx_bytes)"),
	NKC("opackets64", KSTAT_DATA_UINT64, "count", "Packets sent (tx_packets)"),
	NKC("obytes64", KSTAT_DATA_UINT64, "bytes", "Bytes sent (tx_bytes)"),
	NKC("ierrors", KSTAT_DATA_UINT64, "count", "Packets received in error (rx_errors)"),
	NKC("oerrors", KSTAT_DATA_UINT64, "count", "Packets not sent for an error (tx_errors)"),
	NKC("collisions", KSTAT_DATA_UINT64, "count", "Collisions on the medium (collisions)"),
	NKC("norcvbuf", KSTAT_DATA_UINT64, "count",
	    "Packets the device dropped for want of receive buffers (rx_missed_errors)"),
	NKC("noxmtbuf", KSTAT_DATA_UINT64, "count",
	    "Packets dropped on their way out, for want of resources (tx_dropped)"),
	NKC("multircv", KSTAT_DATA_UINT64, "count", "Multicast packets received (multicast)"),
	NKC("drops", KSTAT_DATA_UINT64, "count",
	    "Packets the interface dropped, received or to send (rx_dropped + tx_dropped)"),
	NKG("ifspeed", KSTAT_DATA_UINT64, "bits", "Link speed in bits per second, 0 if unknown"),
	NKG("link_state", KSTAT_DATA_UINT32, "count", "1 when the link is up, 0 when down"),
	NKG("link_up", KSTAT_DATA_UINT32, "count", "1 when the link is up"),
	NKG("link_duplex", KSTAT_DATA_UINT32, "count", "0 unknown, 1 half duplex, 2 full duplex"),
	NKG("ifindex", KSTAT_DATA_UINT32, "count", "The interface's index in its namespace"),
	NKS("kind", "device (a driver's), loopback, or the virtual kind (veth, bridge, ...)"),
};

static const struct nk_stat id_stats[ID_NSTATS] = {
	{ "netns", KSTAT_DATA_UINT64, { SNAP_UNTYPED, NULL, "Network namespace inode", NULL, 0 } },
	{ "netns_cookie",
	  KSTAT_DATA_UINT64,
	  { SNAP_UNTYPED, NULL, "Network namespace cookie (never reused), 0 if unknown", NULL,
	    0 } },
	NKS("netns_name", "ip netns name of the namespace, if it has one"),
	NKS("container", "Container id of a process in the namespace, if any"),
	NKS("pod", "Kubernetes pod uid of a process in the namespace, if any"),
};

/* A kstat's copy of its namespace's identity, which its strings point into */
struct nk_ident {
	struct netns_id id;
};

struct nk_ns;
struct net_src;

struct nk_link {
	struct nk_ns *nns;
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	char kind[NL_KIND_LEN];
	kstat_t *ks;
	kstat_named_t kn[LK_NSTATS];
	struct nk_ident ident;
	/* what ethtool was last asked at, under the kstat's lock */
	bool asked;
	uint32_t flags, carrier_changes;
	uint64_t speed;
	uint32_t duplex;
};

struct nk_mib {
	struct net_src *src;
	struct nk_ns *nns;
	int k; /* enum mib2_kstat */
	kstat_t *ks;
	kstat_named_t *kn;
	struct nk_ident ident;
};

struct nk_ns {
	struct netns *ns;
	struct netns_id id;
	struct nk_link **links; /* sorted by ifindex */
	size_t nlinks;
	struct nk_mib *mib[MIB2_NKSTATS];
	bool listed; /* its links were listed once */
	bool seen;
};

struct net_src {
	struct snap_source src; /* first: the engine hands it back to collect() */
	struct snap *snap;
	int iter; /* the task iterator's link, or -1 */
	pthread_mutex_t lock;
	struct nk_ns **ns;
	size_t nns;
	size_t nlinks_total;
	bool over_budget;
	/* the MIB statistics this kernel keeps: index into the table, per kstat */
	uint8_t mib_idx[MIB2_NKSTATS][MIB2_MAX_STATS];
	uint32_t mib_n[MIB2_NKSTATS];
	struct snap_stat_meta mib_meta[MIB2_NKSTATS][MIB2_MAX_STATS + ID_NSTATS];
	struct snap_stat_meta lk_meta[LK_NSTATS];
};

enum ns_stat {
	NS_NAMESPACES,
	NS_UNREADABLE,
	NS_LINKS,
	NS_DISCOVERIES,
	NS_DISCOVERY_TIME,
	NS_ENTERED,
	NS_GONE,
	NS_NSTATS,
};

static const char *const ns_names[NS_NSTATS] = {
	"namespaces",     "namespaces_unread", "links",           "discoveries",
	"discovery_time", "entered",           "namespaces_gone",
};

static const struct snap_stat_meta ns_meta[NS_NSTATS] = {
	{ SNAP_GAUGE, "count", "Network namespaces known (alive: a process or a mount)", NULL, 0 },
	{ SNAP_GAUGE, "count",
	  "Of those, namespaces kstatd could not enter (no helper, no privilege)", NULL, 0 },
	{ SNAP_GAUGE, "count", "link kstats served", NULL, 0 },
	{ SNAP_COUNTER, "count", "Passes looking for network namespaces", NULL, 0 },
	{ SNAP_COUNTER, "ns", "Time of those passes", NULL, 0 },
	{ SNAP_COUNTER, "count", "Ways into a namespace opened", NULL, 0 },
	{ SNAP_COUNTER, "count", "Namespaces found gone", NULL, 0 },
};

static void ident_init(kstat_named_t *kn)
{
	for (int i = 0; i < ID_NSTATS; i++)
		snap_named_init(&kn[i], id_stats[i].name, id_stats[i].type);
}

/* Set a kstat's identity statistics from id (its lock held, or not installed yet) */
static void ident_set(kstat_t *ks, kstat_named_t *kn, struct nk_ident *dst,
		      const struct netns_id *id)
{
	size_t size = ks->ks_ndata * sizeof(kstat_named_t);

	dst->id = *id;
	kn[ID_NETNS].value.ui64 = id->ino;
	kn[ID_COOKIE].value.ui64 = id->cookie;
	snap_named_setstr(&kn[ID_NAME], dst->id.name);
	snap_named_setstr(&kn[ID_CONTAINER], dst->id.container);
	snap_named_setstr(&kn[ID_POD], dst->id.pod);
	for (uint_t i = 0; i < ks->ks_ndata; i++) {
		kstat_named_t *k = (kstat_named_t *)ks->ks_data + i;

		if (k->data_type == KSTAT_DATA_STRING)
			size += KSTAT_NAMED_STR_BUFLEN(k);
	}
	ks->ks_data_size = size;
}

static bool same_ident(const struct netns_id *a, const struct netns_id *b)
{
	return a->ino == b->ino && a->cookie == b->cookie && !strcmp(a->name, b->name) &&
	       !strcmp(a->container, b->container) && !strcmp(a->pod, b->pod);
}

/* illumos's link_state: up means administratively up with a carrier */
static uint32_t link_state(const struct nl_link *l)
{
	if (!(l->flags & IFF_UP) || l->operstate == NL_OPER_DOWN ||
	    l->operstate == NL_OPER_LOWERLAYERDOWN || l->operstate == NL_OPER_NOTPRESENT)
		return 0;
	return l->operstate == NL_OPER_UP || (l->flags & IFF_LOWER_UP) ? 1 : 0;
}

static void link_kind(const struct nl_link *l, char *kind)
{
	if (l->kind[0])
		snprintf(kind, NL_KIND_LEN, "%s", l->kind);
	else if (l->type == ARPHRD_LOOPBACK)
		snprintf(kind, NL_KIND_LEN, "loopback");
	else
		snprintf(kind, NL_KIND_LEN, "device");
	netns_clean(kind);
}

/* The books of one link into its kstat; its lock is held */
static void fill_link(struct nk_link *lk, const struct nl_link *l)
{
	const struct rtnl_link_stats64 *st = &l->st;
	kstat_named_t *kn = lk->kn;
	uint32_t state = link_state(l);

	kn[LK_IPACKETS].value.ui32 = (uint32_t)st->rx_packets;
	kn[LK_RBYTES].value.ui32 = (uint32_t)st->rx_bytes;
	kn[LK_OPACKETS].value.ui32 = (uint32_t)st->tx_packets;
	kn[LK_OBYTES].value.ui32 = (uint32_t)st->tx_bytes;
	kn[LK_IPACKETS64].value.ui64 = st->rx_packets;
	kn[LK_RBYTES64].value.ui64 = st->rx_bytes;
	kn[LK_OPACKETS64].value.ui64 = st->tx_packets;
	kn[LK_OBYTES64].value.ui64 = st->tx_bytes;
	kn[LK_IERRORS].value.ui64 = st->rx_errors;
	kn[LK_OERRORS].value.ui64 = st->tx_errors;
	kn[LK_COLLISIONS].value.ui64 = st->collisions;
	kn[LK_NORCVBUF].value.ui64 = st->rx_missed_errors;
	kn[LK_NOXMTBUF].value.ui64 = st->tx_dropped;
	kn[LK_MULTIRCV].value.ui64 = st->multicast;
	kn[LK_DROPS].value.ui64 = st->rx_dropped + st->tx_dropped;
	kn[LK_LINK_STATE].value.ui32 = state;
	kn[LK_LINK_UP].value.ui32 = state;
	kn[LK_IFSPEED].value.ui64 = lk->speed;
	kn[LK_LINK_DUPLEX].value.ui32 = lk->duplex;
	kn[LK_IFINDEX].value.ui32 = lk->ifindex;
}

static struct nk_link *find_link(struct nk_ns *nns, uint32_t ifindex)
{
	size_t lo = 0, hi = nns->nlinks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (nns->links[mid]->ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nns->nlinks && nns->links[lo]->ifindex == ifindex ? nns->links[lo] : NULL;
}

/*
 * The dump runs under the namespace's lock and a read by kid holds a
 * kstat's lock while it asks the namespace: links are copied out here
 * and written into their kstats once the namespace's lock is dropped.
 */
struct collect_arg {
	struct nk_ns *nns;
	struct nl_link *got;
	size_t n;
};

static int collect_link(const struct nl_link *l, void *arg)
{
	struct collect_arg *ca = arg;

	if (ca->n < ca->nns->nlinks && l->has_stats && find_link(ca->nns, l->ifindex))
		ca->got[ca->n++] = *l;
	return 0;
}

static void collect_links(struct nk_ns *nns, uint64_t gen)
{
	struct collect_arg ca = { nns, calloc(nns->nlinks, sizeof(*ca.got)), 0 };

	if (!ca.got)
		return;
	(void)netns_links(nns->ns, collect_link, &ca);
	for (size_t i = 0; i < ca.n; i++) {
		struct nk_link *lk = find_link(nns, ca.got[i].ifindex);

		snap_ks_lock(lk->ks);
		fill_link(lk, &ca.got[i]);
		snap_mark_fresh(lk->ks, gen);
		snap_ks_unlock(lk->ks);
	}
	free(ca.got);
}

/* The MIB values into one kstat; its lock is held */
static void fill_mib(struct net_src *src, struct nk_mib *m, const struct mib2_values *v)
{
	const struct mib2_table *t = &mib2_tables[m->k];

	for (uint32_t i = 0; i < src->mib_n[m->k]; i++) {
		uint8_t j = src->mib_idx[m->k][i];

		if (t->stats[j].type == KSTAT_DATA_INT32)
			m->kn[i].value.i32 = (int32_t)v->v[m->k][j];
		else
			m->kn[i].value.ui64 = (uint64_t)v->v[m->k][j];
	}
}

static void collect_ns(struct net_src *src, struct nk_ns *nns, uint64_t gen)
{
	struct mib2_values *v;

	if (nns->nlinks)
		collect_links(nns, gen);
	if (!nns->mib[0] || !(v = malloc(sizeof(*v))))
		return;
	if (netns_mib(nns->ns, v) > 0) {
		for (int k = 0; k < MIB2_NKSTATS; k++) {
			struct nk_mib *m = nns->mib[k];

			snap_ks_lock(m->ks);
			fill_mib(src, m, v);
			snap_mark_fresh(m->ks, gen);
			snap_ks_unlock(m->ks);
		}
	}
	free(v);
}

static int net_collect(struct snap_source *s, uint64_t gen)
{
	struct net_src *src = (struct net_src *)s;

	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->nns; i++)
		collect_ns(src, src->ns[i], gen);
	pthread_mutex_unlock(&src->lock);
	return 0;
}

static int update_one(const struct nl_link *l, void *arg)
{
	struct nk_link *lk = arg;

	if (l->ifindex == lk->ifindex && l->has_stats)
		fill_link(lk, l);
	return 0;
}

/* A read of one link kstat by kid: its lock is held */
static int link_update(kstat_t *ks, int rw)
{
	struct nk_link *lk = ks->ks_private;
	int err;

	if (rw == KSTAT_WRITE)
		return EACCES;
	err = netns_link(lk->nns->ns, lk->ifindex, update_one, lk);
	return err == -ENODEV ? ENXIO : err < 0 ? -err : 0;
}

static int mib_update(kstat_t *ks, int rw)
{
	struct nk_mib *m = ks->ks_private;
	struct mib2_values *v;
	int n;

	if (rw == KSTAT_WRITE)
		return EACCES;
	v = malloc(sizeof(*v));
	if (!v)
		return ENOMEM;
	n = netns_mib(m->nns->ns, v);
	if (n > 0)
		fill_mib(m->src, m, v);
	free(v);
	return n < 0 ? -n : 0;
}

static void link_free(struct net_src *src, struct nk_link *lk)
{
	if (lk->ks)
		snap_delete(src->snap, lk->ks);
	free(lk);
}

static struct nk_link *link_new(struct net_src *src, struct nk_ns *nns, const struct nl_link *l)
{
	struct nk_link *lk = calloc(1, sizeof(*lk));
	char ksname[KSTAT_STRLEN];

	if (!lk)
		return NULL;
	lk->nns = nns;
	lk->ifindex = l->ifindex;
	memcpy(lk->ifname, l->name, sizeof(lk->ifname));
	link_kind(l, lk->kind);
	snprintf(ksname, sizeof(ksname), "%s", l->name);
	schema_clean_name(ksname);
	lk->ks = snap_create(src->snap, "link", nns->id.instance, ksname, "net", KSTAT_TYPE_NAMED,
			     LK_NSTATS, KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE);
	if (!lk->ks) {
		log_dbg("net: link:%d:%s: %s", nns->id.instance, ksname, strerror(errno));
		free(lk);
		return NULL;
	}
	/* a walk dumps each namespace's links once (net_collect) */
	snap_set_source(lk->ks, &src->src);
	for (int i = 0; i < LK_NBASE; i++)
		snap_named_init(&lk->kn[i], lk_stats[i].name, lk_stats[i].type);
	ident_init(lk->kn + LK_NBASE);
	snap_named_setstr(&lk->kn[LK_KIND], lk->kind);
	lk->ks->ks_data = lk->kn;
	lk->ks->ks_private = lk;
	lk->ks->ks_update = link_update;
	ident_set(lk->ks, lk->kn + LK_NBASE, &lk->ident, &nns->id);
	snap_set_meta(lk->ks, src->lk_meta);
	return lk;
}

/* ethtool's speed and duplex, asked again when the link's state moved */
static void link_ethtool(struct nk_ns *nns, struct nk_link *lk, const struct nl_link *l)
{
	uint64_t speed;
	uint32_t duplex;

	if (lk->asked && lk->flags == l->flags && lk->carrier_changes == l->carrier_changes)
		return;
	(void)netns_ethtool(nns->ns, l->name, &speed, &duplex);
	snap_ks_lock(lk->ks);
	lk->asked = true;
	lk->flags = l->flags;
	lk->carrier_changes = l->carrier_changes;
	lk->speed = speed;
	lk->duplex = duplex;
	fill_link(lk, l);
	snap_ks_unlock(lk->ks);
}

struct listing {
	struct nl_link *v;
	size_t n, cap;
};

static int list_link(const struct nl_link *l, void *arg)
{
	struct listing *ls = arg;

	if (ls->n == ls->cap) {
		size_t nc = ls->cap ? ls->cap * 2 : 16;
		struct nl_link *nv = realloc(ls->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		ls->v = nv;
		ls->cap = nc;
	}
	ls->v[ls->n++] = *l;
	return 0;
}

static int cmp_link(const void *a, const void *b)
{
	const struct nk_link *x = *(struct nk_link *const *)a, *y = *(struct nk_link *const *)b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

/* List nns's links again and bring its link kstats in step; kstats created plus deleted */
static int sync_links(struct net_src *src, struct nk_ns *nns)
{
	struct listing ls = { 0 };
	struct nk_link **keep = NULL, **gone = NULL, **add = NULL, **old;
	size_t nkeep = 0, ngone = 0, nadd = 0, nold;
	int err, changes = 0;

	err = netns_links(nns->ns, list_link, &ls);
	if (err) {
		free(ls.v);
		return err == -ENOTCONN ? 0 : err;
	}
	pthread_mutex_lock(&src->lock);
	old = nns->links;
	nold = nns->nlinks;
	pthread_mutex_unlock(&src->lock);
	keep = calloc(nold + ls.n + 1, sizeof(*keep));
	gone = calloc(nold + 1, sizeof(*gone));
	add = calloc(ls.n + 1, sizeof(*add));
	if (!keep || !gone || !add) {
		err = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < nold; i++) {
		struct nk_link *lk = old[i];
		bool found = false;

		for (size_t j = 0; j < ls.n && !found; j++) {
			if (ls.v[j].ifindex != lk->ifindex || strcmp(ls.v[j].name, lk->ifname))
				continue;
			found = true;
			link_ethtool(nns, lk, &ls.v[j]);
			ls.v[j].ifindex = 0; /* has its kstat */
		}
		if (found)
			keep[nkeep++] = lk;
		else
			gone[ngone++] = lk;
	}
	for (size_t j = 0; j < ls.n; j++) {
		struct nk_link *lk;

		if (!ls.v[j].ifindex)
			continue;
		if (src->nlinks_total + nadd - ngone >= NET_MAX_LINKS) {
			if (!src->over_budget)
				log_warn("net: more than %d links: the rest get no kstat",
					 NET_MAX_LINKS);
			src->over_budget = true;
			snap_count_create_failures(src->snap, 1);
			continue;
		}
		lk = link_new(src, nns, &ls.v[j]);
		if (!lk)
			continue;
		link_ethtool(nns, lk, &ls.v[j]);
		add[nadd++] = lk;
		keep[nkeep++] = lk;
	}
	qsort(keep, nkeep, sizeof(*keep), cmp_link);
	pthread_mutex_lock(&src->lock);
	nns->links = keep;
	nns->nlinks = nkeep;
	src->nlinks_total = src->nlinks_total + nadd - ngone;
	pthread_mutex_unlock(&src->lock);
	keep = NULL;
	free(old);
	/* the engine's chain lock comes before ours: none of ours held here */
	for (size_t i = 0; i < ngone; i++, changes++)
		link_free(src, gone[i]);
	for (size_t i = 0; i < nadd; i++, changes++)
		snap_install(src->snap, add[i]->ks);
	nns->listed = true;
out_free:
	free(keep);
	free(gone);
	free(add);
	free(ls.v);
	return err ? err : changes;
}

static void mib_free(struct net_src *src, struct nk_mib *m)
{
	if (!m)
		return;
	if (m->ks)
		snap_delete(src->snap, m->ks);
	free(m->kn);
	free(m);
}

static struct nk_mib *mib_new(struct net_src *src, struct nk_ns *nns, int k)
{
	struct nk_mib *m = calloc(1, sizeof(*m));
	const struct mib2_table *t = &mib2_tables[k];
	uint32_t n = src->mib_n[k];

	if (!m)
		return NULL;
	m->src = src;
	m->nns = nns;
	m->k = k;
	m->kn = calloc(n + ID_NSTATS, sizeof(*m->kn));
	if (!m->kn)
		goto err_free;
	m->ks = snap_create(src->snap, t->module, nns->id.instance, t->module, "mib2",
			    KSTAT_TYPE_NAMED, n + ID_NSTATS,
			    KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE);
	if (!m->ks)
		goto err_free;
	/* and reads its /proc/net/snmp and netstat once for all five */
	snap_set_source(m->ks, &src->src);
	for (uint32_t i = 0; i < n; i++) {
		const struct mib2_stat *st = &t->stats[src->mib_idx[k][i]];

		snap_named_init(&m->kn[i], st->name, st->type);
	}
	ident_init(m->kn + n);
	m->ks->ks_data = m->kn;
	m->ks->ks_private = m;
	m->ks->ks_update = mib_update;
	ident_set(m->ks, m->kn + n, &m->ident, &nns->id);
	snap_set_meta(m->ks, src->mib_meta[k]);
	return m;

err_free:
	free(m->kn);
	free(m);
	return NULL;
}

/* The MIB kstats of a namespace kstatd can read, made once */
static int sync_mib(struct net_src *src, struct nk_ns *nns)
{
	struct nk_mib *made[MIB2_NKSTATS] = { 0 };
	struct mib2_values *v;
	int changes = 0;

	if (nns->mib[0] || !src->mib_n[MIB2_TCP] || !netns_readable(nns->ns))
		return 0;
	v = malloc(sizeof(*v));
	if (!v || netns_mib(nns->ns, v) <= 0) {
		free(v);
		return 0;
	}
	for (int k = 0; k < MIB2_NKSTATS; k++) {
		made[k] = mib_new(src, nns, k);
		if (!made[k]) {
			for (int j = 0; j < k; j++)
				mib_free(src, made[j]);
			free(v);
			return 0;
		}
		fill_mib(src, made[k], v);
	}
	free(v);
	for (int k = 0; k < MIB2_NKSTATS; k++, changes++)
		snap_install(src->snap, made[k]->ks);
	pthread_mutex_lock(&src->lock);
	memcpy(nns->mib, made, sizeof(made));
	pthread_mutex_unlock(&src->lock);
	return changes;
}

/* A namespace's names may come after it: its kstats follow */
static void sync_ident(struct nk_ns *nns, const struct netns_id *id)
{
	if (same_ident(&nns->id, id))
		return;
	nns->id = *id;
	for (size_t i = 0; i < nns->nlinks; i++) {
		struct nk_link *lk = nns->links[i];

		snap_ks_lock(lk->ks);
		ident_set(lk->ks, lk->kn + LK_NBASE, &lk->ident, id);
		snap_ks_unlock(lk->ks);
	}
	for (int k = 0; k < MIB2_NKSTATS && nns->mib[k]; k++) {
		struct nk_mib *m = nns->mib[k];

		snap_ks_lock(m->ks);
		ident_set(m->ks, m->kn + m->ks->ks_ndata - ID_NSTATS, &m->ident, id);
		snap_ks_unlock(m->ks);
	}
}

static int ns_free(struct net_src *src, struct nk_ns *nns)
{
	int changes = 0;

	for (size_t i = 0; i < nns->nlinks; i++, changes++)
		link_free(src, nns->links[i]);
	for (int k = 0; k < MIB2_NKSTATS; k++)
		if (nns->mib[k]) {
			mib_free(src, nns->mib[k]);
			changes++;
		}
	src->nlinks_total -= nns->nlinks;
	free(nns->links);
	netns_put(nns->ns);
	free(nns);
	return changes;
}

/* Take every namespace out of the lists (all when all), those gone into gone[] */
static size_t take_gone(struct net_src *src, struct nk_ns **gone, bool all)
{
	size_t kept = 0, ngone = 0;

	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->nns; i++) {
		if (src->ns[i]->seen && !all)
			src->ns[kept++] = src->ns[i];
		else
			gone[ngone++] = src->ns[i];
	}
	src->nns = kept;
	pthread_mutex_unlock(&src->lock);
	return ngone;
}

/* Match the registry's namespaces with ours; new ones are appended */
static int match_ns(struct net_src *src, struct netns **v, size_t n)
{
	struct nk_ns **nv;
	size_t nnew = 0;

	for (size_t i = 0; i < src->nns; i++)
		src->ns[i]->seen = false;
	for (size_t j = 0; j < n; j++) {
		for (size_t i = 0; i < src->nns && v[j]; i++) {
			if (src->ns[i]->ns != v[j])
				continue;
			src->ns[i]->seen = true;
			netns_put(v[j]);
			v[j] = NULL;
		}
		nnew += v[j] != NULL;
	}
	pthread_mutex_lock(&src->lock);
	nv = realloc(src->ns, (src->nns + nnew + 1) * sizeof(*nv));
	if (nv)
		src->ns = nv;
	for (size_t j = 0; nv && j < n; j++) {
		struct nk_ns *nns;

		if (!v[j] || !(nns = calloc(1, sizeof(*nns))))
			continue;
		nns->ns = v[j];
		nns->seen = true;
		netns_ident(v[j], &nns->id);
		v[j] = NULL;
		src->ns[src->nns++] = nns;
	}
	pthread_mutex_unlock(&src->lock);
	return nv ? 0 : -ENOMEM;
}

static int net_sync(void *priv, bool attached)
{
	struct net_src *src = priv;
	struct nk_ns **gone;
	struct netns **v = NULL;
	size_t n = 0, ngone;
	int changes = 0, err = 0;

	if (attached) {
		err = netns_refresh(0);
		if (err < 0)
			log_dbg("net: looking for network namespaces: %s", strerror(-err));
		n = netns_list(&v);
		err = match_ns(src, v, n);
	}
	gone = calloc(src->nns + 1, sizeof(*gone));
	if (!gone) {
		netns_list_free(v, n);
		return -ENOMEM;
	}
	ngone = take_gone(src, gone, !attached);
	for (size_t i = 0; i < ngone; i++)
		changes += ns_free(src, gone[i]);
	free(gone);
	netns_list_free(v, n);
	for (size_t i = 0; attached && i < src->nns; i++) {
		struct nk_ns *nns = src->ns[i];
		struct netns_id id;
		int r = 0;

		netns_ident(nns->ns, &id);
		sync_ident(nns, &id);
		if (!nns->listed || netns_links_changed(nns->ns))
			r = sync_links(src, nns);
		if (r >= 0)
			r += sync_mib(src, nns);
		if (r < 0)
			log_dbg("net: namespace %u: %s", nns->id.ino, strerror(-r));
		else
			changes += r;
	}
	return err < 0 && changes == 0 ? err : changes;
}

static uint32_t net_count(void *priv)
{
	struct net_src *src = priv;
	uint32_t n = 0;

	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->nns; i++)
		n += (uint32_t)src->ns[i]->nlinks + (src->ns[i]->mib[0] ? MIB2_NKSTATS : 0);
	pthread_mutex_unlock(&src->lock);
	return n;
}

static void net_stats(void *priv, uint64_t *out)
{
	struct net_src *src = priv;
	struct netns_stats st;

	netns_get_stats(&st);
	out[NS_NAMESPACES] = st.alive;
	out[NS_UNREADABLE] = st.unreadable;
	pthread_mutex_lock(&src->lock);
	out[NS_LINKS] = src->nlinks_total;
	pthread_mutex_unlock(&src->lock);
	out[NS_DISCOVERIES] = st.refreshes;
	out[NS_DISCOVERY_TIME] = st.refresh_ns;
	out[NS_ENTERED] = st.entered;
	out[NS_GONE] = st.gone;
}

static void net_close(void *priv)
{
	struct net_src *src = priv;

	if (!src)
		return;
	(void)net_sync(src, false);
	snap_source_remove(src->snap, &src->src);
	netns_set_iter(-1);
	if (src->iter >= 0)
		close(src->iter);
	netns_reset();
	pthread_mutex_destroy(&src->lock);
	free(src->ns);
	free(src);
}

/* Which MIB statistics this kernel keeps: those kstatd's own namespace shows */
static void mib_layout(struct net_src *src)
{
	struct mib2_values *v = malloc(sizeof(*v));
	struct netns *own;

	netns_refresh(0);
	own = netns_get_ino(netns_own_ino());
	if (!v || !own || netns_mib(own, v) <= 0) {
		log_warn("net: cannot read /proc/net/snmp: no ip, icmp, tcp or udp kstats");
		netns_put(own);
		free(v);
		return;
	}
	for (int k = 0; k < MIB2_NKSTATS; k++) {
		const struct mib2_table *t = &mib2_tables[k];
		uint32_t n = 0;

		for (uint32_t i = 0; i < t->n; i++) {
			if (!v->found[k][i]) {
				log_info("net: %s:*:%s:%s is absent: this kernel does not keep %s "
					 "%s",
					 t->module, t->module, t->stats[i].name,
					 t->stats[i].section, t->stats[i].field);
				continue;
			}
			src->mib_idx[k][n] = (uint8_t)i;
			src->mib_meta[k][n++] = t->stats[i].meta;
		}
		for (int i = 0; i < ID_NSTATS; i++)
			src->mib_meta[k][n + (uint32_t)i] = id_stats[i].meta;
		src->mib_n[k] = n;
	}
	netns_put(own);
	free(v);
}

static void *net_open(struct snap *s, struct bpf_object *obj, const int *prog_fds)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "netns_tasks");
	struct net_src *src = calloc(1, sizeof(*src));
	int fd = bpf_apart_prog_fd(obj, prog_fds, prog);

	if (!src)
		return NULL;
	src->snap = s;
	pthread_mutex_init(&src->lock, NULL);
	/* without the iterator, namespaces are looked for through /proc */
	src->iter = prog ? bpf_apart_attach(prog, fd) : -ENOENT;
	if (src->iter < 0) {
		log_warn("net: task iterator: %s: network namespaces are looked for through /proc",
			 strerror(-src->iter));
		src->iter = -1;
	}
	netns_set_iter(src->iter);
	for (int i = 0; i < LK_NBASE; i++)
		src->lk_meta[i] = lk_stats[i].meta;
	for (int i = 0; i < ID_NSTATS; i++)
		src->lk_meta[LK_NBASE + i] = id_stats[i].meta;
	mib_layout(src);
	src->src.collect = net_collect;
	snap_source_add(s, &src->src);
	return src;
}

const struct provider_ext net_ext = {
	.open = net_open,
	.sync = net_sync,
	.close = net_close,
	.count = net_count,
	.nstats = NS_NSTATS,
	.stat_names = ns_names,
	.stat_meta = ns_meta,
	.stats = net_stats,
};
