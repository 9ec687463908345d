// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Provider maps as kstats.  BPF programs only add to their own CPU's copy
 * of a value; here those copies are combined (summed in u64, or min/max
 * where the schema says so) into kstat data.  Kernel counters are never
 * reset: a Prometheus counter must never go down.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "provider.h"
#include "schema.h"
#include "snapshot.h"

#define INST_BUCKETS_MIN 64
#define STACK_VALUES 4096

struct inst {
	kstat_t *ksp;
	struct pmap *pm;
	uint64_t key;
	int cpu;           /* this CPU's copy, or -1 for all combined */
	uint64_t seen;     /* reconcile generation */
	struct inst *next; /* hash chain */
};

struct pmap {
	struct snap_source src; /* first: the engine hands it back to collect() */
	struct snap *snap;
	struct schema *sc;
	struct pmap_info info;
	bool percpu;
	int ncpus;
	size_t vstride;              /* one CPU's copy: value size rounded up to 8 */
	size_t vsize;                /* one entry as the kernel returns it */
	struct snap_stat_meta *meta; /* NAMED: one per record, shared by all kstats */
	pthread_mutex_t lock;        /* the instance table and the batch buffers */
	struct inst **tab;
	size_t nbuckets, ninst;
	uint64_t rgen;
	bool no_batch;      /* kernel without batch ops for this map type */
	void *keys, *vals;  /* batch buffers, max_entries entries each */
	struct inst **hint; /* the instance of each entry of the last batch */
};

static uint64_t rd_field(const void *base, const struct schema_field *f)
{
	const unsigned char *p = (const unsigned char *)base + f->off;

	switch (f->size) {
	case 1:
		return f->is_signed ? (uint64_t)(int64_t) * (const int8_t *)p : *p;
	case 2: {
		uint16_t v;

		memcpy(&v, p, 2);
		return f->is_signed ? (uint64_t)(int64_t)(int16_t)v : v;
	}
	case 4: {
		uint32_t v;

		memcpy(&v, p, 4);
		return f->is_signed ? (uint64_t)(int64_t)(int32_t)v : v;
	}
	default: {
		uint64_t v;

		memcpy(&v, p, 8);
		return v;
	}
	}
}

static void wr_field(void *base, const struct schema_field *f, uint64_t v)
{
	unsigned char *p = (unsigned char *)base + f->off;
	uint32_t v32 = (uint32_t)v;
	uint16_t v16 = (uint16_t)v;

	switch (f->size) {
	case 1:
		*p = (unsigned char)v;
		break;
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

static const void *slot(const struct pmap *pm, const void *vals, int cpu)
{
	return (const char *)vals + (size_t)cpu * pm->vstride;
}

/* One CPU's value of a statistic, with time still accruing added in */
static uint64_t stat_value(const struct schema_stat *st, const void *v, uint32_t elem, uint64_t now)
{
	struct schema_field f = st->f;
	uint64_t val;

	f.off += elem * f.size;
	val = rd_field(v, &f);
	if (st->open && rd_field(v, &st->flag)) {
		uint64_t since = rd_field(v, &st->since);

		if (since && now > since)
			val += now - since;
	}
	return val;
}

static uint64_t combine(const struct pmap *pm, const struct schema_stat *st, const void *vals,
			int ncv, uint32_t elem, uint64_t now)
{
	uint64_t acc = 0;
	bool any = false;

	for (int c = 0; c < ncv; c++) {
		uint64_t v = stat_value(st, slot(pm, vals, c), elem, now);

		switch (st->kind) {
		case SK_MIN:
			/* CPUs that never saw the event hold 0, which is not a minimum */
			if (v && (!any || v < acc)) {
				acc = v;
				any = true;
			}
			break;
		case SK_MAX:
			if (st->f.is_signed ? (int64_t)v > (int64_t)acc || !any : v > acc)
				acc = v;
			any = true;
			break;
		default:
			acc += v;
			break;
		}
	}
	return acc;
}

static void store_named(kstat_named_t *kn, uint64_t v)
{
	switch (kn->data_type) {
	case KSTAT_DATA_INT32:
		kn->value.i32 = (int32_t)v;
		break;
	case KSTAT_DATA_UINT32:
		kn->value.ui32 = (uint32_t)v;
		break;
	default:
		kn->value.ui64 = v;
		break;
	}
}

static void fill_named(const struct inst *in, const void *vals, int ncv, uint64_t now)
{
	const struct pmap *pm = in->pm;
	kstat_named_t *kn = in->ksp->ks_data;

	for (uint32_t i = 0; i < pm->sc->nstats; i++) {
		const struct schema_stat *st = &pm->sc->stats[i];

		for (uint32_t e = 0; e < st->nelem; e++, kn++) {
			uint64_t v = in->cpu >= 0 ? stat_value(st, slot(pm, vals, in->cpu), e, now)
						  : combine(pm, st, vals, ncv, e, now);

			store_named(kn, v);
		}
	}
}

/* Combine one IO/INTR/TIMER field: timestamps and maxima by max, sums otherwise */
static uint64_t combine_field(const struct pmap *pm, const struct schema_field *f, const void *vals,
			      int ncv, bool take_max)
{
	uint64_t acc = 0;

	for (int c = 0; c < ncv; c++) {
		uint64_t v = rd_field(slot(pm, vals, c), f);

		if (take_max)
			acc = v > acc ? v : acc;
		else
			acc += v;
	}
	return acc;
}

static void fill_io(const struct inst *in, const void *vals, int ncv)
{
	const struct pmap *pm = in->pm;
	const struct schema_field *f = pm->sc->fields;
	kstat_io_t *kio = in->ksp->ks_data;
	uint64_t v[SCHEMA_IO_FIELDS];

	for (int i = 0; i < SCHEMA_IO_FIELDS; i++)
		v[i] = combine_field(pm, &f[i], vals, ncv, i == 6 || i == 9);
	kio->nread = v[0];
	kio->nwritten = v[1];
	kio->reads = (uint_t)v[2];
	kio->writes = (uint_t)v[3];
	kio->wtime = (hrtime_t)v[4];
	kio->wlentime = (hrtime_t)v[5];
	kio->wlastupdate = (hrtime_t)v[6];
	kio->rtime = (hrtime_t)v[7];
	kio->rlentime = (hrtime_t)v[8];
	kio->rlastupdate = (hrtime_t)v[9];
	kio->wcnt = (uint_t)v[10];
	kio->rcnt = (uint_t)v[11];
}

static void fill_intr(const struct inst *in, const void *vals, int ncv)
{
	const struct pmap *pm = in->pm;
	kstat_intr_t *ki = in->ksp->ks_data;

	for (int i = 0; i < SCHEMA_INTR_FIELDS; i++)
		ki->intrs[i] = (uint_t)combine_field(pm, &pm->sc->fields[i], vals, ncv, false);
}

static void fill_timer(const struct inst *in, const void *vals, int ncv)
{
	const struct pmap *pm = in->pm;
	const struct schema_field *f = pm->sc->fields;
	kstat_timer_t *kt = in->ksp->ks_data;
	uint64_t min = 0;
	bool any = false;

	kt->num_events = combine_field(pm, &f[0], vals, ncv, false);
	kt->elapsed_time = (hrtime_t)combine_field(pm, &f[1], vals, ncv, false);
	kt->max_time = (hrtime_t)combine_field(pm, &f[3], vals, ncv, true);
	kt->start_time = (hrtime_t)combine_field(pm, &f[4], vals, ncv, true);
	kt->stop_time = (hrtime_t)combine_field(pm, &f[5], vals, ncv, true);
	/* the shortest event among CPUs that timed any */
	for (int c = 0; c < ncv; c++) {
		const void *v = slot(pm, vals, c);
		uint64_t m = rd_field(v, &f[2]);

		if (rd_field(v, &f[0]) && (!any || m < min)) {
			min = m;
			any = true;
		}
	}
	kt->min_time = (hrtime_t)min;
}

/* Refresh an instance's kstat data from the values of its key */
static void fill(const struct inst *in, const void *vals, uint64_t now)
{
	int ncv = in->pm->percpu ? in->pm->ncpus : 1;

	switch (in->ksp->ks_type) {
	case KSTAT_TYPE_IO:
		fill_io(in, vals, ncv);
		break;
	case KSTAT_TYPE_INTR:
		fill_intr(in, vals, ncv);
		break;
	case KSTAT_TYPE_TIMER:
		fill_timer(in, vals, ncv);
		break;
	default:
		fill_named(in, vals, ncv, now);
		break;
	}
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
		wr_field(buf, &pm->sc->stats[i].f,
			 kn->data_type == KSTAT_DATA_INT32    ? (uint64_t)(int64_t)kn->value.i32
			 : kn->data_type == KSTAT_DATA_UINT32 ? kn->value.ui32
							      : kn->value.ui64);
	if (bpf_map_update_elem(pm->info.fd, key, buf, BPF_EXIST))
		err = errno;
out:
	if (buf != stackbuf)
		free(buf);
	return err;
}

static int inst_update(kstat_t *ksp, int rw)
{
	struct inst *in = ksp->ks_private;
	const struct pmap *pm = in->pm;
	unsigned char stackbuf[STACK_VALUES], *buf = stackbuf;
	unsigned char key[8];
	int err = 0;

	if (rw == KSTAT_WRITE)
		return pm->sc->writable ? write_value(in) : EACCES;
	if (pm->vsize > sizeof(stackbuf) && !(buf = malloc(pm->vsize)))
		return ENOMEM;
	key_bytes(pm, in->key, key);
	if (bpf_map_lookup_elem(pm->info.fd, key, buf))
		err = errno == ENOENT ? ENXIO : errno; /* the entry went: so does the kstat */
	else
		fill(in, buf, (uint64_t)snap_now());
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
	uint64_t key = key_value(pm, (char *)pm->keys + i * pm->info.key_size);
	struct inst *in = pm->hint[i];

	if (in && in->key == key && in->cpu == -1)
		return in;
	in = inst_find(pm, key, -1);
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

/*
 * Read every entry: one batch lookup (a few if the map is large), or a
 * key walk on kernels without batch support for this map type.
 */
static int read_all(struct pmap *pm, size_t *count)
{
	uint32_t ks = pm->info.key_size, max = pm->info.max_entries;
	unsigned char key[8], next[8];
	uint64_t in_tok = 0, out_tok = 0;
	size_t total = 0;
	bool first = true;

	if (!pm->keys) {
		pm->keys = calloc(max, ks);
		pm->vals = calloc(max, pm->vsize);
		pm->hint = calloc(max, sizeof(*pm->hint));
		if (!pm->keys || !pm->vals || !pm->hint)
			return -ENOMEM;
	}
	while (!pm->no_batch && total < max) {
		__u32 cnt = max - (uint32_t)total;
		int err = bpf_map_lookup_batch(pm->info.fd, first ? NULL : &in_tok, &out_tok,
					       (char *)pm->keys + total * ks,
					       (char *)pm->vals + total * pm->vsize, &cnt, NULL);

		total += cnt;
		if (err) {
			if (errno == ENOENT)
				break;
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
		void *prev = NULL;

		total = 0;
		while (total < max && bpf_map_get_next_key(pm->info.fd, prev, next) == 0) {
			memcpy(key, next, ks);
			prev = key;
			if (bpf_map_lookup_elem(pm->info.fd, key,
						(char *)pm->vals + total * pm->vsize))
				continue; /* deleted in between */
			memcpy((char *)pm->keys + total * ks, key, ks);
			total++;
		}
	}
	*count = total;
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
	if (pm->sc->instance != SI_KEY) {
		unsigned char key[8];

		/* one entry: a plain lookup is one syscall too */
		if (pm->vsize > sizeof(stackbuf) && !(buf = malloc(pm->vsize))) {
			err = -ENOMEM;
			goto out_unlock;
		}
		key_bytes(pm, 0, key);
		if (bpf_map_lookup_elem(pm->info.fd, key, buf)) {
			err = -errno;
			goto out_unlock;
		}
		for (size_t b = 0; b < pm->nbuckets; b++) {
			for (struct inst *in = pm->tab[b]; in; in = in->next) {
				snap_ks_lock(in->ksp);
				fill(in, buf, now);
				snap_mark_fresh(in->ksp, gen);
				snap_ks_unlock(in->ksp);
			}
		}
		goto out_unlock;
	}
	err = read_all(pm, &n);
	for (size_t i = 0; i < n && !err; i++) {
		struct inst *in = find_at(pm, i);

		if (!in)
			continue; /* new: the next reconcile creates its kstat */
		snap_ks_lock(in->ksp);
		fill(in, (char *)pm->vals + i * pm->vsize, now);
		snap_mark_fresh(in->ksp, gen);
		snap_ks_unlock(in->ksp);
	}
out_unlock:
	pthread_mutex_unlock(&pm->lock);
	if (buf != stackbuf)
		free(buf);
	return err;
}

int cpus_online(bool *online, int n)
{
	char line[4096], *p, *end;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");

	memset(online, 0, (size_t)n * sizeof(*online));
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	for (p = line; *p && *p != '\n';) {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p)
				return -EINVAL;
		}
		for (long c = lo; c <= hi && c < n; c++)
			if (c >= 0)
				online[c] = true;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

struct pending {
	uint64_t key;
	int cpu;
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
		const char *src = (const char *)slot(pm, vals, c) + sc->name_field.off;
		size_t len = strnlen(src, sc->name_field.size);

		if (len == 0)
			continue;
		if (len >= KSTAT_STRLEN)
			len = KSTAT_STRLEN - 1;
		memcpy(name, src, len);
		name[len] = '\0';
		return;
	}
}

static kstat_t *create_kstat(struct pmap *pm, const struct pending *p, struct inst *in)
{
	const struct schema *sc = pm->sc;
	int instance = sc->instance == SI_CPU ? p->cpu : (int)p->key;
	kstat_t *ksp;

	ksp = snap_create(pm->snap, sc->module, instance, p->name, sc->ks_class, sc->type,
			  sc->ndata, sc->writable ? KSTAT_FLAG_WRITABLE : 0);
	if (!ksp)
		return NULL;
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
	return ksp;
}

int pmap_reconcile(struct pmap *pm, bool present)
{
	struct pending *add = NULL;
	struct inst **gone = NULL;
	size_t nadd = 0, ngone = 0, n = 0;
	int changes = 0, err = 0;
	bool *online = NULL;

	pthread_mutex_lock(&pm->lock);
	pm->rgen++;
	if (present && pm->sc->instance == SI_KEY) {
		err = read_all(pm, &n);
		if (err)
			goto out_unlock;
		add = calloc(n ? n : 1, sizeof(*add));
		if (!add) {
			err = -ENOMEM;
			goto out_unlock;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t key = key_value(pm, (char *)pm->keys + i * pm->info.key_size);
			struct inst *in = find_at(pm, i);

			if (in) {
				in->seen = pm->rgen;
				continue;
			}
			add[nadd].key = key;
			add[nadd].cpu = -1;
			entry_name(pm, (char *)pm->vals + i * pm->vsize, add[nadd].name);
			nadd++;
		}
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
			add[nadd].cpu = cpu;
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
		memset(pm->hint, 0, pm->info.max_entries * sizeof(*pm->hint));
out_unlock:
	pthread_mutex_unlock(&pm->lock);
	if (err)
		goto out_free;

	/* the engine's chain lock comes before ours: no pmap lock held here */
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
		in->cpu = add[i].cpu;
		ksp = create_kstat(pm, &add[i], in);
		if (!ksp) {
			log_warn("%s:%d:%s: cannot create kstat: %s", pm->sc->module,
				 in->cpu >= 0 ? in->cpu : (int)in->key, add[i].name,
				 strerror(errno));
			free(in);
			continue;
		}
		snap_ks_lock(ksp);
		(void)inst_update(ksp, KSTAT_READ);
		snap_ks_unlock(ksp);
		pthread_mutex_lock(&pm->lock);
		in->seen = pm->rgen;
		err = inst_insert(pm, in);
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
	free(add);
	free(gone);
	free(online);
	return err ? err : changes;
}

int pmap_close_open(struct pmap *pm)
{
	const struct schema *sc = pm->sc;
	int ncv = pm->percpu ? pm->ncpus : 1, err = 0;
	uint64_t now = (uint64_t)snap_now();
	bool any = false;
	size_t n = 0;

	for (uint32_t i = 0; i < sc->nstats; i++)
		any |= sc->stats[i].open;
	if (!any)
		return 0;
	pthread_mutex_lock(&pm->lock);
	err = read_all(pm, &n);
	for (size_t e = 0; e < n && !err; e++) {
		char *vals = (char *)pm->vals + e * pm->vsize;

		for (int c = 0; c < ncv; c++) {
			char *v = vals + (size_t)c * pm->vstride;

			for (uint32_t i = 0; i < sc->nstats; i++) {
				const struct schema_stat *st = &sc->stats[i];
				uint64_t since;

				if (!st->open || !rd_field(v, &st->flag))
					continue;
				since = rd_field(v, &st->since);
				if (since && now > since)
					wr_field(v, &st->f, rd_field(v, &st->f) + now - since);
			}
			for (uint32_t i = 0; i < sc->nstats; i++)
				if (sc->stats[i].open)
					wr_field(v, &sc->stats[i].since, 0);
		}
		if (bpf_map_update_elem(pm->info.fd, (char *)pm->keys + e * pm->info.key_size, vals,
					BPF_EXIST))
			err = -errno;
	}
	pthread_mutex_unlock(&pm->lock);
	return err;
}

uint32_t pmap_count(const struct pmap *pm)
{
	return (uint32_t)__atomic_load_n(&pm->ninst, __ATOMIC_RELAXED);
}

const struct schema *pmap_schema(const struct pmap *pm)
{
	return pm->sc;
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
			switch (st->kind) {
			case SK_COUNTER:
				m->kind = SNAP_COUNTER;
				break;
			case SK_HIST:
				m->kind = SNAP_HIST;
				m->hist = st->name;
				m->le = e + 1 == st->nelem ? UINT64_MAX : 1ULL << (e + 1);
				break;
			default:
				m->kind = SNAP_GAUGE;
				break;
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
	pm->percpu = info->map_type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		     info->map_type == BPF_MAP_TYPE_PERCPU_HASH ||
		     info->map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	pm->ncpus = ncpus;
	pm->vstride = (info->value_size + 7) & ~(size_t)7;
	pm->vsize = pm->percpu ? pm->vstride * (size_t)ncpus : info->value_size;
	pm->nbuckets = INST_BUCKETS_MIN;
	pm->tab = calloc(pm->nbuckets, sizeof(*pm->tab));
	if (!pm->tab) {
		free(pm);
		errno = ENOMEM;
		return NULL;
	}
	if (sc->type == KSTAT_TYPE_NAMED && build_meta(pm) < 0) {
		free(pm->tab);
		free(pm);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&pm->lock, NULL);
	pm->src.collect = pmap_collect;
	snap_source_add(s, &pm->src);
	return pm;
}

void pmap_free(struct pmap *pm)
{
	if (!pm)
		return;
	(void)pmap_reconcile(pm, false);
	snap_source_remove(pm->snap, &pm->src);
	pthread_mutex_destroy(&pm->lock);
	free(pm->tab);
	free(pm->keys);
	free(pm->vals);
	free(pm->hint);
	free(pm->meta);
	schema_free(pm->sc);
	free(pm);
}
