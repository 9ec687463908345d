// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A report of thousands of kstats allocates megabytes in small pieces
 * (headers, data, statistics).  Page by page, each first touch is a fault,
 * and where a fault is dear (page-table isolation without PCID, a
 * paravirtual host: 10-20 us here) those faults were a fifth of a 10k-kstat
 * `kstat -p`.  So before such a report the heap grows at once by what it
 * will need, and the kernel is asked (MADV_HUGEPAGE, honoured in its
 * "madvise" mode) to back that room with 2 MiB pages: a few faults instead
 * of thousands.  Nothing changes where the kernel says no.  kstat.c asks
 * once before kstat_open() reads the chain, its size unknown yet, and
 * again for the report once the chain says how many kstats it has.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/hugemem.h"
#include "ks.h"

/* what a kstat of a report costs the heap, roughly: header, data, statistics */
#define KS_HEAP_PER_KSTAT 1536
/* glibc's starting M_TOP_PAD, M_TRIM_THRESHOLD and M_MMAP_THRESHOLD (mallopt(3)) */
#define KS_HEAP_GLIBC_DEFAULT (128 * 1024)

void ks_heap_reserve(size_t nkstats)
{
	size_t want = nkstats < (INT32_MAX / 4) / KS_HEAP_PER_KSTAT ? nkstats * KS_HEAP_PER_KSTAT
								    : INT32_MAX / 4;
	uintptr_t top;
	void *p;

	if (want < HUGEMEM_MIN)
		return;
	/* from the brk heap, kept there when freed, grown by want at once */
	if (!mallopt(M_MMAP_THRESHOLD, (int)want * 2) ||
	    !mallopt(M_TRIM_THRESHOLD, (int)want * 2) || !mallopt(M_TOP_PAD, (int)want))
		return;
	p = malloc(want); /* untouched: only its header is written */
	if (!p) {
		/* refused (strict overcommit): no later growth may ask for the pad */
		(void)mallopt(M_TOP_PAD, KS_HEAP_GLIBC_DEFAULT);
		(void)mallopt(M_TRIM_THRESHOLD, KS_HEAP_GLIBC_DEFAULT);
		(void)mallopt(M_MMAP_THRESHOLD, KS_HEAP_GLIBC_DEFAULT);
		return;
	}
	top = (uintptr_t)sbrk(0);
	if (top > (uintptr_t)p) /* the room from p to the heap's end */
		hugemem_advise(p, top - (uintptr_t)p);
	free(p);
}
