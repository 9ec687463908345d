/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The schema of a provider map, read from the BTF declaration tags of the
 * kstat convention (bpf/kstat.bpf.h, docs/providers.md): where its kstats
 * live in the namespace and, for each statistic, its offset, data type,
 * kind, unit and help.
 */
#ifndef __KSTATD_SCHEMA_H
#define __KSTATD_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include <sys/kstat.h>

#include "common/kstat_types.h"

struct btf;
struct bpf_map;
struct keydec_ops;

enum schema_kind {
	SK_COUNTER,
	SK_GAUGE,
	SK_MIN,
	SK_MAX,
	SK_HIST,
};

enum schema_instance {
	SI_SINGLE, /* one kstat, instance 0; per-CPU values combined */
	SI_CPU,    /* one kstat per CPU from a one-entry per-CPU array */
	SI_KEY,    /* one kstat per map key; the key is the instance */
};

enum schema_name_from {
	SN_FIXED, /* the map's KSTAT_NAME for every instance */
	SN_FIELD, /* the value's KSTAT_NAME_FIELD member */
};

/* Where one field of a value lives */
struct schema_field {
	uint32_t off;
	uint32_t size; /* 1, 2, 4 or 8 */
	bool is_signed;
};

struct schema_stat {
	char name[KSTAT_STRLEN];
	struct schema_field f; /* for a histogram: its first slot */
	uint32_t nelem;        /* histogram slots, else 1 */
	uchar_t data_type;     /* KSTAT_DATA_* */
	enum schema_kind kind;
	char unit[16];
	char *help;
	bool open; /* KSTAT_OPEN: add now - since while flag != 0 */
	struct schema_field since, flag;
	char from[KSTAT_STRLEN]; /* KSTAT_FROM: the provider that fills it, or "" */
};

/* statistics of one NAMED kstat (histogram slots counted): illumos has a few hundred at most */
#define SCHEMA_MAX_NDATA 8192

struct schema {
	char map_name[64];
	char shared[96]; /* kstat.shared: "provider/map" (parsing only) */
	char module[KSTAT_STRLEN];
	char name[KSTAT_STRLEN];
	char ks_class[KSTAT_STRLEN];
	uchar_t type; /* KSTAT_TYPE_NAMED, IO, INTR or TIMER */
	enum schema_instance instance;
	enum schema_name_from name_from;
	struct schema_field name_field;
	const struct keydec_ops *key; /* KSTAT_KEY: what the keys are (src/keydec.h) */
	bool writable;
	bool pinned;         /* kstat.pinned: pinned, no kstats */
	bool tracked;        /* kstat.tracked: kstat_keys_gen moves when its keys change */
	bool spin_lock;      /* the value holds a bpf_spin_lock: read it with BPF_F_LOCK */
	uint32_t value_size; /* sizeof the value struct */
	/* NAMED: the statistics, one record each (histograms: one per slot) */
	uint32_t nstats, stats_cap;
	uint32_t ndata;
	struct schema_stat *stats;
	/* IO, INTR, TIMER: the fields of common/kstat_types.h, in its order, found by name */
	struct schema_field fields[KT_MAX_FIELDS];
};

/*
 * Parse the schema of map from btf (the object's own BTF, with tags).
 * Returns 1 with *out set for a kstat map, 0 for a map without kstat tags
 * (a provider's private state), or -errno with a message in err.
 */
/* What schema_parse_map() needs of a map: its name and shape */
struct schema_map {
	const char *name;
	uint32_t type; /* enum bpf_map_type */
	uint32_t key_size, value_size, max_entries;
	uint32_t value_type_id; /* the value's type in btf */
};

/* schema_parse() for a map described by hand (tests, fuzzing) */
int schema_parse_map(const struct btf *btf, const struct schema_map *map, struct schema **out,
		     char *err, size_t errlen);

int schema_parse(const struct btf *btf, const struct bpf_map *map, struct schema **out, char *err,
		 size_t errlen);
void schema_free(struct schema *sc);

/* Letters, digits and '_' only: what a kstat map may be called (it names a pin) */
bool schema_valid_map_name(const char *name);
/*
 * What a kstat name or class may hold: letters, digits and _-.,+ (no ':',
 * no space or control byte: it is printed in kstat -p lines and labels).
 */
bool schema_valid_name(const char *s);
/* A provider's name: 1 to KSTAT_STRLEN - 1 letters, digits, '_' or '-' */
bool schema_valid_provider(const char *s);
/*
 * Make a name found at run time (an interface, a disk, an IRQ handler, a
 * name field) valid: every other byte becomes '_'.  An interface a user
 * named "x\e[1A" in a namespace of its own must not bring a terminal
 * escape into root's kstat -p, nor a ':' that splits its lines.
 */
void schema_clean_name(char *s);

/*
 * Does map carry kstat.shared=provider/map (KSTAT_SHARED): is it another
 * provider's map that this object's programs update?  1 with the target
 * in out, else 0.
 */
int schema_shared(const struct btf *btf, const struct bpf_map *map, char *out, size_t len);

/*
 * The string at off in btf, "" when off lies outside its strings: libbpf
 * 1.1 does not check the name offsets of an object's BTF.
 */
const char *schema_btf_str(const struct btf *btf, uint32_t off);

/*
 * The statistic of a log2 histogram's slot: "<hist>_NN_lt_<2^(NN+1)>",
 * the last one "<hist>_NN_inf"; its sum is "<hist>_sum"
 */
void schema_slot_name(const char *hist, uint32_t slot, uint32_t nslots, char *buf, size_t len);
/* The same for a histogram of the schema */
void schema_hist_slot_name(const struct schema_stat *st, uint32_t slot, char *buf, size_t len);

#endif /* __KSTATD_SCHEMA_H */
