/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef __KSTATD_HUGEMEM_H
#define __KSTATD_HUGEMEM_H

#include <stddef.h>

#define HUGEMEM_PAGE (2u << 20)
/* below this, 4 KiB pages fault in fewer than a huge page costs to clear */
#define HUGEMEM_MIN (4u << 20)

/* Ask for huge pages on the 2 MiB-aligned part of [p, p + len), if len >= HUGEMEM_MIN */
void hugemem_advise(void *p, size_t len);

#endif /* __KSTATD_HUGEMEM_H */
