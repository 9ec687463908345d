/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The /dev/kstat ioctls over kstatd's unix socket: one request frame, one
 * reply frame, in the host's byte order (both ends are on one machine).
 * Shared by the daemon (src/serve/ioctl/ioctl_compat.c) and the one client that
 * libkstat and the preload shim use (lib/kstat_client.c).  Every field has
 * a fixed width, so 32-bit and 64-bit clients send the same bytes; the
 * caller's data model travels in the request.  See docs/protocol.md.
 */
#ifndef __KSTATD_KSTAT_WIRE_H
#define __KSTATD_KSTAT_WIRE_H

#include <stdint.h>

#define KSW_REQ_MAGIC 0x5154534bu /* "KSTQ" in memory on little-endian */
#define KSW_REP_MAGIC 0x5254534bu /* "KSTR" */
#define KSW_VERSION 1

/* Largest data section a write may carry: writable kstats are small */
#define KSW_MAX_WRITE (64u * 1024)
/* Largest data section a read returns; a bigger kstat gets EOVERFLOW */
#define KSW_MAX_READ (256u * 1024 * 1024)

#define KSW_DEFAULT_SOCKET "/run/kstatd/kstat.sock"
#define KSW_SOCKET_ENV "KSTAT_SOCKET"
/* How long a client waits for kstatd in one exchange; 0 waits forever */
#define KSW_TIMEOUT_ENV "KSTAT_TIMEOUT_MS"
#define KSW_DEFAULT_TIMEOUT_MS 10000

/* The caller's data model, as the ioctl's FMODELS flag tells the driver */
enum ksw_model {
	KSW_MODEL_LP64 = 0,
	KSW_MODEL_ILP32 = 1,
};

/*
 * A request.  cmd is the ioctl's request (KSTAT_IOC_*); the ks_* fields are
 * those of the caller's kstat_t that the driver honours.  ks_data is the
 * caller's own buffer address, used to rebase string pointers.  body_len
 * bytes follow: the data section of a write (equal to ks_data_size), none
 * for anything else.
 */
struct ksw_req {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_len; /* sizeof(struct ksw_req) */
	uint32_t cmd;
	uint32_t model; /* enum ksw_model */
	int32_t ks_kid;
	uint32_t ks_ndata; /* writes only; in a batch, a hint (kstat_wire_batch.h) */
	uint64_t ks_data;
	uint64_t ks_data_size;
	uint64_t body_len;
};

/* The ks_* fields of a reply are valid (a read that got past the update) */
#define KSW_REP_HDR 0x1u

/*
 * A reply.  rval is the ioctl's return value: the kstat chain id, or -1
 * with error holding the errno.  body_len bytes of data follow (a read's
 * data section, never more than the request's ks_data_size).
 */
struct ksw_rep {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_len; /* sizeof(struct ksw_rep) */
	int32_t rval;
	int32_t error;
	uint32_t flags; /* KSW_REP_HDR */
	uint32_t ks_ndata;
	uint64_t ks_data_size;
	int64_t ks_snaptime;
	uint32_t ks_flags;
	uint32_t reserved;
	uint64_t body_len;
};

_Static_assert(sizeof(struct ksw_req) == 48, "request header is 48 bytes");
_Static_assert(sizeof(struct ksw_rep) == 56, "reply header is 56 bytes");

#endif /* __KSTATD_KSTAT_WIRE_H */
