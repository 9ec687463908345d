// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target for provider schemas: the input is a BPF object file,
 * opened by libbpf from memory as kstatd opens built-in providers, and
 * every map's BTF declaration tags are read by schema_parse and
 * schema_shared, as the loader does before it loads anything into the
 * kernel (nothing is loaded here).  Seeds: small objects with every kind
 * of tag (tests/fuzz/schema_seeds.bpf.c) and the test providers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "btf_check.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static bool inside(const struct schema *sc, const struct schema_field *f, uint32_t nelem)
{
	return (uint64_t)f->off + (uint64_t)f->size * nelem <= sc->value_size;
}

/* Does every field the schema names lie inside the value struct? */
static bool schema_inside(const struct schema *sc)
{
	const struct kt_type *kt = kt_type(sc->type);
	size_t nfixed = kt ? kt->nfields : 0;

	if (sc->value_size == 0 || !inside(sc, &sc->name_field, 1))
		return false;
	if (sc->type != KSTAT_TYPE_NAMED) {
		for (size_t i = 0; i < nfixed; i++)
			if (!inside(sc, &sc->fields[i], 1))
				return false;
		return true;
	}
	for (uint32_t i = 0; i < sc->nstats; i++) {
		const struct schema_stat *st = &sc->stats[i];

		if (!inside(sc, &st->f, st->nelem) ||
		    (st->open && (!inside(sc, &st->since, 1) || !inside(sc, &st->flag, 1))))
			return false;
	}
	return sc->nstats > 0 && sc->ndata >= sc->nstats;
}

static void dump(const struct schema *sc)
{
	fprintf(stderr, "map %s type %u value_size %u name_field %u+%u\n", sc->map_name, sc->type,
		sc->value_size, sc->name_field.off, sc->name_field.size);
	for (uint32_t i = 0; i < sc->nstats; i++)
		fprintf(stderr, "  stat %s at %u+%u x%u\n", sc->stats[i].name, sc->stats[i].f.off,
			sc->stats[i].f.size, sc->stats[i].nelem);
	for (size_t i = 0; sc->type != KSTAT_TYPE_NAMED && i < KT_MAX_FIELDS; i++)
		fprintf(stderr, "  field %zu at %u+%u\n", i, sc->fields[i].off, sc->fields[i].size);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "fuzz");
	struct bpf_object *obj;
	struct bpf_map *map;
	char err[256], target[96];

	libbpf_set_print(getenv("FUZZ_VERBOSE") ? NULL : quiet);
	/* as the loader does: libbpf 1.1 trusts an object's BTF */
	if (btf_check_elf(data, size, err, sizeof(err)))
		return 0;
	obj = bpf_object__open_mem(data, size, &opts);
	if (!obj)
		return 0;
	bpf_object__for_each_map(map, obj) {
		struct schema *sc;
		int ret = schema_parse(bpf_object__btf(obj), map, &sc, err, sizeof(err));

		if (ret < 0 && strncmp(err, "map ", 4) != 0)
			abort(); /* a refusal that does not name the map */
		if (ret > 0) {
			if (getenv("FUZZ_VERBOSE"))
				dump(sc);
			if (!schema_inside(sc))
				abort(); /* kstatd would read past the map's value */
			schema_free(sc);
		}
		(void)schema_shared(bpf_object__btf(obj), map, target, sizeof(target));
	}
	bpf_object__close(obj);
	return 0;
}
