/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Capabilities of a unix socket's peer as the kernel recorded them when
 * it connected (bpf/peercred.bpf.c), for the write check of the socket
 * server: state read later from /proc belongs to whatever the peer has
 * exec'd since, a setuid program included.
 */
#ifndef __KSTATD_PEERCRED_H
#define __KSTATD_PEERCRED_H

struct peercred;

/*
 * Load and attach the iterator: needs CAP_BPF and CAP_PERFMON, so before
 * kstatd drops its capabilities.  Returns NULL with errno set (what
 * libbpf said; EOPNOTSUPP where the kernel has no unix socket iterator,
 * before 5.17).
 */
struct peercred *peercred_open(void);

/*
 * Did the peer of the connected unix socket fd hold CAP_SYS_ADMIN in
 * kstatd's user namespace when it connected?  1 yes, 0 no, or -errno:
 * -ENOENT when the socket is not found (not in kstatd's network
 * namespace, or already closed).  Callers are serialised inside.
 */
int peercred_sys_admin(struct peercred *pc, int fd);

/* NULL is accepted. */
void peercred_free(struct peercred *pc);

#endif /* __KSTATD_PEERCRED_H */
