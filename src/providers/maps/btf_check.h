/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A BPF object's BTF, checked before libbpf opens the object: libbpf 1.1
 * follows type references and name offsets of an object's BTF without
 * checking them, and a bad one (a provider file damaged or crafted)
 * crashes it, or sends it round a typedef cycle forever.
 */
#ifndef __KSTATD_BTF_CHECK_H
#define __KSTATD_BTF_CHECK_H

#include <stddef.h>

/*
 * Check the .BTF section of the ELF object in [data, size): every type
 * and string it refers to exists, and modifier chains end.  Data that is
 * not ELF, or has no BTF, passes: libbpf refuses the one, and
 * schema_parse finds no kstat maps in the other.  Returns 0, or -EINVAL
 * (-ENOMEM) with a one-line reason in err.
 */
int btf_check_elf(const void *data, size_t size, char *err, size_t errlen);

#endif /* __KSTATD_BTF_CHECK_H */
