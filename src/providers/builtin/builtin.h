/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The providers compiled into kstatd, as libbpf skeletons embed them. */
#ifndef __KSTATD_BUILTIN_H
#define __KSTATD_BUILTIN_H

#include <stdbool.h>
#include <stddef.h>

struct provider_ext;

struct builtin {
	const char *name;
	const void *(*elf_bytes)(size_t *size);
	bool default_on; /* attached at start; off for syscall-path hooks */
};

extern const struct builtin builtins[];
extern const size_t builtin_count;

/* The userspace of the built-in provider called name, or NULL */
const struct provider_ext *builtin_ext(const char *name);

#endif /* __KSTATD_BUILTIN_H */
