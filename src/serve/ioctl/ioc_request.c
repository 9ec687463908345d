// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One request of the socket ABI, decoded and run against the engine: the
 * daemon side of ioctl(kd, KSTAT_IOC_*, ksp).  Every field comes from an
 * untrusted peer; the engine's read and write rules (snap_rw.c) do the
 * rest, exactly as read_kstat_data and write_kstat_data do.
 *
 * A read never allocates what the client claims its buffer holds: it
 * starts with a small buffer, and grows it to the size the kstat reports
 * only when the client's buffer is at least that large.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/snapshot.h"
#include "ioctl_compat.h"

/* First try of a read whose client buffer is larger than this */
#define READ_FIRST_TRY (64u * 1024)
/* A var-size kstat that keeps growing between two tries */
#define READ_MAX_TRIES 8
/* Never a real snaptime: tells whether the engine filled the header */
#define SNAPTIME_UNSET INT64_MIN

int ioc_req_check(const struct ksw_req *req)
{
	if (req->magic != KSW_REQ_MAGIC)
		return EBADMSG;
	if (req->version != KSW_VERSION)
		return EPROTONOSUPPORT;
	if (req->hdr_len != sizeof(*req))
		return EPROTO;
	if (req->body_len > KSW_MAX_WRITE)
		return E2BIG;
	if (req->cmd != KSTAT_IOC_WRITE && req->body_len != 0)
		return EPROTO;
	return 0;
}

static int out_reserve(struct ioc_out *out, size_t data_len)
{
	size_t need = sizeof(struct ksw_rep) + data_len;
	void *nb;

	if (need <= out->cap)
		return 0;
	nb = realloc(out->buf, need);
	if (!nb)
		return -ENOMEM;
	out->buf = nb;
	out->cap = need;
	return 0;
}

static struct ksw_rep *out_rep(struct ioc_out *out)
{
	return out->buf;
}

static void rep_init(struct ksw_rep *rep, int rval, int error)
{
	memset(rep, 0, sizeof(*rep));
	rep->magic = KSW_REP_MAGIC;
	rep->version = KSW_VERSION;
	rep->hdr_len = sizeof(*rep);
	rep->rval = error ? -1 : rval;
	rep->error = error;
}

int ioc_reply_error(struct ioc_out *out, int error)
{
	if (out_reserve(out, 0))
		return -ENOMEM;
	rep_init(out_rep(out), -1, error);
	out->len = sizeof(struct ksw_rep);
	return 0;
}

/*
 * The caller's buffer must be an address range its data model can have:
 * the kernel would fault on anything else (EFAULT); a 32-bit caller
 * cannot have a 64-bit size (EINVAL).
 */
static int check_user_buffer(const struct ksw_req *req)
{
	uint64_t limit = req->model == KSW_MODEL_ILP32 ? UINT32_MAX : UINT64_MAX;

	if (req->model == KSW_MODEL_ILP32 && req->ks_data_size > UINT32_MAX)
		return EINVAL;
	if (req->ks_data > limit || req->ks_data_size > limit - req->ks_data)
		return EFAULT;
	return 0;
}

static int run_read(struct snap *s, const struct ksw_req *req, struct ioc_out *out)
{
	enum snap_model model = req->model == KSW_MODEL_ILP32 ? SNAP_MODEL_ILP32 : SNAP_MODEL_LP64;
	uint64_t want = req->ks_data_size;
	struct snap_rhdr hdr;
	size_t try, copied = 0;
	struct ksw_rep *rep;
	kid_t kcid = 0;
	int err, tries;

	err = check_user_buffer(req);
	if (err)
		return ioc_reply_error(out, err);
	try = want < READ_FIRST_TRY ? (size_t)want : READ_FIRST_TRY;
	for (tries = 0;; tries++) {
		if (out_reserve(out, try))
			return -ENOMEM;
		hdr.ks_snaptime = SNAPTIME_UNSET;
		err = snap_read(s, req->ks_kid, model, (char *)out->buf + sizeof(struct ksw_rep),
				try, req->ks_data, &hdr, &copied, &kcid);
		if (err != ENOMEM || hdr.ks_snaptime == SNAPTIME_UNSET || hdr.ks_data_size <= try ||
		    hdr.ks_data_size > want)
			break;
		if (hdr.ks_data_size > KSW_MAX_READ) {
			err = EOVERFLOW;
			break;
		}
		if (tries == READ_MAX_TRIES) {
			err = EAGAIN;
			break;
		}
		try = hdr.ks_data_size;
	}
	/* the kernel's copyout to a NULL buffer faults, after the header is set */
	if (!err && copied && req->ks_data == 0)
		err = EFAULT;
	if (err)
		copied = 0;

	rep = out_rep(out);
	rep_init(rep, kcid, err);
	if (hdr.ks_snaptime != SNAPTIME_UNSET) {
		rep->flags = KSW_REP_HDR;
		rep->ks_ndata = hdr.ks_ndata;
		rep->ks_data_size = hdr.ks_data_size;
		rep->ks_flags = hdr.ks_flags;
		rep->ks_snaptime = hdr.ks_snaptime;
	}
	rep->body_len = copied;
	out->len = sizeof(*rep) + copied;
	return 0;
}

static int run_write(struct snap *s, const struct ksw_req *req, void *body, bool privileged,
		     struct ioc_out *out)
{
	enum snap_model model = req->model == KSW_MODEL_ILP32 ? SNAP_MODEL_ILP32 : SNAP_MODEL_LP64;
	kid_t kcid = 0;
	int err;

	/* the privilege check comes first, as secpolicy_sys_config does */
	if (!privileged)
		return ioc_reply_error(out, EPERM);
	err = check_user_buffer(req);
	if (!err && req->body_len != req->ks_data_size)
		err = EINVAL;
	if (!err && req->ks_data == 0 && req->ks_data_size)
		err = EFAULT;
	if (!err)
		err = snap_write(s, req->ks_kid, model, body, req->body_len, req->ks_ndata,
				 req->ks_data, true, &kcid);
	if (out_reserve(out, 0))
		return -ENOMEM;
	rep_init(out_rep(out), kcid, err);
	out->len = sizeof(struct ksw_rep);
	return 0;
}

int ioc_req_run(struct snap *s, const struct ksw_req *req, void *body, bool privileged,
		struct ioc_out *out)
{
	if (req->model != KSW_MODEL_LP64 && req->model != KSW_MODEL_ILP32)
		return ioc_reply_error(out, EINVAL);
	switch (req->cmd) {
	case KSTAT_IOC_CHAIN_ID:
		if (out_reserve(out, 0))
			return -ENOMEM;
		rep_init(out_rep(out), snap_chain_id(s), 0);
		out->len = sizeof(struct ksw_rep);
		return 0;
	case KSTAT_IOC_READ:
		return run_read(s, req, out);
	case KSTAT_IOC_WRITE:
		return run_write(s, req, body, privileged, out);
	default:
		return ioc_reply_error(out, EINVAL);
	}
}
