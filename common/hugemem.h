/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef __KSTATD_HUGEMEM_H
#define __KSTATD_HUGEMEM_H

#include <stddef.h>

#define HUGEMEM_PAGE (2u << 20)
/* below this, 4 KiB pages fault in fewer than a huge page costs to clear */
#define HUGEMEM_MIN (4u << 20)

/* Ask for huge pages on the 2 MiB-aligned part of [p, p + len), if len >= HUGEMEM_MIN */
void hugemem_advise(void *p, size_t len);

/*
 * realloc() for buffers that may grow to megabytes and are rebuilt on every
 * request (a scrape's text, samples and copies).  From HUGEMEM_MIN bytes
 * the buffer is a mapping of its own, in huge pages from its first touch,
 * and hugemem_free() unmaps it: no malloc arena keeps its pages after the
 * request.  Smaller ones come from malloc.  p is NULL or from
 * hugemem_realloc(); memory is not cleared.  NULL (errno ENOMEM) if it
 * cannot, p then left as it was.
 */
void *hugemem_realloc(void *p, size_t n);
/* Free what hugemem_realloc() returned (NULL is fine) */
void hugemem_free(void *p);

#endif /* __KSTATD_HUGEMEM_H */
