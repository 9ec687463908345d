// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The provider convention as read from BTF: schemas built with libbpf's
 * BTF writer, including the malformed ones a hostile or corrupt .bpf.o
 * can carry (fields outside the value, void members, names that would
 * climb out of the pin directory), which must be refused with a reason,
 * never read out of bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <criterion/criterion.h>

#include "schema.h"

static struct btf *btf;
static int u64_id, s64_id, u32_id, char_id;
static char err[512];

static void setup(void)
{
	btf = btf__new_empty();
	cr_assert(btf);
	u64_id = btf__add_int(btf, "unsigned long long", 8, 0);
	s64_id = btf__add_int(btf, "long long", 8, BTF_INT_SIGNED);
	u32_id = btf__add_int(btf, "unsigned int", 4, 0);
	char_id = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	err[0] = '\0';
}

static void teardown(void)
{
	btf__free(btf);
}

TestSuite(schema, .init = setup, .fini = teardown, .timeout = 30);

/* A map variable called name, with map tags */
static void map_var(const char *name, const char *const *tags)
{
	int var = btf__add_var(btf, name, BTF_VAR_GLOBAL_ALLOCATED, u32_id);

	cr_assert_gt(var, 0);
	for (; *tags; tags++)
		cr_assert_gt(btf__add_decl_tag(btf, *tags, var, -1), 0);
}

static int parse(const char *name, uint32_t type, uint32_t value_size, int value_id,
		 struct schema **sc)
{
	struct schema_map m = {
		.name = name,
		.type = type,
		.key_size = 4,
		.value_size = value_size,
		.max_entries = 1,
		.value_type_id = (uint32_t)value_id,
	};

	return schema_parse_map(btf, &m, sc, err, sizeof(err));
}

static const char *const named_tags[] = { "kstat.module=mod", "kstat.name=nm", NULL };

Test(schema, a_well_formed_named_schema_is_read_whole)
{
	static const char *const tags[] = { "kstat.module=mod", "kstat.name=nm", "kstat.class=disk",
					    "kstat.instance=single", NULL };
	int arr = btf__add_array(btf, u32_id, u64_id, 4);
	int st = btf__add_struct(btf, "v", 8 + 8 + 32 + 8);
	struct schema *sc;

	btf__add_field(btf, "events", u64_id, 0, 0);
	btf__add_field(btf, "level", s64_id, 64, 0);
	btf__add_field(btf, "lat", arr, 128, 0);
	btf__add_field(btf, "private", u64_id, 384, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,Events seen", st, 0);
	btf__add_decl_tag(btf, "kstat.stat=gauge,bytes,A level, with a comma", st, 1);
	btf__add_decl_tag(btf, "kstat.stat=hist,ns,Latency", st, 2);
	map_var("good", tags);
	cr_assert_eq(parse("good", BPF_MAP_TYPE_PERCPU_ARRAY, 56, st, &sc), 1, "%s", err);
	cr_expect_str_eq(sc->module, "mod");
	cr_expect_str_eq(sc->name, "nm");
	cr_expect_str_eq(sc->ks_class, "disk");
	cr_expect_eq(sc->nstats, 3, "the untagged member is private");
	cr_expect_eq(sc->ndata, 1 + 1 + 4);
	cr_expect_eq(sc->stats[0].kind, SK_COUNTER);
	cr_expect_str_eq(sc->stats[0].unit, "count");
	cr_expect_str_eq(sc->stats[0].help, "Events seen");
	cr_expect_eq(sc->stats[1].data_type, KSTAT_DATA_INT64);
	cr_expect_str_eq(sc->stats[1].help, "A level, with a comma");
	cr_expect_eq(sc->stats[2].nelem, 4);
	cr_expect_eq(sc->stats[2].f.off, 16);
	schema_free(sc);
}

Test(schema, a_map_without_kstat_tags_is_private_state)
{
	int st = btf__add_struct(btf, "v", 8);
	struct schema *sc = (void *)1;

	btf__add_field(btf, "x", u64_id, 0, 0);
	cr_expect_eq(parse("private", BPF_MAP_TYPE_HASH, 8, st, &sc), 0);
	cr_expect_null(sc);
}

Test(schema, a_pinned_map_has_no_kstats_and_no_other_tags)
{
	static const char *const pinned[] = { "kstat.pinned", NULL };
	static const char *const mixed[] = { "kstat.pinned", "kstat.module=mod", NULL };
	int st = btf__add_struct(btf, "v", 8);
	struct schema *sc = (void *)1;

	btf__add_field(btf, "x", u64_id, 0, 0);
	map_var("sums", pinned);
	cr_expect_eq(parse("sums", BPF_MAP_TYPE_PERCPU_ARRAY, 8, st, &sc), 0);
	cr_expect_null(sc, "a built-in's own userspace serves it");
	map_var("both", mixed);
	cr_expect_eq(parse("both", BPF_MAP_TYPE_ARRAY, 8, st, &sc), -EINVAL);
	cr_expect(strstr(err, "kstat.pinned map has no other kstat tags"), "%s", err);
}

/* Expect a refusal whose message contains what */
static void refused(const char *name, uint32_t type, uint32_t value_size, int st, const char *what)
{
	struct schema *sc;

	cr_expect_eq(parse(name, type, value_size, st, &sc), -EINVAL, "accepted: %s", what);
	cr_expect(strstr(err, what), "message '%s' lacks '%s'", err, what);
}

Test(schema, a_field_outside_the_value_is_refused)
{
	int st = btf__add_struct(btf, "v", 8);

	btf__add_field(btf, "far", u64_id, 8 * 1024 * 1024 * 8, 0); /* at 8 MiB */
	btf__add_decl_tag(btf, "kstat.stat=counter,count,Far away", st, 0);
	map_var("far", named_tags);
	refused("far", BPF_MAP_TYPE_ARRAY, 8, st, "member far lies outside the value");
}

Test(schema, a_name_field_or_open_field_outside_the_value_is_refused)
{
	int name_arr = btf__add_array(btf, u32_id, char_id, 16);
	int st = btf__add_struct(btf, "v", 16), st2;

	btf__add_field(btf, "n", u64_id, 0, 0);
	btf__add_field(btf, "name", name_arr, 64, 0); /* 8 + 16 > 16 */
	btf__add_decl_tag(btf, "kstat.stat=counter,count,N", st, 0);
	btf__add_decl_tag(btf, "kstat.name", st, 1);
	map_var("nm1", named_tags);
	refused("nm1", BPF_MAP_TYPE_HASH, 16, st, "KSTAT_NAME_FIELD lies outside the value");

	st2 = btf__add_struct(btf, "w", 16);
	btf__add_field(btf, "t", u64_id, 0, 0);
	btf__add_field(btf, "since", u64_id, 128, 0); /* at 16, past the end */
	btf__add_field(btf, "on", u32_id, 64, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,ns,T", st2, 0);
	btf__add_decl_tag(btf, "kstat.open=since,on", st2, 0);
	map_var("op1", named_tags);
	refused("op1", BPF_MAP_TYPE_ARRAY, 16, st2, "member 'since' lies outside the value");
}

Test(schema, an_open_flag_after_its_timestamp_is_refused)
{
	int st = btf__add_struct(btf, "v", 24), ok;
	struct schema *sc;

	btf__add_field(btf, "t", u64_id, 0, 0);
	btf__add_field(btf, "since", u64_id, 64, 0);
	btf__add_field(btf, "on", u32_id, 128, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,ns,T", st, 0);
	btf__add_decl_tag(btf, "kstat.open=since,on", st, 0);
	map_var("op2", named_tags);
	refused("op2", BPF_MAP_TYPE_ARRAY, 24, st,
		"member t: kstat.open: flag 'on' must lie before 'since' in the struct");

	ok = btf__add_struct(btf, "w", 24);
	btf__add_field(btf, "t", u64_id, 0, 0);
	btf__add_field(btf, "on", u32_id, 64, 0);
	btf__add_field(btf, "since", u64_id, 128, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,ns,T", ok, 0);
	btf__add_decl_tag(btf, "kstat.open=since,on", ok, 0);
	map_var("op3", named_tags);
	cr_assert_eq(parse("op3", BPF_MAP_TYPE_ARRAY, 24, ok, &sc), 1, "%s", err);
	cr_expect(sc->stats[0].open);
	cr_expect_eq(sc->stats[0].flag.off, 8);
	cr_expect_eq(sc->stats[0].since.off, 16);
	schema_free(sc);
}

Test(schema, a_void_or_forward_member_is_refused_not_dereferenced)
{
	static const char *const io_tags[] = { "kstat.module=m", "kstat.type=io", NULL };
	int fwd = btf__add_fwd(btf, "opaque", BTF_FWD_STRUCT);
	int st = btf__add_struct(btf, "v", 8), st2;

	btf__add_field(btf, "nread", 0, 0, 0); /* void */
	map_var("io1", io_tags);
	refused("io1", BPF_MAP_TYPE_HASH, 8, st, "member 'nread' must be an integer");

	st2 = btf__add_struct(btf, "w", 8);
	btf__add_field(btf, "x", fwd, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,X", st2, 0);
	map_var("fw1", named_tags);
	refused("fw1", BPF_MAP_TYPE_ARRAY, 8, st2, "member x: bad BTF type");
}

Test(schema, a_value_of_another_size_than_the_maps_is_refused)
{
	int st = btf__add_struct(btf, "v", 8);

	btf__add_field(btf, "x", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,X", st, 0);
	map_var("sz", named_tags);
	refused("sz", BPF_MAP_TYPE_ARRAY, 16, st,
		"the value struct is 8 bytes, the map's values 16");
}

Test(schema, a_map_name_that_could_leave_the_pin_directory_is_refused)
{
	int st = btf__add_struct(btf, "v", 8);

	btf__add_field(btf, "x", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,X", st, 0);
	map_var("../../x", named_tags);
	refused("../../x", BPF_MAP_TYPE_ARRAY, 8, st, "a map name may only hold letters");
	cr_expect(schema_valid_map_name("cpu_sys"));
	cr_expect_not(schema_valid_map_name("a.b"));
	cr_expect_not(schema_valid_map_name(""));
}

/* KSTAT_FROM: the provider that keeps a counter of a shared map; not on a histogram */
Test(schema, a_statistic_kept_by_another_provider)
{
	int arr = btf__add_array(btf, u32_id, u64_id, 2);
	int st = btf__add_struct(btf, "v", 8), st2, st3;
	struct schema *sc;

	btf__add_field(btf, "calls", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,Calls", st, 0);
	btf__add_decl_tag(btf, "kstat.from=syscall", st, 0);
	map_var("fr1", named_tags);
	cr_assert_eq(parse("fr1", BPF_MAP_TYPE_ARRAY, 8, st, &sc), 1, "%s", err);
	cr_expect_str_eq(sc->stats[0].from, "syscall");
	schema_free(sc);

	st2 = btf__add_struct(btf, "v2", 8);
	btf__add_field(btf, "calls", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,Calls", st2, 0);
	btf__add_decl_tag(btf, "kstat.from=sys:call", st2, 0);
	map_var("fr2", named_tags);
	refused("fr2", BPF_MAP_TYPE_ARRAY, 8, st2, "kstat.from 'sys:call': a provider name");

	st3 = btf__add_struct(btf, "v3", 16);
	btf__add_field(btf, "h", arr, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=hist,ns,H", st3, 0);
	btf__add_decl_tag(btf, "kstat.from=sched", st3, 0);
	map_var("fr3", named_tags);
	refused("fr3", BPF_MAP_TYPE_ARRAY, 16, st3, "member h: kstat.from on a histogram");
}

Test(schema, writable_maps_hold_only_plain_statistics)
{
	static const char *const tags[] = { "kstat.module=m", "kstat.writable", NULL };
	int arr = btf__add_array(btf, u32_id, u64_id, 2);
	int st = btf__add_struct(btf, "v", 16);

	btf__add_field(btf, "h", arr, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=hist,ns,H", st, 0);
	map_var("wr", tags);
	refused("wr", BPF_MAP_TYPE_ARRAY, 16, st,
		"kstat.writable maps hold plain statistics: not h");
}

Test(schema, convention_errors_name_the_map_member_and_rule)
{
	static const char *const cpu_tags[] = { "kstat.module=m", "kstat.instance=cpu", NULL };
	static const char *const no_module[] = { "kstat.name=x", NULL };
	int st = btf__add_struct(btf, "v", 8), ok;

	btf__add_field(btf, "lo", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=minimum,ns,Lo", st, 0);
	ok = btf__add_struct(btf, "w", 8);
	btf__add_field(btf, "n", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,N", ok, 0);
	map_var("k1", named_tags);
	refused("k1", BPF_MAP_TYPE_ARRAY, 8, st,
		"map k1: member lo: unknown kind 'minimum' (counter, gauge, min, max, hist)");
	map_var("k2", no_module);
	refused("k2", BPF_MAP_TYPE_ARRAY, 8, st, "map k2: kstat tags without KSTAT_MODULE");
	map_var("k3", cpu_tags);
	refused("k3", BPF_MAP_TYPE_HASH, 8, ok,
		"kstat.instance=cpu needs a one-entry PERCPU_ARRAY");
}

/* Thousands of tagged members: each keeps its own tags (they are looked up by member) */
Test(schema, thousands_of_tagged_members_each_keep_their_own_tags)
{
	const int n = 5000;
	int st = btf__add_struct(btf, "big", (uint32_t)n * 8);
	struct schema *sc;

	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		btf__add_field(btf, name, u64_id, (uint32_t)i * 64, 0);
	}
	/* in reverse order, so a tag is never next to its member's neighbour's */
	for (int i = n - 1; i >= 0; i--)
		btf__add_decl_tag(
			btf, i % 2 ? "kstat.stat=counter,count,Odd" : "kstat.stat=gauge,count,Even",
			st, i);
	map_var("big", named_tags);
	cr_assert_eq(parse("big", BPF_MAP_TYPE_ARRAY, (uint32_t)n * 8, st, &sc), 1, "%s", err);
	cr_expect_eq(sc->nstats, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		cr_assert_str_eq(sc->stats[i].name, name);
		cr_assert_eq(sc->stats[i].kind, i % 2 ? SK_COUNTER : SK_GAUGE, "%s", name);
		cr_assert_str_eq(sc->stats[i].help, i % 2 ? "Odd" : "Even");
	}
	schema_free(sc);
}

/* Names reach kstat -p lines, terminals, metric names and labels as they are */
Test(schema, hostile_module_name_and_class_values_are_refused)
{
	static const char *const bad[] = {
		"kstat.module=a:b",    "kstat.module=CPU",    "kstat.module=x\ny",
		"kstat.module=kstatd", "kstat.module=unix",   "kstat.module=9lives",
		"kstat.module=disk",   "kstat.module=disk_x", "kstat.name=a:b",
		"kstat.name=x\033[1A", "kstat.name=\xff\xfe", "kstat.name=a b",
		"kstat.class=x\ny",    "kstat.class=c:d",
	};
	int st = btf__add_struct(btf, "v", 8);

	btf__add_field(btf, "x", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,X", st, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *tags[] = {
			strncmp(bad[i], "kstat.module", 12) == 0 ? bad[i] : "kstat.module=m",
			strncmp(bad[i], "kstat.module", 12) == 0 ? "kstat.name=n" : bad[i], NULL
		};
		char name[16];
		struct schema *sc;

		snprintf(name, sizeof(name), "h%zu", i);
		map_var(name, tags);
		cr_expect_lt(parse(name, BPF_MAP_TYPE_ARRAY, 8, st, &sc), 0, "%s accepted", bad[i]);
		cr_expect(strstr(err, "kstat.") != NULL, "%s: %s", bad[i], err);
	}
}

Test(schema, names_found_at_run_time_are_made_safe)
{
	char ifname[] = "x\033[1A\033[2Kpwn";
	char irq[] = "ACPI:Ged";
	char fine[] = "virtio2-req.0";

	schema_clean_name(ifname);
	schema_clean_name(irq);
	schema_clean_name(fine);
	cr_expect_str_eq(ifname, "x__1A__2Kpwn");
	cr_expect_str_eq(irq, "ACPI_Ged");
	cr_expect_str_eq(fine, "virtio2-req.0");
	cr_expect(schema_valid_name("sd0,a"));
	cr_expect_not(schema_valid_name("a:b"));
}

/* 60000 statistics: refused, in linear time (the pairwise name check took 16 s) */
Test(schema, a_kstat_of_too_many_statistics_is_refused)
{
	const int n = 60000;
	int st = btf__add_struct(btf, "huge", (uint32_t)n * 8);
	struct schema *sc;

	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		btf__add_field(btf, name, u64_id, (uint32_t)i * 64, 0);
	}
	for (int i = 0; i < n; i++)
		btf__add_decl_tag(btf, "kstat.stat=counter,count,C", st, i);
	map_var("huge", named_tags);
	cr_expect_lt(parse("huge", BPF_MAP_TYPE_ARRAY, (uint32_t)n * 8, st, &sc), 0);
	cr_expect(strstr(err, "60000 statistics") != NULL, "err: %s", err);
}

Test(schema, a_statistic_name_used_twice_is_found_among_thousands)
{
	const int n = 6000;
	int st = btf__add_struct(btf, "dup", (uint32_t)n * 8);
	struct schema *sc;

	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i == n - 1 ? 17 : i);
		btf__add_field(btf, name, u64_id, (uint32_t)i * 64, 0);
	}
	for (int i = 0; i < n; i++)
		btf__add_decl_tag(btf, "kstat.stat=counter,count,C", st, i);
	map_var("dup", named_tags);
	cr_expect_lt(parse("dup", BPF_MAP_TYPE_ARRAY, (uint32_t)n * 8, st, &sc), 0);
	cr_expect(strstr(err, "statistic 's17' appears twice") != NULL, "err: %s", err);
}

Test(schema, only_a_plain_keyed_hash_can_be_tracked)
{
	static const char *const ok_tags[] = { "kstat.module=m", "kstat.instance=key",
					       "kstat.tracked", NULL };
	static const char *const keydec_tags[] = { "kstat.module=m", "kstat.instance=key",
						   "kstat.key=irq", "kstat.tracked", NULL };
	static const char *const single_tags[] = { "kstat.module=m", "kstat.tracked", NULL };
	static const char *const why =
		"kstat.tracked needs a keyed, non-LRU HASH or PERCPU_HASH without kstat.key";
	int st = btf__add_struct(btf, "v", 8);
	struct schema *sc = NULL;

	btf__add_field(btf, "n", u64_id, 0, 0);
	btf__add_decl_tag(btf, "kstat.stat=counter,count,N", st, 0);
	map_var("t1", ok_tags);
	cr_assert_eq(parse("t1", BPF_MAP_TYPE_PERCPU_HASH, 8, st, &sc), 1, "%s", err);
	cr_expect(sc->tracked);
	schema_free(sc);
	refused("t1", BPF_MAP_TYPE_PERCPU_ARRAY, 8, st, why);
	refused("t1", BPF_MAP_TYPE_LRU_HASH, 8, st, why);
	map_var("t2", keydec_tags);
	refused("t2", BPF_MAP_TYPE_HASH, 8, st, why);
	map_var("t3", single_tags);
	refused("t3", BPF_MAP_TYPE_ARRAY, 8, st, why);
}
