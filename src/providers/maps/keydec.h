/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Key decoders (KSTAT_KEY): what the keys of a keyed provider map stand
 * for.  A decoder names each entry after the live object (a disk, a
 * network interface, an IRQ, a system call), gives its kstat instance,
 * says when the object is gone (the provider then deletes the entry, and
 * with it the kstat), and lists the objects that exist, so that each gets
 * a kstat before its first event.  There is no tracepoint for a disk or an
 * interface going away: this is how kstatd notices, at each sync.
 */
#ifndef __KSTATD_KEYDEC_H
#define __KSTATD_KEYDEC_H

#include <stddef.h>
#include <stdint.h>

#include <sys/kstat.h>

struct keydec_ops;
struct keydec_pass;

enum keydec_state {
	KD_GONE,    /* the object no longer exists: delete the entry */
	KD_ALIVE,   /* exists; instance and name are set */
	KD_UNKNOWN, /* cannot tell (no permission, say): keep it; name may be empty */
};

struct keydec_ent {
	int instance;
	char name[KSTAT_STRLEN]; /* empty: the provider's own name for it */
};

/* The decoder called name ("blkdev", "netdev", "irq", "syscall", "syscall_slot",
 * "skb_drop_reason"), or NULL */
const struct keydec_ops *keydec_find(const char *name);
/* "blkdev, netdev, irq, syscall, syscall_slot, skb_drop_reason": for error messages */
const char *keydec_names(void);
const char *keydec_name(const struct keydec_ops *ops);
/* The size of the map key the decoder reads: 4 or 8 */
uint32_t keydec_key_size(const struct keydec_ops *ops);

/*
 * One reconcile pass: what exists is looked up at most once per pass.
 * NULL with errno on failure.
 */
struct keydec_pass *keydec_begin(const struct keydec_ops *ops);
/* Decode one key; returns an enum keydec_state */
int keydec_decode(struct keydec_pass *p, uint64_t key, struct keydec_ent *out);
/*
 * The keys of the objects that exist now (malloc'd into *keys, the caller
 * frees).  Returns the count, or -errno.
 */
int keydec_enumerate(struct keydec_pass *p, uint64_t **keys);
/* End a pass; NULL is accepted. */
void keydec_end(struct keydec_pass *p);

/*
 * Decoders' parts, for keydec.c's table.  A pass is private to its
 * decoder; all of these may be NULL but decode.
 */
struct keydec_ops {
	const char *name;
	uint32_t key_size;
	void *(*begin)(void);
	int (*decode)(void *pass, uint64_t key, struct keydec_ent *out);
	int (*enumerate)(void *pass, uint64_t **keys);
	void (*end)(void *pass);
};

extern const struct keydec_ops keydec_netdev;
extern const struct keydec_ops keydec_skb_drop;
/* What the netdev decoder holds of the namespace of inode ino: 1 alive, -1 gone, 0 nothing */
int keydec_net_state(uint32_t ino);

/* Append key to a growing array; for enumerate(). 0 or -ENOMEM */
int keydec_push(uint64_t **keys, size_t *n, size_t *cap, uint64_t key);

#endif /* __KSTATD_KEYDEC_H */
