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

/*
 * The answer to one question, computed in the helper (and in kstatd
 * itself without one): a status and a malloc'ed payload (NULL when empty).
 */
typedef int32_t nshelper_answer_fn(uint32_t arg, void **payload, size_t *len);

/*
 * What the helper answers: question op gets answer(arg).  The one who
 * asks registers it (op > 0, each once), before nshelper_start(): the
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
 * Ask the helper: 0 with its status and a malloc'ed payload (NULL when
 * empty), -ENOSYS without a helper, -EPIPE if it went away (never asked
 * again).  Serialised: one question at a time.
 */
int nshelper_call(uint32_t op, uint32_t arg, int32_t *status, void **payload, size_t *len);

#endif /* __KSTATD_NSHELPER_H */
