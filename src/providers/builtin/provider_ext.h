/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A built-in provider's own userspace: kstats that its maps cannot
 * describe by themselves, because they join the maps with the kernel's
 * books (the disk provider: /proc/diskstats and sysfs).  The loader calls
 * these beside its generic handling of the provider's kstat maps.
 */
#ifndef __KSTATD_PROVIDER_EXT_H
#define __KSTATD_PROVIDER_EXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct snap;
struct snap_stat_meta;
struct bpf_object;
struct btf;
struct pmap;

struct provider_ext {
	/*
	 * Before the object is loaded (programs to leave out, say), with the
	 * kernel's BTF (NULL if it has none), where the object loads (perhaps
	 * a child process, whence only which programs load and the internal
	 * maps' initial values come back: os/bpf_apart.h); may be NULL
	 */
	void (*prepare)(struct bpf_object *obj, const struct btf *vmlinux);
	/*
	 * After the object is loaded (its programs as prog_fds, the i-th
	 * program's descriptor or -1): private state, or NULL with errno
	 */
	void *(*open)(struct snap *s, struct bpf_object *obj, const int *prog_fds);
	/*
	 * Right after open: the provider's maps as kstats, whose
	 * pmap_refresh() (src/providers/maps/pmap.h) runs the refresh
	 * programs that fill them, the provider's and those of the providers
	 * sharing them; may be NULL
	 */
	void (*use_pmaps)(void *priv, struct pmap *const *pmaps, size_t n);
	/*
	 * At each sync, after the programs were attached or detached: bring
	 * the kstats in step.  Returns the kstats created plus deleted, or
	 * -errno.
	 */
	int (*sync)(void *priv, bool attached);
	/* Delete every kstat and free; NULL is accepted */
	void (*close)(void *priv);
	/* Number of kstats it serves */
	uint32_t (*count)(void *priv);
	/* More statistics of kstatd:0:<provider>, all UINT64 */
	uint32_t nstats;
	const char *const *stat_names;
	const struct snap_stat_meta *stat_meta;
	void (*stats)(void *priv, uint64_t *out);
};

#endif /* __KSTATD_PROVIDER_EXT_H */
