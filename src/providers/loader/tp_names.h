/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The kernel's tracepoints, from its BTF, without keeping the BTF (tp_names.c) */
#ifndef __KSTATD_TP_NAMES_H
#define __KSTATD_TP_NAMES_H

#include <stdbool.h>

struct tp_names;

/* NULL with errno when the kernel has no BTF or memory runs out */
struct tp_names *tp_names_load(void);
/* Does the kernel have tracepoint name (what follows "tp_btf/")? */
bool tp_names_has(const struct tp_names *t, const char *name);
void tp_names_free(struct tp_names *t);

#endif /* __KSTATD_TP_NAMES_H */
