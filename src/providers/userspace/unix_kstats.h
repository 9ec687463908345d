/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * illumos's memory kstats from what Linux says of its memory
 * (/proc/meminfo, /proc/zoneinfo): unix:0:system_pages, NAMED, read on
 * each read, and unix:0:vminfo, the RAW vminfo_t of <sys/sysinfo.h>,
 * whose sums the 1 Hz tick (src/tick.h) adds to.
 */
#ifndef __KSTATD_UNIX_KSTATS_H
#define __KSTATD_UNIX_KSTATS_H

struct snap;
struct unix_kstats;

/* Create and install both kstats; NULL with errno */
struct unix_kstats *unix_kstats_new(struct snap *s);
/* One second's vminfo sums, as the tick adds them (tests drive it by hand) */
void unix_kstats_tick(void *uk);
/* Delete both kstats; NULL is accepted */
void unix_kstats_free(struct unix_kstats *uk);

#endif /* __KSTATD_UNIX_KSTATS_H */
