// SPDX-License-Identifier: GPL-2.0
/*
 * Every entry of one hash map, copied into an array kstatd has mapped.
 *
 * Not a provider: kstatd loads one per large hash map (src/providers/maps/
 * hash_reader.c), with src made the map itself, and runs it on demand.  The
 * kernel's batch read takes each bucket's lock with interrupts off, and
 * turning them back on traps on some hypervisors: hundreds of nanoseconds
 * an entry.  bpf_for_each_map_elem() walks the buckets under RCU only, and
 * the copies land where kstatd reads them with no system call.
 *
 * Without the locks, a walk may miss an entry or see one twice where an
 * element is deleted and reused during it: kstatd reads this way only to
 * refresh the kstats that exist, never to decide which exist.
 *
 * A record is the key in 8 bytes, then the value as a batch read lays it
 * out: for a per-CPU map, each possible CPU's copy, every one rounded up to
 * 8 bytes.  The callback is handed this CPU's copy only; the others'
 * come from bpf_map_lookup_percpu_elem().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Set before the load, from the map: the verifier takes them as constants */
const volatile __u32 key_bytes = 4;
const volatile __u32 val_bytes = 8;  /* the value, or one CPU's copy */
const volatile __u32 val_stride = 8; /* val_bytes rounded up to 8 */
const volatile __u32 ncpus = 0;      /* possible CPUs of a per-CPU map, else 0 */

/* Both replaced before the load: src by the map to read, out resized */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} src SEC(".maps");

/* sizes without types: the value's size is set before the load */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} out SEC(".maps");

#define MAX_CPUS 1024
#define MAX_WORDS 4096 /* 32 KiB: the most a per-CPU value may hold */

struct walk {
	__u32 n;  /* records written */
	__u32 me; /* the CPU this run is on */
};

/* A value into its record, by loads and stores the verifier unrolls (a helper's copy costs a third more) */
static __always_inline void copy_value(char *dst, const char *v)
{
	__u32 words = val_bytes / 8;

	for (__u32 j = 0; j < words && j < MAX_WORDS; j++)
		((__u64 *)dst)[j] = ((const __u64 *)v)[j];
	for (__u32 j = words * 8; j < val_bytes && j < words * 8 + 8; j++)
		dst[j] = v[j];
}

static __always_inline bool same_key(const char *rec, const char *key)
{
	for (__u32 j = 0; j < key_bytes && j < 8; j++)
		if (rec[j] != key[j])
			return false;
	return true;
}

/*
 * An entry deleted while it is copied (a CPU's copy is gone), or whose
 * element went to another key meanwhile (elements are reused at once),
 * is left out, as a batch read made a moment later would leave it out
 */
static long copy_entry(struct bpf_map *map, void *key, void *val, struct walk *w)
{
	__u32 i = w->n;
	char *rec = bpf_map_lookup_elem(&out, &i);

	if (!rec)
		return 1; /* out is full: the rest would get no kstat */
	for (__u32 j = 0; j < key_bytes && j < 8; j++)
		rec[j] = ((const char *)key)[j];
	if (!ncpus) {
		copy_value(rec + 8, val);
	} else {
		for (__u32 c = 0; c < ncpus && c < MAX_CPUS; c++) {
			void *v = c == w->me ? val : bpf_map_lookup_percpu_elem(&src, key, c);

			if (!v)
				return 0;
			copy_value(rec + 8 + c * val_stride, v);
		}
	}
	if (same_key(rec, key))
		w->n = i + 1;
	return 0;
}

/* Returns the number of records written */
SEC("syscall")
int read_hash(void *ctx)
{
	struct walk w = { .me = bpf_get_smp_processor_id() };

	bpf_for_each_map_elem(&src, copy_entry, &w, 0);
	return w.n;
}

char LICENSE[] SEC("license") = "GPL";
