// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stddef.h>

#include <bpf/libbpf.h>

#include "builtin.h"
#include "cpu_sys.skel.h"

const struct builtin builtins[] = {
	{ "cpu_sys", cpu_sys_bpf__elf_bytes, true },
};
const size_t nbuiltins = sizeof(builtins) / sizeof(builtins[0]);
