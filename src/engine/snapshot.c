// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The kstat registry: kids, the chain id, create/install/delete, the
 * default update and snapshot routines of each kstat type, and walks.
 * The read and write rules of the /dev/kstat driver are in snap_rw.c.
 *
 * As in illumos, kids are drawn from the chain-id counter, which starts at
 * 0 so that kstat_headers gets kid 0 and kstat_types kid 1, and which bumps
 * on every create and every (non-persistent) delete: kids strictly increase
 * and are never reused while kstatd runs.  The registry keeps kstats in an
 * array sorted by kid (appending keeps it sorted) and a hash by name.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hugemem.h"
#include "snapshot.h"
#include "snapshot_impl.h"

#define NAME_BUCKETS_MIN 256

static const char *const type_names[KSTAT_NUM_TYPES] = {
	"raw", "name=value", "interrupt", "i/o", "event_timer",
};

hrtime_t snap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (hrtime_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

size_t snap_type_elem_size(uchar_t type)
{
	switch (type) {
	case KSTAT_TYPE_RAW:
		return 1;
	case KSTAT_TYPE_NAMED:
		return sizeof(kstat_named_t);
	case KSTAT_TYPE_INTR:
		return sizeof(kstat_intr_t);
	case KSTAT_TYPE_IO:
		return sizeof(kstat_io_t);
	case KSTAT_TYPE_TIMER:
		return sizeof(kstat_timer_t);
	}
	return 0;
}

void snap_named_init(kstat_named_t *kn, const char *name, uchar_t data_type)
{
	memset(kn, 0, sizeof(*kn));
	strncpy(kn->name, name, KSTAT_STRLEN - 1);
	kn->data_type = data_type;
}

void snap_named_setstr(kstat_named_t *kn, const char *str)
{
	KSTAT_NAMED_STR_PTR(kn) = (char *)str;
	KSTAT_NAMED_STR_BUFLEN(kn) = str ? (uint32_t)strlen(str) + 1 : 0;
}

static uint64_t name_hash(const char *module, int instance, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = module; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ (uint32_t)instance) * 0x100000001b3ULL;
	for (p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

/*
 * The chain id (and kid) counter.  After 2^31 changes it wraps to 2, past
 * the fixed kids, without the undefined signed overflow; create skips any
 * kid still in use.
 */
static void chain_bump(struct snap *s)
{
	uint32_t next = ((uint32_t)s->chain_id + 1) & INT_MAX;

	s->chain_id = next == 0 ? 2 : (kid_t)next;
	if (s->kid_reserve && s->chain_id >= s->kid_limit) {
		s->kid_limit = s->kid_reserve(s->kid_ctx, s->chain_id);
		if (s->kid_limit <= s->chain_id)
			s->kid_reserve = NULL;
	}
}

void snap_set_kid_reserve(struct snap *s, kid_t first, kid_t limit, snap_kid_reserve_fn *reserve,
			  void *ctx)
{
	pthread_rwlock_wrlock(&s->chain_lock);
	if (first > s->chain_id)
		s->chain_id = first;
	s->kid_limit = limit;
	s->kid_reserve = limit > s->chain_id ? reserve : NULL;
	s->kid_ctx = ctx;
	pthread_rwlock_unlock(&s->chain_lock);
}

static struct ekstat *find_byname(struct snap *s, const char *module, int instance,
				  const char *name)
{
	uint64_t h = name_hash(module, instance, name);
	struct ekstat *e;

	for (e = s->names[h & (s->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && e->ks.ks_instance == instance &&
		    strcmp(e->ks.ks_module, module) == 0 && strcmp(e->ks.ks_name, name) == 0)
			return e;
	return NULL;
}

static int names_grow(struct snap *s)
{
	size_t nb = s->nbuckets * 2, i;
	struct ekstat **nt = calloc(nb, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (i = 0; i < s->nbuckets; i++) {
		struct ekstat *e = s->names[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			e->hnext = nt[e->hash & (nb - 1)];
			nt[e->hash & (nb - 1)] = e;
		}
	}
	free(s->names);
	s->names = nt;
	s->nbuckets = nb;
	return 0;
}

static void names_remove(struct snap *s, struct ekstat *e)
{
	struct ekstat **pp = &s->names[e->hash & (s->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			return;
		}
	}
}

/* Index of kid in a kid-sorted array of n, or where it would be inserted */
static size_t kid_search_in(struct ekstat *const *v, size_t n, kid_t kid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->ks.ks_kid < kid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The same in the registry's array; *found says whether it is there */
static size_t kid_search(const struct snap *s, kid_t kid, bool *found)
{
	size_t lo = kid_search_in(s->bykid, s->n, kid);

	*found = lo < s->n && s->bykid[lo]->ks.ks_kid == kid;
	return lo;
}

struct ekstat *snap_find_kid(struct snap *s, kid_t kid)
{
	bool found;
	size_t i = kid_search(s, kid, &found);

	return found ? s->bykid[i] : NULL;
}

static int bykid_insert(struct snap *s, struct ekstat *e)
{
	bool found;
	size_t i = kid_search(s, e->ks.ks_kid, &found);

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct ekstat **nb = realloc(s->bykid, ncap * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		s->bykid = nb;
		s->cap = ncap;
	}
	memmove(&s->bykid[i + 1], &s->bykid[i], (s->n - i) * sizeof(*s->bykid));
	s->bykid[i] = e;
	s->n++;
	return 0;
}

static void bykid_remove(struct snap *s, struct ekstat *e)
{
	bool found;
	size_t i = kid_search(s, e->ks.ks_kid, &found);

	if (!found)
		return;
	memmove(&s->bykid[i], &s->bykid[i + 1], (s->n - i - 1) * sizeof(*s->bykid));
	s->n--;
}

static uint64_t tag_hash(int kind, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)kind;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

static struct snap_tag *tag_find(const struct snap *s, int kind, const char *name)
{
	uint64_t h = tag_hash(kind, name);
	struct snap_tag *t;

	for (t = s->tags[h % SNAP_TAG_BUCKETS]; t; t = t->hnext)
		if (t->hash == h && t->kind == kind && strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* Add e to its module's or class's list, making the list if it is the first */
static int tag_add(struct snap *s, struct ekstat *e, int kind)
{
	const char *name = kind == SNAP_TAG_MODULE ? e->ks.ks_module : e->ks.ks_class;
	struct snap_tag *t = tag_find(s, kind, name);
	size_t i;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->kind = kind;
		t->hash = tag_hash(kind, name);
		strcpy(t->name, name);
		t->hnext = s->tags[t->hash % SNAP_TAG_BUCKETS];
		s->tags[t->hash % SNAP_TAG_BUCKETS] = t;
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		struct ekstat **nv = realloc(t->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM; /* an empty new list stays: the next add may fill it */
		t->v = nv;
		t->cap = ncap;
	}
	i = kid_search_in(t->v, t->n, e->ks.ks_kid);
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i] = e;
	t->n++;
	e->tags[kind] = t;
	return 0;
}

static void tag_remove(struct ekstat *e, int kind)
{
	struct snap_tag *t = e->tags[kind];
	size_t i;

	if (!t)
		return;
	i = kid_search_in(t->v, t->n, e->ks.ks_kid);
	if (i < t->n && t->v[i] == e) {
		memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
		t->n--;
	}
	e->tags[kind] = NULL;
}

static int tags_add(struct snap *s, struct ekstat *e)
{
	if (tag_add(s, e, SNAP_TAG_MODULE) == 0 && tag_add(s, e, SNAP_TAG_CLASS) == 0)
		return 0;
	tag_remove(e, SNAP_TAG_MODULE);
	return -ENOMEM;
}

static void tags_free(struct snap *s)
{
	for (size_t b = 0; b < SNAP_TAG_BUCKETS; b++) {
		while (s->tags[b]) {
			struct snap_tag *t = s->tags[b];

			s->tags[b] = t->hnext;
			free(t->v);
			free(t);
		}
	}
}

/*
 * default_kstat_update(): a variable-size NAMED kstat's size follows its
 * strings.  Everything else keeps the size it was created with.
 */
static int default_update(kstat_t *ksp, int rw)
{
	(void)rw;
	if (ksp->ks_type == KSTAT_TYPE_NAMED && (ksp->ks_flags & KSTAT_FLAG_VAR_SIZE) &&
	    ksp->ks_data) {
		kstat_named_t *kn = ksp->ks_data;
		size_t size = ksp->ks_ndata * sizeof(kstat_named_t);

		for (uint_t i = 0; i < ksp->ks_ndata; i++)
			if (kn[i].data_type == KSTAT_DATA_STRING)
				size += KSTAT_NAMED_STR_BUFLEN(&kn[i]);
		ksp->ks_data_size = size;
	}
	return 0;
}

/*
 * The queue integrals of an I/O kstat only move at queue transitions; a
 * snapshot accounts for work still queued up to now, in the copy only, as
 * illumos does, so that a busy disk with no completions still shows busy.
 */
static void io_fixup(kstat_io_t *kio, hrtime_t now)
{
	/*
	 * Data a source collected is stamped with the collect's start, and a
	 * queue may have moved while the map was read: never accrue backwards
	 */
	if (kio->wcnt && now > kio->wlastupdate) {
		hrtime_t fix = now - kio->wlastupdate;

		kio->wlastupdate = now;
		kio->wlentime += (hrtime_t)kio->wcnt * fix;
		kio->wtime += fix;
	}
	if (kio->rcnt && now > kio->rlastupdate) {
		hrtime_t fix = now - kio->rlastupdate;

		kio->rlastupdate = now;
		kio->rlentime += (hrtime_t)kio->rcnt * fix;
		kio->rtime += fix;
	}
}

/*
 * When the data a read is copying out was collected by its source
 * (snap_ks_snapshot_at()); else 0, and it is read now
 */
static __thread hrtime_t read_time;

hrtime_t snap_read_time(void)
{
	return read_time ? read_time : snap_now();
}

/*
 * default_kstat_snapshot(): copy the data out, packing the strings of a
 * NAMED kstat after the array and pointing at the packed copies; on write,
 * copy values in (strings keep their provider-owned storage).
 */
static int default_snapshot(kstat_t *ksp, void *buf, int rw)
{
	hrtime_t now = rw == KSTAT_READ ? snap_read_time() : snap_now();

	ksp->ks_snaptime = now;
	if (rw == KSTAT_WRITE) {
		if (!(ksp->ks_flags & KSTAT_FLAG_WRITABLE))
			return EACCES;
		if (ksp->ks_type == KSTAT_TYPE_NAMED) {
			kstat_named_t *dst = ksp->ks_data;
			const kstat_named_t *src = buf;

			for (uint_t i = 0; i < ksp->ks_ndata; i++)
				if (dst[i].data_type != KSTAT_DATA_STRING)
					dst[i].value = src[i].value;
		} else {
			memcpy(ksp->ks_data, buf, ksp->ks_data_size);
		}
		return 0;
	}

	if (ksp->ks_type == KSTAT_TYPE_NAMED) {
		size_t asize = ksp->ks_ndata * sizeof(kstat_named_t);
		kstat_named_t *kn = buf;
		char *strp = (char *)buf + asize;

		memcpy(buf, ksp->ks_data, asize);
		if (ksp->ks_data_size == asize)
			return 0;
		for (uint_t i = 0; i < ksp->ks_ndata; i++) {
			uint32_t len = KSTAT_NAMED_STR_BUFLEN(&kn[i]);

			if (kn[i].data_type != KSTAT_DATA_STRING || !KSTAT_NAMED_STR_PTR(&kn[i]))
				continue;
			if ((size_t)(strp - (char *)buf) + len > ksp->ks_data_size)
				return EIO; /* a string grew without a size update */
			memcpy(strp, KSTAT_NAMED_STR_PTR(&kn[i]), len);
			KSTAT_NAMED_STR_PTR(&kn[i]) = strp;
			strp += len;
		}
		return 0;
	}
	memcpy(buf, ksp->ks_data, ksp->ks_data_size);
	if (ksp->ks_type == KSTAT_TYPE_IO)
		io_fixup(buf, now);
	return 0;
}

int snap_ks_update(kstat_t *ksp, int rw)
{
	return ksp->ks_update ? ksp->ks_update(ksp, rw) : default_update(ksp, rw);
}

int snap_ks_snapshot(kstat_t *ksp, void *buf, int rw)
{
	return ksp->ks_snapshot ? ksp->ks_snapshot(ksp, buf, rw) : default_snapshot(ksp, buf, rw);
}

int snap_ks_snapshot_at(kstat_t *ksp, void *buf, hrtime_t read_at)
{
	int err;

	read_time = read_at;
	err = snap_ks_snapshot(ksp, buf, KSTAT_READ);
	read_time = 0;
	return err;
}

/* unix:0:kstat_headers: every valid header, in kid order, kid 0 included */
static int headers_update(kstat_t *ksp, int rw)
{
	struct snap *s = ksp->ks_private;

	if (rw == KSTAT_WRITE)
		return EACCES;
	ksp->ks_ndata = (uint_t)s->nvalid;
	ksp->ks_data_size = s->nvalid * sizeof(kstat_t);
	return 0;
}

static int headers_snapshot(kstat_t *ksp, void *buf, int rw)
{
	struct snap *s = ksp->ks_private;
	kstat_t *out = buf;

	if (rw == KSTAT_WRITE)
		return EACCES;
	ksp->ks_snaptime = snap_now();
	/* never more than the update counted (and sized the buffer for) */
	for (size_t i = 0, done = 0; i < s->n && done < ksp->ks_ndata; i++) {
		const kstat_t *k = &s->bykid[i]->ks;

		if (k->ks_flags & KSTAT_FLAG_INVALID)
			continue;
		done++;
		*out = *k;
		/* daemon addresses mean nothing to a client */
		out->ks_next = NULL;
		out->ks_data = NULL;
		out->ks_update = NULL;
		out->ks_private = NULL;
		out->ks_snapshot = NULL;
		out->ks_lock = NULL;
		out++;
	}
	return 0;
}

static bool name_ok(const char *str)
{
	return str && strlen(str) < KSTAT_STRLEN;
}

static bool ndata_ok(uchar_t type, uint_t ndata)
{
	switch (type) {
	case KSTAT_TYPE_INTR:
	case KSTAT_TYPE_IO:
		return ndata == 1;
	default:
		return ndata <= INT_MAX;
	}
}

static void ekstat_free(struct ekstat *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->lock);
	free(e->owned_data);
	free(e);
}

/* e leaves its source (deleted, or DORMANT) */
static void source_leave(struct ekstat *e)
{
	if (e->src)
		__atomic_sub_fetch(&e->src->nkstats, 1, __ATOMIC_RELAXED);
	e->src = NULL;
}

kstat_t *snap_create(struct snap *s, const char *module, int instance, const char *name,
		     const char *ks_class, uchar_t type, uint_t ndata, uchar_t flags)
{
	char namebuf[KSTAT_STRLEN * 2];
	struct ekstat *e, *old;
	size_t size;
	int err;

	if (!name && module) {
		snprintf(namebuf, sizeof(namebuf), "%s%d", module, instance);
		name = namebuf;
	}
	if (!name_ok(module) || !name_ok(name) || !name_ok(ks_class) || type >= KSTAT_NUM_TYPES ||
	    !ndata_ok(type, ndata) ||
	    ((flags & KSTAT_FLAG_PERSISTENT) && (flags & KSTAT_FLAG_VIRTUAL)) ||
	    ((flags & KSTAT_FLAG_VAR_SIZE) && !(flags & KSTAT_FLAG_VIRTUAL)) ||
	    (flags & (KSTAT_FLAG_DORMANT | KSTAT_FLAG_INVALID))) {
		__atomic_add_fetch(&s->stats.create_failures, 1, __ATOMIC_RELAXED);
		errno = EINVAL;
		return NULL;
	}
	size = snap_type_elem_size(type) * ndata;

	pthread_rwlock_wrlock(&s->chain_lock);
	old = find_byname(s, module, instance, name);
	if (old) {
		/* a persistent kstat whose provider went away comes back as it was */
		if ((old->ks.ks_flags & KSTAT_FLAG_DORMANT) && old->ks.ks_type == type &&
		    old->ks.ks_ndata == ndata && strcmp(old->ks.ks_class, ks_class) == 0 &&
		    !(flags & KSTAT_FLAG_VIRTUAL)) {
			old->ks.ks_flags |= KSTAT_FLAG_INVALID;
			s->nvalid--;
			s->ninvalid++;
			pthread_rwlock_unlock(&s->chain_lock);
			return &old->ks;
		}
		pthread_rwlock_unlock(&s->chain_lock);
		__atomic_add_fetch(&s->stats.create_failures, 1, __ATOMIC_RELAXED);
		errno = EEXIST;
		return NULL;
	}

	e = calloc(1, sizeof(*e));
	if (!e)
		goto err_nomem;
	pthread_mutex_init(&e->lock, NULL);
	if (!(flags & KSTAT_FLAG_VIRTUAL)) {
		/* one spare byte, as illumos allocates, so size 0 still has a buffer */
		e->owned_data = calloc(1, size + 1);
		if (!e->owned_data)
			goto err_nomem;
		e->ks.ks_data = e->owned_data;
	}
	strcpy(e->ks.ks_module, module);
	strcpy(e->ks.ks_name, name);
	strcpy(e->ks.ks_class, ks_class);
	e->ks.ks_instance = instance;
	e->ks.ks_type = type;
	e->ks.ks_flags = flags | KSTAT_FLAG_INVALID;
	e->ks.ks_ndata = ndata;
	e->ks.ks_data_size = size;
	e->ks.ks_crtime = snap_now();
	e->ks.ks_snaptime = e->ks.ks_crtime;
	e->hash = name_hash(module, instance, name);

	/* the loop only matters after the 32-bit counter wraps */
	do {
		e->ks.ks_kid = s->chain_id;
		chain_bump(s);
	} while (snap_find_kid(s, e->ks.ks_kid));
	if (s->n + 1 > s->nbuckets * 2 && names_grow(s) < 0) {
		err = ENOMEM;
		goto err_unlock;
	}
	if (bykid_insert(s, e) < 0) {
		err = ENOMEM;
		goto err_unlock;
	}
	if (tags_add(s, e) < 0) {
		bykid_remove(s, e);
		err = ENOMEM;
		goto err_unlock;
	}
	e->hnext = s->names[e->hash & (s->nbuckets - 1)];
	s->names[e->hash & (s->nbuckets - 1)] = e;
	s->ninvalid++;
	__atomic_add_fetch(&s->stats.creates, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&s->chain_lock);
	return &e->ks;

err_nomem:
	err = ENOMEM;
err_unlock:
	pthread_rwlock_unlock(&s->chain_lock);
	ekstat_free(e);
	__atomic_add_fetch(&s->stats.create_failures, 1, __ATOMIC_RELAXED);
	errno = err;
	return NULL;
}

void snap_install(struct snap *s, kstat_t *ksp)
{
	struct ekstat *e = ekstat_of(ksp);

	pthread_rwlock_wrlock(&s->chain_lock);
	if (!(ksp->ks_flags & KSTAT_FLAG_INVALID)) {
		pthread_rwlock_unlock(&s->chain_lock);
		return;
	}
	if (ksp->ks_flags & KSTAT_FLAG_DORMANT) {
		pthread_mutex_lock(&e->lock);
		(void)snap_ks_update(ksp, KSTAT_WRITE);
		pthread_mutex_unlock(&e->lock);
		ksp->ks_flags &= ~KSTAT_FLAG_DORMANT;
	}
	ksp->ks_flags &= ~KSTAT_FLAG_INVALID;
	s->nvalid++;
	s->ninvalid--;
	/*
	 * illumos bumps the chain id at create only, so a client that read
	 * the chain while this kstat was INVALID would not see it until some
	 * later change.  Bump again in exactly that case.
	 */
	if (s->seen_invalid) {
		chain_bump(s);
	}
	if (s->ninvalid == 0)
		s->seen_invalid = false;
	pthread_rwlock_unlock(&s->chain_lock);
}

void snap_delete(struct snap *s, kstat_t *ksp)
{
	struct ekstat *e;

	if (!ksp)
		return;
	e = ekstat_of(ksp);
	pthread_rwlock_wrlock(&s->chain_lock);
	/* one never installed has nothing to keep: it goes like any other */
	if ((ksp->ks_flags & KSTAT_FLAG_PERSISTENT) && !(ksp->ks_flags & KSTAT_FLAG_INVALID)) {
		/* keep the last values readable; the provider's hooks are gone */
		pthread_mutex_lock(&e->lock);
		(void)snap_ks_update(ksp, KSTAT_READ);
		ksp->ks_update = NULL;
		ksp->ks_snapshot = NULL;
		ksp->ks_private = NULL;
		e->meta = NULL; /* the provider's memory */
		source_leave(e);
		ksp->ks_flags |= KSTAT_FLAG_DORMANT;
		pthread_mutex_unlock(&e->lock);
		pthread_rwlock_unlock(&s->chain_lock);
		return;
	}
	bykid_remove(s, e);
	source_leave(e);
	tag_remove(e, SNAP_TAG_MODULE);
	tag_remove(e, SNAP_TAG_CLASS);
	names_remove(s, e);
	if (ksp->ks_flags & KSTAT_FLAG_INVALID) {
		s->ninvalid--;
		if (s->ninvalid == 0)
			s->seen_invalid = false;
	} else {
		s->nvalid--;
	}
	chain_bump(s);
	__atomic_add_fetch(&s->stats.deletes, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&s->chain_lock);
	ekstat_free(e);
}

void snap_count_create_failures(struct snap *s, uint64_t n)
{
	__atomic_add_fetch(&s->stats.create_failures, n, __ATOMIC_RELAXED);
}

kid_t snap_chain_id(struct snap *s)
{
	kid_t kcid;

	pthread_rwlock_rdlock(&s->chain_lock);
	kcid = s->chain_id;
	snap_note_chain_seen(s);
	pthread_rwlock_unlock(&s->chain_lock);
	return kcid;
}

void snap_note_chain_seen(struct snap *s)
{
	if (s->ninvalid && !__atomic_load_n(&s->seen_invalid, __ATOMIC_RELAXED))
		__atomic_store_n(&s->seen_invalid, true, __ATOMIC_RELAXED);
}

struct snap *snap_new(void)
{
	static const char *const hdr_names[2] = { "kstat_headers", "kstat_types" };
	pthread_rwlockattr_t attr;
	struct snap *s;
	kstat_t *ksp;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->nbuckets = NAME_BUCKETS_MIN;
	s->names = calloc(s->nbuckets, sizeof(*s->names));
	if (!s->names) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	/* a steady stream of readers must not starve chain changes */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->chain_lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	ksp = snap_create(s, "unix", 0, hdr_names[0], "kstat", KSTAT_TYPE_RAW, 0,
			  KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE);
	if (!ksp)
		goto err_free;
	ksp->ks_update = headers_update;
	ksp->ks_snapshot = headers_snapshot;
	ksp->ks_private = s;
	snap_install(s, ksp);

	ksp = snap_create(s, "unix", 0, hdr_names[1], "kstat", KSTAT_TYPE_NAMED, KSTAT_NUM_TYPES,
			  KSTAT_FLAG_VIRTUAL);
	if (!ksp)
		goto err_free;
	for (int i = 0; i < KSTAT_NUM_TYPES; i++) {
		snap_named_init(&s->types_data[i], type_names[i], KS_DATA_KULONG);
		s->types_data[i].value.ul = (ulong_t)i;
	}
	ksp->ks_data = s->types_data;
	snap_install(s, ksp);
	return s;

err_free:
	snap_free(s);
	return NULL;
}

void snap_free(struct snap *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		ekstat_free(s->bykid[i]);
	free(s->bykid);
	free(s->names);
	tags_free(s);
	pthread_rwlock_destroy(&s->chain_lock);
	free(s);
}

void snap_source_add(struct snap *s, struct snap_source *src)
{
	pthread_rwlock_wrlock(&s->chain_lock);
	src->next = s->sources;
	s->sources = src;
	pthread_rwlock_unlock(&s->chain_lock);
}

void snap_source_remove(struct snap *s, struct snap_source *src)
{
	struct snap_source **pp;

	pthread_rwlock_wrlock(&s->chain_lock);
	for (pp = &s->sources; *pp; pp = &(*pp)->next) {
		if (*pp == src) {
			*pp = src->next;
			break;
		}
	}
	pthread_rwlock_unlock(&s->chain_lock);
}

void snap_ks_lock(kstat_t *ksp)
{
	pthread_mutex_lock(&ekstat_of(ksp)->lock);
}

void snap_ks_unlock(kstat_t *ksp)
{
	pthread_mutex_unlock(&ekstat_of(ksp)->lock);
}

void snap_set_meta(kstat_t *ksp, const struct snap_stat_meta *meta)
{
	ekstat_of(ksp)->meta = meta;
}

/* When the collect this thread runs began (source_collect()), or 0 */
static __thread hrtime_t collect_began;

void snap_mark_fresh(kstat_t *ksp, uint64_t gen)
{
	struct ekstat *e = ekstat_of(ksp);

	e->fresh_gen = gen;
	e->fresh_at = collect_began ? collect_began : snap_now();
}

/* src's collect for gen; a whole one moves its collect_gen up to gen */
static void source_collect(struct snap_source *src, uint64_t gen)
{
	uint64_t cur;

	collect_began = snap_now();
	if (src->collect(src, gen) == 0) {
		cur = __atomic_load_n(&src->collect_gen, __ATOMIC_RELAXED);
		while (cur < gen &&
		       !__atomic_compare_exchange_n(&src->collect_gen, &cur, gen, true,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	collect_began = 0;
}

/* LONG and ULONG go out as the 64-bit types an LP64 reader knows */
void snap_named_retype_lp64(kstat_named_t *kn, uint_t n)
{
	for (uint_t i = 0; i < n; i++) {
		if (kn[i].data_type == KS_DATA_KLONG)
			kn[i].data_type = KSTAT_DATA_INT64;
		else if (kn[i].data_type == KS_DATA_KULONG)
			kn[i].data_type = KSTAT_DATA_UINT64;
	}
}

/* A source a walk or a read batch met (few: one per provider map), and its kstats asked for */
struct walk_source {
	struct snap_source *src;
	size_t count;
};

struct walk_sources {
	struct walk_source *v;
	size_t n, cap;
};

/* src's entry, added (count 0) if new; NULL if memory ran out */
static struct walk_source *walk_sources_get(struct walk_sources *ws, struct snap_source *src)
{
	for (size_t i = 0; i < ws->n; i++)
		if (ws->v[i].src == src)
			return &ws->v[i];
	if (ws->n == ws->cap) {
		size_t ncap = ws->cap ? ws->cap * 2 : 16;
		struct walk_source *nv = realloc(ws->v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		ws->v = nv;
		ws->cap = ncap;
	}
	ws->v[ws->n] = (struct walk_source){ .src = src };
	return &ws->v[ws->n++];
}

void snap_set_source(kstat_t *ksp, struct snap_source *src)
{
	ekstat_of(ksp)->src = src;
	__atomic_add_fetch(&src->nkstats, 1, __ATOMIC_RELAXED);
}

__thread uint64_t snap_batch_gen;

/* Asked for count of src's kstats in a batch of n items, ahead more to come */
static bool worth_collecting(const struct snap_source *src, uint64_t count, size_t n,
			     uint64_t ahead)
{
	uint64_t asked = count + count * ahead / n; /* count <= n, ahead < 2^32: no overflow */

	return asked * SNAP_BATCH_SHARE >= __atomic_load_n(&src->nkstats, __ATOMIC_RELAXED);
}

void snap_read_batch_begin(struct snap *s, struct snap_session *ss, const kid_t *kids, size_t n,
			   uint64_t ahead)
{
	hrtime_t now = snap_now();
	struct walk_sources seen = { 0 };
	uint64_t gen;

	if (!ss->gen || now < ss->began || now - ss->began > SNAP_SESSION_MAX_NS) {
		ss->gen = __atomic_add_fetch(&s->gen, 1, __ATOMIC_RELAXED);
		ss->began = now;
	}
	gen = __atomic_add_fetch(&s->gen, 1, __ATOMIC_RELAXED);
	ahead = ahead > UINT32_MAX ? UINT32_MAX : ahead;
	pthread_rwlock_rdlock(&s->chain_lock);
	for (size_t i = 0; i < n; i++) {
		struct ekstat *e = snap_find_kid(s, kids[i]);
		struct walk_source *ws;

		if (!e || !e->src || (e->ks.ks_flags & KSTAT_FLAG_INVALID))
			continue;
		ws = walk_sources_get(&seen, e->src);
		if (!ws)
			break; /* what is left reads one kstat at a time */
		ws->count++;
	}
	for (size_t j = 0; j < seen.n; j++) {
		struct snap_source *src = seen.v[j].src;

		/* collected since the session began: its kstats are fresh enough */
		if (worth_collecting(src, seen.v[j].count, n, ahead) &&
		    __atomic_load_n(&src->collect_gen, __ATOMIC_RELAXED) <= ss->gen)
			source_collect(src, gen);
	}
	pthread_rwlock_unlock(&s->chain_lock);
	free(seen.v);
	snap_batch_gen = ss->gen;
}

void snap_read_batch_end(void)
{
	snap_batch_gen = 0;
}

/* One block of a snap_keep: blocks never move, so what emit keeps stays valid */
struct snap_keep_block {
	struct snap_keep_block *next;
	size_t used, size;
	max_align_t data[];
};

/*
 * Blocks double from KEEP_BLOCK_MIN to KEEP_BLOCK_MAX: a walk of 100k
 * kstats keeps tens of MB, in a few blocks big enough for huge pages
 * (common/hugemem.h), which are unmapped when the walk's reader is done.
 */
#define KEEP_BLOCK_MIN (256 * 1024)
#define KEEP_BLOCK_MAX (16 * 1024 * 1024)

void *snap_keep_alloc(struct snap_keep *k, size_t len)
{
	struct snap_keep_block *b = k->blocks;
	size_t want = (len + 15) & ~(size_t)15;
	void *p;

	if (!b || b->size - b->used < want) {
		size_t size = b ? b->size * 2 : KEEP_BLOCK_MIN;

		if (size > KEEP_BLOCK_MAX)
			size = KEEP_BLOCK_MAX;
		if (size < want)
			size = want;
		b = hugemem_realloc(NULL, sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = k->blocks;
		b->used = 0;
		b->size = size;
		k->blocks = b;
	}
	p = (char *)b->data + b->used;
	b->used += want;
	return p;
}

void snap_keep_free(struct snap_keep *k)
{
	while (k && k->blocks) {
		struct snap_keep_block *b = k->blocks;

		k->blocks = b->next;
		hugemem_free(b);
	}
}

/* Ask the kstat's source to collect, if this walk has not yet */
static void walk_collect(struct walk_sources *ws, struct snap_source *src, uint64_t gen)
{
	struct walk_source *w = walk_sources_get(ws, src);

	if (w && w->count++ == 0)
		source_collect(src, gen);
	/* else (no memory) the kstats update one by one */
}

static int cmp_kid(const void *a, const void *b)
{
	kid_t x = (*(struct ekstat *const *)a)->ks.ks_kid,
	      y = (*(struct ekstat *const *)b)->ks.ks_kid;

	return x < y ? -1 : x > y;
}

/*
 * The kstats of the selected modules and classes, in kid order, each once:
 * *listp is malloc'ed (NULL and 0 when none is selected).  Called with the
 * chain lock held.
 */
static int select_kstats(const struct snap *s, const struct snap_select *sel,
			 struct ekstat ***listp, size_t *np)
{
	const char *const *names[2] = { sel->modules, sel->classes };
	size_t counts[2] = { sel->nmodules, sel->nclasses }, n = 0, lists = 0;
	struct ekstat **list = NULL;

	for (int kind = 0; kind < 2; kind++) {
		for (size_t i = 0; i < counts[kind]; i++) {
			const struct snap_tag *tg = tag_find(s, kind, names[kind][i]);
			struct ekstat **nl;

			if (!tg || tg->n == 0)
				continue;
			nl = realloc(list, (n + tg->n) * sizeof(*list));
			if (!nl) {
				free(list);
				return -ENOMEM;
			}
			list = nl;
			memcpy(list + n, tg->v, tg->n * sizeof(*list));
			n += tg->n;
			lists++;
		}
	}
	if (lists > 1) { /* each list is sorted; together they may not be, and may repeat */
		size_t u = 0;

		qsort(list, n, sizeof(*list), cmp_kid);
		for (size_t i = 0; i < n; i++)
			if (u == 0 || list[u - 1] != list[i])
				list[u++] = list[i];
		n = u;
	}
	*listp = list;
	*np = n;
	return 0;
}

int snap_walk_keep(struct snap *s, const struct snap_select *sel, snap_want_fn want,
		   snap_emit_fn emit, void *arg, struct snap_keep *keep)
{
	uint64_t gen = __atomic_add_fetch(&s->gen, 1, __ATOMIC_RELAXED);
	struct walk_sources ws = { 0 };
	hrtime_t t0 = snap_now();
	struct ekstat **list, **chosen = NULL;
	size_t bufsize = 0, n;
	void *buf = NULL;
	int ret = 0;

	pthread_rwlock_rdlock(&s->chain_lock);
	list = s->bykid;
	n = s->n;
	if (sel && (ret = select_kstats(s, sel, &chosen, &n)) == 0)
		list = chosen;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct ekstat *e = list[i];
		kstat_t hdr, *hp = &hdr;
		bool fresh;
		void *data;
		int err;

		if ((e->ks.ks_flags & KSTAT_FLAG_INVALID) || (want && !want(&e->ks, arg)))
			continue;
		if (e->src)
			walk_collect(&ws, e->src, gen);
		pthread_mutex_lock(&e->lock);
		/*
		 * Refreshed by its source's collect: its numbers are as of that
		 * read, and the clock is not read again for each of its kstats
		 */
		fresh = e->fresh_gen == gen;
		err = fresh ? 0 : snap_ks_update(&e->ks, KSTAT_READ);
		data = buf;
		if (!err && keep) {
			hp = snap_keep_alloc(keep, sizeof(*hp) + e->ks.ks_data_size + 1);
			data = hp ? hp + 1 : NULL;
			if (!hp) {
				hp = &hdr;
				err = ENOMEM;
			}
		} else if (!err && e->ks.ks_data_size + 1 > bufsize) {
			void *nb = realloc(buf, e->ks.ks_data_size + 1);

			if (nb) {
				buf = data = nb;
				bufsize = e->ks.ks_data_size + 1;
			} else {
				err = ENOMEM;
			}
		}
		if (!err)
			err = snap_ks_snapshot_at(&e->ks, data, fresh ? e->fresh_at : 0);
		*hp = e->ks;
		pthread_mutex_unlock(&e->lock);
		if (err)
			continue; /* a vanished source: skip it, as a reader gets an error */
		hp->ks_next = NULL;
		hp->ks_data = data;
		hp->ks_update = NULL;
		hp->ks_snapshot = NULL;
		hp->ks_private = NULL;
		hp->ks_lock = NULL;
		if (hp->ks_type == KSTAT_TYPE_NAMED)
			snap_named_retype_lp64(data, hp->ks_ndata);
		ret = emit(hp, e->meta, arg);
	}
	pthread_rwlock_unlock(&s->chain_lock);
	free(chosen);
	free(buf);
	free(ws.v);
	__atomic_add_fetch(&s->stats.walks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->stats.walk_nsec, (uint64_t)(snap_now() - t0), __ATOMIC_RELAXED);
	return ret;
}

int snap_walk(struct snap *s, snap_want_fn want, snap_emit_fn emit, void *arg)
{
	return snap_walk_keep(s, NULL, want, emit, arg, NULL);
}

/* Lock-free: it is called from kstat updates, under the chain lock. */
void snap_get_stats(struct snap *s, struct snap_stats *st)
{
	st->reads = __atomic_load_n(&s->stats.reads, __ATOMIC_RELAXED);
	st->writes = __atomic_load_n(&s->stats.writes, __ATOMIC_RELAXED);
	st->walks = __atomic_load_n(&s->stats.walks, __ATOMIC_RELAXED);
	st->walk_nsec = __atomic_load_n(&s->stats.walk_nsec, __ATOMIC_RELAXED);
	st->creates = __atomic_load_n(&s->stats.creates, __ATOMIC_RELAXED);
	st->deletes = __atomic_load_n(&s->stats.deletes, __ATOMIC_RELAXED);
	st->create_failures = __atomic_load_n(&s->stats.create_failures, __ATOMIC_RELAXED);
	st->kstats = __atomic_load_n(&s->nvalid, __ATOMIC_RELAXED);
}
