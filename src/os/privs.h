/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What kstatd keeps once it runs: CAP_BPF and CAP_PERFMON, since drop-in
 * providers and writes of kstatd:0:config load and attach programs later;
 * every other capability goes from the effective, permitted, inheritable,
 * ambient and bounding sets, and no exec may gain any back.  Also the
 * systemd readiness protocol, which needs no libsystemd.
 */
#ifndef __KSTATD_PRIVS_H
#define __KSTATD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/capability.h>

/* older headers than the kernel kstatd runs on */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * Drop every capability but CAP_BPF and CAP_PERFMON (and CAP_SYS_ADMIN
 * when one of those two is not held: kernels before 5.8 have neither) and
 * set no_new_privs.  Capability sets are per thread: call it before any
 * thread starts.  kept gets the names kept ("cap_bpf cap_perfmon").
 * Returns 0 or -errno.
 */
int privs_drop(char *kept, size_t len);

/*
 * Keep the capabilities of mask want (1 << CAP_...) that are permitted,
 * drop the rest as privs_drop does.  0 or -errno.
 */
int privs_keep(uint64_t want, char *kept, size_t len);

/* Is cap in the effective set? */
bool privs_have(int cap);

/* Send one sd_notify(3) message ("READY=1") if NOTIFY_SOCKET is set: 0 or -errno */
int privs_notify(const char *msg);

#endif /* __KSTATD_PRIVS_H */
