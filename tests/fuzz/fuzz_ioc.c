// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target for the request decoder: the input is a stream of
 * frames as a client would send them, run against an engine that holds
 * every kind of kstat (named with strings and longs, writable, raw,
 * var-size, INVALID).  Frames are checked with ioc_batch_req_check (batches too) and run
 * with ioc_batch_req_run, privileged or not by one bit of the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ioctl_compat.h"
#include "kstat_wire_batch.h"
#include "log.h"
#include "snapshot.h"

static struct snap *fs;
static kstat_named_t named[4], wr[3];

static struct snap *fixture(void)
{
	kstat_t *ksp;

	log_set_level(LOG_LVL_ERR);
	fs = snap_new();
	snap_named_init(&named[0], "s", KSTAT_DATA_STRING);
	snap_named_setstr(&named[0], "a string");
	snap_named_init(&named[1], "l", KS_DATA_KLONG);
	named[1].value.l = -5;
	snap_named_init(&named[2], "u", KS_DATA_KULONG);
	snap_named_init(&named[3], "n", KSTAT_DATA_UINT64);
	ksp = snap_create(fs, "f", 0, "named", "f", KSTAT_TYPE_NAMED, 4,
			  KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS);
	ksp->ks_data = named;
	snap_install(fs, ksp);
	snap_named_init(&wr[0], "v", KSTAT_DATA_UINT64);
	snap_named_init(&wr[1], "l", KS_DATA_KLONG);
	snap_named_init(&wr[2], "s", KSTAT_DATA_STRING);
	snap_named_setstr(&wr[2], "w");
	ksp = snap_create(fs, "f", 0, "rw", "f", KSTAT_TYPE_NAMED, 3,
			  KSTAT_FLAG_VIRTUAL | KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_WRITABLE);
	ksp->ks_data = wr;
	snap_install(fs, ksp);
	ksp = snap_create(fs, "f", 0, "raw", "f", KSTAT_TYPE_RAW, 64, KSTAT_FLAG_WRITABLE);
	snap_install(fs, ksp);
	ksp = snap_create(fs, "f", 0, "io", "f", KSTAT_TYPE_IO, 1, 0);
	snap_install(fs, ksp);
	(void)snap_create(fs, "f", 0, "invalid", "f", KSTAT_TYPE_RAW, 8, 0);
	return fs;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct ioc_out out = { 0 };
	struct snap_session ss = { 0 }; /* one connection's */
	struct snap *s = fs ? fs : fixture();

	while (size >= sizeof(struct ksw_req)) {
		struct ksw_req req;
		void *body = NULL;
		bool priv;

		memcpy(&req, data, sizeof(req));
		data += sizeof(req);
		size -= sizeof(req);
		/* the decoder sees every header; structured ones get past it more often */
		priv = req.ks_kid & 0x100;
		if (req.hdr_len & 1) {
			req.magic = KSW_REQ_MAGIC;
			req.version = KSW_VERSION;
			req.hdr_len = sizeof(req);
			req.body_len %= 4096;
			if (req.cmd & 1)
				req.cmd = KSTAT_IOC_BASE | (req.cmd >> 1) % 4;
			if (req.cmd != KSTAT_IOC_WRITE)
				req.body_len = 0;
			else if (req.ks_ndata & 0x10000)
				req.ks_data_size = req.body_len;
			req.ks_kid = (int32_t)((uint32_t)req.ks_kid % 8);
		}
		if (ioc_batch_req_check(&req))
			break;
		if (req.body_len > size)
			break;
		if (req.body_len) {
			body = malloc(req.body_len);
			memcpy(body, data, req.body_len);
		}
		data += req.body_len;
		size -= req.body_len;
		if (ioc_batch_req_run(s, &ss, &req, body, priv, &out) == 0) {
			const struct ksw_rep *rep = out.buf;

			/* a batch's items carry their own sizes; its reply stops at the cap after one */
			bool batch = req.cmd == KSW_CMD_READ_BATCH;

			if (out.len != sizeof(*rep) + rep->body_len ||
			    rep->magic != KSW_REP_MAGIC ||
			    (!batch && rep->body_len > req.ks_data_size) ||
			    (batch && rep->body_len > KSW_BATCH_MAX_REPLY && rep->rval != 1))
				abort();
		}
		free(body);
	}
	free(out.buf);
	return 0;
}
