// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Big buffers in 2 MiB pages.  A buffer of megabytes written from start to
 * end faults in one 4 KiB page at a time, and where a fault is dear
 * (page-table isolation without PCID, a paravirtual host: 10-20 us each)
 * those faults cost more than the writing.  MADV_HUGEPAGE, honoured by a
 * kernel whose transparent huge pages are "always" or "madvise", makes it
 * one fault per 2 MiB; elsewhere it is a no-op.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "hugemem.h"

void hugemem_advise(void *p, size_t len)
{
	uintptr_t lo = ((uintptr_t)p + HUGEMEM_PAGE - 1) & ~(uintptr_t)(HUGEMEM_PAGE - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)(HUGEMEM_PAGE - 1);

	if (len >= HUGEMEM_MIN && hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}
