/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The namespace helper.  One thing kstatd does at run time takes more than
 * CAP_BPF and CAP_PERFMON: naming the interfaces of another network
 * namespace (entering it takes CAP_SYS_ADMIN, finding a process inside
 * CAP_SYS_PTRACE).  Before kstatd drops its capabilities it forks this
 * helper, which keeps those two and nothing else, holds no descriptor but
 * its end of a socketpair, and answers only that question: the process
 * that parses socket and HTTP requests holds neither capability.
 */
#ifndef __KSTATD_NSHELPER_H
#define __KSTATD_NSHELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nsh_op {
	NSH_NETNS_LINKS = 1, /* arg: a netns inode; status: enum ns_state, payload: cookie, links */
};

/*
 * Fork the helper; in the child, keep_privs keeps what it needs (0 or
 * -errno).  Call while kstatd is one thread.  Returns its pid, or -errno.
 */
int nshelper_start(int (*keep_privs)(void));
/* Close its socket and reap it; harmless without one */
void nshelper_stop(void);

/*
 * Ask the helper: 0 with its status and a malloc'ed payload (NULL when
 * empty), -ENOSYS without a helper, -EPIPE if it went away (never asked
 * again).  Serialised: one question at a time.
 */
int nshelper_call(enum nsh_op op, uint32_t arg, int32_t *status, void **payload, size_t *len);

/* The answer, in the helper (and in kstatd itself without one) */
int32_t keydec_net_links(uint32_t ino, void **payload, size_t *len);

#endif /* __KSTATD_NSHELPER_H */
