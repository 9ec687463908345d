/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What a refresh program (bpf/kstat_refresh.bpf.h) needs to know of the
 * running kernel before it loads, written into its read-only data by name:
 *
 *	kstat_percpu_<var>	distance of per-CPU variable <var> from
 *				runqueues, from the kernel's BTF .data..percpu
 *	kstat_nr_cpus		possible CPUs
 *	kstat_page_shift	log2 of the page size
 */
#ifndef __KSTATD_PERCPU_BTF_H
#define __KSTATD_PERCPU_BTF_H

#include <stdint.h>

struct btf;
struct bpf_object;

/* Prefix of the read-only variables that name a per-CPU variable */
#define PERCPU_BTF_PREFIX "kstat_percpu_"

/*
 * Distance in bytes of per-CPU variable var from runqueues in a CPU's
 * per-CPU area, as vmlinux (the kernel's BTF) lays them out.  0 or
 * -ENOENT when the kernel has no such variable (or no runqueues).
 */
int percpu_btf_offset(const struct btf *vmlinux, const char *var, int64_t *off);

/*
 * Fill the variables above in obj's .rodata (before it loads); the ones
 * this kernel has no variable for keep their initial value (the program's
 * KSTAT_PERCPU_NONE), with a note in the log naming provider prov.
 * Returns the number of variables filled, or -errno.
 */
int percpu_btf_fill(struct bpf_object *obj, const struct btf *vmlinux, const char *prov);

#endif /* __KSTATD_PERCPU_BTF_H */
