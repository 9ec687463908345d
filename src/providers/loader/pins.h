/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Pinned provider maps under the pin path, and the lock on it. */
#ifndef __KSTATD_PINS_H
#define __KSTATD_PINS_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_object;
struct bpf_map;

/* mkdir -p */
int pins_mkdir(const char *path);
/*
 * Create and lock the pin path (one kstatd per pin path), clearing it
 * first when reset.  Two locks: a flock on the directory (seen from any
 * network namespace) and its name as an abstract socket (*name_fd), which
 * removing the directory cannot release (-1 when a user other than root
 * holds that name, which is logged).  Returns the flock's fd, or -errno
 * (-EBUSY when another kstatd holds either) after logging why.
 */
int pins_take(const char *pin_path, bool reset, int *name_fd);
/*
 * Point obj's kstat maps at their pins in dir, reusing the compatible
 * ones and removing those whose layout changed (logged, naming provider
 * name).  Call before bpf_object__load(); libbpf pins the rest at load.
 */
int pins_reuse(struct bpf_object *obj, const char *name, const char *dir);
/*
 * Once obj loaded: remove the pins under dir of maps it does not have
 * (renamed or gone in a newer version of provider name), which nothing
 * would ever read or free.  Logged.
 */
void pins_remove_orphans(struct bpf_object *obj, const char *name, const char *dir);
/* Remove dir and every pin below it. */
int pins_remove(const char *dir);
/*
 * When the map pinned at path was pinned, in CLOCK_MONOTONIC ns (the
 * kstat engine's clock): when its counters began.  0 when unknown (NULL,
 * no pin).  Taken from the pin's change time, so a step of the wall
 * clock since shifts it.
 */
int64_t pins_since(const char *path);
/* Does map carry kstat tags (is it a kstat source worth pinning)? */
bool pins_is_kstat_map(const struct bpf_object *obj, const struct bpf_map *map);

#endif /* __KSTATD_PINS_H */
