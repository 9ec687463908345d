// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The read and write rules of the illumos /dev/kstat driver
 * (read_kstat_data and write_kstat_data), for LP64 and ILP32 callers.
 * The caller's buffer has been copied into daemon memory; ubase is where
 * it lives in the caller, so that string pointers handed out or checked
 * are the caller's own.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "snapshot_impl.h"

/* The named records of an ILP32 caller: longs truncated, pointers 32-bit */
static void named_to_ilp32(kstat_named_t *kn, uint_t n)
{
	for (uint_t i = 0; i < n; i++) {
		switch (kn[i].data_type) {
		case KS_DATA_KLONG:
			kn[i].value.i32 = (int32_t)kn[i].value.l;
			kn[i].data_type = KSTAT_DATA_INT32;
			break;
		case KS_DATA_KULONG:
			kn[i].value.ui32 = (uint32_t)kn[i].value.ul;
			kn[i].data_type = KSTAT_DATA_UINT32;
			break;
		case KSTAT_DATA_STRING: {
			uint32_t p32 = (uint32_t)(uintptr_t)KSTAT_NAMED_STR_PTR(&kn[i]);

			memset(kn[i].value.str.addr.__pad, 0, sizeof(kn[i].value.str.addr.__pad));
			memcpy(kn[i].value.str.addr.__pad, &p32, sizeof(p32));
			break;
		}
		default:
			break;
		}
	}
}

/* Point the packed strings of a snapshot at the caller's copy of buf */
static void named_rebase(kstat_named_t *kn, uint_t n, const void *buf, uint64_t ubase)
{
	for (uint_t i = 0; i < n; i++) {
		char *p = KSTAT_NAMED_STR_PTR(&kn[i]);

		if (kn[i].data_type != KSTAT_DATA_STRING || !p)
			continue;
		KSTAT_NAMED_STR_PTR(&kn[i]) =
			(char *)(uintptr_t)(ubase + (uint64_t)(p - (char *)buf));
	}
}

/*
 * kid 0 for an ILP32 caller: the array of kstat_t reshaped in place into
 * kstat32_t, as the illumos driver does (the header still claims the LP64
 * size; only ndata * sizeof(kstat32_t) bytes are meaningful).
 */
static int headers_to_ilp32(void *buf, uint_t n)
{
	kstat32_t k32;
	kstat_t *k = buf;

	for (uint_t i = 0; i < n; i++) {
		kstat_t src = k[i];

		if (src.ks_data_size > UINT32_MAX)
			return EOVERFLOW;
		memset(&k32, 0, sizeof(k32));
		k32.ks_crtime = src.ks_crtime;
		k32.ks_kid = src.ks_kid;
		memcpy(k32.ks_module, src.ks_module, KSTAT_STRLEN);
		k32.ks_resv = src.ks_resv;
		k32.ks_instance = src.ks_instance;
		memcpy(k32.ks_name, src.ks_name, KSTAT_STRLEN);
		k32.ks_type = src.ks_type;
		memcpy(k32.ks_class, src.ks_class, KSTAT_STRLEN);
		k32.ks_flags = src.ks_flags;
		k32.ks_ndata = src.ks_ndata;
		k32.ks_data_size = (size32_t)src.ks_data_size;
		k32.ks_snaptime = src.ks_snaptime;
		/* sizeof(kstat32_t) < sizeof(kstat_t): never overwrites unread input */
		memcpy((char *)buf + i * sizeof(kstat32_t), &k32, sizeof(k32));
	}
	return 0;
}

int snap_read(struct snap *s, kid_t kid, enum snap_model model, void *buf, size_t bufsize,
	      uint64_t ubase, struct snap_rhdr *hdr, size_t *copied, kid_t *kcid)
{
	struct ekstat *e;
	uchar_t type;
	size_t need;
	bool fresh;
	int err = 0;

	*copied = 0;
	pthread_rwlock_rdlock(&s->chain_lock);
	*kcid = s->chain_id;
	e = snap_find_kid(s, kid);
	if (!e) {
		pthread_rwlock_unlock(&s->chain_lock);
		return ENXIO;
	}
	if (e->ks.ks_flags & KSTAT_FLAG_INVALID) {
		pthread_rwlock_unlock(&s->chain_lock);
		return EAGAIN;
	}
	if (kid == 0)
		snap_note_chain_seen(s);
	__atomic_add_fetch(&s->stats.reads, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&e->lock);
	/* refreshed by its source since this thread's read session began: as collected */
	fresh = snap_batch_gen && e->fresh_gen > snap_batch_gen;
	if (!fresh)
		err = snap_ks_update(&e->ks, KSTAT_READ);
	if (err) {
		pthread_mutex_unlock(&e->lock);
		pthread_rwlock_unlock(&s->chain_lock);
		return err;
	}
	need = e->ks.ks_data_size;
	if (bufsize < need)
		err = ENOMEM;
	else
		err = snap_ks_snapshot_at(&e->ks, buf, fresh ? e->fresh_at : 0);
	/* returned even when the snapshot failed: how libkstat sizes buffers */
	hdr->ks_ndata = e->ks.ks_ndata;
	hdr->ks_data_size = need;
	hdr->ks_flags = e->ks.ks_flags;
	hdr->ks_snaptime = e->ks.ks_snaptime;
	type = e->ks.ks_type;
	*kcid = s->chain_id;
	pthread_mutex_unlock(&e->lock);
	pthread_rwlock_unlock(&s->chain_lock);

	if (!err) {
		*copied = need;
		if (model == SNAP_MODEL_ILP32) {
			if (type == KSTAT_TYPE_NAMED) {
				named_rebase(buf, hdr->ks_ndata, buf, ubase);
				named_to_ilp32(buf, hdr->ks_ndata);
			}
			if (kid == 0) {
				err = headers_to_ilp32(buf, hdr->ks_ndata);
				*copied = hdr->ks_ndata * sizeof(kstat32_t);
			}
		} else if (type == KSTAT_TYPE_NAMED) {
			named_rebase(buf, hdr->ks_ndata, buf, ubase);
			snap_named_retype_lp64(buf, hdr->ks_ndata);
		}
	}
	if (model == SNAP_MODEL_ILP32 && need > UINT32_MAX)
		err = EOVERFLOW;
	if (err)
		*copied = 0;
	return err;
}

/*
 * Check the caller's named records against the current ones: same data
 * types (the caller sees LONG as INT64, or INT32 when ILP32, so those are
 * taken back), string pointers inside the caller's buffer after the array.
 * On success the records carry kernel types and daemon string pointers.
 */
static int named_check_write(kstat_t *ksp, enum snap_model model, kstat_named_t *knew,
			     uint64_t ubase)
{
	kstat_named_t *kold;
	uint_t n = ksp->ks_ndata;
	int err = 0;

	kold = malloc(ksp->ks_data_size + 1);
	if (!kold)
		return EAGAIN;
	err = snap_ks_snapshot(ksp, kold, KSTAT_READ);
	if (err)
		goto out_free;

	for (uint_t i = 0; i < n; i++) {
		switch (kold[i].data_type) {
		case KS_DATA_KLONG:
			if (model == SNAP_MODEL_ILP32 && knew[i].data_type == KSTAT_DATA_INT32) {
				knew[i].value.l = (long)knew[i].value.i32;
				knew[i].data_type = KS_DATA_KLONG;
			} else if (model == SNAP_MODEL_LP64 &&
				   knew[i].data_type == KSTAT_DATA_INT64) {
				knew[i].data_type = KS_DATA_KLONG;
			}
			break;
		case KS_DATA_KULONG:
			if (model == SNAP_MODEL_ILP32 && knew[i].data_type == KSTAT_DATA_UINT32) {
				knew[i].value.ul = (ulong_t)knew[i].value.ui32;
				knew[i].data_type = KS_DATA_KULONG;
			} else if (model == SNAP_MODEL_LP64 &&
				   knew[i].data_type == KSTAT_DATA_UINT64) {
				knew[i].data_type = KS_DATA_KULONG;
			}
			break;
		case KSTAT_DATA_STRING: {
			uint64_t p, lo = ubase + (uint64_t)n * sizeof(kstat_named_t);

			if (knew[i].data_type != KSTAT_DATA_STRING) {
				err = EINVAL;
				goto out_free;
			}
			if (model == SNAP_MODEL_ILP32) {
				uint32_t p32;

				memcpy(&p32, knew[i].value.str.addr.__pad, sizeof(p32));
				p = p32;
			} else {
				p = (uint64_t)(uintptr_t)KSTAT_NAMED_STR_PTR(&knew[i]);
			}
			if (p == 0) {
				KSTAT_NAMED_STR_PTR(&knew[i]) = NULL;
				break;
			}
			if (p < lo || p - ubase > ksp->ks_data_size ||
			    KSTAT_NAMED_STR_BUFLEN(&knew[i]) > ksp->ks_data_size - (p - ubase)) {
				err = EINVAL;
				goto out_free;
			}
			KSTAT_NAMED_STR_PTR(&knew[i]) = (char *)knew + (p - ubase);
			break;
		}
		default:
			break;
		}
	}
	for (uint_t i = 0; i < n; i++) {
		if (kold[i].data_type != knew[i].data_type) {
			err = EINVAL;
			break;
		}
	}
out_free:
	free(kold);
	return err;
}

int snap_write(struct snap *s, kid_t kid, enum snap_model model, void *buf, size_t bufsize,
	       uint_t ndata, uint64_t ubase, bool privileged, kid_t *kcid)
{
	struct ekstat *e;
	int err;

	if (!privileged)
		return EPERM;
	pthread_rwlock_rdlock(&s->chain_lock);
	*kcid = s->chain_id;
	e = snap_find_kid(s, kid);
	if (!e) {
		err = ENXIO;
		goto out_unlock;
	}
	if (e->ks.ks_flags & KSTAT_FLAG_INVALID) {
		err = EAGAIN;
		goto out_unlock;
	}
	if (!(e->ks.ks_flags & KSTAT_FLAG_WRITABLE)) {
		err = EACCES;
		goto out_unlock;
	}
	__atomic_add_fetch(&s->stats.writes, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&e->lock);
	err = snap_ks_update(&e->ks, KSTAT_READ);
	if (!err && (bufsize != e->ks.ks_data_size || ndata != e->ks.ks_ndata))
		err = EINVAL;
	if (!err && e->ks.ks_type == KSTAT_TYPE_NAMED)
		err = named_check_write(&e->ks, model, buf, ubase);
	if (!err)
		err = snap_ks_snapshot(&e->ks, buf, KSTAT_WRITE);
	if (!err)
		err = snap_ks_update(&e->ks, KSTAT_WRITE);
	*kcid = s->chain_id;
	pthread_mutex_unlock(&e->lock);
out_unlock:
	pthread_rwlock_unlock(&s->chain_lock);
	return err;
}
