// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Refresh programs: the numbers the kernel keeps itself (per-CPU times,
 * switch counts, interrupt and vm event counts) copied into a provider's
 * maps by a SEC("syscall") program at read time, rather than counted
 * again by a program on every event.  A run costs one system call and a
 * few microseconds for all CPUs, paid by the reader, never by the kernel's
 * hot paths.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "os/log.h"
#include "pmap.h"
#include "refresh.h"
#include "schema.h"

#define SHARED_TAG "kstat.refresh=shared" /* KSTAT_REFRESH_SHARED */

struct refresh {
	char prov[64];
	int *fds;
	const char **names;
	size_t n;
	pthread_mutex_t lock; /* runs one at a time: no map goes back to an older run's numbers */
	uint64_t gen;         /* walk generation of the last run */
	int last_err;
	bool failing; /* logged that runs fail */
};

bool refresh_is_prog(const struct bpf_program *prog)
{
	return bpf_program__type(prog) == BPF_PROG_TYPE_SYSCALL;
}

static int run_one(int fd, int *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err = bpf_prog_test_run_opts(fd, &opts);

	if (err)
		return -errno;
	*retval = (int)opts.retval;
	return 0;
}

/* Does the function of prog carry KSTAT_REFRESH_SHARED? */
static bool tagged_shared(const struct bpf_object *obj, const struct bpf_program *prog)
{
	const struct btf *btf = bpf_object__btf(obj);
	int fn = btf ? btf__find_by_name_kind(btf, bpf_program__name(prog), BTF_KIND_FUNC) : -1;
	__u32 n = btf ? btf__type_cnt(btf) : 0;

	for (__u32 id = 1; fn > 0 && id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_decl_tag(t) || t->type != (__u32)fn)
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (name && strcmp(name, SHARED_TAG) == 0)
			return true;
	}
	return false;
}

/* A refresh program of the set refresh_new() makes: shared or the provider's own */
static bool in_set(const struct bpf_object *obj, const struct bpf_program *prog, int fd,
		   bool shared)
{
	return refresh_is_prog(prog) && fd >= 0 && tagged_shared(obj, prog) == shared;
}

int refresh_new(struct bpf_object *obj, const int *prog_fds, const char *prov, bool shared,
		struct refresh **out, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct refresh *r;
	size_t n = 0, i = 0;

	*out = NULL;
	bpf_object__for_each_program(prog, obj)
		n += in_set(obj, prog, prog_fds[i++], shared);
	if (n == 0)
		return 0;
	r = calloc(1, sizeof(*r));
	if (r) {
		r->fds = calloc(n, sizeof(*r->fds));
		r->names = calloc(n, sizeof(*r->names));
	}
	if (!r || !r->fds || !r->names) {
		refresh_free(r);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(r->prov, sizeof(r->prov), "%s", prov);
	pthread_mutex_init(&r->lock, NULL);
	i = 0;
	bpf_object__for_each_program(prog, obj) {
		int ret, rv = 0, fd = prog_fds[i++];

		if (!in_set(obj, prog, fd, shared))
			continue;
		ret = run_one(fd, &rv);
		if (ret || rv) {
			snprintf(err, errlen, "refresh program %s: %s %d%s%s",
				 bpf_program__name(prog), ret ? "BPF_PROG_RUN fails:" : "returns",
				 ret ? ret : rv, ret ? " " : "", ret ? strerror(-ret) : "");
			refresh_free(r);
			return ret ? ret : -ENODATA;
		}
		r->fds[r->n] = fd;
		r->names[r->n++] = bpf_program__name(prog);
	}
	*out = r;
	return 0;
}

/* Is this copy of a field all ones, KSTAT_ABSENT at the field's width? */
static bool all_ones(const unsigned char *p, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		if (p[i] != 0xff)
			return false;
	return size > 0;
}

static void drop_stat(struct schema *sc, uint32_t i)
{
	free(sc->stats[i].help);
	sc->ndata -= sc->stats[i].nelem;
	memmove(&sc->stats[i], &sc->stats[i + 1], (sc->nstats - i - 1) * sizeof(*sc->stats));
	sc->nstats--;
	memset(&sc->stats[sc->nstats], 0, sizeof(*sc->stats));
}

int refresh_trim(const struct refresh *r, struct schema *sc, const struct pmap_info *info)
{
	bool percpu = info->map_type == BPF_MAP_TYPE_PERCPU_ARRAY;
	int ncpus = percpu ? libbpf_num_possible_cpus() : 1, dropped = 0;
	size_t stride = ((size_t)info->value_size + 7) & ~(size_t)7;
	uint32_t zero = 0;
	unsigned char *vals;

	/* keyed maps have no entries yet to tell by; their types are fixed anyway */
	if (!r || sc->type != KSTAT_TYPE_NAMED || sc->instance == SI_KEY || ncpus <= 0)
		return 0;
	vals = calloc((size_t)ncpus, stride);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(info->fd, &zero, vals)) {
		free(vals);
		return -errno;
	}
	for (uint32_t i = 0; i < sc->nstats;) {
		const struct schema_field *f = &sc->stats[i].f;
		bool absent = false;

		for (int c = 0; c < ncpus && !absent; c++)
			absent = all_ones(vals + (size_t)c * stride + f->off, f->size);
		if (!absent) {
			i++;
			continue;
		}
		log_info("%s: %s:*:%s:%s is absent: this kernel does not keep it", r->prov,
			 sc->module, sc->name, sc->stats[i].name);
		drop_stat(sc, i);
		dropped++;
	}
	free(vals);
	return dropped;
}

int refresh_run(struct refresh *r, uint64_t gen)
{
	int err = 0;

	pthread_mutex_lock(&r->lock);
	if (gen && gen == r->gen) {
		err = r->last_err;
		goto out_unlock;
	}
	for (size_t i = 0; i < r->n && !err; i++) {
		int rv = 0;

		err = run_one(r->fds[i], &rv);
		if (!err && rv)
			err = rv < 0 ? rv : -EIO;
		if (err && !r->failing)
			log_err("%s: refresh program %s fails (%s): its kstats are not served",
				r->prov, r->names[i], strerror(-err));
	}
	if (!err && r->failing)
		log_info("%s: refresh programs run again", r->prov);
	r->failing = err != 0;
	r->gen = gen;
	r->last_err = err;
out_unlock:
	pthread_mutex_unlock(&r->lock);
	return err;
}

void refresh_free(struct refresh *r)
{
	if (!r)
		return;
	if (r->fds)
		pthread_mutex_destroy(&r->lock);
	free(r->fds);
	free(r->names);
	free(r);
}
