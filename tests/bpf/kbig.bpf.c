// SPDX-License-Identifier: GPL-2.0
/*
 * Hashes large enough for kstatd to read them with a reader program
 * (src/providers/maps/hash_reader.c) rather than batch reads: a per-CPU
 * one whose value (12 bytes) is no multiple of 8, and a plain LRU one with
 * 8-byte keys.  Userspace fills them; no programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct kbig_pc {
	__u32 a KSTAT_COUNTER(count, "First");
	__u32 b KSTAT_COUNTER(count, "Second");
	__u32 c KSTAT_COUNTER(count, "Third");
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 20000);
	__type(key, __u32);
	__type(value, struct kbig_pc);
} kbig_pc SEC(".maps") KSTAT_NAMED_MAP("kbig", "pc", "test", key);

struct kbig_lru {
	__u64 x KSTAT_COUNTER(count, "The value");
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 20000);
	__type(key, __u64);
	__type(value, struct kbig_lru);
} kbig_lru SEC(".maps") KSTAT_NAMED_MAP("kbig", "lru", "test", key);

char LICENSE[] SEC("license") = "GPL";
