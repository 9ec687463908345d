// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * kstat_read_batch(): many kstat_read()s in one round trip per batch,
 * through kstatd's batch extension (lib/kstat_wire_batch.h) when the
 * daemon offers it, one kstat at a time when it does not.  Each kstat
 * ends as kstat_read(kc, ksp, NULL) would leave it: the batch's replies
 * are those single reads' replies, and what only a single read does (wait
 * out EAGAIN, grow a variable-size buffer) is left to kstat_read().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kstat.h>

#include "kstat_client.h"
#include "kstat_wire_batch.h"

/* The KSW_FEAT_* kstatd on fd offers and this process may use: 0 for none */
static unsigned batch_offered(int fd, int *err)
{
	const char *e = secure_getenv(KSW_BATCH_CLIENT_ENV);
	int feat;

	*err = 0;
	if (e && strcmp(e, "0") == 0)
		return 0;
	feat = kcl_ioctl(fd, KSW_CMD_FEATURES, NULL);
	if (feat == -1) {
		/* EINVAL: a kstatd without the extension; the rest: none to ask */
		if (errno != EINVAL)
			*err = errno;
		return 0;
	}
	return feat & KSW_FEAT_READ_BATCH ? (unsigned)feat : 0;
}

/* The reply to one item, taken from the batch's body as exchange() takes one */
static int take_one(const char **p, uint64_t *left, kstat_t *ksp, int *res)
{
	struct ksw_rep rep;

	if (*left < sizeof(rep))
		return -1;
	memcpy(&rep, *p, sizeof(rep));
	*p += sizeof(rep);
	*left -= sizeof(rep);
	if (rep.magic != KSW_REP_MAGIC || rep.version != KSW_VERSION ||
	    rep.hdr_len != sizeof(rep) || rep.body_len > ksp->ks_data_size ||
	    rep.body_len > *left || (rep.body_len && !ksp->ks_data) ||
	    ((rep.flags & KSW_REP_HDR) && rep.ks_data_size > SIZE_MAX))
		return -1;
	memcpy(ksp->ks_data, *p, (size_t)rep.body_len);
	*p += rep.body_len;
	*left -= rep.body_len;
	if (rep.flags & KSW_REP_HDR) {
		ksp->ks_ndata = rep.ks_ndata;
		ksp->ks_data_size = (size_t)rep.ks_data_size;
		ksp->ks_flags = (uchar_t)rep.ks_flags;
		ksp->ks_snaptime = rep.ks_snaptime;
	}
	*res = rep.rval == -1 ? (rep.error > 0 ? rep.error : EIO) : 0;
	return 0;
}

/* A receive buffer kept across the batches of one call */
struct rbuf {
	char *p;
	size_t cap;
};

/* Where a call's batches are: told to kstatd when it offers KSW_FEAT_READ_AHEAD */
struct ahead {
	bool next;     /* the connection's previous batch was of this call */
	uint32_t left; /* items after this batch */
};

/*
 * One request for the m kstats at idx[] and its reply: the number of them
 * answered (their results in res[]), or -1 with errno (*lost when the
 * connection is no longer usable).
 */
static int exchange_batch(int fd, kstat_t **ksps, const int *idx, size_t m, int *res,
			  struct ksw_batch_item *items, struct rbuf *rb, const struct ahead *ah,
			  bool *lost)
{
	struct ksw_req req = {
		.magic = KSW_REQ_MAGIC,
		.version = KSW_VERSION,
		.hdr_len = sizeof(req),
		.cmd = KSW_CMD_READ_BATCH,
		.model = sizeof(void *) == 8 ? KSW_MODEL_LP64 : KSW_MODEL_ILP32,
		.ks_kid = ah && ah->next ? KSW_BATCH_NEXT : 0,
		.ks_ndata = ah ? ah->left : 0,
		.body_len = m * sizeof(*items),
	};
	uint64_t left, most = 0;
	struct ksw_rep rep;
	const char *p;

	for (size_t j = 0; j < m; j++) {
		const kstat_t *ksp = ksps[idx[j]];

		most += sizeof(rep) + (uint64_t)ksp->ks_data_size;

		items[j] = (struct ksw_batch_item){
			.ks_kid = ksp->ks_kid,
			.ks_data = (uint64_t)(uintptr_t)ksp->ks_data,
			.ks_data_size = ksp->ks_data_size,
		};
	}
	if (kcl_send(fd, &req, sizeof(req), items, (size_t)req.body_len))
		return kcl_broken(fd, lost);
	if (kcl_recv(fd, &rep, sizeof(rep)))
		return kcl_broken(fd, lost);
	if (rep.magic != KSW_REP_MAGIC || rep.version != KSW_VERSION ||
	    rep.hdr_len != sizeof(rep)) {
		errno = EPROTO;
		return kcl_broken(fd, lost);
	}
	if (rep.rval == -1) {
		/* refused (an offer withdrawn): kstatd may close; start afresh */
		if (rep.body_len)
			return kcl_broken(fd, lost);
		errno = rep.error > 0 ? rep.error : EIO;
		return -1;
	}
	if (rep.rval < 1 || (size_t)rep.rval > m) {
		errno = EPROTO;
		return kcl_broken(fd, lost);
	}
	/* never more than the replies of the items asked could hold */
	if (rep.body_len > most || rep.body_len > SIZE_MAX) {
		errno = EPROTO;
		return kcl_broken(fd, lost);
	}
	if (rep.body_len > rb->cap) {
		char *np = realloc(rb->p, (size_t)rep.body_len);

		if (!np) {
			errno = ENOMEM;
			return kcl_broken(fd, lost);
		}
		rb->p = np;
		rb->cap = (size_t)rep.body_len;
	}
	/* one receive for the whole batch, then the replies taken apart */
	if (kcl_recv(fd, rb->p, (size_t)rep.body_len))
		return kcl_broken(fd, lost);
	errno = EPROTO;
	left = rep.body_len;
	p = rb->p;
	for (int j = 0; j < rep.rval; j++)
		if (take_one(&p, &left, ksps[idx[j]], &res[j]))
			return kcl_broken(fd, lost);
	if (left) {
		errno = EPROTO;
		return kcl_broken(fd, lost);
	}
	return rep.rval;
}

/*
 * Read the kstats at idx[0..m) in batches.  0, or -1 with errno when
 * kstatd stopped answering batches (what is left goes one at a time); a
 * connection lost is connected again once, as kcl_ioctl() does.
 */
static int read_batches(kstat_ctl_t *kc, kstat_t **ksps, int *idx, size_t m, int *errs,
			unsigned feat)
{
	size_t chunk = m < KSW_BATCH_MAX_ITEMS ? m : KSW_BATCH_MAX_ITEMS, done = 0;
	struct ksw_batch_item *items = malloc(chunk * sizeof(*items));
	int *res = malloc(chunk * sizeof(*res)), fd = kc->kc_kd, ret = 0, err;
	struct rbuf rb = { 0 };
	struct ahead ah = { 0 };
	bool retried = false;

	if (!items || !res) {
		ret = -1;
		errno = ENOMEM;
		goto out_free;
	}
	while (done < m) {
		pthread_mutex_t *lock = kcl_lock_of(fd);
		size_t now = m - done < chunk ? m - done : chunk;
		bool lost = false;
		int k;

		ah.left = m - done - now > UINT32_MAX ? UINT32_MAX : (uint32_t)(m - done - now);
		pthread_mutex_lock(lock);
		k = exchange_batch(fd, ksps, idx + done, now, res, items, &rb,
				   feat & KSW_FEAT_READ_AHEAD ? &ah : NULL, &lost);
		err = errno;
		if (k == -1 && lost && err != ETIMEDOUT && !retried && kcl_reconnect(fd) == 0)
			err = EAGAIN;
		pthread_mutex_unlock(lock);
		if (k == -1 && err == EAGAIN) {
			/* a new connection, perhaps to another kstatd: ask again */
			retried = true;
			ah.next = false;
			if ((feat = batch_offered(fd, &err)))
				continue;
		}
		if (k == -1) {
			ret = -1;
			errno = err ? err : EIO;
			break;
		}
		for (int j = 0; j < k; j++)
			errs[idx[done + j]] = res[j];
		done += (size_t)k;
		ah.next = true;
	}
out_free:
	free(rb.p);
	free(items);
	free(res);
	return ret;
}

int kstat_read_batch(kstat_ctl_t *kc, kstat_t **ksps, int n, int *errs)
{
	int *idx = NULL, *err_own = NULL, nread = 0, err = 0;
	unsigned feat;
	size_t m = 0;

	if (!kc || n < 0 || (n && !ksps)) {
		errno = EINVAL;
		return -1;
	}
	if (!errs) {
		errs = err_own = malloc((size_t)n * sizeof(*errs) + 1);
		if (!errs)
			return -1;
	}
	idx = malloc((size_t)n * sizeof(*idx) + 1);
	if (!idx) {
		free(err_own);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		kstat_t *ksp = ksps[i];

		errs[i] = -1; /* not read yet */
		if (!ksp->ks_data && ksp->ks_data_size > 0) {
			ksp->ks_data = calloc(1, ksp->ks_data_size);
			if (!ksp->ks_data) {
				errs[i] = ENOMEM;
				continue;
			}
		}
		idx[m++] = i;
	}
	if (m && (feat = batch_offered(kc->kc_kd, &err))) {
		if (read_batches(kc, ksps, idx, m, errs, feat))
			err = errno;
	}
	for (int i = 0; i < n; i++) {
		kstat_t *ksp = ksps[i];

		/* kstatd cannot be reached: do not try each kstat on its own */
		if (errs[i] == -1 && (err == ETIMEDOUT || err == EIO)) {
			errs[i] = err;
			continue;
		}
		if (errs[i] == ENOMEM &&
		    (ksp->ks_flags & (KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS))) {
			/* it outgrew its buffer: kstat_read() grows it */
			free(ksp->ks_data);
			ksp->ks_data = calloc(1, ksp->ks_data_size ? ksp->ks_data_size : 1);
			errs[i] = ksp->ks_data ? -1 : ENOMEM;
		}
		if (errs[i] == -1 || errs[i] == EAGAIN)
			errs[i] = kstat_read(kc, ksp, NULL) == -1 ? errno : 0;
		nread += errs[i] == 0;
	}
	free(idx);
	free(err_own);
	return nread;
}
