/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * BPF objects loaded in a child process.  libbpf 1.1 parses the kernel's
 * whole BTF (11 MB with its copy and index) for every object it loads
 * with CO-RE relocations or BTF-typed programs.  Loaded in a forked child,
 * that parse never counts in kstatd's memory: the child hands back the
 * maps' and programs' descriptors and exits.  A libbpf that crashes on an
 * object takes only the child down.
 */
#ifndef __KSTATD_BPF_APART_H
#define __KSTATD_BPF_APART_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct bpf_program;

/* Run in the child before the load: 0, or -errno with err filled */
typedef int bpf_apart_prep_fn(struct bpf_object *obj, void *arg, char *err, size_t errlen);

/* The room for an error's words in bpf_apart_prepare() */
#define BPF_APART_ERRLEN 256

/* Can prog be attached from its descriptor alone (bpf_apart_attach())? */
bool bpf_apart_attachable(const struct bpf_program *prog);

/* The number of programs of obj */
size_t bpf_apart_nprogs(const struct bpf_object *obj);

/* The descriptor of prog (NULL: -1) among prog_fds, the programs of obj in order */
int bpf_apart_prog_fd(const struct bpf_object *obj, const int *prog_fds,
		      const struct bpf_program *prog);

/*
 * Load obj (opened, not loaded) in a child that runs prep (may be NULL)
 * first.  On success the maps of obj hold the child's maps (as
 * bpf_map__reuse_fd() does), and prog_fds[i] (bpf_apart_nprogs() of
 * them) is the i-th program's descriptor, the caller's to close, or -1
 * where the program stays unloaded; obj itself stays unloaded for libbpf,
 * so its programs are attached with bpf_apart_attach().  0, or -errno
 * with err filled: -ECHILD when no child could be started (fork refused:
 * a pids limit, a seccomp filter), which the caller may take as a cue to
 * load in process.
 */
int bpf_apart_load(struct bpf_object *obj, bpf_apart_prep_fn *prep, void *arg, int *prog_fds,
		   char *err, size_t errlen);

/*
 * Prepare objs[0..n) (opened, not loaded) in one child: prep(objs[i],
 * args[i]) for each, whose 0 or -errno lands in rets[i], its words in
 * errs[i].  What a prepare may change comes back into the objects that
 * it prepared: which programs load, and the internal maps' (.rodata,
 * .data, .bss) initial values.  One child for many objects: what their
 * prepares share (a parse of the kernel's BTF, say) is made once there.
 * Returns how many objects, from the first, were prepared (their rets
 * and errs are their prepares'); the rest were not, for the child could
 * not run or finish: their rets say why (-ECHILD: no child could be
 * started), and so do their errs.
 */
int bpf_apart_prepare(struct bpf_object *const *objs, void *const *args, size_t n,
		      bpf_apart_prep_fn *prep, int *rets, char (*errs)[BPF_APART_ERRLEN]);

/*
 * Attach prog, loaded as prog_fd, where its section says: a link's (or
 * raw tracepoint's) descriptor, or -errno.  Iterators get the link to
 * make them with bpf_iter_create().
 */
int bpf_apart_attach(const struct bpf_program *prog, int prog_fd);

#endif /* __KSTATD_BPF_APART_H */
