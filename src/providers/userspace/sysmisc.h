/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * kstats computed in userspace, where BPF adds nothing: unix:0:system_misc
 * (from /proc and sysinfo) and kstatd:0:engine (the engine's own work).
 */
#ifndef __KSTATD_SYSMISC_H
#define __KSTATD_SYSMISC_H

struct snap;
struct loader;
struct sysmisc;

/* Create both kstats; loader may be NULL (no map-drop totals). */
struct sysmisc *sysmisc_new(struct snap *s, struct loader *ld);
/* Delete both kstats; NULL is accepted. */
void sysmisc_free(struct sysmisc *sm);

#endif /* __KSTATD_SYSMISC_H */
