/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The once-a-second clock of the kstats illumos updates from clock():
 * unix:0:sysinfo and unix:0:vminfo sum what they sample each second.  One
 * thread for the whole daemon runs every registered callback once a
 * second on a schedule that does not drift.  The thread starts only when
 * tick_start() is called: capability sets are per thread, so kstatd calls
 * it after dropping its capabilities, and a thread started earlier would
 * keep them all.
 */
#ifndef __KSTATD_TICK_H
#define __KSTATD_TICK_H

typedef void tick_fn(void *arg);

/* Call fn(arg) each second from now on (once the thread runs): 0 or -errno */
int tick_add(tick_fn *fn, void *arg);
/*
 * Stop calling fn(arg); on return no call of it is running.  The caller
 * must not hold a lock that fn takes.
 */
void tick_remove(tick_fn *fn, void *arg);

/* Start the thread (again after tick_stop): 0 or -errno */
int tick_start(void);
/* Stop and join the thread; callbacks stay registered */
void tick_stop(void);

#endif /* __KSTATD_TICK_H */
