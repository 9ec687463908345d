/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The kernel's device events (uevents), to tell whether a subsystem's
 * devices may have changed since last asked, instead of rescanning sysfs
 * on every sync.
 */
#ifndef __KSTATD_UEVENT_H
#define __KSTATD_UEVENT_H

#include <stdbool.h>

/* A non-blocking socket on the kernel's uevents, or -errno */
int uevent_open(void);

/*
 * Read every event queued on fd: true if one was of subsystem (its
 * SUBSYSTEM= key), or if some may have been lost (the socket's buffer
 * overflowed) or the socket failed: the caller rescans then.
 */
bool uevent_seen(int fd, const char *subsystem);

#endif /* __KSTATD_UEVENT_H */
