/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The /dev/kstat ioctls (KSTAT_IOC_CHAIN_ID, KSTAT_IOC_READ,
 * KSTAT_IOC_WRITE) served on a unix stream socket, in the wire format of
 * lib/kstat_wire.h (docs/protocol.md).
 *
 * The server is one thread with a poll loop over a fixed number of
 * connections.  Each connection has at most one request in flight: its
 * next request is not read before its reply is sent.  A client that
 * stalls in the middle of a request or of its reply is dropped after
 * IOC_IO_TIMEOUT_MS; one that sends nothing is closed after
 * IOC_IDLE_TIMEOUT_MS, or sooner when its slot is needed (the oldest idle
 * connection of a uid at its limit goes first; root has slots of its
 * own).  libkstat and the shim connect again when such a descriptor is
 * used, so to a client it stays open, as /dev/kstat would.
 */
#ifndef __KSTATD_IOCTL_COMPAT_H
#define __KSTATD_IOCTL_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

#include "kstat_wire.h"

#define IOC_MAX_CONNS 1024
#define IOC_IO_TIMEOUT_MS 5000
/* An idle connection is closed after this; clients connect again by themselves */
#define IOC_IDLE_TIMEOUT_MS (300 * 1000)

struct snap;
struct snap_session;
struct ioc_server;

/* A reply being built: header and data in one buffer, as it is sent */
struct ioc_out {
	void *buf;
	size_t cap;
	size_t len;
};

/*
 * Check the framing of a request header: magic, version, header length,
 * body length.  Returns 0, or a positive errno: EBADMSG (not our
 * protocol: no reply), EPROTONOSUPPORT (another version), EPROTO (bad
 * header or body length), E2BIG (body beyond KSW_MAX_WRITE).  Anything
 * but 0 ends the connection.
 */
int ioc_req_check(const struct ksw_req *req);

/*
 * Run one framed request against the engine and build its reply in out
 * (grown with realloc; the caller frees out->buf).  body holds req's
 * body_len bytes (modified by writes).  privileged: the peer may write.
 * Returns 0, or -ENOMEM when no reply could be built.
 */
int ioc_req_run(struct snap *s, const struct ksw_req *req, void *body, bool privileged,
		struct ioc_out *out);

/* Build a reply that only carries an errno (rval -1). */
int ioc_reply_error(struct ioc_out *out, int error);

/*
 * Batched reads (ioc_batch.c, lib/kstat_wire_batch.h).  Every KSW_FEAT_*
 * is offered unless KSTATD_BATCH=0 was in the environment; a kstatd that
 * offers none answers the batch commands as the unknown ioctls they then
 * are.  Tests set the features to act as an older kstatd.
 */
bool ioc_batch_offered(void);
void ioc_batch_set_features(unsigned feat);
/* req may carry a body: a batch of reads, while they are offered */
bool ioc_batch_body_ok(const struct ksw_req *req);
/* ioc_req_check(), with a batch's body allowed while batches are offered */
int ioc_batch_req_check(const struct ksw_req *req);
/*
 * ioc_req_run(), with KSW_CMD_FEATURES and KSW_CMD_READ_BATCH while
 * offered; ss is the connection's read session, which a batch continues
 * when its request says so (KSW_BATCH_NEXT) and begins afresh otherwise
 */
int ioc_batch_req_run(struct snap *s, struct snap_session *ss, const struct ksw_req *req,
		      void *body, bool privileged, struct ioc_out *out);

/*
 * Bind and listen on path (its directory is created; mode 0666, like
 * /dev/kstat).  A stale socket left by a dead daemon is replaced; a live
 * one is refused (-EADDRINUSE), as is a path that is not a socket
 * (-EEXIST) or does not fit sun_path (-ENAMETOOLONG).  The socket accepts
 * connections when this returns; they are served once ioc_start() runs.
 * Returns NULL with errno set, and a logged reason, on failure.
 */
struct ioc_server *ioc_new(struct snap *s, const char *path);
/*
 * How a non-root peer's write is judged: 1 when the peer of the connected
 * socket fd held CAP_SYS_ADMIN in kstatd's user namespace at connect time,
 * 0 when it did not, -errno when that cannot be told (refused, and
 * logged).  Asked once per connection, at its first write, from the
 * server thread.  Without one, only uid 0 may write.  Set before
 * ioc_start().
 */
typedef int ioc_cap_check_fn(void *ctx, int fd);
void ioc_set_cap_check(struct ioc_server *srv, ioc_cap_check_fn *fn, void *ctx);
/* Start the server thread.  0 or -errno. */
int ioc_start(struct ioc_server *srv);
/* Stop the thread, close every connection, remove the socket; NULL is accepted. */
void ioc_free(struct ioc_server *srv);

#endif /* __KSTATD_IOCTL_COMPAT_H */
