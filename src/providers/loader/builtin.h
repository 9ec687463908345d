/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The providers compiled into kstatd, as libbpf skeletons embed them. */
#ifndef __KSTATD_BUILTIN_H
#define __KSTATD_BUILTIN_H

#include <stdbool.h>
#include <stddef.h>

struct builtin {
	const char *name;
	const void *(*elf_bytes)(size_t *size);
	bool default_on; /* attached at start; off for syscall-path hooks */
};

extern const struct builtin builtins[];
extern const size_t builtin_count;

#endif /* __KSTATD_BUILTIN_H */
