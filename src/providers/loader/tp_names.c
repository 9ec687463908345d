// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The names of the kernel's tracepoints as its BTF has them (the
 * btf_trace_<name> typedefs that tp_btf programs attach through), kept as
 * a small sorted list so that the parsed vmlinux BTF (megabytes) is freed
 * at once: libbpf parses its own copy for every object it loads (1.1 takes
 * no parsed one), and holding ours beside it doubled kstatd's peak memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "tp_names.h"

#define PREFIX "btf_trace_"

struct tp_names {
	char **v;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct tp_names *tp_names_load(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	struct tp_names *t;
	size_t cap = 0;
	__u32 nt;

	if (!btf)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto out_btf;
	nt = btf__type_cnt(btf);
	for (__u32 id = 1; id < nt; id++) {
		const struct btf_type *ty = btf__type_by_id(btf, id);
		const char *name;

		if (!ty || !btf_is_typedef(ty))
			continue;
		name = btf__name_by_offset(btf, ty->name_off);
		if (!name || strncmp(name, PREFIX, strlen(PREFIX)) != 0)
			continue;
		if (t->n == cap) {
			char **nv = realloc(t->v, (cap ? cap * 2 : 1024) * sizeof(*nv));

			if (!nv)
				goto out_free;
			t->v = nv;
			cap = cap ? cap * 2 : 1024;
		}
		t->v[t->n] = strdup(name + strlen(PREFIX));
		if (!t->v[t->n])
			goto out_free;
		t->n++;
	}
	qsort(t->v, t->n, sizeof(*t->v), cmp_str);
	btf__free(btf);
	return t;

out_free:
	tp_names_free(t);
	t = NULL;
	errno = ENOMEM;
out_btf:
	btf__free(btf);
	return t;
}

bool tp_names_has(const struct tp_names *t, const char *name)
{
	return bsearch(&name, t->v, t->n, sizeof(*t->v), cmp_str) != NULL;
}

void tp_names_free(struct tp_names *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t);
}
