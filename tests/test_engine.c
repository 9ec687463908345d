// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The kstat engine against the illumos rules: kid and chain-id assignment,
 * kid 0 and kid 1, and every outcome of read_kstat_data and
 * write_kstat_data for LP64 and ILP32 callers.  These kstats are served
 * from userspace memory, so no privileges are needed.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers.h"
#include "snapshot.h"
#include "snapshot_impl.h"

static struct snap *s;

static void setup(void)
{
	s = snap_new();
	cr_assert(s, "snap_new: %s", strerror(errno));
}

static void teardown(void)
{
	snap_free(s);
}

TestSuite(engine, .init = setup, .fini = teardown);

static kstat_t *make_named(const char *name, uint_t n, uchar_t flags)
{
	kstat_t *ksp = snap_create(s, "test", 0, name, "misc", KSTAT_TYPE_NAMED, n, flags);
	kstat_named_t *kn;

	cr_assert(ksp, "create %s: %s", name, strerror(errno));
	kn = ksp->ks_data;
	for (uint_t i = 0; kn && i < n; i++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "s%u", i);
		snap_named_init(&kn[i], nm, KSTAT_DATA_UINT64);
		kn[i].value.ui64 = 100 + i;
	}
	return ksp;
}

static int rd(kid_t kid, enum snap_model model, void *buf, size_t size, struct snap_rhdr *hdr,
	      size_t *copied)
{
	kid_t kcid;

	return snap_read(s, kid, model, buf, size, (uint64_t)(uintptr_t)buf, hdr, copied, &kcid);
}

Test(engine, starts_with_kid0_headers_and_kid1_types)
{
	uint_t n;
	kstat_t *h = read_headers(s, &n);

	cr_assert_eq(n, 2);
	cr_expect_eq(h[0].ks_kid, 0);
	cr_expect_str_eq(h[0].ks_module, "unix");
	cr_expect_eq(h[0].ks_instance, 0);
	cr_expect_str_eq(h[0].ks_name, "kstat_headers");
	cr_expect_str_eq(h[0].ks_class, "kstat");
	cr_expect_eq(h[0].ks_type, KSTAT_TYPE_RAW);
	cr_expect_eq(h[0].ks_flags, KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE);
	cr_expect_eq(h[1].ks_kid, 1);
	cr_expect_str_eq(h[1].ks_name, "kstat_types");
	cr_expect_str_eq(h[1].ks_class, "kstat");
	cr_expect_eq(h[1].ks_type, KSTAT_TYPE_NAMED);
	cr_expect_null(h[0].ks_data, "daemon pointers never leak into headers");
	cr_expect_eq(snap_chain_id(s), 2);
	free(h);
}

Test(engine, kstat_types_lists_the_five_types_as_uint64)
{
	static const char *const names[] = { "raw", "name=value", "interrupt", "i/o",
					     "event_timer" };
	struct snap_rhdr hdr;
	kstat_named_t *kn;

	cr_assert_eq(read_kid(s, 1, (void **)&kn, &hdr), 0);
	cr_assert_eq(hdr.ks_ndata, 5);
	for (int i = 0; i < 5; i++) {
		cr_expect_str_eq(kn[i].name, names[i]);
		cr_expect_eq(kn[i].data_type, KSTAT_DATA_UINT64,
			     "ULONG reaches LP64 callers as UINT64");
		cr_expect_eq(kn[i].value.ui64, (uint64_t)i);
	}
	free(kn);
}

Test(engine, kids_come_from_the_chain_counter_and_are_never_reused)
{
	kstat_t *a, *b, *c;
	kid_t kid_a, kid_b;

	a = make_named("a", 1, 0);
	snap_install(s, a);
	kid_a = a->ks_kid;
	cr_expect_eq(kid_a, 2);
	cr_expect_eq(snap_chain_id(s), 3, "create bumps the chain id");
	b = make_named("b", 1, 0);
	snap_install(s, b);
	kid_b = b->ks_kid;
	cr_expect_eq(kid_b, 3);
	snap_delete(s, a);
	cr_expect_eq(snap_chain_id(s), 5, "delete bumps the chain id");
	c = make_named("a", 1, 0);
	snap_install(s, c);
	cr_expect_eq(c->ks_kid, 5, "a recreated kstat gets a new, larger kid");
	cr_expect_gt(c->ks_kid, kid_b);
	cr_expect_eq(find_kid(s, "test", 0, "a"), 5);
	cr_expect_eq(snap_chain_id(s), 6);
}

Test(engine, headers_are_in_kid_order_without_invalid_kstats)
{
	kstat_t *a = make_named("a", 1, 0), *b = make_named("b", 1, 0), *c = make_named("c", 1, 0);
	kstat_t *h;
	uint_t n;

	snap_install(s, c);
	snap_install(s, a);
	h = read_headers(s, &n);
	cr_assert_eq(n, 4, "b is still INVALID and not listed");
	cr_expect_eq(h[2].ks_kid, a->ks_kid);
	cr_expect_eq(h[3].ks_kid, c->ks_kid);
	cr_expect_eq(h[2].ks_flags & KSTAT_FLAG_INVALID, 0);
	free(h);
	snap_install(s, b);
	h = read_headers(s, &n);
	cr_assert_eq(n, 5);
	for (uint_t i = 1; i < n; i++)
		cr_expect_lt(h[i - 1].ks_kid, h[i].ks_kid, "kid order");
	cr_expect_str_eq(h[3].ks_name, "b");
	free(h);
}

Test(engine, reading_an_invalid_kstat_gets_eagain)
{
	kstat_t *a = make_named("a", 1, 0);
	char buf[64];
	struct snap_rhdr hdr;
	size_t copied;

	cr_expect_eq(rd(a->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), EAGAIN);
	snap_install(s, a);
	cr_expect_eq(rd(a->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), 0);
}

Test(engine, unknown_or_deleted_kids_get_enxio)
{
	kstat_t *a = make_named("a", 1, 0);
	kid_t kid = a->ks_kid;
	char buf[64];
	struct snap_rhdr hdr;
	size_t copied;

	snap_install(s, a);
	cr_expect_eq(rd(12345, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), ENXIO);
	cr_expect_eq(rd(-1, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), ENXIO);
	snap_delete(s, a);
	cr_expect_eq(rd(kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), ENXIO);
}

Test(engine, a_small_buffer_gets_enomem_with_the_header_filled)
{
	kstat_t *a = make_named("a", 3, 0);
	kstat_named_t buf[3];
	struct snap_rhdr hdr = {};
	size_t copied = 99;
	kid_t kcid = -1;

	snap_install(s, a);
	cr_expect_eq(snap_read(s, a->ks_kid, SNAP_MODEL_LP64, buf, 10, (uint64_t)(uintptr_t)buf,
			       &hdr, &copied, &kcid),
		     ENOMEM);
	cr_expect_eq(hdr.ks_data_size, 3 * sizeof(kstat_named_t), "the size needed");
	cr_expect_eq(hdr.ks_ndata, 3);
	cr_expect_eq(hdr.ks_flags, 0);
	cr_expect_geq(hdr.ks_snaptime, a->ks_crtime, "snaptime starts at crtime");
	cr_expect_eq(copied, 0);
	cr_expect_eq(rd(a->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), 0);
	cr_expect_eq(copied, sizeof(buf));
	cr_expect_eq(buf[2].value.ui64, 102);
	cr_expect_str_eq(buf[1].name, "s1");
}

Test(engine, reads_return_the_chain_id)
{
	kstat_t *a = make_named("a", 1, 0);
	kstat_named_t buf;
	struct snap_rhdr hdr;
	size_t copied;
	kid_t kcid = -1;

	snap_install(s, a);
	cr_assert_eq(snap_read(s, a->ks_kid, SNAP_MODEL_LP64, &buf, sizeof(buf),
			       (uint64_t)(uintptr_t)&buf, &hdr, &copied, &kcid),
		     0);
	cr_expect_eq(kcid, snap_chain_id(s));
	cr_expect_eq(kcid, 3);
}

Test(engine, longs_are_int64_for_lp64_and_truncated_int32_for_ilp32)
{
	kstat_t *a = snap_create(s, "test", 0, "longs", "misc", KSTAT_TYPE_NAMED, 2, 0);
	kstat_named_t *kn = a->ks_data, buf[2];
	struct snap_rhdr hdr;
	size_t copied;

	snap_named_init(&kn[0], "l", KS_DATA_KLONG);
	kn[0].value.l = -0x100000005L;
	snap_named_init(&kn[1], "ul", KS_DATA_KULONG);
	kn[1].value.ul = 0x100000007UL;
	snap_install(s, a);

	cr_assert_eq(rd(a->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), 0);
	cr_expect_eq(buf[0].data_type, KSTAT_DATA_INT64);
	cr_expect_eq(buf[0].value.i64, -0x100000005LL);
	cr_expect_eq(buf[1].data_type, KSTAT_DATA_UINT64);
	cr_expect_eq(buf[1].value.ui64, 0x100000007ULL);

	cr_assert_eq(rd(a->ks_kid, SNAP_MODEL_ILP32, buf, sizeof(buf), &hdr, &copied), 0);
	cr_expect_eq(buf[0].data_type, KSTAT_DATA_INT32);
	cr_expect_eq(buf[0].value.i32, (int32_t)-0x100000005LL);
	cr_expect_eq(buf[1].data_type, KSTAT_DATA_UINT32);
	cr_expect_eq(buf[1].value.ui32, 7);
	cr_expect_eq(kn[0].data_type, KS_DATA_KLONG, "the provider's data is untouched");
}

Test(engine, ilp32_callers_get_kid0_as_kstat32_t)
{
	kstat_t *a = make_named("a", 1, 0), *h64;
	struct snap_rhdr hdr;
	kstat32_t *h32;
	size_t copied;
	uint_t n;

	snap_install(s, a);
	h64 = read_headers(s, &n);
	h32 = malloc(n * sizeof(kstat_t));
	cr_assert_eq(rd(0, SNAP_MODEL_ILP32, h32, n * sizeof(kstat_t), &hdr, &copied), 0);
	cr_expect_eq(hdr.ks_data_size, n * sizeof(kstat_t), "the header still claims LP64 size");
	cr_expect_eq(copied, n * sizeof(kstat32_t), "but only kstat32_t records are meaningful");
	for (uint_t i = 0; i < n; i++) {
		cr_expect_eq(h32[i].ks_kid, h64[i].ks_kid);
		cr_expect_str_eq(h32[i].ks_module, h64[i].ks_module);
		cr_expect_str_eq(h32[i].ks_name, h64[i].ks_name);
		cr_expect_str_eq(h32[i].ks_class, h64[i].ks_class);
		cr_expect_eq(h32[i].ks_instance, h64[i].ks_instance);
		cr_expect_eq(h32[i].ks_type, h64[i].ks_type);
		cr_expect_eq(h32[i].ks_ndata, h64[i].ks_ndata);
		cr_expect_eq(h32[i].ks_data_size, (size32_t)h64[i].ks_data_size);
		cr_expect_eq(h32[i].ks_crtime, h64[i].ks_crtime);
	}
	free(h32);
	free(h64);
}

static int huge_update(kstat_t *ksp, int rw)
{
	(void)rw;
	ksp->ks_ndata = 1;
	ksp->ks_data_size = 5ULL << 30;
	return 0;
}

Test(engine, ilp32_callers_get_eoverflow_beyond_4gib)
{
	kstat_t *a = snap_create(s, "test", 0, "huge", "misc", KSTAT_TYPE_RAW, 0,
				 KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE);
	struct snap_rhdr hdr;
	size_t copied;
	char buf[8];

	a->ks_update = huge_update;
	snap_install(s, a);
	cr_expect_eq(rd(a->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), ENOMEM);
	cr_expect_eq(hdr.ks_data_size, 5ULL << 30);
	cr_expect_eq(rd(a->ks_kid, SNAP_MODEL_ILP32, buf, sizeof(buf), &hdr, &copied), EOVERFLOW);
}

static kstat_t *make_strings(const char *s1, const char *s2)
{
	kstat_t *a = snap_create(s, "test", 0, "strs", "misc", KSTAT_TYPE_NAMED, 3,
				 KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_WRITABLE);
	kstat_named_t *kn = calloc(3, sizeof(*kn));

	snap_named_init(&kn[0], "first", KSTAT_DATA_STRING);
	snap_named_setstr(&kn[0], s1);
	snap_named_init(&kn[1], "count", KSTAT_DATA_UINT64);
	kn[1].value.ui64 = 42;
	snap_named_init(&kn[2], "second", KSTAT_DATA_STRING);
	snap_named_setstr(&kn[2], s2);
	a->ks_data = kn;
	snap_install(s, a);
	return a;
}

Test(engine, named_strings_are_packed_after_the_array_with_caller_pointers)
{
	kstat_t *a = make_strings("hello", "world!");
	const uint64_t ubase = 0x10000;
	size_t need = 3 * sizeof(kstat_named_t) + 6 + 7, copied;
	char *buf = calloc(1, need);
	kstat_named_t *kn = (kstat_named_t *)buf;
	struct snap_rhdr hdr;
	kid_t kcid;

	cr_assert_eq(snap_read(s, a->ks_kid, SNAP_MODEL_LP64, buf, need - 1, ubase, &hdr, &copied,
			       &kcid),
		     ENOMEM);
	cr_expect_eq(hdr.ks_data_size, need, "strings count in ks_data_size");
	cr_assert_eq(
		snap_read(s, a->ks_kid, SNAP_MODEL_LP64, buf, need, ubase, &hdr, &copied, &kcid),
		0);
	cr_expect_eq((uint64_t)(uintptr_t)KSTAT_NAMED_STR_PTR(&kn[0]), ubase + 3 * sizeof(*kn));
	cr_expect_eq(KSTAT_NAMED_STR_BUFLEN(&kn[0]), 6);
	cr_expect_eq((uint64_t)(uintptr_t)KSTAT_NAMED_STR_PTR(&kn[2]), ubase + 3 * sizeof(*kn) + 6);
	cr_expect_str_eq(buf + 3 * sizeof(*kn), "hello");
	cr_expect_str_eq(buf + 3 * sizeof(*kn) + 6, "world!");

	memset(buf, 0, need);
	cr_assert_eq(
		snap_read(s, a->ks_kid, SNAP_MODEL_ILP32, buf, need, ubase, &hdr, &copied, &kcid),
		0);
	{
		uint32_t p32;

		memcpy(&p32, kn[2].value.str.addr.__pad, 4);
		cr_expect_eq(p32, ubase + 3 * sizeof(*kn) + 6, "a 32-bit pointer for ILP32");
	}
	free(buf);
	free(a->ks_data);
}

Test(engine, write_errors_follow_write_kstat_data)
{
	kstat_t *ro = make_named("ro", 2, 0), *rw = make_named("rw", 2, KSTAT_FLAG_WRITABLE);
	kstat_t *inv = make_named("inv", 2, KSTAT_FLAG_WRITABLE);
	kstat_named_t buf[2];
	struct snap_rhdr hdr;
	size_t copied;
	kid_t kcid = -1;
	uint64_t ub;

	snap_install(s, ro);
	snap_install(s, rw);
	cr_assert_eq(rd(rw->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), 0);
	ub = (uint64_t)(uintptr_t)buf;
	cr_expect_eq(
		snap_write(s, rw->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), 2, ub, false, &kcid),
		EPERM, "EPERM comes first, even for a bad kid");
	cr_expect_eq(snap_write(s, 9999, SNAP_MODEL_LP64, buf, sizeof(buf), 2, ub, false, &kcid),
		     EPERM);
	cr_expect_eq(snap_write(s, 9999, SNAP_MODEL_LP64, buf, sizeof(buf), 2, ub, true, &kcid),
		     ENXIO);
	cr_expect_eq(
		snap_write(s, inv->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), 2, ub, true, &kcid),
		EAGAIN);
	cr_expect_eq(
		snap_write(s, ro->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), 2, ub, true, &kcid),
		EACCES);
	cr_expect_eq(snap_write(s, rw->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf) - 1, 2, ub, true,
				&kcid),
		     EINVAL, "size mismatch");
	cr_expect_eq(
		snap_write(s, rw->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), 1, ub, true, &kcid),
		EINVAL, "ndata mismatch");
	buf[1].data_type = KSTAT_DATA_INT32;
	cr_expect_eq(
		snap_write(s, rw->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), 2, ub, true, &kcid),
		EINVAL, "type mismatch");
	buf[1].data_type = KSTAT_DATA_UINT64;
	buf[1].value.ui64 = 777;
	kcid = -1;
	cr_expect_eq(
		snap_write(s, rw->ks_kid, SNAP_MODEL_LP64, buf, sizeof(buf), 2, ub, true, &kcid),
		0);
	cr_expect_eq(kcid, snap_chain_id(s));
	cr_expect_eq(((kstat_named_t *)rw->ks_data)[1].value.ui64, 777);
	cr_expect_eq(read_u64(s, "test", 0, "rw", "s1"), 777);
}

Test(engine, writes_check_string_pointers_against_the_caller_buffer)
{
	kstat_t *a = make_strings("abc", "de");
	size_t need = 3 * sizeof(kstat_named_t) + 4 + 3, copied;
	const uint64_t ub = 0x7f0000;
	char *buf = calloc(1, need);
	kstat_named_t *kn = (kstat_named_t *)buf;
	struct snap_rhdr hdr;
	kid_t kcid;

	cr_assert_eq(snap_read(s, a->ks_kid, SNAP_MODEL_LP64, buf, need, ub, &hdr, &copied, &kcid),
		     0);
	KSTAT_NAMED_STR_PTR(&kn[0]) = (char *)(uintptr_t)(ub + 8); /* inside the array */
	cr_expect_eq(snap_write(s, a->ks_kid, SNAP_MODEL_LP64, buf, need, 3, ub, true, &kcid),
		     EINVAL);
	KSTAT_NAMED_STR_PTR(&kn[0]) = (char *)(uintptr_t)(ub + need - 1); /* runs past the end */
	cr_expect_eq(snap_write(s, a->ks_kid, SNAP_MODEL_LP64, buf, need, 3, ub, true, &kcid),
		     EINVAL);
	KSTAT_NAMED_STR_PTR(&kn[0]) = (char *)(uintptr_t)(ub + 3 * sizeof(*kn));
	kn[0].data_type = KSTAT_DATA_UINT64;
	cr_expect_eq(snap_write(s, a->ks_kid, SNAP_MODEL_LP64, buf, need, 3, ub, true, &kcid),
		     EINVAL, "a string must stay a string");
	kn[0].data_type = KSTAT_DATA_STRING;
	kn[1].value.ui64 = 43;
	cr_expect_eq(snap_write(s, a->ks_kid, SNAP_MODEL_LP64, buf, need, 3, ub, true, &kcid), 0);
	cr_expect_eq(((kstat_named_t *)a->ks_data)[1].value.ui64, 43);
	free(buf);
	free(a->ks_data);
}

Test(engine, writes_take_longs_back_as_the_caller_sees_them)
{
	kstat_t *a =
		snap_create(s, "test", 0, "wl", "misc", KSTAT_TYPE_NAMED, 1, KSTAT_FLAG_WRITABLE);
	kstat_named_t *kn = a->ks_data, buf;
	struct snap_rhdr hdr;
	size_t copied;
	kid_t kcid;

	snap_named_init(kn, "l", KS_DATA_KLONG);
	snap_install(s, a);
	cr_assert_eq(rd(a->ks_kid, SNAP_MODEL_ILP32, &buf, sizeof(buf), &hdr, &copied), 0);
	cr_assert_eq(buf.data_type, KSTAT_DATA_INT32);
	buf.value.i32 = -9;
	cr_expect_eq(snap_write(s, a->ks_kid, SNAP_MODEL_ILP32, &buf, sizeof(buf), 1,
				(uint64_t)(uintptr_t)&buf, true, &kcid),
		     0);
	cr_expect_eq(kn->value.l, -9L, "an ILP32 INT32 widens into the long");
	cr_expect_eq(kn->data_type, KS_DATA_KLONG);
	cr_assert_eq(rd(a->ks_kid, SNAP_MODEL_LP64, &buf, sizeof(buf), &hdr, &copied), 0);
	buf.value.i64 = 1LL << 40;
	cr_expect_eq(snap_write(s, a->ks_kid, SNAP_MODEL_LP64, &buf, sizeof(buf), 1,
				(uint64_t)(uintptr_t)&buf, true, &kcid),
		     0);
	cr_expect_eq(kn->value.l, 1L << 40);
}

Test(engine, create_refuses_what_illumos_refuses)
{
	char longname[KSTAT_STRLEN + 1];
	kstat_t *a;

	memset(longname, 'x', KSTAT_STRLEN);
	longname[KSTAT_STRLEN] = '\0';
	cr_expect_null(snap_create(s, "t", 0, "x", "c", KSTAT_NUM_TYPES, 1, 0));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(snap_create(s, "t", 0, "x", "c", KSTAT_TYPE_RAW, 1,
				   KSTAT_FLAG_PERSISTENT | KSTAT_FLAG_VIRTUAL));
	cr_expect_null(snap_create(s, "t", 0, "x", "c", KSTAT_TYPE_RAW, 1, KSTAT_FLAG_VAR_SIZE));
	cr_expect_null(snap_create(s, "t", 0, "x", "c", KSTAT_TYPE_IO, 2, 0));
	cr_expect_null(snap_create(s, "t", 0, "x", "c", KSTAT_TYPE_INTR, 0, 0));
	cr_expect_null(snap_create(s, "t", 0, longname, "c", KSTAT_TYPE_RAW, 1, 0));
	cr_expect_eq(errno, EINVAL, "too long a name is refused, not truncated");
	longname[KSTAT_STRLEN - 1] = '\0';
	a = snap_create(s, "t", 0, longname, "c", KSTAT_TYPE_RAW, 1, 0);
	cr_expect(a, "30 characters fit");
	cr_expect_null(snap_create(s, "t", 0, longname, "c", KSTAT_TYPE_RAW, 1, 0));
	cr_expect_eq(errno, EEXIST);
	a = snap_create(s, "mod", 3, NULL, "c", KSTAT_TYPE_RAW, 1, 0);
	cr_assert(a);
	cr_expect_str_eq(a->ks_name, "mod3", "a NULL name is <module><instance>");
	cr_expect_eq(a->ks_data_size, 1, "RAW ndata counts bytes");
}

Test(engine, persistent_kstats_go_dormant_and_come_back_with_their_kid)
{
	kstat_t *a = make_named("p", 1, KSTAT_FLAG_PERSISTENT), *b;
	kid_t kid, chain;
	uint_t n;
	kstat_t *h;

	snap_install(s, a);
	kid = a->ks_kid;
	((kstat_named_t *)a->ks_data)->value.ui64 = 5;
	chain = snap_chain_id(s);
	snap_delete(s, a);
	cr_expect_eq(snap_chain_id(s), chain, "going dormant does not change the chain");
	h = read_headers(s, &n);
	cr_expect_eq(h[n - 1].ks_kid, kid);
	cr_expect(h[n - 1].ks_flags & KSTAT_FLAG_DORMANT);
	free(h);
	cr_expect_eq(read_u64(s, "test", 0, "p", "s0"), 5, "dormant kstats stay readable");
	b = snap_create(s, "test", 0, "p", "misc", KSTAT_TYPE_NAMED, 1, KSTAT_FLAG_PERSISTENT);
	cr_assert_eq(b, a, "the same kstat comes back");
	cr_expect_eq(b->ks_kid, kid);
	{
		struct snap_rhdr hdr;
		size_t copied;
		char buf[64];

		cr_expect_eq(rd(kid, SNAP_MODEL_LP64, buf, sizeof(buf), &hdr, &copied), EAGAIN,
			     "INVALID until installed");
	}
	snap_install(s, b);
	cr_expect_eq(b->ks_flags & (KSTAT_FLAG_DORMANT | KSTAT_FLAG_INVALID), 0);
	cr_expect_eq(snap_chain_id(s), chain);
	cr_expect_null(
		snap_create(s, "test", 0, "p", "misc", KSTAT_TYPE_NAMED, 2, KSTAT_FLAG_PERSISTENT),
		"a live kstat is a collision");
}

Test(engine, io_snapshots_account_for_queued_work_in_the_copy_only)
{
	kstat_t *a = snap_create(s, "test", 0, "disk0", "disk", KSTAT_TYPE_IO, 1, 0);
	kstat_io_t *live = a->ks_data, out;
	struct snap_rhdr hdr;
	size_t copied;
	hrtime_t before;

	before = snap_now();
	live->wcnt = 2;
	live->wlastupdate = before - 1000000000LL;
	live->wlentime = 10;
	live->wtime = 20;
	live->rcnt = 1;
	live->rlastupdate = before - 500000000LL;
	live->reads = 7;
	snap_install(s, a);
	cr_assert_eq(rd(a->ks_kid, SNAP_MODEL_LP64, &out, sizeof(out), &hdr, &copied), 0);
	cr_expect_eq(out.reads, 7);
	cr_expect_geq(out.wlastupdate, before);
	cr_expect_eq(out.wlentime - 10, 2 * (out.wlastupdate - live->wlastupdate),
		     "wlentime grows by wcnt times the time since the last change");
	cr_expect_eq(out.wtime - 20, out.wlastupdate - live->wlastupdate);
	cr_expect_eq(out.rlentime, out.rlastupdate - live->rlastupdate);
	cr_expect_eq(out.rtime, out.rlastupdate - live->rlastupdate);
	cr_expect_eq(live->wlentime, 10, "the live data is untouched");
	cr_expect_eq(live->wlastupdate, before - 1000000000LL);
}

Test(engine, an_io_snapshot_never_accrues_backwards)
{
	kstat_t *a = snap_create(s, "test", 0, "disk1", "disk", KSTAT_TYPE_IO, 1, 0);
	kstat_io_t *live = a->ks_data, out;
	struct snap_rhdr hdr;
	size_t copied;

	/* changed after the time its copy is stamped with (a source's collect read it) */
	live->wcnt = 2;
	live->wlastupdate = snap_now() + 1000000000LL;
	live->wlentime = 10;
	live->wtime = 20;
	live->rcnt = 1;
	live->rlastupdate = live->wlastupdate;
	live->rtime = 30;
	snap_install(s, a);
	cr_assert_eq(rd(a->ks_kid, SNAP_MODEL_LP64, &out, sizeof(out), &hdr, &copied), 0);
	cr_expect_eq(out.wlentime, 10, "no negative queue time");
	cr_expect_eq(out.wtime, 20);
	cr_expect_eq(out.rtime, 30);
	cr_expect_eq(out.wlastupdate, live->wlastupdate);
}

Test(engine, install_bumps_the_chain_when_a_reader_saw_it_invalid)
{
	kstat_t *a = make_named("late", 1, 0), *b;
	kid_t chain;

	chain = snap_chain_id(s); /* a client syncs while "late" is INVALID */
	snap_install(s, a);
	cr_expect_gt(snap_chain_id(s), chain, "so the client learns about it");
	b = make_named("unseen", 1, 0);
	snap_install(s, b);
	/* nobody looked while "unseen" was INVALID: create's bump is enough */
	cr_expect_eq(snap_chain_id(s), b->ks_kid + 1);
}

struct walk_ctx {
	kid_t last;
	int n;
	uint64_t sum;
	int with_meta;
};

static const struct snap_stat_meta counter_meta = { SNAP_COUNTER, "count", "A count", NULL, 0 };

static bool want_test(const kstat_t *h, void *arg)
{
	(void)arg;
	return strcmp(h->ks_module, "test") == 0;
}

static int emit_count(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct walk_ctx *c = arg;

	cr_expect_gt(ks->ks_kid, c->last, "walks go in kid order");
	c->last = ks->ks_kid;
	c->n++;
	c->sum += ((kstat_named_t *)ks->ks_data)[0].value.ui64;
	if (meta) {
		cr_expect_eq(meta, &counter_meta, "meta reaches the walker");
		c->with_meta++;
	}
	return 0;
}

Test(engine, walks_visit_valid_kstats_in_kid_order)
{
	struct walk_ctx c = { .last = -1 };
	kstat_t *a = make_named("a", 1, 0), *b = make_named("b", 1, 0);

	make_named("invalid", 1, 0);
	snap_set_meta(b, &counter_meta);
	snap_install(s, b);
	snap_install(s, a);
	cr_expect_eq(snap_walk(s, want_test, emit_count, &c), 0);
	cr_expect_eq(c.n, 2);
	cr_expect_eq(c.sum, 200);
	cr_expect_eq(c.with_meta, 1);
}

/* A source that counts its collects and sets its kstats' value to the walk's generation */
struct counting_source {
	struct snap_source src;
	kstat_t *ks[2];
	int collects;
};

static int count_collect(struct snap_source *src, uint64_t gen)
{
	struct counting_source *cs = (struct counting_source *)src;

	cs->collects++;
	for (int i = 0; i < 2; i++) {
		snap_ks_lock(cs->ks[i]);
		((kstat_named_t *)cs->ks[i]->ks_data)[0].value.ui64 = gen;
		snap_mark_fresh(cs->ks[i], gen);
		snap_ks_unlock(cs->ks[i]);
	}
	return 0;
}

static bool want_name_a(const kstat_t *h, void *arg)
{
	(void)arg;
	return strcmp(h->ks_name, "a") == 0;
}

static bool want_nothing(const kstat_t *h, void *arg)
{
	(void)h;
	(void)arg;
	return false;
}

Test(engine, a_walk_asks_only_the_sources_of_kstats_it_wants_once_each)
{
	struct counting_source cs = { .src.collect = count_collect };
	struct walk_ctx c = { .last = -1 };

	cs.ks[0] = make_named("a", 1, 0);
	cs.ks[1] = make_named("b", 1, 0);
	snap_source_add(s, &cs.src);
	for (int i = 0; i < 2; i++) {
		snap_set_source(cs.ks[i], &cs.src);
		snap_install(s, cs.ks[i]);
	}
	cr_expect_eq(snap_walk(s, want_nothing, emit_count, &c), 0);
	cr_expect_eq(cs.collects, 0, "wanting none of its kstats costs a source nothing");
	cr_expect_eq(snap_walk(s, want_test, emit_count, &c), 0);
	cr_expect_eq(cs.collects, 1, "one collect for both of its kstats");
	cr_expect_eq(c.n, 2);
	c = (struct walk_ctx){ .last = -1 };
	cr_expect_eq(snap_walk(s, want_name_a, emit_count, &c), 0);
	cr_expect_eq(cs.collects, 2);
	cr_expect_eq(c.n, 1);
	cr_expect_gt(c.sum, 0, "the kstat holds what its source collected in this walk");
	snap_source_remove(s, &cs.src);
}

static int updates;

static int count_update(kstat_t *ksp, int rw)
{
	(void)ksp;
	(void)rw;
	updates++;
	return 0;
}

/* Two kstats "a" and "b" on cs, installed; their kids in kids[], updates counted if asked */
static void counting_install(struct counting_source *cs, kid_t kids[2], bool count_updates)
{
	cs->ks[0] = make_named("a", 1, 0);
	cs->ks[1] = make_named("b", 1, 0);
	snap_source_add(s, &cs->src);
	for (int i = 0; i < 2; i++) {
		if (count_updates)
			cs->ks[i]->ks_update = count_update;
		snap_set_source(cs->ks[i], &cs->src);
		snap_install(s, cs->ks[i]);
		kids[i] = cs->ks[i]->ks_kid;
	}
}

/* n more kstats x0, x1, ... on cs, installed, into other[] */
static void more_of_source(struct counting_source *cs, kstat_t **other, int n)
{
	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "x%d", i);
		other[i] = make_named(name, 1, 0);
		snap_set_source(other[i], &cs->src);
		snap_install(s, other[i]);
	}
}

static uint64_t read_value(kid_t kid)
{
	kstat_named_t kn[1];
	struct snap_rhdr hdr;
	size_t copied;

	cr_assert_eq(rd(kid, SNAP_MODEL_LP64, kn, sizeof(kn), &hdr, &copied), 0);
	return kn[0].value.ui64;
}

Test(engine, a_read_batch_reads_a_source_once_when_it_asks_for_enough_of_its_kstats)
{
	struct counting_source cs = { .src.collect = count_collect };
	kstat_t *other[2 * SNAP_BATCH_SHARE];
	kid_t kids[2];

	counting_install(&cs, kids, true);
	snap_read_batch_begin(s, &(struct snap_session){ 0 }, kids, 2, 0);
	cr_expect_eq(cs.collects, 1, "both of its kstats asked for: one collect");
	cr_expect_gt(read_value(kids[0]), 0, "the value the batch's collect read");
	cr_expect_eq(read_value(kids[1]), read_value(kids[0]));
	cr_expect_eq(updates, 0, "no update per kstat inside the batch");
	snap_read_batch_end();
	(void)read_value(kids[0]);
	cr_expect_eq(updates, 1, "after the batch, a read updates on its own");

	/* 1 of 2 + 2 * SHARE kstats: too few to pay for reading them all */
	more_of_source(&cs, other, 2 * SNAP_BATCH_SHARE);
	snap_read_batch_begin(s, &(struct snap_session){ 0 }, kids, 1, 0);
	cr_expect_eq(cs.collects, 1, "a small share of a source's kstats: no collect");
	(void)read_value(kids[0]);
	cr_expect_eq(updates, 2, "read through its own update");
	snap_read_batch_end();
	for (int i = 0; i < 2 * SNAP_BATCH_SHARE; i++)
		snap_delete(s, other[i]);
	snap_read_batch_begin(s, &(struct snap_session){ 0 }, kids, 1, 0);
	cr_expect_eq(cs.collects, 2, "deleted kstats leave their source: 1 of 2 is enough again");
	snap_read_batch_end();
	snap_source_remove(s, &cs.src);
}

static hrtime_t read_snaptime(kid_t kid)
{
	kstat_named_t kn[1];
	struct snap_rhdr hdr;
	size_t copied;

	cr_assert_eq(rd(kid, SNAP_MODEL_LP64, kn, sizeof(kn), &hdr, &copied), 0);
	return hdr.ks_snaptime;
}

Test(engine, a_read_session_collects_a_source_once_for_all_of_its_batches)
{
	struct counting_source cs = { .src.collect = count_collect };
	struct snap_session ss = { 0 };
	kid_t kids[2];
	hrtime_t t0 = snap_now();
	uint64_t first;

	counting_install(&cs, kids, true);
	updates = 0;
	/* 1 of 2 kstats: a share worth a collect */
	snap_read_batch_begin(s, &ss, kids, 1, 0);
	snap_read_batch_end();
	cr_expect_eq(cs.collects, 1, "a half is a share worth a collect");
	/* the session's next batch: collected since it began, read as collected */
	snap_read_batch_begin(s, &ss, kids + 1, 1, 0);
	first = read_value(kids[1]);
	cr_expect_eq(cs.collects, 1, "one collect for the whole session");
	cr_expect_eq(updates, 0, "no update per kstat in the session");
	cr_expect_geq(read_snaptime(kids[1]), t0);
	cr_expect_leq(read_snaptime(kids[1]), snap_now());
	cr_expect_eq(read_snaptime(kids[1]), read_snaptime(kids[0]),
		     "both stamped with the time of the collect that read them");
	snap_read_batch_end();

	/* a new session collects anew */
	ss = (struct snap_session){ 0 };
	snap_read_batch_begin(s, &ss, kids, 2, 0);
	cr_expect_eq(cs.collects, 2);
	cr_expect_gt(read_value(kids[0]), first, "the new collect's numbers");
	snap_read_batch_end();
	/* and so does one that began too long ago */
	ss.began -= SNAP_SESSION_MAX_NS + 1;
	snap_read_batch_begin(s, &ss, kids, 2, 0);
	cr_expect_eq(cs.collects, 3, "a session older than its limit begins afresh");
	first = read_value(kids[0]);
	snap_read_batch_end();
	/* a walk in the session's middle refreshes it: nothing to collect again */
	cr_expect_eq(snap_walk(s, want_test, emit_count, &(struct walk_ctx){ .last = -1 }), 0);
	snap_read_batch_begin(s, &ss, kids, 2, 0);
	cr_expect_eq(cs.collects, 4, "only the walk's collect");
	cr_expect_gt(read_value(kids[0]), first, "what the walk's collect read");
	cr_expect_eq(updates, 0, "read as the walk left it");
	snap_read_batch_end();
	snap_source_remove(s, &cs.src);
}

Test(engine, the_items_still_to_come_count_toward_a_sources_share)
{
	struct counting_source cs = { .src.collect = count_collect };
	kstat_t *other[4 * SNAP_BATCH_SHARE], *nosrc;
	struct snap_session ss = { 0 };
	kid_t kids[2], mixed[2];

	counting_install(&cs, kids, false);
	more_of_source(&cs, other, 4 * SNAP_BATCH_SHARE);
	/*
	 * A batch of 2 of which 1 is the source's (of its 2 + 4 * SHARE): the
	 * 8 items to come count as 4 more of its kstats, a share of 5 in 34;
	 * 7 to come are 3 more (a share of 4 in 34, too small), though they
	 * alone would be enough if each counted as one of its
	 */
	_Static_assert(SNAP_BATCH_SHARE == 8, "the shares above are counted for 8");
	nosrc = make_named("y", 1, 0);
	snap_install(s, nosrc);
	mixed[0] = kids[0];
	mixed[1] = nosrc->ks_kid;
	snap_read_batch_begin(s, &ss, mixed, 2, 0);
	snap_read_batch_end();
	cr_expect_eq(cs.collects, 0, "a small share and nothing said to come: no collect");
	ss = (struct snap_session){ 0 };
	snap_read_batch_begin(s, &ss, mixed, 2, 7);
	snap_read_batch_end();
	cr_expect_eq(cs.collects, 0, "what is to come counts in proportion to the batch's");
	ss = (struct snap_session){ 0 };
	snap_read_batch_begin(s, &ss, mixed, 2, 8);
	snap_read_batch_end();
	cr_expect_eq(cs.collects, 1, "what is to come makes the share");
	snap_delete(s, nosrc);
	for (int i = 0; i < 4 * SNAP_BATCH_SHARE; i++)
		snap_delete(s, other[i]);
	snap_source_remove(s, &cs.src);
}

/* Kids a walk emitted, in order */
struct kid_list {
	kid_t kid[64];
	int n;
};

static int note_kid(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	struct kid_list *l = arg;

	(void)meta;
	cr_assert_lt(l->n, 64);
	l->kid[l->n++] = ks->ks_kid;
	return 0;
}

static const char *const sel_modules[] = { "m1", "m3", "nosuch" };
static const char *const sel_classes[] = { "c2" };

/* What the selection below asks for, said on the header: the unfiltered path */
static bool want_selected(const kstat_t *h, void *arg)
{
	(void)arg;
	return strcmp(h->ks_module, "m1") == 0 || strcmp(h->ks_module, "m3") == 0 ||
	       strcmp(h->ks_class, "c2") == 0;
}

static void expect_same_selection(const char *when)
{
	const struct snap_select sel = { sel_modules, 3, sel_classes, 1 };
	struct kid_list all = { .n = 0 }, some = { .n = 0 };

	cr_assert_eq(snap_walk(s, want_selected, note_kid, &all), 0);
	cr_assert_eq(snap_walk_keep(s, &sel, NULL, note_kid, &some, NULL), 0);
	cr_expect_eq(some.n, all.n, "%s: %d kstats selected, %d wanted", when, some.n, all.n);
	for (int i = 0; i < all.n && i < some.n; i++)
		cr_expect_eq(some.kid[i], all.kid[i], "%s: the same kstats in kid order", when);
}

Test(engine, a_selective_walk_visits_exactly_the_selected_modules_and_classes)
{
	kstat_t *k[12];
	int i;

	/* modules m0..m3 and classes c0..c2 interleaved in kid order; m1 in class c2 too */
	for (i = 0; i < 12; i++) {
		char mod[8], cls[8];

		snprintf(mod, sizeof(mod), "m%d", i % 4);
		snprintf(cls, sizeof(cls), "c%d", i % 3);
		k[i] = snap_create(s, mod, i, NULL, cls, KSTAT_TYPE_NAMED, 1,
				   i == 5 ? KSTAT_FLAG_PERSISTENT : 0);
		cr_assert(k[i]);
		if (i != 7) /* one stays INVALID: no walk shows it */
			snap_install(s, k[i]);
	}
	expect_same_selection("created");
	snap_delete(s, k[1]);
	snap_delete(s, k[5]); /* persistent: DORMANT, still walked */
	snap_delete(s, k[11]);
	expect_same_selection("after deletes");
	k[5] = snap_create(s, "m1", 5, NULL, "c2", KSTAT_TYPE_NAMED, 1, KSTAT_FLAG_PERSISTENT);
	cr_assert(k[5]);
	snap_install(s, k[5]);
	k[1] = snap_create(s, "m1", 1, NULL, "c0", KSTAT_TYPE_NAMED, 1, 0);
	cr_assert(k[1]);
	snap_install(s, k[1]);
	expect_same_selection("after a revival and a new kid");
	for (i = 0; i < 12; i++)
		if (i != 11)
			snap_delete(s, k[i]);
	expect_same_selection("all gone");
}

static int keep_pointers(const kstat_t *ks, const struct snap_stat_meta *meta, void *arg)
{
	const kstat_t **kept = arg;

	(void)meta;
	kept[kept[0] ? 1 : 0] = ks;
	return 0;
}

Test(engine, a_kept_walk_leaves_its_copies_readable_after_it)
{
	const kstat_t *kept[2] = { NULL, NULL };
	struct snap_keep keep = { 0 };
	kstat_t *a = make_named("a", 3, 0), *b = make_named("b", 1, 0);

	snap_install(s, a);
	snap_install(s, b);
	cr_assert_eq(snap_walk_keep(s, NULL, want_test, keep_pointers, kept, &keep), 0);
	/* the kstats change and go: the copies stay as the walk saw them */
	((kstat_named_t *)a->ks_data)[2].value.ui64 = 7;
	snap_delete(s, a);
	snap_delete(s, b);
	cr_assert(kept[0] && kept[1]);
	cr_expect_str_eq(kept[0]->ks_name, "a");
	cr_expect_eq(kept[0]->ks_ndata, 3);
	cr_expect_eq(((const kstat_named_t *)kept[0]->ks_data)[2].value.ui64, 102);
	cr_expect_str_eq(kept[1]->ks_name, "b");
	cr_expect_eq(((const kstat_named_t *)kept[1]->ks_data)[0].value.ui64, 100);
	snap_keep_free(&keep);
}

Test(engine, a_persistent_kstat_deleted_before_install_is_simply_gone)
{
	kstat_t *a = make_named("p", 1, KSTAT_FLAG_PERSISTENT), *b;
	uint_t n;
	kstat_t *h;

	snap_delete(s, a); /* an error path: never installed */
	b = make_named("p", 1, KSTAT_FLAG_PERSISTENT);
	cr_assert_neq(b->ks_kid, 2, "a new kstat, not a revived one");
	snap_install(s, b);
	h = read_headers(s, &n);
	cr_expect_eq(n, 3, "kid 0, kid 1 and p: the counts stayed right");
	cr_expect_str_eq(h[2].ks_name, "p");
	free(h);
}

Test(engine, the_chain_id_wraps_past_the_fixed_kids)
{
	kstat_t *a;

	s->chain_id = INT_MAX;
	a = make_named("late", 1, 0);
	cr_expect_eq(a->ks_kid, INT_MAX);
	cr_expect_eq(s->chain_id, 2, "after INT_MAX comes 2, not a negative id");
	snap_install(s, a);
	a = make_named("later", 1, 0);
	cr_expect_eq(a->ks_kid, 2);
	snap_install(s, a);
}
