/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Every entry of a large hash map read by a program in the kernel
 * (bpf/hash_reader.bpf.c) into an array mapped here: one BPF_PROG_RUN a
 * read, no bucket locks.  Records come out in the map's bucket order, the
 * order of a batch read, each the key in 8 bytes and then the value as a
 * batch read lays it out.  Without the locks, a walk may miss an entry or
 * see one twice where an element is deleted and reused during it (the
 * walk follows it into its new bucket); an entry deleted while it is
 * copied is left out.
 */
#ifndef __KSTATD_HASH_READER_H
#define __KSTATD_HASH_READER_H

#include <stddef.h>
#include <stdint.h>

struct bpf_map_info;
struct hash_reader;

/*
 * A reader of the hash map map_fd (info: its type and sizes) with room
 * for cap records, ncpus being the possible CPUs.  NULL with err filled
 * (and errno set) where the kernel refuses the program: kernels before
 * 5.19, or a map type it cannot walk.
 */
struct hash_reader *hash_reader_new(int map_fd, const struct bpf_map_info *info, size_t cap,
				    int ncpus, char *err, size_t errlen);

/* Run it: the number of records written (at most cap), or -errno */
long hash_reader_read(struct hash_reader *r);

/* The records: the first, and the bytes from one to the next */
void *hash_reader_records(const struct hash_reader *r);
size_t hash_reader_step(const struct hash_reader *r);
size_t hash_reader_cap(const struct hash_reader *r);

void hash_reader_free(struct hash_reader *r);

#endif /* __KSTATD_HASH_READER_H */
