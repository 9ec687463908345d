/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The namespace helper.  One thing kstatd does at run time takes more than
 * CAP_BPF and CAP_PERFMON: opening a way into another network namespace
 * (entering it takes CAP_SYS_ADMIN, finding a process inside
 * CAP_SYS_PTRACE).  Before kstatd drops its capabilities it forks this
 * helper, which keeps those two and nothing else, holds no descriptor but
 * its end of a socketpair, and answers only the questions registered with
 * it (providers/books/netns.c registers that one), with descriptors opened
 * inside the namespace (netns_enter.h) that let kstatd read its books, and
 * do nothing else, without privileges: the process
 * that parses socket and HTTP requests holds neither capability.
 */
#ifndef __KSTATD_NSHELPER_H
#define __KSTATD_NSHELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NSH_MAX_FDS 8

/*
 * The answer to one question, computed in the helper: a status (0 or
 * -errno) and, with 0, *nfds (at most NSH_MAX_FDS) descriptors in fds,
 * which the helper passes to kstatd and then closes.
 */
typedef int32_t nshelper_answer_fn(uint32_t arg, uint32_t arg2, int *fds, uint32_t *nfds);

/*
 * What the helper answers: question op gets answer(arg, arg2).  The one
 * who asks registers it (op > 0, each once), before nshelper_start(): the
 * helper knows what was registered when it was forked.  0 or -errno.
 */
int nshelper_register(uint32_t op, nshelper_answer_fn *answer);

/*
 * Fork the helper; in the child, keep_privs keeps what it needs (0 or
 * -errno).  Call while kstatd is one thread.  Returns its pid, or -errno.
 */
int nshelper_start(int (*keep_privs)(void));
/* Close its socket and reap it; harmless without one */
void nshelper_stop(void);

/*
 * Ask the helper: 0 with its status and the descriptors it sent (up to
 * maxfds into fds, their number in *nfds; more are closed), -ENOSYS
 * without a helper, -EPIPE if it went away (never asked again).
 * Serialised: one question at a time.
 */
int nshelper_call(uint32_t op, uint32_t arg, uint32_t arg2, int32_t *status, int *fds,
		  size_t maxfds, size_t *nfds);

#endif /* __KSTATD_NSHELPER_H */
