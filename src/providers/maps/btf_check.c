// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What libbpf 1.3 checks in btf_sanity_check() and 1.1 does not: that
 * type ids and name offsets point inside the BTF, and that decl tags
 * name an existing member.  Modifier and typedef chains must also end
 * within MAX_CHAIN links: libbpf's skip_mods_and_typedefs() has no bound.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "btf_check.h"

#define MAX_CHAIN 32

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "malformed BTF: ");
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_chain(const struct btf_type *t)
{
	return btf_is_mod(t) || btf_is_typedef(t);
}

/* The type ids and names t refers to, and where its chain of modifiers ends */
static int check_type(const struct btf *btf, __u32 id, char *err, size_t errlen)
{
	const struct btf_type *t = btf__type_by_id(btf, id), *c;
	__u32 n = btf__type_cnt(btf), vlen = btf_vlen(t);

#define ID_OK(x) ((x) < n)
#define NAME_OK(off) (btf__name_by_offset(btf, off) != NULL)
	if (!NAME_OK(t->name_off))
		return bad(err, errlen, "type %u: name outside the strings", id);
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
		if (!ID_OK(t->type))
			return bad(err, errlen, "type %u refers to type %u of %u", id, t->type, n);
		break;
	case BTF_KIND_DECL_TAG:
		if (!ID_OK(t->type) || t->type == 0)
			return bad(err, errlen, "tag %u refers to type %u of %u", id, t->type, n);
		c = btf__type_by_id(btf, t->type);
		if (btf_decl_tag(t)->component_idx == -1)
			break;
		if (btf_is_func(c) && c->type < n)
			c = btf__type_by_id(btf, c->type);
		if (btf_decl_tag(t)->component_idx < 0 ||
		    (!btf_is_composite(c) && !btf_is_func_proto(c)) ||
		    btf_decl_tag(t)->component_idx >= btf_vlen(c))
			return bad(err, errlen, "tag %u on a member type %u does not have", id,
				   t->type);
		break;
	case BTF_KIND_ARRAY:
		if (!ID_OK(btf_array(t)->type) || !ID_OK(btf_array(t)->index_type))
			return bad(err, errlen, "array %u refers to a type past %u", id, n);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (__u32 i = 0; i < vlen; i++)
			if (!ID_OK(btf_members(t)[i].type) || !NAME_OK(btf_members(t)[i].name_off))
				return bad(err, errlen, "member %u of type %u is broken", i, id);
		break;
	case BTF_KIND_FUNC_PROTO:
		if (!ID_OK(t->type))
			return bad(err, errlen, "function %u returns type %u of %u", id, t->type,
				   n);
		for (__u32 i = 0; i < vlen; i++)
			if (!ID_OK(btf_params(t)[i].type) || !NAME_OK(btf_params(t)[i].name_off))
				return bad(err, errlen, "parameter %u of type %u is broken", i, id);
		break;
	case BTF_KIND_DATASEC:
		for (__u32 i = 0; i < vlen; i++)
			if (!ID_OK(btf_var_secinfos(t)[i].type) || btf_var_secinfos(t)[i].type == 0)
				return bad(err, errlen, "variable %u of section %u is broken", i,
					   id);
		break;
	case BTF_KIND_ENUM:
		for (__u32 i = 0; i < vlen; i++)
			if (!NAME_OK(btf_enum(t)[i].name_off))
				return bad(err, errlen, "enumerator %u of type %u is broken", i,
					   id);
		break;
	case BTF_KIND_ENUM64:
		for (__u32 i = 0; i < vlen; i++)
			if (!NAME_OK(btf_enum64(t)[i].name_off))
				return bad(err, errlen, "enumerator %u of type %u is broken", i,
					   id);
		break;
	default:
		break;
	}
#undef ID_OK
#undef NAME_OK
	/* the chain may pass types not checked yet */
	c = t;
	for (int depth = 0; is_chain(c); depth++) {
		if (depth == MAX_CHAIN)
			return bad(err, errlen, "type %u: modifiers and typedefs loop", id);
		c = btf__type_by_id(btf, c->type);
		if (!c)
			return bad(err, errlen, "type %u: a modifier refers to a type past %u", id,
				   n);
	}
	return 0;
}

/*
 * The .BTF section's data, or NULL; *n counts the sections of that name
 * (or .BTF.ext): libbpf takes each in turn, and crashed on a second, empty one
 */
static Elf_Data *btf_section(Elf *e, int *n)
{
	Elf_Data *d = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int ext = 0;

	*n = 0;
	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return NULL;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && strcmp(name, ".BTF.ext") == 0)
			ext++;
		if (name && strcmp(name, ".BTF") == 0 && ++*n == 1)
			d = sh.sh_type == SHT_NOBITS ? NULL : elf_getdata(scn, NULL);
	}
	if (ext > *n)
		*n = ext;
	return d;
}

int btf_check_elf(const void *data, size_t size, char *err, size_t errlen)
{
	char *copy = malloc(size ? size : 1);
	struct btf *btf = NULL;
	Elf_Data *d;
	Elf *e;
	int ret = 0, nbtf;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* libelf may write to the image it is given */
	memcpy(copy, data, size);
	elf_version(EV_CURRENT);
	/* not ELF at all: libbpf refuses it with its own words */
	e = elf_memory(copy, size);
	if (!e)
		goto free_copy;
	if (elf_kind(e) != ELF_K_ELF)
		goto end_elf;
	d = btf_section(e, &nbtf);
	if (nbtf > 1) {
		ret = bad(err, errlen, "more than one .BTF or .BTF.ext section");
		goto end_elf;
	}
	if (!d || !d->d_buf || !d->d_size)
		goto end_elf;
	btf = btf__new(d->d_buf, d->d_size);
	if (!btf) {
		ret = bad(err, errlen, "libbpf cannot parse it: %s", strerror(errno));
		goto end_elf;
	}
	for (__u32 id = 1; id < btf__type_cnt(btf) && !ret; id++)
		ret = check_type(btf, id, err, errlen);
	btf__free(btf);
end_elf:
	elf_end(e);
free_copy:
	free(copy);
	return ret;
}
