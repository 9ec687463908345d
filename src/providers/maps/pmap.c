// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A provider's map as kstats (a pmap): one kstat per CPU, per key or a single one,
 * created and deleted as entries come and go (and, with a key decoder,
 * as the objects the keys stand for do), refreshed by batch reads (or, for
 * a large hash, a program that copies it out: hash_reader.c).
 * Kernel counters are never reset: a Prometheus counter must never go
 * down.  pmap_fill.c turns values into kstat data.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hash_reader.h"
#include "keydec.h"
#include "os/cpus.h"
#include "os/log.h"
#include "pmap_impl.h"
#include "refresh.h"

#define INST_BUCKETS_MIN 64
#define STACK_VALUES 4096

/* Entry i of the last read */
static void *entry_key(const struct pmap *pm, size_t i)
{
	return (char *)pm->keys + i * pm->kstep;
}

static void *entry_vals(const struct pmap *pm, size_t i)
{
	return (char *)pm->vals + i * pm->vstep;
}

static void key_bytes(const struct pmap *pm, uint64_t key, void *out)
{
	if (pm->info.key_size == 4) {
		uint32_t k = (uint32_t)key;

		memcpy(out, &k, 4);
	} else {
		memcpy(out, &key, 8);
	}
}

static uint64_t key_value(const struct pmap *pm, const void *kp)
{
	uint32_t k32;
	uint64_t k64;

	if (pm->info.key_size == 4) {
		memcpy(&k32, kp, 4);
		return k32;
	}
	memcpy(&k64, kp, 8);
	return k64;
}

/* Push a writable kstat's values into its plain array entry */
static int write_value(const struct inst *in)
{
	const struct pmap *pm = in->pm;
	const kstat_named_t *kn = in->ksp->ks_data;
	unsigned char stackbuf[STACK_VALUES], *buf = stackbuf;
	unsigned char key[8];
	int err = 0;

	if (pm->vsize > sizeof(stackbuf) && !(buf = malloc(pm->vsize)))
		return ENOMEM;
	key_bytes(pm, in->key, key);
	/* keep the provider's private members as they are */
	if (bpf_map_lookup_elem(pm->info.fd, key, buf)) {
		err = errno;
		goto out;
	}
	for (uint32_t i = 0; i < pm->sc->nstats; i++, kn++)
		pmap_wr_field(buf, &pm->sc->stats[i].f,
			      kn->data_type == KSTAT_DATA_INT32 ? (uint64_t)(int64_t)kn->value.i32
			      : kn->data_type == KSTAT_DATA_UINT32 ? kn->value.ui32
								   : kn->value.ui64);
	if (bpf_map_update_elem(pm->info.fd, key, buf, BPF_EXIST))
		err = errno;
out:
	if (buf != stackbuf)
		free(buf);
	return err;
}

/*
 * A sharer's failing run leaves its own statistics old (it is logged):
 * the map's others are served all the same.
 */
int pmap_refresh(struct pmap *pm, uint64_t gen)
{
	int err = pm->refresh ? refresh_run(pm->refresh, gen) : 0;

	if (err)
		return err;
	pthread_mutex_lock(&pm->sh_lock);
	for (size_t i = 0; i < pm->nsharers; i++)
		if (pm->sharers[i].on)
			(void)refresh_run(pm->sharers[i].r, gen);
	pthread_mutex_unlock(&pm->sh_lock);
	return 0;
}

static int inst_update(kstat_t *ksp, int rw)
{
	struct inst *in = ksp->ks_private;
	struct pmap *pm = in->pm;
	unsigned char stackbuf[STACK_VALUES], *buf = stackbuf;
	unsigned char key[8];
	uint64_t now;
	int err = 0;

	if (rw == KSTAT_WRITE)
		return pm->sc->writable ? write_value(in) : EACCES;
	/* as the illumos driver: no memory for a read means "try again" */
	if (pm->vsize > sizeof(stackbuf) && !(buf = malloc(pm->vsize)))
		return EAGAIN;
	key_bytes(pm, in->key, key);
	/*
	 * The clock before the copy, as pmap_collect: an interval still
	 * accruing is added up to now, and a program may close it right
	 * after the copy; a clock read later would count past that.
	 */
	now = (uint64_t)snap_now();
	if ((err = -pmap_refresh(pm, 0)))
		goto out_free;
	if (bpf_map_lookup_elem_flags(pm->info.fd, key, buf, pm->lookup_flags))
		err = errno == ENOENT ? ENXIO : errno; /* the entry went: so does the kstat */
	else
		pmap_fill(in, buf, now);
out_free:
	if (buf != stackbuf)
		free(buf);
	return err;
}

/* splitmix64's finalizer: small sequential keys must spread over all buckets */
static size_t inst_bucket(const struct pmap *pm, uint64_t key, int cpu)
{
	uint64_t h = key ^ ((uint64_t)(uint32_t)cpu << 32);

	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (size_t)h & (pm->nbuckets - 1);
}

static struct inst *inst_find(const struct pmap *pm, uint64_t key, int cpu)
{
	struct inst *in;

	for (in = pm->tab[inst_bucket(pm, key, cpu)]; in; in = in->next)
		if (in->key == key && in->cpu == cpu)
			return in;
	return NULL;
}

/*
 * The instance of the i-th entry of the last batch read.  A hash map's
 * batch comes out in bucket order, the same from one read to the next, so
 * remembering what entry i was saves a hash lookup (a cache miss or two)
 * per entry on every walk.
 */
static struct inst *find_at(struct pmap *pm, size_t i)
{
	uint64_t key = key_value(pm, entry_key(pm, i));
	struct inst *in = i < pm->nhint ? pm->hint[i] : NULL;

	if (in && in->key == key && in->cpu == -1)
		return in;
	in = inst_find(pm, key, -1);
	if (i < pm->nhint)
		pm->hint[i] = in;
	return in;
}

static int inst_insert(struct pmap *pm, struct inst *in)
{
	if (pm->ninst + 1 > pm->nbuckets) {
		size_t nb = pm->nbuckets * 2;
		struct inst **nt = calloc(nb, sizeof(*nt)), **old = pm->tab;
		size_t ob = pm->nbuckets;

		if (!nt)
			return -ENOMEM;
		pm->tab = nt;
		pm->nbuckets = nb;
		for (size_t i = 0; i < ob; i++) {
			struct inst *e = old[i], *next;

			for (; e; e = next) {
				size_t b = inst_bucket(pm, e->key, e->cpu);

				next = e->next;
				e->next = nt[b];
				nt[b] = e;
			}
		}
		free(old);
	}
	size_t b = inst_bucket(pm, in->key, in->cpu);

	in->next = pm->tab[b];
	pm->tab[b] = in;
	pm->ninst++;
	return 0;
}

static void inst_unlink(struct pmap *pm, struct inst *in)
{
	struct inst **pp = &pm->tab[inst_bucket(pm, in->key, in->cpu)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == in) {
			*pp = in->next;
			pm->ninst--;
			return;
		}
	}
}

/* Room for n hints (zero: no instance known yet) */
static int grow_hint(struct pmap *pm, size_t n)
{
	struct inst **hint;

	if (n <= pm->nhint)
		return 0;
	hint = realloc(pm->hint, n * sizeof(*hint));
	if (!hint)
		return -ENOMEM;
	memset(hint + pm->nhint, 0, (n - pm->nhint) * sizeof(*hint));
	pm->hint = hint;
	pm->nhint = n;
	return 0;
}

/*
 * Room for n entries in the batch buffers.  They grow with what the map
 * holds, not with what it declares: a hash of 2^24 entries holding 16
 * costs 16 entries' worth.
 */
static int grow_buffers(struct pmap *pm, size_t n)
{
	size_t cap = pm->cap ? pm->cap : 16;
	void *keys, *vals;

	if (n <= pm->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	keys = realloc(pm->bkeys, cap * pm->info.key_size);
	if (keys)
		pm->bkeys = keys;
	vals = keys ? realloc(pm->bvals, cap * pm->vsize) : NULL;
	if (vals)
		pm->bvals = vals;
	if (!vals || grow_hint(pm, cap))
		return -ENOMEM; /* the buffers that grew are kept, cap stays */
	pm->cap = cap;
	pm->keys = pm->bkeys;
	pm->vals = pm->bvals;
	return 0;
}

static bool is_hash(const struct pmap *pm)
{
	switch (pm->info.map_type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	default:
		return false;
	}
}

/*
 * A batch read of a hash takes each bucket's lock with interrupts off,
 * and where turning them on again traps (this costs 300 ns an entry on a
 * PVM guest) that is most of a large map's read: a hash that held this
 * many entries at a batch read is read by a reader program from then on
 * (hash_reader.c).
 */
#define HASH_READER_MIN 8192

/*
 * Room for what a batch read found, and a quarter more: the kernel maps
 * a reader's whole array at once, so all of it counts in kstatd's memory
 * (beside the batch buffers, which syncs still use)
 */
static size_t reader_room(size_t held)
{
	return held + held / 4;
}

/*
 * Read every entry (at most max) with the map's reader program: true
 * with *count set, or false (a batch read then does it) if the map has
 * none (too few entries at the last batch read, or the kernel refused
 * one) or its reader is full (one with more room replaces it).
 */
static bool read_by_program(struct pmap *pm, size_t max, size_t *count)
{
	size_t room = reader_room(pm->rd_held) < max ? reader_room(pm->rd_held) : max;
	char err[256];
	long n;

	if (pm->rd_off || !is_hash(pm) || pm->lookup_flags ||
	    (!pm->rd && pm->rd_held < HASH_READER_MIN))
		return false;
	if (!pm->rd) {
		pm->rd =
			hash_reader_new(pm->info.fd,
					&(struct bpf_map_info){ .type = pm->info.map_type,
								.key_size = pm->info.key_size,
								.value_size = pm->info.value_size },
					room, pm->ncpus, err, sizeof(err));
		if (!pm->rd) {
			log_dbg("%s: map %s: %s: batch reads", pm->sc->module, pm->sc->map_name,
				err);
			pm->rd_off = true;
			return false;
		}
	}
	n = hash_reader_read(pm->rd);
	if (n < 0 || grow_hint(pm, (size_t)n)) {
		log_dbg("%s: map %s: hash reader: %s: batch reads", pm->sc->module,
			pm->sc->map_name, strerror(n < 0 ? (int)-n : ENOMEM));
		pm->rd_off = true;
	} else if ((size_t)n < hash_reader_cap(pm->rd) || (size_t)n >= max) {
		pm->keys = hash_reader_records(pm->rd);
		pm->vals = (char *)pm->keys + 8;
		pm->kstep = pm->vstep = hash_reader_step(pm->rd);
		*count = (size_t)n;
		return true;
	}
	/* refused, or full (there may be more): a batch read sizes the next */
	hash_reader_free(pm->rd);
	pm->rd = NULL;
	return false;
}

/*
 * Read every entry, or the first max_kstats + 1 (the rest would get no
 * kstat): batch lookups into buffers that grow as needed, or a key walk
 * on kernels without batch support for this map type.  For values only
 * (to refresh kstats that exist), a large hash's reader program may read
 * instead: its walk under RCU may miss an entry, or see one twice, where
 * an element is deleted and reused during it (a missed kstat is then read
 * by its own lookup; one seen twice is filled twice); what decides which
 * kstats exist must see every entry once.
 */
static int read_all(struct pmap *pm, bool values, size_t *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = pm->lookup_flags);
	uint32_t ks = pm->info.key_size;
	size_t max = pm->info.max_entries;
	unsigned char key[8], next[8];
	uint64_t in_tok = 0, out_tok = 0;
	size_t total = 0;
	bool first = true;
	int err;

	if (pm->info.max_kstats && max > (size_t)pm->info.max_kstats + 1)
		max = (size_t)pm->info.max_kstats + 1;
	if (values && read_by_program(pm, max, count))
		return 0;
	pm->keys = pm->bkeys;
	pm->vals = pm->bvals;
	pm->kstep = ks;
	pm->vstep = pm->vsize;
	err = grow_buffers(pm, pm->cap ? pm->cap : (max < 64 ? max : 64));
	if (err)
		return err;
	while (!pm->no_batch && total < max) {
		__u32 cnt;

		if (total == pm->cap && grow_buffers(pm, total + 1))
			return -ENOMEM;
		cnt = (__u32)((pm->cap < max ? pm->cap : max) - total);
		err = bpf_map_lookup_batch(pm->info.fd, first ? NULL : &in_tok, &out_tok,
					   entry_key(pm, total), entry_vals(pm, total), &cnt,
					   &opts);

		total += cnt;
		if (err) {
			if (errno == ENOENT)
				break;
			/* ENOSPC: a hash bucket bigger than the room left */
			if (errno == ENOSPC && cnt == 0 && !grow_buffers(pm, pm->cap + 1))
				continue;
			if ((errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP) && first) {
				pm->no_batch = true;
				total = 0;
				break;
			}
			return -errno;
		}
		in_tok = out_tok;
		first = false;
	}
	if (pm->no_batch) {
		size_t tries = 0;
		void *prev = NULL;

		total = 0;
		/*
		 * From the last key read: an entry deleted in between is skipped
		 * by the next call, while a deleted prev would restart the walk.
		 */
		while (total < max && tries++ < 2 * (size_t)max + 2 &&
		       bpf_map_get_next_key(pm->info.fd, prev, next) == 0) {
			if (total == pm->cap && grow_buffers(pm, total + 1))
				return -ENOMEM;
			if (bpf_map_lookup_elem_flags(pm->info.fd, next, entry_vals(pm, total),
						      pm->lookup_flags))
				continue;
			memcpy(key, next, ks);
			prev = key;
			memcpy(entry_key(pm, total), key, ks);
			total++;
		}
	}
	pm->rd_held = total;
	*count = total;
	return 0;
}

/*
 * A batch read walks every slot of the map (a hash's buckets, an array's
 * entries), used or not: a hash declared for 2^24 entries holding 16 is
 * 2^24 buckets a read.  Where the kstats are this few against the slots,
 * one lookup each (a few microseconds) costs less.
 */
#define SPARSE_SLOTS_PER_KSTAT 256

static bool sparse(const struct pmap *pm)
{
	return pm->ninst * SPARSE_SLOTS_PER_KSTAT < pm->info.max_entries;
}

/* Refresh each kstat of a sparse map by its own lookup; called with pm->lock held */
static int collect_by_key(struct pmap *pm, uint64_t gen, uint64_t now)
{
	unsigned char stackbuf[STACK_VALUES], *buf = stackbuf;

	if (pm->vsize > sizeof(stackbuf) && !(buf = malloc(pm->vsize)))
		return -ENOMEM;
	for (size_t b = 0; b < pm->nbuckets; b++) {
		for (struct inst *in = pm->tab[b]; in; in = in->next) {
			unsigned char key[8];

			key_bytes(pm, in->key, key);
			/* gone: its kstat reads ENXIO until the next reconcile removes it */
			if (bpf_map_lookup_elem_flags(pm->info.fd, key, buf, pm->lookup_flags))
				continue;
			snap_ks_lock(in->ksp);
			pmap_fill(in, buf, now);
			snap_mark_fresh(in->ksp, gen);
			snap_ks_unlock(in->ksp);
		}
	}
	if (buf != stackbuf)
		free(buf);
	return 0;
}

/* snap_source: refresh every kstat of this map from one batch read */
static int pmap_collect(struct snap_source *src, uint64_t gen)
{
	struct pmap *pm = (struct pmap *)src;
	unsigned char stackbuf[STACK_VALUES], *buf = stackbuf;
	uint64_t now = (uint64_t)snap_now();
	size_t n = 0;
	int err = 0;

	pthread_mutex_lock(&pm->lock);
	if (pm->ninst == 0)
		goto out_unlock;
	if ((err = pmap_refresh(pm, gen)))
		goto out_unlock;
	if (pm->sc->instance != SI_KEY) {
		unsigned char key[8];

		/* one entry: a plain lookup is one syscall too */
		if (pm->vsize > sizeof(stackbuf) && !(buf = malloc(pm->vsize))) {
			err = -ENOMEM;
			goto out_unlock;
		}
		key_bytes(pm, 0, key);
		if (bpf_map_lookup_elem_flags(pm->info.fd, key, buf, pm->lookup_flags)) {
			err = -errno;
			goto out_unlock;
		}
		for (size_t b = 0; b < pm->nbuckets; b++) {
			for (struct inst *in = pm->tab[b]; in; in = in->next) {
				snap_ks_lock(in->ksp);
				pmap_fill(in, buf, now);
				snap_mark_fresh(in->ksp, gen);
				snap_ks_unlock(in->ksp);
			}
		}
		goto out_unlock;
	}
	if (sparse(pm)) {
		err = collect_by_key(pm, gen, now);
		goto out_unlock;
	}
	err = read_all(pm, true, &n);
	for (size_t i = 0; i < n && !err; i++) {
		struct inst *in = find_at(pm, i);

		if (!in)
			continue; /* new: the next reconcile creates its kstat */
		snap_ks_lock(in->ksp);
		pmap_fill(in, entry_vals(pm, i), now);
		snap_mark_fresh(in->ksp, gen);
		snap_ks_unlock(in->ksp);
	}
out_unlock:
	pthread_mutex_unlock(&pm->lock);
	if (buf != stackbuf)
		free(buf);
	return err;
}

struct pending {
	uint64_t key;
	int instance;
	int cpu;
	size_t at; /* its index in the batch read, or SIZE_MAX */
	char name[KSTAT_STRLEN];
};

/* ks_name of a keyed entry: the value's name member if it has one */
static void entry_name(const struct pmap *pm, const void *vals, char *name)
{
	const struct schema *sc = pm->sc;
	int ncv = pm->percpu ? pm->ncpus : 1;

	strcpy(name, sc->name);
	if (sc->name_from != SN_FIELD)
		return;
	/* a per-CPU entry has its name only in the copy of the CPU that made it */
	for (int c = 0; c < ncv; c++) {
		const char *src = (const char *)pmap_slot(pm, vals, c) + sc->name_field.off;
		size_t len = strnlen(src, sc->name_field.size);

		if (len == 0)
			continue;
		if (len >= KSTAT_STRLEN)
			len = KSTAT_STRLEN - 1;
		memcpy(name, src, len);
		name[len] = '\0';
		schema_clean_name(name);
		return;
	}
}

static bool is_array(const struct pmap *pm)
{
	return pm->info.map_type == BPF_MAP_TYPE_ARRAY ||
	       pm->info.map_type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/*
 * An array cannot lose an entry: in a keyed array, an entry that is all
 * zeros has not been used, and has no kstat unless its decoder lists it.
 */
static bool unused_entry(const struct pmap *pm, const void *vals)
{
	const unsigned char *v = vals;

	if (!is_array(pm))
		return false;
	for (size_t i = 0; i < pm->vsize; i++)
		if (v[i])
			return false;
	return true;
}

/* Name and instance of a keyed entry from its decoder; KD_GONE if it went */
static int decode_entry(struct keydec_pass *kp, struct pending *pe)
{
	struct keydec_ent ent;
	int st = keydec_decode(kp, pe->key, &ent);

	if (st == KD_GONE)
		return st;
	pe->instance = ent.instance;
	if (ent.name[0]) {
		memcpy(pe->name, ent.name, sizeof(pe->name));
		schema_clean_name(pe->name);
	}
	return st;
}

/*
 * Does this entry need a kstat?  in: its instance, if it has one (an
 * existing one under another name or instance is replaced).
 */
static bool needs_kstat(struct pmap *pm, struct inst *in, const struct pending *pe)
{
	if (in && in->instance == pe->instance && strcmp(in->ksp->ks_name, pe->name) == 0) {
		in->seen = pm->rgen;
		return false;
	}
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Append pe to *addp, which grows by doubling: it holds *naddp */
static int pending_add(struct pending **addp, size_t *naddp, const struct pending *pe)
{
	size_t n = *naddp;

	if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4...: full */
		struct pending *v = realloc(*addp, (n ? 2 * n : 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*addp = v;
	}
	(*addp)[(*naddp)++] = *pe;
	return 0;
}

static int cmp_kid_desc(const void *a, const void *b)
{
	kid_t x = (*(struct inst *const *)a)->ksp->ks_kid,
	      y = (*(struct inst *const *)b)->ksp->ks_kid;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Objects the decoder lists that have no entry yet get a zeroed one, so
 * a disk or an interface has its kstat before its first event.  have
 * (sorted) are the keys the map holds.
 */
static int add_listed(struct pmap *pm, struct keydec_pass *kp, const uint64_t *have, size_t nhave,
		      struct pending **addp, size_t *nadd)
{
	uint64_t *keys = NULL;
	void *zero = NULL;
	int nk = keydec_enumerate(kp, &keys), err = 0;

	if (nk <= 0)
		return nk;
	zero = calloc(1, pm->vsize);
	if (!zero) {
		free(keys);
		return -ENOMEM;
	}
	for (int i = 0; i < nk && !err; i++) {
		struct pending pe = {
			.key = keys[i], .instance = (int)keys[i], .cpu = -1, .at = SIZE_MAX
		};
		unsigned char kb[8];

		if (bsearch(&keys[i], have, nhave, sizeof(*have), cmp_u64))
			continue;
		key_bytes(pm, keys[i], kb);
		/* EEXIST: a program made it since the map was read; it needs its kstat all the same */
		if (bpf_map_update_elem(pm->info.fd, kb, zero, BPF_NOEXIST) && errno != EEXIST)
			continue;
		strcpy(pe.name, pm->sc->name);
		if (decode_entry(kp, &pe) == KD_GONE) {
			(void)bpf_map_delete_elem(pm->info.fd, kb);
			continue;
		}
		if (needs_kstat(pm, inst_find(pm, pe.key, -1), &pe))
			err = pending_add(addp, nadd, &pe);
	}
	free(keys);
	free(zero);
	return err;
}

/*
 * The entries of a keyed map that need a kstat (new, or renamed).  With a
 * key decoder, entries whose object is gone are deleted from the map here,
 * and listed objects without an entry get one.  Called with pm->lock held.
 */
static int keyed_pending(struct pmap *pm, struct pending **addp, size_t *naddp)
{
	struct keydec_pass *kp = NULL;
	struct pending *add = NULL;
	size_t n = 0, nadd = 0, nhave = 0;
	uint64_t *have = NULL;
	int err;

	err = read_all(pm, false, &n);
	if (err)
		return err;
	if (pm->sc->key && !(kp = keydec_begin(pm->sc->key)))
		return -errno;
	/* the keys held matter to a decoder's list only; most syncs add nothing */
	if (kp && !(have = calloc(n + 1, sizeof(*have)))) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct pending pe = { .key = key_value(pm, entry_key(pm, i)), .cpu = -1, .at = i };

		pe.instance = (int)pe.key;
		if (unused_entry(pm, entry_vals(pm, i)))
			continue;
		if (have)
			have[nhave++] = pe.key;
		entry_name(pm, entry_vals(pm, i), pe.name);
		if (kp && decode_entry(kp, &pe) == KD_GONE) {
			/* an array's slot cannot go: it stands for nothing, and has no kstat */
			if (pm->info.map_type == BPF_MAP_TYPE_ARRAY ||
			    pm->info.map_type == BPF_MAP_TYPE_PERCPU_ARRAY)
				continue;
			log_dbg("%s: map %s: key %#llx is gone", pm->sc->module, pm->sc->map_name,
				(unsigned long long)pe.key);
			(void)bpf_map_delete_elem(pm->info.fd, entry_key(pm, i));
			continue;
		}
		if (needs_kstat(pm, find_at(pm, i), &pe) && (err = pending_add(&add, &nadd, &pe)))
			goto out;
	}
	if (kp) {
		qsort(have, nhave, sizeof(*have), cmp_u64);
		err = add_listed(pm, kp, have, nhave, &add, &nadd);
	}
	if (!err && pm->info.max_kstats && pm->ninst + nadd > pm->info.max_kstats) {
		size_t room = pm->ninst < pm->info.max_kstats ? pm->info.max_kstats - pm->ninst : 0;

		if (!pm->over_budget)
			log_warn("%s: map %s holds more entries than its budget of %u kstats: the "
				 "rest get none (--provider-max-kstats)",
				 pm->sc->module, pm->sc->map_name, pm->info.max_kstats);
		pm->over_budget = true;
		snap_count_create_failures(pm->snap, nadd - room);
		nadd = room;
	}
out:
	keydec_end(kp);
	free(have);
	if (err) {
		free(add);
		return err;
	}
	*addp = add;
	*naddp = nadd;
	return 0;
}

/*
 * A kstat that cannot be created is tried again at every sync: say so
 * once per entry (up to PMAP_SAID_MAX of them, then once for the map),
 * not at every sync; kstatd:0:engine counts every try.
 */
static void say_once(struct pmap *pm, const struct pending *p, int err)
{
	uint64_t id = p->key ^ ((uint64_t)(uint32_t)p->cpu << 32);

	for (size_t i = 0; i < pm->nsaid; i++)
		if (pm->said[i] == id)
			return;
	if (pm->nsaid == PMAP_SAID_MAX)
		return;
	pm->said[pm->nsaid++] = id;
	log_warn("%s:%d:%s: cannot create kstat: %s%s", pm->sc->module, p->instance, p->name,
		 strerror(err),
		 pm->nsaid == PMAP_SAID_MAX ? " (further ones of this map are not logged)" : "");
}

static kstat_t *create_kstat(struct pmap *pm, const struct pending *p, struct inst *in)
{
	const struct schema *sc = pm->sc;
	kstat_t *ksp;

	ksp = snap_create(pm->snap, sc->module, p->instance, p->name, sc->ks_class, sc->type,
			  sc->ndata, sc->writable ? KSTAT_FLAG_WRITABLE : 0);
	if (!ksp)
		return NULL;
	/*
	 * Counters that continue from a pinned map (a restart, an attach) began
	 * when the map was pinned, and a rate over snaptime - crtime must see
	 * that; an entry that appears later begins now.
	 */
	if (pm->fresh && pm->info.counters_since > 0 && pm->info.counters_since < ksp->ks_crtime)
		ksp->ks_crtime = pm->info.counters_since;
	if (sc->type == KSTAT_TYPE_NAMED) {
		kstat_named_t *kn = ksp->ks_data;

		for (uint32_t i = 0; i < sc->nstats; i++) {
			const struct schema_stat *st = &sc->stats[i];

			for (uint32_t e = 0; e < st->nelem; e++, kn++) {
				char nm[64];

				if (st->kind == SK_HIST)
					schema_hist_slot_name(st, e, nm, sizeof(nm));
				else
					snprintf(nm, sizeof(nm), "%s", st->name);
				snap_named_init(kn, nm, st->data_type);
			}
		}
		snap_set_meta(ksp, pm->meta);
	} else if (sc->type == KSTAT_TYPE_TIMER) {
		strcpy(((kstat_timer_t *)ksp->ks_data)->name, p->name);
	}
	in->ksp = ksp;
	ksp->ks_private = in;
	ksp->ks_update = inst_update;
	snap_set_source(ksp, &pm->src);
	return ksp;
}

/*
 * Queue counts (wcnt, rcnt) of an IO map whose programs are detached mean
 * nothing: the requests they count complete unseen.  At a detach, the time
 * they accrued is committed up to now (readers saw it accrue, and counters
 * never go back) and they are zeroed; before an attach, counts a crashed
 * kstatd left are zeroed, since when they ended is unknown.
 */
static int io_close_entry(struct pmap *pm, const void *key, char *vals, bool commit, uint64_t now)
{
	const struct schema_field *fl = pm->sc->fields;
	int ncv = pm->percpu ? pm->ncpus : 1;
	bool stale = false;

	for (int c = 0; c < ncv; c++) {
		char *v = vals + (size_t)c * pm->vstride;
		uint64_t f[KT_IO_NFIELDS];

		for (int i = 0; i < KT_IO_NFIELDS; i++)
			f[i] = pmap_rd_field(v, &fl[i]);
		if (!f[KT_IO_WCNT] && !f[KT_IO_RCNT])
			continue;
		stale = true;
		if (commit) {
			pmap_io_catch_up(f, KT_IO_WTIME, f[KT_IO_WCNT], now);
			pmap_io_catch_up(f, KT_IO_RTIME, f[KT_IO_RCNT], now);
		}
		f[KT_IO_WCNT] = f[KT_IO_RCNT] = 0;
		for (int i = 0; i < KT_IO_NFIELDS; i++)
			pmap_wr_field(v, &fl[i], f[i]);
	}
	if (stale && bpf_map_update_elem(pm->info.fd, key, vals, BPF_EXIST | pm->lookup_flags) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

static int io_close(struct pmap *pm, bool commit)
{
	uint64_t now = (uint64_t)snap_now();
	unsigned char key[8];
	size_t n = 0;
	char *one;
	int err;

	if (pm->sc->type != KSTAT_TYPE_IO)
		return 0;
	pthread_mutex_lock(&pm->lock);
	if (pm->sc->instance == SI_KEY) {
		err = read_all(pm, false, &n);
		for (size_t e = 0; e < n && !err; e++)
			err = io_close_entry(pm, entry_key(pm, e), entry_vals(pm, e), commit, now);
	} else if (!(one = malloc(pm->vsize))) {
		err = -ENOMEM;
	} else {
		key_bytes(pm, 0, key);
		err = bpf_map_lookup_elem_flags(pm->info.fd, key, one, pm->lookup_flags)
			      ? -errno
			      : io_close_entry(pm, key, one, commit, now);
		free(one);
	}
	pthread_mutex_unlock(&pm->lock);
	return err;
}

/* The BPF side's fetching add is fully ordered: a count read here comes after its key */
static uint64_t keys_gen_now(const struct pmap *pm)
{
	return __atomic_load_n(pm->info.keys_gen, __ATOMIC_ACQUIRE);
}

static int reconcile(struct pmap *pm, bool present)
{
	struct pending *add = NULL;
	struct inst **gone = NULL;
	size_t nadd = 0, ngone = 0;
	int changes = 0, err = 0;
	bool *online = NULL, missed = false;
	uint64_t keys_gen = 0;

	if (!present) {
		pm->fresh = true;
		err = io_close(pm, true);
		if (err)
			log_warn("%s: map %s: cannot close its queues: %s", pm->sc->module,
				 pm->sc->map_name, strerror(-err));
		err = 0;
	}
	pthread_mutex_lock(&pm->lock);
	pm->rgen++;
	pm->keys_current = false;
	if (present && pm->sc->instance == SI_KEY) {
		hrtime_t t0 = snap_now();

		/* before the keys: a change after this read moves it again */
		keys_gen = pm->info.keys_gen ? keys_gen_now(pm) : 0;

		err = keyed_pending(pm, &add, &nadd);
		pm->scan_ns = snap_now() - t0;
		if (err)
			goto out_unlock;
	} else if (present) {
		int ncpu = pm->sc->instance == SI_CPU ? pm->ncpus : 1;

		add = calloc((size_t)ncpu, sizeof(*add));
		online = calloc((size_t)pm->ncpus, sizeof(*online));
		if (!add || !online) {
			err = -ENOMEM;
			goto out_unlock;
		}
		if (pm->sc->instance == SI_CPU && cpus_online(online, pm->ncpus) < 0)
			memset(online, 1, (size_t)pm->ncpus * sizeof(*online));
		for (int c = 0; c < ncpu; c++) {
			int cpu = pm->sc->instance == SI_CPU ? c : -1;
			struct inst *in;

			if (cpu >= 0 && !online[cpu])
				continue;
			in = inst_find(pm, 0, cpu);
			if (in) {
				in->seen = pm->rgen;
				continue;
			}
			add[nadd].key = 0;
			add[nadd].instance = cpu >= 0 ? cpu : 0;
			add[nadd].cpu = cpu;
			add[nadd].at = SIZE_MAX;
			strcpy(add[nadd].name, pm->sc->name);
			nadd++;
		}
	}
	gone = calloc(pm->ninst ? pm->ninst : 1, sizeof(*gone));
	if (!gone) {
		err = -ENOMEM;
		goto out_unlock;
	}
	for (size_t b = 0; b < pm->nbuckets; b++)
		for (struct inst *in = pm->tab[b]; in; in = in->next)
			if (in->seen != pm->rgen)
				gone[ngone++] = in;
	for (size_t i = 0; i < ngone; i++)
		inst_unlink(pm, gone[i]);
	if (ngone && pm->hint) /* they are freed below: no hint may point at them */
		memset(pm->hint, 0, pm->nhint * sizeof(*pm->hint));
out_unlock:
	pthread_mutex_unlock(&pm->lock);
	if (err)
		goto out_free;

	/*
	 * the engine's chain lock comes before ours: no pmap lock held here.
	 * Newest first: the engine's kid-sorted array then closes up at its
	 * end, not over every later kstat each time (a map emptied at once).
	 */
	qsort(gone, ngone, sizeof(*gone), cmp_kid_desc);
	for (size_t i = 0; i < ngone; i++) {
		snap_delete(pm->snap, gone[i]->ksp);
		free(gone[i]);
		changes++;
	}
	for (size_t i = 0; i < nadd; i++) {
		struct inst *in = calloc(1, sizeof(*in));
		kstat_t *ksp;

		if (!in) {
			err = -ENOMEM;
			break;
		}
		in->pm = pm;
		in->key = add[i].key;
		in->instance = add[i].instance;
		in->cpu = add[i].cpu;
		ksp = create_kstat(pm, &add[i], in);
		if (!ksp) {
			say_once(pm, &add[i], errno);
			free(in);
			missed = true;
			continue;
		}
		snap_ks_lock(ksp);
		(void)inst_update(ksp, KSTAT_READ);
		snap_ks_unlock(ksp);
		pthread_mutex_lock(&pm->lock);
		in->seen = pm->rgen;
		err = inst_insert(pm, in);
		/* the next walk finds it where this read did (find_at checks the key) */
		if (!err && add[i].at < pm->nhint)
			pm->hint[add[i].at] = in;
		pthread_mutex_unlock(&pm->lock);
		if (err) {
			snap_delete(pm->snap, ksp);
			free(in);
			break;
		}
		snap_install(pm->snap, ksp);
		changes++;
	}
out_free:
	if (present && !err) {
		pm->fresh = false;
		pm->keys_gen_seen = keys_gen;
		pm->keys_current = !missed;
	}
	free(add);
	free(gone);
	free(online);
	return err ? err : changes;
}

/*
 * A tracked map's keys are as the last reconcile found them, and it made
 * every kstat they needed: kstat_keys_gen has not moved since.
 */
static bool keys_unchanged(const struct pmap *pm)
{
	return pm->info.keys_gen && pm->keys_current && keys_gen_now(pm) == pm->keys_gen_seen;
}

/*
 * A sync of a map that is not tracked (or whose keys changed) must look
 * at every entry to find the new and the gone, and for a
 * map of 100k entries that is tens of milliseconds of the kernel's batch
 * lookup, twice a second: pacing keeps it to a share of a CPU, so that a
 * big map's new entries come later, not at that cost.  What is paced is
 * that reading of every key; making and deleting kstats costs in
 * proportion to what changed and does not delay the next sync.  Attach
 * and detach are never paced.
 */
int pmap_reconcile(struct pmap *pm, bool present)
{
	hrtime_t now = snap_now();
	int ret;

	if (present && pm->was_present &&
	    (keys_unchanged(pm) || (pm->info.sync_pace && now < pm->paced_until)))
		return 0;
	pm->scan_ns = 0;
	ret = reconcile(pm, present);
	pm->was_present = present;
	pm->paced_until = now + pm->scan_ns * (hrtime_t)pm->info.sync_pace;
	return ret;
}

int pmap_close_open(struct pmap *pm)
{
	const struct schema *sc = pm->sc;
	int ncv = pm->percpu ? pm->ncpus : 1, err = io_close(pm, false);
	uint64_t now = (uint64_t)snap_now();
	bool any = false;
	size_t n = 0;

	if (err)
		return err;
	for (uint32_t i = 0; i < sc->nstats; i++)
		any |= sc->stats[i].open;
	if (!any)
		return 0;
	pthread_mutex_lock(&pm->lock);
	err = read_all(pm, false, &n);
	for (size_t e = 0; e < n && !err; e++) {
		char *vals = entry_vals(pm, e);

		for (int c = 0; c < ncv; c++) {
			char *v = vals + (size_t)c * pm->vstride;

			for (uint32_t i = 0; i < sc->nstats; i++) {
				const struct schema_stat *st = &sc->stats[i];
				uint64_t since;

				if (!st->open || !pmap_rd_field(v, &st->flag))
					continue;
				since = pmap_rd_field(v, &st->since);
				if (since && now > since)
					pmap_wr_field(v, &st->f,
						      pmap_rd_field(v, &st->f) + now - since);
			}
			for (uint32_t i = 0; i < sc->nstats; i++)
				if (sc->stats[i].open)
					pmap_wr_field(v, &sc->stats[i].since, 0);
		}
		if (bpf_map_update_elem(pm->info.fd, entry_key(pm, e), vals, BPF_EXIST))
			err = -errno;
	}
	pthread_mutex_unlock(&pm->lock);
	return err;
}

void pmap_set_refresh(struct pmap *pm, struct refresh *r)
{
	pm->refresh = r;
}

int pmap_add_sharer(struct pmap *pm, const char *prov, struct refresh *r, bool attached)
{
	struct pmap_sharer *sh;
	int err = 0;

	pthread_mutex_lock(&pm->sh_lock);
	if (pm->nsharers == PMAP_MAX_SHARERS) {
		err = -ENOSPC;
	} else {
		sh = &pm->sharers[pm->nsharers++];
		sh->r = r;
		sh->on = attached;
		snprintf(sh->prov, sizeof(sh->prov), "%s", prov);
	}
	pthread_mutex_unlock(&pm->sh_lock);
	return err;
}

void pmap_remove_sharer(struct pmap *pm, const struct refresh *r)
{
	pthread_mutex_lock(&pm->sh_lock);
	for (size_t i = 0; i < pm->nsharers; i++) {
		if (pm->sharers[i].r != r)
			continue;
		memmove(&pm->sharers[i], &pm->sharers[i + 1],
			(pm->nsharers - i - 1) * sizeof(pm->sharers[0]));
		pm->nsharers--;
		break;
	}
	pthread_mutex_unlock(&pm->sh_lock);
}

uint32_t pmap_count(const struct pmap *pm)
{
	return (uint32_t)__atomic_load_n(&pm->ninst, __ATOMIC_RELAXED);
}

const struct schema *pmap_schema(const struct pmap *pm)
{
	return pm->sc;
}

/* What an exporter makes of a statistic's kind */
static enum snap_kind snap_kind_of(enum schema_kind kind)
{
	switch (kind) {
	case SK_COUNTER:
		return SNAP_COUNTER;
	case SK_HIST:
		return SNAP_HIST;
	default:
		return SNAP_GAUGE;
	}
}

void pmap_set_attached(struct pmap *pm, const char *provider, bool attached)
{
	const struct schema *sc = pm->sc;

	pthread_mutex_lock(&pm->sh_lock);
	for (size_t i = 0; i < pm->nsharers; i++)
		if (strcmp(pm->sharers[i].prov, provider) == 0)
			pm->sharers[i].on = attached;
	pthread_mutex_unlock(&pm->sh_lock);

	/* KSTAT_FROM statistics are single counters or gauges (the schema says so) */
	for (uint32_t i = 0, rec = 0; pm->meta && i < sc->nstats; rec += sc->stats[i++].nelem)
		if (strcmp(sc->stats[i].from, provider) == 0)
			__atomic_store_n(&pm->meta[rec].kind,
					 attached ? snap_kind_of(sc->stats[i].kind) : SNAP_ABSENT,
					 __ATOMIC_RELAXED);
}

/* What each record means to an exporter, straight from the schema */
static int build_meta(struct pmap *pm)
{
	const struct schema *sc = pm->sc;
	struct snap_stat_meta *m = calloc(sc->ndata ? sc->ndata : 1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	pm->meta = m;
	for (uint32_t i = 0; i < sc->nstats; i++) {
		const struct schema_stat *st = &sc->stats[i];

		for (uint32_t e = 0; e < st->nelem; e++, m++) {
			m->unit = st->unit;
			m->help = st->help;
			/* absent until its provider attaches */
			m->kind = st->from[0] ? SNAP_ABSENT : snap_kind_of(st->kind);
			if (st->kind == SK_HIST) {
				m->hist = st->name;
				m->le = e + 1 == st->nelem ? UINT64_MAX : 1ULL << (e + 1);
			}
		}
	}
	return 0;
}

struct pmap *pmap_new(struct snap *s, struct schema *sc, const struct pmap_info *info)
{
	struct pmap *pm = calloc(1, sizeof(*pm));
	int ncpus = libbpf_num_possible_cpus();

	if (!pm || ncpus <= 0) {
		free(pm);
		errno = ncpus <= 0 ? -ncpus : ENOMEM;
		return NULL;
	}
	pm->snap = s;
	pm->sc = sc;
	pm->info = *info;
	pm->fresh = true;
	pm->percpu = info->map_type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		     info->map_type == BPF_MAP_TYPE_PERCPU_HASH ||
		     info->map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	pm->ncpus = ncpus;
	pm->lookup_flags = sc->spin_lock ? BPF_F_LOCK : 0;
	pm->vstride = (info->value_size + 7) & ~(size_t)7;
	pm->vsize = pm->percpu ? pm->vstride * (size_t)ncpus : info->value_size;
	pm->nbuckets = INST_BUCKETS_MIN;
	pm->tab = calloc(pm->nbuckets, sizeof(*pm->tab));
	if (!pm->tab) {
		free(pm);
		errno = ENOMEM;
		return NULL;
	}
	if ((sc->type == KSTAT_TYPE_NAMED && build_meta(pm) < 0) || pmap_plan(pm) < 0) {
		free(pm->meta);
		free(pm->tab);
		free(pm);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&pm->lock, NULL);
	pthread_mutex_init(&pm->sh_lock, NULL);
	pm->src.collect = pmap_collect;
	snap_source_add(s, &pm->src);
	return pm;
}

void pmap_free(struct pmap *pm)
{
	if (!pm)
		return;
	if (pmap_reconcile(pm, false) < 0) {
		/* out of memory: no kstat may outlive what its update reads */
		for (size_t b = 0; b < pm->nbuckets; b++) {
			struct inst *in = pm->tab[b], *next;

			for (; in; in = next) {
				next = in->next;
				snap_delete(pm->snap, in->ksp);
				free(in);
			}
			pm->tab[b] = NULL;
		}
	}
	snap_source_remove(pm->snap, &pm->src);
	pthread_mutex_destroy(&pm->lock);
	pthread_mutex_destroy(&pm->sh_lock);
	free(pm->tab);
	hash_reader_free(pm->rd);
	free(pm->bkeys);
	free(pm->bvals);
	free(pm->hint);
	free(pm->meta);
	free(pm->plain);
	schema_free(pm->sc);
	free(pm);
}
