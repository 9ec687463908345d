/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The kstats OpenZFS keeps on Linux, served as the kstats they are: its
 * Solaris Porting Layer prints each one under /proc/spl/kstat/<module>/<name>
 * (zfs/arcstats, zfs/<pool>/txgs, ...), with its kid, type, flags and
 * data.  Each file becomes <module>:0:<name> with that type and data,
 * read again on every read of the kstat; files that appear and go (a pool
 * imported or exported, a dataset mounted) are followed at each sync.
 */
#ifndef __KSTATD_ZFS_KSTATS_H
#define __KSTATD_ZFS_KSTATS_H

#define ZFS_KSTATS_DIR "/proc/spl/kstat"

struct snap;
struct zfs_kstats;

/* Serve the files under dir (none yet: see zfs_kstats_sync); NULL with errno */
struct zfs_kstats *zfs_kstats_new(struct snap *s, const char *dir);
/*
 * Create the kstats of files that appeared, delete those of files that
 * went, and recreate those whose shape changed.  Returns the kstats
 * created plus deleted, or -errno.  One caller at a time.
 */
int zfs_kstats_sync(struct zfs_kstats *zk);
/* Delete every kstat; NULL is accepted */
void zfs_kstats_free(struct zfs_kstats *zk);

#endif /* __KSTATD_ZFS_KSTATS_H */
