// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The kernel facts a refresh program is given in its read-only data.  A
 * per-CPU variable's address is not known to BPF without
 * CONFIG_KALLSYMS_ALL, but its place in the per-CPU area is, from the
 * kernel's own BTF: the DATASEC .data..percpu lists each variable at its
 * offset.  Every CPU's area has the same layout, so a variable lies at a
 * fixed distance from runqueues, which BPF finds through a task group.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "os/log.h"
#include "percpu_btf.h"
#include "providers/maps/schema.h"

#define ANCHOR "runqueues"

static int datasec_offset(const struct btf *btf, int sec_id, const char *var, int64_t *off)
{
	const struct btf_type *sec = btf__type_by_id(btf, (__u32)sec_id);
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);

	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (t && strcmp(btf__name_by_offset(btf, t->name_off), var) == 0) {
			*off = vs->offset;
			return 0;
		}
	}
	return -ENOENT;
}

int percpu_btf_offset(const struct btf *vmlinux, const char *var, int64_t *off)
{
	int sec = btf__find_by_name_kind(vmlinux, ".data..percpu", BTF_KIND_DATASEC);
	int64_t anchor, at;

	if (sec < 0 || datasec_offset(vmlinux, sec, ANCHOR, &anchor) ||
	    datasec_offset(vmlinux, sec, var, &at))
		return -ENOENT;
	*off = at - anchor;
	return 0;
}

static int page_shift(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int shift = 0;

	while (page > 1) {
		page >>= 1;
		shift++;
	}
	return shift;
}

/* The value this kernel gives the read-only variable name, if it is one of ours */
static int kernel_fact(const struct btf *vmlinux, const char *prov, const char *name, uint32_t size,
		       uint64_t *v)
{
	int64_t off;

	if (strncmp(name, PERCPU_BTF_PREFIX, strlen(PERCPU_BTF_PREFIX)) == 0 && size == 8) {
		if (!vmlinux ||
		    percpu_btf_offset(vmlinux, name + strlen(PERCPU_BTF_PREFIX), &off) < 0) {
			log_info("%s: this kernel has no per-CPU variable %s: what it holds is "
				 "absent",
				 prov, name + strlen(PERCPU_BTF_PREFIX));
			return 0;
		}
		*v = (uint64_t)off;
		return 1;
	}
	if (strcmp(name, "kstat_nr_cpus") == 0 && size == 4) {
		int n = libbpf_num_possible_cpus();

		*v = n > 0 ? (uint64_t)n : 0;
		return n > 0;
	}
	if (strcmp(name, "kstat_page_shift") == 0 && size == 4) {
		*v = (uint64_t)page_shift();
		return 1;
	}
	return 0;
}

/* The object's .rodata map and its DATASEC (the object's own BTF: checked, not trusted) */
static struct bpf_map *rodata_map(struct bpf_object *obj, const struct btf_type **sec)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;
	int id;

	if (!btf || (id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)) < 0)
		return NULL;
	*sec = btf__type_by_id(btf, (__u32)id);
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= 7 && strcmp(name + len - 7, ".rodata") == 0)
			return map;
	}
	return NULL;
}

int percpu_btf_fill(struct bpf_object *obj, const struct btf *vmlinux, const char *prov)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec = NULL;
	struct bpf_map *map = rodata_map(obj, &sec);
	const void *init;
	size_t size = 0;
	int filled = 0, ret;
	char *copy;

	if (!map || !(init = bpf_map__initial_value(map, &size)) || !size)
		return 0;
	copy = malloc(size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, init, size);
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		uint64_t v = 0;

		if (!var || !btf_is_var(var) || (size_t)vs->offset + vs->size > size ||
		    !kernel_fact(vmlinux, prov, schema_btf_str(btf, var->name_off), vs->size, &v))
			continue;
		if (vs->size == 8) {
			memcpy(copy + vs->offset, &v, 8);
		} else {
			uint32_t v32 = (uint32_t)v;

			memcpy(copy + vs->offset, &v32, 4);
		}
		filled++;
	}
	ret = filled ? bpf_map__set_initial_value(map, copy, size) : 0;
	free(copy);
	return ret < 0 ? ret : filled;
}
