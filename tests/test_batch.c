// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Batched reads (docs/protocol.md, "Batched reads") against an in-process
 * engine and socket server: a batch's body is, byte for byte, the replies
 * the single reads of the same kstats get, for both data models; libkstat's
 * kstat_read_batch() leaves every kstat as kstat_read() does; a daemon that
 * does not offer the batch answers as one that never had it, and clients
 * still read everything; a call's batches read a large source once when
 * their hints say what is to come, an older client's each on its own; bad
 * batches get errors, not crashes.
 *
 * The kstats keep their snaptime (their snapshot is the provider's own,
 * as a provider that stamps its data from its source's time does), so that
 * two reads of one can be compared whole.  Only kid 0 and kid 1, whose
 * snapshot stamps the time of the read, have those stamps left out.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <kstat.h>

#include "helpers.h"
#include "ioctl_compat.h"
#include "kstat_wire_batch.h"
#include "snapshot.h"

#define NFROZEN 40
#define BIG_RAW (300u * 1024)
#define NBIG 5

static struct snap *s;
static struct ioc_server *srv;
static char sockp[64];
static kid_t invalid_kid, strings_kid, first_big;
static kstat_named_t strings_data[2];
static char greeting[] = "a string longer than the sixteen bytes of c[]";

/* The provider's own snapshot: the data as it is, its stamp unchanged */
static int frozen_snapshot(kstat_t *ksp, void *buf, int rw)
{
	if (rw == KSTAT_WRITE)
		return EACCES;
	if (ksp->ks_type == KSTAT_TYPE_NAMED &&
	    ksp->ks_data_size > ksp->ks_ndata * sizeof(kstat_named_t)) {
		kstat_named_t *kn = buf;
		char *strp = (char *)buf + ksp->ks_ndata * sizeof(kstat_named_t);

		memcpy(buf, ksp->ks_data, ksp->ks_ndata * sizeof(kstat_named_t));
		for (uint_t i = 0; i < ksp->ks_ndata; i++) {
			uint32_t len = KSTAT_NAMED_STR_BUFLEN(&kn[i]);

			if (kn[i].data_type != KSTAT_DATA_STRING || !KSTAT_NAMED_STR_PTR(&kn[i]))
				continue;
			memcpy(strp, KSTAT_NAMED_STR_PTR(&kn[i]), len);
			KSTAT_NAMED_STR_PTR(&kn[i]) = strp;
			strp += len;
		}
		return 0;
	}
	memcpy(buf, ksp->ks_data, ksp->ks_data_size);
	return 0;
}

static kstat_t *frozen(const char *name, int inst, uchar_t type, uint_t ndata, uchar_t flags)
{
	kstat_t *ksp = snap_create(s, "batch", inst, name, "test", type, ndata, flags);

	cr_assert(ksp, "snap_create %s: %s", name, strerror(errno));
	ksp->ks_snapshot = frozen_snapshot;
	ksp->ks_snaptime = 1000000007LL * (inst + 1);
	return ksp;
}

static void setup(void)
{
	kstat_named_t *kn;
	kstat_t *ksp;

	ioc_batch_set_features(KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD);
	snprintf(sockp, sizeof(sockp), "/tmp/kstatd-batch-%d.sock", (int)getpid());
	s = snap_new();
	cr_assert(s);
	/* every type, some of each, with data that tells them apart */
	for (int i = 0; i < NFROZEN; i++) {
		static const uchar_t types[] = { KSTAT_TYPE_NAMED, KSTAT_TYPE_RAW, KSTAT_TYPE_IO,
						 KSTAT_TYPE_INTR, KSTAT_TYPE_TIMER };
		uchar_t t = types[i % 5];
		uint_t nd = t == KSTAT_TYPE_NAMED   ? 3
			    : t == KSTAT_TYPE_RAW   ? 24 + i
			    : t == KSTAT_TYPE_TIMER ? 2
						    : 1;
		char name[16];

		snprintf(name, sizeof(name), "k%d", i);
		ksp = frozen(name, i, t, nd, 0);
		if (t == KSTAT_TYPE_NAMED) {
			kn = ksp->ks_data;
			snap_named_init(&kn[0], "u64", KSTAT_DATA_UINT64);
			snap_named_init(&kn[1], "long", KS_DATA_KLONG);
			snap_named_init(&kn[2], "i32", KSTAT_DATA_INT32);
			kn[0].value.ui64 = 0x123456789ULL * (uint64_t)(i + 1);
			kn[1].value.l = -0x100000005LL * (i + 1);
			kn[2].value.i32 = -i;
		} else {
			for (size_t b = 0; b < ksp->ks_data_size; b++)
				((unsigned char *)ksp->ks_data)[b] =
					(unsigned char)(b * 7 + (size_t)i);
		}
		snap_install(s, ksp);
	}
	/* strings after the array, pointers the reader must get rebased */
	ksp = frozen("strings", 0, KSTAT_TYPE_NAMED, 2,
		     KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS);
	ksp->ks_data = kn = strings_data;
	snap_named_init(&kn[0], "greeting", KSTAT_DATA_STRING);
	snap_named_setstr(&kn[0], greeting);
	snap_named_init(&kn[1], "n", KSTAT_DATA_UINT32);
	kn[1].value.ui32 = 42;
	ksp->ks_data_size = sizeof(strings_data) + sizeof(greeting);
	snap_install(s, ksp);
	strings_kid = ksp->ks_kid;
	/* larger than a batch reply: they spill into further requests */
	for (int i = 0; i < NBIG; i++) {
		ksp = frozen(i ? "bigger" : "big", 100 + i, KSTAT_TYPE_RAW, BIG_RAW, 0);
		memset(ksp->ks_data, 'a' + i, BIG_RAW);
		snap_install(s, ksp);
		if (!i)
			first_big = ksp->ks_kid;
	}
	ksp = frozen("invalid", 0, KSTAT_TYPE_RAW, 8, 0);
	invalid_kid = ksp->ks_kid;
	srv = ioc_new(s, sockp);
	cr_assert(srv, "ioc_new: %s", strerror(errno));
	cr_assert_eq(ioc_start(srv), 0);
	setenv("KSTAT_SOCKET", sockp, 1);
	unsetenv(KSW_BATCH_CLIENT_ENV);
}

static void teardown(void)
{
	ioc_free(srv);
	snap_free(s);
	ioc_batch_set_features(KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD);
}

TestSuite(batch, .init = setup, .fini = teardown, .timeout = 60);

static int sock_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 5 };

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockp);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
		     strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One sendmsg: the daemon may close at a framing error before a second send */
static void send_all(int fd, const void *a, size_t alen, const void *b, size_t blen)
{
	struct iovec iov[2] = { { (void *)a, alen }, { (void *)b, blen } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = blen ? 2 : 1 };

	cr_assert_eq(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)(alen + blen), "send: %s",
		     strerror(errno));
}

static void recv_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, (char *)buf + got, len - got, 0);

		cr_assert_gt(n, 0, "reply cut short at %zu of %zu bytes", got, len);
		got += (size_t)n;
	}
}

/* A whole reply (header and body) in a fresh buffer; its length in *len */
static char *get_reply(int fd, size_t *len)
{
	struct ksw_rep rep;
	char *buf;

	recv_all(fd, &rep, sizeof(rep));
	cr_assert_eq(rep.magic, KSW_REP_MAGIC);
	cr_assert_leq(rep.body_len, 64u << 20);
	buf = malloc(sizeof(rep) + rep.body_len);
	cr_assert(buf);
	memcpy(buf, &rep, sizeof(rep));
	recv_all(fd, buf + sizeof(rep), (size_t)rep.body_len);
	*len = sizeof(rep) + (size_t)rep.body_len;
	return buf;
}

static struct ksw_req request(uint32_t cmd, uint32_t model)
{
	return (struct ksw_req){
		.magic = KSW_REQ_MAGIC,
		.version = KSW_VERSION,
		.hdr_len = sizeof(struct ksw_req),
		.cmd = cmd,
		.model = model,
	};
}

/* Kid 0 and kid 1 stamp the time of each read: leave the stamps out */
static void mask_stamps(struct ksw_rep *rep, char *data, kid_t kid, uint32_t model)
{
	if (kid != 0 && kid != 1)
		return;
	rep->ks_snaptime = 0;
	if (kid != 0 || !rep->body_len)
		return;
	for (uint32_t i = 0; i < 2 && i < rep->ks_ndata; i++) {
		if (model == KSW_MODEL_LP64)
			((kstat_t *)data)[i].ks_snaptime = 0;
		else
			((kstat32_t *)data)[i].ks_snaptime = 0;
	}
}

/* The items every comparison asks for: each kid, sizes short and long, bad kids */
static size_t make_items(struct ksw_batch_item *it, size_t cap)
{
	size_t n = 0;
	kid_t last = snap_chain_id(s);

	for (kid_t k = 0; k <= last + 1 && n + 3 < cap; k++) {
		if (k >= first_big && k < first_big + NBIG)
			continue;
		it[n++] = (struct ksw_batch_item){ .ks_kid = k,
						   .ks_data = 0x10000 + 0x1000 * (uint64_t)k,
						   .ks_data_size = 1u << 20 };
	}
	/* too short: ENOMEM with the header */
	it[n++] = (struct ksw_batch_item){ .ks_kid = strings_kid,
					   .ks_data = 0x10000,
					   .ks_data_size = 8 };
	/* a buffer that wraps the address space: EFAULT */
	it[n++] = (struct ksw_batch_item){ .ks_kid = 2,
					   .ks_data = UINT64_MAX - 4,
					   .ks_data_size = 4096 };
	it[n++] = (struct ksw_batch_item){ .ks_kid = -5, .ks_data = 0x10000, .ks_data_size = 64 };
	return n;
}

static void batch_equals_singles(uint32_t model)
{
	struct ksw_batch_item it[128];
	size_t n = make_items(it, 128), blen, off;
	int fd = sock_connect();
	struct ksw_req req;
	struct ksw_rep brep;
	char *batch;

	if (model == KSW_MODEL_ILP32)
		for (size_t i = 0; i < n; i++)
			if (it[i].ks_data < UINT32_MAX)
				it[i].ks_data_size =
					it[i].ks_data_size > 65536 ? 65536 : it[i].ks_data_size;
	req = request(KSW_CMD_READ_BATCH, model);
	req.body_len = n * sizeof(it[0]);
	send_all(fd, &req, sizeof(req), it, (size_t)req.body_len);
	batch = get_reply(fd, &blen);
	memcpy(&brep, batch, sizeof(brep));
	cr_assert_eq(brep.rval, (int32_t)n, "every item answered in one reply (%d of %zu)",
		     brep.rval, n);
	cr_assert_eq(brep.error, 0);
	off = sizeof(brep);
	for (size_t i = 0; i < n; i++) {
		struct ksw_req one = request(KSTAT_IOC_READ, model);
		struct ksw_rep srep, irep;
		size_t slen;
		char *single;

		one.ks_kid = it[i].ks_kid;
		one.ks_data = it[i].ks_data;
		one.ks_data_size = it[i].ks_data_size;
		send_all(fd, &one, sizeof(one), NULL, 0);
		single = get_reply(fd, &slen);
		cr_assert_leq(off + slen, blen, "item %zu (kid %d) runs past the batch", i,
			      it[i].ks_kid);
		memcpy(&srep, single, sizeof(srep));
		memcpy(&irep, batch + off, sizeof(irep));
		mask_stamps(&srep, single + sizeof(srep), it[i].ks_kid, model);
		mask_stamps(&irep, batch + off + sizeof(irep), it[i].ks_kid, model);
		memcpy(single, &srep, sizeof(srep));
		memcpy(batch + off, &irep, sizeof(irep));
		cr_expect_eq(memcmp(single, batch + off, slen), 0,
			     "kid %d (size %llu): the batch's reply differs from the single read's "
			     "(rval %d/%d, error %d/%d)",
			     it[i].ks_kid, (unsigned long long)it[i].ks_data_size, irep.rval,
			     srep.rval, irep.error, srep.error);
		off += slen;
		free(single);
	}
	cr_expect_eq(off, blen, "the batch holds nothing more");
	free(batch);
	close(fd);
}

Test(batch, a_batch_is_the_single_reads_byte_for_byte_lp64)
{
	batch_equals_singles(KSW_MODEL_LP64);
}

Test(batch, a_batch_is_the_single_reads_byte_for_byte_ilp32)
{
	batch_equals_singles(KSW_MODEL_ILP32);
}

Test(batch, a_reply_stops_at_its_limit_and_the_rest_comes_next)
{
	struct ksw_batch_item it[NBIG];
	struct ksw_req req = request(KSW_CMD_READ_BATCH, KSW_MODEL_LP64);
	struct ksw_rep rep;
	int fd = sock_connect();
	size_t len;
	char *r;

	for (int i = 0; i < NBIG; i++)
		it[i] = (struct ksw_batch_item){ .ks_kid = first_big + i,
						 .ks_data = 0x10000,
						 .ks_data_size = BIG_RAW };
	req.body_len = sizeof(it);
	send_all(fd, &req, sizeof(req), it, sizeof(it));
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	cr_expect_eq(rep.rval, (int32_t)(KSW_BATCH_MAX_REPLY / (BIG_RAW + sizeof(rep))),
		     "answered %d of %d", rep.rval, NBIG);
	cr_expect_leq(len, KSW_BATCH_MAX_REPLY + sizeof(rep));
	free(r);
	close(fd);
}

/* Every kstat of the chain read through libkstat: one at a time, then in one batch */
static void library_batch_equals_reads(bool offered)
{
	kstat_ctl_t *kc = kstat_open();
	kstat_t *ksps[NFROZEN + NBIG + 8];
	void *saved[NFROZEN + NBIG + 8];
	int errs[NFROZEN + NBIG + 8], n = 0, got;

	cr_assert(kc, "kstat_open: %s", strerror(errno));
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		cr_assert_lt(n, NFROZEN + NBIG + 8);
		if (ksp->ks_kid == 0 || ksp->ks_kid == 1)
			continue;
		cr_assert_neq(kstat_read(kc, ksp, NULL), -1, "kstat_read %s: %s", ksp->ks_name,
			      strerror(errno));
		saved[n] = malloc(ksp->ks_data_size);
		memcpy(saved[n], ksp->ks_data, ksp->ks_data_size);
		ksps[n++] = ksp;
	}
	cr_assert_eq(n, NFROZEN + NBIG + 1, "every installed kstat but kid 0 and kid 1");
	/* scribble: the batch must write every byte back */
	for (int i = 0; i < n; i++)
		memset(ksps[i]->ks_data, 0xee, ksps[i]->ks_data_size);
	ioc_batch_set_features(offered ? KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD : 0);
	got = kstat_read_batch(kc, ksps, n, errs);
	ioc_batch_set_features(KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD);
	cr_expect_eq(got, n, "read %d of %d", got, n);
	for (int i = 0; i < n; i++) {
		cr_expect_eq(errs[i], 0, "%s: %s", ksps[i]->ks_name, strerror(errs[i]));
		cr_expect_eq(memcmp(saved[i], ksps[i]->ks_data, ksps[i]->ks_data_size), 0,
			     "%s: kstat_read_batch's data differs from kstat_read's",
			     ksps[i]->ks_name);
		cr_expect_eq(ksps[i]->ks_snaptime, 1000000007LL * (ksps[i]->ks_instance + 1));
		free(saved[i]);
	}
	kstat_close(kc);
}

Test(batch, kstat_read_batch_leaves_each_kstat_as_kstat_read_does)
{
	library_batch_equals_reads(true);
}

Test(batch, a_client_reads_everything_from_a_daemon_without_the_offer)
{
	library_batch_equals_reads(false);
}

Test(batch, a_client_told_not_to_batch_reads_one_at_a_time)
{
	struct snap_stats a, b;
	kstat_ctl_t *kc = kstat_open();
	kstat_t *ksps[2];
	int errs[2];

	cr_assert(kc);
	ksps[0] = kstat_lookup(kc, "batch", 0, "k0");
	ksps[1] = kstat_lookup(kc, "batch", 1, "k1");
	cr_assert(ksps[0] && ksps[1]);
	setenv(KSW_BATCH_CLIENT_ENV, "0", 1);
	snap_get_stats(s, &a);
	cr_expect_eq(kstat_read_batch(kc, ksps, 2, errs), 2);
	snap_get_stats(s, &b);
	unsetenv(KSW_BATCH_CLIENT_ENV);
	cr_expect_eq(b.reads - a.reads, 2);
	cr_expect_eq(errs[0] | errs[1], 0);
	kstat_close(kc);
}

Test(batch, an_old_client_and_the_illumos_errors_are_unchanged)
{
	kstat_ctl_t *kc = kstat_open();
	kstat_t k = { .ks_kid = invalid_kid, .ks_data_size = 8 }, *ksp;

	cr_assert(kc);
	ksp = kstat_lookup(kc, "batch", 0, "strings");
	cr_assert(ksp);
	cr_expect_neq(kstat_read(kc, ksp, NULL), -1);
	cr_expect_str_eq(KSTAT_NAMED_STR_PTR((kstat_named_t *)ksp->ks_data), greeting);
	k.ks_kid = 999999;
	cr_expect_eq(kstat_read(kc, &k, NULL), -1);
	cr_expect_eq(errno, ENXIO);
	free(k.ks_data);
	kstat_close(kc);
}

Test(batch, features_are_offered_and_withheld)
{
	struct ksw_req req = request(KSW_CMD_FEATURES, KSW_MODEL_LP64);
	struct ksw_rep rep;
	int fd = sock_connect();
	size_t len;
	char *r;

	send_all(fd, &req, sizeof(req), NULL, 0);
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	free(r);
	cr_expect_eq(rep.rval, (int32_t)(KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD));
	ioc_batch_set_features(0);
	send_all(fd, &req, sizeof(req), NULL, 0);
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	free(r);
	cr_expect_eq(rep.rval, -1, "an unknown ioctl to a daemon without the offer");
	cr_expect_eq(rep.error, EINVAL);
	/* a batch is then a body on a read: the framing error it always was */
	req = request(KSW_CMD_READ_BATCH, KSW_MODEL_LP64);
	req.body_len = sizeof(struct ksw_batch_item);
	send_all(fd, &req, sizeof(req), &(struct ksw_batch_item){ .ks_kid = 2 },
		 (size_t)req.body_len);
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	free(r);
	ioc_batch_set_features(KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD);
	cr_expect_eq(rep.error, EPROTO);
	close(fd);
}

Test(batch, bad_batches_get_errors)
{
	struct ksw_batch_item it[2] = {
		{ .ks_kid = 2, .reserved = 1, .ks_data = 0x1000, .ks_data_size = 64 }
	};
	struct ksw_req req = request(KSW_CMD_READ_BATCH, KSW_MODEL_LP64);
	struct ksw_rep rep;
	char *r, junk[KSW_MAX_WRITE + 24] = { 0 };
	size_t len;
	int fd = sock_connect();

	/* a reserved field set: EINVAL, the connection kept */
	req.body_len = sizeof(it);
	send_all(fd, &req, sizeof(req), it, sizeof(it));
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	free(r);
	cr_expect_eq(rep.error, EINVAL);
	/* an empty batch: EINVAL */
	req.body_len = 0;
	send_all(fd, &req, sizeof(req), NULL, 0);
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	free(r);
	cr_expect_eq(rep.error, EINVAL);
	/* a body that is not whole items: EPROTO, then closed */
	req.body_len = 25;
	send_all(fd, &req, sizeof(req), junk, 25);
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	free(r);
	cr_expect_eq(rep.error, EPROTO);
	cr_expect_leq(recv(fd, junk, 1, 0), 0, "closed after a framing error");
	close(fd);
	/* more than a request may carry: E2BIG */
	fd = sock_connect();
	req.body_len = KSW_MAX_WRITE + 24;
	send_all(fd, &req, sizeof(req), NULL, 0);
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	free(r);
	cr_expect_eq(rep.error, E2BIG);
	close(fd);
}

/*
 * A source of more kstats than 8 requests carry (libkstat sends 9 batches
 * for them), so that no batch is a share worth a collect on its own,
 * counting its collects and its kstats' own updates
 */
#define FULL ((int)KSW_BATCH_MAX_ITEMS)
#define NSRC (SNAP_BATCH_SHARE * FULL + 10)
static struct {
	struct snap_source src;
	kstat_t *ks[NSRC];
	int collects, updates;
} big;

static int big_collect(struct snap_source *src, uint64_t gen)
{
	(void)src;
	__atomic_add_fetch(&big.collects, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NSRC; i++) {
		snap_ks_lock(big.ks[i]);
		((kstat_named_t *)big.ks[i]->ks_data)[0].value.ui64 = gen;
		snap_mark_fresh(big.ks[i], gen);
		snap_ks_unlock(big.ks[i]);
	}
	return 0;
}

static int big_update(kstat_t *ksp, int rw)
{
	(void)ksp;
	(void)rw;
	__atomic_add_fetch(&big.updates, 1, __ATOMIC_RELAXED);
	return 0;
}

static void big_install(void)
{
	big.src.collect = big_collect;
	snap_source_add(s, &big.src);
	for (int i = 0; i < NSRC; i++) {
		big.ks[i] = snap_create(s, "bigsrc", i, "b", "test", KSTAT_TYPE_NAMED, 1, 0);
		cr_assert(big.ks[i]);
		snap_named_init(big.ks[i]->ks_data, "v", KSTAT_DATA_UINT64);
		big.ks[i]->ks_update = big_update;
		snap_set_source(big.ks[i], &big.src);
		snap_install(s, big.ks[i]);
	}
}

/* kstat_read_batch() of every kstat of the big source: what the collects left */
static void read_big(kstat_ctl_t *kc)
{
	kstat_t **ksps = calloc(NSRC, sizeof(*ksps));
	int *errs = calloc(NSRC, sizeof(*errs)), n = 0;

	cr_assert(ksps && errs);
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next)
		if (strcmp(ksp->ks_module, "bigsrc") == 0)
			ksps[n++] = ksp;
	cr_assert_eq(n, NSRC);
	cr_assert_eq(kstat_read_batch(kc, ksps, n, errs), n);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(errs[i], 0);
		cr_assert_gt(KSTAT_NAMED_PTR(ksps[i])[0].value.ui64, 0, "%s:%d: not collected",
			     ksps[i]->ks_module, ksps[i]->ks_instance);
	}
	free(ksps);
	free(errs);
}

Test(batch, a_call_reads_a_large_source_once_for_all_of_its_batches)
{
	kstat_ctl_t *kc;

	big_install();
	kc = kstat_open();
	cr_assert(kc);
	read_big(kc);
	cr_expect_eq(big.collects, 1, "one collect for the call's 9 batches (%d)", big.collects);
	cr_expect_eq(big.updates, 0, "no kstat read on its own (%d)", big.updates);
	/* a kstatd without read-ahead: no hints, each batch too small a share */
	ioc_batch_set_features(KSW_FEAT_READ_BATCH);
	read_big(kc);
	ioc_batch_set_features(KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD);
	cr_expect_eq(big.collects, 1, "no collect more (%d)", big.collects);
	cr_expect_eq(big.updates, NSRC, "every kstat read on its own (%d)", big.updates);
	kstat_close(kc);
}

/* A raw batch of count items from the big source's first, with the header's hints */
static void send_big(int fd, int first, int count, int32_t next, uint32_t left)
{
	struct ksw_batch_item *it = calloc((size_t)count, sizeof(*it));
	struct ksw_req req = request(KSW_CMD_READ_BATCH, KSW_MODEL_LP64);
	struct ksw_rep rep;
	size_t len;
	char *r;

	cr_assert(it);
	for (int i = 0; i < count; i++)
		it[i] = (struct ksw_batch_item){ .ks_kid = big.ks[first + i]->ks_kid,
						 .ks_data = 0x10000,
						 .ks_data_size = sizeof(kstat_named_t) };
	req.ks_kid = next;
	req.ks_ndata = left;
	req.body_len = (uint64_t)count * sizeof(*it);
	send_all(fd, &req, sizeof(req), it, (size_t)req.body_len);
	r = get_reply(fd, &len);
	memcpy(&rep, r, sizeof(rep));
	cr_expect_eq(rep.rval, count);
	free(r);
	free(it);
}

Test(batch, hints_count_from_full_batches_of_a_kstatd_that_offers_them)
{
	int fd;

	big_install();
	fd = sock_connect();
	/* without hints (an older libkstat): each too small a share, no collect */
	send_big(fd, 0, FULL, 0, 0);
	send_big(fd, FULL, FULL, 0, 0);
	cr_expect_eq(big.collects, 0);
	cr_expect_eq(big.updates, 2 * FULL, "each kstat read on its own");
	/* a batch of one cannot have the whole map read, whatever it says */
	send_big(fd, 0, 1, 0, UINT32_MAX);
	cr_expect_eq(big.collects, 0, "a hint from a batch that is not full");
	/* the same batches, saying what comes next: one collect serves both */
	send_big(fd, 0, FULL, 0, NSRC - FULL);
	send_big(fd, FULL, FULL, KSW_BATCH_NEXT, NSRC - 2 * FULL);
	cr_expect_eq(big.collects, 1);
	cr_expect_eq(big.updates, 2 * FULL + 1, "none more");
	/* a kstatd that does not offer read-ahead ignores the hints: a call of its own */
	ioc_batch_set_features(KSW_FEAT_READ_BATCH);
	send_big(fd, 2 * FULL, FULL, KSW_BATCH_NEXT, NSRC - 3 * FULL);
	ioc_batch_set_features(KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD);
	cr_expect_eq(big.collects, 1, "hints withheld: none heeded");
	cr_expect_eq(big.updates, 3 * FULL + 1, "not served from the last call's collect");
	/* a new call (no KSW_BATCH_NEXT) collects anew */
	send_big(fd, 0, FULL, 0, NSRC - FULL);
	cr_expect_eq(big.collects, 2);
	close(fd);
}
