/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * kstatd's own extension of the socket ABI (docs/protocol.md, "Batched
 * reads"): many KSTAT_IOC_READs in one round trip.  illumos programs never
 * see it: the shim and the three ioctls are unchanged.  A client asks
 * KSW_CMD_FEATURES first; a kstatd that does not offer the batch (an older
 * one, or one started with KSTATD_BATCH=0) answers it EINVAL, as any
 * unknown ioctl, and the client reads one kstat at a time.
 */
#ifndef __KSTATD_KSTAT_WIRE_BATCH_H
#define __KSTATD_KSTAT_WIRE_BATCH_H

#include <stdint.h>

#include "kstat_wire.h"

/* No body; rval is the KSW_FEAT_* bits this kstatd offers */
#define KSW_CMD_FEATURES 0x4bf0u
/* Body: n struct ksw_batch_item; rval: how many items the reply answers */
#define KSW_CMD_READ_BATCH 0x4bf1u

#define KSW_FEAT_READ_BATCH 0x1u
/*
 * Read-ahead hints: a batch request's header tells the daemon more of the
 * call it belongs to, so that a large map is read once for all of its
 * batches.  ks_kid is KSW_BATCH_NEXT when the connection's previous batch
 * was of the same call (else 0), ks_ndata how many more items the call's
 * later batches will ask for.  Hints only: the replies' shapes do not
 * change, and a kstatd that does not offer this ignores them.
 */
#define KSW_FEAT_READ_AHEAD 0x2u
#define KSW_BATCH_NEXT 1

/* The daemon's switch: KSTATD_BATCH=0 in its environment withholds the offer */
#define KSW_BATCH_DAEMON_ENV "KSTATD_BATCH"
/* The client's: KSTAT_BATCH=0 reads one kstat at a time even when offered */
#define KSW_BATCH_CLIENT_ENV "KSTAT_BATCH"

/* One read of a batch: the fields KSTAT_IOC_READ's request carries */
struct ksw_batch_item {
	int32_t ks_kid;
	uint32_t reserved; /* 0 */
	uint64_t ks_data;
	uint64_t ks_data_size;
};

_Static_assert(sizeof(struct ksw_batch_item) == 24, "a batch item is 24 bytes");

/* Items of one request: its body stays within a write's limit */
#define KSW_BATCH_MAX_ITEMS (KSW_MAX_WRITE / sizeof(struct ksw_batch_item))
/*
 * A reply stops before the item that would take it past this (the rest go
 * in the next request), but always answers at least one item.
 */
#define KSW_BATCH_MAX_REPLY (1024u * 1024)

#endif /* __KSTATD_KSTAT_WIRE_BATCH_H */
