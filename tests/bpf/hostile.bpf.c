// SPDX-License-Identifier: GPL-2.0
/*
 * Providers that ask for more than they may (tests/test_hostile.sh), one
 * per build: -DHOSTILE_SQUAT a map in module cpu (cpu_sys's), -DHOSTILE_FOLD
 * one in module cpu_x (whose metric names fold into cpu's), -DHOSTILE_LINK
 * one in module link (kstatd's own, from netlink), -DHOSTILE_DISK one in
 * module nvme (a disk driver's, whose disks this host has none of yet), -DHOSTILE_ARRAY
 * a keyed array of 2^18 entries, -DHOSTILE_HASH a hash that declares 2^24
 * entries and holds what the test puts in, -DHOSTILE_WIDEKEY a hash whose
 * 64-bit keys the test makes alike in their low 32 bits (the instance).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "kstat.bpf.h"

struct hostile_val {
	__u64 events KSTAT_COUNTER(count, "Events");
};

#if defined(HOSTILE_SQUAT)
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hostile_val);
} squat SEC(".maps") KSTAT_NAMED_MAP("cpu", "sys2", "misc", cpu);
#elif defined(HOSTILE_LINK)
/* link:0:eth9 beside the interfaces' own link kstats, which kstatd fills from netlink */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hostile_val);
} fake SEC(".maps") KSTAT_NAMED_MAP("link", "eth9", "net", single);
#elif defined(HOSTILE_DISK)
/* nvme:0:nvme0n1 before any NVMe disk comes: it would sit beside the real ones then */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hostile_val);
} fake_disk SEC(".maps") KSTAT_NAMED_MAP("nvme", "nvme0n1", "disk", single);
#elif defined(HOSTILE_FOLD)
/* kstat_cpu_x_events_total{ks_name="sys"}: cpu's x_events, were there one */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hostile_val);
} fold SEC(".maps") KSTAT_NAMED_MAP("cpu_x", "sys", "misc", cpu);
#elif defined(HOSTILE_ARRAY)
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 18);
	__type(key, __u32);
	__type(value, struct hostile_val);
} wide SEC(".maps") KSTAT_MODULE("wide") KSTAT_INSTANCE(key);
#elif defined(HOSTILE_WIDEKEY)
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, struct hostile_val);
} same SEC(".maps") KSTAT_MODULE("same") KSTAT_INSTANCE(key);
#else
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 24);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct hostile_val);
} deep SEC(".maps") KSTAT_MODULE("deep") KSTAT_INSTANCE(key);
#endif

char LICENSE[] SEC("license") = "GPL";
