// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Batched reads, kstatd's extension of the socket ABI (lib/kstat_wire_batch.h):
 * n KSTAT_IOC_READs in one request, answered by one reply whose body is
 * the n replies each read would have had on its own, byte for byte, one
 * after the other.  Each item runs through the same path as a single read
 * (ioc_req_run), so the rules, errors and data shapes cannot drift apart.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/kstat.h>

#include "engine/snapshot.h"
#include "ioctl_compat.h"
#include "kstat_wire_batch.h"

#define FEATURES_ALL (KSW_FEAT_READ_BATCH | KSW_FEAT_READ_AHEAD)

/* -1 until asked: then the KSW_FEAT_* bits, from KSTATD_BATCH or ioc_batch_set_features() */
static int features = -1;

static unsigned offered_features(void)
{
	int v = __atomic_load_n(&features, __ATOMIC_RELAXED);

	if (v < 0) {
		const char *e = getenv(KSW_BATCH_DAEMON_ENV);

		v = e && strcmp(e, "0") == 0 ? 0 : FEATURES_ALL;
		__atomic_store_n(&features, v, __ATOMIC_RELAXED);
	}
	return (unsigned)v;
}

bool ioc_batch_offered(void)
{
	return offered_features() & KSW_FEAT_READ_BATCH;
}

void ioc_batch_set_features(unsigned feat)
{
	__atomic_store_n(&features, (int)(feat & FEATURES_ALL), __ATOMIC_RELAXED);
}

bool ioc_batch_body_ok(const struct ksw_req *req)
{
	return ioc_batch_offered() && req->cmd == KSW_CMD_READ_BATCH && req->body_len &&
	       req->body_len % sizeof(struct ksw_batch_item) == 0;
}

static int out_reserve(struct ioc_out *out, size_t need)
{
	void *nb;

	if (need <= out->cap)
		return 0;
	if (need < out->cap * 2)
		need = out->cap * 2;
	nb = realloc(out->buf, need);
	if (!nb)
		return -ENOMEM;
	out->buf = nb;
	out->cap = need;
	return 0;
}

static int reply_rval(struct ioc_out *out, int rval)
{
	struct ksw_rep *rep;

	if (out_reserve(out, sizeof(*rep)))
		return -ENOMEM;
	rep = out->buf;
	memset(rep, 0, sizeof(*rep));
	rep->magic = KSW_REP_MAGIC;
	rep->version = KSW_VERSION;
	rep->hdr_len = sizeof(*rep);
	rep->rval = rval;
	out->len = sizeof(*rep);
	return 0;
}

static int run_batch(struct snap *s, struct snap_session *ss, const struct ksw_req *req,
		     const void *body, struct ioc_out *out)
{
	size_t n = (size_t)(req->body_len / sizeof(struct ksw_batch_item)), done;
	struct ioc_out one = { 0 };
	struct ksw_rep *rep;
	bool ahead;
	kid_t *kids;
	int err = 0;

	if (!n || req->body_len % sizeof(struct ksw_batch_item))
		return ioc_reply_error(out, EINVAL);
	kids = malloc(n * sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct ksw_batch_item it;

		memcpy(&it, (const char *)body + i * sizeof(it), sizeof(it));
		kids[i] = (kid_t)it.ks_kid;
		if (it.reserved) {
			free(kids);
			return ioc_reply_error(out, EINVAL);
		}
	}
	if (reply_rval(out, 0)) {
		free(kids);
		return -ENOMEM;
	}
	/*
	 * The maps of which the call asks for a share are read once, in bulk.
	 * What is still to come counts from a full batch only (libkstat's are,
	 * all but the last): a batch of one cannot have a large map read.
	 */
	ahead = offered_features() & KSW_FEAT_READ_AHEAD;
	if (!ahead || req->ks_kid != KSW_BATCH_NEXT)
		*ss = (struct snap_session){ 0 };
	snap_read_batch_begin(s, ss, kids, n,
			      ahead && n == KSW_BATCH_MAX_ITEMS ? req->ks_ndata : 0);
	free(kids);
	for (done = 0; done < n; done++) {
		struct ksw_batch_item it;
		struct ksw_req sub = {
			.magic = KSW_REQ_MAGIC,
			.version = KSW_VERSION,
			.hdr_len = sizeof(sub),
			.cmd = KSTAT_IOC_READ,
			.model = req->model,
		};

		memcpy(&it, (const char *)body + done * sizeof(it), sizeof(it));
		sub.ks_kid = it.ks_kid;
		sub.ks_data = it.ks_data;
		sub.ks_data_size = it.ks_data_size;
		err = ioc_req_run(s, &sub, NULL, false, &one);
		if (err)
			break;
		if (done && out->len + one.len > KSW_BATCH_MAX_REPLY)
			break;
		err = out_reserve(out, out->len + one.len);
		if (err)
			break;
		memcpy((char *)out->buf + out->len, one.buf, one.len);
		out->len += one.len;
	}
	snap_read_batch_end();
	free(one.buf);
	if (err && !done)
		return err;
	rep = out->buf;
	rep->rval = (int32_t)done;
	rep->body_len = out->len - sizeof(*rep);
	return 0;
}

int ioc_batch_req_check(const struct ksw_req *req)
{
	struct ksw_req bare = *req;
	int err;

	if (!ioc_batch_body_ok(req))
		return ioc_req_check(req);
	bare.body_len = 0;
	err = ioc_req_check(&bare);
	if (!err && req->body_len > KSW_MAX_WRITE)
		err = E2BIG;
	return err;
}

int ioc_batch_req_run(struct snap *s, struct snap_session *ss, const struct ksw_req *req,
		      void *body, bool privileged, struct ioc_out *out)
{
	if (req->cmd != KSW_CMD_FEATURES && req->cmd != KSW_CMD_READ_BATCH)
		return ioc_req_run(s, req, body, privileged, out);
	if (!ioc_batch_offered())
		return ioc_req_run(s, req, body, privileged, out); /* an unknown ioctl: EINVAL */
	if (req->model != KSW_MODEL_LP64 && req->model != KSW_MODEL_ILP32)
		return ioc_reply_error(out, EINVAL);
	if (req->cmd == KSW_CMD_FEATURES)
		return reply_rval(out, (int)offered_features());
	return run_batch(s, ss, req, body, out);
}
