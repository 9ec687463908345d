// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Big buffers in 2 MiB pages.  A buffer of megabytes written from start to
 * end faults in one 4 KiB page at a time, and where a fault is dear
 * (page-table isolation without PCID, a paravirtual host: 10-20 us each)
 * those faults cost more than the writing.  MADV_HUGEPAGE, honoured by a
 * kernel whose transparent huge pages are "always" or "madvise", makes it
 * one fault per 2 MiB; elsewhere it is a no-op.
 *
 * Advice on malloc'ed memory is not enough for buffers made anew on every
 * request: glibc raises its mmap threshold as big blocks are freed, so
 * the next ones come from an arena, which keeps their huge pages after
 * free() (measured: a daemon's RSS 83 -> 115 MB after six 100k-kstat
 * scrapes).  So a big buffer is a mapping of its own, unmapped on free.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hugemem.h"

/* In front of every buffer, so that hugemem_free() needs only the pointer */
struct hugemem_hdr {
	size_t mapped; /* the mapping's length, 0 if from malloc */
	size_t size;   /* what was asked for */
};

void hugemem_advise(void *p, size_t len)
{
	uintptr_t lo = ((uintptr_t)p + HUGEMEM_PAGE - 1) & ~(uintptr_t)(HUGEMEM_PAGE - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)(HUGEMEM_PAGE - 1);

	if (len >= HUGEMEM_MIN && hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

/* A mapping of len bytes (a multiple of HUGEMEM_PAGE, which Linux aligns to it) */
static struct hugemem_hdr *map_huge(size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	hugemem_advise(m, len);
	return m;
}

void *hugemem_realloc(void *p, size_t n)
{
	struct hugemem_hdr *h = p ? (struct hugemem_hdr *)p - 1 : NULL, *nh;
	size_t len;

	if (n > SIZE_MAX - sizeof(*h) - HUGEMEM_PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	if (n < HUGEMEM_MIN && (!h || !h->mapped)) {
		nh = realloc(h, sizeof(*h) + n);
		if (!nh)
			return NULL;
		nh->mapped = 0;
		nh->size = n;
		return nh + 1;
	}
	len = (sizeof(*h) + n + HUGEMEM_PAGE - 1) & ~(size_t)(HUGEMEM_PAGE - 1);
	if (h && h->mapped >= len) {
		h->size = n;
		return p;
	}
	if (h && h->mapped) {
		/* the pages move with their table entries: nothing is copied */
		nh = mremap(h, h->mapped, len, MREMAP_MAYMOVE);
		if (nh == MAP_FAILED)
			return NULL;
		hugemem_advise(nh, len);
	} else {
		nh = map_huge(len);
		if (!nh)
			return NULL;
		if (h) {
			memcpy(nh + 1, h + 1, h->size < n ? h->size : n);
			free(h);
		}
	}
	nh->mapped = len;
	nh->size = n;
	return nh + 1;
}

void hugemem_free(void *p)
{
	struct hugemem_hdr *h = p ? (struct hugemem_hdr *)p - 1 : NULL;

	if (!h)
		return;
	if (h->mapped)
		(void)munmap(h, h->mapped);
	else
		free(h);
}
