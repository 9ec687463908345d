/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * unix:0:sysinfo, the RAW sysinfo_t of illumos: each second, the threads
 * waiting to run and those waiting for I/O are added to running sums, and
 * updates counts the seconds (the 1 Hz tick of src/tick.h), so that
 * vmstat's r and b are the averages over any interval:
 * delta(runque) / delta(updates).
 */
#ifndef __KSTATD_UNIX_SYSINFO_H
#define __KSTATD_UNIX_SYSINFO_H

#include <stdint.h>

struct snap;
struct unix_sysinfo;

/*
 * One second's sample: threads queued to run (not running) and threads
 * waiting for I/O, over all CPUs.  Returns 0, or -errno to skip the second.
 */
typedef int unix_sysinfo_sample_fn(void *ctx, uint64_t *queued, uint64_t *iowait);

/* Create and install the kstat and start sampling; NULL with errno */
struct unix_sysinfo *unix_sysinfo_new(struct snap *s, unix_sysinfo_sample_fn *sample, void *ctx);
/* One second's sums, as the tick adds them (tests drive it by hand) */
void unix_sysinfo_tick(void *usi);
/* Stop sampling and delete the kstat; NULL is accepted */
void unix_sysinfo_free(struct unix_sysinfo *usi);

#endif /* __KSTATD_UNIX_SYSINFO_H */
