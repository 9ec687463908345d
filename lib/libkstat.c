// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libkstat with illumos semantics (kstat(3KSTAT)) over kstatd's socket:
 * the chain is a copy of kid 0's headers, refreshed only when the chain
 * id moves and without disturbing unchanged entries; reads retry EAGAIN
 * after 100 ms and grow the buffer of a variable-size kstat on ENOMEM.
 * Functions return -1 or NULL with errno set, as on illumos.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kstat.h>

#include "kstat_client.h"

/* How long a reader waits before asking again for an INVALID kstat */
#define EAGAIN_BACKOFF_MS 100

static void free_entry(kstat_t *ksp)
{
	free(ksp->ks_data);
	free(ksp);
}

kstat_ctl_t *kstat_open(void)
{
	kstat_ctl_t *kc;
	int fd, err;

	fd = kcl_connect();
	if (fd < 0)
		return NULL;
	kc = calloc(1, sizeof(*kc));
	if (!kc) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	kc->kc_kd = fd;
	if (kstat_chain_update(kc) == -1) {
		err = errno;
		(void)kstat_close(kc);
		errno = err;
		return NULL;
	}
	return kc;
}

int kstat_close(kstat_ctl_t *kc)
{
	kstat_t *ksp, *next;
	int rc;

	for (ksp = kc->kc_chain; ksp; ksp = next) {
		next = ksp->ks_next;
		free_entry(ksp);
	}
	rc = close(kc->kc_kd);
	free(kc);
	return rc;
}

kid_t kstat_read(kstat_ctl_t *kc, kstat_t *ksp, void *buf)
{
	kid_t kcid;

	if (!ksp->ks_data && ksp->ks_data_size > 0) {
		ksp->ks_data = calloc(1, ksp->ks_data_size);
		if (!ksp->ks_data)
			return -1;
	}
	while ((kcid = kcl_ioctl(kc->kc_kd, KSTAT_IOC_READ, ksp)) == -1) {
		if (errno == EAGAIN) {
			(void)poll(NULL, 0, EAGAIN_BACKOFF_MS);
			continue;
		}
		/*
		 * A variable-size kstat may have outgrown the buffer: the reply
		 * says how large it is now (ks_data_size, ks_flags), so grow to
		 * that and ask again.  It settles within a pass or two.  A
		 * fixed-size kstat never grows, so a short buffer is the
		 * caller's error.
		 */
		if (errno == ENOMEM &&
		    (ksp->ks_flags & (KSTAT_FLAG_VAR_SIZE | KSTAT_FLAG_LONGSTRINGS))) {
			free(ksp->ks_data);
			ksp->ks_data = calloc(1, ksp->ks_data_size ? ksp->ks_data_size : 1);
			if (ksp->ks_data)
				continue;
			errno = ENOMEM;
		}
		return -1;
	}
	if (buf) {
		memcpy(buf, ksp->ks_data, ksp->ks_data_size);
		/* the strings of a named kstat follow its array: point at buf's copies */
		if (ksp->ks_type == KSTAT_TYPE_NAMED &&
		    ksp->ks_data_size != ksp->ks_ndata * sizeof(kstat_named_t)) {
			kstat_named_t *kn = buf;

			for (uint_t i = 0; i < ksp->ks_ndata; i++) {
				char *p = KSTAT_NAMED_STR_PTR(&kn[i]);

				if (kn[i].data_type != KSTAT_DATA_STRING || !p)
					continue;
				KSTAT_NAMED_STR_PTR(&kn[i]) =
					(char *)buf + (p - (char *)ksp->ks_data);
			}
		}
	}
	return kcid;
}

kid_t kstat_write(kstat_ctl_t *kc, kstat_t *ksp, void *buf)
{
	kid_t kcid;

	if (!ksp->ks_data && ksp->ks_data_size > 0) {
		ksp->ks_data = calloc(1, ksp->ks_data_size);
		if (!ksp->ks_data)
			return -1;
	}
	if (buf) {
		memcpy(ksp->ks_data, buf, ksp->ks_data_size);
		/* string pointers into buf become pointers into ks_data */
		if (ksp->ks_type == KSTAT_TYPE_NAMED) {
			kstat_named_t *src = buf, *dst = ksp->ks_data;

			for (uint_t i = 0; i < ksp->ks_ndata; i++) {
				if (dst[i].data_type != KSTAT_DATA_STRING ||
				    !KSTAT_NAMED_STR_PTR(&dst[i]))
					continue;
				KSTAT_NAMED_STR_PTR(&dst[i]) =
					(char *)ksp->ks_data +
					(KSTAT_NAMED_STR_PTR(&src[i]) - (char *)buf);
			}
		}
	}
	while ((kcid = kcl_ioctl(kc->kc_kd, KSTAT_IOC_WRITE, ksp)) == -1) {
		if (errno != EAGAIN)
			break;
		(void)poll(NULL, 0, EAGAIN_BACKOFF_MS);
	}
	return kcid;
}

/* Is ksp the kstat that header h describes? */
static int same_kstat(const kstat_t *ksp, const kstat_t *h)
{
	return ksp->ks_kid == h->ks_kid && ksp->ks_type == h->ks_type &&
	       ksp->ks_instance == h->ks_instance && strcmp(ksp->ks_module, h->ks_module) == 0 &&
	       strcmp(ksp->ks_name, h->ks_name) == 0;
}

/*
 * Bring kc_chain in step with kid 0.  Both lists are in kid order, so one
 * pass keeps each entry whose kid is still there (same pointer, same
 * header, same cached data), frees the others, and appends the new ones.
 * An entry is kept only if its names match too: kstatd never reuses a kid
 * within a boot, but a kstatd started with --reset or without pins across
 * a reconnect could.
 */
kid_t kstat_chain_update(kstat_ctl_t *kc)
{
	kstat_t k0, *headers, *ksp, **linkp;
	uint_t n, i = 0;
	kid_t kcid;

	kcid = kcl_ioctl(kc->kc_kd, KSTAT_IOC_CHAIN_ID, NULL);
	if (kcid == -1)
		return -1;
	if (kcid == kc->kc_chain_id)
		return 0;

	memset(&k0, 0, sizeof(k0));
	strcpy(k0.ks_module, "unix");
	strcpy(k0.ks_name, "kstat_headers");
	kcid = kstat_read(kc, &k0, NULL);
	if (kcid == -1) {
		free(k0.ks_data);
		return -1;
	}
	headers = k0.ks_data;
	n = k0.ks_ndata;

	linkp = &kc->kc_chain;
	while ((ksp = *linkp) != NULL) {
		if (i < n && same_kstat(ksp, &headers[i])) {
			linkp = &ksp->ks_next;
			i++;
		} else {
			*linkp = ksp->ks_next;
			free_entry(ksp);
		}
	}
	for (; i < n; i++) {
		ksp = malloc(sizeof(*ksp));
		if (!ksp) {
			free(headers);
			errno = ENOMEM;
			return -1;
		}
		*ksp = headers[i];
		ksp->ks_next = NULL;
		ksp->ks_data = NULL;
		*linkp = ksp;
		linkp = &ksp->ks_next;
	}
	free(headers);
	kc->kc_chain_id = kcid;
	return kcid;
}

kstat_t *kstat_lookup(kstat_ctl_t *kc, const char *ks_module, int ks_instance, const char *ks_name)
{
	for (kstat_t *ksp = kc->kc_chain; ksp; ksp = ksp->ks_next) {
		if ((!ks_module || strcmp(ksp->ks_module, ks_module) == 0) &&
		    (ks_instance == -1 || ksp->ks_instance == ks_instance) &&
		    (!ks_name || strcmp(ksp->ks_name, ks_name) == 0))
			return ksp;
	}
	errno = ENOENT;
	return NULL;
}

void *kstat_data_lookup(kstat_t *ksp, const char *name)
{
	size_t stride;
	char *rec;

	switch (ksp->ks_type) {
	case KSTAT_TYPE_NAMED:
		stride = sizeof(kstat_named_t);
		break;
	case KSTAT_TYPE_TIMER:
		stride = sizeof(kstat_timer_t);
		break;
	default:
		errno = EINVAL;
		return NULL;
	}
	/* both records begin with their name; unread data has no names */
	rec = ksp->ks_data;
	for (uint_t i = 0; rec && i < ksp->ks_ndata; i++, rec += stride)
		if (strcmp(name, rec) == 0)
			return rec;
	errno = ENOENT;
	return NULL;
}
