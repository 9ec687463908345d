// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Read the kstat convention out of a BPF object's BTF.  clang emits each
 * btf_decl_tag as a DECL_TAG type pointing at the tagged variable (the
 * map, component_idx -1) or at a struct with the member's index.  Every
 * way a tag can be wrong is refused with a message that names the map,
 * the member and what was expected: a third-party provider's author sees
 * exactly that line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "keydec.h"
#include "schema.h"

#define TAG_PREFIX "kstat."
#define MAX_HIST_SLOTS 64

struct parse_ctx {
	const struct btf *btf;
	uint32_t value_size; /* of the value struct: every field must fit in it */
	const char *map;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	int n = snprintf(c->err, c->errlen, "map %s: ", c->map);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *schema_btf_str(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);

	return s ? s : "";
}

static bool copy_name(char *dst, const char *src)
{
	size_t len = strlen(src);

	if (len == 0 || len >= KSTAT_STRLEN)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

/*
 * Names end up in kstat -p lines (split on ':' and tabs), on terminals and
 * in Prometheus names and labels, so they hold only what all of these take
 * as it is.  A module becomes part of every metric name (kstat_<module>_*):
 * lower case, digits and '_' only, so that no two modules mangle alike
 * (CPU and cpu, a:b and a_b would).  kstatd and unix are kstatd's own.
 */
static bool valid_module(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

void schema_clean_name(char *s)
{
	for (; *s; s++)
		if (!schema_valid_name((char[]){ *s, '\0' }))
			*s = '_';
}

bool schema_valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_-.,+", *s)))
			return false;
	return true;
}

bool schema_valid_provider(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= KSTAT_STRLEN)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* A BTF string, or "" when the offset is bad: the BTF is untrusted */
/* Skip typedefs and qualifiers */
static const struct btf_type *resolve(const struct btf *btf, __u32 id, __u32 *out_id)
{
	int rid = btf__resolve_type(btf, id);

	if (rid < 0)
		return NULL;
	if (out_id)
		*out_id = (__u32)rid;
	return btf__type_by_id(btf, (__u32)rid);
}

/* An integer member: its size and signedness; false otherwise, also for no type */
static bool int_field(const struct btf *btf, const struct btf_type *t, struct schema_field *f)
{
	if (!t)
		return false;
	if (btf_is_int(t)) {
		if (btf_int_offset(t) != 0 || btf_int_bits(t) != t->size * 8)
			return false;
		f->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
	} else if (btf_is_enum(t)) {
		f->is_signed = false;
	} else {
		return false;
	}
	(void)btf;
	f->size = t->size;
	return f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8;
}

/* Does [off, off + len) lie inside the value?  BTF offsets are untrusted. */
static bool fits(const struct parse_ctx *c, uint64_t off, uint64_t len)
{
	return off <= c->value_size && len <= c->value_size - off;
}

static int find_member(const struct btf *btf, const struct btf_type *st, const char *name)
{
	const struct btf_member *m = btf_members(st);

	for (int i = 0; i < btf_vlen(st); i++, m++)
		if (strcmp(schema_btf_str(btf, m->name_off), name) == 0)
			return i;
	return -1;
}

/* The integer member called name, for KSTAT_OPEN and the IO/INTR/TIMER types */
static int named_int_field(struct parse_ctx *c, const struct btf_type *st, const char *name,
			   struct schema_field *f, const char *why)
{
	int idx = find_member(c->btf, st, name);
	const struct btf_member *m;

	if (idx < 0)
		return fail(c, "%s: no member called '%s'", why, name);
	m = btf_members(st) + idx;
	if (btf_member_bitfield_size(st, (__u32)idx) ||
	    !int_field(c->btf, resolve(c->btf, m->type, NULL), f))
		return fail(c, "%s: member '%s' must be an integer of 1, 2, 4 or 8 bytes", why,
			    name);
	f->off = btf_member_bit_offset(st, (__u32)idx) / 8;
	if (!fits(c, f->off, f->size))
		return fail(c, "%s: member '%s' lies outside the value", why, name);
	return 0;
}

static int parse_map_tag(struct parse_ctx *c, struct schema *sc, const char *tag)
{
	const char *v = strchr(tag, '=');
	size_t klen = v ? (size_t)(v - tag) : strlen(tag);

	if (v)
		v++;
#define KEY_IS(k) (klen == sizeof(k) - 1 && strncmp(tag, k, klen) == 0)
	if (KEY_IS("writable") && !v) {
		sc->writable = true;
		return 0;
	}
	if (KEY_IS("pinned") && !v) {
		sc->pinned = true;
		return 0;
	}
	if (KEY_IS("tracked") && !v) {
		sc->tracked = true;
		return 0;
	}
	if (!v)
		return fail(c, "tag 'kstat.%s' needs a value", tag);
	if (KEY_IS("shared")) {
		if (!strchr(v, '/') || strlen(v) >= sizeof(sc->shared))
			return fail(c, "kstat.shared '%s': expected provider/map", v);
		snprintf(sc->shared, sizeof(sc->shared), "%s", v);
	} else if (KEY_IS("module")) {
		if (!valid_module(v) || !copy_name(sc->module, v))
			return fail(
				c,
				"kstat.module '%s': 1 to %d lower-case letters, digits and '_', "
				"a letter first",
				v, KSTAT_STRLEN - 1);
		/* kstatd's own, and the block devices' Prometheus families (kstat_disk_*) */
		if (strcmp(v, "kstatd") == 0 || strcmp(v, "unix") == 0 || strcmp(v, "disk") == 0 ||
		    strncmp(v, "disk_", 5) == 0)
			return fail(c, "kstat.module '%s' is kstatd's own", v);
	} else if (KEY_IS("name")) {
		if (!schema_valid_name(v) || !copy_name(sc->name, v))
			return fail(c, "kstat.name '%s': 1 to %d letters, digits and _-.,+", v,
				    KSTAT_STRLEN - 1);
	} else if (KEY_IS("class")) {
		if (!schema_valid_name(v) || !copy_name(sc->ks_class, v))
			return fail(c, "kstat.class '%s': 1 to %d letters, digits and _-.,+", v,
				    KSTAT_STRLEN - 1);
	} else if (KEY_IS("type")) {
		if (strcmp(v, "named") == 0)
			sc->type = KSTAT_TYPE_NAMED;
		else if (strcmp(v, "io") == 0)
			sc->type = KSTAT_TYPE_IO;
		else if (strcmp(v, "intr") == 0)
			sc->type = KSTAT_TYPE_INTR;
		else if (strcmp(v, "timer") == 0)
			sc->type = KSTAT_TYPE_TIMER;
		else
			return fail(c, "kstat.type '%s': expected named, io, intr or timer", v);
	} else if (KEY_IS("instance")) {
		if (strcmp(v, "single") == 0)
			sc->instance = SI_SINGLE;
		else if (strcmp(v, "cpu") == 0)
			sc->instance = SI_CPU;
		else if (strcmp(v, "key") == 0)
			sc->instance = SI_KEY;
		else
			return fail(c, "kstat.instance '%s': expected single, cpu or key", v);
	} else if (KEY_IS("key")) {
		sc->key = keydec_find(v);
		if (!sc->key)
			return fail(c, "kstat.key '%s': expected one of %s", v, keydec_names());
	} else if (KEY_IS("name_from")) {
		if (strcmp(v, "field") == 0)
			sc->name_from = SN_FIELD;
		else
			return fail(c, "kstat.name_from '%s': expected field", v);
	} else {
		return fail(c, "unknown tag 'kstat.%.*s'", (int)klen, tag);
	}
#undef KEY_IS
	return 0;
}

static int parse_kind(struct parse_ctx *c, const char *mname, const char *v, struct schema_stat *st)
{
	static const char *const kinds[] = {
		[SK_COUNTER] = "counter", [SK_GAUGE] = "gauge", [SK_MIN] = "min",
		[SK_MAX] = "max",         [SK_HIST] = "hist",
	};
	const char *c1 = strchr(v, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	size_t klen, ulen;

	if (!c1 || !c2)
		return fail(c, "member %s: kstat.stat '%s': expected kind,unit,help", mname, v);
	klen = (size_t)(c1 - v);
	ulen = (size_t)(c2 - c1 - 1);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i]) == klen && strncmp(v, kinds[i], klen) == 0) {
			st->kind = (enum schema_kind)i;
			if (ulen == 0 || ulen >= sizeof(st->unit))
				return fail(c, "member %s: unit '%.*s': 1 to %zu characters", mname,
					    (int)ulen, c1 + 1, sizeof(st->unit) - 1);
			memcpy(st->unit, c1 + 1, ulen);
			st->unit[ulen] = '\0';
			free(st->help);
			st->help = strdup(c2 + 1);
			return st->help ? 0 : -ENOMEM;
		}
	}
	return fail(c, "member %s: unknown kind '%.*s' (counter, gauge, min, max, hist)", mname,
		    (int)klen, v);
}

static int parse_open(struct parse_ctx *c, const struct btf_type *st, const char *mname,
		      const char *v, struct schema_stat *s)
{
	char since[64], flag[64];
	const char *comma = strchr(v, ',');

	if (!comma || (size_t)(comma - v) >= sizeof(since) || strlen(comma + 1) >= sizeof(flag))
		return fail(c, "member %s: kstat.open '%s': expected since,flag", mname, v);
	snprintf(since, sizeof(since), "%.*s", (int)(comma - v), v);
	snprintf(flag, sizeof(flag), "%s", comma + 1);
	if (named_int_field(c, st, since, &s->since, "kstat.open") ||
	    named_int_field(c, st, flag, &s->flag, "kstat.open"))
		return -EINVAL;
	if (s->since.size != 8)
		return fail(c, "member %s: kstat.open: '%s' must be a __u64 timestamp", mname,
			    since);
	/* kstatd copies a value in address order: a copy that sees the flag set must see its since */
	if (s->flag.off >= s->since.off)
		return fail(c,
			    "member %s: kstat.open: flag '%s' must lie before '%s' in the struct",
			    mname, flag, since);
	s->open = true;
	return 0;
}

/* Fill the type of a NAMED statistic from its member's BTF type */
static int stat_type(struct parse_ctx *c, const struct btf_member *m, const char *mname,
		     struct schema_stat *s)
{
	const struct btf_type *t = resolve(c->btf, m->type, NULL);

	if (!t)
		return fail(c, "member %s: bad BTF type", mname);
	if (s->kind == SK_HIST) {
		const struct btf_array *a;

		if (!btf_is_array(t))
			return fail(c, "member %s: a histogram must be an array of __u64", mname);
		a = btf_array(t);
		if (!int_field(c->btf, resolve(c->btf, a->type, NULL), &s->f) || s->f.size != 8 ||
		    a->nelems == 0 || a->nelems > MAX_HIST_SLOTS)
			return fail(c, "member %s: a histogram must be __u64[1..%d]", mname,
				    MAX_HIST_SLOTS);
		s->nelem = a->nelems;
		s->data_type = KSTAT_DATA_UINT64;
		return 0;
	}
	if (!int_field(c->btf, t, &s->f))
		return fail(c, "member %s: a statistic must be an integer of 1, 2, 4 or 8 bytes",
			    mname);
	s->nelem = 1;
	if (s->f.size == 8)
		s->data_type = s->f.is_signed ? KSTAT_DATA_INT64 : KSTAT_DATA_UINT64;
	else
		s->data_type = s->f.is_signed ? KSTAT_DATA_INT32 : KSTAT_DATA_UINT32;
	return 0;
}

static int parse_name_field(struct parse_ctx *c, struct schema *sc, const struct btf_member *m,
			    const char *mname, __u32 bitoff)
{
	const struct btf_type *t = resolve(c->btf, m->type, NULL), *et;

	if (!t || !btf_is_array(t) || !(et = resolve(c->btf, btf_array(t)->type, NULL)) ||
	    !btf_is_int(et) || et->size != 1 || btf_array(t)->nelems < 2)
		return fail(c, "member %s: KSTAT_NAME_FIELD must be a char array", mname);
	sc->name_field.off = bitoff / 8;
	sc->name_field.size = btf_array(t)->nelems;
	if (!fits(c, sc->name_field.off, sc->name_field.size))
		return fail(c, "member %s: KSTAT_NAME_FIELD lies outside the value", mname);
	return 0;
}

/*
 * Slot names sort in slot order and say what they count: <hist>_NN_lt_B
 * the values below B = 2^(NN+1) (and at least half of it, but for slot
 * 00, which holds 0 and 1), <hist>_NN_inf the rest.  The slot number
 * comes first, two digits: kstat(1) sorts statistics by name.
 */
void schema_slot_name(const char *hist, uint32_t slot, uint32_t nslots, char *buf, size_t len)
{
	if (slot + 1 == nslots)
		snprintf(buf, len, "%s_%02u_inf", hist, slot);
	else
		snprintf(buf, len, "%s_%02u_lt_%llu", hist, slot, 1ULL << (slot + 1));
}

void schema_hist_slot_name(const struct schema_stat *st, uint32_t slot, char *buf, size_t len)
{
	schema_slot_name(st->name, slot, st->nelem, buf, len);
}

/* A decl tag on a struct, by the index of the member it tags */
struct tag_ref {
	int comp;
	__u32 id;
};

static int cmp_tag_ref(const void *a, const void *b)
{
	const struct tag_ref *x = a, *y = b;

	return x->comp != y->comp ? (x->comp < y->comp ? -1 : 1)
				  : (x->id < y->id ? -1 : x->id > y->id);
}

/*
 * Every decl tag on type target, sorted by member: one pass over the BTF
 * instead of one per member, which a hostile object with many members and
 * tags could turn into minutes.  NULL with *n 0 when there are none.
 */
static struct tag_ref *tags_on(const struct btf *btf, __u32 target, size_t *n)
{
	__u32 ntypes = btf__type_cnt(btf);
	struct tag_ref *refs = NULL;
	size_t cap = 0;

	*n = 0;
	for (__u32 id = 1; id < ntypes; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t || !btf_is_decl_tag(t) || t->type != target)
			continue;
		if (*n == cap) {
			struct tag_ref *nr = realloc(refs, (cap ? cap * 2 : 16) * sizeof(*nr));

			if (!nr) {
				free(refs);
				*n = 0;
				return NULL;
			}
			refs = nr;
			cap = cap ? cap * 2 : 16;
		}
		refs[*n].comp = btf_decl_tag(t)->component_idx;
		refs[(*n)++].id = id;
	}
	if (*n)
		qsort(refs, *n, sizeof(*refs), cmp_tag_ref);
	return refs;
}

/* The first tag on member comp, or n if it has none */
static size_t first_tag(const struct tag_ref *refs, size_t n, int comp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (refs[mid].comp < comp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int parse_members(struct parse_ctx *c, struct schema *sc, const struct btf_type *st,
			 const struct tag_ref *refs, size_t nrefs);

/* The members of a NAMED value struct, with their tags */
static int parse_named(struct parse_ctx *c, struct schema *sc, const struct btf_type *st,
		       __u32 st_id)
{
	const struct btf *btf = c->btf;
	int vlen = btf_vlen(st), err = 0;
	struct tag_ref *refs;
	size_t nrefs;

	sc->stats = calloc((size_t)vlen, sizeof(*sc->stats));
	if (!sc->stats && vlen)
		return -ENOMEM;
	sc->stats_cap = (uint32_t)vlen;
	refs = tags_on(btf, st_id, &nrefs);
	err = parse_members(c, sc, st, refs, nrefs);
	free(refs);
	return err;
}

static int cmp_stat_name(const void *a, const void *b)
{
	return strcmp((*(const struct schema_stat *const *)a)->name,
		      (*(const struct schema_stat *const *)b)->name);
}

/* A statistic name used twice, found by sorting (60000 members took 16 s pairwise) */
static int twice(struct parse_ctx *c, const struct schema *sc)
{
	const struct schema_stat **v = calloc(sc->nstats, sizeof(*v));
	int err = 0;

	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < sc->nstats; i++)
		v[i] = &sc->stats[i];
	qsort(v, sc->nstats, sizeof(*v), cmp_stat_name);
	for (__u32 i = 1; i < sc->nstats && !err; i++)
		if (strcmp(v[i]->name, v[i - 1]->name) == 0)
			err = fail(c, "statistic '%s' appears twice", v[i]->name);
	free(v);
	return err;
}

static int parse_members(struct parse_ctx *c, struct schema *sc, const struct btf_type *st,
			 const struct tag_ref *refs, size_t nrefs)
{
	const struct btf *btf = c->btf;
	int vlen = btf_vlen(st), err;

	for (int i = 0; i < vlen; i++) {
		const struct btf_member *m = btf_members(st) + i;
		const char *mname = schema_btf_str(btf, m->name_off);
		struct schema_stat *s = &sc->stats[sc->nstats];
		bool is_stat = false, has_open = false;
		const char *open_tag = NULL;

		memset(s, 0, sizeof(*s));
		for (size_t r = first_tag(refs, nrefs, i); r < nrefs && refs[r].comp == i; r++) {
			const struct btf_type *t = btf__type_by_id(btf, refs[r].id);
			const char *tag = schema_btf_str(btf, t->name_off);

			if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
				continue;
			tag += strlen(TAG_PREFIX);
			if (strncmp(tag, "stat=", 5) == 0) {
				err = parse_kind(c, mname, tag + 5, s);
				if (err)
					return err;
				is_stat = true;
			} else if (strncmp(tag, "open=", 5) == 0) {
				open_tag = tag + 5;
				has_open = true;
			} else if (strncmp(tag, "from=", 5) == 0) {
				if (!schema_valid_provider(tag + 5) || !copy_name(s->from, tag + 5))
					return fail(
						c,
						"member %s: kstat.from '%s': a provider name, 1 "
						"to %d letters, digits, '_' or '-'",
						mname, tag + 5, KSTAT_STRLEN - 1);
			} else if (strcmp(tag, "name") == 0) {
				err = parse_name_field(c, sc, m, mname,
						       btf_member_bit_offset(st, (__u32)i));
				if (err)
					return err;
			} else {
				return fail(c, "member %s: unknown tag 'kstat.%s'", mname, tag);
			}
		}
		if (!is_stat) {
			if (has_open)
				return fail(
					c,
					"member %s: kstat.open on a member that is not a statistic",
					mname);
			continue;
		}
		if (btf_member_bitfield_size(st, (__u32)i))
			return fail(c, "member %s: bitfields cannot be statistics", mname);
		if (s->from[0] && s->kind == SK_HIST)
			return fail(c, "member %s: kstat.from on a histogram", mname);
		if (!copy_name(s->name, mname))
			return fail(c, "member %s: statistic names are 1 to %d characters", mname,
				    KSTAT_STRLEN - 1);
		s->f.off = btf_member_bit_offset(st, (__u32)i) / 8;
		err = stat_type(c, m, mname, s);
		if (err)
			return err;
		if (!fits(c, s->f.off, (uint64_t)s->f.size * s->nelem))
			return fail(c, "member %s lies outside the value", mname);
		for (uint32_t slot = 0; s->kind == SK_HIST && slot < s->nelem; slot++) {
			char slot_name[64];

			schema_hist_slot_name(s, slot, slot_name, sizeof(slot_name));
			if (strlen(slot_name) >= KSTAT_STRLEN)
				return fail(c,
					    "member %s: histogram slot name '%s' is longer than %d "
					    "characters",
					    mname, slot_name, KSTAT_STRLEN - 1);
		}
		if (has_open) {
			if (s->kind != SK_COUNTER || s->f.size != 8)
				return fail(c, "member %s: kstat.open needs a __u64 counter",
					    mname);
			err = parse_open(c, st, mname, open_tag, s);
			if (err)
				return err;
		}
		sc->ndata += s->nelem;
		sc->nstats++;
	}
	if (sc->nstats == 0)
		return fail(c, "value struct has no KSTAT_COUNTER/GAUGE/MIN/MAX/HIST member");
	if (sc->ndata > SCHEMA_MAX_NDATA)
		return fail(c, "%u statistics (histogram slots counted): at most %u per kstat",
			    sc->ndata, SCHEMA_MAX_NDATA);
	return twice(c, sc);
}

/* IO, INTR and TIMER values: the illumos fields, found by member name */
static int parse_fixed(struct parse_ctx *c, struct schema *sc, const struct btf_type *st,
		       __u32 st_id)
{
	const struct kt_type *kt = kt_type(sc->type);
	struct tag_ref *refs;
	size_t nrefs;
	char why[32];
	int err = 0;

	snprintf(why, sizeof(why), "kstat.type %s", kt->tag);
	for (size_t i = 0; i < kt->nfields; i++)
		if (named_int_field(c, st, kt->fields[i].name, &sc->fields[i], why))
			return -EINVAL;
	/* an optional name member, for TIMER record names and keyed kstats */
	refs = tags_on(c->btf, st_id, &nrefs);
	for (size_t r = 0; r < nrefs && !err; r++) {
		const struct btf_type *t = btf__type_by_id(c->btf, refs[r].id);

		if (refs[r].comp < 0 || refs[r].comp >= btf_vlen(st) ||
		    strcmp(schema_btf_str(c->btf, t->name_off), "kstat.name") != 0)
			continue;
		err = parse_name_field(
			c, sc, btf_members(st) + refs[r].comp,
			schema_btf_str(c->btf, btf_members(st)[refs[r].comp].name_off),
			btf_member_bit_offset(st, (__u32)refs[r].comp));
	}
	free(refs);
	sc->ndata = 1;
	return err;
}

/* A bpf_spin_lock member: the kernel copies such values under the lock with BPF_F_LOCK */
static bool has_spin_lock(const struct btf *btf, const struct btf_type *st)
{
	const struct btf_member *m = btf_members(st);

	for (int i = 0; i < btf_vlen(st); i++, m++) {
		const struct btf_type *t = resolve(btf, m->type, NULL);

		if (t && btf_is_struct(t) &&
		    strcmp(schema_btf_str(btf, t->name_off), "bpf_spin_lock") == 0)
			return true;
	}
	return false;
}

static int check_map_shape(struct parse_ctx *c, struct schema *sc, const struct schema_map *map)
{
	enum bpf_map_type mt = map->type;
	bool percpu = mt == BPF_MAP_TYPE_PERCPU_ARRAY || mt == BPF_MAP_TYPE_PERCPU_HASH ||
		      mt == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	bool array = mt == BPF_MAP_TYPE_ARRAY || mt == BPF_MAP_TYPE_PERCPU_ARRAY;
	bool hash = mt == BPF_MAP_TYPE_HASH || mt == BPF_MAP_TYPE_PERCPU_HASH ||
		    mt == BPF_MAP_TYPE_LRU_HASH || mt == BPF_MAP_TYPE_LRU_PERCPU_HASH;

	if (!array && !hash)
		return fail(c, "map type %s cannot hold kstats (array or hash maps only)",
			    libbpf_bpf_map_type_str(mt));
	if (map->key_size != 4 && map->key_size != 8)
		return fail(c, "key must be a 4- or 8-byte integer");
	switch (sc->instance) {
	case SI_CPU:
		if (mt != BPF_MAP_TYPE_PERCPU_ARRAY || map->max_entries != 1)
			return fail(c, "kstat.instance=cpu needs a one-entry PERCPU_ARRAY");
		break;
	case SI_SINGLE:
		if (!array)
			return fail(c, "kstat.instance=single needs an ARRAY or PERCPU_ARRAY");
		break;
	case SI_KEY:
		break;
	}
	if (sc->writable &&
	    (mt != BPF_MAP_TYPE_ARRAY || sc->instance != SI_SINGLE || sc->type != KSTAT_TYPE_NAMED))
		return fail(c, "kstat.writable needs a NAMED single-instance plain ARRAY");
	if (sc->writable && percpu)
		return fail(c, "kstat.writable maps cannot be per-CPU");
	for (uint32_t i = 0; sc->writable && i < sc->nstats; i++)
		if (sc->stats[i].kind == SK_HIST || sc->stats[i].open)
			return fail(c, "kstat.writable maps hold plain statistics: not %s",
				    sc->stats[i].name);
	if (sc->name_from == SN_FIELD && sc->name_field.size == 0)
		return fail(c, "kstat.name_from=field needs a KSTAT_NAME_FIELD member");
	if (sc->key && sc->instance != SI_KEY)
		return fail(c, "kstat.key=%s needs kstat.instance=key", keydec_name(sc->key));
	if (sc->key && map->key_size != keydec_key_size(sc->key))
		return fail(c, "kstat.key=%s needs a %u-byte key", keydec_name(sc->key),
			    keydec_key_size(sc->key));
	if (sc->spin_lock && (percpu || sc->writable))
		return fail(c, "a bpf_spin_lock needs a map that is neither per-CPU nor writable");
	/* Only the keys of a tracked map are watched: a decoder's or an LRU's changes go unseen */
	if (sc->tracked && (!hash || sc->instance != SI_KEY || sc->key ||
			    mt == BPF_MAP_TYPE_LRU_HASH || mt == BPF_MAP_TYPE_LRU_PERCPU_HASH))
		return fail(c, "kstat.tracked needs a keyed, non-LRU HASH or PERCPU_HASH without "
			       "kstat.key");
	return 0;
}

bool schema_valid_map_name(const char *name)
{
	if (!name[0])
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

int schema_parse_map(const struct btf *btf, const struct schema_map *map, struct schema **out,
		     char *err, size_t errlen)
{
	struct parse_ctx c = { .btf = btf, .map = map->name, .err = err, .errlen = errlen };
	const struct btf_type *st;
	struct schema *sc = NULL;
	__u32 n, st_id;
	int var_id, ret, ntags = 0;

	*out = NULL;
	err[0] = '\0';
	if (!btf)
		return 0;
	var_id = btf__find_by_name_kind(btf, map->name, BTF_KIND_VAR);
	if (var_id < 0)
		return 0;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	snprintf(sc->map_name, sizeof(sc->map_name), "%s", map->name);
	sc->type = KSTAT_TYPE_NAMED;
	sc->instance = SI_SINGLE;
	sc->name_from = SN_FIXED;
	strcpy(sc->ks_class, "misc");

	n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tag;

		if (!btf_is_decl_tag(t) || t->type != (__u32)var_id ||
		    btf_decl_tag(t)->component_idx != -1)
			continue;
		tag = schema_btf_str(btf, t->name_off);
		if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
			continue;
		ntags++;
		ret = parse_map_tag(&c, sc, tag + strlen(TAG_PREFIX));
		if (ret)
			goto err_free;
	}
	if (ntags == 0) {
		schema_free(sc);
		return 0;
	}
	/* it names a pin file: nothing that could climb out of the provider's directory */
	if (!schema_valid_map_name(map->name)) {
		ret = fail(&c, "a map name may only hold letters, digits and '_'");
		goto err_free;
	}
	if (sc->pinned) {
		/* kept across restarts for a built-in's own userspace: no kstats here */
		ret = ntags == 1 ? 0 : fail(&c, "a kstat.pinned map has no other kstat tags");
		goto err_free;
	}
	if (sc->shared[0]) {
		/* another provider's map, used by this one's programs: no kstats here */
		ret = ntags == 1 ? 0 : fail(&c, "a kstat.shared map has no kstat tags of its own");
		goto err_free;
	}
	if (!sc->module[0]) {
		ret = fail(&c, "kstat tags without KSTAT_MODULE");
		goto err_free;
	}
	if (!sc->name[0] && !copy_name(sc->name, map->name)) {
		ret = fail(&c, "map name too long to be a kstat name: add KSTAT_NAME");
		goto err_free;
	}
	st = resolve(btf, map->value_type_id, &st_id);
	if (!st || !btf_is_struct(st)) {
		ret = fail(&c, "the value must be a struct described in BTF");
		goto err_free;
	}
	sc->value_size = st->size;
	c.value_size = st->size;
	if (st->size != map->value_size) {
		ret = fail(&c, "the value struct is %u bytes, the map's values %u", st->size,
			   map->value_size);
		goto err_free;
	}
	sc->spin_lock = has_spin_lock(btf, st);
	ret = sc->type == KSTAT_TYPE_NAMED ? parse_named(&c, sc, st, st_id)
					   : parse_fixed(&c, sc, st, st_id);
	if (ret)
		goto err_free;
	ret = check_map_shape(&c, sc, map);
	if (ret)
		goto err_free;
	*out = sc;
	return 1;

err_free:
	schema_free(sc);
	return ret;
}

int schema_parse(const struct btf *btf, const struct bpf_map *map, struct schema **out, char *err,
		 size_t errlen)
{
	struct schema_map m = {
		.name = bpf_map__name(map),
		.type = bpf_map__type(map),
		.key_size = bpf_map__key_size(map),
		.value_size = bpf_map__value_size(map),
		.max_entries = bpf_map__max_entries(map),
		.value_type_id = bpf_map__btf_value_type_id(map),
	};

	return schema_parse_map(btf, &m, out, err, errlen);
}

int schema_shared(const struct btf *btf, const struct bpf_map *map, char *out, size_t len)
{
	__u32 n = btf ? btf__type_cnt(btf) : 0;
	int var_id;

	if (!btf || (var_id = btf__find_by_name_kind(btf, bpf_map__name(map), BTF_KIND_VAR)) < 0)
		return 0;
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tag;

		if (!btf_is_decl_tag(t) || t->type != (__u32)var_id)
			continue;
		tag = schema_btf_str(btf, t->name_off);
		if (strncmp(tag, "kstat.shared=", 13) == 0) {
			snprintf(out, len, "%s", tag + 13);
			return 1;
		}
	}
	return 0;
}

void schema_free(struct schema *sc)
{
	if (!sc)
		return;
	for (__u32 i = 0; i < sc->stats_cap; i++)
		free(sc->stats[i].help);
	free(sc->stats);
	free(sc);
}
