/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libkstat, as illumos <kstat.h> declares it: kstat_ctl_t and the seven
 * functions of kstat(3KSTAT), so that illumos sources build unchanged.
 * On Linux kc_kd is a connection to kstatd's socket ($KSTAT_SOCKET, or
 * /run/kstatd/kstat.sock) instead of an open /dev/kstat.
 */
#ifndef __KSTATD_KSTAT_H
#define __KSTATD_KSTAT_H

#include <sys/types.h>
#include <sys/kstat.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * kstat_open() returns a pointer to a kstat_ctl_t.
 * This is used for subsequent libkstat operations.
 */
typedef struct kstat_ctl {
	kid_t kc_chain_id; /* current kstat chain ID */
	kstat_t *kc_chain; /* pointer to kstat chain */
	int kc_kd;         /* /dev/kstat descriptor (here: kstatd's socket) */
} kstat_ctl_t;

extern kstat_ctl_t *kstat_open(void);
extern int kstat_close(kstat_ctl_t *);
extern kid_t kstat_read(kstat_ctl_t *, kstat_t *, void *);
extern kid_t kstat_write(kstat_ctl_t *, kstat_t *, void *);
extern kid_t kstat_chain_update(kstat_ctl_t *);
extern kstat_t *kstat_lookup(kstat_ctl_t *, const char *, int, const char *);
extern void *kstat_data_lookup(kstat_t *, const char *);

/*
 * Not in illumos: kstat_read(kc, ksps[i], NULL) for each of n kstats, in
 * one round trip per batch when kstatd offers it (libkstat(3)).  errs[i]
 * (errs may be NULL) gets 0 or the errno that kstat_read() would have
 * set.  Returns how many were read, or -1 with errno for bad arguments.
 */
extern int kstat_read_batch(kstat_ctl_t *, kstat_t **, int, int *);

#ifdef __cplusplus
}
#endif

#endif /* __KSTATD_KSTAT_H */
