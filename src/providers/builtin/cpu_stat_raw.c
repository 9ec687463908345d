// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpu_stat:N:cpu_statN, the RAW cpu_stat_t that collectd, sar and older
 * mpstat and vmstat read, filled from the maps of cpu:N:sys and cpu:N:vm
 * after the same refresh: within one walk the RAW and the named kstats
 * hold the same numbers, the RAW ones cut to 32 bits as illumos's are.
 * Members Linux has no count for stay 0 (a RAW layout cannot leave them
 * out; the named kstats do).  Map members are found by name in the
 * provider's BTF, so a field the kernel lacks (KSTAT_ABSENT) reads 0.
 *
 * And unix:0:sysinfo, whose runque and waiting sums are the same books'
 * (the private nr_queued and iowait of each CPU), sampled each second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cpu_stat_raw.h"
#include "os/cpus.h"
#include "os/log.h"
#include "providers/maps/pmap.h"
#include "providers/maps/schema.h"
#include "engine/snapshot.h"
#include "unix_sysinfo.h"

#define ABSENT UINT64_MAX

enum cs_map {
	CS_SYS,
	CS_VM,
	CS_NMAPS,
};

/* Where each cpu_stat_t member comes from: a __u64 member of a map value */
static const struct cs_field {
	size_t off; /* in cpu_stat_t */
	enum cs_map map;
	const char *member;
	bool gauge; /* int, not a counter: may go down */
} cs_fields[] = {
#define SYSI(f) offsetof(cpu_stat_t, cpu_sysinfo.f)
#define VMI(f) offsetof(cpu_stat_t, cpu_vminfo.f)
	{ SYSI(cpu[CPU_IDLE]), CS_SYS, "cpu_ticks_idle", false },
	{ SYSI(cpu[CPU_USER]), CS_SYS, "cpu_ticks_user", false },
	{ SYSI(cpu[CPU_KERNEL]), CS_SYS, "cpu_ticks_kernel", false },
	{ SYSI(cpu[CPU_WAIT]), CS_SYS, "cpu_ticks_wait", false },
	{ SYSI(wait[W_IO]), CS_SYS, "wait_ticks_io", false },
	{ SYSI(pswitch), CS_SYS, "pswitch", false },
	{ SYSI(intr), CS_SYS, "intr", false },
	{ SYSI(syscall), CS_SYS, "syscall", false },
	{ SYSI(sysread), CS_SYS, "sysread", false },
	{ SYSI(syswrite), CS_SYS, "syswrite", false },
	{ SYSI(sysfork), CS_SYS, "sysfork", false },
	{ SYSI(sysexec), CS_SYS, "sysexec", false },
	{ SYSI(readch), CS_SYS, "readch", false },
	{ SYSI(writech), CS_SYS, "writech", false },
	{ SYSI(inv_swtch), CS_SYS, "inv_swtch", false },
	{ SYSI(nthreads), CS_SYS, "nthreads", false },
	{ SYSI(cpumigrate), CS_SYS, "cpumigrate", false },
	{ SYSI(xcalls), CS_SYS, "xcalls", false },
	{ offsetof(cpu_stat_t, cpu_syswait.iowait), CS_SYS, "iowait", true },
	{ VMI(pgpgin), CS_VM, "pgpgin", false },
	{ VMI(pgpgout), CS_VM, "pgpgout", false },
	{ VMI(pgswapin), CS_VM, "pgswapin", false },
	{ VMI(pgswapout), CS_VM, "pgswapout", false },
	{ VMI(dfree), CS_VM, "dfree", false },
	{ VMI(scan), CS_VM, "scan", false },
	{ VMI(as_fault), CS_VM, "as_fault", false },
	{ VMI(maj_fault), CS_VM, "maj_fault", false },
	{ VMI(pgrrun), CS_VM, "pgrrun", false },
#undef SYSI
#undef VMI
};

#define CS_NFIELDS (sizeof(cs_fields) / sizeof(cs_fields[0]))

struct cpu_stat_src;

struct cs_cpu {
	struct cpu_stat_src *cs;
	kstat_t *ksp;
	cpu_stat_t data;
	uint64_t last[CS_NFIELDS]; /* what was served, so that no counter goes back */
};

struct cpu_stat_src {
	struct snap_source src; /* first: the engine hands it back to collect() */
	struct snap *snap;
	struct pmap *books; /* cpu_sys's map: its refresh fills both maps read here */
	int fd[CS_NMAPS];
	size_t stride[CS_NMAPS]; /* one CPU's copy of a value */
	long moff[CS_NFIELDS];   /* member offsets in their value; -1: not in the map */
	long queued_off, iowait_off;
	int ncpus;
	pthread_mutex_t lock; /* cpus[], sysinfo and the walk's buffers */
	struct cs_cpu **cpus;
	unsigned char *vals[CS_NMAPS];
	struct unix_sysinfo *sysinfo;
	bool registered;
};

/* Offset of member name in the value type of map, or -1 */
static long member_off(const struct bpf_map *map, const struct btf *btf, const char *name)
{
	const struct btf_type *t;
	const struct btf_member *m;
	__s32 id;

	id = btf__resolve_type(btf, bpf_map__btf_value_type_id(map));
	t = id < 0 ? NULL : btf__type_by_id(btf, (__u32)id);
	if (!t || !btf_is_struct(t))
		return -1;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++)
		if (strcmp(btf__name_by_offset(btf, m->name_off), name) == 0)
			return (long)(btf_member_bit_offset(t, i) / 8);
	return -1;
}

/* Read both maps, every CPU's copy, after the refresh of walk gen (0: now) */
static int read_books(struct cpu_stat_src *cs, uint64_t gen, unsigned char **vals)
{
	uint32_t zero = 0;
	int err;

	if (cs->books && (err = pmap_refresh(cs->books, gen)))
		return err;
	for (int m = 0; m < CS_NMAPS; m++)
		if (bpf_map_lookup_elem(cs->fd[m], &zero, vals[m]))
			return -errno;
	return 0;
}

static uint64_t value_at(const unsigned char *v, long off)
{
	uint64_t x;

	if (off < 0)
		return ABSENT;
	memcpy(&x, v + off, sizeof(x));
	return x;
}

/* Called with the kstat locked */
static void fill(struct cpu_stat_src *cs, struct cs_cpu *c, int cpu, unsigned char **vals)
{
	for (size_t i = 0; i < CS_NFIELDS; i++) {
		const struct cs_field *f = &cs_fields[i];
		uint64_t v = value_at(vals[f->map] + (size_t)cpu * cs->stride[f->map], cs->moff[i]);
		uint32_t v32;

		if (v == ABSENT)
			v = 0;
		else if (!f->gauge && v < c->last[i])
			v = c->last[i];
		c->last[i] = v;
		v32 = (uint32_t)v;
		memcpy((char *)&c->data + f->off, &v32, sizeof(v32));
	}
}

static int cs_update(kstat_t *ksp, int rw)
{
	struct cs_cpu *c = ksp->ks_private;
	struct cpu_stat_src *cs = c->cs;
	unsigned char *vals[CS_NMAPS] = {};
	int err = 0;

	if (rw == KSTAT_WRITE)
		return EACCES;
	for (int m = 0; m < CS_NMAPS && !err; m++)
		if (!(vals[m] = malloc((size_t)cs->ncpus * cs->stride[m])))
			err = -EAGAIN;
	if (!err)
		err = read_books(cs, 0, vals);
	if (!err)
		fill(cs, c, ksp->ks_instance, vals);
	for (int m = 0; m < CS_NMAPS; m++)
		free(vals[m]);
	return -err;
}

/* snap_source: every cpu_stat kstat from the walk's refresh */
static int cs_collect(struct snap_source *src, uint64_t gen)
{
	struct cpu_stat_src *cs = (struct cpu_stat_src *)src;
	bool any = false;
	int err;

	pthread_mutex_lock(&cs->lock);
	for (int cpu = 0; cpu < cs->ncpus; cpu++)
		any |= cs->cpus[cpu] != NULL;
	err = any ? read_books(cs, gen, cs->vals) : 0;
	for (int cpu = 0; any && !err && cpu < cs->ncpus; cpu++) {
		struct cs_cpu *c = cs->cpus[cpu];

		if (!c)
			continue;
		snap_ks_lock(c->ksp);
		fill(cs, c, cpu, cs->vals);
		snap_mark_fresh(c->ksp, gen);
		snap_ks_unlock(c->ksp);
	}
	pthread_mutex_unlock(&cs->lock);
	return err;
}

/* unix:0:sysinfo's sample: the same books, summed over the CPUs */
static int sysinfo_sample(void *ctx, uint64_t *queued, uint64_t *iowait)
{
	struct cpu_stat_src *cs = ctx;
	unsigned char *v = malloc((size_t)cs->ncpus * cs->stride[CS_SYS]);
	uint32_t zero = 0;
	int err = 0;

	if (!v)
		return -ENOMEM;
	if (cs->books)
		err = pmap_refresh(cs->books, 0);
	if (!err && bpf_map_lookup_elem(cs->fd[CS_SYS], &zero, v))
		err = -errno;
	for (int cpu = 0; !err && cpu < cs->ncpus; cpu++) {
		const unsigned char *p = v + (size_t)cpu * cs->stride[CS_SYS];
		uint64_t q = value_at(p, cs->queued_off), w = value_at(p, cs->iowait_off);

		*queued += q == ABSENT ? 0 : q;
		*iowait += w == ABSENT ? 0 : w;
	}
	free(v);
	return err;
}

static kstat_t *create_cpu(struct cpu_stat_src *cs, int cpu, struct cs_cpu *c)
{
	kstat_t *ksp = snap_create(cs->snap, "cpu_stat", cpu, NULL, "misc", KSTAT_TYPE_RAW,
				   sizeof(cpu_stat_t), KSTAT_FLAG_VIRTUAL);

	if (!ksp)
		return NULL;
	snap_set_source(ksp, &cs->src); /* a walk reads the books once for all CPUs (cs_collect) */
	/* copies of the kernel's books, as cpu:N:sys: they count since boot */
	ksp->ks_crtime = 1;
	ksp->ks_data = &c->data;
	ksp->ks_private = c;
	ksp->ks_update = cs_update;
	snap_ks_lock(ksp);
	(void)cs_update(ksp, KSTAT_READ);
	snap_ks_unlock(ksp);
	return ksp;
}

/* Bring cpu_stat:N in step with the online CPUs (none when detached) */
static int sync_cpus(struct cpu_stat_src *cs, bool attached)
{
	bool *online = calloc((size_t)cs->ncpus, sizeof(*online));
	int changes = 0;

	if (!online)
		return -ENOMEM;
	if (attached && cpus_online(online, cs->ncpus) < 0)
		memset(online, 1, (size_t)cs->ncpus * sizeof(*online));
	for (int cpu = 0; cpu < cs->ncpus; cpu++) {
		struct cs_cpu *c;

		pthread_mutex_lock(&cs->lock);
		c = cs->cpus[cpu];
		if (c && !online[cpu])
			cs->cpus[cpu] = NULL;
		pthread_mutex_unlock(&cs->lock);
		/* the engine's chain lock comes before ours: none of ours held here */
		if (c && !online[cpu]) {
			snap_delete(cs->snap, c->ksp);
			free(c);
			changes++;
		} else if (!c && online[cpu]) {
			c = calloc(1, sizeof(*c));
			if (c)
				c->cs = cs;
			if (!c || !(c->ksp = create_cpu(cs, cpu, c))) {
				log_warn("cpu_stat:%d: cannot create kstat: %s", cpu,
					 strerror(errno));
				free(c);
				continue;
			}
			pthread_mutex_lock(&cs->lock);
			cs->cpus[cpu] = c;
			pthread_mutex_unlock(&cs->lock);
			snap_install(cs->snap, c->ksp);
			changes++;
		}
	}
	free(online);
	return changes;
}

static int cs_sync(void *priv, bool attached)
{
	struct cpu_stat_src *cs = priv;
	int changes = sync_cpus(cs, attached);

	if (changes < 0)
		return changes;
	/* only this thread changes sysinfo: the lock is for cs_count's readers */
	if (attached && !cs->sysinfo) {
		struct unix_sysinfo *usi = unix_sysinfo_new(cs->snap, sysinfo_sample, cs);

		if (!usi)
			log_warn("unix:0:sysinfo: cannot create kstat: %s", strerror(errno));
		pthread_mutex_lock(&cs->lock);
		cs->sysinfo = usi;
		pthread_mutex_unlock(&cs->lock);
		changes += usi != NULL;
	} else if (!attached && cs->sysinfo) {
		struct unix_sysinfo *usi = cs->sysinfo;

		pthread_mutex_lock(&cs->lock);
		cs->sysinfo = NULL;
		pthread_mutex_unlock(&cs->lock);
		unix_sysinfo_free(usi);
		changes++;
	}
	return changes;
}

static void cs_close(void *priv)
{
	struct cpu_stat_src *cs = priv;

	if (!cs)
		return;
	unix_sysinfo_free(cs->sysinfo);
	if (cs->registered)
		snap_source_remove(cs->snap, &cs->src);
	for (int cpu = 0; cs->cpus && cpu < cs->ncpus; cpu++) {
		if (!cs->cpus[cpu])
			continue;
		snap_delete(cs->snap, cs->cpus[cpu]->ksp);
		free(cs->cpus[cpu]);
	}
	for (int m = 0; m < CS_NMAPS; m++)
		free(cs->vals[m]);
	free(cs->cpus);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

static void *cs_open(struct snap *s, struct bpf_object *obj, const int *prog_fds)
{
	static const char *const map_names[CS_NMAPS] = { "cpu_sys", "cpu_vm" };
	const struct btf *btf = bpf_object__btf(obj);
	struct cpu_stat_src *cs = calloc(1, sizeof(*cs));
	const struct bpf_map *maps[CS_NMAPS];
	int err = ENOMEM;

	(void)prog_fds; /* maps only */

	if (!cs)
		return NULL;
	pthread_mutex_init(&cs->lock, NULL);
	cs->snap = s;
	cs->src.collect = cs_collect;
	cs->ncpus = libbpf_num_possible_cpus();
	for (int m = 0; m < CS_NMAPS; m++) {
		maps[m] = bpf_object__find_map_by_name(obj, map_names[m]);
		if (!maps[m] || !btf || cs->ncpus <= 0) {
			err = ENOENT;
			goto err_close;
		}
		cs->fd[m] = bpf_map__fd(maps[m]);
		cs->stride[m] = ((size_t)bpf_map__value_size(maps[m]) + 7) & ~(size_t)7;
		cs->vals[m] = malloc((size_t)cs->ncpus * cs->stride[m]);
		if (!cs->vals[m])
			goto err_close;
	}
	for (size_t i = 0; i < CS_NFIELDS; i++) {
		cs->moff[i] = member_off(maps[cs_fields[i].map], btf, cs_fields[i].member);
		if (cs->moff[i] < 0)
			log_info("cpu_sys: cpu_stat_t %s is 0: the provider has no such member",
				 cs_fields[i].member);
	}
	cs->queued_off = member_off(maps[CS_SYS], btf, "nr_queued");
	cs->iowait_off = member_off(maps[CS_SYS], btf, "iowait");
	cs->cpus = calloc((size_t)cs->ncpus, sizeof(*cs->cpus));
	if (!cs->cpus)
		goto err_close;
	snap_source_add(s, &cs->src);
	cs->registered = true;
	return cs;

err_close:
	cs_close(cs);
	errno = err;
	return NULL;
}

static void cs_use_pmaps(void *priv, struct pmap *const *pmaps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(pmap_schema(pmaps[i])->map_name, "cpu_sys") == 0)
			((struct cpu_stat_src *)priv)->books = pmaps[i];
}

static uint32_t cs_count(void *priv)
{
	struct cpu_stat_src *cs = priv;
	uint32_t n;

	pthread_mutex_lock(&cs->lock);
	n = cs->sysinfo != NULL;
	for (int cpu = 0; cpu < cs->ncpus; cpu++)
		n += cs->cpus[cpu] != NULL;
	pthread_mutex_unlock(&cs->lock);
	return n;
}

const struct provider_ext cpu_stat_ext = {
	.open = cs_open,
	.use_pmaps = cs_use_pmaps,
	.sync = cs_sync,
	.close = cs_close,
	.count = cs_count,
};
