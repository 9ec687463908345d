/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The network namespaces kstatd knows, each with its kstat instance (0
 * for kstatd's own, then 1, 2, ... in the order kstatd meets them, never
 * reused while it runs, as illumos numbers zones), what identifies it (its
 * inode, its cookie, an `ip netns` name, the container and pod of a
 * process inside) and descriptors opened inside it (netns_enter.h)
 * through which kstatd reads its books without privileges.
 *
 * A namespace is alive while a process is in it (the net provider's task
 * iterator lists them; /proc without it) or it is mounted (ip netns, a
 * container runtime's bind mount: /proc/self/mountinfo).  A namespace
 * with neither is gone, or cannot be told from gone: its descriptors are
 * closed.  They hold a reference on it, so a namespace that lost its last
 * process and mount lives on until the next refresh, and its inode cannot
 * go to another namespace meanwhile.  The kernel hands a freed inode to
 * the next namespace made at once; the cookie (never reused) tells them
 * apart where the kernel says it (5.14 and later): a namespace met at the
 * inode of one gone is another instance.
 */
#ifndef __KSTATD_NETNS_H
#define __KSTATD_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mib2.h"
#include "os/nl_link.h"

#define NETNS_NAME_LEN 64
#define NETNS_ID_LEN 72

struct netns;

struct netns_id {
	uint32_t ino;
	int instance;
	uint64_t cookie;              /* 0: the kernel does not say */
	char name[NETNS_NAME_LEN];    /* `ip netns` name (a mount under /run/netns), or "" */
	char container[NETNS_ID_LEN]; /* container id from a process's cgroup, or "" */
	char pod[NETNS_ID_LEN];       /* Kubernetes pod uid from a process's cgroup, or "" */
};

struct netns_stats {
	uint64_t refreshes;  /* discovery passes */
	uint64_t refresh_ns; /* their time */
	uint64_t alive;      /* namespaces known now */
	uint64_t unreadable; /* of those, not entered (no helper, no privilege, raced) */
	uint64_t entered;    /* ways into a namespace opened */
	uint64_t gone;       /* namespaces found gone */
};

/*
 * Discovery from the net provider's task iterator: its link's fd (kept
 * by the caller), or -1 to look through /proc instead.
 */
void netns_set_iter(int link_fd);

/*
 * Find the namespaces alive now, enter those met for the first time and
 * let go of those gone; at most once per min_age_ms (0: now).  Returns 1
 * when the set changed, 0 when not, -errno.
 */
int netns_refresh(unsigned int min_age_ms);

/* The namespaces alive, each with a reference (malloc'd array); netns_list_free them */
size_t netns_list(struct netns ***out);
void netns_list_free(struct netns **v, size_t n);
/* The namespace alive at inode ino, with a reference, or NULL */
struct netns *netns_get_ino(uint32_t ino);
void netns_put(struct netns *ns);
/* 1 alive, -1 gone (one of the last 64 to go), 0 never met */
int netns_state(uint32_t ino);
/* kstatd's own namespace's inode (0 without network namespaces) */
uint32_t netns_own_ino(void);

/* What identifies it now (names may come later) */
void netns_ident(struct netns *ns, struct netns_id *out);
/* kstatd has a way in */
bool netns_readable(struct netns *ns);

/*
 * Its books, one reader at a time per namespace.  -ENOTCONN when kstatd
 * has no way in.
 */
int netns_links(struct netns *ns, nl_link_fn fn, void *arg);
int netns_link(struct netns *ns, uint32_t ifindex, nl_link_fn fn, void *arg);
/* Did a link appear, go, or change since the last call? (true when unknown) */
bool netns_links_changed(struct netns *ns);
int netns_ethtool(struct netns *ns, const char *ifname, uint64_t *speed, uint32_t *duplex);
/* /proc/net/snmp and netstat into out (zeroed first); the number of values found */
int netns_mib(struct netns *ns, struct mib2_values *out);

void netns_get_stats(struct netns_stats *st);

/*
 * Register with the namespace helper (os/nshelper.h) the question it
 * answers for this file, before it starts.  0 or -errno.
 */
int netns_helper_register(void);

/* Forget every namespace (their instances too): at exit, and between tests */
void netns_reset(void);

/*
 * From a /proc/PID/cgroup text: the container id and pod uid its path
 * names, "" where none.  Untrusted text is safe here.
 */
void netns_cgroup_ids(const char *text, char *container, size_t clen, char *pod, size_t plen);
/* Make a string safe for a kstat and a label: printable ASCII, no quote or backslash */
void netns_clean(char *s);

#endif /* __KSTATD_NETNS_H */
