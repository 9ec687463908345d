/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The kid counter kept in the pin path, so that kids and chain ids are
 * never reused within a boot, even across kstatd restarts: a client that
 * outlives a kstatd (libkstat reconnects by itself) then finds its old
 * kids gone (ENXIO), never another kstat behind one of them, and its old
 * chain id different from the new one.  Kids are recorded a block ahead,
 * so a killed kstatd loses at most the rest of a block.
 */
#ifndef __KSTATD_KIDSTORE_H
#define __KSTATD_KIDSTORE_H

#define KIDSTORE_PIN "kid_counter"

struct snap;
struct kidstore;

/*
 * Open (or create) <pin_path>/kid_counter and move s's counter past every
 * kid an earlier run of this boot handed out.  Call before any kstat
 * beyond kid 1 is created.  Returns NULL with errno set (the counter then
 * starts at 2, as without a pin path).
 */
struct kidstore *kidstore_open(struct snap *s, const char *pin_path);
/* Stop recording (s counts on unrecorded); NULL is accepted. */
void kidstore_free(struct kidstore *ks);

#endif /* __KSTATD_KIDSTORE_H */
